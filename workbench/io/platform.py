"""Reading a platform memory store and its sessions (the Managed Agents API) into records and files.

`pull_store` and `pull_sessions` read them as records; `pull` writes them as Managed Agents files
(`store.json`, `sessions/<id>.json`) that the `managed-agents-store` and `managed-agents-session`
readers read back, and returns the corpus those files hold. What `workbench pull` runs.

    client = platform_client()
    corpus = pull(client, "memstore_...", "pulled/")
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import api, files
from ..errors import EngineError, ReaderError, WorkbenchError
from ..records import Corpus, Memory, Session, Store, parse_time
from .sessions_platform import events_to_turns
from .store_json import store_json


def platform_client(max_retries: int = 2, timeout: float | None = None) -> Any:
    """An `anthropic.Anthropic` from the SDK's configuration; `EngineError` when no key is set."""
    return api.make_client(None, engine="platform", max_retries=max_retries, timeout=timeout)


def plain(item: Any) -> dict[str, Any]:
    """An SDK object (or a mapping) as a plain JSON dict."""
    return item.to_dict(mode="json") if hasattr(item, "to_dict") else dict(item)


# --- listing -----------------------------------------------------------------------------


def list_stores(client: Any) -> list[dict[str, Any]]:
    """Every (unarchived) memory store: id, name, description, times."""
    with api.faults("list memory stores"):
        return [plain(s) for s in client.beta.memory_stores.list(limit=100)]


def list_sessions(client: Any, store_id: str | None = None) -> list[dict[str, Any]]:
    """Sessions, newest first; with `store_id`, only those that mount that store."""
    options = {"memory_store_id": store_id} if store_id else {}
    with api.faults("list sessions"):
        return [plain(s) for s in client.beta.sessions.list(limit=100, **options)]


# --- pulling -----------------------------------------------------------------------------


def pull_store(client: Any, store_id: str, *, versions: bool = True) -> Store:
    """A platform memory store with every memory's content (and its version history)."""
    with api.faults(f"pull memory store {store_id}"):
        return api.call(lambda c: _pull_store(c, store_id, versions), client)


def _pull_store(client: Any, store_id: str, versions: bool) -> Store:
    """One attempt at `pull_store` (retried from the start by `api.call`)."""
    info = client.beta.memory_stores.retrieve(store_id)
    memories = []
    for item in client.beta.memory_stores.memories.list(store_id, view="full", limit=100):
        if getattr(item, "type", "memory") != "memory":
            continue
        if item.content is None:
            item = client.beta.memory_stores.memories.retrieve(item.id, memory_store_id=store_id, view="full")
        memories.append(Memory.from_dict(plain(item), origin=f"platform:{store_id}{item.path}"))
    history = [plain(v) for v in client.beta.memory_stores.memory_versions.list(store_id, limit=100)] \
        if versions else []
    return Store(tuple(sorted(memories, key=lambda m: m.path)), id=info.id, name=info.name,
                 origin=f"platform:{store_id}", versions=tuple(history))


def _session_export(client: Any, session_id: str) -> dict[str, Any]:
    """A session in the Managed Agents export shape: the session object plus its `events`."""
    with api.faults(f"pull session {session_id}"):
        session, events = api.call(lambda c: (
            plain(c.beta.sessions.retrieve(session_id)),
            [plain(e) for e in c.beta.sessions.events.list(session_id, limit=100)]), client)
        if not isinstance(session, dict) or not isinstance(session.get("id"), str):
            raise EngineError(f"pull session {session_id}: the API answered without a session id")
    head = {k: session.get(k) for k in ("type", "id", "created_at", "title") if k in session}
    return {**head, "events": events, **{k: v for k, v in session.items() if k not in head}}


def session_from_export(data: Mapping[str, Any], origin: str = "") -> Session:
    """Map a session export to a `Session` exactly as the `managed-agents-session` reader does."""
    session_id = str(data["id"])
    origin = origin or f"platform:sessions/{session_id}"
    turns = events_to_turns(session_id, list(data.get("events") or []), Path(origin), "", None)
    started = data.get("created_at")
    started_at = parse_time(started, field_name="created_at") if started else (turns[0].at if turns else None)
    title = data.get("title") or next((t.text[:80] for t in turns if t.role == "user"), session_id)
    return Session(session_id, started_at, title, tuple(turns), origin=origin)


def pull_sessions(client: Any, session_ids: Iterable[str]) -> list[Session]:
    """Sessions with their events mapped to turns (user, agent, tool), in the order given."""
    return [session_from_export(_session_export(client, sid)) for sid in dict.fromkeys(session_ids)]


def _file_name(session_id: Any) -> str:
    """`<session id>.json`: an id from the server becomes a file name only through `files.safe_name`."""
    try:
        return files.safe_name(f"{files.safe_name(session_id, what='session id')}.json", what="session id")
    except WorkbenchError as exc:
        raise EngineError(f"the platform returned a session id that cannot be a file name: {exc.message}") from None


def pull(client: Any, store_id: str, out_dir: str | Path, session_ids: Iterable[str] | None = None) -> Corpus:
    """Write `store.json` and `sessions/<id>.json` under `out_dir` (Managed Agents shapes).

    Without `session_ids`, the sessions that mount the store. Everything is fetched before
    anything is written. `workbench.io.load_corpus(out/"store.json", out/"sessions")` reads it back.
    """
    store = pull_store(client, store_id)
    ids = list(session_ids) if session_ids is not None else [s["id"] for s in list_sessions(client, store_id)]
    exports = [_session_export(client, sid) for sid in dict.fromkeys(ids)]
    out = Path(out_dir)
    names = {id(d): _file_name(d["id"]) for d in exports}  # every name checked before anything is written
    try:
        files.write_text(out / "store.json", store_json(store))
        for data in exports:
            files.write_text(out / "sessions" / names[id(data)], json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ReaderError(f"cannot write: {exc.strerror or exc}", source=files.quote(out)) from None
    sessions = [session_from_export(d, str(out / "sessions" / names[id(d)])) for d in exports]
    return Corpus(store, tuple(sorted(sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))))


__all__ = ["platform_client", "list_stores", "list_sessions", "pull_store", "pull_sessions", "pull", "session_from_export",
           "plain"]
