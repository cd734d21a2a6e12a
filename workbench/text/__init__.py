"""The text layer, the one owner of words: tokens, stems, sentences, negation, number words and dates.

Every later test of a word is a test of a whole token (never a substring): `tokens` cuts a text
into words, values (numbers, versions, paths, hosts, identifiers, links, code spans) and, for
scripts written without spaces (Chinese, Japanese, Thai, …), overlapping character pairs, so any
text yields something to compare. Words are stemmed with Snowball (PyStemmer); sentences come from
pysbd; dates are resolved with dateparser and classified by the word that governs them.
`surface_tokens` and `sentence_spans` read instructions: tokens as written and sentences as spans.

    words.py    Token, tokens, stem, content, negated
    surface.py  surface_tokens, fold_numbers
    segment.py  sentences, sentence_spans
    dates.py    find_dates, DateMention, ROLES
    lexicon.py  NEGATORS, VERB_NEGATORS, ARTICLES, NUMBER_WORDS, CHANGE_MARKERS (closed word classes)
"""

from .dates import ROLES, DateMention, calendar_dates, find_dates
from .lexicon import (
    ARTICLES,
    CHANGE_MARKERS,
    ENGLISH_FUNCTION_WORDS,
    FOREIGN_FUNCTION_WORDS,
    NEGATORS,
    NUMBER_WORDS,
    VERB_NEGATORS,
)
from .segment import sentence_spans, sentences
from .surface import fold_numbers, surface_tokens
from .words import Token, content, negated, stem, tokens, value_shape

__all__ = [
    "ARTICLES", "CHANGE_MARKERS", "ENGLISH_FUNCTION_WORDS", "FOREIGN_FUNCTION_WORDS", "NEGATORS", "NUMBER_WORDS", "ROLES", "VERB_NEGATORS", "DateMention", "Token", "content",
    "calendar_dates", "find_dates", "fold_numbers", "negated", "sentence_spans", "sentences", "stem", "surface_tokens", "tokens", "value_shape",
]
