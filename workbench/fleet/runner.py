"""Running a fleet on Dask: a local cluster by default, an existing one given its address.

Every store is one Dask task (`workbench.fleet.task`); the driver (this process) only reads the
manifest, hands out tasks, shows progress, and writes what comes back: per store
`stores/<id>/plan.json` and `row.json` as each one finishes (atomically, row last), then
`results.parquet` for the whole fleet. A re-run passes each store the digest of its last good
row, and the worker skips a store whose inputs and configuration hash to the same digest.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ReaderError, WorkbenchError
from ..files import checked_write as write_bytes
from ..files import checked_write as write_text
from ..files import quote, remove
from .manifest import Entry, read_fleet_manifest
from .task import (
    KINDS,
    PROBES,
    USAGE,
    Config,
    Outcome,
    blank_row,
    finish_claude,
    prepare_claude,
    request_digest,
    run_store,
)

RESULTS = "results.parquet"
STORES = "stores"
BATCH_STATE = "message-batches.json"
DEFAULT_MEMORY = "4GiB"
COLUMNS: dict[str, str] = {
    "id": "string", "notes_before": "Int64", "notes_after": "Int64", "shrink": "Float64",
    "operations": "Int64", **{k: "Int64" for k in KINDS}, "regressions": "Int64",
    "tokens_before": "Int64", "tokens_after": "Int64", "seconds": "Float64", "error": "string",
    "skipped": "boolean", "memories_before": "Int64", "memories_after": "Int64", "probes": "Int64",
    "answered_before": "Int64", "answered_after": "Int64", "gains": "Int64", **{k: "Int64" for k in USAGE},
    "cost_usd": "Float64", "peak_mb": "Float64", "worker": "string", "engine": "string", "store": "string",
    "sessions": "string", "remarks": "Int64", "dreams": "string", "digest": "string", "plan": "string",
}
_SAFE = re.compile(r"^[\w][\w.\-@+=,]{0,119}$")


def folder_name(store_id: str) -> str:
    """The folder under `stores/` for a store id: the id itself when it is a plain file name,
    else a name made from its hash (an id from a manifest never becomes a path as it is)."""
    import hashlib

    if _SAFE.match(store_id) and store_id not in (".", ".."):
        return store_id
    return "_" + hashlib.sha256(store_id.encode()).hexdigest()[:24]


def frame(rows: Sequence[dict[str, Any]]):
    """Rows as a DataFrame with the fleet's columns and types (every column, in order)."""
    import pandas as pd

    data = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for name, dtype in COLUMNS.items():
        data[name] = data[name].astype(dtype)
    return data


def load_results(out: str | Path):
    """`results.parquet` of a fleet folder as a DataFrame."""
    import pandas as pd

    path = Path(out) / RESULTS
    if not path.exists():
        raise ReaderError("no results here; run the fleet first", source=str(path))
    return pd.read_parquet(path)


# --- what the last run left ---------------------------------------------------------------------


