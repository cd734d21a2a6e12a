"""`workbench …`: a thin command line over the package; each command calls one function.

Errors print one line (`workbench: error: …`) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .errors import EngineError, WorkbenchError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
_PYTHON_SHOWWARNING = warnings.showwarning


def command(name: str, help: str) -> Callable:
    """Register `fn(args) -> exit code` as a subcommand; `fn.arguments(parser)` adds its options."""

    def decorate(fn: Callable) -> Callable:
        fn.help = help
        COMMANDS[name] = fn
        return fn

    return decorate


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _corpus(args: argparse.Namespace):
    from .io import load_corpus

    return load_corpus(args.store, args.sessions, store_format=args.store_format,
                       sessions_format=args.sessions_format, default_time=getattr(args, "default_time", None))


def _store_options(parser: argparse.ArgumentParser, sessions: bool = True) -> None:
    parser.add_argument("store", help="memory store: a directory, JSON, JSONL, CSV or Parquet file")
    if sessions:
        parser.add_argument("--sessions", nargs="+", default=None, help="session files or directories")
    parser.add_argument("--store-format", default=None, help="name the store format instead of sniffing")
    parser.add_argument("--sessions-format", default=None, help="name the sessions format instead of sniffing")
    _default_time_option(parser)


def _default_time_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--default-time", default=None,
                        help="ISO time for CSV/Parquet rows without updated_at (otherwise such a row is an error)")


@command("inspect", "counts, time span, notes per memory, largest files")
def inspect(args: argparse.Namespace) -> int:
    """Example: workbench inspect sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions"""
    summary = _corpus(args).summary()
    if args.json:
        _print_json(summary)
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


inspect.arguments = lambda p: (_store_options(p), p.add_argument("--json", action="store_true", help="print JSON"))



def _focus(args: argparse.Namespace):
    from pathlib import Path

    from .focus import Focus

    text = args.focus or ""
    if getattr(args, "focus_file", None):
        from .files import read_text

        text = read_text(Path(args.focus_file))
    return Focus(instructions=text, max_sessions=args.max_sessions, since=args.since, until=args.until,
                 session_ids=args.session_ids or [], horizon_days=args.horizon_days, min_sessions=args.min_sessions,
                 duplicate_bar=args.duplicate_bar, conflict_bar=args.conflict_bar)


def _write(path: str, text: str) -> None:
    """Write an output atomically (a full disk leaves the old file as it was); errors are one line."""
    from .files import checked_write

    checked_write(path, text)


def _json_out(data: Any, keep_secrets: bool) -> str:
    """JSON text for an output file, secret values redacted unless the person opted in."""
    from .secrets import redact_data

    return json.dumps(data if keep_secrets else redact_data(data), indent=2, ensure_ascii=False, default=str) + "\n"


def _refuse_inputs(out: str, inputs: Sequence[str | None], option: str = "--out") -> None:
    """`out` must not be an input of the command (or lie inside an input folder): inputs are never overwritten."""
    import os
    from pathlib import Path

    from .files import quote

    target = Path(out)
    for given in filter(None, inputs):
        source = Path(given)
        if not source.exists():
            continue
        same = target.exists() and os.path.samefile(target, source)
        if same or target.resolve() == source.resolve():
            raise WorkbenchError(f"{option} {quote(out)} is an input of this command; inputs are never "
                                 "overwritten: write to another file")
        if source.is_dir() and target.resolve().is_relative_to(source.resolve()):
            raise WorkbenchError(f"{option} {quote(out)} lies inside the input folder {quote(given)}; "
                                 "writing there would change the input: write elsewhere")


def _inputs(args: argparse.Namespace) -> list[str | None]:
    return [getattr(args, "store", None), *(getattr(args, "sessions", None) or []),
            getattr(args, "focus_file", None), getattr(args, "plan", None), getattr(args, "decisions", None)]


def _keep_secrets_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep-secrets", action="store_true",
                   help="write secret values (API keys, passwords) as they are instead of redacting them")


@command("analyze", "duplicates, conflicts, clusters, the 2-D map and staleness as JSON")
def analyze_cmd(args: argparse.Namespace) -> int:
    """Example: workbench analyze sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions --out analysis.json"""
    from .analysis import analyze
    from .findings import findings

    _refuse_inputs(args.out, _inputs(args))
    analysis = analyze(_corpus(args), args.embedder)
    found = findings(analysis)
    data = {**analysis.to_dict(), **found.to_dict()}
    data["counts"] = {**analysis.to_dict()["counts"], **found.to_dict()["counts"]}
    _write(args.out, _json_out(data, args.keep_secrets))
    counts = data["counts"]
    print(f"{counts['notes']} notes, {counts['sessions']} sessions: {counts['duplicate_groups']} duplicate groups, "
          f"{counts['conflicts']} conflicts, {counts['clusters']} clusters, {counts['insight_candidates']} insight "
          f"candidates → {args.out}")
    return 0


analyze_cmd.arguments = lambda p: (_store_options(p), p.add_argument("--embedder", default=None, help="tfidf, minilm or voyage"),
                                   p.add_argument("--out", required=True, help="where to write analysis.json"),
                                   _keep_secrets_option(p))


def _focus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--focus", default=None, help="focus instructions (≤ 4,096 characters)")
    p.add_argument("--focus-file", default=None, help="read the focus instructions from a file")
    p.add_argument("--max-sessions", type=int, default=None, help="read the most recent N sessions (≤ 100)")
    p.add_argument("--since", default=None, help="only sessions from this date on")
    p.add_argument("--until", default=None, help="only sessions up to this date")
    p.add_argument("--session-ids", nargs="+", default=None, help="only these sessions")
    p.add_argument("--horizon-days", type=int, default=120, help="episodic notes older than this may be pruned")
    p.add_argument("--min-sessions", type=int, default=2, help="sessions that must state a fact to distill it")
    p.add_argument("--duplicate-bar", type=float, default=None, help="similarity bar for duplicates")
    p.add_argument("--conflict-bar", type=float, default=None, help="similarity bar for conflicts")


def print_plan_summary(plan) -> None:
    summary = plan.summary()
    print(f"{plan.engine} dream: {summary['operations']} operations on {summary['notes_in']} notes "
          f"→ {summary['notes_out']} notes in {summary['memories_out']} memories")
    print(f"  {'kind':<8} {'reason':<12} {'count':>5}")
    from collections import Counter

    for (kind, reason), count in sorted(Counter((op.kind, op.reason) for op in plan.operations).items()):
        print(f"  {kind:<8} {reason:<12} {count:>5}")
    print(f"  deletes {summary['deleted_share']:.0%} and rewrites {summary['rewritten_share']:.0%} of notes")
    if plan.questions_found:
        kinds = Counter(q.kind for q in plan.questions)
        print(f"  {len(plan.questions)} questions for a judge ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
              f", the most valuable of {plan.questions_found} found; answer them in the review")
    for note in plan.notes:
        print(f"  note: {note}")


@command("dream", "plan a dream (offline, claude or platform engine) and write plan.json")
def dream_cmd(args: argparse.Namespace) -> int:
    """Example: workbench dream sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions --focus "Prioritize code style" --out plan.json"""
    from .dream import dream

    if not args.dry_run:
        _refuse_inputs(args.out, _inputs(args))
    options: dict = {"embedder": args.embedder} if args.engine != "platform" else {}
    if args.engine != "offline":
        options.update(model=args.model, dry_run=args.dry_run or None)
    if args.engine == "platform":
        options.update(store_id=args.store_id)
    plan = dream(_corpus(args), _focus(args), engine=args.engine, **{k: v for k, v in options.items() if v is not None})
    if args.dry_run:
        print(f"dry run: nothing was sent. {plan.notes[0] if plan.notes else ''}")
        _print_json(plan.usage)
        return 0
    _write(args.out, _json_out(plan.to_dict(), args.keep_secrets))
    print_plan_summary(plan)
    print_focus(plan.focus, indent="  ")
    print(f"plan → {args.out}")
    return 0


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


def _focus_json(focus) -> dict:
    resolved = focus.resolved()
    keys = ("protect", "include", "exclude", "weights", "horizon_days", "min_sessions", "max_sessions", "since",
            "until", "kinds")
    return {"instructions": focus.instructions, **focus.compiled.to_dict(),
            "active": [s.label for s in focus.active_scopes], "contradictions": focus.contradictions,
            "resolved": {k: getattr(resolved, k) for k in keys}}


@command("focus", "compile focus instructions; with --store, what each scope matches and changes in the plan")
def focus_cmd(args: argparse.Namespace) -> int:
    """Example: workbench focus "Prioritize coding preferences. Never touch /team/." --store sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions"""
    if args.instructions is not None and (args.focus is not None or args.focus_file):
        raise WorkbenchError("give the instructions once: as the argument, --focus or --focus-file")
    if args.instructions is not None:
        args.focus = args.instructions
    focus = _focus(args)
    if args.compare is not None and args.store is None:
        raise WorkbenchError("--compare needs --store: two plans of one store are compared")
    if not focus.instructions.strip() and args.compare is None:
        print("workbench: warning: no focus instructions given; the focus is empty", file=sys.stderr)
    if args.store is not None:
        return _focus_on_store(args, focus)
    if args.json:
        _print_json(_focus_json(focus))
    else:
        print_focus(focus)
    return 0


def _focus_on_store(args: argparse.Namespace, focus) -> int:
    """Per scope, the notes it matches and what it adds, removes or reorders; or two focuses' plans compared."""
    from dataclasses import replace

    from .analysis import analyze
    from .views.focus import focus_diff, scope_report

    analysis = analyze(_corpus(args), args.embedder)
    report = scope_report(analysis, focus)
    if args.compare is not None:
        other = scope_report(analysis, replace(focus, instructions=args.compare)).plan
        diff = focus_diff(report.plan, other)
        _print_json(diff.to_dict()) if args.json else print_comparison(diff, focus.instructions, args.compare)
        return 0
    _print_json(report.to_dict()) if args.json else print_scope_report(report)
    return 0


