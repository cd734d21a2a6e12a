"""Records: what a memory may hold, how a document splits into notes, and how it is written back."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from workbench.errors import ReaderError
from workbench.markdown import rewrite_content
from workbench.records import (
    MAX_CONTENT_BYTES,
    Corpus,
    Memory,
    Session,
    Store,
    Turn,
    split_notes,
)

T0 = datetime(2025, 3, 2, 9, 14, 7, tzinfo=timezone.utc)


def memory(content: str, path: str = "/coding/style.md", id: str = "mem_style", **more) -> Memory:
    return Memory(id=id, path=path, content=content, created_at=T0, updated_at=T0, **more)


def notes_of(content: str) -> list[tuple[str, str, str]]:
    return [(n.kind, n.section, n.text) for n in split_notes(memory(content))]


# --- what a memory may hold -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["coding/style.md", "style.md", "", "~/memories/style.md"])
def test_a_path_that_is_not_absolute_is_refused(path):
    with pytest.raises(ReaderError, match=r"field 'path': memory path must start with '/'"):
        memory("- Format with ruff.\n", path=path)


@pytest.mark.parametrize(
    "path", ["/../etc/passwd", "/coding/../../secrets.md", "/coding/./style.md", "/coding//style.md", "/coding/"]
)
def test_a_path_that_escapes_the_store_is_refused(path):
    with pytest.raises(ReaderError, match="memory path must name a file inside the store"):
        memory("- Format with ruff.\n", path=path)


def test_a_path_with_a_backslash_or_nul_byte_is_refused():
    for path in ("/coding\\style.md", "/coding/style\x00.md"):
        with pytest.raises(ReaderError, match="NUL byte or backslash"):
            memory("x", path=path)


def test_a_path_longer_than_1024_bytes_is_refused():
    memory("x", path="/" + "a" * 1023)
    with pytest.raises(ReaderError, match="longer than 1024 bytes"):
        memory("x", path="/" + "a" * 1024)


def test_content_of_exactly_100_kb_is_accepted_and_one_byte_more_is_refused():
    at_limit = "é" * (MAX_CONTENT_BYTES // 2)  # two bytes each in UTF-8
    assert len(memory(at_limit).content.encode()) == 102_400
    with pytest.raises(ReaderError, match=r"memory /coding/style.md is 102,401 bytes; the limit is 102,400"):
        memory(at_limit + "!")


def test_memory_from_dict_reads_the_platform_memory_object():
    loaded = Memory.from_dict(
        {
            "type": "memory",
            "id": "mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K",
            "memory_store_id": "memstore_01JQ7Z3K8V6W2Y4X9A5B7C1D3E",
            "path": "/coding/style.md",
            "content": "- Format with ruff.\n",
            "content_sha256": "ignored",
            "memory_version_id": "memver_01",
            "created_at": "2025-03-02T09:14:07.250Z",
            "updated_at": "2025-05-19T18:40:02.918311+02:00",
        }
    )
    assert loaded.id == "mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K"
    assert loaded.version_id == "memver_01"
    assert loaded.created_at == datetime(2025, 3, 2, 9, 14, 7, 250000, tzinfo=timezone.utc)
    assert loaded.updated_at == datetime(2025, 5, 19, 16, 40, 2, 918311, tzinfo=timezone.utc)


def test_memory_from_dict_without_times_or_id_uses_the_update_time_and_a_path_hash():
    only_updated = Memory.from_dict({"path": "/ci.md", "content": "x", "updated_at": "2025-04-01T00:00:00Z"})
    assert only_updated.created_at == only_updated.updated_at
    again = Memory.from_dict({"path": "/ci.md", "content": "y"})
    assert again.id == only_updated.id and again.id.startswith("mem_")


@pytest.mark.parametrize("missing", ["path", "content"])
def test_memory_from_dict_names_the_missing_field(missing):
    data = {"path": "/ci.md", "content": "Runner: GitHub Actions\n"}
    del data[missing]
    with pytest.raises(ReaderError, match=f"field '{missing}': missing"):
        Memory.from_dict(data)


def test_a_bad_time_is_reported_under_the_field_that_holds_it():
    with pytest.raises(ReaderError, match="field 'updated_at': expected an ISO 8601 time, got '12/3'"):
        Memory.from_dict({"path": "/ci.md", "content": "x", "updated_at": "12/3"})
    with pytest.raises(ReaderError, match="field 'created_at': expected an ISO 8601 time, got 'soon'"):
        Memory.from_dict({"path": "/ci.md", "content": "x", "created_at": "soon", "updated_at": "2025-01-01"})


def test_memory_to_dict_is_the_platform_shape_with_content_sha256(tiny_store):
    style = tiny_store.by_path["/coding/style.md"]
    out = style.to_dict()
    assert out["type"] == "memory"
    assert out["content_sha256"] == style.sha256 and len(out["content_sha256"]) == 64
    assert out["content_size_bytes"] == len(style.content.encode())
    assert out["created_at"] == "2025-03-02T09:14:07.250000Z"
    assert out["memory_version_id"] == "memver_01JVB0C2D4F6H8J0K2M4N6P8Q0"
    assert Memory.from_dict(out) == style


def test_duplicate_memory_paths_are_refused_naming_both_places():
    first = Memory.from_dict({"path": "/ci.md", "content": "a"}, origin="store.jsonl:3")
    second = Memory.from_dict({"id": "mem_2", "path": "/ci.md", "content": "b"}, origin="store.jsonl:9")
    with pytest.raises(ReaderError, match=r"store.jsonl:9: field 'path': duplicate memory path '/ci.md' \(first at store.jsonl:3\)"):
        Store((first, second))


def test_duplicate_memory_ids_are_refused_because_note_ids_would_collide():
    first = Memory.from_dict({"id": "mem_1", "path": "/ci.md", "content": "a"}, origin="store.jsonl:3")
    second = Memory.from_dict({"id": "mem_1", "path": "/team.md", "content": "b"}, origin="store.jsonl:4")
    with pytest.raises(ReaderError, match=r"duplicate memory id 'mem_1' \(first at store.jsonl:3\)"):
        Store((first, second))


def test_the_store_digest_depends_on_paths_and_contents_only(tiny_store):
    shuffled = Store(tuple(reversed(tiny_store.memories)), name="other")
    assert shuffled.digest == tiny_store.digest
    changed = Store(tiny_store.memories[:-1])
    assert changed.digest != tiny_store.digest


# --- splitting a document into notes ----------------------------------------------------------


NOTE_SHAPES = [
    pytest.param(
        "- Format with ruff.\n* Type hints everywhere.\n+ Prefer pathlib\n  over os.path.\n- [x] Drop Python 3.9\n",
        [("bullet", "", "Format with ruff."), ("bullet", "", "Type hints everywhere."),
         ("bullet", "", "Prefer pathlib over os.path."), ("bullet", "", "Drop Python 3.9")],
        id="bullets, a continuation line and a checkbox",
    ),
    pytest.param(
        "1. Write the failing test.\n2) Fix the bug.\n10. Ask Dana to review.\n",
        [("numbered", "", "Write the failing test."), ("numbered", "", "Fix the bug."),
         ("numbered", "", "Ask Dana to review.")],
        id="numbered items",
    ),
    pytest.param(
        "Runner: GitHub Actions, ubuntu-24.04\nPython versions: 3.11 and 3.12\nCache key: hash of uv.lock\n",
        [("field", "", "Runner: GitHub Actions, ubuntu-24.04"), ("field", "", "Python versions: 3.11 and 3.12"),
         ("field", "", "Cache key: hash of uv.lock")],
        id="Key: value lines",
    ),
    pytest.param(
        "Dana Okafor leads the payments squad.\nShe reviews every migration.\n\nLuis owns the CI runners.\n",
        [("paragraph", "", "Dana Okafor leads the payments squad. She reviews every migration."),
         ("paragraph", "", "Luis owns the CI runners.")],
        id="paragraphs joined across lines",
    ),
    pytest.param(
        "# Code style\n\n## Python\n\n- Use ruff.\n\n## Reviews\n\n- Small PRs.\n\n# Team\n\nDana reviews migrations.\n",
        [("bullet", "Code style / Python", "Use ruff."), ("bullet", "Code style / Reviews", "Small PRs."),
         ("paragraph", "Team", "Dana reviews migrations.")],
        id="headed sections",
    ),
    pytest.param(
        "# CI\n\n```yaml\n- run: uv run pytest -q\n\n- run: ruff check\n```\n- Keep the cache warm.\n",
        [("code", "CI", "```yaml\n- run: uv run pytest -q\n\n- run: ruff check\n```"),
         ("bullet", "CI", "Keep the cache warm.")],
        id="a fenced code block stays whole",
    ),
    pytest.param(
        "# CI\r\n\r\n- Pin time with freezegun.\r\n- Run on 3.12.\r\n",
        [("bullet", "CI", "Pin time with freezegun."), ("bullet", "CI", "Run on 3.12.")],
        id="CRLF line endings",
    ),
    pytest.param(
        "- Release notes go in CHANGES.md\u2028(one line per PR).\n- Tag releases vX.Y.Z.",
        [("bullet", "", "Release notes go in CHANGES.md\u2028(one line per PR)."),
         ("bullet", "", "Tag releases vX.Y.Z.")],
        id="a U+2028 inside a line does not end it",
    ),
    pytest.param("# Only a heading\n\n\n", [], id="a document with no facts"),
    pytest.param(
        "---\ntitle: Prefs\ntags: [a]\n---\n# Prefs\n\n- Use ruff.\n",
        [("bullet", "Prefs", "Use ruff.")],
        id="front matter is metadata, not a note",
    ),
    pytest.param(
        "> Always pin versions.\n> Even in scripts.\n\n| tool | version |\n|---|---|\n| ruff | 0.6 |\n",
        [("quote", "", "Always pin versions. Even in scripts."),
         ("table", "", "| tool | version |\n|---|---|\n| ruff | 0.6 |")],
        id="a block quote and a whole table",
    ),
    pytest.param(
        "- Deploys\n  - Use staging first.\n- Reviews\n  - Use staging first.\n",
        [("bullet", "", "Deploys"), ("bullet", "", "Use staging first."), ("bullet", "", "Reviews"),
         ("bullet", "", "Use staging first.")],
        id="nested items",
    ),
]


@pytest.mark.parametrize("content, expected", NOTE_SHAPES)
def test_split_notes_finds_one_note_per_fact(content, expected):
    assert notes_of(content) == expected


def test_identical_children_of_different_parents_carry_their_parents():
    notes = split_notes(memory("- Deploys\n  - Use staging first.\n- Reviews\n  - Use staging first.\n"))
    assert [(n.parents, n.parent) for n in notes] == [
        ((), None), (("Deploys",), notes[0].id), ((), None), (("Reviews",), notes[2].id)]
    assert notes[1].context == ("Deploys",) and notes[3].context == ("Reviews",)


def test_note_ids_are_the_memory_id_and_the_position(tiny_store):
    style = tiny_store.by_path["/coding/style.md"]
    notes = split_notes(style)
    assert [n.id for n in notes] == [f"mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K#{i}" for i in range(4)]
    assert {(n.memory_id, n.path, n.created_at, n.updated_at) for n in notes} == {
        (style.id, style.path, style.created_at, style.updated_at)
    }


def test_each_note_span_covers_its_lines_in_the_document(tiny_store):
    for m in tiny_store.memories:
        for note in split_notes(m):
            span = m.content[note.start:note.end]
            assert note.text.split()[-1] in span
            assert "\n" not in span[-1:] and "\r" not in span[-1:]


def test_provenance_kept_in_meta_becomes_the_evidence_of_the_note(tiny_store):
    friday = [n for n in tiny_store.notes if "Friday" in n.text]
    assert [n.evidence for n in friday] == [("sevt_01JT2M0000000000000000002",)]
    assert all(n.evidence == () for n in tiny_store.notes if n not in friday)


# --- writing notes back -----------------------------------------------------------------------

STYLE = (
    "# Code style\n\n"
    "- Format with black.\n"
    "- Type hints on every public function.\n\n"
    "1. Every bug fix comes with a failing test first.\n"
    "Runner: GitHub Actions\n"
)


def test_replacing_a_bullet_keeps_its_marker_and_every_other_byte():
    notes = split_notes(memory(STYLE))
    out = rewrite_content(STYLE, notes, {notes[0].id: "Format with `ruff format`."})
    assert out == STYLE.replace("- Format with black.", "- Format with `ruff format`.")


def test_replacing_a_numbered_item_or_field_keeps_the_number_and_replaces_the_whole_line():
    notes = split_notes(memory(STYLE))
    out = rewrite_content(STYLE, notes, {notes[2].id: "Bug fixes need a test.", notes[3].id: "Runner: Buildkite"})
    assert out == STYLE.replace("1. Every bug fix comes with a failing test first.", "1. Bug fixes need a test.").replace(
        "Runner: GitHub Actions", "Runner: Buildkite"
    )


def test_dropping_a_note_removes_its_line_and_nothing_else():
    notes = split_notes(memory(STYLE))
    out = rewrite_content(STYLE, notes, {notes[1].id: None})
    assert out == STYLE.replace("- Type hints on every public function.\n", "")


def test_dropping_a_note_from_a_crlf_document_leaves_no_blank_line():
    content = "- Pin time with freezegun.\r\n- Run on 3.10.\r\n- Cache uv.\r\n"
    notes = split_notes(memory(content))
    assert rewrite_content(content, notes, {notes[1].id: None}) == "- Pin time with freezegun.\r\n- Cache uv.\r\n"


def test_replacing_a_note_next_to_a_line_separator_keeps_the_neighbour():
    content = "- Release notes in CHANGES.md\u2028(one line per PR).\n- Tag releases vX.Y.Z.\n"
    notes = split_notes(memory(content))
    out = rewrite_content(content, notes, {notes[1].id: "Tag releases with `make tag`."})
    assert out == "- Release notes in CHANGES.md\u2028(one line per PR).\n- Tag releases with `make tag`.\n"


def test_replacing_a_code_block_replaces_the_fences_too():
    content = "Deploy with:\n\n```sh\nmake deploy\n```\n\nThen watch the dashboard.\n"
    notes = split_notes(memory(content))
    out = rewrite_content(content, notes, {notes[1].id: "```sh\nmake deploy SERVICE=payments\n```"})
    assert out == content.replace("make deploy\n", "make deploy SERVICE=payments\n")


def test_nothing_to_change_gives_back_the_same_bytes(tiny_store):
    for m in tiny_store.memories:
        assert rewrite_content(m.content, split_notes(m), {}) == m.content


@pytest.mark.parametrize(
    "content, expected",
    [
        ("- Use ruff.\n", "- Use ruff.\n- Pin freezegun.\n- Run on 3.12.\n"),
        ("- Use ruff.", "- Use ruff.\n- Pin freezegun.\n- Run on 3.12.\n"),
        ("Dana reviews migrations.\n", "Dana reviews migrations.\n\n- Pin freezegun.\n- Run on 3.12.\n"),
        ("# CI\n\n", "# CI\n\n- Pin freezegun.\n- Run on 3.12.\n"),
        ("", "- Pin freezegun.\n- Run on 3.12.\n"),
        ("# CI\r\n\r\nRunner: Buildkite\r\n", "# CI\r\n\r\nRunner: Buildkite\r\n\r\n- Pin freezegun.\r\n- Run on 3.12.\r\n"),
    ],
    ids=["after bullets", "no final newline", "after a paragraph", "after a heading", "empty", "CRLF"],
)
def test_additions_are_appended_as_bullets(content, expected):
    notes = split_notes(memory(content))
    assert rewrite_content(content, notes, {}, ["Pin freezegun. ", "Run on 3.12."]) == expected


# --- the corpus -------------------------------------------------------------------------------


def corpus_of(store: Store) -> Corpus:
    at = datetime(2025, 5, 19, 16, 21, tzinfo=timezone.utc)
    turns = (
        Turn("sevt_1", "sesn_refund", "user", "payments CI failed again", at, 0),
        Turn("sevt_2", "sesn_refund", "agent", "The test reads the wall clock.", at.replace(minute=22), 1),
    )
    return Corpus(store, (Session("sesn_refund", at, "Fix the flaky refund test", turns),))


def test_the_summary_counts_memories_notes_sessions_and_turns(tiny_store):
    summary = corpus_of(tiny_store).summary()
    assert summary["memories"] == 4
    assert summary["notes"] == len(tiny_store.notes) == 4 + 3 + 2 + 2
    assert (summary["sessions"], summary["turns"]) == (1, 2)
    assert summary["notes_per_memory"] == {"min": 2, "median": 3, "max": 4}
    assert summary["first"] == "2025-03-01T17:45:00Z"
    assert summary["last"] == "2025-05-19T16:40:02.918311Z"
    assert summary["largest"][0]["path"] == "/coding/style.md"


def test_to_frames_gives_one_frame_per_record_kind_indexed_by_id(tiny_store):
    frames = corpus_of(tiny_store).to_frames()
    expected = {
        "memories": ["path", "notes", "bytes", "created_at", "updated_at", "content"],
        "notes": ["memory_id", "path", "position", "kind", "section", "text", "created_at", "updated_at", "evidence"],
        "sessions": ["title", "started_at", "ended_at", "turns", "origin"],
        "turns": ["session_id", "position", "role", "at", "text"],
    }
    assert set(frames) == set(expected)
    for name, columns in expected.items():
        assert isinstance(frames[name], pd.DataFrame)
        assert list(frames[name].columns) == columns, name
        assert frames[name].index.name == "id"
    memories = frames["memories"]
    assert list(memories.index) == [m.id for m in tiny_store.memories]
    assert memories.loc["mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K", "notes"] == 4
    assert memories["notes"].sum() == len(frames["notes"])
    assert frames["notes"].loc["mem_01JQ7Z4D4E5F6G7H8J9K0M1N2P#1", "evidence"] == ["sevt_01JT2M0000000000000000002"]
    assert frames["sessions"].loc["sesn_refund", "turns"] == 2
    assert list(frames["turns"]["role"]) == ["user", "agent"]


def test_to_frames_of_an_empty_corpus_still_has_the_columns():
    frames = Corpus(Store(())).to_frames()
    assert all(len(frame) == 0 for frame in frames.values())
    assert "updated_at" in frames["memories"].columns and "text" in frames["turns"].columns
