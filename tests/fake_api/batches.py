"""/v1/messages/batches: the Message Batches API, each request processed as /v1/messages would."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from .common import (
    ApiError,
    Raw,
    RecordedRequest,
    int_param,
    invalid,
    json_body,
    misuse,
    not_found,
    parse_time,
    route,
)
from .messages import prompt_units, validate_messages_request

MAX_BATCH_REQUESTS = 100_000
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
BATCH_OUTCOMES = ("errored", "expired", "canceled")


@dataclass
class _Batch:
    record: dict
    requests: list
    polls_to_finish: int
    polls: int = 0
    results: list | None = None


_BATCH = r"/v1/messages/batches/(?P<batch_id>[^/]+)"
ROUTES = (
    route("POST", r"/v1/messages/batches", "_batches_create"),
    route("GET", r"/v1/messages/batches", "_batches_list"),
    route("GET", _BATCH, "_batches_retrieve"),
    route("DELETE", _BATCH, "_batches_delete"),
    route("POST", _BATCH + "/cancel", "_batches_cancel"),
    route("GET", _BATCH + "/results", "_batches_results"),
)


class BatchesApi:
    """/v1/messages/batches: create, retrieve (advances the lifecycle), list, cancel, delete, results.

    Processing happens when a batch ends: every request goes through the same validation,
    billing (prompt cache included, in request order) and ``messages_responder`` as
    ``/v1/messages``; a request whose params the API would refuse ends ``errored`` with that
    error. Usage is summed in ``batch_usage_total``, apart from ``usage_total``.
    """

    def _batches_create(self, request: RecordedRequest) -> dict:
        body = json_body(request)
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise invalid("requests: List should have at least 1 item after validation, not 0")
        if len(requests) > MAX_BATCH_REQUESTS:
            raise invalid(f"requests: List should have at most {MAX_BATCH_REQUESTS} items")
        seen = set()
        for index, item in enumerate(requests):
            if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
                raise invalid(f"requests.{index}.params: Field required")
            custom_id = item.get("custom_id")
            if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
                raise invalid(
                    f"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
                )
            if custom_id in seen:
                raise invalid(f"requests.{index}.custom_id: Duplicate custom_id {custom_id!r}.")
            seen.add(custom_id)
        now = self._now()
        record = {
            "id": self._new_id("msgbatch"),
            "type": "message_batch",
            "processing_status": "in_progress",
            "request_counts": {
                "processing": len(requests),
                "succeeded": 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": now,
            "expires_at": (parse_time(now) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ended_at": None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": None,
        }
        self._batches[record["id"]] = _Batch(
            record, copy.deepcopy(requests), max(1, int(self.batch_polls_to_finish))
        )
        return copy.deepcopy(record)

    def _batches_retrieve(self, request: RecordedRequest, batch_id: str) -> dict:
        batch = self._batch(batch_id)
        if batch.record["processing_status"] != "ended":
            batch.polls += 1
            if batch.polls >= batch.polls_to_finish or batch.record["processing_status"] == "canceling":
                self._end_batch(batch)
        return copy.deepcopy(batch.record)

    def _batches_list(self, request: RecordedRequest) -> dict:
        query = request.query
        limit = int_param(query, "limit", 20, 1, 1000)
        records = [b.record for b in self._batches.values()][::-1]  # newest first
        ids = [r["id"] for r in records]
        start = 0
        if query.get("after_id") in ids:
            start = ids.index(query["after_id"]) + 1
        end = start + limit
        if query.get("before_id") in ids:
            end = ids.index(query["before_id"])
            start = max(0, end - limit)
        chunk = copy.deepcopy(records[start:end])
        return {
            "data": chunk,
            "has_more": end < len(records),
            "first_id": chunk[0]["id"] if chunk else None,
            "last_id": chunk[-1]["id"] if chunk else None,
        }

    def _batches_cancel(self, request: RecordedRequest, batch_id: str) -> dict:
        record = self._batch(batch_id).record
        if record["processing_status"] == "in_progress":
            record.update(processing_status="canceling", cancel_initiated_at=self._now())
        return copy.deepcopy(record)

    def _batches_delete(self, request: RecordedRequest, batch_id: str) -> dict:
        record = self._batch(batch_id).record
        if record["processing_status"] != "ended":
            raise invalid(
                f"Message Batch {batch_id} must finish processing (or be canceled) before it can be deleted."
            )
        del self._batches[batch_id]
        return {"id": batch_id, "type": "message_batch_deleted"}

    def _batches_results(self, request: RecordedRequest, batch_id: str) -> Raw:
        batch = self._batch(batch_id)
        if batch.record["processing_status"] != "ended":
            raise invalid(
                f"Message Batch {batch_id} has not finished processing; results are available once it has ended."
            )
        # not in request order, as the API warns: results are matched by custom_id
        lines = "".join(json.dumps(r) + "\n" for r in reversed(batch.results))
        return Raw(lines.encode("utf-8"), "application/binary")

    # ---- internals (called with the lock held)

    def _batch(self, batch_id: str) -> _Batch:
        if batch_id not in self._batches:
            raise not_found(f"Message Batch {batch_id}")
        return self._batches[batch_id]

    def _end_batch(self, batch: _Batch) -> None:
        record, results = batch.record, []
        canceling = record["processing_status"] == "canceling"
        for item in batch.requests:
            custom_id, params = item["custom_id"], item["params"]
            outcome = "canceled" if canceling else (
                self.batch_outcome(custom_id, copy.deepcopy(params)) if self.batch_outcome else None
            )
            if outcome not in (None, *BATCH_OUTCOMES):
                raise misuse(f"batch_outcome returned {outcome!r}; use None or one of {BATCH_OUTCOMES}")
            result = {"type": outcome} if outcome in ("expired", "canceled") else None
            if outcome == "errored":
                result = self._batch_error(ApiError(500, "Internal server error (injected fault)."))
            if result is None:
                result = self._batch_message(params)
            results.append({"custom_id": custom_id, "result": result})
        counts = {k: 0 for k in ("processing", "succeeded", "errored", "canceled", "expired")}
        for r in results:
            counts[r["result"]["type"]] += 1
        batch.results = results
        record.update(
            processing_status="ended",
            request_counts=counts,
            ended_at=self._now(),
            results_url=f"{self.base_url}/v1/messages/batches/{record['id']}/results",
        )

    def _batch_message(self, params: dict) -> dict:
        try:
            if params.get("stream"):
                raise invalid("stream: streaming is not supported in Message Batches")
            validate_messages_request(params, needs_max_tokens=True)
            usage = self._bill_prompt(params["model"], prompt_units(params))
            reply = self.messages_responder(copy.deepcopy(params))
            message = self._build_message(params, reply, usage)
        except ApiError as error:
            return self._batch_error(error)
        for key in self._batch_usage_total:
            self._batch_usage_total[key] += message["usage"].get(key) or 0
        message["usage"]["service_tier"] = "batch"
        return {"type": "succeeded", "message": message}

    def _batch_error(self, error: ApiError) -> dict:
        return {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": error.error_type, "message": error.message},
                "request_id": self._new_id("req"),
            },
        }
