"""Sentences: as strings (`sentences`, for comparing texts) or as spans (`sentence_spans`, for reading instructions).

A line always ends a sentence. Within a line, an end after an ordinary word of four letters or more,
or after "!" / "?", is certain and cut directly; only the pieces with a doubtful "." (abbreviations,
paths, numbers) go through pysbd, which is slow.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from .surface import verbatim_spans

_EASY_END = re.compile(r"(?:(?<=[^\W\d_]{4})[.]|[!?]+)[\"')\]]*\s+(?=[\"'(\[`]?[A-Z0-9`])")
_HARD_END = re.compile(r"[.][\"')\]]*\s+\S")
# The same for `sentence_spans`, which masks paths and quotes as x: typographic quotes may close a
# sentence, and a masked path or quote may open one.
_MASKED_EASY_END = re.compile(r"(?:(?<=[^\W\d_]{4})[.]|[!?]+)[\"')\]”’]*\s+(?=[\"'(\[`“‘]?[A-Z0-9`x])")
_MASKED_HARD_END = re.compile(r"[.][\"')\]”’]*\s+\S")

_SEGMENTER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


@lru_cache(maxsize=100_000)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of a text, stripped (pysbd where a boundary is ambiguous)."""
    out: list[str] = []
    for line in text.splitlines():
        for start, end in _line_spans(line, masked=False):
            if line[start:end].strip():
                out.append(line[start:end].strip())
    return tuple(out)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in the text, without surrounding spaces; no split falls inside
    a path or a quote, and "e.g." or "/team/." does not end one."""
    out: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            for start, end in _line_spans(line, masked=True):
                piece = line[start:end]
                lead = len(piece) - len(piece.lstrip())
                if piece.strip():
                    out.append((offset + start + lead, offset + start + len(piece.rstrip())))
        offset += len(line)
    return out


@lru_cache(maxsize=4096)
def _line_spans(line: str, masked: bool) -> tuple[tuple[int, int], ...]:
    """Sentence spans of one line: cut at certain ends, the pieces between through `_piece_spans`."""
    if masked:
        chars = list(line)
        for start, end in verbatim_spans(line):
            for k in range(start, end):
                if not chars[k].isspace():
                    chars[k] = "x"
        line = "".join(chars)
    easy = _MASKED_EASY_END if masked else _EASY_END
    cuts = [0, *(m.end() for m in easy.finditer(line)), len(line)]
    spans: list[tuple[int, int]] = []
    for start, end in zip(cuts, cuts[1:]):
        spans += [(start + a, start + b) for a, b in _piece_spans(line[start:end], masked)]
    return tuple(spans)


@lru_cache(maxsize=4096)
def _piece_spans(piece: str, masked: bool) -> tuple[tuple[int, int], ...]:
    """The whole piece, or pysbd's sentences of it when it has a doubtful "." (cached: a keystroke re-reads one piece)."""
    if not (_MASKED_HARD_END if masked else _HARD_END).search(piece):
        return ((0, len(piece)),)
    with _SEGMENTER_LOCK:
        return tuple((s.start, s.end) for s in _segmenter().segment(piece))
