"""warehouse/sources.lock: the committed pin of the snapshot(s) each source's build uses.

Each pin carries the snapshot's full metadata, so bytes restored from a remote, a mirror or a package get back
exactly the sidecar that the refresh recorded. Version 1 locks (fewer fields) are read and upgraded in memory.

A lock is validated whenever it is read: a pin's sha256 names a file in the store, so a malformed one must never
reach a path, and a missing field must be named rather than surface as a KeyError deep in a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Collection
from dataclasses import asdict, fields
from pathlib import Path

from pipeline.lock_files import EDITION_PATTERN, LockError
from pipeline.snapshot_store import SnapshotMeta

LOCK_VERSION = 2
READABLE_VERSIONS = (1, 2)
REQUIRED_PIN_FIELDS = ("sha256", "size_bytes", "filename", "url", "origin", "relation", "retrieved_at")
TEMP_PREFIX = ".sources.lock-"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_META_FIELDS = {f.name for f in fields(SnapshotMeta)}
UNCHECKED = object()  # write_lock without a compare-and-swap


class LockChangedError(LockError):
    """The lock on disk is no longer the one a refresh started from: someone else wrote it meanwhile."""


def read_lock(path: Path, known_sources: Collection[str] | None = None) -> dict:
    """The lock at ``path``, validated; ``known_sources`` defaults to the ids of pipeline.sources.registry."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {"version": LOCK_VERSION, "sources": {}}
    return parse_lock(text, path, known_sources)


def parse_lock(text: str, path: Path, known_sources: Collection[str] | None = None) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"{path} is not valid JSON ({exc}); restore it with `git checkout {path}`.") from exc
    if not isinstance(data, dict) or data.get("version") not in READABLE_VERSIONS:
        version = data.get("version") if isinstance(data, dict) else None
        raise LockError(
            f"{path} has lock version {version}; this code reads {READABLE_VERSIONS}. "
            f"Restore it with `git checkout {path}`."
        )
    validate_lock(data, path, known_sources)
    data["version"] = LOCK_VERSION
    return data


def validate_lock(data: dict, path: Path, known_sources: Collection[str] | None = None) -> None:
    """Raise LockError naming the source, the pin and the field of the first thing wrong in ``data``."""
    restore = f"restore the lock with `git checkout {path}`"
    known = set(known_sources) if known_sources is not None else _registered_source_ids()
    edition = data.get("edition")
    if edition is not None and not (isinstance(edition, str) and EDITION_PATTERN.match(edition)):
        raise LockError(
            f"{path}: field 'edition' is {edition!r}, not a name like 2026Q4 or 2026Q4.2; fix that field or {restore}."
        )
    sources = data.get("sources")
    if not isinstance(sources, dict):
        raise LockError(f'{path} has no "sources" object; {restore}.')
    for source_id, entry in sources.items():
        if source_id not in known:
            raise LockError(
                f"{path}: source {source_id!r} is not one this code knows ({', '.join(sorted(known))}); "
                f"remove it or {restore}."
            )
        snapshots = entry.get("snapshots") if isinstance(entry, dict) else None
        if not isinstance(snapshots, list):
            raise LockError(f'{path}: source {source_id} has no "snapshots" list; {restore}.')
        for n, pin in enumerate(snapshots, start=1):
            _validate_pin(pin, f"{path}: {source_id} / ", n, restore)


def _validate_pin(pin, where: str, n: int, restore: str) -> None:
    if not isinstance(pin, dict):
        raise LockError(f"{where}pin #{n} is not an object; {restore}.")
    label = f"{where}{pin.get('part') or pin.get('filename') or f'pin #{n}'}"

    def bad(field: str, problem: str) -> LockError:
        return LockError(f"{label}: field '{field}' {problem}; fix that field or {restore}.")

    for name in REQUIRED_PIN_FIELDS:
        if name not in pin:
            raise bad(name, "is missing")
    for name in ("filename", "url", "origin", "relation", "retrieved_at"):
        if not isinstance(pin[name], str) or not pin[name]:
            raise bad(name, f"is {pin[name]!r}, not a non-empty string")
    if not _is_sha256(pin["sha256"]):
        raise bad("sha256", f"is {pin['sha256']!r}, not 64 lowercase hex digits")
    for name in ("size_bytes", "rows"):
        value = pin.get(name)
        if (value is not None or name == "size_bytes") and not _is_count(value):
            raise bad(name, f"is {value!r}, not a non-negative integer")
    previous = pin.get("previous")
    if previous is not None:
        if not isinstance(previous, dict):
            raise bad("previous", f"is {previous!r}, not an object")
        if previous.get("sha256") is not None and not _is_sha256(previous["sha256"]):
            raise bad("previous.sha256", f"is {previous['sha256']!r}, not 64 lowercase hex digits")
        for name in ("size_bytes", "rows"):
            if previous.get(name) is not None and not _is_count(previous[name]):
                raise bad(f"previous.{name}", f"is {previous[name]!r}, not a non-negative integer")


def _is_sha256(value) -> bool:
    return isinstance(value, str) and bool(_SHA256.match(value))


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _registered_source_ids() -> set[str]:
    # Imported when a lock is first validated, not with this module: the registry imports every source package
    # (about half a second), which writing a lock or naming an edition does not need.
    from pipeline.sources.registry import BY_ID

    return set(BY_ID)


def lock_digest(path: Path) -> str | None:
    """SHA-256 of the lock file's bytes (None when there is no file): what a compare-and-swap compares."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def pins(lock: dict, source_id: str) -> list[dict]:
    return lock["sources"].get(source_id, {}).get("snapshots", [])


def part_of(pin: dict) -> str:
    return pin.get("part") or pin["filename"]


def pin_record(snap: SnapshotMeta) -> dict:
    return asdict(snap)


def pin_meta(pin: dict, source_id: str) -> SnapshotMeta:
    """The snapshot metadata a pin records (version 1 pins lack some fields; they take their defaults)."""
    known = {k: v for k, v in pin.items() if k in _META_FIELDS}
    known.setdefault("source_id", source_id)
    known.setdefault("part", known.get("filename", ""))
    for name in ("license", "citation"):
        known.setdefault(name, "")
    return SnapshotMeta(**known)


def _write_temp(path: Path, lock: dict) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(lock, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_lock(
    path: Path, lock: dict, *, expect_sha256=UNCHECKED, before_replace: Callable[[], None] | None = None
) -> None:
    """Replace the lock atomically: readers see the old file or the new one, never half of either.

    With ``expect_sha256`` (the digest of the lock as it was read, or None for "there was none") this is a
    compare-and-swap: the file is re-hashed just before the rename, and a lock that changed meanwhile is left
    exactly as the other writer made it.
    """
    path = Path(path)
    tmp = _write_temp(path, lock)
    try:
        if before_replace is not None:
            before_replace()
        if expect_sha256 is not UNCHECKED and lock_digest(path) != expect_sha256:
            raise LockChangedError(
                f"{path} changed while this refresh ran (another process wrote it), so this refresh did not "
                "replace it: the lock is as the other writer left it and nothing was lost. Run the refresh again."
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_new_lock(path: Path, lock: dict) -> None:
    """Create ``path`` with the lock, complete, or fail if it exists: an edition file is never overwritten."""
    path = Path(path)
    tmp = _write_temp(path, lock)
    try:
        os.link(tmp, path)  # atomic, and refuses an existing name (unlike a rename)
    except FileExistsError as exc:
        raise LockError(
            f"{path} already exists and is never overwritten; run the refresh again (it names the next edition)."
        ) from exc
    finally:
        os.unlink(tmp)
