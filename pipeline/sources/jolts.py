"""JOLTS (Job Openings and Labor Turnover Survey): openings, hires, quits and separations, monthly.

JOLTS has no occupation detail: health care and social assistance (NAICS 62) stands in for the occupation's
market, with total nonfarm as the baseline, and the book labels it a sector proxy. All parts are API queries
(``api:<first-year>-<last-year>:batch-<n>-of-<m>``); the series are few and fixed, so no lookup files are needed.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources import bls_api
from pipeline.sources.base import FetchContext, FetchResult

SOURCE_ID = "jolts"
TITLE = "Job Openings and Labor Turnover Survey (JOLTS): openings and churn, sector proxy"
LICENSE = "Public domain (U.S. Government work, BLS)"
CITATION = (
    "U.S. Bureau of Labor Statistics, Job Openings and Labor Turnover Survey (JOLTS), https://www.bls.gov/jlt/. "
    "BLS.gov cannot vouch for the data or analyses derived from these data after the data have been "
    "retrieved from BLS.gov."
)
# JOLTS revises recent months and re-benchmarks yearly: keep each vintage.
# API answers are kept as vintages, so revised values stay under both snapshots; lookup files are replaced.
KEEPS_VINTAGES = "api:"

INDUSTRIES = {"620000": "Health care and social assistance", "000000": "Total nonfarm"}
DATA_ELEMENTS = {"JO": "Job openings", "HI": "Hires", "QU": "Quits", "LD": "Layoffs and discharges",
                 "TS": "Total separations"}
RATE_LEVELS = {"L": "Level, thousands", "R": "Rate, percent"}
STATE, AREA, SIZE_CLASS = "00", "00000", "00"  # total US, all areas, all establishment sizes


def series_id(seasonal: str, industry: str, element: str, rate_level: str) -> str:
    """JT + S/U + industry (6) + state (2) + area (5) + size class (2) + data element (2) + rate/level (1)."""
    return f"JT{seasonal}{industry}{STATE}{AREA}{SIZE_CLASS}{element}{rate_level}"


def series_ids() -> list[str]:
    return [series_id(sa, ind, el, rl) for ind in INDUSTRIES for sa in ("S", "U") for el in DATA_ELEMENTS
            for rl in RATE_LEVELS]


def describe_series(series_id: str) -> str:
    """What a JOLTS series ID stands for, in words: '<element> rate (percent) in <industry>, <adjustment>'."""
    m = re.fullmatch(rf"JT([SU])([0-9A-Z]{{6}}){STATE}{AREA}{SIZE_CLASS}([A-Z]{{2}})([LR])", series_id)
    if not m:
        return "not a JOLTS series ID this book requests"
    adjusted, industry, element, rate_level = m.groups()
    name = INDUSTRIES[industry].lower() if industry in INDUSTRIES else f"JOLTS industry {industry}"
    measure = DATA_ELEMENTS[element].lower() if element in DATA_ELEMENTS else f"data element {element}"
    unit = "level (thousands)" if rate_level == "L" else "rate (percent)"
    return f"{measure} {unit} in {name}, {'seasonally adjusted' if adjusted == 'S' else 'not seasonally adjusted'}"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
    bls_api.fetch_series(ctx, result, source_id=SOURCE_ID, series_ids=series_ids(), license=LICENSE,
                         citation=CITATION, describe=describe_series)
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

from pipeline.sources.monthly_series_load import load_jolts_staging as load_staging  # noqa: E402
