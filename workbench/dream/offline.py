"""The offline engine: the platform's dream, deterministic and in the open.

Four phases over an `Analysis`, each operation explaining itself:

1. review — choose ≤ 100 sessions under the focus; their sentences that state durable facts
   (preferences, corrections, decisions, ownership, environment) are already in the analysis;
2. consolidate — resolve conflicts so the latest value wins (a newer note, or a later session
   turn), and merge duplicate groups into their clearest wording with the union of provenance;
3. prune — delete notes that are temporary by their own words and past their time, episodic
   notes past the horizon with no recent support, small talk, and notes the focus excludes;
   never a note that sessions within the horizon still support;
4. distill — create notes for facts stated in at least `min_sessions` sessions that no note
   holds, in the document whose topic fits best (or a new one), with evidence quotes.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd

from ..analysis import (
    Analysis,
    ConflictPair,
    conflict_pairs,
    duplicate_groups,
    insight_candidates,
    note_status,
)
from ..compare import is_specific
from ..focus import Focus, check, matches, select_sessions
from ..records import Corpus, Note, iso
from ..statements import clean_fact
from .plan import Evidence, Operation, Plan, Result, Target, apply_operations

ENGINE_VERSION = "0.1.0"


def restrict(analysis: Analysis, session_ids: set[str]) -> Analysis:
    """The analysis as if only these sessions had been given (no re-embedding)."""
    if session_ids == {s.id for s in analysis.corpus.sessions}:
        return analysis
    keep = [i for i, s in enumerate(analysis.statements) if s.session_id in session_ids]
    sessions = tuple(s for s in analysis.corpus.sessions if s.id in session_ids)
    view = replace(
        analysis,
        corpus=Corpus(analysis.corpus.store, sessions),
        statements=[analysis.statements[i] for i in keep],
        statement_vectors=analysis.statement_vectors[keep],
        mentions=analysis.mentions[analysis.mentions.session.isin(session_ids)],
    )
    return view


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


class _Row(dict):
    """A note's status row with attribute access."""

    __getattr__ = dict.__getitem__


