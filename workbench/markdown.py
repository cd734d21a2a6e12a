"""Markdown memory documents: where each fact is, what it sits under, and how to write one back.

A document is parsed as CommonMark (markdown-it-py, with tables and front matter) and cut into
parts, one per fact: a list item's text, a paragraph, a `Key: value` line, a block quote, or a
whole code block, table or HTML block, each located by its character span so the document can be
rewritten part by part and stay byte-identical elsewhere.

What a part sits under is its `section`: the headings above it, then the *titles* above it. Agents
write titles as headings without `#`: a paragraph that is wholly bold (`**Core Principles:**`) or a
bare label line (`Known issues:`), with content after it in the same container. This module knows
Markdown only (it imports nothing of the workbench); `records.split_notes` makes notes of parts.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

KEY_VALUE = re.compile(r"^[^\W\d_][\w '/()-]{0,40}:\s+\S")  # a `Key: value` line
LABEL = re.compile(r"^[^\W\d_][\w '/()-]{0,40}:$")  # a key with nothing after its colon: `Known issues:`
_BOLD_LABEL = re.compile(r"^\s*(?:\*\*|__)(?P<label>[^*_\n]{1,80}?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(?P<body>\S.*)$",
                         re.DOTALL)
_PREFIX = re.compile(r"^\s*(?:>\s?)*\s*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?)?")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
_WHOLE = {"fence": "code", "code_block": "code", "table_open": "table", "html_block": "html"}
# What a paragraph ending in a colon may lead into: it is then the lead-in of that block, never a fact alone.
_LED = ("bullet_list_open", "ordered_list_open", "fence", "code_block", "blockquote_open", "table_open")
_UNDER_TITLE = ("bullet_list_open", "ordered_list_open", "paragraph_open")  # what may follow a title
_EMPHASIS = {"strong_open": "strong_close", "em_open": "em_close"}
BOLD, LABELLED = 1, 2  # ranks of titles: a bold title holds the label titles under it


@lru_cache(maxsize=1)
def label_body(text: str) -> tuple[str, str]:
    """("Label", "body") of a note that opens with a bold label (`**Label:** body`, `**Label**: body`),
    else ("", text)."""
    found = _BOLD_LABEL.match(text)
    return (found.group("label").strip(), found.group("body").strip()) if found else ("", text)


def parser() -> Any:
    """The CommonMark parser every reader of memory documents uses (tables and front matter on)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


_LOCAL = threading.local()


def _thread_parser() -> Any:
    """`parser()` built once per thread: building one costs more than parsing a short document."""
    if not hasattr(_LOCAL, "parser"):
        _LOCAL.parser = parser()
    return _LOCAL.parser


class Part(NamedTuple):
    """One fact of a document: where it is and what it sits under."""

    kind: str  # bullet | numbered | title | field | paragraph | quote | code | table | html
    section: str  # headings, then titles, above it, joined by " / "
    parents: tuple[str, ...]  # texts of the list items it is nested in, outermost first
    parent: int | None  # position of the innermost of those items
    start: int
    end: int
    text: str


@lru_cache(maxsize=50_000)
def parse(content: str) -> tuple[Part, ...]:
    """The parts of a document, in order (parsed once per content)."""
    lines = content.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    walker = _Split(lines)
    walker.walk(_thread_parser().parse(content))
    kept = [index for index, note in enumerate(walker.notes) if not note.dropped]
    position = {index: at for at, index in enumerate(kept)}
    out = []
    for index in kept:
        note = walker.notes[index]
        out.append(Part(note.kind, note.section, tuple(walker.notes[p].text for p in note.parents),
                        position[note.parents[-1]] if note.parents else None,
                        offsets[note.first], offsets[note.last] + len(lines[note.last].rstrip("\r")), note.text))
    return tuple(out)


