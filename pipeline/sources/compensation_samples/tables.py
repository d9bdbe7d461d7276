"""The compensation samples' staging table, declared once (pipeline/sources/table_spec.py).

Its first columns are the CSV's, in the CSV's order (samples.COLUMNS), so the two cannot drift apart: a column
added to the CSV without a declaration here fails at import.
"""

from __future__ import annotations

from pipeline.sources.compensation_samples.samples import COLUMNS, REQUIRED
from pipeline.sources.table_spec import Column, TableSpec

# CSV column -> (DuckDB type, unit, description). warehouse/seeds/README.md documents what goes in each.
_CSV = {
    "sample_id": ("VARCHAR", None, "Unique id of the sample."),
    "soc_code": ("VARCHAR", None, "SOC code of the job, with the hyphen."),
    "job_title": ("VARCHAR", None, "The title as the origin states it."),
    "employer": ("VARCHAR", None, "Employer or agency as stated."),
    "origin_type": ("VARCHAR", None, "levels_fyi, job_posting, survey or other."),
    "origin_reference": ("VARCHAR", None, "URL or citation that finds the observation again."),
    "observed_on": ("DATE", None, "When the pay was seen or published."),
    "setting": ("VARCHAR", None, "Care setting id (warehouse/seeds/settings.csv), other or unknown."),
    "employment_type": ("VARCHAR", None, "full_time, part_time, per_diem, contract or unknown."),
    "state": ("VARCHAR", None, "Two-letter USPS code, or US."),
    "pay_basis": ("VARCHAR", None, "annual, hourly, monthly, weekly or per_visit."),
    "amount_usd": ("DOUBLE", "USD per pay_basis", "The pay as stated (the low end of a posted range)."),
    "amount_max_usd": ("DOUBLE", "USD per pay_basis", "The high end of a posted range."),
    "hours_per_week": ("DOUBLE", "hours per week", "Stated weekly hours (annualising assumes 40 when empty)."),
    "experience_years": ("DOUBLE", "years", "Years of experience the pay is for."),
    "notes": ("VARCHAR", None, "What a reviewer should know."),
}

SAMPLES = TableSpec(
    "stg_comp__samples",
    "Compensation samples, validated, normalised to annual USD, outliers flagged (never dropped).",
    (
        *(Column(name, _CSV[name][0], _CSV[name][2], _CSV[name][1], not_null=name in REQUIRED) for name in COLUMNS),
        Column("annual_usd", "DOUBLE", "amount_usd annualised by pay basis; NULL for per_visit pay.", "USD per year"),
        Column("annual_max_usd", "DOUBLE", "amount_max_usd annualised likewise.", "USD per year"),
        Column(
            "is_outlier", "BOOLEAN", "Outside 3 x IQR of its occupation's samples (at least 8 of them).", not_null=True
        ),
        Column("outlier_reason", "VARCHAR", "Which fence the sample crossed; NULL when it is not an outlier."),
        Column("snapshot_sha256", "VARCHAR", "SHA-256 of the CSV snapshot.", not_null=True),
        Column("line_number", "INTEGER", "CSV line where the sample's record starts.", not_null=True),
    ),
    key=("sample_id",),
)

TABLES = (SAMPLES,)
