"""/v1/sessions and /v1/sessions/{id}/events (read-only)."""

from __future__ import annotations

import copy

from .common import RecordedRequest, list_param, not_found, paginate, route, time_filtered

SESSION_BETAS = ("managed-agents-2026-04-01",)


def _session_defaults(session_id: str, created_at: str) -> dict:
    return {
        "type": "session",
        "id": session_id,
        "title": None,
        "created_at": created_at,
        "updated_at": created_at,
        "archived_at": None,
        "status": "idle",
        "agent": {
            "type": "agent",
            "id": "agent_fake",
            "name": "fake-agent",
            "version": 1,
            "description": None,
            "system": None,
            "model": {"id": "claude-sonnet-4-6"},
            "tools": [],
            "skills": [],
            "mcp_servers": [],
            "multiagent": None,
            "execution_identity": {"type": "service_account"},
        },
        "environment_id": "env_fake",
        "metadata": {},
        "outcome_evaluations": [],
        "resources": [],
        "stats": {"active_seconds": None, "duration_seconds": None},
        "usage": {},
        "vault_ids": [],
        "budget": None,
        "deployment_id": None,
    }


_SESSION = r"/v1/sessions/(?P<session_id>[^/]+)"
ROUTES = (
    route("GET", r"/v1/sessions", "_sessions_list", SESSION_BETAS),
    route("GET", _SESSION, "_sessions_retrieve", SESSION_BETAS),
    route("GET", _SESSION + "/events", "_events_list", SESSION_BETAS),
)


class SessionsApi:
    """/v1/sessions and /v1/sessions/{id}/events (read-only)."""

    def _sessions_list(self, request: RecordedRequest) -> dict:
        query = request.query
        sessions = [entry["session"] for entry in self._sessions.values()]
        if query.get("include_archived") != "true":
            sessions = [s for s in sessions if not s.get("archived_at")]
        statuses = list_param(query, "statuses")
        if statuses:
            sessions = [s for s in sessions if s["status"] in statuses]
        if query.get("memory_store_id"):
            sessions = [s for s in sessions if self._mounts(s, query["memory_store_id"])]
        sessions = sorted(
            time_filtered(sessions, query, "created_at"), key=lambda s: s["created_at"]
        )
        if query.get("order", "desc") == "desc":
            sessions.reverse()
        return paginate(copy.deepcopy(sessions), query, bidirectional=True)

    def _sessions_retrieve(self, request: RecordedRequest, session_id: str) -> dict:
        return copy.deepcopy(self._session(session_id)["session"])

    def _events_list(self, request: RecordedRequest, session_id: str) -> dict:
        query = request.query
        events = list(self._session(session_id)["events"])
        types = list_param(query, "types")
        if types:
            events = [e for e in events if e.get("type") in types]
        events = time_filtered(events, query, "processed_at")
        if query.get("order", "asc") == "desc":
            events.reverse()
        return paginate(copy.deepcopy(events), query)

    def _session(self, session_id: str) -> dict:
        if session_id not in self._sessions:
            raise not_found(f"Session {session_id}")
        return self._sessions[session_id]

    @staticmethod
    def _mounts(session: dict, store_id: str) -> bool:
        return any(r.get("memory_store_id") == store_id for r in session.get("resources") or [])

    def _import_session(self, export: dict) -> dict:
        session_id = export.get("id") or self._new_id("sesn")
        session = _session_defaults(session_id, export.get("created_at") or self._now())
        session.update({k: copy.deepcopy(v) for k, v in export.items() if k != "events"})
        session.setdefault("updated_at", session["created_at"])
        self._sessions[session_id] = {
            "session": session,
            "events": copy.deepcopy(export.get("events") or []),
        }
        return session
