"""Fleets: dream and evaluate thousands of memory stores, on one machine or a Dask cluster.

    results = run_fleet("manifest.jsonl", Focus("Prioritize coding style"), out="fleet/")
    results = run_fleet("stores/", engine="claude", address="tcp://scheduler:8786")

Each store of the manifest (`workbench.fleet.manifest`) is loaded, analysed, dreamt and
evaluated on its own, as one Dask task (`workbench.fleet.task`); `fleet/results.parquet` has one
row per store (`COLUMNS`: notes before/after, operations by kind, regressions of the generated
probes, tokens before/after, seconds, peak memory, `error`, `skipped`) and `fleet/stores/<id>/`
its `plan.json`. A store that fails is a row with its one-line error; a worker that dies is
replaced and the store tried once more, then reported. A re-run skips every store whose inputs
(bytes of its files), focus, engine and options are unchanged.

Engines at fleet scale: `offline` on every worker; `claude` sends every store's requests in one
Message Batch (half the price; polled with a progress bar, answers matched back by custom id,
failed answers retried one by one); `platform` runs at most `concurrency` dreams at once across
the cluster, one per store at a time, chaining dreams of ≤ 100 sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .manifest import Entry, read_fleet_manifest
from .runner import COLUMNS, RESULTS, connect_cluster, folder_name, load_results, run_fleet


@dataclass
class StoreResult:
    """One store of a finished fleet: its row, its inputs loaded again, and its plan."""

    row: dict[str, Any]
    corpus: Any
    plan: Any


def open_store(out: str | Path, store_id: str) -> StoreResult:
    """The row, corpus and plan of one store of a fleet folder, ready for `Workbench(analyze(corpus), plan)`.

    The corpus is loaded again from the paths in the row; a store changed since the fleet ran is
    an error, since its plan would no longer apply.
    """
    from ..dream.plan import Plan
    from ..errors import ReaderError, WorkbenchError
    from ..io import load_corpus

    results = load_results(out)
    match = results[results["id"] == store_id]
    if match.empty:
        raise ReaderError(f"no store {store_id!r} in this fleet", source=str(Path(out) / RESULTS))
    row = {k: (None if _missing(v) else v) for k, v in match.iloc[0].to_dict().items()}
    if not row["plan"]:
        raise ReaderError(f"store {store_id!r} has no plan: {row['error'] or 'it was not dreamt'}")
    path = Path(out) / row["plan"]
    plan = Plan.load(path)
    sessions = [s for s in (row["sessions"] or "").split("|") if s]
    corpus = load_corpus(row["store"], sessions or None)
    try:
        plan.check_store(corpus.store)
    except WorkbenchError:
        raise ReaderError(f"store {store_id!r} changed since the fleet ran; run the fleet again",
                          source=row["store"]) from None
    plan.input_store = corpus.store
    return StoreResult(row, corpus, plan)


def _missing(value: Any) -> bool:
    try:
        import pandas as pd

        return value is pd.NA or (isinstance(value, float) and value != value)
    except ImportError:
        return value is None


def summary(results) -> dict[str, Any]:
    """The numbers a fleet's header shows: stores done, failed, skipped; shrink and regressions."""
    done = results[results["error"].isna()]
    return {"stores": len(results), "dreamt": int((~done["skipped"]).sum()), "skipped": int(done["skipped"].sum()),
            "failed": int(results["error"].notna().sum()),
            "median_shrink": None if done.empty else round(float(done["shrink"].median()), 4),
            "regressions": int(done["regressions"].fillna(0).sum()),
            "stores_with_regressions": int((done["regressions"].fillna(0) > 0).sum()),
            "notes_before": int(done["notes_before"].sum()), "notes_after": int(done["notes_after"].sum()),
            "tokens_saved": int((done["tokens_before"] - done["tokens_after"]).sum())}


def plot(results):
    """Two panels: the distribution of shrink (share of notes removed) and of regressions per store."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    done = results[results["error"].isna()]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("shrink per store (share of notes removed)",
                                                        "regressions per store (generated probes)"))
    fig.add_trace(go.Histogram(x=done["shrink"].astype(float), nbinsx=20, name="shrink",
                               hovertext=done["id"]), row=1, col=1)
    fig.add_trace(go.Histogram(x=done["regressions"].fillna(0).astype(int), name="regressions"), row=1, col=2)
    fig.update_layout(showlegend=False, height=320, margin=dict(l=40, r=20, t=40, b=40), bargap=0.05)
    fig.update_xaxes(title_text="shrink", tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title_text="regressions", dtick=1, row=1, col=2)
    fig.update_yaxes(title_text="stores", row=1, col=1)
    return fig


def sample_fleet(sample: str | Path, out: str | Path, stores: int = 6, *, seed: int = 0) -> Path:
    """A small fleet made from the sample data, for trying fleets out: `stores` stores, each a
    random share of one sample store's memories with that store's sessions; returns the manifest.

    Every store is a JSON store file under `out`; the manifest is `out/manifest.jsonl`.
    """
    import json
    import random

    from ..files import checked_write as write_text
    from ..io import load_store
    from ..io.store_json import store_json
    from ..records import Store

    sample, out = Path(sample), Path(out)
    sources = sorted(p for p in sample.iterdir() if (p / "store.json").exists() and (p / "sessions").is_dir())
    if not sources:
        from ..errors import ReaderError

        raise ReaderError("no sample datasets (folders with store.json and sessions/) here", source=str(sample))
    rng = random.Random(seed)
    lines = []
    for i in range(stores):
        source = sources[i % len(sources)]
        store = load_store(source / "store.json")
        share = rng.uniform(0.5, 1.0)
        keep = sorted(rng.sample(range(len(store.memories)), max(1, round(share * len(store.memories)))))
        part = Store(tuple(store.memories[j] for j in keep), id=f"{store.id or source.name}-{i}",
                     name=f"{source.name} #{i}")
        path = write_text(out / f"{source.name}-{i}.json", store_json(part))
        lines.append({"id": f"{source.name}-{i}", "store": path.name, "sessions": str((source / "sessions").resolve())})
    return write_text(out / "manifest.jsonl", "".join(json.dumps(line) + "\n" for line in lines))


__all__ = ["run_fleet", "read_fleet_manifest", "load_results", "open_store", "summary", "plot", "sample_fleet",
           "connect_cluster", "folder_name", "Entry", "StoreResult", "COLUMNS", "RESULTS"]
