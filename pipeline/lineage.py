"""Lineage inside the warehouse: which snapshots each staging table was built from, and how many rows it got.

The snapshot catalogue itself (meta_snapshots, meta_sources) is written by pipeline/assets/catalog.py.
"""

from __future__ import annotations

from pipeline.snapshot_store import SnapshotMeta


def record_lineage(con, snaps: list[SnapshotMeta], counts: dict[str, int], built_at: str) -> None:
    """Replace the lineage rows of the given tables: one row per (table, snapshot) with the table's row count."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS meta_table_lineage (
            table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR, rows_loaded BIGINT, built_at VARCHAR
        )
        """
    )
    con.execute("DELETE FROM meta_table_lineage WHERE list_contains(?, table_name)", [list(counts)])
    for table, n in counts.items():
        for s in snaps:
            con.execute(
                "INSERT INTO meta_table_lineage VALUES (?, ?, ?, ?, ?)", [table, s.source_id, s.sha256, n, built_at]
            )
