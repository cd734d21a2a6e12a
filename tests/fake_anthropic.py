"""A local fake of the Anthropic API for tests that drive the *real* ``anthropic`` SDK.

Standard library only: a ``ThreadingHTTPServer`` on 127.0.0.1 (free port), served
from a daemon thread, answering with the request/response shapes of SDK 2.13.0::

    with FakeAnthropic() as api:
        client = anthropic.Anthropic(api_key="test-key", base_url=api.base_url)
        client.messages.create(model="claude-x", max_tokens=64, messages=[...])

Public surface of ``FakeAnthropic``
-----------------------------------
``base_url``                     ``"http://127.0.0.1:<port>"``.
``start()`` / ``stop()``         also done by ``with FakeAnthropic() as api:``.
``requests``                     every request received, as ``RecordedRequest(method, path,
                                 query, headers, json)``; ``headers`` has lower-case keys;
                                 ``query`` maps a key to its last value (str), except keys
                                 ending in ``[]`` (SDK arrays, e.g. ``statuses[]``) -> list.
``inject(path, status=None, *, times=1, delay=0.0, method=None, headers=None, message=None,
       body=None, content_type="application/json", delay_after=0.0)``
                                 the next ``times`` requests whose path matches ``path``
                                 (``fnmatch`` pattern) wait ``delay`` seconds, then, if
                                 ``status`` is given, fail with the API error JSON
                                 (429 rate_limit_error + ``retry-after: 0``, 500 api_error,
                                 529 overloaded_error, ...). ``body`` (bytes): answer 200 with
                                 exactly these bytes instead (malformed JSON, HTML, empty).
                                 ``delay_after``: handle the request (it lands), then wait
                                 before answering (a client timeout after the write).
``messages_responder``           ``fn(request_json) -> dict``: ``{"content": [...], "stop_reason":
                                 ...}`` or a full message dict (keys given override ours).
                                 Default: ``default_messages_responder`` (short text answer,
                                 or a ``tool_use`` when ``tool_choice`` forces a tool).
                                 ``memory_qa_responder`` answers from the memories in the
                                 prompt and judges answers (LoCoMo J protocol) by word overlap.
``add_store(export)``            load a store in the Managed Agents export shape
                                 ``{"type": "memory_store", "id", "name", "memories": [...],
                                 "memory_versions": [...]}``; returns the store object.
``add_session(export)``          ``{"type": "session", "id", "created_at", "title", "events":
                                 [...]}``; missing session fields get defaults.
``dream_transform``              ``fn(memories, sessions, instructions) -> [{"path", "content"}]``
                                 (the output store's memories). Default:
                                 ``default_dream_transform`` (drops memories under a
                                 ``/scratch/`` segment and bullet lines already seen earlier).
``dream_polls_to_finish = 2``    create -> ``pending``; each retrieve advances: ``running``, and
                                 final after this many retrieves (captured at create).
``dream_fail_with = None``       ``("error_type", "message")``: new dreams end ``failed``; or
                                 ``fn(dream) -> tuple | None`` to choose which (the dream object
                                 as created: its inputs, instructions).
``dream_cancel_if = None``       ``fn(dream) -> bool``: that dream ends ``canceled`` (as if canceled
                                 from elsewhere) instead of completing.
``peak_active_dreams``           the most dreams ever pending or running at once, and
``peak_active_dreams_by_store``  the same per input memory store id.
``batch_polls_to_finish = 2``    a Message Batch is ``in_progress`` until this many retrieves, then
                                 every request is processed (as ``/v1/messages`` would) and it
                                 ``ended`` (a ``canceling`` batch ends at the next retrieve, its
                                 requests ``canceled``); results come back in reverse request order.
``batch_outcome = None``         ``fn(custom_id, params) -> None | "errored" | "expired" | "canceled"``:
                                 a request that should not succeed (``errored``: an api_error).
``batch_usage_total``            summed usage of the batch requests that succeeded.
``cache_min_tokens = 0``         breakpoints whose prefix is shorter are not cached (the real
                                 API's minimum is ~1024+ tokens; 0 keeps tests small).
``tokens(text)``                 the token estimate billed (see below).
``usage_total``                  summed ``/v1/messages`` usage: input_tokens, output_tokens,
                                 cache_creation_input_tokens, cache_read_input_tokens.
``set_memory_content(store_id, memory_id, content)``   a concurrent agent write (new sha256,
                                 new ``modified`` memory version by a ``session_actor``).
``memories(store_id)``           the store's memories (full objects, sorted by path).

Token counting
--------------
``tokens(text) = ceil(len(text.encode("utf-8")) / 4)`` (deterministic). Input tokens of a
request are summed over units, in the order tools -> system -> messages: a text block
(or string content) bills its text; any other block and each tool definition bills its
canonical JSON (sorted keys, no spaces, ``cache_control`` removed). Output tokens bill the
response blocks the same way (a ``tool_use`` bills ``{"input", "name"}``). No per-message
overhead. ``count_tokens`` returns the same input total.

Prompt caching: a unit carrying ``cache_control`` (or the last unit when the top-level
``cache_control`` is set) is a breakpoint (at most 4). Its cache key is the model plus the
exact JSON of every unit up to and including it. The longest breakpoint prefix already in
the cache is billed as ``cache_read_input_tokens``; the units after it up to the last
breakpoint are billed as ``cache_creation_input_tokens`` and cached; the rest is
``input_tokens``. Entries never expire.

Beta headers (400 invalid_request_error naming the beta when ``anthropic-beta`` lacks it)
-----------------------------------------------------------------------------------
memory stores / memories / memory versions: ``agent-memory-2026-07-22`` (SDK default) or
``managed-agents-2026-04-01``; sessions: ``managed-agents-2026-04-01``; dreams:
``dreaming-2026-04-21``. ``/v1/messages`` and ``/v1/messages/batches`` need none. Every request needs ``x-api-key`` or
``authorization`` (401 authentication_error) and ``anthropic-version`` (400).

Pagination: every list here is a cursor page ``{"data": [...], "next_page": str|null}``
(sessions add ``prev_page``); the SDK sends the cursor back as ``?page=``. ``limit`` is
1-100 (default 20); ``view=full`` caps memory/version pages at 20 items.

Memory preconditions: update body ``"precondition": {"type": "content_sha256",
"content_sha256": ...}``, delete query ``expected_content_sha256``; a mismatch answers 409
``memory_precondition_failed_error`` and changes nothing (an update whose requested state
already holds answers 200). Note that the SDK retries 409s by default.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import itertools
import json
import math
import operator
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "ApiError",
    "FakeAnthropic",
    "RecordedRequest",
    "default_dream_transform",
    "default_messages_responder",
    "estimate_tokens",
    "memory_qa_responder",
]

MEMORY_BETAS = ("agent-memory-2026-07-22", "managed-agents-2026-04-01")
SESSION_BETAS = ("managed-agents-2026-04-01",)
DREAM_BETAS = ("dreaming-2026-04-21",)

MAX_MEMORY_BYTES = 102_400
MAX_PATH_BYTES = 1024
MAX_PATH_SEGMENTS = 20
MAX_DREAM_SESSIONS = 100
MAX_INSTRUCTIONS_CHARS = 4096
MAX_CACHE_BREAKPOINTS = 4
FULL_VIEW_PAGE_CAP = 20
FINAL_DREAM_STATUSES = ("completed", "failed", "canceled")

API_ACTOR = {"type": "api_actor", "api_key_id": "apikey_fake"}
CONCURRENT_WRITER = {"type": "session_actor", "session_id": "sesn_concurrent_writer"}

_ERROR_TYPES = {
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
_FAULT_MESSAGES = {
    429: "Number of requests has exceeded your rate limit (injected fault).",
    500: "Internal server error (injected fault).",
    529: "Overloaded (injected fault).",
}
_EPOCH = datetime(2026, 5, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- helpers


def estimate_tokens(text: str) -> int:
    """The billed token estimate: ceil(utf-8 bytes / 4)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ApiError(Exception):
    """An error answered in the API's shape: {"type": "error", "error": {type, message}}."""

    def __init__(self, status: int, message: str, error_type: str | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or _ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        self.headers = dict(headers or {})


def _invalid(message: str) -> ApiError:
    return ApiError(400, message)


def _not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found.")


def _misuse(message: str) -> ApiError:
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
class _Fault:
    pattern: str
    method: str | None
    status: int | None
    delay: float
    remaining: int
    headers: dict
    message: str | None
    body: bytes | None = None
    content_type: str = "application/json"
    delay_after: float = 0.0

    def matches(self, request: RecordedRequest) -> bool:
        method_ok = self.method is None or self.method.upper() == request.method
        return method_ok and fnmatch.fnmatchcase(request.path, self.pattern)


@dataclass
class _Raw:
    body: bytes
    content_type: str


@dataclass
class _Unit:
    """One billable piece of a prompt (a tool, a system block or a message block)."""

    key: str
    tokens: int
    cache_control: dict | None


@dataclass
class _Dream:
    record: dict
    polls_to_finish: int
    fail_with: tuple | None
    polls: int = 0


def _parse_query(raw: str) -> dict:
    query: dict = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key.endswith("[]"):
            query.setdefault(key, []).append(value)
        else:
            query[key] = value
    return query


def _int_param(query: dict, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name}: Input should be a valid integer") from None
    if not low <= value <= high:
        raise _invalid(f"{name}: must be between {low} and {high}")
    return value


def _list_param(query: dict, name: str) -> list:
    value = query.get(f"{name}[]", query.get(name))
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _view_param(query: dict, default: str) -> str:
    view = query.get("view", default)
    if view not in ("basic", "full"):
        raise _invalid("view: Input should be 'basic' or 'full'")
    return view


def _time_filtered(items: list, query: dict, field_name: str) -> list:
    """Apply created_at[gt|gte|lt|lte] filters against ``field_name``."""
    compare = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    for suffix, fn in compare.items():
        raw = query.get(f"created_at[{suffix}]")
        if raw:
            bound = _parse_time(raw)
            items = [
                i for i in items if i.get(field_name) and fn(_parse_time(i[field_name]), bound)
            ]
    return items


def _page(items: list, query: dict, *, cap: int | None = None, bidirectional=False) -> dict:
    """Cursor pagination as the SDK's SyncPageCursor / SyncBidirectionalPageCursor read it."""
    limit = _int_param(query, "limit", 20, 1, 100)
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
        raise _invalid(f"page: invalid pagination cursor {cursor!r}")
    return int(match.group(1))


def _body(request: RecordedRequest) -> dict:
    if not isinstance(request.json, dict):
        raise _invalid("The request body must be a JSON object.")
    return request.json


# --------------------------------------------------------------------------- messages


def default_messages_responder(request: dict) -> dict:
    """A short deterministic text answer, or a tool_use when tool_choice forces a tool."""
    tool = _forced_tool(request)
    if tool is not None:
        example = _example_input(tool.get("input_schema") or {})
        return {"content": [{"type": "tool_use", "name": tool["name"], "input": example}]}
    return {
        "content": [{"type": "text", "text": f"Fake answer to: {_last_user_text(request)[:60]}"}]
    }


def _forced_tool(request: dict) -> dict | None:
    choice = request.get("tool_choice") or {}
    tools = request.get("tools") or []
    if choice.get("type") == "tool":
        return next(t for t in tools if t.get("name") == choice.get("name"))
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


def _example_input(schema: dict) -> dict:
    placeholders = {
        "string": "example",
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
        "object": {},
    }
    properties = schema.get("properties") or {}
    return {
        name: placeholders.get((properties.get(name) or {}).get("type"), None)
        for name in schema.get("required") or []
    }


def _last_user_text(request: dict) -> str:
    for message in reversed(request.get("messages") or []):
        content = message.get("content")
        if message.get("role") != "user":
            continue
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content if b.get("type") == "text"]
        if texts:
            return texts[-1]
    return ""


