"""How two similar texts differ, token by token: the structure a verdict is built on.

A similarity bar alone merges "X is Y" with "X is not Y" and "A reviews B" with "B reviews A" as
readily as true paraphrases (measured on PAWS), and a false merge deletes a fact. So every
similar pair is aligned (difflib over the comparable tokens of `workbench.text`) and the
alignment says what separates the two texts:

- `verbatim` / `same_words`: nothing (the same tokens in the same order, up to case, articles,
  stems, number words and contractions);
- `reordered`: the same tokens in another order (roles may be swapped);
- `negation`: only a negator;
- `subject`: the names they open with (two people doing the same thing);
- `value`: one slot holds another number, date, version, name, path or code span;
- `words`: one slot holds other content words ("coffee" ↔ "tea");
- `subset`: one text says everything the other does, and more;
- `different`: anything else (several differences, little in common);
- `unparsed`: one side has no words to compare (code, a table, a lone link, empty).

`relate` only describes; `workbench.dream.rules` decides what a description means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from .markdown import KEY_VALUE
from .text import ARTICLES, Token, calendar_dates, sentences, stem, tokens, value_shape

SPECIFIC = ("value", "code", "name")
# Closed-class English words that are never a note's content by themselves (for overlap and naming).
FUNCTION_WORDS = frozenset(
    """a an the and or but if then of to in on at by for with from into onto over under about as is are was were
    be been being am do does did have has had this that these those it its i me my we our us you your he she him
    her his they them their there here what which who whom whose when where why how so than too very can will
    just should would could may might must shall also please""".split()
)
STOP = FUNCTION_WORDS  # kept for callers of the old name
_NAMEISH = re.compile(r"[/@_#]|://|\w\.\w.*[^\W\d_]|[^\W\d_].*\w\.\w")
PRONOUNS = frozenset("it this that these those they them their he she him her his its".split())

__all__ = ["Profile", "Relation", "profile", "relate", "proper_nouns", "stem", "STOP", "FUNCTION_WORDS"]


@dataclass(frozen=True, slots=True)
class Profile:
    """What `relate` needs of one text, computed once per text.

    Derived sets: `names` (proper nouns, code, paths, links, identifiers: what names a subject, not
    bare numbers), `values` (everything specific: names, numbers, dates, versions), `words` (content
    words), `atoms` (words and values); `parsed` when there are two atoms or more to compare.
    """

    text: str
    tokens: tuple[Token, ...]
    sequence: tuple[str, ...]
    kinds: tuple[str, ...]  # the kind of each item of `sequence`
    negated: bool = field(init=False)
    names: frozenset[str] = field(init=False)
    values: frozenset[str] = field(init=False)
    words: frozenset[str] = field(init=False)
    atoms: frozenset[str] = field(init=False)
    parsed: bool = field(init=False)
    self_contained: bool = field(init=False)  # opens with what it is about: a name, code, or "I"/"we"/"my"/"our"
    spans: tuple[tuple[int, int], ...] = field(init=False)  # the character span of each item of `sequence`

    def __post_init__(self) -> None:
        pairs = list(zip(self.sequence, self.kinds))
        values = frozenset(s for s, k in pairs if k in SPECIFIC)
        words = frozenset(s for s, k in pairs if k in ("word", "unspaced") and s not in FUNCTION_WORDS)
        names = frozenset(s for s, k in pairs if k in ("name", "code") or (k == "value" and _NAMEISH.search(s)))
        first = pairs[0] if pairs else ("", "")
        for name, value in (("negated", "negation" in self.kinds), ("names", names), ("values", values),
                            ("words", words), ("atoms", words | values), ("parsed", len(words | values) >= 2),
                            ("self_contained", first[1] in ("name", "code") or first[0] in ("i", "we", "my", "our")),
                            ("spans", tuple(_spans(self)))):
            object.__setattr__(self, name, value)


@lru_cache(maxsize=400_000)
def profile(text: str, names: frozenset[str] = frozenset()) -> Profile:
    """Tokens of `text` with the corpus's proper nouns (`names`, see `proper_nouns`) marked as names."""
    toks = tokens(text)
    dates = calendar_dates(text)  # a date written out in full is one value, however it is written
    sequence: list[str] = []
    kinds: list[str] = []
    for i, token in enumerate(toks):
        kind = token.kind
        span = next((d for d in dates if d[0] <= token.start and token.end <= d[1]), None) if dates else None
        if span is not None:
            if token.start == span[0]:
                sequence.append(span[2])
                kinds.append("value")
            continue
        if kind == "word" and token.norm in ARTICLES:
            continue
        if kind == "word" and token.norm in ("do", "doe", "did") and i + 1 < len(toks) and toks[i + 1].kind == "negation":
            continue  # "do not X" says what "never X" / "not X" says
        if kind == "word" and token.text[:1].isupper() and re.sub(r"['’]s$", "", token.text.lower()) in names:
            kind = "name"
        sequence.append(token.norm)
        kinds.append(kind)
    return Profile(text, toks, tuple(sequence), tuple(kinds))


