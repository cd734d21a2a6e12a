"""Tokens and sentences: paths, quotes, numbers (word numbers folded) and pysbd sentences with spans."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from functools import lru_cache

from ._lexicon import _NUMBER_WORDS, _UNIT_WORDS, _osa
from ._records import _Token

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


def _norms(tokens: list[_Token]) -> list[str]:
    return [f"§{t.kind}" if t.kind in ("path", "quote") else t.norm for t in tokens]

