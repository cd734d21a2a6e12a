"""Letta agent files of today (`agents`, `blocks` by id) in, and the curated blocks written back into them."""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_plans import SHARED, create, delete, delete_memory, export_all, update

from workbench.cli import main
from workbench.errors import ExportError, ReaderError
from workbench.io import load_sessions, load_store, sniff
from workbench.io.letta import block_paths
from workbench.io.letta_af import agent_file_for
from workbench.records import Store
from workbench.verify import replay, verify_snapshot

AF = Path(__file__).parent / "data" / "letta" / "companion_current.af"
OLD = Path(__file__).parent / "data" / "chat" / "letta_small.af"


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{name} not found: the public Letta agent files live in ../shared/data")
    return path


def rewrite(tmp_path: Path, change, name: str = "agent.af", source: Path = AF) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def without_values(data: dict) -> dict:
    """The agent file with every block value blanked: what a write-back must leave as it was."""
    for block in data.get("blocks", []) + data.get("core_memory", []):
        block["value"] = None
    return data


# --- reading the current schema ------------------------------------------------------------------


def test_each_block_an_agent_names_is_a_memory_at_blocks_label():
    store = load_store(AF)
    assert [m.path for m in store.memories] == ["/blocks/persona.md", "/blocks/human.md", "/blocks/preferences.md"]
    assert [m.id for m in store.memories] == ["block-0", "block-1", "block-2"]
    human = store.by_path["/blocks/human.md"]
    assert human.content.startswith("# Alex\n\n- First name: Alex\n- Home city: Porto\n")
    assert human.meta == {"label": "human", "limit": 5000, "description": "The human block: facts about the user.",
                          "read_only": False, "metadata": {}}
    assert human.updated_at == datetime(2026, 2, 12, 18, 31, tzinfo=timezone.utc)  # blocks carry no times: the file's
    assert human.origin.endswith("companion_current.af#/blocks/1")
    assert (store.id, store.name) == ("agent-0", "juniper")
    assert "Home city: Porto" in [n.text for n in store.notes]


def test_the_agents_messages_read_as_the_conversation_the_user_saw():
    (session,) = load_sessions(AF)
    assert (session.title, session.started_at) == ("juniper", datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc))
    assert [(t.role, t.text[:30]) for t in session.turns] == [
        ("system", "You are Juniper, a companion w"),
        ("user", "Hi! I just moved from Porto to"),
        ("tool", 'memory_replace: {"label": "hum'),
        ("tool", "The core memory block with lab"),
        ("agent", "Noted: you live in Lisbon now."),
        ("user", "Thanks. I still go trail runni"),
        ("agent", "Great — enjoy the trails aroun"),
    ]  # the approval message is a yes to a tool call, not a turn
    assert session.turns[2].meta["inner"] == "The user moved; update the human block."
    assert session.turns[4].meta["inner"] == "Confirm briefly."


def test_both_schemas_are_sniffed_as_letta_for_memories_and_sessions():
    for path in (AF, OLD):
        assert sniff(path, "memories").name == sniff(path, "sessions").name == "letta-agent"


def test_the_public_agent_files_of_today_load():
    co3 = load_store(shared("letta_co-3_current_schema.af"))
    assert len(co3.memories) == 29 and len({m.path for m in co3.memories}) == 29
    assert "/blocks/note_directory.md" in co3.by_path  # the label "/note_directory" is a path, not a folder escape
    assert co3.by_path["/blocks/note_directory.md"].meta["label"] == "/note_directory"
    service = load_store(shared("letta_customer_service_current_schema.af"))
    assert [m.path for m in service.memories] == ["/blocks/human.md", "/blocks/persona.md"]
    assert [m.id for m in service.memories] == ["block-2", "block-3"]
    (session,) = load_sessions(shared("letta_customer_service_current_schema.af"))
    assert [t.role for t in session.turns] == ["system"]


def test_labels_two_blocks_share_or_no_file_can_hold_still_get_distinct_paths():
    assert block_paths([("human", "block-1"), ("/human", "block-7"), ("../etc", "b"), ("", "c")]) == [
        "/blocks/human@block-1.md", "/blocks/human@block-7.md", "/blocks/..%2Fetc.md", "/blocks/%00.md"]


# --- bad input -----------------------------------------------------------------------------------


