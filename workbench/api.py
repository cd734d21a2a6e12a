"""The Anthropic API as every part of the workbench meets it: the client, faults, retries, tokens, prices.

One place builds the `anthropic` client (`make_client`), from the SDK's own configuration
(`ANTHROPIC_API_KEY`, `ANTHROPIC_AUTH_TOKEN`, an SDK profile) or an explicit `client=`; the
workbench never reads, stores or prints a key. One place turns an API fault into the workbench's
error family (`faults`, `describe_error`, `is_fatal`), and one retry policy (`call`, on tenacity)
retries what is transient: 429, 5xx and a dropped connection.

Retries are the workbench's, with the SDK's own off, so that a `retry-after` longer than `MAX_WAIT`
seconds is never slept through: the call fails at once and the error says what the API asked for.
Otherwise a `retry-after` (or `retry-after-ms`) is waited for as given, and without one the waits
grow 0.5, 1, 2, 4 s up to 8 s.

Prices (`PRICES`) are list prices in USD per million tokens by model family, used only for
estimates: cache writes bill 1.25× the input price (5-minute cache), cache reads 0.1×; the
Message Batches API bills half (`BATCH_DISCOUNT`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import tenacity

from .errors import EngineError

DEFAULT_MODEL = "claude-sonnet-4-6"
USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")

# (model id prefix, input $/MTok, output $/MTok); the first matching prefix wins.
PRICES: tuple[tuple[str, float, float], ...] = (
    ("claude-opus-4-0", 15.0, 75.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4-2025", 15.0, 75.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-opus", 5.0, 25.0),
    ("claude-sonnet", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-haiku", 1.0, 5.0),
)
MAX_WAIT = 60.0  # seconds: the longest `retry-after` a run waits for; longer ones fail the call and are reported
BACKOFF = (0.5, 8.0)  # without a `retry-after`: the first wait and the longest, doubling in between
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1
BATCH_DISCOUNT = 0.5  # the Message Batches API bills half the standard price, cache factors unchanged

T = TypeVar("T")


# --- the client ----------------------------------------------------------------------------------


def make_client(client: Any = None, *, engine: str, max_retries: int = 2, timeout: float | None = None) -> Any:
    """The given client, or a new `anthropic.Anthropic` from the SDK's configuration.

    Raises `EngineError` when no credential is configured (the key itself is never shown).
    """
    if client is not None:
        return client
    import anthropic

    needs = (f"the {engine} engine needs ANTHROPIC_API_KEY (or an Anthropic SDK profile); "
             "the offline engine works without one")
    options: dict[str, Any] = {"max_retries": max_retries}
    if timeout is not None:
        options["timeout"] = timeout
    try:
        made = anthropic.Anthropic(**options)
    except Exception as exc:  # e.g. an SDK profile that cannot be read; never echo its content
        raise EngineError(f"{needs} ({type(exc).__name__} while reading the SDK configuration)") from None
    if made.api_key is None and made.auth_token is None and getattr(made, "credentials", None) is None:
        raise EngineError(needs)
    return made


def is_message(message: Any) -> bool:
    """True for a Messages API answer the engine can read (a 200 with HTML or a JSON list is not one)."""
    return isinstance(getattr(message, "content", None), list) and getattr(message, "usage", None) is not None


# --- faults ----------------------------------------------------------------------------------------


def describe_error(exc: BaseException, timeout: float | None = None) -> str:
    """One line naming an SDK error: status, the API's error type and message (never headers)."""
    import anthropic

    waited = getattr(exc, "workbench_retry_after", None)
    note = (f" (the API asked to wait {waited:g} s before retrying, longer than the {MAX_WAIT:g} s a run "
            "waits; not retried)") if waited else ""
    if isinstance(exc, anthropic.APITimeoutError):
        return f"timed out{f' after {timeout:g} s' if timeout else ''}"
    if isinstance(exc, anthropic.APIConnectionError):
        return "could not connect to the API"
    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.type or type(exc).__name__
        message = exc.api_message or ""
        return f"HTTP {exc.status_code} {kind}" + (f": {message}" if message else "") + note
    if isinstance(exc, ValueError):
        return f"the API answered with a body that is not JSON ({str(exc)[:80]})"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def faults(what: str, *, shapes: bool = True) -> Iterator[None]:
    """Turn an SDK error (or an answer that is not JSON) into an `EngineError` naming the step `what`,
    and, unless `shapes=False`, a 200 whose JSON has another shape than the SDK expects too."""
    import anthropic

    try:
        yield
    except (anthropic.AnthropicError, ValueError) as exc:
        raise EngineError(f"{what}: {describe_error(exc)}") from None
    except (AttributeError, TypeError, KeyError) as exc:
        if not shapes:
            raise
        raise EngineError(f"{what}: the API answered with an unexpected shape ({type(exc).__name__}: "
                          f"{str(exc)[:80]})") from None


