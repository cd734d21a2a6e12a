"""The shapes of the files the workbench reads back: plan.json, decisions.json, manifest.json.

Each is a pydantic model, so a file of the wrong shape (a list where an object belongs, a
string confidence, a time of 1e300, an unknown verdict) is one `ReaderError` naming the file,
the line and the field, never a traceback::

    plan.json:41: field 'operations[3].confidence': malformed plan: Input should be a finite number, got inf

`parse(model, text, source, what)` parses JSON text and validates it in one step.

Each model reads the JSON of one record dataclass (`TargetModel` → `dream.plan.Target`, …,
`DecisionModel` → `review.Decision`, `GuardrailModel` → `review.Guardrail`); the models are the
lenient side (defaults for files older writers left out, range and literal checks), the dataclasses
the records the code passes along. `tests/test_record_shapes.py` ties every pair: field names both
ways, JSON types, shared defaults, and a round trip of a record with every field set; `Focus` has no
model of its own (pydantic validates the dataclass). The JSON Schemas in `docs/schemas/` are generated
from these models (`workbench.io.json_schema`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .errors import ReaderError, WorkbenchError
from .files import quote

KINDS = ("merge", "update", "delete", "create")
VERDICTS = ("approve", "reject", "edit", "answer")  # "answer": a question answered with a choice's key


def _time(value: Any) -> Any:
    """A time the records can hold: ISO text or epoch seconds within datetime's range."""
    if value is None:
        return value
    from .records import parse_time

    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    try:
        parse_time(value)
    except ReaderError as exc:
        raise ValueError(exc.message) from None
    except (OverflowError, ValueError, OSError):
        raise ValueError(f"time out of range: {str(value)[:40]}") from None
    return value


Time = Annotated[Any, AfterValidator(_time)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=10**12)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=False, allow_inf_nan=False)


class _Closed(_Model):
    model_config = ConfigDict(extra="forbid", strict=False, allow_inf_nan=False)


# --- plan --------------------------------------------------------------------------------------


class TargetModel(_Closed):
    id: str
    path: str
    text: str


class ResultModel(_Closed):
    path: str
    text: str
    note_id: str | None = None
    whole_memory: bool = False


class EvidenceModel(_Closed):
    quote: str
    session_id: str | None = None
    turn_id: str | None = None
    note_id: str | None = None


class OperationModel(_Model):
    """One operation; fields added later (a `rule`, say) pass through to `Operation`."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    id: str = ""
    kind: Literal[KINDS]  # type: ignore[valid-type]
    reason: str
    targets: list[TargetModel] = []
    result: ResultModel | None = None
    rationale: str = ""
    evidence: list[EvidenceModel] = []
    confidence: Share = 0.5
    rule: str = ""
    provenance: list[str] = []
    depends_on: list[str] = []


class ChoiceModel(_Model):
    key: str
    label: str = ""
    operation: OperationModel | None = None


class QuestionModel(_Model):
    """A question put to a judge; its choices carry the operations an answer would make."""

    id: str = ""
    kind: Literal["duplicate", "conflict", "stale", "insight"]
    targets: list[TargetModel] = []
    reading: str = ""
    rule: str = ""
    proposed: str = ""
    prior: Share = 0.5
    value: float = 0.0
    choices: list[ChoiceModel]
    evidence: list[EvidenceModel] = []
    candidates: list[str] = []
    similarity: float = 0.0


class MemoryModel(_Model):
    id: str | None = None
    path: str
    content: str
    created_at: Time = None
    updated_at: Time = None


class StoreModel(_Model):
    type: str = "memory_store"
    id: str | None = None
    name: str | None = None
    memories: list[MemoryModel] = []
    memory_versions: list[dict[str, Any]] = []


class PlanModel(_Model):
    format: Literal[1]
    engine: str
    engine_version: str = ""
    model: str | None = None
    focus: dict[str, Any] | None = None
    inputs: dict[str, Any] = {}
    summary: dict[str, Any] = {}  # derived from the operations when written; recomputed, never read
    operations: list[OperationModel]
    usage: dict[str, Any] = {}
    notes: list[str] = []
    output_store: StoreModel | None = None
    timings: dict[str, float] = {}
    questions: list[QuestionModel] = []
    questions_found: int = 0
    scope_effects: list[dict[str, Any]] = []


# --- decisions ---------------------------------------------------------------------------------


class DecisionModel(_Closed):
    operation: str
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    content: str | None = None
    who: str = "reviewer"
    at: Annotated[str, AfterValidator(_time)] = ""
    note: str = ""


class GuardrailModel(_Closed):
    max_deleted: Share = 0.40
    max_rewritten: Share = 0.60


class DecisionsModel(_Model):
    format: Literal[1] = 1
    plan_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    guardrail: GuardrailModel = GuardrailModel()
    decisions: list[DecisionModel] = []
    log: list[str] = []


# --- manifest ----------------------------------------------------------------------------------

Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ManifestInput(_Model):
    store_digest: Digest
    store_id: str | None = None
    memories: Count = 0
    notes: Count = 0
    sessions: list[str] = []


class ManifestEngine(_Model):
    name: str
    version: str = ""
    model: str | None = None


class ManifestPlan(_Model):
    digest: Digest
    as_of: Time = None


class ManifestOutput(_Model):
    store_digest: Digest
    memories: Count = 0
    notes: Count = 0
    folder: str = "memories"
    files: dict[str, Digest] = {}
    sidecar_sha256: Digest | None = None
    format: str = "dir"
    sha256: Digest | None = None


class ManifestDecision(_Model):
    verdict: Literal[("pending", *VERDICTS)]  # type: ignore[valid-type]
    content: str | None = None
    who: str | None = None


class ManifestOperation(OperationModel):
    decision: ManifestDecision


class Signature(_Closed):
    algorithm: Literal["hmac-sha256"]
    value: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ManifestModel(_Model):
    format_version: Literal[1]
    created_at: Time = None
    input: ManifestInput
    focus: dict[str, Any] = {}
    engine: ManifestEngine
    embedder: str | None = None
    plan: ManifestPlan
    operations: list[ManifestOperation] = []
    output: ManifestOutput
    changes_sha256: Digest | None = None
    redacted: bool = False
    signature: Signature | None = None


# --- validating --------------------------------------------------------------------------------


def _field(loc: tuple, data: Any) -> tuple[str, list]:
    """'operations[3].confidence' and the path into the data, skipping pydantic's own tags."""
    text, path, node = "", [], data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            text += f"[{part}]"
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            text += f".{part}" if text else part
        elif isinstance(part, str) and isinstance(node, dict) and not any(c in part for c in "[]()-"):
            text += f".{part}" if text else part  # a missing field
            path.append(part)
            break
        else:
            continue  # a union member's tag
        path.append(part)
        node = node[part]
    return text, path