def test_an_agent_naming_a_block_the_file_lacks_is_an_error_naming_the_agent_and_the_id(tmp_path):
    path = rewrite(tmp_path, lambda d: d["agents"][0]["block_ids"].append("block-9"))
    with pytest.raises(ReaderError, match=r"agent\.af:\d+: field 'agents\[0\]\.block_ids\[3\]': agent 'juniper' "
                                          r"names block 'block-9', which is not in the file's `blocks`"):
        load_store(path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["blocks"][1].pop("label"), r"agent\.af:\d+: field 'blocks\[1\]\.label': missing"),
    (lambda d: d["blocks"][2].update(value=7), r"agent\.af:\d+: field 'blocks\[2\]\.value': expected str, got int"),
    (lambda d: d["blocks"][2].update(id="block-0"), r"field 'blocks\[2\]\.id': block id 'block-0' appears twice"),
    (lambda d: d.pop("blocks"), r"agent\.af: field 'blocks': missing"),
    (lambda d: d.update(agents="x", core_memory=None) or d.pop("core_memory"), r"field 'agents': expected list"),
    (lambda d: [d.pop(k) for k in ("agents", "blocks")], r"agent\.af:1: field 'agents': missing: neither"),
    (lambda d: d["agents"][0]["messages"][2]["tool_calls"][0]["function"].update(arguments="{oops"),
     r"agent\.af:\d+: field 'agents\[0\]\.messages\[2\]\.tool_calls\[0\]\.function\.arguments': malformed JSON"),
    (lambda d: d["agents"][0]["messages"][1].update(role="robot"),
     r"field 'agents\[0\]\.messages\[1\]\.role': expected one of"),
])
def test_a_malformed_agent_file_is_one_line_naming_file_line_and_field(tmp_path, change, message):
    path = rewrite(tmp_path, change)
    with pytest.raises(ReaderError, match=message) as caught:
        load_sessions(path)
    assert "\n" not in str(caught.value)


# --- writing back ----------------------------------------------------------------------------------


def test_an_unchanged_store_writes_back_the_very_same_bytes():
    for path in (AF, OLD):
        store = load_store(path)
        assert agent_file_for(store, store)[0] == path.read_text(encoding="utf-8")


def curation(store: Store) -> list:
    return [update(store, "Home city: Porto", "Home city: Lisbon"), delete(store, "Prefers short answers."),
            delete_memory(store, "/blocks/persona.md"), create("/insights/habits.md", "Runs trails on weekends.")]


def test_the_write_back_changes_only_the_curated_values_and_appends_the_new_block(tmp_path):
    store = load_store(AF)
    plan, snapshot = export_all(store, curation(store), tmp_path / "juniper.af", "letta-af")
    text = snapshot.path.read_text(encoding="utf-8")
    original = AF.read_text(encoding="utf-8")
    changed = [line for line in difflib.ndiff(original.splitlines(), text.splitlines()) if line[:1] in "+-"]
    removed = [line for line in changed if line.startswith("-")]
    assert len(removed) == 4 and all('"value": ' in line or line.split() == ["-", '"block-2"'] for line in removed)
    assert "é" in text and "\\u00e9" not in text  # the file's own escaping is kept
    before, after = json.loads(original), json.loads(text)
    assert after["agents"][0]["block_ids"] == ["block-0", "block-1", "block-2", "block-3"]
    new_block = after["blocks"].pop()
    after["agents"][0]["block_ids"].pop()
    assert (new_block["id"], new_block["label"], new_block["limit"]) == ("block-3", "insights/habits", 20000)
    assert without_values(after) == without_values(before)  # tools, messages, metadata: untouched


def test_the_written_agent_file_reads_back_field_by_field_as_the_curated_store(tmp_path):
    store = load_store(AF)
    plan, snapshot = export_all(store, curation(store), tmp_path / "juniper.af", "letta-af")
    again = load_store(snapshot.path)
    assert [m.path for m in again.memories] == [*(m.path for m in store.memories), "/blocks/insights/habits.md"]
    curated = plan.output_store.by_path
    assert again.by_path["/blocks/persona.md"].content == ""  # kept, empty: the agent still names it
    for memory in again.memories[1:]:
        expected = curated[memory.path.replace("/blocks/insights/", "/insights/")]
        assert memory.content == expected.content
        if memory.id.startswith("block-") and memory.id != "block-3":
            assert memory.id == expected.id
            assert memory.meta == store.by_id[memory.id].meta
    assert "Home city: Lisbon" in again.by_path["/blocks/human.md"].content
    assert again.by_path["/blocks/preferences.md"].content.count("Prefers short answers.") == 1
    assert load_sessions(snapshot.path) == load_sessions(AF)


def test_a_letta_af_snapshot_verifies_replays_and_catches_an_edit(tmp_path):
    store = load_store(AF)
    _, snapshot = export_all(store, curation(store), tmp_path / "juniper.af", "letta-af")
    assert snapshot.manifest["output"]["format"] == "letta-af"
    assert (tmp_path / "juniper.af.manifest.json").is_file()
    result = verify_snapshot(snapshot.path)
    assert result.ok and result.files == 4
    assert replay(snapshot.path, store).ok
    snapshot.path.write_text(snapshot.path.read_text(encoding="utf-8").replace("Lisbon", "Madrid"), encoding="utf-8")
    assert verify_snapshot(snapshot.path).problems == ["changed: juniper.af", "changed: /blocks/human.md"]


