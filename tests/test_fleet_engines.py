"""The claude and platform engines at fleet scale: the real anthropic SDK on a local Dask cluster,
against the local fake of the API (real HTTP): one Message Batch for many stores, answers matched
by custom id and failures retried one by one; platform dreams under a fleet-wide limit, chained
past 100 sessions, failed and canceled dreams reported with what they wrote."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anthropic
import pytest
from builders import SAMPLE, coding_store
from fake_api import FakeAnthropic
from test_engine_claude import candidates_of
from test_engine_claude import judge as careful_judge

from workbench.api import estimate_batch_cost, estimate_cost
from workbench.dream.claude import prepare
from workbench.dream.plan import Plan
from workbench.dream.platform import chain_sessions
from workbench.fleet import connect_cluster, run_fleet
from workbench.fleet.batches import run_message_batches, submit
from workbench.focus import Focus
from workbench.io import load_corpus, write_store
from workbench.io.platform import pull
from workbench.io.store_json import store_json
from workbench.records import Session

MODEL = "claude-sonnet-4-6"
LEGAL_WORDS = ("Harborline", "Hartwell", "Brightwater")


def judge(request: dict) -> dict:
    """The careful reviewer; but in a Message Batch (a first, one-message request) it gives a legal
    store's first candidate a confidence of 7, which the engine must catch and retry on its own."""
    answer = careful_judge(request)
    text = json.dumps(candidates_of(request))
    if len(request["messages"]) == 1 and any(w in text for w in LEGAL_WORDS):
        answer["content"][0]["input"]["verdicts"][0]["confidence"] = 7
    return answer


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The fake API, the SDK's configuration pointing at it, and a local cluster started after."""
    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")}
    with FakeAnthropic() as api:
        os.environ.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=api.base_url)
        try:
            with connect_cluster(workers=2, threads=2, retries=0) as client:
                yield api, client
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def api(world):
    api = world[0]
    api.requests.clear()
    yield api
    api.messages_responder, api.batch_outcome = judge, None
    api.dream_fail_with = api.dream_cancel_if = None


def _manifest(folder: Path, lines: list[dict]) -> Path:
    path = folder / "manifest.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def claude_fleet(tmp_path_factory) -> Path:
    """Three stores: the coding store, the legal sample store, and the coding store with a fact more."""
    folder = tmp_path_factory.mktemp("claude-fleet")
    (folder / "coding.json").write_text(store_json(coding_store()), encoding="utf-8")
    write_store(load_corpus(SAMPLE / "legal-research" / "store.json").store, folder / "legal", "dir")
    data = json.loads(store_json(coding_store()))
    data["memories"][0]["content"] += "- Pair on every migration.\n"
    (folder / "coding2.json").write_text(json.dumps(data), encoding="utf-8")
    return _manifest(folder, [{"id": "coding", "store": "coding.json"}, {"id": "legal", "store": "legal"},
                              {"id": "coding2", "store": "coding2.json"}])


def _claude(manifest: Path, out: Path, world, **options):
    return run_fleet(manifest, Focus("Prioritize coding conventions"), engine="claude", out=out,
                     address=world[1].scheduler.address, batch_size=2, poll_interval=0.01, progress=False,
                     **options).set_index("id")


def _plan(out: Path, row) -> Plan:
    return Plan.from_json((out / row["plan"]).read_text())


# --- claude: one Message Batch for the whole fleet -------------------------------------------------


