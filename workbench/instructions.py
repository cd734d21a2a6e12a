"""Focus instructions compiled into explicit scopes, each with the words it came from.

Every sentence (split with pysbd; paths, quotes and "e.g." never split one) maps to zero or more
scopes; a sentence that maps to none is listed as not understood, so the person can rephrase it
or set the knob by hand:

    "Do not remove anything about migrations."   → protect: migrations
    "Keep all debugging notes."                  → protect: debugging notes
    "Ignore lunch notes, small talk and /misc/." → exclude: lunch notes · small talk · /misc/
    "Prioritize client preferences over task patterns." → weight 2: client preferences · weight 0.5: …
    "Prune anything older than three months."    → horizon: 90 days (a month counts as 30 days)
    "Only distill facts seen in at least three sessions." → min support: 3 sessions
    "Only read the last 20 sessions."            → last sessions: 20

The grammar is a closed list of English verbs of removal, keeping, preference and restriction
plus negators: a negated verb of removal ("do not", "don't", "never", "skip nothing about")
always protects. Contradictions (a topic both protected and excluded, two horizons) are listed,
never resolved silently. Nothing here matches substrings: topics become phrases (`topics.py`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from .text import stem
from .topics import EDGE_WORDS, GENERIC, covers, topic_key

DAYS_PER = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
UNIT_NOTE = {"month": "a month counts as 30 days", "quarter": "a quarter counts as 90 days",
             "year": "a year counts as 365 days"}
SCOPE_KINDS = ("protect", "include", "exclude", "weight", "horizon", "min_support", "last_sessions", "since",
               "until", "switch_off")

# -- the closed grammar: verbs, negators, fillers --------------------------------------------------
_VERBS = {
    "remove": "remove delete drop prune discard forget forgot forgotten purge erase trash ditch scrap expunge",
    "ignore": "ignore skip exclude disregard omit",
    "modify": "touch change modify edit rewrite rewrote rewritten alter update merge consolidate combine dedupe "
              "deduplicate compress summarize summarise rephrase reword overwrite replace",
    "keep": "keep kept preserve retain protect save spare",
    "prefer": "prioritize prioritise favor favour prefer emphasize emphasise boost upweight",
    "lower": "deprioritize deprioritise de-prioritize de-prioritise de-emphasize de-emphasise downweight down-weight demote",
    "weigh": "weight weigh",
    "distill": "distill distil create add learn infer extract derive record capture",
    "use": "read use consider process include look",
    "leave": "leave left",
}
_PHRASAL = {  # multi-word verbs, longest first when matched
    ("get", "rid", "of"): "remove", ("throw", "away"): "remove", ("throw", "out"): "remove",
    ("clear", "out"): "remove", ("clean", "out"): "remove", ("do", "away", "with"): "remove",
    ("leave", "out"): "ignore", ("hold", "on", "to"): "keep", ("hold", "onto"): "keep", ("hang", "on", "to"): "keep",
    ("mess", "with"): "modify", ("hands", "off"): "hands_off",
    ("focus", "on"): "focus", ("concentrate", "on"): "focus", ("focus", "only", "on"): "focus_only",
    ("concentrate", "only", "on"): "focus_only", ("focus", "exclusively", "on"): "focus_only",
    ("limit", "it", "to"): "focus_only", ("limit", "yourself", "to"): "focus_only", ("limit", "to"): "focus_only",
    ("restrict", "it", "to"): "focus_only", ("restrict", "yourself", "to"): "focus_only",
    ("restrict", "to"): "focus_only", ("stick", "to"): "focus_only", ("confine", "yourself", "to"): "focus_only",
    ("work", "on"): "work", ("look", "at"): "use", ("care", "about"): "prefer", ("care", "less", "about"): "lower",
    ("give", "priority", "to"): "prefer", ("give", "more", "weight", "to"): "prefer",
    ("give", "less", "weight", "to"): "lower", ("put", "more", "weight", "on"): "prefer",
}
_NEGATORS = {"never", "not", "dont", "don't", "doesnt", "didnt", "mustnt", "shouldnt", "cant", "cannot", "wont",
             "nor", "avoid", "stop", "without", "refrain"}
_FILLERS = {"please", "also", "and", "then", "but", "so", "always", "additionally", "finally", "first", "second",
            "kindly", "you", "we", "i", "should", "must", "shall", "will", "need", "needs", "to", "want", "would",
            "like", "can", "may", "make", "sure", "that", "do", "from", "now", "on", "going", "forward", "in",
            "general", "rather", "instead", "however", "otherwise", "plus", "try"}
_ONLY = {"only", "just", "exclusively", "solely", "purely"}
_BOUNDARY = {",", ";", "and", "but", "then", "also", "while", "whereas", "plus", ":"}
_EXCEPT = tuple(sorted(("except for", "except", "excluding", "other than", "apart from", "aside from", "but not",
                       "save for", "but never", "unless", "unless it mentions", "unless they mention",
                       "unless it is about", "unless they are about", "unless about"), key=lambda e: -len(e.split())))
_LIST = {",", "and", "or", "&", "plus", "nor", "/"}
_LOWER_SIDE = ("rather than", "instead of", "ahead of", "more than", "over", "above", "before", "versus", "vs")
_PROPERTIES = frozenset("stale outdated out-of-date obsolete old older duplicate duplicates duplicated redundant "
                        "temporary expired low-value trivial unused useless irrelevant superseded".split())
_SESSION_WORDS = frozenset("session sessions conversation conversations transcript transcripts chat chats".split())
_INSIGHT_WORDS = frozenset("insight insights pattern patterns lesson lessons learning learnings takeaway takeaways "
                           "conclusion conclusions generalization generalizations support supported new".split())
_PROTECT_PREDICATES = ("off limits", "off-limits", "sacred", "untouchable", "read-only", "read only", "protected",
                       "essential", "important")
_EXCLUDE_PREDICATES = ("noise", "junk", "irrelevant", "not important", "unimportant", "not needed", "not relevant",
                       "useless", "clutter")
_REMOVAL_WORDS = frozenset("stale obsolete outdated expired expire expires expiry".split())
_CONTEXT_WORDS = frozenset("mentioned stated seen repeated recur recurring recurs appear appears appeared said "
                           "confirmed backed".split())
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update(thirty=30, forty=40, fifty=50, sixty=60, seventy=70, eighty=80, ninety=90, dozen=12)
_UNIT_WORDS = ("days", "weeks", "months", "years", "sessions", "conversations")
_MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                          "november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())}, sept=9)


# -- records ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """One thing the instructions ask for, with the words it came from (`source`, at `start:end`).

    `target` is the topic or path (protect, include, exclude, weight) or the operation kind
    (switch_off); `value` is the weight, days, sessions or ISO date.
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
        note = f" ({self.note})" if self.note else ""
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


