"""Resolve each source's pinned snapshots to verified bytes in the local store, without the network.

For each pin the bytes come from the first place that has them: the local store, the snapshot remote, the
mirror named by SOURCES_MIRROR, or a package origin. Every copy is hashed; bytes that do not match their pin stop
the build and name the source. A pin that no place can supply makes the source absent from this build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.lock import pin_meta, pins
from pipeline.mirror import Mirror
from pipeline.remote import SnapshotRemote
from pipeline.snapshot_store import CorruptSnapshotError, SnapshotMeta, SnapshotStore


class SnapshotMismatchError(RuntimeError):
    """Bytes claimed for a pin hash to something else."""


@dataclass
class Resolution:
    source_id: str
    title: str
    snapshots: list[SnapshotMeta] = field(default_factory=list)
    obtained_from: dict[str, str] = field(default_factory=dict)  # sha256 -> store | remote | mirror | package
    absent: list[dict] = field(default_factory=list)  # {"part", "filename", "sha256", "reason"}
    pinned: bool = True
    gap: str | None = None  # what the pinned parts lack, when they cannot make the source whole

    @property
    def status(self) -> str:
        if not self.pinned:
            return "not pinned"
        if not self.snapshots:
            return "absent"
        return "partial" if self.absent or self.gap else "complete"


def resolve_source(module, lock: dict, store: SnapshotStore, *, mirror: Mirror | None = None,
                   remote: SnapshotRemote | None = None) -> Resolution:
    res = Resolution(module.SOURCE_ID, module.TITLE)
    pinned = pins(lock, module.SOURCE_ID)
    if not pinned:
        res.pinned = False
        offline = getattr(module, "offline_snapshots", None)
        if offline is not None:  # a fresh project can still build from its package origin
            for snap in offline(store):
                res.snapshots.append(snap)
                res.obtained_from[snap.sha256] = "package (not pinned)"
        return res
    offline_done = False
    for pin in pinned:
        meta = pin_meta(pin, module.SOURCE_ID)
        where = _obtain(meta, store, mirror, remote)
        # Offline origins: an installed package, or a file committed in this repository.
        if where is None and meta.origin in ("package", "repository") and not offline_done:
            offline = getattr(module, "offline_snapshots", None)
            if offline is not None:
                offline(store)
                offline_done = True
                where = meta.origin if store.has_object(meta.sha256) else None
        if where is None:
            res.absent.append({"part": meta.part, "filename": meta.filename, "sha256": meta.sha256,
                               "reason": _absent_reason(meta, mirror, remote)})
            continue
        try:
            store.verify(meta.sha256)
        except CorruptSnapshotError as exc:
            raise SnapshotMismatchError(f"{module.SOURCE_ID}: pinned file {meta.filename}: {exc}") from exc
        if not store.has(meta.sha256):
            store.write_meta(meta)  # restored bytes get back the sidecar the refresh recorded
        res.snapshots.append(store.meta(meta.sha256))
        res.obtained_from[meta.sha256] = where
    missing_data = getattr(module, "missing_data", None)
    if missing_data is not None:
        res.gap = missing_data([s.part for s in res.snapshots])
    return res


def _obtain(meta: SnapshotMeta, store: SnapshotStore, mirror: Mirror | None, remote: SnapshotRemote | None):
    if store.has_object(meta.sha256):
        return "store"
    if remote is not None and remote.pull(meta.sha256, store):
        return "remote"
    if mirror is not None:
        entry = mirror.find(meta.url, meta.sha256)
        if entry is not None:
            store.import_file(entry.path, meta.sha256)
            return "mirror"
    return None


def _absent_reason(meta: SnapshotMeta, mirror, remote) -> str:
    if meta.origin == "repository":
        return (f"{meta.url.removeprefix('repository:')} no longer hashes to the pinned {meta.sha256[:12]}: it was "
                "edited after the last refresh. Run `make refresh` to pin the new version.")
    places = ["the local store"]
    places.append("the snapshot remote" if remote else "no snapshot remote (SNAPSHOT_REMOTE unset)")
    places.append("the mirror" if mirror else "no mirror (SOURCES_MIRROR unset)")
    return f"sha256 {meta.sha256[:12]} ({meta.origin}) is in none of: " + ", ".join(places)
