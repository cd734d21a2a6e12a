"""Operations and questions: the records a plan holds.

An `Operation` is one proposed change to notes (or whole memories), with the `Target`s it reads or
removes, the `Result` it writes and the `Evidence` for it; a `Question` is a candidate no rule decided,
with the `Choice`s a judge may make. Ids derive from content, so equal plans have equal ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ReaderError
from ..focus import KINDS
from ..records import EPOCH, Note, stable_id


@dataclass(frozen=True)
class Target:
    """A note or memory an operation reads or removes, with its text and path at plan time."""

    id: str
    path: str
    text: str

    @property
    def is_note(self) -> bool:
        return "#" in self.id

    def as_note(self) -> Note:
        return Note(self.id, self.id.split("#")[0], self.path, 0, self.text, "bullet", "", 0, 0, EPOCH, EPOCH)


@dataclass(frozen=True)
class Result:
    """What an operation writes: note text placed at `note_id` (or appended to `path`), or a whole memory."""

    path: str
    text: str
    note_id: str | None = None
    whole_memory: bool = False

    def as_note(self) -> Note:
        return Note(self.note_id or self.path, "", self.path, 0, self.text, "bullet", "", 0, 0, EPOCH, EPOCH)


@dataclass(frozen=True)
class Evidence:
    """Why: a session turn (with a quote) or a memory/note the operation relies on."""

    quote: str
    session_id: str | None = None
    turn_id: str | None = None
    note_id: str | None = None


@dataclass(frozen=True)
class Operation:
    """One proposed change; `id` is derived from its content, so equal plans have equal ids."""

    kind: str
    reason: str
    targets: tuple[Target, ...]
    result: Result | None
    rationale: str
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 0.5
    provenance: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    id: str = ""
    rule: str = ""  # the judge's rule (its measured precision is the confidence), or "claude", "person"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ReaderError(f"unknown operation kind {self.kind!r}", field="kind")
        if not self.id:
            body = json.dumps([self.kind, self.reason, [t.id for t in self.targets],
                               self.result and [self.result.path, self.result.text]], ensure_ascii=False)
            object.__setattr__(self, "id", stable_id("op_", body)[:15])
        object.__setattr__(self, "confidence", round(float(self.confidence), 3))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "reason": self.reason,
            "targets": [vars_of(t) for t in self.targets],
            "result": vars_of(self.result) if self.result else None,
            "rationale": self.rationale,
            "evidence": [{k: v for k, v in vars_of(e).items() if v is not None} for e in self.evidence],
            "confidence": self.confidence, "rule": self.rule, "provenance": list(self.provenance),
            "depends_on": list(self.depends_on),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "plan.json") -> Operation:
        """An operation from its JSON (as `to_dict` writes it), checked field by field."""
        from ..schema import OperationModel, validate

        return cls._from_model(validate(OperationModel, data, source, "operation"))

    @classmethod
    def _from_model(cls, model: Any) -> Operation:
        known = {f for f in cls.__dataclass_fields__}
        extra = {k: v for k, v in (model.model_extra or {}).items() if k in known}
        return cls(
            kind=model.kind, reason=model.reason,
            targets=tuple(Target(**t.model_dump()) for t in model.targets),
            result=Result(**model.result.model_dump()) if model.result else None,
            rationale=model.rationale,
            evidence=tuple(Evidence(**e.model_dump()) for e in model.evidence),
            confidence=model.confidence, provenance=tuple(model.provenance),
            depends_on=tuple(model.depends_on), id=model.id, rule=model.rule, **extra,
        )


@dataclass(frozen=True)
class Choice:
    """One answer to a question and what it does: `operation` is applied when it is chosen (None: nothing)."""

    key: str  # merge | keep_newer | keep_older | both | update | keep | stale | add | skip
    label: str
    operation: Operation | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label,
                "operation": self.operation.to_dict() if self.operation is not None else None}


@dataclass(frozen=True)
class Question:
    """A candidate no rule decided, put to a judge (a person in the review, or Claude).

    It holds the notes, the rules' `reading` of them, the `choices` with the operation each would
    make, the rule whose measured precision is the `prior` that the `proposed` choice is right, and
    its `value`: what an answer is worth (uncertainty × notes touched × focus weight). Questions are
    never applied automatically; an answer is an operation with the person as its judge.
    """

    kind: str  # duplicate | conflict | stale | insight
    targets: tuple[Target, ...]
    reading: str
    rule: str
    proposed: str
    prior: float
    choices: tuple[Choice, ...]
    value: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    candidates: tuple[str, ...] = ()
    similarity: float = 0.0  # how alike the notes are (the analysis's cosine); orders questions of equal value
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            body = json.dumps([self.kind, [t.id for t in self.targets], [t.text for t in self.targets],
                               [c.key for c in self.choices]], ensure_ascii=False)
            object.__setattr__(self, "id", stable_id("q_", body)[:14])
        object.__setattr__(self, "prior", round(float(self.prior), 3))
        object.__setattr__(self, "value", round(float(self.value), 4))
        object.__setattr__(self, "similarity", round(float(self.similarity), 4))

    def choice(self, key: str) -> Choice:
        for choice in self.choices:
            if choice.key == key:
                return choice
        raise ReaderError(f"question {self.id} has no answer {key!r}; answers: {', '.join(c.key for c in self.choices)}",
                          field="answer")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "targets": [vars_of(t) for t in self.targets],
                "reading": self.reading, "rule": self.rule, "proposed": self.proposed, "prior": self.prior,
                "value": self.value, "choices": [c.to_dict() for c in self.choices],
                "evidence": [{k: v for k, v in vars_of(e).items() if v is not None} for e in self.evidence],
                "candidates": list(self.candidates), "similarity": self.similarity}

    @classmethod
    def _from_model(cls, model: Any) -> Question:
        return cls(kind=model.kind, targets=tuple(Target(**t.model_dump()) for t in model.targets),
                   reading=model.reading, rule=model.rule, proposed=model.proposed, prior=model.prior,
                   choices=tuple(Choice(c.key, c.label, Operation._from_model(c.operation) if c.operation else None)
                                 for c in model.choices),
                   value=model.value, evidence=tuple(Evidence(**e.model_dump()) for e in model.evidence),
                   candidates=tuple(model.candidates), similarity=model.similarity, id=model.id)


def vars_of(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}
