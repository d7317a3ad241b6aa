"""One bot per ledger: an exclusive `flock` on `<ledger>.instance.lock`, held for the whole run.

The kernel releases a flock when its holder dies, even by kill -9, so a crash never leaves a stale
lock behind; the file itself stays and only says who held it last (pid, host, start time, account,
market), for the message a second bot prints when it refuses to start. This guards one machine or
one volume; the venue-side check (venues/lighter/instance_check.py) guards the account across
machines. docs/operations.md explains both and how they meet Railway's deploys.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from lighter_bot.errors import InstanceConflict


def lock_path(ledger_path: str | Path) -> Path:
    p = Path(ledger_path)
    return p.with_name(p.name + ".instance.lock")


class InstanceLock:
    def __init__(self, ledger_path: str | Path, **about: Any) -> None:
        self.path = lock_path(ledger_path)
        self.about = about
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock or raise InstanceConflict naming the holder. Never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InstanceConflict(
                f"another lighter-bot is running on this ledger ({self.holder()}; lock {self.path}): "
                "one bot per account and market. Stop it first (docs/operations.md, 'One instance')"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(), **self.about}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def holder(self) -> str:
        """Who holds (or last held) the lock, as far as the file says."""
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return "holder unknown"
        if not isinstance(info, dict):
            return "holder unknown"
        started = info.get("started")
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)) if isinstance(started, int | float) else "?"
        return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