@dataclass(frozen=True)
class _Token:
    kind: str  # word, num, date, path, quote, punct
    text: str
    norm: str
    start: int
    end: int
    value: float | None = None


@dataclass
class _Clause:
    tokens: list[_Token]
    text: str  # the whole instructions, for source spans
    scopes: list[Scope] = field(default_factory=list)
    unclear: str = ""

    def span(self, first: int, last: int) -> tuple[str, int, int]:
        start, end = self.tokens[first].start, self.tokens[last].end
        return self.text[start:end], start, end

    def add(self, kind: str, first: int, last: int, target: str = "", value: Any = None, note: str = "") -> None:
        source, start, end = self.span(first, last)
        self.scopes.append(Scope(kind, target, value, source, start, end, note))


# -- tokens and sentences --------------------------------------------------------------------------
_TOKEN = re.compile(
    r"(?P<quote>“[^”]*”|\"[^\"]*\"|`[^`]*`|‘[^’]*’|(?<!\w)'[^'\n]+'(?!\w))"
    r"|(?P<path>(?<![\w/.])/[^\s,;\"“”`()\[\]]*)"
    r"|(?P<date>\d{4}-\d\d-\d\d(?:[T ][\d:.]+Z?)?)"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<abbr>(?<!\w)(?:e\.g|i\.e|etc|vs|cf)\.)"
    r"|(?P<word>[^\W\d_](?:[\w'’\-]*\w)?)"
    r"|(?P<punct>[,;:!?()&+/—–]|\.)"
)


def _tokens(text: str, offset: int = 0) -> list[_Token]:
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        kind, raw, start = m.lastgroup or "punct", m.group(0), m.start()
        if kind == "path":
            raw = raw.rstrip(".:!?'")
            if len(raw) < 2:
                kind = "punct"
        if kind == "quote":
            inner = raw[1:-1].strip()
            kind = "path" if inner.startswith("/") and " " not in inner else "quote"
            norm = inner
        elif kind in ("word", "abbr"):
            kind, norm = "word", raw.lower().replace("’", "'")
        else:
            norm = raw
        value = float(raw) if kind == "num" else None
        out.append(_Token(kind, raw, norm, offset + start, offset + start + len(raw), value))
    return _unit_typos(_number_words(out))


def _unit_typos(tokens: list[_Token]) -> list[_Token]:
    """A misspelt unit after a number ("90 dyas") is read as the unit."""
    from dataclasses import replace

    out = list(tokens)
    for i in range(1, len(out)):
        word = out[i].norm
        if out[i - 1].kind == "num" and out[i].kind == "word" and len(word) >= 4 and word not in _UNIT_WORDS:
            close = [u for u in _UNIT_WORDS if u[0] == word[0] and _osa(word, u) <= 1]
            if len(close) == 1:
                out[i] = replace(out[i], norm=close[0])
    return out