_QA_WORD = re.compile(r"[a-z0-9]+")
_QA_STOP = frozenset("a an the of to in on at for with is are was were do does did what which who whom when where "
                     "why how by and or from as be it its that this".split())


def _qa_words(text: str) -> set:
    return {w for w in _QA_WORD.findall(text.lower()) if w not in _QA_STOP}


def memory_qa_responder(request: dict) -> dict:
    """A deterministic stand-in for answering from memories and judging answers (the LoCoMo J protocol).

    Answering (``Memories:`` lines ``- …`` then ``Question: …``): the memory sharing the most words
    with the question, or ``I don't know.`` when none shares one. Judging (a forced tool with a
    ``label`` property; ``Gold answer: …`` and ``Generated answer: …`` lines): ``CORRECT`` when every
    word of one gold alternative (split on ``|``) is in the generated answer, else ``WRONG``.
    """
    tool = _forced_tool(request)
    text = _last_user_text(request)
    if tool is not None and "label" in ((tool.get("input_schema") or {}).get("properties") or {}):
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        said = _qa_words(fields.get("Generated answer", ""))
        gold = [_qa_words(g) for g in fields.get("Gold answer", "").split("|")]
        label = "CORRECT" if any(g and g <= said for g in gold) else "WRONG"
        return {"content": [{"type": "tool_use", "name": tool["name"],
                             "input": {"reasoning": "word overlap with the gold answer", "label": label}}]}
    memories = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    question = _qa_words(next((line[10:] for line in text.splitlines() if line.startswith("Question: ")), ""))
    scored = sorted(((len(question & _qa_words(m)), -i, m) for i, m in enumerate(memories)), reverse=True)
    answer = scored[0][2] if scored and scored[0][0] else "I don't know."
    return {"content": [{"type": "text", "text": answer}]}


def _validate_messages_request(body: dict, *, needs_max_tokens: bool) -> None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid(
            "model: Field required"
            if "model" not in body
            else "model: Input should be a non-empty string"
        )
    if needs_max_tokens:
        if "max_tokens" not in body:
            raise _invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise _invalid("max_tokens: Input should be an integer greater than or equal to 1")
    if "messages" not in body:
        raise _invalid("messages: Field required")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise _invalid("messages: at least one message is required")
    for index, message in enumerate(messages):
        _validate_message(index, message)
    _validate_tool_pairing(messages)
    _validate_system(body.get("system"))
    names = _validate_tools(body.get("tools"))
    _validate_tool_choice(body.get("tool_choice"), names)


def _validate_message(index: int, message: Any) -> None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        raise _invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not all(
        isinstance(b, dict) and b.get("type") for b in content
    ):
        raise _invalid(
            f"messages.{index}.content: Input should be a string or a list of content blocks"
        )


def _blocks(message: dict) -> list:
    content = message["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _validate_tool_pairing(messages: list) -> None:
    """Each tool_result must answer a tool_use of the previous (assistant) message, and vice versa."""
    for index, message in enumerate(messages):
        result_ids = [b.get("tool_use_id") for b in _blocks(message) if b["type"] == "tool_result"]
        previous = messages[index - 1] if index else None
        offered = (
            {b.get("id") for b in _blocks(previous) if b["type"] == "tool_use"}
            if previous
            else set()
        )
        stray = [i for i in result_ids if i not in offered or previous["role"] != "assistant"]
        if stray:
            raise _invalid(
                f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{', '.join(map(str, stray))}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )
        following = messages[index + 1] if index + 1 < len(messages) else None
        if message["role"] == "assistant" and following is not None:
            answered = {
                b.get("tool_use_id") for b in _blocks(following) if b["type"] == "tool_result"
            }
            missing = [
                b.get("id")
                for b in _blocks(message)
                if b["type"] == "tool_use" and b.get("id") not in answered
            ]
            if missing:
                raise _invalid(
                    f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(map(str, missing))}."
                )


