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
from functools import lru_cache

from .compare import FUNCTION_WORDS, PRONOUNS, Profile
from .records import EPOCH, Session
from .text import DateMention, find_dates, sentence_spans, sentences

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


# --- what a note says of its own state: placeholders, closed items, waits -------------------------

# A value written as a placeholder: bracketed meta-text that says the slot is not filled yet.
_BRACKETED = re.compile(r"^\s*(?:\*\*[^*]{1,60}\*\*:?|[^\W\d_][\w '/&()-]{0,60}:)?\s*[\[(](?P<inner>[^\[\]()]{1,200})[\])]\s*\.?$")
_PLACEHOLDER_CUES = frozenset(
    "none nothing unknown empty n/a na tbd tbc todo yet populated populate tracked filled configured learned archived "
    "placeholder pending unset blank".split())
_BARE_PLACEHOLDER = re.compile(r"^\s*(?:tbd|tbc|todo|n/?a|none|nothing|unknown|empty|[-–—?…]+)\.?\s*$", re.IGNORECASE)
# "Next release: TBD", "— account manager: unknown": a label whose value is still to be found ("none" is a value).
_PLACEHOLDER_VALUE = re.compile(r"^[^:]{1,80}:\s*(?:\*\*)?\s*(?P<value>tbd|tbc|tba|unknown|\?+|to\s+be\s+"
                                r"(?:determined|decided|confirmed))\s*\.?\s*$", re.IGNORECASE)
_EMPTY_VALUE = re.compile(r"^\s*(?:\*\*[^*]{1,60}\*\*|[^\W\d_][\w '/&()-]{0,60}):?\s*(?:\*\*)?:?\s*$")
# "I don't know about their family yet", "Haven't learned their preferences yet", "Nothing here yet".
_NOT_KNOWN_YET = re.compile(
    r"^\s*(?:(?:I|we)\s+)?(?:do\s+not|don'?t|haven'?t|have\s+not|has\s+not|hasn'?t|not)\s+(?:yet\s+)?"
    r"(?:know|learn(?:ed|t)?|gotten\s+to\s+know|got(?:ten)?\s+to\s+know|recorded|noted|heard|found\s+out)\b[^.!?]*\byet\b"
    r"|^\s*(?:nothing|no\s+\w+)\s+(?:here|recorded|noted|learned|known)?\s*yet\b"
    r"|^\s*still\s+learning\s+about\b",
    re.IGNORECASE)
# A note about its own container being empty: "This block has been cleared of obsolete logs."
_EMPTIED = re.compile(r"^\s*(?:this|the)\s+(?:block|section|file|page|list|scratchpad|document|memory)\s+"
                      r"(?:(?:has\s+been|was|is\s+now)\s+(?:cleared|emptied|reset|wiped)|is\s+(?:now\s+)?empty)\b",
                      re.IGNORECASE)


@lru_cache(maxsize=200_000)
def placeholder(text: str) -> str:
    """Why a note is a placeholder — an empty value, bracketed meta-text ("(none yet)", "[unknown]"), a bare
    "TBD", or a sentence saying nothing is known yet — or "" when it states something."""
    if _BARE_PLACEHOLDER.match(text):
        return f"a bare placeholder ({text.strip()})"
    if _EMPTY_VALUE.match(text) and text.rstrip().rstrip("*").endswith(":"):
        return "a label with no value"
    empty_value = _PLACEHOLDER_VALUE.search(text)
    if empty_value:
        return f"a label with a placeholder value ({empty_value.group('value').strip()})"
    bracketed = _BRACKETED.match(text)
    if bracketed:
        words = {w.strip(".,;:!?-").lower() for w in bracketed.group("inner").split()}
        if words & _PLACEHOLDER_CUES:
            return f"bracketed placeholder text ({bracketed.group('inner').strip()})"
    first = sentences(text)[0] if text.strip() else ""
    if _NOT_KNOWN_YET.search(first):
        return f"it says nothing is known yet (“{first.strip()[:60]}”)"
    if _EMPTIED.search(first) and len(sentences(text)) == 1:
        return f"it says its container is empty (“{first.strip()[:60]}”)"
    return ""


