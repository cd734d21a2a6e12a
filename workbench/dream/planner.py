"""From verdicts to operations: the one place a judged candidate becomes a change to the store.

Every judge (the rules, Claude, a person) writes `Verdict`s for the analysis's `Candidate`s; the
planner turns those into `Operation`s under the focus — each note the target of at most one
operation, the strongest verdicts first, nothing outside the scopes, no parent item removed —
so the engines differ only in who judges.

What each scope does (the notes a scope matches are `workbench.scopes.scope_sets`'s):

- protect: its notes are never read, removed or written;
- include only ("only X", "focus only on X"): notes outside X get no operation and no question;
- exclude ("ignore X", "skip X"): its notes get no operation and no question, and no insight comes
  from session statements about X; forget ("forget X", "prune X"): the same, and each of its notes
  is proposed for deletion (rule `prune.off_focus`, a suggestion below the automatic bar);
- weight ("prioritize X" ×2, "deprioritize X" ×0.5): its operations come first in the review order
  (last below 1) and its questions are worth the weight more; inside a topic weighted above 1 a rule
  measured right at least `PRIORITY_FLOOR` of the time proposes (elsewhere `SUGGESTION_FLOOR`), and an
  insight about it needs one session less (never fewer than two).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ..analysis import complete_link
from ..focus import Focus, matches
from ..records import Note
from ..scopes import scope_sets
from .calibration import SUGGESTION_FLOOR, confidence
from .plan import Evidence, Operation, Result, Target
from .rules import Verdict, judged_candidates, keeper

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..candidates import Candidate

Judged = tuple["Candidate", Verdict]

# Inside a topic the focus prioritizes, a rule measured right at least one time in three proposes its
# change as a suggestion (elsewhere a rule must be right half the time: `SUGGESTION_FLOOR`): a person
# asked to look there first, and still approves each one in the review.
PRIORITY_FLOOR = 0.33


class Planner:
    """Builds the operations of one plan from judged candidates."""

    def __init__(self, analysis: Analysis, focus: Focus) -> None:
        self.analysis = analysis
        self.focus = focus
        self.scopes = focus.scopes
        self.sets = scope_sets(analysis, focus)
        self.notes = analysis.corpus.note_by_id
        self.as_of = analysis.corpus.as_of
        self.used: dict[str, str] = {}  # note id -> operation id
        self.ops: list[Operation] = []
        self.remarks: list[str] = []
        self.lowered: set[str] = set()  # candidates proposed under the priority floor
        self.relaxed: set[str] = set()  # insight candidates admitted with one session less
        self.relaxed_ops: list[str] = []  # the insights among the operations made from them

    # -- helpers
    def eligible(self, note_id: str) -> bool:
        """Inside the focus: not protected, not excluded, and inside the include scopes when there are any."""
        if note_id in self.sets.protected or note_id in self.sets.excluded:
            return False
        return self.sets.included is None or note_id in self.sets.included

    def weight(self, note_ids: Iterable[str] = (), statement_ids: Iterable[str] = ()) -> float:
        """The focus weight of notes (or, for an insight, its statements): the strongest, else 1."""
        found = [self.sets.weight(note_ids)]
        found += [self.sets.statement_weights[i] for i in statement_ids if i in self.sets.statement_weights]
        return max(found, key=lambda w: abs(w - 1.0))

    def free(self, *note_ids: str) -> bool:
        return all(i not in self.used and self.eligible(i) for i in note_ids)

    def target(self, note_id: str) -> Target:
        note = self.notes[note_id]
        return Target(note.id, note.path, note.text)

    def add(self, op: Operation) -> None:
        if op.kind not in self.focus.kinds:
            return
        self.ops.append(op)
        for t in op.targets:
            self.used.setdefault(t.id, op.id)

    def plan(self, judged: Sequence[Judged]) -> list[Operation]:
        """Operations for the judged candidates: conflicts, merges, session updates, prunes, insights."""
        by_kind: dict[str, list[Judged]] = {"update": [], "merge": [], "session": [], "delete": [], "create": []}
        for candidate, verdict in judged:
            if verdict.action == "none":
                verdict = self.priority(candidate, verdict)
            if verdict.action == "none":
                verdict = self.prioritized(candidate, verdict)
            if verdict.action == "none":
                continue
            key = "session" if candidate.kind == "session" else verdict.action
            by_kind[key].append((candidate, verdict))
        strongest = lambda cv: (-cv[1].confidence, -cv[0].similarity, cv[0].id)  # noqa: E731
        for candidate, verdict in sorted(by_kind["update"], key=strongest):
            self.store_conflict(candidate, verdict)
        self.merges(by_kind["merge"])
        for candidate, verdict in sorted(by_kind["session"], key=strongest):
            self.session_conflict(candidate, verdict)
        for candidate, verdict in sorted(by_kind["delete"], key=lambda cv: cv[0].id):
            self.prune(candidate, verdict)
        self.off_focus()
        for candidate, verdict in sorted(by_kind["create"], key=strongest):
            self.distill(candidate, verdict)
        self.ops = self.review_order(self.ops)
        return self.ops

    def candidate_weight(self, candidate: Candidate) -> float:
        return self.weight(candidate.notes, candidate.statements if candidate.kind == "insight" else ())

    def prioritized(self, candidate: Candidate, verdict: Verdict) -> Verdict:
        """A change withheld below the suggestion floor, proposed inside a prioritized topic when its rule is
        measured at least `PRIORITY_FLOOR`."""
        if not verdict.withheld or not PRIORITY_FLOOR <= verdict.confidence < SUGGESTION_FLOOR \
                or self.candidate_weight(candidate) <= 1.0:
            return verdict
        reason = verdict.reason.split(" — not proposed:")[0]
        self.lowered.add(candidate.id)
        return replace(verdict, action=verdict.withheld, withheld="",
                       reason=f"{reason} — proposed inside a prioritized topic: rule {verdict.rule} is measured right "
                              f"{verdict.confidence:.0%} of the time (the priority floor is {PRIORITY_FLOOR:.0%})")

    def relaxed_insights(self, judged: Sequence[Judged]) -> list[Judged]:
        """Insights about a prioritized topic said in one session less than the minimum (never fewer than two)."""
        support = max(2, self.focus.min_sessions - 1)
        if support >= self.focus.min_sessions or not any(w > 1 for w in self.sets.statement_weights.values()):
            return []
        known = {c.id for c, _ in judged}
        found = [(c, v) for c, v in judged_candidates(self.analysis, replace(self.focus, min_sessions=support))
                 if c.kind == "insight" and c.id not in known and self.candidate_weight(c) > 1.0]
        self.relaxed |= {c.id for c, _ in found}
        return found

    def review_order(self, ops: list[Operation]) -> list[Operation]:
        """Operations on prioritized notes first and on deprioritized ones last, each group in planning order;
        an operation is never placed before one it depends on."""
        if not self.sets.weights and not self.sets.statement_weights:
            return ops
        key = {op.id: self.operation_weight(op) for op in ops}
        for op in ops:
            for dep in op.depends_on:
                key[dep] = max(key.get(dep, 1.0), key[op.id])
        return sorted(ops, key=lambda op: -key[op.id])

    def operation_weight(self, op: Operation) -> float:
        notes = [t.id for t in op.targets] + ([op.result.note_id] if op.result and op.result.note_id else [])
        turns = {e.turn_id for e in op.evidence if e.turn_id} if op.kind == "create" else set()
        statements = [s.id for s in self.analysis.statements if s.turn_id in turns] if turns else []
        return self.weight(notes, statements)

    def priority(self, candidate: Candidate, verdict: Verdict) -> Verdict:
        """A conflict no time can order, decided by the focus's priority weights when they differ."""
        s = candidate.signals
        if candidate.kind != "pair" or s["ordered"] or s["relation"] not in ("negation", "value", "words") \
                or s["parents_differ"] or s["subjects_differ"]:
            return verdict
        a, b = (self.notes[i] for i in candidate.notes)
        wa, wb = self.weight([a.id]), self.weight([b.id])
        if wa == wb:  # both about the topic: the one that names it in its own words
            wa, wb = self.focus.weight(a), self.focus.weight(b)
        if wa == wb:
            return verdict
        keep = a if wa > wb else b
        return replace(verdict, action="update", rule="conflict.priority", keep=keep.id,
                       confidence=confidence("conflict.priority"),
                       reason=f"{s['detail']}; written at the same time, and the focus gives priority to "
                              f"“{_short(keep.text, 40)}”")

    # -- consolidate
    def store_conflict(self, candidate: Candidate, verdict: Verdict) -> None:
        if self.free(*candidate.notes):
            self.add(self.conflict_operation(candidate, verdict))

    def conflict_operation(self, candidate: Candidate, verdict: Verdict) -> Operation:
        """The update that keeps `verdict.keep` (default the newer note) and drops the other — or, for a
        rewrite, gives `verdict.keep` the text `verdict.text` and leaves the other note as it is."""
        winner = self.notes[verdict.keep or candidate.notes[-1]]
        loser = next(i for i in candidate.notes if i != winner.id)
        if verdict.rewrite and verdict.text:
            return Operation(
                kind="update", reason="superseded", rule=verdict.rule, targets=(self.target(winner.id),),
                result=Result(winner.path, verdict.text, note_id=winner.id),
                rationale=f"{verdict.reason}; rewrite to “{_short(verdict.text)}”.",
                evidence=(Evidence(quote=self.notes[loser].text, note_id=loser),),
                confidence=verdict.confidence, provenance=tuple(sorted(set(winner.evidence))))
        return Operation(
            kind="update", reason="conflict", rule=verdict.rule,
            targets=(self.target(loser), self.target(winner.id)),
            result=Result(winner.path, verdict.text or winner.text, note_id=winner.id),
            rationale=f"{verdict.reason}; keep “{_short(winner.text)}”.",
            evidence=(Evidence(quote=winner.text, note_id=winner.id),),
            confidence=verdict.confidence,
            provenance=tuple(sorted(set(winner.evidence) | set(self.notes[loser].evidence))),
        )

    def merges(self, judged: Sequence[Judged]) -> None:
        """Merge groups in which every two notes were judged the same fact (complete linkage)."""
        by_pair = {tuple(sorted(c.notes)): v for c, v in judged}
        edges = sorted(by_pair)
        groups = complete_link(edges)
        scored = []
        for members in groups:
            links = [by_pair[(a, b)] for a in members for b in members if a < b and (a, b) in by_pair]
            weakest = min(links, key=lambda v: (v.confidence, v.rule))
            scored.append((members, links, weakest))
        for members, links, weakest in sorted(scored, key=lambda g: (-g[2].confidence, g[0])):
            self.merge(members, links, weakest)

    def merge(self, members: list[str], links: list[Verdict], weakest: Verdict) -> None:
        members = [m for m in members if m not in self.used and self.eligible(m)]
        if len(members) < 2:
            return
        keep = _keep(members, links, self.analysis)
        others = [m for m in members if m != keep]
        if any(m in self.analysis.parent_ids for m in others):
            self.remarks.append(f"merge of {', '.join(members)} left alone: it would remove a parent item")
            return
        self.add(self.merge_operation(keep, others, weakest))

    def merge_operation(self, keep: str, others: Sequence[str], verdict: Verdict) -> Operation:
        """The merge that keeps `keep`'s wording in place and removes `others`."""
        members = [keep, *others]
        kept = self.notes[keep]
        paths = sorted({self.notes[m].path for m in members})
        return Operation(
            kind="merge", reason="duplicate", rule=verdict.rule,
            targets=tuple(self.target(m) for m in members),
            result=Result(kept.path, kept.text, note_id=keep),
            rationale=f"{len(members)} notes: {verdict.reason} ({', '.join(paths)}); keep the wording in {kept.path}.",
            evidence=tuple(Evidence(quote=self.notes[m].text, note_id=m) for m in others),
            confidence=verdict.confidence,
            provenance=tuple(sorted({e for m in members for e in self.notes[m].evidence})),
        )

    def session_conflict(self, candidate: Candidate, verdict: Verdict) -> None:
        note_id, depends = candidate.notes[0], ()
        owner = self.used.get(note_id)
        if owner is not None:
            op = next(o for o in self.ops if o.id == owner)
            if op.kind != "merge" or op.result is None or op.result.text != self.notes[note_id].text:
                return
            note_id, depends = op.result.note_id, (op.id,)
            if any(o.kind == "update" and o.targets[0].id == note_id for o in self.ops):
                return
        if self.eligible(note_id):
            self.add(self.session_operation(candidate, verdict, note_id, depends))

    def session_operation(self, candidate: Candidate, verdict: Verdict, note_id: str,
                          depends: tuple[str, ...] = ()) -> Operation:
        """The update that rewrites a note to what a later session sentence says."""
        note = self.notes[note_id]
        statement = self.analysis.statement_by_id[candidate.statements[0]]
        return Operation(
            kind="update", reason="conflict", rule=verdict.rule,
            targets=(Target(note.id, note.path, note.text),),
            result=Result(note.path, verdict.text or note.text, note_id=note.id),
            rationale=f"{verdict.reason}; the note was written {note.updated_at:%Y-%m-%d}.",
            evidence=(Evidence(quote=statement.text, session_id=statement.session_id, turn_id=statement.turn_id),),
            confidence=verdict.confidence,
            provenance=tuple(sorted(set(note.evidence) | {statement.turn_id})),
            depends_on=depends,
        )

    # -- prune
    def prune(self, candidate: Candidate, verdict: Verdict) -> None:
        note_id = candidate.notes[0]
        if self.free(note_id) and note_id not in self.analysis.parent_ids:
            self.add(self.prune_operation(note_id, verdict))

    def prune_operation(self, note_id: str, verdict: Verdict) -> Operation:
        """The delete of a note that no longer holds — or, when the verdict keeps part of it (`verdict.text`), the
        update that leaves only that part."""
        note = self.notes[note_id]
        reason = "temporary" if verdict.rule.startswith("prune.") else "stale"
        if verdict.text:
            return Operation(kind="update", reason=reason, rule=verdict.rule, targets=(self.target(note_id),),
                             result=Result(note.path, verdict.text, note_id=note_id),
                             rationale=f"{verdict.reason[:1].upper()}{verdict.reason[1:]}.",
                             evidence=(Evidence(quote=note.text, note_id=note_id),),
                             confidence=verdict.confidence, provenance=note.evidence)
        return Operation(kind="delete", reason=reason,
                         rule=verdict.rule, targets=(self.target(note_id),), result=None,
                         rationale=f"{verdict.reason[:1].upper()}{verdict.reason[1:]}.",
                         evidence=(Evidence(quote=note.text, note_id=note_id),),
                         confidence=verdict.confidence, provenance=note.evidence)

    def off_focus(self) -> None:
        """Notes of a topic the focus asks to forget, as suggestions (a topic only ignored is left alone)."""
        for note in self.analysis.corpus.notes:
            topic = self.sets.forgotten.get(note.id)
            if topic is None or note.id in self.used or note.id in self.sets.protected \
                    or note.id in self.analysis.parent_ids:
                continue
            self.add(Operation(kind="delete", reason="off_focus", rule="prune.off_focus",
                               targets=(self.target(note.id),), result=None,
                               rationale=f"The focus asks to forget “{topic}”.",
                               evidence=(Evidence(quote=note.text, note_id=note.id),),
                               confidence=confidence("prune.off_focus"), provenance=note.evidence))

    # -- distill
    def distill(self, candidate: Candidate, verdict: Verdict) -> None:
        op = self.insight_operation(candidate, verdict, remark=True)
        if op is not None:
            self.add(op)
            if candidate.id in self.relaxed and op in self.ops:
                self.relaxed_ops.append(op.id)

    def insight_operation(self, candidate: Candidate, verdict: Verdict, *, remark: bool = False) -> Operation | None:
        """The create that files an insight, or None when the focus keeps it out."""
        s = candidate.signals
        text = verdict.text or s["text"]
        path = verdict.path or self._place(candidate)
        probe = Note("new", "", path, 0, text, "bullet", "", 0, 0, self.as_of, self.as_of)
        if any(matches(t, probe) for t in self.scopes.exclude) or set(candidate.statements) & self.sets.excluded_statements:
            return None
        if self.scopes.include and not any(matches(t, replace(probe, path="")) for t in self.scopes.include):
            return None
        protected = next((t for t in self.scopes.protect if matches(t, probe)), None)
        if protected is not None:
            if remark:
                self.remarks.append(f"insight “{_short(text)}” not filed under {path}: protect: {protected}")
            return None
        return Operation(
            kind="create", reason="insight", rule=verdict.rule, targets=(), result=Result(path, text),
            rationale=f"{verdict.reason[:1].upper()}{verdict.reason[1:]}; filed under {path}.",
            evidence=tuple(Evidence(quote=q, session_id=sid, turn_id=t) for sid, t, q in _one_per_session(s["quotes"])),
            confidence=verdict.confidence,
            provenance=tuple(sorted({t for _, t, _ in s["quotes"]})),
        )

    def _place(self, candidate: Candidate) -> str:
        """The document an insight goes to: the closest one when it fits, else /insights/…."""
        s = candidate.signals
        memories = self.analysis.corpus.store.by_id
        path = "/insights/failures.md" if s["how"] == "failure" else "/insights/statements.md"
        if s["best_memory"] and s["best_memory_similarity"] >= self.analysis.bars["support"] * 0.75:
            best = memories[s["best_memory"]].path
            probe = Note("new", "", best, 0, s["text"], "bullet", "", 0, 0, self.as_of, self.as_of)
            if not any(matches(t, probe) for t in self.scopes.protect):
                path = best
        return path


def _keep(members: Iterable[str], links: Sequence[Verdict], analysis: Analysis) -> str:
    """The note a merge keeps: a parent item first, then the one most verdicts chose, then the rules' keeper."""
    votes: dict[str, int] = {}
    for v in links:
        if v.keep:
            votes[v.keep] = votes.get(v.keep, 0) + 1
    members = list(members)
    best = keeper(analysis, members)
    return max(members, key=lambda m: (m in analysis.parent_ids, votes.get(m, 0), m == best, m))


def _one_per_session(quotes: Sequence[tuple[str, str, str]], limit: int = 6) -> list[tuple[str, str, str]]:
    """Up to `limit` quotes, one per session first, so the evidence shows every session that said it."""
    first = list({sid: (sid, t, q) for sid, t, q in reversed(quotes)}.values())[::-1]
    rest = [q for q in quotes if q not in first]
    return (first + rest)[:max(limit, len(first))]


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
