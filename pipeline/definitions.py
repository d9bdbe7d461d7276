"""Dagster code location: the asset graph from source snapshots to the built book."""

import dagster as dg

from pipeline import checks
from pipeline.assets import book, catalog, notebooks, report, snapshot, staging
from pipeline.assets.marts import mart_assets
from pipeline.jobs import quarterly_refresh_schedule, refresh_sources_job
from pipeline.resources import default_resources

all_assets = [
    *snapshot.snapshot_assets(),
    catalog.meta_catalog,
    staging.stg_oews,
    *mart_assets(),
    report.report_parameters,
    *notebooks.notebook_assets(),
    book.book,
]

all_checks = dg.load_asset_checks_from_modules([checks])

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
