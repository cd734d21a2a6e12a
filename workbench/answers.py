"""Does a note hold a probe's answer? Matched as a researcher would, with the rule that matched.

    rule_of("7 May 2023", "Caroline went to the group yesterday.", written=datetime(2023, 5, 8))  # "date"
    held(("Coco, Shadow",), [(note_text, written), ...])                                       # a rule or None

Rules, strictest first (`RULES`):

- ``exact``: every word of the answer is in the note (SQuAD normalization: lower case, no
  punctuation, no articles), in any order.
- ``number``: the same after numbers are normalized ("four" = "4", "7th" = "7", "twice" = "2").
- ``date``: the answer names a day, week, weekend, month or year ("The sunday before 25 May 2023",
  "May 7th", "2022-05-07", "June 2023") and the note names a time in it, read against when the
  note was written ("last Sunday" in a note of 28 May 2023 is 21 May 2023); a note that names no
  time stands for the day it was written (and the day before). Days match one day apart (LoCoMo's
  answers and observations often differ by a day).
- ``token_f1``: the LoCoMo F1 (normalized, Snowball-stemmed tokens) between the answer and the
  note's closest span is at least `F1_THRESHOLD`, and every number and name of the answer is in
  the note (a changed number or a swapped name is not a paraphrase).

An answer of several parts ("Oliver, Luna, Bailey") is held by the top k when every part is held
by one of its notes; the rule reported is the most lenient one used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from .probes import normalize

RULES = ("exact", "number", "date", "token_f1", "judge")
F1_THRESHOLD = 0.65  # measured: the highest with the best accuracy on tests/data/answer_matches.jsonl (benchmarks/evaluation.py)
DAY_SLACK = timedelta(days=1)
MAX_ITEM_WORDS = 4  # "Oliver, Luna, Bailey" is a list; a comma inside a sentence is not

_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update(thirty="30", forty="40", fifty="50", sixty="60", seventy="70", eighty="80", ninety="90",
                     hundred="100", dozen="12", once="1", twice="2", thrice="3", first="1", second="2", third="3",
                     fourth="4", fifth="5", sixth="6", seventh="7", eighth="8", ninth="9", tenth="10")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z]\w+|^[A-Z]\w+(?= [A-Z])")  # a first word only before another name
_PART = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


# --- tokens -------------------------------------------------------------------------------------


@lru_cache(maxsize=100_000)
def words(text: str, *, numbers: bool = True, stemmed: bool = False) -> tuple[str, ...]:
    """The normalized words of a text; numbers as digits, and stemmed, when asked."""
    from .text import stem

    out = normalize(text).split()
    if numbers:
        out = [_number(w) for w in out]
    return tuple(stem(w) for w in out) if stemmed else tuple(out)


@lru_cache(maxsize=100_000)
def _content(text: str) -> tuple[str, ...]:
    """Stemmed words without function words ("her", "to", "and"), which alone make no answer."""
    from .compare import FUNCTION_WORDS

    kept = [w for w in words(text) if w not in FUNCTION_WORDS]
    return words(" ".join(kept), stemmed=True) if kept else ()


def _number(word: str) -> str:
    ordinal = _ORDINAL.match(word)
    return ordinal.group(1) if ordinal else _NUMBER_WORDS.get(word, word)


def _values(answer: str) -> tuple[set[str], set[str]]:
    """The numbers and the names (capitalized words; the first only before another) an answer states."""
    numbers = {w for w in words(answer) if w.isdigit()}
    names = {n.lower() for n in _NAME.findall(answer.strip())}
    return numbers, names


def token_f1(answer: str, text: str) -> float:
    """LoCoMo's token F1 between `answer` and the span of `text` closest to it (stemmed words;
    function words left out, so that "her" alone never half-matches "her book")."""
    gold = _content(answer)
    note = _content(text)
    wanted = Counter(gold)
    hits = [i for i, w in enumerate(note) if w in wanted]
    best = 0.0
    for a, start in enumerate(hits):  # the best span starts and ends on a word of the answer
        for end in hits[a:]:
            common = sum((Counter(note[start:end + 1]) & wanted).values())
            best = max(best, 2 * common / (end + 1 - start + len(gold)))
    return best


# --- dates --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A span of days, both ends included."""

    start: date
    end: date
    yearless: bool = field(default=False, compare=False)  # "13 August": any year

    def overlaps(self, other: Period, slack: timedelta = timedelta(0)) -> bool:
        return self.start - slack <= other.end and other.start - slack <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


_MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janury)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_COUNT = r"(?:a|one|two|three|four|five|a few|few|\d+)"
_RELATIVE = re.compile(
    rf"^(?:on |in |around |about )?(?:the |a )?(?:(?P<n>{_COUNT}) )?(?P<unit>day|days|week|weeks|weekend|weekends|"
    rf"{'|'.join(_WEEKDAYS)})s? (?P<dir>before|after|of) (?P<anchor>.+)$")
_OF_MONTH = re.compile(rf"^(?:the )?(?P<which>first|last) (?P<unit>week|weekend) of (?P<rest>{_MONTH}\w*,? \d{{4}})$")
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "fall": (9, 11), "autumn": (9, 11), "winter": (12, 2)}


def _clean_date_text(text: str) -> str:
    text = text.lower().replace("`", " ").replace(".", " ").replace("’", "'")
    text = re.sub(r"(\d)(?=[a-z])(?!st\b|nd\b|rd\b|th\b)", r"\1 ", text)  # "25june" → "25 june"
    text = re.sub(r"\b(early|mid|late|around|about|approximately)\b", " ", text)
    return " ".join(text.replace(",", " ").split())


@lru_cache(maxsize=20_000)
def answer_period(answer: str) -> Period | None:
    """The days an answer names ("The week before 9 June 2023", "May 2023", "2022"), else None."""
    text = _clean_date_text(answer)
    relative = _RELATIVE.match(text)
    if relative:
        anchor = answer_period(relative.group("anchor"))
        return _relative_period(relative, anchor) if anchor and anchor.days == 1 else None
    of_month = _OF_MONTH.match(text)
    if of_month:
        return _period_of_month(of_month)
    return _calendar_period(re.sub(r"^(?:on|in|the|of|at)\s+", "", text))


def _calendar_period(text: str) -> Period | None:
    """A date as written, at the precision it is written: a day, a month, a season or a year."""
    season = re.fullmatch(r"(?:the )?(spring|summer|fall|autumn|winter)(?: of)? (\d{4})", text)
    if season:
        first, last = _SEASONS[season.group(1)]
        year = int(season.group(2))
        return Period(date(year, first, 1), _month_end(year + (last < first), last))
    if re.fullmatch(r"(?:19|20)\d{2}", text):
        return Period(date(int(text), 1, 1), date(int(text), 12, 31))
    if not re.search(r"\d", text) or not re.search(rf"\b{_MONTH}\b|\d{{4}}-\d\d-\d\d", text):
        return None
    when = _parse(text)
    if when is None:
        return None
    has_day = bool(re.search(r"\b\d{1,2}(?:st|nd|rd|th)?\b(?!\d)", re.sub(r"\b\d{4}\b", "", text))) \
        or bool(re.fullmatch(r"\d{4}-\d\d-\d\d", text))
    yearless = not re.search(r"\d{4}", text)
    if has_day:
        return Period(when, when, yearless)
    return Period(when.replace(day=1), _month_end(when.year, when.month), yearless)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


@lru_cache(maxsize=20_000)
def _parse(text: str, base: datetime | None = None) -> date | None:
    import dateparser

    settings = {"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past"}
    if base is not None:
        settings["RELATIVE_BASE"] = base
    try:
        when = dateparser.parse(text.replace("janury", "january"), languages=["en"], settings=settings)
    except Exception:  # noqa: BLE001 - dateparser raises many kinds on odd input; a date it cannot read is none
        return None
    return when.date() if when else None


