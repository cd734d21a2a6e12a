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


# --- matching: paths by whole segments, topics as stemmed phrases ------------------------------------

def note(text: str = "A fact.", path: str = "/notes.md", section: str = ""):
    from builders import T0

    from workbench.records import Note

    return Note(f"{path}#0", "mem", path, 0, text, "bullet", section, 0, 0, T0, T0)


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("/people/", "/people/alice.md", True),
    ("/people/", "/people/team/bob.md", True),
    ("/people/", "/peoplesoft/alice.md", False),
    ("/people", "/peoplesoft.md", False),
    ("/people", "/people.md", True),
    ("/a/b.md", "/a/b.md", True),
    ("/a/b.md", "/a/b.mdx", False),
    ("/a/b.md", "/a/b", False),
    ("/clients/*.md", "/clients/acme.md", True),
    ("/clients/*.md", "/clients/acme/notes.md", False),
    ("/clients/*.md", "/clients/acme.txt", False),
    ("/**/todo.md", "/a/b/c/todo.md", True),
    ("/**/todo.md", "/todo.md", True),
    ("/scratch/**", "/scratch/x/y.md", True),
    ("/scratch/**", "/scratchpad/y.md", False),
    ("/**", "/anything/at/all.md", True),
])
def test_paths_match_whole_segments_keep_extensions_and_glob(pattern, path, expected):
    assert matches(pattern, note(path=path)) is expected


@pytest.mark.parametrize(("topic", "text", "expected"), [
    ("migrations", "Alembic migration files live in db/migrations.", True),
    ("migration notes", "Never migrate on Fridays.", True),
    ("old lunch notes", "Old lunch spot was Gino's on 5th.", True),
    ("old lunch notes", "The old CI box is gone.", False),
    ("old lunch notes", "Lunch is at noon.", False),
    ("lunch notes", "Old lunch spot was Gino's.", True),
    ("client preferences", "Harborline's client preferences: short memos.", True),
    ("client preferences", "Preferences of every client are in /clients/.", False),
    ("CI", "CI runs on GitHub Actions.", True),
    ("CI", "Use the circuit breaker.", False),
    ("notes", "Any note at all.", False),
    ("anything", "Anything goes.", False),
    ("ledger_events table", "Warn Jonas before changing the ledger_events table.", True),
])
def test_topics_match_as_stemmed_phrases_on_word_boundaries(topic, text, expected):
    assert matches(topic, note(text)) is expected


def test_a_topic_matches_a_heading_or_path_word_but_never_across_them():
    in_section = note("Use squash merges.", path="/git/workflow.md", section="Release process")
    assert matches("release process", in_section) and matches("workflow", in_section)
    assert not matches("process use", in_section)


# --- resolved(): the instructions folded into plain knobs -----------------------------------------

def test_resolved_folds_the_instructions_into_the_knobs_and_is_idempotent():
    focus = Focus("Never touch /people/. Prune anything older than three months. "
                  "Only distill facts seen in at least 3 sessions. Only read the last 20 sessions. "
                  "Don't delete anything about billing. Never merge anything.")
    resolved = focus.resolved()
    assert (resolved.horizon_days, resolved.min_sessions, resolved.max_sessions) == (90, 3, 20)
    assert resolved.protect == ["/people/", "billing"] and "merge" not in resolved.kinds
    assert resolved.compile_instructions is False and resolved.instructions == focus.instructions
    assert resolved.resolved() == resolved
    assert Focus.from_dict(resolved.to_dict()).resolved() == resolved


def test_a_knob_left_at_its_default_takes_the_instruction_and_a_set_knob_wins_with_a_contradiction():
    text = "Prune anything older than 90 days."
    assert Focus(text).resolved().horizon_days == 90
    assert not Focus(text).contradictions
    hand_set = Focus(text, horizon_days=30)
    assert hand_set.resolved().horizon_days == 30
    assert any("horizon_days is set to 30" in c and "90" in c for c in hand_set.contradictions)


def test_two_horizons_in_the_text_are_reported_and_the_longest_is_used():
    focus = Focus("Prune anything older than 60 days. Delete anything older than a year.")
    assert any("horizon is given 2 values" in c for c in focus.contradictions)
    assert focus.resolved().horizon_days == 365


def test_a_topic_protected_in_settings_and_excluded_in_the_text_is_a_contradiction():
    focus = Focus("Ignore lunch notes.", protect=["lunch notes"])
    assert any("protect wins" in c for c in focus.contradictions)


def test_a_removed_scope_stays_removed_while_the_text_changes():
    focus = Focus("Ignore lunch notes. Never touch /people/.").without_scope("exclude: lunch notes")
    assert focus.scopes.exclude == () and focus.scopes.protect == ("/people/",)
    edited = Focus.from_dict({**focus.to_dict(), "instructions": "Never touch /people/. Ignore lunch notes!"})
    assert edited.scopes.exclude == ()
    assert "exclude: lunch notes" in [s.label for s in edited.compiled.scopes], "still shown as compiled"


def test_sessions_chosen_in_the_instructions_are_selected():
    many = sessions(150)
    assert [s.id for s in select_sessions(many, Focus("Only read the last 3 sessions."))] == ["s147", "s148", "s149"]
    since = select_sessions(many, Focus("Only use sessions since 2026-05-01. Use the last 100 sessions."))
    assert since[0].started_at.isoformat().startswith("2026-05-01") and len(since) == 30


# --- bad input: never a traceback ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n ", "...!?", "—"])
def test_empty_or_punctuation_only_instructions_are_an_empty_focus(text):
    focus = Focus(text)
    assert focus.scopes == Focus().scopes and not focus.active_scopes
    assert focus.resolved().horizon_days == 120
    assert bool(focus.compiled.warnings) == bool(text.strip())


def test_the_compiler_is_cached_on_the_text():
    from workbench.instructions import compile_text

    text = "Never touch /people/. Ignore small talk. Prune anything older than 90 days."
    assert compile_text(text) is compile_text(text)