@pytest.mark.slow
def test_one_message_batch_carries_every_stores_requests_and_answers_come_back_by_custom_id(
        world, api, claude_fleet, tmp_path):
    api.messages_responder = judge
    api.batch_outcome = lambda custom_id, params: "errored" if custom_id == "s0-b2" else None
    out = tmp_path / "out"
    rows = _claude(claude_fleet, out, world)
    assert rows["error"].isna().all(), rows["error"].tolist()

    (create,) = [r for r in api.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
    sent = {item["custom_id"]: item["params"] for item in create.json["requests"]}
    expected = {}
    for index, name in enumerate(["coding.json", "legal", "coding2.json"]):  # what prepare() builds here
        prepared = prepare(load_corpus(claude_fleet.parent / name), Focus("Prioritize coding conventions"),
                           batch_size=2)
        expected.update({f"s{index}-b{number}": request for number, request in enumerate(prepared.requests, start=1)})
    assert sent == expected and {"s0-b1", "s0-b2", "s1-b1"} <= set(sent)

    alone = sorted((r.json for r in api.requests if r.path == "/v1/messages"), key=lambda b: len(b["messages"]))
    legal = sorted(k for k in sent if k.startswith("s1-")  # each legal batch naming a legal word: malformed once
                   and any(w in json.dumps(candidates_of(sent[k])) for w in LEGAL_WORDS))
    assert legal and len(alone) == 1 + len(legal)  # the errored request, and each malformed answer with what was wrong
    assert alone[0] == sent["s0-b2"]
    retries = [a["messages"] for a in alone[1:]]
    assert all(len(r) == 3 and r[-1]["content"][0]["is_error"] is True for r in retries)
    assert all("confidence" in r[-1]["content"][0]["content"] for r in retries)
    assert sorted(r[0] == sent[k]["messages"][0] for r in retries for k in legal).count(True) == len(legal)

    for store_id, row in rows.iterrows():
        plan = _plan(out, row)
        assert plan.notes == [] and plan.operations, store_id
        assert all("evidence is clear" in op.rationale for op in plan.operations)
        calls = plan.usage["calls"]
        for call in calls:
            usage = {k: call[k] for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                                          "cache_read_input_tokens")}
            price = estimate_batch_cost if call["via"] == "message_batch" else estimate_cost
            assert call["cost_usd"] == price(MODEL, usage)
        assert row["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in calls), abs=1e-6)
        assert row["input_tokens"] == sum(c["input_tokens"] for c in calls)
    coding = _plan(out, rows.loc["coding"]).usage["calls"]
    batches = sorted(int(k.split("-b")[1]) for k in sent if k.startswith("s0-"))  # the coding store's batches
    assert sorted((c["batch"], c["via"]) for c in coding) == [(n, "retry" if n == 2 else "message_batch") for n in batches]
    assert api.batch_usage_total["input_tokens"] == sum(
        c["input_tokens"] for _, row in rows.iterrows() for c in _plan(out, row).usage["calls"]
        if c["via"] == "message_batch")


@pytest.mark.slow
def test_the_same_fleet_one_call_per_batch_makes_the_same_plans_and_sends_no_message_batch(
        world, api, claude_fleet, tmp_path):
    api.messages_responder = careful_judge
    batched = _claude(claude_fleet, tmp_path / "batched", world)
    calls_before = len([r for r in api.requests if r.path == "/v1/messages"])
    direct = _claude(claude_fleet, tmp_path / "direct", world, message_batches=False)
    assert len([r for r in api.requests if r.path == "/v1/messages/batches"]) == 1
    batches = sum(len(prepare(load_corpus(claude_fleet.parent / name), Focus("Prioritize coding conventions"),
                              batch_size=2).requests) for name in ["coding.json", "legal", "coding2.json"])
    assert len([r for r in api.requests if r.path == "/v1/messages"]) - calls_before == batches
    for store_id in batched.index:
        a, b = _plan(tmp_path / "batched", batched.loc[store_id]), _plan(tmp_path / "direct", direct.loc[store_id])
        assert [op.id for op in a.operations] == [op.id for op in b.operations]
        assert batched.loc[store_id, "cost_usd"] < direct.loc[store_id, "cost_usd"]


@pytest.mark.slow
def test_a_message_batch_that_cannot_be_created_is_each_waiting_stores_error(world, api, claude_fleet, tmp_path):
    api.messages_responder = careful_judge
    api.inject("/v1/messages/batches", 400, method="POST", message="requests: too large")
    rows = _claude(claude_fleet, tmp_path / "out", world)
    assert set(rows["error"]) == {"create a Message Batch: HTTP 400 invalid_request_error: requests: too large"}


@pytest.mark.slow
def test_a_stopped_fleet_collects_the_batches_it_created_instead_of_sending_them_again(api, tmp_path):
    client = anthropic.Anthropic(api_key="test-key", base_url=api.base_url)
    api.messages_responder = careful_judge
    prepared = prepare(load_corpus(SAMPLE / "legal-research" / "store.json"), batch_size=1)
    items = [(f"s0-b{i}", r) for i, r in enumerate(prepared.requests, start=1)]
    state = tmp_path / "message-batches.json"
    ids = submit(client, items, state)  # ... and the fleet stopped here
    answers = run_message_batches(client, items, state=state, poll_interval=0.01, progress=False)
    assert len([r for r in api.requests if r.method == "POST" and r.path == "/v1/messages/batches"]) == 1
    assert json.loads(state.read_text())["batches"] == ids
    assert set(answers) == {cid for cid, _ in items} and all(isinstance(a, dict) for a in answers.values())
    other = run_message_batches(client, items[:1], state=state, poll_interval=0.01, progress=False)
    assert set(other) == {"s0-b1"}  # other requests: a new batch
    assert len([r for r in api.requests if r.method == "POST" and r.path == "/v1/messages/batches"]) == 2


# --- platform: a fleet-wide limit, chains past 100 sessions -----------------------------------------

T0 = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)


