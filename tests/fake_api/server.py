"""The HTTP server: a `ThreadingHTTPServer` on 127.0.0.1, routing, auth and beta headers, injected
faults, and `FakeAnthropic`, which serves every API of this package."""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import batches, dreams, memory_stores, messages, sessions
from .batches import BatchesApi
from .common import ApiError, Raw, RecordedRequest, estimate_tokens, invalid, misuse
from .dreams import DreamsApi, default_dream_transform
from .memory_stores import CONCURRENT_WRITER, MemoryStoresApi
from .messages import MessagesApi, default_messages_responder
from .sessions import SessionsApi

_FAULT_MESSAGES = {
    429: "Number of requests has exceeded your rate limit (injected fault).",
    500: "Internal server error (injected fault).",
    529: "Overloaded (injected fault).",
}
_EPOCH = datetime(2026, 5, 1, tzinfo=timezone.utc)


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


def parse_query(raw: str) -> dict:
    query: dict = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key.endswith("[]"):
            query.setdefault(key, []).append(value)
        else:
            query[key] = value
    return query


# Every route of every API, in one table (each module lists its own).
ROUTES = (*messages.ROUTES, *batches.ROUTES, *memory_stores.ROUTES, *sessions.ROUTES, *dreams.ROUTES)


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


class FakeAnthropic(MessagesApi, BatchesApi, MemoryStoresApi, SessionsApi, DreamsApi):
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
        request = RecordedRequest(method, parts.path, parse_query(parts.query), headers, payload)
        with self._lock:
            self.requests.append(request)
        try:
            fault = self._apply_fault(request)
            if fault is not None and fault.body is not None:
                return 200, {"content-type": fault.content_type, "request-id": self._new_id("req")}, fault.body
            if bad_json:
                raise invalid("The request body is not valid JSON.")
            self._check_headers(request)
            result = self._route(request)
            if fault is not None and fault.delay_after:
                self._stopping.wait(fault.delay_after)  # the write landed; the answer comes too late
        except ApiError as error:
            return self._error_response(error)
        except Exception:  # a bug in the fake or in a test callback (responder, transform)
            return self._error_response(misuse("unexpected error\n" + traceback.format_exc()))
        if isinstance(result, Raw):
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
            raise invalid("anthropic-version: header is required")

    def _route(self, request: RecordedRequest) -> Any:
        for route in ROUTES:
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
            raise invalid(
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
