"""warehouse/sources.lock: the committed pin of the snapshot(s) each source's build uses.

Each pin carries the snapshot's full metadata, so bytes restored from a remote, a mirror or a package get back
exactly the sidecar that the refresh recorded. Version 1 locks (fewer fields) are read and upgraded in memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path

from pipeline.snapshot_store import SnapshotMeta

LOCK_VERSION = 2
READABLE_VERSIONS = (1, 2)
_META_FIELDS = {f.name for f in fields(SnapshotMeta)}


class LockError(ValueError):
    pass


def read_lock(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {"version": LOCK_VERSION, "sources": {}}
    except json.JSONDecodeError as exc:
        raise LockError(f"{path} is not valid JSON ({exc}); restore it with `git checkout {path}`.") from exc
    if data.get("version") not in READABLE_VERSIONS:
        raise LockError(f"{path} has lock version {data.get('version')}; this code reads {READABLE_VERSIONS}.")
    data["version"] = LOCK_VERSION
    return data


def pins(lock: dict, source_id: str) -> list[dict]:
    return lock["sources"].get(source_id, {}).get("snapshots", [])


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


def write_lock(path: Path, lock: dict) -> None:
    """Replace the lock atomically: readers see the old file or the new one, never half of either."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sources.lock-")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(lock, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
