"""The evaluation report: how the store answered each probe before and after, regressions with the
operations behind them, and the size of the store (notes, memories, tokens)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..answers import F1_THRESHOLD, RULES
from ..dream.plan import Operation
from ..errors import WorkbenchError
from ..probes import Probe
from ..records import Store

if TYPE_CHECKING:
    import pandas as pd

TOKEN_METHOD = "estimate: UTF-8 bytes / 4 (no Claude tokenizer runs offline)"
NETS = ("answer", "retrieval")


def context_text(store: Store) -> str:
    """The context an agent would load from a store: every memory's path and content."""
    return "\n\n".join(f"{m.path}\n{m.content}" for m in store.memories)


def store_tokens(store: Store) -> int:
    """Tokens of `context_text(store)`, estimated (see `TOKEN_METHOD`)."""
    from ..api import approx_tokens

    return approx_tokens(context_text(store))


@dataclass(frozen=True)
class Answer:
    """How a store answered one probe: the answer held by the top k (answered, and by which rule),
    and a note backed by the probe's evidence among them (retrieved)."""

    answered: bool
    retrieved: bool  # a note backed by the evidence is among the top k
    notes: tuple[str, ...] = ()  # the notes holding the answer, else the backed ones (ids in the store asked)
    matched_by: str = ""  # exact | number | date | token_f1 | judge | evidence (no answer given); "" unanswered

    @property
    def watched(self) -> bool:
        """A net holds, so losing it would be reported: the answer is held or the evidence retrieved."""
        return self.answered or self.retrieved


def restored(before: Answer, now: Answer) -> bool:
    """Every net that held before holds now: the answer (if it was answered) and the evidence (if retrieved)."""
    return (now.answered or not before.answered) and (now.retrieved or not before.retrieved)


@dataclass(frozen=True)
class ProbeResult:
    """One probe before and after; `broken_by` names the operations behind a regression of either net."""

    probe: Probe
    before: Answer
    after: Answer
    broken_by: tuple[str, ...] = ()
    why: str = ""

    @property
    def answer_regression(self) -> bool:
        """The top k held the answer before and does not after."""
        return self.before.answered and not self.after.answered

    @property
    def retrieval_regression(self) -> bool:
        """A note backed by the evidence was among the top k before and none is after."""
        return self.before.retrieved and not self.after.retrieved

    @property
    def regression(self) -> bool:
        return self.answer_regression or self.retrieval_regression

    @property
    def gain(self) -> bool:
        return self.after.answered and not self.before.answered

    @property
    def matched_by(self) -> str:
        """The rule that found the answer before (after, for a gain); "" when it was never found."""
        return self.before.matched_by or self.after.matched_by

    @property
    def nets(self) -> tuple[str, ...]:
        """How the probe is judged: by its answer, by its evidence, or both."""
        return tuple(net for net, has in zip(NETS, (self.probe.answers, self.probe.evidence)) if has)

    def to_dict(self) -> dict[str, Any]:
        return {**self.probe.to_dict(), "nets": list(self.nets), "matched_by": self.matched_by,
                "answered_before": self.before.answered, "answered_after": self.after.answered,
                "matched_before": self.before.matched_by, "matched_after": self.after.matched_by,
                "retrieved_before": self.before.retrieved, "retrieved_after": self.after.retrieved,
                "regression": [net for net, hit in zip(NETS, (self.answer_regression, self.retrieval_regression))
                               if hit],
                "broken_by": list(self.broken_by), "why": self.why,
                "notes_before": list(self.before.notes), "notes_after": list(self.after.notes)}


