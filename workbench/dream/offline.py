"""The offline engine: the platform's dream, deterministic and in the open.

The analysis finds candidates (`workbench.candidates`); the rules judge each one
(`workbench.dream.rules`), deciding with high confidence only what they can verify; the planner
turns the verdicts into operations under the focus (`workbench.dream.planner`):

1. review — choose ≤ 100 sessions under the focus (more: a chain of windows of ≤ 100, oldest first,
   each window's output store the next one's input, told as one plan: `workbench.dream.chain`);
2. consolidate — conflicts resolved so the latest value wins (a newer note, or a later user
   sentence), duplicates merged into one wording with the union of provenance;
3. prune — notes whose own expiry date has passed (verified), passed deadlines and old one-offs
   (suggestions), notes of topics the focus asks to forget (suggestions);
4. distill — statements the user made in at least `min_sessions` sessions that no note holds.

Every operation names its rule, and its confidence is that rule's measured precision. A plan
under a focus records what each scope did (`plan.scope_effects`, see `workbench.dream.effects`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from ..analysis import Analysis, analyze, memoized
from ..errors import LimitError
from ..focus import Focus, select_sessions
from ..records import Corpus, iso
from ..scopes import match_topic, scope_labels, scope_sets
from ..scopes import warm as warm_scopes
from .calibration import SUGGESTION_FLOOR
from .chain import dream_chain
from .check import enforce
from .effects import Outline, ScopeEffect, outline, plan_diff, stated_effect
from .plan import Plan, apply_operations
from .planner import PRIORITY_FLOOR, Planner
from .questions import ask
from .rules import judged_candidates

ENGINE_VERSION = "0.2.0"


def focus_scores(analysis: Analysis, focus: Focus) -> pd.Series:
    """Per note: relevance to the instructions (cosine, plus named keywords) times its priority weight.

    Excluded notes score 0; with include scopes, notes outside them score 0.
    """
    notes = analysis.corpus.notes
    resolved = focus.resolved()
    sets = scope_sets(analysis, resolved)
    relevance = np.ones(len(notes))
    if focus.instructions.strip() and len(notes):
        query = analysis.embed([focus.instructions])[0]
        relevance = 0.5 + np.clip(analysis.vectors @ query, 0, 1)
    matched = scope_labels(resolved.scopes)
    included = [match_topic(analysis, t).notes for kind, t, _, _ in matched if kind == "include"]
    scores = []
    for i, note in enumerate(notes):
        if note.id in sets.excluded or (sets.included is not None and note.id not in sets.included):
            scores.append(0.0)
            continue
        named = sum(note.id in ids for ids in included)
        scores.append(round(float(relevance[i] * sets.weight([note.id]) * (1 + 0.5 * named)), 4))
    return pd.Series(scores, index=pd.Index(analysis.note_ids, name="id"), name="focus")


def dream_offline(corpus: Corpus, focus: Focus | None = None, *, analysis: Analysis | None = None,
                  embedder=None, cache=None) -> Plan:
    """Plan a dream over `corpus` under `focus` (analysing the corpus first unless given)."""
    focus = focus or Focus()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    try:
        sessions = select_sessions(corpus.sessions, focus)
    except LimitError:  # more than 100 sessions: a chain of windows, as the platform chains dreams
        embedder = embedder or (analysis.embedder_id.split("-", 1)[0] if analysis is not None else None)
        return dream_chain(corpus, focus, lambda window, window_focus: dream_offline(
            window, window_focus, embedder=embedder, cache=cache))
    if analysis is None:
        analysis = analyze(corpus, embedder, cache=cache)
        timings["analyze"] = time.perf_counter() - start
    view = analysis.restricted({s.id for s in sessions})
    plan = plan_from_analysis(view, focus)
    plan.timings = {**timings, **plan.timings, "total": time.perf_counter() - start}
    return plan


def session_view(analysis: Analysis, focus: Focus) -> Analysis:
    """The analysis as if only the sessions the focus chooses had been given (one view per set)."""
    return analysis.restricted({s.id for s in select_sessions(analysis.corpus.sessions, focus)})


def plan_from_analysis(analysis: Analysis, focus: Focus) -> Plan:
    """Candidates, the rules' verdicts and the planner over a finished analysis: fast enough to re-run on
    every focus change."""
    start = time.perf_counter()
    resolved = focus.resolved()  # the knobs with what the instructions compiled to
    planner = Planner(analysis, resolved)
    judged = judged_candidates(analysis, resolved)
    judged += planner.relaxed_insights(judged)
    operations = planner.plan(judged)
    questions, found = ask(planner, judged, resolved.questions_per_note)
    corpus = analysis.corpus
    output = apply_operations(corpus.store, operations, at=corpus.as_of)
    bars = dict(analysis.bars)
    bars.update({name: getattr(resolved, f"{name}_bar") for name in ("duplicate", "conflict", "support")
                 if getattr(resolved, f"{name}_bar") is not None})
    plan = Plan(
        engine="offline", engine_version=ENGINE_VERSION, focus=focus,
        inputs={"store_digest": corpus.store.digest, "store_id": corpus.store.id,
                "sessions": [s.id for s in corpus.sessions], "embedder": analysis.embedder_id,
                "as_of": iso(corpus.as_of), "notes": len(corpus.notes), "memories": len(corpus.memories),
                "bars": {k: round(v, 4) for k, v in sorted(bars.items())}},
        operations=operations, output_store=output, notes=planner.remarks, input_store=corpus.store,
        questions=questions, questions_found=found,
    )
    if scope_labels(resolved.scopes):
        plan.scope_effects = scope_effects(analysis, resolved, plan, plain_outline(analysis, resolved),
                                           relaxed=planner.relaxed_ops, floor=PRIORITY_FLOOR, suggest=SUGGESTION_FLOOR)
        plan.notes += _scope_remarks(plan, planner)
    enforce(plan, focus)  # the engine's own plans must pass its own check
    plain = _plain(resolved)
    if plain.to_dict() == resolved.to_dict():  # no scopes: this plan is the plan without them (`plain_outline`)
        memoized(analysis, ("plan:plain", _key(plain)), lambda: outline(plan))
    plan.timings = {"plan": time.perf_counter() - start}
    return plan


def scope_effects(analysis: Analysis, focus: Focus, plan: Plan, plain: Outline, *, relaxed: Iterable[str] = (),
                  floor: float, suggest: float) -> list[ScopeEffect]:
    """Per topic or path scope of `focus` (resolved): what it did to `plan` against `plain` (no focus)."""
    diff = plan_diff(plan, plain)
    touches = {**plain.touches, **outline(plan).touches}
    sources = {s.label: s.source for s in plan.focus.active_scopes}  # the words of each compiled scope
    out = []
    for kind, target, value, label in scope_labels(focus.scopes):
        match = match_topic(analysis, target)
        turns = {analysis.statement_by_id[s].turn_id for s in match.statements}
        mark = set(match.notes) | turns
        hit = {i for i, t in touches.items() if t & mark}
        ops = diff.operations.within(hit)
        out.append(ScopeEffect(label, kind, target, value, sources.get(label, "setting"),
                               stated_effect(kind, value, floor, suggest), tuple(sorted(match.notes)),
                               ops, diff.questions.within(hit),
                               tuple(i for i in relaxed if i in hit) if kind == "weight" else (), match.why))
    return out


def plain_outline(analysis: Analysis, resolved: Focus) -> Outline:
    """The same analysis planned with no focus scopes and the same knobs (memoized per analysis and knobs)."""
    plain = _plain(resolved)
    return memoized(analysis, ("plan:plain", _key(plain)), lambda: outline(plan_from_analysis(analysis, plain)))


def _plain(resolved: Focus) -> Focus:
    """`resolved` without its scopes: the same knobs."""
    return replace(resolved, instructions="", protect=[], include=[], exclude=[], forget=[], weights={},
                   removed_scopes=[])


def _key(focus: Focus) -> str:
    return json.dumps(focus.to_dict(), sort_keys=True)


def warm(analysis: Analysis, focus: Focus | None = None) -> None:
    """Compute ahead what the first re-plan at a new topic would (on the session view `focus` plans on): the
    scopes' word indexes and embedded places, and the plan without scopes at the focus's knobs, which also reads
    every note's dates (memoized per text: a new horizon then re-reads none). Plans stay as they are; safe
    beside a re-plan on another thread (`memoized` computes each key once)."""
    focus = focus or Focus()
    try:
        view = session_view(analysis, focus)
    except LimitError:  # planned as a chain of windows, each an analysis of its own: nothing to warm here
        return
    warm_scopes(view)
    plain_outline(view, focus.resolved())


def _scope_remarks(plan: Plan, planner: Planner) -> list[str]:
    """What the plan says of its scopes: those that match nothing, and the lowered floor when it proposed."""
    out = [f"{e.label} matches nothing: {e.why}" for e in plan.scope_effects if e.why]
    lowered = sum(1 for op in plan.operations if "the priority floor is" in op.rationale)
    if lowered:
        out.append(f"{lowered} suggestion(s) inside prioritized topics from rules measured right at least "
                   f"{PRIORITY_FLOOR:.0%} of the time (the priority floor; elsewhere {SUGGESTION_FLOOR:.0%})")
    if planner.relaxed_ops:
        out.append(f"{len(planner.relaxed_ops)} insight(s) about prioritized topics with one session less than the "
                   f"minimum of {planner.focus.min_sessions}")
    return out


ENGINE = dream_offline
