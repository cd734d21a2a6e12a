"""Writing a store to a folder gives exactly that store, atomically, and never clobbers what the tool did not write."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from io_plans import hand_plan

from workbench import files
from workbench.errors import ReaderError, UnknownNameError
from workbench.export import FORMATS, export_snapshot
from workbench.io import (
    WRITERS,
    OneFileWriter,
    Rendered,
    get_writer,
    load_store,
    register_writer,
    write_store,
    writers,
)
from workbench.io.store_files import SIDECAR
from workbench.records import Memory, Store
from workbench.review import Review
from workbench.verify import verify_snapshot

T = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def store_of(*paths: str) -> Store:
    return Store(tuple(Memory(id=f"mem_{i}", path=p, content=f"- Fact {i}.\n", created_at=T, updated_at=T)
                       for i, p in enumerate(paths)), name="facts")


def test_writing_a_b_then_a_leaves_only_a(tmp_path):
    out = tmp_path / "store"
    write_store(store_of("/a.md", "/notes/b.md"), out)
    write_store(store_of("/a.md"), out)
    assert [m.path for m in load_store(out).memories] == ["/a.md"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [SIDECAR, "a.md"]


def test_a_folder_holding_a_file_the_tool_did_not_write_is_refused_and_named(tmp_path):
    out = tmp_path / "store"
    write_store(store_of("/a.md"), out)
    (out / "diary.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"holds 1 file\(s\) this tool did not write \(such as '/diary\.txt'\); "
                                          r"choose another path, or pass force=True"):
        write_store(store_of("/b.md"), out)
    assert (out / "diary.txt").read_text(encoding="utf-8") == "mine" and (out / "a.md").is_file()


def test_a_folder_without_a_sidecar_is_refused_unless_forced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "todo.md").write_text("- Call Ada.\n", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"mine: exists and is not a store folder this tool wrote \(no sidecar\)"):
        write_store(store_of("/a.md"), out)
    write_store(store_of("/a.md"), out, force=True)
    assert [m.path for m in load_store(out).memories] == ["/a.md"] and not (out / "todo.md").exists()


def test_an_empty_folder_is_written_into(tmp_path):
    (tmp_path / "empty").mkdir()
    write_store(store_of("/a.md"), tmp_path / "empty")
    assert load_store(tmp_path / "empty") == store_of("/a.md")


def test_a_failure_while_writing_leaves_the_old_store_whole_and_no_staging(tmp_path, monkeypatch):
    out = tmp_path / "store"
    write_store(store_of("/a.md", "/b.md"), out)

    def full_disk(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "sync_tree", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_store(store_of("/c.md"), out)
    assert [m.path for m in load_store(out).memories] == ["/a.md", "/b.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


# --- Claude-style stores: an index, topic files with front matter, hidden folders ------------------

names = st.from_regex(r"[a-z][a-z0-9_-]{0,9}", fullmatch=True)  # file stems, and plain YAML scalars
words = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x9FFF), min_size=1, max_size=12)


@st.composite
def claude_stores(draw) -> Store:
    topics = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    memories = []
    for name in topics:
        description = draw(words)
        body = draw(st.lists(words, min_size=1, max_size=3))
        content = f"---\nname: {name}\ndescription: {description}\ntype: user\n---\n" + "".join(f"- {b}\n" for b in body)
        matter = yaml.safe_load(content.split("---\n")[1])  # what the file says ("0" is a number in YAML)
        memories.append(Memory(id=f"mem_{name}", path=f"/{name}.md", content=content, created_at=T, updated_at=T,
                               meta={"front_matter": matter}))
    index = "# Memory\n\n" + "".join(f"- [{n}]({n}.md) — a topic\n" for n in topics)
    memories.insert(0, Memory(id="mem_index", path="/MEMORY.md", content=index, created_at=T, updated_at=T,
                              meta={"index": True}))
    if draw(st.booleans()):
        memories.append(Memory(id="mem_rule", path="/.claude/rules/style.md", content="- Use ruff.\n",
                               created_at=T, updated_at=T))
    return Store(tuple(memories), name="claude")


@settings(max_examples=30, deadline=None)
@given(claude_stores())
def test_any_claude_memory_folder_written_reads_back_equal(store):
    with tempfile.TemporaryDirectory() as tmp:
        again = load_store(write_store(store, Path(tmp) / "memory"))
    assert again == store
    assert [dict(m.meta) for m in again.memories] == [dict(m.meta) for m in store.memories]
    assert again.notes == store.notes
    assert not any(n.text.startswith("[") for n in again.notes)  # index links are never notes


# --- the writer registry: every format export writes, looked up by name -----------------------------


def test_every_export_format_is_a_registered_writer_in_one_order():
    assert FORMATS == tuple(writers()) == ("dir", "zip", "json", "mem0", "letta-af")
    assert [name for name, w in writers().items() if w.tree] == ["dir", "zip"]  # the manifest inside


def test_an_unknown_writer_is_one_error_naming_the_known_ones(tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown output format 'yaml'; known formats: dir, json, letta-af, mem0, zip"):
        get_writer("yaml")
    with pytest.raises(UnknownNameError, match="unknown output format 'yaml'"):
        write_store(store_of("/a.md"), tmp_path / "out", "yaml")
    assert not (tmp_path / "out").exists()


def test_a_writer_registered_outside_the_builtins_is_exported_and_verified_like_them(tmp_path):
    @register_writer("paths", tree=False, description="One memory path a line")
    class Paths(OneFileWriter):
        def render(self, store, source=None):
            return Rendered({"": "".join(m.path + "\n" for m in store.memories)}, store)

    try:
        store = store_of("/a.md", "/notes/b.md")
        plan = hand_plan(store, [])
        snapshot = export_snapshot(store, plan, Review(plan), tmp_path / "paths.txt", format="paths")
        assert (tmp_path / "paths.txt").read_text(encoding="utf-8") == "/a.md\n/notes/b.md\n"
        assert snapshot.manifest["output"]["format"] == "paths" and (tmp_path / "paths.txt.manifest.json").is_file()
        assert verify_snapshot(tmp_path / "paths.txt").ok
        (tmp_path / "paths.txt").write_text("/a.md\n", encoding="utf-8")
        assert verify_snapshot(tmp_path / "paths.txt").problems == ["changed: paths.txt"]
        assert write_store(store, tmp_path / "again.txt", "paths").read_text(encoding="utf-8") == "/a.md\n/notes/b.md\n"
    finally:
        WRITERS.pop("paths")


def test_write_store_writes_every_format_and_the_loadable_ones_read_back(tmp_path):
    store = store_of("/a.md", "/notes/b.md")
    for name, writer in writers().items():
        if name == "letta-af":
            continue  # written into the agent file a store came from (below)
        written = write_store(store, tmp_path / f"out-{name}", name)
        if writer.reader is not None:
            assert load_store(written, writer.reader) == store
    with zipfile.ZipFile(tmp_path / "out-zip") as archive:
        assert archive.namelist() == [SIDECAR, "a.md", "notes/b.md"]
    agent = Path(__file__).parent / "data" / "letta" / "companion_current.af"
    written = write_store(load_store(agent), tmp_path / "copy.af", "letta-af")
    assert written.read_bytes() == agent.read_bytes()  # nothing curated: every byte as it was