def print_scope_report(report) -> None:
    """Per scope: its effect, the notes it matches (a few texts), what it changed against no focus."""
    from .views.focus import nearest_text

    for line in report.scopes:
        e = line.effect
        print(f"{e.label}  ← “{e.source}”")
        print(f"  effect: {e.effect}")
        if not e.notes:
            near = nearest_text(line)
            print(f"  matches no note: {e.why or 'nothing under it'}" + (f"; nearest: {near}" if near else ""))
        else:
            print(f"  matches {len(e.notes)} note(s): " + " · ".join(f"“{_clip(t)}”" for t in line.texts))
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


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _focus_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("instructions", nargs="?", default=None, help="focus instructions (≤ 4,096 characters)")
    _focus_options(p)
    p.add_argument("--store", default=None, help="a memory store: show what each scope matches and changes in its plan")
    p.add_argument("--sessions", nargs="+", default=None, help="session files or directories (with --store)")
    p.add_argument("--store-format", default=None, help="name the store format instead of sniffing")
    p.add_argument("--sessions-format", default=None, help="name the sessions format instead of sniffing")
    p.add_argument("--embedder", default=None, help="tfidf, minilm or voyage (with --store)")
    p.add_argument("--compare", default=None, metavar="B", help="other instructions: the two plans' difference")
    _default_time_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")


