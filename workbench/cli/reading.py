"""Commands that read a store: `inspect`, `analyze`, `pull`."""

from __future__ import annotations

import argparse

from .base import (
    EMBEDDERS,
    analysis_of,
    as_json,
    command,
    corpus,
    flag,
    inputs,
    keep_secrets,
    print_json,
    refuse_inputs,
    store,
    write_json,
)


@command("inspect", store, as_json)
def inspect(args: argparse.Namespace) -> int:
    """Counts, time span, notes per memory, largest files.

    Example:
      workbench inspect sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions
    """
    summary = corpus(args).summary()
    if args.json:
        print_json(summary)
        return 0
    print(f"{summary['memories']} memories, {summary['notes']} notes, {summary['sessions']} sessions, "
          f"{summary['turns']} turns, {summary['bytes']:,} bytes")
    print(f"time span: {summary['first']} .. {summary['last']}")
    npm = summary["notes_per_memory"]
    print(f"notes per memory: min {npm['min']}, median {npm['median']}, max {npm['max']}")
    print("largest files:")
    for item in summary["largest"]:
        print(f"  {item['bytes']:>8,} B  {item['notes']:>4} notes  {item['path']}")
    return 0


@command("analyze", store, flag("--embedder", default=None, help=EMBEDDERS),
         flag("--out", required=True, help="where to write analysis.json"), keep_secrets)
def analyze(args: argparse.Namespace) -> int:
    """Duplicates, conflicts, clusters, the 2-D map and staleness as JSON.

    Example:
      workbench analyze sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions \\
        --out analysis.json
    """
    from ..findings import findings

    refuse_inputs(args.out, inputs(args))
    analysis = analysis_of(args)
    found = findings(analysis).to_dict()
    data = {**analysis.to_dict(), **found}
    data["counts"] = {**analysis.to_dict()["counts"], **found["counts"]}
    write_json(args.out, data, args.keep_secrets)
    counts = data["counts"]
    print(f"{counts['notes']} notes, {counts['sessions']} sessions: {counts['duplicate_groups']} duplicate groups, "
          f"{counts['conflicts']} conflicts, {counts['clusters']} clusters, {counts['insight_candidates']} insight "
          f"candidates → {args.out}")
    return 0


@command("pull", flag("store_id", help="the platform memory store (memstore_…)"),
         flag("--out", required=True, help="the folder to write the store and its sessions to"),
         flag("--session-ids", nargs="+", default=None, help="only these sessions (default: the store's)"))
def pull(args: argparse.Namespace) -> int:
    """Export a platform memory store and its sessions to local files.

    Example:
      workbench pull memstore_01abc --out pulled/
    """
    from ..io.platform import platform_client
    from ..io.platform import pull as run

    summary = run(platform_client(), args.store_id, args.out, session_ids=args.session_ids or None).summary()
    print(f"pulled {summary['memories']} memories and {summary['sessions']} sessions → {args.out}")
    return 0
