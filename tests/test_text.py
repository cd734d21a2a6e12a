"""Words from real tools: tokens in any script, stems, sentences, and dates by the role they play."""

from datetime import datetime, timezone

import pytest

from workbench.text import find_dates, negated, sentences, stem, tokens

WRITTEN = datetime(2026, 1, 15, tzinfo=timezone.utc)


def norms(text: str) -> list[tuple[str, str]]:
    return [(t.norm, t.kind) for t in tokens(text)]


@pytest.mark.parametrize("text, expected", [
    ("Don't push", [("do", "word"), ("not", "negation"), ("push", "word")]),
    ("We're on `make test`", [("we", "word"), ("are", "word"), ("on", "word"), ("make", "code"), ("test", "code")]),
    ("It's 4GB at 10.0.0.1:8080", [("it", "word"), ("is", "word"), ("4gb", "value"), ("at", "word"),
                                   ("10.0.0.1:8080", "value")]),
    ("U.S. e-mail", [("us", "word"), ("email", "word")]),
    ("four tests", [("4", "value"), ("test", "word")]),
    ("getUserName user_id v2", [("getusername", "value"), ("user_id", "value"), ("v2", "value")]),
    ("https://fly.io/apps/x.", [("fly.io/apps/x", "value")]),  # a URL is its host and path, scheme aside
    ("https://www.example.com/ and $55/visit", [("example.com", "value"), ("and", "word"), ("$55", "value"), ("visit", "word")]),
])
def test_tokens_are_whole_words_values_and_code(text, expected):
    assert norms(text) == expected


def test_a_keyword_inside_another_word_is_not_that_word():
    assert "lunch" not in {t.norm for t in tokens("Deploy the Lunchbox service")}
    assert {t.norm for t in tokens("Coffeescript builds")} == {"coffeescript", "build"}


@pytest.mark.parametrize("text", ["用户喜欢喝茶", "ユーザーはお茶が好き", "ผู้ใช้ชอบชา"])
def test_scripts_without_spaces_yield_character_pairs(text):
    found = tokens(text)
    assert len(found) >= len(text) - 1 and all(t.kind == "unspaced" for t in found)


@pytest.mark.parametrize("text", ["Il ne boit pas de café", "Er trinkt keinen Kaffee", "Он не пьёт кофе",
                                  "لا يشرب القهوة", "वह कॉफी नहीं पीता", "他不喝咖啡", "コーヒーを飲まない",
                                  "커피를 안 마셔요", "I can't", "Never on Fridays"])
def test_negation_is_found_in_many_languages(text):
    assert negated(tokens(text))


def test_stems_are_snowball_stems():
    assert stem("running") == stem("runs") == "run" and stem("tests") == "test"


def test_sentences_do_not_break_inside_paths_abbreviations_or_versions():
    assert sentences("Never touch /a/b.md or /c/d.md. Keep e.g. v1.2.3 alive! Dr. Smith agreed.") == (
        "Never touch /a/b.md or /c/d.md.", "Keep e.g. v1.2.3 alive!", "Dr. Smith agreed.")


@pytest.mark.parametrize("text, role, day", [
    ("Deploys are frozen until March 10.", "expiry", "2026-03-10"),
    ("Bis 31.03.2026 gilt eine Urlaubssperre.", "expiry", "2026-03-31"),
    ("Le bureau est fermé jusqu'au 5 janvier 2026.", "expiry", "2026-01-05"),
    ("2026年3月10日までデプロイは凍結です", "expiry", "2026-03-10"),
    ("Priya has worked here since Jan 5, 2024.", "start", "2024-01-05"),
    ("Submit the brief by Friday.", "deadline", "2026-01-16"),
    ("The office is closed until end of the month.", "expiry", "2026-01-31"),
    ("Sam went hiking on 7 May 2023.", "event", "2023-05-07"),
])
def test_dates_are_resolved_and_classified_by_the_word_that_governs_them(text, role, day):
    (mention,) = find_dates(text, WRITTEN)
    assert (mention.role, f"{mention.when:%Y-%m-%d}") == (role, day)


def test_a_range_told_in_the_past_is_history():
    start, end = find_dates("Alice worked at Google from 2015 until 2019.", WRITTEN)
    assert (start.role, end.role) == ("start", "expiry") and end.past_tense
