"""Read-only access to the warehouse from notebooks (source lines for captions are in present.py)."""

from __future__ import annotations

import duckdb


def connect(warehouse_path: str) -> duckdb.DuckDBPyConnection:
    # A Parquet export (a folder holding manifest.json, or a URL such as s3://...) opens as views in an in-memory
    # database, so a page runs unchanged on a machine that has only the export (docs/scaling.md).
    from pipeline.report.parquet_warehouse import connect_parquet, is_parquet_warehouse

    if is_parquet_warehouse(warehouse_path):
        return connect_parquet(warehouse_path)
    # Read-only: the pipeline is the warehouse's only writer.
    return duckdb.connect(str(warehouse_path), read_only=True)
