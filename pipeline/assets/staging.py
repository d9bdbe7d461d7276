"""Staging assets: each source's snapshots parsed into typed DuckDB tables, with lineage recorded beside them.

One multi-asset per source. Its tables are replaced in one transaction together with their lineage rows, so a
failed load (a renamed column, a corrupt file) leaves the previous tables exactly as they were.
"""


import inspect
from datetime import datetime, timezone

import dagster as dg

from pipeline.assets.snapshot import ASSET_NAMES
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.lineage import record_lineage
from pipeline.resources import WarehouseResource
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.transaction import transaction
from pipeline.sources.registry import BY_ID

# source id -> (step name, {table: description})
STAGING = {
    "oews_current": ("stg_oews", {
        "stg_oews__cells": "OEWS current release: one row per area x industry x occupation cell, values typed and flagged.",
        "stg_oews__areas": "OEWS areas: nation, states and territories, metro and nonmetro areas.",
        "stg_oews__industries": "OEWS industries (NAICS-based codes) with their display level.",
        "stg_oews__occupations": "OEWS occupations (SOC) with official titles and display level.",
        "stg_oews__release": "The OEWS release these tables hold (code, reference year and period).",
        "stg_oews__footnotes": "The release's footnotes, including the top-code thresholds (footnote 5).",
    }),
    "oews_history": ("stg_oews_history", {
        "stg_oews__history_cells": "OEWS May workbooks since 2020, harmonised: one row per year x area x industry x occupation.",
        "stg_oews__history_files": "Each OEWS workbook loaded: year, scope, top-code thresholds, rows.",
    }),
    "employment_projections": ("stg_ep", {
        "stg_ep__occupation_projections": "EP projections per edition and occupation, in persons: base, projected, change, openings, self-employed share, entry education.",
        "stg_ep__editions": "Each EP edition loaded: base and projection years, sheet used, occupations.",
    }),
    "ces": ("stg_ces", {
        "stg_ces__observations": "CES monthly values, every vintage: one row per series x month x snapshot.",
        "core_ces__monthly_employment": "CES monthly employment (latest vintage) with revision flags, in persons.",
        "stg_ces__industries": "CES industry codes (ce.industry).",
        "stg_ces__series_without_data": "CES series requested from the BLS API that an answer carried no data for, per snapshot.",
    }),
    "jolts": ("stg_jolts", {
        "stg_jolts__observations": "JOLTS monthly values, every vintage: one row per series x month x snapshot.",
        "core_jolts__monthly_rates_and_levels": "JOLTS openings, hires, quits, layoffs and separations (latest vintage), levels and rates.",
        "stg_jolts__series_without_data": "JOLTS series requested from the BLS API that an answer carried no data for, per snapshot.",
    }),
    "compensation_samples": ("stg_comp", {
        "stg_comp__samples": "Compensation samples, validated, normalised to annual USD, outliers flagged (never dropped).",
    }),
    "ftc": ("stg_ftc", {
        "stg_ftc__documents": "FTC non-compete rule documents: title, date, URL and a plain-text extract.",
    }),
}


def code_files(module) -> list[str]:
    """The loader's source files: a change to any of them re-runs the step."""
    files = {inspect.getfile(module), inspect.getfile(module.load_staging)}
    for value in vars(module).values():
        if inspect.ismodule(value) and value.__name__.startswith("pipeline.sources"):
            files.add(inspect.getfile(value))
    return sorted(files)


def load_transaction(con, module, store: SnapshotStore, snaps: list[SnapshotMeta], built_at: str) -> dict:
    """Load a source's tables and their lineage rows in one transaction."""
    with transaction(con):
        counts = module.load_staging(con, store, snaps)
        record_lineage(con, snaps, counts, built_at)
    return counts


def _staging_asset(module, step_name: str, tables: dict[str, str]) -> dg.AssetsDefinition:
    raw_name = ASSET_NAMES[module.SOURCE_ID]

    @dg.multi_asset(
        name=step_name,
        specs=[dg.AssetSpec(t, deps=[raw_name], group_name="staging", kinds={"duckdb"}, description=d)
               for t, d in tables.items()],
        can_subset=False,
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        p = warehouse.paths()
        raw = StepState(p.state_dir, raw_name).load()
        snaps = [SnapshotMeta(**s) for s in raw["snapshots"]]
        step = StepState(p.state_dir, step_name)
        fp = fingerprint(raw["fingerprint"], hash_files(code_files(module)))
        if step.is_current(fp) and p.duckdb_path.exists():
            context.log.info(f"{step_name} is up to date with its snapshots; nothing to do.")
            counts = step.load()["counts"]
        else:
            con = warehouse.connect()
            try:
                built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
                counts = load_transaction(con, module, SnapshotStore(p.snapshot_dir), snaps, built_at)
            finally:
                con.close()
            step.save(fp, counts=counts)
            for table in tables:  # marts fingerprint their inputs by table name
                StepState(p.state_dir, table).save(fingerprint(fp, table), rows=counts.get(table))
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=table,
                data_version=dg.DataVersion(fingerprint(fp, table)),
                metadata={"rows": counts.get(table, 0), "snapshot_sha256": [s.sha256[:12] for s in snaps]},
            )

    return _staging


def staging_assets() -> list[dg.AssetsDefinition]:
    return [_staging_asset(BY_ID[source_id], step, tables) for source_id, (step, tables) in STAGING.items()]


def staging_tables() -> set[str]:
    return {t for _, tables in STAGING.values() for t in tables}
