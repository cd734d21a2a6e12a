"""The claude engine at fleet scale: the same requests through the Message Batches API.

`prepare` (from `engine`) builds a store's requests without sending them; a fleet sends many
stores' requests in one Message Batch (`workbench.fleet.batches`), then `judge_answer` reads each
batch's result — retrying on its own, through `messages.create`, a result that failed or does not
validate — and `finish` makes the plan exactly as `dream_claude` makes it from its calls.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ... import api
from ..plan import Plan
from .answers import Malformed, validate
from .engine import Outcome, Prepared, complete, fold, judge_batch
from .prompt import retry_request

log = logging.getLogger("workbench.dream.claude")


def judge_answer(client: Any, prepared: Prepared, number: int, answer: Any, *, timeout: float = 120.0) -> Outcome:
    """Batch `number`'s verdicts from its Message Batches result; a result that failed (errored,
    expired, canceled: `answer` is then the reason as text) or that does not validate is retried
    on its own through `messages.create` (a malformed answer with what was wrong with it)."""
    batch, body, model = prepared.batches[number - 1], prepared.requests[number - 1], prepared.model
    if isinstance(answer, str):
        log.warning("batch %d: the Message Batches request %s; retried on its own", number, answer)
        retry = judge_batch(client, body, batch, number, timeout, model)
        return Outcome(retry.verdicts, [{**c, "via": "retry"} for c in retry.calls], retry.error, retry.fatal)
    usage = api.usage_dict(answer.usage)
    calls = [{"batch": number, "attempt": 1, "via": "message_batch", **usage,
              "cost_usd": api.estimate_batch_cost(model, usage), "seconds": 0.0}]
    try:
        return Outcome(validate(answer, batch), calls)
    except Malformed as bad:
        log.warning("batch %d: malformed answer in the Message Batch: %s; retried on its own", number, bad.why)
        retry = judge_batch(client, retry_request(body, bad.block, bad.why), batch, number, timeout, model)
        return Outcome(retry.verdicts, calls + [{**c, "via": "retry", "attempt": c["attempt"] + 1}
                                                 for c in retry.calls], retry.error, retry.fatal)


def finish(prepared: Prepared, outcomes: dict[int, Outcome]) -> Plan:
    """The plan from every batch's outcome, exactly as `dream_claude` makes it from its calls."""
    plan, batches = prepared.plan, prepared.batches
    answers = [outcomes.get(number) or Outcome(None, [], "no answer") for number in range(1, len(batches) + 1)]
    judged, calls, _failed = fold(batches, answers, plan.notes)
    complete(prepared, judged, calls)
    costs = [c.get("cost_usd") for c in calls]
    plan.usage["cost_usd"] = round(sum(costs), 6) if calls and None not in costs else plan.usage["cost_usd"]
    plan.usage["batch_discount"] = api.BATCH_DISCOUNT
    plan.timings = {"total": time.perf_counter() - prepared.started}
    return plan
