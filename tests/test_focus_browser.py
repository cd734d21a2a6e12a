"""In a real browser: typed instructions compile beside the text box, and one click removes a scope."""

from __future__ import annotations

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

        scopes.filter(has_text="exclude: small talk").first.locator("button").click()
        tuner.get_by_text("removed: exclude: small talk").wait_for(timeout=STEP_TIMEOUT)
        assert scopes.filter(has_text="exclude: small talk").count() == 0
        assert scopes.filter(has_text="protect: /team/").count() >= 1
        screenshot(page, "focus-2-removed.png")
        assert_clean(page)
