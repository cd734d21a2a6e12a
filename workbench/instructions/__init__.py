"""Focus instructions compiled into explicit scopes, each with the words it came from.

Every sentence (split with pysbd; paths, quotes and "e.g." never split one) maps to zero or more
scopes; a sentence that maps to none is listed as not understood, so the person can rephrase it
or set the knob by hand:

    "Do not remove anything about migrations."   → protect: migrations
    "Keep all debugging notes."                  → protect: debugging notes
    "Ignore lunch notes, small talk and /misc/." → exclude: lunch notes · small talk · /misc/
    "Prioritize client preferences over task patterns." → weight 2: client preferences · weight 0.5: …
    "Prune anything older than three months."    → horizon: 90 days (a month counts as 30 days)
    "Only distill facts seen in at least three sessions." → min support: 3 sessions
    "Only read the last 20 sessions."            → last sessions: 20

The grammar is a closed list of English verbs of removal, keeping, preference and restriction
plus negators: a negated verb of removal ("do not", "don't", "never", "skip nothing about")
always protects. Contradictions (a topic both protected and excluded, two horizons) are listed,
never resolved silently. Nothing here matches substrings: topics become phrases (`topics.py`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from ..text import (
    ENGLISH_FUNCTION_WORDS,
    FOREIGN_FUNCTION_WORDS,
    Token,
    sentence_spans,
    surface_tokens,
)
from ..topics import covers, topic_key
from ._knobs import _knob_scopes, _Text
from ._lexicon import _BOUNDARY, _CONDITIONS, _unit_typos
from ._reading import (
    _LEADING,
    _clauses,
    _Item,
    _items,
    _norms,
    _object_end,
    _read,
    _Reading,
    _split_exceptions,
)
from ._records import FORGET, SCOPE_KINDS, Compiled, Scope, Unclear, _Clause


# -- a clause, a sentence, a text ------------------------------------------------------------------
def _compile_clause(tokens: list[Token], text: str) -> tuple[list[Scope], str]:
    """The scopes of one clause, or why it compiled to none."""
    while tokens and (tokens[0].norm in _BOUNDARY or tokens[0].kind == "punct"):
        tokens = tokens[1:]
    while tokens and tokens[-1].kind == "punct":
        tokens = tokens[:-1]
    if not any(t.kind in ("word", "path", "quote") for t in tokens):
        return [], ""
    norms = _norms(tokens)
    reading = _read_main(norms)
    clause = _Clause(tokens, text, unclear=reading.unclear)
    knobs = _Text(tokens)
    found = _knob_scopes(clause, knobs, reading, norms)
    effect, (a, b) = reading.effect, reading.topic
    k = a
    while k < b and norms[k] in _LEADING:
        k += 1
    if effect in ("protect", "exclude") and k < b and norms[k] in ("nothing", "none", "no"):
        effect, a = ("exclude" if effect == "protect" else "protect"), k + 1
    main_end, exceptions = _split_exceptions(norms, a, _object_end(tokens, norms, a, b))
    items = _items(tokens, [i for i in range(a, main_end) if i not in knobs.used], text)
    others = [_items(tokens, [i for i in range(x, y) if i not in knobs.used], text) for x, y in exceptions]
    low = _items(tokens, [i for i in range(*reading.low) if i not in knobs.used], text) if reading.low else []
    _topic_scopes(clause, reading, effect, items, [i for group in others for i in group], low, found)
    if clause.scopes and reading.note:
        clause.scopes = [_with_note(s, reading.note) for s in clause.scopes]
    return clause.scopes, "" if clause.scopes else (clause.unclear or _why_not(reading, items))


def _read_main(norms: list[str]) -> _Reading:
    """A clause's reading; in "if X, do Y" the main clause Y is read (the condition still gives knobs)."""
    if norms and norms[0] in _CONDITIONS and "," in norms:
        start = norms.index(",") + 1
        reading = _read(norms[start:])
        reading.topic = (reading.topic[0] + start, reading.topic[1] + start)
        reading.low = (reading.low[0] + start, reading.low[1] + start) if reading.low else None
        return reading
    return _read(norms)


def _with_note(scope: Scope, note: str) -> Scope:
    return replace(scope, note="; ".join(n for n in (scope.note, note) if n))


