"""The claude engine through the real anthropic SDK against a local fake of the API (real HTTP)."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from pathlib import Path

import anthropic
import pytest

from workbench.analysis import analyze
from workbench.api import estimate_cost
from workbench.dream import dream
from workbench.dream.check import check
from workbench.dream.plan import apply_operations
from workbench.errors import EngineError
from workbench.focus import Focus
from workbench.records import Corpus, Memory, Session, Store, Turn, parse_time

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import FakeAnthropic  # noqa: E402

KEY = "test-key"
FAST = {"retry-after-ms": "5"}


def _memory(mid: str, path: str, content: str, at: str) -> Memory:
    return Memory(mid, path, content, parse_time(at), parse_time(at))


def _session(sid: str, at: str, title: str, turns: list[tuple[str, str]]) -> Session:
    start = parse_time(at)
    return Session(sid, start, title, tuple(
        Turn(f"{sid}-t{i}", sid, role, text, start.replace(second=i), i) for i, (role, text) in enumerate(turns)))


def coding_corpus() -> Corpus:
    """A coding assistant's store: a port conflict, a verbatim duplicate, stale journal notes,
    durable but old notes, a value a later session changed, and a preference three sessions
    repeat that no note holds."""
    store = Store((
        _memory("mem_style", "/coding/style.md", "# Coding style\n\n- Use 4 spaces for indentation in Python.\n"
                "- Prefer pytest over unittest for new tests.\n- Run ruff before every commit.\n", "2025-09-01T10:00:00Z"),
        _memory("mem_tools", "/coding/tools.md", "# Tools\n\n- Prefer pytest over unittest for new tests.\n"
                "- The staging database runs on port 5432.\n- Deploys go through GitHub Actions.\n"
                "- The CI pipeline runs on Python 3.11.\n", "2025-10-01T10:00:00Z"),
        _memory("mem_env", "/env/services.md", "# Services\n\n- The staging database runs on port 6543.\n"
                "- Alice owns the billing service.\n", "2026-01-10T10:00:00Z"),
        _memory("mem_log", "/journal/2025-08.md", "# August\n\n- Yesterday we debugged a flaky websocket test "
                "during the outage.\n- Had pizza for lunch with the team.\n- Feature freeze for this sprint: no new "
                "endpoints.\n", "2025-08-05T10:00:00Z"),
        _memory("mem_people", "/people/team.md", "# Team\n\n- Bob reviews all frontend changes.\n", "2025-11-01T10:00:00Z"),
    ), id="memstore_demo", name="demo")
    sessions = (
        _session("sesn_a", "2026-02-01T09:00:00Z", "Release prep", [
            ("user", "Please always use uv for installing packages."), ("agent", "Understood, I will use uv.")]),
        _session("sesn_b", "2026-02-10T09:00:00Z", "Dependency bump", [
            ("user", "Remember: always use uv for installing packages."), ("agent", "Installing with uv now.")]),
        _session("sesn_c", "2026-02-20T09:00:00Z", "CI fix", [
            ("user", "Please always use uv for installing packages."), ("agent", "Sure.")]),
        _session("sesn_d", "2026-02-25T09:00:00Z", "CI upgrade", [
            ("user", "We upgraded the CI pipeline to Python 3.12."), ("agent", "Noted.")]),
    )
    return Corpus(store, sessions)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return coding_corpus()


@pytest.fixture(scope="module")
def analysis(corpus):
    return analyze(corpus, "tfidf")


def candidates_of(request: dict) -> list[dict]:
    """The candidates the engine sent, read from the first user message, with the notes and quotes
    they name by alias taken from the request's tables (each row with its alias as `id`)."""
    for block in request["messages"][0]["content"]:
        if block.get("type") == "text" and block["text"].startswith("{"):
            batch = json.loads(block["text"])
            rows = {a: {"id": a, **row} for table in ("notes", "quotes") for a, row in batch[table].items()}
            return [{**c, "notes": [rows[a] for a in c["notes"]], "quotes": [rows[a] for a in c.get("quotes", [])]}
                    for c in batch["candidates"]]
    raise AssertionError("no candidates in the request")


