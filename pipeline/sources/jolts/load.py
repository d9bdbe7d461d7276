"""JOLTS staging: stg_jolts__observations, core_jolts__monthly_rates_and_levels and stg_jolts__series_without_data
(declared in tables.py), through the loader JOLTS shares with CES (pipeline/sources/monthly_series_load.py).

The core table adds the industry's name and ``unit`` ('thousands' for levels, 'percent' for rates). Runs inside
the caller's transaction (no BEGIN/COMMIT here).
"""

from __future__ import annotations

import re

import duckdb

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import monthly_series_load as monthly
from pipeline.sources.jolts.series import DATA_ELEMENTS, INDUSTRIES, describe_series
from pipeline.sources.jolts.tables import CORE, OBSERVATIONS, TABLES, WITHOUT_DATA

# (name, DuckDB type) of the core table, for code that builds one by hand (the page tests).
CORE_COLUMNS = CORE.ddl
# JT + S/U + industry (6) + state (2) + area (5) + size class (2) + data element (2) + rate/level (1)
# (docs/source-formats.md, CES lookup files and BLS API answers).
SERIES_SHAPE = re.compile(r"^JT[SU][0-9A-Z]{6}[0-9A-Z]{2}[0-9A-Z]{5}[0-9A-Z]{2}[A-Z]{2}[LR]$")


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create the JOLTS tables from the pinned snapshots; return {table: row count}."""
    monthly.create_empty(con, TABLES)
    elements = monthly.case_sql("substr(series_id, 19, 2)", DATA_ELEMENTS)
    api = monthly.api_snapshots(snaps)
    monthly.load_series_without_data(con, store, api, WITHOUT_DATA, SERIES_SHAPE, "JOLTS", describe_series)
    monthly.load_observations(
        con,
        store,
        api,
        OBSERVATIONS,
        SERIES_SHAPE,
        "JOLTS",
        decode=(
            "substr(series_id, 4, 6) AS industry_code, substr(series_id, 19, 2) AS data_element_code, "
            "substr(series_id, 21, 1) AS rate_level_code, "
            f"{elements} AS data_element, "
            "CASE substr(series_id, 21, 1) WHEN 'L' THEN 'level' WHEN 'R' THEN 'rate' END AS rate_or_level"
        ),
    )
    monthly.build_core(
        con,
        OBSERVATIONS,
        CORE,
        extra_select={
            "industry_name": monthly.case_sql("o.industry_code", INDUSTRIES),
            "unit": "CASE o.rate_level_code WHEN 'L' THEN 'thousands' WHEN 'R' THEN 'percent' END",
        },
    )
    return monthly.counts(con, [spec.name for spec in TABLES])
