"""How two texts differ, token by token: the structure every verdict is built on."""

import pytest

from workbench.compare import profile, proper_nouns, relate, rewrite_slot

NAMES = proper_nouns(["Ask Priya or Tomás.", "Then Mei and Priya met Jenkins and GitHub Actions.",
                      "So Alba, Yara, Olu, Sam, Evan and Hannah came."])


def relation(older: str, newer: str) -> str:
    return relate(profile(older, NAMES), profile(newer, NAMES)).kind


@pytest.mark.parametrize("older, newer, expected", [
    ("Priya wants type hints on every public function.", "Priya wants type hints on every public function.", "verbatim"),
    ("Priya wants type hints on every public function.", "priya  wants type hints on every public  function.", "verbatim"),
    ("Priya wants type hints on every public function.", "Priya wants type hints on every public function", "same_words"),
    ("Run the tests before pushing.", "Run tests before pushing.", "same_words"),
    ("Never run migrations on Fridays.", "Do not run migrations on Fridays.", "same_words"),
    ("Don't deploy on Fridays.", "Do not deploy on Fridays.", "same_words"),
    ("We're using uv for dependencies.", "We are using uv for dependencies.", "same_words"),
    ("Use 4 spaces for indentation.", "Use four spaces for indentation.", "same_words"),
    ("Run `make test` before pushing.", "Run make test before pushing.", "same_words"),
    ("Priya likes dark mode in the editor.", "Priya does not like dark mode in the editor.", "negation"),
    ("Priya likes dark mode in the editor.", "Priya doesn't like dark mode in the editor.", "negation"),
    ("Le client préfère le thé.", "Le client ne préfère pas le thé.", "negation"),
    ("Der Kunde mag Tee.", "Der Kunde mag keinen Tee.", "negation"),
    ("Клиент любит чай.", "Клиент не любит чай.", "negation"),
    ("用户喜欢喝茶。", "用户不喜欢喝茶。", "different"),
    ("The production database runs Postgres 14.", "The production database runs Postgres 16.", "value"),
    ("CI runs on Jenkins.", "CI runs on GitHub Actions.", "value"),
    ("Use /api/v1/users for reads.", "Use /api/v1/orders for reads.", "value"),
    ("Priya drinks coffee in the morning.", "Priya drinks tea in the morning.", "words"),
    ("Priya reviews every migration that Mei writes.", "Mei reviews every migration that Priya writes.", "reordered"),
    ("Sam appreciates Evan's support.", "Evan appreciates Sam's support.", "reordered"),
    ("Alba adopted a rescue dog in May.", "Yara adopted a rescue dog in May.", "subject"),
    ("Priya uses Postgres.", "Priya uses Postgres for the ledger service.", "subset"),
    ("Tomás mentored Mei.", "Tomás was mentored by Mei.", "different"),  # only function words added: roles may flip
    ("The user speaks Portuguese at home.", "The user's wife speaks Portuguese at home.", "different"),  # inside
    ("```sh\nmake deploy\n```", "```sh\nmake deploy\n```", "verbatim"),
    ("See https://x.io", "See https://y.io", "different"),
    ("(none yet)", "(none yet)", "verbatim"),
    ("(none yet)", "(nothing yet)", "unparsed"),
])
def test_relate_names_what_separates_two_texts(older, newer, expected):
    assert relation(older, newer) == expected


def test_a_difference_reads_as_the_words_that_differ():
    r = relate(profile("Priya drinks coffee in the morning."), profile("Priya drinks tea in the morning."))
    assert r.detail == "differs in: coffee ↔ tea"


def test_negation_inside_code_is_not_negation_of_the_sentence():
    assert not profile('`make test` runs `pytest -m "not integration"`.').negated
    assert profile("Do not run migrations on Fridays.").negated


def test_proper_nouns_are_capitalised_mid_sentence_and_never_lower_case():
    names = proper_nouns(["Ask Priya about it.", "The build uses Jenkins.", "a jenkins job", "Then Jenkins ran.",
                          "I'll ask. Then I'll go."])
    assert "priya" in names and "jenkins" not in names and "i'll" not in names


def test_a_value_in_one_slot_is_rewritten_in_place():
    a, b = profile("The staging host is `db-1.internal` (port 5432)."), profile("The staging host is `db-2.internal` (port 5432).")
    assert rewrite_slot(a, b, relate(a, b)) == "The staging host is `db-2.internal` (port 5432)."


def test_a_sentence_around_a_note_is_trimmed_when_asked():
    note, said = profile("CI runs on Jenkins."), profile("Heads up: CI runs on Buildkite.")
    assert relate(note, said).kind == "different"
    assert relate(note, said, trim=True).kind in ("value", "words")


def test_self_contained_texts_open_with_their_subject():
    assert profile("Priya wants type hints.", NAMES).self_contained
    assert profile("We use uv.").self_contained
    assert not profile("Use 4 spaces.").self_contained