def _session(session_id: str, store_id: str, day: int) -> dict:
    at = (T0 + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": "session", "id": session_id, "created_at": at, "title": f"Session {day}",
            "resources": [{"type": "memory_store", "memory_store_id": store_id}],
            "events": [{"id": f"evt_{session_id}", "type": "user.message", "processed_at": at,
                        "content": [{"type": "text", "text": f"Please use uv to install packages ({day})."}]}]}


def _store(store_id: str) -> dict:
    memory = {"created_at": "2025-12-01T10:00:00Z", "updated_at": "2025-12-01T10:00:00Z"}
    return {"type": "memory_store", "id": store_id, "name": store_id, "memories": [
        {**memory, "id": f"mem_{store_id}_a", "path": "/notes/a.md",
         "content": "# A\n\n- run tests before pushing\n- prefer small PRs\n"},
        {**memory, "id": f"mem_{store_id}_b", "path": "/notes/b.md",
         "content": "# B\n\n- run tests before pushing\n- use uv for installs\n"},
        {**memory, "id": f"mem_{store_id}_c", "path": "/scratch/tmp.md", "content": "half a thought\n"}]}


@pytest.fixture(scope="module")
def platform_fleet(world, tmp_path_factory) -> Path:
    """memstore_long (104 sessions), memstore_x (3) named twice, memstore_y (3), pulled as local files."""
    api, _ = world
    folder = tmp_path_factory.mktemp("platform-fleet")
    client = anthropic.Anthropic(api_key="test-key", base_url=api.base_url)
    lines = []
    for store_id, count in (("memstore_long", 104), ("memstore_x", 3), ("memstore_y", 3)):
        api.add_store(_store(store_id))
        ids = [f"sesn_{store_id[9:]}_{i:03d}" for i in range(count)]
        for day, session_id in enumerate(ids):
            api.add_session(_session(session_id, store_id, day))
        pull(client, store_id, folder / store_id, session_ids=ids)
        lines.append({"id": store_id, "store": f"{store_id}/store.json", "sessions": f"{store_id}/sessions"})
    again = json.loads((folder / "memstore_x" / "store.json").read_text())  # an older local copy, one note more
    again["memories"][0]["content"] += "- squash before merging\n"
    (folder / "x-again.json").write_text(json.dumps(again), encoding="utf-8")
    lines.insert(2, {"id": "memstore_x-again", "store": "x-again.json", "sessions": "memstore_x/sessions",
                     "store_id": "memstore_x"})
    return _manifest(folder, lines)


def _platform(manifest: Path, out: Path, world, **options):
    return run_fleet(manifest, engine="platform", out=out, address=world[1].scheduler.address, concurrency=2,
                     poll_interval=0.01, progress=False, **options).set_index("id")


