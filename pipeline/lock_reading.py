"""One reading of the lock per build, so every asset of a run uses the same edition's pins.

A refresh replaces the lock atomically, but a build that read it once per asset could still take one source from
the old edition and the next from the new. The build reads it once (with its content hash); later askers get that
reading after the file is checked to be unchanged, and a changed file stops the build rather than mixing editions.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.lock import LockError, parse_lock, read_lock

NO_LOCK = "no lock file"  # the hash of a lock that does not exist (read_lock reads it as empty)


class LockChangedDuringBuildError(LockError):
    """The lock file is not the one this build read first (a refresh replaced it): the build must start again."""


@dataclass(frozen=True)
class LockReading:
    path: Path
    sha256: str  # of the file's bytes, or NO_LOCK
    lock: dict

    def pins(self) -> dict:
        """A copy of the parsed lock, so no asset can change what the next one sees."""
        return copy.deepcopy(self.lock)

    def check_unchanged(self) -> None:
        now = lock_file_hash(self.path)
        if now != self.sha256:
            raise LockChangedDuringBuildError(changed_message(self.path, self.sha256, now))


def lock_file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return NO_LOCK


def read_lock_once(path: Path, expected_sha256: str = "") -> LockReading:
    """Parse the lock from the very bytes that were hashed; ``expected_sha256`` (an earlier reading) must match."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        sha, lock = NO_LOCK, read_lock(path)
    else:
        sha, lock = hashlib.sha256(data).hexdigest(), parse_lock(data.decode(), path)
    if expected_sha256 and sha != expected_sha256:
        raise LockChangedDuringBuildError(changed_message(path, expected_sha256, sha))
    return LockReading(path, sha, lock)


def changed_message(path: Path, was: str, now: str) -> str:
    return f"the lock changed during the build (was {was[:12]}, now {now[:12]}); run the build again. ({path})"
