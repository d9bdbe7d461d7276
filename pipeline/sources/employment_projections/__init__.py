"""BLS Employment Projections: the occupation matrix workbook (occupation.xlsx), every edition kept.

BLS serves only the current edition at one URL, so each edition is its own part, named by its projection
period as read from the workbook ("2024-34"). A refresh that brings a new edition adds it and keeps the old.
Staging (stg_ep__occupation_projections, stg_ep__editions) is in load.py, declared in tables.py.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import BLS_LICENSE, FetchContext, FetchResult, bls_citation
from pipeline.sources.employment_projections.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.employment_projections.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.xlsx import open_workbook

SOURCE_ID = "employment_projections"
TITLE = "BLS Employment Projections: occupation matrix"
ORDER = 30  # a refresh takes the sources in this order
ASSET_NAME = "raw_ep__occupation_matrix"
STAGING_STEP = "stg_ep"
OFFICIAL_PAGE_URL = "https://www.bls.gov/emp/tables/occupational-projections-and-characteristics.htm"
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
LICENSE = BLS_LICENSE
CITATION = bls_citation("Employment Projections program, National Employment Matrix", "https://www.bls.gov/emp/")
PROJECTIONS_SHEET = "Table 1.2"
SOC_PATTERN = re.compile(r"^\d{2}-\d{4}$")


def url() -> str:
    return f"{setting('bls_www_url')}/emp/ind-occ-matrix/occupation.xlsx"


def fetch(ctx: FetchContext) -> FetchResult:
    result = FetchResult()
    ctx.progress("  occupation.xlsx: occupation matrix")
    try:
        snaps = ctx.get(
            url(),
            source_id=SOURCE_ID,
            part="occupation.xlsx",
            filename="occupation.xlsx",
            license=LICENSE,
            citation=CITATION,
            expect="xlsx",
        )
    except FetchError as exc:
        result.unreachable["occupation.xlsx"] = str(exc)
        return result
    for snap in snaps:
        path = ctx.store.object_path(snap.sha256)
        try:
            rows = validate(path, snap)
            edition = edition_of(path, snap.filename)
        except SourceFileError as exc:
            ctx.store.discard(snap.sha256)
            result.unreachable[snap.filename] = str(exc)
            continue
        snap = dataclasses.replace(
            snap,
            part=f"edition {edition}",
            filename=f"occupation_{edition}.xlsx",
            rows=rows,
            extra={**snap.extra, "edition": edition},
        )
        ctx.store.write_meta(snap)
        ctx.progress(f"    edition {edition}: {rows:,} occupations")
        result.snapshots.append(snap)
    return result


def edition_of(path: Path, filename: str) -> str:
    """The projection period from the table title: "2024–2034" or "2016 and projected 2026" -> "2024-34"."""
    title = str(_sheet(path, filename)[0][0] or "")
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", title)
    if len(years) < 2:
        raise SourceFileError(filename, f"{PROJECTIONS_SHEET} title {title!r} names no projection period.")
    return f"{years[0]}-{years[1][2:]}"


def header_row_index(rows: list[tuple], filename: str) -> int:
    """Index of the first data row: layouts differ by edition, so find it by content (a SOC code in column 2)."""
    for i, row in enumerate(rows[:12]):
        if len(row) > 1 and isinstance(row[1], str) and SOC_PATTERN.match(row[1].strip()):
            return i
    raise SourceFileError(
        filename,
        f"{PROJECTIONS_SHEET} has no row with a SOC code (NN-NNNN) in its first 12 rows.",
        "The layout changed; adjust pipeline/sources/employment_projections/__init__.py.",
    )


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the projections table is there and return its number of occupation rows."""
    rows = _sheet(path, meta.filename)
    first = header_row_index(rows, meta.filename)
    n = 0
    for row in rows[first:]:
        if len(row) < 2 or row[1] is None or not SOC_PATTERN.match(str(row[1]).strip()):
            break  # footnotes follow the last occupation
        n += 1
    return n


def _sheet(path: Path, filename: str) -> list[tuple]:
    wb = open_workbook(path, filename)
    if PROJECTIONS_SHEET not in wb.sheetnames:
        raise SourceFileError(filename, f"has no sheet {PROJECTIONS_SHEET!r} (sheets: {wb.sheetnames}).")
    return list(wb[PROJECTIONS_SHEET].iter_rows(values_only=True))
