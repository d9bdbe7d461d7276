"""JOLTS (Job Openings and Labor Turnover Survey): openings, hires, quits and separations, monthly.

JOLTS has no occupation detail: health care and social assistance (NAICS 62) stands in for the occupation's
market, with total nonfarm as the baseline, and the book labels it a sector proxy. All parts are API queries
(``api:<first-year>-<last-year>:batch-<n>-of-<m>``); the series are few and fixed, so no lookup files are needed.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources import bls_api
from pipeline.sources.base import BLS_LICENSE, FetchContext, FetchResult, bls_citation
from pipeline.sources.jolts.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.jolts.series import DATA_ELEMENTS, INDUSTRIES, RATE_LEVELS, describe_series, series_id, series_ids  # noqa: F401
from pipeline.sources.jolts.tables import TABLES  # noqa: F401  (its staging tables)

SOURCE_ID = "jolts"
TITLE = "Job Openings and Labor Turnover Survey (JOLTS): openings and churn, sector proxy"
ORDER = 50  # a refresh takes the sources in this order
ASSET_NAME = "raw_jolts__openings_and_churn"
STAGING_STEP = "stg_jolts"
OFFICIAL_PAGE_URL = "https://www.bls.gov/jlt/"  # the page a source line links to
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
LICENSE = BLS_LICENSE
CITATION = bls_citation("Job Openings and Labor Turnover Survey (JOLTS)", OFFICIAL_PAGE_URL)
# JOLTS revises recent months and re-benchmarks yearly: keep each vintage.
# API answers are kept as vintages, so revised values stay under both snapshots; lookup files are replaced.
KEEPS_VINTAGES = "api:"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
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
    return bls_api.validate_api_json(path, meta)


def missing_data(parts: list[str]) -> str | None:
    """Why the pinned parts do not make a usable source: the monthly series come only from the BLS API."""
    if not any(part.startswith("api:") for part in parts):
        return "no BLS API answer is pinned, so the monthly series are not in this build"
    return None
