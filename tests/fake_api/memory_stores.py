"""/v1/memory_stores, .../memories and .../memory_versions, with `content_sha256` preconditions."""

from __future__ import annotations

import copy
from typing import Any

from .common import (
    ApiError,
    RecordedRequest,
    int_param,
    invalid,
    json_body,
    not_found,
    paginate,
    route,
    sha256,
    time_filtered,
    view_param,
)

MEMORY_BETAS = ("agent-memory-2026-07-22", "managed-agents-2026-04-01")

MAX_MEMORY_BYTES = 102_400
MAX_PATH_BYTES = 1024
MAX_PATH_SEGMENTS = 20

FULL_VIEW_PAGE_CAP = 20

API_ACTOR = {"type": "api_actor", "api_key_id": "apikey_fake"}
CONCURRENT_WRITER = {"type": "session_actor", "session_id": "sesn_concurrent_writer"}


def check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise invalid("path: must be a string starting with '/'")
    segments = path[1:].split("/")
    if not 1 <= len(segments) <= MAX_PATH_SEGMENTS or any(s in ("", ".", "..") for s in segments):
        raise invalid(
            f"path: must have 1 to {MAX_PATH_SEGMENTS} segments, none empty, '.' or '..' ({path!r})"
        )
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise invalid(f"path: must be at most {MAX_PATH_BYTES} bytes")
    return path


def check_content(content: Any) -> str:
    if not isinstance(content, str):
        raise invalid("content: Input should be a string")
    if len(content.encode("utf-8")) > MAX_MEMORY_BYTES:
        raise invalid(f"content: must be at most {MAX_MEMORY_BYTES} bytes")
    return content


def _render(item: dict, view: str) -> dict:
    rendered = copy.deepcopy(item)
    if view == "basic" and "content" in rendered:
        rendered["content"] = None
    return rendered


def _memory_listing(memories: list, prefix: str, depth: int) -> list:
    """Memories under ``prefix``; with depth > 0, deeper ones roll up into memory_prefix items."""
    items, prefixes = [], set()
    for memory in memories:
        if not memory["path"].startswith(prefix):
            continue
        segments = memory["path"][len(prefix) :].split("/")
        if depth and len(segments) > depth:
            prefixes.add(prefix + "/".join(segments[:depth]) + "/")
        else:
            items.append(memory)
    items += [{"type": "memory_prefix", "path": p} for p in prefixes]
    return sorted(items, key=lambda item: item["path"])


_STORE = r"/v1/memory_stores/(?P<store_id>[^/]+)"
_MEMORY = _STORE + r"/memories/(?P<memory_id>[^/]+)"
ROUTES = (
    route("GET", r"/v1/memory_stores", "_stores_list", MEMORY_BETAS),
    route("POST", r"/v1/memory_stores", "_stores_create", MEMORY_BETAS),
    route("GET", _STORE, "_stores_retrieve", MEMORY_BETAS),
    route("POST", _STORE, "_stores_update", MEMORY_BETAS),
    route("DELETE", _STORE, "_stores_delete", MEMORY_BETAS),
    route("POST", _STORE + "/archive", "_stores_archive", MEMORY_BETAS),
    route("GET", _STORE + "/memories", "_memories_list", MEMORY_BETAS),
    route("POST", _STORE + "/memories", "_memories_create", MEMORY_BETAS),
    route("GET", _MEMORY, "_memories_retrieve", MEMORY_BETAS),
    route("POST", _MEMORY, "_memories_update", MEMORY_BETAS),
    route("DELETE", _MEMORY, "_memories_delete", MEMORY_BETAS),
    route("GET", _STORE + "/memory_versions", "_versions_list", MEMORY_BETAS),
    route("GET", _STORE + r"/memory_versions/(?P<version_id>[^/]+)", "_versions_retrieve", MEMORY_BETAS),
)


