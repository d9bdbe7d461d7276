"""CES (Current Employment Statistics): monthly all-employee counts for the occupation's industries.

Parts: the lookup files ``ce.industry`` and ``ce.datatype`` (LABSTAT flat files; the mirror holds them), and the
API queries ``api:<first-year>-<last-year>:batch-<n>-of-<m>`` (network only). The series are in series.py.
"""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources import bls_api
from pipeline.sources.base import BLS_LICENSE, FetchContext, FetchResult, bls_citation
from pipeline.sources.ces.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.ces.series import DATA_TYPE_ALL_EMPLOYEES, LOOKUPS, SERIES_INDUSTRIES, describe_series, series_ids  # noqa: F401
from pipeline.sources.ces.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.errors import SourceFileError

SOURCE_ID = "ces"
TITLE = "Current Employment Statistics (CES): monthly employment by industry"
ORDER = 40  # a refresh takes the sources in this order
ASSET_NAME = "raw_ces__industry_employment"
STAGING_STEP = "stg_ces"
OFFICIAL_PAGE_URL = "https://www.bls.gov/ces/"  # the page a source line links to
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
LICENSE = BLS_LICENSE
CITATION = bls_citation("Current Employment Statistics (CES)", OFFICIAL_PAGE_URL)
# BLS revises CES estimates for months after first publication (and at each annual benchmark): keep each vintage.
# API answers are kept as vintages, so revised values stay under both snapshots; lookup files are replaced.
KEEPS_VINTAGES = "api:"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
    base = setting("bls_download_url").rstrip("/") + "/pub/time.series/ce/"
    for name in LOOKUPS:
        ctx.progress(f"  {name}")
        bls_api.store_checked(
            ctx,
            result,
            name,
            functools.partial(
                ctx.get,
                base + name,
                source_id=SOURCE_ID,
                part=name,
                filename=name,
                license=LICENSE,
                citation=CITATION,
                expect="text",
            ),
            validate,
        )
    bls_api.fetch_series(
        ctx,
        result,
        source_id=SOURCE_ID,
        series_ids=series_ids(),
        license=LICENSE,
        citation=CITATION,
        describe=describe_series,
    )
    return result


# API answers differ byte-wise on every call; a refresh compares the data they carry instead.
content_fingerprint = bls_api.content_fingerprint


def validate(path: Path, meta: SnapshotMeta) -> int:
    if meta.part.startswith("api:") or meta.filename.endswith(".json"):
        return bls_api.validate_api_json(path, meta)
    name = meta.part or meta.filename
    if name not in LOOKUPS:
        raise SourceFileError(meta.filename, f"is not a CES part this source knows (part {meta.part!r}).")
    return validate_lookup(path, meta.filename, LOOKUPS[name])


def validate_lookup(path: Path, filename: str, header: list[str]) -> int:
    """A LABSTAT mapping file: tab-separated, space padded, CRLF or LF. Returns the number of data lines."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t") if any(f.strip() for f in row)]
    found = [f.strip().lower() for f in rows[0]] if rows else []
    if found != header:
        raise SourceFileError(
            filename,
            f"has header {found!r}; expected {header!r}.",
            "Is it the BLS mapping file, or an error page saved in its place?",
        )
    for lineno, row in enumerate(rows[1:], start=2):
        # Some LABSTAT files end rows with a trailing tab, i.e. one empty extra field.
        if len(row) not in (len(header), len(header) + 1):
            raise SourceFileError(filename, f"data line {lineno} has {len(row)} fields, expected {len(header)}.")
    if len(rows) < 2:
        raise SourceFileError(filename, "has a header but no data lines.")
    return len(rows) - 1


def missing_data(parts: list[str]) -> str | None:
    """Why the pinned parts do not make a usable source: the monthly series come only from the BLS API."""
    if not any(part.startswith("api:") for part in parts):
        return "no BLS API answer is pinned, so the monthly series are not in this build"
    return None