def is_fatal(exc: BaseException) -> bool:
    """Errors no later call can get past: a refused key, no permission, an unknown model or route."""
    import anthropic

    return isinstance(exc, (anthropic.AuthenticationError, anthropic.PermissionDeniedError, anthropic.NotFoundError))


# --- retries -----------------------------------------------------------------------------------------


def retry_after(exc: BaseException) -> float | None:
    """Seconds the API asked to wait (`retry-after-ms` or `retry-after`), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name)) / scale
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def transient() -> tuple[type[BaseException], ...]:
    """What `call` retries by default: rate limits, 5xx (529 overloaded too) and connection errors."""
    import anthropic

    return (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError)


class _AskedWait(tenacity.wait.wait_base):
    """The wait the API asked for (`retry-after`), else exponential backoff within `BACKOFF`."""

    def __init__(self) -> None:
        first, longest = BACKOFF
        self.backoff = tenacity.wait_exponential(multiplier=first, max=longest)

    def __call__(self, state: tenacity.RetryCallState) -> float:
        asked = retry_after(state.outcome.exception()) if state.outcome is not None else None
        return asked if asked is not None else self.backoff(state)


def retrying(retries: int, *, max_wait: float = MAX_WAIT,
             retry_on: tuple[type[BaseException], ...] | None = None) -> tenacity.Retrying:
    """The workbench's retry policy: `retries` more attempts after the first, on `retry_on` errors
    (default `transient()`), waiting what the API asks or backing off; a `retry-after` above
    `max_wait` is not waited for (the error is raised at once, marked for `describe_error`), and
    after the last attempt the last error is raised as it is."""
    retry_on = retry_on or transient()

    def worth_waiting(exc: BaseException) -> bool:
        if not isinstance(exc, retry_on):
            return False
        asked = retry_after(exc)
        if asked is not None and asked > max_wait:
            exc.workbench_retry_after = asked
            return False
        return True

    return tenacity.Retrying(stop=tenacity.stop_after_attempt(retries + 1), wait=_AskedWait(),
                             retry=tenacity.retry_if_exception(worth_waiting), reraise=True, sleep=time.sleep)


def call(fn: Callable[[Any], T], client: Any, *, retries: int | None = None, max_wait: float = MAX_WAIT,
         retry_on: tuple[type[BaseException], ...] | None = None) -> T:
    """`fn(client)` with the SDK's retries off, retried under `retrying` as often as the client's
    `max_retries` says (or `retries`). A write is sent this way too: its 409 (a failed precondition)
    is no transient error, so it is final at once."""
    retries = int(getattr(client, "max_retries", 2)) if retries is None else retries
    return retrying(retries, max_wait=max_wait, retry_on=retry_on)(fn, client.with_options(max_retries=0))


# --- tokens and prices ---------------------------------------------------------------------------------


def approx_tokens(text: str) -> int:
    """A dry-run token estimate: UTF-8 bytes / 4, rounded up (Claude averages ~3.5–4 bytes a token)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def usage_dict(usage: Any) -> dict[str, int]:
    """The four token counts of an SDK `Usage` (or a mapping), missing ones as 0."""
    get = usage.get if isinstance(usage, Mapping) else (lambda k: getattr(usage, k, None))
    return {key: int(get(key) or 0) for key in USAGE_KEYS}


def add_usage(total: dict[str, int], usage: Mapping[str, int]) -> dict[str, int]:
    for key in USAGE_KEYS:
        total[key] = total.get(key, 0) + int(usage.get(key, 0))
    return total


def price(model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens for a model id, or None when the family is unknown."""
    for prefix, cost_in, cost_out in PRICES:
        if model.startswith(prefix):
            return cost_in, cost_out
    return None


def estimate_cost(model: str, usage: Mapping[str, int]) -> float | None:
    """Estimated USD for a usage dict under `PRICES` (None for an unknown model family)."""
    rates = price(model)
    if rates is None:
        return None
    cost_in, cost_out = rates
    dollars = (usage.get("input_tokens", 0) * cost_in
               + usage.get("cache_creation_input_tokens", 0) * cost_in * CACHE_WRITE_FACTOR
               + usage.get("cache_read_input_tokens", 0) * cost_in * CACHE_READ_FACTOR
               + usage.get("output_tokens", 0) * cost_out) / 1e6
    return round(dollars, 6)


def estimate_batch_cost(model: str, usage: Mapping[str, int]) -> float | None:
    """Estimated USD for a usage dict billed through the Message Batches API."""
    cost = estimate_cost(model, usage)
    return None if cost is None else round(cost * BATCH_DISCOUNT, 6)
