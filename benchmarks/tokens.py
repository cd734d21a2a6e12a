"""Token cost: the claude engine (real `anthropic` SDK) against the local fake API server, which
bills tokens deterministically (UTF-8 bytes / 4), versus a naive single prompt holding the whole
store and every transcript, counted by the same server through `client.messages.count_tokens`."""

from __future__ import annotations

import json
import sys
from collections import Counter

from workbench.api import DEFAULT_MODEL, estimate_cost
from workbench.dream.claude import dream_claude, system_blocks
from workbench.focus import Focus
from workbench.records import Corpus

from . import DATASETS, ROOT, Section, judged
from .quality import sample_analysis

TARGET = 5.0
CACHE_MIN_TOKENS = 1024  # the real API caches no shorter prefix (Sonnet); the fake's default is 0


def candidates(request: dict) -> list[dict]:
    """The candidates a request asks the model to judge, the notes and quotes they name by alias read
    from the request's tables (each row with its alias as `id`)."""
    text = next(b["text"] for b in request["messages"][0]["content"] if b["text"].startswith("{"))
    batch = json.loads(text)
    rows = {a: {"id": a, **row} for table in ("notes", "quotes") for a, row in batch[table].items()}
    return [{**c, "notes": [rows[a] for a in c["notes"]], "quotes": [rows[a] for a in c.get("quotes", [])]}
            for c in batch["candidates"]]


def approve(request: dict) -> dict:
    """A stand-in reviewer: accept every candidate as the offline analysis proposed it."""
    tool = next(t for t in request["tools"] if t["name"] == request["tool_choice"]["name"])
    verdicts = []
    for c in candidates(request):
        verdict = {"candidate": c["id"], "decision": "accept", "confidence": 0.9,
                   "rationale": f"The {c['kind']} evidence in the analysis holds."}
        if c["kind"] == "conflict" and not c["proposal"]:  # no rule decided it: keep the newer note
            verdict["keep"] = max(c["notes"], key=lambda n: (n["updated"], int(n["id"][1:])))["id"]
        verdicts.append(verdict)
    return {"content": [{"type": "tool_use", "name": tool["name"], "input": {"verdicts": verdicts}}]}


def naive_prompt(corpus: Corpus) -> str:
    """Everything in one message: every memory document, then every session's turns."""
    parts = ["Here is the whole memory store and every session since. Return the reorganized store.", "",
             "# Memory store"]
    for m in corpus.memories:
        parts += [f"## {m.path} (updated {m.updated_at:%Y-%m-%d})", m.content]
    parts.append("# Sessions")
    for s in corpus.sessions:
        parts.append(f"## {s.id} {s.title} ({s.started_at:%Y-%m-%d %H:%M})")
        parts += [f"[{t.id}] {t.role}: {t.text}" for t in s.turns]
    return "\n".join(parts)


def run(quick: bool) -> Section:
    sys.path.insert(0, str(ROOT / "tests"))
    import anthropic
    from fake_api import FakeAnthropic

    sec = Section("tokens", "Tokens", how=(
        "The `claude` engine on the sample data under the default Focus, through the real `anthropic` SDK against "
        "`tests/fake_api/` (a local HTTP server with the API's shapes; tokens = ⌈UTF-8 bytes / 4⌉, prompt "
        "caching as the API does it, no prefix under 1,024 tokens cached), with a stand-in reviewer that accepts every candidate. Billed input = "
        "uncached input + cache writes + cache reads from the server's `usage_total`. Naive baseline: one "
        "prompt with the same system prompt, every memory document and every turn of every session, counted "
        "by the same server through `client.messages.count_tokens`. Costs at the list prices in "
        "`workbench/api.py` (cache write 1.25×, read 0.1×), input side only."))
    rows, ratios = [], []
    for dataset in DATASETS:
        corpus, analysis = sample_analysis(dataset)
        with FakeAnthropic() as api:
            api.messages_responder = approve
            api.cache_min_tokens = CACHE_MIN_TOKENS
            client = anthropic.Anthropic(api_key="benchmark-key", base_url=api.base_url, max_retries=0)
            plan = dream_claude(corpus, Focus(), client=client, analysis=analysis)
            used = api.usage_total
            sent = {c["id"]: c["kind"] for r in api.requests if r.path == "/v1/messages" for c in candidates(r.json)}
            naive = client.messages.count_tokens(model=DEFAULT_MODEL, system=system_blocks(Focus()), messages=[
                {"role": "user", "content": naive_prompt(corpus)}]).input_tokens
        billed = used["input_tokens"] + used["cache_creation_input_tokens"] + used["cache_read_input_tokens"]
        cost = estimate_cost(DEFAULT_MODEL, {**used, "output_tokens": 0})
        naive_cost = estimate_cost(DEFAULT_MODEL, {"input_tokens": naive})
        ratios.append(naive / billed)
        kinds = ", ".join(f"{v} {k}" for k, v in Counter(sent.values()).most_common())
        rows.append([dataset, len(corpus.notes), sum(len(s.turns) for s in corpus.sessions),
                     f"{plan.inputs['candidates']} ({kinds})", len(plan.usage["calls"]), used["input_tokens"],
                     used["cache_creation_input_tokens"], used["cache_read_input_tokens"], billed,
                     used["output_tokens"], naive, f"{naive / billed:.1f}×",
                     f"${cost:.4f} vs ${naive_cost:.4f}"])
    sec.table(["dataset", "notes", "turns", "candidates", "calls", "input", "cache write", "cache read",
               "billed input", "output", "naive input", "naive ÷ engine", "input cost engine vs naive"], rows)
    worst = min(ratios)
    met = sec.target("input tokens: naive ÷ claude engine (worst dataset)", worst, TARGET, "×", at_least=True,
                     digits=1)
    sec.lines.append(f"The engine sends {worst:.1f}×–{max(ratios):.1f}× fewer input tokens than the naive prompt: "
                     f"{judged(met, 'meets', 'misses')} the {TARGET:g}× target.")
    return sec
