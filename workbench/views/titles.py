"""How a note, a time or a path is written in a table or on the map: short titles, folders, dates."""

from __future__ import annotations

import hashlib
import re

import pandas as pd

FATES = ("kept", "merged", "updated", "pruned", "created")


TITLE_LIMIT = 60


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """The first line of a text, whitespace collapsed, cut at a word boundary before `limit` with an ellipsis."""
    line = " ".join(str(text).strip().split("\n", 1)[0].split())
    line = re.sub(r"^[#>*\-+\s]+", "", line)
    return line if len(line) <= limit else cut_words(line, limit)


def cut_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last word boundary, with an ellipsis (never mid-word,
    unless one word alone is longer than most of the limit)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if not text[limit - 1].isspace() and space >= limit * 0.6:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + "…"


def top_folder(path: str) -> str:
    """The top-level folder of a path (`/people/ann.md` → `/people`), `/` for files at the root."""
    return "/" + path.lstrip("/").split("/", 1)[0] if path.count("/") > 1 else "/"


def _when(value) -> str:
    if value is None:
        return "undated"
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError):
        return str(value)