class _Planner:
    """Builds the operations of one plan; every note is the target of at most one operation."""

    def __init__(self, analysis: Analysis, focus: Focus) -> None:
        self.analysis = analysis
        self.focus = focus
        self.scopes = focus.scopes
        self.notes = analysis.corpus.note_by_id
        self.bars = dict(analysis.bars)
        for name in ("duplicate", "conflict", "support"):
            value = getattr(focus, f"{name}_bar")
            if value is not None:
                self.bars[name] = value
        self.as_of = analysis.corpus.as_of
        self.status = note_status(analysis, self.bars)
        self.rows = {k: _Row(v) for k, v in self.status.to_dict("index").items()}
        self.used: dict[str, str] = {}  # note id -> operation id
        self.ops: list[Operation] = []
        self.remarks: list[str] = []

    # -- helpers
    def eligible(self, note_id: str) -> bool:
        note = self.notes[note_id]
        if any(matches(t, note) for t in self.scopes.protect):
            return False
        return not self.scopes.include or any(matches(t, note) for t in self.scopes.include)

    def target(self, note_id: str) -> Target:
        note = self.notes[note_id]
        return Target(note.id, note.path, note.text)

    def add(self, op: Operation) -> Operation:
        if op.kind not in self.focus.kinds:
            return op
        self.ops.append(op)
        for t in op.targets:
            self.used.setdefault(t.id, op.id)
        return op

    def _recently_supported(self, note_id: str) -> bool:
        last = self.rows[note_id]["last_support_at"]
        return not pd.isna(last) and last >= self.as_of - timedelta(days=self.focus.horizon_days)

    def _supported_since(self, note_id: str, when) -> bool:
        last = self.rows[note_id]["last_support_at"]
        return not pd.isna(last) and last > when

    # -- phase 2: consolidate
    def store_conflicts(self, pairs: list[ConflictPair]) -> None:
        for pair in sorted((p for p in pairs if p.source == "store"), key=lambda p: (-p.similarity, p.older)):
            older, newer = self.notes[pair.older], self.notes[pair.newer]
            if pair.older in self.used or pair.newer in self.used:
                continue
            if not (self.eligible(pair.older) and self.eligible(pair.newer)):
                continue
            winner, why = pair.winner, f"it was written later ({older.updated_at:%Y-%m-%d} → {newer.updated_at:%Y-%m-%d})"
            if winner is None:
                wo, wn = self.focus.weight(older), self.focus.weight(newer)
                if wo == wn:
                    self.remarks.append(f"conflict between {older.id} and {newer.id} left alone: "
                                        "same time, no priority decides it")
                    continue
                winner, why = (older.id, "the focus gives it priority") if wo > wn else (newer.id, "the focus gives it priority")
            loser = pair.older if winner == pair.newer else pair.newer
            win = self.notes[winner]
            self.add(Operation(
                kind="update", reason="conflict",
                targets=(self.target(loser), self.target(winner)),
                result=Result(win.path, win.text, note_id=win.id),
                rationale=f"Conflicting values ({pair.detail}); keep “{_short(win.text)}” because {why}.",
                evidence=(Evidence(quote=win.text, note_id=win.id),),
                confidence=_conflict_confidence(pair, older, newer),
                provenance=tuple(sorted(set(win.evidence) | set(self.notes[loser].evidence))),
            ))

    def duplicates(self) -> None:
        for group in duplicate_groups(self.analysis, self.bars["duplicate"]):
            members = [m for m in group.notes if m not in self.used and self.eligible(m)]
            if len(members) < 2:
                continue
            rep_id = group.representative if group.representative in members else members[0]
            rep = self.notes[rep_id]
            others = [m for m in members if m != rep_id]
            verbatim = group.why == "the same text"
            paths = sorted({self.notes[m].path for m in members})
            self.add(Operation(
                kind="merge", reason="duplicate",
                targets=tuple(self.target(m) for m in [rep_id, *others]),
                result=Result(rep.path, rep.text, note_id=rep_id),
                rationale=(f"{len(members)} notes say the same thing ({group.why}) in {', '.join(paths)}; "
                           f"keep the most complete wording in {rep.path}."),
                evidence=tuple(Evidence(quote=self.notes[m].text, note_id=m) for m in others),
                confidence=0.97 if verbatim else min(0.95, 0.55 + 0.8 * max(0.0, group.similarity - self.bars["duplicate"]) + 0.15),
                provenance=tuple(sorted({e for m in members for e in self.notes[m].evidence})),
            ))

    def session_conflicts(self, pairs: list[ConflictPair]) -> None:
        statements = {s.id: s for s in self.analysis.statements}
        for pair in (p for p in pairs if p.source == "session"):
            note_id, depends = pair.older, ()
            owner = self.used.get(note_id)
            if owner is not None:
                op = next(o for o in self.ops if o.id == owner)
                if op.kind != "merge":
                    continue
                note_id, depends = op.result.note_id, (op.id,)
                if any(o.kind == "update" and o.targets[0].id == note_id for o in self.ops):
                    continue
            if not self.eligible(note_id):
                continue
            note = self.notes[note_id]
            statement = statements[pair.newer]
            new_text = rewrite_value(note.text, statement.text, self.analysis, pair.older, statement.id)
            self.add(Operation(
                kind="update", reason="conflict",
                targets=(Target(note.id, note.path, note.text),),
                result=Result(note.path, new_text, note_id=note.id),
                rationale=(f"A later session ({iso(statement.at)[:10] if statement.at else 'undated'}) states a different value "
                           f"({pair.detail}) than this note (written {note.updated_at:%Y-%m-%d}); the latest value wins."),
                evidence=(Evidence(quote=statement.text, session_id=statement.session_id, turn_id=statement.turn_id),),
                confidence=min(0.95, 0.7 + (0.15 if pair.difference == "value" else 0.05) + 0.1 * (pair.similarity > self.bars["duplicate"])),
                provenance=tuple(sorted(set(note.evidence) | {statement.turn_id})),
                depends_on=depends,
            ))

    # -- phase 3: prune
    def prune(self) -> None:
        horizon = self.focus.horizon_days
        for note_id in self.analysis.note_ids:
            if note_id in self.used or not self.eligible(note_id):
                continue
            note, row = self.notes[note_id], self.rows[note_id]
            supported = self._recently_supported(note_id)
            excluded = next((t for t in self.scopes.exclude if matches(t, note)), None)
            decision = None
            if excluded:
                decision = ("off_focus", 0.85, f"The focus excludes “{excluded}”.")
            elif row.expired and not self._supported_since(note_id, row.expires_at):
                decision = ("temporary", 0.85, f"Temporary by its own words (“{row.temporary}”) and past "
                            f"{row.expires_at:%Y-%m-%d}; no session since supports it.")
            elif supported:
                continue
            elif row.small_talk and self.focus.prune_low_value and not row.durable:
                decision = ("low_value", 0.75, f"Small talk (“{row.small_talk}”), not something the agent needs; "
                            "no session relies on it.")
            elif row.episodic and not row.durable and row.age_days > horizon:
                decision = ("stale", 0.7, f"A one-off, episodic note from {note.updated_at:%Y-%m-%d} "
                            f"({row.age_days:.0f} days old, horizon {horizon}) that no session mentions again.")
            if decision:
                reason, confidence, rationale = decision
                self.add(Operation(kind="delete", reason=reason, targets=(self.target(note_id),), result=None,
                                   rationale=rationale, evidence=(Evidence(quote=note.text, note_id=note_id),),
                                   confidence=confidence, provenance=note.evidence))

    # -- phase 4: distill
    def _insight_relevance(self, candidates: list) -> list[float]:
        """How close each candidate is to the instructions (1.0 for all when there are none)."""
        if not self.focus.instructions.strip() or not candidates:
            return [1.0] * len(candidates)
        vectors = self.analysis.embed([self.focus.instructions] + [c.text for c in candidates])
        return [0.5 + float(max(0.0, v @ vectors[0])) for v in vectors[1:]]

    def distill(self) -> None:
        memories = self.analysis.corpus.store.by_id
        candidates = [c for c in insight_candidates(self.analysis, self.bars.get("insight", 0.3), self.bars["support"])
                      if len(c.sessions) >= self.focus.min_sessions]
        relevance = self._insight_relevance(candidates)
        for candidate, fit in sorted(zip(candidates, relevance), key=lambda cf: (-cf[1], cf[0].id)):
            probe = Note("new", "", candidate.best_memory and memories[candidate.best_memory].path or "/insights",
                         0, candidate.text, "bullet", "", 0, 0, self.as_of, self.as_of)
            if any(matches(t, probe) for t in self.scopes.exclude):
                continue
            if self.scopes.include and not any(matches(t, replace(probe, path="")) for t in self.scopes.include):
                continue
            path = f"/insights/{candidate.kind}s.md"
            if candidate.best_memory and candidate.best_memory_similarity >= self.bars["support"] * 0.75:
                path = memories[candidate.best_memory].path
            if any(matches(t, replace(probe, path=path)) for t in self.scopes.protect):
                path = f"/insights/{candidate.kind}s.md"
            n = len(candidate.sessions)
            weight = self.focus.weight(replace(probe, path=path))
            base = 0.5 + 0.1 * n + (0.05 if candidate.kind != "failure" else 0.0)
            self.add(Operation(
                kind="create", reason="insight",
                targets=(), result=Result(path, candidate.text),
                rationale=f"Stated in {n} sessions ({candidate.kind}) and missing from the store; filed under {path}.",
                evidence=tuple(Evidence(quote=q, session_id=s, turn_id=t) for s, t, q in candidate.quotes[:6]),
                confidence=min(0.95, base * min(1.15, 0.85 + 0.15 * fit * weight)),
                provenance=tuple(sorted({t for _, t, _ in candidate.quotes})),
            ))


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _conflict_confidence(pair: ConflictPair, older: Note, newer: Note) -> float:
    gap = max(0.0, (newer.updated_at - older.updated_at).days)
    base = 0.6 + (0.15 if pair.difference in ("value", "negation") else 0.0) + min(0.1, gap / 365)
    return min(0.95, base + 0.1 * pair.similarity)


