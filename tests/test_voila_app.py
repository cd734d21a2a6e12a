"""`workbench app`'s Voila: its command line, and the cap on kernels (without starting any)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web

from workbench.launch import app_command
from workbench.voila_app import JUPYTER_DATA, TEMPLATE, CappedKernelManager

LONG_AGO = datetime.now(timezone.utc) - timedelta(hours=1)


def test_the_app_runs_the_workbench_template_with_culling_and_a_cap():
    command = app_command("notebooks/app.ipynb", kernel_limits={"cull_idle": 30, "max_kernels": 3})
    assert command[1:4] == ["-m", "workbench.voila_app", "notebooks/app.ipynb"]
    assert f"--template={TEMPLATE}" in command and "--MappingKernelManager.cull_idle_timeout=30" in command
    assert "--MappingKernelManager.cull_connected=False" in command and "--CappedKernelManager.max_kernels=3" in command
    page = (JUPYTER_DATA / "voila" / "templates" / TEMPLATE / "index.html.j2").read_text()
    assert "<link" not in page and "http" not in page  # no link to another host


def manager(monkeypatch, connections: dict[str, int]) -> tuple[CappedKernelManager, list[str]]:
    """A capped manager holding idle kernels long out of the pool, `connections` pages each."""
    km = CappedKernelManager(max_kernels=len(connections))
    km._kernels = {k: SimpleNamespace(last_activity=LONG_AGO, execution_state="idle") for k in connections}
    km._kernel_connections = dict(connections)
    km._out_of_pool = dict.fromkeys(connections, LONG_AGO)
    shut: list[str] = []

    async def shutdown(kernel_id, *args, **kwargs):
        shut.append(kernel_id)
        km._kernels.pop(kernel_id)

    async def start(self, *args, **kwargs):
        self._kernels["new"] = SimpleNamespace(last_activity=datetime.now(timezone.utc), execution_state="idle")
        return "new"

    monkeypatch.setattr(km, "shutdown_kernel", shutdown)
    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", start)
    return km, shut


def test_at_the_cap_a_kernel_no_page_is_connected_to_makes_room(monkeypatch):
    km, shut = manager(monkeypatch, {"left": 0, "open": 1})
    assert asyncio.run(km.start_kernel()) == "new"
    assert shut == ["left"] and set(km._kernels) == {"open", "new"}


def test_at_the_cap_with_every_kernel_in_use_a_new_page_is_refused(monkeypatch):
    km, shut = manager(monkeypatch, {"one": 1, "two": 1})
    with pytest.raises(web.HTTPError) as refused:
        asyncio.run(km.start_kernel())
    assert refused.value.status_code == 503 and not shut


def test_a_kernel_just_out_of_the_pool_is_not_culled_before_its_page_connects(monkeypatch):
    km, shut = manager(monkeypatch, {"handed": 0})
    km._out_of_pool.clear()  # seen outside the pool for the first time now, idle for an hour in it
    km.cull_idle_timeout = 60
    asyncio.run(km.cull_kernel_if_idle("handed"))
    assert not shut


def test_a_pool_refill_refused_at_the_cap_is_tried_again_once_there_is_room(monkeypatch):
    km, _ = manager(monkeypatch, {"page": 1})
    loop = asyncio.new_event_loop()
    refused = loop.create_future()
    refused.set_exception(web.HTTPError(503))
    km._pools = {"app.ipynb": [refused]}
    filled = []
    km.fill_if_needed = lambda delay=None, notebook_name=None, **kwargs: filled.append(notebook_name)
    km._refill_pools()
    assert km._pools["app.ipynb"] == [] and filled == []  # still at the cap: nothing started
    km.max_kernels = 2
    km._refill_pools()
    assert filled == ["app.ipynb"]
    loop.close()
