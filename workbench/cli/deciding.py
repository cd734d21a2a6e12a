"""Commands that decide on a plan and apply it: `review`, `export`, `verify`."""

from __future__ import annotations

import argparse
import sys

from ..errors import WorkbenchError
from .base import (
    command,
    corpus,
    flag,
    formats,
    keep_secrets,
    load_plan,
    load_store,
    refuse_inputs,
    sessions_option,
)
from .options import guardrail_of, guardrail_options


def _auto_bar(parser: argparse.ArgumentParser) -> None:
    from ..dream.calibration import AUTO_BAR
    from ..focus import KINDS

    parser.add_argument("--min-confidence", type=float, default=AUTO_BAR,
                        help=f"the confidence bar of --auto (default {AUTO_BAR:g}: only verdicts of measured "
                             f"precision ≥ {AUTO_BAR:g})")
    parser.add_argument("--kinds", nargs="+", default=None, choices=list(KINDS),
                        help="the kinds --auto approves (default: all)")


@command("review", flag("plan", help="plan.json written by `workbench dream`"),
         flag("--auto", action="store_true", help="approve operations at or above --min-confidence"), _auto_bar,
         flag("--approve-all", action="store_true", help="approve every operation (never answers a question)"),
         flag("--answer", action="append", metavar="QUESTION=CHOICE",
              help="answer a question of the plan with one of its choices (repeatable), e.g. q_3f2a…=merge"),
         flag("--labels", default=None, help="also write every decision and answer as labels (JSONL)"),
         flag("--decisions", default=None, help="resume from earlier decisions"), guardrail_options,
         flag("--who", default="cli", help="who decides, as the decisions record it"),
         flag("--out", default="decisions.json",
              help="where to write the decisions (an existing file of decisions on this plan is resumed)"),
         keep_secrets)
def review(args: argparse.Namespace) -> int:
    """Decide on a plan's operations: automatic above a confidence bar, or approve all.

    Example:
      workbench review plan.json --auto --out decisions.json
    """
    from ..resume import resume_review

    refuse_inputs(args.out, [args.plan])
    if args.labels:
        refuse_inputs(args.labels, [args.plan, args.out], "--labels")
    if not (args.auto or args.approve_all or args.answer):
        raise WorkbenchError("choose --auto [--min-confidence X] [--kinds ...], --approve-all or --answer Q=CHOICE")
    plan = load_plan(args.plan)
    decided, resumed_from = resume_review(plan, args.out, decisions=args.decisions, guardrail=guardrail_of(args))
    if resumed_from:
        print(f"resuming from the earlier decisions in {resumed_from} (a person's decisions are kept)")
    for answer in args.answer or []:
        question, _, choice = answer.partition("=")
        decided.answer(question.strip(), choice.strip(), who=args.who)
    if args.approve_all:
        decided.approve_all(who=args.who)
    elif args.auto:
        decided.auto(args.min_confidence, args.kinds, who="auto")
    try:
        decided.save(args.out, keep_secrets=args.keep_secrets)
    except OSError as exc:
        raise WorkbenchError(f"cannot write: {exc.strerror or exc}", source=args.out) from None
    if args.labels:
        decided.save_labels(args.labels)
    counts = decided.counts()
    print(f"{counts['approve']} approved, {counts['edit']} edited, {counts['reject']} rejected, "
          f"{counts['pending']} pending, {counts['blocked']} blocked; {counts['answered']} of {counts['questions']} "
          f"questions answered (never by --auto or --approve-all) → {args.out}")
    for line in decided.log:
        print(f"  note: {line}")
    return 0


def _export_format(parser: argparse.ArgumentParser) -> None:
    from ..io import writers

    parser.add_argument("--format", default="dir", choices=list(writers()),
                        help="; ".join(f"{name}: {writer.description}" for name, writer in writers().items()))


@command("export", flag("store", help="the input memory store the plan was made for"), flag("plan", help="plan.json"),
         flag("--decisions", default=None, help="decisions.json (default: approve every operation)"),
         lambda p: formats(p, sessions=False), flag("--out", required=True, help="where to write the snapshot"),
         _export_format,
         flag("--force", action="store_true", help="replace an earlier snapshot (never anything else)"),
         flag("--allow-large-change", action="store_true", help="export even above the guardrail caps"),
         keep_secrets)
def export(args: argparse.Namespace) -> int:
    """Apply approved operations and write an auditable snapshot.

    Example:
      workbench export sample-data/coding-assistant/store.json plan.json --decisions decisions.json --out snapshot
    """
    from ..export import export_snapshot
    from ..review import Review

    plan = load_plan(args.plan)
    decided = Review.load(plan, args.decisions) if args.decisions else Review(plan).approve_all(who="cli")
    snapshot = export_snapshot(load_store(args), plan, decided, args.out, format=args.format, force=args.force,
                               allow_large_change=args.allow_large_change, keep_secrets=args.keep_secrets,
                               inputs=[args.plan, args.decisions])
    output = snapshot.manifest["output"]
    print(f"snapshot ({args.format}) → {snapshot.path}: {output['memories']} memories, {output['notes']} notes")
    for warning in snapshot.warnings:
        print(f"  warning: {warning}", file=sys.stderr)
    return 0


@command("verify", flag("snapshot", help="a snapshot folder, or a one-file snapshot (json, zip, mem0, letta-af)"),
         flag("--replay", action="store_true",
              help="rebuild the snapshot from the input store, the plan and the decisions; compare byte for byte"),
         flag("--store", default=None, help="the input store (needed by --replay)"),
         flag("--plan", default=None, help="plan.json (default: the operations the manifest records)"),
         flag("--decisions", default=None, help="decisions.json (default: the decisions the manifest records)"),
         sessions_option("also dream again (offline plans) and compare the plan"), formats)
def verify(args: argparse.Namespace) -> int:
    """Recompute a snapshot's digests and signature (and rebuild it with --replay).

    Example:
      workbench verify snapshot --replay --store sample-data/coding-assistant/store.json --plan plan.json \\
        --decisions decisions.json
    """
    from ..review import Review
    from ..snapshot import SIGNING_KEY
    from ..verify import replay, verify_snapshot

    result = verify_snapshot(args.snapshot)
    signature = {"valid": ", signature valid", "invalid": ", signature INVALID",
                 "unchecked": f", signed (set {SIGNING_KEY} to check the signature)"}.get(result.signature, "")
    print(f"{'intact' if result.ok else 'NOT intact'}: {result.files} memory files checked{signature}")
    for problem in result.problems:
        print(f"  {problem}")
    if not args.replay:
        return 0 if result.ok else 1
    if not args.store:
        raise WorkbenchError("--replay needs the input --store the snapshot was made from "
                             "(and --plan, --decisions, --sessions to check those too)")
    if args.decisions and not args.plan:
        raise WorkbenchError("--decisions needs the --plan they were made on")
    plan = load_plan(args.plan) if args.plan else None
    read = corpus(args) if args.sessions else None
    outcome = replay(args.snapshot, read.store if read is not None else load_store(args), plan=plan,
                     review=Review.load(plan, args.decisions) if args.decisions else None, corpus=read)
    print(f"replay: {'same plan, same snapshot' if outcome.ok else 'DIFFERENT'} ({outcome.detail})")
    for problem in outcome.problems[1:]:
        print(f"  {problem}")
    return 0 if result.ok and outcome.ok else 1
