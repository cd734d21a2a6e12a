"""Focus: the instructions that steer a dream, the knobs widgets set, and the scopes they compile to.

The free text is used twice. It is scored against notes (embedding similarity plus the keywords
it names), and its imperative phrases compile into checkable scopes a person can read and
correct::

    "Never touch /people/. Only coding style. Ignore one-off debugging notes.
     Prioritize client preferences over general task patterns."
    → protect ['/people/'], include ['coding style'], exclude ['one-off debugging'],
      weights {'client preferences': 2.0, 'general task patterns': 0.5}

`check(plan, focus)` lists every operation that breaks them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .compare import STOP, stem
from .errors import LimitError, ReaderError
from .records import MAX_SESSIONS, Note, Session, iso, parse_time

if TYPE_CHECKING:
    from .dream.plan import Operation, Plan

MAX_INSTRUCTIONS = 4096
KINDS = ("merge", "update", "delete", "create")
GENERIC = frozenset("note notes memory memories entry entries stuff thing things fact facts info information "
                    "item items detail details anything everything topic topics".split())

_SENTENCE = re.compile(r"(?<=[.!?;\n])\s*")
_PROTECT = re.compile(r"\b(?:never|don'?t|do not)\s+(?:touch|change|modify|edit|delete|rewrite|prune|merge)\s+(?P<x>.+)"
                      r"|\b(?:leave|keep)\s+(?P<y>.+?)\s+(?:alone|as is|untouched|unchanged)\b", re.IGNORECASE)
_INCLUDE = re.compile(r"^\s*(?:only|focus (?:only )?on|limit (?:it |yourself )?to|restrict (?:it )?to|just)\s+(?P<x>.+)",
                      re.IGNORECASE)
_EXCLUDE = re.compile(r"\b(?:ignore|skip|exclude|drop|forget|remove|discard|prune)\s+(?:all\s+|any\s+|the\s+)?(?P<x>.+)",
                      re.IGNORECASE)
_PRIORITY = re.compile(r"\b(?:prioriti[sz]e|favou?r|prefer|emphasi[sz]e|put)\s+(?P<x>.+?)"
                       r"(?:\s+(?:over|above|before|rather than|ahead of)\s+(?P<y>.+))?$", re.IGNORECASE)
_MATTERS = re.compile(r"^(?P<x>.+?)\s+(?:matters?|are|is) (?:most|more important)\b", re.IGNORECASE)


def _topic(text: str) -> str:
    return re.sub(r"[\s.!,;:]+$", "", re.sub(r"^(?:the|any|all|my|our)\s+", "", text.strip(), flags=re.I)).strip(" \"'`")


@dataclass(frozen=True)
class Scopes:
    """What the instructions and knobs allow: paths and topics to protect, include, exclude, weigh."""

    protect: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    weights: tuple[tuple[str, float], ...] = ()

    def describe(self) -> list[str]:
        lines = [f"protect: {p}" for p in self.protect] + [f"include only: {p}" for p in self.include]
        lines += [f"exclude: {p}" for p in self.exclude] + [f"weight {w:g}: {t}" for t, w in self.weights]
        return lines


def compile_instructions(text: str) -> Scopes:
    """Turn "never touch …", "only …", "ignore …", "prioritize X over Y" phrases into scopes."""
    protect: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    weights: dict[str, float] = {}
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        for clause in re.split(r",\s*(?:and\s+|but\s+)?|\s+but\s+|\s+and then\s+", sentence):
            if (m := _PROTECT.search(clause)):
                protect.append(_topic(m.group("x") or m.group("y")))
            elif (m := _INCLUDE.search(clause)):
                include.append(_topic(m.group("x")))
            elif (m := _EXCLUDE.search(clause)):
                exclude.append(_topic(m.group("x")))
            elif (m := _PRIORITY.search(clause)):
                weights[_topic(m.group("x"))] = 2.0
                if m.group("y"):
                    weights[_topic(m.group("y"))] = 0.5
            elif (m := _MATTERS.search(clause)):
                weights[_topic(m.group("x"))] = 2.0
    clean = lambda items: tuple(dict.fromkeys(i for i in items if i))  # noqa: E731
    return Scopes(clean(protect), clean(include), clean(exclude), tuple((t, w) for t, w in weights.items() if t))


def topic_words(topic: str) -> frozenset[str]:
    """The stemmed keywords a topic matches on (generic words like 'notes' dropped)."""
    words = re.findall(r"[\w\-]+", topic.lower())
    keep = {stem(w) for w in words if w not in STOP and w not in GENERIC and len(w) > 1}
    keep |= {stem(part) for w in words if "-" in w for part in w.split("-") if part not in STOP and len(part) > 2}
    return frozenset(keep)


def matches(topic: str, note: Note) -> bool:
    """True when a note falls under a topic: a path glob (`/people/`, `/clients/*.md`) or keywords."""
    if topic.startswith("/"):
        pattern = topic + "*" if topic.endswith("/") else topic
        return fnmatch.fnmatchcase(note.path, pattern) or note.path.startswith(topic.rstrip("*"))
    words = topic_words(topic)
    if not words:
        return False
    haystack = {stem(w) for w in re.findall(r"[\w\-]+", f"{note.path} {note.section} {note.text}".lower())}
    haystack |= {stem(p) for w in list(haystack) for p in re.split(r"[-/_.]", w) if len(p) > 2}
    hits = len(words & haystack)
    return hits >= (1 if len(words) <= 2 else 2)


@dataclass
class Focus:
    """Instructions text plus knobs; serializable and stored in every plan.

    Bars left as None take the embedder's defaults. `max_sessions`, `since`, `until` and
    `session_ids` choose which sessions a dream reads (at most 100, as on the platform).
    """

    instructions: str = ""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    protect: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    duplicate_bar: float | None = None
    conflict_bar: float | None = None
    support_bar: float | None = None
    horizon_days: int = 120
    min_sessions: int = 2
    max_sessions: int | None = None
    since: str | None = None
    until: str | None = None
    session_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    prune_low_value: bool = True
    compile_instructions: bool = True

    def __post_init__(self) -> None:
        if len(self.instructions) > MAX_INSTRUCTIONS:
            raise LimitError(f"focus instructions are {len(self.instructions):,} characters; the platform "
                             f"limit is {MAX_INSTRUCTIONS:,}. Shorten them or move detail into include/exclude.",
                             field="instructions")
        for name in ("duplicate_bar", "conflict_bar", "support_bar"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ReaderError(f"must be between 0 and 1, got {value}", field=name)
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

    @property
    def scopes(self) -> Scopes:
        """The explicit knobs merged with what the instructions compile to."""
        compiled = compile_instructions(self.instructions) if self.compile_instructions else Scopes()
        weights = dict(compiled.weights)
        weights.update(self.weights)
        join = lambda a, b: tuple(dict.fromkeys([*a, *b]))  # noqa: E731
        return Scopes(join(self.protect, compiled.protect), join(self.include, compiled.include),
                      join(self.exclude, compiled.exclude), tuple(sorted(weights.items())))

    def weight(self, note: Note) -> float:
        """The priority weight of a note: the strongest matching weight, else 1."""
        hits = [w for topic, w in self.scopes.weights if matches(topic, note)]
        return max(hits, key=lambda w: abs(w - 1.0)) if hits else 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Focus:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ReaderError(f"unknown focus setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)


def select_sessions(sessions: Sequence[Session], focus: Focus) -> list[Session]:
    """The sessions a dream reads under the focus; more than 100 is an error that says how to select."""
    chosen = list(sessions)
    if focus.session_ids:
        wanted = set(focus.session_ids)
        missing = wanted - {s.id for s in chosen}
        if missing:
            raise ReaderError(f"unknown session id(s): {', '.join(sorted(missing))}", field="session_ids")
        chosen = [s for s in chosen if s.id in wanted]
    if focus.since:
        since = parse_time(focus.since)
        chosen = [s for s in chosen if (s.ended_at or s.started_at) is None or (s.ended_at or s.started_at) >= since]
    if focus.until:
        until = parse_time(focus.until)
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


@dataclass(frozen=True)
class Violation:
    """An operation that breaks a scope."""

    operation: str
    scope: str
    detail: str


def _touched_notes(op: Operation) -> Iterable[Note]:
    for target in op.targets:
        yield target.as_note()
    if op.result is not None:
        yield op.result.as_note()


def check(plan: Plan, focus: Focus | None = None) -> list[Violation]:
    """Every operation of `plan` that breaks the focus's scopes (protected, excluded, out of include)."""
    focus = focus or plan.focus
    scopes = focus.scopes
    out: list[Violation] = []
    for op in plan.operations:
        touched = list(_touched_notes(op))
        for topic in scopes.protect:
            hit = next((n for n in touched if matches(topic, n)), None)
            if hit is not None:
                out.append(Violation(op.id, f"protect: {topic}", f"{op.kind} touches {hit.path}: {hit.text[:60]}"))
        if op.kind not in focus.kinds:
            out.append(Violation(op.id, f"kinds: {', '.join(focus.kinds)}", f"{op.kind} operations are switched off"))
        if scopes.include and op.reason != "off_focus":
            outside = [n for n in touched if not any(matches(t, n) for t in scopes.include)]
            if outside:
                out.append(Violation(op.id, f"include: {', '.join(scopes.include)}",
                                     f"{op.kind} touches {outside[0].path}: {outside[0].text[:60]}"))
        if op.kind == "create" and op.result is not None:
            for topic in scopes.exclude:
                if matches(topic, op.result.as_note()):
                    out.append(Violation(op.id, f"exclude: {topic}", f"creates an excluded note: {op.result.text[:60]}"))
    return out
