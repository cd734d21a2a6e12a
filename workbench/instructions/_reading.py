"""How a clause reads: verb first ("never touch X"), subject first ("X can go"), or knobs only;
where its topics are, and the things it lists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import Token, negated
from ..text import tokens as word_tokens
from ..topics import EDGE_WORDS, GENERIC
from ._lexicon import (
    _BOUNDARY,
    _CONDITIONS,
    _CONTEXT_WORDS,
    _EXCEPT,
    _EXCLUDE_PREDICATES,
    _FILLERS,
    _INSIGHT_WORDS,
    _LIST,
    _LOWER_SIDE,
    _MONTHS,
    _ONLY,
    _PHRASAL,
    _PRONOUNS,
    _PROPERTIES,
    _PROTECT_PREDICATES,
    _SESSION_WORDS,
    _SUBORDINATORS,
    _is_negator,
    _typo_verb,
    _verb_class,
)


def _norms(tokens_: list[Token]) -> list[str]:
    """What the grammar matches: each token's norm, a path or quote as its kind ("§path", "§quote")."""
    return [f"§{t.kind}" if t.kind in ("path", "quote") else t.norm for t in tokens_]


@dataclass
class _Reading:
    """How a clause reads: its effect on the topics it names, and where they are."""

    effect: str | None  # protect, exclude, include, prefer, lower, or None (knobs only)
    verb: str | None
    topic: tuple[int, int]  # token range of the object (or subject)
    low: tuple[int, int] | None = None  # "prefer X over Y": Y
    weight: float | None = None
    only: bool = False
    note: str = ""
    unclear: str = ""
    verb_word: str = ""


_PHRASAL_LONGEST_FIRST = sorted(_PHRASAL.items(), key=lambda kv: -len(kv[0]))


def _skip_prefix(norms: list[str], i: int) -> tuple[int, bool, bool]:
    """Past fillers, negators and "only": (index, negated, only)."""
    neg = only = False
    while i < len(norms):
        word = norms[i]
        if norms[i:i + 3] == ["no", "need", "to"]:
            neg, i = True, i + 3
        elif word in _ONLY:
            only, i = True, i + 1
        elif _is_negator(word) and not (word == "stop" and i + 1 < len(norms) and not norms[i + 1].endswith("ing")):
            neg, i = True, i + 1
        elif word in _FILLERS or word in _BOUNDARY or word in ("-", "*", "(", ")"):
            i += 1
        else:
            break
    return i, neg, only


def _verb_at(norms: list[str], i: int, typos: bool) -> tuple[str | None, int, str]:
    """The verb class starting at token i, the index after it, and a typo note."""
    for phrase, cls in _PHRASAL_LONGEST_FIRST:
        if tuple(norms[i:i + len(phrase)]) == phrase:
            return cls, i + len(phrase), ""
    if i >= len(norms):
        return None, i, ""
    cls, note = _verb_class(norms[i])
    if cls is None and typos:
        cls, note = _typo_verb(norms[i])
    return (cls, i + 1, note) if cls else (None, i, "")


def _read_verb_first(norms: list[str], typos: bool) -> _Reading | None:
    i, neg, only = _skip_prefix(norms, 0)
    verb, j, note = _verb_at(norms, i, typos)
    if verb is None:
        return None
    while j + 1 < len(norms) and norms[j] in ("/", "or", ",", "and", "nor") and _verb_at(norms, j + 1, False)[0]:
        j = _verb_at(norms, j + 1, False)[1]  # "do not remove / drop / delete X"
    # a second negator after a verb of stopping ("stop deleting") is the verb itself
    if verb in ("keep",) and j < len(norms) and norms[j].endswith("ing"):
        inner, k, inner_note = _verb_at(norms, j, typos)
        if inner in ("remove", "ignore", "modify"):  # "keep deleting" is rare; "keep removing X" still removes
            verb, j, note = inner, k, inner_note
    if j < len(norms) and norms[j] in _ONLY:  # "touch only X", "delete just the lunch notes"
        only, j = True, j + 1
    end = len(norms)
    if verb == "mind":
        return _Reading(None, "mind", (j, end), unclear="“keep in mind” is guidance for the model, not a scope")
    if verb == "leave":
        return _read_leave(norms, j, neg, note)
    if verb == "hands_off":
        return _Reading("protect", "modify", (j, end), note=note)
    effect = _effect(verb, neg, only)
    reading = _Reading(effect, verb, (j, end), only=only, note=note, verb_word=norms[j - 1])
    if verb in ("prefer", "focus", "work") and effect == "prefer":
        reading.low = _lower_side(norms, j, verb)
        if reading.low:
            reading.topic = (j, reading.low[0] - _lower_word_len(norms, reading.low[0]))
    if verb == "weigh":
        reading.weight, at = _weight_number(norms, j)
        reading.topic = (j, at)
    if effect is None and verb == "modify":
        reading.unclear = ("changing notes is what a dream does; say what to keep (never touch …), what to "
                           "limit it to (only …) or what to drop")
    if only and verb in ("remove", "ignore") and not neg:
        reading.note = "; ".join(n for n in (note, "“only” is not enforced for other notes") if n)
    return reading