def test_the_old_schema_writes_back_in_its_own_compact_layout(tmp_path):
    path = shared("letta_memgpt_agent_with_convo.af")
    store = load_store(path)
    _, snapshot = export_all(store, [update(store, "First name: Sam", "First name: Samantha"),
                                     create("/blocks/projects.md", "Is writing a novel.")], tmp_path / "m.af",
                             "letta-af")
    text = snapshot.path.read_text(encoding="utf-8")
    assert text.count("\n") == path.read_text(encoding="utf-8").count("\n")  # still one line
    again = load_store(snapshot.path)
    assert "First name: Samantha" in again.by_path["/blocks/human.md"].content
    assert again.by_path["/blocks/projects.md"].content == "# Projects\n\n- Is writing a novel.\n"
    assert without_values(json.loads(text))["core_memory"][:2] == without_values(json.loads(path.read_text()))["core_memory"]


def test_a_value_over_the_block_limit_is_refused_naming_the_block(tmp_path):
    store = load_store(AF)
    long = "x" * 2100
    with pytest.raises(ExportError, match=r"block 'preferences' would hold 2,\d{3} characters; its limit is 2,000"):
        export_all(store, [update(store, "Likes trail running", long)], tmp_path / "a.af", "letta-af")
    assert not (tmp_path / "a.af").exists()


def test_letta_af_needs_the_agent_file_the_store_came_from_unchanged(tmp_path, tiny_store):
    with pytest.raises(ExportError, match="load it from the .af file"):
        export_all(tiny_store, [], tmp_path / "a.af", "letta-af")
    copy = tmp_path / "copy.af"
    copy.write_bytes(AF.read_bytes())
    store = load_store(copy)
    copy.write_text(AF.read_text(encoding="utf-8").replace("Porto", "Braga"), encoding="utf-8")
    with pytest.raises(ExportError, match="changed since the store was loaded"):
        export_all(store, [], tmp_path / "b.af", "letta-af")


def test_export_and_verify_letta_af_from_the_command_line(tmp_path, capsys):
    store = load_store(AF)
    plan, _ = export_all(store, curation(store), tmp_path / "first.af", "letta-af")
    (tmp_path / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    assert main(["export", str(AF), str(tmp_path / "plan.json"), "--format", "letta-af",
                 "--out", str(tmp_path / "cli.af")]) == 0
    assert main(["verify", str(tmp_path / "cli.af")]) == 0
    assert "intact: 4 memory files checked" in capsys.readouterr().out


# --- any values survive the round trip -----------------------------------------------------------

values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(values, min_size=3, max_size=3), st.lists(values, max_size=2))
def test_any_block_values_written_back_read_back_equal(new_values, extra):
    for source in (AF, OLD):
        store = load_store(source)
        first = store.memories[0]
        memories = [replace(m, content=v) for m, v in zip(store.memories, new_values)]
        memories += [replace(first, id=f"mem_new{k}", path=f"/blocks/new{k}.md", content=v, meta={})
                     for k, v in enumerate(extra)]
        text, written = agent_file_for(store, Store(tuple(memories)))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "agent.af"
            path.write_text(text, encoding="utf-8")
            again = load_store(path)
        assert [(m.path, m.content) for m in again.memories] == [(m.path, m.content) for m in memories]
        assert again.memories == written.memories
        before, after = json.loads(source.read_text(encoding="utf-8")), json.loads(text)
        keep = ("tools", "metadata") if source == AF else ("messages", "tools", "llm_config")
        assert [after[k] for k in keep] == [before[k] for k in keep]


def test_inline_memory_blocks_and_a_second_agent_read_and_write_back(tmp_path):
    def two_agents(data):
        second = json.loads(json.dumps(data["agents"][0]))
        second.update(id="agent-1", name="scout", block_ids=["block-0"], messages=[],
                      memory_blocks=[{"label": "scratch", "value": "- Look up trail maps.\n", "limit": 500}])
        data["agents"].append(second)

    path = rewrite(tmp_path, two_agents)
    store = load_store(path)
    assert [m.path for m in store.memories][-1] == "/blocks/scratch.md"
    assert store.memories[-1].origin.endswith("#/agents/1/memory_blocks/0")
    assert len(load_sessions(path)) == 1  # the scout has no messages
    text, written = agent_file_for(store, Store(tuple(
        replace(m, content="- Look up Sintra trail maps.\n") if m.path == "/blocks/scratch.md" else m
        for m in store.memories)))
    assert json.loads(text)["agents"][1]["memory_blocks"][0]["value"] == "- Look up Sintra trail maps.\n"
    assert written.by_path["/blocks/scratch.md"].content == "- Look up Sintra trail maps.\n"
    with pytest.raises(ExportError, match="holds 2 agents: which one should hold the new block is not clear"):
        agent_file_for(store, Store((*store.memories, replace(store.memories[0], id="mem_x", path="/blocks/new.md"))))
