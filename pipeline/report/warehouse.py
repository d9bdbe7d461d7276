"""Read-only access to the warehouse from notebooks (source lines for captions are in present.py).

The connection a page gets records which warehouse tables each of its queries reads (DuckDB parses the SQL,
pipeline.lineage.tables_read). Two things follow from that record:

- every DataFrame a query returns carries its tables in ``df.attrs["tables"]``, so a caption names the sources of
  the data it shows without the page typing them;
- the tables a whole page read are written beside its executed notebook (``recorded_reads``), and checked
  against the page's committed declaration, book/page_inputs.json (pipeline/page_inputs.py).
"""

from __future__ import annotations

from typing import Any

import duckdb

from pipeline.lineage import tables_read
from pipeline.report.parquet_warehouse import connect_parquet, is_parquet_warehouse

# The tables the pages executed in this kernel read since recording started; one page runs at a time per kernel.
_reads: set[str] = set()
# The connections the page running in this kernel opened, closed when it ends (close_all): a read-only handle left
# open would block the next build's writer, and waiting for the garbage collector to find it costs every page.
_opened: list[duckdb.DuckDBPyConnection] = []


def start_recording() -> None:
    _reads.clear()


def recorded_reads() -> list[str]:
    return sorted(_reads)


def connect(warehouse_path: str) -> "RecordingConnection":
    # A Parquet export (a folder holding manifest.json, or a URL such as s3://...) opens as views in an in-memory
    # database, so a page runs unchanged on a machine that has only the export (docs/scaling.md).
    if is_parquet_warehouse(warehouse_path):
        con = connect_parquet(warehouse_path)
    else:
        con = duckdb.connect(str(warehouse_path), read_only=True)  # the pipeline is the warehouse's only writer
    _opened.append(con)
    return RecordingConnection(con)


def close_all() -> None:
    """Close every connection opened since the last call (the kernel runs this when a page ends)."""
    while _opened:
        _opened.pop().close()


def tag(frame, tables) -> Any:
    """Mark a DataFrame with the warehouse tables its rows came from (read by present.Page captions)."""
    frame.attrs["tables"] = sorted(set(frame.attrs.get("tables", [])) | set(tables))
    return frame


class RecordingConnection:
    """A DuckDB connection that notes the tables each query reads; everything else is DuckDB's own."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.raw = con  # unrecorded: for reads about lineage itself (present.source_line)

    def _note(self, sql: str) -> frozenset[str]:
        tables = tables_read(sql) if isinstance(sql, str) else frozenset()
        _reads.update(tables)
        return tables

    def execute(self, query, parameters=None) -> "_Result":
        tables = self._note(query)
        return _Result(
            self.raw.execute(query, parameters) if parameters is not None else self.raw.execute(query), tables
        )

    def sql(self, query, *args, **kwargs) -> "_Result":
        return _Result(self.raw.sql(query, *args, **kwargs), self._note(query))

    query = sql

    def table(self, name: str) -> "_Result":
        return _Result(self.raw.table(name), self._note(f"SELECT * FROM {name}"))

    def __getattr__(self, name: str):
        return getattr(self.raw, name)

    def __enter__(self) -> "RecordingConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


class _Result:
    """A query's result (DuckDB's connection or relation) whose DataFrames carry the tables the query read."""

    def __init__(self, result, tables: frozenset[str]):
        self._result, self._tables = result, tables

    def df(self, *args, **kwargs):
        return tag(self._result.df(*args, **kwargs), self._tables)

    fetchdf = df
    fetch_df = df

    def __getattr__(self, name: str):
        return getattr(self._result, name)

    def __iter__(self):
        return iter(self._result)
