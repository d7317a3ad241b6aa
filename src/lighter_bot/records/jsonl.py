"""Crash-safe append-only JSONL files with torn-tail repair and size-based rotation.

Durability policy (docs/ledger.md):
* every batch of lines is encoded up front and written with ONE `os.write` on a descriptor opened
  with O_APPEND, then `os.fsync`ed before `append_lines` returns; a caller may treat a returned
  append as durable ("acknowledged");
* the file is opened per batch (not held open), so a rotation or `reset` by another process
  never leaves a writer appending into a moved file;
* a crash (kill -9, power loss) can at worst leave one partial last line: `repair()` (run on every
  open) truncates the file to its last newline and reports the dropped bytes;
* appends, rotation and reset are serialised across processes with `flock` on `<file>.lock`;
* rotation renames the file into the archive directory (then fsyncs both directories) before the
  write that would take it past `max_bytes`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger("records")

_READ_CHUNK = 1 << 16


def encode_line(row: dict[str, Any]) -> bytes:
    """Compact JSON plus newline; a row never contains a raw newline (json escapes them)."""
    return (json.dumps(row, separators=(",", ":"), sort_keys=False) + "\n").encode()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%d-%H%M%S")


def unique_path(directory: Path, stem: str, suffix: str = ".jsonl") -> Path:
    """`directory/stem.suffix`, or `stem-1`, `stem-2`... when taken (never overwrite an archive)."""
    p = directory / f"{stem}{suffix}"
    n = 1
    while p.exists():
        p = directory / f"{stem}-{n}{suffix}"
        n += 1
    return p


class JsonlFile:
    """One append-only JSONL file plus its archive directory."""

    def __init__(
        self,
        path: str | Path,
        archive_dir: str | Path | None = None,
        max_bytes: int | None = None,
        prefix: str = "fills",
        fsync: bool = True,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.archive_dir = Path(archive_dir) if archive_dir is not None else self.path.parent / "archive"
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.fsync = fsync
        self.wall = wall
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- repair ----------------------------------------------------------------------------------
    def repair(self) -> int:
        """Truncate a torn last line (no trailing newline). Returns the number of bytes dropped."""
        if not self.path.exists():
            return 0  # nothing to repair; do not create directories for a read
        with self.locked():
            return self._repair_unlocked()

    def _repair_unlocked(self) -> int:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size == 0:
            return 0
        with self.path.open("rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            # Walk back to the last newline; everything after it is a partial line.
            pos = size
            keep = 0
            while pos > 0:
                start = max(0, pos - _READ_CHUNK)
                fh.seek(start)
                chunk = fh.read(pos - start)
                idx = chunk.rfind(b"\n")
                if idx >= 0:
                    keep = start + idx + 1
                    break
                pos = start
            fh.seek(keep)
            dropped = fh.read(size - keep)
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        log.warning("ledger_torn_line_repaired", file=str(self.path), dropped_bytes=len(dropped),
                    dropped=dropped[:300].decode(errors="replace"))
        return len(dropped)

    # -- append ----------------------------------------------------------------------------------
    def append_lines(self, lines: Sequence[bytes]) -> None:
        """Append whole lines durably (one write, then fsync); rotate first if they would overflow."""
        if not lines:
            return
        data = b"".join(lines)
        with self.locked():
            self._rotate_if_needed(len(data))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                try:
                    written = os.write(fd, data)
                    while written < len(data):  # short writes only happen near ENOSPC; finish or raise
                        written += os.write(fd, data[written:])
                    if self.fsync:
                        os.fsync(fd)
                except OSError:
                    self._repair_unlocked()  # never leave our own partial line behind
                    raise
            finally:
                os.close(fd)

    def _rotate_if_needed(self, incoming: int) -> Path | None:
        if self.max_bytes is None:
            return None
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return None
        if size == 0 or size + incoming <= self.max_bytes:
            return None
        return self._move_to_archive(self.archive_dir)

    def _move_to_archive(self, directory: Path) -> Path | None:
        if not self.path.exists():
            return None
        directory.mkdir(parents=True, exist_ok=True)
        dest = unique_path(directory, f"{self.prefix}-{stamp(self.wall())}")
        os.rename(self.path, dest)
        _fsync_dir(directory)
        _fsync_dir(self.path.parent)
        log.info("ledger_rotated", file=str(self.path), archive=str(dest), bytes=dest.stat().st_size)
        return dest

    # -- reading ---------------------------------------------------------------------------------
    def archives(self) -> list[Path]:
        """Rotated files of the current generation, oldest first (names sort by rotation time)."""
        if not self.archive_dir.is_dir():
            return []
        return sorted(self.archive_dir.glob(f"{self.prefix}-*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name))

    def files(self) -> list[Path]:
        out = self.archives()
        if self.path.exists():
            out.append(self.path)
        return out

    def reset(self) -> Path | None:
        """Start from zero: move the live file and its archives into `archive/reset-<UTC stamp>/`."""
        with self.locked():
            self._repair_unlocked()
            moved = [*self.archives(), *([self.path] if self.path.exists() else [])]
            if not moved:
                return None
            dest = unique_path(self.archive_dir, f"reset-{stamp(self.wall())}", suffix="")
            dest.mkdir(parents=True)
            for p in moved:
                os.rename(p, dest / p.name)
            _fsync_dir(dest)
            _fsync_dir(self.archive_dir)
            _fsync_dir(self.path.parent)
            log.info("ledger_reset", file=str(self.path), moved_to=str(dest), files=len(moved))
            return dest


def read_jsonl(paths: Sequence[Path]) -> tuple[list[dict[str, Any]], int]:
    """All JSON objects in `paths` in file order, plus the count of unreadable lines (skipped)."""
    rows: list[dict[str, Any]] = []
    bad = 0
    for p in paths:
        try:
            fh = p.open("rb")
        except FileNotFoundError:
            continue  # rotated away between listing and reading
        with fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    bad += 1  # a partial line being written or torn: not acknowledged yet
                    continue
                try:
                    obj = json.loads(raw)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(obj, dict):
                    rows.append(obj)
                else:
                    bad += 1
    return rows, bad