focus_cmd.arguments = _focus_arguments


def _dream_arguments(p: argparse.ArgumentParser) -> None:
    _store_options(p)
    _focus_options(p)
    p.add_argument("--engine", default="offline", choices=["offline", "claude", "platform"])
    p.add_argument("--embedder", default=None, help="tfidf, minilm or voyage (offline engine)")
    p.add_argument("--model", default=None, help="Claude model (claude and platform engines)")
    p.add_argument("--dry-run", action="store_true", help="claude engine: print the calls and a token estimate, send nothing")
    p.add_argument("--store-id", default=None, help="platform engine: the memory store to dream on")
    p.add_argument("--out", default="plan.json", help="where to write the plan")
    _keep_secrets_option(p)


dream_cmd.arguments = _dream_arguments


def _load_plan(path: str):
    from pathlib import Path

    from .dream.plan import Plan
    from .files import read_text

    return Plan.from_json(read_text(Path(path)), source=path)


def _earlier_decisions(plan, args: argparse.Namespace) -> str | None:
    """An existing --out holding decisions on this plan is resumed, never overwritten; anything else is refused."""
    import os

    from .review import Review

    if args.decisions or not os.path.exists(args.out):
        return None
    try:
        Review.load(plan, args.out)
    except WorkbenchError as exc:
        raise WorkbenchError(f"--out {args.out} exists and holds no decisions on this plan ({exc.message}); "
                             "write to another file, or resume it with --decisions") from None
    return args.out