def _relative_period(match: re.Match, anchor: Period) -> Period:
    """"the week before X", "the Friday before X", "two weekends before X", "the weekend of X"."""
    day, unit, direction = anchor.start, match.group("unit").rstrip("s"), match.group("dir")
    n = _count(match.group("n"))
    step = -1 if direction == "before" else 1
    if unit == "day":
        if match.group("n") in ("few", "a few"):
            return Period(day - timedelta(days=5), day - timedelta(days=2)) if step < 0 else \
                Period(day + timedelta(days=2), day + timedelta(days=5))
        return _day(day + timedelta(days=step * n)) if direction != "of" else _day(day)
    if unit in _WEEKDAYS or unit + "s" in _WEEKDAYS:
        return _day(_weekday_near(day, _WEEKDAYS.index(unit.rstrip("s") if unit not in _WEEKDAYS else unit),
                                  step, n))
    if unit == "weekend":
        saturday = _weekday_near(day, 5, step if direction != "of" else -1, n if direction != "of" else 1)
        if direction == "of" and day.weekday() >= 5:
            saturday = day - timedelta(days=day.weekday() - 5)
        return Period(saturday, saturday + timedelta(days=1))
    if direction == "of":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    if n == 1:
        return Period(day - timedelta(days=7), day - timedelta(days=1)) if step < 0 else \
            Period(day + timedelta(days=1), day + timedelta(days=7))
    near = day + timedelta(days=7 * step * n)
    return Period(near - timedelta(days=3), near + timedelta(days=3))


def _count(text: str | None) -> int:
    if not text or text in ("a", "one"):
        return 1
    if text in ("few", "a few"):
        return 3
    return int(_NUMBER_WORDS.get(text, text))


def _day(day: date) -> Period:
    return Period(day, day)


def _weekday_near(day: date, weekday: int, step: int, n: int) -> date:
    """The n-th given weekday strictly before (step -1) or after (step 1) `day`."""
    found = day
    for _ in range(n):
        found += timedelta(days=step)
        while found.weekday() != weekday:
            found += timedelta(days=step)
    return found


def _period_of_month(match: re.Match) -> Period | None:
    month = answer_period(match.group("rest"))
    if month is None:
        return None
    first, last = month.start, month.end
    if match.group("unit") == "week":
        return Period(first, first + timedelta(days=6)) if match.group("which") == "first" else \
            Period(last - timedelta(days=6), last)
    if match.group("which") == "first":
        saturday = _weekday_near(first - timedelta(days=1), 5, 1, 1)
        return Period(saturday, saturday + timedelta(days=1))
    saturday = _weekday_near(last + timedelta(days=1), 5, -1, 1)
    return Period(saturday, saturday + timedelta(days=1))


_AGO = re.compile(rf"\b(?P<n>{_COUNT}) (?P<unit>day|week|weekend|month|year)s? (?P<dir>ago|later|from now)\b"
                  rf"|\bin (?P<n2>{_COUNT}) (?P<unit2>day|week|weekend|month|year)s?\b")
_WEEKEND = re.compile(r"\b(?P<dir>last|this|next|past|coming) weekend\b")
_SEASON = re.compile(r"\b(?:(?P<dir>last|this|next|past|coming) (?P<s1>spring|summer|fall|autumn|winter)"
                     r"|(?P<s2>spring|summer|fall|autumn|winter)(?: of)? (?P<year>(?:19|20)\d{2}))\b")


