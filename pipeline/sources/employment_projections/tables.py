"""The Employment Projections' staging tables, declared once (pipeline/sources/table_spec.py)."""

from __future__ import annotations

from pipeline.sources.table_spec import Column, TableSpec

_EDITION = Column("edition", "VARCHAR", "EP edition: base year and projection year (2024-34).")
_BASE_YEAR = Column("base_year", "INTEGER", "The edition's base year.")
_PROJECTION_YEAR = Column("projection_year", "INTEGER", "The year the edition projects to.")
_SOURCE_FILE = Column("source_file", "VARCHAR", "The workbook the row came from.")
_SNAPSHOT = Column("snapshot_sha256", "VARCHAR", "SHA-256 of the workbook's snapshot.")

PROJECTIONS = TableSpec(
    "stg_ep__occupation_projections",
    "EP projections per edition and occupation, in persons: base, projected, change, openings, self-employed "
    "share, entry education.",
    (
        _EDITION,
        _BASE_YEAR,
        _PROJECTION_YEAR,
        Column("soc_code", "VARCHAR", "SOC code with the hyphen."),
        Column("occupation_title", "VARCHAR", "Occupation title as EP writes it."),
        Column("occupation_type", "VARCHAR", "Line item or Summary (an aggregate of line items)."),
        Column("employment_base_jobs", "BIGINT", "Employment in the base year, self-employed included.", "jobs"),
        Column("employment_projected_jobs", "BIGINT", "Projected employment in the projection year.", "jobs"),
        Column("employment_change_jobs", "BIGINT", "Projected change in employment.", "jobs"),
        Column(
            "employment_change_pct", "DOUBLE", "Projected change in employment, as printed (13.8 = 13.8%).", "percent"
        ),
        Column("self_employed_pct", "DOUBLE", "Self-employed share of base-year employment.", "percent"),
        Column(
            "openings_annual_avg_count",
            "BIGINT",
            "Average annual openings over the projection decade.",
            "persons per year",
        ),
        Column(
            "median_annual_wage_usd", "DOUBLE", "Median annual wage EP prints beside the projections.", "USD per year"
        ),
        Column("median_annual_wage_flag", "VARCHAR", "Why the median wage is NULL (top_coded); NULL with a value."),
        Column(
            "median_annual_wage_lower_bound_usd",
            "DOUBLE",
            "The top-code threshold when the wage is top-coded.",
            "USD per year",
        ),
        Column("median_wage_year", "INTEGER", "The year the median wage is for."),
        Column("entry_education", "VARCHAR", "Typical education needed for entry."),
        Column("work_experience", "VARCHAR", "Work experience in a related occupation."),
        Column("on_the_job_training", "VARCHAR", "Typical on-the-job training."),
        Column("source_sheet", "VARCHAR", "The sheet(s) the row was read from."),
        _SOURCE_FILE,
        _SNAPSHOT,
    ),
    key=("edition", "soc_code"),
)

EDITIONS = TableSpec(
    "stg_ep__editions",
    "Each EP edition loaded: base and projection years, sheet used, occupations.",
    (
        _EDITION,
        _BASE_YEAR,
        _PROJECTION_YEAR,
        _SOURCE_FILE,
        _SNAPSHOT,
        Column("occupations_loaded", "BIGINT", "Occupation rows loaded from the edition.", "rows"),
        Column("sheet_used", "VARCHAR", "The sheet(s) the edition was read from."),
        Column("retrieved_at", "VARCHAR", "When the snapshot was retrieved (ISO 8601, UTC)."),
    ),
    key=("edition",),
)

TABLES = (PROJECTIONS, EDITIONS)
