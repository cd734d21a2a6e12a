"""The compiler's output records: a scope with its source words, an unclear clause, a compiled text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..text import Token

# -- records ---------------------------------------------------------------------------------------
FORGET = "forget"  # the value of an exclude scope said with a verb of removal ("forget X", "prune X"): delete them
SCOPE_KINDS = ("protect", "include", "exclude", "weight", "horizon", "min_support", "last_sessions", "since",
               "until", "switch_off")

@dataclass(frozen=True)
class Scope:
    """One thing the instructions ask for, with the words it came from (`source`, at `start:end`).

    `target` is the topic or path (protect, include, exclude, weight) or the operation kind
    (switch_off); `value` is the weight, days, sessions or ISO date, or `FORGET` for an exclude
    said with a verb of removal ("forget X": its notes are proposed for deletion, not only left alone).
    """

    kind: str
    target: str = ""
    value: float | int | str | None = None
    source: str = ""
    start: int = 0
    end: int = 0
    note: str = ""

    @property
    def label(self) -> str:
        """What the scope does, in the words the tuner and CLI show (also its override key)."""
        if self.kind == "protect":
            return f"protect: {self.target}"
        if self.kind == "include":
            return f"include only: {self.target}"
        if self.kind == "exclude":
            return f"exclude: {self.target}"
        if self.kind == "weight":
            return f"weight {self.value:g}: {self.target}"
        if self.kind == "horizon":
            return f"horizon: {self.value} days"
        if self.kind == "min_support":
            return f"min support: {self.value} sessions"
        if self.kind == "last_sessions":
            return f"last sessions: {self.value}"
        if self.kind == "switch_off":
            return f"switch off: {self.target}"
        return f"sessions {self.kind}: {self.value}"

    def describe(self) -> str:
        note = "; ".join(n for n in (self.note, "proposed for deletion" if self.value == FORGET else "") if n)
        note = f" ({note})" if note else ""
        return f"{self.label}  ← “{self.source}”{note}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


@dataclass(frozen=True)
class Unclear:
    """A sentence (or clause) that compiled to nothing, and why."""

    text: str
    start: int
    end: int
    reason: str

    def describe(self) -> str:
        return f"“{self.text}”: {self.reason}"


@dataclass(frozen=True)
class Compiled:
    """What a text compiles to: scopes in reading order, what was not understood, contradictions."""

    text: str
    scopes: tuple[Scope, ...] = ()
    not_understood: tuple[Unclear, ...] = ()
    contradictions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def of(self, kind: str) -> tuple[Scope, ...]:
        return tuple(s for s in self.scopes if s.kind == kind)

    def targets(self, kind: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.target for s in self.of(kind)))

    @property
    def protect(self) -> tuple[str, ...]:
        return self.targets("protect")

    @property
    def include(self) -> tuple[str, ...]:
        return self.targets("include")

    @property
    def exclude(self) -> tuple[str, ...]:
        return self.targets("exclude")

    @property
    def weights(self) -> tuple[tuple[str, float], ...]:
        return tuple(dict((s.target, float(s.value)) for s in reversed(self.of("weight"))).items())[::-1]

    def to_dict(self) -> dict[str, Any]:
        return {"scopes": [s.to_dict() for s in self.scopes],
                "not_understood": [asdict(u) for u in self.not_understood],
                "contradictions": list(self.contradictions), "warnings": list(self.warnings)}


@dataclass
class _Clause:
    tokens: list[Token]  # `surface_tokens`
    text: str  # the whole instructions, for source spans
    scopes: list[Scope] = field(default_factory=list)
    unclear: str = ""

    def span(self, first: int, last: int) -> tuple[str, int, int]:
        start, end = self.tokens[first].start, self.tokens[last].end
        return self.text[start:end], start, end

    def add(self, kind: str, first: int, last: int, target: str = "", value: Any = None, note: str = "") -> None:
        source, start, end = self.span(first, last)
        self.scopes.append(Scope(kind, target, value, source, start, end, note))

