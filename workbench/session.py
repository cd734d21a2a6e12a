"""A working session: what a person has done in the Workbench, kept in a file so nothing is lost.

A session holds the focus, every decision (the append-only log, undos included), the notes
selected on the map and the digest of the plan the decisions were made on. The Workbench saves
it after each decision (atomically, through `workbench.files`: a temporary file beside the target,
fsync, rename), so a
kernel restart or a closed tab loses nothing; loading it re-plans with the saved focus and
carries each decision over to the identical operation of the new plan.

    session = WorkSession.capture(focus, review, selection=["mem_3#0"])
    save_session(session, "review.session.json")
    again = load_session("review.session.json")
    carried = carry_over(again.review_log(old_plan), new_plan)   # CarryOver(review, carried, dropped)

Operations are matched by what they do (kind, targets, result), not by id: an operation of a
re-made plan that changes the same notes into the same text is the same operation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .dream.plan import Operation, Plan
from .embed import cache_dir
from .errors import ReaderError, WorkbenchError
from .files import safe_name, write_bytes, write_text
from .focus import Focus
from .records import iso, sha256
from .review import Decision, Review, plan_digest

SESSION_FORMAT = 1
SESSIONS_ENV = "WORKBENCH_SESSIONS"


def sessions_dir() -> Path:
    """Where autosaved sessions live: `$WORKBENCH_SESSIONS`, else `sessions/` in the workbench cache folder."""
    return Path(os.environ.get(SESSIONS_ENV) or cache_dir() / "sessions")


def autosave_path(store_digest: str) -> Path:
    """The autosave file of the sessions on one input store (one per store, named by its digest)."""
    return sessions_dir() / f"session-{store_digest[:16]}.json"


def operation_key(op: Operation) -> tuple:
    """What an operation does: its kind, the notes it reads and what it writes (not its id or wording)."""
    result = (op.result.path, op.result.text, op.result.note_id, op.result.whole_memory) if op.result else None
    return (op.kind, tuple(sorted(t.id for t in op.targets)), result)


def operation_digest(op: Operation) -> str:
    """SHA-256 of `operation_key`: the same for identical operations, and no text of the store in it."""
    return sha256(json.dumps(operation_key(op), ensure_ascii=False))


@dataclass(frozen=True)
class CarryOver:
    """Decisions moved from one plan to another: the new review, and which old operations were (not) carried."""

    review: Review
    carried: tuple[str, ...]  # old operation ids whose decision now applies to an identical new operation
    dropped: tuple[str, ...]  # old operation ids with a decision and no identical operation in the new plan
    dropped_operations: tuple[Operation, ...] = ()  # those operations (what the person had decided on)

    @property
    def message(self) -> str:
        if not self.carried and not self.dropped:
            return "No decisions to carry over."
        text = f"{len(self.carried)} decision{'s' if len(self.carried) != 1 else ''} carried over to identical operations"
        if self.dropped:
            text += (f"; {len(self.dropped)} could not be carried (their operation is not in the new plan, "
                     "or it now changes other notes or writes other text)")
        return text + "."


def carry_over(review: Review, plan: Plan) -> CarryOver:
    """A review of `plan` holding the decisions of `review` on operations `plan` has too (by `operation_key`).

    Each carried operation keeps its whole decision history (who, when, edits); the log says how
    many decisions were carried and how many could not be.
    """
    by_key = {operation_key(op): op.id for op in plan.operations}
    old_ops = review.plan.by_id
    current = review.current
    mapping = _answers_kept(review.current, plan)
    for old_id in current:
        op = old_ops.get(old_id)
        target = by_key.get(operation_key(op)) if op is not None else None
        if target is not None:
            mapping[old_id] = target
    new = Review(plan, guardrail=review.guardrail, log=list(review.log))
    for d in review.decisions:
        if d.operation in mapping:
            new.decisions.append(Decision(mapping[d.operation], d.verdict, d.content, d.who, d.at, d.note))
    dropped = tuple(i for i in current if i not in mapping)
    result = CarryOver(new, tuple(i for i in current if i in mapping), dropped,
                       tuple(old_ops[i] for i in dropped if i in old_ops))
    if current:
        new.log.append(f"{iso(datetime.now(timezone.utc))} plan {plan_digest(review.plan)[:10]} → "
                       f"{plan_digest(plan)[:10]}: {result.message}")
    return result


def _answers_kept(current: Mapping[str, Decision], plan: Plan) -> dict[str, str]:
    """Answers that hold on `plan`: its question of the same id (the same notes, texts and choices) has the
    chosen answer. A question's id is derived from what it asks, so it is its own digest."""
    questions = plan.question_by_id
    return {key: key for key, d in current.items() if d.verdict == "answer" and key in questions
            and d.content in {c.key for c in questions[key].choices}}


