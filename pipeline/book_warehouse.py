"""Where an occupation's book reads the warehouse: the DuckDB file, or the Parquet export a team shares.

WAREHOUSE_URL (environment) names an export made by pipeline.warehouse_export (a folder, file://, s3://, gs://...).
Book partitions that run on other machines set it; unset, a book reads the DuckDB file the warehouse job wrote.
PREVIOUS_WAREHOUSE_URL names the previous edition's export, for the "What changed" page on such a machine.
The warehouse job itself never reads either: it always writes the DuckDB file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dagster as dg

from pipeline.outputs import JsonOutputs
from pipeline.report.parquet_warehouse import is_parquet_warehouse, read_manifest


def book_warehouse_location(duckdb_path: str | Path) -> str:
    """What a book's pages open with pipeline.report.warehouse.connect."""
    return os.environ.get("WAREHOUSE_URL") or str(duckdb_path)


def warehouse_identity(location: str) -> str | None:
    """For an export, a hash of its tables' contents and its edition; None for a DuckDB file.

    A book's steps fingerprint their inputs to skip work that is current. On a machine with only the export, the
    warehouse's own step fingerprints are not there, so this stands in for them: it changes when an export's data
    does, and not when the same data is exported again.
    """
    if not is_parquet_warehouse(location):
        return None
    manifest = read_manifest(location)
    parts = [manifest.get("edition") or "", manifest.get("snapshots_sha256") or ""]
    parts += [f"{table}:{entry['sha256']}" for table, entry in sorted(manifest["tables"].items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def previous_edition_from_exports() -> dict:
    """On a worker that has only the exports: the previous edition is the one PREVIOUS_WAREHOUSE_URL names."""
    url = os.environ.get("PREVIOUS_WAREHOUSE_URL")
    if not url:
        return {
            "previous_edition": None,
            "previous_warehouse_path": None,
            "previous_edition_error": "this build reads a shared export (WAREHOUSE_URL) and was given no "
            "PREVIOUS_WAREHOUSE_URL to compare with",
        }
    return {
        "previous_edition": read_manifest(url).get("edition"),
        "previous_warehouse_path": url,
        "previous_edition_error": None,
    }


class PreviousEditionOutputs(JsonOutputs):
    """How a book learns the edition before this one and where its warehouse is, for the "What changed" page.

    On the warehouse's machine it is the previous_edition_warehouse asset's output. A worker that reads a shared
    export (WAREHOUSE_URL) has neither that asset's output nor its warehouse: PREVIOUS_WAREHOUSE_URL's manifest
    stands in for both.
    """

    def load_input(self, context: dg.InputContext) -> dict:
        if os.environ.get("WAREHOUSE_URL"):
            return previous_edition_from_exports()
        return super().load_input(context)


@dg.io_manager(
    required_resource_keys={"warehouse"},
    description="The previous edition's whereabouts: the warehouse's output, or the shared exports'.",
)
def previous_edition_outputs(_) -> PreviousEditionOutputs:
    return PreviousEditionOutputs()