def rewrite_value(note_text: str, statement: str, analysis: Analysis, note_id: str, statement_id: str) -> str:
    """The note with its old value swapped for the new one, when that is unambiguous; else the statement."""
    old = analysis.profiles[note_id].values - analysis.profiles[statement_id].values
    new = [v for v in analysis.profiles[statement_id].values - analysis.profiles[note_id].values if is_specific(v, v)]
    if len(new) == 1 and old:
        new_value = new[0]
        atoms = set(re.split(r"[\W_]+", new_value))
        old_value = max(sorted(old), key=lambda v: len(atoms & set(re.split(r"[\W_]+", v))))
        if not is_specific(old_value, old_value) or not atoms & set(re.split(r"[\W_]+", old_value)) - {""}:
            return clean_fact(statement)
        found_old = re.search(re.escape(old_value), note_text, re.IGNORECASE)
        found_new = re.search(re.escape(new_value), statement, re.IGNORECASE)
        if found_old and found_new:
            return note_text[: found_old.start()] + found_new.group(0) + note_text[found_old.end():]
    return clean_fact(statement)


def dream_offline(corpus: Corpus, focus: Focus | None = None, *, analysis: Analysis | None = None,
                  embedder=None, cache=None) -> Plan:
    """Plan a dream over `corpus` under `focus` (analysing the corpus first unless given)."""
    from ..analysis import analyze

    focus = focus or Focus()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sessions = select_sessions(corpus.sessions, focus)
    if analysis is None:
        analysis = analyze(corpus, embedder, cache=cache)
        timings["analyze"] = time.perf_counter() - start
    view = restrict(analysis, {s.id for s in sessions})
    plan = plan_from_analysis(view, focus)
    plan.timings = {**timings, **plan.timings, "total": time.perf_counter() - start}
    return plan


