"""The JOLTS staging tables, declared once (pipeline/sources/table_spec.py); the monthly columns JOLTS shares with
CES come from pipeline/sources/monthly_series_load.py."""

from __future__ import annotations

from pipeline.sources.monthly_series_load import CORE_TAIL, OBSERVATION_HEAD, WITHOUT_DATA_COLUMNS, observation_tail
from pipeline.sources.table_spec import Column, TableSpec

_TAIL = observation_tail(
    "thousands (levels) or percent (rates): see rate_or_level", "The level or rate, as BLS publishes it."
)
_INDUSTRY = Column("industry_code", "VARCHAR", "JOLTS industry code (6 characters, from the series ID).", not_null=True)
_DECODED = (
    Column("data_element_code", "VARCHAR", "JO, HI, QU, LD or TS (from the series ID).", not_null=True),
    Column("rate_level_code", "VARCHAR", "L level or R rate (from the series ID).", not_null=True),
    Column(
        "data_element",
        "VARCHAR",
        "What is counted: job openings, hires, quits, layoffs and discharges, total separations.",
    ),
    Column("rate_or_level", "VARCHAR", "'level' or 'rate'."),
)

OBSERVATIONS = TableSpec(
    "stg_jolts__observations",
    "JOLTS monthly values, every vintage: one row per series x month x snapshot.",
    (*OBSERVATION_HEAD, _INDUSTRY, *_DECODED, *_TAIL),
    key=("series_id", "period", "year", "snapshot_sha256"),
)

CORE = TableSpec(
    "core_jolts__monthly_rates_and_levels",
    "JOLTS openings, hires, quits, layoffs and separations (latest vintage), levels and rates.",
    (
        *OBSERVATION_HEAD,
        _INDUSTRY,
        Column("industry_name", "VARCHAR", "The industry in words (total nonfarm, health care and social assistance)."),
        *_DECODED,
        *_TAIL,
        Column("unit", "VARCHAR", "'thousands' for levels, 'percent' for rates."),
        *CORE_TAIL,
    ),
    key=("series_id", "month_start"),
)

WITHOUT_DATA = TableSpec(
    "stg_jolts__series_without_data",
    "JOLTS series requested from the BLS API that an answer carried no data for, per snapshot.",
    WITHOUT_DATA_COLUMNS,
    key=("series_id", "snapshot_sha256"),
)

TABLES = (OBSERVATIONS, CORE, WITHOUT_DATA)