def _why_not(reading: _Reading, items: list[_Item]) -> str:
    """Why a clause compiled to nothing, in words that say how to rephrase it."""
    if any(i.kind == "property" for i in items):
        return "“stale”, “duplicate”, “old” describe what a dream prunes anyway; set the horizon or name a topic"
    if any(i.kind == "pronoun" for i in items):
        return "“it” / “them” point at something the compiler cannot see: name the topic or path"
    if any(i.kind == "complement" for i in items):
        return "reads as how to write notes (“keep X short”), not which notes: name a topic after “about”"
    if any(i.kind == "else" for i in items):
        return "“everything else” is not compiled: name the topics to keep with “only …”"
    if reading.effect == "exclude" and any(i.kind == "all" for i in items):
        return "refusing to exclude everything: name the topics or paths to drop"
    if reading.effect is None and reading.verb is None:
        return "no instruction verb found (keep, never touch, only, ignore, prioritize, older than …)"
    return "names no topic, path, age or count"


def _topic_scopes(clause: _Clause, reading: _Reading, effect: str | None, items: list[_Item], exceptions: list[_Item],
                  low: list[_Item], found: set[str]) -> None:
    """Add the topic and path scopes a clause names, its exceptions and the lower side of a preference;
    a clause that set a knob names no topic scope (its topics are noted: one knob value for all notes)."""
    last = len(clause.tokens) - 1
    named = [i for i in items if i.kind in ("topic", "path")]
    if "unclear" in found or (found and not named):
        return
    if found & {"age", "support", "sessions", "horizon"} and named:
        note = "“" + "”, “".join(i.target for i in named) + "” does not narrow it: one value for every note"
        clause.scopes = [_with_note(s, note) for s in clause.scopes]
        return
    if "recent" in found and named:
        clause.scopes = [s for s in clause.scopes if s.kind != "horizon"]
        effect, note = "protect", "the age limit is not compiled: a protect scope covers notes of any age"
    else:
        note = ""
    everything = any(i.kind == "all" for i in items)
    if effect == "protect" and everything and exceptions:
        for item in (i for i in exceptions if i.kind in ("topic", "path")):
            clause.add("exclude", 0, last, item.target, note="read “everything except X” as dropping X")
        return
    if effect == "protect" and everything and not named:
        _protect_everything(clause, reading)
    for item in named:
        _add_topic(clause, effect, item.target, reading, note)
    for item in (i for i in exceptions if i.kind in ("topic", "path")):
        if effect == "exclude":
            clause.add("protect", 0, last, item.target, note="an exception to a drop")
    for item in (i for i in low if i.kind in ("topic", "path")):
        if effect in ("prefer", "lower"):
            clause.add("weight", 0, last, item.target, value=0.5 if effect == "prefer" else 2.0)


def _add_topic(clause: _Clause, effect: str | None, target: str, reading: _Reading, note: str) -> None:
    last = len(clause.tokens) - 1
    if effect == "exclude" and reading.verb == "remove":
        clause.add(effect, 0, last, target, value=FORGET, note=note)
    elif effect in ("protect", "include", "exclude"):
        clause.add(effect, 0, last, target, note=note)
    elif effect in ("prefer", "lower"):
        weight = reading.weight if reading.weight is not None else (2.0 if effect == "prefer" else 0.5)
        clause.add("weight", 0, last, target, value=weight if effect == "prefer" else min(weight, 1 / max(weight, 1e-9)))


_MERGE_WORDS = frozenset("merge merged merging consolidate consolidated combine combined dedupe deduplicate "
                         "deduplicated".split())


def _protect_everything(clause: _Clause, reading: _Reading) -> None:
    """"Don't delete anything" switches deletes off; "don't merge anything" merges; "don't touch anything" all."""
    last = len(clause.tokens) - 1
    word = reading.verb_word
    if word in _MERGE_WORDS:
        clause.add("switch_off", 0, last, "merge")
    elif reading.verb in ("remove", "ignore", "keep"):
        clause.add("switch_off", 0, last, "delete")
    else:
        clause.add("protect", 0, last, "/**", note="every note: nothing may change")


@lru_cache(maxsize=2048)
def _compile_sentence(sentence: str) -> tuple[tuple[Scope, ...], tuple[Unclear, ...]]:
    """Scopes and unclear clauses of one sentence, with offsets relative to the sentence."""
    tokens = _unit_typos(surface_tokens(sentence))
    scopes: list[Scope] = []
    unclear: list[Unclear] = []
    if _foreign(tokens):
        text = sentence.strip()
        start = sentence.index(text)
        return (), (Unclear(text, start, start + len(text), "not English: the compiler reads English instructions "
                                                            "only (never guessed); rephrase in English"),)
    for clause_tokens in _clauses(tokens):
        found, why = _compile_clause(clause_tokens, sentence)
        scopes += found
        if why:
            first = next(t for t in clause_tokens if t.norm not in _BOUNDARY and t.kind != "punct")
            end = clause_tokens[-1].end
            unclear.append(Unclear(sentence[first.start:end], first.start, end, why))
    return tuple(scopes), tuple(unclear)


