"""Focus: the instructions that steer a dream, the knobs widgets set, and the scopes they compile to.

The instructions compile into explicit scopes, each with the words it came from (see
`workbench.instructions`); a person reads them, removes the wrong ones (`without_scope`), and an
engine reads plain knobs from `focus.resolved()`::

    focus = Focus("Never touch /people/. Prune anything older than three months.")
    focus.compiled.scopes     # protect: /people/ · horizon: 90 days, each with its source words
    focus.resolved()          # protect=['/people/'], horizon_days=90, compile_instructions=False

Precedence between the knobs (CLI flags, widgets, JSON) and the instructions:

- protect, include, exclude, forget: the union of both. A protected note is never changed, even when a
  topic also excludes or includes it (the overlap is reported as a contradiction). A forgotten topic
  ("forget X", "prune X", the `forget` knob) is excluded too, and its notes are proposed for deletion.
- weights: a knob's weight for a topic wins over the instructions' weight for the same topic.
- horizon_days, min_sessions, max_sessions, since, until: a knob left at its default (120, 2,
  None, None, None) takes the instructions' value; a knob set to anything else wins, and a
  different value in the instructions is reported as a contradiction.
- kinds: what the instructions switch off ("don't delete anything") is removed from the knob.
- two values in the instructions for one knob: the longest horizon and the largest minimum
  support (the cautious ones), otherwise the first stated; reported either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from .errors import LimitError, ReaderError
from .instructions import FORGET, Compiled, Scope, compile_text, pick
from .instructions import contradictions as find_contradictions
from .records import MAX_SESSIONS, Note, Session, iso, parse_time
from .topics import matches

MAX_INSTRUCTIONS = 4096
KINDS = ("merge", "update", "delete", "create")  # the one definition of operation kinds
DEFAULT_HORIZON = 120
DEFAULT_MIN_SESSIONS = 2
_KNOBS = (  # Focus field, scope kind, default, unit
    ("horizon_days", "horizon", DEFAULT_HORIZON, "days"),
    ("min_sessions", "min_support", DEFAULT_MIN_SESSIONS, "sessions"),
    ("max_sessions", "last_sessions", None, "sessions"),
    ("since", "since", None, ""),
    ("until", "until", None, ""),
)


@dataclass(frozen=True)
class Scopes:
    """What the instructions and knobs allow: paths and topics to protect, include, exclude, weigh.

    `exclude` holds every topic the dream leaves alone; `forget` those of them whose notes it proposes to delete.
    """

    protect: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    weights: tuple[tuple[str, float], ...] = ()
    forget: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        lines = [f"protect: {p}" for p in self.protect] + [f"include only: {p}" for p in self.include]
        lines += [f"exclude: {p}" for p in self.exclude] + [f"weight {w:g}: {t}" for t, w in self.weights]
        return lines


def compile_instructions(text: str) -> Compiled:
    """The scopes a text compiles to, with their source words and what was not understood (cached)."""
    return compile_text(text)


@lru_cache(maxsize=512)
def _active(text: str, removed: tuple[str, ...]) -> tuple[Scope, ...]:
    return tuple(s for s in compile_text(text).scopes if s.label not in removed)


@lru_cache(maxsize=512)
def _merged(protect: tuple[str, ...], include: tuple[str, ...], exclude: tuple[str, ...],
            weights: tuple[tuple[str, float], ...], text: str, removed: tuple[str, ...] | None,
            forget: tuple[str, ...] = ()) -> Scopes:
    """Knobs merged with the compiled scopes of `text` (none when `removed` is None: compiling is off)."""
    active = () if removed is None else _active(text, removed)
    of = lambda kind: tuple(s.target for s in active if s.kind == kind)  # noqa: E731
    join = lambda *parts: tuple(dict.fromkeys(t for part in parts for t in part))  # noqa: E731
    compiled = {}
    for scope in active:
        if scope.kind == "weight":
            compiled.setdefault(scope.target, float(scope.value))  # the first stated wins
    forgotten = join(forget, (s.target for s in active if s.kind == "exclude" and s.value == FORGET))
    return Scopes(join(protect, of("protect")), join(include, of("include")), join(exclude, forget, of("exclude")),
                  tuple(sorted({**compiled, **dict(weights)}.items())), forgotten)


def knob(default: Any, help: str, **meta: Any) -> Any:
    """A `Focus` field: its default (a type or function for a fresh list or dict) and its description,
    the one place the command line (`workbench.cli.options`) and the docs read it from."""
    if callable(default):
        return field(default_factory=default, metadata={"help": help, **meta})
    return field(default=default, metadata={"help": help, **meta})


@dataclass
class Focus:
    """Instructions text plus knobs; serializable and stored in every plan.

    Bars left as None take the embedder's defaults. `max_sessions`, `since`, `until` and
    `session_ids` choose which sessions a dream reads (at most 100, as on the platform).
    `removed_scopes` holds the labels of compiled scopes a person removed ("exclude: lunch"),
    so they stay removed while the text is edited. `exclude` topics are left alone; `forget` topics
    are left alone too, and their notes proposed for deletion.
    """

    instructions: str = knob("", "focus instructions in plain English (≤ 4,096 characters); they compile into scopes")
    include: list[str] = knob(list, "only these paths or topics are dreamt over (paths match whole segments, globs allowed)",
                              metavar="PATH|TOPIC")
    exclude: list[str] = knob(list, "paths or topics left alone: no operation, no question", metavar="PATH|TOPIC")
    protect: list[str] = knob(list, "paths or topics never read, removed or written", metavar="PATH|TOPIC")
    weights: dict[str, float] = knob(dict, "priority weight of a topic (2: first in the review, questions worth ×2)",
                                     metavar="TOPIC=WEIGHT")
    duplicate_bar: float | None = knob(None, "similarity bar for duplicates, 0..1 (default: the embedder's)")
    conflict_bar: float | None = knob(None, "similarity bar for conflicts, 0..1 (default: the embedder's)")
    support_bar: float | None = knob(None, "similarity at which a session statement supports a note, 0..1 "
                                           "(default: the embedder's)")
    horizon_days: int = knob(DEFAULT_HORIZON, "episodic notes older than this many days may be pruned")
    min_sessions: int = knob(DEFAULT_MIN_SESSIONS, "sessions that must state a fact before it becomes an insight")
    max_sessions: int | None = knob(None, f"read only the most recent N sessions (at most {MAX_SESSIONS})")
    since: str | None = knob(None, "read only sessions from this date on (ISO 8601)", metavar="DATE")
    until: str | None = knob(None, "read only sessions up to this date (ISO 8601)", metavar="DATE")
    session_ids: list[str] = knob(list, "read only these sessions", metavar="ID")
    kinds: list[str] = knob(lambda: list(KINDS), f"the operation kinds the dream may propose: {', '.join(KINDS)}",
                            choices=KINDS, metavar="KIND")
    prune_low_value: bool = knob(True, "propose pruning low-value notes (recorded in the plan; the built-in "
                                       "engines do not read it yet)")
    questions_per_note: float = knob(0.1, "questions put to a judge per note, 0..1 (0.1: one per 10 notes)")
    compile_instructions: bool = knob(True, "compile the instructions into scopes (off: the text only steers "
                                            "by similarity)")
    removed_scopes: list[str] = knob(list, "labels of compiled scopes to leave out, e.g. \"exclude: lunch\"",
                                     metavar="LABEL")
    forget: list[str] = knob(list, "topics left alone whose notes are proposed for deletion", metavar="TOPIC")

    def __post_init__(self) -> None:
        if not isinstance(self.instructions, str):
            raise ReaderError(f"must be text, got {type(self.instructions).__name__}", field="instructions")
        if len(self.instructions) > MAX_INSTRUCTIONS:
            raise LimitError(f"focus instructions are {len(self.instructions):,} characters; the platform "
                             f"limit is {MAX_INSTRUCTIONS:,}. Shorten them or move detail into include/exclude.",
                             field="instructions")
        for name in ("duplicate_bar", "conflict_bar", "support_bar"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ReaderError(f"must be between 0 and 1, got {value}", field=name)
        if not 0.0 <= self.questions_per_note <= 1.0:
            raise ReaderError(f"must be between 0 and 1 (0.1: one question per 10 notes), got {self.questions_per_note}",
                              field="questions_per_note")
        if self.horizon_days < 0 or self.min_sessions < 1:
            raise ReaderError("horizon_days must be ≥ 0 and min_sessions ≥ 1", field="horizon_days")
        if self.max_sessions is not None and not 1 <= self.max_sessions <= MAX_SESSIONS:
            raise LimitError(f"max_sessions must be between 1 and {MAX_SESSIONS}", field="max_sessions")
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ReaderError(f"unknown operation kinds {sorted(unknown)}; use {', '.join(KINDS)}", field="kinds")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                setattr(self, name, iso(parse_time(value, field_name=name)))

    # -- what the instructions say ---------------------------------------------------------------
    @property
    def compiled(self) -> Compiled:
        """Everything the instructions compile to, removed scopes included (for display)."""
        return compile_text(self.instructions)

    @property
    def active_scopes(self) -> tuple[Scope, ...]:
        """The compiled scopes in force: none when compiling is off, and never a removed one."""
        if not self.compile_instructions:
            return ()
        return _active(self.instructions, tuple(self.removed_scopes))

    @property
    def scopes(self) -> Scopes:
        """The knobs merged with the active compiled scopes (knob weights win)."""
        removed = tuple(self.removed_scopes) if self.compile_instructions else None
        return _merged(tuple(self.protect), tuple(self.include), tuple(self.exclude),
                       tuple(sorted(self.weights.items())), self.instructions, removed, tuple(self.forget))

    @property
    def contradictions(self) -> list[str]:
        """Scopes and knobs that cannot all hold, and which one wins (see the module docstring)."""
        settings = [Scope(kind, target, source=f"setting {kind}")
                    for kind, targets in (("protect", self.protect), ("include", self.include),
                                          ("exclude", [*self.exclude, *self.forget])) for target in targets]
        settings += [Scope("weight", t, value=w, source="setting weights") for t, w in self.weights.items()]
        out = find_contradictions([*settings, *self.active_scopes])
        for name, kind, default, unit in _KNOBS:
            scope, knob = pick(self.active_scopes, kind), getattr(self, name)
            if scope is not None and knob != default and knob != scope.value:
                out.append(f"{name} is set to {knob}{' ' + unit if unit else ''} but the instructions say "
                           f"{scope.value} (“{scope.source}”): the setting wins")
        return list(dict.fromkeys(out))

    def without_scope(self, label: str) -> Focus:
        """A copy in which the compiled scope with this label stays removed (the tuner's ✕ button)."""
        return replace(self, removed_scopes=[*self.removed_scopes, label] if label not in self.removed_scopes
                       else list(self.removed_scopes))

    def resolved(self) -> Focus:
        """The knobs with the instructions folded in (by the precedence above); idempotent.

        Engines call this once and then read plain knobs: `scopes`, `horizon_days`, `min_sessions`,
        `max_sessions`, `since`, `until`, `kinds`. The text is kept; compiling is switched off.
        """
        if not self.compile_instructions:
            return replace(self)
        active, merged = self.active_scopes, self.scopes
        knobs: dict[str, Any] = {}
        for name, kind, default, _ in _KNOBS:
            scope, knob = pick(active, kind), getattr(self, name)
            knobs[name] = scope.value if scope is not None and knob == default else knob
        if knobs["max_sessions"] is not None:
            knobs["max_sessions"] = max(1, min(MAX_SESSIONS, int(knobs["max_sessions"])))
        off = {s.target for s in active if s.kind == "switch_off"}
        return replace(self, protect=list(merged.protect), include=list(merged.include), exclude=list(merged.exclude),
                       forget=list(merged.forget), weights=dict(merged.weights), kinds=[k for k in self.kinds if k not in off],
                       compile_instructions=False, **knobs)

    def describe(self) -> list[str]:
        """One line per scope in force, with where it came from: the instructions or a setting."""
        lines = [s.describe() for s in self.active_scopes]
        compiled = {s.label for s in self.active_scopes}
        for line in Scopes(tuple(self.protect), tuple(self.include), tuple(dict.fromkeys([*self.exclude, *self.forget])),
                           tuple(sorted(self.weights.items()))).describe():
            if line not in compiled:
                lines.append(f"{line}  ← setting")
        resolved = self.resolved()
        lines.append(f"in force: horizon {resolved.horizon_days} days · min support {resolved.min_sessions} sessions · "
                     f"sessions: {_sessions_text(resolved)} · kinds: {', '.join(resolved.kinds) or 'none'}")
        return lines

    # -- scoring ---------------------------------------------------------------------------------
    def weight(self, note: Note) -> float:
        """The priority weight of a note: the strongest matching weight, else 1."""
        hits = [w for topic, w in self.scopes.weights if matches(topic, note)]
        return max(hits, key=lambda w: abs(w - 1.0)) if hits else 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON data; `forget` only when set, so plans without it read as they always did."""
        data = asdict(self)
        if not data["forget"]:
            del data["forget"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Focus:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ReaderError(f"unknown focus setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)


def _sessions_text(focus: Focus) -> str:
    parts = [f"last {focus.max_sessions}" if focus.max_sessions else "",
             f"since {focus.since}" if focus.since else "", f"until {focus.until}" if focus.until else "",
             f"{len(focus.session_ids)} chosen" if focus.session_ids else ""]
    return ", ".join(p for p in parts if p) or "all"


def select_sessions(sessions: Sequence[Session], focus: Focus) -> list[Session]:
    """The sessions a dream reads under the focus (knobs and instructions); more than 100 is an
    error that says how to select."""
    focus = focus.resolved()
    chosen = list(sessions)
    if focus.session_ids:
        wanted = set(focus.session_ids)
        missing = wanted - {s.id for s in chosen}
        if missing:
            raise ReaderError(f"unknown session id(s): {', '.join(sorted(missing))}", field="session_ids")
        chosen = [s for s in chosen if s.id in wanted]
    if focus.since:
        since = parse_time(focus.since, field_name="since")
        chosen = [s for s in chosen if (s.ended_at or s.started_at) is None or (s.ended_at or s.started_at) >= since]
    if focus.until:
        until = parse_time(focus.until, field_name="until")
        chosen = [s for s in chosen if s.started_at is None or s.started_at <= until]
    chosen.sort(key=lambda s: (s.started_at is None, s.started_at or datetime.min, s.id))
    if focus.max_sessions is not None:
        chosen = chosen[-focus.max_sessions:]
    if len(chosen) > MAX_SESSIONS:
        raise LimitError(
            f"{len(chosen)} sessions given; a dream reads at most {MAX_SESSIONS}. Select them with "
            f"--max-sessions {MAX_SESSIONS} (the most recent), --since/--until DATE, or --session-ids ID ...",
            field="sessions",
        )
    return chosen


def chain_sessions(sessions: Sequence[Session], focus: Focus) -> list[list[Session]]:
    """The sessions under the focus, oldest first, in runs of at most 100: one dream per run.

    Within 100 sessions this is `select_sessions` (one run); beyond, the same filters (ids,
    since, until) apply to every session, and the runs are read by a chain of dreams.
    """
    try:
        chosen = select_sessions(sessions, focus)
    except LimitError:
        resolved = focus.resolved()
        pool = sorted(sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))
        if resolved.session_ids:
            wanted = set(resolved.session_ids)
            missing = wanted - {s.id for s in pool}
            if missing:
                raise ReaderError(f"unknown session id(s): {', '.join(sorted(missing))}", field="session_ids") from None
            pool = [s for s in pool if s.id in wanted]
        free = replace(resolved, session_ids=[], max_sessions=None)
        chosen = [s for start in range(0, len(pool), MAX_SESSIONS)
                  for s in select_sessions(pool[start:start + MAX_SESSIONS], free)]
    return [chosen[i:i + MAX_SESSIONS] for i in range(0, len(chosen), MAX_SESSIONS)]


__all__ = ["Focus", "Scopes", "KINDS", "MAX_INSTRUCTIONS", "compile_instructions", "matches", "select_sessions",
           "chain_sessions"]