def without_placeholder(text: str) -> str:
    """What a placeholder line says besides its empty value — the record it names, before a dash or after a
    bracket ("Northfield Outfitters (Business plan) — account manager: TBD" → "Northfield Outfitters (Business
    plan)") — or "" when the label names nothing else."""
    label = text.rsplit(":", 1)[0].strip().strip("*").strip()
    cut = max(label.rfind(" — "), label.rfind(" – "), label.rfind(" - "))
    if cut > 0:
        kept = label[:cut]
    elif ")" in label and not label.endswith(")"):
        kept = label[:label.rfind(")") + 1]
    else:
        return ""
    return kept.strip() if len(re.findall(r"[^\W\d_]{2,}", kept)) >= 2 else ""


# A closed status: a marker of its own, not a verb in a sentence ("Fixed the bug by …" is a lesson, not a status).
_CLOSED_WORDS = ("done", "resolved", "fixed", "completed", "complete", "closed", "deprecated", "terminated",
                 "obsolete", "cancelled", "canceled", "retired", "superseded", "abandoned", "wontfix", "shipped",
                 "merged")
_CAPS = "|".join(w.upper() for w in _CLOSED_WORDS)
_CLOSED = re.compile(
    r"[✅☑✔]"
    r"|[\[(]\s*(?i:" + "|".join(_CLOSED_WORDS) + r")\s*[\])]"
    r"|^\W*(?:" + _CAPS + r")\b|\b(?:" + _CAPS + r")\W*$|[—–-]\s*(?:" + _CAPS + r")\b"
    # a status after a dash: "— fixed in 4.12", "– resolved on 2026-05-03", "— done by Sam"
    r"|\s[—–]\s*(?i:" + "|".join(_CLOSED_WORDS) + r")\s+(?:in|on|by|at|via|since)\b"
    # a status as the item's label: "Done — fixed the audio link", "Fixed: quote PDF showing EUR"
    r"|^\W*(?i:" + "|".join(_CLOSED_WORDS) + r")\s*(?:[:—–]|\s-\s)")
_STATUS = re.compile(r"(?:\*\*)?status(?:\*\*)?\s*:\s*(?:\*\*)?\s*(?P<word>[^\W\d_]+)", re.IGNORECASE)
_STRUCK = re.compile(r"~~[^~]+~~")


@lru_cache(maxsize=65_536)  # pure; the planner asks again for each note at every new horizon
def closed_marker(text: str, raw: str = "") -> str:
    """The marker saying an item is closed — ✅, "[x]", ~~struck~~, an all-caps DONE / RESOLVED / DEPRECATED,
    "(done)", "Status: resolved" — or "". `raw` is the note's source line(s), where a checked box survives."""
    if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+\[[xX]\]", raw or ""):
        return "a checked box"
    struck = _STRUCK.findall(text)
    if struck and (sum(len(s) for s in struck) >= 0.6 * len(text.strip()) or re.match(r"^\W*~~", text)):
        return "struck through"
    status = _STATUS.search(text)
    if status and status.group("word").lower() in _CLOSED_WORDS:
        return f"status: {status.group('word')}"
    found = _CLOSED.search(text)
    return f"marked {found.group(0).strip()}" if found else ""


_OPEN_STATUS = ("open", "active", "pending", "todo", "to do", "in progress", "blocked", "waiting", "proposed",
                "planned", "ongoing", "new", "investigating")
_OPEN_HEADING = re.compile(r"\b(?:open|to\s?-?do|todos|active|pending|current|backlog|follow[\s-]?ups?|requests?|"
                           r"known\s+issues|issues|tasks|in\s+progress|next\s+steps|action\s+items|wip|flaky|bugs|blockers|"
                           r"outstanding|unresolved|waiting\s+on|watch\s?list)\b",
                           re.IGNORECASE)


def open_marker(text: str, raw: str = "") -> str:
    """The marker saying an item is still open — an unchecked box, "Status: open / in progress / blocked" — or ""."""
    if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+\[ \]", raw or ""):
        return "an unchecked box"
    status = _STATUS.search(text)
    if status and status.group("word").lower() in _OPEN_STATUS:
        return f"status: {status.group('word')}"
    return ""


def open_heading(text: str) -> bool:
    """A heading of a list of open items ("Open items", "Known issues", "TODO", "Follow-ups", "Requests")."""
    return bool(_OPEN_HEADING.search(text))


