"""Project settings: paths and parameters, read from pyproject.toml and overridden by the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def _pyproject_defaults() -> dict:
    with open(PROJECT_ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["occupation_book"]


def setting(name: str) -> str:
    """A project setting: the environment variable NAME wins over pyproject's [tool.occupation_book]."""
    value = os.environ.get(name.upper())
    if value:
        return value
    return str(_pyproject_defaults()[name])


@dataclass(frozen=True)
class Paths:
    """Every place the pipeline reads or writes; tests point WAREHOUSE_DIR and BUILD_DIR elsewhere."""

    warehouse_dir: Path
    build_dir: Path

    @property
    def snapshot_dir(self) -> Path:
        return self.warehouse_dir / "snapshots"

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def state_dir(self) -> Path:
        # Fingerprints of the last successful step, so an unchanged rebuild does almost nothing.
        return self.warehouse_dir / "state"

    @property
    def lock_path(self) -> Path:
        return Path(os.environ.get("SOURCES_LOCK") or PROJECT_ROOT / "warehouse" / "sources.lock")

    @property
    def sql_dir(self) -> Path:
        return PROJECT_ROOT / "warehouse" / "sql"

    @property
    def book_src_dir(self) -> Path:
        return PROJECT_ROOT / "book"

    @property
    def html_dir(self) -> Path:
        return self.build_dir / "html"


def paths() -> Paths:
    warehouse = Path(os.environ.get("WAREHOUSE_DIR") or PROJECT_ROOT / "warehouse")
    build = Path(os.environ.get("BUILD_DIR") or PROJECT_ROOT / "book" / "_build")
    return Paths(warehouse_dir=warehouse.resolve(), build_dir=build.resolve())


def user_agent() -> str:
    """User-Agent for bls.gov: BLS answers 403 to clients that carry no contact information."""
    return f"occupation-market-book/0.1 ({setting('bls_contact')})"