def _number_words(tokens: list[_Token]) -> list[_Token]:
    """Fold word numbers ("three", "twenty-one", "a hundred and twenty") into number tokens."""
    out: list[_Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        parts = t.norm.split("-") if t.kind == "word" else []
        if parts and all(p in _NUMBER_WORDS or p == "hundred" for p in parts) and parts[0] != "hundred":
            total = sum(_NUMBER_WORDS.get(p, 0) for p in parts)
            j = i + 1
            while j < len(tokens) and tokens[j].kind == "word" and (tokens[j].norm in _NUMBER_WORDS
                                                                    or tokens[j].norm in ("hundred", "and")):
                word = tokens[j].norm
                if word == "and" and not (j + 1 < len(tokens) and tokens[j + 1].norm in _NUMBER_WORDS):
                    break
                total = total * 100 if word == "hundred" else total + _NUMBER_WORDS.get(word, 0)
                j += 1
            out.append(_Token("num", t.text, str(total), t.start, tokens[j - 1].end, float(total)))
            i = j
            continue
        out.append(t)
        i += 1
    return out


_SEGMENTER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


_EASY_END = re.compile(r"(?:(?<=[^\W\d_]{4})[.]|[!?]+)[\"')\]”’]*\s+(?=[\"'(\[`“‘]?[A-Z0-9`x])")
_HARD_END = re.compile(r"[.][\"')\]”’]*\s+\S")


@lru_cache(maxsize=4096)
def _line_sentences(line: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of one line. Paths and quotes are masked so no split falls inside them;
    certain ends (after a word of four letters or more, or "!" / "?") cut directly, and only the
    pieces with a doubtful "." go through pysbd, each cached (a keystroke re-reads one piece)."""
    masked = list(line)
    for m in _TOKEN.finditer(line):
        if m.lastgroup in ("path", "quote"):
            end = m.start() + len(m.group(0).rstrip(".:!?'")) if m.lastgroup == "path" else m.end()
            for k in range(m.start(), end):
                if not masked[k].isspace():
                    masked[k] = "x"
    text = "".join(masked)
    cuts = [0, *(m.end() for m in _EASY_END.finditer(text)), len(text)]
    spans: list[tuple[int, int]] = []
    for start, end in zip(cuts, cuts[1:]):
        spans += [(start + a, start + b) for a, b in _piece_sentences(text[start:end])]
    return tuple(spans)


@lru_cache(maxsize=4096)
def _piece_sentences(piece: str) -> tuple[tuple[int, int], ...]:
    if not _HARD_END.search(piece):
        return ((0, len(piece)),)
    with _SEGMENTER_LOCK:
        return tuple((s.start, s.end) for s in _segmenter().segment(piece))


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in the text, split line by line (a line ends a sentence)."""
    out: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            for start, end in _line_sentences(line):
                piece = line[start:end]
                lead = len(piece) - len(piece.lstrip())
                if piece.strip():
                    out.append((offset + start + lead, offset + start + len(piece.rstrip())))
        offset += len(line)
    return out


# -- small helpers ---------------------------------------------------------------------------------
def _osa(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _verb_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cls, forms in _VERBS.items():
        for form in forms.split():
            table[form] = cls
            table.setdefault(stem(form), cls)
    return table


_VERB_TABLE = _verb_table()
_VERB_FORMS = sorted({f for forms in _VERBS.values() for f in forms.split()})


def _verb_class(word: str) -> tuple[str | None, str]:
    """The verb class of a word (and a note when a typo was read as a verb)."""
    if word in _VERB_TABLE:
        return _VERB_TABLE[word], ""
    stemmed = stem(word)
    if stemmed in _VERB_TABLE and len(word) > 3:
        return _VERB_TABLE[stemmed], ""
    return None, ""


def _typo_verb(word: str) -> tuple[str | None, str]:
    if len(word) < 4 or not word.isalpha():
        return None, ""
    limit = 2 if len(word) >= 9 else 1
    close = [f for f in _VERB_FORMS if f[0] == word[0] and abs(len(f) - len(word)) <= limit and _osa(word, f) <= limit]
    if len(close) == 1 or (close and len({_VERB_TABLE[f] for f in close}) == 1):
        return _VERB_TABLE[close[0]], f"read “{word}” as “{close[0]}”"
    return None, ""


def _is_negator(word: str) -> bool:
    bare = word.replace("'", "")
    return bare in _NEGATORS or word in _NEGATORS or (len(bare) >= 4 and bare[0] == "n" and _osa(bare, "never") <= 1)


def _norms(tokens: list[_Token]) -> list[str]:
    return [f"§{t.kind}" if t.kind in ("path", "quote") else t.norm for t in tokens]


def _find(norms: list[str], phrase: tuple[str, ...], start: int = 0) -> int:
    n = len(phrase)
    for i in range(start, len(norms) - n + 1):
        if tuple(norms[i:i + n]) == phrase:
            return i
    return -1


# -- knob phrases: durations, counts, dates ----------------------------------------------------------
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

    def __init__(self, tokens: list[_Token]) -> None:
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
        import bisect

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


@dataclass
class _Reading:
    """How a clause reads: its effect on the topics it names, and where they are."""

    effect: str | None  # protect, exclude, include, prefer, lower, or None (knobs only)
    verb: str | None
    topic: tuple[int, int]  # token range of the object (or subject)
    low: tuple[int, int] | None = None  # "prefer X over Y": Y
    weight: float | None = None
    only: bool = False
    note: str = ""
    unclear: str = ""
    verb_word: str = ""


def _skip_prefix(norms: list[str], i: int) -> tuple[int, bool, bool]:
    """Past fillers, negators and "only": (index, negated, only)."""
    neg = only = False
    while i < len(norms):
        word = norms[i]
        if norms[i:i + 3] == ["no", "need", "to"]:
            neg, i = True, i + 3
        elif word in _ONLY:
            only, i = True, i + 1
        elif _is_negator(word) and not (word == "stop" and i + 1 < len(norms) and not norms[i + 1].endswith("ing")):
            neg, i = True, i + 1
        elif word in _FILLERS or word in _BOUNDARY or word in ("-", "*", "(", ")"):
            i += 1
        else:
            break
    return i, neg, only


def _verb_at(norms: list[str], i: int, typos: bool) -> tuple[str | None, int, str]:
    """The verb class starting at token i, the index after it, and a typo note."""
    for phrase, cls in sorted(_PHRASAL.items(), key=lambda kv: -len(kv[0])):
        if tuple(norms[i:i + len(phrase)]) == phrase:
            return cls, i + len(phrase), ""
    if i >= len(norms):
        return None, i, ""
    cls, note = _verb_class(norms[i])
    if cls is None and typos:
        cls, note = _typo_verb(norms[i])
    return (cls, i + 1, note) if cls else (None, i, "")


def _read_verb_first(norms: list[str], typos: bool) -> _Reading | None:
    i, neg, only = _skip_prefix(norms, 0)
    verb, j, note = _verb_at(norms, i, typos)
    if verb is None:
        return None
    while j + 1 < len(norms) and norms[j] in ("/", "or", ",", "and", "nor") and _verb_at(norms, j + 1, False)[0]:
        j = _verb_at(norms, j + 1, False)[1]  # "do not remove / drop / delete X"
    # a second negator after a verb of stopping ("stop deleting") is the verb itself
    if verb in ("keep",) and j < len(norms) and norms[j].endswith("ing"):
        inner, k, inner_note = _verb_at(norms, j, typos)
        if inner in ("remove", "ignore", "modify"):  # "keep deleting" is rare; "keep removing X" still removes
            verb, j, note = inner, k, inner_note
    end = len(norms)
    if verb == "leave":
        return _read_leave(norms, j, neg, note)
    if verb == "hands_off":
        return _Reading("protect", "modify", (j, end), note=note)
    effect = _effect(verb, neg, only)
    reading = _Reading(effect, verb, (j, end), only=only, note=note, verb_word=norms[j - 1])
    if verb in ("prefer", "focus", "work") and effect == "prefer":
        reading.low = _lower_side(norms, j, verb)
        if reading.low:
            reading.topic = (j, reading.low[0] - _lower_word_len(norms, reading.low[0]))
    if verb == "weigh":
        reading.weight, at = _weight_number(norms, j)
        reading.topic = (j, at)
    if effect is None and verb == "modify":
        reading.unclear = ("changing notes is what a dream does; say what to keep (never touch …), what to "
                           "limit it to (only …) or what to drop")
    if only and verb in ("remove", "ignore") and not neg:
        reading.note = "; ".join(n for n in (note, "“only” is not enforced for other notes") if n)
    return reading


def _effect(verb: str, neg: bool, only: bool) -> str | None:
    if verb in ("remove", "ignore"):
        return "protect" if neg else "exclude"
    if verb == "modify":
        return "protect" if neg else ("include" if only else None)
    if verb == "keep":
        return "exclude" if neg else "protect"
    if verb in ("prefer", "weigh"):
        return "lower" if neg else "prefer"
    if verb == "lower":
        return "prefer" if neg else "lower"
    if verb in ("focus", "work"):
        return "lower" if neg else ("include" if only else "prefer")
    if verb == "focus_only":
        return None if neg else "include"
    if verb == "use":
        return "include" if only and not neg else None
    return None


def _read_leave(norms: list[str], j: int, neg: bool, note: str) -> _Reading:
    end = len(norms)
    for k in range(end - 1, j - 1, -1):
        if norms[k] in ("alone", "untouched", "unchanged", "intact", "be") or norms[k:k + 2] in (["as", "is"], ["as-is"]):
            return _Reading("exclude" if neg else "protect", "keep", (j, k), note=note)
        if norms[k] == "out":
            return _Reading("protect" if neg else "exclude", "ignore", (j, k), note=note)
    if j < end and norms[j] == "out":
        return _Reading("protect" if neg else "exclude", "ignore", (j + 1, end), note=note)
    return _Reading(None, "leave", (j, end), unclear="“leave” needs “alone”, “as is” or “out”")


def _lower_word_len(norms: list[str], start: int) -> int:
    for phrase in _LOWER_SIDE + ("to",):
        words_ = phrase.split()
        if norms[start - len(words_):start] == words_:
            return len(words_)
    return 0


def _lower_side(norms: list[str], j: int, verb: str) -> tuple[int, int] | None:
    """Where "prefer X over Y" names Y (the token range after the comparison word)."""
    for k in range(j + 1, len(norms)):
        for phrase in _LOWER_SIDE:
            words_ = phrase.split()
            if norms[k:k + len(words_)] == words_ and k + len(words_) < len(norms):
                return (k + len(words_), len(norms))
        if verb == "prefer" and norms[k] == "to" and norms[k - 1] not in ("related", "relating", "according", "due",
                                                                           "up", "close", "how", "want", "need"):
            return (k + 1, len(norms))
    return None


def _weight_number(norms: list[str], j: int) -> tuple[float | None, int]:
    """The number in "weight X 3" / "weight X at 0.5" / "weigh X double", and where it starts."""
    named = {"double": 2.0, "twice": 2.0, "triple": 3.0, "thrice": 3.0, "half": 0.5}
    for k in range(len(norms) - 1, j, -1):
        if re.fullmatch(r"\d+(?:\.\d+)?", norms[k]) or norms[k] in named:
            value = named.get(norms[k]) or float(norms[k])
            while k > j + 1 and norms[k - 1] in ("at", "by", "to", "of", "as", "with", "=", ":", "weight", "a"):
                k -= 1
            return value, k
    return None, len(norms)


_MODALS = {"can", "may", "should", "must", "could", "might", "will", "shall", "need", "needs", "has", "have",
           "ought", "to", "cannot", "can't", "cant", "shouldn't", "shouldnt", "mustn't", "mustnt", "won't", "wont",
           "never", "not", "always", "doesn't", "doesnt", "don't", "dont", "does", "do", "really"}
_BE = {"be", "get", "gets", "stay", "stays", "remain", "remains", "is", "are", "was", "were", "been", "isn't", "aren't",
       "isnt", "arent"}


def _read_predicate(norms: list[str]) -> _Reading | None:
    """Subject-first clauses: "X must never be deleted", "X can go", "X is off limits", "X matters most"."""
    start, _, _ = _skip_prefix(norms, 0)
    found = [r for p in range(start + 1, len(norms)) if (r := _predicate_at(norms, start, p)) is not None]
    return next((r for r in found if r.effect), found[0] if found else None)


def _predicate_at(norms: list[str], start: int, p: int) -> _Reading | None:
    head = norms[p]
    neg = False
    k = p
    while k < len(norms) and (norms[k] in _MODALS or norms[k] in _BE):
        neg = neg or _is_negator(norms[k]) or norms[k].endswith("n't") or norms[k] in ("isnt", "arent", "doesnt")
        k += 1
    if k >= len(norms) or (k == p and head not in _IMPORTANCE_VERBS):
        return None
    rest = norms[k:]
    subject = (start, p)
    linked = k > p
    verb = "leave" if rest[0] == "left" else _verb_class(rest[0])[0]
    if linked and verb in ("remove", "ignore", "modify", "keep") and norms[k - 1] in _BE | {"never", "not"}:
        return _Reading(_effect(verb, neg, False), verb, subject)
    if linked and rest[0] == "go" and any(w in ("can", "may", "should", "must", "could") for w in norms[p:k]):
        return _Reading("protect" if neg else "exclude", "remove", subject)
    if linked and verb == "leave" and rest[1:2] in (["alone"], ["untouched"], ["as"], ["unchanged"], ["intact"]):
        return _Reading("exclude" if neg else "protect", "keep", subject)
    text = " ".join(rest)
    if linked and text.startswith(_PROTECT_PREDICATES[:-2]):
        return _Reading("exclude" if neg else "protect", "keep", subject)
    if linked and text.startswith(_EXCLUDE_PREDICATES):
        return _Reading("protect" if neg else "exclude", "ignore", subject)
    if linked and rest[0] in ("stale", "obsolete", "outdated", "expired"):
        return _Reading(None, "stale", subject, unclear="staleness is set by age: say “older than N days”")
    return _importance(norms, subject, k, neg)


_IMPORTANCE_VERBS = ("matter", "matters", "count", "counts", "comes", "come")
_MORE = re.compile(r"(?:the |a |top )?(?:most |more |very |really |especially |extra |highest )?"
                   r"(?:important|essential|priority|crucial|critical)\b")
_LESS = re.compile(r"(?:less|not|least) (?:important|essential|a priority|relevant)\b|unimportant\b|(?:a )?low priority\b")


def _importance(norms: list[str], subject: tuple[int, int], k: int, neg: bool) -> _Reading | None:
    rest = norms[k:]
    text = " ".join(rest)
    more = less = False
    if rest[0] in _IMPORTANCE_VERBS[:4]:
        after = rest[1:2]
        more = after in (["most"], ["more"], ["a"], ["the"], ["greatly"], ["double"])
        less = after == ["less"] or (neg and after in ([], ["much"], ["here"]))
    elif rest[0] in ("comes", "come"):
        more = rest[1:2] == ["first"]
    else:
        more, less = bool(_MORE.match(text)), bool(_LESS.match(text))
    if neg and more:
        more, less = False, True
    if not (more or less):
        return None
    low = next(((q + 1, len(norms)) for q in range(k, len(norms) - 1) if norms[q] == "than"), None)
    return _Reading("prefer" if more else "lower", "prefer", subject, low=low)


# -- clauses ---------------------------------------------------------------------------------------
def _clauses(tokens: list[_Token]) -> list[list[_Token]]:
    """Split a sentence where a new instruction starts: at ";" and before a verb after "," / "and" / "but"."""
    norms = _norms(tokens)
    cuts = [0]
    for i, word in enumerate(norms):
        if i <= cuts[-1]:
            continue
        if word == ";":
            cuts.append(i)
        elif word in _BOUNDARY:
            j, _, _ = _skip_prefix(norms, i + 1)
            if _verb_at(norms, j, typos=False)[0] is not None and not _is_exception(norms, i):
                cuts.append(i)
            elif word == "," and _read_predicate(norms[i + 1:_next_comma(norms, i + 1)]) is not None:
                cuts.append(i)
    cuts.append(len(tokens))
    return [tokens[a:b] for a, b in zip(cuts, cuts[1:]) if any(t.kind != "punct" for t in tokens[a:b])]


def _next_comma(norms: list[str], i: int) -> int:
    return next((k for k in range(i, len(norms)) if norms[k] in (",", ";")), len(norms))


def _is_exception(norms: list[str], i: int) -> bool:
    return any(norms[i:i + len(e.split())] == e.split() for e in _EXCEPT)


def _read(norms: list[str]) -> _Reading:
    """How a clause reads, trying: verb first, subject first, verb with a typo, then knobs only."""
    reading = _read_verb_first(norms, typos=False)
    if reading is not None and (reading.effect or not _read_predicate(norms)):
        return reading
    predicate = _read_predicate(norms)
    if predicate is not None:
        return predicate
    reading = _read_verb_first(norms, typos=True)
    if reading is not None:
        return reading
    i, neg, only = _skip_prefix(norms, 0)
    if norms[i:i + 2] == ["nothing", "but"]:
        return _Reading("include", None, (i + 2, len(norms)))
    if i < len(norms) and norms[i] == "no" and not neg:
        return _Reading("exclude", "ignore", (i + 1, len(norms)))
    return _Reading("include" if only and not neg else None, None, (i, len(norms)))


_LEADING = frozenset("the a an all any every each my our your their these those this that of some both other such "
                     "its whatever e.g. i.e. eg ie like including namely".split())
_PREPOSITIONS = frozenset("about on regarding concerning around re mentioning in under from for with of involving "
                          "covering related relating that which within inside referring".split())
_TRAILING = frozenset("too either please entirely completely whatsoever anymore now again here there also though "
                      "well at as by to x times alone etc. etc".split())


_ABOUT = frozenset("about regarding concerning re".split())


@dataclass
class _Item:
    kind: str  # topic, path, all, else, property, sessions
    target: str = ""


def _item(tokens: list[_Token], text: str) -> _Item:
    """One listed thing: a path, a quoted phrase, a topic, "everything", or only generic words."""
    toks = list(tokens)
    changed = True
    while changed and toks:
        changed = False
        while toks and (toks[0].norm in _LEADING | _ABOUT or toks[0].kind == "punct"):
            toks.pop(0)
            changed = True
        while toks and (toks[-1].norm in _TRAILING or toks[-1].kind == "punct"):
            toks.pop()
            changed = True
        if len(toks) > 1 and toks[0].norm in GENERIC | {"ones", "those", "one"} and toks[1].norm in _PREPOSITIONS:
            toks = toks[2:]
            while toks and toks[0].norm in ("to", "do", "with", "mention", "mentions", "about", "on"):
                toks.pop(0)
            changed = True
    if (len(toks) > 1 and toks[0].norm in GENERIC | {"it", "them", "things", "everything"}
            and toks[1].kind == "word" and toks[1].norm not in _PREPOSITIONS | {"like", "such", "e.g.", "i.e."}):
        return _Item("complement")
    paths = [t for t in toks if t.kind == "path"]
    if paths:
        return _Item("path", paths[0].norm)
    quotes = [t for t in toks if t.kind == "quote"]
    if quotes:
        return _Item("topic", quotes[0].norm)
    content = [t.norm for t in toks if t.norm not in GENERIC | _LEADING | EDGE_WORDS and t.kind != "punct"]
    if any(t.norm in ("else", "rest") for t in toks):
        return _Item("else")
    if not content:
        return _Item("all")
    if all(w in _SESSION_WORDS or w in _INSIGHT_WORDS or w in _CONTEXT_WORDS for w in content):
        return _Item("sessions")
    if all(w in _PROPERTIES for w in content):
        return _Item("property", " ".join(content))
    return _Item("topic", " ".join(text[toks[0].start:toks[-1].end].split()))


def _items(tokens: list[_Token], indices: list[int], text: str) -> list[_Item]:
    """The things a clause lists ("X, Y and Z"), skipping tokens a knob phrase took."""
    runs: list[list[_Token]] = [[]]
    previous = None
    for i in indices:
        t = tokens[i]
        if (t.norm in _LIST and t.kind in ("word", "punct")) or (previous is not None and i != previous + 1):
            runs.append([])
        if not (t.norm in _LIST and t.kind in ("word", "punct")):
            runs[-1].append(t)
        previous = i
    return [_item(run, text) for run in runs if run]


def _split_exceptions(norms: list[str], a: int, b: int) -> tuple[int, list[tuple[int, int]]]:
    for k in range(a, b):
        for phrase in _EXCEPT:
            words_ = phrase.split()
            if norms[k:k + len(words_)] == words_:
                return k, [(k + len(words_), b)]
    return b, []




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


# -- a clause, a sentence, a text ------------------------------------------------------------------
def _compile_clause(tokens: list[_Token], text: str) -> tuple[list[Scope], str]:
    """The scopes of one clause, or why it compiled to none."""
    while tokens and (tokens[0].norm in _BOUNDARY or tokens[0].kind == "punct"):
        tokens = tokens[1:]
    while tokens and tokens[-1].kind == "punct":
        tokens = tokens[:-1]
    if not any(t.kind in ("word", "path", "quote") for t in tokens):
        return [], ""
    norms = _norms(tokens)
    reading = _read(norms)
    clause = _Clause(tokens, text, unclear=reading.unclear)
    knobs = _Text(tokens)
    found = _knob_scopes(clause, knobs, reading, norms)
    effect, (a, b) = reading.effect, reading.topic
    k = a
    while k < b and norms[k] in _LEADING:
        k += 1
    if effect in ("protect", "exclude") and k < b and norms[k] in ("nothing", "none", "no"):
        effect, a = ("exclude" if effect == "protect" else "protect"), k + 1
    main_end, exceptions = _split_exceptions(norms, a, b)
    items = _items(tokens, [i for i in range(a, main_end) if i not in knobs.used], text)
    others = [_items(tokens, [i for i in range(x, y) if i not in knobs.used], text) for x, y in exceptions]
    low = _items(tokens, [i for i in range(*reading.low) if i not in knobs.used], text) if reading.low else []
    _topic_scopes(clause, reading, effect, items, [i for group in others for i in group], low, found)
    if clause.scopes and reading.note:
        clause.scopes = [replace_note(s, reading.note) for s in clause.scopes]
    return clause.scopes, "" if clause.scopes else (clause.unclear or _why_not(reading, items))


def replace_note(scope: Scope, note: str) -> Scope:
    from dataclasses import replace

    return replace(scope, note="; ".join(n for n in (scope.note, note) if n))


def _why_not(reading: _Reading, items: list[_Item]) -> str:
    if any(i.kind == "property" for i in items):
        return "“stale”, “duplicate”, “old” describe what a dream prunes anyway; set the horizon or name a topic"
    if any(i.kind == "complement" for i in items):
        return "reads as how to write notes (“keep X short”), not which notes: name a topic after “about”"
    if any(i.kind == "else" for i in items):
        return "“everything else” is not compiled: name the topics to keep with “only …”"
    if reading.effect == "exclude" and any(i.kind == "all" for i in items):
        return "refusing to exclude everything: name the topics or paths to drop"
    if reading.effect is None and reading.verb is None:
        return "no instruction verb found (keep, never touch, only, ignore, prioritize, older than …)"
    return "names no topic, path, age or count"


def _topic_scopes(clause: _Clause, reading: _Reading, effect: str | None, items: list[_Item], exceptions: list[_Item],
                  low: list[_Item], found: set[str]) -> None:
    last = len(clause.tokens) - 1
    named = [i for i in items if i.kind in ("topic", "path")]
    if "unclear" in found or (found and not named):
        return
    if found & {"age", "support", "sessions", "horizon"} and named:
        note = "“" + "”, “".join(i.target for i in named) + "” does not narrow it: one value for every note"
        clause.scopes = [replace_note(s, note) for s in clause.scopes]
        return
    if "recent" in found and named:
        clause.scopes = [s for s in clause.scopes if s.kind != "horizon"]
        effect, note = "protect", "the age limit is not compiled: a protect scope covers notes of any age"
    else:
        note = ""
    everything = any(i.kind == "all" for i in items)
    if effect == "protect" and everything and exceptions:
        for item in (i for i in exceptions if i.kind in ("topic", "path")):
            clause.add("exclude", 0, last, item.target, note="read “everything except X” as dropping X")
        return
    if effect == "protect" and everything and not named:
        _protect_everything(clause, reading)
    for item in named:
        _add_topic(clause, effect, item.target, reading, note)
    for item in (i for i in exceptions if i.kind in ("topic", "path")):
        if effect == "exclude":
            clause.add("protect", 0, last, item.target, note="an exception to a drop")
    for item in (i for i in low if i.kind in ("topic", "path")):
        if effect in ("prefer", "lower"):
            clause.add("weight", 0, last, item.target, value=0.5 if effect == "prefer" else 2.0)


def _add_topic(clause: _Clause, effect: str | None, target: str, reading: _Reading, note: str) -> None:
    last = len(clause.tokens) - 1
    if effect in ("protect", "include", "exclude"):
        clause.add(effect, 0, last, target, note=note)
    elif effect in ("prefer", "lower"):
        weight = reading.weight if reading.weight is not None else (2.0 if effect == "prefer" else 0.5)
        clause.add("weight", 0, last, target, value=weight if effect == "prefer" else min(weight, 1 / max(weight, 1e-9)))


_MERGE_WORDS = frozenset("merge merged merging consolidate consolidated combine combined dedupe deduplicate".split())
_DELETE_WORDS = frozenset(w for w in (_VERBS["remove"] + " " + _VERBS["ignore"] + " " + _VERBS["keep"]).split())


def _protect_everything(clause: _Clause, reading: _Reading) -> None:
    """"Don't delete anything" switches deletes off; "don't merge anything" merges; "don't touch anything" all."""
    last = len(clause.tokens) - 1
    word = reading.verb_word
    if word in _MERGE_WORDS or _VERB_TABLE.get(word) == "modify" and word.startswith(("merg", "consolid", "combin", "dedup")):
        clause.add("switch_off", 0, last, "merge")
    elif reading.verb in ("remove", "ignore", "keep"):
        clause.add("switch_off", 0, last, "delete")
    else:
        clause.add("protect", 0, last, "/**", note="every note: nothing may change")


@lru_cache(maxsize=2048)
def _compile_sentence(sentence: str) -> tuple[tuple[Scope, ...], tuple[Unclear, ...]]:
    """Scopes and unclear clauses of one sentence, with offsets relative to the sentence."""
    tokens = _tokens(sentence)
    scopes: list[Scope] = []
    unclear: list[Unclear] = []
    for clause_tokens in _clauses(tokens):
        found, why = _compile_clause(clause_tokens, sentence)
        scopes += found
        if why:
            first = next(t for t in clause_tokens if t.norm not in _BOUNDARY and t.kind != "punct")
            end = clause_tokens[-1].end
            unclear.append(Unclear(sentence[first.start:end], first.start, end, why))
    return tuple(scopes), tuple(unclear)


def _shift(scope: Scope | Unclear, offset: int) -> Scope | Unclear:
    from dataclasses import replace

    return replace(scope, start=scope.start + offset, end=scope.end + offset)


@lru_cache(maxsize=512)
def compile_text(text: str) -> Compiled:
    """Compile instructions into scopes; cached on the text (the tuner compiles on every keystroke)."""
    if not text.strip():
        return Compiled(text)
    if not any(ch.isalnum() for ch in text):
        return Compiled(text, warnings=("the instructions have no words; they compile to nothing",))
    scopes: list[Scope] = []
    unclear: list[Unclear] = []
    for start, end in sentences(text):
        found, why = _compile_sentence(text[start:end])
        scopes += [_shift(s, start) for s in found]
        if not found and why:
            unclear.append(Unclear(text[start:end], start, end, why[0].reason))
    return Compiled(text, tuple(scopes), tuple(unclear), tuple(contradictions(scopes)))


def contradictions(scopes: list[Scope] | tuple[Scope, ...]) -> list[str]:
    """Scopes that cannot all hold: a topic protected and excluded, two horizons, and so on."""
    out: list[str] = []
    by_kind = {k: [s for s in scopes if s.kind == k] for k in SCOPE_KINDS}
    for p in by_kind["protect"]:
        for e in by_kind["exclude"]:
            if covers(p.target, e.target):
                out.append(f"“{e.target}” is excluded (“{e.source}”) and protected (“{p.source}”): protect wins, "
                           "nothing under it is removed")
    for i in by_kind["include"]:
        for e in by_kind["exclude"]:
            if topic_key(i.target) == topic_key(e.target):
                out.append(f"“{e.target}” is both the only topic (“{i.source}”) and excluded (“{e.source}”)")
    if by_kind["exclude"] and any(s.target == "delete" for s in by_kind["switch_off"]):
        out.append("topics are excluded but deletes are switched off: nothing is dropped")
    out += _numeric(by_kind, "horizon", "days", "the longest is used (it prunes least)")
    out += _numeric(by_kind, "min_support", "sessions", "the largest is used (it distills least)")
    for kind in ("last_sessions", "since", "until"):
        out += _numeric(by_kind, kind, "", "the first is used")
    weights: dict[str, list[Scope]] = {}
    for w in by_kind["weight"]:
        weights.setdefault(topic_key(w.target), []).append(w)
    for same in weights.values():
        if any(float(w.value) > 1 for w in same) and any(float(w.value) < 1 for w in same):
            out.append(f"“{same[0].target}” is weighted both up and down; the first (“{same[0].source}”) is used")
    return out


def _numeric(by_kind: dict[str, list[Scope]], kind: str, unit: str, rule: str) -> list[str]:
    values = list(dict.fromkeys(s.value for s in by_kind[kind]))
    if len(values) < 2:
        return []
    said = "; ".join(f"{s.value}{' ' + unit if unit else ''} (“{s.source}”)" for s in by_kind[kind])
    return [f"{kind.replace('_', ' ')} is given {len(values)} values: {said}; {rule}"]


def pick(scopes: tuple[Scope, ...], kind: str) -> Scope | None:
    """The scope of a kind that wins when the instructions give several (see `contradictions`)."""
    found = [s for s in scopes if s.kind == kind]
    if not found:
        return None
    if kind in ("horizon", "min_support"):
        return max(found, key=lambda s: s.value)
    return found[0]