_WAIT = re.compile(r"\b(?:waiting|awaiting|pending|blocked\s+on|requested|asked\s+(?:[\w'’]+\s+){0,4}?for|"
                   r"follow(?:ing)?[\s-]up|still\s+no\s+(?:answer|reply|response|word)|"
                   r"no\s+(?:answer|reply|response)\s+yet|(?:not|n[o']t)\s+heard\s+back)\b",
                   re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:by|before|due|no\s+later\s+than)\b", re.IGNORECASE)


def waiting_since(text: str, written: datetime) -> DateMention | None:
    """A wait or request with the date it names ("Waiting for the vendor's quote (requested 2026-04-02)")."""
    if not _WAIT.search(text):
        return None
    dated = [m for m in find_dates(text, written) if m.when is not None]
    return max(dated, key=lambda m: m.when) if dated else None


_RELATIVE = re.compile(r"\b(?:today|tonight|tomorrow|yesterday|this\s+(?:morning|afternoon|evening|week|weekend|month|"
                       r"sprint)|right\s+now|later\s+today|next|last|coming|end\s+of)\b|day$", re.IGNORECASE)


def wait_deadline(text: str, written: datetime) -> DateMention | None:
    """The date a wait or request is due by ("asked for a report before the conference on Oct 24", "she said by
    Nov 1"): the latest date after "by", "before" or "due" in a waiting note, or None. Past it, the wait is over."""
    if not _WAIT.search(text):
        return None
    bound = _BEFORE.search(text)
    dated = [m for m in find_dates(text, written) if m.when is not None and bound and m.start > bound.start()]
    return max(dated, key=lambda m: m.when) if dated else None


def relative_time(text: str) -> str:
    """The words that tie a note to the moment it was written ("today", "this week"), or "" (never inside code:
    `yesterday.internal` is a hostname)."""
    text = re.sub(r"`[^`]*`", " ", text)
    found = re.search(r"\b(?:today|tonight|tomorrow|yesterday|this\s+(?:morning|afternoon|evening|week|weekend)|"
                      r"right\s+now|later\s+today)\b", text, re.IGNORECASE)
    return found.group(0) if found else ""


# How long a note tied to its moment of writing can hold, by the span its words name: "today" holds for a day,
# "this week" for a week; a wait for an answer is overdue long before a durable fact is old. A curator reads
# such a note as stale once its span is well past (twice the span and a week of grace), whatever the horizon.
LIFETIME_DAYS = {"day": 14, "week": 30, "month": 62, "wait": 60}


# A plan or a past event told with a relative time ("plans to … this weekend", "took … today") is history a
# store may keep; a state told so ("Looker is slow today", "Jonas is on call this week") passes with its span.
_HISTORY = re.compile(r"\b(?:plan(?:s|ned|ning)?\s+to|going\s+to|heading|looking\s+forward|will|about\s+to|"
                      r"starting|start|hop(?:e|es|ing)\s+to|took|went|tried|started|had|did|made|saw|got|came|"
                      r"met|found|yesterday)\b|'ll\b", re.IGNORECASE)


def transient_time(text: str) -> str:
    """The relative time of a note that states a passing condition ("slow today", "on call this week"), or ""
    (none, or a plan or past event told with one)."""
    words = relative_time(text)
    if not words:
        return ""
    clean = re.sub(r"`[^`]*`", " ", text)
    at = clean.lower().find(words.lower())  # the sentence that says it: "Went fine. Call Renata tomorrow." is a task
    said = next((clean[a:b] for a, b in sentence_spans(clean) if a <= at < b), clean)
    return "" if _HISTORY.search(said) else words


def lifetime(words: str) -> str:
    """The span a relative time names ("day" for "today" or "tomorrow morning", "week", "month"), or ""."""
    found = words.casefold()
    if not found:
        return ""
    return "week" if "week" in found else "month" if "month" in found else "day"


def anchor_date(text: str, written: datetime) -> DateMention | None:
    """The latest date a note names outright ("2026-07-22", "March 3"), never one relative to its writing
    ("today", "next week"): what its relative words mean."""
    dated = [m for m in find_dates(text, written) if m.when is not None and not _RELATIVE.search(m.text)]
    return max(dated, key=lambda m: m.when) if dated else None
