"""The fake Anthropic API under its old name: see `fake_api` (one module per API)."""

from fake_api import (  # noqa: F401
    ApiError,
    FakeAnthropic,
    RecordedRequest,
    default_dream_transform,
    default_messages_responder,
    estimate_tokens,
    memory_qa_responder,
)
