"""JSON Schemas of the files the workbench writes, generated from the pydantic models that read them back.

`plan.json` is described by `workbench.schema.PlanModel`, its `focus` by the `Focus` dataclass itself
(with each field's help as its description); `decisions.json` by `workbench.schema.DecisionsModel`;
`manifest.json` is described by `workbench.schema.ManifestModel` (what `verify` validates) plus the
sections it records for people (review, change, usage, evaluation, secrets); a memory
record (an item of a store JSON's `memories`, or a line of a JSON Lines store) by `workbench.schema.MemoryModel` plus the fields `Memory.to_dict` writes. Both allow
fields they do not name, so a newer writer's additions do not break an older reader. The files in
`docs/schemas/` are these, written by::

    python -m workbench.io.json_schema docs/schemas

and `tests/test_io_json_schema.py` checks that they are current and that real snapshots validate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from ..schema import DecisionsModel, ManifestModel, MemoryModel, PlanModel

VERSION = 1  # = workbench.snapshot.FORMAT_VERSION
TIME = {"description": "ISO 8601 / RFC 3339 time (`2025-05-19T16:40:02Z`), or seconds since the epoch",
        "type": ["string", "number"]}
TIME_FIELDS = ("created_at", "updated_at", "as_of", "at")


class MemoryRecord(MemoryModel):
    """One memory: a document of a store, shaped like the Managed Agents memory object."""

    model_config = ConfigDict(extra="allow", title="Memory record")

    type: str = Field("memory", description="Always `memory`.")
    id: str | None = Field(None, description="The memory's id; kept as the source gave it.")
    path: str = Field(description="Absolute path inside the store (`/team/people.md`), at most 1,024 bytes.")
    content: str = Field(description="The document, UTF-8, at most 100 kB.")
    content_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                       description="Lower-case hex SHA-256 of the UTF-8 content.")
    content_size_bytes: int | None = Field(None, ge=0, description="Size of the UTF-8 content in bytes.")
    memory_version_id: str | None = Field(None, description="The platform's version id of this content.")
    author: str | None = None
    meta: dict[str, Any] = Field({}, description=(
        "What the source said beyond the memory object: `provenance` (note text → supporting turn ids), "
        "`index` (a table of contents such as Claude Code's MEMORY.md: its links are not notes), "
        "`front_matter` (YAML front matter), Letta block fields (`label`, `limit`, `description`, ...)."))


class ManifestRecord(ManifestModel):
    """`manifest.json`: what was exported, from what, how, and the digest of every output file."""

    model_config = ConfigDict(extra="allow", title="Snapshot manifest")

    review: dict[str, Any] = Field({}, description="Decision counts and the review log.")
    change: dict[str, Any] = Field({}, description="Blast radius: notes deleted and rewritten, and their shares.")
    usage: dict[str, Any] = Field({}, description="Tokens and cost of the engine that made the plan.")
    evaluation: dict[str, Any] | None = Field(None, description=(
        "The evaluation of the approved operations (`workbench.evaluate.Report.to_dict`), when one was made: "
        "probes answered and retrieved before and after, regressions of either net and the operations that "
        "break them, tokens, every probe."))
    secrets: list[dict[str, Any]] = Field([], description="Possible secrets found in the output (path, line, kind).")


class PlanRecord(PlanModel):
    """`plan.json`: the operations a dream proposes, the questions it asks, and the store they make."""

    model_config = ConfigDict(title="Plan")


class DecisionsRecord(DecisionsModel):
    """`decisions.json`: the decisions on one plan, in the order they were made (the latest per operation counts)."""

    model_config = ConfigDict(title="Decisions")


def _focus_schema() -> dict[str, Any]:
    """The `Focus` dataclass as JSON Schema, each field described by its `metadata["help"]`."""
    from dataclasses import fields

    from pydantic import TypeAdapter

    from ..focus import Focus

    body = TypeAdapter(Focus).json_schema()
    for field in fields(Focus):
        body["properties"][field.name]["description"] = field.metadata["help"]
        body["properties"][field.name].pop("title", None)
    body.pop("title", None)
    return {**body, "additionalProperties": False,  # an unknown setting is refused (`schema.validate_focus`)
            "description": "The focus a plan was made under: the instructions and every knob."}


def _times(node: Any) -> None:
    """Give every time field (pydantic sees `Any`) its documented shape."""
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            if name in TIME_FIELDS and isinstance(value, dict) and "type" not in value and "anyOf" not in value:
                nullable = "default" in value and value["default"] is None
                node["properties"][name] = {**TIME, "type": [*TIME["type"], *(["null"] if nullable else [])],
                                            **({"default": value["default"]} if "default" in value else {})}
        for value in node.values():
            _times(value)
    elif isinstance(node, list):
        for value in node:
            _times(value)


def _schema(model: type, name: str, description: str) -> dict[str, Any]:
    body = model.model_json_schema()
    _times(body)
    body.pop("title", None)
    body.pop("description", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:dream-workbench:{name}:v{VERSION}", "title": f"Dream Workbench {name} (format {VERSION})",
            "description": description, **body}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for `docs/schemas/`."""
    return {
        f"manifest.v{VERSION}.schema.json": _schema(
            ManifestRecord, "manifest",
            "manifest.json of a snapshot: inputs, focus, engine, every operation with its decision, and the "
            "SHA-256 of every output memory (`output.files`), of the sidecar, CHANGES.md and, for one-file "
            "formats (json, mem0, letta-af), of the file (`output.sha256`)."),
        f"memory.v{VERSION}.schema.json": _schema(
            MemoryRecord, "memory",
            "One memory record: an item of a store JSON's `memories` (a json snapshot, the Managed Agents "
            "export) or a line of a JSON Lines store."),
        f"plan.v{VERSION}.schema.json": _with_focus(_schema(
            PlanRecord, "plan",
            "plan.json written by `workbench dream`: the engine, the focus, the input digests, every operation "
            "with its evidence and confidence, the questions for a judge, and the output store.")),
        f"decisions.v{VERSION}.schema.json": _schema(
            DecisionsRecord, "decisions",
            "decisions.json written by `workbench review` and the review widget: the plan digest the decisions "
            "are bound to, the guardrail, and every decision and answer in order."),
    }


def _with_focus(body: dict[str, Any]) -> dict[str, Any]:
    focus = _focus_schema()
    body.setdefault("$defs", {})["Focus"] = focus
    body["properties"]["focus"] = {"anyOf": [{"$ref": "#/$defs/Focus"}, {"type": "null"}], "default": None,
                                   "description": focus["description"]}
    return body


def write(folder: str | Path) -> list[Path]:
    """Write the schemas into `folder` (atomically, through `workbench.files`)."""
    from ..files import write_text

    return [write_text(Path(folder) / name, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
            for name, body in json_schemas().items()]


if __name__ == "__main__":
    for path in write(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"):
        print(path)
