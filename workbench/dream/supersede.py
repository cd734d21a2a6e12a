"""Readings of a changed value: what in two notes' texts says the newer replaces the older one.

Pure functions of two `workbench.compare.Profile`s (the older note first): a restatement with another
value (`restated`), "from X to Y" (`from_to`), "Y (formerly X)" (`formerly`), the older value named as the
old one (`names_old`), a `Key: value` line's key said again with a change word (`key_changed`), a name said to
have changed (`name_changed`), a change word
over a shared subject (`change_word`), and the older text rewritten
with the newer value (`with_new_value`). The rules (`workbench.dream.rules`) turn them into verdicts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..compare import FUNCTION_WORDS, old_values
from ..compare import stopped as said_stopped
from ..records import EPOCH
from ..text import CHANGE_MARKERS, find_dates, value_shape

# Stems around an older note's word that name it as the old value: "not 8787", "was $29", "from X", "X → Y",
# "I said tabs earlier", "Dana left", "Marco moved to onboarding", "Tor stepped back".
_OLD_BEFORE = frozenset({"was", "were", "from", "previous", "former", "said", "wrote", "note", "list", "replac",
                         "instead", "than"})
_OLD_AFTER = frozenset({"→", "->", "earlier", "befor", "left", "move", "step", "retir", "quit", "deprec", "gone",
                        "replac", "previous", "anymor", "no"})


def date_values(p) -> frozenset[str]:
    """`p`'s values inside a date it names."""
    spans = [(m.start, m.end) for m in find_dates(p.text, EPOCH)] if p.values else []
    return frozenset(t.norm for t in p.tokens if t.norm in p.values and any(a <= t.start < b for a, b in spans))


def added_values(older, newer) -> frozenset[str]:
    """The values `newer` names that `older` lacks — none when they are only the date of a change to an
    undated note ("Bumped … on 2026-10-11" adds 2026-10-11, but so says nothing new about an undated value)."""
    added = newer.values - older.atoms
    return added if not added <= date_values(newer) or date_values(older) else frozenset()


@lru_cache(maxsize=2**17)
def _cue(text: str) -> str:
    """The first change word of `text` that is not an arrow ("" when none): a note's texts meet many pairs."""
    return next((m.group(0) for m in CHANGE_MARKERS.finditer(text) if m.group(0) not in ("→", "->")), "")


@lru_cache(maxsize=2**17)
def _marked(text: str) -> bool:
    """Whether `text` holds a change marker (an arrow counts)."""
    return CHANGE_MARKERS.search(text) is not None


def change_word(older, newer, closest: bool) -> str:
    """The change word of `newer` ("Updated", "now", "bumped", "as of") when it shares its subject (a word or
    name) with `older`, is the note most alike to it, and each names a value the other lacks (more than a change's
    date). (Read over pairs made by structure too, it was measured right 4 times in 29 on the written stores.)"""
    cue = _cue(newer.text)  # an arrow is a flow too
    if not cue or not closest or _marked(older.text) or not _subjects(older) & newer.atoms:
        return ""
    return cue if older.values - newer.values and added_values(older, newer) else ""


def _subjects(p) -> set[str]:
    """What a note can be about: its words, names and identifiers (“GreenLeaf”, `ingest_hubspot`), not numbers."""
    return set(p.words | p.names) | {v for v in p.values if not any(ch.isdigit() for ch in v)}


_ADDS = re.compile(r"\b(?:also|another|additional|second|too|as\s+well|extra)\b", re.IGNORECASE)


def key_changed(older, newer, key: tuple[str, ...] | None) -> frozenset[str] | None:
    """The older values a newer note replaces when `older` is a `Key: value` line (`key` its words) and `newer`
    names every word of the key with a change word (an arrow counts) and a value of its own ("Q4 quota: $410k" ↔
    "Q4 quota revised → $385k"): the values of a kind the newer adds (dates aside) that it lacks, and those it
    names as old ("(was A2)"). None when it does not read so, when the newer adds a value ("also", "another"), or
    when the key is only a name ("Mateo: Saturday 10:00") and no value of a kind the newer adds went."""
    if not _names_key(key, older, newer) or not _marked(newer.text) or _marked(older.text) or _ADDS.search(newer.text):
        return None
    added = added_values(older, newer) - date_values(newer)
    named_old = old_values(newer) & older.values  # "they dropped Dispatchly": a list that shrank
    if not (added or named_old) or not (older.atoms - set(key)) - newer.atoms:
        return None
    shapes = {value_shape(v) for v in added} - {""}
    gone = {v for v in older.values - newer.atoms if value_shape(v) in shapes} | named_old
    if all(w in older.names or w in older.values and not value_shape(w) for w in key):
        # "Mateo: Saturday 10:00": the key is a subject's name, so a value of the same kind must have changed
        # ("→ Sunday 18:00"), a bare number only with the same word after it; a note about it is no change of it
        return frozenset(_counting_alike(older, newer, gone, added) - set(key)) or None
    return frozenset(gone - set(key))


