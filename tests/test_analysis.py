"""The analysis: neighbours, duplicates, conflicts, clusters, the map and staleness, by id."""

import numpy as np
import pytest
from builders import coding_corpus, note_id

from workbench.analysis import analyze, nearest
from workbench.embed import EmbeddingCache, get_embedder
from workbench.findings import conflict_pairs, duplicate_groups, findings


@pytest.fixture(scope="module")
def analysis():
    return analyze(coding_corpus())


def texts(analysis, ids):
    return sorted(analysis.corpus.note_by_id[i].text for i in ids)


def test_verbatim_duplicates_across_documents_form_one_group(analysis):
    groups = [texts(analysis, g.notes) for g in findings(analysis).duplicates]
    assert ["Priya wants type hints on every public function."] * 2 in groups


def test_a_role_swap_is_never_a_duplicate(analysis):
    swapped = {note_id(analysis.corpus.store, "Priya reviews every migration that Mei writes."),
               note_id(analysis.corpus.store, "Mei reviews every migration that Priya writes.")}
    assert not any(swapped <= set(g.notes) for g in findings(analysis).duplicates)


def test_a_value_change_is_a_conflict_won_by_the_later_note(analysis):
    store = analysis.corpus.store
    old, new = note_id(store, "CI runs on Jenkins."), note_id(store, "CI runs on GitHub Actions.")
    pair = next(c for c in findings(analysis).conflicts if c.source == "store" and {c.older, c.newer} == {old, new})
    assert pair.winner == new and pair.older == old


def test_a_later_session_turn_that_changes_a_value_supersedes_the_note(analysis):
    old = note_id(analysis.corpus.store, "The staging database host is `staging-db.internal`.")
    pair = next(c for c in findings(analysis).conflicts if c.source == "session" and c.older == old)
    assert "staging-db-2.internal" in pair.quote and pair.session_id == "sesn_003"
    assert findings(analysis).notes.at[old, "superseded_by"] == pair.winner


def test_similar_notes_about_different_subjects_are_neither_merged_nor_in_conflict(analysis):
    store = analysis.corpus.store
    unit, integration = note_id(store, "Unit tests run with `pytest -m unit`."), \
        note_id(store, "Integration tests run with `pytest -m integration`.")
    assert not any({unit, integration} <= set(g.notes) for g in findings(analysis).duplicates)
    assert not any({unit, integration} == {c.older, c.newer} for c in findings(analysis).conflicts)


def test_staleness_knows_age_expiry_and_support(analysis):
    status = findings(analysis).notes
    frozen = note_id(analysis.corpus.store, "For this sprint (ends March 27), migrations are frozen.")
    assert status.at[frozen, "expired"] and status.at[frozen, "temporary"]
    owner = note_id(analysis.corpus.store, "Tomás owns the deploy scripts.")
    assert status.at[owner, "support_sessions"] >= 1
    assert status.at[owner, "age_days"] > 80


def test_a_fact_stated_in_several_sessions_but_missing_from_the_store_is_an_insight_candidate(analysis):
    candidate = next(c for c in findings(analysis).insights if "structlog" in c.text)
    assert len(candidate.sessions) >= 2 and candidate.quotes


def test_bars_change_what_counts_as_a_duplicate(analysis):
    loose = duplicate_groups(analysis, 0.0)
    strict = duplicate_groups(analysis, 1.01)
    assert len(strict) == 0 and len(loose) >= len(findings(analysis).duplicates)
    assert conflict_pairs(analysis, 1.01) == []


def test_everything_is_keyed_by_note_id_not_position(analysis):
    ids = set(analysis.note_ids)
    assert set(analysis.coords.index) == ids == set(analysis.clusters.index) == set(findings(analysis).notes.index)
    assert {"clusters", "topics", "coords"} <= set(analysis.to_dict())
    assert {"duplicates", "conflicts", "notes", "insights"} <= set(findings(analysis).to_dict())


def test_the_same_input_gives_the_same_analysis():
    first, second = analyze(coding_corpus()), analyze(coding_corpus())
    assert first.to_dict() == second.to_dict()
    assert findings(first).to_dict() == findings(second).to_dict()


def test_a_second_run_embeds_nothing(tmp_path):
    cache = EmbeddingCache(tmp_path)
    analyze(coding_corpus(), cache=cache)
    again = EmbeddingCache(tmp_path)
    analyze(coding_corpus(), cache=again)
    assert again.misses == 0


def test_exact_neighbours_are_sorted_and_exclude_self():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index, sims = nearest(vectors, k=5, block=64)
    assert (index != np.arange(300)[:, None]).all()
    assert (np.diff(sims, axis=1) <= 1e-6).all()
    brute = np.argsort(-(vectors @ vectors.T - 2 * np.eye(300)), axis=1)[:, :5]
    assert (np.sort(index, axis=1) == np.sort(brute, axis=1)).mean() > 0.99


@pytest.mark.slow
def test_the_big_n_path_uses_approximate_neighbours_that_agree_with_exact_ones(monkeypatch):
    import workbench.analysis as module

    rng = np.random.default_rng(1)
    centers = rng.normal(size=(50, 32))
    vectors = (centers[rng.integers(0, 50, 3000)] + 0.3 * rng.normal(size=(3000, 32))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, _ = nearest(vectors, k=10)
    monkeypatch.setattr(module, "EXACT_LIMIT", 1000)
    approx, sims = nearest(vectors, k=10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall > 0.9 and sims.shape == (3000, 10)


def test_tfidf_clamps_its_components_for_tiny_corpora():
    embedder = get_embedder("tfidf").fit(["one note", "another note"])
    vectors = embedder.embed(["one note", "another note", "a query"])
    assert vectors.shape == (3, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_the_umap_layout_is_cached_on_disk_by_texts_embedder_and_parameters(analysis, monkeypatch):
    from workbench.analysis import layout as module

    first = module.layout_umap(analysis, cache=False, in_subprocess=True)  # the widgets' way: a child process
    fitted = module.layout_umap(analysis)  # the same fit in this process, now written to the cache
    spread = float(np.ptp(first.to_numpy()))  # across processes the last float bits may differ, never the layout
    assert list(fitted.index) == list(first.index) and np.allclose(fitted, first, atol=1e-3 * spread)
    first = fitted

    def no_fit(*args):
        raise AssertionError("fitted again: the cached layout was not used")

    monkeypatch.setattr(module, "_umap_xy", no_fit)
    second = module.layout_umap(analysis)
    assert second.equals(fitted) and list(second.index) == analysis.note_ids  # read back as it was written
    with pytest.raises(AssertionError, match="fitted again"):
        module.layout_umap(analysis, random_state=1)  # other parameters: another key
