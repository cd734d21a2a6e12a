"""Knob phrases: durations set the horizon, counts the minimum support, dates and "last N" the sessions."""

from __future__ import annotations

import bisect
import re
from datetime import date

from ..text import Token
from ._lexicon import _CONTEXT_WORDS, _INSIGHT_WORDS, _MONTHS, _REMOVAL_WORDS, _SESSION_WORDS
from ._reading import _Reading
from ._records import _Clause

# -- knob phrases: durations, counts, dates ----------------------------------------------------------
DAYS_PER = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
UNIT_NOTE = {"month": "a month counts as 30 days", "quarter": "a quarter counts as 90 days",
             "year": "a year counts as 365 days"}
_N = r"(?P<n{t}>\d+(?:\.\d+)?|an?|a couple of|a few|half an?|half of an?)"
_U = r"(?P<u{t}>days?|weeks?|fortnights?|months?|quarters?|years?|yrs?|wks?|d)"
_SESS = r"(?:sessions?|conversations?|transcripts?|chats?)"
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _dur(tag: str) -> str:
    return _N.format(t=tag) + r" (?:- )?" + _U.format(t=tag)


def _date(tag: str) -> str:
    return (rf"(?P<iso{tag}>\d{{4}}-\d\d-\d\d\S*)"
            rf"|(?P<m{tag}>{_MONTH})(?: \.)? (?P<d{tag}>\d{{1,2}})(?: (?:st|nd|rd|th))?(?: ,)? (?P<y{tag}>\d{{4}})"
            rf"|(?P<e{tag}>\d{{1,2}})(?: (?:st|nd|rd|th))? (?:of )?(?P<f{tag}>{_MONTH})(?: \.)?(?: ,)? (?P<g{tag}>\d{{4}})"
            rf"|(?P<h{tag}>{_MONTH})(?: \.)?(?: ,)? (?P<k{tag}>\d{{4}})")


_AGE_OLD = [re.compile(p) for p in (
    rf"\b(?:older than|more than|over|longer than|at least|beyond) {_dur('')}(?: old| ago)?\b",
    rf"\b{_dur('')}(?: old)? or (?:older|more|earlier|longer)\b",
    rf"\b(?:not|never|\S+n't|no longer)(?: \S+){{0,4}} (?:updated|touched|mentioned|used|seen|referenced|edited|"
    rf"changed|modified|confirmed|accessed|discussed|needed|revisited|read)(?: in| for| within| during| over)"
    rf"(?: the)?(?: last| past| previous)? {_dur('')}\b",
    rf"\b(?:\S+ )?(?:more than|over|at least) {_dur('')} ago\b",
    rf"\b{_dur('')} ago or (?:more|earlier|older)\b",
    rf"\bafter {_dur('')}\b",
)]
_AGE_NEW = [re.compile(p) for p in (
    rf"\b(?:newer|younger|fresher|more recent) than {_dur('')}\b",
    rf"\b(?:less than|under|fewer than|not yet) {_dur('')} old\b",
    rf"\b(?:from|in|within|during|over) (?:the )?(?:last|past|previous) {_dur('')}\b",
    rf"\bwithin {_dur('')}\b",
)]
_HORIZON = re.compile(rf"\b(?:staleness horizon|horizon|staleness|stale after|expire after|expiry)"
                      rf"(?: (?:of|is|to|at|=|:|should|be|set|after))* (?:{_dur('')}|(?P<bare>\d+))\b")
_SUPPORT = [re.compile(p) for p in (
    rf"\b(?P<lo>at least|a minimum of|minimum of|minimum|min|no fewer than|no less than|not fewer than|"
    rf"not less than) {_N.format(t='')} (?:different |separate |distinct |independent )?(?:{_SESS}|times)\b",
    rf"\b{_N.format(t='')} (?:\+ |or more )(?:different |separate |distinct |independent )?(?:{_SESS}|times)\b",
    rf"\b(?P<more>more than|over) {_N.format(t='')} (?:different |separate |distinct )?(?:{_SESS}|times)\b",
    rf"\b(?:fewer|less) than {_N.format(t='')} (?:different |separate |distinct )?(?:{_SESS}|times)\b",
    rf"\b(?:min(?:imum)? support|support)(?: of| is| to| at| =| :)* {_N.format(t='')}\b(?: {_SESS})?",
    r"\b(?:at least |more than )?(?P<tw>twice|thrice)\b",
)]
_LAST = [re.compile(p) for p in (
    rf"\b(?P<allbut>all but )?(?:the )?(?:last|latest|most recent|newest|final|past|previous|recent) "
    rf"{_N.format(t='')} {_SESS}",
    rf"\b(?P<allbut>all but )?(?:the )?{_N.format(t='')} (?:most recent|latest|last|newest|recent|previous) {_SESS}",
)]
_SINCE = re.compile(rf"\b(?:since|after|from|starting(?: from| on)?|beginning|on or after)(?: on)? (?:{_date('')})")
_UNTIL = re.compile(rf"\b(?:before|until|till|til|up to|up until|through|thru|prior to|by|no later than|to)"
                    rf"(?: on)? (?:{_date('')})")
