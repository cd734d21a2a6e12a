"""What every API of the fake shares: errors in the API's shape, the recorded request, query
parameters, cursor pagination and the route table entries."""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def estimate_tokens(text: str) -> int:
    """The billed token estimate: ceil(utf-8 bytes / 4)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ApiError(Exception):
    """An error answered in the API's shape: {"type": "error", "error": {type, message}}."""

    def __init__(self, status: int, message: str, error_type: str | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        self.headers = dict(headers or {})


def invalid(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found.")


def misuse(message: str) -> ApiError:
    """A bug in the test's configuration of the fake: 500 that the SDK will not retry."""
    return ApiError(500, f"FakeAnthropic misuse: {message}", headers={"x-should-retry": "false"})


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    json: Any


@dataclass
class Raw:
    """A 200 answered with exactly these bytes (SSE, JSONL results), not as JSON."""

    body: bytes
    content_type: str


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: str  # the name of the `FakeAnthropic` method that answers
    betas: tuple = ()  # an `anthropic-beta` header must name one of these
    locked: bool = True  # answered holding the fake's lock


def route(method: str, pattern: str, handler: str, betas: tuple = (), *, locked: bool = True) -> Route:
    return Route(method, re.compile(pattern), handler, betas, locked)


def int_param(query: dict, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name}: Input should be a valid integer") from None
    if not low <= value <= high:
        raise invalid(f"{name}: must be between {low} and {high}")
    return value


def list_param(query: dict, name: str) -> list:
    value = query.get(f"{name}[]", query.get(name))
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def view_param(query: dict, default: str) -> str:
    view = query.get("view", default)
    if view not in ("basic", "full"):
        raise invalid("view: Input should be 'basic' or 'full'")
    return view


def time_filtered(items: list, query: dict, field_name: str) -> list:
    """Apply created_at[gt|gte|lt|lte] filters against ``field_name``."""
    compare = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    for suffix, fn in compare.items():
        raw = query.get(f"created_at[{suffix}]")
        if raw:
            bound = parse_time(raw)
            items = [
                i for i in items if i.get(field_name) and fn(parse_time(i[field_name]), bound)
            ]
    return items


def paginate(items: list, query: dict, *, cap: int | None = None, bidirectional=False) -> dict:
    """Cursor pagination as the SDK's SyncPageCursor / SyncBidirectionalPageCursor read it."""
    limit = int_param(query, "limit", 20, 1, 100)
    if cap:
        limit = min(limit, cap)
    offset = _decode_cursor(query.get("page"))
    chunk = items[offset : offset + limit]
    end = offset + len(chunk)
    page = {"data": chunk, "next_page": f"cursor_{end}" if end < len(items) else None}
    if bidirectional:
        page["prev_page"] = f"cursor_{max(0, offset - limit)}" if offset > 0 else None
    return page


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    match = re.fullmatch(r"cursor_(\d+)", cursor)
    if not match:
        raise invalid(f"page: invalid pagination cursor {cursor!r}")
    return int(match.group(1))


def json_body(request: RecordedRequest) -> dict:
    if not isinstance(request.json, dict):
        raise invalid("The request body must be a JSON object.")
    return request.json