def _effect(verb: str, neg: bool, only: bool) -> str | None:
    if verb in ("remove", "ignore"):
        return "protect" if neg else "exclude"
    if verb == "modify":
        return "protect" if neg else ("include" if only else None)
    if verb == "keep":
        return "exclude" if neg else "protect"
    if verb in ("prefer", "weigh"):
        return "lower" if neg else "prefer"
    if verb == "lower":
        return "prefer" if neg else "lower"
    if verb in ("focus", "work"):
        return "lower" if neg else ("include" if only else "prefer")
    if verb == "focus_only":
        return None if neg else "include"
    if verb == "use":
        return "include" if only and not neg else None
    return None


def _read_leave(norms: list[str], j: int, neg: bool, note: str) -> _Reading:
    end = len(norms)
    for k in range(end - 1, j - 1, -1):
        if norms[k] in ("alone", "untouched", "unchanged", "intact", "be") or norms[k:k + 2] in (["as", "is"], ["as-is"]):
            return _Reading("exclude" if neg else "protect", "keep", (j, k), note=note)
        if norms[k] == "out":
            return _Reading("protect" if neg else "exclude", "ignore", (j, k), note=note)
    if j < end and norms[j] == "out":
        return _Reading("protect" if neg else "exclude", "ignore", (j + 1, end), note=note)
    return _Reading(None, "leave", (j, end), unclear="“leave” needs “alone”, “as is” or “out”")


def _lower_word_len(norms: list[str], start: int) -> int:
    for phrase in _LOWER_SIDE + ("to",):
        words_ = phrase.split()
        if norms[start - len(words_):start] == words_:
            return len(words_)
    return 0


def _lower_side(norms: list[str], j: int, verb: str) -> tuple[int, int] | None:
    """Where "prefer X over Y" names Y (the token range after the comparison word)."""
    for k in range(j + 1, len(norms)):
        for phrase in _LOWER_SIDE:
            words_ = phrase.split()
            if norms[k:k + len(words_)] == words_ and k + len(words_) < len(norms):
                return (k + len(words_), len(norms))
        if verb == "prefer" and norms[k] == "to" and norms[k - 1] not in ("related", "relating", "according", "due",
                                                                           "up", "close", "how", "want", "need"):
            return (k + 1, len(norms))
    return None


def _weight_number(norms: list[str], j: int) -> tuple[float | None, int]:
    """The number in "weight X 3" / "weight X at 0.5" / "weigh X double", and where it starts."""
    named = {"double": 2.0, "twice": 2.0, "triple": 3.0, "thrice": 3.0, "half": 0.5}
    for k in range(len(norms) - 1, j, -1):
        if re.fullmatch(r"\d+(?:\.\d+)?", norms[k]) or norms[k] in named:
            value = named.get(norms[k]) or float(norms[k])
            while k > j + 1 and norms[k - 1] in ("at", "by", "to", "of", "as", "with", "=", ":", "weight", "a"):
                k -= 1
            return value, k
    return None, len(norms)


_MODALS = {"can", "may", "should", "must", "could", "might", "will", "shall", "need", "needs", "has", "have",
           "ought", "to", "cannot", "can't", "cant", "shouldn't", "shouldnt", "mustn't", "mustnt", "won't", "wont",
           "never", "not", "always", "doesn't", "doesnt", "don't", "dont", "does", "do", "really"}
_BE = {"be", "get", "gets", "stay", "stays", "remain", "remains", "is", "are", "was", "were", "been", "isn't", "aren't",
       "isnt", "arent"}


def _read_predicate(norms: list[str]) -> _Reading | None:
    """Subject-first clauses: "X must never be deleted", "X can go", "X is off limits", "X matters most"."""
    start, _, _ = _skip_prefix(norms, 0)
    found = [r for p in range(start + 1, len(norms)) if (r := _predicate_at(norms, start, p)) is not None]
    return next((r for r in found if r.effect), found[0] if found else None)