def name_changed(older, newer) -> frozenset[str] | None:
    """The older value a newer note replaces when it says a name the older holds changed, the name right before its
    change word ("GreenLeaf is now $65 a visit" ↔ "Lawn service: GreenLeaf, $55/visit"; "Maya has a new number:
    …"), with a value of a kind the older holds and the newer lacks (a bare number only with the same word after
    it: "180 technicians" ↔ "215 technicians"), and a name the newer says went with it ("Greg retired"). None when it
    does not read so, or when the newer says the old value is still used ("the old address is just for invoices")."""
    if _marked(older.text) or _ADDS.search(newer.text) or _STILL_USED.search(newer.text):
        return None
    subject = _changed_subject(newer)
    if not subject or subject not in older.names | {v for v in older.values if not value_shape(v)}:
        return None
    added = added_values(older, newer) - date_values(newer)
    shapes = {value_shape(v) for v in added} - {""}
    gone = _counting_alike(older, newer, {v for v in older.values - newer.atoms if value_shape(v) in shapes}, added)
    old = names_old(older, newer)  # "(…; Greg retired)": the contact's name went with the number
    return frozenset(gone | ({old[0].casefold()} & older.atoms if gone and old else set())) or None


# change words that say the subject itself went or was replaced ("Dana left", "Greg retired"), not one of its values
_GOES = re.compile(r"left\s+\w+|retired|resigned|stepped\s+\w+|discontinued|replaced|renamed|became|took\s+over|"
                   r"handed\s+\w+|transferred|no\s+longer|any\s?more|formerly|previously|used\s+to|earlier|"
                   r"the\s+old\s+one", re.IGNORECASE)
# the old value still used for something: "the old address is just for invoices", "old number still works"
_STILL_USED = re.compile(r"\bold\s+(?:\w+\s+){0,2}(?:is|stays|remains)?\s*(?:still|just|only|kept)\b", re.IGNORECASE)
_LINKS = frozenset({"is", "are", "was", "were", "has", "have", "had", "'s", "’s", "s"})


def _changed_subject(p) -> str:
    """The name or identifier right before the note's first change word (links such as "is" and "has" between), or
    a capitalised word there ("Maya has a new number": a name when the older note reads it as one)."""
    cue = next((m for m in CHANGE_MARKERS.finditer(p.text) if m.group(0) not in ("→", "->")), None)
    if cue is None or _GOES.fullmatch(cue.group(0)):
        return ""
    before = [t for t in p.tokens if t.end <= cue.start() and t.norm not in _LINKS]
    last = before[-1] if before else None  # a capitalised word: a name here when the older note reads it so
    named = last is not None and (last.text[:1].isupper() or last.norm in p.names | p.values)
    return last.norm if named and len(last.norm) > 2 and not value_shape(last.norm) else ""


def _counting_alike(older, newer, gone: set[str], added: frozenset[str]) -> set[str]:
    """`gone` without the bare numbers that count something other than the newer's numbers do ("180 seats" is no
    old value of "215 technicians")."""
    units = {_unit(newer, w) for w in added} - {""}
    return {v for v in gone if value_shape(v) != "number" or _unit(older, v) in units}


def _unit(p, value: str) -> str:
    """The word after `value` in `p` ("technicians" after "180"), or ""."""
    toks = p.tokens
    return next((toks[i + 1].norm for i, t in enumerate(toks[:-1]) if t.norm == value), "")


def _names_key(key: tuple[str, ...] | None, older, newer) -> bool:
    """`newer` names the key: its last word (the head, “shortlist” of “Brisa's eval shortlist”) and every name or
    value in it."""
    if not key:
        return False
    said = set(newer.sequence)
    return key[-1] in said and {w for w in key if w in older.names | older.values} <= said


