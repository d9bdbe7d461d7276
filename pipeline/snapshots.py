"""Resolve each source's pinned snapshots to verified bytes in the local store, without the network.

For each pin the bytes come from the first place that has them: the local store, the snapshot remote, the
mirror named by SOURCES_MIRROR, or a package origin. Every copy is hashed. A copy from the remote or the mirror
that does not match is quarantined and the next place is tried (the Resolution notes it); bytes in the local store
that do not match stop the build and name the source. A pin that no place can supply makes the source absent.

The lock is the truth about lineage: a snapshot's metadata is the pin's, and a store sidecar that says otherwise
is rewritten from the lock (the Resolution lists each repair).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass, field

from pipeline.lock import LockError, pin_meta, pins
from pipeline.mirror import Mirror
from pipeline.remote import SnapshotRemote
from pipeline.snapshot_store import (
    CHUNK,
    CorruptCopyError,
    CorruptSnapshotError,
    SnapshotMeta,
    SnapshotStore,
    check_sha256,
)

_META_FIELDS = {f.name for f in dataclasses.fields(SnapshotMeta)}


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
    notes: list[str] = field(default_factory=list)  # origins passed over, e.g. a corrupt copy on the remote
    repaired: list[str] = field(default_factory=list)  # store sidecars that disagreed with the lock, rewritten

    @property
    def status(self) -> str:
        if not self.pinned:
            return "not pinned"
        if not self.snapshots:
            return "absent"
        return "partial" if self.absent or self.gap else "complete"


def resolve_source(
    module, lock: dict, store: SnapshotStore, *, mirror: Mirror | None = None, remote: SnapshotRemote | None = None
) -> Resolution:
    res = Resolution(module.SOURCE_ID, module.TITLE)
    pinned = pins(lock, module.SOURCE_ID)
    if not pinned:
        res.pinned = False
        offline = getattr(module, "offline_snapshots", None)
        if offline is not None:  # a fresh project can still build from its package origin
            for snap in offline(store.keeping_sidecars()):
                res.snapshots.append(snap)
                res.obtained_from[snap.sha256] = "package (not pinned)"
        return res
    offline_done = False
    for pin in pinned:
        meta = pin_meta(pin, module.SOURCE_ID)
        try:
            check_sha256(meta.sha256)
        except ValueError as exc:
            raise LockError(f"{module.SOURCE_ID}: the pin of {meta.filename or meta.part}: {exc}") from exc
        passed_over: list[str] = []
        where = _obtain(meta, store, mirror, remote, passed_over)
        res.notes += passed_over
        # Offline origins: an installed package, or a file committed in this repository.
        if where is None and meta.origin in ("package", "repository") and not offline_done:
            offline = getattr(module, "offline_snapshots", None)
            if offline is not None:
                offline(store.keeping_sidecars())
                offline_done = True
                where = meta.origin if store.has_object(meta.sha256) else None
        if where is None:
            reason = "; ".join([_absent_reason(meta, mirror, remote), *passed_over])
            res.absent.append({"part": meta.part, "filename": meta.filename, "sha256": meta.sha256, "reason": reason})
            continue
        try:
            store.verify(meta.sha256)
        except CorruptSnapshotError as exc:
            raise SnapshotMismatchError(f"{module.SOURCE_ID}: pinned file {meta.filename}: {exc}") from exc
        snap, repair = _metadata_from_lock(pin, meta, store, restored=where != "store")
        if repair:
            res.repaired.append(repair)
        res.snapshots.append(snap)
        res.obtained_from[meta.sha256] = where
    missing_data = getattr(module, "missing_data", None)
    if missing_data is not None:
        res.gap = missing_data([s.part for s in res.snapshots])
    return res


def _metadata_from_lock(
    pin: dict, meta: SnapshotMeta, store: SnapshotStore, *, restored: bool
) -> tuple[SnapshotMeta, str | None]:
    """The snapshot's metadata with every field the pin records taken from the lock, and the repair made, if any.

    The lock is committed and reviewed; the store's sidecar is a local file anyone (or a half-finished refresh) can
    change. Bytes are verified by hash, so only the sidecar can be wrong: a sidecar that disagrees is rewritten from
    the lock. Fields an older pin lacks keep the sidecar's value. Bytes ``restored`` by this build (a package origin
    writes its own sidecar) get the lock's metadata without a repair being reported.
    """
    if not store.meta_path(meta.sha256).exists():
        store.write_meta(meta)  # restored bytes get back the sidecar the refresh recorded
        return meta, None
    recorded = (set(pin) & _META_FIELDS) | {"source_id"}  # the lock section names the source of every pin
    try:
        sidecar = store.meta(meta.sha256)
    except (OSError, ValueError, TypeError) as exc:  # not JSON, or not a SnapshotMeta
        store.write_meta(meta)
        return (
            meta,
            f"{meta.filename} ({meta.sha256[:12]}): the store's sidecar was unreadable ({exc}); "
            "rewritten from the lock",
        )
    differing = sorted(name for name in recorded if getattr(sidecar, name) != getattr(meta, name))
    snap = dataclasses.replace(sidecar, **{name: getattr(meta, name) for name in recorded})
    if not differing:
        return snap, None
    store.write_meta(snap)
    if restored:
        return snap, None
    shown = ", ".join(f"{name} {_short(getattr(sidecar, name))} -> {_short(getattr(meta, name))}" for name in differing)
    return snap, (
        f"{meta.filename} ({meta.sha256[:12]}): the store's sidecar {store.meta_path(meta.sha256)} "
        f"differed from the lock ({shown}); rewritten from the lock"
    )


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _obtain(
    meta: SnapshotMeta,
    store: SnapshotStore,
    mirror: Mirror | None,
    remote: SnapshotRemote | None,
    passed_over: list[str],
) -> str | None:
    """Where the pinned bytes were found, after putting them in the store; None if no place has them.

    A place whose copy is bad (quarantined) or unreadable is passed over, with a note, for the next one.
    """
    if store.has_object(meta.sha256):
        return "store"
    if remote is not None:
        try:
            if remote.pull(meta.sha256, store):
                return "remote"
        except CorruptCopyError as exc:
            passed_over.append(
                f"remote copy corrupt: {exc.came_from}, hashes to {exc.got}, expected {exc.expected} "
                f"(kept in {exc.kept}); tried the next origin"
            )
        except OSError as exc:
            passed_over.append(
                f"snapshot remote {remote.url} could not be read for {meta.sha256[:12]} ({exc}); tried the next origin"
            )
    if mirror is not None:
        entry = mirror.find(meta.url, meta.sha256)
        if entry is not None:
            try:
                store.import_via(meta.sha256, lambda out: _copy_out(mirror, entry, out), came_from=str(entry.path))
                return "mirror"
            except CorruptCopyError as exc:  # the file changed between hashing and copying
                passed_over.append(
                    f"mirror copy corrupt: {exc.came_from}, hashes to {exc.got}, expected "
                    f"{exc.expected} (kept in {exc.kept})"
                )
    return None


def _copy_out(mirror: Mirror, entry, out: str) -> None:
    with mirror.open(entry) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)


def _absent_reason(meta: SnapshotMeta, mirror, remote) -> str:
    if meta.origin == "repository":
        return (
            f"{meta.url.removeprefix('repository:')} no longer hashes to the pinned {meta.sha256[:12]}: it was "
            "edited after the last refresh. Run `make refresh` to pin the new version."
        )
    places = ["the local store"]
    places.append("the snapshot remote" if remote else "no snapshot remote (SNAPSHOT_REMOTE unset)")
    places.append("the mirror" if mirror else "no mirror (SOURCES_MIRROR unset)")
    return f"sha256 {meta.sha256[:12]} ({meta.origin}) is in none of: " + ", ".join(places)
