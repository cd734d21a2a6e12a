"""Claude answers each probe from the notes retrieved for it and judges the answer (LoCoMo's J score).

    result = judge(evaluator, plan, review, model="claude-haiku-4-5")   # needs a key (the SDK's configuration)
    result.j_score("before"), result.j_score("after")

The protocol of the LoCoMo "J" score: a model answers the question from the top-k memories
only, then a judge model labels the answer CORRECT or WRONG against the gold answer, generous
about wording and about relative dates that name the same time. Only probes with a known
answer are judged. Calls go through the official `anthropic` SDK; the judge's label comes back
through a forced tool, so it is always one of the two labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api import (
    DEFAULT_MODEL,
    add_usage,
    describe_error,
    estimate_cost,
    make_client,
    usage_dict,
)
from .errors import EngineError

if TYPE_CHECKING:
    from .dream.plan import Plan
    from .evaluate import Evaluator
    from .review import Review

ANSWER_SYSTEM = (
    "You answer questions about a user's past conversations using only the memories given. "
    "Answer in at most ten words. If the memories do not contain the answer, reply exactly: I don't know."
)
JUDGE_SYSTEM = (
    "Your task is to label an answer to a question as CORRECT or WRONG. You are given a question, a gold "
    "(ground truth) answer and a generated answer. Be generous: if the generated answer touches on the same "
    "topic as the gold answer, it is CORRECT. For time-related questions the generated answer may use another "
    "format or a relative time; if it refers to the same date or period as the gold answer, it is CORRECT. "
    "Record your label with the record_label tool."
)
JUDGE_TOOL = {
    "name": "record_label",
    "description": "Record whether the generated answer is CORRECT or WRONG.",
    "input_schema": {"type": "object", "properties": {
        "reasoning": {"type": "string", "description": "one short sentence"},
        "label": {"type": "string", "enum": ["CORRECT", "WRONG"]}}, "required": ["label"]},
}
SIDES = ("before", "after")


@dataclass(frozen=True)
class Judged:
    """One probe on one side: the model's answer and the judge's label."""

    probe: str
    side: str
    answer: str
    label: str  # CORRECT | WRONG


@dataclass
class JudgeResult:
    """Every judged answer, the token usage of all calls and their estimated cost."""

    model: str
    judged: list[Judged] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    calls: int = 0

    def j_score(self, side: str) -> float | None:
        """The share of probes judged CORRECT on one side (None when nothing was judged)."""
        labels = [j.label for j in self.judged if j.side == side]
        return round(labels.count("CORRECT") / len(labels), 4) if labels else None

    def regressions(self) -> list[str]:
        """Probes judged CORRECT before and WRONG after."""
        label = {(j.probe, j.side): j.label for j in self.judged}
        return [p for (p, side), v in label.items() if side == "before" and v == "CORRECT"
                and label.get((p, "after")) == "WRONG"]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "j_before": self.j_score("before"), "j_after": self.j_score("after"),
                "regressions": self.regressions(), "calls": self.calls, "usage": self.usage,
                "cost_usd": estimate_cost(self.model, self.usage),
                "judged": [vars(j) for j in self.judged]}


def judge(evaluator: Evaluator, plan: Plan, review: Review | None = None, *, client: Any = None,
          model: str = DEFAULT_MODEL, judge_model: str | None = None, limit: int | None = None,
          sides: Sequence[str] = SIDES, timeout: float | None = 60.0) -> JudgeResult:
    """Answer and judge every probe that has an answer (the first `limit`), before and after the decisions."""
    client = make_client(client, engine="claude")
    rows = [i for i, p in enumerate(evaluator.probes) if p.answers][:limit]
    operations = review.approved_operations() if review is not None else list(plan.operations)
    views = {"before": evaluator.before_view,
             "after": evaluator.after(operations, review.edits() if review is not None else {})[1]}
    result = JudgeResult(model)
    for side in sides:
        view = views[side]
        for row, hits in zip(rows, evaluator.top(view, rows)):
            probe = evaluator.probes[row]
            memories = [view.notes[j].text for j in hits]
            answer = _answer(client, model, probe.question, memories, result, timeout)
            label = _label(client, judge_model or model, probe.question, probe.answers, answer, result, timeout)
            result.judged.append(Judged(probe.id, side, answer, label))
    return result


def _call(client: Any, request: dict, result: JudgeResult, timeout: float | None) -> Any:
    try:
        message = client.messages.create(**request, timeout=timeout)
    except Exception as exc:  # an SDK error after its own retries
        raise EngineError(f"answering probes with Claude failed: {describe_error(exc, timeout)}") from None
    result.calls += 1
    add_usage(result.usage, usage_dict(message.usage))
    return message


def _answer(client: Any, model: str, question: str, memories: list[str], result: JudgeResult,
            timeout: float | None) -> str:
    listed = "\n".join(f"- {m}" for m in memories) or "(no memories)"
    message = _call(client, {
        "model": model, "max_tokens": 64, "system": ANSWER_SYSTEM,
        "messages": [{"role": "user", "content": f"Memories:\n{listed}\n\nQuestion: {question}"}],
    }, result, timeout)
    return " ".join(b.text for b in message.content if b.type == "text").strip()


def _label(client: Any, model: str, question: str, gold: Sequence[str], answer: str, result: JudgeResult,
           timeout: float | None) -> str:
    message = _call(client, {
        "model": model, "max_tokens": 200, "system": JUDGE_SYSTEM, "tools": [JUDGE_TOOL],
        "tool_choice": {"type": "tool", "name": JUDGE_TOOL["name"]},
        "messages": [{"role": "user", "content": f"Question: {question}\nGold answer: {' | '.join(gold)}\n"
                                                 f"Generated answer: {answer}"}],
    }, result, timeout)
    use = next((b for b in message.content if b.type == "tool_use"), None)
    label = (use.input or {}).get("label") if use is not None else None
    if label not in ("CORRECT", "WRONG"):
        raise EngineError(f"the judge answered without a label (got {label!r})")
    return label


__all__ = ["judge", "JudgeResult", "Judged", "ANSWER_SYSTEM", "JUDGE_SYSTEM", "JUDGE_TOOL"]
