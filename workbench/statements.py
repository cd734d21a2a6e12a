"""What texts say about time and durability: sentences of turns, dated notes, failures in tool output.

Pure text functions over records, built on `workbench.text` (real sentence splitting, dates
resolved by dateparser and classified by the word that governs them). No keyword lists: a
note is temporary when it names an expiry date, episodic when it is told in the past or about
a dated event, and a sentence can become a memory when it is a self-contained statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .compare import FUNCTION_WORDS, PRONOUNS, Profile
from .records import EPOCH, Session
from .text import DateMention, find_dates, sentences

_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_FAILURE = re.compile(
    r"(?:FAILED|ERROR)\s+(?P<test>[\w/.\-]+::[\w\[\]\-.:]+)"
    r"|(?P<exc>\b[A-Z]\w*(?:Error|Exception|Timeout)\b):\s+(?P<msg>[^\n]{0,80})",
)


@dataclass(frozen=True, slots=True)
class Statement:
    """A sentence of a turn; `kind` is "statement" when it can stand as a memory, "failure" for tool failures."""

    id: str
    session_id: str
    turn_id: str
    role: str
    text: str
    at: datetime | None
    kind: str = ""


def turn_sentences(text: str) -> list[str]:
    """Sentences and list items of a turn, markers stripped, pieces under three words dropped."""
    out = []
    for piece in sentences(text):
        piece = _MARKER.sub("", piece).strip()
        if len(piece.split()) >= 3 or len(piece) >= 6 and not piece.isascii():
            out.append(piece)
    return out


def extract_statements(sessions: Iterable[Session]) -> list[Statement]:
    """Every sentence of user and agent turns, plus failure signatures from tool output."""
    out: list[Statement] = []
    for session in sessions:
        for turn in session.turns:
            if turn.role == "tool":
                for number, signature in enumerate(failure_signatures(turn.text)):
                    out.append(Statement(f"{turn.id}~f{number}", session.id, turn.id, "tool", signature,
                                         turn.at or session.started_at, "failure"))
                continue
            if turn.role not in ("user", "agent"):
                continue
            for number, sentence in enumerate(turn_sentences(turn.text)):
                out.append(Statement(f"{turn.id}~{number}", session.id, turn.id, turn.role, sentence,
                                     turn.at or session.started_at))
    return out


def failure_signatures(text: str) -> list[str]:
    """Normalised failures in tool output: failing pytest ids and exception lines."""
    found: list[str] = []
    for match in _FAILURE.finditer(text):
        if match.group("test"):
            name = re.sub(r"\[.*$", "", match.group("test").rsplit("::", 1)[-1])
            signature = f"{name} failed"
        else:
            message = re.sub(r"\d+(\.\d+)?", "N", match.group("msg")).strip()
            signature = f"{match.group('exc')}: {message}"
        if signature not in found:
            found.append(signature)
    return found


def declarative(text: str, profile: Profile) -> bool:
    """A statement that can be read alone: not a question, no pronoun pointing outside it."""
    if text.rstrip().endswith("?") or not profile.parsed:
        return False
    return not any(t.kind == "word" and t.text.lower() in PRONOUNS for t in profile.tokens)


# Closed-class words that make a statement habitual rather than a passing remark.
HABITUAL = frozenset("always never every whenever usually each".split())


def standalone(text: str, profile: Profile) -> bool:
    """A sentence that can stand as a memory: a statement (not a question or an exclamation), at least
    three content tokens, no pronoun pointing outside it ("it", "that", "they"), about a named subject
    (a name that is not just the person addressed, code, a path or link), or a habit or standing request
    ("always", "never", "every …", "please …")."""
    if text.rstrip().endswith(("?", "!")) or not profile.parsed:
        return False
    words = [t.text.lower() for t in profile.tokens if t.kind == "word"]
    if any(w in PRONOUNS for w in words):
        return False
    content_tokens = [s for s, k in zip(profile.sequence, profile.kinds) if s not in FUNCTION_WORDS and k != "negation"]
    if len(content_tokens) < 3:
        return False
    if profile.names - vocatives(text, profile):
        return True
    return any(w in HABITUAL or w == "please" for w in words)


def vocatives(text: str, profile: Profile) -> frozenset[str]:
    """Names that only address the listener: set off by a comma at the end or the start ("Thanks, Nate")."""
    out = set()
    names = [t for t in profile.tokens if t.norm.lower() in profile.names or t.text.lower() in profile.names]
    for token in names:
        before, after = text[:token.start].rstrip(), text[token.end:].strip()
        opening = len(before.split()) <= 1 and after.startswith(",")  # "Nate, …", "Thanks Nate, …", "Hey Maria, …"
        if before.endswith(",") and (not after or after[0] in ".!?") or opening:
            out.add(token.text.lower())
    return frozenset(out)


def episodic(text: str, written: datetime) -> DateMention | None:
    """The dated event or past-tense date that makes a text a one-off, or None (durable as far as we can tell)."""
    for mention in find_dates(text, written):
        if mention.role == "event" or mention.past_tense:
            return mention
    return None


def expiry(text: str, written: datetime) -> DateMention | None:
    """The explicit, present-tense expiry date of a note ("frozen until March 10"), or None."""
    for mention in find_dates(text, written):
        if mention.role == "expiry" and not mention.past_tense and mention.when is not None:
            return mention
    return None


def deadline(text: str, written: datetime) -> DateMention | None:
    """A present-tense deadline ("submit by Friday"), or None."""
    for mention in find_dates(text, written):
        if mention.role == "deadline" and not mention.past_tense and mention.when is not None:
            return mention
    return None


def clean_fact(sentence: str) -> str:
    """A stated fact as a memory note: list marker dropped, capitalised, one final stop."""
    text = _MARKER.sub("", sentence.strip()).strip(" -–—")
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "`", ")", "。")) else text + "."


def statement_kinds(statements: Sequence[Statement], profiles: Mapping[str, Profile]) -> list[Statement]:
    """The statements with `kind` "statement" set where a user sentence can stand as a memory."""
    return [replace(s, kind="statement") if s.kind == "" and s.role == "user" and standalone(s.text, profiles[s.id])
            and episodic(s.text, s.at or EPOCH) is None else s for s in statements]