_SAID_OLD_BEFORE = frozenset({"was", "were", "from", "previously", "formerly", "had"})
# what was stopped, right before the name of it: "No longer using FreshCart", "cancelled the Netflix plan"
STOPPED = re.compile(r"\b(?:no\s+longer\s+(?:use|using|with|at|going\s+to|seeing|buying|ordering\s+from|need|needs)|"
                     r"(?:stopped|quit)\s+(?:using|going\s+to|seeing|buying|ordering\s+from)|"
                     r"cancell?ed|dropped|ditched)\s+(?:the\s+|our\s+|my\s+|her\s+|his\s+|their\s+)?$", re.IGNORECASE)
# what was stopped, right after the name of it: "the Mailgun account is closed", "Pingdom was cancelled"
STOPPED_AFTER = re.compile(r"^\W{0,2}(?:(?:account|subscription|plan|contract|service|license|licence)\s+)?"
                           r"(?:is|was|has\s+been|got|now)\s+(?:closed|cancell?ed|shut\s+down|terminated|"
                           r"discontinued|gone|retired|decommissioned|deprecated|sunset|out\s+of\s+the|off\s+the)\b(?!\s+(?:to|on|for|until|at|between|during|over)\b)",
                           re.IGNORECASE)  # "closed on Sundays", "closed to new signups": hours, not an end


def stopped(p: Profile, token: Token) -> bool:
    """Whether `p` says the thing `token` names was stopped: "no longer using FreshCart", "the Mailgun account is
    closed", "v2 is deprecated": a name, code or version, never an amount or a date)."""
    if value_shape(token.norm) not in ("", "version"):
        return False
    return bool(STOPPED.search(p.text[max(0, token.start - 40):token.start])
                or STOPPED_AFTER.match(p.text[token.end:token.end + 60]))


def old_values(p: Profile) -> frozenset[str]:
    """The values a text names as old ones: "(was A2)", "from $49", "formerly 8787", "$410k → $385k", and a name
    said to be stopped ("no longer using FreshCart", "the Mailgun account is closed")."""
    toks = p.tokens
    return frozenset(t.norm for i, t in enumerate(toks) if t.kind == "value"
                     and (i and toks[i - 1].norm in _SAID_OLD_BEFORE or i + 1 < len(toks) and toks[i + 1].norm in ("→", "->"))
                     or (t.kind == "value" or t.norm in p.names) and stopped(p, t))


def proper_nouns(texts: Iterable[str]) -> frozenset[str]:
    """Words written capitalised in the middle of sentences and never in lower case."""
    upper: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for sentence in sentences(text) if "." in text or "!" in text or "?" in text else (text,):
            for position, token in enumerate(t for t in tokens(sentence) if t.kind == "word"):
                raw = token.text
                if "'" in raw or "’" in raw:
                    continue  # "I'll", "Priya's": a clitic is not part of a name
                if raw[:1].isupper():
                    if position > 0 and not raw.isupper():
                        upper.add(raw.lower())
                else:
                    lower.add(raw.lower())
    return frozenset(w for w in upper - lower if w not in FUNCTION_WORDS and len(w) > 1)


