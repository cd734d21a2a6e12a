"""The analysis kept on disk by content: the same plans as a fresh one, and never a crash on a bad file."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from workbench.analysis import analysis_key, analyze, load_or_analyze
from workbench.analysis import stored as stored_module
from workbench.analysis.stored import PackedProfiles, analyses_dir
from workbench.dream.offline import dream_offline
from workbench.embed import EmbeddingCache, TfidfEmbedder
from workbench.findings import findings
from workbench.io import load_corpus
from workbench.records import Corpus

SAMPLE = Path(__file__).parent.parent / "sample-data"


@pytest.fixture(scope="module", params=["coding-assistant", "legal-research"])
def corpus(request) -> Corpus:
    data = SAMPLE / request.param
    return load_corpus(data / "store.json", data / "sessions")


def _files() -> list[Path]:
    return sorted(analyses_dir().glob("*.analysis"))


def test_a_cached_analysis_gives_byte_identical_plans_and_findings(corpus, tmp_path):
    fresh = analyze(corpus, "tfidf", cache=EmbeddingCache(tmp_path / "fresh"))
    first = load_or_analyze(corpus, "tfidf")  # computed and kept
    assert len(_files()) == 1
    again = load_or_analyze(corpus, "tfidf")  # read back
    assert isinstance(again.profiles, PackedProfiles) and again.corpus is corpus
    plans = [dream_offline(corpus, analysis=a).to_json() for a in (fresh, first, again)]
    assert plans[0] == plans[1] == plans[2]
    assert findings(again).to_dict() == findings(fresh).to_dict()
    assert again.to_dict() == fresh.to_dict()
    assert np.array_equal(again.vectors, fresh.vectors)


def test_the_key_follows_the_content_the_embedder_and_the_options(tiny_store):
    corpus = Corpus(tiny_store)
    key = analysis_key(corpus, "tfidf-256-unfitted")
    assert key == analysis_key(Corpus(tiny_store), "tfidf-256-unfitted")
    memory = tiny_store.memories[0]
    edited = replace(tiny_store, memories=(replace(memory, content=memory.content + "\n- one more fact"),
                                           *tiny_store.memories[1:]))
    assert analysis_key(Corpus(edited), "tfidf-256-unfitted") != key
    assert analysis_key(corpus, "minilm-l6-v2-int8") != key
    assert analysis_key(corpus, "tfidf-256-unfitted", k=10) != key
    assert analysis_key(corpus, "tfidf-256-unfitted", bars={"floor": 0.2}) != key


@pytest.mark.parametrize("damage", ["torn", "garbage", "other version", "other format", "other shape"])
def test_a_bad_cache_file_is_computed_again_and_overwritten(tiny_store, damage):
    corpus = Corpus(tiny_store)
    good = load_or_analyze(corpus, "tfidf")
    [path] = _files()
    data = path.read_bytes()
    if damage == "torn":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x80\x05not a pickle at all")
    else:
        stored = pickle.loads(data)
        if damage == "other version":
            stored["version"] = "0.0.0-other"
        elif damage == "other format":
            stored["format"] = -1
        else:
            stored["analysis"] = replace(stored["analysis"], note_ids=list(stored["analysis"].note_ids)[1:])
        path.write_bytes(pickle.dumps(stored))
    again = load_or_analyze(corpus, "tfidf")
    assert again.note_ids == good.note_ids and np.array_equal(again.vectors, good.vectors)
    assert path.read_bytes() != b"" and stored_module.read_analysis(path, corpus, analysis_key(
        corpus, "tfidf-256-unfitted")) is not None  # overwritten whole


def test_an_unwritable_cache_folder_only_costs_the_next_open(tiny_store, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    analysis = load_or_analyze(Corpus(tiny_store), "tfidf", folder=blocked / "analyses")
    assert len(analysis.note_ids) == len(tiny_store.notes)


def test_packed_profiles_read_as_the_dict_they_were_made_from(sample_analysis):
    profiles = dict(list(sample_analysis.profiles.items())[:50])
    packed = pickle.loads(pickle.dumps(PackedProfiles.pack(profiles)))
    assert list(packed) == list(profiles) and len(packed) == 50
    assert all(packed[k] == v for k, v in profiles.items()) and "nope" not in packed


def test_the_tfidf_fit_is_kept_and_read_by_a_new_embedder(tmp_path):
    texts = [f"note {i} about the {w} pipeline and its {v} step" for i, (w, v) in
             enumerate(zip(["data", "build", "deploy", "test"] * 10, ["first", "last", "slow", "flaky"] * 10))]
    one = TfidfEmbedder().fit(texts)
    vectors = one.embed(texts[:5])
    two = TfidfEmbedder().fit(texts)
    two._fit_vectorizers = lambda: pytest.fail("refitted although the fit was kept")
    assert np.array_equal(two.embed(texts[:5]), vectors)
    assert pickle.loads(pickle.dumps(one))._basis is None  # pickled without its fit
