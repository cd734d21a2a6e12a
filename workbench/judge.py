"""Claude answers each probe from the notes retrieved for it and judges the answer (LoCoMo's J score).

    result = judge(evaluator, plan, review, model="claude-haiku-4-5")   # needs a key (the SDK's configuration)
    result.j_score("before"), result.j_score("after")

    estimate = estimate_judging(Evaluator(analysis, probes), plan)       # a dry run: calls, tokens, cost
    evaluator = Evaluator(analysis, probes, judge=AnswerJudge(model="claude-haiku-4-5"))
    evaluator.report(plan)          # Claude decides only what the offline rules leave unanswered

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
    approx_tokens,
    describe_error,
    estimate_cost,
    make_client,
    usage_dict,
)
from .errors import EngineError

if TYPE_CHECKING:
    from .dream.plan import Plan
    from .evaluate import Evaluator
    from .probes import Probe
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
ANSWER_MAX_TOKENS = 64
LABEL_OUTPUT_TOKENS = 60  # a short reasoning and the label, for estimates
ESTIMATE_METHOD = "prompts as they would be sent, UTF-8 bytes / 4; answers at their 64-token cap, labels 60 tokens"


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
    message = _call(client, {
        "model": model, "max_tokens": ANSWER_MAX_TOKENS, "system": ANSWER_SYSTEM,
        "messages": [{"role": "user", "content": _answer_prompt(question, memories)}],
    }, result, timeout)
    return " ".join(b.text for b in message.content if b.type == "text").strip()


def _label(client: Any, model: str, question: str, gold: Sequence[str], answer: str, result: JudgeResult,
           timeout: float | None) -> str:
    message = _call(client, {
        "model": model, "max_tokens": 200, "system": JUDGE_SYSTEM, "tools": [JUDGE_TOOL],
        "tool_choice": {"type": "tool", "name": JUDGE_TOOL["name"]},
        "messages": [{"role": "user", "content": _label_prompt(question, gold, answer)}],
    }, result, timeout)
    use = next((b for b in message.content if b.type == "tool_use"), None)
    label = (use.input or {}).get("label") if use is not None else None
    if label not in ("CORRECT", "WRONG"):
        raise EngineError(f"the judge answered without a label (got {label!r})")
    return label


def _answer_prompt(question: str, memories: Sequence[str]) -> str:
    listed = "\n".join(f"- {m}" for m in memories) or "(no memories)"
    return f"Memories:\n{listed}\n\nQuestion: {question}"


def _label_prompt(question: str, gold: Sequence[str], answer: str) -> str:
    return f"Question: {question}\nGold answer: {' | '.join(gold)}\nGenerated answer: {answer}"


class AnswerJudge:
    """Claude decides the probes the offline rules leave unanswered (`Evaluator(..., judge=...)`):
    it answers from the top-k notes and labels the answer (J). Each (probe, notes) is asked once."""

    def __init__(self, client: Any = None, *, model: str = DEFAULT_MODEL, judge_model: str | None = None,
                 timeout: float | None = 60.0) -> None:
        self.client = make_client(client, engine="claude")  # no key: an EngineError, and nothing is sent
        self.model, self.judge_model, self.timeout = model, judge_model or model, timeout
        self.result = JudgeResult(model)
        self._labels: dict[tuple[str, tuple[str, ...]], bool] = {}

    def holds(self, probe: Probe, memories: Sequence[str]) -> bool:
        """True when Claude's answer from `memories` is judged CORRECT against the probe's answers."""
        key = (probe.id, tuple(memories))
        if key not in self._labels:
            answer = _answer(self.client, self.model, probe.question, list(memories), self.result, self.timeout)
            label = _label(self.client, self.judge_model, probe.question, probe.answers, answer, self.result,
                           self.timeout)
            self.result.judged.append(Judged(probe.id, "asked", answer, label))
            self._labels[key] = label == "CORRECT"
        return self._labels[key]

    def summary(self) -> dict[str, Any]:
        """Calls, tokens and cost so far (what the report shows)."""
        return {"model": self.model, "judge_model": self.judge_model, "calls": self.result.calls,
                "usage": dict(self.result.usage), "cost_usd": estimate_cost(self.model, self.result.usage),
                "correct": sum(j.label == "CORRECT" for j in self.result.judged), "asked": len(self.result.judged)}


def estimate_judging(evaluator: Evaluator, plan: Plan, review: Review | None = None, *,
                     model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """A dry run of `AnswerJudge` on an offline evaluator: the probes the rules leave unanswered before
    and after, the calls and tokens that asking them would take, and the cost; nothing is sent.
    Attribution may ask again for probes that regress (not counted)."""
    operations = review.approved_operations() if review is not None else list(plan.operations)
    _, view = evaluator.after(operations, review.edits() if review is not None else {})
    asks: set[tuple[str, tuple[str, ...]]] = set()
    usage = {"input_tokens": 0, "output_tokens": 0}
    for side, answers in ((evaluator.before_view, evaluator.before), (view, evaluator.answer(view))):
        rows = [i for i, a in enumerate(answers) if evaluator.probes[i].answers and not a.answered]
        for row, hits in zip(rows, evaluator.top(side, rows) if rows else []):
            probe = evaluator.probes[row]
            memories = tuple(side.notes[j].text for j in hits)
            if (probe.id, memories) in asks:
                continue
            asks.add((probe.id, memories))
            usage["input_tokens"] += approx_tokens(ANSWER_SYSTEM + _answer_prompt(probe.question, memories))
            usage["input_tokens"] += approx_tokens(JUDGE_SYSTEM + str(JUDGE_TOOL) + _label_prompt(
                probe.question, probe.answers, "x" * 4 * ANSWER_MAX_TOKENS))
            usage["output_tokens"] += ANSWER_MAX_TOKENS + LABEL_OUTPUT_TOKENS
    return {"dry_run": True, "model": model, "probes": len({p for p, _ in asks}), "calls": 2 * len(asks),
            "usage": usage, "cost_usd": estimate_cost(model, usage), "method": ESTIMATE_METHOD}


__all__ = ["AnswerJudge", "estimate_judging", "judge", "JudgeResult", "Judged", "ANSWER_SYSTEM", "JUDGE_SYSTEM", "JUDGE_TOOL"]
