"""Words from real tools: tokens on word boundaries in any script, Snowball stems, sentences, dates.

Every later test of a word is a test of a whole token (never a substring): `tokens` cuts a text
into words, values (numbers, versions, paths, hosts, identifiers, links, code spans) and, for
scripts written without spaces (Chinese, Japanese, Thai, …), overlapping character pairs, so any
text yields something to compare. Words are stemmed with Snowball (PyStemmer); sentences come from
pysbd; dates are resolved with dateparser and classified by the word that governs them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")

# Closed grammatical classes (not topic words): what negates a clause, what an article is.
NEGATORS = frozenset(
    # English
    "not no never none nobody nothing nowhere neither nor cannot without n't "
    # French, Spanish, Italian, Portuguese, German, Dutch, Swedish/Norwegian/Danish
    "ne pas jamais aucun aucune rien personne nunca nada ningún ninguna tampoco non mai niente nessuno "
    "nessuna não nem nenhum nenhuma nicht kein keine keinen keinem keiner keines nie niemals nichts "
    "niet geen nooit niets inte aldrig ingen ikke aldri "
    # Polish, Czech, Russian, Ukrainian, Greek, Turkish, Arabic, Hebrew, Hindi, Korean
    "nie nigdy ne nikdy не нет никогда ни ні ніколи δεν μην ποτέ değil asla لا لم لن ليس لست ليست أبدا "
    "לא אין אף פעם नहीं न मत कभी 안 못".split()
)
# Characters that negate in scripts written without spaces (Chinese, Japanese): 不 没 沒 无 無 非 未 别 別 勿 莫,
# and the Japanese negative endings ない / ません / ず.
_UNSPACED_NEGATION = re.compile(r"[不没沒无無非未别別勿莫]|ない|ません|ず")
ARTICLES = frozenset("a an the".split())
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_CONTRACTIONS = {"can't": ("can", "not"), "won't": ("will", "not"), "shan't": ("shall", "not"),
                 "ain't": ("is", "not"), "cannot": ("can", "not")}
_IS_BEFORE_S = frozenset("it that there he she what who where here how".split())  # "it's" is "it is"
_CLITICS = {"'re": "are", "'ve": "have", "'ll": "will", "'m": "am", "'d": "would"}

# Scripts written without spaces between words: compared by overlapping character pairs.
_UNSPACED = (r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf"
             r"\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f")
_TOKEN = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<url>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s<>()\[\]`\"']+[^\s<>()\[\]`\"'.,;:!?])"
    r"|(?P<email>\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)"
    r"|(?P<path>(?:~|\.{1,2})?/(?:[\w.\-~*{}]+/?)+|\b\w[\w\-]*(?:[./\\:@#][\w\-]+)+[+#]*|[$€£¥]?\d+(?:[,.:/\-]\d+)*[A-Za-zµ°]*%?)"
    rf"|(?P<unspaced>[{_UNSPACED}]+)"
    r"|(?P<word>[^\W\d_](?:[\w\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0900-\u0dff]|['’\-](?=\w))*)"
    r"|(?P<symbol>[\u2190-\u21ff\u2600-\u27bf\U0001f300-\U0001faff])",
)
_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.){1,4}[^\W\d_]?")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `norm` is what comparisons use (lower case; stemmed for words; digits for number words)."""

    text: str
    norm: str
    kind: str  # word | value | code | unspaced | negation
    start: int
    end: int

    @property
    def specific(self) -> bool:
        """A value that must match exactly: a number, version, path, host, identifier, link or code."""
        return self.kind in ("value", "code")


def stem(word: str) -> str:
    """The Snowball (English) stem of one lower-case word."""
    return _STEMMER.stemWord(word)


def _camel(text: str) -> bool:
    return bool(re.search(r"[a-z][A-Z]", text))


@lru_cache(maxsize=200_000)
def tokens(text: str) -> tuple[Token, ...]:
    """The tokens of a text in order; contractions are split ("don't" → do + not)."""
    text = unicodedata.normalize("NFC", text)
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "word"
        raw, start, end = match.group(0), match.start(), match.end()
        if kind == "code":
            out.extend(Token(raw, piece.lower(), "code", start, end) for piece in raw.strip("`").split())
        elif kind in ("url", "email", "path") and _ABBREVIATION.fullmatch(raw + "."):
            out.append(Token(raw, raw.replace(".", "").lower(), "word", start, end))  # "U.S" is "US"
        elif kind in ("url", "email", "path"):
            out.append(Token(raw, raw.rstrip("/").lower(), "value", start, end))
        elif kind == "unspaced":
            pairs = [raw[i:i + 2] for i in range(max(1, len(raw) - 1))]
            out.extend(Token(p, p, "unspaced", start + i, start + i + len(p)) for i, p in enumerate(pairs))
            if _UNSPACED_NEGATION.search(raw):
                out.append(Token(raw, "not", "negation", start, end))
        elif kind == "symbol":
            out.append(Token(raw, raw, "word", start, end))
        else:
            out.extend(_word_tokens(raw, start, end))
    return tuple(out)


