"""What Claude answers: the tool input validated with pydantic, and its verdicts as `Verdict`s.

An answer that does not validate raises `Malformed`, naming what is wrong (the engine sends it
back once). A Claude verdict's confidence is its own, capped by what Claude's verdicts of that
kind were measured to be worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ...errors import ReaderError
from ...records import check_path
from .. import calibration
from ..rules import Verdict
from .prompt import ACTION, TOOL_NAME, Prompt


class ModelVerdict(BaseModel):
    """One verdict of the tool input."""

    candidate: str
    decision: Literal["accept", "reject"]
    keep: str | None = None
    text: str | None = None
    path: str | None = None
    rationale: str = Field(min_length=3, max_length=600)
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("text", "rationale")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return " ".join(value.split()) if value is not None else None


class ToolInput(BaseModel):
    """The whole tool input."""

    verdicts: list[ModelVerdict]


class Malformed(Exception):
    """An answer that does not validate: `why`, and the tool call to send back (None: there was none)."""

    def __init__(self, why: str, block: dict[str, Any] | None) -> None:
        super().__init__(why)
        self.why, self.block = why, block


def validate(message: Any, batch: Sequence[Prompt]) -> dict[str, ModelVerdict]:
    """The verdicts by candidate id; raises `Malformed` naming what is wrong."""
    use = next((b for b in message.content if getattr(b, "type", "") == "tool_use" and b.name == TOOL_NAME), None)
    if use is None:
        raise Malformed(f"no {TOOL_NAME} call in the answer", None)
    block = {"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}
    try:
        if message.stop_reason == "max_tokens":
            raise ValueError("the answer was cut off at max_tokens")
        answer = ToolInput.model_validate(use.input)
        by_id = {c.id: c for c in batch}
        verdicts: dict[str, ModelVerdict] = {}
        for v in answer.verdicts:
            if v.candidate not in by_id or v.candidate in verdicts:
                raise ValueError(f"verdict for {'unknown' if v.candidate not in by_id else 'repeated'} "
                                 f"candidate {v.candidate!r}")
            _check_verdict(v, by_id[v.candidate])
            verdicts[v.candidate] = v
        missing = [c.id for c in batch if c.id not in verdicts]
        if missing:
            raise ValueError(f"no verdict for {', '.join(missing)}")
    except (ValidationError, ValueError) as exc:
        raise Malformed(str(exc).replace("\n", "; ")[:500], block) from None
    return verdicts


def _check_verdict(v: ModelVerdict, c: Prompt) -> None:
    if v.decision == "reject":
        return
    if c.keep and v.keep is not None and v.keep not in c.keep:
        raise ValueError(f"{c.id}: keep must be one of {', '.join(c.keep)}, got {v.keep!r}")
    if c.kind == "conflict" and c.proposal is None and v.keep is None:
        raise ValueError(f"{c.id}: accepting this conflict needs `keep`")
    if v.text is not None and not v.text:
        raise ValueError(f"{c.id}: text is empty")
    if v.path is not None:
        try:
            check_path(v.path)
        except ReaderError as exc:
            raise ValueError(f"{c.id}: {exc.message}") from None


def as_verdict(p: Prompt, v: ModelVerdict) -> Verdict:
    """The model's verdict in the judges' common form. Its confidence is the model's own, capped by
    what Claude's verdicts of this kind were measured to be worth (see `_ceiling`)."""
    if v.decision == "reject":
        return Verdict(p.candidate.id, "none", "claude", v.confidence, v.rationale, judge="claude")
    confidence, rationale = v.confidence, v.rationale
    cap, why = _ceiling(p.kind)
    if confidence > cap:
        confidence, rationale = cap, f"{rationale} (Claude said {v.confidence:.2f}; {cap:.2f} at most: {why})"
    proposal = p.proposal
    keep = p.keep.get(v.keep or "") or (proposal.keep if proposal else None)  # the alias Claude named, as a note id
    if p.kind == "session_conflict":
        keep = p.candidate.notes[0]
    text = v.text or (proposal.text if proposal else None)
    return Verdict(p.candidate.id, ACTION[p.kind], "claude", confidence, rationale, keep=keep, text=text,
                   path=v.path if p.kind == "insight" else None, judge="claude")


def _ceiling(kind: str) -> tuple[float, str]:
    """The most a Claude verdict of this kind may claim, and why: its measured precision, or below the
    automatic bar while unmeasured (a calibration run with a key adds rows `claude.<kind>`)."""
    score = calibration.measured(f"claude.{kind}")
    if score is None:
        return calibration.UNMEASURED_CEILING, "Claude's verdicts are not measured yet"
    return score, f"the measured precision of Claude's {kind} verdicts"
