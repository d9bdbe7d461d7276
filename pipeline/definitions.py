"""Dagster code location: the asset graph from source snapshots to the built book."""

import dagster as dg

from pipeline import checks
from pipeline.assets import book, catalog, notebooks, report, seeds, snapshot, staging
from pipeline.assets.marts import mart_assets
from pipeline.jobs import quarterly_refresh_schedule, refresh_sources_job
from pipeline.resources import default_resources

marts = mart_assets()
all_assets = [
    *snapshot.snapshot_assets(),
    catalog.meta_catalog,
    *staging.staging_assets(),
    seeds.seed_settings__industry_map,
    *marts,
    report.report_parameters,
    *notebooks.notebook_assets(),
    book.book,
]

warehouse_tables = staging.staging_tables() | {"seed_settings__industry_map"} | {m.key.path[-1] for m in marts}
all_checks = [
    *checks.generated_checks(warehouse_tables),
    *dg.load_asset_checks_from_modules([checks, seeds]),
    *snapshot.snapshot_checks(),
]

build_book_job = dg.define_asset_job("build_book", selection=dg.AssetSelection.all())

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[build_book_job, refresh_sources_job],
    schedules=[quarterly_refresh_schedule],
    resources=default_resources(),
    # DuckDB allows one writer per file; the default multiprocess executor would make steps fight over it.
    executor=dg.in_process_executor,
)
