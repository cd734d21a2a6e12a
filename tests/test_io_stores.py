"""Memory-store readers: every format on a real-shaped example, sniffing, and each bad input refused."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import ReaderError, UnknownNameError
from workbench.io import get_reader, load_sessions, load_store, readers, sniff

STORES = Path(__file__).parent / "data" / "stores"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def line_of_item(text: str, inside: str) -> int:
    """The line of the `{` that opens the JSON object holding `inside`."""
    return text.count("\n", 0, text.rindex("{", 0, text.index(inside))) + 1


def refused(path: Path, match: str, **options) -> None:
    """Loading `path` raises a ReaderError matching `match` and returns nothing."""
    result = None
    with pytest.raises(ReaderError, match=match):
        result = load_store(path, **options)
    assert result is None


# --- each format on a real-shaped example -----------------------------------------------------


def test_a_directory_of_files_at_any_depth_becomes_absolute_paths():
    store = load_store(STORES / "memory_dir")
    assert [m.path for m in store.memories] == [
        "/coding/ci.md", "/coding/style.md", "/projects/payments/deploy.md", "/team/people.md",
    ]
    deploy = store.by_path["/projects/payments/deploy.md"]
    assert deploy.content == (STORES / "memory_dir/projects/payments/deploy.md").read_text(encoding="utf-8")
    assert deploy.updated_at.tzinfo is timezone.utc
    assert store.name == "memory_dir"
    assert [n.section for n in store.notes if n.path == "/coding/style.md"][-1] == "Code style / Reviews"


def test_a_directory_store_skips_hidden_files_and_folders(tmp_path):
    write(tmp_path / "mem", "coding/style.md", "- Use ruff.\n")
    write(tmp_path / "mem", ".DS_Store", b"\x00\x01binary")
    write(tmp_path / "mem", ".git/HEAD", "ref: refs/heads/main\n")
    store = load_store(tmp_path / "mem")
    assert [m.path for m in store.memories] == ["/coding/style.md"]


def test_a_directory_store_without_a_sidecar_takes_ids_from_paths_and_times_from_the_files(tmp_path):
    path = write(tmp_path / "mem", "team/people.md", "Dana Okafor reviews every migration.\n")
    os.utime(path, (1_747_670_402.5, 1_747_670_402.5))
    first, again = load_store(tmp_path / "mem"), load_store(tmp_path / "mem")
    (memory,) = first.memories
    assert memory.id == again.memories[0].id and memory.id.startswith("mem_")
    assert memory.updated_at == memory.created_at == datetime.fromtimestamp(1_747_670_402.5, tz=timezone.utc)


def test_the_managed_agents_store_json_loads_unchanged():
    store = load_store(STORES / "managed_agents_store.json")
    assert (store.id, store.name) == ("memstore_01JQ7Z3K8V6W2Y4X9A5B7C1D3E", "acme-coding-assistant")
    raw = json.loads((STORES / "managed_agents_store.json").read_text(encoding="utf-8"))
    for memory, item in zip(store.memories, raw["memories"], strict=True):
        assert (memory.id, memory.path, memory.content) == (item["id"], item["path"], item["content"])
        assert memory.sha256 == item["content_sha256"]
        assert memory.version_id == item["memory_version_id"]
    assert store.memories[0].updated_at == utc(2025, 5, 19, 16, 40, 2, 918311)
    assert [v["operation"] for v in store.versions] == ["created", "modified"]
    assert store.memories[1].origin.endswith("managed_agents_store.json:20")  # the line of its `{`


def test_json_lines_of_memories_load_one_memory_per_line():
    store = load_store(STORES / "memories.jsonl")
    assert [m.path for m in store.memories] == ["/coding/ci.md", "/team/people.md", "/projects/payments/deploy.md"]
    ci, people, deploy = store.memories
    assert ci.id == "mem_ci_runner" and ci.updated_at == utc(2025, 4, 1, 12, 30, 0, 500000)
    assert people.created_at == utc(2025, 2, 11, 9, 0)  # +01:00 read as UTC
    assert deploy.author == "dana"
    assert people.origin.endswith("memories.jsonl:2")


def test_json_lines_split_only_on_newlines_so_u2028_inside_a_string_is_content(tmp_path):
    rows = [{"path": "/ci.md", "content": "Runner: Buildkite\u2028(since May)\n"}, {"path": "/team.md", "content": "x"}]
    path = write(tmp_path, "store.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    store = load_store(path)
    assert store.memories[0].content == "Runner: Buildkite\u2028(since May)\n"
    assert store.memories[1].origin.endswith("store.jsonl:2")


def test_a_mem0_export_becomes_one_document_per_memory_under_its_user():
    store = load_store(STORES / "mem0_export.json")
    fixtures, matrix = store.memories
    assert fixtures.id == "9f1c6c1e-3b0a-4a53-9d0f-5a2b7c8e1f20"
    assert fixtures.path == "/mem0/dana/9f1c6c1e-3b0a-4a53-9d0f-5a2b7c8e1f20.md"
    assert fixtures.content == "Prefers pytest fixtures over unittest setUp methods\n"
    assert fixtures.created_at == utc(2025, 3, 2, 18, 15, 0, 123456)
    assert fixtures.updated_at == utc(2025, 4, 11, 15, 3, 12, 654321)
    assert fixtures.meta == {
        "user_id": "dana", "hash": "5d41402abc4b2a76b9719d911017c592", "categories": ["code_style"],
        "metadata": {"source": "code review", "repo": "acme/payments"},
    }
    assert matrix.updated_at == matrix.created_at  # mem0 writes null until the first update


def test_a_csv_with_path_content_updated_at_columns_keeps_multiline_content():
    store = load_store(STORES / "memories.csv")
    style, ci, people = store.memories
    assert style.content == (
        "# Code style\n\n- Format with `ruff format`; line length is 100.\n- Type hints on every public function.\n"
    )
    assert style.updated_at == style.created_at == utc(2025, 5, 19, 16, 40, 2)
    assert people.content == 'Dana Okafor leads the payments squad, "reviews" every migration.\n'
    assert people.updated_at == utc(2025, 3, 4, 13, 0)
    assert ci.origin.endswith("memories.csv:7")  # the first row spans lines 2-6


def test_a_parquet_table_with_the_same_columns_loads_the_same_memories(tmp_path):
    from_csv = load_store(STORES / "memories.csv")
    frame = pd.DataFrame(
        {
            "path": [m.path for m in from_csv.memories],
            "content": [m.content for m in from_csv.memories],
            "updated_at": pd.to_datetime([m.updated_at for m in from_csv.memories], utc=True),
        }
    )
    frame.to_parquet(tmp_path / "memories.parquet")
    store = load_store(tmp_path / "memories.parquet")
    assert [(m.id, m.path, m.content, m.updated_at) for m in store.memories] == [
        (m.id, m.path, m.content, m.updated_at) for m in from_csv.memories
    ]


# --- choosing the reader ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reader",
    [
        ("memory_dir", "directory"),
        ("managed_agents_store.json", "managed-agents-store"),
        ("memories.jsonl", "memories-jsonl"),
        ("mem0_export.json", "mem0"),
        ("memories.csv", "csv"),
    ],
)
def test_sniffing_picks_the_reader_that_fits_the_content(name, reader):
    assert sniff(STORES / name, "memories").name == reader


def test_sniffing_reads_content_not_the_file_name(tmp_path):
    renamed = write(tmp_path, "export.txt", (STORES / "memories.jsonl").read_text(encoding="utf-8"))
    assert sniff(renamed, "memories").name == "memories-jsonl"
    parquet = tmp_path / "table.bin"
    pd.DataFrame({"path": ["/ci.md"], "content": ["x"], "updated_at": ["2025-01-01"]}).to_parquet(parquet)
    assert sniff(parquet, "memories").name == "parquet"


def test_a_named_format_overrides_sniffing(tmp_path):
    table = write(tmp_path, "memories.txt", (STORES / "memories.csv").read_text(encoding="utf-8"))
    refused(table, r"cannot tell which format holds memories; name it with format=\.\.\. \(one of: .*csv")
    assert [m.path for m in load_store(table, format="csv").memories] == [
        "/coding/style.md", "/coding/ci.md", "/team/people.md",
    ]


def test_an_unknown_format_name_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"unknown format 'yaml'; known formats: .*directory.*mem0") as info:
        load_store(STORES / "memories.jsonl", format="yaml")
    assert isinstance(info.value, KeyError)
    for name in ("csv", "directory", "managed-agents-store", "memories-jsonl", "parquet"):
        assert name in str(info.value)
    with pytest.raises(UnknownNameError):
        get_reader("yaml")


def test_every_store_reader_is_registered_with_a_description():
    stores = {name for name, reader in readers().items() if "memories" in reader.provides}
    assert {"directory", "managed-agents-store", "memories-jsonl", "mem0", "csv", "parquet"} <= stores
    assert all(readers()[name].description for name in stores)


def test_a_format_that_holds_no_store_is_refused():
    refused(Path(__file__).parent / "data" / "sessions" / "platform" / "sesn_cli_review.json",
            "format 'managed-agents-session' holds no memory store", format="managed-agents-session")


SAMPLE = Path(__file__).parents[1] / "sample-data" / "coding-assistant"


@pytest.mark.parametrize("path, format, message", [
    (SAMPLE / "store.json", "directory", "format 'directory' reads a folder; this is a file (sniffed: managed-agents-store)"),
    (SAMPLE / "store.json", "claude-memory", "format 'claude-memory' reads a folder; this is a file (sniffed: managed-agents-store)"),
    (SAMPLE, "managed-agents-store", "format 'managed-agents-store' reads a file; this is a folder (sniffed: directory)"),
    *[(SAMPLE / "sessions", name, f"format {name!r} reads a file; this is a folder (sniffed: directory)")
      for name in ("memories-jsonl", "mem0", "csv", "parquet", "letta-agent", "locomo")],
])
def test_a_named_format_that_reads_a_file_given_a_folder_or_the_reverse_is_one_line_naming_what_was_sniffed(
        path, format, message):
    refused(path, "^" + re.escape(f"{path}: {message}") + "$", format=format)


def test_every_built_in_reader_says_whether_it_reads_a_file_or_a_folder():
    assert all(reader.reads for reader in readers().values())
    assert readers()["claude-md"].reads == ("file", "folder")  # one CLAUDE.md, or every one under a project


def test_a_named_sessions_format_that_holds_no_sessions_is_refused_naming_what_was_sniffed():
    with pytest.raises(ReaderError, match=r"format 'directory' holds no sessions, only memories "
                                          r"\(sniffed: managed-agents-session\)"):
        load_sessions(SAMPLE / "sessions", format="directory")


# --- bad input: one clear error, nothing loaded -----------------------------------------------


def test_a_missing_file_is_named():
    refused(STORES / "nope.json", r"nope.json: no such file or directory")


def test_malformed_json_names_the_file_and_line(tmp_path):
    text = (STORES / "managed_agents_store.json").read_text(encoding="utf-8")
    broken = write(tmp_path, "store.json", text.replace('"path": "/coding/ci.md",', '"path": "/coding/ci.md"', 1))
    line = text[: text.index('"path": "/coding/ci.md"')].count("\n") + 2
    refused(broken, rf"store.json:{line}: malformed JSON: Expecting ',' delimiter")


def test_a_malformed_json_lines_line_is_named(tmp_path):
    lines = (STORES / "memories.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:-1]
    refused(write(tmp_path, "store.jsonl", "\n".join(lines) + "\n"), r"store.jsonl:2: malformed JSON")


def test_a_missing_field_in_a_store_json_names_the_field_and_the_line_of_the_item(tmp_path):
    data = json.loads((STORES / "managed_agents_store.json").read_text(encoding="utf-8"))
    del data["memories"][2]["content"]
    text = json.dumps(data, indent=2)
    line = line_of_item(text, '"id": "mem_01JQ7Z4C3D4E5F6G7H8J9K0M1N"')
    refused(write(tmp_path, "store.json", text), rf"store.json:{line}: field 'memories\[2\].content': missing")


def test_a_store_json_without_memories_is_refused(tmp_path):
    refused(write(tmp_path, "store.json", '{"type": "memory_store", "id": "memstore_1"}'),
            r"store.json: field 'memories': missing")


def test_a_missing_field_in_json_lines_names_the_field_and_the_line(tmp_path):
    text = '{"path": "/ci.md", "content": "Runner: Buildkite\\n"}\n\n{"content": "- Use ruff.\\n"}\n'
    refused(write(tmp_path, "store.jsonl", text), r"store.jsonl:3: field 'path': missing")


def test_a_mem0_item_without_its_memory_text_names_the_item_and_line(tmp_path):
    data = json.loads((STORES / "mem0_export.json").read_text(encoding="utf-8"))
    del data["results"][1]["memory"]
    text = json.dumps(data, indent=2)
    line = line_of_item(text, '"id": "2b7e4d90')
    refused(write(tmp_path, "mem0.json", text), rf"mem0.json:{line}: field 'results\[1\].memory': missing")


def test_the_item_line_is_found_even_when_a_value_spells_the_key(tmp_path):
    text = (
        '{"type": "memory_store", "name": "memories", "tags": ["team", "ci"],\n'
        ' "memories": [\n'
        '  {"path": "/ci.md", "content": "x"},\n'
        '  {"path": "/team.md", "content": "y", "updated_at": "last week"}\n'
        ']}\n'
    )
    refused(write(tmp_path, "store.json", text), r"store.json:4: field 'memories\[1\].updated_at'")


def test_a_bad_time_in_a_csv_names_the_row_line_after_multiline_cells(tmp_path):
    text = (STORES / "memories.csv").read_text(encoding="utf-8").replace("2025-03-04 13:00:00", "4 March")
    refused(write(tmp_path, "store.csv", text), r"store.csv:10: field 'updated_at': expected an ISO 8601 time, got '4 March'")


def test_a_csv_without_a_content_column_is_refused(tmp_path):
    refused(write(tmp_path, "store.csv", "path,text,updated_at\n/ci.md,x,2025-01-01\n"),
            r"store.csv:1: field 'content': missing column\(s\) content")


@pytest.mark.parametrize("name", ["store.jsonl", "store.json", "store.csv", "mem/coding/style.md"])
def test_non_utf8_bytes_name_the_line(tmp_path, name):
    bodies = {
        "store.jsonl": b'{"path": "/a.md", "content": "ok"}\n{"path": "/b.md", "content": "caf\xe9"}\n',
        "store.json": b'{"type": "memory_store",\n "memories": [\n {"path": "/b.md", "content": "caf\xe9"}]}',
        "store.csv": b"path,content,updated_at\n/a.md,ok,2025-01-01\n/b.md,caf\xe9,2025-01-01\n",
        "mem/coding/style.md": b"# Style\n\n- caf\xe9 au lait\n",
    }
    line = {"store.jsonl": 2, "store.json": 3, "store.csv": 3, "mem/coding/style.md": 3}[name]
    path = write(tmp_path, name, bodies[name])
    target = tmp_path / "mem" if name.startswith("mem/") else path
    refused(target, rf"{Path(name).name}:{line}: not valid UTF-8 \(byte 0xe9\)")


def test_a_byte_order_mark_does_not_shift_the_line_of_a_bad_byte(tmp_path):
    path = write(tmp_path, "store.jsonl", b'\xef\xbb\xbf{"path": "/a.md", "content": "ok"}\n{"path": "/b.md", "content": "\xff"}\n')
    refused(path, r"store.jsonl:2: not valid UTF-8 \(byte 0xff\)")


def test_duplicate_memory_paths_name_both_places(tmp_path):
    text = (
        '{"path": "/coding/ci.md", "content": "Runner: GitHub Actions\\n"}\n'
        '{"path": "/team/people.md", "content": "Dana reviews migrations.\\n"}\n'
        '{"id": "mem_ci_2", "path": "/coding/ci.md", "content": "Runner: Buildkite\\n"}\n'
    )
    path = write(tmp_path, "store.jsonl", text)
    refused(path, rf"store.jsonl:3: field 'path': duplicate memory path '/coding/ci.md' \(first at {path}:1\)")


@pytest.mark.parametrize(
    "path, message",
    [
        ("coding/ci.md", "memory path must start with '/'"),
        ("/coding/../../etc/passwd", "memory path must name a file inside the store"),
    ],
    ids=["not absolute", "escapes the store"],
)
def test_a_bad_memory_path_in_a_store_file_names_the_line(tmp_path, path, message):
    text = '{"path": "/team.md", "content": "x"}\n' + json.dumps({"path": path, "content": "Runner: Buildkite"}) + "\n"
    refused(write(tmp_path, "store.jsonl", text), rf"store.jsonl:2: field 'path': {message}")


def test_content_over_100_kb_is_refused_with_its_size(tmp_path):
    big = "- " + "pin freezegun " * 7314  # 102,398 bytes
    text = json.dumps({"path": "/ci.md", "content": big + "okay"}) + "\n"
    refused(write(tmp_path, "store.jsonl", text), r"store.jsonl:1: field 'content': memory /ci.md is 102,402 bytes; the limit is 102,400")
    assert len(load_store(write(tmp_path, "ok.jsonl", json.dumps({"path": "/ci.md", "content": big}))).memories[0].content.encode()) == 102_398


def test_a_directory_store_with_a_symlink_pointing_outside_is_refused(tmp_path):
    secret = write(tmp_path, "home/.ssh/config", "Host prod\n")
    write(tmp_path / "mem", "coding/style.md", "- Use ruff.\n")
    (tmp_path / "mem" / "coding" / "ssh.md").symlink_to(secret)
    refused(tmp_path / "mem", r"mem/coding/ssh.md: symbolic link points outside the store")


def test_a_directory_store_with_a_linked_folder_pointing_outside_is_refused(tmp_path):
    write(tmp_path, "elsewhere/notes.md", "- private\n")
    write(tmp_path / "mem", "coding/style.md", "- Use ruff.\n")
    (tmp_path / "mem" / "shared").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    refused(tmp_path / "mem", r"mem/shared: symbolic link points outside the store")


def test_links_that_stay_inside_the_store_are_allowed_and_a_broken_link_is_named(tmp_path):
    style = write(tmp_path / "mem", "coding/style.md", "- Use ruff.\n")
    (tmp_path / "mem" / "style-latest.md").symlink_to(style)
    store = load_store(tmp_path / "mem")
    assert store.by_path["/style-latest.md"].content == "- Use ruff.\n"
    (tmp_path / "mem" / "gone.md").symlink_to(tmp_path / "mem" / "deleted.md")
    refused(tmp_path / "mem", r"mem/gone.md: cannot read: No such file or directory")



def test_a_sidecar_linked_from_outside_the_store_is_refused_like_any_link_out(tmp_path):
    write(tmp_path / "mem", "a.md", "- x\n")
    elsewhere = write(tmp_path, "o/m.json", '{"memories": [], "id": "memstore_evil"}')
    (tmp_path / "mem" / ".workbench-store.json").symlink_to(elsewhere)
    refused(tmp_path / "mem", r"mem/\.workbench-store\.json: symbolic link points outside the store")


def test_a_sidecar_linked_inside_the_store_is_read_as_a_memory_link_is(tmp_path):
    write(tmp_path / "mem", "a.md", "- x\n")
    write(tmp_path / "mem", ".meta/sidecar.json", '{"memories": [], "id": "memstore_mine"}')
    (tmp_path / "mem" / ".workbench-store.json").symlink_to(tmp_path / "mem" / ".meta" / "sidecar.json")
    assert load_store(tmp_path / "mem").id == "memstore_mine"
