"""Shared helper for the dashboard tests that run the real `playhead` command in a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

WAIT_LIMIT = 30.0  # seconds: a bound for every wait, not a speed claim
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[a-zA-Z~]")


class Terminal:
    """A child process on a 160x48 pseudo-terminal, its output collected as it comes."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child, never back into pytest
            try:
                env = dict(os.environ, TERM="xterm-256color", COLUMNS="160", LINES="48")
                os.execve(sys.executable, [sys.executable, *argv], env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
        self.output = bytearray()
        self.status: int | None = None

    def text(self) -> str:
        return ANSI.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    def read_until(self, predicate, limit: float = WAIT_LIMIT) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.output.extend(os.read(self.fd, 65536))
                except OSError:  # the child closed the terminal
                    return bool(predicate())
            if predicate():
                return True
        return False

    def wait(self, limit: float = WAIT_LIMIT) -> int | None:
        deadline = time.monotonic() + limit
        while self.status is None and time.monotonic() < deadline:
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(code)
            else:
                self.read_until(lambda: False, 0.2)
        return self.status

    def close(self) -> None:
        if self.status is None:  # never leave the child running
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
