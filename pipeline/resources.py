"""Dagster resources: where the warehouse lives, and which occupation and edition the report is for."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipeline.settings import Paths, paths, setting


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse and the build directory. One writer at a time: hence the in-process executor."""

    warehouse_dir: str
    build_dir: str

    def paths(self) -> Paths:
        return Paths(warehouse_dir=Path(self.warehouse_dir), build_dir=Path(self.build_dir))

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        db = self.paths().duckdb_path
        db.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(db), read_only=read_only)


class ReportParams(dg.ConfigurableResource):
    """The report's parameters: the occupation (SOC code) and the edition name."""

    soc: str
    edition: str


def default_resources() -> dict:
    p = paths()
    return {
        "warehouse": WarehouseResource(warehouse_dir=str(p.warehouse_dir), build_dir=str(p.build_dir)),
        "report": ReportParams(soc=setting("soc"), edition=setting("edition")),
    }
