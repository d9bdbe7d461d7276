"""warehouse/sources.lock: the committed pin of the snapshot(s) each source's build uses."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from pipeline.snapshot_store import SnapshotMeta

LOCK_VERSION = 1
PIN_FIELDS = ("filename", "sha256", "size_bytes", "origin", "relation", "url", "package", "retrieved_at")


def read_lock(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {"version": LOCK_VERSION, "sources": {}}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); restore it with `git checkout {path}`.") from exc
    if data.get("version") != LOCK_VERSION:
        raise ValueError(f"{path} has lock version {data.get('version')}, this code reads {LOCK_VERSION}.")
    return data


def pins(lock: dict, source_id: str) -> list[dict]:
    return lock["sources"].get(source_id, {}).get("snapshots", [])


def pin_record(snap: SnapshotMeta) -> dict:
    record = asdict(snap)
    return {k: record[k] for k in PIN_FIELDS}


def write_lock(path: Path, lock: dict) -> None:
    """Replace the lock atomically: readers see the old file or the new one, never half of either."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sources.lock-")
    with os.fdopen(fd, "w") as out:
        json.dump(lock, out, indent=2, sort_keys=True)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