def title_of(inline: Any, over_fields: bool = False) -> tuple[int, str] | None:
    """(rank, text) when the first line of an inline token is a title, else None.

    A title is a line that is wholly bold (strong emphasis, possibly inside emphasis, spanning the
    line; a colon may follow inside or outside the bold) and does not end as a sentence does, or
    a bare label: a `Key:` as in a `Key: value` line, not starting in lower case, with nothing
    after the colon. The text is the title without its markers and its colon. `over_fields`: the line heads
    `Key: value` lines, so a final full stop is an abbreviation's (“**Coldharbor Elevator Co.**”), not a sentence's.
    """
    line = inline.content.split("\n", 1)[0].strip()
    if LABEL.match(line) and not line[0].islower():
        return LABELLED, line[:-1].rstrip()
    run = []
    for child in inline.children or ():
        if child.type in ("softbreak", "hardbreak"):
            break
        if child.type != "text" or child.content.strip():
            run.append(child)
    if run and run[-1].type == "text" and run[-1].content.strip() == ":":
        run.pop()
        line = line[:-1].rstrip()
    prefix, bold = "", False
    while len(run) > 1 and run[0].type in _EMPHASIS and _closes_last(run):
        prefix, bold = prefix + run[0].markup, bold or run[0].type == "strong_open"
        run = run[1:-1]
    if not bold or not run or not line.startswith(prefix) or not line.endswith(prefix[::-1]):
        return None
    text = line[len(prefix):len(line) - len(prefix)].strip().removesuffix(":").rstrip()
    if not text or text.endswith(("!", "?")) or text.endswith(".") and not over_fields:
        return None  # a bold sentence is a fact, not a title
    return BOLD, text


def bold_lead(inline: Any) -> str | None:
    """The bold name a one-line paragraph opens with when a dash or colon and more words follow it
    ("**RGO-26-041** — Grant, NRF Discovery"), else None."""
    children = [c for c in inline.children or () if c.type != "text" or c.content.strip()]
    if len(children) < 4 or children[0].type != "strong_open" or children[1].type != "text" \
            or children[2].type != "strong_close" or children[3].type != "text":
        return None
    name, rest = children[1].content.strip(), children[3].content.lstrip()
    if not name or len(name) > 80 or name.endswith((".", "!", "?")) or rest[:1] not in ("—", "–", "-", ":"):
        return None
    return name.removesuffix(":").rstrip() if len(rest.lstrip("—–-: ")) > 0 else None


def _closes_last(run: list) -> bool:
    """Whether the emphasis opened by `run[0]` is closed by `run[-1]` (and not before)."""
    opened, closed, depth = run[0].type, _EMPHASIS[run[0].type], 0
    for at, token in enumerate(run):
        depth += (token.type == opened) - (token.type == closed)
        if depth == 0:
            return at == len(run) - 1
    return False


# A lead-in that names a record (a number, a code, a name after its first word: "Claim HO-22871, hail damage:",
# "Things Priya likes:") is the parent of the list it leads; "Guidelines from the team:" is only an introduction.
_NAMES_SOMETHING = re.compile(r"\d|(?<=\s)[A-Z]")


@dataclass
class _Note:
    kind: str
    section: str
    parents: tuple[int, ...]  # indexes of the list items it is nested in
    first: int  # first line
    last: int  # last line
    text: str
    dropped: bool = False  # a title paragraph with notes under it: a heading, not a note


@dataclass
class _Item:
    kind: str  # bullet | numbered
    note: int | None = None  # index of the item's own note
    title: bool = False  # its text is one title line (`- **Core Principles:**`)


@dataclass
class _Title:
    text: str
    rank: int  # BOLD or LABELLED
    depth: int  # how many list items and block quotes it is inside
    note: int | None  # its own note: dropped once a note falls under the title, kept if none does
    used: bool = False
    lists: int = -1  # a bold lead's title lasts while this many lists are open (its own list), else -1


