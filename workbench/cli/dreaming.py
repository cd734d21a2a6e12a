"""Commands that take a focus: `focus`, `dream`, `fleet` (every `Focus` field is an option of each)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..errors import WorkbenchError
from .base import (
    EMBEDDERS,
    analysis_of,
    as_json,
    clip,
    command,
    corpus,
    flag,
    formats,
    inputs,
    keep_secrets,
    print_json,
    refuse_inputs,
    sessions_option,
    store,
    write_json,
)
from .options import focus_of, focus_options

ENGINES = ["offline", "claude", "platform"]


@command("focus", flag("text", nargs="?", default=None, metavar="instructions",
                       help="focus instructions (≤ 4,096 characters); or --focus, --focus-file"),
         focus_options,
         flag("--store", default=None, help="a memory store: show what each scope matches and changes in its plan"),
         sessions_option("session files or directories (with --store)"), formats,
         flag("--embedder", default=None, help=f"{EMBEDDERS} (with --store)"),
         flag("--compare", default=None, metavar="B", help="other instructions: the two plans' difference"), as_json)
def focus(args: argparse.Namespace) -> int:
    """Compile focus instructions; with --store, what each scope matches and changes in the plan.

    Example:
      workbench focus "Prioritize coding preferences. Never touch /team/." \\
        --store sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions
    """
    chosen = focus_of(args, args.text)
    if args.compare is not None and args.store is None:
        raise WorkbenchError("--compare needs --store: two plans of one store are compared")
    if not chosen.instructions.strip() and args.compare is None:
        print("workbench: warning: no focus instructions given; the focus is empty", file=sys.stderr)
    if args.store is None:
        print_json(focus_json(chosen)) if args.json else print_focus(chosen)
        return 0
    from ..views.focus import compare_focus, scope_report

    analysis = analysis_of(args)
    if args.compare is not None:
        diff = compare_focus(analysis, chosen, args.compare)
        print_json(diff.to_dict()) if args.json else print_comparison(diff, chosen.instructions, args.compare)
        return 0
    report = scope_report(analysis, chosen)
    print_json(report.to_dict()) if args.json else print_scope_report(report)
    return 0


@command("dream", store, focus_options, flag("--engine", default="offline", choices=ENGINES),
         flag("--embedder", default=None, help=f"{EMBEDDERS} (offline engine)"),
         flag("--model", default=None, help="Claude model (claude and platform engines)"),
         flag("--dry-run", action="store_true", help="claude engine: print the calls and a token estimate, send nothing"),
         flag("--store-id", default=None, help="platform engine: the memory store to dream on"),
         flag("--out", default="plan.json", help="where to write the plan"), keep_secrets)
def dream(args: argparse.Namespace) -> int:
    """Plan a dream (offline, claude or platform engine) and write plan.json.

    Example:
      workbench dream sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions \\
        --focus "Prioritize code style" --horizon-days 90 --out plan.json
    """
    from ..dream import dream as run
    from ..dream import engine_options
    from ..records import MAX_SESSIONS

    if not args.dry_run:
        refuse_inputs(args.out, inputs(args))
    given = {"embedder": args.embedder, "model": args.model, "dry_run": args.dry_run or None, "store_id": args.store_id}
    takes = engine_options(args.engine)
    options = {k: v for k, v in given.items() if v is not None and (takes is None or k in takes)}
    read = corpus(args)
    if args.engine == "offline" and takes is not None and "analysis" in takes and len(read.sessions) <= MAX_SESSIONS:
        options["analysis"] = analysis_of(args, read)  # kept by content: the same store is not analysed twice
    plan = run(read, focus_of(args), engine=args.engine, **options)
    if args.dry_run:
        print(f"dry run: nothing was sent. {plan.notes[0] if plan.notes else ''}")
        print_json(plan.usage)
        return 0
    write_json(args.out, plan.to_dict(), args.keep_secrets)
    print_plan_summary(plan)
    print_focus(plan.focus, indent="  ")
    print(f"plan → {args.out}")
    return 0


@command("fleet", flag("manifest", help="JSONL or CSV with id, store, sessions (optional) columns, or a folder of stores"),
         focus_options, flag("--engine", default="offline", choices=ENGINES),
         flag("--probes", default="generated", choices=["generated", "none"],
              help="evaluate with probes generated from each store (a manifest `probes` column wins), or not"),
         flag("--out", default="fleet", help="the fleet's folder: results.parquet and stores/<id>/plan.json"),
         flag("--address", default=None, help="a running Dask scheduler (default: a local cluster)"),
         flag("--workers", type=int, default=None, help="local cluster: worker processes (default: cores)"),
         flag("--memory-limit", default="4GiB", help="local cluster: memory per worker; above it a worker restarts"),
         flag("--concurrency", type=int, default=4, help="platform engine: dreams running at once, fleet-wide"),
         flag("--embedder", default=None, help=EMBEDDERS),
         flag("--model", default=None, help="Claude model (claude and platform engines)"),
         flag("--batch-size", type=int, default=None, help="claude engine: candidates per request"),
         flag("--max-tokens", type=int, default=None, help="claude engine: max_tokens per request"),
         flag("--no-message-batches", action="store_true",
              help="claude engine: one Messages call per batch of candidates instead of one Message Batch"),
         flag("--poll-interval", type=float, default=None, help="seconds between polls (batches, dreams)"),
         flag("--rerun", action="store_true", help="dream every store again, even unchanged ones"),
         flag("--no-progress", action="store_true", help="no progress bar"))
def fleet(args: argparse.Namespace) -> int:
    """Dream and evaluate every store of a manifest on Dask; one row per store in results.parquet.

    Example:
      workbench fleet stores/manifest.jsonl --focus "Prioritize coding style" --workers 2 --out fleet/
    """
    from ..fleet import run_fleet, summary

    options = {k: getattr(args, k) for k in ("embedder", "model", "batch_size", "max_tokens") if getattr(args, k)}
    results = run_fleet(args.manifest, focus_of(args), engine=args.engine, out=args.out, probes=args.probes,
                        address=args.address, workers=args.workers, memory_limit=args.memory_limit,
                        concurrency=args.concurrency, message_batches=not args.no_message_batches,
                        poll_interval=args.poll_interval, rerun=args.rerun, progress=not args.no_progress,
                        **options)
    s = summary(results)
    shrink = "–" if s["median_shrink"] is None else f"{s['median_shrink']:.1%}"
    print(f"{s['stores']} stores: {s['dreamt']} dreamt, {s['skipped']} skipped (unchanged), {s['failed']} failed; "
          f"notes {s['notes_before']:,} → {s['notes_after']:,} (median shrink {shrink}); {s['regressions']} "
          f"regressions in {s['stores_with_regressions']} stores → {args.out}/results.parquet")
    failed = results[results["error"].notna()]
    for row in failed.head(20).itertuples():
        print(f"  failed: {row.id}: {row.error}")
    if len(failed) > 20:
        print(f"  … and {len(failed) - 20} more (the `error` column of results.parquet)")
    return 0


# --- printing -------------------------------------------------------------------------------------

def print_plan_summary(plan) -> None:
    summary = plan.summary()
    print(f"{plan.engine} dream: {summary['operations']} operations on {summary['notes_in']} notes "
          f"→ {summary['notes_out']} notes in {summary['memories_out']} memories")
    print(f"  {'kind':<8} {'reason':<12} {'count':>5}")
    for (kind, reason), count in sorted(Counter((op.kind, op.reason) for op in plan.operations).items()):
        print(f"  {kind:<8} {reason:<12} {count:>5}")
    print(f"  deletes {summary['deleted_share']:.0%} and rewrites {summary['rewritten_share']:.0%} of notes")
    if plan.questions_found:
        kinds = Counter(q.kind for q in plan.questions)
        print(f"  {len(plan.questions)} questions for a judge ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
              f", the most valuable of {plan.questions_found} found; answer them in the review")
    for note in plan.notes:
        print(f"  note: {note}")


def print_focus(focus, indent: str = "") -> None:
    """The compiled scopes with the words each came from, what was not understood, contradictions."""
    compiled = focus.compiled
    active = {s.label for s in focus.active_scopes}
    shown = [s for s in compiled.scopes if s.label in active]
    print(f"{indent}focus: {len(shown)} scope(s) from the instructions")
    width = max((len(s.label) for s in shown), default=0)
    for scope in shown:
        note = f" ({scope.note})" if scope.note else ""
        print(f"{indent}  {scope.label:<{width}}  ← “{scope.source}”{note}")
    for line in focus.describe()[len(shown):]:
        print(f"{indent}  {line}")
    for unclear in compiled.not_understood:
        print(f"{indent}  not understood: {unclear.describe()}")
    for text in focus.contradictions:
        print(f"{indent}  contradiction: {text}")
    for text in compiled.warnings:
        print(f"{indent}  warning: {text}")


def focus_json(focus) -> dict:
    """The compiled scopes, those in force, contradictions, and the knobs as the engines read them."""
    return {"instructions": focus.instructions, **focus.compiled.to_dict(),
            "active": [s.label for s in focus.active_scopes], "contradictions": focus.contradictions,
            "resolved": focus.resolved().to_dict()}


def print_scope_report(report) -> None:
    """Per scope: its effect, the notes it matches (a few texts), what it changed against no focus."""
    from ..views.focus import nearest_text

    for line in report.scopes:
        e = line.effect
        print(f"{e.label}  ← “{e.source}”")
        print(f"  effect: {e.effect}")
        if not e.notes:
            near = nearest_text(line)
            print(f"  matches no note: {e.why or 'nothing under it'}" + (f"; nearest: {near}" if near else ""))
        else:
            print(f"  matches {len(e.notes)} note(s): " + " · ".join(f"“{clip(t)}”" for t in line.texts))
        for what, change in (("operations", e.operations), ("questions", e.questions)):
            for name in ("added", "removed", "reordered"):
                ids = getattr(change, name)
                if ids:
                    print(f"  {what} {name}: {', '.join(ids)}")
    for unclear in report.not_understood:
        print(f"not understood: {unclear.describe()}")
    ops, questions = report.diff.operations, report.diff.questions
    print(f"against no focus: operations +{len(ops.added)} −{len(ops.removed)} ↕{len(ops.reordered)}, "
          f"questions +{len(questions.added)} −{len(questions.removed)} ↕{len(questions.reordered)}")


def print_comparison(diff, a: str, b: str) -> None:
    """Operations and questions only in A, only in B, and in both."""
    print(f"A: “{a}”\nB: “{b}”")
    for what, change, both in (("operations", diff.operations, diff.operations_in_both),
                               ("questions", diff.questions, diff.questions_in_both)):
        print(f"{what}: {len(change.added)} only in A, {len(change.removed)} only in B, {len(both)} in both")
        for name, ids in (("only in A", change.added), ("only in B", change.removed)):
            if ids:
                print(f"  {name}: {', '.join(ids)}")
