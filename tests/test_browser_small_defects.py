"""Small defects a person meets in the app (Voila, headless Chromium), each with its test: the topic
filter shows "all notes", the review's find box shows its whole hint, the page names the store it
shows (after opening another one too), and the header counts edited operations apart, as the review does.
"""

from __future__ import annotations

import re

import pytest
from test_browser import (  # noqa: F401 - fixtures (browser, page, voila) are used by name
    RENDER_TIMEOUT,
    ROOT,
    STEP_TIMEOUT,
    assert_clean,
    browser,
    explained,
    page,
    screenshot,
    voila,
)
from test_browser_review import open_app, review_tab, tab, wait_header

pytestmark = pytest.mark.browser

FITS = """(el) => {  // the placeholder's width against the room the input gives its text
  const s = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
  const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return [ctx.measureText(el.placeholder).width, room];
}"""


def count_in(root, label: str) -> int:
    """The number a row of stats (the header's, the review's) shows next to a label."""
    match = re.search(rf"<b>([\d,]+)</b><span>{label}</span>", root.inner_html())
    assert match, f"no {label!r} count"
    return int(match.group(1).replace(",", ""))


def test_the_topic_filter_says_all_notes(voila, page):  # noqa: F811
    with explained(page, voila, "defect-topic"):
        workbench = open_app(page, voila, fresh=False)
        topic = workbench.locator(".widget-dropdown").filter(has_text="topic").locator("select").first
        shown = topic.evaluate("el => el.selectedIndex >= 0 ? el.options[el.selectedIndex].text.replace(/\\s+/g, ' ') : ''")
        assert shown == "all notes", shown
        topic.select_option(index=1)
        workbench.get_by_text(re.compile(r"[\d,]+ selected")).first.wait_for(timeout=STEP_TIMEOUT)
        topic.select_option(label="all notes")
        page.wait_for_function("el => el.options[el.selectedIndex].text.replace(/\\s+/g, ' ') === 'all notes'",
                               arg=topic.element_handle(), timeout=STEP_TIMEOUT)
        assert_clean(page)


def test_the_review_find_box_shows_its_whole_hint(voila, page):  # noqa: F811
    with explained(page, voila, "defect-find"):
        review = review_tab(open_app(page, voila, fresh=False))
        find = review.locator("input[placeholder^='words in text']")
        width, room = find.evaluate(FITS)
        screenshot(page, "defect-find.png")
        assert width <= room, f"the hint needs {width:.0f} px, the box gives {room:.0f} px"


def test_the_page_names_the_store_it_shows_after_another_is_opened(voila, page):  # noqa: F811
    with explained(page, voila, "defect-title"):
        workbench = open_app(page, voila, fresh=False)
        assert "coding-assistant/store.json" in page.locator(".wb-header .wb-source").inner_text()
        opened = tab(workbench, "Open & save")
        data = ROOT / "sample-data" / "legal-research"  # absolute: the test server is not started in the project
        opened.locator("input[placeholder^='a store']").fill(str(data / "store.json"))
        opened.locator("input[placeholder^='sessions']").fill(str(data / "sessions"))
        opened.locator("button", has_text=re.compile(r"^\s*Open\s*$")).click()  # its name holds the icon's glyph
        opened_notice = workbench.get_by_text(re.compile(r"Opened .*legal-research")).first
        opened_notice.wait_for(state="attached", timeout=RENDER_TIMEOUT)  # its tab may be left for the new map
        page.wait_for_function("() => document.querySelector('.wb-header .wb-source').innerText"
                               ".includes('legal-research/store.json')", timeout=STEP_TIMEOUT)
        body = page.locator("body").inner_text()
        assert "coding assistant" not in body and "coding-assistant" not in body
        screenshot(page, "defect-title.png")
        assert_clean(page)


def test_the_header_counts_edited_operations_apart_as_the_review_does(voila, page):  # noqa: F811
    with explained(page, voila, "defect-edited"):
        workbench = open_app(page, voila)
        review = review_tab(workbench)
        card = review.locator(".wb-opcard").first
        box = card.locator("textarea")
        box.fill(box.input_value() + " Confirmed.")
        box.blur()
        card.get_by_text("unsaved edit").wait_for(timeout=STEP_TIMEOUT)
        card.get_by_role("button", name="Approve edited text").click()
        wait_header(page, "edited", 1)
        pending = page.locator(".wb-badge", has_text=re.compile("^pending$"))  # every operation fits one page here
        review.locator(".wb-opcard").filter(has=pending).first.get_by_role("button", name="Approve").click()
        wait_header(page, "approved", 1)
        header = page.locator(".wb-header").first
        summary = review.locator(".widget-html").filter(has=page.locator(".wb-stat")).first
        for label, value in (("approved", 1), ("edited", 1)):
            assert count_in(header, label) == count_in(summary, label) == value, label
        assert_clean(page)
