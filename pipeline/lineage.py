"""Lineage inside the warehouse: the snapshot catalogue and which snapshots each staging table came from."""

from __future__ import annotations

import json

import pandas as pd

from pipeline.snapshot_store import SnapshotMeta


def record_lineage(con, snaps: list[SnapshotMeta], counts: dict[str, int], built_at: str) -> None:
    """Upsert the snapshots into meta_snapshots and replace the lineage rows of the given tables."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS meta_snapshots (
            sha256 VARCHAR PRIMARY KEY, source_id VARCHAR, filename VARCHAR, url VARCHAR, origin VARCHAR,
            relation VARCHAR, package VARCHAR, retrieved_at VARCHAR, size_bytes BIGINT, http_status INTEGER,
            etag VARCHAR, last_modified VARCHAR, license VARCHAR, citation VARCHAR, note VARCHAR, extra_json VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS meta_table_lineage (
            table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR, rows_loaded BIGINT, built_at VARCHAR
        )
        """
    )
    rows = pd.DataFrame(
        [
            {
                "sha256": s.sha256, "source_id": s.source_id, "filename": s.filename, "url": s.url,
                "origin": s.origin, "relation": s.relation, "package": s.package, "retrieved_at": s.retrieved_at,
                "size_bytes": s.size_bytes, "http_status": s.http_status, "etag": s.etag,
                "last_modified": s.last_modified, "license": s.license, "citation": s.citation, "note": s.note,
                "extra_json": json.dumps(s.extra, sort_keys=True),
            }
            for s in snaps
        ]
    )
    con.register("new_snapshots", rows)
    con.execute("DELETE FROM meta_snapshots WHERE sha256 IN (SELECT sha256 FROM new_snapshots)")
    con.execute("INSERT INTO meta_snapshots SELECT * FROM new_snapshots")
    con.unregister("new_snapshots")
    tables = list(counts)
    con.execute("DELETE FROM meta_table_lineage WHERE list_contains(?, table_name)", [tables])
    for table, n in counts.items():
        for s in snaps:
            con.execute(
                "INSERT INTO meta_table_lineage VALUES (?, ?, ?, ?, ?)", [table, s.source_id, s.sha256, n, built_at]
            )
