"""Review: decisions per operation, manual and automatic approval, guardrails, apply.

Decisions are an append-only log (the latest decision per operation counts), so a review can be
saved, resumed and audited. Nothing applies until approved; an operation that depends on one
that is not approved is flagged, never applied silently. Whether the store still answers after
the approved operations is `workbench.evaluate`'s to say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .dream.calibration import AUTO_BAR
from .dream.plan import Operation, Plan, apply_operations
from .errors import ReaderError, WorkbenchError
from .records import Store, iso, sha256
from .schema import VERDICTS
from .secrets import restorer

PRIOR_WEIGHT = 20  # the most labels the calibration table counts as on a store: this store's answers can outweigh it
DESTRUCTIVE = ("merge", "update", "delete")


@dataclass(frozen=True)
class Decision:
    """A person's (or the automatic mode's) verdict on one operation, or the answer to one question
    (`operation` is then the question's id, `verdict` "answer" and `content` the key of the choice)."""

    operation: str
    verdict: str
    content: str | None = None
    who: str = "reviewer"
    at: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ReaderError(f"unknown verdict {self.verdict!r}; use {', '.join(VERDICTS)}", field="verdict")
        if self.verdict in ("edit", "answer") and not (self.content or "").strip():
            raise ReaderError(f"an {self.verdict} needs {'the new content' if self.verdict == 'edit' else 'a choice'}",
                              field="content")
        if not self.at:
            object.__setattr__(self, "at", iso(datetime.now(timezone.utc)))


@dataclass(frozen=True)
class Guardrail:
    """Caps on how much of a store one change may delete or rewrite (shares of input notes)."""

    max_deleted: float = field(default=0.40, metadata={"help": "the largest share of notes one change may delete"})
    max_rewritten: float = field(default=0.60, metadata={"help": "the largest share of notes one change may rewrite"})

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
        if operation in self.plan.question_by_id and verdict != "answer":
            raise ReaderError(f"{operation} is a question: answer it with one of its choices "
                              f"({', '.join(c.key for c in self.plan.question_by_id[operation].choices)})",
                              field="operation")
        if operation not in self.plan.by_id and operation not in self.plan.question_by_id:
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

    def answer(self, question: str, choice: str, who: str = "reviewer", note: str = "") -> Review:
        """Answer a question with the key of one of its choices; its operation (if any) is then approved.

        Refused when a note of the question changed since the plan (the plan is stale), or when the
        operation would change a note another approved change already changes.
        """
        asked = self.plan.question_by_id.get(question)
        if asked is None:
            raise ReaderError(f"the plan has no question {question!r}", field="question")
        op = asked.choice(choice).operation
        _check_fresh(self.plan, asked)
        if op is not None:
            taken = {t.id: o.id for o in self._accepted_operations(skip=question) for t in o.targets}
            clash = next((t.id for t in op.targets if t.id in taken), None)
            if clash is not None:
                raise ReaderError(f"note {clash} is already changed by {taken[clash]}; undo that first",
                                  field="question")
        self.decide(question, "answer", choice, who, note)
        return self

    def answers(self) -> dict[str, str]:
        """Question id → the key of the chosen answer (the latest answer per question)."""
        return {k: d.content for k, d in self.current.items() if d.verdict == "answer" and d.content}

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
                  and self.precision(op.rule, op.confidence) >= min_confidence]
        held = [op.id for op in chosen if (breaks or {}).get(op.id)] if not allow_regressions else []
        if held:
            self.log.append(f"automatic mode held back {len(held)} operation(s) that break probes: {', '.join(held)}")
            chosen = [op for op in chosen if op.id not in held]
        breaches = self.guardrail.breaches(blast_radius(self.plan, self.approved_operations() + chosen))
        if breaches:
            self.log.append("automatic mode held back destructive operations: the change " + " and ".join(breaches))
            chosen = [op for op in chosen if op.kind not in DESTRUCTIVE]
        for op in chosen:
            here = self.precision(op.rule, op.confidence)
            self.decide(op.id, "approve", who=who, note=f"confidence {here:.2f} ≥ {min_confidence:.2f}")
        return self

    # -- learning from the person
    def labels(self) -> list[dict[str, Any]]:
        """Every decision and answer as a label of the rule behind it (`correct` None: no leaning to check)."""
        out = []
        ops, questions = self.plan.by_id, self.plan.question_by_id
        for key, decision in sorted(self.current.items()):
            if decision.who == "auto":
                continue  # the automatic mode's approvals say nothing about a rule
            if key in ops:
                op = ops[key]
                correct = decision.verdict in ("approve", "edit")
                out.append({"rule": op.rule, "kind": op.kind, "item": key, "verdict": decision.verdict,
                            "correct": correct, "notes": [t.text for t in op.targets], "who": decision.who})
            elif key in questions:
                q = questions[key]
                correct = (decision.content == q.proposed) if q.proposed else None
                out.append({"rule": q.rule, "kind": q.kind, "item": key, "verdict": f"answer:{decision.content}",
                            "proposed": q.proposed, "correct": correct, "notes": [t.text for t in q.targets],
                            "who": decision.who})
        store = self.plan.inputs.get("store_id") or self.plan.inputs.get("store_digest", "")[:12]
        return [{"store": store, **row} for row in out]

    def tally(self) -> dict[str, tuple[int, int]]:
        """Rule → (right, labelled) on this store, from the person's decisions and answers."""
        out: dict[str, list[int]] = {}
        for row in self.labels():
            if row["correct"] is None:
                continue
            right = out.setdefault(row["rule"], [0, 0])
            right[0] += int(row["correct"])
            right[1] += 1
        return {rule: (a, b) for rule, (a, b) in out.items()}

    def precision(self, rule: str, prior: float | None = None) -> float:
        """The rule's precision on this store: the calibration table as prior, this store's labels as evidence.

        A Beta prior with the table's mean and at most `PRIOR_WEIGHT` labels of weight, updated with this
        store's right and wrong; with no labels here it is the table's value.
        """
        from .dream.calibration import calibration_table, confidence

        p0 = confidence(rule) if prior is None else prior
        right, labelled = self.tally().get(rule, (0, 0))
        if not labelled:
            return p0
        row = calibration_table().get("rules", {}).get(rule) or {}
        weight = min(PRIOR_WEIGHT, int(row.get("proposed", 0)) + 2)
        return round((p0 * weight + right) / (weight + labelled), 3)

    def record(self, rule: str) -> str:
        """"duplicate.subset here: 9 of 14 right so far" (or "no answers yet")."""
        right, labelled = self.tally().get(rule, (0, 0))
        return f"{rule} here: {right} of {labelled} right so far" if labelled else f"{rule} here: no answers yet"

    def labels_jsonl(self) -> str:
        """The labels as JSONL text (one row per decision or answer, secrets redacted): what `save_labels` writes."""
        from .secrets import redact_data

        rows = [json.dumps(redact_data(row), ensure_ascii=False, sort_keys=True) for row in self.labels()]
        return "".join(row + "\n" for row in rows)

    def save_labels(self, path: str | Path) -> Path:
        """The labels as JSONL (one row per decision or answer), for `python -m benchmarks calibration`."""
        from .files import write_text

        return write_text(path, self.labels_jsonl())

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

    @property
    def unanswered(self) -> list[str]:
        return [q.id for q in self.plan.questions if q.id not in self.current]

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
        """The approved, unblocked operations, then the operations of answered questions."""
        accepted, blocked = self._accepted(), self.blocked()
        return [op for op in self.plan.operations if op.id in accepted and op.id not in blocked] + self._answered()

    def _answered(self, skip: str = "") -> list[Operation]:
        answers = self.answers()
        return [op for q in self.plan.questions if q.id in answers and q.id != skip
                for op in [q.choice(answers[q.id]).operation] if op is not None]

    def _accepted_operations(self, skip: str = "") -> list[Operation]:
        accepted = self._accepted()
        return [op for op in self.plan.operations if op.id in accepted] + self._answered(skip)

    def edits(self) -> dict[str, str]:
        return {k: d.content for k, d in self.current.items() if d.verdict == "edit" and d.content is not None}

    def counts(self) -> dict[str, int]:
        current = self.current
        out = {"operations": len(self.plan.operations), "pending": len(self.pending), "blocked": len(self.blocked())}
        for verdict in VERDICTS[:3]:
            out[verdict] = sum(1 for d in current.values() if d.verdict == verdict and d.operation in self.plan.by_id)
        out["questions"] = len(self.plan.questions)
        out["answered"] = sum(1 for d in current.values() if d.verdict == "answer")
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
        from .files import read_text
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
            known = plan.question_by_id if item.verdict == "answer" else plan.by_id
            if item.operation not in known:
                what = "question" if item.verdict == "answer" else "operation"
                raise ReaderError(f"unknown {what} {item.operation!r}", source=str(path),
                                  field=f"decisions[{index}].operation")
            if item.verdict == "answer" and item.content not in {c.key for c in known[item.operation].choices}:
                raise ReaderError(f"question {item.operation} has no answer {item.content!r}", source=str(path),
                                  field=f"decisions[{index}].content")
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
    # kept on the plan while it holds the same (frozen) operations and questions: the app asks on every selection
    key = (tuple(map(id, plan.operations)), tuple(map(id, plan.questions)))
    kept = plan.__dict__.get("_digest")
    if kept is None or kept[0] != key:
        kept = plan.__dict__["_digest"] = (key, _digest(plan))
    return kept[1]


