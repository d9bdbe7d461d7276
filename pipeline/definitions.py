"""Dagster code location: the asset graph from source snapshots to the built books and the catalogue.

`make book`, `make catalog` (pipeline/build.py), `make dev` (the UI) and the `dagster` CLI all run the jobs defined
here. Nothing is read from the environment when this module loads: the resources read their settings when a run
uses them, and the occupation partitions are registered by the warehouse build.
"""

import dagster as dg

from pipeline import checks
from pipeline.assets import book, catalog, editions, landing, notebooks, report, seeds, snapshot, staging
from pipeline.assets.marts import mart_assets
from pipeline.console import LOGGERS
from pipeline.jobs import quarterly_refresh_schedule, refresh_sources_job
from pipeline.resources import RefreshSecrets, default_resources

marts = mart_assets()
# Built once for every occupation: one writer of one DuckDB file.
warehouse_assets = [
    *snapshot.snapshot_assets(),
    catalog.meta_catalog,
    *staging.staging_assets(),
    seeds.seed_settings__industry_map,
    *marts,
    report.report_occupations,
]
# One partition per occupation: each reads the warehouse read-only and writes only under its own folder.
occupation_assets = [report.report_parameters, *notebooks.notebook_assets(), book.book]
all_assets = [*warehouse_assets, editions.previous_edition_warehouse, *occupation_assets, landing.catalog_site]

warehouse_tables = staging.staging_tables() | {"seed_settings__industry_map"} | {m.key.path[-1] for m in marts}
all_checks = [
    *checks.generated_checks(warehouse_tables),
    *dg.load_asset_checks_from_modules([checks, seeds]),
    *snapshot.snapshot_checks(),
]

BUILD_WAREHOUSE = "build_warehouse"
BUILD_OCCUPATION_BOOK = "build_occupation_book"
BUILD_CATALOG_SITE = "build_catalog_site"

build_warehouse_job = dg.define_asset_job(
    BUILD_WAREHOUSE,
    description="The warehouse (every occupation at once), its checks, the previous edition's "
    "warehouse, and every occupation of the release registered as a partition.",
    selection=dg.AssetSelection.assets(*warehouse_assets, editions.previous_edition_warehouse)
    | dg.AssetSelection.checks(*all_checks),
)
# Partitioned like its assets (one run per occupation): launch a backfill over any set of occupations.
build_occupation_book_job = dg.define_asset_job(
    BUILD_OCCUPATION_BOOK,
    description="One occupation's book (a partition: its SOC code).",
    selection=dg.AssetSelection.assets(*occupation_assets),
)
build_catalog_site_job = dg.define_asset_job(
    BUILD_CATALOG_SITE,
    description="The catalogue: a landing page and a copy of each catalogue occupation's book.",
    selection=[landing.catalog_site],
)

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[build_warehouse_job, build_occupation_book_job, build_catalog_site_job, refresh_sources_job],
    schedules=[quarterly_refresh_schedule],
    resources=default_resources()
    | {
        # Only the refresh job asks for it, so a build never needs the variable; Dagster records its name only.
        "refresh_secrets": RefreshSecrets(bls_api_key=dg.EnvVar("BLS_API_KEY")),
    },
    # DuckDB allows one writer per file; the default multiprocess executor would make the warehouse steps fight
    # over it. The occupation books only read the warehouse (see docs/scaling.md for running them elsewhere).
    executor=dg.in_process_executor,
    loggers=LOGGERS,
)
