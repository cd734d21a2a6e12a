"""The closed grammar the compiler reads: verbs of removal, keeping, preference and restriction,
fillers, units and month words; and how a word (or a typo of one) is looked up. Negators and
number words are the text layer's (`workbench.text`)."""

from __future__ import annotations

from dataclasses import replace

from rapidfuzz.distance import OSA

from ..text import VERB_NEGATORS, Token, stem

# -- the closed grammar: verbs, fillers, conditions, predicates ---------------------------------------
_VERBS = {
    "remove": "remove delete drop prune discard forget forgot forgotten purge erase trash ditch scrap expunge",
    "ignore": "ignore skip exclude disregard omit",
    "modify": "touch change modify edit rewrite rewrote rewritten alter update merge consolidate combine dedupe "
              "deduplicate compress summarize summarise rephrase reword overwrite replace",
    "keep": "keep kept preserve retain protect save spare",
    "prefer": "prioritize prioritise favor favour prefer emphasize emphasise boost upweight",
    "lower": "deprioritize deprioritise de-prioritize de-prioritise de-emphasize de-emphasise downweight down-weight demote",
    "weigh": "weight weigh",
    "distill": "distill distil create add learn infer extract derive record capture",
    "use": "read use consider process include look",
    "leave": "leave left",
}
_PHRASAL = {  # multi-word verbs, longest first when matched
    ("get", "rid", "of"): "remove", ("throw", "away"): "remove", ("throw", "out"): "remove",
    ("clear", "out"): "remove", ("clean", "out"): "remove", ("do", "away", "with"): "remove",
    ("keep", "track", "of"): "prefer", ("keep", "an", "eye", "on"): "prefer", ("pay", "attention", "to"): "prefer",
    ("keep", "in", "mind"): "mind", ("bear", "in", "mind"): "mind",
    ("leave", "out"): "ignore", ("hold", "on", "to"): "keep", ("hold", "onto"): "keep", ("hang", "on", "to"): "keep",
    ("mess", "with"): "modify", ("hands", "off"): "hands_off",
    ("focus", "on"): "focus", ("concentrate", "on"): "focus", ("focus", "only", "on"): "focus_only",
    ("concentrate", "only", "on"): "focus_only", ("focus", "exclusively", "on"): "focus_only",
    ("limit", "it", "to"): "focus_only", ("limit", "yourself", "to"): "focus_only", ("limit", "to"): "focus_only",
    ("restrict", "it", "to"): "focus_only", ("restrict", "yourself", "to"): "focus_only",
    ("restrict", "to"): "focus_only", ("stick", "to"): "focus_only", ("confine", "yourself", "to"): "focus_only",
    ("work", "on"): "work", ("look", "at"): "use", ("care", "about"): "prefer", ("care", "less", "about"): "lower",
    ("give", "priority", "to"): "prefer", ("give", "more", "weight", "to"): "prefer",
    ("give", "less", "weight", "to"): "lower", ("put", "more", "weight", "on"): "prefer",
}
_ABSTAIN = {"avoid", "stop", "refrain"}  # verbs that negate the verb after them: "avoid deleting X"
_FILLERS = {"please", "also", "and", "then", "but", "so", "always", "additionally", "finally", "first", "second",
            "kindly", "you", "we", "i", "should", "must", "shall", "will", "need", "needs", "to", "want", "would",
            "like", "can", "may", "make", "sure", "that", "do", "from", "now", "on", "going", "forward", "in",
            "general", "rather", "instead", "however", "otherwise", "plus", "try"}
_ONLY = {"only", "just", "exclusively", "solely", "purely"}
_CONDITIONS = {"if", "when", "whenever", "once", "where"}
_SUBORDINATORS = {"because", "since", "given", "as", "so", "if", "when", "whenever", "while", "whereas"}
_PRONOUNS = {"it", "them", "they", "this", "that", "these", "those", "we", "i", "you", "he", "she"}
_BOUNDARY = {",", ";", "and", "but", "then", "also", "while", "whereas", "plus", ":"}
_EXCEPT = tuple(sorted(("except for", "except", "excluding", "other than", "apart from", "aside from", "but not",
                       "save for", "but never", "unless", "unless it mentions", "unless they mention",
                       "unless it is about", "unless they are about", "unless about"), key=lambda e: -len(e.split())))