def _predicate_at(norms: list[str], start: int, p: int) -> _Reading | None:
    head = norms[p]
    neg = False
    k = p
    while k < len(norms) and (norms[k] in _MODALS or norms[k] in _BE):
        neg = neg or negated(word_tokens(norms[k]))  # "not", "never", "isn't", "doesnt", …
        k += 1
    if k >= len(norms) or (k == p and head not in _IMPORTANCE_VERBS):
        return None
    rest = norms[k:]
    subject = (start, p)
    linked = k > p
    verb = "leave" if rest[0] == "left" else _verb_class(rest[0])[0]
    if linked and verb in ("remove", "ignore", "modify", "keep") and norms[k - 1] in _BE | {"never", "not"}:
        return _Reading(_effect(verb, neg, False), verb, subject)
    if linked and rest[0] == "go" and any(w in ("can", "may", "should", "must", "could") for w in norms[p:k]):
        return _Reading("protect" if neg else "exclude", "remove", subject)
    if linked and verb == "leave" and rest[1:2] in (["alone"], ["untouched"], ["as"], ["unchanged"], ["intact"]):
        return _Reading("exclude" if neg else "protect", "keep", subject)
    starts = lambda phrases: any(rest[:len(p.split())] == p.split() for p in phrases)  # noqa: E731
    if linked and starts(_PROTECT_PREDICATES[:-2]):
        return _Reading("exclude" if neg else "protect", "keep", subject)
    if linked and starts(_EXCLUDE_PREDICATES):
        return _Reading("protect" if neg else "exclude", "ignore", subject)
    if linked and rest[0] in ("stale", "obsolete", "outdated", "expired"):
        return _Reading(None, "stale", subject, unclear="staleness is set by age: say “older than N days”")
    return _importance(norms, subject, k, neg)


_IMPORTANCE_VERBS = ("matter", "matters", "count", "counts", "comes", "come")
_MORE = re.compile(r"(?:the |a |top )?(?:most |more |very |really |especially |extra |highest )?"
                   r"(?:important|essential|priority|crucial|critical)\b")
_LESS = re.compile(r"(?:less|not|least) (?:important|essential|a priority|relevant)\b|unimportant\b|(?:a )?low priority\b")


def _importance(norms: list[str], subject: tuple[int, int], k: int, neg: bool) -> _Reading | None:
    rest = norms[k:]
    text = " ".join(rest)
    more = less = False
    if rest[0] in _IMPORTANCE_VERBS[:4]:
        after = rest[1:2]
        more = after in (["most"], ["more"], ["a"], ["the"], ["greatly"], ["double"])
        less = after == ["less"] or (neg and after in ([], ["much"], ["here"]))
    elif rest[0] in ("comes", "come"):
        more = rest[1:2] == ["first"]
    else:
        more, less = bool(_MORE.match(text)), bool(_LESS.match(text))
    if neg and more:
        more, less = False, True
    if not (more or less):
        return None
    low = next(((q + 1, len(norms)) for q in range(k, len(norms) - 1) if norms[q] == "than"), None)
    return _Reading("prefer" if more else "lower", "prefer", subject, low=low)


# -- clauses ---------------------------------------------------------------------------------------
def _clauses(tokens: list[Token]) -> list[list[Token]]:
    """Split a sentence where a new instruction starts: at ";" and before a verb after "," / "and" / "but"."""
    norms = _norms(tokens)
    cuts = [0]
    condition_end = _next_comma(norms, 0) if norms and norms[0] in _CONDITIONS else -1
    for i, word in enumerate(norms):
        if i <= max(cuts[-1], condition_end):
            continue
        if word == ";":
            cuts.append(i)
        elif word in _BOUNDARY:
            j, _, _ = _skip_prefix(norms, i + 1)
            if _verb_at(norms, j, typos=False)[0] is not None and not _is_exception(norms, i):
                cuts.append(i)
            elif word == "," and _read_predicate(norms[i + 1:_next_comma(norms, i + 1)]) is not None:
                cuts.append(i)
    cuts.append(len(tokens))
    return [tokens[a:b] for a, b in zip(cuts, cuts[1:]) if any(t.kind != "punct" for t in tokens[a:b])]


def _next_comma(norms: list[str], i: int) -> int:
    return next((k for k in range(i, len(norms)) if norms[k] in (",", ";")), len(norms))


def _is_exception(norms: list[str], i: int) -> bool:
    return any(norms[i:i + len(e.split())] == e.split() for e in _EXCEPT)


