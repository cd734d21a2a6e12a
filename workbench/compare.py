"""Text structure for telling duplicates from conflicts: values, negation, roles, change cues.

A similarity bar alone merges "X is Y" with "X is not Y" and "A reviews B" with "B reviews A"
as readily as true paraphrases (measured on PAWS), and a false merge deletes a fact. So every
similar pair is compared structurally:

- duplicate: the same values, the same polarity, one wording covering the other's content;
- conflict: the same subject with a different value, number, date or polarity (or the newer text
  announces a change: "no longer", "moved to", "instead of");
- distinct: alike on the surface but about a different subject, or with swapped roles;
- related: merely similar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

NEGATORS = frozenset(
    "not no never cannot without none nobody nothing neither nor n't dont doesnt didnt isnt arent "
    "wasnt werent wont shouldnt mustnt avoid avoids stop stopped dropped retired removed abandoned".split()
)
CHANGE_CUES = (
    "no longer", "moved to", "moved the", "moved our", "instead of", "switched", "replaced", "migrated",
    "renamed", "changed", "anymore", "from now on", "going forward", "as of", "now uses", "now use",
    "we now", "is now", "are now", " now.", " now,", "took over", "handed over", "upgraded", "downgraded",
    "deprecated", "bumped", "dropped", "retired", "replaced by", "no more",
)
STOP = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto over under about
    as is are was were be been being am do does did doing have has had having this that these those
    it its it's i me my we our us you your he she him her his they them their there here what which
    who whom whose when where why how all any both each few more most other some such only own same so
    than too very can will just should would could may might must shall also please ok okay yes yeah
    one get got let lets let's sure really thing things use used using uses via per etc e.g i.e
    like just still always again up out off down now then""".split()
)
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)

_CODE = re.compile(r"`([^`]+)`")
_TOKEN = re.compile(r"[A-Za-z0-9][\w\-./:@+#']*[\w+#]|[A-Za-z0-9]")
_VALUEISH = re.compile(r"\d|[._/:@#]|[a-z][A-Z]")


def stem(word: str) -> str:
    """A light suffix stripper: enough to match push/pushes/pushing, test/tests."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


@dataclass(frozen=True, slots=True)
class Profile:
    """What `compare` needs of one text, computed once per text."""

    words: frozenset[str]
    values: frozenset[str]
    negated: bool
    cue: str
    entities: tuple[str, ...]
    sequence: tuple[str, ...] = ()
    atoms: frozenset[str] = frozenset()
    code: frozenset[str] = frozenset()

    @property
    def content(self) -> frozenset[str]:
        return self.words | self.values


def is_specific(piece: str, raw: str) -> bool:
    """Values that must match exactly: numbers, versions, hosts, identifiers, camelCase."""
    return bool(re.search(r"\d|[._@#]", piece)) or bool(re.search(r"[a-z][A-Z]", raw))


@lru_cache(maxsize=400_000)
def profile(text: str, names: frozenset[str] = frozenset()) -> Profile:
    """Split a text into content words, value-like tokens, polarity and change cues.

    Values are numbers, versions, hosts, identifiers, dates and the corpus's proper nouns
    (`names`: words capitalised mid-sentence, never in lower case); so "CI runs on Jenkins" and
    "CI runs on Buildkite" differ in value. Code spans count by their pieces; negation inside
    code (`pytest -m "not integration"`) is not negation of the sentence.
    """
    lowered = text.lower()
    plain = _CODE.sub(lambda m: " " * len(m.group(0)), text)
    words: set[str] = set()
    values: set[str] = set()
    code: set[str] = set()
    atoms: set[str] = set()
    entities: list[str] = []
    sequence: list[str] = []
    negated = False
    for match in _TOKEN.finditer(text.replace("’", "'").replace("`", " ")):
        in_code = not plain[match.start():match.end()].strip()
        for raw in re.split(r"[/:=,()\[\]]+", match.group(0)):
            raw = re.sub(r"'s$", "", raw.strip(".-'\"")).strip()
            piece = raw.lower().replace("'", "")
            if not piece:
                continue
            if piece in NEGATORS or piece.endswith("n't") or piece.endswith("nt") and piece[:-2] + "n't" in NEGATORS:
                negated = negated or not in_code
                continue
            if (in_code and len(piece) > 1 and piece not in STOP) or is_specific(piece, raw) or piece in names \
                    or piece in MONTHS:
                piece = stem(piece) if piece in names else piece
                values.add(piece)
                if in_code:
                    code.add(piece)
                atoms.update(a for a in re.split(r"[\W_]+", piece) if a)
                entities.append(piece)
                sequence.append(piece)
            elif piece not in STOP and len(piece) > 1:
                word = stem(piece)
                words.add(word)
                atoms.add(word)
                sequence.append(word)
    if "no longer" in lowered:
        negated = True
    cue = next((c for c in CHANGE_CUES if c in lowered), "")
    return Profile(frozenset(words), frozenset(values), negated, cue, tuple(entities), tuple(sequence),
                   frozenset(atoms), frozenset(code))


def proper_nouns(texts: list[str]) -> frozenset[str]:
    """Words written capitalised in the middle of sentences and never in lower case."""
    upper: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?:;])\s+|\n", _CODE.sub(" ", text)):
            for position, token in enumerate(re.findall(r"[A-Za-zÀ-ÿ][\w'’-]*", sentence)):
                if token[0].isupper():
                    if position > 0 and not token.isupper():
                        upper.add(token.lower())
                else:
                    lower.add(token.lower())
    return frozenset(w for w in upper - lower if w not in STOP and w not in MONTHS and len(w) > 1)


@dataclass(frozen=True, slots=True)
class Comparison:
    """How two similar texts relate, and the evidence for it."""

    relation: str  # duplicate | conflict | distinct | related
    overlap: float
    difference: str  # "" | negation | value | role_swap | scope | elaboration
    detail: str


def _overlap(a: Profile, b: Profile, weights: Mapping[str, float] | None = None) -> float:
    """Shared atoms over the smaller side, weighted by rarity: how much of one text the other covers."""
    if not a.atoms or not b.atoms:
        return 0.0
    if weights is None:
        return len(a.atoms & b.atoms) / min(len(a.atoms), len(b.atoms))
    weight = lambda atoms: sum(weights.get(x, 1.0) for x in atoms)  # noqa: E731
    return weight(a.atoms & b.atoms) / min(weight(a.atoms), weight(b.atoms))


def _coverage(a: Profile, b: Profile, weights: Mapping[str, float] | None = None) -> float:
    """How much of `a`'s content `b` also has."""
    if not a.atoms:
        return 0.0
    weight = (lambda atoms: sum(weights.get(x, 1.0) for x in atoms)) if weights else len
    return weight(a.atoms & b.atoms) / weight(a.atoms)