@command("review", "decide on a plan's operations: automatic above a confidence bar, or approve all")
def review_cmd(args: argparse.Namespace) -> int:
    """Example: workbench review plan.json --auto --out decisions.json"""
    from .review import AUTO_BAR, Guardrail, Review

    _refuse_inputs(args.out, [args.plan])
    if args.labels:
        _refuse_inputs(args.labels, [args.plan, args.out])
    plan = _load_plan(args.plan)
    review = Review(plan, guardrail=Guardrail(args.max_deleted, args.max_rewritten))
    resume = args.decisions or _earlier_decisions(plan, args)
    if resume:
        review = Review.load(plan, resume)
        if not args.decisions:
            print(f"resuming from the earlier decisions in {resume} (a person's decisions are kept)")
    for answer in args.answer or []:
        question, _, choice = answer.partition("=")
        review.answer(question.strip(), choice.strip(), who=args.who)
    if args.approve_all:
        review.approve_all(who=args.who)
    elif args.auto:
        review.auto(AUTO_BAR if args.min_confidence is None else args.min_confidence, args.kinds, who="auto")
    elif not args.answer:
        raise WorkbenchError("choose --auto [--min-confidence X] [--kinds ...], --approve-all or --answer Q=CHOICE")
    try:
        review.save(args.out, keep_secrets=args.keep_secrets)
    except OSError as exc:
        raise WorkbenchError(f"cannot write: {exc.strerror or exc}", source=args.out) from None
    if args.labels:
        review.save_labels(args.labels)
    counts = review.counts()
    print(f"{counts['approve']} approved, {counts['edit']} edited, {counts['reject']} rejected, "
          f"{counts['pending']} pending, {counts['blocked']} blocked; {counts['answered']} of {counts['questions']} "
          f"questions answered (never by --auto or --approve-all) → {args.out}")
    for line in review.log:
        print(f"  note: {line}")
    return 0


def _review_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", help="plan.json written by `workbench dream`")
    p.add_argument("--auto", action="store_true", help="approve operations at or above --min-confidence")
    p.add_argument("--min-confidence", type=float, default=None,
                   help="the confidence bar (default 0.97: only verdicts of measured precision ≥ 0.97)")
    p.add_argument("--kinds", nargs="+", default=None, choices=["merge", "update", "delete", "create"])
    p.add_argument("--approve-all", action="store_true", help="approve every operation (never answers a question)")
    p.add_argument("--answer", action="append", metavar="QUESTION=CHOICE",
                   help="answer a question of the plan with one of its choices (repeatable), e.g. q_3f2a…=merge")
    p.add_argument("--labels", default=None, help="also write every decision and answer as labels (JSONL)")
    p.add_argument("--decisions", default=None, help="resume from earlier decisions")
    p.add_argument("--max-deleted", type=float, default=0.40, help="guardrail: largest share of notes deleted")
    p.add_argument("--max-rewritten", type=float, default=0.60, help="guardrail: largest share of notes rewritten")
    p.add_argument("--who", default="cli")
    p.add_argument("--out", default="decisions.json",
                   help="where to write the decisions (an existing file of decisions on this plan is resumed)")
    _keep_secrets_option(p)


