"""The platform engine through the real anthropic SDK against a local fake of the API (real HTTP)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import anthropic
import pytest

from workbench.dream import Plan, apply_operations, dream
from workbench.dream.check import check
from workbench.dream.platform import list_dreams, plan_from_stores, run_dream
from workbench.errors import EngineError, LimitError
from workbench.focus import Focus
from workbench.io import load_corpus
from workbench.io.platform import pull, pull_sessions, pull_store
from workbench.push import push
from workbench.records import Corpus, Session, Store, Turn, parse_time

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import FakeAnthropic, default_dream_transform  # noqa: E402

STORE = "memstore_team"
STYLE = "# Style\n\n- run tests before pushing\n- prefer small PRs\n"
NOTES = "# Notes\n\n- use uv for installs\n- run tests before pushing\n"
BETAS = {"/v1/memory_stores": "agent-memory-2026-07-22", "/v1/sessions": "managed-agents-2026-04-01",
         "/v1/dreams": "dreaming-2026-04-21"}


def store_export() -> dict:
    def memory(mid: str, path: str, content: str) -> dict:
        return {"id": mid, "path": path, "content": content,
                "created_at": "2026-04-01T10:00:00Z", "updated_at": "2026-04-01T10:00:00Z"}

    return {"type": "memory_store", "id": STORE, "name": "team notes", "memories": [
        memory("mem_notes", "/projects/app/notes.md", NOTES),
        memory("mem_style", "/projects/app/style.md", STYLE),
        memory("mem_tmp", "/projects/app/scratch/tmp.md", "half-finished thought\n"),
        memory("mem_user", "/user/profile.md", "Name: Ada\n"),
    ]}


def session_export(session_id: str, day: int) -> dict:
    at = f"2026-04-{day:02d}T09:00:"
    events = [
        {"id": f"evt_{session_id}_0", "type": "user.message", "processed_at": at + "00Z",
         "content": [{"type": "text", "text": "Please use uv to install the dependencies."}]},
        {"id": f"evt_{session_id}_1", "type": "agent.tool_use", "processed_at": at + "01Z", "name": "bash",
         "input": {"command": "uv sync"}},
        {"id": f"evt_{session_id}_2", "type": "agent.tool_result", "processed_at": at + "02Z",
         "tool_use_id": f"evt_{session_id}_1", "content": [{"type": "text", "text": "Resolved 12 packages"}]},
        {"id": f"evt_{session_id}_3", "type": "agent.message", "processed_at": at + "03Z",
         "content": [{"type": "text", "text": "Done: dependencies installed with uv."}]},
    ]
    return {"type": "session", "id": session_id, "created_at": at + "00Z", "title": f"Setup {day}",
            "resources": [{"type": "memory_store", "memory_store_id": STORE}], "events": events}


def with_insight(memories: list, sessions: list, instructions: str | None) -> list:
    """The fake's default dream (drop /scratch/, drop repeated bullets) plus one new memory."""
    return [*default_dream_transform(memories, sessions, instructions),
            {"path": "/insights/tooling.md", "content": "# Tooling\n\n- Install dependencies with uv.\n"}]


@pytest.fixture
def api():
    with FakeAnthropic() as fake:
        fake.add_store(store_export())
        fake.add_store({"type": "memory_store", "id": "memstore_big", "name": "big", "memories": [
            {"path": f"/facts/{i:02d}.md", "content": f"- fact {i}\n"} for i in range(25)]})
        for day, sid in ((2, "sesn_one"), (3, "sesn_two")):
            fake.add_session(session_export(sid, day))
        fake.dream_transform = with_insight
        fake.dream_polls_to_finish = 2
        yield fake


@pytest.fixture
def client(api):
    return anthropic.Anthropic(api_key="test-key", base_url=api.base_url, max_retries=2,
                               _strict_response_validation=True)


@pytest.fixture
def pulled(client, tmp_path) -> Corpus:
    return pull(client, STORE, tmp_path / "pulled")


def run(corpus, client, focus=None, **options):
    return dream(corpus, focus or Focus("Merge repeated notes; drop scratch files."), engine="platform",
                 client=client, poll_interval=0, progress=False, **options)