@dataclass(frozen=True, slots=True)
class Relation:
    """How `b` differs from `a`: the kind of difference and the tokens on each side of it."""

    kind: str
    only_a: tuple[str, ...] = ()
    only_b: tuple[str, ...] = ()
    shared: int = 0  # content tokens both have, outside the difference
    slot: tuple[int, int, int, int] | None = None  # (a start, a end, b start, b end) of a single substitution
    aligned: float = 0.0  # share of the longer text's tokens that align with the other text
    said_a: str = ""  # the differing words as written in `a` (blocks joined by " … ")
    said_b: str = ""

    @property
    def detail(self) -> str:
        """What a person reads: "differs in: coffee ↔ tea"."""
        if self.kind in ("verbatim", "same_words"):
            return "the same words"
        if self.kind == "different" and not self.only_a and not self.only_b:
            return "little in common"
        if self.kind == "reordered":
            return "the same words in another order (roles may be swapped)"
        left = self.said_a or " ".join(self.only_a) or "–"
        right = self.said_b or " ".join(self.only_b) or "–"
        return f"differs in: {left} ↔ {right}"


def _blocks(a: Profile, b: Profile) -> list[tuple[str, int, int, int, int]]:
    """The differing blocks of a minimal alignment (rapidfuzz), adjacent edits joined into one block."""
    blocks: list[list] = []
    for op in Levenshtein.opcodes(a.sequence, b.sequence):
        if op.tag == "equal":
            continue
        if blocks and blocks[-1][2] == op.src_start and blocks[-1][4] == op.dest_start:
            blocks[-1][2], blocks[-1][4] = op.src_end, op.dest_end
        else:
            blocks.append([op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end])
    for block in blocks:
        block[0] = "replace" if block[2] > block[1] and block[4] > block[3] else \
            "delete" if block[2] > block[1] else "insert"
    return [tuple(block) for block in blocks]


def relate(a: Profile, b: Profile, *, trim: bool = False) -> Relation:
    """Align two texts and name what separates them (see the module docstring and `_relate`)."""
    relation, blocks = _relate(a, b, trim)
    if not blocks:
        return relation
    r = relation  # built directly: `dataclasses.replace` cost as much as the alignment
    return Relation(r.kind, r.only_a, r.only_b, r.shared, r.slot, r.aligned,
                    _said(a, [(i1, i2) for _, i1, i2, _, _ in blocks]), _said(b, [(j1, j2) for _, _, _, j1, j2 in blocks]))


def _said(p: Profile, ranges: list[tuple[int, int]]) -> str:
    spans = p.spans
    return " … ".join(p.text[spans[i][0]:spans[j - 1][1]] for i, j in ranges if j > i and j <= len(spans))


def _relate(a: Profile, b: Profile, trim: bool) -> tuple[Relation, list]:
    """Align two texts and name what separates them (see the module docstring).

    With `trim`, words only `b` has before or after everything the two share are ignored: a
    sentence of a conversation ("Actually, CI runs on Buildkite now") speaks of a note's slot
    with words around it.
    """
    if not a.parsed or not b.parsed:
        same = " ".join(a.text.split()).lower() == " ".join(b.text.split()).lower()
        return Relation("verbatim" if same else "unparsed"), []
    if " ".join(a.text.split()).casefold() == " ".join(b.text.split()).casefold():
        return Relation("verbatim", shared=len(a.atoms)), []
    if a.sequence == b.sequence:
        return Relation("same_words", shared=len(a.atoms)), []
    if len(a.atoms & b.atoms) < 2:  # too little in common for any reading but "different"
        return Relation("different", shared=len(a.atoms & b.atoms)), []
    if sorted(a.sequence) == sorted(b.sequence):
        return Relation("reordered", shared=len(a.atoms)), []
    blocks = _blocks(a, b)
    if trim:
        blocks = _trim(blocks, len(a.sequence), len(b.sequence))
        if not blocks:
            return Relation("same_words", shared=len(a.atoms)), []
    return _read(a, b, blocks), blocks