@dataclass
class Report:
    """Probes answered and retrieved before and after a set of operations, regressions with their causes, size."""

    k: int
    results: list[ProbeResult]
    notes: tuple[int, int]
    memories: tuple[int, int]
    tokens: tuple[int, int]
    operations: dict[str, Operation] = field(default_factory=dict)
    seconds: float = 0.0
    attributed: bool = True
    judge: dict[str, Any] | None = None  # the judge's calls, usage and cost, when one answered

    @property
    def regressions(self) -> list[ProbeResult]:
        """Probes that lost their answer, their evidence, or both."""
        return [r for r in self.results if r.regression]

    @property
    def answer_regressions(self) -> list[ProbeResult]:
        return [r for r in self.results if r.answer_regression]

    @property
    def retrieval_regressions(self) -> list[ProbeResult]:
        return [r for r in self.results if r.retrieval_regression]

    @property
    def gains(self) -> list[ProbeResult]:
        return [r for r in self.results if r.gain]

    @property
    def answered(self) -> tuple[int, int]:
        return (sum(r.before.answered for r in self.results), sum(r.after.answered for r in self.results))

    @property
    def retrieved(self) -> tuple[int, int]:
        return (sum(r.before.retrieved for r in self.results), sum(r.after.retrieved for r in self.results))

    @property
    def breaks(self) -> dict[str, list[str]]:
        """Operation id → the probes it breaks (what review cards show and automatic approval skips)."""
        out: dict[str, list[str]] = {}
        for r in self.results:
            for op_id in r.broken_by:
                out.setdefault(op_id, []).append(r.probe.id)
        return out

    @property
    def warning(self) -> str | None:
        """One line when the operations lose probes (what an export warns of); None when none is lost."""
        lost = self.regressions
        if not lost:
            return None
        return (f"the new store loses {len(lost)} of {len(self.results)} probes; broken by "
                + (", ".join(self.breaks) if self.attributed else "(not attributed)"))

    def _side(self, i: int) -> dict[str, Any]:
        side = [(r.before if i == 0 else r.after) for r in self.results]
        rules = Counter(a.matched_by for a in side if a.answered)
        return {"answered": sum(a.answered for a in side), "retrieved": sum(a.retrieved for a in side),
                "watched": sum(a.watched for a in side), "matched_by": {rule: rules[rule] for rule in (*RULES, "evidence") if rules[rule]},
                "probes": len(self.results), "notes": self.notes[i], "memories": self.memories[i],
                "tokens": self.tokens[i]}

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON: before/after counts, both nets' regressions, tokens, breaking operations, every probe."""
        ops = self.operations
        return {
            "k": self.k, "probes_total": len(self.results),
            "sources": dict(sorted(Counter(r.probe.source for r in self.results).items())),
            "nets": {net: sum(net in r.nets for r in self.results) for net in NETS},
            "matching": {"rules": list(RULES), "f1_threshold": F1_THRESHOLD},
            "before": self._side(0), "after": self._side(1),
            "tokens": {"before": self.tokens[0], "after": self.tokens[1], "saved": self.tokens[0] - self.tokens[1],
                       "method": TOKEN_METHOD},
            "regressions": [r.probe.id for r in self.regressions],
            "answer_regressions": [r.probe.id for r in self.answer_regressions],
            "retrieval_regressions": [r.probe.id for r in self.retrieval_regressions],
            "gains": [r.probe.id for r in self.gains],
            "operations_applied": len(ops), "attributed": self.attributed,
            "operations": {op_id: {"kind": ops[op_id].kind, "reason": ops[op_id].reason, "breaks": ids}
                           for op_id, ids in self.breaks.items()},
            "judge": self.judge,
            "seconds": self.seconds,
            "probes": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary(self) -> dict[str, Any]:
        """The numbers a header shows."""
        before, after = self.answered
        return {"probes": len(self.results), "answered_before": before, "answered_after": after,
                "retrieved_before": self.retrieved[0], "retrieved_after": self.retrieved[1],
                "regressions": len(self.regressions), "answer_regressions": len(self.answer_regressions),
                "retrieval_regressions": len(self.retrieval_regressions), "gains": len(self.gains),
                "tokens_before": self.tokens[0], "tokens_after": self.tokens[1],
                "notes_before": self.notes[0], "notes_after": self.notes[1]}

    def frame(self) -> pd.DataFrame:
        """One row per probe, indexed by probe id."""
        import pandas as pd

        columns = ["id", "question", "answer", "source", "category", "matched_by", "answered_before",
                   "answered_after", "retrieved_before", "retrieved_after", "why", "broken_by"]
        rows = [{"id": r.probe.id, "question": r.probe.question, "answer": " | ".join(r.probe.answers),
                 "source": r.probe.source, "category": r.probe.category, "matched_by": r.matched_by,
                 "answered_before": r.before.answered, "answered_after": r.after.answered,
                 "retrieved_before": r.before.retrieved, "retrieved_after": r.after.retrieved,
                 "why": r.why, "broken_by": list(r.broken_by)} for r in self.results]
        return pd.DataFrame(rows, columns=columns).set_index("id")

    def regressions_frame(self) -> pd.DataFrame:
        """The regressions of either net with what broke them: operation ids, kinds and reasons, and why."""
        frame = self.frame()
        lost_answer = frame.answered_before & ~frame.answered_after
        lost_evidence = frame.retrieved_before & ~frame.retrieved_after
        frame = frame.assign(net=["answer and retrieval" if a and e else "answer" if a else "retrieval"
                                  for a, e in zip(lost_answer, lost_evidence)])[lost_answer | lost_evidence]
        frame = frame.drop(columns=["answered_before", "answered_after", "retrieved_before", "retrieved_after"])
        frame["operations"] = [", ".join(f"{self.operations[i].kind}/{self.operations[i].reason}" for i in ids
                                         if i in self.operations) for ids in frame.broken_by]
        return frame


def compare_reports(reports: Mapping[str, Report]) -> pd.DataFrame:
    """Two or more plans on the same probes, side by side: answered before, and per plan answered after and broken_by."""
    import pandas as pd

    items = list(reports.items())
    if not items:
        raise WorkbenchError("give at least one report to compare")
    ids = [r.probe.id for r in items[0][1].results]
    for name, report in items[1:]:
        if [r.probe.id for r in report.results] != ids:
            raise WorkbenchError(f"report {name!r} was made on other probes; compare plans on the same probes")
    first = items[0][1].results
    frame = pd.DataFrame({"question": [r.probe.question for r in first],
                          "answered_before": [r.before.answered for r in first]}, index=pd.Index(ids, name="id"))
    for name, report in items:
        frame[f"{name}: after"] = [r.after.answered for r in report.results]
        frame[f"{name}: broken_by"] = [list(r.broken_by) for r in report.results]
    return frame


def summary_frame(reports: Mapping[str, Report]) -> pd.DataFrame:
    """One row per plan: probes answered before/after, regressions, gains, notes and tokens before/after."""
    import pandas as pd

    return pd.DataFrame([{"plan": name, **r.summary()} for name, r in reports.items()]).set_index("plan")
