"""In a real browser: typed instructions compile beside the text box, and one click removes a scope."""

from __future__ import annotations

import re

import pytest
from test_browser import (  # noqa: F401 - fixtures (browser, page, lab) are used by name
    ACTIVE,
    RENDER_TIMEOUT,
    STEP_TIMEOUT,
    assert_clean,
    browser,
    explained,
    lab,
    outer_tabs,
    page,
    run_all_cells,
    screenshot,
    to_top,
)

pytestmark = pytest.mark.browser


def test_the_tuner_shows_compiled_scopes_and_removes_one_with_a_click(lab, page):  # noqa: F811
    with explained(page, lab, "focus-tuner"):
        page.goto(f"{lab.url}/lab/tree/notebooks/00_quickstart.ipynb?reset&token={lab.token}")
        panel = page.locator(ACTIVE)
        panel.wait_for(timeout=RENDER_TIMEOUT)
        run_all_cells(page, panel)
        workbench = panel.locator(".wb-root").filter(has=page.locator(".widget-tab")).first
        workbench.wait_for(timeout=RENDER_TIMEOUT)
        outer_tabs(workbench).filter(has_text="Tune focus").click()
        tuner = workbench.locator(".widget-tab-contents .wb-root").filter(has_text="Compiled scopes").first
        tuner.wait_for()

        tuner.locator("textarea").first.fill("Never touch /team/. Ignore small talk. Be nice.")
        scopes = tuner.locator(".wb-scope")
        scopes.filter(has_text="exclude: small talk").first.wait_for(timeout=STEP_TIMEOUT)
        assert scopes.filter(has_text="protect: /team/").count() >= 1
        tuner.get_by_text("not understood").first.wait_for(timeout=STEP_TIMEOUT)
        to_top(tuner)
        screenshot(page, "focus-1-compiled.png")

        scopes.filter(has_text="exclude: small talk").first.locator("button").first.click()  # ✕ (then "show")
        tuner.get_by_text("removed: exclude: small talk").wait_for(timeout=STEP_TIMEOUT)
        assert scopes.filter(has_text="exclude: small talk").count() == 0
        assert scopes.filter(has_text="protect: /team/").count() >= 1
        screenshot(page, "focus-2-removed.png")
        assert_clean(page)


README = "Prioritize coding preferences. Never touch /team/. Ignore small talk."


def test_the_readme_example_shows_each_scopes_notes_the_nearest_topics_and_the_diff(lab, page):  # noqa: F811
    with explained(page, lab, "focus-readme"):
        page.goto(f"{lab.url}/lab/tree/notebooks/00_quickstart.ipynb?reset&token={lab.token}")
        panel = page.locator(ACTIVE)
        panel.wait_for(timeout=RENDER_TIMEOUT)
        run_all_cells(page, panel)
        workbench = panel.locator(".wb-root").filter(has=page.locator(".widget-tab")).first
        workbench.wait_for(timeout=RENDER_TIMEOUT)
        outer_tabs(workbench).filter(has_text="Tune focus").click()
        tuner = workbench.locator(".widget-tab-contents .wb-root").filter(has_text="Compiled scopes").first
        tuner.wait_for()

        tuner.locator("textarea").first.fill(README)
        scopes = tuner.locator(".wb-scope")
        team = scopes.filter(has_text="protect: /team/").first
        team.locator(".wb-reach").wait_for(timeout=STEP_TIMEOUT)  # the count comes with the plan
        count = int(re.search(r"· (\d+) notes?", team.locator(".wb-reach").inner_text()).group(1))
        assert count > 0 and team.locator("button", has_text=f"show {count}").count() == 1
        preferences = scopes.filter(has_text="weight 2: coding preferences").first
        assert re.search(r"· \d+ notes?", preferences.locator(".wb-reach").inner_text())
        talk = scopes.filter(has_text="exclude: small talk").first
        nomatch = talk.locator(".wb-nomatch").inner_text()
        assert "no note is about “small talk”; nearest: " in nomatch and re.search(r"\(\d+ notes?\)", nomatch)
        assert re.search(r"operations \+\d+ −\d+ ↕\d+, questions \+\d+ −\d+ ↕\d+", team.inner_text())
        total = tuner.locator(".wb-focus-diff").inner_text()
        assert re.search(r"Against no focus: operations \+\d+ −\d+ ↕\d+, questions \+\d+ −\d+ ↕\d+", total)
        assert tuner.locator(".wb-histogram").count() == 2
        assert "notes are older than" in tuner.locator(".wb-horizon").inner_text()
        to_top(tuner)
        screenshot(page, "focus-3-readme.png")

        team.locator("button", has_text="show").click()
        tuner.locator(".wb-matched", has_text=f"{count} notes under “protect: /team/”").wait_for(timeout=STEP_TIMEOUT)
        screenshot(page, "focus-4-shown.png")
        tuner.locator(f'.wbm[data-selected="{count}"]').wait_for(timeout=STEP_TIMEOUT)  # selected on the tuner's map
        to_top(tuner.locator(".wbm").first)
        screenshot(page, "focus-5-map.png")
        assert_clean(page)
