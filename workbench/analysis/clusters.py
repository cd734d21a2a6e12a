"""Topics: the one clustering of the notes and the one namer of its clusters.

HDBSCAN on the vectors reduced to a dozen dimensions (MiniBatchKMeans past 20,000 notes), made
useful to read: a note the clustering left out joins the topic most of its close neighbours belong
to, a topic holding more than `topic_limit` notes is split with k-means, topics are numbered by size
(0 is the largest) and named by their most specific words (c-TF-IDF), written out in full.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..compare import FUNCTION_WORDS
from ..text import stem
from .neighbours import EXACT_LIMIT

MAX_CLUSTER_SHARE = 0.3  # a topic holding more of the store than this is split
LABEL_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{3,}(?:['’-][^\W\d_]+)*")


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
    """The most notes one topic may hold: a share of the store, and at most an eighth of a big one."""
    return max(4, int(np.ceil(min(max_share * n, max(n / 8, 40)))))


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


def cluster_names(texts: Sequence[str], labels: Sequence[int], *, words: int = LABEL_WORDS) -> dict[int, str]:
    """c-TF-IDF: the words most specific to each cluster, written out in full ("message / commit").

    Words are compared by stem and shown in the form the notes most often use; numbers, code and
    words of one or two letters never name a topic.
    """
    per_cluster: dict[int, Counter] = defaultdict(Counter)
    df: Counter = Counter()
    seen: dict[str, Counter] = defaultdict(Counter)
    stems: dict[str, str] = {}
    for text, label in zip(texts, labels, strict=True):
        terms = set()
        for word in _words(text):
            lower = word.lower()
            if lower in FUNCTION_WORDS:
                continue
            norm = stems.get(lower)
            if norm is None:
                norm = stems[lower] = stem(lower)
            if norm in FUNCTION_WORDS:
                continue
            terms.add(norm)
            seen[norm][lower] += 1
        df.update(terms)
        if label >= 0:
            per_cluster[int(label)].update(terms)
    surface = _most_written(seen)
    total = max(1, len(texts))
    names = {}
    for label, counts in sorted(per_cluster.items()):
        scored = sorted(counts, key=lambda w: (-counts[w] * np.log(1 + total / df[w]), w))
        names[label] = " / ".join(surface.get(w, w) for w in scored[:words]) or f"topic {label}"
    return names