@pytest.mark.slow
def test_platform_dreams_run_under_a_fleet_wide_limit_one_per_store_and_chain_past_100_sessions(
        world, api, platform_fleet, tmp_path):
    api.dream_polls_to_finish = 6
    api.peak_active_dreams, api.peak_active_dreams_by_store = 0, {}
    rows = _platform(platform_fleet, tmp_path / "out", world)
    assert rows["error"].isna().all(), rows["error"].tolist()
    assert 1 <= api.peak_active_dreams <= 2
    assert api.peak_active_dreams_by_store["memstore_x"] == 1  # named twice, never dreamt twice at once

    first, second = json.loads(rows.loc["memstore_long", "dreams"])
    assert (first["sessions"], second["sessions"]) == (100, 4)
    assert first["input_store_id"] == "memstore_long" and second["input_store_id"] == first["outputs"][0]
    assert (first["first_session"], second["first_session"]) == ("sesn_long_000", "sesn_long_100")
    creates = [r.json for r in api.requests if r.method == "POST" and r.path == "/v1/dreams"
               and r.json["inputs"][0]["memory_store_id"] in ("memstore_long", first["outputs"][0])]
    assert [len(c["inputs"][1]["session_ids"]) for c in creates] == [100, 4]
    plan = Plan.from_json((tmp_path / "out" / rows.loc["memstore_long", "plan"]).read_text())
    assert plan.inputs["dreams"] == [first["id"], second["id"]] and len(plan.inputs["sessions"]) == 104
    assert {op.result.path for op in plan.operations if op.kind == "delete"} == {"/scratch/tmp.md"}
    assert rows.loc["memstore_long", "notes_after"] < rows.loc["memstore_long", "notes_before"]


@pytest.mark.slow
def test_failed_and_canceled_dreams_are_reported_with_what_each_dream_wrote(world, api, platform_fleet, tmp_path):
    originals = {"memstore_long", "memstore_x", "memstore_y"}
    api.dream_fail_with = lambda d: None if d["inputs"][0]["memory_store_id"] in originals \
        else ("overloaded_error", "Try again later.")  # the second dream of the long chain
    api.dream_cancel_if = lambda d: d["inputs"][0]["memory_store_id"] == "memstore_y"
    out = tmp_path / "out"
    rows = _platform(platform_fleet, out, world)
    first, second = json.loads(rows.loc["memstore_long", "dreams"])
    assert (first["status"], second["status"]) == ("completed", "failed")
    assert rows.loc["memstore_long", "error"] == (
        f"dream 2 of 2: dream {second['id']} failed: overloaded_error: Try again later.; dream 1 ({first['id']}, "
        f"completed) wrote {first['outputs'][0]}; dream 2 ({second['id']}, failed) wrote nothing")
    (canceled,) = json.loads(rows.loc["memstore_y", "dreams"])
    assert rows.loc["memstore_y", "error"] == (f"dream 1 of 1: dream {canceled['id']} was canceled; "
                                               f"dream 1 ({canceled['id']}, canceled) wrote nothing")
    assert rows.loc[["memstore_x", "memstore_x-again"], "error"].isna().all()
    assert json.loads((out / "stores" / "memstore_long" / "dreams.json").read_text())[1]["status"] == "failed"
    assert not (out / "stores" / "memstore_long" / "plan.json").exists()


def _sessions(count: int) -> list[Session]:
    return [Session(f"s{i:03d}", T0 + timedelta(days=i), f"s{i}", ()) for i in range(count)]


@pytest.mark.parametrize("focus, runs", [
    (Focus(), [100, 100, 50]),
    (Focus(since="2026-03-12"), [100, 80]),
    (Focus(max_sessions=30), [30]),
    (Focus(session_ids=[f"s{i:03d}" for i in range(0, 250, 2)]), [100, 25]),
])
def test_sessions_past_100_are_read_by_a_chain_of_dreams_oldest_first(focus, runs):
    chunks = chain_sessions(_sessions(250), focus)
    assert [len(c) for c in chunks] == runs
    flat = [s.id for c in chunks for s in c]
    assert flat == sorted(flat)
