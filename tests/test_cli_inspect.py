"""`workbench inspect`: the same numbers as the Python API, and one clear line on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.io import load_corpus

DATA = Path(__file__).parent / "data"
SESSIONS = DATA / "sessions" / "platform"


def test_inspect_json_prints_the_counts_of_the_python_api(store_dir, capsys):
    assert main(["inspect", str(store_dir), "--sessions", str(SESSIONS), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    summary = load_corpus(store_dir, SESSIONS).summary()
    assert (printed["memories"], printed["notes"], printed["sessions"]) == (4, 11, 3)
    assert printed == json.loads(json.dumps(summary))


def test_inspect_json_works_on_every_store_format(capsys):
    for name in ("memory_dir", "managed_agents_store.json", "memories.jsonl", "mem0_export.json", "memories.csv"):
        store = DATA / "stores" / name
        assert main(["inspect", str(store), "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["memories"] == len(load_corpus(store).memories), name
        assert printed["sessions"] == 0


def test_inspect_takes_several_session_paths_and_a_named_format(tmp_path, capsys):
    events = tmp_path / "events.txt"
    events.write_text((SESSIONS / "ledger_migration_events.json").read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["inspect", str(DATA / "stores" / "memories.csv"), "--sessions", str(SESSIONS / "sesn_cli_review.json"),
            str(events), "--sessions-format", "managed-agents-session", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["sessions"], printed["turns"]) == (2, 5)


def test_inspect_without_json_prints_a_short_human_summary(store_dir, tiny_store, capsys):
    assert main(["inspect", str(store_dir), "--sessions", str(SESSIONS)]) == 0
    out = capsys.readouterr().out
    size = sum(len(m.content.encode()) for m in tiny_store.memories)
    assert out.splitlines()[0] == f"4 memories, 11 notes, 3 sessions, 12 turns, {size} bytes"
    assert "time span: 2025-03-01T17:45:00Z .. 2025-05-19T16:40:02.918311Z" in out
    assert "/coding/style.md" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["inspect", "{stores}/nope"], r"nope: no such file or directory"),
        (["inspect", "{bad}"], r"bad.jsonl:2: malformed JSON"),
        (["inspect", "{stores}/memories.csv", "--store-format", "yaml"], r"unknown format 'yaml'; known formats: "),
        (["inspect", "{stores}/memories.csv", "--sessions", "{stores}/memory_dir"], r"no session files"),
        (["inspect", "{stores}/managed_agents_store.json", "--store-format", "directory", "--json"],
         r"format 'directory' reads a folder; this is a file \(sniffed: managed-agents-store\)"),
        (["inspect", "{stores}/memory_dir", "--store-format", "memories-jsonl"],
         r"format 'memories-jsonl' reads a file; this is a folder \(sniffed: directory\)"),
    ],
    ids=["missing store", "malformed store", "unknown format", "no sessions", "folder format for a file",
         "file format for a folder"],
)
def test_bad_input_prints_one_error_line_and_returns_2(tmp_path, capsys, argv, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"path": "/ci.md", "content": "x"}\n{"path": "/team.md",\n', encoding="utf-8")
    argv = [a.format(stores=DATA / "stores", bad=bad) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("workbench: error: ")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert re.search(message, captured.err)


def test_the_console_script_exits_with_status_2_on_bad_input(tmp_path):
    missing = tmp_path / "no-such-store"
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "inspect", str(missing), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"workbench: error: {missing}: no such file or directory\n"
