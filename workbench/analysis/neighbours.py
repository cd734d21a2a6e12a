"""Neighbours in the embedding space: exact in blocks, an inverted-file index (faiss) past 20,000 rows; groups of linked ids."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EXACT_LIMIT = 20_000


def nearest(vectors: np.ndarray, k: int = 15, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours by cosine (self excluded): exact in blocks up to 20k rows, else approximate (faiss)."""
    n = len(vectors)
    k = max(0, min(k, n - 1))
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    if n > EXACT_LIMIT:
        return _approximate(vectors, k)
    index = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        scores = vectors[start:stop] @ vectors.T
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        index[start:stop], sims[start:stop] = _top_k(scores, k)
    return index, sims


SCORE_DIGITS = 6  # scores are ranked rounded to 1e-6: a last-bit difference (another BLAS kernel) reorders nothing
_SCORE_BOUND = 1e4  # |score| ranked at most (cosines are within 1; a ranking key must fit an int64)
_SPARE = 8  # candidates taken beyond k before ranking them by rounded score


def _rank_keys(scores: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
    """int64 keys, lower ranks first: the score rounded to `SCORE_DIGITS` decimals (higher first), then the column."""
    bound = _SCORE_BOUND * 10.0 ** SCORE_DIGITS
    scaled = np.nan_to_num(scores * np.float32(10.0 ** SCORE_DIGITS), nan=-bound, posinf=bound, neginf=-bound)
    key = np.rint(np.clip(scaled, -bound, bound, out=scaled), out=scaled).astype(np.int64)
    key *= -width
    key += columns
    return key


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the k highest scores and those scores: ranked by the score rounded to
    `SCORE_DIGITS` decimals, ties by the lower column, so the same columns come out whatever block or
    machine computed the scores. The k + `_SPARE` highest are ranked; a row whose last candidate still
    ties the k-th is ranked whole."""
    rows, width = scores.shape
    take = min(width, k + _SPARE)
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take] if take < width else \
        np.broadcast_to(np.arange(width), (rows, width)).copy()
    keys = _rank_keys(np.take_along_axis(scores, part, axis=1), part, width)
    order = np.argsort(keys, axis=1)
    part, keys = np.take_along_axis(part, order, axis=1), np.take_along_axis(keys, order, axis=1)
    index = part[:, :k].copy()
    unsure = np.flatnonzero(keys[:, -1] // width == keys[:, k - 1] // width) if take < width else []
    for row in unsure:  # many equal scores (duplicate notes): rank the whole row
        whole = _rank_keys(scores[row], np.arange(width, dtype=np.int64), width)
        best = np.argpartition(whole, k - 1)[:k]
        index[row] = best[np.argsort(whole[best])]
    return index, np.take_along_axis(scores, index, axis=1)


def _approximate(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k neighbours from a faiss inverted-file index: 2·√n cells, each row searched in its 8 closest.

    faiss is compiled ahead of time (pynndescent's numba JIT cost ~40 s in every fresh process) and
    finds as many of the true neighbours (~97 % at 100,000 TF-IDF notes)."""
    import faiss

    data = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = data.shape
    cells = max(1, int(2 * n ** 0.5))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, cells, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 0
    index.train(data[::max(1, n // (64 * cells))])  # 64 rows a cell: the centres need no more
    index.add(data)
    index.nprobe = min(cells, 8)
    sims, found = index.search(data, k + 1)
    others = found != np.arange(n)[:, None]  # each row without the row itself, in order
    first = np.argsort(~others, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(found, first, axis=1).astype(np.int64), np.take_along_axis(sims, first, axis=1)


BLOCK_BYTES = 64 * 2**20  # a block of scores (16 MB changed the last bits of some scores, and the recall table)


def top_matches(queries: np.ndarray, vectors: np.ndarray, k: int = 5, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the k most similar rows of `vectors` (blocked; memory stays bounded).

    A block holds at most `block` queries and `BLOCK_BYTES` of scores (at 100,000 notes, 2,048
    queries a block took 3 GB at once). Each row's neighbours are the same whatever the block size:
    scores are ranked rounded to 1e-6, ties by the lower row (see `_top_k`).
    """
    k = min(k, len(vectors))
    if k == 0 or len(queries) == 0:
        return np.zeros((len(queries), 0), dtype=np.int64), np.zeros((len(queries), 0), dtype=np.float32)
    block = max(1, min(block, BLOCK_BYTES // (4 * max(1, len(vectors)))))
    index = np.empty((len(queries), k), dtype=np.int64)
    sims = np.empty((len(queries), k), dtype=np.float32)
    rank = max(1, block // 4)  # rows ranked at once: argpartition's copies of a quarter block, not of all of it
    for start in range(0, len(queries), block):
        scores = queries[start:start + block] @ vectors.T
        for row in range(0, len(scores), rank):
            done = slice(start + row, start + min(row + rank, len(scores)))
            index[done], sims[done] = _top_k(scores[row:row + rank], k)
    return index, sims


# --- pairs, duplicates, conflicts ----------------------------------------------------------


def complete_link(edges: Sequence[tuple[str, str]], share: float = 1.0) -> list[list[str]]:
    """Group ids so every two members of a group are linked (no single-link chaining).

    With `share` < 1, two groups join when at least that share of their cross pairs is linked.
    """
    linked = set(edges) | {(b, a) for a, b in edges}
    groups: list[set[str]] = []
    group_of: dict[str, int] = {}
    for a, b in edges:
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is None and gb is None:
            group_of[a] = group_of[b] = len(groups)
            groups.append({a, b})
        elif ga is not None and gb is not None:
            cross = [(x, y) in linked for x in groups[ga] for y in groups[gb]] if ga != gb else []
            if cross and sum(cross) >= share * len(cross):
                for member in groups[gb]:
                    group_of[member] = ga
                groups[ga] |= groups[gb]
                groups[gb] = set()
        else:
            target, new = (ga, b) if ga is not None else (gb, a)
            links = [(new, member) in linked for member in groups[target]]
            if sum(links) >= share * len(links):
                groups[target].add(new)
                group_of[new] = target
    return [sorted(g) for g in groups if g]