def _read(norms: list[str]) -> _Reading:
    """How a clause reads, trying: verb first, subject first, verb with a typo, then knobs only."""
    reading = _read_verb_first(norms, typos=False)
    if reading is not None and (reading.effect or not _read_predicate(norms)):
        return reading
    predicate = _read_predicate(norms)
    if predicate is not None:
        return predicate
    reading = _read_verb_first(norms, typos=True)
    if reading is not None:
        return reading
    i, neg, only = _skip_prefix(norms, 0)
    if norms[i:i + 2] == ["nothing", "but"]:
        return _Reading("include", None, (i + 2, len(norms)))
    if i < len(norms) and norms[i] == "no" and not neg:
        return _Reading("exclude", "ignore", (i + 1, len(norms)))
    return _Reading("include" if only and not neg else None, None, (i, len(norms)))


_LEADING = frozenset("the a an all any every each my our your their these those this that of some both other such "
                     "its whatever e.g. i.e. eg ie like including namely".split())
_PREPOSITIONS = frozenset("about on regarding concerning around re mentioning in under from for with of involving "
                          "covering related relating that which within inside referring".split())
_TRAILING = frozenset("too either please entirely completely whatsoever anymore now again here there also though "
                      "well at as by to x times alone etc. etc".split())


_ABOUT = frozenset("about regarding concerning re".split())


@dataclass
class _Item:
    kind: str  # topic, path, all, else, property, sessions
    target: str = ""


def _item(tokens: list[Token], text: str) -> _Item:
    """One listed thing: a path, a quoted phrase, a topic, "everything", or only generic words."""
    toks = list(tokens)
    changed = True
    while changed and toks:
        changed = False
        while toks and (toks[0].norm in _LEADING | _ABOUT or toks[0].kind == "punct"):
            toks.pop(0)
            changed = True
        while toks and (toks[-1].norm in _TRAILING or toks[-1].kind == "punct"):
            toks.pop()
            changed = True
        if len(toks) > 1 and toks[0].norm in GENERIC | {"ones", "those", "one"} and toks[1].norm in _PREPOSITIONS:
            toks = toks[2:]
            while toks and toks[0].norm in ("to", "do", "with", "mention", "mentions", "about", "on"):
                toks.pop(0)
            changed = True
    if (len(toks) > 1 and toks[0].norm in GENERIC | {"it", "them", "things", "everything"}
            and toks[1].kind == "word" and toks[1].norm not in _PREPOSITIONS | {"like", "such", "e.g.", "i.e."}):
        return _Item("complement")
    if toks and all(t.norm in _PRONOUNS for t in toks):
        return _Item("pronoun")
    paths = [t for t in toks if t.kind == "path"]
    if paths:
        return _Item("path", paths[0].norm)
    quotes = [t for t in toks if t.kind == "quote"]
    if quotes:
        return _Item("topic", quotes[0].norm)
    content = [t.norm for t in toks if t.norm not in GENERIC | _LEADING | EDGE_WORDS and t.kind != "punct"]
    if any(t.norm in ("else", "rest") for t in toks):
        return _Item("else")
    if not content:
        return _Item("all")
    if all(w in _SESSION_WORDS or w in _INSIGHT_WORDS or w in _CONTEXT_WORDS for w in content):
        return _Item("sessions")
    if all(w in _PROPERTIES for w in content):
        return _Item("property", " ".join(content))
    return _Item("topic", " ".join(text[toks[0].start:toks[-1].end].split()))


def _items(tokens: list[Token], indices: list[int], text: str) -> list[_Item]:
    """The things a clause lists ("X, Y and Z"), skipping tokens a knob phrase took."""
    runs: list[list[Token]] = [[]]
    previous = None
    for i in indices:
        t = tokens[i]
        if (t.norm in _LIST and t.kind in ("word", "punct")) or (previous is not None and i != previous + 1):
            runs.append([])
        if not (t.norm in _LIST and t.kind in ("word", "punct")):
            runs[-1].append(t)
        previous = i
    return [_item(run, text) for run in runs if run]


def _object_end(tokens: list[Token], norms: list[str], a: int, b: int) -> int:
    """Where the object ends: before a reason or condition ("…, because …", "since we moved …")."""
    for k in range(a + 1, b):
        word, after = norms[k], norms[k + 1] if k + 1 < b else ""
        if word not in _SUBORDINATORS:
            continue
        dated = k + 1 < b and (tokens[k + 1].kind in ("date", "num") or after in _MONTHS)
        if word == "since" and dated:
            continue
        if norms[k - 1] == "," or word in ("because", "since") or after in _PRONOUNS or after == "that":
            return k - 1 if norms[k - 1] == "," else k
    return b


def _split_exceptions(norms: list[str], a: int, b: int) -> tuple[int, list[tuple[int, int]]]:
    for k in range(a, b):
        for phrase in _EXCEPT:
            words_ = phrase.split()
            if norms[k:k + len(words_)] == words_:
                return k, [(k + len(words_), b)]
    return b, []



