"""Read-only access to the warehouse from notebooks (source lines for captions are in present.py)."""

from __future__ import annotations

import duckdb


def connect(warehouse_path: str) -> duckdb.DuckDBPyConnection:
    # Read-only: the pipeline is the warehouse's only writer.
    return duckdb.connect(warehouse_path, read_only=True)
