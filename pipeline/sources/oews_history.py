"""OEWS history: the national (and optionally state, metro and industry) workbooks for each May since 2020.

BLS serves each year as a zip at www.bls.gov/oes/special-requests/oesm{YY}{scope}.zip. A mirror may hold the
workbook inside it instead; the snapshot then says "member-of-archive", never "identical".
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult, keep_valid
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.oews_current import CITATION, LICENSE
from pipeline.sources.oews_history_load import load_staging  # noqa: F401  (the staging loader)
from pipeline.sources.xlsx import open_workbook

SOURCE_ID = "oews_history"
TITLE = "OEWS history: May workbooks since 2020"
SCOPES = {"nat": "national", "st": "state", "ma": "metropolitan and nonmetropolitan area", "in4": "4-digit industry"}

# Columns the warehouse needs, matched case-insensitively (FORMATS.md section 1: every May 2020-2024 workbook has
# them). May 2020 has no PCT_RPT, so it is not required: the staging table gives NULL there (oews_history_load.py).
REQUIRED_COLUMNS = (
    "AREA", "AREA_TITLE", "AREA_TYPE", "PRIM_STATE", "NAICS", "NAICS_TITLE", "I_GROUP", "OWN_CODE",
    "OCC_CODE", "OCC_TITLE", "O_GROUP", "TOT_EMP", "EMP_PRSE", "JOBS_1000", "LOC_QUOTIENT", "PCT_TOTAL",
    "H_MEAN", "A_MEAN", "MEAN_PRSE", "H_PCT10", "H_PCT25", "H_MEDIAN", "H_PCT75", "H_PCT90",
    "A_PCT10", "A_PCT25", "A_MEDIAN", "A_PCT75", "A_PCT90", "ANNUAL", "HOURLY",
)


def years() -> list[int]:
    """May reference years from the configured first one to last year (a May release appears the next spring)."""
    return list(range(int(setting("oews_history_first_year")), datetime.now(timezone.utc).year))


def scopes() -> list[str]:
    chosen = setting("oews_history_scopes").split()
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ValueError(f"oews_history_scopes has {unknown}; choose from {sorted(SCOPES)}")
    return chosen


def url_for(year: int, scope: str) -> str:
    return f"{setting('bls_www_url')}/oes/special-requests/oesm{year % 100:02d}{scope}.zip"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
    for scope in scopes():
        for year in years():
            part = f"oesm{year % 100:02d}{scope}"
            ctx.progress(f"  {part}: May {year} {SCOPES[scope]} workbook")
            try:
                for snap in ctx.get(url_for(year, scope), source_id=SOURCE_ID, part=part, filename=f"{part}.zip",
                                    license=LICENSE, citation=CITATION, expect="zip",
                                    extra={"reference_year": year, "scope": scope}):
                    result.snapshots.append(keep_valid(ctx.store, snap, validate))
            except (FetchError, SourceFileError) as exc:
                result.unreachable[part] = str(exc)
    return result


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
            "BLS may have renamed it; map the new name in pipeline/sources/oews_history.py.",
        )
    return header, rows


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the workbook has the OEWS columns; return its number of data rows."""
    header, rows = header_and_rows(path, meta.filename)
    n = sum(1 for row in rows if row and row[0] is not None)
    if n == 0:
        raise SourceFileError(meta.filename, "has a header but no data rows.")
    return n
