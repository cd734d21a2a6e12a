"""Loading: time to read a large Managed Agents session and a large store.json (both must be linear),
the same store as JSON Lines for comparison, and `workbench inspect` of the large store end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from workbench.io import load_sessions, load_store

from . import ROOT, Section, child_env, timed


def session_file(folder: Path, events: int) -> Path:
    """A platform session with `events` events: user and agent messages, tool use and results."""
    kinds = ("user.message", "agent.message", "agent.tool_use", "agent.tool_result")
    rows = []
    for i in range(events):
        kind = kinds[i % 4]
        event = {"id": f"sevt_{i:08d}", "type": kind, "processed_at": f"2026-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"}
        if kind == "agent.tool_use":
            event.update(name="bash", input={"command": f"pytest -k case_{i}"})
        else:
            event["content"] = [{"type": "text", "text": f"Message {i}: the build on runner {i % 7} took {i % 90} s."}]
        rows.append(event)
    path = folder / f"session-{events}.json"
    path.write_text(json.dumps({"id": f"sesn_{events}", "type": "session", "created_at": "2026-03-01T09:00:00Z",
                                "title": "A long session", "events": rows}, indent=2), encoding="utf-8")
    return path


def store_files(folder: Path, memories: int) -> tuple[Path, Path]:
    """The same store as Managed Agents JSON and as JSON Lines."""
    items = [{"type": "memory", "id": f"mem_{i:08d}", "path": f"/topic-{i % 50}/note-{i}.md",
              "content": f"# Note {i}\n\n- Fact {i}: service {i % 13} listens on port {8000 + i % 1000}.\n",
              "created_at": "2026-01-01T00:00:00Z", "updated_at": f"2026-02-{1 + i % 28:02d}T00:00:00Z"}
             for i in range(memories)]
    as_json = folder / f"store-{memories}.json"
    as_json.write_text(json.dumps({"type": "memory_store", "id": "memstore_x", "memories": items}, indent=2),
                       encoding="utf-8")
    as_jsonl = folder / f"store-{memories}.jsonl"
    as_jsonl.write_text("".join(json.dumps(m) + "\n" for m in items), encoding="utf-8")
    return as_json, as_jsonl


def run(quick: bool = False) -> Section:
    section = Section("loading", "Loading large inputs",
                      "Wall time to load a platform session of N events and a store.json of N memories "
                      "(the same store as JSON Lines beside it), and `workbench inspect` of that store in a new "
                      "process. Line numbers for error messages are computed only when an error needs one.",
                      quick=quick)
    sizes = (2_000, 8_000) if quick else (2_000, 16_000, 64_000)
    stores = (2_000,) if quick else (2_000, 20_000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            path = session_file(folder, n)
            seconds, _ = timed(lambda p=path: load_sessions(p))
            rows.append([f"session, {n:,} events", f"{path.stat().st_size / 1e6:.1f} MB", seconds])
        for n in stores:
            as_json, as_jsonl = store_files(folder, n)
            json_s, _ = timed(lambda p=as_json: load_store(p))
            jsonl_s, _ = timed(lambda p=as_jsonl: load_store(p))
            rows.append([f"store.json, {n:,} memories", f"{as_json.stat().st_size / 1e6:.1f} MB", json_s])
            rows.append([f"store.jsonl, {n:,} memories", f"{as_jsonl.stat().st_size / 1e6:.1f} MB", jsonl_s])
        inspect_s, _ = timed(lambda: subprocess.run(
            [sys.executable, "-m", "workbench.cli", "inspect", str(as_json), "--json"], cwd=ROOT, env=child_env(),
            capture_output=True, check=True, timeout=600))
        rows.append([f"`workbench inspect` store.json, {stores[-1]:,} memories (new process)", "", inspect_s])
    section.table(["input", "size", "seconds"], rows)
    largest = next(r for r in rows if r[0].startswith(f"session, {sizes[-1]:,}"))
    section.target(f"load a session of {sizes[-1]:,} events", largest[2], 10.0 if not quick else 5.0, "s")
    return section
