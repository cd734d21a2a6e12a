"""A Workbench's autosaved session: read back (an unreadable file set aside, never overwritten), written
after each decision, and stamped so that a page shown later can tell whether another page wrote it since."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import WorkbenchError
from ..files import move_aside
from ..session import CarryOver, WorkSession, load_session, save_session
from . import _html

Stamp = tuple[int, int]  # a file's (mtime in ns, size)


class Autosave:
    """The autosave file of one store, as one build of a Workbench reads and writes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.damaged = ""  # the notice for an unreadable autosave set aside ("" when there was none)
        self.paused = ""  # why autosave is paused ("" while it is not)
        self.stamp: Stamp | None = None  # the file as this Workbench last read or wrote it

    def file_stamp(self) -> Stamp | None:
        """The file as it is now (None when there is none)."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def read(self, store_digest: str) -> WorkSession | None:
        """The session autosaved for this store; None when there is none, it is another store's, or it cannot
        be read (then it is set aside, and `damaged` says so)."""
        self.damaged = ""
        if not self.path.is_file():
            return None
        try:
            session = load_session(self.path)
        except WorkbenchError as exc:
            self.damaged = self._set_aside(exc)
            return None
        if session.store_digest and session.store_digest != store_digest:
            return None
        return session

    def _set_aside(self, problem: WorkbenchError) -> str:
        """Keep the unreadable file beside as `.damaged-<time>` (autosave pauses if it cannot be moved);
        the notice that says so."""
        why = f"The autosaved session could not be read ({_html.esc(problem)})"
        try:
            kept = move_aside(self.path, "damaged-" + datetime.now().strftime("%Y%m%d-%H%M%S"))
        except OSError as exc:
            self.paused = f"the damaged autosave could not be moved aside ({exc.strerror or exc})"
            return _html.notice(f"{why}; it is left as it was and autosave is paused, so nothing overwrites it "
                                f"({_html.esc(self.paused)}). Save the session to a file instead.", "warn")
        return _html.notice(f"{why}; it is kept as <code>{_html.esc(kept)}</code>, and this Workbench starts "
                            "fresh.", "warn")

    def paused_notice(self) -> str:
        """The status line in place of a write while autosave is paused."""
        return _html.notice(f"Autosave is paused: {_html.esc(self.paused)}.", "warn")

    def write(self, session: WorkSession) -> str:
        """Write `session` (atomically); the status line that says how it went."""
        try:
            save_session(session, self.path)
        except WorkbenchError as exc:
            return _html.notice(f"Autosave failed: {_html.esc(exc)}", "error")
        self.stamp = self.file_stamp()
        return self.status(enabled=True)

    def status(self, *, enabled: bool) -> str:
        """The status line under "Your session": where it is autosaved and when last (or that it is off)."""
        if not enabled:
            return '<div class="wb-small wb-muted">Autosave is off.</div>'
        when = datetime.now().strftime("%H:%M:%S") if self.path.exists() else None
        return (f'<div class="wb-small wb-muted">Autosaved after each decision to <code>{_html.esc(self.path)}</code>'
                + (f" (last at {when})" if when else "") + "; a Workbench opened on this store later resumes it.</div>")


def resumed_notice(session: WorkSession, resumed: CarryOver) -> str:
    """What the notice says after resuming an autosaved session ("" when it held no decisions)."""
    if not session.decisions:
        return ""
    return _html.notice(
        f"Resumed your session of {_html.esc(_short_time(session.saved_at))} on this store "
        f"({len(resumed.review.current):,} decisions). {_html.esc(resumed.message)} Start fresh from the "
        "<b>Open &amp; save</b> tab.", "warn" if resumed.dropped else "info")


def _short_time(iso_time: str) -> str:
    try:
        return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso_time or "an earlier time"
