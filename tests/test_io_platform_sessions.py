"""Managed Agents sessions: a session JSON with events, a bare list of events, and what a dream may read."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from workbench.errors import LimitError, ReaderError
from workbench.focus import Focus, select_sessions
from workbench.io import load_sessions, sniff
from workbench.records import Session, Turn

SESSIONS = Path(__file__).parent / "data" / "sessions" / "platform"
REFUND = SESSIONS / "sesn_refund_flake.json"
LEDGER = SESSIONS / "ledger_migration_events.json"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, match: str) -> None:
    """Loading `path` raises a ReaderError matching `match` and returns nothing."""
    result = None
    with pytest.raises(ReaderError, match=match):
        result = load_sessions(path)
    assert result is None


# --- a session with its events ----------------------------------------------------------------


def test_a_session_json_keeps_its_id_title_and_start():
    (session,) = load_sessions(REFUND)
    assert session.id == "sesn_01JVB0A9R3KX7Q2W5E8T1Y4U6I"
    assert session.title == "Fix the flaky refund test in payments CI"
    assert session.started_at == utc(2025, 5, 19, 16, 21, 40, 112000)
    assert session.ended_at == utc(2025, 5, 19, 16, 23, 11)
    assert session.origin == str(REFUND)


def test_messages_tool_uses_and_tool_results_become_turns_and_other_events_are_skipped():
    (session,) = load_sessions(REFUND)
    assert [(t.role, t.meta["type"]) for t in session.turns] == [
        ("user", "user.message"),
        ("agent", "agent.message"),
        ("tool", "agent.tool_use"),
        ("tool", "agent.tool_result"),
        ("agent", "agent.message"),
        ("user", "user.message"),
        ("user", "user.message"),
    ]
    assert not any("span" in t.meta["type"] or "status" in t.meta["type"] for t in session.turns)
    assert [t.position for t in session.turns] == list(range(7))
    assert {t.session_id for t in session.turns} == {session.id}


def test_turns_keep_event_ids_processed_times_and_the_text_of_their_blocks():
    (session,) = load_sessions(REFUND)
    first, _, tool_use, tool_result, *_, last = session.turns
    assert first.id == "sevt_01JVB0AA0000000000000001"
    assert first.at == utc(2025, 5, 19, 16, 21, 41, 3000)
    assert first.text == "payments CI failed again on test_refund_idempotency. Can you find out why?"
    assert tool_use.text == 'bash: {"command": "uv run pytest tests/test_refunds.py -k idempotency -x"}'
    assert tool_use.meta["name"] == "bash"
    assert tool_result.text.startswith("FAILED tests/test_refunds.py::test_refund_idempotency")
    assert last.text == "From now on pin time with freezegun\nin every test that touches the clock."


def test_a_bare_list_of_events_is_one_session_titled_by_its_first_user_message():
    (session,) = load_sessions(LEDGER)
    again = load_sessions(LEDGER)[0]
    assert session.id == again.id and session.id.startswith("sesn_")
    assert session.title == "Who should review the ledger migration?"
    assert session.started_at == utc(2025, 5, 2, 9, 0, 5)
    assert [(t.role, t.text) for t in session.turns] == [
        ("user", "Who should review the ledger migration?"),
        ("agent", "Dana Okafor reviews every payments migration."),
    ]


@pytest.mark.parametrize("path", [REFUND, LEDGER, SESSIONS / "sesn_cli_review.json"])
def test_sniffing_picks_the_managed_agents_session_reader(path):
    assert sniff(path, "sessions").name == "managed-agents-session"


def test_a_directory_of_sessions_loads_them_all_oldest_first():
    sessions = load_sessions(SESSIONS)
    assert [s.id for s in sessions] == [
        "sesn_01JSXJZ7M2N4P6Q8R0S2T4V6W8", sessions[1].id, "sesn_01JVB0A9R3KX7Q2W5E8T1Y4U6I",
    ]
    assert sessions[1].title == "Who should review the ledger migration?"
    assert [s.started_at for s in sessions] == sorted(s.started_at for s in sessions)


def test_a_named_format_reads_a_file_sniffing_would_not_recognise(tmp_path):
    events = [{"id": "sevt_1", "type": "agent.thread_message_sent", "content": "Deploy is green."}]
    path = write(tmp_path, "events.json", json.dumps(events))
    with pytest.raises(ReaderError, match="cannot tell which format holds sessions"):
        load_sessions(path)
    (session,) = load_sessions(path, format="managed-agents-session")
    assert [(t.role, t.text) for t in session.turns] == [("agent", "Deploy is green.")]


def test_the_same_session_given_twice_is_refused(tmp_path):
    copy = write(tmp_path, "copy.json", REFUND.read_text(encoding="utf-8"))
    result = None
    with pytest.raises(ReaderError, match=r"session id 'sesn_01JVB0A9R3KX7Q2W5E8T1Y4U6I' appears twice"):
        result = load_sessions([REFUND, copy])
    assert result is None


# --- bad input --------------------------------------------------------------------------------


def test_malformed_session_json_names_the_file_and_line(tmp_path):
    text = REFUND.read_text(encoding="utf-8").replace('"type": "agent.message",', '"type": "agent.message"', 1)
    line = text.index('"type": "agent.message"')
    refused(write(tmp_path, "s.json", text), rf"s.json:{text.count(chr(10), 0, line) + 2}: malformed JSON")


def test_an_event_without_a_type_names_the_field_and_the_line_of_the_event(tmp_path):
    data = json.loads(REFUND.read_text(encoding="utf-8"))
    del data["events"][3]["type"]
    text = json.dumps(data, indent=2)
    line = text.count("\n", 0, text.rindex("{", 0, text.index('"sevt_01JVB0AA0000000000000004"'))) + 1
    refused(write(tmp_path, "s.json", text), rf"s.json:{line}: field 'events\[3\].type': missing")


def test_a_bad_processed_at_names_the_event(tmp_path):
    events = [
        {"id": "sevt_1", "type": "user.message", "content": [{"type": "text", "text": "hi"}], "processed_at": "2025-05-02T09:00:05Z"},
        {"id": "sevt_2", "type": "agent.message", "content": [{"type": "text", "text": "hello"}], "processed_at": "yesterday"},
    ]
    path = write(tmp_path, "events.json", "[\n" + ",\n".join(json.dumps(e) for e in events) + "\n]\n")
    refused(path, r"events.json:3: field '\[1\].processed_at': expected an ISO 8601 time, got 'yesterday'")


def test_events_that_are_not_a_list_are_refused(tmp_path):
    text = json.dumps({"id": "sesn_1", "events": {"type": "user.message"}, "processed_at": None})
    refused(write(tmp_path, "s.json", text), r"s.json: field 'events': expected list, got dict")


def test_non_utf8_bytes_in_a_session_name_the_line(tmp_path):
    text = REFUND.read_bytes().replace(b"Good catch.", b"Bien vu, caf\xe9.")
    line = text[: text.index(b"Bien vu")].count(b"\n") + 1
    refused(write(tmp_path, "s.json", text), rf"s.json:{line}: not valid UTF-8 \(byte 0xe9\)")


def test_a_directory_without_session_files_is_refused(tmp_path):
    write(tmp_path, "notes.txt", "nothing here")
    refused(tmp_path, r"no session files \(\.json, \.jsonl, \.af\) found")


# --- how many sessions a dream may read -------------------------------------------------------


def many_sessions(count: int) -> list[Session]:
    start = utc(2025, 1, 1, 9, 0)
    out = []
    for i in range(count):
        at = start + timedelta(days=i)
        turn = Turn(f"sevt_{i:03d}", f"sesn_{i:03d}", "user", f"Day {i}: CI is green again.", at, 0)
        out.append(Session(f"sesn_{i:03d}", at, f"Standup {i}", (turn,)))
    return out[::-1]  # in no particular order


def test_more_than_100_sessions_is_a_limit_error_that_says_how_to_select():
    chosen = None
    with pytest.raises(LimitError, match=r"101 sessions given; a dream reads at most 100\. Select them with --max-sessions 100"):
        chosen = select_sessions(many_sessions(101), Focus())
    assert chosen is None


def test_max_sessions_100_picks_the_most_recent_hundred_oldest_first():
    chosen = select_sessions(many_sessions(130), Focus(max_sessions=100))
    assert [s.id for s in chosen] == [f"sesn_{i:03d}" for i in range(30, 130)]


def test_exactly_100_sessions_need_no_selection():
    assert len(select_sessions(many_sessions(100), Focus())) == 100
