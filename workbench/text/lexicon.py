"""Closed word classes (never topic words): negators, articles, number words, English contractions."""

from __future__ import annotations

import re

# English words that negate the verb after them ("never delete", "don't touch", "without asking"). A
# contraction is listed as typed without its apostrophe: compare `word.replace("'", "")`.
VERB_NEGATORS = frozenset("not never nor cannot without dont doesnt didnt mustnt shouldnt cant wont".split())

# Negated auxiliaries as often typed, without the apostrophe: `tokens` reads "dont" as "don't".
UNAPOSTROPHED = {"dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "mustnt": "mustn't",
                 "shouldnt": "shouldn't", "cant": "can't", "wont": "won't", "isnt": "isn't", "arent": "aren't"}

# Every word that negates a clause, in many languages ("n't" is the English clitic; see `tokens`).
NEGATORS = frozenset(
    # English
    "not no never none nobody nothing nowhere neither nor cannot without n't "
    # French, Spanish, Italian, Portuguese, German, Dutch, Swedish/Norwegian/Danish
    "ne pas jamais aucun aucune rien personne nunca nada ningún ninguna tampoco non mai niente nessuno "
    "nessuna não nem nenhum nenhuma nicht kein keine keinen keinem keiner keines nie niemals nichts "
    "niet geen nooit niets inte aldrig ingen ikke aldri "
    # Polish, Czech, Russian, Ukrainian, Greek, Turkish, Arabic, Hebrew, Hindi, Korean
    "nie nigdy ne nikdy не нет никогда ни ні ніколи δεν μην ποτέ değil asla لا لم لن ليس لست ليست أبدا "
    "לא אין אף פעם नहीं न मत कभी 안 못".split()
) | VERB_NEGATORS | frozenset(UNAPOSTROPHED)
# Characters that negate in scripts written without spaces (Chinese, Japanese): 不 没 沒 无 無 非 未 别 別 勿 莫,
# and the Japanese negative endings ない / ません / ず.
UNSPACED_NEGATION = re.compile(r"[不没沒无無非未别別勿莫]|ない|ません|ず")

ARTICLES = frozenset("a an the".split())

# Function words of other languages written in Latin script that are no English word: a sentence with more
# of them than English function words is not English (the focus compiler reads English only, never guesses).
FOREIGN_FUNCTION_WORDS = frozenset(
    # French, Spanish, Portuguese, Italian
    "le la les des du sur et est une dans pour avec vous ne pas jamais rien aucun aucune ce cette ces "
    "el los las del y con para por sobre una nada nunca es lo al su sus todo todos "
    "da das em com uma não nem os ao dos nas nos "
    "il di che della delle gli degli non mai niente sono "
    # German, Dutch
    "der dem des und nicht nie niemals mit über ein eine einen ist auf zu von alle nichts keine kein "
    "het een niet nooit van voor met zijn geen".split())
ENGLISH_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for with about from by and or not no never any all every this that these those "
    "is are be it its my our your their do don't does anything everything nothing only older than".split())

# Number words and their values. `tokens` folds the single words for zero to twenty ("three" → "3");
# `surface_tokens` folds all of them, hyphenated and in sequence ("twenty-one", "one hundred and twenty").
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update(thirty=30, forty=40, fifty=50, sixty=60, seventy=70, eighty=80, ninety=90, dozen=12)

CONTRACTIONS = {"can't": ("can", "not"), "won't": ("will", "not"), "shan't": ("shall", "not"),
                "ain't": ("is", "not"), "cannot": ("can", "not")}
IS_BEFORE_S = frozenset("it that there he she what who where here how".split())  # "it's" is "it is"
CLITICS = {"'re": "are", "'ve": "have", "'ll": "will", "'m": "am", "'d": "would"}

# Words that say a value changed or an earlier statement was wrong: corrections ("correction", "actually",
# "scratch that", "I had it wrong"), updates ("updated", "as of", "since", "now", "no longer", "instead"),
# verbs of change ("moved", "switched", "raised", "renewed", "retired", "took over"), a new contact detail ("has a
# new number") and arrows ("15 → 16").
CHANGE_MARKERS = re.compile(
    r"\b(?:correction|corrected|actually|turns?\s+out|scratch\s+that|had\s+it\s+wrong|"
    r"update[d]?|as\s+of|since|from\s+now\s+on|now|currently|these\s+days|no\s+longer|any\s?more|instead(?!\s+of)|"
    r"previously|formerly|used\s+to|earlier|"
    r"changed|moved|switched|upgraded|downgraded|bumped|raised|lowered|increased|decreased|reduced|"
    r"replaced|renamed|migrated|renewed|extended|postponed|rescheduled|became|took\s+over|handed\s+(?:over|to)|"
    r"retired|resigned|stepped\s+(?:down|back)|left\s+(?:the|in|on|for|at)|relocated|transferred|discontinued|"
    # a new value of a contact detail, or the old one named: "has a new number", "the old one is disconnected"
    r"(?:(?:has|got|gave\s+us)\s+a|['’]s)\s+new\s+(?:number|phone|address|email|e-mail|contact|office|url|link|price|"
    r"rate)|the\s+old\s+one|"
    # a value said to have moved ("revised → $385k", "dropped to 1 a week", "went up to $65"), a new holder named
    r"revised|dropped\s+to|down\s+to|went\s+(?:up|down)|reassigned|new\s+[a-z]+\s+(?:is|are))\b"
    r"|→|->|\(\s*(?:was|previously)\s",  # "(was Jonas, Priya)": the old value named beside the new one
    re.IGNORECASE)
