"""One refresh at a time: an exclusive, non-blocking lock on ``.refresh.lock`` beside the sources lock.

A refresh holds it from reading the lock to recording the new edition. A second refresh stops at once, naming the
process that holds it. The lock is an flock: the kernel releases it when its holder exits, however it exits, so a
refresh that was killed never blocks the next one (the file and its text stay, and mean nothing until locked).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

GUARD_NAME = ".refresh.lock"


class RefreshBusyError(RuntimeError):
    """Another refresh holds the refresh lock."""


def guard_path(lock_path: Path) -> Path:
    return Path(lock_path).parent / GUARD_NAME


@contextmanager
def exclusive_refresh(lock_path: Path) -> Iterator[Path]:
    """Hold the refresh lock for the ``with`` block; raise RefreshBusyError if another process holds it."""
    path = guard_path(lock_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise RefreshBusyError(
                f"a refresh is already running ({holder}); wait for it or, if that process is gone, run again "
                f"(its lock, {path}, is released when it exits)."
            ) from None
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the flock
