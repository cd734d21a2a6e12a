"""Topic names worth reading: names first, then recurring phrases, then words; never filler."""

from __future__ import annotations

import time

from workbench.analysis import cluster_names
from workbench.analysis.clusters import FILLER_WORDS
from workbench.compare import FUNCTION_WORDS

FILLER = [  # notes full of words common to every memory, around what the topic is about
    "The user said to use the dbt build command until the second release, not also the old one.",
    "Also the user needs the dbt build to run before the second deploy; make it use the new target.",
    "Set the dbt build flags one more time; the user will not get it right until then.",
    "The user wants the dbt build logs kept, also the second copy.",
]
ON_CALL = [
    "Priya covers the on-call rotation this week.",
    "The on-call rotation swaps every Monday; ask Priya for the pager.",
    "If Priya is away, the on-call rotation passes to the backup.",
    "The pager for the on-call rotation lives in the team drawer.",
]
OTHER = [
    "Lunch orders go in before eleven.",
    "The coffee machine on floor three is broken.",
    "Parking permits renew in spring.",
    "Lunch is catered on Fridays.",
]


def names_of(*groups: list[str]) -> dict[int, str]:
    texts = [t for group in groups for t in group]
    labels = [k for k, group in enumerate(groups) for _ in group]
    return cluster_names(texts, labels)


def test_filler_and_function_words_never_name_a_topic():
    names = names_of(FILLER, ON_CALL, OTHER)
    for label in names.values():
        for word in label.replace(" / ", " ").split():
            assert word.lower() not in FILLER_WORDS | FUNCTION_WORDS, (word, names)
    assert "dbt build" in names[0].split(" / "), names


def test_a_name_comes_first_then_a_recurring_phrase():
    names = names_of(FILLER, ON_CALL, OTHER)
    assert names[1].split(" / ")[:2] == ["Priya", "on-call rotation"], names


def test_a_capital_at_the_start_of_a_sentence_or_heading_is_no_name():
    names = names_of(["**Status**: open. Lunch is late.", "Status: closed. Lunch is early.",
                      "**Status**: pending lunch menus.", "Lunch menus arrive at noon."], OTHER)
    assert not any(part[:1].isupper() for part in names[0].split(" / ")), names


def test_naming_stays_cheap():
    texts = [f"Note {i} says {ON_CALL[i % 4]} and {FILLER[i % 4]}" for i in range(4000)]
    labels = [i % 40 for i in range(4000)]
    started = time.perf_counter()
    cluster_names(texts, labels)
    assert time.perf_counter() - started < 2.0
