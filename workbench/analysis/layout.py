"""The UMAP map of the memory space, fed the analysis's k-NN graph and cached on disk."""

from __future__ import annotations

import io
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from ..embed import cache_dir
from ..files import write_bytes
from ..records import sha256
from .core import Analysis
from .jit import import_cached, numba_cache_dir


def layout_umap(analysis: Analysis, *, n_neighbors: int = 15, random_state: int = 0,
                cache: bool = True, in_subprocess: bool = False) -> pd.DataFrame:
    """A UMAP layout fed the k-NN graph the analysis already holds (much faster first fit).

    Layouts are cached on disk keyed by the note texts, the embedder and the parameters, and
    numba keeps its compiled code in the cache folder, so the second start is quick.
    `in_subprocess` fits in a fresh child process, so the caller's interpreter (a kernel that
    answers the browser) never waits on the GIL that numba holds while UMAP runs.
    """
    n = len(analysis.note_ids)
    if n < 5:
        return analysis.coords.copy()
    index = pd.Index(analysis.note_ids, name="id")
    key = sha256("\x1f".join([analysis.embedder_id, str(n_neighbors), str(random_state),
                               *(n.text for n in analysis.corpus.notes)]))
    path = cache_dir() / "layouts" / f"umap-{key[:32]}.npy"
    if cache and path.exists():
        try:
            xy = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):  # a torn or foreign file: compute it again
            xy = None
        if xy is not None and xy.shape == (n, 2) and np.isfinite(xy).all():
            return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=index)
    numba_cache_dir()  # a child process inherits it
    k = min(n_neighbors, analysis.neighbours.shape[1] + 1)
    knn_index = np.column_stack([np.arange(n), analysis.neighbours[:, : k - 1]])
    knn_dist = np.column_stack([np.zeros(n), 1.0 - analysis.neighbour_similarity[:, : k - 1]]).clip(0)
    args = (np.asarray(analysis.vectors), knn_index, knn_dist, k, random_state)
    if in_subprocess:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            xy = pool.submit(_umap_xy, *args).result()
    else:
        xy = _umap_xy(*args)
    if cache:
        with io.BytesIO() as fh:
            np.save(fh, xy)
            try:
                write_bytes(path, fh.getvalue())  # atomic: a kill or a full disk never leaves half a layout
            except OSError:
                pass  # the layout is still returned; it is computed again next time
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=index)


def layout_umap_aside(analysis: Analysis) -> pd.DataFrame:
    """`layout_umap` fitted in a child process: what the widgets compute in the background."""
    return layout_umap(analysis, in_subprocess=True)


def _umap_xy(vectors: np.ndarray, knn_index: np.ndarray, knn_dist: np.ndarray, k: int,
             random_state: int) -> np.ndarray:
    umap = import_cached("umap")
    reducer = umap.UMAP(n_neighbors=k, metric="cosine", random_state=random_state,
                        precomputed_knn=(knn_index, knn_dist, None), n_jobs=1, init="pca")
    return reducer.fit_transform(vectors)