@lru_cache(maxsize=50_000)
def note_periods(text: str, written: datetime | None) -> tuple[Period, ...]:
    """The times a note names, read against when it was written; none named: the day it was written."""
    from .text import find_dates

    if written is None:
        return ()
    base = written.replace(tzinfo=None)
    lowered = text.lower()
    found = [_mention_period(m.text.lower(), m.when, base) for m in find_dates(text, written)]
    found += [_shift_period(m, base.date()) for m in _AGO.finditer(lowered)]
    found += [_weekend_period(m.group("dir"), base.date()) for m in _WEEKEND.finditer(lowered)]
    found += [_season_period(m, base.date()) for m in _SEASON.finditer(lowered)]
    periods = tuple(p for p in found if p is not None)
    return periods or (Period(base.date() - timedelta(days=1), base.date()),)


def _mention_period(span: str, when: datetime | None, base: datetime) -> Period | None:
    """The days one date mention covers, at its precision."""
    if "weekend" in span:
        return None  # read by `_WEEKEND`
    if re.fullmatch(r"(?:19|20)\d{2}", span):
        return Period(date(int(span), 1, 1), date(int(span), 12, 31))
    if when is None:
        return None
    day = when.date()
    if re.search(r"\b(?:this|last|next|coming) week\b", span):
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    if re.search(r"\b(?:this|last|next|coming) month\b", span) or re.fullmatch(rf"{_MONTH}\.? \d{{4}}", span):
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    if re.search(r"\b(?:this|last|next|coming) year\b", span):
        return Period(date(day.year, 1, 1), date(day.year, 12, 31))
    if re.search(rf"\b{_MONTH}\b", span) and not re.search(r"\d{4}", span):
        day = _nearest_year(day, base.date())
    return _day(day)


def _nearest_year(day: date, written: date) -> date:
    """A day and month written without a year: in the year that puts it nearest to the writing."""
    options = []
    for year in (written.year - 1, written.year, written.year + 1):
        try:
            options.append(day.replace(year=year))
        except ValueError:  # 29 February
            continue
    return min(options, key=lambda d: abs((d - written).days))


