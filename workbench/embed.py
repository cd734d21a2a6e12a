"""Embedders (texts → unit vectors), their registry, and an on-disk cache so nothing is embedded twice.

Built-ins: `tfidf` (the default: word + character n-gram TF-IDF reduced with TruncatedSVD; offline,
deterministic), `minilm` (all-MiniLM-L6-v2 with int8 weights on onnxruntime + tokenizers, no torch;
defined in `workbench.minilm`), `voyage` (Voyage AI API, needs `VOYAGE_API_KEY`). `$WORKBENCH_EMBEDDER`
picks another default. An embedder may need `fit(texts)` on the corpus first (tfidf does); its `id`
then names what it was fitted on, so the cache never mixes vectors of two fits.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .errors import EngineError, UnknownNameError
from .minilm import (
    MINILM_MAX_TOKENS,
    MINILM_PACKAGE,
    MINILM_SHA256,
    MINILM_TOKENIZER,
    MINILM_TOKENIZER_SHA256,
    MINILM_VERSION,
    MiniLMEmbedder,
    mean_pool,
    minilm_available,
    minilm_files,
)
from .records import sha256

if TYPE_CHECKING:
    from .text.char_ngrams import CharNgramCounts

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32 unit vectors of a fixed dimension."""

    id: str
    dim: int

    def fit(self, texts: Sequence[str]) -> Embedder: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


EMBEDDERS: dict[str, Callable[[], Embedder]] = {}


def register_embedder(name: str) -> Callable[[Callable[[], Embedder]], Callable[[], Embedder]]:
    """Register a factory that builds an embedder under `name`."""

    def decorate(factory: Callable[[], Embedder]) -> Callable[[], Embedder]:
        EMBEDDERS[name] = factory
        return factory

    return decorate


def get_embedder(name: str | None = None) -> Embedder:
    """A fresh embedder by name; `None` picks `$WORKBENCH_EMBEDDER`, else `tfidf`.

    `tfidf` stays the default even where `minilm` is installed: BENCHMARKS.md (Embedders, Quality)
    has not shown MiniLM to help the candidates enough to pay its cost; `WORKBENCH_EMBEDDER=minilm`
    opts in.
    """
    if name is None:
        name = os.environ.get("WORKBENCH_EMBEDDER") or "tfidf"
    if name not in EMBEDDERS:
        raise UnknownNameError(f"unknown embedder {name!r}; known embedders: {', '.join(sorted(EMBEDDERS))}")
    return EMBEDDERS[name]()


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


# --- tfidf ----------------------------------------------------------------------------------

_TOKEN = r"(?u)\b\w[\w\-.]*\w\b|\b\w\b"
_FITTING = threading.Lock()  # one fit at a time: a thread that needs the fit waits for it, never sees half of it


