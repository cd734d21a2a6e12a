"""Claude Code memory: auto-memory folders (a MEMORY.md index and topic files) and CLAUDE.md files."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from io_plans import create, delete, delete_memory, export_all, update

from workbench import dream
from workbench.cli import main
from workbench.errors import ReaderError, ReaderWarning
from workbench.focus import Focus
from workbench.io import load_corpus, load_store, sniff, write_store
from workbench.verify import replay, verify_snapshot

DATA = Path(__file__).parent / "data" / "claude"
MEMORY = DATA / "memory"
PROJECT = DATA / "project"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the memory folder to edit."""
    return Path(shutil.copytree(MEMORY, tmp_path / "memory"))


def link_entries(store) -> list[str]:
    return [line for line in store.by_path["/MEMORY.md"].content.splitlines() if line.startswith("- [")]


# --- reading -------------------------------------------------------------------------------------


def test_a_folder_with_memory_md_is_read_as_claude_memory_with_the_index_marked():
    assert sniff(MEMORY, "memories").name == "claude-memory"
    store = load_store(MEMORY)
    assert [m.path for m in store.memories] == ["/MEMORY.md", "/feedback_testing.md", "/project_deploy_freeze.md",
                                                 "/reference_grafana.md", "/user_role.md"]
    assert store.by_path["/MEMORY.md"].meta == {"index": True}
    assert store.by_path["/user_role.md"].meta["front_matter"] == {
        "name": "User role", "description": "Priya is a backend engineer on the payments team", "type": "user"}


def test_index_links_are_not_notes_but_other_lines_of_the_index_are():
    store = load_store(MEMORY)
    index_notes = [n.text for n in store.notes if n.path == "/MEMORY.md"]
    assert index_notes == ["Standup is at 09:30 Lisbon time."]
    assert not any(n.text.startswith(("name:", "type:", "---")) for n in store.notes)  # front matter is metadata
    assert store.by_path["/user_role.md"].content.startswith("---\nname: User role\n")  # and stays in the file


def test_no_plan_merges_prunes_or_updates_an_index_link():
    corpus = load_corpus(MEMORY)
    plan = dream(corpus, Focus(exclude=["payments team", "audit", "latency", "database", "backend engineer"]))
    assert plan.operations  # the duplicate bullet, and notes about excluded topics
    touched = {t.path for op in plan.operations for t in op.targets}
    assert "/MEMORY.md" not in touched or all(
        t.text == "Standup is at 09:30 Lisbon time." for op in plan.operations for t in op.targets if t.path == "/MEMORY.md")
    assert not any(t.text.startswith("[") for op in plan.operations for t in op.targets)


def test_a_link_to_a_missing_file_or_outside_the_folder_is_a_warning_naming_the_line(folder):
    index = folder / "MEMORY.md"
    index.write_text(index.read_text(encoding="utf-8") + "- [Gone](gone.md) — deleted by hand\n"
                     "- [Secrets](../../.ssh/config) — not memory\n- [Docs](https://example.com/x.md)\n",
                     encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = load_store(folder)
    messages = [str(w.message) for w in caught if issubclass(w.category, ReaderWarning)]
    assert messages == [f"{index}:11: link 'gone.md' names a file the folder does not hold",
                        f"{index}:12: link '../../.ssh/config' points outside the memory folder; it is not read"]
    assert len(store.memories) == 5


def test_the_command_line_prints_a_link_warning_as_one_line(folder, capsys):
    (folder / "user_role.md").unlink()
    assert main(["inspect", str(folder)]) == 0
    err = capsys.readouterr().err
    assert err.strip() == f"workbench: warning: {folder / 'MEMORY.md'}:3: link 'user_role.md' names a file the folder does not hold"


@pytest.mark.parametrize(("text", "message"), [
    ("---\nname: [unclosed\n---\nBody.\n", r"user_role\.md:2: field 'front_matter': malformed YAML front matter"),
    ("---\n- a list\n---\nBody.\n", r"user_role\.md:2: field 'front_matter': front matter is not a mapping"),
])
def test_malformed_front_matter_is_one_line_naming_file_line_and_field(folder, text, message):
    (folder / "user_role.md").write_text(text, encoding="utf-8")
    with pytest.raises(ReaderError, match=message):
        load_store(folder)


def test_claude_memory_named_on_a_folder_without_an_index_says_so(tmp_path):
    (tmp_path / "notes.md").write_text("- A note.\n", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"field 'MEMORY\.md': no MEMORY\.md index in the folder"):
        load_store(tmp_path, format="claude-memory")


# --- writing back --------------------------------------------------------------------------------


def curation(store):
    return [delete_memory(store, "/reference_grafana.md"), delete(store, "Run `pytest -x -q` before pushing."),
            update(store, "No production deploys", "No production deploys until the audit ends on 2026-04-09."),
            create("/feedback_reviews.md", "Ask Mei to review anything that touches the ledger.")]


def test_the_exported_index_drops_links_to_deleted_files_links_new_ones_and_keeps_the_rest(tmp_path):
    store = load_store(MEMORY)
    _, snapshot = export_all(store, curation(store), tmp_path / "snap")
    index = (tmp_path / "snap" / "memories" / "MEMORY.md").read_text(encoding="utf-8")
    before = store.by_path["/MEMORY.md"].content
    assert index == before.replace("- [Latency dashboard](reference_grafana.md) — where p99 latency alerts are graphed\n",
                                   "") + "- [Feedback reviews](feedback_reviews.md) — Ask Mei to review anything " \
                                         "that touches the ledger.\n"
    again = load_store(tmp_path / "snap" / "memories")
    linked = {line.split("(")[1].split(")")[0] for line in link_entries(again)}
    assert linked == {p.lstrip("/") for p in again.by_path if p != "/MEMORY.md"}  # every surviving file, no other
    assert verify_snapshot(snapshot.path).ok
    assert replay(snapshot.path, store).ok


def test_a_claude_store_survives_a_directory_round_trip_with_its_index_flag_and_front_matter(tmp_path):
    store = load_store(MEMORY)
    again = load_store(write_store(store, tmp_path / "copy"))
    assert again == store
    assert [dict(m.meta) for m in again.memories] == [dict(m.meta) for m in store.memories]
    assert again.notes == store.notes


# --- CLAUDE.md -----------------------------------------------------------------------------------


def test_a_claude_md_file_is_a_store_of_one_memory():
    assert sniff(PROJECT / "CLAUDE.md", "memories").name == "claude-md"
    store = load_store(PROJECT / "CLAUDE.md")
    assert [m.path for m in store.memories] == ["/CLAUDE.md"]
    assert "Money is stored as integer cents, never floats." in [n.text for n in store.notes]


def test_a_project_folder_named_claude_md_loads_every_claude_md_and_rule_and_nothing_else(tmp_path):
    store = load_store(PROJECT, format="claude-md")
    assert [m.path for m in store.memories] == ["/CLAUDE.local.md", "/CLAUDE.md", "/.claude/rules/testing.md",
                                                "/services/billing/CLAUDE.md"]
    assert store.by_path["/.claude/rules/testing.md"].meta["front_matter"] == {"paths": ["tests/**/*.py"]}
    again = load_store(write_store(store, tmp_path / "copy"))  # the hidden .claude folder comes back too
    assert again == store


def test_a_folder_without_claude_md_is_an_error(tmp_path):
    (tmp_path / "README.md").write_text("# Project\n", encoding="utf-8")
    with pytest.raises(ReaderError, match="no CLAUDE.md, CLAUDE.local.md or .claude/rules"):
        load_store(tmp_path, format="claude-md")
