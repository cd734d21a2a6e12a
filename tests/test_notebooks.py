"""The notebooks run top to bottom in a real kernel on the sample data, with no API key.

The notebooks the selected tests read are executed once per test session (a few at a time, each
in its own `python3` kernel of this environment, some started from the repository root and some
from notebooks/ as Jupyter does); the tests then read their outputs. A test of one notebook's
outputs is named `test_<its number>_…`, so `-k 03` runs notebook 03 alone. A cell that runs longer
than `CELL_TIMEOUT` fails its notebook. Committed notebooks must carry no outputs and no widget
state.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = {"00_quickstart.ipynb", "01_explore_memory.ipynb", "02_tune_focus.ipynb", "03_dream_and_review.ipynb",
            "04_export_snapshot.ipynb", "05_compare_engines.ipynb", "06_evaluate_dream.ipynb", "07_fleet.ipynb",
            "app.ipynb"}
FROM_ROOT = {"00_quickstart.ipynb", "03_dream_and_review.ipynb"}  # the rest start in notebooks/, as in Jupyter
WIDGET = "application/vnd.jupyter.widget-view+json"
PLOTLY = "application/vnd.plotly.v1+json"
PARALLEL = 3  # kernels at a time
CELL_TIMEOUT = 300
MAX_CELL_LINES = 12  # a cell is a few lines that call the package
NO_KEY = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "WORKBENCH_PLATFORM_STORE")


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


# --- the committed files ------------------------------------------------------------------------


def test_the_notebooks_are_all_there():
    assert {p.name for p in notebook_paths()} >= EXPECTED


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs_or_widget_state(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, f"{path.name}: strip metadata.widgets before committing"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i}: strip outputs before committing"
            assert cell.execution_count is None, f"{path.name} cell {i}: strip execution_count before committing"
        assert "widgets" not in cell.get("metadata", {}), f"{path.name} cell {i}: widget state in cell metadata"


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_code_cells_are_a_few_lines(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, len(c.source.splitlines())) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and len(c.source.splitlines()) > MAX_CELL_LINES]
    assert not long, f"{path.name}: cells (index, lines) longer than {MAX_CELL_LINES} lines: {long}"
    assert nb.cells[0].cell_type == "markdown", f"{path.name} starts with a title cell"


# --- running them -------------------------------------------------------------------------------


def kernel_env(tmp: Path) -> dict[str, str]:
    """The test process's environment without any key, with the offline embedder and private folders."""
    env = {k: v for k, v in os.environ.items() if k not in NO_KEY}
    for name in ("cache", "ipython", "runtime"):
        (tmp / name).mkdir(exist_ok=True)
    env.update(WORKBENCH_EMBEDDER="tfidf", WORKBENCH_CACHE=str(tmp / "cache"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


class Run:
    def __init__(self, nb: nbformat.NotebookNode, error: BaseException | None = None) -> None:
        self.nb, self.error = nb, error

    @property
    def code_cells(self) -> list:
        return [c for c in self.nb.cells if c.cell_type == "code"]

    def errors(self) -> list[str]:
        return [f"cell {i}: {o.ename}: {o.evalue}\n" + "\n".join(o.traceback)[-4000:]
                for i, c in enumerate(self.code_cells) for o in c.outputs if o.output_type == "error"]

    def outputs(self, source_contains: str) -> list:
        """The outputs of the code cells whose source contains a string."""
        cells = [c for c in self.code_cells if source_contains in c.source]
        assert cells, f"no cell contains {source_contains!r}"
        return [o for c in cells for o in c.outputs]

    def text(self, source_contains: str) -> str:
        parts = []
        for o in self.outputs(source_contains):
            if o.output_type == "stream":
                parts.append(o.text)
            elif "data" in o:
                parts += [str(o.data.get(kind, "")) for kind in ("text/plain", "text/html", "text/markdown")]
        return "\n".join(parts)

    def kinds(self, source_contains: str) -> set[str]:
        return {kind for o in self.outputs(source_contains) for kind in o.get("data", {})}


async def _execute(path: Path, env: dict[str, str], gate: asyncio.Semaphore) -> Run:
    nb = nbformat.read(path, as_version=4)
    cwd = ROOT if path.name in FROM_ROOT else NOTEBOOKS
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    async with gate:
        try:
            await client.async_execute(env=env)
        except Exception as exc:  # a kernel that died or a cell timeout: reported by the test of that notebook
            return Run(nb, exc)
        return Run(nb)


async def _execute_all(paths: list[Path], env: dict[str, str]) -> list[Run]:
    gate = asyncio.Semaphore(PARALLEL)
    return await asyncio.gather(*(_execute(p, env, gate) for p in paths))


def wanted(items: list[pytest.Item]) -> list[Path]:
    """The notebooks the selected tests of this module read: a test parametrized by a notebook reads
    that one, `test_<number>_…` the notebook of that number, any other test that asks for `runs` all."""
    paths, names = notebook_paths(), set()
    for item in items:
        module = getattr(item, "module", None)
        if module is None or module.__name__ != __name__ or "runs" not in getattr(item, "fixturenames", ()):
            continue
        number = re.match(r"test_(\d\d|app)_", getattr(item, "originalname", item.name))
        if hasattr(item, "callspec") and "name" in item.callspec.params:
            names.add(item.callspec.params["name"])
        elif number:
            names.update(p.name for p in paths if p.stem.split("_")[0] == number.group(1))
        else:
            return paths
    return [p for p in paths if p.name in names]


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[str, Run]:
    paths = wanted(request.session.items)
    env = kernel_env(tmp_path_factory.mktemp("notebook-kernels"))
    results = asyncio.run(_execute_all(paths, env))
    return {p.name: r for p, r in zip(paths, results, strict=True)}


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in notebook_paths()])
def test_the_notebook_runs_top_to_bottom_without_errors(runs, name):
    run = runs[name]
    assert run.error is None, f"{name} did not finish: {type(run.error).__name__}: {run.error}"
    errors = run.errors()
    assert not errors, f"{name} raised in a cell:\n" + "\n\n".join(errors)
    assert all(c.execution_count for c in run.code_cells), f"{name}: a cell was not executed"


