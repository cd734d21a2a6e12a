"""LoCoMo (`locomo10.json`): conversations as sessions, per-session observations as a store, QA for benchmarks.

Each `session_<N>` of a sample is a Session `"<sample_id>/session_<N>"` whose turns are
`"<sample_id>/<dia_id>"` (speaker_a is `user`, speaker_b `agent`). Each (sample, session, speaker)
with observations is a memory `/<sample_id>/session_<NN>/<speaker>.md` of `- fact` bullets whose
`meta["provenance"]` maps every fact to the turn ids of its evidence, so notes carry `evidence`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..errors import ReaderError, WorkbenchError
from ..files import read_text
from ..records import Memory, Session, Turn, stable_id
from . import Loaded, register_reader
from .parsing import item_lines, load_json, located, require

DATE_FORMAT = "%I:%M %p on %d %B, %Y"
SESSION_KEY = re.compile(r"session_(\d+)")
DIA_ID = re.compile(r"D\d+:\d+")
SPLIT = re.compile(r"[;\s]+")


def clean_evidence(value: Any, sample_id: str) -> list[str]:
    """Turn ids `"<sample_id>/D1:3"` from a dia_id string or list, dropping malformed entries."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    ids: list[str] = []
    for item in items:
        for part in SPLIT.split(item) if isinstance(item, str) else ():
            if DIA_ID.fullmatch(part) and f"{sample_id}/{part}" not in ids:
                ids.append(f"{sample_id}/{part}")
    return ids


def session_time(conversation: dict, number: int) -> datetime:
    """The UTC start of `session_<number>` from its `_date_time` text ("1:56 pm on 8 May, 2023")."""
    key = f"session_{number}_date_time"
    value = require(conversation, key)
    try:
        return datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ReaderError(f"expected a time like '1:56 pm on 8 May, 2023', got {value!r}", field=key) from None


def session_numbers(conversation: dict) -> list[int]:
    """The N of every `session_<N>` key present, in order (date keys without a session are ignored)."""
    return sorted(int(m.group(1)) for key in conversation if (m := SESSION_KEY.fullmatch(key)))


def sample_sessions(sample: dict, path: Path, index: int) -> list[Session]:
    """One Session per `session_<N>` of a sample."""
    sample_id = require(sample, "sample_id")
    conversation = require(sample, "conversation", dict)
    with located(path, None, f"[{index}].conversation"):
        speaker_a, speaker_b = require(conversation, "speaker_a"), require(conversation, "speaker_b")
    roles = {speaker_a: "user", speaker_b: "agent"}
    summaries = sample.get("session_summary") or {}
    sessions = []
    for number in session_numbers(conversation):
        where = f"[{index}].conversation.session_{number}"
        with located(path, None, f"[{index}].conversation"):
            start = session_time(conversation, number)
            raw_turns = require(conversation, f"session_{number}", list)
        session_id = f"{sample_id}/session_{number}"
        turns = []
        for position, raw in enumerate(raw_turns):
            with located(path, None, f"{where}[{position}]"):
                speaker, dia_id, text = require(raw, "speaker"), require(raw, "dia_id"), require(raw, "text")
                if speaker not in roles:
                    raise ReaderError(f"expected {speaker_a!r} or {speaker_b!r}, got {speaker!r}", field="speaker")
                caption = raw.get("blip_caption")
                turns.append(Turn(
                    id=f"{sample_id}/{dia_id}",
                    session_id=session_id,
                    role=roles[speaker],
                    text=f"{text} [image: {caption}]" if caption else text,
                    at=start + timedelta(seconds=position),
                    position=position,
                    meta={"speaker": speaker, "dia_id": dia_id},
                ))
        summary = summaries.get(f"session_{number}_summary") if isinstance(summaries, dict) else None
        sessions.append(Session(
            session_id, start, f"{sample_id} session {number} ({speaker_a} & {speaker_b})", tuple(turns),
            origin=f"{path}#{where}", meta={"sample_id": sample_id, "session": number,
                                            **({"summary": summary} if summary else {})},
        ))
    return sessions


