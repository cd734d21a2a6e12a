"""API faults, through the real anthropic SDK against the local fake server (127.0.0.1 only).

A long `retry-after` is not waited for; a 200 that is not a message is a failed batch (retried
once, then reported); the claude engine fails when every batch failed; a malformed poll cancels
the dream; a write that timed out but landed is a success; a server-chosen name cannot escape.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import anthropic
import pytest
from fake_api import FakeAnthropic
from reliability import assert_one_line_error, cli, platform_session
from test_engine_claude import coding_corpus, judge
from test_engine_platform import STORE, session_export, store_export

from workbench import api as workbench_api
from workbench.analysis import analyze
from workbench.dream import dream
from workbench.dream.platform import run_dream
from workbench.errors import EngineError
from workbench.focus import Focus
from workbench.io import write_store
from workbench.io.platform import pull
from workbench.push import push

MALFORMED = {
    "malformed JSON": (b'{"id": "msg_1", "type": "message", "content": [', "application/json"),
    "HTML": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "an empty body": (b"", "application/json"),
    "a JSON list": (b"[1, 2, 3]", "application/json"),
}


@pytest.fixture(scope="module")
def corpus():
    return coding_corpus()


@pytest.fixture(scope="module")
def analysis(corpus):
    return analyze(corpus, "tfidf")


@pytest.fixture
def api():
    with FakeAnthropic() as fake:
        fake.messages_responder = judge
        fake.add_store(store_export())
        for day, sid in ((2, "sesn_one"), (3, "sesn_two")):
            fake.add_session(session_export(sid, day))
        fake.dream_polls_to_finish = 2
        yield fake


def client_for(api, **options) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="test-key", base_url=api.base_url, **{"max_retries": 2, **options})


def claude(corpus, analysis, api, **options):
    return dream(corpus, Focus(), engine="claude", analysis=analysis, client=client_for(api), batch_size=3, **options)


def env_for(api) -> dict[str, str]:
    return {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.base_url, "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1"}


# --- the one retry policy (workbench.api.call) ---------------------------------------------------


def ask(client):
    return client.messages.create(model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
def waits(monkeypatch):
    """The waits between attempts, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(workbench_api, "time", SimpleNamespace(sleep=slept.append))
    return slept


def test_transient_errors_are_retried_with_backoff_doubling_from_half_a_second_up_to_8(api, waits):
    api.messages_responder = lambda request: {"content": [{"type": "text", "text": "hello"}]}
    api.inject("/v1/messages", 500, times=6)
    answer = workbench_api.call(ask, client_for(api), retries=6)
    assert answer.content and waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len([r for r in api.requests if r.path == "/v1/messages"]) == 7


def test_a_retry_after_is_waited_as_asked_and_the_attempts_are_the_clients_max_retries(api, waits):
    api.inject("/v1/messages", 429, headers={"retry-after": "3"}, times=1)
    api.inject("/v1/messages", 529, headers={"retry-after-ms": "250"}, times=1)
    api.inject("/v1/messages", 500, times=1)
    with pytest.raises(anthropic.InternalServerError):
        workbench_api.call(ask, client_for(api, max_retries=2))
    assert waits == [3.0, 0.25]
    assert len([r for r in api.requests if r.path == "/v1/messages"]) == 3


def test_an_error_that_is_not_transient_is_not_retried(api, waits):
    api.inject("/v1/messages", 400, times=3)
    with pytest.raises(anthropic.BadRequestError):
        workbench_api.call(ask, client_for(api))
    assert waits == [] and len([r for r in api.requests if r.path == "/v1/messages"]) == 1


# --- the claude engine ------------------------------------------------------------------------


@pytest.mark.timeout(120)  # waiting the hour asked for would hang here
def test_a_retry_after_of_an_hour_is_not_waited_for_and_the_other_batches_are_kept(corpus, analysis, api):
    api.inject("/v1/messages", 429, headers={"retry-after": "3600"})
    plan = claude(corpus, analysis, api)
    assert plan.notes[0].startswith("batch 1 of") and "asked to wait 3600 s" in plan.notes[0]
    assert plan.operations  # the batches after the first were judged


@pytest.mark.parametrize("case", MALFORMED)
def test_a_200_that_is_not_a_message_is_retried_once(corpus, analysis, api, case):
    body, content_type = MALFORMED[case]
    api.inject("/v1/messages", body=body, content_type=content_type, times=1)
    plan = claude(corpus, analysis, api)
    assert not [n for n in plan.notes if "failed" in n]
    assert plan.operations


