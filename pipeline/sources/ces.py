"""CES (Current Employment Statistics): monthly all-employee counts for the occupation's industries.

Parts: the lookup files ``ce.industry`` and ``ce.datatype`` (LABSTAT flat files; the mirror holds them), and the
API queries ``api:<first-year>-<last-year>:batch-<n>-of-<m>`` (network only). Series IDs are
``CE`` + S/U + industry code (8) + data type (2) (FORMATS.md section 3); data type 01 is all employees, thousands.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources import bls_api
from pipeline.sources.base import FetchContext, FetchResult
from pipeline.sources.errors import SourceFileError

SOURCE_ID = "ces"
TITLE = "Current Employment Statistics (CES): monthly employment by industry"
LICENSE = "Public domain (U.S. Government work, BLS)"
CITATION = (
    "U.S. Bureau of Labor Statistics, Current Employment Statistics (CES), https://www.bls.gov/ces/. "
    "BLS.gov cannot vouch for the data or analyses derived from these data after the data have been "
    "retrieved from BLS.gov."
)
# BLS revises CES estimates for months after first publication (and at each annual benchmark): keep each vintage.
# API answers are kept as vintages, so revised values stay under both snapshots; lookup files are replaced.
KEEPS_VINTAGES = "api:"

DATA_TYPE_ALL_EMPLOYEES = "01"  # "ALL EMPLOYEES, THOUSANDS" in ce.datatype

# (CES industry code, NAICS code as ce.industry writes it, label, setting id), each checked in the real ce.industry.
# Every setting of DESIGN.md is published by CES, so none is missing here. publishing_status in ce.industry
# differs (A for most, B for 611100, E for 622300) and its codes are not documented in the files we hold,
# so both S and U are requested for every industry and the empty ones are recorded per answer.
SERIES_INDUSTRIES: tuple[tuple[str, str, str, str], ...] = (
    ("65621340", "62134", "Offices of physical, occupational and speech therapists, and audiologists", "outpatient"),
    ("65622100", "6221", "General medical and surgical hospitals", "acute_hospital"),
    ("65622300", "6223", "Specialty, except psychiatric and substance abuse, hospitals", "inpatient_rehab"),
    ("65621600", "6216", "Home health care services", "home_health"),
    ("65623100", "6231", "Skilled nursing care facilities", "skilled_nursing"),
    ("60561300", "5613", "Employment services", "staffing_agency"),
    # Private schools only: public schools are in CES "Local government education" (90931611), which has no NAICS
    # detail; OEWS 611100 covers both, so this is a partial proxy.
    ("65611100", "6111", "Private elementary and secondary schools", "school"),
    ("65620000", "62", "Health care and social assistance", "baseline_health_care"),
    ("00000000", "-", "Total nonfarm", "baseline_total_nonfarm"),
)

# Lookup file -> the header BLS writes (FORMATS.md section 3, seen in the real files).
LOOKUPS: dict[str, list[str]] = {
    "ce.industry": ["industry_code", "naics_code", "publishing_status", "industry_name", "display_level",
                    "selectable", "sort_sequence"],
    "ce.datatype": ["data_type_code", "data_type_text"],
}


def series_ids() -> list[str]:
    """Seasonally adjusted and not, for every industry: CES… and CEU…"""
    return [f"CE{sa}{code}{DATA_TYPE_ALL_EMPLOYEES}" for code, *_ in SERIES_INDUSTRIES for sa in ("S", "U")]


def describe_series(series_id: str) -> str:
    """What a CES series ID stands for: 'employment (all employees, thousands) in <industry>, <adjustment>'."""
    m = re.fullmatch(r"CE([SU])(\d{8})(\d{2})", series_id)
    if not m:
        return "not a CES series ID"
    adjusted, code, data_type = m.groups()
    known = {c: (naics, label[0].lower() + label[1:]) for c, naics, label, _ in SERIES_INDUSTRIES}
    naics, label = known.get(code, ("-", f"CES industry {code}"))
    industry = label + (f" (NAICS {naics})" if naics != "-" else "")
    measure = ("employment (all employees, thousands)" if data_type == DATA_TYPE_ALL_EMPLOYEES
               else f"CES data type {data_type}")
    return f"{measure} in {industry}, {'seasonally adjusted' if adjusted == 'S' else 'not seasonally adjusted'}"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
    base = setting("bls_download_url").rstrip("/") + "/pub/time.series/ce/"
    for name in LOOKUPS:
        ctx.progress(f"  {name}")
        bls_api.store_checked(
            ctx, result, name,
            lambda name=name: ctx.get(base + name, source_id=SOURCE_ID, part=name, filename=name, license=LICENSE,
                                      citation=CITATION, expect="text"),
            validate,
        )
    bls_api.fetch_series(ctx, result, source_id=SOURCE_ID, series_ids=series_ids(), license=LICENSE,
                         citation=CITATION, describe=describe_series)
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
        raise SourceFileError(filename, f"has header {found!r}; expected {header!r}.",
                              "Is it the BLS mapping file, or an error page saved in its place?")
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

from pipeline.sources.monthly_series_load import load_ces_staging as load_staging  # noqa: E402
