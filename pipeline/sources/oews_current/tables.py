"""The OEWS current release's staging tables, declared once (pipeline/sources/table_spec.py)."""

from __future__ import annotations

from pipeline.sources.oews_format import MEASURES, measure_columns
from pipeline.sources.table_spec import ANNUAL_CHAIN, HOURLY_CHAIN, Column, TableSpec

CELLS = TableSpec(
    "stg_oews__cells",
    "OEWS current release: one row per area x industry x occupation cell, values typed and flagged.",
    (
        Column("areatype_code", "VARCHAR", "Area type: N nation, S state or territory, M metro or nonmetro area."),
        Column("area_code", "VARCHAR", "OEWS area code (7 characters; a state's FIPS code followed by zeros)."),
        Column("industry_code", "VARCHAR", "OEWS industry code (6 characters, NAICS-based; 000000 all industries)."),
        Column("occupation_code", "VARCHAR", "SOC code without the hyphen (291122 for 29-1122)."),
        *measure_columns([column for column, _ in MEASURES.values()]),
    ),
    key=("areatype_code", "area_code", "industry_code", "occupation_code"),
    ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
)

AREAS = TableSpec(
    "stg_oews__areas",
    "OEWS areas: nation, states and territories, metro and nonmetro areas.",
    (
        Column("area_code", "VARCHAR", "OEWS area code."),
        Column("areatype_code", "VARCHAR", "Area type: N, S or M."),
        Column("state_fips_code", "VARCHAR", "Two-digit FIPS code of the area's state or territory."),
        Column("area_name", "VARCHAR", "Area name as BLS writes it."),
    ),
)

INDUSTRIES = TableSpec(
    "stg_oews__industries",
    "OEWS industries (NAICS-based codes) with their display level.",
    (
        Column("industry_code", "VARCHAR", "OEWS industry code (6 characters)."),
        Column("industry_name", "VARCHAR", "Industry title as BLS writes it."),
        Column("display_level", "INTEGER", "Depth in the industry hierarchy (0 = all industries)."),
    ),
)

OCCUPATIONS = TableSpec(
    "stg_oews__occupations",
    "OEWS occupations (SOC) with official titles and display level.",
    (
        Column("occupation_code", "VARCHAR", "SOC code without the hyphen."),
        Column("soc_code", "VARCHAR", "SOC code with the hyphen (29-1122)."),
        Column("occupation_title", "VARCHAR", "Official occupation title."),
        Column("display_level", "INTEGER", "Depth in the SOC hierarchy (0 = all occupations)."),
    ),
)

RELEASE = TableSpec(
    "stg_oews__release",
    "The OEWS release these tables hold (code, reference year and period).",
    (
        Column("release_code", "VARCHAR", "Release code: reference year and period (2025A01)."),
        Column("reference_year", "INTEGER", "Reference year of the estimates."),
        Column("period", "VARCHAR", "LABSTAT period code (A01 = the May estimates)."),
        Column("reference_period", "VARCHAR", "The release in words (May 2025)."),
    ),
)

FOOTNOTES = TableSpec(
    "stg_oews__footnotes",
    "The release's footnotes, including the top-code thresholds (footnote 5).",
    (
        Column("footnote_code", "VARCHAR", "Footnote code as the data file cites it."),
        Column("footnote_text", "VARCHAR", "Footnote text."),
    ),
)

TABLES = (CELLS, AREAS, INDUSTRIES, OCCUPATIONS, RELEASE, FOOTNOTES)
