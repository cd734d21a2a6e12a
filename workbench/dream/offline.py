"""The offline engine: the platform's dream, deterministic and in the open.

The analysis finds candidates (`workbench.candidates`); the rules judge each one
(`workbench.dream.rules`), deciding with high confidence only what they can verify; the planner
turns the verdicts into operations under the focus (`workbench.dream.planner`):

1. review — choose ≤ 100 sessions under the focus (more: a chain of windows of ≤ 100, oldest first,
   each window's output store the next one's input, told as one plan: `workbench.dream.chain`);
2. consolidate — conflicts resolved so the latest value wins (a newer note, or a later user
   sentence), duplicates merged into one wording with the union of provenance;
3. prune — notes whose own expiry date has passed (verified), passed deadlines and old one-offs
   (suggestions), notes the focus excludes (suggestions);
4. distill — statements the user made in at least `min_sessions` sessions that no note holds.

Every operation names its rule, and its confidence is that rule's measured precision.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..analysis import Analysis, analyze
from ..errors import LimitError
from ..focus import Focus, matches, select_sessions
from ..records import Corpus, iso
from .chain import dream_chain
from .check import enforce
from .plan import Plan, apply_operations
from .planner import Planner
from .questions import ask
from .rules import judged_candidates

ENGINE_VERSION = "0.2.0"


def focus_scores(analysis: Analysis, focus: Focus) -> pd.Series:
    """Per note: relevance to the instructions (cosine, plus named keywords) times its priority weight.

    Excluded notes score 0; with include scopes, notes outside them score 0.
    """
    notes = analysis.corpus.notes
    scopes = focus.scopes
    relevance = np.ones(len(notes))
    if focus.instructions.strip() and len(notes):
        query = analysis.embed([focus.instructions])[0]
        relevance = 0.5 + np.clip(analysis.vectors @ query, 0, 1)
    scores = []
    for i, note in enumerate(notes):
        if any(matches(t, note) for t in scopes.exclude) or (
            scopes.include and not any(matches(t, note) for t in scopes.include)
        ):
            scores.append(0.0)
            continue
        named = sum(matches(t, note) for t in scopes.include)
        scores.append(round(float(relevance[i] * focus.weight(note) * (1 + 0.5 * named)), 4))
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


def plan_from_analysis(analysis: Analysis, focus: Focus) -> Plan:
    """Candidates, the rules' verdicts and the planner over a finished analysis: fast enough to re-run on
    every focus change."""
    start = time.perf_counter()
    resolved = focus.resolved()  # the knobs with what the instructions compiled to
    planner = Planner(analysis, resolved)
    judged = judged_candidates(analysis, resolved)
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
    enforce(plan, focus)  # the engine's own plans must pass its own check
    plan.timings = {"plan": time.perf_counter() - start}
    return plan


ENGINE = dream_offline
