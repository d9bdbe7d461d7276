"""Editions: each refresh that changes the lock keeps a copy of it, named by the quarter it was made in.

`warehouse/editions/2026Q4.lock` is the lock as that refresh wrote it; the live `warehouse/sources.lock` carries
the name of the edition it is. A second refresh in the same quarter that changes the lock again makes
`2026Q4.2`, so no edition is ever overwritten and each stays buildable from its own lock
(`make book EDITION=2026Q4`).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from pipeline.lock import read_lock, write_lock

EDITION_PATTERN = re.compile(r"^(\d{4})Q([1-4])(?:\.(\d+))?$")
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
    """The edition the live lock says it is (None for a lock written before editions were recorded)."""
    return read_lock(lock_path).get("edition")


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


def record_edition(lock_path: Path, lock: dict, when: datetime) -> str:
    """Name the new lock's edition, keep its copy under editions/, then replace the live lock (last)."""
    recorded = list_editions(lock_path) + [e for e in [current_edition(lock_path)] if e]
    name = next_edition_name(recorded, when)
    stamped = {**lock, "edition": name}
    copy = editions_dir(lock_path) / f"{name}.lock"
    copy.parent.mkdir(parents=True, exist_ok=True)
    write_lock(copy, stamped)
    write_lock(lock_path, stamped)
    return name