_BETWEEN = re.compile(rf"\bbetween (?:{_date('1')}) (?:and|to|-) (?:{_date('2')})")
_DURING = re.compile(rf"\b(?:in|during) (?P<h>{_MONTH})(?: ,)? (?P<k>\d{{4}})")


def _count(match: re.Match[str], tag: str = "") -> tuple[float, str]:
    """The number a match names, and a note when a vague word was read as a number."""
    raw = match.group(f"n{tag}")
    if raw in ("a", "an"):
        return 1, ""
    if raw == "a couple of":
        return 2, ""
    if raw == "a few":
        return 3, "read “a few” as 3"
    if raw.startswith("half"):
        return 0.5, ""
    return float(raw), ""


def _days(match: re.Match[str], tag: str = "") -> tuple[int, str]:
    count, note = _count(match, tag)
    raw_unit = match.group(f"u{tag}")
    unit = {"d": "day", "wk": "week", "wks": "week", "yr": "year", "yrs": "year"}.get(raw_unit, raw_unit.rstrip("s"))
    days = round(count * DAYS_PER[unit])
    conversion = ""
    if unit in UNIT_NOTE:
        conversion = UNIT_NOTE[unit] if count == 1 else f"{count:g} {unit}s = {days} days: {UNIT_NOTE[unit]}"
    return days, "; ".join(n for n in (note, conversion) if n)


def _parse_date(m: re.Match[str], tag: str = "", end_of_month: bool = False) -> str | None:
    g = m.groupdict()
    try:
        if g.get(f"iso{tag}"):
            return date.fromisoformat(g[f"iso{tag}"][:10]).isoformat()
        if g.get(f"m{tag}"):
            return date(int(g[f"y{tag}"]), _MONTHS[g[f"m{tag}"]], int(g[f"d{tag}"])).isoformat()
        if g.get(f"f{tag}"):
            return date(int(g[f"g{tag}"]), _MONTHS[g[f"f{tag}"]], int(g[f"e{tag}"])).isoformat()
        year, month = int(g[f"k{tag}"]), _MONTHS[g[f"h{tag}"]]
    except (ValueError, KeyError, TypeError):
        return None
    if not end_of_month:
        return date(year, month, 1).isoformat()
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1).isoformat()


class _Text:
    """A clause's tokens as one normalized string, so knob patterns can be regular expressions."""

    def __init__(self, tokens: list[Token]) -> None:
        parts: list[str] = []
        self.starts: list[int] = []
        pos = 0
        for t in tokens:
            if t.kind == "num":
                norm = str(int(t.value)) if t.value is not None and t.value == int(t.value) else t.norm
            elif t.kind in ("path", "quote"):
                norm = f"§{t.kind}"
            else:
                norm = t.norm
            self.starts.append(pos)
            parts.append(norm)
            pos += len(norm) + 1
        self.string = " ".join(parts)
        self.used: set[int] = set()

    def tokens_of(self, match: re.Match[str]) -> range:

        first = bisect.bisect_right(self.starts, match.start()) - 1
        last = bisect.bisect_right(self.starts, match.end() - 1) - 1
        return range(first, last + 1)

    def take(self, pattern: re.Pattern[str]) -> list[tuple[re.Match[str], range]]:
        """Matches of a pattern over tokens no earlier pattern took; their tokens are taken."""
        out = []
        for m in pattern.finditer(self.string):
            span = self.tokens_of(m)
            if not self.used.intersection(span):
                self.used.update(span)
                out.append((m, span))
        return out