def note_ids(candidate: dict, corpus: Corpus) -> set[str]:
    """The ids of the notes a sent candidate names, found in the corpus by path and text."""
    by_place = {(n.path, n.text): n.id for n in corpus.notes}
    return {by_place[n["path"], n["text"]] for n in candidate["notes"]}


def judge(request: dict) -> dict:
    """A careful reviewer: answers through the forced tool, with the fields its schema requires;
    keeps durable notes that are merely old, rewords the insight, keeps the newer note of a conflict
    no rule ordered."""
    tool = next(t for t in request["tools"] if t["name"] == request["tool_choice"]["name"])
    item = tool["input_schema"]["properties"]["verdicts"]["items"]
    verdicts = []
    for c in candidates_of(request):
        merely_old = c["kind"] == "prune" and "horizon" in c["analysis"] and "no session within" in c["analysis"]
        verdict = {"candidate": c["id"], "decision": "reject" if merely_old else "accept",
                   "rationale": f"The {c['kind']} evidence is clear.", "confidence": 0.85}
        if c["kind"] == "insight":
            verdict["text"] = "Install Python packages with uv, not pip."
        if c["kind"] == "conflict" and not c["proposal"]:  # no rule ordered them: keep the newer note
            verdict["keep"] = max(c["notes"], key=lambda n: (n["updated"], int(n["id"][1:])))["id"]
        assert set(item["required"]) <= set(verdict) <= set(item["properties"])
        verdicts.append(verdict)
    return {"content": [{"type": "tool_use", "name": tool["name"], "input": {"verdicts": verdicts}}]}


@pytest.fixture
def api():
    with FakeAnthropic() as fake:
        fake.messages_responder = judge
        yield fake


def make_client(api, **options) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=api.base_url, **{"max_retries": 2, **options})


def run(corpus, analysis, api, focus=None, **options):
    options.setdefault("client", make_client(api))
    return dream(corpus, focus or Focus(), engine="claude", analysis=analysis, **options)


def message_requests(api) -> list:
    return [r for r in api.requests if r.path == "/v1/messages"]


def test_verdicts_become_operations_with_the_models_rationale_and_the_analysis_evidence(corpus, analysis, api):
    focus = Focus("Prioritize coding conventions")
    plan = run(corpus, analysis, api, focus)
    assert (plan.engine, plan.model) == ("claude", "claude-sonnet-4-6")
    assert check(plan, focus) == []
    kinds = {(op.kind, op.reason) for op in plan.operations}
    assert {("update", "conflict"), ("merge", "duplicate"), ("create", "insight")} <= kinds
    assert {op.reason for op in plan.operations if op.kind == "delete"} == {"stale"}
    for op in plan.operations:
        assert "evidence is clear" in op.rationale and op.confidence == 0.85 and op.rule == "claude"
    conflict = next(op for op in plan.operations if op.reason == "conflict")
    assert [t.id for t in conflict.targets] == ["mem_tools#1", "mem_env#0"]
    (upgrade,) = [op for op in plan.operations if op.reason == "conflict" and len(op.targets) == 1]
    assert upgrade.result.text == "The CI pipeline runs on Python 3.12."
    assert [(e.session_id, e.turn_id, e.quote) for e in upgrade.evidence] == [
        ("sesn_d", "sesn_d-t0", "We upgraded the CI pipeline to Python 3.12.")]
    insight = next(op for op in plan.operations if op.kind == "create")
    assert insight.result.text == "Install Python packages with uv, not pip."
    assert {e.session_id for e in insight.evidence} >= {"sesn_a", "sesn_c"}
    assert all(e.turn_id and "uv" in e.quote for e in insight.evidence)
    kept = plan.output_store.by_path
    assert "Use 4 spaces for indentation" in kept["/coding/style.md"].content  # merely old: kept
    assert "5432" not in kept["/coding/tools.md"].content
    assert "debugged a flaky websocket test" not in kept["/journal/2025-08.md"].content  # an old one-off
    assert "pizza" in kept["/journal/2025-08.md"].content  # never pruned on a keyword
    sent = " ".join(json.dumps(r.json) for r in api.requests if r.path == "/v1/messages")
    assert "Use 4 spaces for indentation" not in sent  # a durable rule is not sent to be judged for age alone


