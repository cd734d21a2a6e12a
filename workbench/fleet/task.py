"""One store of a fleet, start to finish, in whatever process runs it (a Dask worker).

`run_store(entry, config)` loads, analyses, dreams and evaluates one store and returns an
`Outcome`: its row of `results.parquet`, its plan as JSON text and any other file to keep.
Nothing here writes a file or raises for a bad store: every problem becomes the row's one-line
`error` (with the traceback kept aside when it is a bug rather than bad input). The claude
engine at fleet scale is two steps (`prepare_claude`, then `finish_claude` once the Message
Batch has answered), so many stores' requests travel in one batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReaderError, WorkbenchError
from .manifest import Entry

# Options of a fleet that reach its engine, each as far as the engine takes it (`engine_options`).
ENGINE_OPTIONS = ("model", "batch_size", "max_tokens", "timeout", "max_retries", "poll_interval")
PROBES = ("generated", "none")
KINDS = ("merge", "update", "delete", "create")
USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass(frozen=True)
class Config:
    """What every store of a fleet is dreamt with; its digest is part of every store's digest."""

    engine: str = "offline"
    focus: dict[str, Any] = field(default_factory=dict)  # Focus.to_dict()
    probes: str = "generated"  # generated | none (a manifest line's own `probes` file wins)
    k: int = 5
    options: dict[str, Any] = field(default_factory=dict)  # engine options: embedder, model, batch_size, …

    def digest(self) -> str:
        from .. import __version__
        from ..dream import engine_version, offline

        versions = {"workbench": __version__, "offline": offline.ENGINE_VERSION}
        if self.engine != "offline":
            versions[self.engine] = engine_version(self.engine)
        ignored = {"poll_interval", "timeout", "max_retries", "concurrency"}  # how it runs, not what it makes
        options = {k: v for k, v in sorted(self.options.items()) if k not in ignored}
        return _sha({"engine": self.engine, "focus": self.focus, "probes": self.probes, "k": self.k,
                     "options": options, "versions": versions})


@dataclass
class Outcome:
    """What one store's run sends back: its row, its plan (JSON text) and other files to keep."""

    row: dict[str, Any]
    plan: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # file name → text, kept beside the plan
    requests: list[dict[str, Any]] | None = None  # claude at fleet scale: the Messages requests to send


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# --- what a store's inputs are -----------------------------------------------------------------