class MemoryStoresApi:
    """/v1/memory_stores, .../memories and .../memory_versions."""

    # ---- stores

    def _stores_create(self, request: RecordedRequest) -> dict:
        body = json_body(request)
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise invalid("name: must be a string of 1 to 255 characters")
        return copy.deepcopy(
            self._new_store(name, body.get("description") or "", body.get("metadata") or {})
        )

    def _stores_list(self, request: RecordedRequest) -> dict:
        stores = [entry["store"] for entry in self._stores.values()]
        if request.query.get("include_archived") != "true":
            stores = [s for s in stores if not s["archived_at"]]
        stores = time_filtered(stores, request.query, "created_at")
        return paginate(copy.deepcopy(stores[::-1]), request.query)

    def _stores_retrieve(self, request: RecordedRequest, store_id: str) -> dict:
        return copy.deepcopy(self._store(store_id)["store"])

    def _stores_update(self, request: RecordedRequest, store_id: str) -> dict:
        body, store = json_body(request), self._writable_store(store_id)["store"]
        for key in ("name", "description", "metadata"):
            if body.get(key) is not None:
                store[key] = body[key]
        store["updated_at"] = self._now()
        return copy.deepcopy(store)

    def _stores_archive(self, request: RecordedRequest, store_id: str) -> dict:
        store = self._store(store_id)["store"]
        if not store["archived_at"]:
            store["archived_at"] = store["updated_at"] = self._now()
        return copy.deepcopy(store)

    def _stores_delete(self, request: RecordedRequest, store_id: str) -> dict:
        self._store(store_id)
        del self._stores[store_id]
        return {"id": store_id, "type": "memory_store_deleted"}

    # ---- memories

    def _memories_list(self, request: RecordedRequest, store_id: str) -> dict:
        query = request.query
        view = view_param(query, "basic")
        prefix = query.get("path_prefix") or "/"
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise invalid("path_prefix: must start and end with '/'")
        depth = int_param(query, "depth", 0, 0, MAX_PATH_SEGMENTS)
        items = _memory_listing(self._sorted_memories(store_id), prefix, depth)
        return paginate(
            [_render(item, view) for item in items],
            query,
            cap=FULL_VIEW_PAGE_CAP if view == "full" else None,
        )

    def _memories_create(self, request: RecordedRequest, store_id: str) -> dict:
        body, entry = json_body(request), self._writable_store(store_id)
        path = check_path(body.get("path"))
        content = check_content("" if body.get("content") is None else body["content"])
        self._check_path_free(entry, path)
        memory = self._create_memory(store_id, path, content, API_ACTOR)
        return _render(memory, view_param(request.query, "basic"))

    def _memories_retrieve(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        return _render(self._memory(store_id, memory_id), view_param(request.query, "full"))

    def _memories_update(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        body, entry = json_body(request), self._writable_store(store_id)
        memory = self._memory(store_id, memory_id)
        content = (
            memory["content"] if body.get("content") is None else check_content(body["content"])
        )
        path = memory["path"] if body.get("path") is None else check_path(body["path"])
        unchanged = content == memory["content"] and path == memory["path"]
        precondition = body.get("precondition")
        if precondition is not None and not unchanged:
            self._check_precondition(memory, precondition)
        if not unchanged:
            if path != memory["path"]:
                self._check_path_free(entry, path)
            self._write_memory(store_id, memory, content, path, "modified", API_ACTOR)
        return _render(memory, view_param(request.query, "basic"))

    def _memories_delete(self, request: RecordedRequest, store_id: str, memory_id: str) -> dict:
        memory = self._memory(store_id, memory_id)
        expected = request.query.get("expected_content_sha256")
        if expected is not None and expected != memory["content_sha256"]:
            raise self._precondition_failed(memory)
        self._record_version(store_id, memory, "deleted", API_ACTOR)
        del self._stores[store_id]["memories"][memory_id]
        return {"id": memory_id, "type": "memory_deleted"}

    # ---- memory versions

    def _versions_list(self, request: RecordedRequest, store_id: str) -> dict:
        query = request.query
        view = view_param(query, "basic")
        versions = list(reversed(self._store(store_id)["versions"]))
        for name in ("memory_id", "operation"):
            if query.get(name):
                versions = [v for v in versions if v[name] == query[name]]
        if query.get("session_id"):
            versions = [
                v
                for v in versions
                if (v["created_by"] or {}).get("session_id") == query["session_id"]
            ]
        versions = time_filtered(versions, query, "created_at")
        return paginate(
            [_render(v, view) for v in versions],
            query,
            cap=FULL_VIEW_PAGE_CAP if view == "full" else None,
        )

    def _versions_retrieve(self, request: RecordedRequest, store_id: str, version_id: str) -> dict:
        for version in self._store(store_id)["versions"]:
            if version["id"] == version_id:
                return _render(version, view_param(request.query, "full"))
        raise not_found(f"Memory version {version_id}")

    # ---- internals (called with the lock held)

    def _store(self, store_id: str) -> dict:
        if store_id not in self._stores:
            raise not_found(f"Memory store {store_id}")
        return self._stores[store_id]

    def _writable_store(self, store_id: str) -> dict:
        entry = self._store(store_id)
        if entry["store"]["archived_at"]:
            raise invalid(f"Memory store {store_id} is archived and can't be changed.")
        return entry

    def _memory(self, store_id: str, memory_id: str) -> dict:
        memory = self._store(store_id)["memories"].get(memory_id)
        if memory is None:
            raise not_found(f"Memory {memory_id}")
        return memory

    def _sorted_memories(self, store_id: str) -> list:
        return sorted(self._store(store_id)["memories"].values(), key=lambda m: m["path"])

    @staticmethod
    def _check_path_free(entry: dict, path: str) -> None:
        if any(m["path"] == path for m in entry["memories"].values()):
            raise ApiError(
                409, f"A memory already exists at path {path!r}.", "memory_path_conflict_error"
            )

    def _check_precondition(self, memory: dict, precondition: Any) -> None:
        if not isinstance(precondition, dict) or precondition.get("type") != "content_sha256":
            raise invalid("precondition.type: Input should be 'content_sha256'")
        if precondition.get("content_sha256") != memory["content_sha256"]:
            raise self._precondition_failed(memory)

    @staticmethod
    def _precondition_failed(memory: dict) -> ApiError:
        return ApiError(
            409,
            f"Precondition failed: memory {memory['id']} has content_sha256 {memory['content_sha256']}.",
            "memory_precondition_failed_error",
        )

    def _new_store(
        self, name: str, description: str, metadata: dict, store_id: str | None = None
    ) -> dict:
        now = self._now()
        store = {
            "type": "memory_store",
            "id": store_id or self._new_id("memstore"),
            "name": name,
            "description": description,
            "metadata": dict(metadata),
            "created_at": now,
            "updated_at": now,
            "archived_at": None,
        }
        self._stores[store["id"]] = {"store": store, "memories": {}, "versions": []}
        return store

    def _create_memory(self, store_id: str, path: str, content: str, actor: dict) -> dict:
        now = self._now()
        memory = {
            "type": "memory",
            "id": self._new_id("mem"),
            "memory_store_id": store_id,
            "created_at": now,
        }
        self._stores[store_id]["memories"][memory["id"]] = memory
        self._write_memory(store_id, memory, content, path, "created", actor, now=now)
        return memory

    def _write_memory(self, store_id, memory, content, path, operation, actor, now=None) -> None:
        memory.update(
            path=path,
            content=content,
            content_sha256=sha256(content),
            content_size_bytes=len(content.encode("utf-8")),
            updated_at=now or self._now(),
        )
        self._record_version(store_id, memory, operation, actor)

    def _record_version(
        self, store_id: str, memory: dict, operation: str, actor: dict | None
    ) -> dict:
        deleted = operation == "deleted"
        version = {
            "type": "memory_version",
            "id": self._new_id("memver"),
            "memory_id": memory["id"],
            "memory_store_id": store_id,
            "operation": operation,
            "path": memory["path"],
            "content": None if deleted else memory["content"],
            "content_sha256": None if deleted else memory["content_sha256"],
            "content_size_bytes": None if deleted else memory["content_size_bytes"],
            "created_at": self._now(),
            "created_by": actor,
            "redacted_at": None,
            "redacted_by": None,
        }
        self._stores[store_id]["versions"].append(version)
        memory["memory_version_id"] = version["id"]
        return version

    def _import_store(self, export: dict) -> dict:
        if export.get("id") in self._stores:
            raise ValueError(f"memory store {export['id']} already exists")
        store = self._new_store(
            export["name"],
            export.get("description") or "",
            export.get("metadata") or {},
            export.get("id"),
        )
        for key in ("created_at", "updated_at", "archived_at"):
            if export.get(key):
                store[key] = export[key]
        entry = self._stores[store["id"]]
        entry["versions"] = [
            self._import_version(store["id"], v) for v in export.get("memory_versions") or []
        ]
        for raw in export.get("memories") or []:
            memory = self._import_memory(store["id"], raw)
            entry["memories"][memory["id"]] = memory
        return store

    def _import_memory(self, store_id: str, raw: dict) -> dict:
        content = raw.get("content") or ""
        created = raw.get("created_at") or self._now()
        memory = {
            "type": "memory",
            "id": raw.get("id") or self._new_id("mem"),
            "memory_store_id": store_id,
            "path": check_path(raw["path"]),
            "content": content,
            "content_sha256": sha256(content),
            "content_size_bytes": len(content.encode("utf-8")),
            "created_at": created,
            "updated_at": raw.get("updated_at") or created,
        }
        own = [v for v in self._stores[store_id]["versions"] if v["memory_id"] == memory["id"]]
        if raw.get("memory_version_id") or own:
            memory["memory_version_id"] = raw.get("memory_version_id") or own[-1]["id"]
        else:
            self._record_version(store_id, memory, "created", raw.get("created_by"))
        return memory

    def _import_version(self, store_id: str, raw: dict) -> dict:
        version = {
            "type": "memory_version",
            "memory_store_id": store_id,
            "path": None,
            "content": None,
            "created_by": None,
            "redacted_at": None,
            "redacted_by": None,
            **copy.deepcopy(raw),
        }
        version.setdefault("id", self._new_id("memver"))
        version.setdefault("created_at", self._now())
        has_content = isinstance(version["content"], str) and version.get("operation") != "deleted"
        version.setdefault("content_sha256", sha256(version["content"]) if has_content else None)
        version.setdefault(
            "content_size_bytes", len(version["content"].encode("utf-8")) if has_content else None
        )
        return version