review_cmd.arguments = _review_arguments


@command("export", "apply approved operations and write an auditable snapshot")
def export_cmd(args: argparse.Namespace) -> int:
    """Example: workbench export sample-data/coding-assistant/store.json plan.json --decisions decisions.json --out snapshot"""
    from .export import export_snapshot
    from .io import load_store
    from .review import Review

    plan = _load_plan(args.plan)
    review = Review.load(plan, args.decisions) if args.decisions else Review(plan).approve_all(who="cli")
    snapshot = export_snapshot(load_store(args.store, args.store_format, default_time=args.default_time), plan, review, args.out, format=args.format,
                               force=args.force, allow_large_change=args.allow_large_change,
                               keep_secrets=args.keep_secrets, inputs=[args.plan, args.decisions])
    output = snapshot.manifest["output"]
    print(f"snapshot ({args.format}) → {snapshot.path}: {output['memories']} memories, {output['notes']} notes")
    for warning in snapshot.warnings:
        print(f"  warning: {warning}", file=sys.stderr)
    return 0


def _export_arguments(p: argparse.ArgumentParser) -> None:
    from .io import writers

    p.add_argument("store", help="the input memory store the plan was made for")
    p.add_argument("plan", help="plan.json")
    p.add_argument("--decisions", default=None, help="decisions.json (default: approve every operation)")
    p.add_argument("--store-format", default=None)
    _default_time_option(p)
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="dir", choices=list(writers()),
                   help="; ".join(f"{name}: {writer.description}" for name, writer in writers().items()))
    p.add_argument("--force", action="store_true", help="replace an earlier snapshot (never anything else)")
    p.add_argument("--allow-large-change", action="store_true", help="export even above the guardrail caps")
    _keep_secrets_option(p)


export_cmd.arguments = _export_arguments


@command("eval", "ask probes of the store before and after a plan: regressions and the operations behind them")
def eval_cmd(args: argparse.Namespace) -> int:
    """Example: workbench eval sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions --plan plan.json --out report.json"""
    from .analysis import analyze
    from .evaluate import Evaluator
    from .probes import load_probes
    from .review import Review

    if args.out:
        _refuse_inputs(args.out, [*_inputs(args), args.probes])
    corpus = _corpus(args)
    plan = _load_plan(args.plan)
    if plan.inputs.get("store_digest") not in (None, corpus.store.digest):
        raise WorkbenchError("this plan was made for a different store (its input digest does not match)",
                             source=args.plan)
    review = Review.load(plan, args.decisions) if args.decisions else None
    probes = load_probes(args.probes, corpus) if args.probes else None
    embedder = args.embedder or str(plan.inputs.get("embedder") or "tfidf").split("-", 1)[0]
    evaluator = Evaluator(analyze(corpus, embedder), probes, k=args.k)
    if args.judge:
        evaluator = _with_judge(evaluator, plan, review, args)
    report = evaluator.report(plan, review)
    if args.out:
        _write(args.out, report.to_json())
    _print_report(report.to_dict())
    if args.out:
        print(f"report → {args.out}")
    return 0


def _with_judge(evaluator, plan, review, args: argparse.Namespace):
    """The evaluator with Claude deciding what the rules leave, after printing what that would cost."""
    from .evaluate import Evaluator
    from .judge import AnswerJudge, estimate_judging

    estimate = estimate_judging(evaluator, plan, review, model=args.model)
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
    from .evaluate import TOKEN_METHOD

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


DEFAULT_JUDGE_MODEL = "claude-haiku-4-5"  # answering and labelling short questions needs no larger model


