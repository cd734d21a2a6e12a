"""Neighbours in the embedding space: exact in blocks, NN-descent past 20,000 rows; groups of linked ids."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EXACT_LIMIT = 20_000


def nearest(vectors: np.ndarray, k: int = 15, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours by cosine (self excluded): exact in blocks up to 20k rows, else NN-descent."""
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
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        index[start:stop] = np.take_along_axis(part, order, axis=1)
        sims[start:stop] = np.take_along_axis(part_scores, order, axis=1)
    return index, sims


def _approximate(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from pynndescent import NNDescent

    n_trees = min(16, 4 + int(round(len(vectors) ** 0.5 / 40)))
    graph = NNDescent(vectors, metric="dot", n_neighbors=k + 1, random_state=0, low_memory=True, n_trees=n_trees,
                      n_iters=max(6, int(np.log2(len(vectors))) // 2), n_jobs=1, compressed=True).neighbor_graph
    index, dist = graph
    out_index = np.empty((len(vectors), k), dtype=np.int64)
    out_sims = np.empty((len(vectors), k), dtype=np.float32)
    for row in range(len(vectors)):
        keep = index[row] != row
        out_index[row] = index[row][keep][:k]
        out_sims[row] = (1.0 - dist[row][keep][:k]).astype(np.float32)
    return out_index, out_sims


BLOCK_BYTES = 64 * 2**20  # a block of scores: with argpartition's int64 copy, ~3× this at once


def top_matches(queries: np.ndarray, vectors: np.ndarray, k: int = 5, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the k most similar rows of `vectors` (blocked; memory stays bounded).

    A block holds at most `block` queries and `BLOCK_BYTES` of scores (at 100,000 notes, 2,048
    queries a block took 3 GB at once; each row's result is the same whatever the block size).
    """
    k = min(k, len(vectors))
    if k == 0 or len(queries) == 0:
        return np.zeros((len(queries), 0), dtype=np.int64), np.zeros((len(queries), 0), dtype=np.float32)
    block = max(1, min(block, BLOCK_BYTES // (4 * max(1, len(vectors)))))
    index = np.empty((len(queries), k), dtype=np.int64)
    sims = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), block):
        scores = queries[start:start + block] @ vectors.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        index[start:start + block] = np.take_along_axis(part, order, axis=1)
        sims[start:start + block] = np.take_along_axis(part_scores, order, axis=1)
    return index, sims


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