def sample_memories(sample: dict, path: Path, index: int) -> list[Memory]:
    """One memory per (session, speaker) with observations: a heading and one bullet per fact."""
    sample_id = require(sample, "sample_id")
    conversation = require(sample, "conversation", dict)
    observations = sample.get("observation") or {}
    if not isinstance(observations, dict):
        raise ReaderError(f"expected an object, got {type(observations).__name__}", field="observation")
    memories = []
    for key, by_speaker in observations.items():
        match = re.fullmatch(r"session_(\d+)_observation", key)
        if not match:
            continue
        number = int(match.group(1))
        with located(path, None, f"[{index}].conversation"):
            when = session_time(conversation, number)
        where = f"[{index}].observation.{key}"
        with located(path, None, where):
            if not isinstance(by_speaker, dict):
                raise ReaderError(f"expected an object of speakers, got {type(by_speaker).__name__}")
            for speaker, facts in by_speaker.items():
                memory = _observation_memory(sample_id, number, speaker, facts, when, f"{path}#{where}.{speaker}")
                if memory is not None:
                    memories.append(memory)
    return memories


def _observation_memory(sample_id: str, number: int, speaker: str, facts: Any, when: datetime,
                        origin: str) -> Memory | None:
    if not isinstance(facts, list):
        raise ReaderError(f"expected a list of [fact, evidence], got {type(facts).__name__}", field=speaker)
    bullets: list[str] = []
    provenance: dict[str, list[str]] = {}
    for k, entry in enumerate(facts):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise ReaderError("expected [fact text, evidence]", field=f"{speaker}[{k}]")
        fact = " ".join(entry[0].split())
        if not fact:
            continue
        bullets.append(f"- {fact}\n")
        known = provenance.setdefault(fact, [])
        known.extend(i for i in clean_evidence(entry[1], sample_id) if i not in known)
    if not bullets:
        return None
    path = f"/{sample_id}/session_{number:02d}/{speaker.replace('/', '-').strip()}.md"
    return Memory(
        id=stable_id("mem_", path), path=path, content=f"# {speaker} — session {number}\n\n" + "".join(bullets),
        created_at=when, updated_at=when, meta={"provenance": provenance}, origin=origin,
    )


@contextmanager
def _sample(path: Path, text: str, index: int) -> Iterator[None]:
    """Name the sample (and, on error only, the line where it starts) in any error inside."""
    try:
        with located(path, None, f"[{index}]"):
            yield
    except WorkbenchError as exc:
        if exc.line is None and exc.source == str(path):
            exc.line = item_lines(text).get(index)
            exc.args = (str(exc),)
        raise


def _samples(path: Path) -> tuple[str, list]:
    text = read_text(path)
    data = load_json(path, text)
    if isinstance(data, dict) and "conversation" in data:
        data = [data]
    if not isinstance(data, list):
        raise ReaderError("expected a list of LoCoMo samples", source=str(path))
    return text, data


@register_reader("locomo", provides=("sessions", "memories"), reads=("file",), extensions=(".json",))
class Locomo:
    """LoCoMo conversations (`locomo10.json`): sessions, and observations as a memory store."""

    def sniff(self, path: Path, head: str) -> float:
        if '"conversation"' not in head:
            return 0.0
        if '"sample_id"' in head or ('"speaker_a"' in head and '"dia_id"' in head):
            return 0.95  # `sample_id` is the last key of a sample, often past the head
        return 0.0

    def read(self, path: Path) -> Loaded:
        text, samples = _samples(path)
        sessions: list[Session] = []
        memories: list[Memory] = []
        for index, sample in enumerate(samples):
            with _sample(path, text, index):
                sessions.extend(sample_sessions(sample, path, index))
                memories.extend(sample_memories(sample, path, index))
        return Loaded(memories=memories, sessions=sessions)


def locomo_qa(path: str | Path) -> list[dict[str, Any]]:
    """Every QA item: `sample_id`, `question`, `answer` (None for adversarial), `category`, `evidence` turn ids."""
    path = Path(path)
    text, samples = _samples(path)
    out = []
    for index, sample in enumerate(samples):
        with _sample(path, text, index):
            sample_id = require(sample, "sample_id")
            for k, item in enumerate(sample.get("qa") or []):
                with located(path, None, f"[{index}].qa[{k}]"):
                    question = require(item, "question")
                    category = require(item, "category", int)
                    answer = item.get("answer")
                    out.append({
                        "sample_id": sample_id,
                        "question": question,
                        "answer": None if answer is None else str(answer),
                        "category": category,
                        "evidence": clean_evidence(item.get("evidence") or [], sample_id),
                        **({"adversarial_answer": str(item["adversarial_answer"])}
                           if item.get("adversarial_answer") is not None else {}),
                    })
    return out
