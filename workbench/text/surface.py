"""Tokens as written, for reading instructions: quotes, paths, dates, numbers and punctuation kept.

`tokens` (words.py) is for comparing texts: it stems, splits contractions and drops punctuation.
Reading an instruction needs the opposite: every token as typed with its span, punctuation
(clauses are cut at "," and ";"), a quoted phrase or path as one token, and numbers with their
values, spelt-out ones included ("twenty-one days", "one hundred and twenty sessions").
"""

from __future__ import annotations

import re

from .lexicon import NUMBER_WORDS
from .words import Token

_SURFACE = re.compile(
    r"(?P<quote>“[^”]*”|\"[^\"]*\"|`[^`]*`|‘[^’]*’|(?<!\w)'[^'\n]+'(?!\w))"
    r"|(?P<path>(?<![\w/.])/[^\s,;\"“”`()\[\]]*)"
    r"|(?P<date>\d{4}-\d\d-\d\d(?:[T ][\d:.]+Z?)?)"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<abbr>(?<!\w)(?:e\.g|i\.e|etc|vs|cf)\.)"
    r"|(?P<word>[^\W\d_](?:[\w'’\-]*\w)?)"
    r"|(?P<punct>[,;:!?()&+/—–]|\.)"
)
_PATH_TRAIL = ".:!?'"  # closes the sentence, not the path: "Never touch /team/."


def surface_tokens(text: str) -> list[Token]:
    """The tokens of a text as written, in order, with their spans.

    Kinds: word (lower case, ’ read as ', not stemmed; "don't" and "e.g." are one word each),
    num (`value` set; spelt-out numbers folded by `fold_numbers`), date (ISO), path (also a quoted
    path: `norm` without the quotes), quote (`norm` is the inside) and punct.
    """
    out: list[Token] = []
    for m in _SURFACE.finditer(text):
        kind, raw, start = m.lastgroup or "punct", m.group(0), m.start()
        if kind == "path":
            raw = raw.rstrip(_PATH_TRAIL)
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
        out.append(Token(raw, norm, kind, start, start + len(raw), value))
    return fold_numbers(out)


def fold_numbers(tokens_: list[Token]) -> list[Token]:
    """Spelt-out numbers folded into one num token each: "three", "twenty-one", "one hundred and twenty".

    A number starts at a number word (not at "hundred") and goes on over number words, "hundred"
    (which multiplies by 100) and an "and" followed by a number word; the folded token keeps the
    first word's text and spans them all.
    """
    out: list[Token] = []
    i = 0
    while i < len(tokens_):
        t = tokens_[i]
        parts = t.norm.split("-") if t.kind == "word" else []
        if parts and all(p in NUMBER_WORDS or p == "hundred" for p in parts) and parts[0] != "hundred":
            total = sum(NUMBER_WORDS.get(p, 0) for p in parts)
            j = i + 1
            while j < len(tokens_) and tokens_[j].kind == "word" and (tokens_[j].norm in NUMBER_WORDS
                                                                      or tokens_[j].norm in ("hundred", "and")):
                word = tokens_[j].norm
                if word == "and" and not (j + 1 < len(tokens_) and tokens_[j + 1].norm in NUMBER_WORDS):
                    break
                total = total * 100 if word == "hundred" else total + NUMBER_WORDS.get(word, 0)
                j += 1
            out.append(Token(t.text, str(total), "num", t.start, tokens_[j - 1].end, float(total)))
            i = j
            continue
        out.append(t)
        i += 1
    return out


def verbatim_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of every path and quote in a line, as `surface_tokens` reads them: no sentence ends inside one."""
    spans = []
    for m in _SURFACE.finditer(line):
        if m.lastgroup == "path":
            spans.append((m.start(), m.start() + len(m.group(0).rstrip(_PATH_TRAIL))))
        elif m.lastgroup == "quote":
            spans.append((m.start(), m.end()))
    return spans
