"""Export the warehouse to Parquet at any fsspec URL, one file per occupation.

Run it as `python -m pipeline.warehouse_export <url>`.

This is the shared warehouse of a team whose occupation books run on other machines (docs/scaling.md): the
DuckDB file keeps its single writer, and the books read the export through pipeline.report.warehouse.connect.

Layout under <url>:
  <table>/soc_code=<SOC>/data.parquet      the marts and staging tables the pages query by soc_code (hive layout:
                                           a book opens only its own occupation's files)
  <table>/occupation_code=<code>/data.parquet   stg_oews__cells, keyed by the SOC code without its dash
  <table>/data.parquet                     every other table (meta_*, lookups, monthly series, unqueried staging)
  manifest.json                            each table's columns, types, rows and files; the edition it came from

Every table is exported, so any query that runs on the DuckDB file runs on the export. Only the tables the pages
query are split by occupation: two staging tables that carry a soc_code are read by no page (the pages name them
only to look up their snapshots in meta_table_lineage), and split they would add 2,647 files and a quarter of the
export's bytes for 2% of its rows; they are written whole. docs/scaling.md has the counts.

Writes never leave a half-written export behind: locally the export is written into a hidden sibling folder and
renamed over the old one; to object storage every data file is uploaded before manifest.json, and files of the
previous export that the new one lacks are removed last (write each edition to its own prefix to make even that
window irrelevant).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.report.parquet_warehouse import EXPORT_FORMAT, MANIFEST_NAME, connect_parquet, local_folder

# The occupation key a table is split on, in order of preference. stg_oews__cells names occupations by the OEWS
# code (SOC without the dash), and it is the largest table the books read, so it is split too.
PARTITION_KEYS = ("soc_code", "occupation_code")
# Tables with an occupation key that no page queries (grep of book/notebooks and pipeline/report; a test keeps
# this true): a book never opens them, so splitting them per occupation would only multiply files.
NOT_QUERIED_BY_PAGES = frozenset({"stg_ep__occupation_projections", "stg_oews__history_cells"})


class ExportError(RuntimeError):
    """The export was refused or did not read back as written; the previous export is untouched."""


def export_parquet(duckdb_path: str | Path, url: str, *, edition: str | None = None) -> dict:
    """Export every table of the DuckDB file at ``duckdb_path`` to ``url``; return the manifest written."""
    duckdb_path = Path(duckdb_path)
    if not duckdb_path.is_file():
        raise ExportError(
            f"no warehouse at {duckdb_path}: build it first (`python -m pipeline.build --warehouse-only`)."
        )
    folder = local_folder(url)
    if folder is not None:
        return _export_to_folder(duckdb_path, folder.resolve(), edition)
    with tempfile.TemporaryDirectory(prefix="warehouse-export-") as tmp:
        staged = Path(tmp) / "export"
        manifest = write_export(duckdb_path, staged, edition)
        _upload(staged, url)
    return manifest


def write_export(duckdb_path: Path, folder: Path, edition: str | None) -> dict:
    """Write every table and then the manifest into ``folder`` (which must not exist), and check it reads back."""
    folder.mkdir(parents=True)
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        # One thread: parallel partitioned writes interleave rows differently from run to run, so the same
        # warehouse gave different bytes (and table hashes). Writing thousands of small files is bound by per-file
        # overhead, so one thread was no slower (measured 5.3 s against 5.1-5.4 s for stg_oews__cells).
        con.execute("SET threads = 1")
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        entries = {table: _export_table(con, table, folder) for table in tables}
        manifest = {
            "format": EXPORT_FORMAT,
            "edition": edition,
            "snapshots_sha256": _snapshots_sha256(con, tables),
            "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duckdb_version": duckdb.__version__,
            "tables": entries,
        }
    # The manifest goes last: a folder without one is never mistaken for an export.
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n")
    _check_reads_back(folder, manifest)
    return manifest


def _export_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> dict:
    columns = [{"name": name, "type": kind} for name, kind, *_ in con.execute(f"DESCRIBE {_ident(table)}").fetchall()]
    rows = con.execute(f"SELECT count(*) FROM {_ident(table)}").fetchall()[0][0]
    names = {c["name"] for c in columns}
    # An empty table has no partitions to write, so it is written whole: its schema still has to be readable.
    split = rows > 0 and table not in NOT_QUERIED_BY_PAGES
    key = next((k for k in PARTITION_KEYS if k in names), None) if split else None
    entry = {"rows": rows, "partition_by": key, "columns": columns}
    target = folder / table
    if key:
        keys = con.execute(f"SELECT count(DISTINCT {_ident(key)}) FROM {_ident(table)}").fetchall()[0][0]
        # One open file per occupation, so that each partition is written as exactly one file.
        con.execute(f"SET partitioned_write_max_open_files = {keys + 1}")
        con.execute(
            f"COPY (SELECT * FROM {_ident(table)}) TO {_literal(str(target))} "
            f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({_ident(key)}), FILENAME_PATTERN 'data_{{i}}')"
        )
        files = _name_partition_files(target)
    else:
        target.mkdir()
        con.execute(
            f"COPY {_ident(table)} TO {_literal(str(target / 'data.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
        )
        files = [target / "data.parquet"]
    entry["files"] = len(files)
    entry["bytes"] = sum(f.stat().st_size for f in files)
    entry["sha256"] = _files_sha256(files, folder)
    return entry


def _files_sha256(files: list[Path], folder: Path) -> str:
    """SHA-256 over a table's files (names and bytes): it changes when the data does, and not when the same data is
    exported again by the same DuckDB version (see the one-thread note in write_export)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _name_partition_files(table_dir: Path) -> list[Path]:
    """Rename each partition's single file to data.parquet, the name the layout promises."""
    files = []
    for part in sorted(p for p in table_dir.iterdir() if p.is_dir()):
        written = list(part.glob("*.parquet"))
        if len(written) != 1:
            raise ExportError(f"{part}: DuckDB wrote {len(written)} files for one partition, expected 1")
        files.append(written[0].rename(part / "data.parquet"))
    return files


