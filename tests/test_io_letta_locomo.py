"""Letta agent files and LoCoMo conversations: both a store and sessions from one file."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workbench.errors import ReaderError
from workbench.io import get_reader, load_corpus, load_sessions, load_store, sniff
from workbench.io.locomo import locomo_qa

DATA = Path(__file__).parent / "data" / "chat"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LETTA = DATA / "letta_small.af"
LOCOMO = DATA / "locomo_small.json"


def shared(name: str, what: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{name} not found: {what} lives in ../shared/data")
    return path


def rewrite(tmp_path: Path, source: Path, change, name: str | None = None) -> Path:
    """A copy of a JSON fixture with `change(data)` applied, written pretty-printed."""
    data = json.loads(source.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / (name or source.name)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


# --- Letta -----------------------------------------------------------------------------------


def test_letta_core_memory_blocks_become_block_documents():
    store = load_store(LETTA)
    assert [m.path for m in store.memories] == ["/blocks/persona.md", "/blocks/human.md"]
    human = store.by_path["/blocks/human.md"]
    assert human.content == "First name: Alex\nHome city: Porto\nAllergies: peanuts"
    assert human.created_at == datetime(2025, 4, 10, 9, 0, tzinfo=timezone.utc)
    assert human.updated_at == datetime(2025, 4, 10, 9, 4, 12, 500000, tzinfo=timezone.utc)
    assert human.meta == {"label": "human", "limit": 5000, "description": "Facts about the user."}
    assert store.name == "juniper"
    assert [n.text for n in store.notes if n.path == "/blocks/human.md"][1] == "Home city: Porto"


def test_letta_messages_read_as_the_conversation_the_user_saw():
    (session,) = load_sessions(LETTA)
    assert session.title == "juniper"
    assert session.started_at == datetime(2025, 4, 10, 9, 0, 0, 100000, tzinfo=timezone.utc)
    pairs = [(t.role, t.text[:40]) for t in session.turns]
    assert pairs == [
        ("system", "You are Letta, a helpful companion.\n<per"),
        ("agent", "More human than human is our motto."),
        ("user", "I just moved to Porto last week, and I'm"),
        ("tool", 'core_memory_replace: {"label": "human", '),
        ("tool", '{\n  "status": "OK",\n  "message": "None",'),
        ("agent", "Welcome to Porto! I'll keep your peanut "),
        ("system", "Note: prior messages (4 of 11 total mess"),
    ]
    welcome = session.turns[5]
    assert welcome.meta["inner"] == "Acknowledge the move and the allergy."
    assert "request_heartbeat" not in session.turns[3].text


def test_letta_skips_login_heartbeat_receipts_and_system_prompt_rerenders():
    (session,) = load_sessions(LETTA)
    texts = "\n".join(t.text for t in session.turns)
    assert "heartbeat" not in texts and "first login" not in texts
    assert sum(t.role == "system" and t.text.startswith("You are Letta") for t in session.turns) == 1
    assert not any(t.role == "tool" and t.meta.get("tool_call_id") in ("call-boot-1", "call-send-3")
                   for t in session.turns)


def test_letta_is_sniffed_for_both_memories_and_sessions():
    assert sniff(LETTA, "memories").name == "letta-agent"
    assert sniff(LETTA, "sessions").name == "letta-agent"
    corpus = load_corpus(LETTA, LETTA)
    assert len(corpus.memories) == 2 and len(corpus.sessions) == 1


def test_letta_missing_fields_and_bad_arguments_are_named(tmp_path):
    no_messages = rewrite(tmp_path, LETTA, lambda d: d.pop("messages"), "a.af")
    with pytest.raises(ReaderError, match=r"a\.af: field 'messages': missing"):
        load_store(no_messages)
    no_label = rewrite(tmp_path, LETTA, lambda d: d["core_memory"][1].pop("label"), "b.af")
    with pytest.raises(ReaderError, match=r"b\.af:\d+: field 'core_memory\[1\]\.label': missing"):
        load_store(no_label)

    def break_arguments(data):
        data["messages"][9]["tool_calls"][0]["function"]["arguments"] = '{"message": "Welcome'

    bad_args = rewrite(tmp_path, LETTA, break_arguments, "c.af")
    with pytest.raises(ReaderError, match=r"c\.af:\d+: field 'messages\[9\]\.tool_calls\[0\]\.function\.arguments': malformed JSON"):
        load_sessions(bad_args)


def test_letta_malformed_json_and_non_utf8_name_the_line(tmp_path):
    lines = LETTA.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "broken.af"
    broken.write_text("".join(lines[:5] + [lines[5].replace(":", "", 1)] + lines[6:]), encoding="utf-8")
    with pytest.raises(ReaderError, match=r"broken\.af:6: malformed JSON"):
        load_sessions(broken)
    latin = tmp_path / "latin.af"
    latin.write_bytes(b"".join(line.encode() for line in lines[:7]) + "Jos\u00e9".encode("latin-1")
                      + b"".join(line.encode() for line in lines[7:]))
    with pytest.raises(ReaderError, match=r"latin\.af:8: not valid UTF-8"):
        load_store(latin)


def test_real_letta_agent_file_shows_the_name_changes_in_user_turns():
    path = shared("letta_memgpt_agent_with_convo.af", "the Letta agent file")
    store = load_store(path)
    assert [m.path for m in store.memories] == ["/blocks/persona.md", "/blocks/human.md"]
    assert "First name: Sam" in store.by_path["/blocks/human.md"].content  # the latest value wins
    assert "I am BigChungus." in store.by_path["/blocks/persona.md"].content
    (session,) = load_sessions(path)
    user = [t.text for t in session.turns if t.role == "user"]
    assert user[0] == "hi my name is actually sarah not chad"
    assert "Can you start calling me Sam from now on?" in user
    assert user.index("Can you start calling me Sam from now on?") > 0
    assert not any(t.lstrip().startswith("{") for t in user)
    replaces = [t.text for t in session.turns if t.text.startswith("core_memory_replace")]
    assert any('"new_content": "First name: Sarah"' in t for t in replaces)
    assert any('"new_content": "First name: Sam"' in t for t in replaces)
    assert [t.at for t in session.turns] == sorted(t.at for t in session.turns)


# --- LoCoMo ----------------------------------------------------------------------------------


def test_locomo_sessions_have_ids_titles_times_and_speaker_roles():
    sessions = load_sessions(LOCOMO)
    assert [s.id for s in sessions] == ["conv-demo/session_1", "conv-demo/session_2"]  # no session_3 turns
    first = sessions[0]
    assert first.title == "conv-demo session 1 (Maya & Tom)"
    assert first.started_at == datetime(2023, 3, 3, 16, 5, tzinfo=timezone.utc)
    assert [t.id for t in first.turns] == [f"conv-demo/D1:{i}" for i in range(1, 5)]
    assert [t.role for t in first.turns] == ["user", "agent", "user", "agent"]
    assert first.turns[1].meta["speaker"] == "Tom"
    assert first.turns[2].text == "Her name is Biscuit. Here she is at the park. [image: a photo of a beagle sitting on the grass]"
    assert first.turns[3].at == datetime(2023, 3, 3, 16, 5, 3, tzinfo=timezone.utc)
    assert sessions[1].started_at == datetime(2023, 4, 17, 10, 30, tzinfo=timezone.utc)


def test_locomo_observations_are_a_store_whose_notes_carry_evidence():
    store = load_store(LOCOMO)
    assert [m.path for m in store.memories] == [
        "/conv-demo/session_01/Maya.md", "/conv-demo/session_01/Tom.md", "/conv-demo/session_02/Tom.md",
    ]  # Maya has no session-2 observations
    maya = store.by_path["/conv-demo/session_01/Maya.md"]
    assert maya.content == ("# Maya — session 1\n\n- Maya adopted a dog from the shelter.\n"
                            "- Maya's dog is a beagle named Biscuit.\n")
    assert maya.created_at == maya.updated_at == datetime(2023, 3, 3, 16, 5, tzinfo=timezone.utc)
    evidence = {n.text: n.evidence for n in store.notes}
    assert evidence["Maya's dog is a beagle named Biscuit."] == ("conv-demo/D1:3", "conv-demo/D1:1")
    assert evidence["Tom sprained his ankle and is skipping the half marathon."] == ("conv-demo/D2:1",)
    assert evidence["Tom plans to run the Porto race in October instead."] == ()  # "D:2:3" is malformed
    assert len(store.notes) == 5


def test_locomo_qa_cleans_evidence_and_keeps_adversarial_answers_apart():
    qa = locomo_qa(LOCOMO)
    assert [q["category"] for q in qa] == [4, 1, 2, 5]
    assert qa[1]["evidence"] == ["conv-demo/D2:1", "conv-demo/D2:3"]
    assert qa[2]["answer"] == "2023" and qa[2]["evidence"] == ["conv-demo/D1:1"]
    assert qa[3]["answer"] is None and qa[3]["adversarial_answer"] == "A beagle"
    assert qa[3]["evidence"] == []


def test_locomo_is_sniffed_for_both_memories_and_sessions():
    assert sniff(LOCOMO, "memories").name == "locomo"
    assert sniff(LOCOMO, "sessions").name == "locomo"


def test_locomo_bad_fields_are_named_with_the_sample_line(tmp_path):
    def bad_date(data):
        data[0]["conversation"]["session_2_date_time"] = "17/04/2023 10:30"

    with pytest.raises(ReaderError, match=r"a\.json:2: field '\[0\]\.conversation\.session_2_date_time': expected a time like"):
        load_sessions(rewrite(tmp_path, LOCOMO, bad_date, "a.json"))

    def no_speaker(data):
        del data[0]["conversation"]["session_1"][2]["speaker"]

    with pytest.raises(ReaderError, match=r"b\.json:2: field '\[0\]\.conversation\.session_1\[2\]\.speaker': missing"):
        load_sessions(rewrite(tmp_path, LOCOMO, no_speaker, "b.json"))
    with pytest.raises(ReaderError, match=r"c\.json:2: field '\[0\]\.sample_id': missing"):
        load_store(rewrite(tmp_path, LOCOMO, lambda d: d[0].pop("sample_id"), "c.json"), format="locomo")


def test_locomo_malformed_json_and_non_utf8_name_the_line(tmp_path):
    text = LOCOMO.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if '"speaker_a"' in line)
    broken = tmp_path / "broken.json"
    broken.write_text("".join(lines[:number] + [lines[number].replace(",", "", 1)] + lines[number + 1:]),
                      encoding="utf-8")
    with pytest.raises(ReaderError, match=rf"broken\.json:{number + 2}: malformed JSON"):
        load_sessions(broken, format="locomo")
    latin = tmp_path / "latin.json"
    latin.write_bytes(text.replace("Biscuit", "Bisc\u00fcit", 1).encode("latin-1", errors="replace"))
    expected = text[: text.index("Biscuit")].count("\n") + 1
    with pytest.raises(ReaderError, match=re.escape(f"latin.json:{expected}: not valid UTF-8")):
        load_sessions(latin, format="locomo")


@pytest.mark.slow
def test_real_locomo_counts():  # its load time is measured in benchmarks/loading.py, not asserted
    path = shared("locomo10.json", "LoCoMo")
    store = load_store(path)
    sessions = load_sessions(path)
    notes = store.notes
    assert len({s.meta["sample_id"] for s in sessions}) == 10
    assert len(sessions) == 272
    assert sum(len(s.turns) for s in sessions) == 5882
    assert len(notes) == 2541
    assert all(n.evidence for n in notes)
    turn_ids = {t.id for s in sessions for t in s.turns}
    assert all(e in turn_ids for n in notes for e in n.evidence)
    conv26 = [s for s in sessions if s.meta["sample_id"] == "conv-26"]
    assert len(conv26) == 19  # 35 date keys, 19 sessions


def test_real_locomo_qa_has_every_item_with_clean_evidence():
    qa = locomo_qa(shared("locomo10.json", "LoCoMo"))
    assert len(qa) == 1986
    counts = {c: sum(q["category"] == c for q in qa) for c in range(1, 6)}
    assert counts == {1: 282, 2: 321, 3: 96, 4: 841, 5: 446}
    assert all(re.fullmatch(r"conv-\d+/D\d+:\d+", e) for q in qa for e in q["evidence"])
    assert sum(q["answer"] is None for q in qa) == 444


def test_real_files_are_recognised_among_all_readers():
    assert sniff(shared("locomo10.json", "LoCoMo"), "sessions").name == "locomo"
    assert sniff(shared("letta_memgpt_agent_with_convo.af", "the Letta agent file"), "memories").name == "letta-agent"
    assert get_reader("locomo").sniff(SHARED / "letta_memgpt_agent_with_convo.af", "") == 0.0