_LIST = {",", "and", "or", "&", "plus", "nor", "/"}
_LOWER_SIDE = ("rather than", "instead of", "ahead of", "more than", "over", "above", "before", "versus", "vs")
_PROPERTIES = frozenset("stale outdated out-of-date obsolete old older duplicate duplicates duplicated redundant "
                        "temporary expired low-value trivial unused useless irrelevant superseded".split())
_SESSION_WORDS = frozenset("session sessions conversation conversations transcript transcripts chat chats".split())
_INSIGHT_WORDS = frozenset("insight insights pattern patterns lesson lessons learning learnings takeaway takeaways "
                           "conclusion conclusions generalization generalizations support supported new".split())
_PROTECT_PREDICATES = ("off limits", "off-limits", "sacred", "untouchable", "read-only", "read only", "protected",
                       "essential", "important")
_EXCLUDE_PREDICATES = ("noise", "junk", "irrelevant", "not important", "unimportant", "not needed", "not relevant",
                       "useless", "clutter")
_REMOVAL_WORDS = frozenset("stale obsolete outdated expired expire expires expiry".split())
_CONTEXT_WORDS = frozenset("mentioned stated seen repeated recur recurring recurs appear appears appeared said "
                           "confirmed backed".split())
_UNIT_WORDS = ("days", "weeks", "months", "years", "sessions", "conversations")
_MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                          "november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())}, sept=9)


# -- looking a word up ----------------------------------------------------------------------------
def _verb_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cls, forms in _VERBS.items():
        for form in forms.split():
            table[form] = cls
            table.setdefault(stem(form), cls)
    return table


_VERB_TABLE = _verb_table()
_VERB_FORMS = sorted({f for forms in _VERBS.values() for f in forms.split()})


def _verb_class(word: str) -> tuple[str | None, str]:
    """The verb class of a word (and a note when a typo was read as a verb)."""
    if word in _VERB_TABLE:
        return _VERB_TABLE[word], ""
    stemmed = stem(word)
    if stemmed in _VERB_TABLE and len(word) > 3:
        return _VERB_TABLE[stemmed], ""
    return None, ""


def _typo_verb(word: str) -> tuple[str | None, str]:
    """The verb class of a misspelt verb (same first letter, one edit; two for long words), if unambiguous."""
    if len(word) < 4 or not word.isalpha():
        return None, ""
    limit = 2 if len(word) >= 9 else 1
    close = sorted((d, f) for f in _VERB_FORMS
                   if f[0] == word[0] and abs(len(f) - len(word)) <= limit and (d := OSA.distance(word, f)) <= limit)
    if close and len({_VERB_TABLE[f] for _, f in close}) == 1:
        return _VERB_TABLE[close[0][1]], f"read “{word}” as “{close[0][1]}”"
    return None, ""


def _is_negator(word: str) -> bool:
    """A word that negates the verb after it ("never", "don't", "dont", "avoid"), or a typo of "never"."""
    bare = word.replace("'", "")
    return (bare in VERB_NEGATORS or bare in _ABSTAIN
            or (len(bare) >= 4 and bare[0] == "n" and OSA.distance(bare, "never") <= 1))


def _unit_typos(tokens: list[Token]) -> list[Token]:
    """A misspelt unit after a number ("90 dyas") is read as the unit."""
    out = list(tokens)
    for i in range(1, len(out)):
        word = out[i].norm
        if out[i - 1].kind == "num" and out[i].kind == "word" and len(word) >= 4 and word not in _UNIT_WORDS:
            close = [u for u in _UNIT_WORDS if u[0] == word[0] and OSA.distance(word, u) <= 1]
            if len(close) == 1:
                out[i] = replace(out[i], norm=close[0])
    return out


