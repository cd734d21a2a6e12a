"""Small, realistic corpora built in code for engine and analysis tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from workbench.records import Corpus, Memory, Session, Store, Turn, stable_id

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample-data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def memory(path: str, bullets: list[str], day: int, title: str = "Notes") -> Memory:
    content = f"# {title}\n\n" + "".join(f"- {b}\n" for b in bullets)
    at = T0 + timedelta(days=day)
    return Memory(id=stable_id("mem_", path), path=path, content=content, created_at=at, updated_at=at)


def session(number: int, day: int, user_lines: list[str], title: str = "Work session") -> Session:
    sid = f"sesn_{number:03d}"
    turns = []
    for i, line in enumerate(user_lines):
        at = T0 + timedelta(days=day, minutes=2 * i)
        turns.append(Turn(f"{sid}-u{i}", sid, "user", line, at, 2 * i))
        turns.append(Turn(f"{sid}-a{i}", sid, "agent", "Done, I made that change.", at + timedelta(minutes=1), 2 * i + 1))
    return Session(sid, T0 + timedelta(days=day), title, tuple(turns))


def coding_store() -> Store:
    return Store((
        memory("/preferences/style.md", [
            "Priya wants type hints on every public function.",
            "Run the test suite with `pytest -x -q` before pushing.",
            "Priya had a sandwich for lunch and it was raining.",
        ], 1, "Style"),
        memory("/project/ci.md", [
            "CI runs on Jenkins.",
            "Unit tests run with `pytest -m unit`.",
            "Integration tests run with `pytest -m integration`.",
            "For this sprint (ends March 27), migrations are frozen.",
        ], 3, "CI"),
        memory("/project/ci-2.md", [
            "CI runs on GitHub Actions.",
            "Priya wants type hints on every public function.",
        ], 60, "CI notes"),
        memory("/team/people.md", [
            "Priya reviews every migration that Mei writes.",
            "Mei reviews every migration that Priya writes.",
            "Tomás owns the deploy scripts.",
        ], 5, "People"),
        memory("/project/database.md", [
            "The staging database host is `staging-db.internal`.",
        ], 4, "Database"),
    ), id="memstore_test", name="test")


def coding_sessions() -> list[Session]:
    return [
        session(1, 70, ["Please don't add print statements, use the structlog logger.",
                        "Can you look at the failing invoice test?"]),
        session(2, 80, ["Again: never add print statements, use the structlog logger instead.",
                        "Also Tomás owns the deploy scripts, ask him before touching them."]),
        session(3, 90, ["Heads up, we moved the staging database to `staging-db-2.internal` last week.",
                        "Remember: no print statements, always use the structlog logger."]),
    ]


def coding_corpus() -> Corpus:
    return Corpus(coding_store(), coding_sessions())


def note_id(store: Store, text: str) -> str:
    """The id of the first note with this text."""
    return next(n.id for n in store.notes if n.text == text)