def _digest(plan: Plan) -> str:
    from .secrets import redact_data

    body = [op.to_dict() for op in plan.operations]
    if plan.questions:  # decisions are bound to the questions too (a plan without any keeps its old digest)
        body = {"operations": body, "questions": [q.to_dict() for q in plan.questions]}
    return sha256(json.dumps(redact_data(body), sort_keys=True, ensure_ascii=False))


def apply(store: Store, plan: Plan, review: Review) -> Store:
    """The store with only the approved operations applied (edits replace results); `store` is untouched.

    The plan must name the store it was made for (its input digest): a plan that names none, or
    another, is refused. Redacted secrets in the plan are put back from `store` (and only from it).
    """
    plan.check_store(store, required=True)
    at = plan.output_store.memories[0].updated_at if plan.output_store.memories else None
    from .records import parse_time

    at = parse_time(plan.inputs["as_of"]) if plan.inputs.get("as_of") else at
    restore = restorer([text for m in store.memories for text in (m.path, m.content)])
    for question in plan.questions:
        if question.id in review.answers():
            _check_fresh(plan, question, store, restore)
    operations = [_restored(op, restore) for op in review.approved_operations()]
    edits = {k: restore(v) for k, v in review.edits().items()}
    return apply_operations(store, operations, at=at, edits=edits)


def _check_fresh(plan: Plan, question, store: Store | None = None, restore=lambda text: text) -> None:
    """Refuse an answer whose notes changed since the plan was made: it would apply to other notes."""
    store = store if store is not None else plan.input_store
    if store is None:
        return
    notes = {n.id: n.text for n in store.notes}
    for target in question.targets:
        if notes.get(target.id) != restore(target.text):
            raise WorkbenchError(f"question {question.id} is stale: note {target.id} changed since the plan was made; "
                                 "make the plan again with `workbench dream`")


def _restored(op: Operation, restore) -> Operation:
    """`op` with placeholders of redacted secrets replaced by the store's values (its id unchanged)."""
    from dataclasses import replace

    if "[REDACTED " not in json.dumps(op.to_dict(), ensure_ascii=False):
        return op
    targets = tuple(replace(t, path=restore(t.path), text=restore(t.text)) for t in op.targets)
    result = replace(op.result, path=restore(op.result.path), text=restore(op.result.text)) if op.result else None
    return replace(op, targets=targets, result=result)