class TfidfEmbedder:
    """Word (1–2) and character (3–5) n-gram TF-IDF, reduced with TruncatedSVD (latent semantic analysis).

    Components: one per `texts_per_component` texts, at least 16, at most `dim` — the same
    smoothing at every corpus size keeps similarity on one scale; vectors are zero-padded to
    `dim`, which changes no inner product. Tiny corpora are projected exactly.
    """

    def __init__(self, dim: int = 256, max_char_features: int = 2**18, svd_sample: int = 20_000,
                 texts_per_component: int = 4) -> None:
        self.dim = dim
        self.texts_per_component = texts_per_component
        self.max_char_features = max_char_features
        self.svd_sample = svd_sample
        self.id = f"tfidf-{dim}-unfitted"
        self._texts: list[str] | None = None
        self._word = self._char = self._basis = None
        self._char_counts: CharNgramCounts | None = None  # the char n-grams of each word met, for `_sparse`

    def fit(self, texts: Sequence[str]) -> TfidfEmbedder:
        """Name the corpus to fit on; the fitting itself waits for the first text not in a cache."""
        self._texts = sorted(set(texts)) or [""]
        self.id = f"tfidf-{self.dim}-{self.texts_per_component}-{sha256(chr(31).join(self._texts))[:16]}"
        self._word = self._basis = None
        return self

    def _fit_now(self) -> None:
        """Fit the vocabulary and the SVD, or read the fit an earlier process kept for this id."""
        if not self._read_fit():
            self._fit_vectorizers()
            self._keep_fit()

    def _fit_file(self) -> Path:
        from .files import safe_name

        return cache_dir() / "embedders" / safe_name(re.sub(r"[^\w.\-]", "_", self.id)[:200] + ".fit", what="id")

    def _read_fit(self) -> bool:
        """Take the fit kept for this id (False when there is none, or it does not read back whole)."""
        import pickle

        try:
            kept = pickle.loads(self._fit_file().read_bytes())
        except Exception:  # noqa: BLE001  (absent, torn or foreign: fit again)
            return False
        if not (isinstance(kept, dict) and kept.get("id") == self.id and isinstance(kept.get("basis"), np.ndarray)):
            return False
        self._word, self._char, self._basis = kept["word"], kept["char"], _column_major(kept["basis"])
        return True

    def _keep_fit(self, keep: int = 4) -> None:
        """Keep the fit on disk (atomically; the `keep` latest fits), so new texts are embedded without refitting."""
        import pickle

        from .files import write_bytes

        for vectorizer in (self._word, self._char):
            vectorizer.__dict__.pop("stop_words_", None)  # older scikit-learn: the cut terms, not needed to transform
        data = pickle.dumps({"id": self.id, "word": self._word, "char": self._char, "basis": self._basis},
                            protocol=pickle.HIGHEST_PROTOCOL)
        path = self._fit_file()
        try:
            write_bytes(path, data)
            for old in sorted(path.parent.glob("*.fit"), key=lambda p: p.stat().st_mtime, reverse=True)[keep:]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.info("tfidf fit not kept (%s)", exc.strerror or exc)

    def __getstate__(self) -> dict:
        """Pickled without the fit (tens of MB): it is read back from the cache folder, or fitted, when needed."""
        return {**self.__dict__, "_word": None, "_char": None, "_basis": None, "_char_counts": None}

    def _fit_vectorizers(self) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        from .lsa import randomized_components

        unique = self._texts
        if len(unique) > self.svd_sample:  # fit vocabulary and rotation on an even sample: same quality, less time
            step = len(unique) / self.svd_sample
            unique = [unique[int(i * step)] for i in range(self.svd_sample)]
        self._word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN,
                                     min_df=1, max_features=2**18, dtype=np.float32)
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                     min_df=1 if len(unique) < 2000 else 2,
                                     max_features=self.max_char_features, dtype=np.float32)
        sparse = self._sparse(unique, fit=True)
        components = min(self.dim, max(16, len(unique) // self.texts_per_component))
        if components >= min(sparse.shape):  # tiny corpus: exact, every inner product kept
            _, _, vt = np.linalg.svd(sparse.toarray(), full_matrices=False)
            self._basis = _column_major(vt)
        elif sparse.shape[0] < sparse.shape[1]:  # texts < n-grams, as always but in toy corpora: the fast way
            self._basis = _column_major(randomized_components(sparse, components))
        else:
            svd = TruncatedSVD(components, algorithm="randomized", n_iter=4, random_state=0)
            self._basis = _column_major(svd.fit(sparse).components_)

    def _sparse(self, texts: Sequence[str], fit: bool = False):
        from scipy.sparse import hstack
        from sklearn.preprocessing import normalize

        if fit:
            word, char = self._word.fit_transform(texts), self._char.fit_transform(texts)
        else:
            word, char = self._word.transform(texts), self._char_tfidf(texts)
        return normalize(hstack([word * 0.6, char * 0.8]).tocsr())

    def _char_tfidf(self, texts: Sequence[str]):
        """`self._char.transform(texts)`, the same numbers, counted through the texts' distinct words."""
        from .text.char_ngrams import CharNgramCounts

        counts = getattr(self, "_char_counts", None)  # absent from an embedder pickled before it existed
        if counts is None or counts.vectorizer is not self._char:
            counts = self._char_counts = CharNgramCounts(self._char)
        return counts.tfidf(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._texts is None:
            raise EngineError("the tfidf embedder must be fitted on the corpus first (call fit(texts))")
        if self._basis is None:  # set last, by a fit or a read one: the vectorizers are whole once it is
            with _FITTING:
                if self._basis is None:
                    self._fit_now()
        dense = np.asarray(self._sparse(list(texts)) @ self._basis.T, dtype=np.float32)
        if dense.shape[1] < self.dim:  # tiny corpora: pad, which changes no inner product
            dense = np.hstack([dense, np.zeros((len(dense), self.dim - dense.shape[1]), dtype=np.float32)])
        return _unit(dense)


register_embedder("tfidf")(TfidfEmbedder)


def _column_major(basis: np.ndarray) -> np.ndarray:
    """The basis (components × n-grams, float32) stored column-major, so `basis.T`, which every embedding
    multiplies by, is C-ordered: a sparse product copied the transposed view (90 MB) at every batch of
    512 texts, most of the time embedding took."""
    return np.asfortranarray(basis, dtype=np.float32)


# --- minilm (`workbench.minilm`) -----------------------------------------------------------

register_embedder("minilm")(MiniLMEmbedder)


# --- voyage ---------------------------------------------------------------------------------


class VoyageEmbedder:
    """Voyage AI embeddings over HTTPS (needs `VOYAGE_API_KEY`; `VOYAGE_BASE_URL` for a proxy)."""

    def __init__(self, model: str = "voyage-3.5-lite", batch_size: int = 128) -> None:
        self.model = model
        self.batch_size = batch_size
        self.id = f"voyage-{model}"
        self.dim = 1024

    def fit(self, texts: Sequence[str]) -> VoyageEmbedder:
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import httpx

        key = os.environ.get("VOYAGE_API_KEY")
        if not key:
            raise EngineError("the voyage embedder needs VOYAGE_API_KEY; the tfidf embedder works offline")
        url = os.environ.get("VOYAGE_BASE_URL", "https://api.voyageai.com").rstrip("/") + "/v1/embeddings"
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            try:
                response = httpx.post(url, json={"input": batch, "model": self.model},
                                      headers={"Authorization": f"Bearer {key}"}, timeout=60)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise EngineError(f"Voyage AI request failed: {exc}") from None
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            rows.extend(d["embedding"] for d in data)
        out = _unit(np.array(rows, dtype=np.float32).reshape(len(texts), -1))
        self.dim = out.shape[1] if len(out) else self.dim
        return out


register_embedder("voyage")(VoyageEmbedder)


# --- cache ----------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where caches live: `$WORKBENCH_CACHE`, else `~/.cache/dream-workbench`."""
    return Path(os.environ.get("WORKBENCH_CACHE") or Path.home() / ".cache" / "dream-workbench")


class EmbeddingCache:
    """Vectors on disk keyed by (embedder id, sha256 of text): one file per embedder id.

    Each file holds the keys and the vectors together and is replaced atomically (`files.write_bytes`)
    under a lock on the cache folder, after merging what another process saved meanwhile; so a kill
    mid-save leaves the previous file, and two analyses at once lose nothing. A file that does not
    read back whole (keys and vectors out of step, not finite, torn) is ignored and rebuilt.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "embeddings"
        self._loaded: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        self.misses = 0
        self.warnings: list[str] = []

    def _file(self, embedder_id: str) -> Path:
        from .files import safe_name

        return self.root / safe_name(re.sub(r"[^\w.\-]", "_", embedder_id)[:200] + ".vectors", what="embedder id")

    def _read(self, embedder_id: str) -> tuple[dict[str, int], np.ndarray]:
        """The file's keys and vectors; anything that does not read back whole counts as empty."""
        empty: tuple[dict[str, int], np.ndarray] = ({}, np.zeros((0, 0), dtype=np.float32))
        try:
            data = self._file(embedder_id).read_bytes()
        except OSError:
            return empty
        try:
            with io.BytesIO(data) as fh:
                keys = np.load(fh, allow_pickle=False)
                vectors = np.load(fh, allow_pickle=False)
                whole = fh.tell() == len(data)
        except Exception:  # noqa: BLE001  (a torn or foreign file, whatever numpy makes of it)
            return empty
        index = {k.decode("ascii", "replace"): i for i, k in enumerate(keys.tolist())} if keys.ndim == 1 else {}
        if not (whole and keys.dtype == np.dtype("S64") and vectors.dtype == np.float32 and vectors.ndim == 2
                and len(index) == len(keys) == len(vectors) and np.isfinite(vectors).all()):
            return empty
        return index, vectors

    def _load(self, embedder_id: str) -> tuple[dict[str, int], np.ndarray]:
        if embedder_id not in self._loaded:
            self._loaded[embedder_id] = self._read(embedder_id)
        return self._loaded[embedder_id]

    def _save(self, embedder_id: str, keys: list[str], new: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
        """Merge `new` into what is on disk now, write it back atomically; the merged (index, vectors)."""
        from .files import locked, write_bytes

        index, vectors = self._loaded.get(embedder_id) or ({}, np.zeros((0, 0), dtype=np.float32))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with locked(self.root):
                disk_index, disk_vectors = self._read(embedder_id)
                if disk_vectors.size and disk_vectors.shape[1] == new.shape[1]:
                    index, vectors = disk_index, disk_vectors
                index, vectors = _merged(index, vectors, keys, new)
                with io.BytesIO() as fh:
                    np.save(fh, np.array(sorted(index, key=index.get), dtype="S64"))
                    np.save(fh, vectors)
                    write_bytes(self._file(embedder_id), fh.getvalue())
        except OSError as exc:  # a full disk or a read-only cache: go on without saving
            index, vectors = _merged(index, vectors, keys, new)
            self.warnings.append(f"embedding cache not saved ({exc.strerror or exc}); vectors will be recomputed")
            log.warning(self.warnings[-1])
        self._loaded[embedder_id] = (index, vectors)
        return index, vectors

    def embed(self, embedder: Embedder, texts: Sequence[str],
              tick: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`, embedding only those the cache has not seen; `tick(n)` counts texts done."""
        keys = [sha256(t) for t in texts]
        index, vectors = self._load(embedder.id)
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in index}.items())
        self.misses = len(missing)
        if tick is not None:
            tick(len(texts) - len(missing))
        if missing:
            new = embed_in_batches(embedder, [t for _, t in missing], tick).astype(np.float32)
            index, vectors = self._save(embedder.id, [k for k, _ in missing], new)
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return vectors[[index[k] for k in keys]]


def _merged(index: dict[str, int], vectors: np.ndarray, keys: list[str],
            new: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """`index`/`vectors` plus the rows of `new` whose keys are not there yet (a new dimension starts over)."""
    if vectors.size == 0 or vectors.shape[1] != new.shape[1]:
        index, vectors = {}, np.zeros((0, new.shape[1]), dtype=np.float32)
    fresh = [(k, row) for k, row in zip(keys, new) if k not in index]
    if not fresh:
        return index, vectors
    index = dict(index)
    for offset, (key, _) in enumerate(fresh):
        index[key] = len(vectors) + offset
    return index, np.vstack([vectors, np.array([row for _, row in fresh], dtype=np.float32)])


def embed_in_batches(embedder: Embedder, texts: list[str], tick: Callable[[int], None] | None = None,
                     batch: int = 512) -> np.ndarray:
    """Embed in batches of `batch` texts, `tick(n)` after each (what a progress bar counts)."""
    if len(texts) <= batch or tick is None:
        vectors = embedder.embed(texts)
        if tick is not None:
            tick(len(texts))
        return vectors
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start:start + batch]))
        tick(len(parts[-1]))
    return np.vstack(parts)


def embed_texts(
    texts: Sequence[str], embedder: Embedder | str | None = None, cache: EmbeddingCache | None = None
) -> np.ndarray:
    """Embed with an embedder (fitted on `texts` if it needs fitting) through the cache."""
    if not isinstance(embedder, Embedder):
        embedder = get_embedder(embedder)
    if embedder.id.endswith("unfitted"):
        embedder.fit(texts)
    return (cache or EmbeddingCache()).embed(embedder, texts)


__all__ = ["Embedder", "EMBEDDERS", "register_embedder", "get_embedder", "TfidfEmbedder", "VoyageEmbedder",
           "cache_dir", "EmbeddingCache", "embed_in_batches", "embed_texts",
           # the minilm embedder (`workbench.minilm`), importable from here as before it had its own module
           "MiniLMEmbedder", "minilm_files", "minilm_available", "mean_pool", "MINILM_PACKAGE", "MINILM_VERSION",
           "MINILM_SHA256", "MINILM_TOKENIZER_SHA256", "MINILM_MAX_TOKENS", "MINILM_TOKENIZER"]