@dataclass
class _Split:
    """Walks markdown-it's tokens and collects notes with their sections and parents."""

    lines: list[str]
    notes: list[_Note] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text) of the headings in force
    titles: list[_Title] = field(default_factory=list)  # open titles, by (depth, rank)
    items: list[_Item] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    leads: list[int | None] = field(default_factory=list)  # each open list's lead-in naming a record, if any
    lead: int | None = None  # a lead-in just added: the parent of the list that follows it
    quote: int = 0

    @property
    def depth(self) -> int:
        return len(self.items) + self.quote

    def add(self, kind: str, first: int, last: int, text: str, parents: tuple[int, ...]) -> int:
        self.notes.append(_Note(kind, " / ".join([*(h for _, h in self.headings), *(t.text for t in self.titles)]), parents,
                                first, last, text))
        for title in self.titles:
            title.used = True
        self.lead = len(self.notes) - 1 if kind == "lead" and _NAMES_SOMETHING.search(text) else None
        return len(self.notes) - 1

    def parents(self) -> tuple[int, ...]:
        """The lead-in of each open list and the item it is in, outermost first."""
        out = []
        for depth, lead in enumerate(self.leads):
            item = self.items[depth].note if depth < len(self.items) else None
            out.extend(i for i in (lead, item) if i is not None)
        return tuple(out)

    def close(self, depth: int, rank: int = 0) -> None:
        """End the titles opened `depth` deep or deeper (at `depth` itself, those ranked `rank` or lower)."""
        while self.titles and (self.titles[-1].depth, self.titles[-1].rank) >= (depth, rank):
            title = self.titles.pop()
            if title.used and title.note is not None:
                self.notes[title.note].dropped = True

    def open(self, title: tuple[int, str], note: int | None) -> None:
        self.titles.append(_Title(title[1], title[0], self.depth, note))

    def paragraph(self, first: int, last: int, inline: Any, after: str | None) -> None:
        """A paragraph's notes; `after` is the type of the token after it (what follows it in its container)."""
        pieces = inline.content.split("\n")
        item = self.items[-1] if self.items else None
        if item is not None and item.note is None:
            head, rest = _lazy_fields(self.lines, first, last)
            item.note = self.add(item.kind, first, head, _join(pieces[: head - first + 1]), self.parents())
            item.title = head == first and title_of(inline) is not None
            for line in rest:
                self.add("field", line, line, self.lines[line].strip(), ())
            return
        kind = "quote" if self.quote else "paragraph"
        title = title_of(inline)
        if title is not None and len(pieces) == 1:
            self.close(self.depth, title[0])  # even one with nothing under it ends the titles it is level with
            led = after in _LED and after not in _UNDER_TITLE  # a bold title over a code block or a table
            note = self.add("lead" if led else kind, first, last, _join(pieces), self.parents())
            if after in _UNDER_TITLE:
                self.open(title, note)
        elif len(pieces) > 1 and all(KEY_VALUE.match(p) for p in pieces[1:]) \
                and (title := title or title_of(inline, over_fields=True)) is not None:
            self.close(self.depth, title[0])  # a title line over `Key: value` lines
            self.open(title, None)
            for offset, piece in enumerate(pieces[1:], start=1):
                self.add("field", first + offset, first + offset, piece.strip(), self.parents())
        elif len(pieces) > 1 and all(KEY_VALUE.match(p) for p in pieces):
            for offset, piece in enumerate(pieces):
                self.add("field", first + offset, first + offset, piece.strip(), self.parents())
        elif len(pieces) == 1 and after in ("bullet_list_open", "ordered_list_open") \
                and (name := bold_lead(inline)) is not None:
            self.close(self.depth, BOLD)  # "**RGO-26-041** — Grant, NRF Discovery" over its list: a record's title
            self.add(kind, first, last, _join(pieces), self.parents())  # that says something itself: a note too
            self.open((BOLD, name), None)
            self.titles[-1].lists = len(self.lists) + 1  # it titles the list that follows, not what comes after
        elif after in _LED and inline.content.rstrip().rstrip("*_").rstrip().endswith(":"):
            self.add("lead", first, last, _join(pieces), self.parents())  # "Suggested layout:" over a list or code
        else:
            self.add("field" if KEY_VALUE.match(inline.content) and len(pieces) == 1 else kind, first, last,
                     _join(pieces), self.parents())

    def walk(self, tokens: list) -> None:
        for i, token in enumerate(tokens):
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append("numbered" if kind == "ordered_list_open" else "bullet")
                self.leads.append(self.lead)
                self.lead = None
            elif kind in ("bullet_list_close", "ordered_list_close"):
                while self.titles and self.titles[-1].lists == len(self.lists):
                    self.titles.pop()  # a bold lead's list ended
                self.lists.pop()
                self.leads.pop()
            elif kind == "list_item_open":
                self.items.append(_Item(self.lists[-1] if self.lists else "bullet"))
            elif kind == "list_item_close":
                self.close(self.depth)
                item = self.items.pop()
                if item.title and any(item.note in n.parents for n in self.notes[item.note + 1:] if not n.dropped):
                    self.notes[item.note].kind = "title"
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.close(self.depth)
                self.quote -= 1
            elif kind == "heading_open":
                self.close(0)
                level = int(token.tag[1:])  # a heading ends every heading of its level or deeper
                self.headings = [h for h in self.headings if h[0] < level] + [(level, tokens[i + 1].content.strip())]
            elif kind == "hr":
                self.close(self.depth)
            elif kind == "paragraph_open" and token.map and tokens[i + 1].content.strip():
                self.paragraph(token.map[0], token.map[1] - 1, tokens[i + 1],
                               tokens[i + 3].type if i + 3 < len(tokens) else None)
            elif kind in _WHOLE and token.map:
                first, last = token.map[0], token.map[1] - 1
                while last > first and not self.lines[last].strip():
                    last -= 1
                text = "\n".join(line.rstrip("\r") for line in self.lines[first:last + 1]).strip()
                if text:
                    self.add(_WHOLE[kind], first, last, text, self.parents())
        self.close(0)