def plan_from_analysis(analysis: Analysis, focus: Focus) -> Plan:
    """The four phases over a finished analysis: fast enough to re-run on every focus change."""
    start = time.perf_counter()
    planner = _Planner(analysis, focus)
    conflicts = conflict_pairs(analysis, planner.bars["conflict"])
    planner.store_conflicts(conflicts)
    planner.duplicates()
    planner.session_conflicts(conflicts)
    planner.prune()
    planner.distill()
    corpus = analysis.corpus
    output = apply_operations(corpus.store, planner.ops, at=corpus.as_of)
    plan = Plan(
        engine="offline", engine_version=ENGINE_VERSION, focus=focus,
        inputs={"store_digest": corpus.store.digest, "store_id": corpus.store.id,
                "sessions": [s.id for s in corpus.sessions], "embedder": analysis.embedder_id,
                "as_of": iso(corpus.as_of), "notes": len(corpus.notes), "memories": len(corpus.memories),
                "bars": {k: round(v, 4) for k, v in sorted(planner.bars.items())}},
        operations=planner.ops, output_store=output, notes=planner.remarks, input_store=corpus.store,
    )
    violations = check(plan, focus)
    if violations:  # the engine's own plans must pass its own check
        raise AssertionError(f"offline plan breaks its focus: {violations[:3]}")
    plan.timings = {"plan": time.perf_counter() - start}
    return plan


ENGINE = dream_offline
