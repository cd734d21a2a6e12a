"""Drive FakeAnthropic through the real anthropic SDK and show each behaviour."""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import FakeAnthropic  # noqa: E402

MODEL = "claude-sonnet-4-6"
STORE_ID = "memstore_team"
NOTES = "- use uv for installs\n- run tests before pushing\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_export() -> dict:
    def memory(mid: str, path: str, content: str) -> dict:
        stamp = "2026-04-01T10:00:00Z"
        return {
            "id": mid,
            "path": path,
            "content": content,
            "created_at": stamp,
            "updated_at": stamp,
        }

    return {
        "type": "memory_store",
        "id": STORE_ID,
        "name": "team notes",
        "memories": [
            memory("mem_notes", "/projects/app/notes.md", NOTES),
            memory(
                "mem_style",
                "/projects/app/style.md",
                "- run tests before pushing\n- prefer small PRs\n",
            ),
            memory("mem_tmp", "/projects/app/scratch/tmp.md", "half-finished thought"),
            memory("mem_user", "/user/profile.md", "Name: Ada"),
        ],
    }


def session_export(session_id: str, n_events: int = 5) -> dict:
    return {
        "type": "session",
        "id": session_id,
        "created_at": "2026-04-02T09:00:00Z",
        "title": f"Session {session_id}",
        "events": [
            {
                "id": f"evt_{session_id}_{i}",
                "type": "user.message" if i % 2 == 0 else "agent.message",
                "content": [{"type": "text", "text": f"message {i}"}],
                "processed_at": f"2026-04-02T09:00:{i:02d}Z",
            }
            for i in range(n_events)
        ],
    }


@pytest.fixture
def api():
    with FakeAnthropic() as fake:
        fake.add_store(store_export())
        fake.add_session(session_export("sesn_one"))
        fake.add_session(session_export("sesn_two", n_events=2))
        yield fake


def make_client(api, **options) -> anthropic.Anthropic:
    """A real SDK client that also validates every response against the SDK's models."""
    options = {"max_retries": 2, **options}
    return anthropic.Anthropic(
        api_key="test-key", base_url=api.base_url, _strict_response_validation=True, **options
    )


@pytest.fixture
def client(api):
    return make_client(api)


def dream_inputs(session_ids=("sesn_one", "sesn_two")) -> list:
    return [
        {"type": "memory_store", "memory_store_id": STORE_ID},
        {"type": "sessions", "session_ids": list(session_ids)},
    ]


def raw_request(api, method: str, path: str, headers: dict) -> tuple:
    request = urllib.request.Request(api.base_url + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --------------------------------------------------------------------------- messages


WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Look up the weather",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_a_messages_call_with_a_tool_returns_a_tool_use_block_and_honest_usage(api, client):
    api.messages_responder = lambda request: {
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "name": "get_weather", "input": {"city": "Paris"}},
        ]
    }
    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        system="You are terse.",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "auto"},
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    )
    tool_use = message.content[1]
    assert (message.type, message.role, message.model, message.stop_reason) == (
        "message",
        "assistant",
        MODEL,
        "tool_use",
    )
    assert tool_use.type == "tool_use" and tool_use.id.startswith("toolu_")
    assert (tool_use.name, tool_use.input) == ("get_weather", {"city": "Paris"})
    tool_json = json.dumps(WEATHER_TOOL, sort_keys=True, separators=(",", ":"))
    expected_input = (
        api.tokens(tool_json) + api.tokens("You are terse.") + api.tokens("Weather in Paris?")
    )
    assert message.usage.input_tokens == expected_input
    assert message.usage.output_tokens == api.tokens("Checking.") + api.tokens(
        '{"input":{"city":"Paris"},"name":"get_weather"}'
    )
    assert (message.usage.cache_creation_input_tokens, message.usage.cache_read_input_tokens) == (
        0,
        0,
    )


