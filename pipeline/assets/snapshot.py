"""Snapshot assets: each source's pinned bytes, verified by SHA-256, in the local content-addressed store.

An asset's data version is the hash of its snapshots' SHA-256s, so an unchanged source re-runs nothing downstream.
Every snapshot asset and check of a run takes the pins from the run's one reading of the lock (the warehouse
resource's ``lock()``), so a refresh landing mid-build cannot give two sources two different editions.
"""

from dataclasses import asdict

import dagster as dg

from pipeline.incremental import StepState, fingerprint
from pipeline.resources import WarehouseResource
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import resolve_source
from pipeline.sources.registry import SOURCES

# Asset names say layer, source and content; each source package declares its own (ASSET_NAME).
ASSET_NAMES = {module.SOURCE_ID: module.ASSET_NAME for module in SOURCES}


def _snapshot_asset(module) -> dg.AssetsDefinition:
    name = module.ASSET_NAME

    @dg.asset(
        name=name,
        group_name="snapshots",
        kinds={"file"},
        description=f"{module.TITLE}: the pinned snapshot bytes, hash-verified.",
    )
    def _snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        p = warehouse.paths()
        res = resolve_source(
            module,
            warehouse.lock(),
            SnapshotStore(p.snapshot_dir),
            mirror=warehouse.mirror(),
            remote=warehouse.remote(),
        )
        for note in res.notes:  # e.g. a corrupt copy on the snapshot remote, quarantined; the next origin served
            context.log.warning(f"{module.SOURCE_ID}: {note}")
        for repair in res.repaired:
            context.log.warning(f"{module.SOURCE_ID}: {repair}")
        if res.absent:
            listing = "; ".join(f"{a['filename']}: {a['reason']}" for a in res.absent)
            if warehouse.is_strict():  # `make book STRICT=1`, for publishing
                raise dg.Failure(
                    f"STRICT: {module.SOURCE_ID} is pinned but absent from this build ({listing}). "
                    "Restore the snapshots (snapshot remote, SOURCES_MIRROR) or drop STRICT."
                )
            context.log.warning(f"{module.SOURCE_ID}: absent from this build: {listing}")
        if not res.pinned:
            context.log.warning(f"{module.SOURCE_ID} has no pin in sources.lock; run `make refresh` to pin it.")
        shas = sorted(s.sha256 for s in res.snapshots)
        version = fingerprint(shas, sorted(a["sha256"] for a in res.absent))
        StepState(p.state_dir, name).save(
            version,
            source_id=module.SOURCE_ID,
            title=module.TITLE,
            status=res.status,
            pinned=res.pinned,
            gap=res.gap,
            snapshots=[asdict(s) for s in res.snapshots],
            obtained_from=res.obtained_from,
            absent=res.absent,
            notes=res.notes,
            repaired=res.repaired,
        )
        return dg.MaterializeResult(
            data_version=dg.DataVersion(version),
            metadata={
                "status": res.status,
                "gap": res.gap or "",
                "files": [s.filename for s in res.snapshots],
                "sha256": [s[:12] for s in shas],
                "origins": sorted({s.origin for s in res.snapshots}),
                "relations": sorted({s.relation for s in res.snapshots}),
                "obtained_from": sorted(set(res.obtained_from.values())),
                "absent": [a["filename"] for a in res.absent],
                "bytes": sum(s.size_bytes for s in res.snapshots),
                "passed_over": res.notes,
                "sidecars_repaired": res.repaired,
            },
        )

    return _snapshot


def snapshot_assets() -> list[dg.AssetsDefinition]:
    return [_snapshot_asset(module) for module in SOURCES]


def snapshot_states(state_dir) -> list[dict]:
    """What each snapshot asset resolved in this build, in source order."""
    return [
        StepState(state_dir, m.ASSET_NAME).load()
        or {
            "source_id": m.SOURCE_ID,
            "title": m.TITLE,
            "status": "not built",
            "snapshots": [],
            "absent": [],
            "obtained_from": {},
        }
        for m in SOURCES
    ]


def _move_check(module) -> dg.AssetChecksDefinition:
    name = module.ASSET_NAME
    rule = "no pinned snapshot moved more than 25% in rows or size from the one it replaced, unless accepted"

    @dg.asset_check(asset=name, name=f"{name}__no_unaccepted_big_move", blocking=True, description=rule)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from pipeline.acceptance import read_acceptances, unaccepted_moves
        from pipeline.checks import result

        lock = warehouse.lock()
        rows = [
            (
                pin.get("part"),
                pin["sha256"][:12],
                (pin.get("previous") or {}).get("sha256", "")[:12],
                ", ".join(f"{k} {v:+.1%}" for k, v in moves.items()),
                f"make accept SOURCE={module.SOURCE_ID} PART='{pin.get('part')}' REASON=...",
            )
            for pin, moves in unaccepted_moves(lock, module.SOURCE_ID, read_acceptances())
        ]
        return result(
            f"{name} ({module.SOURCE_ID} in sources.lock)",
            rule,
            rows,
            ["part", "sha256", "previous_sha256", "moved", "to accept"],
        )

    return _check


def snapshot_checks() -> list:
    return [_move_check(module) for module in SOURCES]
