"""`eval`: probes asked of the store before and after a plan; regressions and the operations behind them."""

from __future__ import annotations

import argparse

from ..errors import EngineError
from .base import (
    EMBEDDERS,
    analysis_of,
    command,
    corpus,
    flag,
    inputs,
    load_plan,
    refuse_inputs,
    store,
)

DEFAULT_JUDGE_MODEL = "claude-haiku-4-5"  # answering and labelling short questions needs no larger model


@command("eval", store, flag("--plan", required=True, help="plan.json written by `workbench dream`"),
         flag("--decisions", default=None, help="decisions.json (default: every operation applied)"),
         flag("--probes", default=None, help="probes: JSONL or CSV (id, question, answer, evidence) or LoCoMo JSON; "
                                             "default: generated from the store"),
         flag("--k", type=int, default=5, help="notes retrieved per question"),
         flag("--embedder", default=None, help=f"{EMBEDDERS} (default: the plan's embedder)"),
         flag("--judge", action="store_true",
              help="Claude (J score) decides the probes the offline rules leave unanswered; needs "
                   "ANTHROPIC_API_KEY, prints the estimated cost first, sends nothing without a key"),
         flag("--dry-run", action="store_true", help="with --judge: print the estimate, send nothing"),
         flag("--model", default=DEFAULT_JUDGE_MODEL, help="the judge's model"),
         flag("--out", default=None, help="where to write report.json"))
def evaluate(args: argparse.Namespace) -> int:
    """Ask probes of the store before and after a plan: regressions and the operations behind them.

    Example:
      workbench eval sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions \\
        --plan plan.json --out report.json
    """
    from ..evaluate import Evaluator
    from ..files import checked_write
    from ..probes import load_probes
    from ..review import Review

    if args.out:
        refuse_inputs(args.out, [*inputs(args), args.probes])
    read = corpus(args)
    plan = load_plan(args.plan)
    plan.check_store(read.store, source=args.plan)
    decided = Review.load(plan, args.decisions) if args.decisions else None
    probes = load_probes(args.probes, read) if args.probes else None
    embedder = args.embedder or str(plan.inputs.get("embedder") or "tfidf").split("-", 1)[0]
    evaluator = Evaluator(analysis_of(args, read, embedder), probes, k=args.k)
    if args.judge:
        evaluator = _with_judge(evaluator, plan, decided, args)
    report = evaluator.report(plan, decided)
    if args.out:
        checked_write(args.out, report.to_json())
    _print_report(report.to_dict())
    if args.out:
        print(f"report → {args.out}")
    return 0


def _with_judge(evaluator, plan, decided, args: argparse.Namespace):
    """The evaluator with Claude deciding what the rules leave, after printing what that would cost."""
    from ..evaluate import Evaluator
    from ..judge import AnswerJudge, estimate_judging

    estimate = estimate_judging(evaluator, plan, decided, model=args.model)
    cost = f"${estimate['cost_usd']:.4f}" if estimate["cost_usd"] is not None else "unknown (model not priced)"
    print(f"judge ({args.model}): {estimate['probes']} probes the rules leave unanswered, {estimate['calls']} calls, "
          f"~{estimate['usage']['input_tokens']:,} input + {estimate['usage']['output_tokens']:,} output tokens, "
          f"~{cost} (estimate: {estimate['method']}; attribution may ask again)")
    if args.dry_run:
        print("judge: dry run, nothing was sent")
        return evaluator
    try:
        judge = AnswerJudge(model=args.model)
    except EngineError as exc:
        print(f"judge: {exc}; nothing was sent, the offline rules decide alone")
        return evaluator
    return Evaluator(evaluator.analysis, evaluator.probes, k=evaluator.k, judge=judge)


def _print_report(data: dict) -> None:
    """The summary of a report: both nets before and after, regressions, rules, breaking operations."""
    from ..evaluate import TOKEN_METHOD

    before, after = data["before"], data["after"]
    print(f"{data['probes_total']} probes ({', '.join(f'{n} {s}' for s, n in data['sources'].items()) or 'none'}), "
          f"top {data['k']}: answered {before['answered']} before → {after['answered']} after; "
          f"evidence retrieved {before['retrieved']} → {after['retrieved']}; "
          f"watched by a net {before['watched']} → {after['watched']}")
    print(f"  {len(data['answer_regressions'])} answer regressions, {len(data['retrieval_regressions'])} retrieval "
          f"regressions ({len(data['regressions'])} probes), {len(data['gains'])} gains")
    rules = ", ".join(f"{n} {rule}" for rule, n in before["matched_by"].items()) or "none"
    print(f"  answers found before by: {rules} (token F1 ≥ {data['matching']['f1_threshold']:g})")
    print(f"  notes {before['notes']:,} → {after['notes']:,}; tokens {before['tokens']:,} → {after['tokens']:,} "
          f"({TOKEN_METHOD})")
    if data.get("judge"):
        judge = data["judge"]
        print(f"  judge: {judge['asked']} asked, {judge['correct']} correct, {judge['calls']} calls, "
              f"${judge['cost_usd'] or 0:.4f}")
    for op_id, op in data["operations"].items():
        print(f"  {op_id} {op['kind']}/{op['reason']} breaks {len(op['breaks'])}: {', '.join(op['breaks'][:5])}")
