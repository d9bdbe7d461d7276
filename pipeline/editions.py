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

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pipeline.lock import UNCHECKED, write_lock, write_new_lock

# What an edition is called and where its lock is sit in pipeline.lock_files, since the settings need them; the
# names are imported "as" themselves so that they stay importable from here, the module about editions.
from pipeline.lock_files import UNRECORDED as UNRECORDED
from pipeline.lock_files import EditionError as EditionError
from pipeline.lock_files import current_edition, edition_key, editions_dir, list_editions
from pipeline.lock_files import edition_lock as edition_lock


def quarter_of(when: datetime) -> str:
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


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
