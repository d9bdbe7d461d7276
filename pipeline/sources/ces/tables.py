"""The CES staging tables, declared once (pipeline/sources/table_spec.py); the monthly columns CES shares with
JOLTS come from pipeline/sources/monthly_series_load.py."""

from __future__ import annotations

from pipeline.sources.monthly_series_load import CORE_TAIL, OBSERVATION_HEAD, WITHOUT_DATA_COLUMNS, observation_tail
from pipeline.sources.table_spec import Column, TableSpec

_TAIL = observation_tail("thousands of employees", "All employees, as BLS publishes it.")
_CODES = (
    Column("ces_industry_code", "VARCHAR", "CES industry code (8 digits, from the series ID).", not_null=True),
    Column("data_type_code", "VARCHAR", "CES data type (01 = all employees, thousands).", not_null=True),
)

OBSERVATIONS = TableSpec(
    "stg_ces__observations",
    "CES monthly values, every vintage: one row per series x month x snapshot.",
    (*OBSERVATION_HEAD, *_CODES, *_TAIL),
    key=("series_id", "period", "year", "snapshot_sha256"),
)

CORE = TableSpec(
    "core_ces__monthly_employment",
    "CES monthly employment (latest vintage) with revision flags, in persons.",
    (
        *OBSERVATION_HEAD,
        *_CODES,
        Column("naics_code", "VARCHAR", "NAICS code of the industry, as ce.industry writes it."),
        Column("industry_name", "VARCHAR", "CES's name for the industry."),
        Column(
            "setting_id",
            "VARCHAR",
            "The care setting the industry stands for (warehouse/seeds/settings.csv), or a baseline.",
        ),
        *_TAIL[:4],
        Column("employment_jobs", "BIGINT", "value x 1,000, rounded.", "jobs"),
        *_TAIL[4:],
        *CORE_TAIL,
    ),
    key=("series_id", "month_start"),
)

INDUSTRIES = TableSpec(
    "stg_ces__industries",
    "CES industry codes (ce.industry).",
    (
        Column("industry_code", "VARCHAR", "CES industry code (8 digits).", not_null=True),
        Column("naics_code", "VARCHAR", "NAICS code as ce.industry writes it."),
        Column("publishing_status", "VARCHAR", "ce.industry's publishing status code."),
        Column("industry_name", "VARCHAR", "CES's name for the industry."),
        Column("display_level", "INTEGER", "Depth in the CES industry hierarchy."),
    ),
)

WITHOUT_DATA = TableSpec(
    "stg_ces__series_without_data",
    "CES series requested from the BLS API that an answer carried no data for, per snapshot.",
    WITHOUT_DATA_COLUMNS,
    key=("series_id", "snapshot_sha256"),
)

TABLES = (OBSERVATIONS, CORE, INDUSTRIES, WITHOUT_DATA)
