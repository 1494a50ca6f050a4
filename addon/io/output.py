"""Writing an output file (a report, `check -o`) the way a user means it.

`-o /dev/null` is a common CI idiom, and `--report /dev/stdout` a common pipe: those are written
into, as `cat > /dev/null` would. Writing "beside the target and renaming over it" there replaced
the device node with a regular file when run as root. So:

- a character device, a FIFO or a socket is opened and written into as it is (a FIFO with no
  reader is an error at once, never a hang);
- a regular file, or a name that does not exist yet, is replaced atomically: a temporary file
  beside it, created owner-only, renamed over it, so a crash never leaves half a report; a
  symlink is followed and the file it points at is replaced (the link stays);
- every OS error is an `OutputError`: one line that names the path, which the command prints
  and exits 2 on (exit 1 would read as "errors found" in CI).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from pathlib import Path

FILE_MODE = 0o600  # reports hold visitor ids


class OutputError(OSError):
    """An output that cannot be written; the message is one line and starts with the path."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot write"


def why(exc: OSError) -> str:
    """The OS's reason in a few words ("No space left on device")."""
    if exc.strerror:
        return exc.strerror
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse before any work is done what can never be written: a directory, a missing folder."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory")
    if not os.path.exists(path):
        folder = os.path.dirname(os.path.realpath(path))  # a dangling link: where it points
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise OutputError(f"{path}: {folder} is not a folder")
        if not os.path.isdir(folder):
            raise OutputError(f"{path}: folder {folder} does not exist")


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` as described above. Raises OutputError (one line)."""
    name = os.fspath(path)
    try:
        check_writable(name)
        try:
            st = os.stat(name)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            _write_into(name, data, stat.S_ISFIFO(st.st_mode))
        else:
            _replace(Path(os.path.realpath(name)), data)
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"{name}: cannot write ({why(e)})") from None


def _write_into(name: str, data: bytes, fifo: bool) -> None:
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | (os.O_NONBLOCK if fifo else 0)
    try:
        fd = os.open(name, flags)
    except OSError as e:
        if fifo and e.errno == errno.ENXIO:  # nobody reads the FIFO; waiting could be forever
            raise OutputError(f"{name}: cannot write (a FIFO with no reader)") from None
        raise
    try:
        if fifo:  # the reader is there: from now on, wait for it like any writer would
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _replace(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, FILE_MODE)  # the mode applies on creation; a umask only narrows it
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
