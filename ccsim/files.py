"""Writing files so that nothing half-written is ever left under the real name."""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from .errors import UserError

# Why a write failed -> what the user can do about it.
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def os_reason(err: BaseException) -> str:
    """Why a file operation failed, in a message's words: "no space left on device", "permission
    denied", or the error's own text."""
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return "no space left on device"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower() if err.strerror[0].isupper() else err.strerror
    return str(err) or type(err).__name__


def write_advice(err: BaseException) -> str:
    """What to do about a failed write, by its cause: a full disk (or quota) asks for space, a
    folder one may not write (permissions, a read-only file system) for its permissions, and
    a cause not known (a database's own message) for either."""
    code = getattr(err, "errno", None)
    if code in _FULL or "full" in str(err).lower():
        return "free some disk space"
    if code in _DENIED or "readonly" in str(err).lower() or "read-only" in str(err).lower():
        return "make the folder writable"
    if code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):  # a file where a folder is meant, or the reverse
        return "give a path whose folders are folders"
    return "free some disk space or make the folder writable"


def holds_other_than_html(path) -> bool:
    """True when ``path`` is a regular file holding something other than an HTML page: a scenario,
    a CSV, a store's file, which writing a report there would destroy. No file, an empty one, a
    file named .html or .htm, or one holding an HTML page (a report to replace): False, as for
    what is not a regular file (the write refuses it; opening a pipe to look would block)."""
    if Path(path).suffix.lower() in (".html", ".htm"):
        return False
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n").lower()
    return bool(text) and not text.startswith(("<!doctype html", "<html", "<!--"))


def not_a_page(path) -> str:
    """Why a report may not be written at ``path`` (``holds_other_than_html``)."""
    return (f"{path} exists and is not an HTML page; writing the report there would destroy it: give another "
            "path, or delete the file first")


def write_page(path, text: str) -> Path:
    """Write an HTML page (a report) to ``path`` atomically, refusing a folder and a file that
    is not a page (``holds_other_than_html``: a scenario given as the report's path would be
    destroyed); the one writer of every report, from the CLI and from Python."""
    from .results import ArgumentError

    path = Path(path)
    if path.is_dir():
        raise ArgumentError(f"{path} is a folder: give the report a file name (e.g. {path / 'report.html'})")
    if holds_other_than_html(path):
        raise ArgumentError(not_a_page(path))
    return write_text_atomic(path, lambda handle: handle.write(text))


@contextlib.contextmanager
def atomic_path(path, replace: bool = True):
    """Yield a temporary path beside ``path``; on success it is synced and renamed to ``path``.

    On any failure the temporary file is removed and ``path`` is left as it was.
    ``replace=False`` never replaces an existing ``path``: publishing then
    raises ``FileExistsError`` (checked atomically where the file system has
    hard links). The file gets the permissions of the user's umask; the folder
    is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; these are meant to be shared
        if replace:
            os.replace(tmp, path)
        else:
            _publish_new(tmp, path)
        _fsync_folder(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class WriteError(UserError, OSError):
    """An output file could not be written (a full disk, a folder one may not write); the message
    names the file and what to do."""


def write_text_atomic(path, write) -> Path:
    """Call ``write(handle)`` on a text handle, atomically for ``path``; a failure of the file
    system is a ``WriteError`` naming ``path`` (nothing is left under its name)."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "w", newline="", encoding="utf-8") as handle:
                write(handle)
    except OSError as err:
        raise WriteError(f"cannot write {path}: {os_reason(err)}; {write_advice(err)} or choose another path") from None
    return Path(path)


def _publish_new(tmp: str, path: Path) -> None:
    """Give ``tmp`` the name ``path`` unless something already has it."""
    try:
        os.link(tmp, path)  # fails if path exists: no overwrite race
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(f"{path} already exists") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (not possible on every platform)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where the system allows
    (setting it to read it would race with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
