"""Shared fixtures: a small coding-assistant memory store built in code, and the same store on disk."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import datetime, timezone

import pytest

# Tests assert behaviour calibrated for the default offline embedder; tests of `minilm` ask for it.
os.environ["WORKBENCH_EMBEDDER"] = "tfidf"
os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="workbench-test-cache-"))
# numba's compiled UMAP code (`workbench.analysis.jit`) in one folder for the whole run: this process, the
# xdist workers (they inherit the variable), and every server, kernel and UMAP child the tests start. Each of
# those has a private WORKBENCH_CACHE, where numba's folder would otherwise go, so each compiled UMAP again
# (~50 s of CPU apiece). What numba caches is machine code keyed by source file and signature, never results;
# the tests of the caching itself use folders of their own.
if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="workbench-test-numba-")
    atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], ignore_errors=True)

from workbench.io import write_store  # noqa: E402
from workbench.records import Memory, Store


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the real embedding cache."""
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


def pytest_collection_modifyitems(config, items):
    """Under `make test` (`pytest -n 2 --dist loadfile --no-loadscope-reorder`) each test module is one unit of
    work for one worker: its module-scoped fixtures (a Voila or JupyterLab server, the notebooks executed once,
    an analysis) are built once, and tests that rely on the ones before them in their module (the browser
    tests' OBSERVED, a Voila session kept across pages) run in order, in one process. xdist hands the units out
    in the order collected; here the modules that drive a browser come first, then those with slow tests, so
    that no long unit starts last. A run without xdist keeps the order as collected."""
    if not hasattr(config, "workerinput"):
        return
    rank: dict[str, int] = {}
    for item in items:
        here = 0 if item.get_closest_marker("browser") else 1 if item.get_closest_marker("slow") else 2
        rank[item.nodeid.split("::", 1)[0]] = min(rank.get(item.nodeid.split("::", 1)[0], 2), here)
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank[item.nodeid.split("::", 1)[0]], order[id(item)]))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def tiny_store() -> Store:
    """Four documents of a coding assistant: style, CI (CRLF), team, deploys (no final newline)."""
    return Store(
        (
            Memory(
                id="mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K",
                path="/coding/style.md",
                content=(
                    "# Code style\n\n"
                    "## Python\n\n"
                    "- Format with `ruff format`; line length is 100.\n"
                    "- Type hints on every public function.\n\n"
                    "## Reviews\n\n"
                    "1. Every bug fix comes with a failing test first.\n"
                    "2. Keep pull requests under 400 changed lines.\n"
                ),
                created_at=utc(2025, 3, 2, 9, 14, 7, 250000),
                updated_at=utc(2025, 5, 19, 16, 40, 2, 918311),
                version_id="memver_01JVB0C2D4F6H8J0K2M4N6P8Q0",
                author="agent",
                meta={"source": "onboarding", "reviewed": True},
            ),
            Memory(
                id="mem_01JQ7Z4B2C3D4E5F6G7H8J9K0M",
                path="/coding/ci.md",
                content=(
                    "# CI\r\n\r\n"
                    "Runner: GitHub Actions, ubuntu-24.04\r\n"
                    "Python versions: 3.11 and 3.12\r\n\r\n"
                    "The payments job is flaky when tests read the wall clock.\r\n"
                ),
                created_at=utc(2025, 3, 2, 9, 15, 30),
                updated_at=utc(2025, 4, 28, 11, 2, 45, 1),
            ),
            Memory(
                id="mem_01JQ7Z4C3D4E5F6G7H8J9K0M1N",
                path="/team/people.md",
                content=(
                    "# Team\n\n"
                    "Dana Okafor leads the payments squad and reviews every migration.\n\n"
                    "Luis Ferreira owns the CI runners. Ping him in #ci-infra, not by DM.\n"
                ),
                created_at=utc(2025, 3, 4, 13, 0),
                updated_at=utc(2025, 3, 4, 13, 0),
            ),
            Memory(
                id="mem_01JQ7Z4D4E5F6G7H8J9K0M1N2P",
                path="/projects/payments/deploy.md",
                content="- Deploys go out Tuesday and Thursday after 14:00 UTC.\n- Never deploy payments on a Friday.",
                created_at=utc(2025, 3, 1, 17, 45),
                updated_at=utc(2025, 5, 2, 9, 0, 9),
                meta={"provenance": {"Never deploy payments on a Friday.": ["sevt_01JT2M0000000000000000002"]}},
            ),
        ),
        id="memstore_01JQ7Z3K8V6W2Y4X9A5B7C1D3E",
        name="acme-coding-assistant",
    )


@pytest.fixture
def store_dir(tiny_store, tmp_path):
    """`tiny_store` written as a directory of files (with its hidden sidecar)."""
    return write_store(tiny_store, tmp_path / "acme-coding-assistant", "dir")


@pytest.fixture(scope="session")
def sample_analysis(tmp_path_factory):
    """The sample coding assistant's store and sessions, analysed once for the whole run (110 notes,
    45 sessions). An `Analysis` is frozen; what is derived from it is memoized beside it, never in it."""
    from pathlib import Path

    from workbench.analysis import analyze
    from workbench.embed import EmbeddingCache
    from workbench.io import load_corpus

    data = Path(__file__).parent.parent / "sample-data" / "coding-assistant"
    return analyze(load_corpus(data / "store.json", data / "sessions"), "tfidf",
                   cache=EmbeddingCache(tmp_path_factory.mktemp("sample-embeddings")))