def test_pull_writes_a_store_and_sessions_that_load_corpus_reads_back_unchanged(client, tmp_path):
    corpus = pull(client, STORE, tmp_path)
    assert load_corpus(tmp_path / "store.json", tmp_path / "sessions") == corpus
    assert corpus.store.id == STORE and corpus.store.by_path["/projects/app/style.md"].content == STYLE
    assert len(corpus.store.versions) == 4
    assert [s.id for s in corpus.sessions] == ["sesn_one", "sesn_two"]  # the sessions that mount the store
    turns = corpus.sessions[0].turns
    assert [t.role for t in turns] == ["user", "tool", "tool", "agent"]
    assert turns[1].text == 'bash: {"command": "uv sync"}' and turns[0].id == "evt_sesn_one_0"
    assert pull_sessions(client, ["sesn_two"]) == [corpus.sessions[1]]


def test_pull_store_follows_pages_of_full_memories(client):
    assert len(pull_store(client, "memstore_big").memories) == 25  # full view pages hold 20


def test_a_dream_runs_to_a_plan_of_created_deleted_and_modified_memories(api, client, pulled):
    plan = run(pulled, client)
    assert (plan.engine, plan.model) == ("platform", "claude-sonnet-4-6")
    create = next(r for r in api.requests if r.path == "/v1/dreams" and r.method == "POST").json
    assert create["instructions"] == "Merge repeated notes; drop scratch files."
    assert create["inputs"][1] == {"type": "sessions", "session_ids": ["sesn_one", "sesn_two"]}
    by_path = {(op.result.path, op.kind): op for op in plan.operations}
    assert set(by_path) == {("/insights/tooling.md", "create"), ("/projects/app/scratch/tmp.md", "delete"),
                            ("/projects/app/style.md", "update")}
    modified = by_path["/projects/app/style.md", "update"]
    assert [t.text for t in modified.targets] == ["run tests before pushing"]  # the fact that changed
    assert modified.targets[0].id == "mem_style#0" and modified.result.whole_memory
    assert all(op.result.whole_memory for op in plan.operations)
    output = {m["path"]: m["content"] for m in api.memories(plan.inputs["output_store_id"])}
    applied = apply_operations(pulled.store, plan.operations)
    assert {m.path: m.content for m in applied.memories} == output
    assert {m.path: m.content for m in plan.output_store.memories} == output
    assert plan.usage["total"]["input_tokens"] > 0 and plan.inputs["dream_id"].startswith("drm_")
    assert Plan.from_json(plan.to_json()).operations == plan.operations  # review and export read it back


def test_a_dry_run_sends_nothing_and_shows_the_dream_it_would_create(api, client, pulled):
    api.requests.clear()
    plan = run(pulled, client, dry_run=True)
    assert api.requests == [] and plan.operations == []
    (call,) = plan.usage["calls"]
    assert call["body"]["inputs"][1]["session_ids"] == ["sesn_one", "sesn_two"]
    assert plan.usage["total"]["input_tokens"] > 0 and plan.notes[0].startswith("dry run: nothing was sent")


def test_changes_the_focus_protects_are_dropped_from_the_plan_and_named(client, pulled):
    focus = Focus("Never touch /projects/app/style.md.")
    plan = run(pulled, client, focus)
    assert check(plan, focus) == []
    assert "/projects/app/style.md" not in {op.result.path for op in plan.operations}
    assert any(n.startswith("dropped op_") for n in plan.notes)


def test_a_failed_dream_raises_an_engine_error_naming_the_apis_error(api, client, pulled):
    api.dream_fail_with = ("model_error", "The model could not finish.")
    with pytest.raises(EngineError, match=r"dream drm_\w+ failed: model_error: The model could not finish\."):
        run(pulled, client)


def test_an_interrupted_dream_is_canceled_on_the_platform(api, client):
    api.dream_polls_to_finish = 100

    def interrupt(dream):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_dream(client, STORE, ["sesn_one"], None, poll_interval=0, progress=False, on_poll=interrupt)
    assert list_dreams(client)[0]["status"] == "canceled"
    assert any(r.path.endswith("/cancel") for r in api.requests)


