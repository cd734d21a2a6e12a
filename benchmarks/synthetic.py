"""A deterministic synthetic corpus of any size, recombined from real sentences.

Notes are sentences of the sample stores and (when present) LoCoMo's observations, session
summaries and event summaries; half of them joined at a clause boundary with the tail of
another sentence ("… support group" + " because she wanted …"), the person swapped for
another name and numbers redrawn. So a large store has what a real one has: many similar
notes about different people, some verbatim copies (2%) and some changed values (2%).
Sessions are real transcripts (the sample data's, then LoCoMo's), re-dated after the notes.
Everything is seeded: equal arguments, equal corpus.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from workbench.io import load_sessions, load_store
from workbench.records import Corpus, Memory, Session, Store, Turn

from . import DATA, SAMPLE

NAMES = """Aaliyah Abel Ada Adrian Aiko Alba Alejandro Amara Amir Ana Anders Anika Arjun Astrid Aurora Ayesha
Bea Benedikt Bianca Bilal Bruno Callum Camila Carmen Chidi Chloe Cyrus Dalia Damon Dara Deepa Diego Dmitri
Ebony Eduardo Elif Elise Emeka Emil Esme Ezra Farah Felix Fiona Florin Freya Gabriel Gemma Greta Hamid Hana
Hector Helga Hiro Ibrahim Ida Ifeoma Imran Ines Isaac Ivana Jae Jamal Jasmine Javier Jonas Juno Kai Kamala
Karim Katya Keanu Kenji Kiran Lars Leila Leon Lina Lior Lucia Luka Mads Maeve Malik Mara Marco Mateo Mina Mirela
Nadia Naveen Nia Nikolai Noor Oda Olga Omar Orla Oscar Paloma Pavel Petra Quentin Rafael Rania Ravi Rhea Rosa
Rui Sade Salma Santiago Saoirse Selin Seo-yeon Sina Soren Suki Tariq Teodora Thandi Tobias Uma Valentina Vikram
Wanjiru Wen Xavier Yara Yusuf Zainab Zeynep Zofia""".split()
_NUMBER = re.compile(r"\b\d+\b")
_CLAUSE = re.compile(r",?\s+(?:because|while|after|since|which|so that|and then|but|and)\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@lru_cache(maxsize=1)
def _sources() -> tuple[list[str], list[str], list[Session]]:
    """(sentences, the names they mention, real sessions) from the sample data and LoCoMo."""
    sentences, names, sessions = [], set(), []
    labels = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))
    for _, meta in sorted(labels["datasets"].items()):
        sentences += [n.text for n in load_store(SAMPLE / meta["store"]).notes]
        sessions += load_sessions(SAMPLE / meta["sessions"])
    locomo = DATA / "locomo10.json"
    if locomo.exists():
        data = json.loads(locomo.read_text(encoding="utf-8"))
        for sample in data:
            conversation = sample["conversation"]
            names |= {conversation["speaker_a"], conversation["speaker_b"]}
            for by_speaker in (sample.get("observation") or {}).values():
                for facts in by_speaker.values():
                    sentences += [" ".join(f[0].split()) for f in facts if f and f[0].strip()]
            for summary in (sample.get("session_summary") or {}).values():
                sentences += [t for t in _SENTENCE.split(summary)[1:] if len(t) > 30]  # [0]: "X and Y talked on …"
            for events in (sample.get("event_summary") or {}).values():
                sentences += [e for key, items in events.items() if key != "date" for e in items]
        sessions += load_sessions(locomo, "locomo")
    names |= {"Priya", "Mei", "Olu", "Hannah", "Tomás", "Jonas", "Daniel"}
    return sentences, sorted(names), sessions


def _variant(text: str, other: str, rng: random.Random, pattern: re.Pattern) -> str:
    """`text` with its tail swapped for `other`'s (half the time), new names, new small numbers."""
    head, tail = _CLAUSE.search(text[len(text) // 4:]), _CLAUSE.search(other[len(other) // 4:])
    if head and tail and rng.random() < 0.5:
        text = text[: len(text) // 4 + head.start()] + other[len(other) // 4 + tail.start():]
    cast: dict[str, str] = {}  # each person of the sentence gets their own new name
    text = pattern.sub(lambda m: cast.setdefault(m.group(0), rng.choice(NAMES)), text)
    return _NUMBER.sub(lambda m: str(rng.randint(2, 99)) if len(m.group(0)) < 4 else m.group(0), text)


def synthetic_corpus(notes: int, sessions: int = 100, *, per_doc: int = 8, seed: int = 0) -> Corpus:
    """`notes` notes in documents of `per_doc`, plus `sessions` re-dated real sessions."""
    sentences, names, real_sessions = _sources()
    rng = random.Random(seed)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = timedelta(days=600)
    seen: set[str] = set()
    texts: list[str] = []
    while len(texts) < notes:
        roll = rng.random()
        if texts and roll < 0.02:  # a verbatim copy of an earlier note, in another document
            texts.append(rng.choice(texts))
            continue
        if texts and roll < 0.04:  # the same fact with a changed value
            base = rng.choice(texts)
            if _NUMBER.search(base):
                texts.append(_NUMBER.sub(lambda m: str(int(m.group(0)) + rng.randint(1, 9)), base, count=1))
                continue
        for _ in range(20):
            text = _variant(rng.choice(sentences), rng.choice(sentences), rng, pattern)
            if text not in seen:
                break
        seen.add(text)
        texts.append(text)
    memories = []
    for d, first in enumerate(range(0, notes, per_doc)):
        chunk = texts[first:first + per_doc]
        when = start + span * (d * per_doc / max(1, notes)) + timedelta(minutes=rng.randint(0, 600))
        topic = rng.choice(("people", "projects", "preferences", "events", "work", "health", "hobbies"))
        path = f"/{topic}/{d:06d}.md"
        content = f"# Notes {d}\n\n" + "".join(f"- {t}\n" for t in chunk)
        memories.append(Memory(f"mem_syn{d:06d}", path, content, when, when))
    return Corpus(Store(tuple(memories), id=f"syn-{notes}", name=f"synthetic {notes}"),
                  tuple(_redated(real_sessions, sessions, start + span)))


def _redated(real: list[Session], count: int, after: datetime) -> list[Session]:
    """`count` sessions (cycling the real ones), one a day after `after`, with fresh ids."""
    out = []
    for k in range(count):
        source = real[k % len(real)]
        sid = f"syn-session-{k:03d}"
        begin = after + timedelta(days=k, hours=9)
        turns = tuple(Turn(f"{sid}/t{i}", sid, t.role, t.text, begin + timedelta(seconds=30 * i), i)
                      for i, t in enumerate(source.turns))
        out.append(Session(sid, begin, source.title, turns))
    return out
