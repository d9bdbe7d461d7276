"""Dagster resources: where the warehouse lives, and which edition the report is for."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline.lock_reading import LockReading, read_lock_once
from pipeline.settings import Paths, paths, report_edition


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, the build directory and the lock. One writer at a time: hence the in-process executor.

    The lock is read once per run (Dagster gives each run its own copy of the resource) and every asset and check
    gets that reading. ``lock_sha256``, when the entry point sets it, is the hash of the lock it read before the
    run: the run then refuses a lock that is not that one. A lock that changes during the run stops it.
    """

    warehouse_dir: str
    build_dir: str
    edition: str = ""  # set when building an earlier edition beside the live one
    lock_sha256: str = ""  # the lock the entry point read; empty: the run's first reading is the reference
    _lock_reading: LockReading | None = PrivateAttr(default=None)

    def paths(self) -> Paths:
        return Paths(warehouse_dir=Path(self.warehouse_dir), build_dir=Path(self.build_dir),
                     edition=self.edition or None)

    def lock(self) -> dict:
        """The pins of this build: the run's one reading of the lock, after checking the file has not changed."""
        if self._lock_reading is None:
            self._lock_reading = read_lock_once(self.paths().lock_path, self.lock_sha256)
        else:
            self._lock_reading.check_unchanged()
        return self._lock_reading.pins()

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        db = self.paths().duckdb_path
        db.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(db), read_only=read_only)


class ReportParams(dg.ConfigurableResource):
    """The edition the books are for; the occupation is each book's partition key."""

    edition: str


def default_resources(lock_sha256: str = "") -> dict:
    """The resources of a build; ``lock_sha256`` pins the lock the entry point read (see WarehouseResource)."""
    p = paths()
    return {
        "warehouse": WarehouseResource(warehouse_dir=str(p.warehouse_dir), build_dir=str(p.build_dir),
                                       edition=p.edition or "", lock_sha256=lock_sha256),
        "report": ReportParams(edition=report_edition(os.environ.get("EDITION"))),
    }