def _foreign(tokens: list[Token]) -> bool:
    """More function words of another language than of English (lower-case words only: "Del Toro" is a name)."""
    words = [t.text for i, t in enumerate(tokens) if t.kind == "word" and (i == 0 or t.text.islower())]
    foreign = sum(w.lower() in FOREIGN_FUNCTION_WORDS for w in words)
    return foreign > sum(w.lower() in ENGLISH_FUNCTION_WORDS for w in words)


def _shift(scope: Scope | Unclear, offset: int) -> Scope | Unclear:

    return replace(scope, start=scope.start + offset, end=scope.end + offset)


@lru_cache(maxsize=512)
def compile_text(text: str) -> Compiled:
    """Compile instructions into scopes; cached on the text (the tuner compiles on every keystroke)."""
    if not text.strip():
        return Compiled(text)
    if not any(ch.isalnum() for ch in text):
        return Compiled(text, warnings=("the instructions have no words; they compile to nothing",))
    scopes: list[Scope] = []
    unclear: list[Unclear] = []
    for start, end in sentence_spans(text):
        found, why = _compile_sentence(text[start:end])
        scopes += [_shift(s, start) for s in found]
        if not found and why:
            unclear.append(Unclear(text[start:end], start, end, why[0].reason))
    return Compiled(text, tuple(scopes), tuple(unclear), tuple(contradictions(scopes)))


def contradictions(scopes: list[Scope] | tuple[Scope, ...]) -> list[str]:
    """Scopes that cannot all hold: a topic protected and excluded, two horizons, and so on."""
    out: list[str] = []
    by_kind = {k: [s for s in scopes if s.kind == k] for k in SCOPE_KINDS}
    for p in by_kind["protect"]:
        for e in by_kind["exclude"]:
            if covers(p.target, e.target):
                out.append(f"“{e.target}” is excluded (“{e.source}”) and protected (“{p.source}”): protect wins, "
                           "nothing under it is removed")
    for i in by_kind["include"]:
        for e in by_kind["exclude"]:
            if topic_key(i.target) == topic_key(e.target):
                out.append(f"“{e.target}” is both the only topic (“{i.source}”) and excluded (“{e.source}”)")
    if by_kind["exclude"] and any(s.target == "delete" for s in by_kind["switch_off"]):
        out.append("topics are excluded but deletes are switched off: nothing is dropped")
    out += _numeric(by_kind, "horizon", "days", "the longest is used (it prunes least)")
    out += _numeric(by_kind, "min_support", "sessions", "the largest is used (it distills least)")
    for kind in ("last_sessions", "since", "until"):
        out += _numeric(by_kind, kind, "", "the first is used")
    weights: dict[str, list[Scope]] = {}
    for w in by_kind["weight"]:
        weights.setdefault(topic_key(w.target), []).append(w)
    for same in weights.values():
        if any(float(w.value) > 1 for w in same) and any(float(w.value) < 1 for w in same):
            out.append(f"“{same[0].target}” is weighted both up and down; the first (“{same[0].source}”) is used")
    return out


def _numeric(by_kind: dict[str, list[Scope]], kind: str, unit: str, rule: str) -> list[str]:
    values = list(dict.fromkeys(s.value for s in by_kind[kind]))
    if len(values) < 2:
        return []
    said = "; ".join(f"{s.value}{' ' + unit if unit else ''} (“{s.source}”)" for s in by_kind[kind])
    return [f"{kind.replace('_', ' ')} is given {len(values)} values: {said}; {rule}"]


def pick(scopes: tuple[Scope, ...], kind: str) -> Scope | None:
    """The scope of a kind that wins when the instructions give several (see `contradictions`)."""
    found = [s for s in scopes if s.kind == kind]
    if not found:
        return None
    if kind in ("horizon", "min_support"):
        return max(found, key=lambda s: s.value)
    return found[0]


sentences = sentence_spans  # the spans of the sentences; `workbench.text` owns them

__all__ = ["FORGET", "Compiled", "Scope", "Unclear", "compile_text", "contradictions", "pick", "sentences"]