def test_a_dream_that_outlives_its_timeout_is_canceled_and_reported(api, client):
    api.dream_polls_to_finish = 10_000
    with pytest.raises(EngineError, match=r"did not finish within 0.05 s; it was canceled"):
        run_dream(client, STORE, ["sesn_one"], "Tidy up.", poll_interval=0.01, timeout=0.05, progress=False)
    assert list_dreams(client)[0]["status"] == "canceled"


def test_more_than_100_sessions_is_a_limit_error_that_says_how_to_select(api, client, pulled):
    start = parse_time("2026-01-01T00:00:00Z")
    many = tuple(Session(f"sesn_{i:03d}", start.replace(minute=i % 60, hour=i // 60), "s",
                         (Turn(f"t{i}", f"sesn_{i:03d}", "user", "hello", start, 0),)) for i in range(101))
    with pytest.raises(LimitError, match=r"101 sessions given; a dream reads at most 100.*--max-sessions 100"):
        run(Corpus(pulled.store, many), client)
    with pytest.raises(LimitError, match="--session-ids"):
        run_dream(client, STORE, [s.id for s in many], progress=False)
    assert not any(r.path.startswith("/v1/dreams") for r in api.requests)


def test_a_corpus_without_a_platform_store_id_is_refused_with_how_to_pull_one(client, pulled):
    with pytest.raises(EngineError, match="workbench pull STORE_ID --out DIR"):
        run(Corpus(replace(pulled.store, id=None), pulled.sessions), client)


def test_push_with_matching_preconditions_writes_the_approved_changes(api, client, pulled):
    plan = run(pulled, client)
    report = push(client, STORE, plan, [op.id for op in plan.operations], pulled.store)
    assert report.ok and {e["action"] for e in report.written} == {"create", "delete", "update"}
    after = {m["path"]: m["content"] for m in api.memories(STORE)}
    assert after == {m.path: m.content for m in plan.output_store.memories}
    update = next(r for r in api.requests if r.method == "POST" and r.path.endswith("/memories/mem_style"))
    assert update.json["precondition"] == {"type": "content_sha256",
                                           "content_sha256": pulled.store.by_path["/projects/app/style.md"].sha256}


def test_push_after_an_agent_wrote_reports_a_conflict_and_keeps_the_agents_content(api, client, pulled):
    plan = run(pulled, client)
    agent = "# Style\n\n- run tests before pushing\n- squash before merging\n"
    api.set_memory_content(STORE, "mem_style", agent)
    report = push(client, STORE, plan, plan.operations, pulled.store)
    assert [(e["path"], e["action"]) for e in report.conflicted] == [("/projects/app/style.md", "update")]
    assert "changed on the platform since it was pulled (HTTP 409" in report.conflicted[0]["detail"]
    assert len(report.written) == 2 and not report.failed
    assert {m["path"]: m["content"] for m in api.memories(STORE)}["/projects/app/style.md"] == agent
    writes = [r for r in api.requests if r.method == "POST" and r.path.endswith("/memories/mem_style")]
    assert len(writes) == 1  # a failed precondition is final, not retried


def test_every_request_carries_the_beta_header_of_its_endpoint(api, client, pulled):
    plan = run(pulled, client)
    push(client, STORE, plan, plan.operations, pulled.store)
    seen = set()
    for request in api.requests:
        family = next(prefix for prefix in BETAS if request.path.startswith(prefix))
        assert BETAS[family] in request.headers["anthropic-beta"].split(","), request.path
        seen.add(family)
    assert seen == set(BETAS)


def test_plan_from_stores_needs_no_client_and_an_unchanged_store_gives_no_operations(pulled):
    assert plan_from_stores(pulled.store, pulled.store).operations == []
    emptied = Store(tuple(m for m in pulled.store.memories if m.path != "/user/profile.md"), id="x")
    (op,) = plan_from_stores(pulled.store, emptied).operations
    assert (op.kind, [t.text for t in op.targets]) == ("delete", ["Name: Ada"])
