"""The app's server in a real browser: pages that ask no other host, and kernels that do not pile up.

Voila runs as `workbench app` runs it (`workbench.voila_app`: its page template, idle kernels
culled, a cap on kernels), with a short idle time so the test sees a culling within seconds.
A page is closed as a killed tab is: without `beforeunload`, so Voila is never told; the culler
alone must shut its kernel down.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import psutil
import pytest
from test_browser import (  # noqa: F401 - fixtures (browser, page, lab) are used by name
    KNOWN,
    RENDER_TIMEOUT,
    Server,
    browser,
    explained,
    free_port,
    lab,
    map_of,
    open_quickstart,
    page,
    screenshot,
    server_env,
)

from workbench.launch import app_command

pytestmark = pytest.mark.browser

CULL_IDLE, CULL_INTERVAL = 20, 5  # s: a closed page's idle kernel is gone some 30 s later
SETTLE = 300  # s at most for the kernels of closed pages to finish their work (the UMAP layout) and go
LOCAL = ("127.0.0.1", "localhost", "[::1]", "::1")


@pytest.fixture(scope="module")
def app(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("app")
    port = free_port()
    command = app_command(open_browser=False, port=port, extra=["--Voila.ip=127.0.0.1"],
                          kernel_limits={"cull_idle": CULL_IDLE, "cull_interval": CULL_INTERVAL})
    url = f"http://127.0.0.1:{port}/"
    server = Server(command, url, url + "favicon.ico", server_env(tmp), tmp / "voila.log", any_status=True)
    request.addfinalizer(server.stop)
    server.wait_ready()
    return server


def alive(root: psutil.Process) -> list[tuple[psutil.Process, str]]:
    """The process and its descendants still running (a culled kernel may linger as a zombie), with their
    command lines."""
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append((process, " ".join(process.cmdline())))
        except psutil.Error:  # gone meanwhile
            continue
    return found


def kernels(server: Server) -> list[psutil.Process]:
    """The server's kernel processes (what Voila's kernel manager lists, seen from the system)."""
    return [p for p, command in alive(psutil.Process(server.process.pid)) if "ipykernel" in command]


def resident_mb(server: Server) -> float:
    """Resident memory of the server and all its children, in MB."""
    total = 0
    for process, _ in alive(psutil.Process(server.process.pid)):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 1e6


def settled(server: Server) -> tuple[int, float, float]:
    """Kernels and MB once the closed pages' kernels are culled (only the pre-heated one is left), or
    after `SETTLE` s; and the seconds that took."""
    started = time.monotonic()
    while len(kernels(server)) > 1 and time.monotonic() - started < SETTLE:
        time.sleep(CULL_INTERVAL)
    return len(kernels(server)), resident_mb(server), time.monotonic() - started


def watched(view) -> list[str]:
    """Record every URL the page asks for."""
    asked: list[str] = []
    view.on("request", lambda r: asked.append(r.url))
    return asked


def elsewhere(asked: list[str]) -> list[str]:
    return [u for u in asked if urlparse(u).scheme in ("http", "https", "ws", "wss")
            and urlparse(u).hostname not in LOCAL]


def no_errors(view) -> None:
    """No console error at all (an offline CDN's included), but the known ones."""
    errors = [m for m in view.console_errors if not any(k in m for k in KNOWN)]
    assert not errors, f"errors in the browser console: {errors}"


def test_the_app_asks_no_other_host_and_its_icons_are_drawn(app, page):  # noqa: F811
    asked = watched(page)
    with explained(page, app, "app-local"):
        page.goto(app.url, timeout=RENDER_TIMEOUT)
        map_of(page)
        icon = page.locator("button i.fa").first
        icon.wait_for()
        family = icon.evaluate("el => getComputedStyle(el, '::before').fontFamily")
        assert "Font Awesome" in family, family
        assert page.evaluate("() => document.fonts.check('900 14px \"Font Awesome 5 Free\"')")
        screenshot(page, "app-local.png")
        assert not elsewhere(asked), elsewhere(asked)
        no_errors(page)


def test_the_lab_asks_no_other_host(lab, page):  # noqa: F811
    asked = watched(page)
    with explained(page, lab, "lab-local"):
        open_quickstart(page, lab)
        assert not elsewhere(asked), elsewhere(asked)
        no_errors(page)


@pytest.mark.slow
def test_kernels_and_memory_stay_flat_over_20_page_loads(app, browser):  # noqa: F811
    seen = {}
    for load in range(1, 21):
        loaded = browser.new_page(viewport={"width": 1280, "height": 900})
        loaded.console_errors = []
        try:
            with explained(loaded, app, f"app-load-{load}"):
                loaded.goto(app.url, timeout=RENDER_TIMEOUT)
                map_of(loaded)
        finally:
            loaded.close()  # as a killed tab: no beforeunload, Voila is not told
        if load in (2, 20):
            seen[load] = settled(app)
    print(f"\n[numbers] Voila, 20 page loads, each page closed unannounced: kernels {seen[2][0]} after 2 loads, "
          f"{seen[20][0]} after 20; server + kernels {seen[2][1]:.0f} MB after 2, {seen[20][1]:.0f} MB after 20 "
          f"(settled {seen[2][2]:.0f} s and {seen[20][2]:.0f} s after the last page closed)")
    assert seen[20][0] <= seen[2][0], seen
