"""Focus: instructions compile into scopes a person can read, and the knobs are checked."""

import pytest
from builders import coding_store

from workbench.errors import LimitError, ReaderError
from workbench.focus import Focus, compile_instructions, matches, select_sessions
from workbench.records import Session


def test_instructions_compile_into_protect_include_exclude_and_weights():
    scopes = compile_instructions(
        "Never touch /people/. Only coding style. Ignore one-off debugging notes. "
        "Prioritize client preferences over general task patterns."
    )
    assert scopes.protect == ("/people/",)
    assert scopes.include == ("coding style",)
    assert scopes.exclude == ("one-off debugging notes",)
    assert dict(scopes.weights) == {"client preferences": 2.0, "general task patterns": 0.5}


def test_knobs_and_compiled_scopes_merge_and_can_be_corrected():
    focus = Focus("Ignore lunch notes.", exclude=["weather"], compile_instructions=True)
    assert focus.scopes.exclude == ("weather", "lunch notes")
    assert Focus("Ignore lunch notes.", compile_instructions=False).scopes.exclude == ()


def test_topics_match_by_path_glob_or_keywords():
    notes = {n.text: n for n in coding_store().notes}
    ci = notes["CI runs on Jenkins."]
    assert matches("/project/", ci) and matches("/project/*.md", ci) and not matches("/team/", ci)
    assert matches("CI", ci) and matches("runs on Jenkins", ci)
    assert not matches("Jenkins runs", ci), "a topic is a phrase, not a bag of words"
    assert not matches("lunch", ci)


def test_instructions_longer_than_the_platform_limit_are_a_clear_error():
    with pytest.raises(LimitError, match="4,096"):
        Focus("x" * 4097)


def test_bad_knobs_are_named():
    with pytest.raises(ReaderError, match="duplicate_bar"):
        Focus(duplicate_bar=1.5)
    with pytest.raises(ReaderError, match="unknown focus setting"):
        Focus.from_dict({"instructions": "", "colour": "red"})


def test_focus_round_trips_through_json():
    focus = Focus("Prioritize code style.", include=["/preferences/"], horizon_days=30, max_sessions=10)
    assert Focus.from_dict(focus.to_dict()) == focus


def sessions(n):
    from datetime import datetime, timedelta, timezone

    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [Session(f"s{i:03d}", t0 + timedelta(days=i), f"session {i}", ()) for i in range(n)]


def test_more_than_100_sessions_is_an_error_that_says_how_to_select():
    with pytest.raises(LimitError, match="--max-sessions 100"):
        select_sessions(sessions(101), Focus())


def test_sessions_are_selected_by_recency_dates_or_ids():
    many = sessions(150)
    assert [s.id for s in select_sessions(many, Focus(max_sessions=3))] == ["s147", "s148", "s149"]
    assert len(select_sessions(many, Focus(since="2026-05-01", max_sessions=100))) == 30
    assert [s.id for s in select_sessions(many, Focus(session_ids=["s003", "s001"]))] == ["s001", "s003"]
    with pytest.raises(ReaderError, match="unknown session"):
        select_sessions(many, Focus(session_ids=["nope"]))
