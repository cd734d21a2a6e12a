"""The focus compiler, as a spec: each instruction and the scopes it must compile to.

A row is (instructions, scope labels in reading order). An empty list means the text compiles to
nothing and must be listed as not understood.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.instructions import compile_text

NOTHING: list[str] = []

SPEC = [
    # -- negated removal always protects
    ("Do not remove anything about migrations.", ["protect: migrations"]),
    ("Don't drop the migration notes.", ["protect: migration notes"]),
    ("Dont delete notes on the billing service.", ["protect: billing service"]),
    ("Don’t prune the on-call rotation.", ["protect: on-call rotation"]),
    ("Never touch anything about migrations.", ["protect: migrations"]),
    ("Never merge notes about Postgres.", ["protect: Postgres"]),
    ("You must not delete anything regarding security.", ["protect: security"]),
    ("Please never remove the deploy checklist.", ["protect: deploy checklist"]),
    ("Skip nothing about security.", ["protect: security"]),
    ("Remove nothing about client preferences.", ["protect: client preferences"]),
    ("Avoid deleting notes about flaky tests.", ["protect: flaky tests"]),
    ("Stop pruning the release notes.", ["protect: release notes"]),
    ("Do not remove / drop / delete anything about Mei.", ["protect: Mei"]),
    ("Never touch the drop shipping notes.", ["protect: drop shipping notes"]),
    ("Nothing about Harborline should be removed.", ["protect: Harborline"]),
    ("Notes about the ledger must never be deleted.", ["protect: ledger"]),
    ("Hands off /people/.", ["protect: /people/"]),
    ("/clients/ is off limits.", ["protect: /clients/"]),
    # -- keeping protects; negated keeping excludes
    ("Keep all debugging notes.", ["protect: debugging notes"]),
    ("Keep everything about Harborline and Brightwater.", ["protect: Harborline", "protect: Brightwater"]),
    ("Preserve notes on coding style, testing and CI.", ["protect: coding style", "protect: testing", "protect: CI"]),
    ("Leave /people/colleagues.md alone.", ["protect: /people/colleagues.md"]),
    ("Leave the tax rounding rules as is.", ["protect: tax rounding rules"]),
    ("Retain anything related to invoices.", ["protect: invoices"]),
    ("No need to keep lunch notes.", ["exclude: lunch notes"]),
    # -- excluding
    ("Ignore one-off debugging notes.", ["exclude: one-off debugging notes"]),
    ("Ignore lunch notes, small talk and /misc/.", ["exclude: lunch notes", "exclude: small talk", "exclude: /misc/"]),
    ("Drop anything about the office coffee machine.", ["exclude: office coffee machine"]),
    ("Get rid of notes about the old laptop.", ["exclude: old laptop"]),
    ("Forget about the weather.", ["exclude: weather"]),
    ("Leave out small talk.", ["exclude: small talk"]),
    ("Small talk can go.", ["exclude: Small talk"]),
    ("No small talk.", ["exclude: small talk"]),
    ("Lunch notes are noise.", ["exclude: Lunch notes"]),
    ("Drop lunch notes but not the team lunch schedule.", ["exclude: lunch notes", "protect: team lunch schedule"]),
    ("Ignore debugging notes except the flaky test ones.", ["exclude: debugging notes", "protect: flaky test ones"]),
    ("Keep everything except the lunch notes.", ["exclude: lunch notes"]),
    ("Ignore small talk unless it mentions clients.", ["exclude: small talk", "protect: clients"]),
    ("Prune notes about Jenkins since we moved to GitHub Actions.", ["exclude: Jenkins"]),
    # -- paths keep their extensions, globs stay globs
    ("Never touch /a/b.md or /c/d.md.", ["protect: /a/b.md", "protect: /c/d.md"]),
    ("Don't touch /clients/*.md!", ["protect: /clients/*.md"]),
    ("Never edit `/project/ci.md`.", ["protect: /project/ci.md"]),
    ("Ignore everything in /misc/.", ["exclude: /misc/"]),
    ("Keep the /people/ folder.", ["protect: /people/"]),
    ("Exclude /scratch/**/todo.md.", ["exclude: /scratch/**/todo.md"]),
    # -- quoted phrases are one topic
    ('Never delete "terms and conditions".', ["protect: terms and conditions"]),
    ("Ignore “lunch and learn” notes.", ["exclude: lunch and learn"]),
    # -- include
    ("Only coding style.", ["include only: coding style"]),
    ("Focus only on client preferences.", ["include only: client preferences"]),
    ("Limit yourself to /patterns/.", ["include only: /patterns/"]),
    ("Just testing and CI.", ["include only: testing", "include only: CI"]),
    ("Only touch notes about deploys.", ["include only: deploys"]),
    ("Touch only the billing notes.", ["include only: billing notes"]),
    ("Nothing but billing.", ["include only: billing"]),
    # -- prefer and priority weights
    ("Prioritize client preferences over general task patterns.",
     ["weight 2: client preferences", "weight 0.5: general task patterns"]),
    ("Prefer coding style to team trivia.", ["weight 2: coding style", "weight 0.5: team trivia"]),
    ("Focus on code review habits.", ["weight 2: code review habits"]),
    ("Favour Harborline notes.", ["weight 2: Harborline notes"]),
    ("Deprioritize meeting notes.", ["weight 0.5: meeting notes"]),
    ("Client preferences matter most.", ["weight 2: Client preferences"]),
    ("Coding style is more important than tooling.", ["weight 2: Coding style", "weight 0.5: tooling"]),
    ("Weight security notes at 3.", ["weight 3: security notes"]),
    ("Don't prioritize tooling.", ["weight 0.5: tooling"]),
    ("Keep track of deadlines.", ["weight 2: deadlines"]),
    # -- horizon: numbers and durations
    ("Prune anything older than 90 days.", ["horizon: 90 days"]),
    ("Delete anything older than three months.", ["horizon: 90 days"]),
    ("Anything older than a year can go.", ["horizon: 365 days"]),
    ("Drop notes that haven't been mentioned in 60 days.", ["horizon: 60 days"]),
    ("Remove notes more than two weeks old.", ["horizon: 14 days"]),
    ("Staleness horizon: 45 days.", ["horizon: 45 days"]),
    ("Keep anything newer than 30 days.", ["horizon: 30 days"]),
    ("Delete notes about debugging sessions older than a month.", ["horizon: 30 days"]),
    ("Notes older than sixty days are stale.", ["horizon: 60 days"]),
    ("If a note is older than 90 days, delete it.", ["horizon: 90 days"]),
    # -- minimum support
    ("Only distill facts seen in at least three sessions.", ["min support: 3 sessions"]),
    ("Require at least 4 sessions per insight.", ["min support: 4 sessions"]),
    ("New insights need 3+ sessions.", ["min support: 3 sessions"]),
    ("Don't create insights from fewer than five sessions.", ["min support: 5 sessions"]),
    ("Only add patterns mentioned at least twice.", ["min support: 2 sessions"]),
    # -- session selection
    ("Only read the last 20 sessions.", ["last sessions: 20"]),
    ("Use the 10 most recent conversations.", ["last sessions: 10"]),
    ("Only use sessions since 2026-05-01.", ["sessions since: 2026-05-01"]),
    ("Ignore sessions before May 1, 2026.", ["sessions since: 2026-05-01"]),
    ("Read sessions until 2026-08-31.", ["sessions until: 2026-08-31T23:59:59Z"]),
    ("Use sessions between 2026-03-01 and 2026-06-30.",
     ["sessions since: 2026-03-01", "sessions until: 2026-06-30T23:59:59Z"]),
    # -- deletes, merges or everything switched off
    ("Don't delete anything.", ["switch off: delete"]),
    ("Never merge anything.", ["switch off: merge"]),
    ("Do not change anything.", ["protect: /**"]),
    # -- several instructions in one text
    ("Keep billing notes, drop lunch notes.", ["protect: billing notes", "exclude: lunch notes"]),
    ("Keep billing, lunch notes can go.", ["protect: billing", "exclude: lunch notes"]),
    ("Never touch /people/; ignore small talk and prioritize testing.",
     ["protect: /people/", "exclude: small talk", "weight 2: testing"]),
    ("Never touch /people/. Only coding style. Ignore one-off debugging notes.",
     ["protect: /people/", "include only: coding style", "exclude: one-off debugging notes"]),
    ("Keep notes on e.g. Postgres. Prune anything older than 90 days.", ["protect: Postgres", "horizon: 90 days"]),
    # -- typos
    ("Nevr delete notes about migrations.", ["protect: migrations"]),
    ("Delte lunch notes.", ["exclude: lunch notes"]),
    ("Ignroe small talk.", ["exclude: small talk"]),
    ("Prioritze client preferences.", ["weight 2: client preferences"]),
    ("Perserve the deploy notes.", ["protect: deploy notes"]),
    ("Prune anything older than 90 dyas.", ["horizon: 90 days"]),
    # -- not understood
    ("Be nice.", NOTHING),
    ("Merge duplicates.", NOTHING),
    ("Remove stale notes.", NOTHING),
    ("Delete everything.", NOTHING),
    ("Keep notes older than a year.", NOTHING),
    ("Keep notes mentioned in at least 2 sessions.", NOTHING),
    ("Keep in mind that Priya prefers tabs.", NOTHING),
    ("Keep things short.", NOTHING),
    ("Drop them.", NOTHING),
]


@pytest.mark.parametrize(("text", "expected"), SPEC, ids=[t for t, _ in SPEC])
def test_instruction_compiles_to(text, expected):
    compiled = compile_text(text)
    assert [s.label for s in compiled.scopes] == expected
    assert bool(compiled.not_understood) == (not expected)


def test_the_spec_has_at_least_sixty_phrasings():
    assert len(SPEC) >= 60


@pytest.mark.parametrize("text", [t for t, e in SPEC if e])
def test_every_scope_carries_the_words_it_came_from(text):
    for scope in compile_text(text).scopes:
        assert scope.source and text[scope.start:scope.end] == scope.source
        assert scope.source in text


WORDS = ("keep", "never", "don't", "touch", "delete", "ignore", "only", "prioritize", "over", "older", "than",
         "3", "months", "at", "least", "sessions", "last", "/a/b.md", "/people/", "e.g.", "and", "or", ",", ".",
         "except", "nothing", "about", "lunch", "notes", "“", "'", "since", "2026-05-01", "May", "can", "go", "be",
         "removed", "weight", "2", "twice", "no", "all", "but", ";", "!", "?", "\n", "–", "é", "𝔘", "*")


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join) | st.text(max_size=300))
def test_any_text_compiles_without_error_and_every_scope_points_at_its_words(text):
    compiled = compile_text(text)
    for scope in compiled.scopes:
        assert text[scope.start:scope.end] == scope.source
    for unclear in compiled.not_understood:
        assert text[unclear.start:unclear.end] == unclear.text