def _validate_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list) or not all(
        isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        for b in system
    ):
        raise _invalid("system: Input should be a string or a list of text blocks")


def _validate_tools(tools: Any) -> list:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise _invalid("tools: Input should be a list")
    names = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            raise _invalid(f"tools.{index}.name: Field required")
        if tool.get("type") in (None, "custom") and not isinstance(tool.get("input_schema"), dict):
            raise _invalid(f"tools.{index}.custom.input_schema: Field required")
        if tool["name"] in names:
            raise _invalid(f"tools: Tool names must be unique (duplicate {tool['name']!r})")
        names.append(tool["name"])
    return names


def _validate_tool_choice(choice: Any, names: list) -> None:
    if choice is None:
        return
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind not in ("auto", "any", "tool", "none"):
        raise _invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    if kind in ("any", "tool") and not names:
        raise _invalid(f"tool_choice: `{kind}` requires `tools` to be provided")
    if kind == "tool" and choice.get("name") not in names:
        raise _invalid(f"tool_choice.name: Tool {choice.get('name')!r} not found in `tools`")


def _prompt_units(body: dict) -> list:
    """The billable units of a prompt in cache order: tools, system, then message blocks."""
    system = body.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    units = [_unit(tool, "tool") for tool in body.get("tools") or []]
    units += [_unit(block, "system") for block in system]
    for index, message in enumerate(body["messages"]):
        units += [_unit(block, f"{index}:{message['role']}") for block in _blocks(message)]
    if body.get("cache_control") and units and units[-1].cache_control is None:
        units[-1] = replace(units[-1], cache_control=body["cache_control"])
    return units


def _unit(block: dict, place: str) -> _Unit:
    bare = {k: v for k, v in block.items() if k != "cache_control"}
    is_text = bare.get("type") == "text" and isinstance(bare.get("text"), str)
    billed = bare["text"] if is_text else _canonical(bare)
    return _Unit(
        key=f"{place}|{_canonical(bare)}",
        tokens=estimate_tokens(billed),
        cache_control=block.get("cache_control"),
    )


def _prefix_keys(model: str, units: list) -> list:
    digest = hashlib.sha256(model.encode("utf-8"))
    keys = []
    for unit in units:
        digest.update(b"\x00" + unit.key.encode("utf-8"))
        keys.append(digest.hexdigest())
    return keys


def _output_tokens(content: list) -> int:
    total = 0
    for block in content:
        if block.get("type") == "text":
            total += estimate_tokens(block.get("text") or "")
        elif block.get("type") == "tool_use":
            total += estimate_tokens(_canonical({"input": block["input"], "name": block["name"]}))
        else:
            total += estimate_tokens(_canonical(block))
    return total


def _sse(message: dict) -> _Raw:
    """The streaming (SSE) rendition of a finished message."""
    usage = message["usage"]
    start = dict(
        message,
        content=[],
        stop_reason=None,
        stop_sequence=None,
        usage=dict(usage, output_tokens=0),
    )
    events = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        head, delta = block, None
        if block["type"] == "text":
            head, delta = dict(block, text=""), {"type": "text_delta", "text": block["text"]}
        elif block["type"] == "tool_use":
            head, delta = (
                dict(block, input={}),
                {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
            )
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": head},
            )
        )
        if delta is not None:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    final_usage = {
        k: usage[k]
        for k in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        )
    }
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return _Raw(text.encode("utf-8"), "text/event-stream")


class _MessagesApi:
    """/v1/messages and /v1/messages/count_tokens."""

    def _messages_create(self, request: RecordedRequest) -> Any:
        body = _body(request)
        _validate_messages_request(body, needs_max_tokens=True)
        usage = self._bill_prompt(body["model"], _prompt_units(body))
        reply = self.messages_responder(copy.deepcopy(body))
        message = self._build_message(body, reply, usage)
        with self._lock:
            for key in self._usage_total:
                self._usage_total[key] += message["usage"].get(key) or 0
        return _sse(message) if body.get("stream") else message

    def _messages_count_tokens(self, request: RecordedRequest) -> dict:
        body = _body(request)
        _validate_messages_request(body, needs_max_tokens=False)
        return {"input_tokens": sum(unit.tokens for unit in _prompt_units(body))}

    def _bill_prompt(self, model: str, units: list) -> dict:
        marked = [i for i, unit in enumerate(units) if unit.cache_control]
        if len(marked) > MAX_CACHE_BREAKPOINTS:
            raise _invalid(
                f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marked)}."
            )
        cumulative = list(itertools.accumulate(unit.tokens for unit in units))
        keys = _prefix_keys(model, units)
        breakpoints = [i for i in marked if cumulative[i] >= self.cache_min_tokens]
        created = {"5m": 0, "1h": 0}
        with self._lock:
            read_end = max((i for i in breakpoints if keys[i] in self._cache), default=-1)
            start = read_end + 1
            for index in (i for i in breakpoints if i > read_end):
                ttl = "1h" if units[index].cache_control.get("ttl") == "1h" else "5m"
                created[ttl] += sum(unit.tokens for unit in units[start : index + 1])
                start = index + 1
                self._cache.add(keys[index])
        read = cumulative[read_end] if read_end >= 0 else 0
        creation = created["5m"] + created["1h"]
        return {
            "input_tokens": (cumulative[-1] if units else 0) - read - creation,
            "output_tokens": 0,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": created["5m"],
                "ephemeral_1h_input_tokens": created["1h"],
            },
            "service_tier": "standard",
        }

    def _build_message(self, body: dict, reply: Any, usage: dict) -> dict:
        if not isinstance(reply, dict) or not isinstance(reply.get("content"), list):
            raise _misuse("messages_responder must return a dict with a 'content' list")
        content = [self._response_block(block, body) for block in reply["content"]]
        uses_tool = any(block["type"] == "tool_use" for block in content)
        message = {
            "id": self._new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "tool_use" if uses_tool else "end_turn",
            "stop_sequence": None,
            "stop_details": None,
            "container": None,
        }
        message.update({k: v for k, v in reply.items() if k not in ("content", "usage")})
        message["usage"] = {
            **usage,
            "output_tokens": _output_tokens(content),
            **(reply.get("usage") or {}),
        }
        return message

    def _response_block(self, block: Any, body: dict) -> dict:
        block = {"type": "text", "text": block} if isinstance(block, str) else dict(block)
        if block.get("type") == "text":
            block.setdefault("citations", None)
        elif block.get("type") == "tool_use":
            if not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict):
                raise _misuse("a tool_use block needs 'name' (str) and 'input' (dict)")
            self._check_tool_offered(block["name"], body)
            block.setdefault("id", self._new_id("toolu"))
        return block

    @staticmethod
    def _check_tool_offered(name: str, body: dict) -> None:
        offered = [tool.get("name") for tool in body.get("tools") or []]
        if name not in offered:
            raise _misuse(f"responder used tool {name!r} but the request offers {offered}")
        if (body.get("tool_choice") or {}).get("type") == "none":
            raise _misuse("responder used a tool although tool_choice is 'none'")


# --------------------------------------------------------------------------- message batches

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


