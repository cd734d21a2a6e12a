"""What texts say about time and durability: statements in turns, temporary notes, failures.

Pure text functions over records; the analysis embeds and relates what they find. The cue
lexicons are small and readable on purpose: every operation that depends on one names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .records import Session

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])|\n+")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_LEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|so|also|actually|oh|and|btw|by the way|fyi|heads up|quick note|just so you know|"
    r"note that|remember that|please remember that|please note|one more thing|for the record|for future reference|"
    r"yeah|yes|no|right|hmm|well|great|thanks|thank you)[,:!.]?\s+)+",
    re.IGNORECASE,
)

FACT_CUES: dict[str, tuple[str, ...]] = {
    "preference": ("i prefer", "i like", "i want", "i'd rather", "i would rather", "i hate", "i don't like",
                   "prefers", "please always", "please never", "please don't", "please do not", "please use",
                   "don't ", "do not ", "never ", "always ", "i always", "i never"),
    "correction": ("actually", "that's wrong", "that is wrong", "not quite", "no, ", "wrong,", "that's not right",
                   "you keep", "again you", "stop "),
    "decision": ("we decided", "we're going with", "we are going with", "we switched", "we moved", "we migrated",
                 "we now", "we use", "we're using", "we are using", "from now on", "going forward", "we agreed",
                 "the plan is", "we standardized", "we renamed", "we upgraded", "is now", "are now", "we no longer",
                 "we bumped", "we dropped", "we retired", "moved to", "took over", "switched to"),
    "ownership": (" owns ", " is responsible for", " maintains ", " is on call", " on-call", " ask ", " reviews ",
                  " is the owner", " took over", " handles "),
    "environment": (" runs on ", " is hosted", " lives in ", " lives at ", " host is", " version ", " port ",
                    " is at ", " deploys to", " deployed to", " staging", " production", " database "),
    "remember": ("remember", "keep in mind", "for future reference", "note that", "make sure", "make a note"),
}
DURABLE_CUES = (
    "always", "never", "prefer", "want", "like", "dislike", "use", "uses", "owns", "owner", "responsible",
    "maintain", "default", "convention", "policy", "must", "should", "require", "runs on", "hosted",
    "lives", "deploy", "rule", "every", "standard", "style", "is on", "reviews", "handles", "contact",
)
EPISODIC_CUES = (
    "yesterday", "today", "tonight", "last week", "last night", "this morning", "this afternoon", " once",
    "one-off", "one off", "incident", "outage", "debugging", "debugged", "stack trace", "traceback",
    "was failing", "were failing", "hotfix", "during the session", "at the time", "that day",
    "happened", "was down", "crashed", "spent the", "fixed it", "fixed the", "turned out", "root cause",
    "regression", "shows up as",
)
SMALL_TALK = (
    "lunch", "breakfast", "dinner", "coffee", "sandwich", "pizza", "weather", "rain", "sunny", "snow",
    "limerick", "haiku", "poem", "joke", "birthday", "weekend plans", "vacation photos", "movie", "tv show",
    "football", "soccer", "cat ", "dog ", "hungry", "tired today",
)
TEMPORARY = (
    ("for this sprint", 21), ("this sprint", 21), ("for now", 45), ("temporarily", 45), ("temporary", 45),
    ("this week", 10), ("today", 3), ("tonight", 2), ("tomorrow", 4), ("until further notice", 60),
    ("for the time being", 45), ("during the freeze", 30), ("for the next few days", 7),
    ("for the next couple of weeks", 21), ("this release", 30),
)
MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_UNTIL = re.compile(
    r"\b(?:until|till|through|before|by|expires?)\s+(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"(?:(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"(?:FAILED|ERROR)\s+(?P<test>[\w/.\-]+::[\w\[\]\-.:]+)"
    r"|(?P<exc>\b[A-Z]\w*(?:Error|Exception|Timeout)\b):\s+(?P<msg>[^\n]{0,80})",
)


@dataclass(frozen=True, slots=True)
class Statement:
    """A sentence of a turn; `kind` is set when it states a durable fact (or a failure)."""

    id: str
    session_id: str
    turn_id: str
    role: str
    text: str
    at: datetime | None
    kind: str = ""


def sentences(text: str) -> list[str]:
    """Sentences and list items of a text, markers stripped, empty ones dropped."""
    out = []
    for piece in _SPLIT.split(text):
        piece = _MARKER.sub("", piece).strip()
        if len(piece.split()) >= 3:
            out.append(piece)
    return out


def fact_kind(sentence: str) -> str:
    """The kind of durable fact a user sentence states, or "" for ordinary talk."""
    lowered = " " + re.sub(r"[^\w'#@./`-]+", " ", sentence.lower().replace("’", "'")) + " "
    if sentence.rstrip().endswith("?") or len(sentence.split()) > 60:
        return ""
    for kind, cues in FACT_CUES.items():
        if any(cue in lowered for cue in cues):
            return kind
    return "decision" if re.search(r"\bnow\s*[.,;!]?\s*$", lowered.strip()) else ""


def clean_fact(sentence: str) -> str:
    """A stated fact as a memory note: discourse openers dropped, capitalised, one period."""
    text = _LEAD.sub("", sentence.strip()).strip(" -–—")
    text = re.sub(r"^please\s+", "", text, flags=re.IGNORECASE)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "`", ")")) else text + "."


def extract_statements(sessions: Iterable[Session]) -> list[Statement]:
    """Every sentence of user and agent turns, plus failure signatures from tool output."""
    out: list[Statement] = []
    for session in sessions:
        for turn in session.turns:
            if turn.role == "tool":
                for number, signature in enumerate(failure_signatures(turn.text)):
                    out.append(Statement(f"{turn.id}~f{number}", session.id, turn.id, "tool", signature,
                                         turn.at or session.started_at, "failure"))
                continue
            if turn.role not in ("user", "agent"):
                continue
            for number, sentence in enumerate(sentences(turn.text)):
                kind = fact_kind(sentence) if turn.role == "user" else ""
                out.append(Statement(f"{turn.id}~{number}", session.id, turn.id, turn.role, sentence,
                                     turn.at or session.started_at, kind))
    return out


def failure_signatures(text: str) -> list[str]:
    """Normalised failures in tool output: failing test ids and exception lines."""
    found: list[str] = []
    for match in _FAILURE.finditer(text):
        if match.group("test"):
            name = re.sub(r"\[.*$", "", match.group("test").rsplit("::", 1)[-1])
            signature = f"{name} failed"
        else:
            message = re.sub(r"\d+(\.\d+)?", "N", match.group("msg")).strip()
            signature = f"{match.group('exc')}: {message}"
        if signature not in found:
            found.append(signature)
    return found


def has_cue(text: str, cues: Iterable[str]) -> str:
    """The first cue found in `text` (lower-cased, padded with spaces), or ""."""
    lowered = " " + text.lower() + " "
    return next((cue for cue in cues if cue in lowered), "")


_DATE = re.compile(r"\b(?:(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
                   r"(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?|(?P<iso>\d{4}-\d{2}-\d{2}))\b", re.IGNORECASE)
_BOUND = re.compile(r"\b(?:until|till|through|ends?|target|expected|deadline|after|before)\b", re.IGNORECASE)


def dated(text: str) -> bool:
    """True when a text names a calendar date (an episodic sign)."""
    return bool(_DATE.search(text))


_RANGE = re.compile(r"\b(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\s*(?:-|–|to|through)\s*"
                    r"(?P<day>\d{1,2})\b(?:,?\s+(?P<year>\d{4}))?", re.IGNORECASE)
_ONE_DAY = re.compile(r"\b(?:that day|on that day|for the day|is down|are down|is out|are out|is off)\b", re.IGNORECASE)


def _until(text: str, written: datetime) -> datetime | None:
    match = _UNTIL.search(text) or _RANGE.search(text)
    if not match and (_BOUND.search(text) or _ONE_DAY.search(text)):
        match = max(_DATE.finditer(text), key=lambda m: m.start(), default=None)
    if not match:
        return None
    try:
        if match.groupdict().get("iso"):
            return datetime.fromisoformat(match.group("iso")).replace(tzinfo=timezone.utc)
        month = MONTHS.get(match.group("month").lower())
        if month is None:
            return None
        year = int(match.group("year") or written.year)
        day = datetime(year, month, int(match.group("day")), tzinfo=timezone.utc)
        if not match.group("year") and day < written - timedelta(days=200):
            day = day.replace(year=year + 1)
        return day
    except ValueError:
        return None


def expiry(text: str, written: datetime) -> tuple[datetime, str] | None:
    """When a note that is temporary by its own words stops holding, and the words that say so."""
    until = _until(text, written)
    if until is not None:
        found = _UNTIL.search(text) or _RANGE.search(text) or max(_DATE.finditer(text), key=lambda m: m.start())
        return until, found.group(0)
    lowered = text.lower()
    for phrase, days in TEMPORARY:
        if re.search(r"\b" + re.escape(phrase) + r"\b", lowered):
            return written + timedelta(days=days), phrase
    return None
