"""Findings: the judged results every view reads — duplicate groups, conflicts, note status, insights.

They sit above the judges: candidates come from the analysis (`workbench.candidates`), the rules
judge them (`workbench.dream.rules`), and a finding is what the map, the tables and the conflict
timeline show of those verdicts under given bars.

    found = findings(analysis)                 # at the analysis's own bars
    found.duplicates, found.conflicts, found.notes, found.insights
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .analysis import Analysis, complete_link, default_bars, memoized
from .candidates import insight_candidates, iter_pair_candidates, session_candidates, support
from .compare import Profile
from .dream.rules import judged
from .records import Note, iso
from .statements import episodic, expiry


@dataclass(frozen=True)
class DuplicateGroup:
    """Notes that say the same thing; `representative` has the clearest (most complete) wording."""

    id: str
    notes: tuple[str, ...]
    representative: str
    similarity: float
    why: str


@dataclass(frozen=True, slots=True)
class ConflictPair:
    """The same subject with two values; `winner` is the later one (None when they cannot be ordered)."""

    older: str
    newer: str
    winner: str | None
    similarity: float
    difference: str
    detail: str
    source: str = "store"  # "store": two notes; "session": a later turn contradicts a note
    turn_id: str | None = None
    session_id: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class InsightGroup:
    """A fact stated in several sessions that no note holds."""

    id: str
    text: str
    kind: str
    statements: tuple[str, ...]
    sessions: tuple[str, ...]
    quotes: tuple[tuple[str, str, str], ...]  # (session id, turn id, quote)
    similarity: float
    best_memory: str | None
    best_memory_similarity: float


class Findings:
    """What the views show of an analysis under `bars`; each part is computed when first read."""

    def __init__(self, analysis: Analysis, bars: Mapping[str, float]) -> None:
        self.analysis = analysis
        self.bars = bars

    @cached_property
    def duplicates(self) -> tuple[DuplicateGroup, ...]:
        return tuple(duplicate_groups(self.analysis, self.bars["duplicate"]))

    @cached_property
    def conflicts(self) -> tuple[ConflictPair, ...]:
        return tuple(conflict_pairs(self.analysis, self.bars["conflict"]))

    @cached_property
    def notes(self) -> pd.DataFrame:
        """Per note: age, dates, support, what supersedes it, isolation."""
        return note_status(self.analysis, self.bars)

    @cached_property
    def insights(self) -> tuple[InsightGroup, ...]:
        return tuple(insight_groups(self.analysis, self.bars["insight"], self.bars["support"]))

    def to_dict(self) -> dict[str, Any]:
        notes = self.notes.reset_index().replace({np.nan: None})
        for column in notes.columns:
            if pd.api.types.is_datetime64_any_dtype(notes[column]):
                notes[column] = notes[column].map(lambda t: None if pd.isna(t) else iso(t.to_pydatetime()))
        return {"bars": dict(self.bars),
                "counts": {"duplicate_groups": len(self.duplicates), "conflicts": len(self.conflicts),
                           "insight_candidates": len(self.insights)},
                "duplicates": [asdict(g) for g in self.duplicates],
                "conflicts": [asdict(c) for c in self.conflicts],
                "insights": [asdict(i) for i in self.insights],
                "notes": notes.to_dict("records")}


def findings(analysis: Analysis, bars: Mapping[str, float] | None = None) -> Findings:
    """The findings under `bars` (the analysis's own where a bar is not given), one object per bars."""
    bars = {**default_bars(analysis.embedder_id), **analysis.bars, **(bars or {})}
    return memoized(analysis, ("findings", tuple(sorted(bars.items()))), lambda: Findings(analysis, bars))


# --- duplicates -----------------------------------------------------------------------------


def representative(members: Sequence[str], notes: dict[str, Note], profiles: Mapping[str, Profile]) -> str:
    """The most complete wording; ties go to the most recent, then the shortest text."""
    return min(members, key=lambda m: (-len(profiles[m].atoms), -notes[m].updated_at.timestamp(),
                                       len(notes[m].text), m))


def duplicate_groups(analysis: Analysis, bar: float) -> list[DuplicateGroup]:
    """Notes that may say the same thing (same words or one containing the other), complete-linkage.

    These are what the map links and the tables group; whether a group may be merged is a verdict.
    """
    return memoized(analysis, ("duplicates", bar), lambda: _duplicate_groups(analysis, bar))


def _duplicate_groups(analysis: Analysis, bar: float) -> list[DuplicateGroup]:
    pairs = analysis.pairs
    if pairs.empty:
        return []
    hits = pairs[(pairs.relation == "duplicate") & (pairs.similarity >= bar) & ~pairs.parents_differ
                 & ~pairs.subjects_differ]
    notes = analysis.corpus.note_by_id
    sim_of = {(a, b): s for a, b, s in zip(hits.older, hits.newer, hits.similarity)}
    sim_of.update({(b, a): s for (a, b), s in list(sim_of.items())})
    groups = []
    for members in complete_link(list(zip(hits.older, hits.newer))):
        rep = representative(members, notes, analysis.profiles)
        sims = [sim_of[(a, b)] for a in members for b in members if a < b and (a, b) in sim_of]
        verbatim = len({" ".join(notes[m].text.split()).casefold() for m in members}) == 1
        why = "the same text" if verbatim else f"the same words or one contains the other (cosine ≥ {min(sims):.2f})"
        groups.append(DuplicateGroup(f"dup-{rep}", tuple(members), rep, round(min(sims), 4), why))
    return sorted(groups, key=lambda g: g.id)


# --- conflicts ------------------------------------------------------------------------------


def conflict_pairs(analysis: Analysis, bar: float) -> list[ConflictPair]:
    """Same slot, another value: between notes, and between notes and later user sentences."""
    return memoized(analysis, ("conflicts", bar), lambda: _conflict_pairs(analysis, bar))


def _conflict_pairs(analysis: Analysis, bar: float) -> list[ConflictPair]:
    """Conflict candidates the rules would resolve (winner set), or that no rule can order (winner None)."""
    out = []
    for c in iter_pair_candidates(analysis, bar):
        s = c.signals
        verdict = judged(c, analysis)
        if "update" in (verdict.action, verdict.withheld) or (verdict.action == "none" and not s["ordered"]
                                          and s["relation"] in ("negation", "value", "words")
                                          and not (s["parents_differ"] or s["subjects_differ"])):
            winner = verdict.keep if "update" in (verdict.action, verdict.withheld) else None
            out.append(ConflictPair(c.notes[0], c.notes[1], winner, c.similarity, s["relation"], s["detail"]))
    statements = analysis.statement_by_id
    for c in session_candidates(analysis, bar):
        verdict = judged(c, analysis)
        if "update" not in (verdict.action, verdict.withheld):
            continue
        st = statements[c.statements[0]]
        out.append(ConflictPair(c.notes[0], st.id, st.id, c.similarity, c.signals["relation"], verdict.reason,
                                "session", st.turn_id, st.session_id, st.text))
    return out


# --- note status ----------------------------------------------------------------------------


def note_facts(analysis: Analysis) -> list[dict[str, Any]]:
    """What each note says about itself (bar-independent): age, expiry and event dates."""
    return memoized(analysis, "note_facts", lambda: _note_facts(analysis))


def _note_facts(analysis: Analysis) -> list[dict[str, Any]]:
    as_of = analysis.corpus.as_of
    rows = []
    for note in analysis.corpus.notes:
        ends = expiry(note.text, note.updated_at)
        event = episodic(note.text, note.updated_at)
        rows.append({
            "id": note.id, "path": note.path, "updated_at": note.updated_at,
            "age_days": round((as_of - note.updated_at).total_seconds() / 86400, 1),
            "named": bool(analysis.profiles[note.id].names),
            "episodic": event.text if event else "",
            "temporary": ends.text if ends else "",
            "expires_at": ends.when if ends else pd.NaT,
            "expired": bool(ends and ends.when < as_of),
        })
    return rows


def note_status(analysis: Analysis, bars: Mapping[str, float]) -> pd.DataFrame:
    """Per note: age, dates, sessions supporting it, what supersedes it, isolation."""
    key = ("status", bars["support"], bars["conflict"])
    return memoized(analysis, key, lambda: _note_status(analysis, bars))


def _note_status(analysis: Analysis, bars: Mapping[str, float]) -> pd.DataFrame:
    supported = support(analysis, bars["support"])
    superseded: dict[str, str] = {}
    for pair in conflict_pairs(analysis, bars["conflict"]):
        if pair.winner is not None and pair.winner != pair.older:
            superseded.setdefault(pair.older, pair.winner)
    isolated = (analysis.neighbour_similarity[:, 0] < bars["conflict"]) if analysis.neighbour_similarity.shape[1] \
        else np.ones(len(analysis.note_ids), dtype=bool)
    sessions_of, last_at = supported["sessions"].to_dict(), supported["last_at"].to_dict()
    rows = []
    for i, fact in enumerate(note_facts(analysis)):
        note_id = fact["id"]
        sessions = sessions_of.get(note_id, ())
        rows.append({**fact, "support_sessions": len(sessions), "supported_by": list(sessions),
                     "last_support_at": last_at.get(note_id, pd.NaT),
                     "superseded_by": superseded.get(note_id), "isolated": bool(isolated[i])})
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


# --- insights -------------------------------------------------------------------------------


def insight_groups(analysis: Analysis, bar: float, support_bar: float, min_sessions: int = 2) -> list[InsightGroup]:
    """Statements made in several sessions that no note holds, for the map and the review."""
    return memoized(analysis, ("insights", bar, support_bar, min_sessions),
                    lambda: _insight_groups(analysis, bar, support_bar, min_sessions))


def _insight_groups(analysis: Analysis, bar: float, support_bar: float, min_sessions: int) -> list[InsightGroup]:
    out = []
    for candidate in insight_candidates(analysis, bar, support_bar, min_sessions):
        s = candidate.signals
        out.append(InsightGroup(candidate.id.replace("insight:", "ins-"), s["text"], s["how"], candidate.statements,
                                s["sessions"], s["quotes"], s["centrality"], s["best_memory"],
                                s["best_memory_similarity"]))
    return out