def names_old(older, newer, record: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(old, new) when `newer` carries a change word, names a word or value of `older` as the old one ("not
    8787", "was $29", "I had $12", "X → Y", "I said tabs earlier", "Dana left", "no longer using FreshCart"), and adds
    a value `older` lacks; the two must share another word or name (the subject), or the newer must name the older's
    `record` (the words of its heading: "Noor is B1 now (was A2)" ↔ "Level: A2" under "Noor Castellane"). A named
    thing said to be stopped is its own subject."""
    if not _marked(newer.text) or _marked(older.text):
        return None
    toks = newer.tokens
    found = []
    # "from Nov 16" starts something: a calendar date (with its day or year) after "from" is no old value
    spans = [(m.start, m.end) for m in find_dates(newer.text, EPOCH) if any(ch.isdigit() for ch in m.text)]
    dated = {t.norm for t in toks if any(a <= t.start < b for a, b in spans)}
    for i, t in enumerate(toks):
        if t.norm not in older.atoms or t.norm in FUNCTION_WORDS:
            continue
        before = toks[i - 1] if i else None
        if t.norm in dated and before is not None and before.norm == "from":
            continue
        after = toks[i + 1].norm if i + 1 < len(toks) else ""
        specific = t.norm in older.values  # "not 8787" and "15 → 16" name a value; "not merely", "down →" nothing
        arrow = after in ("→", "->")
        said_old = before is not None and (before.kind == "negation" or before.norm == "had")  # "not 8787", "I had $12"
        stopped = said_stopped(newer, t)
        if not ((before is not None and (before.norm in _OLD_BEFORE or said_old and specific)) or stopped
                or after in _OLD_AFTER and (specific or not arrow and t.norm in older.names)):  # "Dana left"
            continue
        added = added_values(older, newer)
        # the subject: another shared word, or the named thing itself when the newer says it stopped
        subject = ((older.atoms | record) & newer.atoms) - ({t.norm} if not stopped or t.norm not in older.values else set())
        if added and subject:
            found.append((t.text, sorted(added)[0], bool(value_shape(t.norm))))
    # an amount or date named as old before a name ("I wrote $500/month for Halvard earlier": $500, not Halvard)
    return next(((old, new) for old, new, shaped in sorted(found, key=lambda f: not f[2])), None)


def restated(older, newer) -> str:
    """The new value when `newer` says `older`'s statement again — most of its content words — with another
    value (a number, date, name or code `older` has and `newer` lacks or negates, and one `newer` adds)."""
    words = older.words
    if len(words) < 3 or not _marked(newer.text):
        return ""
    parts = {p for v in newer.values for p in re.split(r"[._/\-=:@]+", v) if p}
    if len(words & (newer.words | parts)) < 0.75 * len(words):
        return ""
    added = newer.values - older.values
    gone = older.values - newer.values or _negated_values(newer, older.values)
    return ", ".join(sorted(added)[:3]) if added and gone else ""


def _negated_values(p, values) -> frozenset[str]:
    """Values of `values` that `p` names right after a negator ("port 5433, not 5432")."""
    toks = p.tokens
    return frozenset(t.norm for i, t in enumerate(toks) if t.norm in values and i and toks[i - 1].kind == "negation")


def from_to(older, newer) -> tuple[str, str] | None:
    """("X", "Y") when `newer` says something changed "from X to Y", X is what `older` says and Y is not,
    and the two share another content word, the subject (not a number); else None."""
    if "from" not in newer.text.lower():  # no token "from" (most pairs: the check costs a tenth of the scan)
        return None
    toks = [t for t in newer.tokens if t.kind != "negation"]
    norms = [t.norm for t in toks]
    for i, norm in enumerate(norms):
        if norm != "from":
            continue
        j = next((k for k in range(i + 2, min(i + 7, len(norms))) if norms[k] == "to"), None)
        if j is None or j + 1 >= len(norms):
            continue
        end = next((k for k in range(j + 1, min(j + 5, len(norms))) if norms[k] in FUNCTION_WORDS), min(j + 5, len(norms)))
        was, now = set(norms[i + 1:j]) - FUNCTION_WORDS, set(norms[j + 1:end]) - FUNCTION_WORDS
        rest = ((newer.words | newer.names) - was - now) & (older.words | older.names)  # the subject, not a number
        if was and now and was <= set(older.sequence) and not now <= set(older.sequence) and rest:
            said = newer.text
            return said[toks[i + 1].start:toks[j - 1].end], said[toks[j + 1].start:toks[end - 1].end]
    return None


_FORMERLY = frozenset({"formerly", "former", "previously", "previous", "née", "ex"})  # as written and as stemmed


def formerly(older, newer) -> tuple[str, str] | None:
    """("X", "Y") when `newer` names its value Y as "Y (formerly X)" or "Y, previously X", X is a name or value
    that `older` holds and Y is one it lacks; the two must share another content word (the subject)."""
    toks = [t for t in newer.tokens if t.kind != "negation"]
    said = set(older.sequence)
    for i, token in enumerate(toks):
        if token.norm not in _FORMERLY or i + 1 >= len(toks) or i == 0:
            continue
        opener = newer.text[max(0, token.start - 2):token.start]
        if "(" not in opener and "," not in opener and "—" not in opener:
            continue  # "formerly" that names an earlier value follows "(", "," or "—"
        was, now = toks[i + 1], toks[i - 1]
        if was.kind not in ("value", "name", "code") or now.kind not in ("value", "name", "code"):
            continue
        if was.norm in said and now.norm not in said and (newer.words - {was.norm, now.norm}) & older.words:
            return was.text, now.text
    return None


def with_new_value(older, newer, gone: set[str] | frozenset[str]) -> str:
    """`older`'s text with its one old value replaced by `newer`'s one new value of the same kind, or ""."""
    added = added_values(older, newer) - date_values(newer)
    numeric = lambda v: bool(re.fullmatch(r"[$€£]?\d[\d.,:%]*\w{0,3}", v))  # noqa: E731
    if len(gone) != 1:
        return ""
    old = next(iter(gone))
    if old not in older.values:  # only a value is rewritten, never a word
        return ""
    shape = value_shape(old)
    same_kind = [v for v in added if value_shape(v) == shape] if shape and shape != "number" else \
        [v for v in added if numeric(v) == numeric(old)]
    if len(same_kind) != 1:
        return ""
    at = next((t for t in older.tokens if t.norm == old), None)
    new = next((t for t in newer.tokens if t.norm == same_kind[0]), None)
    return older.text[:at.start] + new.text + older.text[at.end:] if at and new else ""
