"""Times: notes dated from memory versions, tables without times refused or given a default, any script kept."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from workbench import dream
from workbench.cli import main
from workbench.errors import ReaderError
from workbench.io import load_corpus, load_store
from workbench.records import Memory, Store

T = datetime(2026, 1, 5, tzinfo=timezone.utc)


def at(day: int) -> str:
    return f"2026-01-{day:02d}T09:00:00Z"


def version(n: int, day: int, content: str | None, operation: str = "modified") -> dict:
    return {"type": "memory_version", "id": f"memver_{n}", "memory_id": "mem_ci", "operation": operation,
            "path": "/ci.md", "content": content, "created_at": at(day)}


CURRENT = "# CI\n\n- Runner: GitHub Actions\n- Python 3.12\n- Cache uv.lock\n"
HISTORY = [
    version(1, 2, "# CI\n\n- Runner: Jenkins\n- Cache uv.lock\n", "created"),
    version(2, 9, "# CI\n\n- Runner: GitHub Actions\n- Cache uv.lock\n"),
    version(3, 12, "# CI\n\n- Runner: GitHub Actions\n- Python 3.12\n"),  # the cache line dropped ...
    version(4, 20, None),  # listed without content: says nothing
    version(5, 21, CURRENT),  # ... and written again
]


def store_with(history: list[dict]) -> Store:
    memory = Memory(id="mem_ci", path="/ci.md", content=CURRENT, created_at=datetime(2026, 1, 2, 9, tzinfo=timezone.utc),
                    updated_at=datetime(2026, 1, 21, 9, tzinfo=timezone.utc))
    return Store((memory,), versions=tuple(history))


def test_each_note_is_dated_by_the_version_its_line_appeared_in_and_says_so():
    notes = {n.text: n for n in store_with(HISTORY).notes}
    runner, python, cache = notes["Runner: GitHub Actions"], notes["Python 3.12"], notes["Cache uv.lock"]
    assert (runner.updated_at.day, runner.dated_by) == (9, "memory_version:memver_2")
    assert (python.updated_at.day, python.dated_by) == (12, "memory_version:memver_3")
    assert (cache.updated_at.day, cache.dated_by) == (21, "memory_version:memver_5")  # since it came back
    assert runner.created_at == runner.updated_at


def test_without_versions_or_their_contents_notes_take_their_memorys_times():
    for history in ([], [dict(v, content=None) for v in HISTORY]):
        notes = store_with(history).notes
        assert {(n.updated_at.day, n.dated_by) for n in notes} == {(21, "memory")}


def test_a_history_that_does_not_reach_the_current_content_dates_nothing():
    for history in (HISTORY[:3], HISTORY[:4]):  # written after the last version the store shows
        assert {n.dated_by for n in store_with(history).notes} == {"memory"}
    assert {n.dated_by for n in store_with([*HISTORY, version(6, 25, None)]).notes} == {"memory"}


def test_versions_in_a_store_file_date_its_notes_and_bad_ones_name_their_line(tmp_path):
    body = {"type": "memory_store", "memories": [store_with([]).memories[0].to_dict()], "memory_versions": HISTORY}
    path = tmp_path / "store.json"
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    assert {n.dated_by for n in load_store(path).notes} == {"memory_version:memver_2", "memory_version:memver_3",
                                                            "memory_version:memver_5"}
    body["memory_versions"][1]["created_at"] = "last Tuesday"
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    with pytest.raises(ReaderError, match=r"store\.json:\d+: field 'memory_versions\[1\]\.created_at': expected an ISO 8601"):
        load_store(path)


def test_a_later_version_of_a_line_wins_a_conflict_inside_one_document(tmp_path):
    content = "# Team\n\n- Deploys are owned by Tomás.\n- Deploys are owned by Mei.\n"
    memory = Memory(id="mem_team", path="/team.md", content=content, created_at=T, updated_at=T)
    history = [{"id": "v1", "memory_id": "mem_team", "created_at": at(3), "content": "# Team\n\n- Deploys are owned by Mei.\n"},
               {"id": "v2", "memory_id": "mem_team", "created_at": at(10), "content": content}]
    corpus = load_corpus(Store((memory,), versions=tuple(history)))
    updates = [op for op in dream(corpus).operations if op.kind == "update"]
    assert [op.result.text for op in updates] == ["Deploys are owned by Tomás."]  # Mei's line is the older one


# --- tables without times ------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "memories.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_without_a_time_column_is_refused_naming_the_field(tmp_path):
    path = write_csv(tmp_path, "path,content\n/a.md,- Fact.\n")
    with pytest.raises(ReaderError, match=r"memories\.csv:1: field 'updated_at': missing column updated_at.*--default-time"):
        load_store(path)


def test_a_csv_row_without_a_time_is_refused_naming_its_line(tmp_path):
    path = write_csv(tmp_path, f"path,content,updated_at\n/a.md,- Fact.,{at(3)}\n/b.md,\"- Two\n- lines\",\n")
    with pytest.raises(ReaderError, match=r"memories\.csv:3: field 'updated_at': no time: the row has no updated_at"):
        load_store(path)


def test_default_time_dates_only_the_rows_without_one(tmp_path):
    path = write_csv(tmp_path, f"path,content,updated_at\n/a.md,- Fact.,{at(3)}\n/b.md,- Other.,\n")
    store = load_store(path, default_time="2025-12-31T00:00:00Z")
    assert [m.updated_at.isoformat() for m in store.memories] == ["2026-01-03T09:00:00+00:00", "2025-12-31T00:00:00+00:00"]
    frame = pd.DataFrame({"path": ["/a.md"], "content": ["- Fact.\n"]})
    frame.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(ReaderError, match=r"field 'updated_at': missing column updated_at"):
        load_store(tmp_path / "m.parquet")
    assert load_store(tmp_path / "m.parquet", default_time="2025-12-31").memories[0].updated_at.year == 2025


def test_default_time_from_the_command_line_and_where_it_does_not_apply(tmp_path, capsys):
    path = write_csv(tmp_path, "path,content\n/a.md,- Fact.\n")
    assert main(["inspect", str(path), "--json"]) == 2
    assert "--default-time" in capsys.readouterr().err
    assert main(["inspect", str(path), "--json", "--default-time", "2025-12-31"]) == 0
    assert json.loads(capsys.readouterr().out)["last"] == "2025-12-31T00:00:00Z"
    with pytest.raises(ReaderError, match="format 'letta-agent' takes no default_time"):
        load_store(Path(__file__).parent / "data" / "chat" / "letta_small.af", default_time="2025-12-31")
    with pytest.raises(ReaderError, match="field 'default_time': expected an ISO 8601 time"):
        load_store(path, default_time="soon")


# --- any script ----------------------------------------------------------------------------------


def test_chinese_and_japanese_notes_load_are_compared_and_kept(tmp_path):
    folder = tmp_path / "store"
    (folder / "zh").mkdir(parents=True)
    (folder / "zh" / "偏好.md").write_text("# 偏好\n\n- 用户每天早上喝绿茶。\n- 用户每天早上喝绿茶。\n- 用户住在上海。\n",
                                           encoding="utf-8")
    (folder / "ja.md").write_text("# 好み\n\n- ユーザーは毎朝コーヒーを飲む。\n- 東京の会社で働いている。\n", encoding="utf-8")
    corpus = load_corpus(folder)
    assert [n.text for n in corpus.notes] == ["ユーザーは毎朝コーヒーを飲む。", "東京の会社で働いている。",
                                              "用户每天早上喝绿茶。", "用户每天早上喝绿茶。", "用户住在上海。"]
    plan = dream(corpus)
    assert [(op.kind, op.reason) for op in plan.operations] == [("merge", "duplicate")]  # compared: the copy found
    kept = plan.output_store.notes
    assert [n.text for n in kept] == ["ユーザーは毎朝コーヒーを飲む。", "東京の会社で働いている。", "用户每天早上喝绿茶。",
                                      "用户住在上海。"]