def undo(review: Review, operation: str, who: str = "reviewer") -> Review:
    """Take back the decision on `operation`: it is pending again (the log records the undo)."""
    current = review.current.get(operation)
    if current is None:
        raise ReaderError(f"operation {operation!r} has no decision to undo", field="operation")
    review.decisions[:] = [d for d in review.decisions if d.operation != operation]
    review.log.append(f"{iso(datetime.now(timezone.utc))} {who} undid {current.verdict} of {operation}")
    return review


def shown_text(review: Review, op: Operation) -> str:
    """The result text a person sees for `op`: the saved edit, else the operation's own result."""
    decision = review.current.get(op.id)
    if decision is not None and decision.verdict == "edit" and decision.content:
        return decision.content
    return op.result.text if op.result is not None else ""


def approve_shown(review: Review, op: Operation, shown: str | None = None, who: str = "reviewer") -> Review:
    """Approve `op` as the text box shows it: a text other than the operation's result is approved as an edit.

    An empty box is refused (approve the original by restoring it, or reject).
    """
    if op.result is None or shown is None or shown == op.result.text:
        return review.approve(op.id, who=who)
    if not shown.strip():
        raise WorkbenchError("the text box is empty: put back the text to keep, or reject the operation")
    return review.edit(op.id, shown, who=who)


