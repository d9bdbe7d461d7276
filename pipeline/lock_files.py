"""Where the lock files are and what an edition is called: the part of locks that the project settings need.

`pipeline.settings` places an earlier edition's files beside the live ones, so it must know which edition the live
lock is and where a recorded edition's lock file is. That knowledge sits here, in the foundation layer with the
settings; reading and writing the pins is `pipeline.lock`, recording editions is `pipeline.editions`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

EDITION_PATTERN = re.compile(r"^(\d{4})Q([1-4])(?:\.(\d+))?$")
UNRECORDED = "unrecorded edition"


class LockError(ValueError):
    pass


class EditionError(ValueError):
    """An edition name that is malformed or has no lock file."""


def edition_key(name: str) -> tuple[int, int, int]:
    match = EDITION_PATTERN.match(name)
    if not match:
        raise EditionError(f"edition {name!r} is not named like 2026Q1 or 2026Q1.2")
    year, quarter, serial = match.groups()
    return int(year), int(quarter), int(serial or 1)


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
        raise LockError(
            f"{lock_path} is not a valid lock ({exc}); restore it with `git checkout {lock_path}`."
        ) from exc
    if name is not None:
        edition_key(name)
    return name


def edition_lock(name: str, lock_path: Path) -> Path:
    """The lock file of a recorded edition; a name without one is refused with the names that exist."""
    edition_key(name)
    path = editions_dir(lock_path) / f"{name}.lock"
    if not path.exists():
        known = ", ".join(list_editions(lock_path)) or "none yet (a refresh that changes the lock records one)"
        raise EditionError(f"there is no edition {name}: no {path}. Recorded editions: {known}.")
    return path
