"""The review panel with probes: cards list the probes an operation breaks, a filter, the header numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.dream.offline import dream_offline
from workbench.evaluate import Evaluator
from workbench.focus import Focus
from workbench.review import Review
from workbench.ui import ReviewPanel

SAMPLE = Path(__file__).parents[1] / "sample-data" / "coding-assistant"


@pytest.fixture(scope="module")
def analysis(sample_analysis):
    return sample_analysis


@pytest.fixture(scope="module")
def plan(analysis):
    return dream_offline(analysis.corpus, Focus(), analysis=analysis)


@pytest.fixture(scope="module")
def evaluator(analysis):
    return Evaluator(analysis)


def test_a_card_lists_the_probes_its_operation_breaks(plan, evaluator):
    panel = ReviewPanel(Review(plan), evaluator=evaluator)
    breaks = evaluator.report(plan).breaks
    panel.breaks_only.value = True
    assert set(panel.cards) <= set(breaks) and len(panel.operations()) == len(breaks)
    op_id, card = next(iter(panel.cards.items()))
    probe = next(p for p in evaluator.probes if p.id == breaks[op_id][0])
    assert f"Breaks {len(breaks[op_id])} probe" in card.body.value
    assert probe.answers[0] in card.body.value
    assert panel.breaks_only.description == f"breaks probes ({len(breaks)})"
    panel.breaks_only.value = False
    quiet = next(c for i, c in panel.cards.items() if i not in breaks)
    assert "Breaks" not in quiet.body.value


def test_the_header_follows_the_probes_answered_and_tokens_of_the_current_decisions(plan, evaluator):
    panel = ReviewPanel(Review(plan), evaluator=evaluator)
    n = len(evaluator.probes)
    assert f"<b>{n}/{n}</b><span>answered before" in panel.summary.value
    assert f"<b>{n}/{n}</b><span>answered after" in panel.summary.value  # nothing approved yet
    before = f"{evaluator.tokens_before:,}"
    assert f"<b>{before}</b><span>tokens before" in panel.summary.value
    panel.approve_all.click()
    report = evaluator.report(plan)
    after = report.answered[1]
    assert f"<b>{after}/{n}</b><span>answered after" in panel.summary.value and after < n
    assert f"<b>{report.tokens[1]:,}</b><span>tokens after" in panel.summary.value


def test_automatic_mode_skips_operations_that_break_probes_unless_ticked(plan, evaluator):
    panel = ReviewPanel(Review(plan), evaluator=evaluator)
    panel.mode.value = "automatic"
    panel.confidence.value = 0.0
    panel.auto_button.click()
    approved = set(panel.review.current)
    assert approved == {op.id for op in plan.operations} - set(panel.breaks)
    assert "break probes" in panel.summary.value  # the log line is shown
    panel.allow_regressions.value = True
    panel.auto_button.click()
    assert set(panel.review.current) == {op.id for op in plan.operations}


def test_with_an_analysis_the_panel_generates_probes_itself_and_can_be_told_not_to(plan, analysis):
    assert ReviewPanel(Review(plan), analysis=analysis).breaks
    off = ReviewPanel(Review(plan), analysis=analysis, probes=False)
    assert off.breaks == {} and off.breaks_only.disabled and "answered before" not in off.summary.value


class CountingEvaluator(Evaluator):
    """An evaluator that counts the plan reports asked of it."""

    reports = 0

    def report(self, *args, **kwargs):
        self.reports += 1
        return super().report(*args, **kwargs)


def test_a_lazy_panel_measures_its_probes_only_when_first_shown(analysis, plan):
    evaluator = CountingEvaluator(analysis)
    panel = ReviewPanel(Review(plan), evaluator=evaluator, lazy=True)
    assert evaluator.reports == 0 and panel.plan_report is None
    assert "answered before" not in panel.summary.value
    panel.activate()
    breaks = panel.breaks
    assert panel.plan_report is not None and panel.breaks_only.description == f"breaks probes ({len(breaks)})"
    assert "answered before" in panel.summary.value
    measured = evaluator.reports
    panel.activate()
    panel.measure()
    assert evaluator.reports == measured  # once per plan
