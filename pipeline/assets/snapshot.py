"""Snapshot assets: each source's pinned bytes, verified by SHA-256, in the local content-addressed store."""


from dataclasses import asdict

import dagster as dg

from pipeline.incremental import StepState, fingerprint
from pipeline.lock import read_lock
from pipeline.resources import WarehouseResource
from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import resolve_source
from pipeline.sources import oews_current


@dg.asset(group_name="snapshots", kinds={"file"})
def raw_oews__current_release(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """OEWS current release (all occupations, areas, industries): pinned snapshot bytes, hash-verified."""
    p = warehouse.paths()
    store = SnapshotStore(p.snapshot_dir)
    snaps, from_lock = resolve_source(
        oews_current.SOURCE_ID, read_lock(p.lock_path), store, setting("oews_origin")
    )
    if not from_lock:
        context.log.warning(
            "oews_current has no pin in sources.lock; built from its configured origin. Run `make refresh` to pin it."
        )
    version = fingerprint(sorted(s.sha256 for s in snaps))
    StepState(p.state_dir, "raw_oews__current_release").save(version, snapshots=[asdict(s) for s in snaps])
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata={
            "files": [s.filename for s in snaps],
            "sha256": [s.sha256 for s in snaps],
            "origin": snaps[0].origin,
            "relation": snaps[0].relation,
            "pinned_by_lock": from_lock,
            "bytes": sum(s.size_bytes for s in snaps),
        },
    )
