"""Readings of a changed value, and the stale readings added beside them: each fires on the phrasing it names
and stays silent on its look-alikes (a negated word that is no value, an arrow that is a flow, another subject,
a plain "none", a lesson that says "fixed", an introduction over a list)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workbench.compare import profile
from workbench.dream.supersede import change_word, names_old, with_new_value
from workbench.records import Corpus, Memory, Store
from workbench.statements import closed_marker, placeholder, without_placeholder


@pytest.mark.parametrize("older, newer, old", [
    ("Dev API server runs on port 8787.", "Correction: the dev API port is 8788 now, not 8787.", "8787"),
    ("Pro plan: $29/month, 500 labels included.", "As of September the Pro plan is $35/month (was $29).", "$29"),
    ("DB: Postgres 15 on the main host.", "Upgraded Postgres 15 → 16 on 2026-07-20.", "15"),
    ("Indent with tabs in every package.", "I said tabs earlier; it is 2 spaces now in every package.", "tabs"),
])
def test_a_newer_note_naming_the_older_value_as_old_replaces_it(older, newer, old):
    found = names_old(profile(older), profile(newer))
    assert found is not None and found[0] == old


@pytest.mark.parametrize("older, newer", [
    # "not merely" names no value; an arrow between words is a flow; no change word
    ("The reflection should not merely be a summary.", "Acks should now be final and not merely a summary of 2 turns."),
    ("Break down into components.", "Break down → Analyze → Synthesize → Connect (now with 4 steps)."),
    ("Dev API server runs on port 8787.", "The dev API port is 8788, 8787 is the proxy."),
])
def test_look_alikes_of_an_old_value_change_nothing(older, newer):
    assert names_old(profile(older), profile(newer)) is None


def test_a_change_word_needs_the_closest_note_and_other_values():
    older, newer = profile("Tests use Vitest 1.x."), profile("Since v0.14 the repo uses Vitest 2.1.")
    assert change_word(older, newer, closest=True) and not change_word(older, newer, closest=False)
    assert not change_word(profile("Tests use Vitest."), profile("Since today the repo uses Vitest."), closest=True)


def test_an_older_note_that_says_more_takes_the_one_new_value_and_keeps_the_rest():
    older = profile("Ada's allowance: $5/week, paid on Sundays.")
    newer = profile("Ada's allowance was raised to $7/week.")
    assert with_new_value(older, newer, {"$5"}) == "Ada's allowance: $7/week, paid on Sundays."
    two = profile("Mortgage: 6.1% fixed, $2,340/mo, due on the 1st.")
    assert with_new_value(two, profile("Payment is now $2,105/mo and 5.2%."), {"6.1%", "$2,340"}) == ""


@pytest.mark.parametrize("text, empty", [
    ("Next release: TBD", True), ("Piano tuner: unknown", True),
    ("Allergies: none", False), ("Q: what is it? A: unknown reason", False), ("TBD means to be decided.", False),
    ("This block has been cleared of obsolete user information and failure logs.", True),
    ("The cache was cleared on deploy.", False), ("This section is reset every Monday by the bot.", False),
])
def test_a_label_with_a_placeholder_value_is_a_placeholder_and_none_is_a_value(text, empty):
    assert bool(placeholder(text)) is empty


@pytest.mark.parametrize("text, closed", [
    ("CSV import fails on files over 5 MB — fixed in 4.12 (2026-09-09).", True),
    ("Dishwasher leak — fixed by the tech on 2026-09-22.", True),
    ("We resolved to keep it — done with care", False),
    ("Fixed the bug by mocking the clock — works", False),
])
def test_a_status_after_a_dash_closes_an_item_and_a_sentence_does_not(text, closed):
    assert bool(closed_marker(text)) is closed


def test_a_lead_in_naming_a_record_is_the_parent_of_its_list_and_an_introduction_is_not():
    text = ("Claim HO-22871, hail damage:\n\n- Status: pending\n\nClaim AU-90314, windshield chip:\n\n- Status: pending\n\n"
            "Guidelines from the team:\n\n- Reply within a day.\n")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    loaded = Corpus(Store((Memory("m0", "/claims.md", text, at, at),))).notes
    notes = {n.text: n for n in loaded}
    statuses = [n for n in loaded if n.text == "Status: pending"]
    assert [s.parents for s in statuses] == [("Claim HO-22871, hail damage:",), ("Claim AU-90314, windshield chip:",)]
    assert notes["Reply within a day."].parents == ()


def test_i_had_a_value_names_it_as_the_old_one():
    older = profile("UPS daily pickup costs $12/week.")
    newer = profile("Actually UPS daily pickup is $15/week since the 2026 rate change; I had $12 from the old rate card.")
    assert names_old(older, newer) == ("$12", "$15")
    assert names_old(profile("We run 3 servers."), profile("Actually we had 3 servers in the old plan too.")) is None


def test_a_changed_value_said_in_few_shared_words_is_paired_by_its_rare_name():
    from workbench.analysis import analyze

    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    text = ("# House\n\n- Lawn service: GreenLeaf, every other Friday, $55/visit.\n- Trash goes out Sunday night.\n"
            "- The boiler was serviced by Heatwise in October.\n- Per Tomás on 2026-10-03, GreenLeaf is now $65 a visit.\n")
    analysis = analyze(Corpus(Store((Memory("m0", "/house.md", text, at, at),))), "tfidf")
    by_text = {n.text: n.id for n in analysis.corpus.notes}
    pairs = analysis.pairs
    lawn, now = by_text["Lawn service: GreenLeaf, every other Friday, $55/visit."], \
        by_text["Per Tomás on 2026-10-03, GreenLeaf is now $65 a visit."]
    row = pairs[(pairs.older.isin([lawn, now])) & (pairs.newer.isin([lawn, now]))]
    assert len(row) == 1 and bool(row.structural.iloc[0])
    boiler = by_text["The boiler was serviced by Heatwise in October."]
    assert not ((pairs.older == boiler) | (pairs.newer == boiler)).any()  # no shared name, no pair


def test_a_thing_that_moved_is_no_old_value_and_a_word_is_never_rewritten():
    older = profile("Weekly pipeline review with Odile: Tuesdays 9:00")
    newer = profile("Pipeline review moved from Tue to Thu 9:30 as of Oct (Odile has an exec meeting on Tuesdays now).")
    assert names_old(older, newer)[0] == "Tue"  # "from Tue" names the old day ("Tue" is "Tuesday"), never "review"
    moved = profile("Pipeline review moved to the big room at 9:30 (Odile has an exec meeting there now).")
    assert names_old(older, moved) is None
    assert with_new_value(older, newer, {"review"}) == ""


@pytest.mark.parametrize("text, kept", [
    ("Northfield Outfitters (Business plan) — account manager: TBD", "Northfield Outfitters (Business plan)"),
    ("Soccer head coach (Coach Ruiz) phone: (unknown)", "Soccer head coach (Coach Ruiz)"),
    ("Next release: TBD", ""), ("Phone (mobile): unknown", ""),
])
def test_a_placeholder_beside_a_record_keeps_the_record(text, kept):
    assert without_placeholder(text) == kept


@pytest.mark.parametrize("a, b, one", [
    ("Passport (Priya) expires 18 April 2031.", "Priya's passport expires 2031-04-18.", True),
    ("Biscuit's vet is Riverbend Animal Clinic.", "The vet is Riverbend Animal Clinic for Biscuit.", True),
    ("Arsenal beat Chelsea in the final.", "Chelsea beat Arsenal in the final.", False),  # two items trade places
])
def test_one_moved_item_is_not_two_swapped_roles(a, b, one):
    from workbench.dream.rules import one_moved

    assert one_moved(profile(a), profile(b)) is one
