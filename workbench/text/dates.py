"""Dates in a text: found by pattern, resolved with dateparser against when the text was written,
and classified by the word that governs them (expiry, deadline, start or event)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from .words import tokens

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?(?:\s*,?\s+\d{{4}})?"
    rf"|{_MONTH}\.?\s+\d{{4}}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}"
    rf"|(?:next|this|last|coming)\s+(?:{_WEEKDAY}|week|month|year|quarter|weekend)"
    rf"|{_WEEKDAY}"
    r"|today|tonight|tomorrow|yesterday"
    r"|end\s+of\s+(?:the\s+|this\s+)?(?:day|week|month|year)"
    r"|\d{1,2}\.\d{1,2}\.\d{4}"  # 31.03.2026, day first
    r"|\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,12}\.?\s+(?:de\s+)?\d{4}"  # 5 janvier 2026, 5. März 2026, 5 de marzo de 2026
    r"|(?<![A-Za-z]-)(?<![#_])(?:19|20)\d{2})\b"  # a bare year, never the number of a ticket ("INC-2031", "#2024")
    r"|(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日",  # 2026年3月10日
    re.IGNORECASE,
)
# A span of days: "June 15-19", "March 23–27", "3–7 March" (a period that ends on its last day), never a date
# beside a version ("Dec 1 — 2.5.0 target").
_RANGE = re.compile(
    rf"\b(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*[-–—]\s*(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?![.,:]\d)"
    rf"|\b(?P<a1>\d{{1,2}})\s*[-–—]\s*(?P<a2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\b",
    re.IGNORECASE)
_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl"]
# The word before a date (or, in Japanese and Korean, the particle after it) says what the date does.
ROLES = {
    "expiry": ("until", "till", "til", "through", "thru", "expires", "expire", "expiring", "expired", "ends",
               "ending", "lasts", "valid through", "good through", "up to",
               "bis", "jusqu'au", "jusqu'à", "jusqu", "hasta", "fino al", "fino a", "até", "tot", "t/m", "до"),
    "deadline": ("by", "due", "deadline", "spätestens", "avant le"),
    "start": ("since", "from", "starting", "starts", "started", "effective", "after", "beginning", "begins",
              "began", "as of", "onwards", "seit", "ab", "depuis", "desde", "dal", "dalla", "sinds", "vanaf", "с"),
}
_AFTER = {"まで": "expiry", "までに": "deadline", "까지": "expiry", "から": "start", "부터": "start"}
_PAST = frozenset("was were had did used".split())
_PRESENT = frozenset("is are am be stays stay remains remain will shall has have 's 're".split())


_CALENDAR = re.compile(
    rf"\b(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})(?![T\d])"
    rf"|(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,\s*|\s+)(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\.?(?:\s*,\s*|\s+)(?P<y2>\d{{4}}))\b",
    re.IGNORECASE)
_MONTH_NUMBER = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


@lru_cache(maxsize=200_000)
def calendar_dates(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, "YYYY-MM-DD") of every date a text writes out in full, in any of the usual forms
    ("2031-04-18", "18 April 2031", "April 18th, 2031"): one value however it is written."""
    out = []
    for m in _CALENDAR.finditer(text):
        if m["iso"]:
            iso = m["iso"]
        else:
            month, day, year = (m["m1"], m["d1"], m["y1"]) if m["m1"] else (m["m2"], m["d2"], m["y2"])
            iso = f"{year}-{_MONTH_NUMBER[month[:3].lower()]:02d}-{int(day):02d}"
        try:
            datetime.strptime(iso, "%Y-%m-%d")
        except ValueError:
            continue
        out.append((m.start(), m.end(), iso))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date in a text, resolved against when the text was written, with its role."""

    text: str
    start: int
    end: int
    when: datetime | None
    role: str  # expiry | deadline | start | event
    past_tense: bool


def _role(before: str, after: str = "") -> str:
    following = next((role for cue, role in sorted(_AFTER.items(), key=lambda kv: -len(kv[0]))
                      if after.startswith(cue)), None)
    if following:
        return following
    words = re.findall(r"[\w'/]+", before.lower().replace("’", "'"))[-2:]
    for role, cues in ROLES.items():
        for cue in cues:
            parts = cue.split()
            if words[-len(parts):] == parts:
                return role
    return "event"


def _past_tense(clause: str) -> bool:
    """A clause told in the past ("worked there until 2019"): its dates describe history."""
    words = [t.text.lower().replace("’", "'") for t in tokens(clause) if t.kind == "word"]
    if any(w in _PAST for w in words):
        return True
    for previous, word in zip(["", *words], words):
        if len(word) > 4 and word.endswith("ed") and previous not in _PRESENT and previous not in ("been", "being", "get", "gets"):
            return True
    return False


@lru_cache(maxsize=50_000)
def _resolve(span: str, written: datetime, future: bool) -> datetime | None:
    import dateparser

    settings = {"RELATIVE_BASE": written.replace(tzinfo=None), "RETURN_AS_TIMEZONE_AWARE": False,
                "PREFER_DATES_FROM": "future" if future else "past", "PREFER_DAY_OF_MONTH": "first"}
    span = re.sub(r"^(?:this|coming)\s+", "", span, flags=re.IGNORECASE)
    span = re.sub(r"^end\s+of\s+(?:the\s+)?", "", span, flags=re.IGNORECASE)
    try:
        when = dateparser.parse(span, languages=_LANGUAGES, settings=settings)
    except Exception:  # noqa: BLE001 - dateparser raises many kinds on odd input; a date we cannot read is none
        return None
    return when.replace(tzinfo=timezone.utc) if when else None


@lru_cache(maxsize=200_000)  # pure; the planner reads each note's dates again at every new horizon
def find_dates(text: str, written: datetime) -> tuple[DateMention, ...]:
    """Every date in `text` with its role (expiry, deadline, start, event) and whether it is told in the past."""
    out = []
    ranges = list(_RANGE.finditer(text))
    matches = [m for m in _DATE.finditer(text) if not any(r.start() <= m.start() < r.end() for r in ranges)]
    if not matches and not ranges:
        return ()
    clauses = [(m.start(), m.end()) for m in re.finditer(r"[^.;!?\n]+", text)]
    for found in ranges:  # a period: it holds until its last day
        month, last = (found.group("m1"), found.group("d2")) if found.group("m1") else (found.group("m2"), found.group("a2"))
        clause = next((text[a:b] for a, b in clauses if a <= found.start() < b), text)
        out.append(DateMention(found.group(0), found.start(), found.end(), _nearest(f"{month} {last}", written),
                               "expiry", _past_tense(clause)))
    for match in matches:
        before = text[max(0, match.start() - 24):match.start()]
        role = _role(before, text[match.end():match.end() + 4].lstrip())
        clause = next((text[a:b] for a, b in clauses if a <= match.start() < b), text)
        when = _when(match.group(0), written, role)
        out.append(DateMention(match.group(0), match.start(), match.end(), when, role, _past_tense(clause)))
    return tuple(sorted(out, key=lambda m: m.start))


def _nearest(span: str, written: datetime) -> datetime | None:
    """The date a day and month without a year names that lies nearest to when the text was written."""
    found = [d for d in (_resolve(span, written, True), _resolve(span, written, False)) if d is not None]
    return min(found, key=lambda d: abs((d - written).total_seconds())) if found else None


def _when(span: str, written: datetime, role: str) -> datetime | None:
    """The date a span names; a bare year or "end of the month" as the period's last day when it bounds."""
    words = span.lower().split()
    bounding = role in ("expiry", "deadline")
    numeric = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", span) or re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", span)
    if numeric:
        return _numeric(numeric, written)
    if words[0] == "end":
        return _period_end(words[-1], written)
    if re.fullmatch(r"\d{4}", span):
        return datetime(int(span), 12, 31, tzinfo=timezone.utc) if bounding else \
            datetime(int(span), 1, 1, tzinfo=timezone.utc)
    when = _resolve(span, written, future=bounding)
    if bounding and when is not None and when - written > _AHEAD and not re.search(r"\d{4}", span):
        return _resolve(span, written, future=False) or when  # "by Nov 1" written on Dec 7: the one just past
    return when


# A bound without a year ("by Nov 1", "until March 3") is the next such day, unless that is further ahead than this:
# then the one just past (a note written on 7 December about "by Nov 1" meant the Nov 1 five weeks ago).
_AHEAD = timedelta(days=183)


def _numeric(match: re.Match, written: datetime) -> datetime | None:
    """31.03.2026 (day first) or 2026年3月10日 (year optional)."""
    parts = match.groups()
    try:
        if "年" in match.group(0) or "月" in match.group(0):
            year = int(parts[0]) if parts[0] else written.year
            return datetime(year, int(parts[1]), int(parts[2]), tzinfo=timezone.utc)
        return datetime(int(parts[2]), int(parts[1]), int(parts[0]), tzinfo=timezone.utc)
    except ValueError:
        return None


def _period_end(period: str, written: datetime) -> datetime:
    day = written.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day + timedelta(days=6 - day.weekday())
    if period == "month":
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if period == "year":
        return day.replace(month=12, day=31)
    return day