def test_the_default_responder_follows_a_forced_tool_choice_and_the_tool_loop_continues(client):
    forced = client.messages.create(
        model=MODEL,
        max_tokens=50,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Weather?"}],
    )
    tool_use = forced.content[0]
    assert (tool_use.name, tool_use.input) == ("get_weather", {"city": "example"})
    follow_up = client.messages.create(
        model=MODEL,
        max_tokens=50,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": [tool_use.model_dump(exclude_none=True)]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use.id, "content": "sunny"}
                ],
            },
        ],
    )
    assert follow_up.stop_reason == "end_turn" and follow_up.content[0].type == "text"


def test_every_request_carries_the_api_key_and_version_headers_that_are_recorded(api, client):
    client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    recorded = api.requests[-1]
    assert (recorded.method, recorded.path) == ("POST", "/v1/messages")
    assert (
        recorded.headers["authorization"] == "Bearer test-key"
    )  # the SDK sends api_key as a bearer token
    assert recorded.headers["anthropic-version"]
    assert recorded.json["messages"] == [{"role": "user", "content": "hi"}]


def test_count_tokens_returns_the_same_input_count_that_create_bills(client):
    request = {
        "model": MODEL,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Count me, please."}],
    }
    counted = client.messages.count_tokens(**request)
    billed = client.messages.create(max_tokens=10, **request)
    assert counted.input_tokens == billed.usage.input_tokens > 0


def test_a_second_call_with_the_same_cached_prefix_reads_it_from_the_cache(api, client):
    system = [
        {
            "type": "text",
            "text": "Long reference document. " * 40,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    prefix_tokens = api.tokens("Long reference document. " * 40)

    first = client.messages.create(
        model=MODEL, max_tokens=10, system=system, messages=[{"role": "user", "content": "Q1"}]
    )
    second = client.messages.create(
        model=MODEL, max_tokens=10, system=system, messages=[{"role": "user", "content": "Q2"}]
    )

    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (
        prefix_tokens,
        0,
    )
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == prefix_tokens
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (
        0,
        prefix_tokens,
    )
    assert second.usage.input_tokens == api.tokens("Q2")
    total = api.usage_total
    assert total["cache_creation_input_tokens"] == total["cache_read_input_tokens"] == prefix_tokens
    assert total["input_tokens"] == api.tokens("Q1") + api.tokens("Q2")
    assert total["output_tokens"] == first.usage.output_tokens + second.usage.output_tokens


def test_a_changed_prefix_misses_the_cache(client):
    def ask(text):
        system = [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]
        return client.messages.create(
            model=MODEL, max_tokens=10, system=system, messages=[{"role": "user", "content": "Q"}]
        )

    ask("version one of the document")
    changed = ask("version two of the document")
    assert (
        changed.usage.cache_read_input_tokens == 0 and changed.usage.cache_creation_input_tokens > 0
    )


def test_an_invalid_messages_request_is_rejected_with_a_clear_400(client):
    with pytest.raises(anthropic.BadRequestError) as missing:
        client.post(
            "/v1/messages",
            body={"model": MODEL, "messages": [{"role": "user", "content": "x"}]},
            cast_to=object,
        )
    assert missing.value.body["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }

    with pytest.raises(anthropic.BadRequestError, match="tool_use_id"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "?"}],
                }
            ],
        )


