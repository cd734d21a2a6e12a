"""`workbench.files`: the one atomic writer and the one way an outside name becomes a file name."""

from __future__ import annotations

import os

import pytest

from workbench import files
from workbench.errors import WorkbenchError


@pytest.mark.parametrize("name, why", [
    ("", "empty"), (".", "cannot be a file name"), ("..", "cannot be a file name"),
    ("../../ESCAPED", "separator"), ("a/b", "separator"), ("a\\b", "separator"), ("a\x00b", "NUL"),
    ("line\nbreak", "control character"), ("x" * 256, "at most 255"), ("é" * 128, "at most 255"),
    (5, "not text"), (None, "not text"), ("\udcff.json", "control character"),
])
def test_safe_name_refuses_what_could_escape_or_break_a_file_name(name, why):
    with pytest.raises(WorkbenchError, match=why):
        files.safe_name(name, what="session id")


@pytest.mark.parametrize("name", ["sesn_01JVB0A9R3KX7Q2W5E8T1Y4U6I", "notes.md", "x" * 255, "café notes.md"])
def test_safe_name_accepts_ordinary_names(name):
    assert files.safe_name(name) == name


def test_quote_escapes_newlines_so_an_error_stays_on_one_line():
    assert files.quote("bad\nname.md") == "bad\\nname.md"


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "plan.json"
    target.write_text("old\n", encoding="utf-8")

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="No space left"):
        files.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_folder_or_link_at_the_target_is_never_replaced_by_a_file(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("keep\n", encoding="utf-8")
    with pytest.raises(OSError):
        files.write_text(tmp_path / "out", "x")
    os.symlink(tmp_path / "elsewhere.txt", tmp_path / "link.json")
    with pytest.raises(OSError):
        files.write_text(tmp_path / "link.json", "x")
    assert (tmp_path / "out" / "keep.txt").read_text(encoding="utf-8") == "keep\n"
    assert not (tmp_path / "elsewhere.txt").exists()


def test_swap_in_refuses_an_existing_target_unless_told_it_may_replace_it(tmp_path):
    target = tmp_path / "snap"
    target.mkdir()
    (target / "a.md").write_text("old\n", encoding="utf-8")
    with files.staged_folder(target) as staging:
        (staging / "new").mkdir()
        (staging / "new" / "a.md").write_text("new\n", encoding="utf-8")
        with pytest.raises(FileExistsError):
            files.swap_in(staging / "new", target)
        files.swap_in(staging / "new", target, replace=lambda t: True)
    assert (target / "a.md").read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_the_package_binds_its_public_names_lazily_and_dream_stays_the_function():
    import workbench
    import workbench.dream.plan  # noqa: F401  (importing the subpackage must not shadow the function)

    assert callable(workbench.dream) and workbench.dream.__module__ == "workbench.dream"
    assert workbench.Plan is workbench.dream.__globals__["Plan"]
    assert sorted(workbench.__all__) == sorted(set(workbench.__all__))
    assert all(getattr(workbench, name) is not None for name in workbench.__all__)
