"""Voila as `workbench app` runs it: `python -m workbench.voila_app NOTEBOOK [Voila options]`.

Three things on top of plain Voila:

- the page template `workbench` (`ui/jupyter/voila/templates/workbench`): Voila's lab template
  without its links to a CDN, so the page loads nothing but from its own server (Font Awesome comes
  with Voila's own style bundle);
- idle kernels are culled: a page closed without saying so (a killed tab, a lost network) leaves
  its kernel behind; once it has had no connection and no activity for a while it is shut down;
- a cap on kernels (`CappedKernelManager.max_kernels`): a new page first evicts kernels left
  without a connection, oldest first, and is refused only when every kernel is in use; the
  pre-heated kernel is started again once there is room.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

JUPYTER_DATA = Path(__file__).resolve().parent / "ui" / "jupyter"  # holds voila/templates/workbench
TEMPLATE = "workbench"
CULL_IDLE_SECONDS = 600  # a kernel without a page and idle this long is shut down
CULL_INTERVAL_SECONDS = 60
MAX_KERNELS = 8  # each holds a Workbench: a few hundred MB
EVICT_AFTER_SECONDS = 30  # a kernel out of the pool this briefly may be waiting for its page to connect


def voila_options(*, cull_idle: int = CULL_IDLE_SECONDS, cull_interval: int = CULL_INTERVAL_SECONDS,
                  max_kernels: int = MAX_KERNELS) -> list[str]:
    """The Voila options of `workbench app`: template, one pre-heated kernel, culling and the cap."""
    return [f"--template={TEMPLATE}", "--preheat_kernel=True", "--pool_size=1",
            f"--VoilaConfiguration.multi_kernel_manager_class={__name__}.CappedKernelManager",
            f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
            f"--MappingKernelManager.cull_interval={cull_interval}",
            "--MappingKernelManager.cull_connected=False", f"--CappedKernelManager.max_kernels={max_kernels}"]


class CappedKernelManager(AsyncMappingKernelManager):
    """Kernels up to `max_kernels`: past it, unconnected idle kernels go first, then new pages are refused.

    A pre-heated kernel handed to a page keeps the idle time it had in the pool until the page
    connects; it is culled or evicted only once it has been out of the pool for a while, so a page
    never loses its kernel while it loads.
    """

    max_kernels = Integer(MAX_KERNELS, config=True, help="The most kernels running at once (0: no cap).")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._out_of_pool: dict[str, datetime] = {}

    async def start_kernel(self, *args, **kwargs) -> str:
        if self.max_kernels and len(self) >= self.max_kernels:
            for kernel_id in self._evictable():
                await self.shutdown_kernel(kernel_id)
                if len(self) < self.max_kernels:
                    break
        if self.max_kernels and len(self) >= self.max_kernels:
            raise web.HTTPError(503, f"{len(self)} pages are open, the most this server runs at once; "
                                     "close one and reload")
        return await super().start_kernel(*args, **kwargs)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if kernel_id in self._pooled() or self._seconds_out_of_pool(kernel_id) < self.cull_idle_timeout:
            return
        await super().cull_kernel_if_idle(kernel_id)

    async def cull_kernels(self) -> None:
        await super().cull_kernels()
        self._refill_pools()

    def _refill_pools(self) -> None:
        """Pre-heat again once there is room: a refill refused at the cap leaves a failed task in Voila's
        pool, which is dropped here, and Voila refills a pool only when a page takes a kernel from it."""
        for name, pool in getattr(self, "_pools", {}).items():
            pool[:] = [task for task in pool if not (task.done() and (task.cancelled() or task.exception()))]
            if not self.max_kernels or len(self) < self.max_kernels:
                self.fill_if_needed(delay=0, notebook_name=name)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs) -> None:
        self._out_of_pool.pop(kernel_id, None)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def _evictable(self) -> list[str]:
        """Kernels with no page connected, idle, out of Voila's pool a while, oldest activity first."""
        pooled = self._pooled()
        found = [(kernel.last_activity, kernel_id) for kernel_id, kernel in self._kernels.items()
                 if kernel_id not in pooled and not self._kernel_connections.get(kernel_id, 0)
                 and getattr(kernel, "execution_state", "") != "busy"
                 and self._seconds_out_of_pool(kernel_id) >= EVICT_AFTER_SECONDS]
        return [kernel_id for _, kernel_id in sorted(found)]

    def _seconds_out_of_pool(self, kernel_id: str) -> float:
        """Seconds since this kernel was first seen outside Voila's pool (0 the first time)."""
        now = datetime.now(timezone.utc)
        return (now - self._out_of_pool.setdefault(kernel_id, now)).total_seconds()

    def _pooled(self) -> set[str]:
        """Kernels pre-heated and waiting for a page (Voila's pools, when this is its base class)."""
        ids = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    ids.add(task.result().get("kernel_id"))
        return ids


def main() -> None:
    """Run Voila with the workbench's Jupyter data folder first (its page template)."""
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")]))
    from voila.app import main as voila_main

    sys.exit(voila_main())


if __name__ == "__main__":
    main()