def _unmatched(a: Profile, b: Profile) -> frozenset[str]:
    """Values of `a` that `b` has neither as a value nor as a plain word."""
    return frozenset(v for v in a.values if v not in b.values and v not in b.words and stem(v) not in b.words)


def _role_swap(a: Profile, b: Profile) -> bool:
    shared = [e for e in a.entities if e in b.entities]
    if len(set(shared)) < 2 or a.content != b.content:
        return False
    order_b = [e for e in b.entities if e in shared]
    return [e for e in a.entities if e in shared] != order_b


def _other_subject(a: Profile, b: Profile, only_a: frozenset[str], only_b: frozenset[str]) -> bool:
    """The texts open with different names or values: "Alba had X" and "Yara had X" are two facts."""
    if not a.sequence or not b.sequence or a.sequence[0] == b.sequence[0]:
        return False
    return a.sequence[0] in only_a and b.sequence[0] in only_b


def _reordered(a: Profile, b: Profile) -> bool:
    """Nearly the same words in a different order: PAWS-style swaps hide here, so never merge them."""
    bag_a, bag_b = set(a.sequence), set(b.sequence)
    bag = len(bag_a & bag_b) / max(1, len(bag_a | bag_b))
    if bag < 0.6 or a.sequence == b.sequence:
        return False
    return SequenceMatcher(None, a.sequence, b.sequence, autojunk=False).ratio() < 0.9 * bag


def compare(a: Profile, b: Profile, weights: Mapping[str, float] | None = None) -> Comparison:
    """Relate `a` (older) to `b` (newer) by structure alone; callers apply similarity bars.

    "duplicate" here means "may be merged if similar enough"; "conflict" means "the same
    subject with a different value if similar enough". A newer text that announces a change
    ("moved to", "no longer", "switched") may contradict with less shared wording.
    """
    overlap = _overlap(a, b, weights)
    only_a, only_b = _unmatched(a, b), _unmatched(b, a)
    substituted = bool(a.words - b.words) and bool(b.words - a.words)
    cue = b.cue
    if _role_swap(a, b):
        return Comparison("distinct", overlap, "role_swap", "the same names in swapped roles")
    if cue and overlap >= 0.2 and (a.negated != b.negated or (only_a and only_b)):
        detail = f"{', '.join(sorted(only_a))} → {', '.join(sorted(only_b))}" if only_a and only_b else f"the newer text says: {cue}"
        return Comparison("conflict", overlap, "value" if only_a and only_b else "negation", detail)
    if _other_subject(a, b, only_a, only_b):
        return Comparison("distinct", overlap, "scope", "about different subjects "
                          f"({a.sequence[0]} / {b.sequence[0]})")
    if a.negated != b.negated:
        if not substituted and overlap >= 0.4:
            return Comparison("conflict", overlap, "negation", "one says the opposite of the other")
        return Comparison("distinct", overlap, "scope", "opposite polarity about different things")
    if only_a and only_b:
        detail = f"{', '.join(sorted(only_a))} → {', '.join(sorted(only_b))}"
        if not substituted and len(only_a) == 1 and overlap >= 0.34:
            return Comparison("conflict", overlap, "value", detail)
        return Comparison("distinct", overlap, "scope", detail)
    if only_b and cue and overlap >= 0.4:
        return Comparison("conflict", overlap, "value", f"the newer text says: {cue} {', '.join(sorted(only_b))}")
    if only_a or only_b:
        names_only = all(not is_specific(v, v) and v not in a.code | b.code for v in only_a | only_b)
        richer, plainer = (a, b) if only_a else (b, a)
        covered = _overlap(plainer, richer, weights) if len(plainer.atoms) <= len(richer.atoms) else \
            _coverage(plainer, richer, weights)
        if covered >= (0.5 if names_only else 0.8) and not _reordered(a, b):
            return Comparison("duplicate", overlap, "elaboration", "one wording adds detail to the other")
        return Comparison("related", overlap, "" if names_only else "extra_values",
                          "" if names_only else f"only one side names {', '.join(sorted(only_a | only_b))}")
    if overlap >= 0.4 and _reordered(a, b):
        return Comparison("distinct", overlap, "order", "the same words in another order (roles may differ)")
    if overlap >= 0.4:
        return Comparison("duplicate", overlap, "", "same content, same values, same polarity")
    return Comparison("related", overlap, "", "")
