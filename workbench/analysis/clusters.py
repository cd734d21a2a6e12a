"""Topics: the one clustering of the notes and the one namer of its clusters.

HDBSCAN on the vectors reduced to a dozen dimensions (MiniBatchKMeans past 20,000 notes), made
useful to read: a note the clustering left out joins the topic most of its close neighbours belong
to, a topic holding more than `topic_limit` notes is split with k-means, topics are numbered by size
(0 is the largest) and named by their most specific terms (c-TF-IDF), written out in full: the
names of people and things first, then phrases that recur in the topic, then words; never function
words or the filler every memory is full of (`FILLER_WORDS`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..compare import FUNCTION_WORDS
from ..text import stem
from ..topics import GENERIC
from .neighbours import EXACT_LIMIT

MAX_CLUSTER_SHARE = 0.3  # a topic holding more of the store than this is split
LABEL_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{3,}(?:['’-][^\W\d_]+)*")
_TERM = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # any word, "on-call" too; a name needs three letters


def topics(ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray, neighbours: np.ndarray,
           similarity: np.ndarray, floor: float, *, max_share: float = MAX_CLUSTER_SHARE) -> pd.DataFrame:
    """One row per note (index `id`): its topic number (`cluster`, -1 for none) and the topic's `label`."""
    n = len(ids)
    index = pd.Index(list(ids), name="id")
    if n == 0:
        return pd.DataFrame({"cluster": pd.Series(dtype=int), "label": pd.Series(dtype=str)}, index=index)
    labels = _join_neighbours(_density_clusters(vectors), neighbours, similarity, floor)
    labels = _by_size(_split_oversized(labels, vectors, topic_limit(n, max_share)))
    names = cluster_names(texts, labels)
    return pd.DataFrame({"cluster": labels, "label": [names.get(int(c), "unclustered") for c in labels]},
                        index=index)


