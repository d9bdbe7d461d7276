"""Resolve each source's pinned snapshots to verified bytes in the local store."""

from __future__ import annotations

from pipeline.lock import pins
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import oews_current

# source id -> origin name -> function(store) that stores the source's snapshots and returns them
ORIGINS = {
    oews_current.SOURCE_ID: {
        "package": oews_current.snapshot_from_package,
        "official": oews_current.snapshot_from_official,
    },
}


class SnapshotUnavailableError(RuntimeError):
    pass


def resolve_source(source_id: str, lock: dict, store: SnapshotStore, default_origin: str) -> tuple[list[SnapshotMeta], bool]:
    """Return the source's snapshots (hash-verified) and whether they came from the lock."""
    pinned = pins(lock, source_id)
    if not pinned:
        return ORIGINS[source_id][default_origin](store), False
    missing = [p for p in pinned if not store.has(p["sha256"])]
    for origin in sorted({p["origin"] for p in missing}):
        # Only origins that work offline can restore bytes at build time; the rest need `make refresh`.
        if origin == "package":
            ORIGINS[source_id]["package"](store)
    out = []
    for pin in pinned:
        if not store.has(pin["sha256"]):
            raise SnapshotUnavailableError(
                f"{source_id}: the pinned file {pin['filename']} (sha256 {pin['sha256'][:12]}, origin {pin['origin']}) "
                "is not in the snapshot store, and no offline origin can supply it. "
                "Run `make refresh` with network access, or restore warehouse/snapshots from a backup."
            )
        try:
            store.verify(pin["sha256"])
        except Exception as exc:
            raise SnapshotUnavailableError(f"{source_id}: pinned file {pin['filename']}: {exc}") from exc
        out.append(store.meta(pin["sha256"]))
    return out, True
