"""OEWS history: the national (and optionally state, metro and industry) workbooks for each May since 2020.

BLS serves each year as a zip at www.bls.gov/oes/special-requests/oesm{YY}{scope}.zip. A mirror may hold the
workbook inside it instead; the snapshot then says "member-of-archive", never "identical".
"""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.settings import setting
from pipeline.sources.base import FetchContext, FetchResult, keep_valid
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.oews_format import CITATION, LICENSE
from pipeline.sources.oews_history.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.oews_history.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.oews_history.workbook import (  # noqa: F401
    REQUIRED_COLUMNS,
    SCOPES,
    header_and_rows,
    sheet_header_and_rows,
    validate,
)

SOURCE_ID = "oews_history"
TITLE = "OEWS history: May workbooks since 2020"
ORDER = 20  # a refresh takes the sources in this order
ASSET_NAME = "raw_oews__history_workbooks"
STAGING_STEP = "stg_oews_history"
OFFICIAL_PAGE_URL = "https://www.bls.gov/oes/tables.htm"  # the page a source line links to
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so


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
                for snap in ctx.get(
                    url_for(year, scope),
                    source_id=SOURCE_ID,
                    part=part,
                    filename=f"{part}.zip",
                    license=LICENSE,
                    citation=CITATION,
                    expect="zip",
                    extra={"reference_year": year, "scope": scope},
                ):
                    result.snapshots.append(keep_valid(ctx.store, snap, validate))
            except (FetchError, SourceFileError) as exc:
                result.unreachable[part] = str(exc)
    return result