def _shift_period(match: re.Match, written: date) -> Period:
    """"three days ago", "two weekends later", "in a month": the days that far from the writing."""
    count, unit = match.group("n") or match.group("n2"), match.group("unit") or match.group("unit2")
    n, step = _count(count), -1 if match.group("dir") == "ago" else 1
    if unit == "day" and count in ("few", "a few"):
        return Period(written - timedelta(days=5), written - timedelta(days=2)) if step < 0 else \
            Period(written + timedelta(days=2), written + timedelta(days=5))
    if unit == "day":
        return _day(written + timedelta(days=step * n))
    if unit == "weekend":
        saturday = _weekday_near(written, 5, step, n)
        return Period(saturday, saturday + timedelta(days=1))
    if unit == "week":
        near = written + timedelta(days=7 * step * n)
        return Period(near - timedelta(days=3), near + timedelta(days=3))
    if unit == "month":
        index = written.year * 12 + written.month - 1 + step * n
        return Period(date(index // 12, index % 12 + 1, 1), _month_end(index // 12, index % 12 + 1))
    return Period(date(written.year + step * n, 1, 1), date(written.year + step * n, 12, 31))


def _season_period(match: re.Match, written: date) -> Period | None:
    """"next summer" (written in December 2023: summer 2024), "summer of 2022"."""
    name = match.group("s1") or match.group("s2")
    if match.group("year"):
        return _calendar_period(f"{name} {match.group('year')}")
    first, last = _SEASONS[name]
    direction = match.group("dir")
    year = written.year
    if direction in ("last", "past") and written.month <= last:
        year -= 1
    if direction == "next" and written.month >= first:
        year += 1
    return _calendar_period(f"{name} {year}")


def _weekend_period(direction: str, written: date) -> Period:
    """The Saturday and Sunday "last", "this" or "next weekend" names."""
    monday = written - timedelta(days=written.weekday())
    offset = {"last": -2, "past": -2, "this": 5, "coming": 5}.get(direction, 5 if written.weekday() < 5 else 12)
    saturday = monday + timedelta(days=offset)
    return Period(saturday, saturday + timedelta(days=1))


def dates_match(answer: str, text: str, written: datetime | None) -> bool:
    """The answer names a time and the note names a time within it (days: one day apart at most)."""
    wanted = answer_period(answer)
    if wanted is None:
        return False
    slack = DAY_SLACK if wanted.days <= 7 else timedelta(0)
    for period in note_periods(text, written):
        for candidate in _in_years(wanted, {period.start.year, period.end.year}):
            if candidate.overlaps(period, slack if period.days <= 7 else timedelta(0)):
                return True
    return False


def _in_years(period: Period, years: set[int]) -> list[Period]:
    """The period itself, or a yearless one in each of the given years."""
    if not period.yearless:
        return [period]
    out = []
    for year in sorted(years):
        try:
            out.append(replace(period, start=period.start.replace(year=year), end=period.end.replace(year=year)))
        except ValueError:  # 29 February
            continue
    return out


# --- one note, then the top k ------------------------------------------------------------------


def _contains(answer: str, text: str, *, numbers: bool) -> bool:
    wanted = set(words(answer, numbers=numbers))
    return bool(wanted) and wanted <= set(words(text, numbers=numbers))


def _values_kept(answer: str, text: str) -> bool:
    numbers, names = _values(answer)
    have = set(words(text))
    return numbers <= have and names <= have


@lru_cache(maxsize=200_000)
def rule_of(answer: str, text: str, written: datetime | None = None, threshold: float = F1_THRESHOLD) -> str | None:
    """The strictest rule by which `text` (written at `written`) holds `answer`, or None."""
    if not words(answer):
        return None
    if _contains(answer, text, numbers=False):
        return "exact"
    if answer_period(answer) is not None:  # "7 May" in a note saying "May 7th" is a date, not a number
        return "date" if dates_match(answer, text, written) or _contains(answer, text, numbers=True) else None
    if _contains(answer, text, numbers=True):
        return "number"
    if _values_kept(answer, text) and token_f1(answer, text) >= threshold:
        return "token_f1"
    return None


def parts(answer: str) -> tuple[str, ...]:
    """The parts of a list answer ("Coco, Shadow" → Coco, Shadow); one part for anything else."""
    if answer_period(answer) is not None:
        return (answer,)
    pieces = tuple(p.strip() for p in _PART.split(answer) if p and words(p))
    listed = len(pieces) > 1 and all(len(words(p)) <= MAX_ITEM_WORDS for p in pieces)
    return pieces if listed else (answer,)


def lenient(rules: Iterable[str]) -> str:
    """The most lenient of the rules used."""
    return max(rules, key=RULES.index)


def held(answers: Sequence[str], notes: Sequence[tuple[str, datetime | None]],
         threshold: float = F1_THRESHOLD) -> str | None:
    """The rule by which the notes (text, written) together hold one acceptable answer, or None."""
    for answer in answers:
        pieces = parts(answer)
        whole = [r for r in (rule_of(answer, t, w, threshold) for t, w in notes) if r]
        whole = [r for r in whole if len(pieces) == 1 or r in ("exact", "number")]  # a list is held item by item
        if whole:
            return min(whole, key=RULES.index)
        if len(pieces) > 1:
            found = [held((piece,), notes, threshold) for piece in pieces]
            if all(found):
                return lenient(r for r in found if r)
    return None


def holders(answers: Sequence[str], notes: Sequence[tuple[str, datetime | None]],
            threshold: float = F1_THRESHOLD) -> list[int]:
    """The indices of the notes that hold an acceptable answer or a part of one."""
    pieces = {p for a in answers for p in (a, *parts(a))}
    return [i for i, (text, written) in enumerate(notes)
            if any(rule_of(p, text, written, threshold) for p in pieces)]


__all__ = ["holders", "RULES", "F1_THRESHOLD", "Period", "answer_period", "note_periods", "dates_match", "token_f1",
           "rule_of", "held", "parts", "words"]
