"""Review: decisions per operation, manual and automatic approval, guardrails, apply, retention.

Decisions are an append-only log (the latest decision per operation counts), so a review can be
saved, resumed and audited. Nothing applies until approved; an operation that depends on one
that is not approved is flagged, never applied silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dream.plan import Operation, Plan, apply_operations
from .errors import ReaderError, WorkbenchError
from .records import Store, iso, sha256
from .secrets import restorer

if TYPE_CHECKING:
    from .analysis import Analysis

VERDICTS = ("approve", "reject", "edit")
DESTRUCTIVE = ("merge", "update", "delete")

AUTO_BAR = 0.97  # automatic approval applies only verdicts whose measured precision is at least this


@dataclass(frozen=True)
class Decision:
    """A person's (or the automatic mode's) verdict on one operation."""

    operation: str
    verdict: str
    content: str | None = None
    who: str = "reviewer"
    at: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ReaderError(f"unknown verdict {self.verdict!r}; use {', '.join(VERDICTS)}", field="verdict")
        if self.verdict == "edit" and not (self.content or "").strip():
            raise ReaderError("an edit needs the new content", field="content")
        if not self.at:
            object.__setattr__(self, "at", iso(datetime.now(timezone.utc)))


@dataclass(frozen=True)
class Guardrail:
    """Caps on how much of a store one change may delete or rewrite (shares of input notes)."""

    max_deleted: float = 0.40
    max_rewritten: float = 0.60

    def breaches(self, radius: dict[str, float]) -> list[str]:
        out = []
        if radius["deleted_share"] > self.max_deleted:
            out.append(f"deletes {radius['deleted_share']:.0%} of notes (cap {self.max_deleted:.0%})")
        if radius["rewritten_share"] > self.max_rewritten:
            out.append(f"rewrites {radius['rewritten_share']:.0%} of notes (cap {self.max_rewritten:.0%})")
        return out


def blast_radius(plan: Plan, operations: Iterable[Operation] | None = None) -> dict[str, float]:
    """Share of the input notes that `operations` (default: all of the plan's) delete and rewrite."""
    ops = list(plan.operations if operations is None else operations)
    total = max(1, int(plan.inputs.get("notes", 0)) or 1)
    deleted, rewritten = set(), set()
    for op in ops:
        for target in op.targets:
            if op.kind == "delete" or (op.result is not None and op.result.note_id != target.id
                                       and not op.result.whole_memory):
                deleted.add(target.id)
            elif op.kind in ("merge", "update"):
                rewritten.add(target.id)
    return {"deleted_share": round(len(deleted) / total, 4), "rewritten_share": round(len(rewritten) / total, 4),
            "deleted": len(deleted), "rewritten": len(rewritten), "notes": total}


@dataclass
class Review:
    """The decisions on one plan, in the order they were made."""

    plan: Plan
    decisions: list[Decision] = field(default_factory=list)
    guardrail: Guardrail = field(default_factory=Guardrail)
    log: list[str] = field(default_factory=list)

    # -- deciding
    def decide(self, operation: str, verdict: str, content: str | None = None, who: str = "reviewer",
               note: str = "") -> Decision:
        if operation not in self.plan.by_id:
            raise ReaderError(f"the plan has no operation {operation!r}", field="operation")
        decision = Decision(operation, verdict, content, who, note=note)
        self.decisions.append(decision)
        return decision

    def approve(self, *operations: str, who: str = "reviewer") -> Review:
        for op in operations:
            self.decide(op, "approve", who=who)
        return self

    def reject(self, *operations: str, who: str = "reviewer") -> Review:
        for op in operations:
            self.decide(op, "reject", who=who)
        return self

    def edit(self, operation: str, content: str, who: str = "reviewer") -> Review:
        self.decide(operation, "edit", content, who)
        return self

    def approve_all(self, who: str = "reviewer") -> Review:
        return self.approve(*[op.id for op in self.plan.operations if op.id not in self.current], who=who)

    def auto(self, min_confidence: float = AUTO_BAR, kinds: Sequence[str] | None = None, who: str = "auto", *,
             breaks: Mapping[str, Sequence[str]] | None = None, allow_regressions: bool = False) -> Review:
        """Automatic mode: approve pending operations at or above the bar, for the chosen kinds.

        Above the guardrail caps nothing destructive is approved; those stay pending for a person.
        Operations that break a probe (`breaks`: operation id → probe ids, e.g. `Report.breaks`)
        stay pending too, unless `allow_regressions`.
        """
        kinds = tuple(kinds or ("merge", "update", "delete", "create"))
        chosen = [op for op in self.plan.operations if op.id not in self.current and op.kind in kinds
                  and op.confidence >= min_confidence]
        held = [op.id for op in chosen if (breaks or {}).get(op.id)] if not allow_regressions else []
        if held:
            self.log.append(f"automatic mode held back {len(held)} operation(s) that break probes: {', '.join(held)}")
            chosen = [op for op in chosen if op.id not in held]
        breaches = self.guardrail.breaches(blast_radius(self.plan, self.approved_operations() + chosen))
        if breaches:
            self.log.append("automatic mode held back destructive operations: the change " + " and ".join(breaches))
            chosen = [op for op in chosen if op.kind not in DESTRUCTIVE]
        for op in chosen:
            self.decide(op.id, "approve", who=who, note=f"confidence {op.confidence:.2f} ≥ {min_confidence:.2f}")
        return self

    # -- state
    @property
    def current(self) -> dict[str, Decision]:
        """The latest decision per operation."""
        latest: dict[str, Decision] = {}
        for decision in self.decisions:
            latest[decision.operation] = decision
        return latest

    @property
    def pending(self) -> list[str]:
        return [op.id for op in self.plan.operations if op.id not in self.current]

    def _accepted(self) -> dict[str, Decision]:
        return {k: d for k, d in self.current.items() if d.verdict in ("approve", "edit")}

    def blocked(self) -> dict[str, str]:
        """Approved operations that depend on one not approved (or itself blocked): operation id → why."""
        accepted, current = self._accepted(), self.current
        out: dict[str, str] = {}
        changed = True
        while changed:  # a chain blocks as a whole: C on B on a rejected A blocks B and C
            changed = False
            for op in self.plan.operations:
                if op.id not in accepted or op.id in out:
                    continue
                missing = [d for d in op.depends_on if d not in accepted or d in out]
                if missing:
                    first = missing[0]
                    state = ("blocked" if first in out else "rejected" if first in current else "pending")
                    out[op.id] = f"depends on {first}, which is {state}"
                    changed = True
        return out

    def approved_operations(self) -> list[Operation]:
        accepted, blocked = self._accepted(), self.blocked()
        return [op for op in self.plan.operations if op.id in accepted and op.id not in blocked]

    def edits(self) -> dict[str, str]:
        return {k: d.content for k, d in self.current.items() if d.verdict == "edit" and d.content is not None}

    def counts(self) -> dict[str, int]:
        current = self.current
        out = {"operations": len(self.plan.operations), "pending": len(self.pending), "blocked": len(self.blocked())}
        for verdict in VERDICTS:
            out[verdict] = sum(1 for d in current.values() if d.verdict == verdict)
        return out

    # -- persistence
    def to_dict(self) -> dict[str, Any]:
        return {"format": 1, "plan_digest": plan_digest(self.plan), "guardrail": asdict(self.guardrail),
                "decisions": [asdict(d) for d in self.decisions], "log": self.log}

    def save(self, path: str | Path, *, keep_secrets: bool = False) -> Path:
        """Write the decisions atomically; secrets in edited content are redacted unless `keep_secrets`."""
        from .files import write_json
        from .secrets import redact_data

        data = self.to_dict()
        return write_json(path, data if keep_secrets else redact_data(data))

    @classmethod
    def load(cls, plan: Plan, path: str | Path) -> Review:
        """Decisions saved for `plan`; another plan's, or a file without a plan digest, is refused."""
        from .io._util import read_text
        from .schema import DecisionsModel, parse

        path = Path(path)
        text = read_text(path)
        try:
            model, _ = parse(DecisionsModel, text, str(path), "decisions")
        except ReaderError as exc:
            if "plan_digest" in (exc.field or "") and "Field required" in exc.message:
                exc.message = "these decisions name no plan digest, so they cannot be checked against a plan"
                exc.args = (str(exc),)
            elif exc.field is None and exc.message.startswith("not a decisions"):
                exc.message = "not a decisions file (expected an object with a list of decisions)"
                exc.args = (str(exc),)
            raise
        if model.plan_digest != plan_digest(plan):
            raise ReaderError("these decisions were made on a different plan", source=str(path), field="plan_digest")
        review = cls(plan, guardrail=Guardrail(**model.guardrail.model_dump()), log=list(model.log))
        for index, item in enumerate(model.decisions):
            if item.operation not in plan.by_id:
                raise ReaderError(f"unknown operation {item.operation!r}", source=str(path),
                                  field=f"decisions[{index}].operation")
            try:
                review.decisions.append(Decision(**item.model_dump()))
            except ReaderError as exc:
                raise ReaderError(exc.message, source=str(path), field=f"decisions[{index}].{exc.field}") from None
        return review


def plan_digest(plan: Plan) -> str:
    """SHA-256 of the plan's operations: decisions are bound to exactly these.

    Computed over the redacted operations, so a plan.json written with secrets redacted has the
    digest of the plan it was written from.
    """
    from .secrets import redact_data

    return sha256(json.dumps(redact_data([op.to_dict() for op in plan.operations]), sort_keys=True,
                             ensure_ascii=False))


def apply(store: Store, plan: Plan, review: Review) -> Store:
    """The store with only the approved operations applied (edits replace results); `store` is untouched.

    The plan must name the store it was made for (its input digest): a plan that names none, or
    another, is refused. Redacted secrets in the plan are put back from `store` (and only from it).
    """
    digest = plan.inputs.get("store_digest") or (plan.input_store.digest if plan.input_store is not None else None)
    if digest is None:
        raise WorkbenchError("this plan records no input store digest, so it cannot be checked against the store; "
                             "make the plan again with `workbench dream`")
    if digest != store.digest:
        raise WorkbenchError("this plan was made for a different store (its input digest does not match)")
    at = plan.output_store.memories[0].updated_at if plan.output_store.memories else None
    from .records import parse_time

    at = parse_time(plan.inputs["as_of"]) if plan.inputs.get("as_of") else at
    restore = restorer([text for m in store.memories for text in (m.path, m.content)])
    operations = [_restored(op, restore) for op in review.approved_operations()]
    edits = {k: restore(v) for k, v in review.edits().items()}
    return apply_operations(store, operations, at=at, edits=edits)


def _restored(op: Operation, restore) -> Operation:
    """`op` with placeholders of redacted secrets replaced by the store's values (its id unchanged)."""
    from dataclasses import replace

    if "[REDACTED " not in json.dumps(op.to_dict(), ensure_ascii=False):
        return op
    targets = tuple(replace(t, path=restore(t.path), text=restore(t.text)) for t in op.targets)
    result = replace(op.result, path=restore(op.result.path), text=restore(op.result.text)) if op.result else None
    return replace(op, targets=targets, result=result)


# --- retention check --------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A question or stated fact from the sessions, and the note that answers it in the old store."""

    query: str
    note_id: str
    source: str  # "question" | "fact" | "evidence"
    session_id: str | None = None


@dataclass
class Retention:
    """How many probes still find their supporting note after the change."""

    probes: int
    found_before: int
    found_after: int
    lost: list[dict[str, str]]
    k: int

    @property
    def recall_before(self) -> float:
        return round(self.found_before / self.probes, 4) if self.probes else 1.0

    @property
    def recall_after(self) -> float:
        return round(self.found_after / self.probes, 4) if self.probes else 1.0

    @property
    def warning(self) -> str | None:
        if self.found_after < self.found_before:
            return (f"the new store loses recall: {self.found_after}/{self.probes} probes find their note "
                    f"(was {self.found_before}); {len(self.lost)} lost")
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"probes": self.probes, "k": self.k, "found_before": self.found_before, "found_after": self.found_after,
                "recall_before": self.recall_before, "recall_after": self.recall_after, "warning": self.warning,
                "lost": self.lost}