@pytest.mark.slow
def test_00_the_quickstart_shows_the_workbench_and_its_selection(runs):
    run = runs["00_quickstart.ipynb"]
    assert WIDGET in run.kinds("wb = Workbench.from_paths")
    assert "'memories': 28" in run.text("corpus.summary()") and "'notes': 110" in run.text("corpus.summary()")
    assert "/debugging/2026-04-incident.md" in run.text('frames["notes"]')
    selected = run.text("wb.selection =")
    assert "Stripe webhooks" in selected and "fate" in selected
    assert "'pending': " in run.text("wb.review.counts()")


@pytest.mark.slow
def test_01_explore_shows_the_map_the_tables_and_the_plots(runs):
    run = runs["01_explore_memory.ipynb"]
    assert WIDGET in run.kinds("explorer = Explorer(analysis)")
    assert "'duplicate_groups'" in run.text('found.to_dict()["counts"]')
    assert PLOTLY in run.kinds("plots.timeline(corpus)") and PLOTLY in run.kinds("plots.support_heatmap(analysis)")
    assert "<table" in run.text("pd.DataFrame(found.conflicts)")
    assert "Postgres" in run.text('explorer.search.value = "postgres"')


@pytest.mark.slow
def test_02_tuning_shows_counts_per_setting_scopes_and_an_ab_difference(runs):
    run = runs["02_tune_focus.ipynb"]
    assert WIDGET in run.kinds("tuner = FocusTuner(analysis)")
    assert "protect: /team/" in run.text("tuner.focus.scopes.describe()")
    table = run.text("for name, focus in settings.items()")
    assert "only merges and updates" in table and "never touch /team/" in table
    assert "<table" in run.text("tuner.differences")


@pytest.mark.slow
def test_03_review_decides_from_code_asks_whether_the_store_still_answers_and_pins_a_value(runs):
    run = runs["03_dream_and_review.ipynb"]
    assert WIDGET in run.kinds("panel = ReviewPanel(") and WIDGET in run.kinds("timeline = ConflictTimeline(")
    counts = run.text("review.reject(reject.id)")
    assert "'reject': 1" in counts and "'edit': 1" in counts
    assert "'retrieved_after'" in run.text("Evaluator(analysis, session_probes(analysis))")
    assert "'edit'" in run.text("timeline.pin(")


@pytest.mark.slow
def test_04_export_verifies_and_round_trips(runs):
    run = runs["04_export_snapshot.ipynb"]
    assert "CHANGES.md" in run.text("export_snapshot(corpus.store")
    assert "Verification(ok=True" in run.text("verify_snapshot(out)")
    assert run.text("again = load_store").strip().endswith("True)")
    assert "'duplicates'" in run.text("score(plan, labels)")


@pytest.mark.slow
def test_05_compare_engines_says_there_is_no_key_and_shows_dry_runs(runs):
    run = runs["05_compare_engines.ipynb"]
    claude = run.text('engine="claude"')
    assert "No ANTHROPIC_API_KEY" in claude and "dry run: nothing was sent" in claude and "input_tokens" in claude
    assert "dry run: nothing was sent" in run.text('engine="platform"')
    assert "offline" in run.text("pd.json_normalize([score(p, labels) for p in plans")
    assert "tfidf" in run.text("by_embedder = ")


@pytest.mark.slow
def test_06_evaluate_shows_bars_regressions_tokens_saved_and_a_careful_review(runs):
    run = runs["06_evaluate_dream.ipynb"]
    summary = run.text("report = evaluator.report(plan)")
    before = int(re.search(r"'answered_before': (\d+)", summary).group(1))
    assert before > 0
    assert PLOTLY in run.kinds('plots.evaluation_bars(summary_frame({"offline')
    assert "question" in run.text("report.regressions_frame()")
    assert "saved" in run.text('tokens = report.to_dict()["tokens"]')
    assert "careful: " in run.text("careful = Review(plan)") and ", 0 regressions" in run.text("careful = Review(plan)")
    assert WIDGET in run.kinds("panel = ReviewPanel(Review(plan), analysis=analysis, evaluator=evaluator)")
    assert f"'before': {before}, 'after': {before}" in run.text("snapshot.manifest[")


@pytest.mark.slow
def test_07_the_fleet_notebook_shows_rows_the_distribution_a_rerun_and_a_store_in_the_workbench(runs):
    run = runs["07_fleet.ipynb"]
    assert "'stores': 5" in run.text("summary(results)") and "'failed': 1" in run.text("summary(results)")
    assert "gone: " in run.text("for row in results") and "no such file or directory" in run.text("for row in results")
    assert PLOTLY in run.kinds("plot(results)")
    assert run.text("again = run_fleet(").count("<td>True</td>") == 4
    assert WIDGET in run.kinds("wb = Workbench(")


@pytest.mark.slow
def test_app_the_notebook_displays_the_workbench(runs):
    assert WIDGET in runs["app.ipynb"].kinds("Workbench.from_paths")

