"""Dagster resources: the settings of a run, read when the run uses them, never when the definitions load.

Every field left at its default ("" or None) takes its value from `pipeline.settings` (the environment, then
pyproject's [tool.occupation_book]) the first time a run asks for it, so `make book`, `make dev` and the Dagster CLI
honour the same environment variables. `pipeline/build.py` resolves them once and passes them as run config, so a
run records the settings it was given.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline.lock_reading import LockReading, read_lock_once
from pipeline.settings import Paths, catalog_socs, live_paths, paths, report_edition, setting, switch


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, the build directory, the lock and where pinned bytes may be had. One writer at a time:
    hence the in-process executor.

    The lock is read once per run (Dagster gives each run its own copy of the resource) and every asset and check
    gets that reading. ``lock_sha256``, when the entry point sets it, is the hash of the lock it read before the
    run: the run then refuses a lock that is not that one. A lock that changes during the run stops it.
    """

    warehouse_dir: str = ""  # "": WAREHOUSE_DIR, else the project's warehouse/
    build_dir: str = ""  # "": BUILD_DIR, else book/_build/ (editions/<name>/ beneath it for an earlier edition)
    edition: str = ""  # an earlier edition built beside the live one; "": EDITION
    lock_sha256: str = ""  # the lock the entry point read; empty: the run's first reading is the reference
    sources_mirror: str = ""  # a folder standing in for the network; "": SOURCES_MIRROR
    snapshot_remote: str = ""  # a team's snapshot remote (fsspec URL); "": SNAPSHOT_REMOTE, else pyproject's
    strict: bool | None = None  # a pinned source that cannot be had fails the run; None: STRICT
    _lock_reading: LockReading | None = PrivateAttr(default=None)
    _paths: Paths | None = PrivateAttr(default=None)

    def paths(self) -> Paths:
        if self._paths is None:
            self._paths = self._resolve_paths()
        return self._paths

    def _resolve_paths(self) -> Paths:
        if not self.warehouse_dir and not self.build_dir:
            return paths(self.edition or None)
        # Configured: the folders are the edition's own (the entry point resolved them), as given.
        live = live_paths()
        return Paths(
            warehouse_dir=Path(self.warehouse_dir or live.warehouse_dir),
            build_dir=Path(self.build_dir or live.build_dir),
            edition=self.edition or None,
        )

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

    def is_strict(self) -> bool:
        return switch("strict") if self.strict is None else self.strict

    def mirror_root(self) -> str:
        return self.sources_mirror or setting("sources_mirror", "")

    def remote_url(self) -> str:
        return self.snapshot_remote or setting("snapshot_remote", "")

    def mirror(self):
        """The mirror that stands in for the network, or None."""
        from pipeline.mirror import Mirror

        root = self.mirror_root()
        return Mirror(Path(root)) if root else None

    def remote(self):
        """The team's snapshot remote, or None."""
        from pipeline.remote import SnapshotRemote

        url = self.remote_url()
        return SnapshotRemote(url) if url else None


class ReportParams(dg.ConfigurableResource):
    """What the books are for: the edition, the report's occupation and the catalogue's. Each book's occupation is
    its partition key; ``soc`` is the one `make book` builds when none is given."""

    edition: str = ""  # "": EDITION, else the edition the live lock records
    soc: str = ""  # "": SOC, else pyproject's soc
    catalog_socs: list[str] | None = None  # None: CATALOG_SOCS, else pyproject's catalog_socs

    def edition_name(self) -> str:
        return report_edition(self.edition or setting("edition", "") or None)

    def report_soc(self) -> str:
        return self.soc or setting("soc")

    def catalog(self) -> list[str]:
        return list(dict.fromkeys(self.catalog_socs)) if self.catalog_socs else catalog_socs()

    def book_socs(self) -> list[str]:
        """Every occupation this project publishes a book for: the report's, then the catalogue's."""
        return list(dict.fromkeys([self.report_soc(), *self.catalog()]))


class RefreshSecrets(dg.ConfigurableResource):
    """The secrets a refresh may use. Bound to ``dg.EnvVar("BLS_API_KEY")``, so Dagster records the variable's
    name, never its value; the BLS API client reads the same variable when it builds a request."""

    bls_api_key: str | None = None


def default_resources(lock_sha256: str = "") -> dict:
    """The resources of a build, every setting read when a run first uses it; ``lock_sha256`` pins the lock the
    entry point read (see WarehouseResource). With them, the IO managers that hand parameters between assets."""
    from pipeline.book_warehouse import previous_edition_outputs
    from pipeline.outputs import json_outputs

    return {
        "warehouse": WarehouseResource(lock_sha256=lock_sha256),
        "report": ReportParams(),
        "json_outputs": json_outputs,
        "previous_edition_io": previous_edition_outputs,
    }
