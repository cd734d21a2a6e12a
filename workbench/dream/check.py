"""Does a plan keep to its focus? `check(plan, focus)` lists every operation that breaks a scope.

Each finding is a `Violation`, a `WorkbenchError` that names the operation and the scope, so an
engine can raise it (`raise violations[0]`, or `enforce(plan)`) and the CLI prints one line:

    operation op_3f2a… breaks “protect: /people/”: delete touches /people/alice.md: Alice …

The checks, on the focus as resolved (knobs plus instructions, see `Focus.resolved`):

- kinds: an operation of a kind that is switched off;
- protect: any note an operation reads, removes or writes that falls under a protected scope;
- include: with include scopes, a note outside all of them (off-focus deletes are the point);
- exclude: a created note that falls under an excluded scope;
- horizon: a note deleted as stale that is younger than the horizon (when the input is known);
- min support: an insight whose evidence cites fewer sessions than the minimum (one less for an
  insight the plan records as about a prioritized topic);

A note falls under a topic when its phrase matches (`workbench.topics`) or, for a plan that records
what its scopes matched (`plan.scope_effects`, topics by meaning), when the scope matched the note.
- sessions: evidence from a session the plan did not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ..errors import EngineError
from ..focus import Focus
from ..records import Note, parse_time
from ..topics import matches
from .plan import Operation, Plan


class Violation(EngineError):
    """An operation that breaks a focus scope."""

    def __init__(self, operation: str, scope: str, detail: str) -> None:
        self.operation, self.scope, self.detail = operation, scope, detail
        super().__init__(f"operation {operation} breaks “{scope}”: {detail}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Violation) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self):
        return (Violation, self.key)

    def __repr__(self) -> str:
        return f"Violation({self.operation!r}, {self.scope!r}, {self.detail!r})"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation, self.scope, self.detail)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _touched(op: Operation, inputs: dict[str, Note]) -> Iterator[Note]:
    """The notes an operation reads or removes (as they were in the input when known) and writes."""
    for target in op.targets:
        yield inputs.get(target.id) or target.as_note()
    if op.result is not None:
        yield op.result.as_note()


def _scope_violations(op: Operation, focus: Focus, inputs: dict[str, Note],
                      matched: dict[str, frozenset[str]]) -> Iterator[Violation]:
    scopes = focus.scopes
    touched = list(_touched(op, inputs))
    under = lambda label, topic, note: note.id in matched.get(label, ()) or matches(topic, note)  # noqa: E731
    for topic in scopes.protect:
        hit = next((n for n in touched if under(f"protect: {topic}", topic, n)), None)
        if hit is not None:
            yield Violation(op.id, f"protect: {topic}", f"{op.kind} touches {hit.path}: {_short(hit.text)}")
    if scopes.include and op.reason != "off_focus":
        outside = [n for n in touched if not any(under(f"include only: {t}", t, n) for t in scopes.include)]
        if outside:
            yield Violation(op.id, f"include only: {', '.join(scopes.include)}",
                            f"{op.kind} touches {outside[0].path}: {_short(outside[0].text)}")
    if op.kind == "create" and op.result is not None:
        for topic in scopes.exclude:
            if matches(topic, op.result.as_note()):
                yield Violation(op.id, f"exclude: {topic}", f"creates an excluded note: {_short(op.result.text)}")


def _knob_violations(op: Operation, focus: Focus, inputs: dict[str, Note], as_of: datetime | None,
                     read: set[str] | None, relaxed: set[str]) -> Iterator[Violation]:
    if op.kind not in focus.kinds:
        yield Violation(op.id, f"kinds: {', '.join(focus.kinds) or 'none'}", f"{op.kind} operations are switched off")
    if op.reason == "stale" and as_of is not None:
        for target in op.targets:
            note = inputs.get(target.id)
            age = (as_of - note.updated_at).total_seconds() / 86400 if note is not None else None
            if age is not None and age < focus.horizon_days:
                yield Violation(op.id, f"horizon: {focus.horizon_days} days",
                                f"deletes as stale a note {age:.0f} days old: {_short(note.text)}")
    if op.kind == "create" and op.reason == "insight":
        cited = {e.session_id for e in op.evidence if e.session_id}
        if len(cited) < focus.min_sessions - (op.id in relaxed):
            yield Violation(op.id, f"min support: {focus.min_sessions} sessions",
                            f"the insight cites {len(cited)} session(s): {_short(op.result.text if op.result else '')}")
    if read is not None:
        outside = sorted({e.session_id for e in op.evidence if e.session_id and e.session_id not in read})
        if outside:
            yield Violation(op.id, "sessions read", f"cites session(s) the plan did not read: {', '.join(outside)}")


def check(plan: Plan, focus: Focus | None = None) -> list[Violation]:
    """Every way the operations of `plan` break the focus (the plan's own focus by default)."""
    focus = (focus or plan.focus).resolved()
    inputs = {n.id: n for n in plan.input_notes}
    as_of = parse_time(plan.inputs["as_of"]) if plan.inputs.get("as_of") else None
    sessions = plan.inputs.get("sessions")
    read = set(sessions) if isinstance(sessions, list) and sessions else None
    matched = {e.label: frozenset(e.notes) for e in plan.scope_effects}
    relaxed = {i for e in plan.scope_effects for i in e.relaxed}
    out: list[Violation] = []
    for op in plan.operations:
        out += _knob_violations(op, focus, inputs, as_of, read, relaxed)
        out += _scope_violations(op, focus, inputs, matched)
    return out


def enforce(plan: Plan, focus: Focus | None = None) -> Plan:
    """The plan, if it keeps to its focus; else raise its first violation (naming how many more)."""
    violations = check(plan, focus)
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise Violation(first.operation, first.scope, first.detail + more)
    return plan


__all__ = ["Violation", "check", "enforce"]