def probes_from(analysis: Analysis, limit: int = 400) -> list[Probe]:
    """Probes: user questions and the session sentences that support a note, each with that note."""
    mentions = analysis.mentions
    support_bar = analysis.bars["support"]
    hits = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= support_bar)]
    statements = {s.id: s for s in analysis.statements}
    best: dict[str, tuple[float, str]] = {}
    for row in hits.itertuples():
        if row.similarity > best.get(row.statement, (-1.0, ""))[0]:
            best[row.statement] = (row.similarity, row.note)
    questions = mentions[(mentions.similarity >= support_bar * 0.8)]
    for row in questions.itertuples():
        s = statements[row.statement]
        if s.role == "user" and s.text.rstrip().endswith("?") and row.statement not in best:
            best[row.statement] = (row.similarity, row.note)
    probes = []
    for statement_id, (_, note_id) in sorted(best.items()):
        s = statements[statement_id]
        source = "question" if s.text.rstrip().endswith("?") else "fact"
        probes.append(Probe(s.text, note_id, source, s.session_id))
    return probes[:limit]


def retention_check(analysis: Analysis, plan: Plan, after: Store, *, k: int = 5,
                    probes: Sequence[Probe] | None = None) -> Retention:
    """Run probes as retrieval queries against the old and the new store; list the ones lost."""
    probes = list(probes if probes is not None else probes_from(analysis))
    old_notes = list(analysis.corpus.notes)
    new_notes = list(after.notes)
    if not probes:
        return Retention(0, 0, 0, [], k)
    fate = _fates(plan, old_notes, after)
    queries = analysis.embed([p.query for p in probes])
    old_vectors = analysis.vectors
    new_vectors = analysis.embed([n.text for n in new_notes]) if new_notes else np.zeros((0, queries.shape[1]))
    row = analysis.row
    found_before = found_after = 0
    lost = []
    for i, probe in enumerate(probes):
        top_old = np.argsort(-(old_vectors @ queries[i]), kind="stable")[:k]
        before = row[probe.note_id] in set(top_old.tolist())
        top_new = np.argsort(-(new_vectors @ queries[i]), kind="stable")[:k] if len(new_notes) else []
        carried = fate.get(probe.note_id, set())
        after_hit = any(new_notes[j].text in carried for j in top_new)
        found_before += before
        found_after += after_hit
        if before and not after_hit:
            lost.append({"query": probe.query, "note": probe.note_id,
                         "text": analysis.corpus.note_by_id[probe.note_id].text, "source": probe.source})
    return Retention(len(probes), found_before, found_after, lost, k)


def _fates(plan: Plan, old_notes: Sequence, after: Store) -> dict[str, set[str]]:
    """For each old note, the texts in the new store that carry its fact."""
    texts_after = {n.text for n in after.notes}
    fate: dict[str, set[str]] = {n.id: ({n.text} & texts_after) for n in old_notes}
    for op in plan.operations:
        if op.result is None:
            continue
        carried = {t for t in texts_after if t == op.result.text.strip()}
        for target in op.targets:
            if carried:
                fate.setdefault(target.id, set()).update(carried)
    return fate
