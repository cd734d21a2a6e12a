"""The first map of the memory space: a 2-D PCA projection, computed in milliseconds."""

from __future__ import annotations

import numpy as np


def project(vectors: np.ndarray) -> np.ndarray:
    """A 2-D PCA layout (milliseconds; the UMAP layout comes from `layout_umap`)."""
    if len(vectors) == 0:
        return np.zeros((0, 2))
    if len(vectors) < 3:
        return np.column_stack([np.arange(len(vectors), dtype=float), np.zeros(len(vectors))])
    centered = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centered[:: max(1, len(centered) // 20_000)], full_matrices=False)
    xy = centered @ vt[:2].T
    return xy * np.where(xy[np.abs(xy).argmax(axis=0), [0, 1]] < 0, -1, 1)  # a fixed orientation