def _word_tokens(raw: str, start: int, end: int) -> list[Token]:
    """The tokens of one word (a contraction or clitic gives two), each spanning the word."""
    return [Token(text, norm, kind, start, end) for text, norm, kind in _word_pieces(raw)]


@lru_cache(maxsize=200_000)
def _word_pieces(raw: str) -> tuple[tuple[str, str, str], ...]:
    """(text, norm, kind) of each token of one word, worked out once per distinct word."""
    lowered = raw.lower().replace("’", "'")
    if lowered in _CONTRACTIONS:
        base, neg = _CONTRACTIONS[lowered]
        return ((raw, base, "word"), (raw, neg, "negation"))
    if lowered.endswith("n't") and len(lowered) > 3:
        return ((raw, stem(lowered[:-3]), "word"), (raw, "not", "negation"))
    if lowered.endswith("'s") and lowered[:-2] in _IS_BEFORE_S:
        return (*_word_pieces(raw[:-2]), (raw, "is", "word"))
    for clitic, full in _CLITICS.items():
        if lowered.endswith(clitic) and len(lowered) > len(clitic):
            return (*_word_pieces(raw[:-len(clitic)]), (raw, full, "word"))
    if lowered.startswith("않"):  # Korean negative auxiliary 않다 in any form
        return ((raw, "not", "negation"),)
    if lowered in NEGATORS:
        return ((raw, "not" if lowered in ("no", "not", "never", "none") else lowered, "negation"),)
    if lowered in _NUMBER_WORDS:
        return ((raw, _NUMBER_WORDS[lowered], "value"),)
    lowered = re.sub(r"'s$", "", lowered)
    if _camel(raw) or "_" in raw or any(c.isdigit() for c in raw):
        return ((raw, lowered, "value"),)
    return ((raw, stem(lowered.replace("-", "")), "word"),)


def content(tokens_: tuple[Token, ...]) -> tuple[str, ...]:
    """The comparable sequence: every token's norm except articles ("the", "a", "an")."""
    return tuple(t.norm for t in tokens_ if not (t.kind == "word" and t.norm in ARTICLES))


def negated(tokens_: tuple[Token, ...]) -> bool:
    """True when the text contains a negator (outside code)."""
    return any(t.kind == "negation" for t in tokens_)


# --- sentences -----------------------------------------------------------------------------

_EASY_END = re.compile(r"(?:(?<=[^\W\d_]{4})[.]|[!?]+)[\"')\]]*\s+(?=[\"'(\[`]?[A-Z0-9`])")
_HARD_END = re.compile(r"[.][\"')\]]*\s+\S")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


@lru_cache(maxsize=100_000)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of a text (pysbd where a boundary is ambiguous: abbreviations, paths, numbers).

    Boundaries after an ordinary word of four letters or more, or after "!"/"?", are certain and
    cut directly; only the pieces with a doubtful "." go through pysbd (it is slow).
    """
    out: list[str] = []
    for line in text.splitlines():
        for piece in _split_easy(line):
            if _HARD_END.search(piece):
                out.extend(s.strip() for s in _segmenter().segment(piece) if s.strip())
            elif piece.strip():
                out.append(piece.strip())
    return tuple(out)


def _split_easy(line: str) -> list[str]:
    pieces, start = [], 0
    for match in _EASY_END.finditer(line):
        pieces.append(line[start:match.end()])
        start = match.end()
    pieces.append(line[start:])
    return pieces


# --- dates ---------------------------------------------------------------------------------

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\.?\s+\d{{4}}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}"
    rf"|(?:next|this|last|coming)\s+(?:{_WEEKDAY}|week|month|year|quarter|weekend)"
    rf"|{_WEEKDAY}"
    r"|today|tonight|tomorrow|yesterday"
    r"|end\s+of\s+(?:the\s+|this\s+)?(?:day|week|month|year)"
    r"|\d{1,2}\.\d{1,2}\.\d{4}"  # 31.03.2026, day first
    r"|\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,12}\.?\s+(?:de\s+)?\d{4}"  # 5 janvier 2026, 5. März 2026, 5 de marzo de 2026
    r"|(?:19|20)\d{2})\b"
    r"|(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日",  # 2026年3月10日
    re.IGNORECASE,
)
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


def find_dates(text: str, written: datetime) -> tuple[DateMention, ...]:
    """Every date in `text` with its role (expiry, deadline, start, event) and whether it is told in the past."""
    out = []
    matches = list(_DATE.finditer(text))
    if not matches:
        return ()
    clauses = [(m.start(), m.end()) for m in re.finditer(r"[^.;!?\n]+", text)]
    for match in matches:
        before = text[max(0, match.start() - 24):match.start()]
        role = _role(before, text[match.end():match.end() + 4].lstrip())
        clause = next((text[a:b] for a, b in clauses if a <= match.start() < b), text)
        when = _when(match.group(0), written, role)
        out.append(DateMention(match.group(0), match.start(), match.end(), when, role, _past_tense(clause)))
    return tuple(out)


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
    return _resolve(span, written, future=bounding)


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