def test_a_sure_model_is_capped_below_the_auto_bar_until_its_verdicts_are_measured(corpus, analysis, api,
                                                                                  monkeypatch):
    from workbench.dream import calibration
    from workbench.review import AUTO_BAR, Review

    def sure(request: dict) -> dict:
        answer = judge(request)
        for verdict in answer["content"][0]["input"]["verdicts"]:
            verdict["confidence"] = 0.99
        return answer

    api.messages_responder = sure
    plan = run(corpus, analysis, api)
    assert plan.operations and all(op.confidence == calibration.UNMEASURED_CEILING < AUTO_BAR for op in plan.operations)
    assert all("Claude said 0.99" in op.rationale and "not measured" in op.rationale for op in plan.operations)
    assert Review(plan).auto().approved_operations() == []  # automatic review applies nothing unmeasured

    table = calibration.calibration_table()
    table = {**table, "rules": {**table["rules"], "claude.duplicate": {"proposed": 98, "correct": 97}}}
    monkeypatch.setattr(calibration, "calibration_table", lambda: table)
    merges = [op for op in run(corpus, analysis, api).operations if op.reason == "duplicate"]
    assert merges and all(op.confidence == 0.98 and "measured precision" in op.rationale for op in merges)


def test_usage_in_the_plan_adds_up_to_what_the_api_billed(corpus, analysis, api):
    plan = run(corpus, analysis, api, batch_size=4)
    assert plan.usage["total"] == api.usage_total
    assert len(plan.usage["calls"]) == plan.inputs["batches"] == len(message_requests(api)) >= 2
    assert plan.usage["cost_usd"] == estimate_cost("claude-sonnet-4-6", api.usage_total) > 0
    assert plan.usage["prices_per_mtok"] == {"input": 3.0, "output": 15.0}


def test_the_second_batch_reads_the_system_prompt_and_tool_from_the_cache(corpus, analysis, api):
    focus = Focus("Never touch /people/. Prioritize coding conventions.")
    plan = run(corpus, analysis, api, focus, batch_size=3)
    first, second = plan.usage["calls"][:2]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    body = message_requests(api)[0].json
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "Never touch /people/." in body["system"][-1]["text"]
    assert body["tool_choice"] == {"type": "tool", "name": "record_verdicts"}


def test_rate_limits_and_overload_are_retried_by_the_sdk_until_they_succeed(corpus, analysis, api):
    api.inject("/v1/messages", 429, headers=FAST)
    api.inject("/v1/messages", 529, headers=FAST)
    plan = run(corpus, analysis, api, batch_size=50)
    assert plan.notes == [] and plan.operations
    assert len(message_requests(api)) == 3
    assert plan.usage["total"] == api.usage_total


def test_a_batch_that_exhausts_its_retries_is_reported_and_the_other_batches_are_kept(corpus, analysis, api):
    api.inject("/v1/messages", 500, times=3, headers=FAST)
    plan = run(corpus, analysis, api, batch_size=3)
    assert len(plan.notes) == 1
    assert plan.notes[0].startswith(f"batch 1 of {plan.inputs['batches']} (c1–c3) failed: HTTP 500 api_error")
    assert plan.operations and all(op.kind != "update" for op in plan.operations)  # c1 was the conflict
    assert len(plan.usage["calls"]) == plan.inputs["batches"] - 1
    assert plan.usage["total"] == api.usage_total


