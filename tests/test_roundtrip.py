"""Round trips are lossless: a store written as files or as JSON reads back as the same store."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ReaderError, UnknownNameError
from workbench.io import load_store, write_store
from workbench.io.store_files import SIDECAR
from workbench.records import Memory, Store


def assert_same_store(loaded: Store, original: Store) -> None:
    """Equal ids, paths, contents, times, versions and authors (`==`), plus meta and history."""
    assert loaded == original
    assert [dict(m.meta) for m in loaded.memories] == [dict(m.meta) for m in original.memories]
    assert [dict(v) for v in loaded.versions] == [dict(v) for v in original.versions]
    assert loaded.digest == original.digest


def with_history(store: Store) -> Store:
    versions = (
        {"type": "memory_version", "id": "memver_01", "memory_id": store.memories[0].id, "operation": "created",
         "created_at": "2025-03-02T09:14:07.250000Z"},
    )
    return Store(store.memories, id=store.id, name=store.name, versions=versions)


# --- the fixture store ------------------------------------------------------------------------


def test_a_store_written_as_a_directory_reads_back_unchanged(tiny_store, tmp_path):
    store = with_history(tiny_store)
    written = write_store(store, tmp_path / "acme", "dir")
    assert_same_store(load_store(written), store)


def test_the_directory_holds_plain_files_with_the_exact_bytes_and_a_hidden_sidecar(store_dir, tiny_store):
    for memory in tiny_store.memories:
        assert (store_dir / memory.path.lstrip("/")).read_bytes() == memory.content.encode("utf-8")
    assert (store_dir / "coding" / "ci.md").read_bytes().count(b"\r\n") == 6
    sidecar = json.loads((store_dir / SIDECAR).read_text(encoding="utf-8"))
    assert sidecar["id"] == "memstore_01JQ7Z3K8V6W2Y4X9A5B7C1D3E"
    assert "content" not in sidecar["memories"][0]


def test_a_directory_edited_by_hand_keeps_known_ids_and_adds_new_files_last(store_dir, tiny_store):
    (store_dir / "coding" / "testing.md").write_text("- Pin time with freezegun.\n", encoding="utf-8")
    store = load_store(store_dir)
    assert store.memories[:4] == tiny_store.memories
    assert store.memories[4].path == "/coding/testing.md"


def test_a_store_written_as_json_reads_back_unchanged(tiny_store, tmp_path):
    store = with_history(tiny_store)
    written = write_store(store, tmp_path / "acme.json", "json")
    assert_same_store(load_store(written), store)
    assert json.loads(written.read_text(encoding="utf-8"))["type"] == "memory_store"


def test_a_store_read_from_json_and_written_as_a_directory_reads_back_unchanged(tmp_path):
    original = load_store(Path(__file__).parent / "data" / "stores" / "managed_agents_store.json")
    again = load_store(write_store(original, tmp_path / "copy", "dir"))
    assert_same_store(again, original)


def test_an_unknown_output_format_is_refused(tiny_store, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown output format 'yaml'; known formats: dir, json, letta-af, mem0, zip"):
        write_store(tiny_store, tmp_path / "out", "yaml")
    assert not (tmp_path / "out").exists()


def test_a_broken_sidecar_is_an_error_not_a_traceback(store_dir):
    (store_dir / SIDECAR).write_text('{"memories": [{"id": "mem_1"}]}', encoding="utf-8")
    with pytest.raises(ReaderError, match=r"\.workbench-store\.json: missing 'path'"):
        load_store(store_dir)


# --- any valid store --------------------------------------------------------------------------

SAFE = "abcdefghijklmnopqrstuvwxyz0123456789-_éü"
segment = st.text(SAFE, min_size=1, max_size=8)
paths = st.builds(
    lambda folders, name: "/" + "/".join([*folders, name + ".md"]),  # folders never end in .md: no clashes
    st.lists(segment, max_size=3),
    segment,
)
content = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["\r\n", "\n", "\r", "  \t\n", "- Pin freezegun.\n", "🧪🚀", "\u2028", "\ufeff", "```\n"]),
    ),
    max_size=12,
).map("".join)
times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]),
)
meta = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k != "provenance"),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.lists(st.text(max_size=5), max_size=3)),
    max_size=3,
)
optional_text = st.one_of(st.none(), st.text(min_size=1, max_size=12))


@st.composite
def stores(draw) -> Store:
    chosen = draw(st.lists(paths, min_size=0, max_size=6, unique=True))
    ids = draw(st.lists(st.from_regex(r"mem_[0-9A-Za-z]{1,26}", fullmatch=True), min_size=len(chosen),
                        max_size=len(chosen), unique=True))
    memories = []
    for path, ident in zip(chosen, ids, strict=True):
        created = draw(times)
        memories.append(Memory(
            id=ident, path=path, content=draw(content), created_at=created,
            updated_at=draw(st.one_of(st.just(created), times)),
            version_id=draw(optional_text), author=draw(optional_text), meta=draw(meta),
        ))
    return Store(tuple(memories), id=draw(st.one_of(st.none(), st.just("memstore_01"))),
                 name=draw(st.text(SAFE, min_size=1, max_size=12)))


@settings(max_examples=40, deadline=None)
@given(stores())
def test_any_store_survives_a_directory_round_trip(store):
    with tempfile.TemporaryDirectory() as tmp:
        assert_same_store(load_store(write_store(store, Path(tmp) / "store", "dir")), store)


@settings(max_examples=40, deadline=None)
@given(stores())
def test_any_store_survives_a_json_round_trip(store):
    with tempfile.TemporaryDirectory() as tmp:
        assert_same_store(load_store(write_store(store, Path(tmp) / "store.json", "json")), store)
