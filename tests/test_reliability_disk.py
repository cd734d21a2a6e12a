"""Every writer is atomic: a full disk, a SIGKILL or a second writer never leaves half a file or a traceback.

A full disk is a small tmpfs mounted in a private mount namespace (`unshare`) when the machine
allows it, else a file-size limit (RLIMIT_FSIZE) on the CLI process. Kills are SIGKILL at random
moments of a forked writer, in loops of 20.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from reliability import ROOT, assert_one_line_error, digest, write_inputs

from workbench import files
from workbench.dream.plan import Plan
from workbench.export import export_snapshot
from workbench.io import load_store
from workbench.review import Review
from workbench.verify import verify_snapshot

COMMANDS = {
    "dream": ["dream", "store.json", "--out", "plan.json"],
    "review": ["review", "plan.json", "--approve-all", "--out", "decisions.json"],
    "analyze": ["analyze", "store.json", "--out", "analysis.json"],
    "export": ["export", "store.json", "plan.json", "--decisions", "decisions.json", "--out", "snap",
               "--allow-large-change"],
    "export --force": ["export", "store.json", "plan.json", "--decisions", "decisions.json", "--out", "earlier",
                       "--force", "--allow-large-change"],
}


def _tmpfs_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d; rmdir $d"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def _seed(folder: Path) -> None:
    """Inputs and earlier outputs: plan, decisions, analysis and a snapshot that must survive."""
    paths = write_inputs(folder)
    shutil.rmtree(paths["store_dir"])
    (folder / "analysis.json").write_text('{"counts": {"notes": 9}}\n', encoding="utf-8")
    plan = Plan.from_json(paths["plan"].read_text(encoding="utf-8"))
    export_snapshot(load_store(paths["store"]), plan, Review.load(plan, paths["decisions"]), folder / "earlier",
                    allow_large_change=True)


DRIVER = textwrap.dedent("""
    # Run each command with the real CLI entry point, one after another in this process (imports paid once).
    import contextlib, io, json, sys, traceback
    from workbench.cli import main
    results = {}
    for name, args in json.loads(sys.argv[1]).items():
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(args)
            except BaseException:  # a traceback is what the tests look for
                code, _ = 99, err.write(traceback.format_exc())
        results[name] = [code, err.getvalue()]
    print(json.dumps(results))
