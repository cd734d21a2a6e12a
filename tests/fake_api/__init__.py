"""A local fake of the Anthropic API for tests that drive the *real* ``anthropic`` SDK.

One module per API (``messages``, ``batches``, ``memory_stores``, ``sessions``, ``dreams``),
what they share (``common``: errors, pagination, routes) and the HTTP server that serves them all
(``server``: routing, auth, beta headers, injected faults, ``FakeAnthropic``).

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

from .common import ApiError, RecordedRequest, estimate_tokens
from .dreams import default_dream_transform
from .messages import default_messages_responder, memory_qa_responder
from .server import FakeAnthropic

__all__ = [
    "ApiError",
    "FakeAnthropic",
    "RecordedRequest",
    "default_dream_transform",
    "default_messages_responder",
    "estimate_tokens",
    "memory_qa_responder",
]