def _snapshots_sha256(con: duckdb.DuckDBPyConnection, tables: list[str]) -> str | None:
    """SHA-256 of which pinned bytes the warehouse was built from (meta_snapshots: source, part, hash, status).

    Only those columns: where a build found the bytes (store, mirror, remote) varies between machines, but the
    edition is the same when the same bytes went in.
    """
    if "meta_snapshots" not in tables:
        return None
    rows = con.execute("SELECT source_id, part, sha256, status FROM meta_snapshots ORDER BY ALL").fetchall()
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def _check_reads_back(folder: Path, manifest: dict) -> None:
    """Read each table back as the books will (same views) and compare row counts and column types."""
    with connect_parquet(folder) as exported:
        for table, entry in manifest["tables"].items():
            source_types = [(c["name"], c["type"]) for c in entry["columns"]]
            read_types = [(name, kind) for name, kind, *_ in exported.execute(f"DESCRIBE {_ident(table)}").fetchall()]
            rows = exported.execute(f"SELECT count(*) FROM {_ident(table)}").fetchall()[0][0]
            if read_types != source_types or rows != entry["rows"]:
                raise ExportError(
                    f"{table} does not read back as written: {rows} rows of {read_types}, "
                    f"expected {entry['rows']} rows of {source_types}"
                )


def _export_to_folder(duckdb_path: Path, target: Path, edition: str | None) -> dict:
    if target.exists() and not (target / MANIFEST_NAME).is_file() and (target.is_file() or any(target.iterdir())):
        raise ExportError(f"refusing to replace {target}: it is not an earlier export (no {MANIFEST_NAME}).")
    target.parent.mkdir(parents=True, exist_ok=True)
    # A sibling, so the final rename stays on one file system (and is atomic there).
    staging = target.with_name(f".{target.name}.export-{uuid.uuid4().hex[:8]}")
    try:
        manifest = write_export(duckdb_path, staging, edition)
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing target is set aside first and put back if the rename fails."""
    if not target.exists():
        os.rename(new, target)
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.replaced-{uuid.uuid4().hex[:8]}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _upload(staged: Path, url: str) -> None:
    """Copy a finished export to object storage: data files, then the manifest, then remove what is stale."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    existing = set(fs.find(root)) if fs.exists(root) else set()
    if existing and f"{root}/{MANIFEST_NAME}" not in existing:
        raise ExportError(
            f"refusing to write into {url}: it holds files but no {MANIFEST_NAME}, so it is not an earlier export."
        )
    data = sorted(p for p in staged.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    remote = [f"{root}/{p.relative_to(staged).as_posix()}" for p in data]
    if data:
        fs.put([str(p) for p in data], remote)  # a list: fsspec's object stores upload it concurrently
    # A reader that finds the new manifest finds every file it describes.
    fs.put_file(str(staged / MANIFEST_NAME), f"{root}/{MANIFEST_NAME}")
    stale = sorted(existing - set(remote) - {f"{root}/{MANIFEST_NAME}"})
    if stale:
        fs.rm(stale)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", help="where to write: a folder, file:///..., s3://bucket/prefix, gs://bucket/prefix, ..."
    )
    args = parser.parse_args(argv)

    from pipeline.lock import read_lock
    from pipeline.settings import paths

    p = paths()
    try:
        edition = read_lock(p.lock_path).get("edition")
    except Exception as exc:  # an unreadable lock does not stop an export; the manifest then names no edition
        print(f"warning: no edition recorded ({exc})", file=sys.stderr)
        edition = None
    started = time.perf_counter()
    try:
        manifest = export_parquet(p.duckdb_path, args.url, edition=edition)
    except ExportError as exc:
        print(f"\nEXPORT STOPPED: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    tables = manifest["tables"].values()
    size = sum(t["bytes"] for t in tables)
    print(
        f"Exported {len(manifest['tables'])} tables, {sum(t['rows'] for t in tables):,} rows, "
        f"{sum(t['files'] for t in tables):,} files, {size / 2**20:.1f} MiB to {args.url} in {seconds:.1f} s "
        f"(edition {edition or 'not recorded'}, snapshots {str(manifest['snapshots_sha256'])[:12]})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