def _hash_path(h: Any, path: Path) -> None:
    if not str(path) or not path.exists():
        raise ReaderError("no such file or directory", source=str(path))
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        h.update(str(file.relative_to(path) if file != path else file.name).encode() + b"\0")
        try:
            with open(file, "rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as exc:
            raise ReaderError(f"cannot read: {exc.strerror or exc}", source=str(file)) from None
        h.update(b"\0")


def input_digest(entry: Entry, config: Config) -> str:
    """sha256 of the configuration, the manifest line and the bytes of every input file: equal
    digests, equal results (what a re-run compares to skip a store)."""
    h = hashlib.sha256(config.digest().encode())
    h.update(json.dumps(entry.to_dict(), sort_keys=True).encode())
    for path in (entry.store, *entry.sessions, *([entry.probes] if entry.probes else [])):
        _hash_path(h, Path(path))
    return h.hexdigest()


# --- memory -------------------------------------------------------------------------------------


def _reset_peak() -> None:
    """Start this process's peak-RSS count afresh (Linux: writing 5 to clear_refs), so the peak
    read after a store is that store's own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mb() -> float | None:
    try:
        match = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        match = None
    if match:
        return round(int(match.group(1)) / 1024, 1)
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except (ImportError, OSError):
        return None


def _worker() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


# --- rows ---------------------------------------------------------------------------------------


def blank_row(entry: Entry, engine: str) -> dict[str, Any]:
    """A row with nothing measured yet (every column present, so every row has the same shape)."""
    row: dict[str, Any] = {"id": entry.id, "store": entry.store, "sessions": "|".join(entry.sessions),
                           "engine": engine}
    for name in ("notes_before", "notes_after", "memories_before", "memories_after", "operations", *KINDS,
                 "probes", "answered_before", "answered_after", "regressions", "gains", "tokens_before",
                 "tokens_after", "shrink", *USAGE, "cost_usd", "seconds", "peak_mb", "digest", "plan", "dreams",
                 "remarks"):
        row[name] = None
    row.update(worker=_worker(), error=None, skipped=False)
    return row


def _measure(row: dict[str, Any], corpus: Any, plan: Any, report: Any) -> None:
    from ..evaluate import store_tokens

    summary = plan.summary()
    row.update(notes_before=len(corpus.notes), notes_after=summary["notes_out"],
               memories_before=len(corpus.memories), memories_after=summary["memories_out"],
               operations=summary["operations"], **{k: summary["by_kind"].get(k, 0) for k in KINDS},
               tokens_before=store_tokens(corpus.store), tokens_after=store_tokens(plan.output_store),
               remarks=len(plan.notes))
    row["shrink"] = round(1 - row["notes_after"] / row["notes_before"], 4) if row["notes_before"] else 0.0
    total = (plan.usage or {}).get("total") or {}
    if total:
        row.update({k: int(total.get(k, 0)) for k in USAGE}, cost_usd=plan.usage.get("cost_usd"))
    if report is not None:
        s = report.summary()
        row.update(probes=s["probes"], answered_before=s["answered_before"], answered_after=s["answered_after"],
                   regressions=s["regressions"], gains=s["gains"])


def _fail(row: dict[str, Any], exc: BaseException, files: dict[str, str]) -> None:
    """The row's one-line error; a bug's traceback goes to `error.log` beside the plan."""
    if isinstance(exc, WorkbenchError):
        row["error"] = " ".join(str(exc).split())
        return
    text = " ".join(str(exc).split())
    row["error"] = f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
    files["error.log"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# --- the stages -----------------------------------------------------------------------------------


def _load(entry: Entry, config: Config):
    from ..focus import Focus
    from ..io import load_corpus

    focus = Focus.from_dict(config.focus)
    corpus = load_corpus(entry.store, list(entry.sessions) or None, store_format=entry.store_format,
                         sessions_format=entry.sessions_format)
    return corpus, focus


def _analysis(corpus: Any, config: Config):
    from ..analysis import analyze

    return analyze(corpus, config.options.get("embedder") or "tfidf")


def _report(entry: Entry, config: Config, analysis: Any, plan: Any):
    if config.probes == "none" and not entry.probes:
        return None
    from ..evaluate import Evaluator
    from ..probes import generate_probes, load_probes

    probes = load_probes(entry.probes, analysis.corpus) if entry.probes else generate_probes(analysis.corpus.store)
    return Evaluator(analysis, probes, k=config.k).report(plan)


def _finish(outcome: Outcome, entry: Entry, config: Config, corpus: Any, analysis: Any, plan: Any) -> None:
    report = _report(entry, config, analysis, plan)
    _measure(outcome.row, corpus, plan, report)
    outcome.plan = plan.to_json()


def _run(entry: Entry, config: Config, previous: str | None, body: Callable[[Outcome], None]) -> Outcome:
    """The frame every stage runs in: digest, skip, time, peak memory, errors as one line."""
    started = time.perf_counter()
    _reset_peak()
    outcome = Outcome(blank_row(entry, config.engine))
    row = outcome.row
    try:
        if entry.problem:
            raise ReaderError(entry.problem)
        row["digest"] = input_digest(entry, config)
        if previous is not None and previous == row["digest"]:
            row["skipped"] = True
        else:
            body(outcome)
    except Exception as exc:  # noqa: BLE001  (a store's failure is its row, never the fleet's)
        _fail(row, exc, outcome.files)
        outcome.plan, outcome.requests = None, None
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["peak_mb"] = _peak_mb()
    return outcome


def run_store(entry: Entry, config: Config, previous: str | None = None, *,
              slot: Callable[[], Any] | None = None, lock: Callable[[str], Any] | None = None) -> Outcome:
    """Load, analyse, dream and evaluate one store (skipped when its digest equals `previous`).

    For the platform engine, `slot()` is held for the life of each dream (the fleet's global
    concurrency limit) and `lock(store_id)` for the whole chain (one dream per store at a time).
    """

    def body(outcome: Outcome) -> None:
        from contextlib import nullcontext

        from ..dream import dream, engine_options

        corpus, focus = _load(entry, config)
        analysis = _analysis(corpus, config)
        chains: list[Any] = []  # a chain of dreams (platform) says what each dream did and wrote
        store_id = entry.store_id or corpus.store.id
        given = {k: v for k, v in config.options.items() if k in ENGINE_OPTIONS}
        given.update(analysis=analysis, store_id=store_id, chain=True, slot=slot, on_chain=chains.append,
                     progress=False)
        takes = engine_options(config.engine)
        options = {k: v for k, v in given.items() if takes is None or k in takes}
        try:
            with lock(store_id) if lock is not None and store_id else nullcontext():
                plan = dream(corpus, focus, engine=config.engine, **options)
        finally:
            for chain in chains:  # kept even when a dream of the chain failed
                outcome.row["dreams"] = json.dumps(chain.dreams, ensure_ascii=False)
                outcome.files["dreams.json"] = json.dumps(chain.dreams, indent=2, ensure_ascii=False) + "\n"
        _finish(outcome, entry, config, corpus, analysis, plan)

    return _run(entry, config, previous, body)


# --- claude at fleet scale: one Message Batch for many stores ---------------------------------------


def _prepared(entry: Entry, config: Config):
    from ..dream.claude import prepare

    corpus, focus = _load(entry, config)
    analysis = _analysis(corpus, config)
    allowed = {"model", "batch_size", "max_tokens"}
    return corpus, analysis, prepare(corpus, focus, analysis=analysis,
                                     **{k: v for k, v in config.options.items() if k in allowed})


def request_digest(request: Mapping[str, Any]) -> str:
    return _sha(request)


def prepare_claude(entry: Entry, config: Config, previous: str | None = None) -> Outcome:
    """Step one: the store's Messages requests (`outcome.requests`), or its finished row when
    there is nothing to judge (or it was skipped, or failed)."""

    def body(outcome: Outcome) -> None:
        corpus, analysis, prepared = _prepared(entry, config)
        if not prepared.requests:
            from ..dream.claude import finish

            _finish(outcome, entry, config, corpus, analysis, finish(prepared, {}))
            return
        outcome.requests = prepared.requests

    return _run(entry, config, previous, body)


def finish_claude(entry: Entry, config: Config, answers: Mapping[int, Any], sent: Mapping[int, str]) -> Outcome:
    """Step two: the plan from the Message Batch's answers (`answers[number]` is the message as a
    dict, or why the request failed as text), requests whose answer failed retried on their own."""

    def body(outcome: Outcome) -> None:
        import anthropic

        from ..api import make_client
        from ..dream.claude import finish, judge_answer
        from ..errors import EngineError

        corpus, analysis, prepared = _prepared(entry, config)
        for number, request in enumerate(prepared.requests, start=1):
            if sent.get(number) != request_digest(request):
                raise EngineError("the store's candidates changed while the Message Batch ran; run the fleet again")
        client = make_client(None, engine="claude", max_retries=config.options.get("max_retries", 2),
                                     timeout=config.options.get("timeout", 120.0))
        outcomes = {}
        for number in range(1, len(prepared.requests) + 1):
            answer = answers.get(number, "had no result in the Message Batch")
            if isinstance(answer, dict):
                try:
                    answer = anthropic.types.Message.model_validate(answer)
                except ValueError as exc:
                    answer = f"answer could not be read ({type(exc).__name__})"
            outcomes[number] = judge_answer(client, prepared, number, answer,
                                            timeout=config.options.get("timeout", 120.0))
        _finish(outcome, entry, config, corpus, analysis, finish(prepared, outcomes))

    return _run(entry, config, None, body)


__all__ = ["Config", "Outcome", "run_store", "prepare_claude", "finish_claude", "input_digest", "blank_row",
           "request_digest", "ENGINE_OPTIONS", "PROBES", "KINDS"]