def _eval_arguments(p: argparse.ArgumentParser) -> None:
    _store_options(p)
    p.add_argument("--plan", required=True, help="plan.json written by `workbench dream`")
    p.add_argument("--decisions", default=None, help="decisions.json (default: every operation applied)")
    p.add_argument("--probes", default=None,
                   help="probes: JSONL or CSV (id, question, answer, evidence) or LoCoMo JSON; default: generated from the store")
    p.add_argument("--k", type=int, default=5, help="notes retrieved per question")
    p.add_argument("--embedder", default=None, help="default: the plan's embedder")
    p.add_argument("--judge", action="store_true",
                   help="Claude (J score) decides the probes the offline rules leave unanswered; needs "
                        "ANTHROPIC_API_KEY, prints the estimated cost first, sends nothing without a key")
    p.add_argument("--dry-run", action="store_true", help="with --judge: print the estimate, send nothing")
    p.add_argument("--model", default=DEFAULT_JUDGE_MODEL, help="the judge's model")
    p.add_argument("--out", default=None, help="where to write report.json")


eval_cmd.arguments = _eval_arguments


@command("fleet", "dream and evaluate every store of a manifest on Dask; one row per store in results.parquet")
def fleet_cmd(args: argparse.Namespace) -> int:
    """Example: workbench fleet stores/manifest.jsonl --focus "Prioritize coding style" --workers 2 --out fleet/"""
    from .fleet import run_fleet, summary

    options = {k: getattr(args, k) for k in ("embedder", "model", "batch_size", "max_tokens") if getattr(args, k)}
    results = run_fleet(args.manifest, _focus(args), engine=args.engine, out=args.out, probes=args.probes,
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


def _fleet_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("manifest", help="JSONL or CSV with id, store, sessions (optional) columns, or a folder of stores")
    _focus_options(p)
    p.add_argument("--engine", default="offline", choices=["offline", "claude", "platform"])
    p.add_argument("--probes", default="generated", choices=["generated", "none"],
                   help="evaluate with probes generated from each store (a manifest `probes` column wins), or not")
    p.add_argument("--out", default="fleet", help="the fleet's folder: results.parquet and stores/<id>/plan.json")
    p.add_argument("--address", default=None, help="a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=None, help="local cluster: worker processes (default: cores)")
    p.add_argument("--memory-limit", default="4GiB", help="local cluster: memory per worker; above it a worker restarts")
    p.add_argument("--concurrency", type=int, default=4, help="platform engine: dreams running at once, fleet-wide")
    p.add_argument("--embedder", default=None, help="tfidf, minilm or voyage")
    p.add_argument("--model", default=None, help="Claude model (claude and platform engines)")
    p.add_argument("--batch-size", type=int, default=None, help="claude engine: candidates per request")
    p.add_argument("--max-tokens", type=int, default=None, help="claude engine: max_tokens per request")
    p.add_argument("--no-message-batches", action="store_true",
                   help="claude engine: one Messages call per batch of candidates instead of one Message Batch")
    p.add_argument("--poll-interval", type=float, default=None, help="seconds between polls (batches, dreams)")
    p.add_argument("--rerun", action="store_true", help="dream every store again, even unchanged ones")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


fleet_cmd.arguments = _fleet_arguments


@command("verify", "recompute a snapshot's digests and signature (and rebuild it with --replay)")
def verify_cmd(args: argparse.Namespace) -> int:
    """Example: workbench verify snapshot --replay --store sample-data/coding-assistant/store.json --plan plan.json --decisions decisions.json"""
    from .snapshot import SIGNING_KEY
    from .verify import replay, verify_snapshot

    result = verify_snapshot(args.snapshot)
    signature = {"valid": ", signature valid", "invalid": ", signature INVALID",
                 "unchecked": f", signed (set {SIGNING_KEY} to check the signature)"}.get(result.signature, "")
    print(f"{'intact' if result.ok else 'NOT intact'}: {result.files} memory files checked{signature}")
    for problem in result.problems:
        print(f"  {problem}")
    ok = result.ok
    if args.replay:
        if not args.store:
            raise WorkbenchError("--replay needs the input --store the snapshot was made from "
                                 "(and --plan, --decisions, --sessions to check those too)")
        corpus = _corpus(args) if args.sessions else None
        outcome = replay(args.snapshot, corpus.store if corpus is not None else _store(args),
                         plan=_load_plan(args.plan) if args.plan else None, review=_review(args), corpus=corpus)
        print(f"replay: {'same plan, same snapshot' if outcome.ok else 'DIFFERENT'} ({outcome.detail})")
        for problem in outcome.problems[1:]:
            print(f"  {problem}")
        ok = ok and outcome.ok
    return 0 if ok else 1


def _store(args: argparse.Namespace):
    from .io import load_store

    return load_store(args.store, args.store_format, default_time=args.default_time)


def _review(args: argparse.Namespace):
    """The decisions given to `verify --replay` (they need the plan they were made on)."""
    from .review import Review

    if not args.decisions:
        return None
    if not args.plan:
        raise WorkbenchError("--decisions needs the --plan they were made on")
    return Review.load(_load_plan(args.plan), args.decisions)


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshot")
    p.add_argument("--replay", action="store_true",
                   help="rebuild the snapshot from the input store, the plan and the decisions; compare byte for byte")
    p.add_argument("--store", default=None, help="the input store (needed by --replay)")
    p.add_argument("--plan", default=None, help="plan.json (default: the operations the manifest records)")
    p.add_argument("--decisions", default=None, help="decisions.json (default: the decisions the manifest records)")
    p.add_argument("--sessions", nargs="+", default=None, help="also dream again (offline plans) and compare the plan")
    p.add_argument("--store-format", default=None)
    p.add_argument("--sessions-format", default=None)
    _default_time_option(p)


verify_cmd.arguments = _verify_arguments


@command("pull", "export a platform memory store and its sessions to local files")
def pull_cmd(args: argparse.Namespace) -> int:
    """Example: workbench pull memstore_01abc --out pulled/"""
    from .io.platform import platform_client, pull

    corpus = pull(platform_client(), args.store_id, args.out, session_ids=args.session_ids or None)
    summary = corpus.summary()
    print(f"pulled {summary['memories']} memories and {summary['sessions']} sessions → {args.out}")
    return 0


pull_cmd.arguments = lambda p: (p.add_argument("store_id"), p.add_argument("--out", required=True),
                                p.add_argument("--session-ids", nargs="+", default=None))


@command("lab", "open JupyterLab on the notebooks (quickstart first)")
def lab_cmd(args: argparse.Namespace) -> int:
    """Example: workbench lab --port 8888"""
    from .launch import run_lab

    return run_lab(args.notebook, port=args.port, open_browser=not args.no_browser)


lab_cmd.arguments = lambda p: (p.add_argument("--notebook", default="notebooks/00_quickstart.ipynb"),
                               p.add_argument("--port", type=int, default=None),
                               p.add_argument("--no-browser", action="store_true"))


@command("app", "serve the Workbench as a standalone page (Voila)")
def app_cmd(args: argparse.Namespace) -> int:
    """Example: workbench app --port 8866"""
    from .launch import run_app

    return run_app(args.notebook, port=args.port, open_browser=not args.no_browser)


app_cmd.arguments = lambda p: (p.add_argument("--notebook", default="notebooks/app.ipynb"),
                               p.add_argument("--port", type=int, default=None),
                               p.add_argument("--no-browser", action="store_true"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Dream Workbench: see, steer and review memory dreams.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in COMMANDS.items():
        p = sub.add_parser(name, help=fn.help, description=(fn.__doc__ or fn.help))
        fn.arguments(p)
    return parser


def _fail(message: str) -> int:
    from .files import quote

    print(f"workbench: error: {quote(message)}", file=sys.stderr)
    return 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A `ReaderWarning` as one line (`workbench: warning: MEMORY.md:4: ...`); others as Python shows them."""
    from .errors import ReaderWarning
    from .files import quote

    if issubclass(category, ReaderWarning):
        print(f"workbench: warning: {quote(str(message))}", file=sys.stderr)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return COMMANDS[args.command](args)
    except WorkbenchError as exc:
        return _fail(str(exc))
    except OSError as exc:  # a full disk, a permission: one line, never a traceback
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except RecursionError:
        return _fail("input nested too deeply to read")
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
