"""Project settings: paths and parameters, read from pyproject.toml and overridden by the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.lock_files import UNRECORDED, current_edition, edition_lock

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "warehouse" / "sql"  # code, not a setting: the same for every edition and folder


@lru_cache(maxsize=1)
def _pyproject_defaults() -> dict:
    with open(PROJECT_ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["occupation_book"]


def setting(name: str, default: str | None = None) -> str:
    """A project setting: the environment variable NAME wins over pyproject's [tool.occupation_book].

    ``default`` is for settings pyproject does not carry (SOURCES_MIRROR, a machine's own); without it a name
    missing from both is a KeyError, so a misspelt setting is never silently empty.
    """
    value = os.environ.get(name.upper())
    if value:
        return value
    if default is not None:
        return str(_pyproject_defaults().get(name, default))
    return str(_pyproject_defaults()[name])


def live_lock_path() -> Path:
    """The live lock: the pins `make book` builds from (SOURCES_LOCK points tests elsewhere)."""
    return Path(os.environ.get("SOURCES_LOCK") or PROJECT_ROOT / "warehouse" / "sources.lock")


@dataclass(frozen=True)
class Paths:
    """Every place the pipeline reads or writes; tests point WAREHOUSE_DIR and BUILD_DIR elsewhere.

    ``edition`` names an earlier edition built beside the live one: it reads that edition's lock and keeps its
    own DuckDB file, state and books, while sharing the content-addressed snapshot store.
    """

    warehouse_dir: Path
    build_dir: Path
    edition: str | None = None

    @property
    def snapshot_dir(self) -> Path:
        return self.warehouse_dir / "snapshots"

    @property
    def _edition_dir(self) -> Path:
        return self.warehouse_dir / "editions" / self.edition if self.edition else self.warehouse_dir

    @property
    def duckdb_path(self) -> Path:
        return self._edition_dir / "warehouse.duckdb"

    @property
    def state_dir(self) -> Path:
        # Fingerprints of the last successful step, so an unchanged rebuild does almost nothing.
        return self._edition_dir / "state"

    @property
    def lock_path(self) -> Path:
        if self.edition:
            return edition_lock(self.edition, live_lock_path())
        return live_lock_path()

    @property
    def sql_dir(self) -> Path:
        return SQL_DIR

    def for_edition(self, edition: str) -> "Paths":
        """The paths of an earlier edition (the build folder of the live one gains editions/<name>)."""
        return Paths(self.warehouse_dir, self.build_dir / "editions" / edition, edition)

    # Each occupation's book is a partition with outputs of its own, so books never share a file.
    def occupation_dir(self, soc: str) -> Path:
        return self.build_dir / soc

    def occupation_state_dir(self, soc: str) -> Path:
        return self.occupation_dir(soc) / "state"

    def book_source_dir(self, soc: str) -> Path:
        return self.occupation_dir(soc) / "src"

    def html_dir(self, soc: str) -> Path:
        return self.occupation_dir(soc) / "html"

    @property
    def site_dir(self) -> Path:
        """The catalogue site: a landing page and a copy of each occupation's book."""
        return self.build_dir / "site"


def live_paths() -> Paths:
    """The live edition's places: WAREHOUSE_DIR and BUILD_DIR, else the project's warehouse/ and book/_build/."""
    warehouse = Path(os.environ.get("WAREHOUSE_DIR") or PROJECT_ROOT / "warehouse").resolve()
    build = Path(os.environ.get("BUILD_DIR") or PROJECT_ROOT / "book" / "_build").resolve()
    return Paths(warehouse_dir=warehouse, build_dir=build)


def paths(edition: str | None = None) -> Paths:
    """The places of the edition asked for (``edition``, else EDITION), beside the live one when it is earlier."""
    live = live_paths()
    wanted = edition or os.environ.get("EDITION")
    if wanted and wanted != report_edition(None):
        return live.for_edition(wanted)
    return live


def report_edition(requested: str | None = None) -> str:
    """The edition a build is for: the one asked for, else the one the live lock records."""
    if requested:
        return requested
    return current_edition(live_lock_path()) or UNRECORDED


def catalog_socs() -> list[str]:
    """The occupations of the catalogue (CATALOG_SOCS, or pyproject's catalog_socs), in the order given."""
    return list(dict.fromkeys(setting("catalog_socs").split()))


def switch(name: str) -> bool:
    """An on/off environment switch such as STRICT=1 or RECORD_RUNS=1: unset, empty, 0, false and no are off."""
    return os.environ.get(name.upper(), "").strip().lower() not in ("", "0", "false", "no")


def user_agent() -> str:
    """User-Agent for bls.gov: BLS answers 403 to clients that carry no contact information."""
    return f"occupation-market-book/0.1 ({setting('bls_contact')})"
