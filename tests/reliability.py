"""Helpers for the reliability tests: the real CLI in a subprocess, small inputs on disk, file digests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from workbench.dream.plan import Operation, Plan, Target, apply_operations
from workbench.focus import Focus
from workbench.io import write_store
from workbench.records import Memory, Store, stable_id

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
# Secrets built in pieces so no key-shaped literal sits in the repo.
GITHUB = "gh" + "p_" + "Rk4" * 12
STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
        preexec=None) -> subprocess.CompletedProcess:
    """`workbench ARGS` in a new process (this checkout importable)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], cwd=cwd or ROOT, env=full,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, one line on stderr starting `workbench: error:`, no traceback; the line is returned."""
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-3000:])
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and err.startswith("workbench: error: "), err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def digest(path: Path) -> dict[str, str]:
    """SHA-256 of a file, or of every file under a folder (hidden ones included), by relative name."""
    path = Path(path)
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def memory(path: str, bullets: list[str], day: int = 0) -> Memory:
    at = T0 + timedelta(days=day)
    return Memory(id=stable_id("mem_", path), path=path, content="# Notes\n\n" + "".join(f"- {b}\n" for b in bullets),
                  created_at=at, updated_at=at)


def small_store() -> Store:
    """Three documents; one note holds a GitHub token, another a Stripe key."""
    return Store((
        memory("/coding/style.md", ["Type hints on every public function.", "Format with ruff; line length 100.",
                                    "Run pytest -x before pushing."]),
        memory("/ops/access.md", [f"The CI deploy token is {GITHUB}.", f"Billing uses the key {STRIPE}.",
                                  "Ask Luis for the VPN config."], day=3),
        memory("/team/people.md", ["Dana leads the payments squad.", "Luis owns the CI runners.",
                                   "Mei reviews every migration."], day=5),
    ), id="memstore_rel", name="reliability")


def deleting_plan(store: Store, texts: list[str]) -> Plan:
    """A plan that deletes the notes with these texts (a person would approve it)."""
    ops = [Operation("delete", "low_value", (Target(n.id, n.path, n.text),), None,
                     f"Stale: {n.text[:40]}", confidence=0.9)
           for n in store.notes if n.text in texts]
    return Plan(engine="offline", engine_version="test", focus=Focus(),
                inputs={"store_digest": store.digest, "notes": len(store.notes), "memories": len(store.memories),
                        "sessions": [], "as_of": "2026-04-01T00:00:00Z", "embedder": "tfidf"},
                operations=ops, output_store=apply_operations(store, ops), input_store=store)


def write_inputs(folder: Path, store: Store | None = None) -> dict[str, Path]:
    """store.json, a store folder, plan.json (two deletions) and decisions.json (all approved) under `folder`."""
    from workbench.review import Review

    store = store or small_store()
    folder.mkdir(parents=True, exist_ok=True)
    plan = deleting_plan(store, [f"The CI deploy token is {GITHUB}.", "Mei reviews every migration."])
    paths = {"store": write_store(store, folder / "store.json", "json"),
             "store_dir": write_store(store, folder / "store-dir", "dir"),
             "plan": folder / "plan.json", "decisions": folder / "decisions.json"}
    paths["plan"].write_text(plan.to_json(), encoding="utf-8")
    Review(plan).approve_all(who="dana").save(paths["decisions"], keep_secrets=True)
    return paths


def platform_session(folder: Path, number: int, lines: list[str], day: int) -> Path:
    """A Managed Agents session file with these user lines (and short agent answers)."""
    events = []
    for i, line in enumerate(lines):
        at = T0 + timedelta(days=day, minutes=2 * i)
        for role, text in (("user", line), ("agent", "Done.")):
            events.append({"id": f"sevt_{number:03d}_{len(events):03d}", "type": f"{role}.message",
                           "content": [{"type": "text", "text": text}],
                           "processed_at": at.isoformat().replace("+00:00", "Z")})
    path = folder / f"sesn_{number:03d}.json"
    path.write_text(json.dumps({"id": f"sesn_{number:03d}", "type": "session", "title": f"Session {number}",
                                "created_at": (T0 + timedelta(days=day)).isoformat().replace("+00:00", "Z"),
                                "events": events}, indent=2), encoding="utf-8")
    return path