def _read(a: Profile, b: Profile, blocks: list) -> Relation:
    """What the differing blocks of an alignment make of two texts."""
    only_a, only_b, kinds_a, kinds_b = (), (), (), ()
    for _, i1, i2, j1, j2 in blocks:  # a few blocks: tuples joined, not generators walked
        only_a, kinds_a = only_a + a.sequence[i1:i2], kinds_a + a.kinds[i1:i2]
        only_b, kinds_b = only_b + b.sequence[j1:j2], kinds_b + b.kinds[j1:j2]
    kinds = kinds_a + kinds_b
    shared = len(a.atoms & b.atoms - set(only_a) - set(only_b))
    aligned = 1 - max(len(only_a), len(only_b)) / max(len(a.sequence), len(b.sequence))
    if all(k == "negation" for k in kinds) and a.negated != b.negated:
        return Relation("negation", only_a, only_b, shared, aligned=aligned)
    if not only_a or not only_b:
        extra = only_a or only_b
        appended = len(blocks) == 1 and (blocks[0][1] == 0 and blocks[0][3] == 0
                                         or blocks[0][2] == len(a.sequence) and blocks[0][4] == len(b.sequence))
        content = any(x not in FUNCTION_WORDS for x, k in zip(extra, kinds) if k != "negation")
        if "negation" in kinds or not appended or not content:
            return Relation("different", only_a, only_b, shared, aligned=aligned)
        return Relation("subset", only_a, only_b, shared, aligned=aligned)
    if len(blocks) == 1 and blocks[0][0] == "replace" and _slot_like(a, b, blocks[0]):
        _, i1, i2, j1, j2 = blocks[0]
        slot = (i1, i2, j1, j2)
        if "negation" in kinds:
            return Relation("different", only_a, only_b, shared)
        if i1 == 0 and j1 == 0 and (set(kinds_a) | set(kinds_b)) & {"name", "code"}:
            return Relation("subject", only_a, only_b, shared, slot, aligned)
        if any(k in SPECIFIC for k in kinds_a) and any(k in SPECIFIC for k in kinds_b):
            return Relation("value", only_a, only_b, shared, slot, aligned)
        return Relation("words", only_a, only_b, shared, slot, aligned)
    return Relation("different", only_a, only_b, shared, aligned=aligned)


def _slot_like(a: Profile, b: Profile, block: tuple[str, int, int, int, int]) -> bool:
    """One short substitution inside a mostly equal statement: at most three tokens a side, and the
    equal part at least half of each text and two content tokens."""
    _, i1, i2, j1, j2 = block
    if i2 - i1 > 3 or j2 - j1 > 3:
        return False
    equal_a = len(a.sequence) - (i2 - i1)
    equal_b = len(b.sequence) - (j2 - j1)
    outside = [s for k, s in enumerate(a.sequence) if not i1 <= k < i2 and s not in FUNCTION_WORDS]
    return equal_a >= len(a.sequence) / 2 and equal_b >= len(b.sequence) / 2 and len(outside) >= 2


def _trim(blocks: list, size_a: int, size_b: int) -> list:
    """Drop `b`-only words at either end; a replacement at an end keeps only its aligned part."""
    out = list(blocks)
    if out and out[0][0] == "insert" and out[0][1] == 0:
        out = out[1:]
    if out and out[-1][0] == "insert" and out[-1][1] == size_a:
        out = out[:-1]
    return out


def rewrite_slot(a: Profile, b: Profile, relation: Relation) -> str | None:
    """`a`'s text with its substituted slot replaced by `b`'s wording of it (None when not one slot)."""
    if relation.slot is None:
        return None
    i1, i2, j1, j2 = relation.slot
    spans_a = a.spans
    spans_b = b.spans
    start, end = spans_a[i1][0], spans_a[i2 - 1][1]
    new = b.text[spans_b[j1][0]:spans_b[j2 - 1][1]]
    return a.text[:start] + new + a.text[end:]


def _spans(p: Profile) -> list[tuple[int, int]]:
    """Character span of each item of `p.sequence` (articles and "do" before a negator skipped)."""
    out = []
    toks = p.tokens
    for i, token in enumerate(toks):
        if token.kind == "word" and token.norm in ARTICLES:
            continue
        if token.kind == "word" and token.norm in ("do", "doe", "did") and i + 1 < len(toks) and toks[i + 1].kind == "negation":
            continue
        out.append((token.start, token.end))
    return out


def key_of(note_text: str) -> tuple[str, ...] | None:
    """The key of a `Key: value` note as comparable words ("First name: Sarah" → ("first", "name")), or None."""
    if not KEY_VALUE.match(note_text):
        return None
    key = profile(note_text.split(":", 1)[0])
    return tuple(s for s, k in zip(key.sequence, key.kinds) if k != "negation") or None
