"""How long a note holds by what its words name, and the labels and dates that name no subject: a state told
with "today" passes in two weeks and a plan told so is history; a wait passes in two months; a term renewed by
an alike note is a question, never a delete; one date written two ways is one value."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workbench.analysis import analyze
from workbench.compare import profile
from workbench.dream.offline import plan_from_analysis
from workbench.focus import Focus
from workbench.note_labels import label_subject
from workbench.records import Corpus, Memory, Store
from workbench.statements import lifetime, transient_time
from workbench.text import calendar_dates

NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, words", [
    ("Temporary: Looker is slow today because of the resize; retry tomorrow. (2026-10-20)", "today"),
    ("This week (2026-08-10): Jonas is on call.", "This week"),
    ("Andrew plans to check out a cozy cafe this weekend.", ""),
    ("Nate took his turtles out for a walk today.", ""),
    ("Sam will start going to the gym starting tomorrow.", ""),
    ("The `today` flag marks a fresh build.", ""),
])
def test_a_state_told_with_a_relative_time_is_transient_and_a_plan_or_past_event_is_not(text, words):
    assert transient_time(text) == words


def test_the_span_a_relative_time_names():
    assert [lifetime(w) for w in ("today", "tomorrow", "this week", "this weekend", "")] == \
        ["day", "day", "week", "week", ""]


@pytest.mark.parametrize("a, b", [
    ("Passport (Priya) expires 18 April 2031.", "Priya's passport expires 2031-04-18."),
    ("Born on March 25 , 1948 in Ohio.", "Born on 25 March 1948 in Ohio."),
    ("Freeze from April 18th, 2031.", "Freeze from 2031-04-18."),
])
def test_one_date_written_two_ways_is_one_value(a, b):
    assert profile(a).values == profile(b).values
    assert calendar_dates("Due 31 February 2031.") == ()  # no such day: not a date


@pytest.mark.parametrize("label, subject", [
    ("Correction (2026-05-19)", ""), ("As of Nov 18", ""), ("Update 2026-10-02", ""),
    ("Port", "Port"), ("Babysitter Maya Torres", "Babysitter Maya Torres"), ("Pro ($20/mo)", "Pro ($20/mo)"),
])
def test_a_label_of_change_words_and_dates_names_no_subject(label, subject):
    assert label_subject(label) == subject


def _plan(files: dict[str, str]):
    memories = tuple(Memory(f"m{i}", path, text, NOW, NOW) for i, (path, text) in enumerate(files.items()))
    corpus = Corpus(Store(memories))
    return corpus, plan_from_analysis(analyze(corpus, "tfidf"), Focus())


def _touched(corpus, plan, substring: str) -> tuple[set[str], set[str]]:
    """(operation kinds, question kinds) that touch the note holding `substring`."""
    ids = {n.id for n in corpus.notes if substring in n.text}
    assert ids, substring
    ops = {op.kind for op in plan.operations if ids & {t.id for t in op.targets}}
    asked = {q.kind for q in plan.questions if ids & {t.id for t in q.targets}}
    return ops, asked


def test_stale_by_span_a_renewed_term_asked_and_a_fixed_flaky_item_removed():
    corpus, plan = _plan({
        "/ops.md": "# Ops\n\n## Known flaky\n\n- `ingest_crm` times out on Mondays.\n"
                   "- ✅ Fixed 2026-08-14: `ingest_hubspot` timeouts (the sync limit was raised).\n\n"
                   "## Notes\n\n- Temporary: Looker is slow today because of the warehouse resize; retry the rebuild "
                   "tomorrow. (2026-10-20)\n"
                   "- Waiting for finance to confirm the Q3 budget (asked 2026-09-01).\n"
                   "- Andrew plans to try the new dashboard this weekend (2026-11-20).\n",
        "/vendors.md": "# Vendors\n\n- Sentry Business plan, contract ends 2026-10-31.\n"
                       "- PagerDuty Pro plan, billed yearly.\n"
                       "- Sentry renewed for another year; new expiry 2027-10-31, same plan.\n",
    })
    assert "delete" in _touched(corpus, plan, "ingest_hubspot")[0]
    assert "delete" in _touched(corpus, plan, "Looker is slow today")[0]
    assert "delete" in _touched(corpus, plan, "Waiting for finance")[0]
    assert not _touched(corpus, plan, "Andrew plans")[0]  # a plan told with "this weekend" is not removed
    assert not _touched(corpus, plan, "Sentry Business plan")[0]  # renewed: never deleted
    assert not _touched(corpus, plan, "ingest_crm")[0]
