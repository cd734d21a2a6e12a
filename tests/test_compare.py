"""Structure decides what a similarity bar cannot: duplicate, conflict, or merely alike."""

import pytest

from workbench.compare import compare, profile, proper_nouns

NAMES = proper_nouns(["Ask Priya or Tomás.", "Then Mei and Priya met Jenkins and GitHub Actions.",
                      "So Alba, Yara, Olu and Hannah came."])


def relation(older: str, newer: str) -> str:
    return compare(profile(older, NAMES), profile(newer, NAMES)).relation


@pytest.mark.parametrize("older, newer, expected", [
    # paraphrase and verbatim: may merge
    ("Priya wants type hints on every public function.", "Priya wants type hints on every public function.", "duplicate"),
    ("Priya runs `make test` before every push.", "Always run the unit tests (`make test`) before pushing.", "duplicate"),
    ("Money is stored as integer cents, never floats.",
     "Never use float for currency amounts; ledgerline stores amounts as integer cents (`amount_cents`).", "duplicate"),
    # negation: the same subject, opposite polarity
    ("Priya likes dark mode in the editor.", "Priya does not like dark mode in the editor.", "conflict"),
    # a different value for the same slot
    ("The production database runs Postgres 14.", "The production database runs Postgres 16.", "conflict"),
    ("CI runs on Jenkins.", "CI runs on GitHub Actions.", "conflict"),
    # the newer note announces the change
    ("CI runs on Jenkins at `jenkins.internal`.", "CI moved from Jenkins to GitHub Actions on May 5; Jenkins is retired.", "conflict"),
    # role swap (PAWS-style): never a duplicate
    ("Priya reviews every migration that Mei writes.", "Mei reviews every migration that Priya writes.", "distinct"),
    # a handover announced by the newer note
    ("Olu owns the on-call rotation schedule.", "Hannah took over the on-call rotation schedule from Olu.", "conflict"),
    # same shape, different subject: not a conflict either
    ("Alba adopted a rescue dog in May.", "Yara adopted a rescue dog in May.", "distinct"),
    ("Unit tests run with `pytest -m unit`.", "Integration tests run with `pytest -m integration`.", "distinct"),
    ("Makefiles must use tabs for recipe indentation.", "Python files never use tabs; indentation is 4 spaces.", "distinct"),
    ("The Sentry project for the API is `ledgerline-api`.",
     "The Sentry project for the Celery workers is `ledgerline-worker`.", "distinct"),
])
def test_structure_tells_duplicates_from_conflicts_and_near_misses(older, newer, expected):
    assert relation(older, newer) == expected


def test_negation_inside_code_is_not_negation_of_the_sentence():
    assert not profile('`make test` runs `pytest -m "not integration"`.').negated
    assert profile("Do not run migrations on Fridays.").negated


def test_proper_nouns_are_capitalised_mid_sentence_and_never_lower_case():
    names = proper_nouns(["Ask Priya about it.", "The build uses Jenkins.", "a jenkins job", "Then Jenkins ran."])
    assert "priya" in names and "jenkins" not in names


def test_a_conflict_names_the_values_that_changed():
    result = compare(profile("The production database runs Postgres 14."),
                     profile("The production database runs Postgres 16."))
    assert result.difference == "value" and "14" in result.detail and "16" in result.detail
