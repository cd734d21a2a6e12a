"""A field's value said again with a change word, waits with a date they were due by, closed items labelled as
such, and the text forms these read: weekdays abbreviated, "85 percent", phones and emails, a ticket's number."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workbench.analysis import analyze
from workbench.compare import key_of, old_values, profile
from workbench.dream.offline import plan_from_analysis
from workbench.dream.supersede import key_changed, name_changed, names_old
from workbench.focus import Focus
from workbench.records import Corpus, Memory, Store
from workbench.statements import closed_marker, transient_time, wait_deadline
from workbench.text import find_dates, tokens, value_shape

NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)


def _changed(older: str, newer: str) -> frozenset[str] | None:
    return key_changed(profile(older), profile(newer), key_of(older))


def test_a_key_said_again_with_a_change_word_replaces_its_value():
    assert _changed("Q4 quota: $410k", "Q4 quota revised → $385k after the territory split (Oct 2).") == {"$410k"}
    assert _changed("Mateo: Saturday 10:00", "Mateo's Saturday slot → Sunday 18:00 from Nov.") == {"10:00"}


@pytest.mark.parametrize("older, newer", [
    ("Q4 quota: $410k", "Q4 quota is $410k, the same as Q3."),  # no change word
    ("Q4 quota: $410k", "Q4 quota now also covers a stretch goal of $450k."),  # a value added, not changed
    ("Q4 quota: $410k", "Pipeline revised → $2.1M after the territory split."),  # another key
    ("Quota was revised: $410k", "Q4 quota revised → $385k."),  # the older is a change itself
])
def test_a_key_said_again_without_a_change_or_with_an_added_value_is_no_change(older, newer):
    assert _changed(older, newer) is None


def test_an_old_value_named_outright_and_a_record_heading_as_the_subject():
    newer = profile("Nov 14 placement check: Noor is B1 now (was A2), so move her to the B1 track.")
    assert old_values(newer) == {"a2"}
    assert names_old(profile("Level: A2"), newer) is None  # nothing else shared
    assert names_old(profile("Level: A2"), newer, frozenset({"noor", "castellan"})) == ("A2", "14")


def _plan(text: str, path: str = "/crm.md"):
    corpus = Corpus(Store((Memory("m0", path, text, NOW, NOW),)))
    analysis = analyze(corpus, "tfidf")
    return analysis, plan_from_analysis(analysis, Focus())


def test_a_record_line_is_paired_with_a_change_that_names_its_title():
    text = ("# Accounts\n\n**Ninefold HVAC Services**\nHQ: Raleigh, NC\nSeats: 180 technicians\n\n"
            "**Coldharbor Elevator Company**\nHQ: Pittsburgh, PA\nSeats: 40 technicians\n\n"
            "# Meetings\n\n- (Oct 21) Ninefold now has 215 technicians after acquiring Piedmont Air.\n"
            "- Ninefold's dispatch desks still run on paper.\n")
    analysis, plan = _plan(text)
    by_text = {n.text: n.id for n in analysis.corpus.notes}
    seats, now = by_text["Seats: 180 technicians"], by_text["(Oct 21) Ninefold now has 215 technicians after acquiring Piedmont Air."]
    pairs = analysis.pairs
    assert ((pairs.older.isin([seats, now])) & (pairs.newer.isin([seats, now]))).any()
    other = by_text["Seats: 40 technicians"]  # another record's line: never this change's old value
    touched = [{t.id for t in op.targets} for op in plan.operations] + [{t.id for t in q.targets} for q in plan.questions]
    assert not any({other, now} <= ids for ids in touched)


def test_a_changed_field_that_restates_part_of_its_detail_is_asked_not_rewritten():
    text = ("# Schedule\n\n- Hana: 2 sessions/week (Mon, Wed 19:30)\n- Oskar: Fridays 16:00\n"
            "- Hana dropped to 1 session a week (Wed 19:30) from Nov 16, travelling most Mondays.\n")
    analysis, plan = _plan(text, "/schedule.md")
    hana = next(n.id for n in analysis.corpus.notes if n.text.startswith("Hana: 2"))
    assert not any(op.result is not None and "Mon" in op.result.text and "1 session" in op.result.text
                   for op in plan.operations)  # never "Hana: 1 sessions/week (Mon, Wed 19:30)"
    asked = [q for q in plan.questions if hana in {t.id for t in q.targets}]
    changed = [op for op in plan.operations if hana in {t.id for t in op.targets}]
    assert asked or changed and all(op.kind != "update" or op.result is None or "Mon" not in op.result.text
                                    for op in changed)


@pytest.mark.parametrize("text, due", [
    ("Birgit asked for a progress report before the parent-teacher conference on Oct 24.", "Oct 24"),
    ("Waiting on the security questionnaire — Felix promised it by Oct 31.", "Oct 31"),
    ("Waiting for the vendor's quote.", None),
    ("Birgit's conference is on Oct 24.", None),  # no wait
])
def test_a_wait_is_due_by_the_date_after_by_or_before(text, due):
    found = wait_deadline(text, NOW)
    assert (found.text if found else None) == due


def test_waits_said_other_ways_and_a_yearless_bound_just_past():
    from workbench.statements import waiting_since

    assert waiting_since("Asked Fastly's account rep for the revised quote on 2026-06-11; still no answer.", NOW)
    assert waiting_since("Pinged Dana on 2026-06-11, still no reply.", NOW)
    (by,) = find_dates("Waiting for Pia — she said by Nov 1.", NOW)
    assert by.when.year == 2026 and by.when.month == 11  # the Nov 1 five weeks ago, not next year's
    (until,) = find_dates("Frozen until March 10.", NOW)
    assert until.when.year == 2027  # three months ahead: the next one


@pytest.mark.parametrize("text, closed", [
    ("Done — fixed the broken audio link in the Unit 3 homework.", True),
    ("Fixed: quote PDF showing EUR instead of USD for Coldharbor.", True),
    ("Fixed-price contracts need legal review.", False),
    ("Fixed the flaky test by pinning the seed.", False),  # a lesson told with a verb, not a status
])
def test_a_closed_status_as_the_items_label(text, closed):
    assert bool(closed_marker(text)) is closed


def test_a_task_for_tomorrow_beside_a_past_event_is_still_transient():
    assert transient_time("(Sep 9) Pilot check-in went fine. Call Renata tomorrow about the pilot.") == "tomorrow"
    assert transient_time("Pilot check-in went fine today.") == ""  # the event itself: history


def test_text_forms():
    norms = lambda text: [t.norm for t in tokens(text)]  # noqa: E731
    assert norms("Tue and Thu") == norms("Tuesday and Thursday")
    assert norms("a tue") != norms("a Tuesday")  # lower case may be a word
    assert norms("at 85 percent") == norms("at 85%") and norms("12.5 per cent") == norms("12.5%")
    assert value_shape("617-555-0129") == value_shape("+1 617 555 0184".replace(" ", "-")) == "phone"
    assert value_shape("gwen.fenwick@mailbox.example") == "email"
    assert [m.text for m in find_dates("INC-2031 review on 2026-04-22, see #2024.", NOW)] == ["2026-04-22"]
    assert [m.text for m in find_dates("Planned for 2031.", NOW)] == ["2031"]
    assert profile("Arjun's new number", frozenset({"arjun"})).names == {"arjun"}


def test_an_amount_named_as_old_comes_before_a_name_beside_it():
    older = profile("Halvard Analytics pays $500/month via GitHub Sponsors; that covers the docs plan and the domain.")
    newer = profile("I wrote $500/month for Halvard earlier; it's $750/month since their September upgrade.")
    assert names_old(older, newer) == ("$500", "$750")


def test_a_date_beside_a_version_is_no_span_of_days():
    assert [(m.text, m.role) for m in find_dates("Dec 1 — 2.5.0 target: 2027-01-12.", NOW)] == \
        [("Dec 1", "event"), ("2027-01-12", "event")]
    (span,) = find_dates("Conference June 15-19.", NOW)
    assert span.role == "expiry" and span.when.day == 19


def test_from_to_keeps_what_the_older_note_says_besides_the_old_value():
    text = ("# Releases\n\n- Release cadence: a minor release every 8 weeks, patch releases whenever fixes pile up.\n"
            "- Changed the minor-release cadence from every 8 weeks to quarterly (agreed at the Sep 10 sync).\n"
            "- Port moved from 8080 to 9090 on the staging box.\n- Staging port: 8080\n")
    analysis, plan = _plan(text, "/releases.md")
    cadence = next(n.id for n in analysis.corpus.notes if n.text.startswith("Release cadence"))
    for op in plan.operations:  # the older note is rewritten or asked, never replaced by the newer one whole
        if cadence in {t.id for t in op.targets}:
            assert op.result is not None and "patch releases" in op.result.text
    port = next(n.id for n in analysis.corpus.notes if n.text == "Staging port: 8080")
    assert any(port in {t.id for t in op.targets} for op in plan.operations) or \
        any(port in {t.id for t in q.targets} for q in plan.questions)  # a plain "from X to Y" still acts


def test_from_to_never_rewrites_the_older_note():
    text = ("# Team\n\n- Weekly pipeline review with Odile: Tuesdays 9:00\n- Quota reviews happen in the first week.\n"
            "- Pipeline review moved from Tue to Thu 9:30 as of Oct (Odile has a standing exec meeting on Tuesdays now).\n")
    analysis, plan = _plan(text, "/team.md")
    review = next(n.id for n in analysis.corpus.notes if n.text.startswith("Weekly pipeline"))
    for op in plan.operations:
        if review in {t.id for t in op.targets} and op.result is not None:
            assert not op.result.text.startswith("Weekly pipeline review with Odile: Oct")  # never a garbled rewrite
            assert op.result.text.startswith("Pipeline review moved")


def test_a_start_date_is_no_old_value():
    older = profile("Session Nov 24 with Hana: went through a sample lease.")
    newer = profile("Hana dropped to 1 session a week (Wed 19:30) from Nov 16, travelling most Mondays.")
    assert names_old(older, newer) is None
    was = profile("Renewal was 2027-03-31; now 2028-03-31 after the new contract.")
    assert names_old(profile("Renewal: 2027-03-31 for the support contract."), was) == ("2027-03-31", "2028-03-31")


def _name_changed(older: str, newer: str) -> frozenset[str] | None:
    return name_changed(profile(older), profile(newer))


def test_a_name_said_to_have_changed_replaces_its_value_of_that_kind():
    assert _name_changed("Lawn service: GreenLeaf, every other Friday, $55/visit.",
                         "Per Tomás on 2026-10-03, GreenLeaf is now $65 a visit.") == {"$55"}
    assert _name_changed("Vendor: GreenLeaf, 180 bags", "GreenLeaf now has 215 bags.") == {"180"}


@pytest.mark.parametrize("older, newer", [
    ("Contact: GreenLeaf (dana@acme.example).", "GreenLeaf left in August; ask priyanka@acme.example."),  # it went
    ("Vendor: GreenLeaf, 180 seats", "GreenLeaf now has 215 technicians."),  # a number of another thing
    ("Lawn service: GreenLeaf, $55/visit.", "GreenLeaf now also mows the back lot for $65."),  # a value added
    ("Lawn service: GreenLeaf, $55/visit.", "The gutter cleaner is now $65 a visit."),  # another subject
])
def test_a_name_that_went_or_a_value_of_another_thing_is_no_changed_value(older, newer):
    assert _name_changed(older, newer) is None


HOUSEHOLD = ("# Household\n\n- Babysitter Maya Torres: (503) 555-0187, $20/hr, available weeknights.\n"
             "- Grocery delivery through FreshCart every Saturday.\n- Lawn service: GreenLeaf, every other Friday.\n"
             "- Piano lessons with Mrs. Delgado on Wednesdays.\n\n# Updates\n\n"
             "- Maya has a new number: (503) 555-0193.\n"
             "- No longer using FreshCart; instead Priya does a Costco run every other Sunday.\n")


def test_a_new_number_rewrites_the_record_and_a_stopped_service_is_asked():
    analysis, plan = _plan(HOUSEHOLD, "/home.md")
    rewritten = [op.result.text for op in plan.operations if op.result is not None]
    assert "Babysitter Maya Torres: (503) 555-0193, $20/hr, available weeknights." in rewritten
    grocery = next(n.id for n in analysis.corpus.notes if n.text.startswith("Grocery"))
    touched = [{t.id for t in op.targets} for op in plan.operations] + [{t.id for t in q.targets} for q in plan.questions]
    assert any(grocery in ids for ids in touched)
    assert "freshcart" in old_values(profile("No longer using FreshCart; instead we shop at Costco."))
    assert "freshcart" not in old_values(profile("FreshCart delivers every Saturday; we no longer tip."))


def test_a_local_phone_number_is_a_phone():
    assert value_shape("555-0193") == "phone"
    assert value_shape("2026-12") != "phone"


@pytest.mark.parametrize("older, newer", [
    ("Parent contact: Gwen (gwen@mailbox.example)",
     "Gwen now wants updates at gwen@work.example; the old address is just for invoices."),  # the old one holds
    ("Landlord: Fennick Properties, contact Greg Allam, 555-0108",
     "Fennick Properties changed our contact: Mei Lindgren now, 555-0139 (Greg retired)."),  # a name went too
])
def test_a_changed_value_is_not_rewritten_into_a_record_whose_other_parts_changed_or_still_hold(older, newer):
    gone = _name_changed(older, newer)
    assert gone is None or len(gone) > 1  # asked, never rewritten with one value swapped


def test_a_key_that_is_a_name_changes_only_with_a_value_of_its_kind():
    names = frozenset({"mateo"})  # the store's proper nouns

    def changed(older: str, newer: str) -> frozenset[str] | None:
        return key_changed(profile(older, names), profile(newer, names), key_of(older))

    assert changed("Mateo: Saturday 10:00", "Mateo's Saturday slot → Sunday 18:00 from Nov.") == {"10:00"}
    assert changed("Mateo: record a 2-minute voice note every Sunday.",
                   "Mateo prepaid a 10-session pack in October; 6 left as of Dec 1.") is None  # a note about Mateo


@pytest.mark.parametrize("text, label", [
    ("**title** (required): The title of the blog post.", "title"),
    ('"create": Create a new memory block', "create"),
    ("**detach** `<path>` - remove from context", "detach"),
    ("**Never** run DELETE without a WHERE clause.", ""),  # bold words opening a sentence
    ("`make test` runs the suite: 20 min", ""),
])
def test_a_term_a_definition_follows_is_the_label_of_its_note(text, label):
    from workbench.note_labels import label_of

    assert label_of(text) == label


def test_a_name_said_to_be_closed_after_it_is_named_as_old():
    names = frozenset({"mailgun", "postmark"})
    newer = profile("Switched transactional email to Postmark in July 2026; the Mailgun account is closed.", names)
    assert old_values(newer) == {"mailgun"}
    assert old_values(profile("Mailgun sends the receipts; Postmark is closed to new signups? no.", names)) == set()


def test_a_list_that_shrank_by_a_named_item_is_a_changed_key():
    names = frozenset({"loomstack", "dispatchly", "fieldpulse", "brisa"})
    older = "Brisa's eval shortlist: Loomstack, Dispatchly, FieldPulse Pro."
    newer = "Updated Nov 18: Brisa's shortlist is down to us and FieldPulse Pro — they dropped Dispatchly."
    gone = key_changed(profile(older, names), profile(newer, names), key_of(older))
    assert gone is not None and len(gone) == 1 and next(iter(gone)).startswith("dispatch")


def test_a_note_that_is_one_sentence_of_a_longer_note_is_its_duplicate():
    text = ("# Students\n\n- Hana wants to be able to handle a rental contract in Spanish by March.\n"
            "- Tobias prepares the DELF B2 written exam.\n\n# Sessions\n\n"
            "- Session Nov 24 with Hana: went through a sample lease. Hana wants to be able to handle a rental "
            "contract in Spanish by March. She understood about 70%.\n"
            "- Session Nov 25 with Tobias: letters and agreement of past participles.\n")
    analysis, plan = _plan(text, "/tutor.md")
    goal = next(n.id for n in analysis.corpus.notes if n.text.startswith("Hana wants"))
    session = next(n.id for n in analysis.corpus.notes if n.text.startswith("Session Nov 24"))
    merged = [op for op in plan.operations if op.kind == "merge" and {t.id for t in op.targets} == {goal, session}]
    assert merged and all(op.result.note_id == session for op in merged)  # the longer note keeps every sentence


def test_a_version_said_to_be_deprecated_is_named_as_old():
    newer = profile("API v3 is the current version since 2026-07-15; v2 is deprecated and sunsets 2027-01-31.")
    assert old_values(newer) == {"v2"}