def _previous(out: Path, entries: Sequence[Entry]) -> dict[str, dict[str, Any]]:
    """The last good row of every store whose plan is still there (from `row.json`, written last)."""
    rows = {}
    for entry in entries:
        folder = out / STORES / folder_name(entry.id)
        try:
            row = json.loads((folder / "row.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if row.get("id") == entry.id and not row.get("error") and row.get("digest") and (folder / "plan.json").exists():
            rows[entry.id] = row
    return rows


def _keep(out: Path, entry: Entry, outcome: Outcome, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Write one store's files (row.json last) and return its row."""
    folder = out / STORES / folder_name(entry.id)
    row = outcome.row
    if row["skipped"] and previous is not None:
        kept = {k: previous.get(k) for k in COLUMNS if k not in ("seconds", "worker", "skipped", "peak_mb")}
        row = {**row, **kept, "skipped": True}
    else:
        written = set(outcome.files)
        if outcome.plan is not None:
            write_text(folder / "plan.json", outcome.plan)
            row["plan"] = f"{STORES}/{folder.name}/plan.json"
            written.add("plan.json")
        for name, text in outcome.files.items():
            write_text(folder / name, text)
        for stale in ("plan.json", "dreams.json", "error.log"):
            if stale not in written:
                remove(folder / stale)
    write_text(folder / "row.json", json.dumps(row, indent=2, ensure_ascii=False, default=str) + "\n")
    return row


# --- the output is no input ------------------------------------------------------------------------


def _inputs(entry: Entry) -> Iterator[tuple[str, Path]]:
    """(field, path) of every input an entry names that exists."""
    named = [("store", entry.store), *(("sessions", s) for s in entry.sessions), ("probes", entry.probes)]
    for name, given in named:
        if given and Path(given).exists():
            yield name, Path(given)


def check_out(out: Path, entries: Sequence[Entry], manifest: str | Path | None = None) -> None:
    """The fleet's folder changes no input: it is no store, sessions or probes of the manifest, lies in
    no input folder, writes over none (`results.parquet`, `stores/<id>/`), and is not read as a store
    of a folder manifest."""
    target = out.resolve()
    written = [target / RESULTS, target / BATCH_STATE, *(target / STORES / folder_name(e.id) for e in entries)]
    for entry in entries:
        for name, given in _inputs(entry):
            source = given.resolve()
            if source == target or (given.is_dir() and target.is_relative_to(source)):
                how = "is" if source == target else "lies inside"
                problem = f"{how} the {name} {quote(given)} of entry {entry.id!r}"
            elif any(source.is_relative_to(w) or (given.is_dir() and w.is_relative_to(source)) for w in written):
                problem = f"would write into the {name} {quote(given)} of entry {entry.id!r}"
            else:
                continue
            raise WorkbenchError(f"--out {quote(out)} {problem}; writing there would change the input: "
                                 "write the fleet elsewhere", source=str(manifest) if manifest else None,
                                 line=entry.line, field=name)
    folder = Path(manifest) if manifest is not None and Path(manifest).is_dir() else None
    if folder is not None and target.is_relative_to(folder.resolve()) and target != folder.resolve():
        first = target.relative_to(folder.resolve()).parts[0]
        if not first.startswith((".", "_")):
            raise WorkbenchError(f"--out {quote(out)} lies inside the folder of stores {quote(folder)}, where the "
                                 f"next run would read {first!r} as a store: write the fleet elsewhere (or name "
                                 f"it _{first})")


# --- Dask -----------------------------------------------------------------------------------------


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ImportError("fleets run on Dask: pip install 'dream-workbench[fleet]'") from None
    return distributed


@contextmanager
def connect_cluster(address: str | None = None, *, workers: int | None = None, threads: int = 1,
                    memory_limit: str | None = DEFAULT_MEMORY, retries: int = 1) -> Iterator[Any]:
    """A Dask client: on the scheduler at `address`, or on a local cluster of `workers` processes
    with `threads` each, every one restarted by its nanny above `memory_limit` (a store it was
    running is tried on another worker `retries` times, then reported as failed)."""
    import dask

    distributed = _dask()
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a dead worker is reported per store, not as a log line
    try:
        if address:
            try:
                client = distributed.Client(address, timeout="20s")
            except OSError as exc:
                raise WorkbenchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
            try:
                yield client
            finally:
                client.close()
            return
        count = workers or max(1, min(os.cpu_count() or 1, 4))
        with dask.config.set({"distributed.scheduler.allowed-failures": retries,
                              "distributed.worker.memory.terminate": 0.95}):
            cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=threads, processes=True,
                                               memory_limit=memory_limit or "auto", dashboard_address=":0",
                                               silence_logs=logging.CRITICAL)
            client = distributed.Client(cluster)
            try:
                yield client
            finally:
                client.close()
                cluster.close()
    finally:
        quiet.setLevel(level)


class _Leases:
    """`slot()` for the platform engine: a lease of a cluster-wide semaphore (picklable)."""

    def __init__(self, semaphore: Any) -> None:
        self.semaphore = semaphore

    def __call__(self) -> Any:
        return self.semaphore


class _StoreLock:
    """`lock(store_id)`: a cluster-wide lock per platform store (one dream per store at a time)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, store_id: str) -> Any:
        from distributed import Lock

        return Lock(name=f"{self.prefix}{store_id}")


def _died(entry: Entry, engine: str, exc: BaseException, memory_limit: str | None) -> dict[str, Any]:
    """The row of a store whose task never came back (its worker died, or Dask lost it)."""
    row = blank_row(entry, engine)
    row["worker"] = None
    if type(exc).__name__ == "KilledWorker":
        tries = getattr(exc, "allowed_failures", 0) + 1
        last = getattr(getattr(exc, "last_worker", None), "address", "?")
        limit = f" (over its {memory_limit} memory limit, or killed)" if memory_limit else ""
        row["error"] = f"the worker running this store died{limit}; tried on {tries} worker(s), the last {last}"
    else:
        text = " ".join(str(exc).split())
        row["error"] = f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
    return row


def _gather(client: Any, jobs: dict[Any, tuple[int, Entry]], on_done: Callable[[int, Entry, Outcome | BaseException], None],
            bar: Any) -> None:
    distributed = _dask()
    try:
        for future in distributed.as_completed(list(jobs)):
            index, entry = jobs[future]
            try:
                result: Outcome | BaseException = future.result()
            except Exception as exc:  # noqa: BLE001  (KilledWorker and friends: that store's row)
                result = exc
            future.release()
            on_done(index, entry, result)
            bar.update(1)
    except BaseException:
        client.cancel(list(jobs))
        raise


# --- the fleet --------------------------------------------------------------------------------------


def run_fleet(manifest: str | Path | Sequence[Entry], focus: Any = None, *, engine: str = "offline",
              out: str | Path = "fleet", probes: str = "generated", k: int = 5, address: str | None = None,
              workers: int | None = None, memory_limit: str | None = DEFAULT_MEMORY, concurrency: int = 4,
              message_batches: bool = True, poll_interval: float | None = None, retries: int = 1,
              rerun: bool = False, progress: bool = True, **options: Any):
    """Dream and evaluate every store of a manifest; one row per store (see `workbench.fleet`).

    `options` go to the engine: `embedder`; `model`, `batch_size`, `max_tokens`, `timeout`,
    `max_retries` (claude, platform). `concurrency` is the platform engine's global limit of
    dreams running at once. `message_batches=False` makes the claude engine call the Messages
    API once per batch of candidates from each worker instead of sending one Message Batch.
    """
    from ..dream import engine_options, get_engine
    from ..focus import Focus

    get_engine(engine)  # an unknown engine fails here, naming the known ones
    if probes not in PROBES:
        raise ReaderError(f"probes must be one of {', '.join(PROBES)} (or a `probes` column in the manifest)",
                          field="probes")
    if concurrency < 1:
        raise ReaderError("concurrency must be at least 1", field="concurrency")
    entries = list(manifest) if not isinstance(manifest, (str, Path)) else read_fleet_manifest(manifest)
    focus = focus if isinstance(focus, Focus) else Focus(focus or "")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WorkbenchError("the fleet's output must be a folder", source=str(out))
    check_out(out, entries, manifest if isinstance(manifest, (str, Path)) else None)
    if poll_interval is not None:
        options["poll_interval"] = poll_interval
    config = Config(engine, focus.to_dict(), probes, k, dict(options))
    config.digest()  # an unknown option value fails here, before any worker starts
    previous = {} if rerun else _previous(out, entries)
    rows: dict[int, dict[str, Any]] = {}

    def keep(index: int, entry: Entry, result: Outcome | BaseException) -> None:
        if isinstance(result, BaseException):
            rows[index] = _keep(out, entry, Outcome(_died(entry, engine, result, memory_limit if not address else None)),
                                None)
        else:
            rows[index] = _keep(out, entry, result, previous.get(entry.id))

    waits = "slot" in (engine_options(engine) or ())  # an engine that waits on remote work (platform dreams)
    threads = concurrency if waits else 1
    with connect_cluster(address, workers=workers, threads=threads, memory_limit=memory_limit, retries=retries) as client:
        if engine == "claude" and message_batches:
            _claude_fleet(client, entries, config, previous, out, keep, progress, poll_interval, rows)
        else:
            extra: dict[str, Any] = {}
            if waits:  # `concurrency` slots fleet-wide, one dream per store at a time
                distributed = _dask()
                name = f"workbench-fleet-dreams-{os.getpid()}-{id(rows)}"
                extra = {"slot": _Leases(distributed.Semaphore(max_leases=concurrency, name=name)),
                         "lock": _StoreLock("workbench-dream-store-")}
            jobs = {client.submit(run_store, entry, config, previous.get(entry.id, {}).get("digest"), **extra,
                                  key=f"store-{i}-{folder_name(entry.id)}", pure=False): (i, entry)
                    for i, entry in enumerate(entries)}
            with _bar(len(entries), progress, rows) as bar:
                _gather(client, jobs, keep, bar)
    result = frame([rows[i] for i in range(len(entries))])
    buffer = _parquet(result)
    write_bytes(out / RESULTS, buffer)
    return result


def _parquet(data) -> bytes:
    import io

    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


@contextmanager
def _bar(total: int, progress: bool, rows: dict[int, dict[str, Any]], desc: str = "fleet") -> Iterator[Any]:
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="store", disable=not progress)
    update = bar.update

    def counted(n: int = 1) -> None:
        failed = sum(1 for r in rows.values() if r.get("error"))
        skipped = sum(1 for r in rows.values() if r.get("skipped"))
        bar.set_postfix_str(f"{failed} failed, {skipped} skipped", refresh=False)
        update(n)

    bar.update = counted
    try:
        yield bar
    finally:
        bar.close()


def _claude_fleet(client: Any, entries: Sequence[Entry], config: Config, previous: dict[str, dict[str, Any]],
                  out: Path, keep: Callable, progress: bool, poll_interval: float | None,
                  rows: dict[int, dict[str, Any]]) -> None:
    """Step one on the workers, one Message Batch for every store's requests, step two on the workers."""
    from ..api import make_client
    from .batches import run_message_batches

    waiting: dict[int, tuple[Entry, Outcome]] = {}

    def first(index: int, entry: Entry, result: Outcome | BaseException) -> None:
        if isinstance(result, Outcome) and result.requests:
            waiting[index] = (entry, result)
        else:
            keep(index, entry, result)

    jobs = {client.submit(prepare_claude, entry, config, previous.get(entry.id, {}).get("digest"),
                          key=f"claude-prepare-{i}-{folder_name(entry.id)}", pure=False): (i, entry)
            for i, entry in enumerate(entries)}
    with _bar(len(entries), progress, rows, desc="fleet: candidates") as bar:
        _gather(client, jobs, first, bar)
    if not waiting:
        return
    items, sent = [], {}
    for index, (_, outcome) in sorted(waiting.items()):
        sent[index] = {}
        for number, request in enumerate(outcome.requests, start=1):
            items.append((f"s{index}-b{number}", request))
            sent[index][number] = request_digest(request)
    try:
        api = make_client(None, engine="claude", max_retries=config.options.get("max_retries", 2))
        answers = run_message_batches(api, items, state=out / BATCH_STATE, poll_interval=poll_interval or 30.0,
                                      progress=progress)
    except WorkbenchError as exc:  # every waiting store gets the one line; the others are done
        for index, (entry, outcome) in waiting.items():
            outcome.row["error"] = " ".join(str(exc).split())
            outcome.requests = None
            keep(index, entry, outcome)
        return
    seconds = {i: o.row["seconds"] for i, (_, o) in waiting.items()}

    def second(index: int, entry: Entry, result: Outcome | BaseException) -> None:
        if isinstance(result, Outcome):
            result.row["seconds"] = round((result.row["seconds"] or 0) + seconds[index], 3)
        keep(index, entry, result)

    jobs = {}
    for index, (entry, _) in waiting.items():
        mine = {int(cid.rsplit("-b", 1)[1]): answer for cid, answer in answers.items()
                if cid.startswith(f"s{index}-b")}
        jobs[client.submit(finish_claude, entry, config, mine, sent[index],
                           key=f"claude-finish-{index}-{folder_name(entry.id)}", pure=False)] = (index, entry)
    with _bar(len(jobs), progress, rows, desc="fleet: plans") as bar:
        _gather(client, jobs, second, bar)


__all__ = ["run_fleet", "connect_cluster", "load_results", "frame", "folder_name", "COLUMNS", "RESULTS", "STORES"]
