"""The BERTopic benchmark section skips cleanly: with the command that installs it where bertopic is absent, and
in a quick run (CI) always."""

from __future__ import annotations

import importlib.util

from benchmarks import bertopic as section


def test_skips_without_bertopic(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bertopic" else real(name, *a))
    ran = []
    monkeypatch.setattr(section, "measure", lambda *a, **k: ran.append(a) or {})
    sec = section.run(quick=False)
    assert sec.skipped and "bertopic is not installed" in sec.skipped
    assert f"bertopic=={section.VERSION}" in sec.skipped and "--no-deps" in sec.skipped
    assert not ran and not sec.tables and not sec.targets


def test_a_quick_run_skips_and_says_why(monkeypatch) -> None:
    monkeypatch.setattr(section, "measure", lambda *a, **k: (_ for _ in ()).throw(AssertionError("measured")))
    sec = section.run(quick=True)
    assert sec.skipped and "full run only" in sec.skipped


def test_our_side_times_the_map_the_app_draws_first_then_its_links(capsys) -> None:
    import json

    from benchmarks.synthetic import synthetic_corpus

    section._ours(synthetic_corpus(80, 4), umap=False)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    first, done = lines[0], lines[-1]
    assert 0 < first["analyze_s"] <= first["first_map_s"] <= done["links_and_plan_s"]
    assert first["notes"] == 80 and first["topics"] >= 1 and done["links"] >= 0