def test_streaming_delivers_the_same_message_as_server_sent_events(client):
    with client.messages.stream(
        model=MODEL, max_tokens=20, messages=[{"role": "user", "content": "stream it"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Fake answer to: stream it" == final.content[0].text
    assert final.usage.output_tokens > 0 and final.stop_reason == "end_turn"


# --------------------------------------------------------------------------- injected faults


def test_rate_limits_are_retried_by_the_sdk_and_then_succeed(api, client):
    api.inject("/v1/messages", status=429, times=2)
    message = client.messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.type == "message"
    assert [r.headers["x-stainless-retry-count"] for r in api.requests] == ["0", "1", "2"]


def test_an_overloaded_529_is_retried_and_then_succeeds(api, client):
    api.inject("/v1/messages", status=529, times=1, headers={"retry-after-ms": "10"})
    assert client.messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert len(api.requests) == 2


def test_a_500_is_retried_and_then_succeeds(api, client):
    api.inject("/v1/messages", status=500, times=1, headers={"retry-after-ms": "10"})
    assert client.messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert len(api.requests) == 2


def test_faults_outlasting_the_retries_surface_as_the_matching_sdk_error(api):
    client = make_client(api, max_retries=1)
    api.inject("/v1/messages", status=529, times=5, headers={"retry-after-ms": "10"})
    with pytest.raises(anthropic.OverloadedError) as raised:
        client.messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert raised.value.body["type"] == "error"
    assert raised.value.body["error"]["type"] == "overloaded_error"
    assert len(api.requests) == 2


def test_a_slow_answer_hits_the_client_timeout(api):
    client = make_client(api, max_retries=0, timeout=0.3)
    api.inject("/v1/messages", delay=2.0)
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )


# --------------------------------------------------------------------------- memory stores


def test_stores_and_memories_can_be_listed_and_retrieved(client):
    stores = list(client.beta.memory_stores.list())
    assert [s.id for s in stores] == [STORE_ID] and stores[0].name == "team notes"
    assert client.beta.memory_stores.retrieve(STORE_ID).type == "memory_store"

    listed = list(client.beta.memory_stores.memories.list(STORE_ID, path_prefix="/projects/"))
    assert [m.path for m in listed] == [
        "/projects/app/notes.md",
        "/projects/app/scratch/tmp.md",
        "/projects/app/style.md",
    ]
    assert all(m.content is None for m in listed)  # view=basic is the list default
    assert listed[0].content_sha256 == sha(NOTES) and listed[0].content_size_bytes == len(
        NOTES.encode()
    )

    full = client.beta.memory_stores.memories.retrieve("mem_notes", memory_store_id=STORE_ID)
    assert (
        full.content == NOTES
        and full.memory_store_id == STORE_ID
        and full.memory_version_id.startswith("memver_")
    )


def test_memory_listing_pages_with_next_page_and_rolls_up_deeper_paths_at_depth_one(api, client):
    first = client.beta.memory_stores.memories.list(STORE_ID, limit=3, view="full")
    assert len(first.data) == 3 and first.next_page and first.data[0].content is not None
    second = first.get_next_page()
    assert [m.path for m in second.data] == ["/user/profile.md"] and second.next_page is None
    assert api.requests[-1].query["page"] == first.next_page

    top = client.beta.memory_stores.memories.list(STORE_ID, depth=1)
    assert [(i.type, i.path) for i in top.data] == [
        ("memory_prefix", "/projects/"),
        ("memory_prefix", "/user/"),
    ]


def test_an_update_with_a_matching_precondition_changes_the_memory_and_adds_a_version(client):
    updated = client.beta.memory_stores.memories.update(
        "mem_notes",
        memory_store_id=STORE_ID,
        content=NOTES + "- new rule\n",
        precondition={"type": "content_sha256", "content_sha256": sha(NOTES)},
        view="full",
    )
    assert updated.content == NOTES + "- new rule\n" and updated.content_sha256 == sha(
        NOTES + "- new rule\n"
    )
    versions = list(client.beta.memory_stores.memory_versions.list(STORE_ID, memory_id="mem_notes"))
    assert [v.operation for v in versions] == ["modified", "created"]
    assert (
        versions[0].id == updated.memory_version_id and versions[0].created_by.type == "api_actor"
    )


def test_an_update_with_a_stale_precondition_is_rejected_and_leaves_the_content_unchanged(api):
    client = make_client(api, max_retries=0)  # the SDK retries 409s
    api.set_memory_content(STORE_ID, "mem_notes", "- written by another agent\n")
    with pytest.raises(anthropic.ConflictError) as raised:
        client.beta.memory_stores.memories.update(
            "mem_notes",
            memory_store_id=STORE_ID,
            content="my edit",
            precondition={"type": "content_sha256", "content_sha256": sha(NOTES)},
        )
    assert raised.value.status_code == 409
    assert raised.value.body["error"]["type"] == "memory_precondition_failed_error"
    current = client.beta.memory_stores.memories.retrieve("mem_notes", memory_store_id=STORE_ID)
    assert current.content == "- written by another agent\n"
    versions = list(client.beta.memory_stores.memory_versions.list(STORE_ID, memory_id="mem_notes"))
    assert [v.created_by and v.created_by.type for v in versions] == ["session_actor", None]


def test_a_delete_needs_the_current_sha_when_one_is_given(api):
    client = make_client(api, max_retries=0)
    memories = client.beta.memory_stores.memories
    with pytest.raises(anthropic.ConflictError):
        memories.delete("mem_user", memory_store_id=STORE_ID, expected_content_sha256=sha("stale"))
    deleted = memories.delete(
        "mem_user", memory_store_id=STORE_ID, expected_content_sha256=sha("Name: Ada")
    )
    assert (deleted.id, deleted.type) == ("mem_user", "memory_deleted")
    with pytest.raises(anthropic.NotFoundError):
        memories.retrieve("mem_user", memory_store_id=STORE_ID)


def test_creating_a_memory_at_a_taken_path_is_a_path_conflict(api):
    client = make_client(api, max_retries=0)
    created = client.beta.memory_stores.memories.create(STORE_ID, path="/new.md", content="fresh")
    assert created.content is None and created.content_size_bytes == 5
    with pytest.raises(anthropic.ConflictError) as raised:
        client.beta.memory_stores.memories.create(STORE_ID, path="/new.md", content="again")
    assert raised.value.body["error"]["type"] == "memory_path_conflict_error"


# --------------------------------------------------------------------------- sessions


def test_sessions_can_be_listed_and_retrieved(client):
    sessions = list(client.beta.sessions.list())
    assert {s.id for s in sessions} == {"sesn_one", "sesn_two"}
    session = client.beta.sessions.retrieve("sesn_one")
    assert (session.type, session.title, session.status) == ("session", "Session sesn_one", "idle")


def test_session_events_are_paginated_with_next_page_cursors(api, client):
    page = client.beta.sessions.events.list("sesn_one", limit=2)
    assert [e.id for e in page.data] == ["evt_sesn_one_0", "evt_sesn_one_1"] and page.next_page
    everything = list(client.beta.sessions.events.list("sesn_one", limit=2))
    assert [e.id for e in everything] == [f"evt_sesn_one_{i}" for i in range(5)]
    assert [r.query.get("page") for r in api.requests[-3:]] == [None, "cursor_2", "cursor_4"]
    only_users = list(client.beta.sessions.events.list("sesn_one", types=["user.message"]))
    assert [e.type for e in only_users] == ["user.message"] * 3


# --------------------------------------------------------------------------- dreams


def test_a_dream_goes_pending_running_completed_and_its_output_store_is_readable(api, client):
    dream = client.beta.dreams.create(inputs=dream_inputs(), model=MODEL, instructions="Tidy up.")
    assert (dream.status, dream.outputs, dream.model.id, dream.output_behavior.type) == (
        "pending",
        [],
        MODEL,
        "create_new",
    )
    assert (
        dream.usage.input_tokens == 0
        and api.requests[-1].headers["anthropic-beta"] == "dreaming-2026-04-21"
    )

    running = client.beta.dreams.retrieve(dream.id)
    assert running.status == "running" and running.session_id and running.usage.input_tokens > 0

    done = client.beta.dreams.retrieve(dream.id)
    assert done.status == "completed" and done.ended_at is not None and done.error is None
    output_id = done.outputs[0].memory_store_id
    assert output_id != STORE_ID and done.usage.output_tokens > 0
    contents = {
        m.path: m.content for m in client.beta.memory_stores.memories.list(output_id, view="full")
    }
    assert contents == {
        "/projects/app/notes.md": NOTES,
        "/projects/app/style.md": "- prefer small PRs\n",  # duplicate bullet dropped
        "/user/profile.md": "Name: Ada",
    }  # and the /scratch/ memory is gone
    assert len(api.memories(STORE_ID)) == 4  # the input store is untouched


def test_a_custom_transform_can_update_the_input_store_in_place(api, client):
    api.dream_polls_to_finish = 1
    api.dream_transform = lambda memories, sessions, instructions: [
        {
            "path": "/summary.md",
            "content": f"{len(memories)} memories, {len(sessions)} sessions, {instructions}",
        }
    ]
    dream = client.beta.dreams.create(
        inputs=dream_inputs(["sesn_two"]),
        model={"id": MODEL, "speed": "standard"},
        instructions="merge",
        output_behavior={"type": "update_existing", "memory_store_id": STORE_ID},
    )
    done = client.beta.dreams.retrieve(dream.id)
    assert done.status == "completed" and done.outputs[0].memory_store_id == STORE_ID
    assert [(m["path"], m["content"]) for m in api.memories(STORE_ID)] == [
        ("/summary.md", "4 memories, 1 sessions, merge")
    ]


def test_a_dream_configured_to_fail_ends_failed_with_that_error(api, client):
    api.dream_fail_with = ("timeout", "The dream ran out of time.")
    dream = client.beta.dreams.create(inputs=dream_inputs(), model=MODEL)
    client.beta.dreams.retrieve(dream.id)
    failed = client.beta.dreams.retrieve(dream.id)
    assert failed.status == "failed" and failed.outputs == []
    assert (failed.error.type, failed.error.message) == ("timeout", "The dream ran out of time.")


def test_a_canceled_dream_stays_canceled_and_can_then_be_archived(api):
    client = make_client(api, max_retries=0)
    dream = client.beta.dreams.create(inputs=dream_inputs(), model=MODEL)
    with pytest.raises(anthropic.BadRequestError, match="cancel it"):
        client.beta.dreams.archive(dream.id)
    canceled = client.beta.dreams.cancel(dream.id)
    assert canceled.status == "canceled" and canceled.ended_at is not None
    assert client.beta.dreams.retrieve(dream.id).status == "canceled"
    assert client.beta.dreams.archive(dream.id).archived_at is not None
    assert list(client.beta.dreams.list()) == []
    assert [
        d.id for d in client.beta.dreams.list(include_archived=True, statuses=["canceled"])
    ] == [dream.id]


def test_a_dream_over_more_than_100_sessions_is_rejected_naming_the_limit(api, client):
    with pytest.raises(anthropic.BadRequestError, match="between 1 and 100") as raised:
        client.beta.dreams.create(
            inputs=dream_inputs([f"sesn_{i}" for i in range(101)]), model=MODEL
        )
    assert raised.value.body["error"]["type"] == "invalid_request_error"


def test_dream_instructions_longer_than_4096_characters_are_rejected(client):
    with pytest.raises(anthropic.BadRequestError, match="4096"):
        client.beta.dreams.create(inputs=dream_inputs(), model=MODEL, instructions="x" * 4097)


# --------------------------------------------------------------------------- protocol


def test_a_beta_endpoint_called_without_its_beta_header_is_rejected_naming_the_beta(client):
    with pytest.raises(anthropic.BadRequestError, match="dreaming-2026-04-21"):
        client.get("/v1/dreams", cast_to=object)
    with pytest.raises(anthropic.BadRequestError, match="agent-memory-2026-07-22"):
        client.get(f"/v1/memory_stores/{STORE_ID}/memories", cast_to=object)
    with pytest.raises(anthropic.BadRequestError, match="managed-agents-2026-04-01"):
        client.get("/v1/sessions", cast_to=object)


def test_a_request_without_an_api_key_gets_401_authentication_error(api):
    status, body = raw_request(api, "POST", "/v1/messages", {"anthropic-version": "2023-06-01"})
    assert status == 401 and body["error"]["type"] == "authentication_error"


def test_an_unknown_path_answers_404_not_found_error(api):
    status, body = raw_request(
        api, "GET", "/v1/nope", {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    assert status == 404 and body["type"] == "error" and body["error"]["type"] == "not_found_error"
