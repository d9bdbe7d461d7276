"""The OEWS history's staging tables, declared once (pipeline/sources/table_spec.py)."""

from __future__ import annotations

from pipeline.sources.oews_format import MEASURES, measure_columns
from pipeline.sources.table_spec import ANNUAL_CHAIN, HOURLY_CHAIN, Column, TableSpec

# The current release's measures plus two the workbooks add; the loader's MEASURE_COLUMNS has the same order.
MEASURE_NAMES = [column for column, _ in MEASURES.values()] + [
    "pct_of_industry_employment",
    "establishments_reporting_pct",
]
_TOP_CODE_HOURLY = Column(
    "top_code_hourly_usd",
    "DOUBLE",
    "The year's hourly top-code threshold behind '#' (from the workbook's notes).",
    "USD per hour",
)
_TOP_CODE_ANNUAL = Column(
    "top_code_annual_usd", "DOUBLE", "The year's annual top-code threshold behind '#'.", "USD per year"
)

CELLS = TableSpec(
    "stg_oews__history_cells",
    "OEWS May workbooks since 2020, harmonised: one row per year x area x industry x occupation.",
    (
        Column("reference_year", "INTEGER", "The May the estimates are for."),
        Column("scope", "VARCHAR", "Workbook scope: nat, st, ma or in4."),
        Column("area_code", "VARCHAR", "OEWS area code (AREA)."),
        Column("area_title", "VARCHAR", "Area name (AREA_TITLE)."),
        Column("area_type_code", "VARCHAR", "Area type (AREA_TYPE: 1 nation, 2 state, ...)."),
        Column("prim_state", "VARCHAR", "The area's primary state, USPS code (PRIM_STATE)."),
        Column("naics_code", "VARCHAR", "Industry code (NAICS; 000000 cross-industry)."),
        Column("naics_title", "VARCHAR", "Industry title."),
        Column("industry_group", "VARCHAR", "Industry level (I_GROUP: cross-industry, sector, 3-digit, 4-digit)."),
        Column("ownership_code", "VARCHAR", "Ownership (OWN_CODE)."),
        Column("soc_code", "VARCHAR", "SOC code with the hyphen (OCC_CODE)."),
        Column("occupation_code", "VARCHAR", "SOC code without the hyphen, as in the flat files."),
        Column("occupation_title", "VARCHAR", "Occupation title (OCC_TITLE)."),
        Column("occupation_group", "VARCHAR", "Occupation level (O_GROUP: total, major, minor, broad, detailed)."),
        *measure_columns(MEASURE_NAMES),
        Column("annual_wages_only", "BOOLEAN", "BLS publishes only annual wages for this row (ANNUAL)."),
        Column("hourly_wages_only", "BOOLEAN", "BLS publishes only hourly wages for this row (HOURLY)."),
        _TOP_CODE_HOURLY,
        _TOP_CODE_ANNUAL,
        Column("estimation_method", "VARCHAR", "MB3 (model-based, from May 2021) or pre-MB3."),
        Column("method_break_before", "BOOLEAN", "True for the first MB3 year: compare across it with care."),
        Column("also_published_as_broad", "BOOLEAN", "A broad-level twin of this detailed row was collapsed."),
        Column("also_published_as_3_digit", "BOOLEAN", "A 3-digit industry twin of this row was collapsed."),
        Column("source_file", "VARCHAR", "The workbook the row came from."),
        Column("snapshot_sha256", "VARCHAR", "SHA-256 of the workbook's snapshot."),
    ),
    key=("reference_year", "scope", "area_code", "naics_code", "ownership_code", "soc_code"),
    ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
)

FILES = TableSpec(
    "stg_oews__history_files",
    "Each OEWS workbook loaded: year, scope, top-code thresholds, rows.",
    (
        Column("reference_year", "INTEGER", "The May the workbook holds."),
        Column("scope", "VARCHAR", "Workbook scope: nat, st, ma or in4."),
        Column("source_file", "VARCHAR", "Workbook file name."),
        Column("snapshot_sha256", "VARCHAR", "SHA-256 of the workbook's snapshot."),
        Column("rows_in_workbook", "BIGINT", "Data rows in the workbook.", "rows"),
        Column("rows_loaded", "BIGINT", "Rows kept in stg_oews__history_cells (twins collapsed).", "rows"),
        _TOP_CODE_HOURLY,
        _TOP_CODE_ANNUAL,
        Column("has_pct_rpt", "BOOLEAN", "The workbook has the PCT_RPT column (May 2020 does not)."),
    ),
)

TABLES = (CELLS, FILES)
