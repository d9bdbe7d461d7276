"""The CPI staging tables, declared once (pipeline/sources/table_spec.py).

The keys are what the generated checks hold the tables to: one index value per series and month
(``stg_cpi__index_values``), one row per month and snapshot in the vintages (``stg_cpi__observations``: a data
file that repeats a month fails here), one row per series, and so on. ``base_period`` is NOT NULL: the loader
refuses a series whose base period neither cu.series nor the base-period seed states.
"""

from __future__ import annotations

from pipeline.sources.table_spec import Column, TableSpec

INDEX_UNIT = "index points (base period in stg_cpi__series.base_period)"

_MONTH = (
    Column("series_id", "VARCHAR", "CPI series ID (CUUR0000SA0: CPI-U, U.S. city average, all items).", not_null=True),
    Column("year", "INTEGER", "Calendar year.", not_null=True),
    Column("period", "VARCHAR", "LABSTAT period code (M01-M12; annual averages are not loaded).", not_null=True),
    Column("month_start", "DATE", "First day of the month.", not_null=True),
    Column("value", "DOUBLE", "The index as BLS publishes it; NULL where BLS wrote '-'.", INDEX_UNIT),
    Column("value_flag", "VARCHAR", "'not_available' where BLS wrote '-' instead of a value; NULL with a value."),
    Column("footnote_codes", "VARCHAR", "BLS footnote codes attached to the value (stg_cpi__footnotes)."),
    Column("snapshot_sha256", "VARCHAR", "SHA-256 of the data file the value came from.", not_null=True),
    Column("retrieved_at", "VARCHAR", "When that file was retrieved (ISO 8601, UTC).", not_null=True),
    Column("origin", "VARCHAR", "Where that file came from: official, mirror or package.", not_null=True),
)

OBSERVATIONS = TableSpec(
    "stg_cpi__observations",
    "CPI monthly index values, every vintage: one row per series x month x data snapshot.",
    _MONTH,
    key=("series_id", "year", "period", "snapshot_sha256"),
)

INDEX_VALUES = TableSpec(
    "stg_cpi__index_values",
    "CPI monthly index values, latest vintage: one row per series and month, with revision flags.",
    (
        *_MONTH,
        Column("vintages", "INTEGER", "How many pinned data files carry this month.", not_null=True),
        Column("revised", "BOOLEAN", "The value differs between those files (a revision).", not_null=True),
    ),
    key=("series_id", "year", "period"),
)

SERIES = TableSpec(
    "stg_cpi__series",
    "The CPI series loaded, with their titles and base periods (cu.series, cu.area, cu.item).",
    (
        Column("series_id", "VARCHAR", "CPI series ID.", not_null=True),
        Column("series_title", "VARCHAR", "BLS's title of the series.", not_null=True),
        Column("area_code", "VARCHAR", "CPI area code (0000 = U.S. city average)."),
        Column("area_name", "VARCHAR", "Area name (cu.area)."),
        Column("item_code", "VARCHAR", "CPI item code (SA0 = all items)."),
        Column("item_name", "VARCHAR", "Item name (cu.item)."),
        Column("seasonally_adjusted", "BOOLEAN", "True for a seasonally adjusted series.", not_null=True),
        Column("periodicity_code", "VARCHAR", "R monthly, S semi-annual."),
        Column("base_period", "VARCHAR", "The index's reference base, as BLS writes it (1982-84=100).", not_null=True),
        Column(
            "base_period_from",
            "VARCHAR",
            "Where base_period was read: cu.series, or the seed warehouse/seeds/cpi_base_periods.csv.",
            not_null=True,
        ),
    ),
    key=("series_id",),
)

PERIODS = TableSpec(
    "stg_cpi__periods",
    "LABSTAT period codes of the CPI (cu.period).",
    (
        Column("period", "VARCHAR", "Period code (M01-M13, S01-S03).", not_null=True),
        Column("period_abbr", "VARCHAR", "BLS's abbreviation (MAY)."),
        Column("period_name", "VARCHAR", "BLS's name (May, Annual Average)."),
        Column("month_number", "INTEGER", "1-12 for a month; NULL for annual and semi-annual periods."),
    ),
    key=("period",),
)

FOOTNOTES = TableSpec(
    "stg_cpi__footnotes",
    "CPI footnotes (cu.footnote), when the pinned files carry them; the package origin has none.",
    (
        Column("footnote_code", "VARCHAR", "Footnote code as the data file cites it.", not_null=True),
        Column("footnote_text", "VARCHAR", "Footnote text."),
    ),
    key=("footnote_code",),
)

DEFLATOR = TableSpec(
    "stg_cpi__deflator",
    "The CPI series and month that deflate OEWS wages (settings cpi_deflator_series, cpi_deflator_month).",
    (
        Column("series_id", "VARCHAR", "The deflator series.", not_null=True),
        Column("period", "VARCHAR", "The deflator month as a LABSTAT period (M05).", not_null=True),
        Column("month_number", "INTEGER", "The deflator month (5 = May).", not_null=True),
        Column("month_name", "VARCHAR", "The deflator month in words (May).", not_null=True),
        Column("why", "VARCHAR", "Why this month: OEWS estimates describe May.", not_null=True),
    ),
    key=("series_id",),
)

TABLES = (INDEX_VALUES, OBSERVATIONS, SERIES, PERIODS, FOOTNOTES, DEFLATOR)
