"""Fleet: 1,000 synthetic stores (50–500 notes each, from the sample data and LoCoMo) through the
offline engine on a local Dask cluster, on 2 workers, again unchanged (every store skipped), and
on 1 worker; then the claude engine's token cost per store through one Message Batch versus one
Messages call per batch of candidates, billed by the local fake API server.

The fleet is built once into `benchmarks/.cache/` (seeded: the same files every time) and each
timed run starts a fresh local cluster with an empty embedding cache, so both worker counts run
cold. Wall times include starting the cluster (a few seconds).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from . import DATA, ROOT, Section

FULL = int(os.environ.get("WORKBENCH_BENCH_FLEET_STORES") or 1000)  # the full size; a smaller one when set
QUICK = 8
NOTES = (50, 500)
QUICK_NOTES = (50, 90)
SESSIONS = (2, 6)
TOKEN_STORES = {False: 24, True: 3}
FOCUS = "Prioritize coding conventions and durable preferences."
BUILD_VERSION = 1


# --- the synthetic fleet ---------------------------------------------------------------------------


def _session_json(session) -> dict:
    def event(turn) -> dict:
        kind = {"user": "user.message"}.get(turn.role, "agent.message")
        return {"id": turn.id, "type": kind, "processed_at": turn.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "content": [{"type": "text", "text": turn.text}]}

    return {"type": "session", "id": session.id, "created_at": session.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": session.title, "events": [event(t) for t in session.turns if t.text.strip()]}


def build_fleet(folder: Path, count: int, notes: tuple[int, int] = NOTES, seed: int = 0) -> Path:
    """`count` stores of `notes` notes (uniform), each with 2–6 real sessions re-dated after its notes,
    as Managed Agents store and session JSON; returns the manifest (built once, then reused)."""
    from workbench.io.store_json import store_json

    from .synthetic import _redated, _sources, synthetic_corpus

    manifest = folder / "manifest.jsonl"
    if manifest.exists():
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    real = _sources()[2]
    lines = []
    for i in range(count):
        corpus = synthetic_corpus(rng.randint(*notes), 0, seed=seed * 100_003 + i)
        start = (i * 7) % len(real)
        pool = real[start:] + real[:start]
        after = max(m.updated_at for m in corpus.memories) + timedelta(days=1)
        sessions = _redated(pool, rng.randint(*SESSIONS), after)
        name = f"u{i:04d}"
        (folder / "stores").mkdir(exist_ok=True)
        (folder / "stores" / f"{name}.json").write_text(store_json(corpus.store), encoding="utf-8")
        (folder / "sessions" / name).mkdir(parents=True, exist_ok=True)
        for session in sessions:
            (folder / "sessions" / name / f"{session.id}.json").write_text(json.dumps(_session_json(session)),
                                                                         encoding="utf-8")
        lines.append({"id": name, "store": f"stores/{name}.json", "sessions": f"sessions/{name}"})
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, manifest)  # written last: a half-built fleet is built again
    return manifest


def fleet_folder(count: int, notes: tuple[int, int]) -> Path:
    locomo = "locomo" if (DATA / "locomo10.json").exists() else "sample-only"
    return ROOT / "benchmarks" / ".cache" / f"fleet-v{BUILD_VERSION}-{count}-{notes[0]}-{notes[1]}-{locomo}"


# --- runs ------------------------------------------------------------------------------------------


@contextmanager
def _env(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _timed_fleet(manifest: Path, out: Path, workers: int, cache: Path, **options) -> tuple[float, object]:
    from workbench.fleet import run_fleet
    from workbench.focus import Focus

    with _env(WORKBENCH_CACHE=str(cache)):  # the workers start with it: a cold embedding cache per run
        start = time.perf_counter()
        results = run_fleet(manifest, Focus(FOCUS), out=out, workers=workers, progress=False, **options)
        seconds = time.perf_counter() - start
    print(f"[fleet] {out.name}: {len(results)} stores on {workers} worker(s) in {seconds:.1f} s, "
          f"{int(results['skipped'].sum())} skipped, {int(results['error'].notna().sum())} failed", file=sys.stderr,
          flush=True)
    return seconds, results


def _row(label: str, workers: int, seconds: float, results) -> list:
    done = results[results["error"].isna()]
    fresh = done[~done["skipped"]]
    per_worker = done.groupby("worker")["peak_mb"].max() if len(fresh) else None
    return [label, workers, len(results), len(fresh), int(done["skipped"].sum()), int(results["error"].notna().sum()),
            f"{seconds:.1f}", f"{60 * len(results) / seconds:.1f}",
            f"{statistics.median(fresh['seconds']):.2f}" if len(fresh) else "–",
            ", ".join(f"{v:.0f}" for v in per_worker) if per_worker is not None else "–"]


def _offline(sec: Section, manifest: Path, count: int, quick: bool, work: Path) -> None:
    two_s, two = _timed_fleet(manifest, work / "two", 2, work / "cache-two")
    again_s, again = _timed_fleet(manifest, work / "two", 2, work / "cache-two")
    rows = [_row("cold", 2, two_s, two), _row("again, unchanged", 2, again_s, again)]
    if not quick:  # the quick size leaves the 1-worker comparison to the full run
        one_s, one = _timed_fleet(manifest, work / "one", 1, work / "cache-one")
        rows.append(_row("cold", 1, one_s, one))
    sec.table(["run", "workers", "stores", "dreamt", "skipped", "failed", "wall s", "stores / min",
               "median s / store", "peak RSS MB per worker"], rows)
    done = two[two["error"].isna()]
    sec.table(["per store (2-worker run)", "median", "p90", "max"], [
        [name, *(f"{done[col].quantile(q):.{d}f}" for q in (0.5, 0.9, 1.0))]
        for name, col, d in (("notes before", "notes_before", 0), ("shrink (share of notes removed)", "shrink", 3),
                             ("operations", "operations", 0), ("regressions (generated probes)", "regressions", 0),
                             ("seconds", "seconds", 2), ("peak RSS MB", "peak_mb", 0))])
    peak = float(two["peak_mb"].max())
    if quick:
        sec.lines.append(f"{count:,} stores: {two_s:.0f} s on 2 workers ({60 * count / two_s:.0f} stores per minute).")
    else:
        sec.lines.append(f"{count:,} stores: {one_s:.0f} s on 1 worker, {two_s:.0f} s on 2 workers "
                         f"({one_s / two_s:.2f}× faster; {60 * count / two_s:.0f} stores per minute on 2).")
    sec.lines.append(f"The unchanged fleet run again skipped {int(again['skipped'].sum()):,} of {count:,} stores "
                     f"in {again_s:.1f} s (hashing every input file, starting the cluster).")
    sec.lines.append(f"Peak RSS of a worker while dreaming one store: {peak:.0f} MB at most (each worker is bounded "
                     f"at 4 GiB, restarted by its nanny above 95% of it); {int(two['error'].notna().sum())} stores "
                     "failed.")
    sec.lines.append(f"Across the fleet: median shrink {done['shrink'].median():.1%}, "
                     f"{int((done['regressions'] > 0).sum())} of {len(done):,} stores with a regression "
                     f"({int(done['regressions'].sum())} in all).")


def _tokens(sec: Section, manifest: Path, quick: bool, work: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_api import FakeAnthropic

    from workbench.fleet import read_fleet_manifest

    from .tokens import CACHE_MIN_TOKENS, approve

    entries = read_fleet_manifest(manifest)[:TOKEN_STORES[quick]]
    rows, totals = [], {}
    # the quick size sends one Message Batch only; tests/test_fleet_engines.py checks that one call per batch
    # of candidates makes the same plans
    ways = (("one Message Batch", True), ("one call per batch of candidates", False))
    for label, batches in ways[:1] if quick else ways:
        with FakeAnthropic() as api, _env(ANTHROPIC_API_KEY="benchmark-key", ANTHROPIC_BASE_URL=api.base_url):
            api.messages_responder = approve
            api.cache_min_tokens = CACHE_MIN_TOKENS
            seconds, results = _timed_fleet(entries, work / f"claude-{batches}", 2, work / f"cache-claude-{batches}",
                                            engine="claude", message_batches=batches, poll_interval=0.05)
            requests = len([r for r in api.requests if r.path in ("/v1/messages", "/v1/messages/batches")])
        done = results[results["error"].isna()]
        billed = done["input_tokens"] + done["cache_creation_input_tokens"] + done["cache_read_input_tokens"]
        totals[label] = float(done["cost_usd"].sum())
        rows.append([label, len(done), requests, f"{billed.mean():,.0f}", f"{done['output_tokens'].mean():,.0f}",
                     f"${done['cost_usd'].mean():.4f}", f"${done['cost_usd'].sum():.3f}"])
    sec.table(["claude engine", "stores", "HTTP requests that send prompts", "billed input tokens / store",
               "output tokens / store", "cost / store", "cost, all stores"], rows)
    batch, direct = totals["one Message Batch"], totals.get("one call per batch of candidates")
    if batch and direct:
        sec.lines.append(f"Through one Message Batch the claude engine costs {batch / direct:.0%} of one call per "
                         f"batch of candidates for the same {len(entries)} stores (the batch discount is 50%; "
                         "tokens differ only by what the prompt cache serves).")


def run(quick: bool) -> Section:
    from .synthetic import _sources

    count, notes = (QUICK, QUICK_NOTES) if quick else (FULL, NOTES)
    locomo = (DATA / "locomo10.json").exists()
    sec = Section("fleet", "Fleet", how=(
        f"{count:,} synthetic stores of {notes[0]}–{notes[1]} notes each (uniform), recombined from the sample stores"
        f"{' and LoCoMo' if locomo else ''} (`benchmarks/synthetic.py`), each with {SESSIONS[0]}–{SESSIONS[1]} real "
        "sessions re-dated after its notes, written as Managed Agents JSON, through `workbench.fleet.run_fleet` "
        "(offline engine, tfidf, probes generated from each store) on a local Dask cluster: worker processes with "
        "one thread each and a 4 GiB memory limit, a fresh cluster and an empty embedding cache per timed run. "
        "Peak RSS per store is the worker's high-water mark (`VmHWM`, reset before each store). Token cost: "
        f"the first {TOKEN_STORES[quick]} stores through the `claude` engine against `tests/fake_api/` "
        "(tokens = ⌈UTF-8 bytes / 4⌉, prompt caching as the API does it, no prefix under 1,024 tokens cached; a "
        "stand-in reviewer accepts every candidate), costs at the list prices of `workbench/api.py` "
        "with the Message Batches discount (50%)."
        + (" Quick size: no 1-worker run, and the claude engine through one Message Batch only (tests/test_fleet.py "
           "and tests/test_fleet_engines.py run the rest)." if quick else "")))
    if not locomo:
        sec.lines.append("LoCoMo is absent (../shared/data/locomo10.json): the stores recombine the sample data only.")
    _sources()
    manifest = build_fleet(fleet_folder(count, notes), count, notes)
    with tempfile.TemporaryDirectory(prefix="wb-bench-fleet-") as tmp:
        _offline(sec, manifest, count, quick, Path(tmp))
        _tokens(sec, manifest, quick, Path(tmp))
    return sec