def _join(lines: list[str]) -> str:
    return _CHECKBOX.sub("", " ".join(line.strip() for line in lines)).strip()


def _lazy_fields(lines: list[str], first: int, last: int) -> tuple[int, list[int]]:
    """A list item's paragraph, minus trailing unindented `Key: value` lines (fields, not continuation)."""
    rest = []
    while last > first and KEY_VALUE.match(lines[last]) and not lines[last][:1].isspace():
        rest.insert(0, last)
        last -= 1
    return last, rest


# --- writing a document back through its spans ---------------------------------------------------


class Located(Protocol):
    """What rewriting needs of a note: its id, its kind and its span."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def rewrite_content(
    content: str,
    notes: Sequence[Located],
    replacements: Mapping[str, str | None],
    additions: Sequence[str] = (),
) -> str:
    """Rewrite a document: replace (text) or drop (None) notes by id, then append new bullets.

    Markers (`- `, `1. `) of replaced notes are kept; everything not touched stays byte-identical.
    """
    out: list[str] = []
    cursor = 0
    for note in sorted(notes, key=lambda n: n.start):
        if note.id not in replacements:
            continue
        new = replacements[note.id]
        out.append(content[cursor:note.start])
        if new is None:
            cursor = note.end
            for eol in ("\r\n", "\n"):
                if content.startswith(eol, cursor):
                    cursor += len(eol)
                    break
            continue
        marker = _PREFIX.match(content[note.start:note.end])
        prefix = marker.group(0) if marker and note.kind not in ("code", "table", "html") else ""
        out.append(prefix + new.strip())
        cursor = note.end
    out.append(content[cursor:])
    text = "".join(out)
    if additions:
        eol = "\r\n" if "\r\n" in content else "\n"
        if text and not text.endswith("\n"):
            text += eol
        last = text.rstrip("\r\n").rsplit("\n", 1)[-1]
        if last.strip() and not re.match(r"\s*(?:[-*+]|\d{1,9}[.)])\s", last) and not text.endswith(("\n\n", "\r\n\r\n")):
            text += eol
        text += "".join(f"- {a.strip()}{eol}" for a in additions)
    return text
