"""The map at 20,000 notes in a real browser (Voila, headless Chromium): draw, pan, select, recolour.

The page is an Explorer over a synthetic analysis (notes in twenty blobs, a thousand conflict links),
built in the kernel without embedding anything, so the test measures the map, not the analysis.
Timings are printed (`[numbers]`), never asserted: the machine is shared.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from test_browser import (  # noqa: F401 - fixtures (browser, page) are used by name
    RENDER_TIMEOUT,
    STEP_TIMEOUT,
    Server,
    app_command,
    assert_clean,
    browser,
    explained,
    free_port,
    map_of,
    map_state,
    page,
    screenshot,
    server_env,
)

pytestmark = pytest.mark.browser
NOTES = 20_000

BUILD = '''\
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from workbench.analysis import Analysis
from workbench.findings import ConflictPair, findings
from workbench.records import Corpus, Memory, Store
from workbench.ui import Explorer

n, t0 = {notes}, datetime(2025, 1, 1, tzinfo=timezone.utc)
rng = np.random.default_rng(0)
memories = tuple(Memory(id=f"m{{i}}", path=f"/topic-{{i % 12}}/f{{i}}.md", created_at=t0, updated_at=t0 + timedelta(days=i % 300),
                        content="".join(f"- fact {{j}} of file {{i}} about topic {{i % 20}}\\n" for j in range(10)))
                 for i in range(n // 10))
corpus = Corpus(Store(memories))
ids = pd.Index([note.id for note in corpus.notes], name="id")
blob = rng.integers(0, 20, n)
centres = rng.normal(scale=8, size=(20, 2))
xy = centres[blob] + rng.normal(size=(n, 2))
pairs = rng.integers(0, n, size=(1000, 2))
analysis = Analysis(
    corpus=corpus, embedder_id="fake", bars={{"support": 0.5, "floor": 0.3}}, note_ids=list(ids),
    vectors=rng.normal(size=(n, 4)).astype(np.float32), statements=[], statement_vectors=np.zeros((0, 4), np.float32),
    neighbours=np.zeros((n, 0), int), neighbour_similarity=np.zeros((n, 0), np.float32), pairs=pd.DataFrame(),
    mentions=pd.DataFrame(columns=["statement", "note", "session", "relation", "similarity"]), profiles={{}},
    clusters=pd.DataFrame({{"cluster": blob, "label": "topic"}}, index=ids),
    coords=pd.DataFrame({{"x": xy[:, 0], "y": xy[:, 1]}}, index=ids),
)
found = findings(analysis)  # findings are computed when first read; this synthetic store's links are given
found.__dict__.update(duplicates=(), conflicts=tuple(ConflictPair(ids[a], ids[b], ids[b], 0.5, "value", "differs")
                                                     for a, b in pairs if a != b))
explorer = Explorer(analysis, layout=None)
explorer
'''


@pytest.fixture(scope="module")
def voila20k(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("voila20k")
    notebook = tmp / "map20k.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(BUILD.format(notes=NOTES))]
    nbformat.write(nb, notebook)
    port = free_port()
    command = app_command(notebook, open_browser=False, port=port, extra=["--Voila.ip=127.0.0.1"])
    url = f"http://127.0.0.1:{port}/"
    server = Server(command, url, url + "favicon.ico", server_env(tmp), tmp / "voila.log", any_status=True)
    request.addfinalizer(server.stop)
    server.wait_ready()
    return server


def drawn(wbm) -> int:
    return int(map_state(wbm).get("draws", "0"))


def test_the_map_stays_usable_at_20000_notes(voila20k, page):  # noqa: F811
    with explained(page, voila20k, "map-20k"):
        started = time.perf_counter()
        page.goto(voila20k.url, timeout=RENDER_TIMEOUT)
        root = page.locator(".wb-root").first
        wbm = map_of(page)
        first_map = time.perf_counter() - started
        state = map_state(wbm)
        assert state["points"] == str(NOTES)
        numbers = {"page request → first drawn map (pre-heated kernel)": f"{first_map:.1f} s",
                   "one full draw": f"{float(state['drawMs']):.0f} ms"}

        # pan: drag the map across in pan mode; every frame is drawn in the browser, none asks the kernel
        wbm.get_by_role("button", name="Pan").click()
        box = wbm.locator("canvas.wbm-overlay").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        before = drawn(wbm)
        t = time.perf_counter()
        page.mouse.move(x, y)
        page.mouse.down()
        for k in range(1, 16):
            page.mouse.move(x + 15 * k, y + 8 * k)
        page.mouse.up()
        page.wait_for_function("([el, n]) => Number(el.dataset.draws) > n", arg=[wbm.element_handle(), before],
                               timeout=STEP_TIMEOUT)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        frames = drawn(wbm) - before
        numbers["pan: a drag of 15 moves, drawn"] = (f"{time.perf_counter() - t:.2f} s, {frames} frames "
                                                    f"(last frame {float(map_state(wbm)['drawMs']):.0f} ms)")
        wbm.get_by_role("button", name="Reset view").click()

        # select: a box over part of the map; the kernel's table says how many are selected
        wbm.get_by_role("button", name="Box").click()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=8)
        t = time.perf_counter()
        page.mouse.up()
        n = int(map_state(wbm)["selected"])
        in_browser = time.perf_counter() - t
        assert n > 100
        root.get_by_text(f"{n:,} selected").first.wait_for(timeout=STEP_TIMEOUT)
        numbers["box selection: in the browser"] = (f"{float(map_state(wbm)['selectMs']):.0f} ms to find "
                                                    f"{n:,} notes ({in_browser:.2f} s until the test read it)")
        numbers["box selection → wb.selection → table shown"] = f"{time.perf_counter() - t:.2f} s"

        # recolour: by folder; the kernel sends one byte per note and the browser redraws
        colours = int(map_state(wbm)["colors"])
        t = time.perf_counter()
        root.locator("select").filter(has=page.locator("option", has_text=re.compile("^path$"))).first.select_option(
            "path")
        page.wait_for_function("([el, c]) => Number(el.dataset.drawnColors) > c", arg=[wbm.element_handle(), colours],
                               timeout=STEP_TIMEOUT)
        numbers["recolour (by folder) → drawn"] = f"{time.perf_counter() - t:.2f} s"
        assert any(t.startswith("/topic-") for t in wbm.locator(".wbm-legend .wbm-item").all_inner_texts())
        screenshot(page, "map-20k.png")
        print("\n" + "\n".join(f"[numbers] map at {NOTES:,} notes: {k}: {v}" for k, v in numbers.items()))
        assert_clean(page)
