"""Tokens on word boundaries in any script, Snowball stems, and what a token sequence compares.

Every later test of a word is a test of a whole token (never a substring): `tokens` cuts a text
into words, values (numbers, versions, paths, hosts, identifiers, links, code spans) and, for
scripts written without spaces (Chinese, Japanese, Thai, …), overlapping character pairs, so any
text yields something to compare. Words are stemmed with Snowball (PyStemmer).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from .lexicon import (
    ARTICLES,
    CLITICS,
    CONTRACTIONS,
    IS_BEFORE_S,
    NEGATORS,
    NUMBER_WORDS,
    UNAPOSTROPHED,
    UNSPACED_NEGATION,
)

_STEMMER = Stemmer.Stemmer("english")
# `tokens` folds the single words for zero to twenty into digits ("three" → "3"); "thirty" stays a word.
_SPELT = {w: str(n) for w, n in NUMBER_WORDS.items() if n <= 20 and w != "dozen"}

# Scripts written without spaces between words: compared by overlapping character pairs.
_UNSPACED = (r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf"
             r"\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f")
_TOKEN = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<url>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s<>()\[\]`\"']+[^\s<>()\[\]`\"'.,;:!?])"
    r"|(?P<email>\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)"
    r"|(?P<path>(?<![\w$€£¥%])(?:~|\.{1,2})?/(?:[\w.\-~*{}]+/?)+|\b\w[\w\-]*(?:[./\\:@#][\w\-]+)+[+#]*|[$€£¥]?\d+(?:[,.:/\-]\d+)*[A-Za-zµ°]*%?)"
    rf"|(?P<unspaced>[{_UNSPACED}]+)"
    r"|(?P<word>[^\W\d_](?:[\w\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0900-\u0dff]|['’\-](?=\w))*)"
    r"|(?P<symbol>[\u2190-\u21ff\u2600-\u27bf\U0001f300-\U0001faff])",
)
# A weekday as it is abbreviated, written with a capital: the stem of the full name ("Sat" and "Sun" are
# left alone: "Sat down", "Sun Microsystems").
_WEEKDAYS = {short: _STEMMER.stemWord(day) for day, shorts in (("monday", "mon"), ("tuesday", "tue tues"),
                                                                ("wednesday", "wed"), ("thursday", "thu thur thurs"),
                                                                ("friday", "fri"))
             for short in shorts.split()}
_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.){1,4}[^\W\d_]?")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `norm` is what comparisons use (lower case; stemmed for words; digits for number words).

    `kind` is word | value | code | unspaced | negation from `tokens`, and word | num | date | path |
    quote | punct from `surface_tokens`, which also sets `value` on numbers.
    """

    text: str
    norm: str
    kind: str
    start: int
    end: int
    value: float | None = None

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
        elif kind == "url":  # "https://www.example.com/" is the host "example.com" written in full
            out.append(Token(raw, re.sub(r"^(?:https?://)?(?:www\.)?", "", raw.rstrip("/").lower()), "value", start, end))
        elif kind in ("email", "path"):
            out.append(Token(raw, raw.rstrip("/").lower(), "value", start, end))
        elif kind == "unspaced":
            pairs = [raw[i:i + 2] for i in range(max(1, len(raw) - 1))]
            out.extend(Token(p, p, "unspaced", start + i, start + i + len(p)) for i, p in enumerate(pairs))
            if UNSPACED_NEGATION.search(raw):
                out.append(Token(raw, "not", "negation", start, end))
        elif kind == "symbol":
            out.append(Token(raw, raw, "word", start, end))
        else:
            out.extend(_word_tokens(raw, start, end))
    return _percents(text, out)


_PERCENT_WORD = re.compile(r"%|\s*(?:per\s?cent|pct)\b\.?", re.IGNORECASE)


def _percents(text: str, out: list[Token]) -> tuple[Token, ...]:
    """The tokens with "85 percent", "85 per cent" and "12.5%" read as one value ("85%", "12.5%")."""
    if "%" not in text and "cent" not in text and "pct" not in text.lower():
        return tuple(out)
    merged: list[Token] = []
    skip_to = -1
    for token in out:
        if token.start < skip_to:
            continue
        after = _PERCENT_WORD.match(text, token.end) if token.kind == "value" and re.fullmatch(r"\d[\d.,]*", token.norm) else None
        if after:
            merged.append(Token(text[token.start:after.end()], token.norm + "%", "value", token.start, after.end()))
            skip_to = after.end()
        else:
            merged.append(token)
    return tuple(merged)


def _word_tokens(raw: str, start: int, end: int) -> list[Token]:
    """The tokens of one word (a contraction or clitic gives two), each spanning the word."""
    return [Token(text, norm, kind, start, end) for text, norm, kind in _word_pieces(raw)]


@lru_cache(maxsize=200_000)
def _word_pieces(raw: str) -> tuple[tuple[str, str, str], ...]:
    """(text, norm, kind) of each token of one word, worked out once per distinct word."""
    lowered = raw.lower().replace("’", "'")
    if lowered in UNAPOSTROPHED:  # "dont" is "don't"
        return tuple((raw, norm, kind) for _, norm, kind in _word_pieces(UNAPOSTROPHED[lowered]))
    if lowered in CONTRACTIONS:
        base, neg = CONTRACTIONS[lowered]
        return ((raw, base, "word"), (raw, neg, "negation"))
    if lowered.endswith("n't") and len(lowered) > 3:
        return ((raw, stem(lowered[:-3]), "word"), (raw, "not", "negation"))
    if lowered.endswith("'s") and lowered[:-2] in IS_BEFORE_S:
        return (*_word_pieces(raw[:-2]), (raw, "is", "word"))
    for clitic, full in CLITICS.items():
        if lowered.endswith(clitic) and len(lowered) > len(clitic):
            return (*_word_pieces(raw[:-len(clitic)]), (raw, full, "word"))
    if lowered.startswith("않"):  # Korean negative auxiliary 않다 in any form
        return ((raw, "not", "negation"),)
    if lowered in NEGATORS:
        return ((raw, "not" if lowered in ("no", "not", "never", "none") else lowered, "negation"),)
    if lowered in _SPELT:
        return ((raw, _SPELT[lowered], "value"),)
    if raw[:1].isupper() and lowered.rstrip(".") in _WEEKDAYS:  # "Tue" is "Tuesday" ("tue" may be a word)
        return ((raw, _WEEKDAYS[lowered.rstrip(".")], "word"),)
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


_SHAPES = (("date", re.compile(r"\d{4}-\d{2}-\d{2}")), ("email", re.compile(r"[^\s@]+@[^\s@]+\.\w+")),
           ("phone", re.compile(r"\+?(?:\d{1,3}[-. ])?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}|\d{3}[-.]\d{4}")), ("money", re.compile(r"[$€£¥]\d[\d.,]*\w{0,2}")),
           ("percent", re.compile(r"\d[\d.,]*%")), ("time", re.compile(r"\d{1,2}:\d{2}(?:[ap]m)?")),
           ("version", re.compile(r"v\d[\w.]*")), ("number", re.compile(r"\d[\d.,]*")))


def value_shape(value: str) -> str:
    """What kind of value a token's norm is: date, email, phone, money, percent, time, version, number, or "" (a name
    or code)."""
    return next((shape for shape, pattern in _SHAPES if pattern.fullmatch(value)), "")
