"""Claude answers probes from the retrieved notes and judges them (LoCoMo J), through the real SDK
against the local fake API server (real HTTP)."""

from __future__ import annotations

import sys
from pathlib import Path

import anthropic
import pytest

from workbench.dream.offline import dream_offline
from workbench.errors import EngineError
from workbench.evaluate import Evaluator
from workbench.focus import Focus
from workbench.judge import ANSWER_SYSTEM, JUDGE_TOOL, AnswerJudge, estimate_judging, judge
from workbench.probes import Probe

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import FakeAnthropic, memory_qa_responder  # noqa: E402

SAMPLE = Path(__file__).parents[1] / "sample-data" / "coding-assistant"


@pytest.fixture(scope="module")
def analysis(sample_analysis):
    return sample_analysis


@pytest.fixture(scope="module")
def plan(analysis):
    return dream_offline(analysis.corpus, Focus(forget=["/misc/"]), analysis=analysis)  # deletes the cat note


@pytest.fixture
def api():
    with FakeAnthropic() as server:
        server.messages_responder = memory_qa_responder
        yield server


def client(api, **options) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="test-key", base_url=api.base_url, **options)


def probes_for(analysis, plan) -> list[Probe]:
    """Two facts the offline plan deletes and two it keeps, asked in other words."""
    deleted = {t.id for op in plan.operations if op.kind == "delete" for t in op.targets}
    cat = next(n for n in analysis.corpus.notes if "cat is named" in n.text)
    redis = next(n for n in analysis.corpus.notes if "Redis" in n.text)
    assert cat.id in deleted and redis.id not in deleted
    return [Probe("cat", "What is the name of Priya's cat?", ("Biscuit",), (cat.id,)),
            Probe("broker", "Which broker do the Celery background jobs use?", ("Redis",), (redis.id,)),
            Probe("no-answer", "Who owns CI?", (), ())]


def test_claude_answers_from_the_top_notes_and_the_judge_labels_each_side(api, analysis, plan):
    evaluator = Evaluator(analysis, probes_for(analysis, plan), k=3)
    result = judge(evaluator, plan, client=client(api), model="claude-haiku-4-5")
    labels = {(j.probe, j.side): j.label for j in result.judged}
    assert labels == {("cat", "before"): "CORRECT", ("cat", "after"): "WRONG",
                      ("broker", "before"): "CORRECT", ("broker", "after"): "CORRECT"}
    assert result.j_score("before") == 1.0 and result.j_score("after") == 0.5
    assert result.regressions() == ["cat"]
    assert result.calls == 8 and result.usage == api.usage_total
    data = result.to_dict()
    assert data["cost_usd"] > 0 and data["j_after"] == 0.5


def test_the_requests_have_the_answer_and_judge_shapes(api, analysis, plan):
    evaluator = Evaluator(analysis, probes_for(analysis, plan)[:1], k=2)
    judge(evaluator, plan, client=client(api), model="claude-haiku-4-5", judge_model="claude-sonnet-4-6",
          sides=("before",))
    answer, label = [r.json for r in api.requests if r.path == "/v1/messages"]
    assert answer["system"] == ANSWER_SYSTEM and answer["model"] == "claude-haiku-4-5"
    assert answer["messages"][0]["content"].count("\n- ") == 2 and "Question: What is the name" in answer["messages"][0]["content"]
    assert label["tool_choice"] == {"type": "tool", "name": JUDGE_TOOL["name"]} and label["model"] == "claude-sonnet-4-6"
    assert "Gold answer: Biscuit" in label["messages"][0]["content"]


def test_an_api_failure_is_one_clear_engine_error(api, analysis, plan):
    api.inject("/v1/messages", 500, times=10)
    evaluator = Evaluator(analysis, probes_for(analysis, plan)[:1])
    with pytest.raises(EngineError, match="answering probes with Claude failed: HTTP 500"):
        judge(evaluator, plan, client=client(api, max_retries=0))


def test_without_a_key_the_judge_says_what_it_needs(monkeypatch, analysis, plan):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    with pytest.raises(EngineError, match="needs ANTHROPIC_API_KEY"):
        judge(Evaluator(analysis, []), plan)


# --- the judge deciding what the offline rules leave ------------------------------------------------


def paraphrased(analysis) -> list[Probe]:
    """A probe whose answer no rule finds in the notes (a judge's call) and one the rules match."""
    redis = next(n for n in analysis.corpus.notes if "Redis" in n.text)
    return [Probe("broker-kind", "Which broker do the Celery background jobs use?", ("an in-memory key-value store",),
                  (redis.id,)),
            Probe("broker", "Which broker do the Celery background jobs use?", ("Redis",), (redis.id,))]


def generous(request: dict) -> dict:
    """Answers "Redis" and labels every answer CORRECT."""
    if request.get("tool_choice"):
        return {"content": [{"type": "tool_use", "name": JUDGE_TOOL["name"], "input": {"label": "CORRECT"}}]}
    return {"content": [{"type": "text", "text": "Redis"}]}


def test_the_estimate_counts_the_calls_for_the_probes_the_rules_leave_and_sends_nothing(api, analysis, plan):
    offline = Evaluator(analysis, paraphrased(analysis), k=3)
    assert [a.matched_by for a in offline.before] == ["", "exact"]
    estimate = estimate_judging(offline, plan, model="claude-haiku-4-5")
    assert estimate["probes"] == 1 and estimate["calls"] in (2, 4)  # before, and after when its top k differs
    assert estimate["usage"]["input_tokens"] > 0 and estimate["cost_usd"] > 0 and estimate["dry_run"]
    assert api.requests == []


def test_with_a_judge_claude_decides_only_what_the_rules_leave(api, analysis, plan):
    api.messages_responder = generous
    judge_ = AnswerJudge(client(api), model="claude-haiku-4-5")
    report = Evaluator(analysis, paraphrased(analysis), k=3, judge=judge_).report(plan)
    assert [r.matched_by for r in report.results] == ["judge", "exact"]
    asked = [r.json for r in api.requests if r.path == "/v1/messages"]
    assert asked and all("Which broker" in r["messages"][0]["content"] for r in asked)
    assert not any("Gold answer: Redis\n" in r["messages"][0]["content"] for r in asked)  # the rules decided it
    data = report.to_dict()["judge"]
    assert data["calls"] == len(asked) and data["cost_usd"] > 0 and data["correct"] == data["asked"] >= 1


def test_workbench_eval_with_judge_prints_the_estimate_and_without_a_key_sends_nothing(
        tmp_path, monkeypatch, capsys, analysis, plan):
    from workbench.cli import main

    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.to_json(), encoding="utf-8")
    store, sessions = str(SAMPLE / "store.json"), str(SAMPLE / "sessions")
    assert main(["eval", store, "--sessions", sessions, "--plan", str(plan_file), "--judge"]) == 0
    out = capsys.readouterr().out
    assert "judge (claude-haiku-4-5):" in out and "calls" in out and "~$" in out
    assert "needs ANTHROPIC_API_KEY" in out and "nothing was sent" in out
    assert main(["eval", store, "--sessions", sessions, "--plan", str(plan_file), "--judge", "--dry-run"]) == 0
    assert "dry run, nothing was sent" in capsys.readouterr().out