def _knob_scopes(clause: _Clause, knobs: _Text, reading: _Reading, norms: list[str]) -> set[str]:
    """Add the horizon, min support and session scopes a clause names; return what was found."""
    found: set[str] = set()
    last = len(clause.tokens) - 1
    effect = reading.effect
    removal = effect == "exclude" or reading.verb == "stale" or bool(_REMOVAL_WORDS.intersection(norms))
    for m, _ in knobs.take(_HORIZON):
        days, note = _days(m) if m.group("u") else (int(m.group("bare")), "")
        clause.add("horizon", 0, last, value=days, note=note)
        found.add("horizon")
    for pattern in _AGE_OLD:
        for m, _ in knobs.take(pattern):
            if removal:
                days, note = _days(m)
                clause.add("horizon", 0, last, value=days, note=note)
                found.add("age")
            else:
                clause.unclear = ("an age limit sets the horizon only for what may be pruned: say “prune anything "
                                  "older than N days” or “keep anything newer than N days”")
                found.add("unclear")
    for pattern in _AGE_NEW:
        for m, _ in knobs.take(pattern):
            if effect == "protect":
                days, note = _days(m)
                clause.add("horizon", 0, last, value=days, note=note)
                found.add("recent")
            else:
                clause.unclear = "“newer than N days” sets the horizon only with keep / never delete"
                found.add("unclear")
    _support_scopes(clause, knobs, reading, norms, found)
    _session_scopes(clause, knobs, reading, norms, found)
    return found


def _support_scopes(clause: _Clause, knobs: _Text, reading: _Reading, norms: list[str], found: set[str]) -> None:
    last = len(clause.tokens) - 1
    about_insights = reading.verb == "distill" or bool(_INSIGHT_WORDS.intersection(norms) - {"new"})
    for pattern in _SUPPORT:
        for m, _ in knobs.take(pattern):
            times = m.group(0).endswith(("times", "twice", "thrice"))
            if reading.effect == "protect" or (reading.effect == "exclude" and not about_insights) or (
                    times and not (about_insights or _CONTEXT_WORDS.intersection(norms))):
                clause.unclear = ("min support counts the sessions behind a new insight; keeping or dropping notes "
                                  "by how often they are mentioned is not a knob")
                found.add("unclear")
                continue
            if m.groupdict().get("tw"):
                count, note = (2 if m.group("tw") == "twice" else 3), ""
            else:
                value, note = _count(m)
                count = int(value) + (1 if m.groupdict().get("more") else 0)
            clause.add("min_support", 0, last, value=max(1, count), note=note)
            found.add("support")


def _session_scopes(clause: _Clause, knobs: _Text, reading: _Reading, norms: list[str], found: set[str]) -> None:
    last = len(clause.tokens) - 1
    flip = reading.effect == "exclude"
    for pattern in _LAST:
        for m, _ in knobs.take(pattern):
            if flip and not m.group("allbut"):
                clause.unclear = "dropping the most recent sessions is not a knob; say “only the last N sessions”"
                found.add("unclear")
                continue
            clause.add("last_sessions", 0, last, value=int(_count(m)[0]))
            found.add("sessions")
    between = knobs.take(_BETWEEN)
    dated = [(m, "since") for m, _ in knobs.take(_SINCE)] + [(m, "until") for m, _ in knobs.take(_UNTIL)]
    during = knobs.take(_DURING)
    if between and not flip and _SESSION_WORDS.intersection(norms):
        for m, _ in between:
            clause.add("since", 0, last, value=_parse_date(m, "1"))
            clause.add("until", 0, last, value=f"{_parse_date(m, '2', end_of_month=True)}T23:59:59Z")
            found.add("sessions")
    if not _SESSION_WORDS.intersection(norms):
        if dated or during or between:
            clause.unclear = "dates choose sessions: say “only sessions since 2026-05-01”"
            found.add("unclear")
        return
    for m, kind in dated:
        kind = {"since": "until", "until": "since"}[kind] if flip else kind
        inclusive = kind == "until" and not m.group(0).startswith(("before", "prior"))
        value = _parse_date(m, end_of_month=inclusive)
        if value:
            clause.add(kind, 0, last, value=f"{value}T23:59:59Z" if inclusive else value)
            found.add("sessions")
    for m, _ in during:
        if flip:
            clause.unclear = "dropping the sessions of one month is not a knob"
            found.add("unclear")
            continue
        clause.add("since", 0, last, value=_parse_date(m))
        clause.add("until", 0, last, value=f"{_parse_date(m, end_of_month=True)}T23:59:59Z")
        found.add("sessions")


