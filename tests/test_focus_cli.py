"""`workbench focus` and the focus block of `workbench dream`: scopes with their words, never a traceback."""

from __future__ import annotations

import json
import re

import pytest
from builders import SAMPLE

from workbench.cli import main
from workbench.focus import Focus

STORE, SESSIONS = str(SAMPLE / "coding-assistant" / "store.json"), str(SAMPLE / "coding-assistant" / "sessions")


def test_focus_prints_each_scope_with_the_words_it_came_from_and_what_was_not_understood(capsys):
    assert main(["focus", "Do not remove anything about migrations. Prune anything older than three months. "
                          "Be nice."]) == 0
    out = capsys.readouterr().out
    assert "protect: migrations" in out and "“Do not remove anything about migrations”" in out
    assert "horizon: 90 days" in out and "a month counts as 30 days" in out
    assert "not understood: “Be nice.”" in out


def test_focus_json_lists_scopes_sources_and_the_resolved_knobs(capsys):
    text = "Never touch /a/b.md or /c/d.md. Only read the last 20 sessions."
    assert main(["focus", text, "--json", "--min-sessions", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in data["scopes"]] == ["protect: /a/b.md", "protect: /c/d.md", "last sessions: 20"]
    assert all(text[s["start"]:s["end"]] == s["source"] for s in data["scopes"])
    resolved = Focus(text, min_sessions=4).resolved()
    assert data["resolved"]["protect"] == resolved.protect == ["/a/b.md", "/c/d.md"]
    assert (data["resolved"]["max_sessions"], data["resolved"]["min_sessions"]) == (20, 4)


@pytest.mark.parametrize(("text", "warning"), [("", "no focus instructions"), ("?!...", "no words")])
def test_empty_or_punctuation_instructions_warn_and_compile_to_nothing(capsys, text, warning):
    assert main(["focus", text]) == 0
    captured = capsys.readouterr()
    assert warning in captured.out + captured.err
    assert "0 scope(s)" in captured.out


def test_instructions_over_the_limit_are_one_clear_line(capsys):
    assert main(["focus", "x" * 4097]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "4,096" in err and "Traceback" not in err


def test_dream_prints_the_compiled_scopes_in_its_summary(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert main(["dream", STORE, "--sessions", SESSIONS, "--focus", "Never touch /team/. Ignore small talk.",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"protect: /team/ +← “Never touch /team/”", printed) and "exclude: small talk" in printed
    assert out.exists()


def test_dream_with_a_topic_protected_by_keyword_never_prints_a_traceback(tmp_path, capsys):
    code = main(["dream", STORE, "--sessions", SESSIONS, "--focus", "Never touch anything about migrations.",
                 "--out", str(tmp_path / "plan.json")])
    assert code == 0 and "protect: migrations" in capsys.readouterr().out


README = "Prioritize coding preferences. Never touch /team/. Ignore small talk."


def test_focus_on_a_store_prints_per_scope_the_notes_and_what_it_changes(capsys):
    assert main(["focus", README, "--store", STORE, "--sessions", SESSIONS]) == 0
    out = capsys.readouterr().out
    assert "protect: /team/  ← “Never touch /team/”" in out and "matches 12 note(s)" in out
    assert "operations removed: op_" in out
    assert "no note is about “small talk”; nearest: " in out
    assert "against no focus: operations" in out


def test_focus_on_a_store_as_json_lists_scopes_notes_and_the_plan_diff(capsys):
    assert main(["focus", README + " Ignorez les notes.", "--store", STORE, "--sessions", SESSIONS, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(s["kind"], s["value"]) for s in data["scopes"]] == [("protect", None), ("exclude", None), ("weight", 2.0)]
    assert all({"kind", "value", "source", "notes"} <= set(s) for s in data["scopes"])
    assert len(data["scopes"][0]["notes"]) == 12 and data["scopes"][1]["notes"] == []
    assert [u["text"] for u in data["not_understood"]] == ["Ignorez les notes."]
    assert set(data["diff"]) == {"added", "removed", "reordered"} and data["diff"]["removed"]


def test_focus_compare_prints_operations_only_in_a_only_in_b_and_in_both(capsys):
    assert main(["focus", "Never touch /team/.", "--compare", "Forget anything about lunch.", "--store", STORE,
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # only B touches /team/: its prune, the update of Olu's on-call note ("Hannah took over …"), and the lunch delete
    assert data["operations"]["added"] == [] and len(data["operations"]["removed"]) == 3
    assert data["operations"]["both"]
    assert main(["focus", "Never touch /team/.", "--compare", "Forget anything about lunch.", "--store", STORE]) == 0
    assert "only in B: op_" in capsys.readouterr().out


def test_compare_without_a_store_is_one_line_and_exit_2(capsys):
    assert main(["focus", "Never touch /team/.", "--compare", "Ignore lunch."]) == 2
    assert capsys.readouterr().err.count("\n") == 1
