"""The embedding cache survives SIGKILL mid-save, two analyses at once, torn files and a full disk."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import time

import numpy as np
import pytest
from builders import coding_corpus

from workbench import files
from workbench.analysis import analyze
from workbench.embed import EmbeddingCache


class HashEmbedder:
    """Deterministic vectors from the text's hash: any vector read back can be checked."""

    def __init__(self, dim: int = 64, id: str = "hash-64") -> None:
        self.dim, self.id = dim, id

    def fit(self, texts):
        return self

    def embed(self, texts):
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:12], 16)).standard_normal(self.dim)
                for t in texts]
        out = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-9)


def texts(prefix: str, n: int) -> list[str]:
    return [f"{prefix} note {i}: the runner {i % 7} took {i % 90} seconds." for i in range(n)]


def assert_consistent(root, embedder: HashEmbedder) -> int:
    """Whatever a fresh cache reads back maps each key to that text's own vector; returns how many."""
    cache = EmbeddingCache(root)
    index, vectors = cache._load(embedder.id)
    assert len(index) == len(vectors)
    return len(index)


@pytest.mark.slow
def test_a_cache_killed_mid_save_at_random_moments_never_tears(tmp_path):
    embedder = HashEmbedder()
    rng = random.Random(20)
    sample = texts("probe", 50)
    for round_ in range(20):
        pid = os.fork()
        if pid == 0:
            try:
                cache = EmbeddingCache(tmp_path)
                for i in range(400):  # a growing cache, saved after every batch
                    cache.embed(embedder, texts(f"r{round_}-{i}", 40))
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert_consistent(tmp_path, embedder)
        again = EmbeddingCache(tmp_path).embed(embedder, sample)  # never an IndexError
        assert np.allclose(again, embedder.embed(sample), atol=1e-6)
    files.write_bytes(tmp_path / "x", b"")  # any later write in the folder removes the kills' leftovers
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(files.STAGING)]


def test_two_processes_saving_one_cache_at_once_lose_nothing(tmp_path):
    embedder = HashEmbedder(id="shared-64")
    start = time.time() + 0.3
    children = []
    for name in ("a", "b"):
        pid = os.fork()
        if pid == 0:
            try:
                time.sleep(max(0.0, start - time.time()))
                cache = EmbeddingCache(tmp_path)
                for i in range(15):
                    cache.embed(embedder, texts(f"{name}{i}", 30))
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    cache = EmbeddingCache(tmp_path)
    everything = [t for name in "ab" for i in range(15) for t in texts(f"{name}{i}", 30)]
    vectors = cache.embed(embedder, everything)
    assert cache.misses == 0  # both processes' vectors were kept (merged under the lock)
    assert np.allclose(vectors, embedder.embed(everything), atol=1e-6)


def test_two_analyses_at_once_both_finish_and_the_cache_reads_back(tmp_path):
    corpus = coding_corpus()
    analyze(corpus, "tfidf", cache=EmbeddingCache(tmp_path / "warm-up"))  # imports and first-call costs, once
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                analyze(corpus, "tfidf", cache=EmbeddingCache(tmp_path))
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children] == [0, 0]
    cache = EmbeddingCache(tmp_path)
    analysis = analyze(corpus, "tfidf", cache=cache)
    assert cache.misses == 0 and len(analysis.note_ids) == len(corpus.notes)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "keys and vectors out of step", "not finite", "empty"])
def test_a_damaged_cache_file_is_rebuilt_not_a_crash(tmp_path, damage):
    embedder = HashEmbedder()
    sample = texts("s", 30)
    EmbeddingCache(tmp_path).embed(embedder, sample)
    file = EmbeddingCache(tmp_path)._file(embedder.id)
    data = file.read_bytes()
    if damage == "garbage":
        file.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        file.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        file.write_bytes(b"")
    else:
        import io

        keys = np.array([hashlib.sha256(t.encode()).hexdigest() for t in sample], dtype="S64")
        vectors = embedder.embed(sample)
        vectors = vectors[:-1] if damage.startswith("keys") else np.full_like(vectors, np.nan)
        with io.BytesIO() as fh:
            np.save(fh, keys)
            np.save(fh, vectors)
            file.write_bytes(fh.getvalue())
    cache = EmbeddingCache(tmp_path)
    vectors = cache.embed(embedder, sample)
    assert cache.misses == len(sample)
    assert np.allclose(vectors, embedder.embed(sample), atol=1e-6)
    assert EmbeddingCache(tmp_path).embed(embedder, sample).shape == (30, 64)  # and saved whole again


def test_a_cache_that_cannot_be_saved_warns_and_the_analysis_goes_on(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "write_bytes", full)
    cache = EmbeddingCache(tmp_path)
    analysis = analyze(coding_corpus(), "tfidf", cache=cache)
    assert len(analysis.note_ids) == len(coding_corpus().notes)
    assert cache.warnings and "No space left" in cache.warnings[0]
