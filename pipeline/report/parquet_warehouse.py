"""Open a Parquet export of the warehouse (made by pipeline.warehouse_export) as if it were the DuckDB file.

The export holds one folder per table and a manifest.json that lists each table's columns, types, row count and
whether it is split by occupation. Opening it gives an in-memory DuckDB connection with one view per table, under
the table's own name and with its columns in their original order, so every page's SQL runs unchanged. Views over
tables split by occupation read them with hive partitioning: `WHERE soc_code = ?` opens only that occupation's
files, which is what lets a book be built from object storage without downloading the whole warehouse.

A remote export is read through DuckDB's own extension (httpfs, azure) when it is installed. When it is not (a
worker without network cannot download it) and fsspec has an implementation for the URL's scheme (s3fs, gcsfs,
adlfs: the same libraries and credentials that uploaded the export), DuckDB reads through fsspec instead.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import duckdb

MANIFEST_NAME = "manifest.json"
EXPORT_FORMAT = "occupation-book-parquet-warehouse/1"

# DuckDB reads these URL schemes through an extension; anything else is refused with the list.
_EXTENSION_FOR_SCHEME = {
    "s3": "httpfs",
    "s3a": "httpfs",
    "s3n": "httpfs",
    "gs": "httpfs",
    "gcs": "httpfs",
    "r2": "httpfs",
    "http": "httpfs",
    "https": "httpfs",
    "hf": "httpfs",
    "az": "azure",
    "azure": "azure",
    "abfss": "azure",
}


class ParquetWarehouseError(RuntimeError):
    """The export cannot be opened: no manifest, an unknown format, or no way to reach its URL."""


def is_parquet_warehouse(location: str | Path) -> bool:
    """A URL (s3://, gs://, file://, ...) or a local folder that holds an export's manifest.json."""
    text = str(location)
    return "://" in text or (Path(text) / MANIFEST_NAME).is_file()


def local_folder(location: str | Path) -> Path | None:
    """The folder of a local location (a path or a file:// URL); None for a remote URL."""
    text = str(location)
    if text.startswith("file://"):
        return Path(urllib.parse.unquote(urllib.parse.urlparse(text).path))
    if "://" in text:
        return None
    return Path(text)


def connect_parquet(location: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per exported table."""
    # In memory: the views only point at the Parquet files, which nothing here writes.
    con = duckdb.connect()
    try:
        _create_views(con, location, catalog=None)
    except BaseException:
        con.close()
        raise
    return con


def attach_parquet(con: duckdb.DuckDBPyConnection, location: str | Path, alias: str) -> None:
    """Make an export readable as `<alias>.<table>` in an open connection (the Parquet twin of ATTACH ... READ_ONLY).

    For a page that compares two editions when both are exports: ``con`` must come from connect_parquet (an
    in-memory database), since a read-only DuckDB file cannot hold the views.
    """
    try:
        con.execute(f"ATTACH ':memory:' AS {_ident(alias)}")
    except duckdb.Error as exc:
        raise ParquetWarehouseError(
            f"cannot attach the export {location} as {alias}: {str(exc).strip()} Open the "
            "current warehouse from its export too (connect_parquet)."
        ) from exc
    _create_views(con, location, catalog=alias)


def read_manifest(location: str | Path, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """The export's manifest. A remote one is read through DuckDB, so reading needs nothing but DuckDB's extension."""
    folder = local_folder(location)
    if folder is not None:
        path = folder / MANIFEST_NAME
        if not path.is_file():
            raise ParquetWarehouseError(
                f"{folder} is not a Parquet export of the warehouse: it has no {MANIFEST_NAME} "
                "(make one with `python -m pipeline.warehouse_export <url>`)."
            )
        text = path.read_text()
    elif con is None:
        with duckdb.connect() as reader:
            text = _read_remote_manifest(reader, str(location))
    else:
        text = _read_remote_manifest(con, str(location))
    manifest = json.loads(text)
    if manifest.get("format") != EXPORT_FORMAT:
        raise ParquetWarehouseError(
            f"{location}: manifest format {manifest.get('format')!r}, expected "
            f"{EXPORT_FORMAT!r}; re-export with this version of the pipeline."
        )
    return manifest


def _read_remote_manifest(con: duckdb.DuckDBPyConnection, location: str) -> str:
    url = f"{location.rstrip('/')}/{MANIFEST_NAME}"
    enable_remote_reads(con, location)
    try:
        return con.execute("SELECT content FROM read_text(?)", [url]).fetchall()[0][0]
    except duckdb.Error as exc:
        raise ParquetWarehouseError(
            f"could not read {url}: {str(exc).strip()}. Check the URL, and that DuckDB has credentials for it "
            "(a DuckDB secret, e.g. CREATE PERSISTENT SECRET (TYPE s3, PROVIDER credential_chain); "
            "see docs/scaling.md)."
        ) from exc


def enable_remote_reads(con: duckdb.DuckDBPyConnection, url: str) -> str:
    """Make ``con`` able to read ``url``; return how: "duckdb" (its extension) or "fsspec".

    DuckDB's extension when it is already installed; else fsspec's implementation of the scheme when it is
    importable (no download needed); else DuckDB's extension after all, installed now (load_remote_support says
    what to do when that fails too).
    """
    scheme = url.split("://", 1)[0].lower()
    if scheme == "file":
        return "duckdb"
    extension = _EXTENSION_FOR_SCHEME.get(scheme)
    if extension is not None:
        try:
            con.load_extension(extension)
            return "duckdb"
        except duckdb.Error:
            pass  # not installed: fsspec, if it can, spares a download a worker without network cannot make
        if _register_fsspec(con, scheme):
            return "fsspec"
    load_remote_support(con, url)
    return "duckdb"


def _register_fsspec(con: duckdb.DuckDBPyConnection, scheme: str) -> bool:
    """Let DuckDB read ``scheme``:// URLs through fsspec; False when fsspec has no importable implementation."""
    try:
        import fsspec

        filesystem = fsspec.filesystem(scheme)
    except (ImportError, ValueError):  # ValueError: a scheme fsspec does not know
        return False
    protocols = filesystem.protocol if isinstance(filesystem.protocol, (list, tuple)) else [filesystem.protocol]
    if not set(protocols) & set(con.list_filesystems()):  # DuckDB refuses to register one twice
        con.register_filesystem(filesystem)
    return True


def load_remote_support(con: duckdb.DuckDBPyConnection, url: str) -> None:
    """Load the DuckDB extension that reads this URL's scheme; say what to install when it cannot be loaded."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "file":
        return
    extension = _EXTENSION_FOR_SCHEME.get(scheme)
    if extension is None:
        known = ", ".join(f"{s}://" for s in _EXTENSION_FOR_SCHEME)
        raise ParquetWarehouseError(
            f"DuckDB cannot read {scheme}:// URLs. Use a local folder, file://, or one of {known}."
        )
    try:
        con.load_extension(extension)
        return
    except duckdb.Error:
        pass  # not installed yet: try once to install it (DuckDB downloads it from its extension repository)
    try:
        con.install_extension(extension)
        con.load_extension(extension)
    except duckdb.Error as exc:
        raise ParquetWarehouseError(
            f"reading the warehouse from {url} needs DuckDB's {extension} extension, which could not be loaded "
            f"({str(exc).strip()}). On a machine with network access run "
            f"`python -c \"import duckdb; duckdb.connect().install_extension('{extension}')\"` "
            f"(it lands in ~/.duckdb/extensions; bake it into the worker image, or point DuckDB's "
            f"extension_directory at a copy), then give DuckDB credentials for the bucket, e.g. once per machine "
            f"`CREATE PERSISTENT SECRET (TYPE s3, PROVIDER credential_chain)` (needs the aws extension too) or "
            f"`CREATE PERSISTENT SECRET (TYPE gcs, KEY_ID '...', SECRET '...')`. Or install fsspec's library for "
            f"{scheme}:// (s3fs for s3://, gcsfs for gs://, adlfs for az://): the export is then read through it, "
            f"with its usual credentials. See docs/scaling.md."
        ) from exc


def table_files(root: str, table: str, entry: dict, *, recursive: bool = False) -> str:
    """The file pattern of one exported table under the export's root.

    ``recursive`` writes a split table's pattern as ``**/*.parquet``: through fsspec, s3fs lists ``*/*.parquet``
    one folder at a time (one request per occupation: 7 s per table against a local S3 server, against 0.3 s for
    one recursive listing of the same 1,104 files).
    """
    base = f"{root.rstrip('/')}/{table}"
    if not entry.get("partition_by"):
        return f"{base}/data.parquet"
    return f"{base}/**/*.parquet" if recursive else f"{base}/*/*.parquet"


def _create_views(con: duckdb.DuckDBPyConnection, location: str | Path, catalog: str | None) -> None:
    folder = local_folder(location)
    through = "duckdb" if folder is not None else enable_remote_reads(con, str(location))
    manifest = read_manifest(location, con)
    root = str(folder.resolve()) if folder is not None else str(location)
    prefix = f"{_ident(catalog)}.main." if catalog else ""
    for table, entry in manifest["tables"].items():
        select = _select(root, table, entry, recursive=through == "fsspec")
        con.execute(f"CREATE VIEW {prefix}{_ident(table)} AS {select}")


def _select(root: str, table: str, entry: dict, *, recursive: bool = False) -> str:
    columns = ", ".join(_ident(c["name"]) for c in entry["columns"])
    source = _literal(table_files(root, table, entry, recursive=recursive))
    key = entry.get("partition_by")
    if key:
        # The partition column lives in the folder name; its type is the source table's, never a guess from the
        # text (a code such as 000000 would otherwise read back as a number).
        key_type = next(c["type"] for c in entry["columns"] if c["name"] == key)
        options = f"hive_partitioning = true, hive_types = {{{_literal(key)}: {key_type}}}"
    else:
        options = "hive_partitioning = false"
    return f"SELECT {columns} FROM read_parquet({source}, {options})"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