def validate(model: type[BaseModel], data: Any, source: str, what: str, text: str | None = None,
             prefix: tuple = ()) -> BaseModel:
    """`model` validated from `data`; the first problem becomes one `ReaderError` line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, data, source, what, text, prefix) from None


def validate_focus(data: Any, source: str, text: str | None = None) -> Any:
    """The plan's or manifest's `focus` as a `Focus`; unknown settings and wrong types are one line."""
    from dataclasses import fields

    from pydantic import TypeAdapter

    from .focus import Focus

    if data is None:
        return Focus()
    if not isinstance(data, dict):
        raise ReaderError(f"expected an object, got {type(data).__name__}", source=quote(source), field="focus")
    unknown = sorted(set(data) - {f.name for f in fields(Focus)})
    if unknown:
        raise ReaderError(f"unknown focus setting(s) {', '.join(map(str, unknown))}", source=quote(source),
                          field="focus")
    try:
        return TypeAdapter(Focus).validate_python(data)
    except ValidationError as exc:
        raise _error(exc, data, source, "focus", text, ("focus",)) from None


def _error(exc: ValidationError, data: Any, source: str, what: str, text: str | None, prefix: tuple) -> ReaderError:
    error = exc.errors()[0]
    field, path = _field(error["loc"], data)
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, WorkbenchError) and raised.field and not field:  # from a record's own checks
        field, path = raised.field, [raised.field]
        error = {**error, "msg": raised.message}
    line = None
    if text is not None:
        from .io.parsing import line_of

        line = line_of(text, [*prefix, *path])
    field = ".".join(filter(None, [*map(str, prefix), field]))
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) or error["type"] == "missing" else f", got {_short(got)}"
    message = str(error["msg"]).replace("Value error, ", "")
    return ReaderError(f"malformed {what}: {message}{shown}", source=quote(source), line=line, field=field or None)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**20 else f"a {len(str(abs(value)))}-digit number"
    return quote(text if len(text) <= 60 else text[:57] + "...")


def parse(model: type[BaseModel], text: str, source: str, what: str) -> tuple[BaseModel, Any]:
    """Parse JSON `text` and validate it as `model`: (the model, the raw data)."""
    from .io.parsing import parse_json

    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise ReaderError(f"not a {what} (expected a JSON object, got {type(data).__name__})", source=quote(source),
                          line=1)
    return validate(model, data, source, what, text), data
