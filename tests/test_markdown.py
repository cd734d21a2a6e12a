"""Markdown documents: titles agents write without `#` head the notes under them, and spans stay exact."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from builders import SHARED_DATA

from workbench import load_corpus
from workbench.markdown import parse, rewrite_content
from workbench.records import Corpus, Memory, split_notes

T0 = datetime(2025, 3, 2, 9, 14, 7, tzinfo=timezone.utc)


def memory(content: str) -> Memory:
    return Memory(id="mem_doc", path="/notes.md", content=content, created_at=T0, updated_at=T0)


def shape(content: str) -> list[tuple[str, str, str]]:
    return [(p.kind, p.section, p.text) for p in parse(content)]


TITLES = [
    pytest.param(
        "# Plans\n\n**Pro ($20/mo):**\n\n- 5x usage\n- Priority access\n\n**Max ($100/mo):**\n- 20x usage\n",
        [("bullet", "Plans / Pro ($20/mo)", "5x usage"), ("bullet", "Plans / Pro ($20/mo)", "Priority access"),
         ("bullet", "Plans / Max ($100/mo)", "20x usage")],
        id="a bold paragraph over a list titles its items and is no note",
    ),
    pytest.param(
        "**Analysis:**\n\nPeak activity is 19:00-21:00 GMT.\n\nIt moved from 01:00-04:00.\n",
        [("paragraph", "Analysis", "Peak activity is 19:00-21:00 GMT."),
         ("paragraph", "Analysis", "It moved from 01:00-04:00.")],
        id="a bold label line titles the paragraphs under it",
    ),
    pytest.param(
        "__Core Principles__:\n\n- Be direct.\n\n***Tone***\n\n- Dry.\n",
        [("bullet", "Core Principles", "Be direct."), ("bullet", "Tone", "Dry.")],
        id="underscores, a colon outside the bold and bold italics are titles too",
    ),
    pytest.param(
        "## Login\n\nKnown issues:\n- Token expires early\n- No SSO\n",
        [("bullet", "Login / Known issues", "Token expires early"), ("bullet", "Login / Known issues", "No SSO")],
        id="a bare label line over a list titles its items, one level below the heading",
    ),
    pytest.param(
        "**Pro:**\n\nFeatures:\n- Sync\n\nLimits:\n- 5 seats\n\n**Max:**\n\nFeatures:\n- Audit log\n",
        [("bullet", "Pro / Features", "Sync"), ("bullet", "Pro / Limits", "5 seats"),
         ("bullet", "Max / Features", "Audit log")],
        id="a label title sits under a bold title and ends at the next title of its level",
    ),
    pytest.param(
        "**Draft:**\n\n- Ship Friday\n\n# Final\n\n- Ship Monday\n\n**Later:**\n\n- Retro\n\n---\n\n- Party\n",
        [("bullet", "Draft", "Ship Friday"), ("bullet", "Final", "Ship Monday"), ("bullet", "Final / Later", "Retro"),
         ("bullet", "Final", "Party")],
        id="a heading or a thematic break ends a title",
    ),
    pytest.param(
        "- Deploys\n\n  **Checklist:**\n\n  - Tag the release\n- Reviews\n  - Small PRs\n",
        [("bullet", "", "Deploys"), ("bullet", "Checklist", "Tag the release"), ("bullet", "", "Reviews"),
         ("bullet", "", "Small PRs")],
        id="a title inside a list item ends with the item",
    ),
    pytest.param(
        "> **Note:**\n>\n> Pin versions.\n\nRun the tests.\n",
        [("quote", "Note", "Pin versions."), ("paragraph", "", "Run the tests.")],
        id="a title inside a block quote ends with the quote",
    ),
    pytest.param(
        "# Rules\n\n- Use ruff.\n\n**Never force-push to main.**\n",
        [("bullet", "Rules", "Use ruff."), ("paragraph", "Rules", "**Never force-push to main.**")],
        id="a bold sentence with nothing under it stays a note",
    ),
    pytest.param(
        "**Never force-push to main.**\n\nUse the merge queue.\n\n**Pending:**\n",
        [("paragraph", "", "**Never force-push to main.**"), ("paragraph", "", "Use the merge queue."),
         ("paragraph", "", "**Pending:**")],
        id="a bold sentence is a fact, and a bold label that ends the document stays a note",
    ),
    pytest.param(
        "**Setup:**\n\n- uv sync\n\n**Folder layout:**\n\n```\nsrc/\n```\n",
        [("bullet", "Setup", "uv sync"), ("lead", "", "**Folder layout:**"), ("code", "", "```\nsrc/\n```")],
        id="a bold label over a code block stays a note but ends the title before it",
    ),
    pytest.param(
        "**A:**\n\n**B:**\n\n- x\n",
        [("paragraph", "", "**A:**"), ("bullet", "B", "x")],
        id="a title with only a title of its level after it stays a note",
    ),
    pytest.param(
        "**Status:** Proposed\n\n**Owner** and **reviewer** agree.\n\nsome of my favourites:\n\n- Loom art\n",
        [("paragraph", "", "**Status:** Proposed"), ("paragraph", "", "**Owner** and **reviewer** agree."),
         ("lead", "", "some of my favourites:"), ("bullet", "", "Loom art")],
        id="partly bold lines and lower-case lead-in sentences are no titles",
    ),
    pytest.param(
        "**Tool design**\n\n**Status:** Proposed\n\nUsers asked for it.\n",
        [("paragraph", "Tool design", "**Status:** Proposed"), ("paragraph", "Tool design", "Users asked for it.")],
        id="a bold Label: value line belongs to the title above it",
    ),
]


@pytest.mark.parametrize("content, expected", TITLES)
def test_titles_head_the_notes_under_them(content, expected):
    assert shape(content) == expected


ISSUES = [
    pytest.param("**Issue 12: login fails**\n\nReporter: Jane\nStatus: open\n\n"
                 "**Issue 14: slow search**\n\nReporter: Luis\nStatus: open\n", id="titles apart from their fields"),
    pytest.param("**Issue 12: login fails**\nReporter: Jane\nStatus: open\n\n"
                 "**Issue 14: slow search**\nReporter: Luis\nStatus: open\n", id="a title line right above its fields"),
    pytest.param("Issue 12:\nReporter: Jane\nStatus: open\n\nIssue 14:\nReporter: Luis\nStatus: open\n",
                 id="label titles right above their fields"),
]


@pytest.mark.parametrize("content", ISSUES)
def test_two_equal_fields_under_two_different_titles_have_different_sections(content):
    fields = [(p.kind, p.section, p.text) for p in parse(content)]
    assert [kind for kind, _, _ in fields] == ["field"] * 4
    status = [(section, text) for _, section, text in fields if text.startswith("Status")]
    assert [text for _, text in status] == ["Status: open", "Status: open"]
    assert status[0][0] != status[1][0] and status[0][0].startswith("Issue 12")


def test_a_bold_name_ending_in_an_abbreviation_heads_its_fields_and_a_bold_sentence_stays_a_fact():
    content = ("**Coldharbor Elevator Co.**\nPlan: Pro\nOwner: Dana Reyes\n\n"
               "**Never deploy on Fridays.**\nAsk Dana first.\n")
    parts = [(p.kind, p.section, p.text) for p in parse(content)]
    assert parts[:2] == [("field", "Coldharbor Elevator Co.", "Plan: Pro"),
                         ("field", "Coldharbor Elevator Co.", "Owner: Dana Reyes")]
    assert parts[2][0] == "paragraph" and parts[2][2].startswith("**Never deploy on Fridays.**")


LIST_TITLES = [
    pytest.param("- **Core Principles:**\n  - Be direct.\n  - Be brief.\n- **Empty:**\n",
                 ["title", "bullet", "bullet", "bullet"], id="a bold item with children"),
    pytest.param("1. Known issues:\n   1. Token expires early\n2. Status:\n", ["title", "numbered", "numbered"],
                 id="a label item with children"),
    pytest.param("- **Core Principles:** be direct\n  - Always.\n", ["bullet", "bullet"],
                 id="an item that is not only a title"),
]


@pytest.mark.parametrize("content, kinds", LIST_TITLES)
def test_a_title_only_list_item_with_children_is_a_title_note_and_still_their_parent(content, kinds):
    notes = split_notes(memory(content))
    assert [n.kind for n in notes] == kinds
    assert notes[1].parent == notes[0].id and notes[1].parents == (notes[0].text,)
    assert notes[1].section == ""  # an item heads its children as their parent, not as a section


SPANS = [
    pytest.param("# Plans\n\n**Pro ($20/mo):**\n\n- 5x usage\n- Priority\n  access\n",
                 ["- 5x usage", "- Priority\n  access"], "# Plans\n\n**Pro ($20/mo):**\n\n",
                 id="items under a bold title"),
    pytest.param("**Issue 12**\r\nReporter: Jane\r\nStatus: open\r\n\r\nKnown issues:\r\n- No SSO\r\n",
                 ["Reporter: Jane", "Status: open", "- No SSO"], "**Issue 12**\r\n\r\nKnown issues:\r\n",
                 id="fields under a title line, CRLF"),
    pytest.param("> **Note:**\n>\n> Pin versions.\n\n- **Deploys:**\n  - Tag it\n",
                 ["> Pin versions.", "- **Deploys:**", "  - Tag it"], "> **Note:**\n>\n\n",
                 id="a quoted title and a title item"),
]


@pytest.mark.parametrize("content, spans, titles_only", SPANS)
def test_spans_stay_exact_and_titles_lie_outside_every_note(content, spans, titles_only):
    notes = split_notes(memory(content))
    assert [content[n.start:n.end] for n in notes] == spans
    assert rewrite_content(content, notes, {}) == content
    assert rewrite_content(content, notes, {n.id: None for n in notes}) == titles_only
    marker = spans[-1][:len(spans[-1]) - len(spans[-1].lstrip(" >-"))]
    edited = rewrite_content(content, notes, {notes[-1].id: "Edited."})
    assert edited == content[:notes[-1].start] + marker + "Edited." + content[notes[-1].end:]


def letta(name: str) -> Corpus:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{name} not found: the public Letta agent files live in ../shared/data")
    return load_corpus(path)


def test_a_real_letta_agents_bold_titles_are_sections_not_notes():
    corpus = letta("letta_void_current_schema.af")
    metrics = next(m for m in corpus.memories if m.path == "/blocks/operational_metrics.md")
    assert "**Hourly Activity Profile:**" in metrics.content
    notes = split_notes(metrics)
    assert "**Hourly Activity Profile:**" not in {n.text for n in corpus.notes}
    hourly = [n.text for n in notes if n.section == "Activity Analysis (2025-11-07) / Hourly Activity Profile"]
    assert hourly == ["**18:00-19:00:** 13 posts", "**19:00-20:00:** 22 posts", "**20:00-21:00:** 23 posts",
                      "**21:00-22:00:** 5 posts"]
    for memory_ in corpus.memories:
        assert rewrite_content(memory_.content, split_notes(memory_), {}) == memory_.content


def test_a_bold_name_with_a_description_over_a_list_titles_the_list_and_stays_a_fact():
    content = ("**RGO-26-041** — Grant, NRF Discovery\n- PI: Dr. Hollis Grant\n- Status: awaiting sign-off\n\n"
               "**RGO-26-044** — Chen, NRF Discovery\n- PI: Dr. Liang Chen\n- Status: awaiting sign-off\n\n"
               "**Remember** to file the form.\n- one\n")
    parts = [(p.section, p.text) for p in parse(content)]
    assert ("", "**RGO-26-041** — Grant, NRF Discovery") in parts  # the description is a fact of its own
    status = [section for section, text in parts if text.startswith("Status")]
    assert status == ["RGO-26-041", "RGO-26-044"]
    assert ("", "one") in parts  # bold words opening a sentence title nothing