@dataclass(frozen=True)
class WorkSession:
    """Focus, decisions, selection and plan digest: what to restore after a restart.

    The operations decided on are kept as digests of what they do (`operation_digest`), not as
    their text: a session file holds no memory content beyond the edits a person typed.
    """

    focus: Focus
    decisions: tuple[Decision, ...] = ()
    log: tuple[str, ...] = ()
    selection: tuple[str, ...] = ()
    plan_digest: str = ""
    store_digest: str = ""
    saved_at: str = ""
    operations: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (operation id, operation_digest)

    @classmethod
    def capture(cls, focus: Focus, review: Review, *, selection: Iterable[str] = (),
                store_digest: str = "") -> WorkSession:
        decided = {d.operation for d in review.decisions}
        return cls(focus, tuple(review.decisions), tuple(review.log), tuple(selection), plan_digest(review.plan),
                   store_digest or str(review.plan.inputs.get("store_digest") or ""),
                   iso(datetime.now(timezone.utc)),
                   tuple((op.id, operation_digest(op)) for op in review.plan.operations if op.id in decided))

    def to_dict(self) -> dict[str, Any]:
        return {"format": SESSION_FORMAT, "kind": "dream-workbench session", "saved_at": self.saved_at,
                "store_digest": self.store_digest, "plan_digest": self.plan_digest, "focus": self.focus.to_dict(),
                "selection": list(self.selection), "decisions": [asdict(d) for d in self.decisions],
                "log": list(self.log), "operations": dict(self.operations)}

    @classmethod
    def from_dict(cls, data: Any, source: str = "") -> WorkSession:
        if not isinstance(data, Mapping) or data.get("kind") != "dream-workbench session":
            raise ReaderError("not a workbench session file (expected an object with kind "
                              "'dream-workbench session')", source=source)
        if data.get("format") != SESSION_FORMAT:
            raise ReaderError(f"unknown session format {data.get('format')!r} (this version reads {SESSION_FORMAT})",
                              source=source, field="format")
        try:
            focus = Focus.from_dict(data.get("focus") or {})
            decisions = tuple(Decision(**d) for d in data.get("decisions", []))
            operations = tuple((str(k), str(v)) for k, v in dict(data.get("operations") or {}).items())
            return cls(focus, decisions, tuple(str(x) for x in data.get("log", [])),
                       tuple(str(x) for x in data.get("selection", [])), str(data.get("plan_digest", "")),
                       str(data.get("store_digest", "")), str(data.get("saved_at", "")), operations)
        except WorkbenchError as exc:
            raise ReaderError(exc.message, source=source, field=exc.field) from None
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ReaderError(f"malformed session: {exc}", source=source) from None

    def restore(self, plan: Plan) -> CarryOver:
        """The saved decisions on `plan` (the re-made plan): each carried to its identical operation."""
        by_digest = {operation_digest(op): op.id for op in plan.operations}
        digest_of = dict(self.operations)
        current: dict[str, Decision] = {}
        for decision in self.decisions:
            current[decision.operation] = decision
        mapping = {old: by_digest[digest_of[old]] for old in current if digest_of.get(old) in by_digest}
        mapping.update(_answers_kept(current, plan))
        review = Review(plan, log=list(self.log))
        for d in self.decisions:
            if d.operation in mapping:
                review.decisions.append(Decision(mapping[d.operation], d.verdict, d.content, d.who, d.at, d.note))
        return CarryOver(review, tuple(i for i in current if i in mapping), tuple(i for i in current if i not in mapping))


def save_session(session: WorkSession, path: str | Path) -> Path:
    """Write the session as JSON, atomically; a folder that cannot be written is a `WorkbenchError`."""
    path = Path(path)
    text = json.dumps(session.to_dict(), indent=2, ensure_ascii=False) + "\n"
    try:
        write_text(path, text)
    except OSError as exc:
        raise WorkbenchError(f"cannot save the session to {path}: {exc.strerror or exc}") from None
    return path


def load_session(path: str | Path) -> WorkSession:
    """Read a session file; anything else is a `ReaderError` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReaderError("no such session file", source=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ReaderError(f"cannot read the session: {exc}", source=str(path)) from None
    return WorkSession.from_dict(data, str(path))


def snapshot_archive(path: str | Path, format: str) -> tuple[str, bytes]:
    """(file name, bytes) to download a written snapshot: a folder zipped, a zip as it is, a JSON file
    zipped with its manifest."""
    import io
    import zipfile

    path = Path(path)
    if format == "zip":
        return path.name if path.suffix == ".zip" else path.name + ".zip", path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(path).as_posix())
        else:
            archive.write(path, path.name)
            manifest = path.with_name(path.name + ".manifest.json")
            if manifest.is_file():
                archive.write(manifest, manifest.name)
    return f"{path.name}.zip", buffer.getvalue()


def stage_uploads(files: Sequence[tuple[str, bytes]], folder: str | Path) -> list[Path]:
    """Write uploaded files (name, content) into `folder` under their base names; the paths written.

    A name is reduced to its last path segment; hidden or empty names are refused.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, content in files:
        base = Path(str(name).replace("\\", "/")).name
        if not base or base.startswith(".") or "\x00" in base:
            raise WorkbenchError(f"cannot use the uploaded file name {name!r}")
        target = folder / safe_name(base, what="uploaded file name")
        write_bytes(target, bytes(content))
        out.append(target)
    return out


__all__ = ["WorkSession", "CarryOver", "carry_over", "undo", "operation_key", "operation_digest", "shown_text", "approve_shown",
           "save_session", "load_session", "sessions_dir", "autosave_path", "stage_uploads", "snapshot_archive"]