def _density_clusters(vectors: np.ndarray) -> np.ndarray:
    n = len(vectors)
    if n < 4:
        return np.full(n, -1)
    if n > EXACT_LIMIT:
        from sklearn.cluster import MiniBatchKMeans

        return MiniBatchKMeans(n_clusters=max(8, int(np.sqrt(n / 4))), random_state=0, n_init=3,
                               batch_size=4096).fit_predict(vectors)
    from sklearn.cluster import HDBSCAN

    size = max(3, min(25, n // 40))
    return HDBSCAN(min_cluster_size=size, min_samples=2, copy=True).fit_predict(_reduce(vectors, 12))


def _reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    if vectors.shape[1] <= dims or len(vectors) <= dims:
        return vectors
    from sklearn.decomposition import PCA

    return PCA(dims, random_state=0, svd_solver="randomized").fit_transform(vectors)


def _join_neighbours(labels: np.ndarray, neighbours: np.ndarray, similarity: np.ndarray,
                     floor: float) -> np.ndarray:
    """Left-out notes join the topic most of their close neighbours hold (two rounds, so chains follow)."""
    labels = labels.astype(int).copy()
    n = len(labels)
    if not (labels >= 0).any() or len(neighbours) != n or neighbours.ndim != 2:
        return labels
    for _round in range(2):
        joined = False
        for i in np.flatnonzero(labels < 0):
            near = [int(labels[j]) for j, sim in zip(neighbours[i], similarity[i])
                    if 0 <= j < n and sim >= floor and labels[j] >= 0]
            if near:
                labels[i] = Counter(near).most_common(1)[0][0]
                joined = True
        if not joined:
            break
    return labels


def _split_oversized(labels: np.ndarray, vectors: np.ndarray, limit: int) -> np.ndarray:
    """Topics above `limit` notes split with k-means (again when one part is still too big)."""
    labels = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for _round in range(3):
        oversized = [c for c, size in Counter(labels[labels >= 0].tolist()).items() if size > limit]
        if not oversized:
            break
        for label in oversized:
            members = np.flatnonzero(labels == label)
            parts = min(len(members) // 2, int(np.ceil(len(members) / limit)) + 1)
            if parts < 2:
                continue
            split = _kmeans(vectors[members], parts)
            for part in range(1, parts):
                labels[members[split == part]] = next_label
                next_label += 1
    return labels


def _by_size(labels: np.ndarray) -> np.ndarray:
    sizes = Counter(labels[labels >= 0].tolist())
    order = {old: new for new, (old, _) in enumerate(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))}
    return np.array([order.get(int(c), -1) for c in labels], dtype=int)


def topic_limit(n: int, max_share: float = MAX_CLUSTER_SHARE) -> int:
    """The most notes one topic may hold: a share of the store, an eighth of a mid-sized one, and past
    1,024 notes 4·√n (a map of 10,000 notes then has topics of at most 400, not 1,250, notes)."""
    return max(4, int(np.ceil(min(max_share * n, max(min(n / 8, 4 * np.sqrt(n)), 40)))))


def _kmeans(vectors: np.ndarray, parts: int) -> np.ndarray:
    """K-means on the vectors reduced to a dozen dimensions (more even parts than on the raw vectors)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    x = np.asarray(vectors, dtype=np.float32)
    with threadpool_limits(limits=1):  # small matrices: more threads only fight over a shared machine
        if x.shape[1] > 12 and len(x) > 12:
            x = _reduce(x, 12)
        return KMeans(n_clusters=parts, random_state=0, n_init=3).fit_predict(x)


# --- names ------------------------------------------------------------------------------------

# Words common to every kind of agent memory, that name no topic: generic verbs, adverbs, quantifiers
# and ordinals, added to the function words (`FUNCTION_WORDS`) and the generic nouns (`topics.GENERIC`).
FILLER_WORDS = frozenset(
    """use used uses using user users not no yes none nothing also need needs needed make makes made get gets got
    set sets new one two three four five first second third last next until since yet still now then later soon
    recently currently always never often usually sometimes really already ever even only much many more most some
    such same other another both either neither way lot lots well back like want wants wanted know knows known see
    seen go goes going went come comes came take takes took give gives gave keep keeps kept put let lets say says
    said tell tells told ask asks asked think thinks thought feel feels felt try tries tried find finds found help
    helps helped work works worked working good great best better bad big small little long short old high low
    right wrong sure able per via etc unknown current through across during without within after before between
    against around upon while because though although whether each day days time times today week year years
    thing things something anything everything everyone someone people person january february march april june
    july august september october november december monday tuesday wednesday thursday friday saturday sunday
    """.split()
) | GENERIC
PHRASE_JOINS = (" ", "-")  # what may stand between the two words of a phrase ("dbt build", "on-call rotation")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_CONTRACTION = re.compile(r"['’](?:t|re|ll|ve|m|d)$", re.IGNORECASE)
NAME_LIFT = 2.0  # a name shown first is held this many times more often in its cluster than in all notes


@dataclass
class _Terms:
    """Per cluster: how many notes hold each word stem and each two-word phrase; and across all notes."""

    words: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    phrases: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    df: Counter = field(default_factory=Counter)
    written: Counter = field(default_factory=Counter)  # each word as written → times
    capitalised: Counter = field(default_factory=Counter)  # stem → times written capitalised mid-sentence
    known: dict[str, str | None] = field(default_factory=dict)  # each word as written → its stem, None: no name


def _words(text: str) -> list[str]:
    """Words of three letters or more, as written (no numbers, code or identifiers)."""
    return [m.group(0) for m in _WORD.finditer(text) if not (m.start() and text[m.start() - 1] in "`/_.@#")]


def surface_words(texts: Iterable[str]) -> dict[str, str]:
    """Each word stem → the form it is most often written in (``messag`` → ``message``)."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        for word in _words(text):
            lower = word.lower()
            seen[stem(lower)][lower] += 1
    return _most_written(seen)


def _most_written(seen: Mapping[str, Counter]) -> dict[str, str]:
    return {norm: min(forms.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0] for norm, forms in seen.items()}


def _stem_of(word: str) -> str | None:
    """The stem a topic may be named by, or None: a function or filler word, a contraction ("don't")."""
    if "'" in word or "’" in word:
        if _CONTRACTION.search(word):
            return None
        word = _POSSESSIVE.sub("", word)
    lower = word.lower()
    norm = stem(lower)
    return None if lower in _UNNAMING or norm in _UNNAMING or len(word) < 3 else norm


def _mid_sentence(text: str, start: int) -> bool:
    """True when the word at `start` follows a word or a comma: neither a sentence's nor a heading's first."""
    before = text[max(0, start - 8):start].rstrip()
    return bool(before) and (before[-1].isalnum() or before[-1] in ",;")


_UNNAMING = FUNCTION_WORDS | FILLER_WORDS
_UNSEEN = object()


def _count_note(terms: _Terms, text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The stems and the phrases (two content words side by side) of one note; counts how words are written."""
    known, kept, pairs, before, end = terms.known, [], set(), None, 0
    for m in _TERM.finditer(text):
        start, word = m.start(), m.group()
        norm = known.get(word, _UNSEEN)
        if norm is _UNSEEN:
            norm = known[word] = _stem_of(word)
        if norm is None or start and text[start - 1] in "`/_.@#":
            before, end = None, m.end()
            continue
        kept.append(word)
        if word[0].isupper() and not word.isupper() and _mid_sentence(text, start):
            terms.capitalised[norm] += 1
        if before is not None and before != norm and text[end:start] in PHRASE_JOINS:
            pairs.add((before, norm))
        before, end = norm, m.end()
    terms.written.update(kept)
    return {known[w] for w in kept}, pairs


def _count_terms(texts: Sequence[str], labels: Sequence[int]) -> _Terms:
    terms = _Terms()
    for text, label in zip(texts, labels, strict=True):
        seen, pairs = _count_note(terms, text)
        terms.df.update(seen)
        terms.df.update(pairs)
        if label >= 0:
            terms.words[int(label)].update(seen)
            terms.phrases[int(label)].update(pairs)
    return terms


def _names_and_forms(terms: _Terms) -> tuple[set[str], dict[str, str]]:
    """The stems that are names (only ever written capitalised, so in mid-sentence too) and how each
    stem is shown: names and acronyms as written, other words in lower case."""
    forms: dict[str, Counter] = defaultdict(Counter)
    lower: set[str] = set()
    for word, n in terms.written.items():
        norm = terms.known[word]
        forms[norm][_POSSESSIVE.sub("", word)] += n
        if word[0].islower():
            lower.add(norm)
    names = {norm for norm in terms.capitalised if norm not in lower}
    shown = {norm: form if norm in names or form.isupper() else form.lower()
             for norm, form in _most_written(forms).items()}
    return names, shown


def cluster_names(texts: Sequence[str], labels: Sequence[int], *, words: int = LABEL_WORDS) -> dict[int, str]:
    """Each cluster's name: names first, then phrases that recur in it, then words ("Priya / dbt build / ruff").

    Terms are ranked by c-TF-IDF (how much more often the cluster's notes hold them than all notes);
    a name is a word only ever written capitalised in mid-sentence; a phrase is two adjacent content
    words held by two or more of the cluster's notes. Function words, filler common to all memory
    ("use", "user", "not", "also", "second", "until" …), numbers, code and words of one or two
    letters never name a topic. Words are compared by stem and shown as the notes mostly write them.
    """
    terms = _count_terms(texts, labels)
    names_of, shown = _names_and_forms(terms)
    total, sizes = max(1, len(texts)), Counter(int(c) for c in labels if c >= 0)
    names = {}
    for label in sorted(terms.words):
        picked = _pick_terms(terms, label, sizes[label], names_of, shown, total, words)
        names[label] = " / ".join(" ".join(shown[w] for w in term) for term in picked) or f"topic {label}"
    return names


def _pick_terms(terms: _Terms, label: int, size: int, names_of: set[str], shown: Mapping[str, str], total: int,
                limit: int) -> list[tuple[str, ...]]:
    """Up to `limit` terms: at most two names specific to the cluster, then its recurring phrases, then
    its words by c-TF-IDF; no word twice."""
    counts = terms.words[label]
    floor = max(2, int(np.ceil(0.1 * size))) if size >= 4 else 1

    def ranked(found: Counter, least: int) -> list:
        return sorted((t for t, n in found.items() if n >= least),
                      key=lambda t: (-found[t] * np.log(1 + total / terms.df[t]), t))

    named = [(w,) for w in ranked(counts, floor)
             if w in names_of and counts[w] / size >= NAME_LIFT * terms.df[w] / total][:2]
    phrases = [t for t in ranked(terms.phrases[label], max(2, floor)) if _noun_phrase(t, names_of, shown)]
    picked, used = list(named), {w for (w,) in named}
    for term in phrases + [(w,) for w in ranked(counts, 1)]:
        if len(picked) < limit and not set(term) & used:
            picked.append(term)
            used |= set(term)
    return picked


def _noun_phrase(phrase: tuple[str, str], names_of: set[str], shown: Mapping[str, str]) -> bool:
    """Two words that may name a thing: no adverb ("regularly"), no name then a verb ("Priya dislikes")."""
    first, second = phrase
    if shown[first].endswith("ly") or shown[second].endswith("ly"):
        return False
    return first not in names_of or second in names_of
