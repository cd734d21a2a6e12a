"""Bad input of every shape is one line naming file, line and field, exit 2 — never a traceback or a hang.

The matrix runs `main()` in this process (fast); the cases where a process could hang or die
(a FIFO, JSON nested 100k deep, a huge number) also run the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from reliability import assert_one_line_error, cli, write_inputs

from workbench.cli import main
from workbench.export import export_snapshot
from workbench.io import load_sessions, load_store
from workbench.review import Review

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def one_line(capsys, argv: list[str], code: int = 2) -> str:
    """Run `workbench ARGV` here; it must exit `code` with one line on stderr (and not raise)."""
    assert main([str(a) for a in argv]) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("workbench: error: "), err
    return err


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    return write_inputs(tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="module")
def plan_data(good) -> dict:
    return json.loads(good["plan"].read_text(encoding="utf-8"))


def edited(data: dict, path: list, value) -> dict:
    """A deep copy of `data` with the value at `path` replaced."""
    data = json.loads(json.dumps(data))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


# --- plan.json --------------------------------------------------------------------------------

PLANS = {
    "a JSON list": ("[]", "not a workbench plan"),
    "a number": ("42", "not a workbench plan"),
    "empty": ("", "malformed JSON"),
    "half written": ('{"format": 1, "engine": "offline", "operations": [{"kind": "del', "malformed JSON"),
    "nested 100k deep": (DEEP, "nested too deeply"),
    "a 5,000-digit integer": ('{"format": 1, "engine": "x", "operations": [], "n": ' + HUGE + "}", "number is too large"),
    "operations a number": (["operations"], 5, "field 'operations'"),
    "an operation a number": (["operations", 0], 7, "field 'operations[0]'"),
    "a string confidence": (["operations", 0, "confidence"], "high", "field 'operations[0].confidence'"),
    "confidence 1e300": (["operations", 0, "confidence"], 1e300, "less than or equal to 1"),
    "confidence Infinity": (["operations", 0, "confidence"], float("inf"), "finite number"),
    "an unknown kind": (["operations", 1, "kind"], "explode", "field 'operations[1].kind'"),
    "targets an object": (["operations", 0, "targets"], {"id": "x"}, "field 'operations[0].targets'"),
    "a time of 1e300": (["output_store", "memories", 0, "updated_at"], 1e300, "output_store.memories[0].updated_at"),
    "a time of Infinity": (["output_store", "memories", 0, "created_at"], float("inf"), "created_at"),
    "a time of 10**30": (["output_store", "memories", 0, "updated_at"], 10**30, "time out of range"),
    "focus a string": (["focus"], "only style", "field 'focus'"),
    "a focus knob of the wrong type": (["focus", "horizon_days"], "soon", "field 'focus.horizon_days'"),
    "inputs a list": (["inputs"], [1, 2], "field 'inputs'"),
    "a memory path escaping the store": (["output_store", "memories", 0, "path"], "/../etc/passwd", "path"),
}


@pytest.mark.parametrize("case", PLANS)
def test_a_malformed_plan_is_one_line_with_file_line_and_field(case, plan_data, good, tmp_path, capsys):
    spec = PLANS[case]
    if len(spec) == 2:
        text, needle = spec
    else:
        path, value, needle = spec
        text = json.dumps(edited(plan_data, path, value), indent=2)
    bad = tmp_path / "plan.json"
    bad.write_text(text, encoding="utf-8")
    err = one_line(capsys, ["review", bad, "--approve-all", "--out", tmp_path / "d.json"])
    assert needle in err and f"{bad}" in err
    if len(spec) == 3:
        assert f"{bad}:" in err and err.split(f"{bad}:")[1].split(":")[0].isdigit()  # a line number
    assert not (tmp_path / "d.json").exists()


def test_a_plan_in_invalid_utf8_names_the_line(good, tmp_path, capsys):
    bad = tmp_path / "plan.json"
    bad.write_bytes(good["plan"].read_bytes().replace(b"Stale", b"St\xffle", 1))
    err = one_line(capsys, ["review", bad, "--approve-all", "--out", tmp_path / "d.json"])
    assert "not valid UTF-8" in err and f"{bad}:" in err


# --- decisions.json ---------------------------------------------------------------------------

DECISIONS = {
    "a JSON list": (None, "[]", "not a decisions file"),
    "a number": (None, "3", "not a decisions file"),
    "decisions a number": (["decisions"], 5, "field 'decisions'"),
    "a decision a string": (["decisions", 0], "approve", "field 'decisions[0]'"),
    "an unknown verdict": (["decisions", 0, "verdict"], "maybe", "field 'decisions[0].verdict'"),
    "a time of 1e300": (["decisions", 0, "at"], 1e300, "field 'decisions[0].at'"),
    "a time that is not a time": (["decisions", 0, "at"], "yesterday", "decisions[0].at"),
    "a guardrail share as text": (["guardrail", "max_deleted"], "lots", "field 'guardrail.max_deleted'"),
    "a guardrail share of Infinity": (["guardrail", "max_deleted"], float("inf"), "guardrail.max_deleted"),
    "a plan digest that is a number": (["plan_digest"], 42, "field 'plan_digest'"),
    "nested 100k deep": (None, DEEP, "nested too deeply"),
    "a 5,000-digit integer": (None, '{"plan_digest": ' + HUGE + "}", "number is too large"),
}


@pytest.mark.parametrize("case", DECISIONS)
def test_malformed_decisions_are_one_line(case, good, tmp_path, capsys):
    path, value, needle = DECISIONS[case]
    data = json.loads(good["decisions"].read_text(encoding="utf-8"))
    text = value if path is None else json.dumps(edited(data, path, value), indent=2)
    bad = tmp_path / "decisions.json"
    bad.write_text(text, encoding="utf-8")
    err = one_line(capsys, ["review", good["plan"], "--decisions", bad, "--approve-all", "--out", tmp_path / "out.json"])
    assert needle in err and str(bad) in err


# --- manifest.json ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest_text(good, tmp_path_factory) -> str:
    from workbench.dream.plan import Plan

    plan = Plan.from_json(good["plan"].read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("snap") / "snap"
    export_snapshot(load_store(good["store"]), plan, Review.load(plan, good["decisions"]), out,
                    allow_large_change=True)
    return (out / "manifest.json").read_text(encoding="utf-8")


MANIFESTS = {
    "a JSON list": (None, "[]", "expected a JSON object"),
    "nested 100k deep": (None, DEEP, "nested too deeply"),
    "a 5,000-digit integer": (None, '{"format_version": ' + HUGE + "}", "number is too large"),
    "files a list": (["output", "files"], ["/a.md"], "output.files"),
    "a file digest a number": (["output", "files", "/coding/style.md"], 42, "output.files"),
    "a string confidence": (["operations", 0, "confidence"], "sure", "operations[0].confidence"),
    "created_at 1e300": (["created_at"], 1e300, "created_at"),
    "another format version": (["format_version"], 2, "format_version"),
    "input a string": (["input"], "store.json", "field 'input'"),
}


@pytest.mark.parametrize("case", MANIFESTS)
def test_verify_reports_a_malformed_manifest_in_one_line_and_exits_1(case, manifest_text, good, tmp_path, capsys):
    path, value, needle = MANIFESTS[case]
    snap = tmp_path / "snap"
    export_snapshot(load_store(good["store"]), *_plan_review(good), snap, allow_large_change=True)
    text = value if path is None else json.dumps(edited(json.loads(manifest_text), path, value), indent=2)
    (snap / "manifest.json").write_text(text, encoding="utf-8")
    assert main(["verify", str(snap)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("NOT intact") and len(out) == 2 and needle in out[1], (out, needle)
    err = one_line(capsys, ["verify", snap, "--replay", "--store", good["store"]])
    assert "manifest" in err


def _plan_review(good):
    from workbench.dream.plan import Plan

    plan = Plan.from_json(good["plan"].read_text(encoding="utf-8"))
    return plan, Review.load(plan, good["decisions"])


# --- stores and sessions ----------------------------------------------------------------------


def store_json(tmp_path: Path, memories, **extra) -> Path:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"type": "memory_store", "memories": memories, **extra}), encoding="utf-8")
    return path


def mem(path="/a.md", **fields) -> dict:
    return {"path": path, "content": f"- The fact kept at {path[:40]}.\n", "updated_at": "2026-01-01T00:00:00Z",
            **fields}


STORES = {
    "memory_versions a string": ([mem()], {"memory_versions": "v1"}, "field 'memory_versions'"),
    "memories an object": ({"a": mem()}, {}, "memories"),
    "a time of 1e300": ([mem(updated_at=1e300)], {}, "memories[0]"),
    "a time of 10**30": ([mem(created_at=10**30)], {}, "memories[0]"),
    "a memory a number": ([mem(), 5], {}, "memories[1]"),
    "a path of 2,000 bytes": ([mem("/" + "x" * 2000 + ".md")], {}, "longer than 1024 bytes"),
    "a store id that is a list": ([mem()], {"id": ["x"]}, "field 'id'"),
}


@pytest.mark.parametrize("case", STORES)
def test_a_malformed_store_is_one_line(case, tmp_path, capsys):
    memories, extra, needle = STORES[case]
    path = store_json(tmp_path, memories, **extra)
    err = one_line(capsys, ["inspect", path])
    assert needle in err and str(path) in err


def test_a_store_time_of_infinity_is_one_line(tmp_path, capsys):
    path = tmp_path / "store.json"
    path.write_text('{"type": "memory_store", "memories": [{"path": "/a.md", "content": "- x\\n", '
                    '"updated_at": Infinity}]}', encoding="utf-8")
    assert "memories[0]" in one_line(capsys, ["inspect", path])


def test_a_symbolic_link_loop_in_a_store_folder_is_one_line(tmp_path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "a.md").write_text("- A fact.\n", encoding="utf-8")
    os.symlink("loop.md", store / "loop.md")
    err = one_line(capsys, ["inspect", store])
    assert "loop.md" in err and ("symbolic link loop" in err or "Too many levels of symbolic links" in err)


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "a.md").write_text("- A fact.\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(store), b"caf\xe9.md"), "w") as fh:
        fh.write("- Another.\n")
    err = one_line(capsys, ["inspect", store])
    assert "not valid UTF-8" in err and "caf" in err


def test_a_newline_in_a_file_name_is_escaped_in_the_one_line_error(tmp_path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "bad\nname.md").write_bytes(b"- \xff broken\n")
    err = one_line(capsys, ["inspect", store])
    assert "bad\\nname.md" in err


def no_op_plan(store_path: Path) -> Path:
    """plan.json with no operations for the store at `store_path`."""
    from reliability import deleting_plan

    plan = store_path.with_name("plan.json")
    plan.write_text(deleting_plan(load_store(store_path), []).to_json(), encoding="utf-8")
    return plan


def test_paths_a_and_a_slash_b_load_and_export_as_json_but_not_as_a_folder(tmp_path, capsys):
    path = store_json(tmp_path, [mem("/a"), mem("/a/b.md")])
    assert main(["inspect", str(path), "--json"]) == 0
    capsys.readouterr()
    plan = no_op_plan(path)
    err = one_line(capsys, ["export", path, plan, "--out", tmp_path / "snap"])
    assert "'/a/b.md' lies under '/a'" in err and "--format json" in err
    assert main(["export", str(path), str(plan), "--out", str(tmp_path / "snap.json"), "--format", "json"]) == 0


def test_a_path_segment_of_300_bytes_exports_as_json_but_not_as_a_folder(tmp_path, capsys):
    path = store_json(tmp_path, [mem("/notes/" + "n" * 300 + ".md"), mem("/b.md")])
    plan = no_op_plan(path)
    err = one_line(capsys, ["export", path, plan, "--out", tmp_path / "snap"])
    assert "a file name holds at most 255" in err
    assert not (tmp_path / "snap").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".wb-")]
    assert main(["export", str(path), str(plan), "--out", str(tmp_path / "snap.json"), "--format", "json"]) == 0


@pytest.mark.timeout(180)  # reading a FIFO would block: each CLI run is also cut off at 60 s
def test_a_fifo_as_store_or_session_is_refused_at_once_by_the_real_cli(tmp_path):
    fifo = tmp_path / "store.json"
    os.mkfifo(fifo)
    assert_one_line_error(cli("inspect", fifo, timeout=60), "not a regular file")
    session_fifo = tmp_path / "session.json"
    os.mkfifo(session_fifo)
    (tmp_path / "x").mkdir()
    good = store_json(tmp_path / "x", [mem()])
    assert_one_line_error(cli("inspect", good, "--sessions", session_fifo, timeout=60), "not a regular file")


def test_a_fifo_inside_a_sessions_folder_is_skipped(tmp_path):
    from reliability import platform_session

    folder = tmp_path / "sessions"
    folder.mkdir()
    platform_session(folder, 1, ["Use ruff."], 3)
    os.mkfifo(folder / "stuck.json")
    assert [s.id for s in load_sessions(folder)] == ["sesn_001"]


@pytest.mark.parametrize("text, needle", [(DEEP, "nested too deeply"), ('{"memories": [' + HUGE + "]}", "too large")])
def test_pathological_json_is_one_line_from_the_real_cli(tmp_path, text, needle):
    path = tmp_path / "store.json"
    path.write_text(text, encoding="utf-8")
    assert_one_line_error(cli("inspect", path, "--store-format", "managed-agents-store"), needle)


def session_file(path, events: int):
    """A platform session of `events` messages (200,000 make about 50 MB)."""
    event = ('{"id": "sevt_%07d", "type": "%s", "processed_at": "2026-03-01T10:00:00Z", '
             '"content": [{"type": "text", "text": "Message %d: the build on runner 3 took 41 s and then '
             'the cache warmed up, so the second run was faster than the first one by a wide margin."}]}')
    kinds = ("user.message", "agent.message")
    body = ",\n".join(event % (i, kinds[i % 2], i) for i in range(events))
    path.write_text('{"id": "sesn_big", "type": "session", "created_at": "2026-03-01T09:00:00Z", "events": [\n'
                    + body + "\n]}", encoding="utf-8")
    return path


def load_seconds(path, events: int) -> float:
    """The fastest of two loads (CPU time of this process: other work on the machine does not count)."""
    times = []
    for _ in range(2):
        started = time.process_time()
        sessions = load_sessions(path)
        times.append(time.process_time() - started)
        assert len(sessions[0].turns) == events
    return min(times)


@pytest.mark.slow
@pytest.mark.timeout(600)  # was: never finished (quadratic line numbering)
def test_a_50_mb_session_loads_in_linear_time(tmp_path):
    """Line numbers are computed only for errors, so loading grows with the size, not its square: eight times
    the events take far less than 64 times as long."""
    small, big = 25_000, 200_000
    big_path = session_file(tmp_path / "big.json", big)
    assert big_path.stat().st_size > 45_000_000
    ratio = load_seconds(big_path, big) / load_seconds(session_file(tmp_path / "small.json", small), small)
    assert ratio < 24, f"{big:,} events took {ratio:.1f}× as long as {small:,} (linear: about 8×)"