class _BatchesApi:
    """/v1/messages/batches: create, retrieve (advances the lifecycle), list, cancel, delete, results.

    Processing happens when a batch ends: every request goes through the same validation,
    billing (prompt cache included, in request order) and ``messages_responder`` as
    ``/v1/messages``; a request whose params the API would refuse ends ``errored`` with that
    error. Usage is summed in ``batch_usage_total``, apart from ``usage_total``.
    """

    def _batches_create(self, request: RecordedRequest) -> dict:
        body = _body(request)
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise _invalid("requests: List should have at least 1 item after validation, not 0")
        if len(requests) > MAX_BATCH_REQUESTS:
            raise _invalid(f"requests: List should have at most {MAX_BATCH_REQUESTS} items")
        seen = set()
        for index, item in enumerate(requests):
            if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
                raise _invalid(f"requests.{index}.params: Field required")
            custom_id = item.get("custom_id")
            if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
                raise _invalid(
                    f"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
                )
            if custom_id in seen:
                raise _invalid(f"requests.{index}.custom_id: Duplicate custom_id {custom_id!r}.")
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
            "expires_at": (_parse_time(now) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
        limit = _int_param(query, "limit", 20, 1, 1000)
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
            raise _invalid(
                f"Message Batch {batch_id} must finish processing (or be canceled) before it can be deleted."
            )
        del self._batches[batch_id]
        return {"id": batch_id, "type": "message_batch_deleted"}

    def _batches_results(self, request: RecordedRequest, batch_id: str) -> _Raw:
        batch = self._batch(batch_id)
        if batch.record["processing_status"] != "ended":
            raise _invalid(
                f"Message Batch {batch_id} has not finished processing; results are available once it has ended."
            )
        # not in request order, as the API warns: results are matched by custom_id
        lines = "".join(json.dumps(r) + "\n" for r in reversed(batch.results))
        return _Raw(lines.encode("utf-8"), "application/binary")

    # ---- internals (called with the lock held)

    def _batch(self, batch_id: str) -> _Batch:
        if batch_id not in self._batches:
            raise _not_found(f"Message Batch {batch_id}")
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
                raise _misuse(f"batch_outcome returned {outcome!r}; use None or one of {BATCH_OUTCOMES}")
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
                raise _invalid("stream: streaming is not supported in Message Batches")
            _validate_messages_request(params, needs_max_tokens=True)
            usage = self._bill_prompt(params["model"], _prompt_units(params))
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


# --------------------------------------------------------------------------- memory stores


def _check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise _invalid("path: must be a string starting with '/'")
    segments = path[1:].split("/")
    if not 1 <= len(segments) <= MAX_PATH_SEGMENTS or any(s in ("", ".", "..") for s in segments):
        raise _invalid(
            f"path: must have 1 to {MAX_PATH_SEGMENTS} segments, none empty, '.' or '..' ({path!r})"
        )
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise _invalid(f"path: must be at most {MAX_PATH_BYTES} bytes")
    return path


def _check_content(content: Any) -> str:
    if not isinstance(content, str):
        raise _invalid("content: Input should be a string")
    if len(content.encode("utf-8")) > MAX_MEMORY_BYTES:
        raise _invalid(f"content: must be at most {MAX_MEMORY_BYTES} bytes")
    return content


def _render(item: dict, view: str) -> dict:
    rendered = copy.deepcopy(item)
    if view == "basic" and "content" in rendered:
        rendered["content"] = None
    return rendered


def _memory_listing(memories: list, prefix: str, depth: int) -> list:
    """Memories under ``prefix``; with depth > 0, deeper ones roll up into memory_prefix items."""
    items, prefixes = [], set()
    for memory in memories:
        if not memory["path"].startswith(prefix):
            continue
        segments = memory["path"][len(prefix) :].split("/")
        if depth and len(segments) > depth:
            prefixes.add(prefix + "/".join(segments[:depth]) + "/")
        else:
            items.append(memory)
    items += [{"type": "memory_prefix", "path": p} for p in prefixes]
    return sorted(items, key=lambda item: item["path"])


class _MemoryApi:
    """/v1/memory_stores, .../memories and .../memory_versions."""

    # ---- stores

    def _stores_create(self, request: RecordedRequest) -> dict:
        body = _body(request)
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise _invalid("name: must be a string of 1 to 255 characters")
        return copy.deepcopy(
            self._new_store(name, body.get("description") or "", body.get("metadata") or {})
        )

    def _stores_list(self, request: RecordedRequest) -> dict:
        stores = [entry["store"] for entry in self._stores.values()]
        if request.query.get("include_archived") != "true":
            stores = [s for s in stores if not s["archived_at"]]
        stores = _time_filtered(stores, request.query, "created_at")
        return _page(copy.deepcopy(stores[::-1]), request.query)

    def _stores_retrieve(self, request: RecordedRequest, store_id: str) -> dict:
        return copy.deepcopy(self._store(store_id)["store"])

    def _stores_update(self, request: RecordedRequest, store_id: str) -> dict:
        body, store = _body(request), self._writable_store(store_id)["store"]
        for key in ("name", "description", "metadata"):
            if body.get(key) is not None:
                store[key] = body[key]
        store["updated_at"] = self._now()
        return copy.deepcopy(store)

    def _stores_archive(self, request: RecordedRequest, store_id: str) -> dict:
        store = self._store(store_id)["store"]
        if not store["archived_at"]:
            store["archived_at"] = store["updated_at"] = self._now()
        return copy.deepcopy(store)

    def _stores_delete(self, request: RecordedRequest, store_id: str) -> dict:
        self._store(store_id)
        del self._stores[store_id]
        return {"id": store_id, "type": "memory_store_deleted"}

    # ---- memories

    def _memories_list(self, request: RecordedRequest, store_id: str) -> dict:
        query = request.query
        view = _view_param(query, "basic")
        prefix = query.get("path_prefix") or "/"
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise _invalid("path_prefix: must start and end with '/'")
        depth = _int_param(query, "depth", 0, 0, MAX_PATH_SEGMENTS)
        items = _memory_listing(self._sorted_memories(store_id), prefix, depth)
        return _page(
            [_render(item, view) for item in items],
            query,
            cap=FULL_VIEW_PAGE_CAP if view == "full" else None,
        )

    def _memories_create(self, request: RecordedRequest, store_id: str) -> dict:
        body, entry = _body(request), self._writable_store(store_id)
        path = _check_path(body.get("path"))
        content = _check_content("" if body.get("content") is None else body["content"])
        self._check_path_free(entry, path)
        memory = self._create_memory(store_id, path, content, API_ACTOR)
        return _render(memory, _view_param(request.query, "basic"))

    def _memories_retrieve(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        return _render(self._memory(store_id, memory_id), _view_param(request.query, "full"))

    def _memories_update(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        body, entry = _body(request), self._writable_store(store_id)
        memory = self._memory(store_id, memory_id)
        content = (
            memory["content"] if body.get("content") is None else _check_content(body["content"])
        )
        path = memory["path"] if body.get("path") is None else _check_path(body["path"])
        unchanged = content == memory["content"] and path == memory["path"]
        precondition = body.get("precondition")
        if precondition is not None and not unchanged:
            self._check_precondition(memory, precondition)
        if not unchanged:
            if path != memory["path"]:
                self._check_path_free(entry, path)
            self._write_memory(store_id, memory, content, path, "modified", API_ACTOR)
        return _render(memory, _view_param(request.query, "basic"))

    def _memories_delete(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        memory = self._memory(store_id, memory_id)
        expected = request.query.get("expected_content_sha256")
        if expected is not None and expected != memory["content_sha256"]:
            raise self._precondition_failed(memory)
        self._record_version(store_id, memory, "deleted", API_ACTOR)
        del self._stores[store_id]["memories"][memory_id]
        return {"id": memory_id, "type": "memory_deleted"}

    # ---- memory versions

    def _versions_list(self, request: RecordedRequest, store_id: str) -> dict:
        query = request.query
        view = _view_param(query, "basic")
        versions = list(reversed(self._store(store_id)["versions"]))
        for name in ("memory_id", "operation"):
            if query.get(name):
                versions = [v for v in versions if v[name] == query[name]]
        if query.get("session_id"):
            versions = [
                v
                for v in versions
                if (v["created_by"] or {}).get("session_id") == query["session_id"]
            ]
        versions = _time_filtered(versions, query, "created_at")
        return _page(
            [_render(v, view) for v in versions],
            query,
            cap=FULL_VIEW_PAGE_CAP if view == "full" else None,
        )

    def _versions_retrieve(self, request: RecordedRequest, store_id: str, version_id: str) -> dict:
        for version in self._store(store_id)["versions"]:
            if version["id"] == version_id:
                return _render(version, _view_param(request.query, "full"))
        raise _not_found(f"Memory version {version_id}")

    # ---- internals (called with the lock held)

    def _store(self, store_id: str) -> dict:
        if store_id not in self._stores:
            raise _not_found(f"Memory store {store_id}")
        return self._stores[store_id]

    def _writable_store(self, store_id: str) -> dict:
        entry = self._store(store_id)
        if entry["store"]["archived_at"]:
            raise _invalid(f"Memory store {store_id} is archived and can't be changed.")
        return entry

    def _memory(self, store_id: str, memory_id: str) -> dict:
        memory = self._store(store_id)["memories"].get(memory_id)
        if memory is None:
            raise _not_found(f"Memory {memory_id}")
        return memory

    def _sorted_memories(self, store_id: str) -> list:
        return sorted(self._store(store_id)["memories"].values(), key=lambda m: m["path"])

    @staticmethod
    def _check_path_free(entry: dict, path: str) -> None:
        if any(m["path"] == path for m in entry["memories"].values()):
            raise ApiError(
                409, f"A memory already exists at path {path!r}.", "memory_path_conflict_error"
            )

    def _check_precondition(self, memory: dict, precondition: Any) -> None:
        if not isinstance(precondition, dict) or precondition.get("type") != "content_sha256":
            raise _invalid("precondition.type: Input should be 'content_sha256'")
        if precondition.get("content_sha256") != memory["content_sha256"]:
            raise self._precondition_failed(memory)

    @staticmethod
    def _precondition_failed(memory: dict) -> ApiError:
        return ApiError(
            409,
            f"Precondition failed: memory {memory['id']} has content_sha256 {memory['content_sha256']}.",
            "memory_precondition_failed_error",
        )

    def _new_store(
        self, name: str, description: str, metadata: dict, store_id: str | None = None
    ) -> dict:
        now = self._now()
        store = {
            "type": "memory_store",
            "id": store_id or self._new_id("memstore"),
            "name": name,
            "description": description,
            "metadata": dict(metadata),
            "created_at": now,
            "updated_at": now,
            "archived_at": None,
        }
        self._stores[store["id"]] = {"store": store, "memories": {}, "versions": []}
        return store

    def _create_memory(self, store_id: str, path: str, content: str, actor: dict) -> dict:
        now = self._now()
        memory = {
            "type": "memory",
            "id": self._new_id("mem"),
            "memory_store_id": store_id,
            "created_at": now,
        }
        self._stores[store_id]["memories"][memory["id"]] = memory
        self._write_memory(store_id, memory, content, path, "created", actor, now=now)
        return memory

    def _write_memory(self, store_id, memory, content, path, operation, actor, now=None) -> None:
        memory.update(
            path=path,
            content=content,
            content_sha256=_sha256(content),
            content_size_bytes=len(content.encode("utf-8")),
            updated_at=now or self._now(),
        )
        self._record_version(store_id, memory, operation, actor)

    def _record_version(
        self, store_id: str, memory: dict, operation: str, actor: dict | None
    ) -> dict:
        deleted = operation == "deleted"
        version = {
            "type": "memory_version",
            "id": self._new_id("memver"),
            "memory_id": memory["id"],
            "memory_store_id": store_id,
            "operation": operation,
            "path": memory["path"],
            "content": None if deleted else memory["content"],
            "content_sha256": None if deleted else memory["content_sha256"],
            "content_size_bytes": None if deleted else memory["content_size_bytes"],
            "created_at": self._now(),
            "created_by": actor,
            "redacted_at": None,
            "redacted_by": None,
        }
        self._stores[store_id]["versions"].append(version)
        memory["memory_version_id"] = version["id"]
        return version

    def _import_store(self, export: dict) -> dict:
        if export.get("id") in self._stores:
            raise ValueError(f"memory store {export['id']} already exists")
        store = self._new_store(
            export["name"],
            export.get("description") or "",
            export.get("metadata") or {},
            export.get("id"),
        )
        for key in ("created_at", "updated_at", "archived_at"):
            if export.get(key):
                store[key] = export[key]
        entry = self._stores[store["id"]]
        entry["versions"] = [
            self._import_version(store["id"], v) for v in export.get("memory_versions") or []
        ]
        for raw in export.get("memories") or []:
            memory = self._import_memory(store["id"], raw)
            entry["memories"][memory["id"]] = memory
        return store

    def _import_memory(self, store_id: str, raw: dict) -> dict:
        content = raw.get("content") or ""
        created = raw.get("created_at") or self._now()
        memory = {
            "type": "memory",
            "id": raw.get("id") or self._new_id("mem"),
            "memory_store_id": store_id,
            "path": _check_path(raw["path"]),
            "content": content,
            "content_sha256": _sha256(content),
            "content_size_bytes": len(content.encode("utf-8")),
            "created_at": created,
            "updated_at": raw.get("updated_at") or created,
        }
        own = [v for v in self._stores[store_id]["versions"] if v["memory_id"] == memory["id"]]
        if raw.get("memory_version_id") or own:
            memory["memory_version_id"] = raw.get("memory_version_id") or own[-1]["id"]
        else:
            self._record_version(store_id, memory, "created", raw.get("created_by"))
        return memory

    def _import_version(self, store_id: str, raw: dict) -> dict:
        version = {
            "type": "memory_version",
            "memory_store_id": store_id,
            "path": None,
            "content": None,
            "created_by": None,
            "redacted_at": None,
            "redacted_by": None,
            **copy.deepcopy(raw),
        }
        version.setdefault("id", self._new_id("memver"))
        version.setdefault("created_at", self._now())
        has_content = isinstance(version["content"], str) and version.get("operation") != "deleted"
        version.setdefault("content_sha256", _sha256(version["content"]) if has_content else None)
        version.setdefault(
            "content_size_bytes", len(version["content"].encode("utf-8")) if has_content else None
        )
        return version


# --------------------------------------------------------------------------- sessions


def _session_defaults(session_id: str, created_at: str) -> dict:
    return {
        "type": "session",
        "id": session_id,
        "title": None,
        "created_at": created_at,
        "updated_at": created_at,
        "archived_at": None,
        "status": "idle",
        "agent": {
            "type": "agent",
            "id": "agent_fake",
            "name": "fake-agent",
            "version": 1,
            "description": None,
            "system": None,
            "model": {"id": "claude-sonnet-4-6"},
            "tools": [],
            "skills": [],
            "mcp_servers": [],
            "multiagent": None,
            "execution_identity": {"type": "service_account"},
        },
        "environment_id": "env_fake",
        "metadata": {},
        "outcome_evaluations": [],
        "resources": [],
        "stats": {"active_seconds": None, "duration_seconds": None},
        "usage": {},
        "vault_ids": [],
        "budget": None,
        "deployment_id": None,
    }


class _SessionsApi:
    """/v1/sessions and /v1/sessions/{id}/events (read-only)."""

    def _sessions_list(self, request: RecordedRequest) -> dict:
        query = request.query
        sessions = [entry["session"] for entry in self._sessions.values()]
        if query.get("include_archived") != "true":
            sessions = [s for s in sessions if not s.get("archived_at")]
        statuses = _list_param(query, "statuses")
        if statuses:
            sessions = [s for s in sessions if s["status"] in statuses]
        if query.get("memory_store_id"):
            sessions = [s for s in sessions if self._mounts(s, query["memory_store_id"])]
        sessions = sorted(
            _time_filtered(sessions, query, "created_at"), key=lambda s: s["created_at"]
        )
        if query.get("order", "desc") == "desc":
            sessions.reverse()
        return _page(copy.deepcopy(sessions), query, bidirectional=True)

    def _sessions_retrieve(self, request: RecordedRequest, session_id: str) -> dict:
        return copy.deepcopy(self._session(session_id)["session"])

    def _events_list(self, request: RecordedRequest, session_id: str) -> dict:
        query = request.query
        events = list(self._session(session_id)["events"])
        types = _list_param(query, "types")
        if types:
            events = [e for e in events if e.get("type") in types]
        events = _time_filtered(events, query, "processed_at")
        if query.get("order", "asc") == "desc":
            events.reverse()
        return _page(copy.deepcopy(events), query)

    def _session(self, session_id: str) -> dict:
        if session_id not in self._sessions:
            raise _not_found(f"Session {session_id}")
        return self._sessions[session_id]

    @staticmethod
    def _mounts(session: dict, store_id: str) -> bool:
        return any(r.get("memory_store_id") == store_id for r in session.get("resources") or [])

    def _import_session(self, export: dict) -> dict:
        session_id = export.get("id") or self._new_id("sesn")
        session = _session_defaults(session_id, export.get("created_at") or self._now())
        session.update({k: copy.deepcopy(v) for k, v in export.items() if k != "events"})
        session.setdefault("updated_at", session["created_at"])
        self._sessions[session_id] = {
            "session": session,
            "events": copy.deepcopy(export.get("events") or []),
        }
        return session


# --------------------------------------------------------------------------- dreams


def default_dream_transform(memories: list, sessions: list, instructions: str | None) -> list:
    """Drop memories under a ``/scratch/`` segment and bullet lines already seen (by path order)."""
    seen, output = set(), []
    for memory in sorted(memories, key=lambda m: m["path"]):
        if "/scratch/" in memory["path"]:
            continue
        kept = []
        for line in (memory.get("content") or "").splitlines(keepends=True):
            bullet = line.strip()
            if bullet.startswith(("- ", "* ")):
                if bullet in seen:
                    continue
                seen.add(bullet)
            kept.append(line)
        output.append({"path": memory["path"], "content": "".join(kept)})
    return output


def _dream_model(model: Any) -> dict:
    if isinstance(model, str):
        model = {"id": model}
    if (
        not isinstance(model, dict)
        or not isinstance(model.get("id"), str)
        or not 1 <= len(model["id"]) <= 256
    ):
        raise _invalid("model: must be a model ID (1 to 256 characters) or an object with `id`")
    if model.get("speed") not in (None, "standard"):
        raise _invalid("model.speed: dreams accept only 'standard'")
    return {"id": model["id"], "speed": "standard"}


def _dream_inputs(inputs: Any) -> tuple:
    """Validate ``inputs``; return (memory_store_id, sorted session_ids)."""
    if not isinstance(inputs, list):
        raise _invalid("inputs: Field required")
    stores = [i for i in inputs if isinstance(i, dict) and i.get("type") == "memory_store"]
    sessions = [i for i in inputs if isinstance(i, dict) and i.get("type") == "sessions"]
    if len(inputs) != 2 or len(stores) != 1 or len(sessions) != 1:
        raise _invalid(
            "inputs: must contain exactly one `memory_store` entry and exactly one `sessions` entry"
        )
    store_id = stores[0].get("memory_store_id")
    if not isinstance(store_id, str) or not store_id:
        raise _invalid("inputs.memory_store.memory_store_id: Field required")
    session_ids = sessions[0].get("session_ids")
    if not isinstance(session_ids, list) or not all(isinstance(s, str) for s in session_ids):
        raise _invalid("inputs.sessions.session_ids: Input should be a list of session IDs")
    if not 1 <= len(session_ids) <= MAX_DREAM_SESSIONS:
        raise _invalid(
            f"inputs.sessions.session_ids: must contain between 1 and {MAX_DREAM_SESSIONS} "
            f"session IDs (got {len(session_ids)})"
        )
    if len(set(session_ids)) != len(session_ids):
        raise _invalid("inputs.sessions.session_ids: must not contain duplicates")
    return store_id, sorted(session_ids)


def _dream_instructions(instructions: Any) -> str | None:
    if instructions is None:
        return None
    if not isinstance(instructions, str) or not 1 <= len(instructions) <= MAX_INSTRUCTIONS_CHARS:
        raise _invalid(
            f"instructions: must be a string of 1 to {MAX_INSTRUCTIONS_CHARS} characters"
        )
    return instructions


class _DreamsApi:
    """/v1/dreams: create, retrieve (advances the lifecycle), list, cancel, archive."""

    def _dreams_create(self, request: RecordedRequest) -> dict:
        body = _body(request)
        store_id, session_ids = _dream_inputs(body.get("inputs"))
        if self._store(store_id)["store"]["archived_at"]:
            raise _invalid(f"Memory store {store_id} is archived.")
        for session_id in session_ids:
            self._session(session_id)
        model = _dream_model(body.get("model"))
        instructions = _dream_instructions(body.get("instructions"))
        behavior = self._output_behavior(body.get("output_behavior"), store_id)
        record = {
            "type": "dream",
            "id": self._new_id("drm"),
            "status": "pending",
            "inputs": [
                {"type": "memory_store", "memory_store_id": store_id},
                {"type": "sessions", "session_ids": session_ids},
            ],
            "model": model,
            "instructions": instructions,
            "output_behavior": behavior,
            "outputs": [],
            "error": None,
            "session_id": None,
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
            "created_at": self._now(),
            "ended_at": None,
            "archived_at": None,
        }
        fail_with = self.dream_fail_with(copy.deepcopy(record)) if callable(self.dream_fail_with) \
            else self.dream_fail_with
        fail_with = tuple(fail_with) if fail_with else None
        if self.dream_cancel_if is not None and self.dream_cancel_if(copy.deepcopy(record)):
            fail_with = ("canceled", "")
        self._dreams[record["id"]] = _Dream(
            record, max(1, int(self.dream_polls_to_finish)), fail_with
        )
        active = [d.record for d in self._dreams.values() if d.record["status"] in ("pending", "running")]
        self.peak_active_dreams = max(self.peak_active_dreams, len(active))
        same = sum(1 for r in active if r["inputs"][0]["memory_store_id"] == store_id)
        peaks = self.peak_active_dreams_by_store
        peaks[store_id] = max(peaks.get(store_id, 0), same)
        return copy.deepcopy(record)

    def _dreams_retrieve(self, request: RecordedRequest, dream_id: str) -> dict:
        dream = self._dream(dream_id)
        if dream.record["status"] not in FINAL_DREAM_STATUSES:
            dream.polls += 1
            if dream.polls >= dream.polls_to_finish:
                self._finish_dream(dream)
            else:
                self._start_dream(dream)
        return copy.deepcopy(dream.record)

    def _dreams_list(self, request: RecordedRequest) -> dict:
        query = request.query
        dreams = [d.record for d in self._dreams.values()]
        if query.get("include_archived") != "true":
            dreams = [d for d in dreams if not d["archived_at"]]
        statuses = _list_param(query, "statuses")
        if statuses:
            dreams = [d for d in dreams if d["status"] in statuses]
        dreams = _time_filtered(dreams, query, "created_at")
        return _page(copy.deepcopy(dreams[::-1]), query)

    def _dreams_cancel(self, request: RecordedRequest, dream_id: str) -> dict:
        record = self._dream(dream_id).record
        if record["status"] in ("completed", "failed"):
            raise _invalid(f"Dream {dream_id} is {record['status']} and can't be canceled.")
        if record["status"] != "canceled":
            record.update(status="canceled", ended_at=self._now())
        return copy.deepcopy(record)

    def _dreams_archive(self, request: RecordedRequest, dream_id: str) -> dict:
        record = self._dream(dream_id).record
        if record["status"] in ("pending", "running"):
            raise _invalid(f"Dream {dream_id} is {record['status']}; cancel it before archiving.")
        if not record["archived_at"]:
            record["archived_at"] = self._now()
        return copy.deepcopy(record)

    # ---- internals (called with the lock held)

    def _dream(self, dream_id: str) -> _Dream:
        if dream_id not in self._dreams:
            raise _not_found(f"Dream {dream_id}")
        return self._dreams[dream_id]

    def _output_behavior(self, behavior: Any, store_id: str) -> dict:
        if behavior is None or behavior == {"type": "create_new"}:
            return {"type": "create_new"}
        if not isinstance(behavior, dict) or behavior.get("type") != "update_existing":
            raise _invalid(
                "output_behavior.type: Input should be 'create_new' or 'update_existing'"
            )
        if behavior.get("memory_store_id") != store_id:
            raise _invalid(
                "output_behavior.memory_store_id: must be the memory store given in `inputs`"
            )
        for other in self._dreams.values():
            same_target = other.record["output_behavior"] == {
                "type": "update_existing",
                "memory_store_id": store_id,
            }
            if same_target and other.record["status"] in ("pending", "running"):
                raise ApiError(
                    409, f"Dream {other.record['id']} is still updating memory store {store_id}."
                )
        return {"type": "update_existing", "memory_store_id": store_id}

    def _dream_sources(self, record: dict) -> tuple:
        store_id, session_ids = (
            record["inputs"][0]["memory_store_id"],
            record["inputs"][1]["session_ids"],
        )
        memories = (
            copy.deepcopy(self._sorted_memories(store_id)) if store_id in self._stores else []
        )
        sessions = [
            dict(
                copy.deepcopy(self._sessions[s]["session"]),
                events=copy.deepcopy(self._sessions[s]["events"]),
            )
            for s in session_ids
            if s in self._sessions
        ]
        return memories, sessions

    def _start_dream(self, dream: _Dream) -> None:
        record = dream.record
        if record["status"] != "pending":
            return
        memories, sessions = self._dream_sources(record)
        read = [m["path"] + "\n" + m["content"] for m in memories] + [
            _canonical(s["events"]) for s in sessions
        ]
        record["usage"]["input_tokens"] = sum(
            map(estimate_tokens, read + [record["instructions"] or ""])
        )
        record.update(status="running", session_id=self._new_id("sesn"))

    def _finish_dream(self, dream: _Dream) -> None:
        self._start_dream(dream)
        record = dream.record
        if dream.fail_with == ("canceled", ""):
            record.update(status="canceled", ended_at=self._now())
            return
        if dream.fail_with:
            error_type, message = dream.fail_with
            record.update(
                status="failed",
                error={"type": error_type, "message": message},
                ended_at=self._now(),
            )
            return
        memories, sessions = self._dream_sources(record)
        try:
            outputs = self.dream_transform(memories, sessions, record["instructions"])
            outputs = [
                {"path": _check_path(o["path"]), "content": _check_content(o["content"])}
                for o in outputs
            ]
        except Exception as exc:  # a broken transform fails the dream, visibly
            error = {"type": "internal_error", "message": f"dream_transform raised {exc!r}"}
            record.update(status="failed", error=error, ended_at=self._now())
            return
        store_id = self._write_dream_output(record, outputs)
        record["outputs"] = [{"type": "memory_store", "memory_store_id": store_id}]
        record["usage"]["output_tokens"] = sum(estimate_tokens(o["content"]) for o in outputs)
        record.update(status="completed", ended_at=self._now())

    def _write_dream_output(self, record: dict, outputs: list) -> str:
        source_id = record["inputs"][0]["memory_store_id"]
        actor = {"type": "session_actor", "session_id": record["session_id"]}
        if record["output_behavior"]["type"] == "create_new":
            source = self._stores[source_id]["store"]
            target = self._new_store(
                f"{source['name']} (dream {record['id']})",
                source["description"],
                source["metadata"],
            )
            target_id = target["id"]
        else:
            target_id = source_id
        existing = {m["path"]: m for m in self._stores[target_id]["memories"].values()}
        wanted = {o["path"]: o["content"] for o in outputs}
        for path, memory in existing.items():
            if path not in wanted:
                self._record_version(target_id, memory, "deleted", actor)
                del self._stores[target_id]["memories"][memory["id"]]
            elif wanted[path] != memory["content"]:
                self._write_memory(target_id, memory, wanted[path], path, "modified", actor)
        for path, content in wanted.items():
            if path not in existing:
                self._create_memory(target_id, path, content, actor)
        return target_id


# --------------------------------------------------------------------------- server


@dataclass
class _Route:
    method: str
    pattern: re.Pattern
    handler: str
    betas: tuple = ()
    locked: bool = True


def _routes() -> list:
    store = r"/v1/memory_stores/(?P<store_id>[^/]+)"
    memory = store + r"/memories/(?P<memory_id>[^/]+)"
    session = r"/v1/sessions/(?P<session_id>[^/]+)"
    dream = r"/v1/dreams/(?P<dream_id>[^/]+)"
    batch = r"/v1/messages/batches/(?P<batch_id>[^/]+)"
    table = [
        ("POST", r"/v1/messages", "_messages_create", (), False),
        ("POST", r"/v1/messages/count_tokens", "_messages_count_tokens", (), False),
        ("POST", r"/v1/messages/batches", "_batches_create"),
        ("GET", r"/v1/messages/batches", "_batches_list"),
        ("GET", batch, "_batches_retrieve"),
        ("DELETE", batch, "_batches_delete"),
        ("POST", batch + "/cancel", "_batches_cancel"),
        ("GET", batch + "/results", "_batches_results"),
        ("GET", r"/v1/memory_stores", "_stores_list", MEMORY_BETAS),
        ("POST", r"/v1/memory_stores", "_stores_create", MEMORY_BETAS),
        ("GET", store, "_stores_retrieve", MEMORY_BETAS),
        ("POST", store, "_stores_update", MEMORY_BETAS),
        ("DELETE", store, "_stores_delete", MEMORY_BETAS),
        ("POST", store + "/archive", "_stores_archive", MEMORY_BETAS),
        ("GET", store + "/memories", "_memories_list", MEMORY_BETAS),
        ("POST", store + "/memories", "_memories_create", MEMORY_BETAS),
        ("GET", memory, "_memories_retrieve", MEMORY_BETAS),
        ("POST", memory, "_memories_update", MEMORY_BETAS),
        ("DELETE", memory, "_memories_delete", MEMORY_BETAS),
        ("GET", store + "/memory_versions", "_versions_list", MEMORY_BETAS),
        (
            "GET",
            store + r"/memory_versions/(?P<version_id>[^/]+)",
            "_versions_retrieve",
            MEMORY_BETAS,
        ),
        ("GET", r"/v1/sessions", "_sessions_list", SESSION_BETAS),
        ("GET", session, "_sessions_retrieve", SESSION_BETAS),
        ("GET", session + "/events", "_events_list", SESSION_BETAS),
        ("POST", r"/v1/dreams", "_dreams_create", DREAM_BETAS),
        ("GET", r"/v1/dreams", "_dreams_list", DREAM_BETAS),
        ("GET", dream, "_dreams_retrieve", DREAM_BETAS),
        ("POST", dream + "/cancel", "_dreams_cancel", DREAM_BETAS),
        ("POST", dream + "/archive", "_dreams_archive", DREAM_BETAS),
    ]
    return [_Route(m, re.compile(p), h, *rest) for m, p, h, *rest in table]


_ROUTES = _routes()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.fake._respond(
            self.command, self.path, self.headers, body
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timeout)
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:  # a client hung up mid-request
        pass


class FakeAnthropic(_MessagesApi, _BatchesApi, _MemoryApi, _SessionsApi, _DreamsApi):
    """A fake Anthropic API on 127.0.0.1; see the module docstring for the full surface."""

    def __init__(self) -> None:
        self.requests: list = []
        self.messages_responder: Callable[[dict], dict] = default_messages_responder
        self.dream_transform: Callable[[list, list, str | None], list] = default_dream_transform
        self.dream_polls_to_finish = 2
        self.dream_fail_with: tuple | Callable[[dict], tuple | None] | None = None
        self.dream_cancel_if: Callable[[dict], bool] | None = None
        self.peak_active_dreams = 0
        self.peak_active_dreams_by_store: dict = {}
        self.cache_min_tokens = 0
        self.batch_polls_to_finish = 2
        self.batch_outcome: Callable[[str, dict], str | None] | None = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._faults: list = []
        self._cache: set = set()
        self._usage_total = dict.fromkeys(
            (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            ),
            0,
        )
        self._batch_usage_total = dict.fromkeys(self._usage_total, 0)
        self._batches: dict = {}
        self._stores: dict = {}
        self._sessions: dict = {}
        self._dreams: dict = {}
        self._ids = itertools.count(1)
        self._ticks = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeAnthropic:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-anthropic",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes requests sleeping on an injected delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeAnthropic is not running; use `with FakeAnthropic() as api:`")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- test-facing controls

    def inject(
        self,
        path: str,
        status: int | None = None,
        *,
        times: int = 1,
        delay: float = 0.0,
        method: str | None = None,
        headers: dict | None = None,
        message: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        delay_after: float = 0.0,
    ) -> None:
        """Make the next ``times`` requests matching ``path`` slow (``delay``), fail (``status``),
        answer 200 with a raw ``body``, or land and then answer late (``delay_after``)."""
        default_headers = {"retry-after": "0"} if status == 429 else {}
        fault = _Fault(
            path, method, status, delay, times, {**default_headers, **(headers or {})}, message,
            body, content_type, delay_after,
        )
        with self._lock:
            self._faults.append(fault)

    def add_store(self, export: dict) -> dict:
        with self._lock:
            return copy.deepcopy(self._import_store(export))

    def add_session(self, export: dict) -> dict:
        with self._lock:
            return copy.deepcopy(self._import_session(export))

    def set_memory_content(self, store_id: str, memory_id: str, new_content: str) -> dict:
        with self._lock:
            memory = self._memory(store_id, memory_id)
            self._write_memory(
                store_id, memory, new_content, memory["path"], "modified", CONCURRENT_WRITER
            )
            return copy.deepcopy(memory)

    def memories(self, store_id: str) -> list:
        with self._lock:
            return copy.deepcopy(self._sorted_memories(store_id))

    @staticmethod
    def tokens(text: str) -> int:
        return estimate_tokens(text)

    @property
    def usage_total(self) -> dict:
        with self._lock:
            return dict(self._usage_total)

    @property
    def batch_usage_total(self) -> dict:
        with self._lock:
            return dict(self._batch_usage_total)

    # ---- request handling

    def _respond(self, method: str, target: str, raw_headers: Any, body: bytes) -> tuple:
        parts = urlsplit(target)
        try:
            payload, bad_json = (json.loads(body) if body else None), False
        except ValueError:
            payload, bad_json = None, True
        headers = {k.lower(): v for k, v in raw_headers.items()}
        request = RecordedRequest(method, parts.path, _parse_query(parts.query), headers, payload)
        with self._lock:
            self.requests.append(request)
        try:
            fault = self._apply_fault(request)
            if fault is not None and fault.body is not None:
                return 200, {"content-type": fault.content_type, "request-id": self._new_id("req")}, fault.body
            if bad_json:
                raise _invalid("The request body is not valid JSON.")
            self._check_headers(request)
            result = self._route(request)
            if fault is not None and fault.delay_after:
                self._stopping.wait(fault.delay_after)  # the write landed; the answer comes too late
        except ApiError as error:
            return self._error_response(error)
        except Exception:  # a bug in the fake or in a test callback (responder, transform)
            return self._error_response(_misuse("unexpected error\n" + traceback.format_exc()))
        if isinstance(result, _Raw):
            return (
                200,
                {"content-type": result.content_type, "request-id": self._new_id("req")},
                result.body,
            )
        return (
            200,
            {"content-type": "application/json", "request-id": self._new_id("req")},
            json.dumps(result).encode(),
        )

    def _apply_fault(self, request: RecordedRequest) -> _Fault | None:
        with self._lock:
            fault = next((f for f in self._faults if f.remaining > 0 and f.matches(request)), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is None:
            return None
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.status:
            message = fault.message or _FAULT_MESSAGES.get(
                fault.status, f"Injected HTTP {fault.status}."
            )
            raise ApiError(fault.status, message, headers=fault.headers)
        return fault

    @staticmethod
    def _check_headers(request: RecordedRequest) -> None:
        if not (request.headers.get("x-api-key") or request.headers.get("authorization")):
            raise ApiError(401, "x-api-key header is required")
        if not request.headers.get("anthropic-version"):
            raise _invalid("anthropic-version: header is required")

    def _route(self, request: RecordedRequest) -> Any:
        for route in _ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match is None or route.method != request.method:
                continue
            self._check_beta(request, route.betas)
            handler = getattr(self, route.handler)
            if not route.locked:
                return handler(request, **match.groupdict())
            with self._lock:
                return handler(request, **match.groupdict())
        raise ApiError(404, f"Not found: {request.method} {request.path}")

    @staticmethod
    def _check_beta(request: RecordedRequest, accepted: tuple) -> None:
        if not accepted:
            return
        sent = {b.strip() for b in request.headers.get("anthropic-beta", "").split(",")}
        if sent.isdisjoint(accepted):
            wanted = " or ".join(f"`{b}`" for b in accepted)
            raise _invalid(
                f"{request.path} is a beta endpoint: the `anthropic-beta` header must include {wanted}."
            )

    def _error_response(self, error: ApiError) -> tuple:
        request_id = self._new_id("req")
        body = {
            "type": "error",
            "error": {"type": error.error_type, "message": error.message},
            "request_id": request_id,
        }
        headers = {"content-type": "application/json", "request-id": request_id, **error.headers}
        return error.status, headers, json.dumps(body).encode()

    # ---- ids and clock

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_fake{next(self._ids):06d}"

    def _now(self) -> str:
        with self._lock:
            moment = _EPOCH + timedelta(seconds=next(self._ticks))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
