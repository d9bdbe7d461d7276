"""What the two OEWS sources share: the measures (by OEWS datatype code), their units, licence and citation.

The current release (oews_current) and the May workbooks (oews_history) publish the same measures under
different names; both stage them under the names below, which carry their units.
"""

from __future__ import annotations

from pipeline.sources.base import BLS_LICENSE, bls_citation
from pipeline.sources.table_spec import Column

LICENSE = BLS_LICENSE
CITATION = bls_citation("Occupational Employment and Wage Statistics (OEWS)", "https://www.bls.gov/oes/")

# OEWS datatype code -> staging column. Column names carry their units.
MEASURES: dict[str, tuple[str, str]] = {
    "01": ("employment_count", "BIGINT"),
    "02": ("employment_rse_pct", "DOUBLE"),
    "03": ("hourly_mean_wage_usd", "DOUBLE"),
    "04": ("annual_mean_wage_usd", "DOUBLE"),
    "05": ("wage_rse_pct", "DOUBLE"),
    "06": ("hourly_p10_wage_usd", "DOUBLE"),
    "07": ("hourly_p25_wage_usd", "DOUBLE"),
    "08": ("hourly_median_wage_usd", "DOUBLE"),
    "09": ("hourly_p75_wage_usd", "DOUBLE"),
    "10": ("hourly_p90_wage_usd", "DOUBLE"),
    "11": ("annual_p10_wage_usd", "DOUBLE"),
    "12": ("annual_p25_wage_usd", "DOUBLE"),
    "13": ("annual_median_wage_usd", "DOUBLE"),
    "14": ("annual_p75_wage_usd", "DOUBLE"),
    "15": ("annual_p90_wage_usd", "DOUBLE"),
    "16": ("jobs_per_1000", "DOUBLE"),
    "17": ("location_quotient", "DOUBLE"),
}

# Staging column -> (unit, what it is), for the table specs.
PERCENTILE_LABELS = (
    ("p10", "10th percentile"),
    ("p25", "25th percentile"),
    ("median", "median"),
    ("p75", "75th percentile"),
    ("p90", "90th percentile"),
)
MEASURE_MEANINGS: dict[str, tuple[str | None, str]] = {
    "employment_count": ("jobs", "employment, rounded to the nearest 10"),
    "employment_rse_pct": ("percent", "relative standard error of the employment estimate"),
    "hourly_mean_wage_usd": ("USD per hour", "mean hourly wage"),
    "annual_mean_wage_usd": ("USD per year", "mean annual wage"),
    "wage_rse_pct": ("percent", "relative standard error of the mean wage"),
    **{
        f"{basis}_{p}_wage_usd": (unit, f"{label} {basis} wage")
        for basis, unit in (("hourly", "USD per hour"), ("annual", "USD per year"))
        for p, label in PERCENTILE_LABELS
    },
    "jobs_per_1000": ("per 1,000 jobs", "the occupation's jobs per 1,000 jobs in the area"),
    "location_quotient": ("ratio", "the occupation's share of area employment over its national share"),
    "pct_of_industry_employment": ("percent", "the occupation's share of the industry's employment"),
    "establishments_reporting_pct": ("percent", "share of establishments in the industry reporting the occupation"),
}


def measure_columns(names: list[str]) -> tuple[Column, ...]:
    """One column per measure, then one ``<measure>_flag`` per measure (why a value is NULL), in that order."""
    values = tuple(
        Column(n, _type(n), MEASURE_MEANINGS[n][1].capitalize() + ".", MEASURE_MEANINGS[n][0]) for n in names
    )
    flags = tuple(
        Column(f"{n}_flag", "VARCHAR", f"Why {n} is NULL (top_coded, not_released, ...); NULL when it has a value.")
        for n in names
    )
    return values + flags


def _type(name: str) -> str:
    return "BIGINT" if name == "employment_count" else "DOUBLE"