""")


def _on_full_tmpfs(seed: Path, results: Path) -> dict:
    """Copy `seed` onto a 1 MB tmpfs, fill it, run every command there; the outcomes and files come back."""
    script = "\n".join(['set -eu', 'mount -t tmpfs -o size=1m tmpfs "$DISK"', 'cp -a "$SEED/." "$DISK/"',
                        'cat /dev/zero > "$DISK/filler" 2>/dev/null || true', 'cd "$DISK"',
                        '"$PY" -c "$DRIVER" "$COMMANDS" > "$OUT/outcome.json"', 'rm -f "$DISK/filler"',
                        'mkdir -p "$OUT/after"', 'cp -a "$DISK/." "$OUT/after/"'])
    disk = results / "disk"
    disk.mkdir()
    env = {**os.environ, "DISK": str(disk), "SEED": str(seed), "OUT": str(results), "PY": sys.executable,
           "PYTHONPATH": str(ROOT), "DRIVER": DRIVER, "COMMANDS": json.dumps(COMMANDS)}
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((results / "outcome.json").read_text())


def _limit_file_size() -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))  # every output here is larger


def _with_size_limit(seed: Path, results: Path) -> dict:
    after = results / "after"
    shutil.copytree(seed, after)
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(COMMANDS)], cwd=after, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          preexec_fn=_limit_file_size)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module", params=["tmpfs", "RLIMIT_FSIZE"])
def full_disk(request, tmp_path_factory) -> dict:
    """Every command run once on a full disk: a full tmpfs (where `unshare` allows) and a file-size limit
    (every real CLI command twice: the tests that read this are marked slow)."""
    if request.param == "tmpfs" and not _tmpfs_available():
        pytest.skip("no unprivileged mount namespace here; the RLIMIT_FSIZE variant covers a full disk")
    seed, results = tmp_path_factory.mktemp("seed"), tmp_path_factory.mktemp("results")
    _seed(seed)
    outcome = (_on_full_tmpfs if request.param == "tmpfs" else _with_size_limit)(seed, results)
    return {"how": request.param, "seed": seed, "after": results / "after", "outcome": outcome}


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_on_a_full_disk_each_command_fails_with_one_line(full_disk, command):
    rc, err = full_disk["outcome"][command]
    proc = subprocess.CompletedProcess([], rc, "", err)
    assert_one_line_error(proc)
    assert any(word in err for word in ("No space left", "too large", "File too large")), (full_disk["how"], err)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plan.json", "decisions.json", "analysis.json", "earlier", "store.json"])
def test_on_a_full_disk_earlier_outputs_and_inputs_are_left_intact(full_disk, name):
    assert digest(full_disk["after"] / name) == digest(full_disk["seed"] / name)


@pytest.mark.slow
def test_on_a_full_disk_no_partial_snapshot_or_staging_is_left(full_disk):
    left = sorted(p.name for p in full_disk["after"].iterdir())
    assert left == sorted(p.name for p in full_disk["seed"].iterdir()), left
    assert verify_snapshot(full_disk["after"] / "earlier").ok


# --- SIGKILL ----------------------------------------------------------------------------------


def _fork(work) -> int:
    pid = os.fork()
    if pid == 0:  # the child: do the work until killed
        try:
            work()
        finally:
            os._exit(0)
    return pid


def _kill_at_random(pid: int, rng: random.Random, longest: float) -> None:
    time.sleep(rng.uniform(0.0, longest))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.mark.slow
def test_a_file_killed_mid_write_is_always_the_old_or_the_new_version(tmp_path):
    target = tmp_path / "plan.json"
    versions = [json.dumps({"version": v, "body": "x" * 400_000}) for v in ("old", "new")]
    files.write_text(target, versions[0])
    rng = random.Random(13)
    for _ in range(20):
        pid = _fork(lambda: [files.write_text(target, versions[i % 2]) for i in range(10_000)])
        _kill_at_random(pid, rng, 0.15)
        assert target.read_text(encoding="utf-8") in versions
    files.write_text(target, versions[1])  # the next write removes what the kills left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    paths = write_inputs(folder)
    plan = Plan.from_json(paths["plan"].read_text(encoding="utf-8"))
    return load_store(paths["store"]), plan, Review.load(plan, paths["decisions"]), folder


@pytest.mark.slow
def test_an_export_killed_at_random_moments_leaves_an_intact_snapshot_or_none(exported, tmp_path):
    store, plan, review, _ = exported
    out = tmp_path / "snap"
    rng = random.Random(7)

    def export_forever():
        while True:
            export_snapshot(store, plan, review, out, force=True, allow_large_change=True)

    for _ in range(20):
        _kill_at_random(_fork(export_forever), rng, 0.4)
        if out.exists():
            assert verify_snapshot(out).ok
    export_snapshot(store, plan, review, out, force=True, allow_large_change=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]  # the kills' staging folders are gone
    assert verify_snapshot(out).ok


def test_staging_of_a_live_writer_is_kept_and_of_a_dead_one_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "GRACE", 0.0)
    dead = tmp_path / f"{files.STAGING}999999999-abcd-dir-snap"
    mine = tmp_path / f"{files.STAGING}{os.getpid()}-abcd-dir-snap"  # this pid, left by an earlier process
    other = tmp_path / f"{files.STAGING}{os.getppid()}-abcd-dir-snap"  # a running process that holds nothing
    with files.staged_folder(tmp_path / "snap") as live:
        for left in (dead, mine, other):
            left.mkdir()
        assert sorted(files.clean_staging(tmp_path)) == sorted([dead, mine, other])
        assert live.exists()


def test_an_unlocked_staging_entry_of_a_running_process_is_kept_while_new(tmp_path):
    young = tmp_path / f"{files.STAGING}{os.getppid()}-abcd-file-plan.json"  # its writer may not hold it yet
    young.write_text("{}")
    assert files.clean_staging(tmp_path) == [] and young.exists()


def _stage_and_wait(target: Path) -> None:
    with files.staged_folder(target) as staging:
        (staging / "ready").touch()
        time.sleep(60)


def test_a_killed_writer_not_yet_reaped_leaves_nothing_for_the_next_write(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "GRACE", 0.0)
    pid = _fork(lambda: _stage_and_wait(tmp_path / "snap"))
    deadline = time.time() + 30
    while not list(tmp_path.glob(f"{files.STAGING}*/ready")) and time.time() < deadline:
        time.sleep(0.05)
    assert files.clean_staging(tmp_path) == []  # its writer runs and holds it: kept
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # not reaped yet: a zombie, whose pid still answers a signal
    try:
        files.write_text(tmp_path / "plan.json", "{}")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
    finally:
        os.waitpid(pid, 0)


def test_a_killed_export_force_leaves_no_staging_even_when_its_pid_runs_again(exported, tmp_path):
    """A container restarts its program with the same pid: what a killed export left carries this pid."""
    store, plan, review, _ = exported
    out = tmp_path / "snap"
    export_snapshot(store, plan, review, out, allow_large_change=True)
    rng = random.Random(11)
    left: list[Path] = []
    for _ in range(20):
        pid = _fork(lambda: [export_snapshot(store, plan, review, out, force=True, allow_large_change=True)
                             for _ in range(1000)])
        _kill_at_random(pid, rng, 0.4)
        for path in tmp_path.glob(f"{files.STAGING}*"):
            again = path.with_name(path.name.replace(f"{files.STAGING}{pid}-", f"{files.STAGING}{os.getpid()}-"))
            path.rename(again)
            left.append(again)
        if left:
            break
    assert left, "no kill landed mid-export in 20 tries"
    export_snapshot(store, plan, review, out, force=True, allow_large_change=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]
    assert verify_snapshot(out).ok


# --- two writers at once ----------------------------------------------------------------------


def _race(args: list[str], n: int = 3) -> list[tuple[int, str]]:
    """`n` processes (forked from this one) that run the CLI on `args` at the same moment: (exit code, stderr)."""
    start = time.time() + 0.3
    children = []
    for i in range(n):
        err_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"wb-race-{os.getpid()}-{i}.err"
        pid = os.fork()
        if pid == 0:
            code = 99
            try:
                fd = os.open(err_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 2)
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                time.sleep(max(0.0, start - time.time()))
                from workbench.cli import main

                code = main([str(a) for a in args])
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append((pid, err_file))
    out = []
    for pid, err_file in children:
        _, status = os.waitpid(pid, 0)
        out.append((os.waitstatus_to_exitcode(status), err_file.read_text()))
        err_file.unlink()
    return out


def test_concurrent_exports_to_one_target_never_crash(exported, tmp_path):
    _, _, _, folder = exported
    out = tmp_path / "snap"
    base = ["export", folder / "store.json", folder / "plan.json", "--decisions", folder / "decisions.json",
            "--out", out, "--allow-large-change"]
    plain = _race(base)
    assert sorted(code for code, _ in plain) == [0, 2, 2], plain
    for code, err in plain:
        if code:
            assert_one_line_error(subprocess.CompletedProcess([], code, "", err), "already exists")
    forced = _race([*base, "--force"])
    assert [code for code, _ in forced] == [0, 0, 0], forced
    assert verify_snapshot(out).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]
