"""Editions: each refresh that changes the lock keeps a copy of it, named by the quarter it was made in.

`warehouse/editions/2026Q4.lock` is the lock as that refresh wrote it; the live `warehouse/sources.lock` carries
the name of the edition it is. A second refresh in the same quarter that changes the lock again makes
`2026Q4.2`, so no edition is ever overwritten and each stays buildable from its own lock
(`make book EDITION=2026Q4`).

Recording is the last step of a refresh and runs under its inter-process lock (pipeline/refresh_guard.py): the
edition copy is created exclusively, then the live lock is replaced by compare-and-swap. An edition copy that a
killed refresh wrote but the live lock never became is an orphan; the next refresh removes it and reuses its name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pipeline.lock import EDITION_PATTERN, UNCHECKED, LockError, write_lock, write_new_lock

UNRECORDED = "unrecorded edition"


class EditionError(ValueError):
    """An edition name that is malformed or has no lock file."""


def edition_key(name: str) -> tuple[int, int, int]:
    match = EDITION_PATTERN.match(name)
    if not match:
        raise EditionError(f"edition {name!r} is not named like 2026Q1 or 2026Q1.2")
    year, quarter, serial = match.groups()
    return int(year), int(quarter), int(serial or 1)


def quarter_of(when: datetime) -> str:
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def editions_dir(lock_path: Path) -> Path:
    return Path(lock_path).parent / "editions"


def list_editions(lock_path: Path) -> list[str]:
    """Recorded editions, oldest first."""
    folder = editions_dir(lock_path)
    names = [f.stem for f in folder.glob("*.lock") if EDITION_PATTERN.match(f.stem)] if folder.is_dir() else []
    return sorted(names, key=edition_key)


def current_edition(lock_path: Path) -> str | None:
    """The edition the live lock says it is (None for a lock written before editions were recorded).

    Only the name is read here (checked, since it becomes a file name); read_lock validates the pins.
    """
    try:
        name = json.loads(Path(lock_path).read_text()).get("edition")
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, AttributeError) as exc:
        raise LockError(f"{lock_path} is not a valid lock ({exc}); restore it with `git checkout {lock_path}`.")
    if name is not None:
        edition_key(name)
    return name


def orphan_editions(lock_path: Path) -> list[str]:
    """Editions recorded after the one the live lock is: copies a killed refresh wrote before replacing the lock.

    A refresh that completes makes the live lock its newest edition, so anything newer never became live.
    """
    live = current_edition(lock_path)
    if live is None:
        return []
    return [e for e in list_editions(lock_path) if edition_key(e) > edition_key(live)]


def discard_orphan_editions(lock_path: Path) -> list[str]:
    """Remove the orphans (only ever called under the refresh lock), so the next edition takes their name."""
    orphans = orphan_editions(lock_path)
    for name in orphans:
        (editions_dir(lock_path) / f"{name}.lock").unlink(missing_ok=True)
    return orphans


def next_edition_name(existing: list[str], when: datetime) -> str:
    quarter = quarter_of(when)
    same_quarter = [edition_key(n)[2] for n in existing if n == quarter or n.startswith(quarter + ".")]
    return quarter if not same_quarter else f"{quarter}.{max(same_quarter) + 1}"


def previous_edition(name: str, lock_path: Path) -> str | None:
    """The latest recorded edition older than ``name``."""
    older = [e for e in list_editions(lock_path) if edition_key(e) < edition_key(name)]
    return older[-1] if older else None


def edition_lock(name: str, lock_path: Path) -> Path:
    """The lock file of a recorded edition; a name without one is refused with the names that exist."""
    edition_key(name)
    path = editions_dir(lock_path) / f"{name}.lock"
    if not path.exists():
        known = ", ".join(list_editions(lock_path)) or "none yet (a refresh that changes the lock records one)"
        raise EditionError(f"there is no edition {name}: no {path}. Recorded editions: {known}.")
    return path


def _no_checkpoint(name: str) -> None:
    pass


def record_edition(
    lock_path: Path,
    lock: dict,
    when: datetime,
    *,
    expect_sha256=UNCHECKED,
    checkpoint: Callable[[str], None] = _no_checkpoint,
) -> str:
    """Name the new lock's edition, keep its copy under editions/, then replace the live lock (last).

    ``expect_sha256`` is the digest of the live lock as the refresh read it (None: there was none); the live
    lock is replaced only if it still has it. If it does not, the new edition's copy is removed again, since it
    never became live. ``checkpoint`` marks the steps a kill test stops at (see pipeline.refresh.checkpoint).
    """
    recorded = list_editions(lock_path) + [e for e in [current_edition(lock_path)] if e]
    name = next_edition_name(recorded, when)
    stamped = {**lock, "edition": name}
    copy = editions_dir(lock_path) / f"{name}.lock"
    copy.parent.mkdir(parents=True, exist_ok=True)
    write_new_lock(copy, stamped)
    checkpoint("edition-written")
    try:
        write_lock(
            lock_path, stamped, expect_sha256=expect_sha256, before_replace=lambda: checkpoint("before-lock-rename")
        )
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return name
