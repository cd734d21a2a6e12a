"""The sentence model's reading of notes that differ in words: paraphrases that share few words reach a judge."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from builders import coding_store

from workbench.analysis import analyze, meaning_cosine
from workbench.dream.rules import judged_candidates
from workbench.focus import Focus
from workbench.minilm import minilm_available
from workbench.records import Corpus, Memory, Store

pytestmark = pytest.mark.skipif(not minilm_available(), reason="the minilm extra (onnxruntime, tokenizers, model) "
                                                               "is not installed")
NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)
HOUSE = ("# House\n\n- The furnace filter gets swapped every 3 months; size is 16x25x1.\n"
         "- Every three months we change the furnace filter, size 16x25x1.\n"
         "- The dishwasher was installed by Brightline Appliances in May.\n"
         "- The garage door code was changed by Tomás after the break-in.\n"
         "- Trash and recycling go out Sunday night; pickup is Monday morning.\n"
         "- The water heater is a 50-gallon Rheem, installed 2019.\n"
         "- Smoke detector batteries get replaced every October.\n"
         "- The lawn is mowed every other Friday by GreenLeaf.\n"
         "- The gutters are cleaned each spring and fall.\n"
         "- The sump pump was tested in March and works.\n")


def _analysis(text: str = HOUSE):
    """The house notes beside the sample coding assistant's memory: a store big enough to weigh words."""
    memories = (*coding_store().memories, Memory("house", "/house.md", text, NOW, NOW))
    return analyze(Corpus(Store(memories)), "tfidf")


def test_paraphrases_are_read_as_close_in_meaning_and_unrelated_notes_are_not():
    analysis = _analysis()
    ids = {n.text[:12]: n.id for n in analysis.corpus.notes}
    filters = (ids["The furnace "], ids["Every three "])
    verdicts = {tuple(sorted(c.notes)): v.rule for c, v in judged_candidates(analysis, Focus()) if c.kind == "pair"}
    assert verdicts[tuple(sorted(filters))] == "distinct.meaning_close"  # a question worth more than other readings
    assert meaning_cosine(analysis, *filters) > 0.7
    unrelated = [(a, b) for (a, b), rule in verdicts.items() if rule.startswith("distinct.different")]
    assert all(meaning_cosine(analysis, a, b) is None or meaning_cosine(analysis, a, b) < 0.7 for a, b in unrelated)


def test_notes_the_model_never_read_have_no_meaning_reading():
    analysis = _analysis()
    assert meaning_cosine(analysis, "m0#0", "no-such-note") is None


def test_a_limit_that_is_no_number_is_a_clear_error(monkeypatch):
    from workbench.analysis.meaning import meaning_limit
    from workbench.errors import LimitError

    monkeypatch.setenv("WORKBENCH_MEANING_NOTES", "lots")
    with pytest.raises(LimitError, match="WORKBENCH_MEANING_NOTES must be a whole number"):
        meaning_limit()
    monkeypatch.setenv("WORKBENCH_MEANING_NOTES", "0")
    assert meaning_limit() == 0 and meaning_cosine(_analysis(), "house#0", "house#1") is None
