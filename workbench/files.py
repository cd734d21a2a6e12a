"""Every file the workbench reads or writes goes through here: strict reads, atomic writes, one error family.

- `read_bytes` / `read_text` / `read_head`: a regular file only (a FIFO or device would hang a
  reader), strict UTF-8; anything wrong is one `ReaderError` naming the file (and line).
- `write_bytes` / `write_text` / `write_json`: a temporary file beside the target, fsync,
  `os.replace`, fsync of the folder. A reader sees the old file or the new one, never a mix;
  a full disk or a kill leaves the old file as it was.
- `staged_folder` + `swap_in`: a folder is written aside and moved into place with a rename
  (an existing one is moved away first, then deleted), under a lock on the parent folder so
  two writers to one target take turns instead of racing.
- Staging entries are named `.wb-staging-<pid>-…` and locked (flock) by their writer while it
  works; `clean_staging` removes those no running writer holds (a SIGKILL mid-write, even when the
  pid is running again: a zombie, this process after a container restart, another program), and
  every staging step calls it first.
- `checked_write` / `remove`: the same, with an `OSError` (a full disk) as one `WorkbenchError` line.
- `refuse_inputs`: an output that would overwrite an input (or land inside an input folder) is refused.
- `safe_name`: the only way a name from outside (a session id, a path segment, an embedder id)
  becomes a file name.

Parsing what was read (JSON and JSON Lines with line numbers, error locations) is `workbench.io.parsing`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets as _random
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import ReaderError, WorkbenchError

STAGING = ".wb-staging-"
GRACE = 10.0  # s: a staging entry of another running process, unlocked, is left alone this long after it is made
_HELD: set[str] = set()  # the names of the staging entries this process is writing
MAX_NAME_BYTES = 255  # the file-name limit of ext4, APFS, NTFS (in UTF-16 units), tmpfs
FSYNC_FILES = 256  # a staged folder with more files is flushed with one os.sync()
HEAD_BYTES = 65_536  # what `read_head` reads for sniffing


def quote(name: str | os.PathLike) -> str:
    """A file name fit for a one-line message: control characters (newlines) escaped."""
    text = os.fsdecode(name)
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def safe_name(name: Any, *, what: str = "name", max_bytes: int = MAX_NAME_BYTES) -> str:
    """`name` if it is safe as one file name; otherwise a `WorkbenchError` saying why.

    Refused: not a string, empty, `.`/`..`, a `/` or `\\` separator, NUL or another control
    character, more than `max_bytes` UTF-8 bytes, text that is not valid Unicode.
    """
    if not isinstance(name, str) or not name:
        raise WorkbenchError(f"{what} {name!r} cannot be a file name (empty or not text)")
    if name in (".", ".."):
        raise WorkbenchError(f"{what} {name!r} cannot be a file name")
    if "/" in name or "\\" in name:
        raise WorkbenchError(f"{what} {quote(name)!r} contains a path separator")
    if any(not c.isprintable() and c != " " for c in name):
        raise WorkbenchError(f"{what} {quote(name)!r} contains a NUL or control character")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise WorkbenchError(f"{what} {quote(name)!r} is not valid Unicode") from None
    if size > max_bytes:
        raise WorkbenchError(f"{what} is {size} bytes; a file name holds at most {max_bytes}")
    return name


# --- reading ----------------------------------------------------------------------------------


def _open_regular(path: Path) -> int:
    """A file descriptor for `path`, which must be a regular file (a FIFO or device would hang)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ReaderError(f"cannot read: {exc.strerror or exc}", source=quote(path)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ReaderError("not a regular file (a pipe, device or socket); give a file", source=quote(path))
    return fd


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; anything else is a `ReaderError` naming it."""
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ReaderError(f"cannot read: {exc.strerror or exc}", source=quote(path)) from None


def read_text(path: Path, *, bom: bool = True) -> str:
    """The file's text; non-UTF-8 bytes are an error naming the line."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(data) - len(exc.object))  # utf-8-sig reports offsets past the BOM
        line = data[:start].count(b"\n") + 1
        raise ReaderError(
            f"not valid UTF-8 (byte 0x{data[start]:02x}); save the file as UTF-8",
            source=quote(path),
            line=line,
        ) from None


def read_head(path: Path) -> str:
    """The first bytes of a regular file as text, for sniffing (never fails on encoding)."""
    with os.fdopen(_open_regular(path), "rb") as fh:
        return fh.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")


# --- writing ----------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


def _staging_name(target: Path, kind: str) -> Path:
    """A new staging name beside `target`, claimed by this process (see `_release`)."""
    path = target.with_name(f"{STAGING}{os.getpid()}-{_random.token_hex(4)}-{kind}-{target.name}"[:MAX_NAME_BYTES])
    _HELD.add(path.name)
    return path


def _release(path: Path, fd: int | None = None) -> None:
    """This process no longer writes `path` (its lock, if any, goes with `fd`)."""
    if fd is not None:
        os.close(fd)
    _HELD.discard(path.name)


def _lock(fd: int) -> bool:
    """Take the lock of an open file or folder without waiting; False if it is held (or cannot be had)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _hold(path: Path) -> int | None:
    """An open descriptor of `path` holding its lock (None where it cannot be opened: a link, say)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    _lock(fd)  # best effort: where locks are not had, the name still marks it as this process's
    return fd


def _running(pid: int) -> bool:
    """The process runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[-1].split()  # "pid (name) state ...": the name may hold spaces
    except OSError:
        return True  # no /proc here: trust the signal
    return not state or state[0] not in (b"Z", b"X")


def _unheld(path: str) -> bool:
    """No process holds the lock of this staging entry (False when that cannot be told)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return _lock(fd)
    finally:
        os.close(fd)


def _stale(entry: os.DirEntry) -> bool:
    """A staging entry no running writer works on."""
    pid = entry.name[len(STAGING):].split("-", 1)[0]
    if not pid.isdigit():
        return False
    if not _running(int(pid)):
        return True
    if int(pid) == os.getpid():  # this pid, but not ours: left by an earlier process that had it
        return entry.name not in _HELD
    try:
        age = time.time() - entry.stat(follow_symlinks=False).st_ctime
    except OSError:
        return False
    return age > GRACE and _unheld(entry.path)  # the grace covers a writer between creating and locking


def clean_staging(folder: Path) -> list[Path]:
    """Remove the staging files and folders in `folder` that no running writer holds."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(STAGING) or not _stale(entry):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` atomically and durably (see the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_staging(path.parent)
    tmp = _staging_name(path, "file")
    try:
        with open(tmp, "xb") as fh:  # open (and locked) until it is in place
            _lock(fh.fileno())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if path.is_symlink() or path.is_dir():
                raise OSError(errno.EISDIR if path.is_dir() else errno.ELOOP,
                              "is a folder or a symbolic link; not replaced", str(path))
            os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        _release(tmp)
    _fsync_dir(path.parent)
    return path


def move_aside(path: str | Path, suffix: str) -> Path:
    """Rename `path` to `<name>.<suffix>` beside it (`…-2`, `-3` when taken), never over another file."""
    path = Path(path)
    for n in range(1, 1000):
        aside = path.with_name(f"{path.name}.{suffix}" + (f"-{n}" if n > 1 else ""))
        try:
            os.link(path, aside, follow_symlinks=False)  # fails if `aside` exists: nothing is overwritten
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares): check, then rename
            if aside.exists() or aside.is_symlink():
                continue
            os.rename(path, aside)
        else:
            path.unlink()
        _fsync_dir(path.parent)
        return aside
    raise FileExistsError(errno.EEXIST, "too many files set aside already", str(path))


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 `text` atomically; newlines are written as given."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write `data` as indented UTF-8 JSON with a final newline, atomically."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def refuse_inputs(out: str | os.PathLike, inputs: Iterable[str | os.PathLike | None], option: str = "--out") -> None:
    """`out` must not be one of `inputs` (or lie inside an input folder): inputs are never overwritten.

    `option` names the output in the message (`--out`, `--labels`)."""
    target = Path(out)
    for given in filter(None, inputs):
        source = Path(given)
        if not source.exists():
            continue
        same = target.exists() and os.path.samefile(target, source)
        if same or target.resolve() == source.resolve():
            raise WorkbenchError(f"{option} {quote(out)} is an input of this command; inputs are never "
                                 "overwritten: write to another file")
        if source.is_dir() and target.resolve().is_relative_to(source.resolve()):
            raise WorkbenchError(f"{option} {quote(out)} lies inside the input folder {quote(given)}; "
                                 "writing there would change the input: write elsewhere")


def checked_write(path: str | Path, data: str | bytes) -> Path:
    """`write_text` (or `write_bytes` for bytes), with an `OSError` (a full disk, say) as one
    `WorkbenchError` line."""
    try:
        return write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise WorkbenchError(f"cannot write: {exc.strerror or exc}", source=quote(path)) from None


def remove(path: Path) -> None:
    """Remove a file (one already gone is fine); an `OSError` is one `WorkbenchError` line."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WorkbenchError(f"cannot remove: {exc.strerror or exc}", source=quote(path)) from None


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder` (flock on the folder itself: nothing is left behind)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A fresh folder beside `target` to write into; removed afterwards unless swapped in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_staging(target.parent)
    staging = _staging_name(target, "dir")
    try:
        staging.mkdir()
    except BaseException:
        _release(staging)
        raise
    fd = _hold(staging)
    try:
        yield staging
    finally:
        try:
            _remove(staging)
        finally:
            _release(staging, fd)


def sync_tree(folder: Path) -> None:
    """Make every file under `folder` durable before it is renamed into place."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    if len(files) > FSYNC_FILES:
        os.sync()
        return
    for file in files:
        fd = os.open(file, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for sub in {folder, *(f.parent for f in files)}:
        _fsync_dir(sub)


def swap_in(staged: Path, target: Path, *, replace: Callable[[Path], bool] | None = None) -> None:
    """Move `staged` (a file or folder) to `target`.

    An existing target is replaced only when `replace(target)` says so (checked under the lock,
    so a concurrent writer cannot slip in between); otherwise `FileExistsError`. The old target
    is renamed aside first and deleted last, so a crash leaves the old or the new one in place.
    """
    with locked(target.parent):
        exists = target.exists() or target.is_symlink()
        if exists and (replace is None or not replace(target)):
            raise FileExistsError(errno.EEXIST, "already exists", str(target))
        old = _staging_name(target, "old") if exists else None
        fd = _hold(target) if exists else None  # locked before it takes the staging name
        try:
            if old is not None:
                os.rename(target, old)
            try:
                os.rename(staged, target)
            except BaseException:
                if old is not None:
                    os.rename(old, target)
                raise
            _fsync_dir(target.parent)
        except BaseException:
            if old is not None:
                _release(old, fd)
            raise
    if old is not None:
        try:
            _remove(old)
        finally:
            _release(old, fd)
