"""Staging assets: source snapshots parsed into typed DuckDB tables, with lineage recorded beside them."""


import inspect
from datetime import datetime, timezone

import dagster as dg

from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.lineage import record_lineage
from pipeline.resources import WarehouseResource
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import oews_current

OEWS_TABLE_DESCRIPTIONS = {
    "stg_oews__cells": "OEWS current release: one row per area x industry x occupation cell, values typed and flagged.",
    "stg_oews__areas": "OEWS areas: nation, states and territories, metro and nonmetro areas.",
    "stg_oews__industries": "OEWS industries (NAICS-based codes) with their display level.",
    "stg_oews__occupations": "OEWS occupations (SOC) with official titles and display level.",
    "stg_oews__release": "The OEWS release these tables hold (code, reference year and period).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(name, deps=["raw_oews__current_release"], group_name="staging", kinds={"duckdb"},
                     description=desc)
        for name, desc in OEWS_TABLE_DESCRIPTIONS.items()
    ],
    can_subset=False,
)
def stg_oews(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    p = warehouse.paths()
    raw = StepState(p.state_dir, "raw_oews__current_release").load()
    snaps = [SnapshotMeta(**s) for s in raw["snapshots"]]
    step = StepState(p.state_dir, "stg_oews")
    fp = fingerprint(raw["fingerprint"], hash_files([inspect.getfile(oews_current)]))
    if step.is_current(fp) and p.duckdb_path.exists():
        context.log.info("OEWS staging is up to date with its snapshot; nothing to do.")
        counts = step.load()["counts"]
    else:
        store = SnapshotStore(p.snapshot_dir)
        con = warehouse.connect()
        try:
            built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            counts = oews_current.load_staging(
                con, store, snaps,
                before_commit=lambda c, n: record_lineage(c, snaps, n, built_at),
            )
        finally:
            con.close()
        step.save(fp, counts=counts)
    for name in OEWS_TABLE_DESCRIPTIONS:
        yield dg.MaterializeResult(
            asset_key=name,
            data_version=dg.DataVersion(fingerprint(fp, name)),
            metadata={"rows": counts[name], "snapshot_sha256": [s.sha256[:12] for s in snaps]},
        )
