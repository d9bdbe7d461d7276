"""The OEWS May workbooks: their scopes, the columns the warehouse needs, and the header check that validation
and loading share."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.errors import SourceFileError
from pipeline.sources.xlsx import open_workbook

SCOPES = {"nat": "national", "st": "state", "ma": "metropolitan and nonmetropolitan area", "in4": "4-digit industry"}

# Columns the warehouse needs, matched case-insensitively (docs/source-formats.md, OEWS national workbooks: every May
# 2020-2024 workbook has them). May 2020 has no PCT_RPT, so it is not required: the staging table gives NULL there
# (load.py).
REQUIRED_COLUMNS = (
    "AREA",
    "AREA_TITLE",
    "AREA_TYPE",
    "PRIM_STATE",
    "NAICS",
    "NAICS_TITLE",
    "I_GROUP",
    "OWN_CODE",
    "OCC_CODE",
    "OCC_TITLE",
    "O_GROUP",
    "TOT_EMP",
    "EMP_PRSE",
    "JOBS_1000",
    "LOC_QUOTIENT",
    "PCT_TOTAL",
    "H_MEAN",
    "A_MEAN",
    "MEAN_PRSE",
    "H_PCT10",
    "H_PCT25",
    "H_MEDIAN",
    "H_PCT75",
    "H_PCT90",
    "A_PCT10",
    "A_PCT25",
    "A_MEDIAN",
    "A_PCT75",
    "A_PCT90",
    "ANNUAL",
    "HOURLY",
)


def header_and_rows(path: Path, filename: str):
    """The data sheet's upper-cased header and an iterator over its rows (values only)."""
    return sheet_header_and_rows(open_workbook(path, filename), filename)


def sheet_header_and_rows(wb, filename: str):
    """As header_and_rows, for a workbook already open (the loader also reads its Field Descriptions sheet)."""
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    # Upper case, inner blanks as underscores: Field Descriptions writes "loc quotient" for LOC_QUOTIENT.
    header = [re.sub(r"\s+", "_", str(h).strip()).upper() if h is not None else "" for h in next(rows, ())]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise SourceFileError(
            filename,
            f"has no column {', '.join(missing)} in sheet {ws.title!r} (its header: {', '.join(header)}).",
            "BLS may have renamed it; map the new name in pipeline/sources/oews_history/workbook.py.",
        )
    return header, rows


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the workbook has the OEWS columns; return its number of data rows."""
    header, rows = header_and_rows(path, meta.filename)
    n = sum(1 for row in rows if row and row[0] is not None)
    if n == 0:
        raise SourceFileError(meta.filename, "has a header but no data rows.")
    return n
