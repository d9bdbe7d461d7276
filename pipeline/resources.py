"""Dagster resources: where the warehouse lives, and which edition the report is for."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.settings import Paths, paths, report_edition


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse and the build directory. One writer at a time: hence the in-process executor."""

    warehouse_dir: str
    build_dir: str
    edition: str = ""  # set when building an earlier edition beside the live one

    def paths(self) -> Paths:
        return Paths(warehouse_dir=Path(self.warehouse_dir), build_dir=Path(self.build_dir),
                     edition=self.edition or None)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        db = self.paths().duckdb_path
        db.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(db), read_only=read_only)


class ReportParams(dg.ConfigurableResource):
    """The edition the books are for; the occupation is each book's partition key."""

    edition: str


def default_resources() -> dict:
    p = paths()
    return {
        "warehouse": WarehouseResource(warehouse_dir=str(p.warehouse_dir), build_dir=str(p.build_dir),
                                       edition=p.edition or ""),
        "report": ReportParams(edition=report_edition(os.environ.get("EDITION"))),
    }
