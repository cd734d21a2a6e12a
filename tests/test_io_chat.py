"""Chat transcript readers: Anthropic Messages, OpenAI chat JSONL, Claude Code session JSONL."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workbench.errors import ReaderError
from workbench.io import get_reader, load_sessions, sniff

DATA = Path(__file__).parent / "data" / "chat"


def only(path: Path):
    (session,) = load_sessions(path)
    return session


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- Anthropic Messages -----------------------------------------------------------------------


def test_anthropic_transcript_maps_roles_blocks_and_times():
    session = only(DATA / "anthropic_transcript.json")
    assert session.id == "sesn_01HVQ7anthropicweather"
    assert session.started_at == datetime(2025, 6, 2, 8, 14, 3, tzinfo=timezone.utc)
    assert session.meta["model"] == "claude-sonnet-4-5"
    roles = [t.role for t in session.turns]
    assert roles == ["system", "user", "agent", "tool", "tool", "agent", "user"]
    assert session.turns[0].text.startswith("You are a travel assistant for Dana")
    assert session.turns[3].text == 'get_forecast: {"city": "Lisbon", "day": "2025-06-05"}'
    assert session.turns[4].text == "Lisbon 2025-06-05: 24°C, sunny, 5% chance of rain"
    assert [t.position for t in session.turns] == list(range(7))
    assert session.turns[-1].at == datetime(2025, 6, 2, 8, 15, 30, tzinfo=timezone.utc)


def test_anthropic_thinking_blocks_are_skipped_and_message_ids_kept():
    session = only(DATA / "anthropic_transcript.json")
    assert not any("forecast for Thursday before answering" in t.text for t in session.turns)
    assert [t.id for t in session.turns if t.id.startswith("msg_")] == ["msg_01Lx3kq9weather", "msg_01Lx3kq9weather.1"]
    assert session.turns[3].meta["tool_use_id"] == "toolu_01A9weather"


def test_anthropic_list_of_transcripts_gives_one_session_each_with_stable_ids():
    first = load_sessions(DATA / "anthropic_transcripts.json")
    again = load_sessions(DATA / "anthropic_transcripts.json")
    assert len(first) == 2
    assert [s.id for s in first] == [s.id for s in again]
    assert len({s.id for s in first}) == 2
    texts = {s.turns[0].text for s in first}
    assert texts == {"Our staging database is Postgres 15 on db-staging-2.",
                     "We upgraded staging to Postgres 16 yesterday."}
    assert all(t.at is None for s in first for t in s.turns)


def test_anthropic_bare_list_of_messages_is_one_session_with_timestamps(tmp_path):
    messages = [
        {"role": "user", "content": "Book the 7:40 train to Leeds.", "timestamp": "2025-03-01T07:00:00Z"},
        {"role": "assistant", "content": [{"type": "text", "text": "Booked: 07:40 to Leeds, coach C."}],
         "timestamp": "2025-03-01T07:00:04Z"},
    ]
    session = only(write(tmp_path, "train.json", json.dumps(messages, indent=2)))
    assert [t.role for t in session.turns] == ["user", "agent"]
    assert session.started_at == datetime(2025, 3, 1, 7, 0, tzinfo=timezone.utc)
    assert session.title == "Book the 7:40 train to Leeds."


# --- OpenAI chat JSONL -----------------------------------------------------------------------


def test_openai_finetune_lines_are_sessions_with_tool_calls_as_tool_turns():
    sessions = get_reader("openai-chat-jsonl").read(DATA / "openai_finetune.jsonl").sessions
    assert len(sessions) == 3
    ticket = sessions[1]
    assert [t.role for t in ticket.turns] == ["system", "user", "tool", "tool", "agent"]
    assert ticket.turns[1].text == "What's the status of ticket 4471?"
    assert ticket.turns[2].text == 'lookup_ticket: {"ticket_id": 4471}'
    assert ticket.turns[3].meta["tool_call_id"] == "call_8fQ2"
    assert ticket.title == "What's the status of ticket 4471?"
    assert sessions[2].origin.endswith("openai_finetune.jsonl:3")


def test_openai_one_message_per_line_is_one_session():
    session = only(DATA / "openai_messages.jsonl")
    assert [t.role for t in session.turns] == ["system", "user", "agent", "user"]
    assert session.turns[-1].text == "OK. My race is the Berlin Marathon on 21 September."
    assert session.started_at is None


# --- Claude Code -----------------------------------------------------------------------------


def test_claude_code_tool_results_become_tool_turns():
    session = only(DATA / "claude_code_session.jsonl")
    tool = [t for t in session.turns if t.role == "tool"]
    assert [t.text for t in tool] == ['Grep: {"path": "tests/test_upload.py", "pattern": "8089"}',
                                      "tests/test_upload.py:41:    server = FakeS3(port=8089)"]
    assert tool[1].id == "1a2b3c4d-0003-4e5f-8a9b-000000000003"
    assert tool[1].meta["tool_use_id"] == "toolu_01Grep"


def test_claude_code_session_uses_session_id_uuids_and_the_summary_title():
    session = only(DATA / "claude_code_session.jsonl")
    assert session.id == "4f35e220-c435-4cf7-b9b9-f40426042847"
    assert session.title == "Fix flaky test_upload_retry in storage client"
    assert session.turns[0].id == "9ff29d57-8b28-4da9-8e7f-b0e4e7e2ba46"
    assert session.started_at == datetime(2025, 5, 26, 7, 27, 40, 79000, tzinfo=timezone.utc)
    assert [t.role for t in session.turns] == ["user", "agent", "tool", "tool", "agent", "user"]


def test_claude_code_skips_thinking_system_and_meta_lines():
    texts = " ".join(t.text for t in only(DATA / "claude_code_session.jsonl").turns)
    assert "shared state" not in texts  # thinking
    assert "PostToolUse" not in texts  # type "system"
    assert "Caveat:" not in texts  # isMeta


def test_claude_code_title_falls_back_to_the_first_user_text(tmp_path):
    lines = (DATA / "claude_code_session.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    session = only(write(tmp_path, "s.jsonl", "\n".join(lines) + "\n"))
    assert session.title.startswith("test_upload_retry fails about one run in five on CI.")


# --- sniffing and bad input ------------------------------------------------------------------


@pytest.mark.parametrize("name, reader", [
    ("anthropic_transcript.json", "anthropic-messages"),
    ("anthropic_transcripts.json", "anthropic-messages"),
    ("openai_finetune.jsonl", "openai-chat-jsonl"),
    ("openai_messages.jsonl", "openai-chat-jsonl"),
    ("claude_code_session.jsonl", "claude-code-jsonl"),
    ("letta_small.af", "letta-agent"),
    ("locomo_small.json", "locomo"),
])
def test_sniffing_picks_the_right_reader_among_all_registered(name, reader):
    assert sniff(DATA / name, "sessions").name == reader


def test_chat_readers_do_not_claim_each_others_files():
    from workbench.files import read_head

    chat = ("anthropic-messages", "openai-chat-jsonl", "claude-code-jsonl")
    for path in DATA.iterdir():
        head = read_head(path)
        claimed = [n for n in chat if get_reader(n).sniff(path, head) > 0]
        assert len(claimed) <= 1, (path.name, claimed)


@pytest.mark.parametrize("name, text, pattern", [
    ("bad.jsonl", '{"role": "user", "content": "hi"}\n{"role": "assistant", "content": "hel\n',
     r"bad\.jsonl:2: malformed JSON"),
    ("bad.jsonl", '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": [{"content": "no role"}]}\n',
     r"bad\.jsonl:2: field 'messages\[0\]\.role': missing"),
    ("bad.jsonl", '{"messages": [{"role": "user", "content": "hi"}]}\n{"role": "user", "content": "hi"}\n',
     r"bad\.jsonl:2: expected one conversation per line"),
    ("bad.jsonl", '{"role": "narrator", "content": "Once upon a time"}\n',
     r"bad\.jsonl:1: field 'role': expected one of system"),
    ("bad.json", '{\n  "messages": [\n    {"role": "user", "content": "hi"},\n    {"role": "user" "content": "x"}\n  ]\n}\n',
     r"bad\.json:4: malformed JSON"),
    ("bad.json", '{\n  "messages": [\n    {"role": "user", "content": "hi"},\n    {"content": "who am I"}\n  ]\n}\n',
     r"bad\.json:4: field 'messages\[1\]\.role': missing"),
    ("bad.json", '{\n  "messages": [\n    {"role": "user", "content": [{"type": "text"}]}\n  ]\n}\n',
     r"bad\.json:3: field 'messages\[0\]\.content\[0\]\.text': missing"),
    ("bad.json", '{"messages": [{"role": "user", "content": "hi", "created_at": "last tuesday"}]}',
     r"bad\.json:1: field 'messages\[0\]\.created_at': expected an ISO 8601 time"),
])
def test_bad_chat_input_names_file_line_and_field(tmp_path, name, text, pattern):
    fmt = "anthropic-messages" if name.endswith(".json") else "openai-chat-jsonl"
    with pytest.raises(ReaderError, match=pattern):
        get_reader(fmt).read(write(tmp_path, name, text))


def test_anthropic_transcript_without_messages_names_the_field(tmp_path):
    path = write(tmp_path, "t.json", '{"model": "claude-sonnet-4-5", "system": "Be brief."}')
    with pytest.raises(ReaderError, match=r"t\.json: field 'messages': missing"):
        get_reader("anthropic-messages").read(path)


def test_claude_code_malformed_line_and_missing_fields_are_located(tmp_path):
    lines = (DATA / "claude_code_session.jsonl").read_text(encoding="utf-8").splitlines()
    broken = write(tmp_path, "broken.jsonl", "\n".join(lines[:3] + [lines[3][:-9]] + lines[4:]))
    with pytest.raises(ReaderError, match=r"broken\.jsonl:4: malformed JSON"):
        load_sessions(broken, format="claude-code-jsonl")
    item = json.loads(lines[2])
    del item["uuid"]
    missing = write(tmp_path, "missing.jsonl", "\n".join(lines[:2] + [json.dumps(item)]))
    with pytest.raises(ReaderError, match=r"missing\.jsonl:3: field 'uuid': missing"):
        load_sessions(missing, format="claude-code-jsonl")
    item = json.loads(lines[2])
    item["message"]["content"] = [{"type": "tool_use", "input": {}}]
    nameless = write(tmp_path, "nameless.jsonl", "\n".join(lines[:2] + [json.dumps(item)]))
    with pytest.raises(ReaderError, match=r"nameless\.jsonl:3: field 'message\.content\[0\]\.name': missing"):
        load_sessions(nameless, format="claude-code-jsonl")


@pytest.mark.parametrize("fixture, fmt", [
    ("openai_messages.jsonl", "openai-chat-jsonl"),
    ("claude_code_session.jsonl", "claude-code-jsonl"),
    ("anthropic_transcripts.json", "anthropic-messages"),
])
def test_non_utf8_input_names_the_line(tmp_path, fixture, fmt):
    data = (DATA / fixture).read_bytes().splitlines(keepends=True)
    data[2] = data[2].replace(b"e", b"\xe9", 1)
    path = write(tmp_path, "latin1" + Path(fixture).suffix, b"".join(data))
    with pytest.raises(ReaderError, match=re.escape(f"{path.name}:3: not valid UTF-8")):
        get_reader(fmt).read(path)
