"""/v1/dreams: create, retrieve (advances the lifecycle), list, cancel, archive."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .common import (
    ApiError,
    RecordedRequest,
    canonical,
    estimate_tokens,
    invalid,
    json_body,
    list_param,
    not_found,
    paginate,
    route,
    time_filtered,
)
from .memory_stores import check_content, check_path

DREAM_BETAS = ("dreaming-2026-04-21",)

MAX_DREAM_SESSIONS = 100
MAX_INSTRUCTIONS_CHARS = 4096

FINAL_DREAM_STATUSES = ("completed", "failed", "canceled")


@dataclass
class _Dream:
    record: dict
    polls_to_finish: int
    fail_with: tuple | None
    polls: int = 0


def default_dream_transform(memories: list, sessions: list, instructions: str | None) -> list:
    """Drop memories under a ``/scratch/`` segment and bullet lines already seen (by path order)."""
    seen, output = set(), []
    for memory in sorted(memories, key=lambda m: m["path"]):
        if "/scratch/" in memory["path"]:
            continue
        kept = []
        for line in (memory.get("content") or "").splitlines(keepends=True):
            bullet = line.strip()
            if bullet.startswith(("- ", "* ")):
                if bullet in seen:
                    continue
                seen.add(bullet)
            kept.append(line)
        output.append({"path": memory["path"], "content": "".join(kept)})
    return output


def _dream_model(model: Any) -> dict:
    if isinstance(model, str):
        model = {"id": model}
    if (
        not isinstance(model, dict)
        or not isinstance(model.get("id"), str)
        or not 1 <= len(model["id"]) <= 256
    ):
        raise invalid("model: must be a model ID (1 to 256 characters) or an object with `id`")
    if model.get("speed") not in (None, "standard"):
        raise invalid("model.speed: dreams accept only 'standard'")
    return {"id": model["id"], "speed": "standard"}


def _dream_inputs(inputs: Any) -> tuple:
    """Validate ``inputs``; return (memory_store_id, sorted session_ids)."""
    if not isinstance(inputs, list):
        raise invalid("inputs: Field required")
    stores = [i for i in inputs if isinstance(i, dict) and i.get("type") == "memory_store"]
    sessions = [i for i in inputs if isinstance(i, dict) and i.get("type") == "sessions"]
    if len(inputs) != 2 or len(stores) != 1 or len(sessions) != 1:
        raise invalid(
            "inputs: must contain exactly one `memory_store` entry and exactly one `sessions` entry"
        )
    store_id = stores[0].get("memory_store_id")
    if not isinstance(store_id, str) or not store_id:
        raise invalid("inputs.memory_store.memory_store_id: Field required")
    session_ids = sessions[0].get("session_ids")
    if not isinstance(session_ids, list) or not all(isinstance(s, str) for s in session_ids):
        raise invalid("inputs.sessions.session_ids: Input should be a list of session IDs")
    if not 1 <= len(session_ids) <= MAX_DREAM_SESSIONS:
        raise invalid(
            f"inputs.sessions.session_ids: must contain between 1 and {MAX_DREAM_SESSIONS} "
            f"session IDs (got {len(session_ids)})"
        )
    if len(set(session_ids)) != len(session_ids):
        raise invalid("inputs.sessions.session_ids: must not contain duplicates")
    return store_id, sorted(session_ids)


def _dream_instructions(instructions: Any) -> str | None:
    if instructions is None:
        return None
    if not isinstance(instructions, str) or not 1 <= len(instructions) <= MAX_INSTRUCTIONS_CHARS:
        raise invalid(
            f"instructions: must be a string of 1 to {MAX_INSTRUCTIONS_CHARS} characters"
        )
    return instructions


_DREAM = r"/v1/dreams/(?P<dream_id>[^/]+)"
ROUTES = (
    route("POST", r"/v1/dreams", "_dreams_create", DREAM_BETAS),
    route("GET", r"/v1/dreams", "_dreams_list", DREAM_BETAS),
    route("GET", _DREAM, "_dreams_retrieve", DREAM_BETAS),
    route("POST", _DREAM + "/cancel", "_dreams_cancel", DREAM_BETAS),
    route("POST", _DREAM + "/archive", "_dreams_archive", DREAM_BETAS),
)


class DreamsApi:
    """/v1/dreams: create, retrieve (advances the lifecycle), list, cancel, archive."""

    def _dreams_create(self, request: RecordedRequest) -> dict:
        body = json_body(request)
        store_id, session_ids = _dream_inputs(body.get("inputs"))
        if self._store(store_id)["store"]["archived_at"]:
            raise invalid(f"Memory store {store_id} is archived.")
        for session_id in session_ids:
            self._session(session_id)
        model = _dream_model(body.get("model"))
        instructions = _dream_instructions(body.get("instructions"))
        behavior = self._output_behavior(body.get("output_behavior"), store_id)
        record = {
            "type": "dream",
            "id": self._new_id("drm"),
            "status": "pending",
            "inputs": [
                {"type": "memory_store", "memory_store_id": store_id},
                {"type": "sessions", "session_ids": session_ids},
            ],
            "model": model,
            "instructions": instructions,
            "output_behavior": behavior,
            "outputs": [],
            "error": None,
            "session_id": None,
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
            "created_at": self._now(),
            "ended_at": None,
            "archived_at": None,
        }
        fail_with = self.dream_fail_with(copy.deepcopy(record)) if callable(self.dream_fail_with) \
            else self.dream_fail_with
        fail_with = tuple(fail_with) if fail_with else None
        if self.dream_cancel_if is not None and self.dream_cancel_if(copy.deepcopy(record)):
            fail_with = ("canceled", "")
        self._dreams[record["id"]] = _Dream(
            record, max(1, int(self.dream_polls_to_finish)), fail_with
        )
        active = [d.record for d in self._dreams.values() if d.record["status"] in ("pending", "running")]
        self.peak_active_dreams = max(self.peak_active_dreams, len(active))
        same = sum(1 for r in active if r["inputs"][0]["memory_store_id"] == store_id)
        peaks = self.peak_active_dreams_by_store
        peaks[store_id] = max(peaks.get(store_id, 0), same)
        return copy.deepcopy(record)

    def _dreams_retrieve(self, request: RecordedRequest, dream_id: str) -> dict:
        dream = self._dream(dream_id)
        if dream.record["status"] not in FINAL_DREAM_STATUSES:
            dream.polls += 1
            if dream.polls >= dream.polls_to_finish:
                self._finish_dream(dream)
            else:
                self._start_dream(dream)
        return copy.deepcopy(dream.record)

    def _dreams_list(self, request: RecordedRequest) -> dict:
        query = request.query
        dreams = [d.record for d in self._dreams.values()]
        if query.get("include_archived") != "true":
            dreams = [d for d in dreams if not d["archived_at"]]
        statuses = list_param(query, "statuses")
        if statuses:
            dreams = [d for d in dreams if d["status"] in statuses]
        dreams = time_filtered(dreams, query, "created_at")
        return paginate(copy.deepcopy(dreams[::-1]), query)

    def _dreams_cancel(self, request: RecordedRequest, dream_id: str) -> dict:
        record = self._dream(dream_id).record
        if record["status"] in ("completed", "failed"):
            raise invalid(f"Dream {dream_id} is {record['status']} and can't be canceled.")
        if record["status"] != "canceled":
            record.update(status="canceled", ended_at=self._now())
        return copy.deepcopy(record)

    def _dreams_archive(self, request: RecordedRequest, dream_id: str) -> dict:
        record = self._dream(dream_id).record
        if record["status"] in ("pending", "running"):
            raise invalid(f"Dream {dream_id} is {record['status']}; cancel it before archiving.")
        if not record["archived_at"]:
            record["archived_at"] = self._now()
        return copy.deepcopy(record)

    # ---- internals (called with the lock held)

    def _dream(self, dream_id: str) -> _Dream:
        if dream_id not in self._dreams:
            raise not_found(f"Dream {dream_id}")
        return self._dreams[dream_id]

    def _output_behavior(self, behavior: Any, store_id: str) -> dict:
        if behavior is None or behavior == {"type": "create_new"}:
            return {"type": "create_new"}
        if not isinstance(behavior, dict) or behavior.get("type") != "update_existing":
            raise invalid(
                "output_behavior.type: Input should be 'create_new' or 'update_existing'"
            )
        if behavior.get("memory_store_id") != store_id:
            raise invalid(
                "output_behavior.memory_store_id: must be the memory store given in `inputs`"
            )
        for other in self._dreams.values():
            same_target = other.record["output_behavior"] == {
                "type": "update_existing",
                "memory_store_id": store_id,
            }
            if same_target and other.record["status"] in ("pending", "running"):
                raise ApiError(
                    409, f"Dream {other.record['id']} is still updating memory store {store_id}."
                )
        return {"type": "update_existing", "memory_store_id": store_id}

    def _dream_sources(self, record: dict) -> tuple:
        store_id, session_ids = (
            record["inputs"][0]["memory_store_id"],
            record["inputs"][1]["session_ids"],
        )
        memories = (
            copy.deepcopy(self._sorted_memories(store_id)) if store_id in self._stores else []
        )
        sessions = [
            dict(
                copy.deepcopy(self._sessions[s]["session"]),
                events=copy.deepcopy(self._sessions[s]["events"]),
            )
            for s in session_ids
            if s in self._sessions
        ]
        return memories, sessions

    def _start_dream(self, dream: _Dream) -> None:
        record = dream.record
        if record["status"] != "pending":
            return
        memories, sessions = self._dream_sources(record)
        read = [m["path"] + "\n" + m["content"] for m in memories] + [
            canonical(s["events"]) for s in sessions
        ]
        record["usage"]["input_tokens"] = sum(
            map(estimate_tokens, read + [record["instructions"] or ""])
        )
        record.update(status="running", session_id=self._new_id("sesn"))

    def _finish_dream(self, dream: _Dream) -> None:
        self._start_dream(dream)
        record = dream.record
        if dream.fail_with == ("canceled", ""):
            record.update(status="canceled", ended_at=self._now())
            return
        if dream.fail_with:
            error_type, message = dream.fail_with
            record.update(
                status="failed",
                error={"type": error_type, "message": message},
                ended_at=self._now(),
            )
            return
        memories, sessions = self._dream_sources(record)
        try:
            outputs = self.dream_transform(memories, sessions, record["instructions"])
            outputs = [
                {"path": check_path(o["path"]), "content": check_content(o["content"])}
                for o in outputs
            ]
        except Exception as exc:  # a broken transform fails the dream, visibly
            error = {"type": "internal_error", "message": f"dream_transform raised {exc!r}"}
            record.update(status="failed", error=error, ended_at=self._now())
            return
        store_id = self._write_dream_output(record, outputs)
        record["outputs"] = [{"type": "memory_store", "memory_store_id": store_id}]
        record["usage"]["output_tokens"] = sum(estimate_tokens(o["content"]) for o in outputs)
        record.update(status="completed", ended_at=self._now())

    def _write_dream_output(self, record: dict, outputs: list) -> str:
        source_id = record["inputs"][0]["memory_store_id"]
        actor = {"type": "session_actor", "session_id": record["session_id"]}
        if record["output_behavior"]["type"] == "create_new":
            source = self._stores[source_id]["store"]
            target = self._new_store(
                f"{source['name']} (dream {record['id']})",
                source["description"],
                source["metadata"],
            )
            target_id = target["id"]
        else:
            target_id = source_id
        existing = {m["path"]: m for m in self._stores[target_id]["memories"].values()}
        wanted = {o["path"]: o["content"] for o in outputs}
        for path, memory in existing.items():
            if path not in wanted:
                self._record_version(target_id, memory, "deleted", actor)
                del self._stores[target_id]["memories"][memory["id"]]
            elif wanted[path] != memory["content"]:
                self._write_memory(target_id, memory, wanted[path], path, "modified", actor)
        for path, content in wanted.items():
            if path not in existing:
                self._create_memory(target_id, path, content, actor)
        return target_id