def test_a_malformed_answer_is_retried_once_and_then_the_batch_is_reported(corpus, analysis, api):
    def sloppy(request: dict) -> dict:
        answer = judge(request)
        ids = [c["id"] for c in candidates_of(request)]
        verdicts = answer["content"][0]["input"]["verdicts"]
        if "c1" in ids and len(request["messages"]) == 1:  # batch 1: wrong once, right when told
            verdicts[0]["confidence"] = 7
        if "c4" in ids:  # batch 2: always leaves a candidate out
            del verdicts[-1]
        return answer

    api.messages_responder = sloppy
    plan = run(corpus, analysis, api, batch_size=3)
    assert len(plan.notes) == 1 and plan.notes[0].startswith("batch 2 of")
    last = candidates_of(message_requests(api)[2].json)[-1]["id"]
    assert f"malformed answer twice (no verdict for {last})" in plan.notes[0]
    retry = message_requests(api)[1].json["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert retry[2]["content"][0]["is_error"] is True and "confidence" in retry[2]["content"][0]["content"]
    assert any(op.reason == "conflict" for op in plan.operations)  # batch 1 recovered
    failed = {i for c in candidates_of(message_requests(api)[2].json) for i in note_ids(c, corpus)}
    assert failed and not failed & {t.id for op in plan.operations for t in op.targets}  # batch 2 changed nothing


def test_a_call_that_times_out_is_reported_with_its_timeout(corpus, analysis, api):
    api.inject("/v1/messages", delay=1.0)
    plan = run(corpus, analysis, api, client=make_client(api, max_retries=0), timeout=0.2, batch_size=3)
    assert plan.notes[0].startswith("batch 1 of") and "timed out after 0.2 s" in plan.notes[0]
    assert plan.operations


def test_a_dry_run_sends_nothing_and_estimates_the_calls_closely(corpus, analysis, api):
    focus = Focus("Prioritize coding conventions")
    estimate = run(corpus, analysis, api, focus, batch_size=4, dry_run=True)
    assert api.requests == []
    assert estimate.operations == [] and estimate.notes[0].startswith("dry run: nothing was sent")
    calls = estimate.usage["calls"]
    assert len(calls) == math.ceil(estimate.inputs["candidates"] / 4)
    assert calls[0]["request"]["tool_choice"] == {"type": "tool", "name": "record_verdicts"}
    real = run(corpus, analysis, api, focus, batch_size=4)
    billed = api.usage_total
    side = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    assert sum(estimate.usage["total"][k] for k in side) == pytest.approx(sum(billed[k] for k in side), rel=0.05)
    assert len(real.usage["calls"]) == len(calls)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE", "ANTHROPIC_FEDERATION_RULE_ID",
                 "ANTHROPIC_IDENTITY_TOKEN", "ANTHROPIC_IDENTITY_TOKEN_FILE", "ANTHROPIC_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no SDK profile on disk either


def test_without_a_key_the_engine_says_how_to_get_one_but_a_dry_run_needs_none(corpus, analysis, no_credentials):
    with pytest.raises(EngineError) as error:
        dream(corpus, Focus(), engine="claude", analysis=analysis)
    assert str(error.value) == ("the claude engine needs ANTHROPIC_API_KEY (or an Anthropic SDK profile); "
                                "the offline engine works without one")
    assert dream(corpus, Focus(), engine="claude", analysis=analysis, dry_run=True).usage["dry_run"] is True


def test_a_refused_key_stops_the_run_with_an_engine_error(corpus, analysis, api):
    api.inject("/v1/messages", 401, message="invalid x-api-key")
    with pytest.raises(EngineError, match="batch 1 of 1: HTTP 401 authentication_error: invalid x-api-key"):
        run(corpus, analysis, api, batch_size=50)


def test_the_key_never_appears_in_the_plan_its_notes_or_the_logs(corpus, analysis, api, caplog):
    caplog.set_level(logging.DEBUG)
    api.inject("/v1/messages", 500, times=3, headers=FAST)
    plan = run(corpus, analysis, api, batch_size=3)
    assert plan.notes and plan.operations
    assert KEY in json.dumps(message_requests(api)[0].headers)  # it was sent...
    assert KEY not in plan.to_json(timings=True)  # ...and is written nowhere
    assert KEY not in " ".join(plan.notes) and KEY not in caplog.text


def test_text_the_model_writes_into_a_protected_path_is_dropped_and_named(corpus, analysis, api):
    def misfiler(request: dict) -> dict:
        answer = judge(request)
        for verdict in answer["content"][0]["input"]["verdicts"]:
            if verdict["text"] if "text" in verdict else False:
                verdict["path"] = "/people/tools.md"
        return answer

    api.messages_responder = misfiler
    focus = Focus("Never touch /people/.")
    plan = run(corpus, analysis, api, focus)
    assert check(plan, focus) == []
    assert not any(op.kind == "create" for op in plan.operations)
    assert any("not filed under /people/tools.md: protect: /people/" in n for n in plan.notes)


def test_an_oversized_answer_is_rejected_alone_and_the_plan_keeps_every_other_verdict(corpus, analysis, api):
    def verbose(request: dict) -> dict:
        answer = judge(request)
        for verdict in answer["content"][0]["input"]["verdicts"]:
            if verdict.get("text") == "Install Python packages with uv, not pip.":
                verdict["text"] = "Install Python packages with uv, not pip. " * 3600  # ~150 kB
        return answer

    fair = run(corpus, analysis, api, batch_size=3)
    spent = dict(api.usage_total)
    api.messages_responder = verbose
    plan = run(corpus, analysis, api, batch_size=3)
    (insight,) = [op for op in fair.operations if op.kind == "create"]
    assert insight.reason == "insight" and candidates_of(message_requests(api)[-1].json)[-1]["kind"] == "insight"
    assert [op.to_dict() for op in plan.operations] == [op.to_dict() for op in fair.operations if op is not insight]
    (note,) = plan.notes
    assert re.match(rf"dropped op_\w+ \(create, insight\): memory {insight.result.path} is 15\d,\d{{3}} bytes", note)
    assert "bytes; the limit is 102,400; Claude's verdict on it was rejected" in note
    assert plan.output_store.digest == apply_operations(corpus.store, plan.operations, at=corpus.as_of).digest
    assert plan.usage["total"] == {k: v - spent.get(k, 0) for k, v in api.usage_total.items()}  # the spend is kept


def test_claude_answers_the_questions_the_offline_plan_would_put_to_a_person(corpus, analysis, api):
    from workbench.dream.offline import plan_from_analysis

    offline = plan_from_analysis(analysis, Focus())
    assert offline.questions, "the corpus has questions for a judge"
    plan = run(corpus, analysis, api, Focus())
    sent_ids = [note_ids(c, corpus) for r in api.requests if r.path == "/v1/messages" for c in candidates_of(r.json)]
    for question in offline.questions:
        if question.kind != "conflict" or len(question.targets) == 2:  # a session question reads like a conflict
            assert any({t.id for t in question.targets} <= ids for ids in sent_ids), question.reading
    answered = {c for q in offline.questions for c in q.candidates} - {c for q in plan.questions for c in q.candidates}
    assert answered and len(plan.questions) < len(offline.questions)
    assert plan.questions_found == offline.questions_found - (len(offline.questions) - len(plan.questions))


def test_the_note_claude_keeps_is_named_by_its_alias_and_read_back_as_the_notes_id(corpus, analysis, api):
    def keeps_older(request: dict) -> dict:
        answer = judge(request)
        for c, verdict in zip(candidates_of(request), answer["content"][0]["input"]["verdicts"], strict=True):
            if c["kind"] == "conflict" and len(c["notes"]) == 2:
                assert [n["id"][0] for n in c["notes"]] == ["n", "n"] and "mem_" not in json.dumps(c)
                verdict["keep"] = min(c["notes"], key=lambda n: n["updated"])["id"]
        return answer

    api.messages_responder = keeps_older
    plan = run(corpus, analysis, api)
    conflict = next(op for op in plan.operations if op.reason == "conflict" and len(op.targets) == 2)
    assert "5432" in conflict.result.text  # the older note, mem_tools#1, was kept
    assert "5432" in plan.output_store.by_path["/coding/tools.md"].content


def test_a_keep_that_names_no_alias_of_the_candidate_is_sent_back_once(corpus, analysis, api):
    def by_id(request: dict) -> dict:
        answer = judge(request)
        for c, verdict in zip(candidates_of(request), answer["content"][0]["input"]["verdicts"], strict=True):
            if c["kind"] == "conflict" and len(c["notes"]) == 2 and len(request["messages"]) == 1:
                verdict["keep"] = "mem_tools#1"
        return answer

    api.messages_responder = by_id
    plan = run(corpus, analysis, api)
    retry = message_requests(api)[1].json["messages"][2]["content"][0]
    assert retry["is_error"] and "keep must be one of n" in retry["content"]
    assert plan.notes == [] and any(op.reason == "conflict" for op in plan.operations)