@pytest.mark.parametrize("case", MALFORMED)
def test_a_200_that_is_not_a_message_twice_is_a_failed_batch_reported_in_the_plan(corpus, analysis, api, case):
    body, content_type = MALFORMED[case]
    api.inject("/v1/messages", body=body, content_type=content_type, times=2)
    plan = claude(corpus, analysis, api)
    (failed,) = [n for n in plan.notes if "failed" in n]
    assert failed.startswith("batch 1 of") and "unreadable answer twice" in failed
    assert plan.operations


def test_when_every_batch_fails_the_engine_raises(corpus, analysis, api):
    api.inject("/v1/messages", body=b"<html>down</html>", content_type="text/html", times=1000)
    with pytest.raises(EngineError, match="every batch failed"):
        claude(corpus, analysis, api)


def test_when_every_batch_fails_the_cli_exits_non_zero_with_one_line(api, tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    store = write_store(coding_corpus().store, tmp_path / "store.json", "json")
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    for number, session in enumerate(coding_corpus().sessions, start=1):
        platform_session(sessions, number, [t.text for t in session.turns if t.role == "user"], 330 + number)
    for name, value in env_for(api).items():
        monkeypatch.setenv(name, value)
    api.inject("/v1/messages", 400, times=1000, message="Injected: every request is refused.")
    code = main(["dream", str(store), "--sessions", str(sessions), "--engine", "claude",
                 "--out", str(tmp_path / "plan.json")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "every batch failed" in err, err
    assert not (tmp_path / "plan.json").exists()


# --- the platform engine ----------------------------------------------------------------------


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_poll_is_an_error_and_the_dream_is_canceled(api, case):
    body, content_type = MALFORMED[case]
    api.inject("/v1/dreams/*", body=body, content_type=content_type, method="GET")
    with pytest.raises(EngineError, match="the dream was canceled"):
        run_dream(client_for(api), STORE, ["sesn_one"], poll_interval=0, progress=False)
    cancels = [r for r in api.requests if r.path.endswith("/cancel")]
    assert len(cancels) == 1
    assert client_for(api).beta.dreams.retrieve(cancels[0].path.split("/")[3]).status == "canceled"


def test_a_malformed_create_is_an_error(api):
    api.inject("/v1/dreams", body=b"<html>oops</html>", content_type="text/html", method="POST")
    with pytest.raises(EngineError, match="create a dream"):
        run_dream(client_for(api), STORE, ["sesn_one"], poll_interval=0, progress=False)


@pytest.mark.timeout(120)  # waiting the hour asked for would hang here
def test_a_pull_that_meets_a_long_retry_after_fails_at_once(api, tmp_path):
    api.inject("/v1/memory_stores/*", 429, headers={"retry-after": "3600"}, method="GET")
    with pytest.raises(EngineError, match="asked to wait 3600 s"):
        pull(client_for(api), STORE, tmp_path / "pulled")
    assert not (tmp_path / "pulled").exists()


@pytest.mark.slow
def test_a_session_id_from_the_server_cannot_write_outside_out(api, tmp_path):
    escaped = session_export("sesn_one", 2) | {"id": "../../ESCAPED"}
    api.inject("/v1/sessions/sesn_one", body=json.dumps(escaped).encode(), method="GET", times=10)
    out = tmp_path / "deep" / "er" / "pulled"
    proc = cli("pull", STORE, "--out", out, env=env_for(api))
    assert_one_line_error(proc, "cannot be a file name", "separator")
    assert not list(tmp_path.rglob("ESCAPED*")) and not out.exists()


@pytest.mark.parametrize("action", ["create", "update"])
def test_a_write_that_timed_out_but_landed_is_written_not_a_conflict(api, action, tmp_path):
    client = client_for(api, timeout=0.5)
    corpus = pull(client, STORE, tmp_path / "pulled")
    from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations

    style = corpus.store.by_path["/projects/app/style.md"]
    op = (Operation("create", "insight", (), Result("/insights/uv.md", "- Install with uv.\n", whole_memory=True),
                    "Stated in two sessions.") if action == "create" else
          Operation("update", "conflict", (Target(style.id, style.path, style.content),),
                    Result(style.path, style.content + "- squash before merging\n", whole_memory=True), "Newer."))
    plan = Plan("hand", "0", Focus(), {"store_digest": corpus.store.digest}, [op],
                apply_operations(corpus.store, [op]))
    method = "POST"
    path = "/v1/memory_stores/*/memories" if action == "create" else "/v1/memory_stores/*/memories/*"
    api.inject(path, method=method, delay_after=1.5)  # lands, then answers after the client gave up
    report = push(client, STORE, plan, [op.id], corpus.store)
    assert report.ok and len(report.written) == 1, report.to_dict()
    if action == "create":  # the retry met our own memory: 409, and the content_sha256 says it is ours
        assert "already holds this content" in report.written[0]["detail"]
    target = op.result.path
    assert [m["content"] for m in api.memories(STORE) if m["path"] == target] == [op.result.text]
