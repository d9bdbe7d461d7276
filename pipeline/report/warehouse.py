"""Read-only access to the warehouse from notebooks, and source lines for captions."""

from __future__ import annotations

import duckdb


def connect(warehouse_path: str) -> duckdb.DuckDBPyConnection:
    # Read-only: the pipeline is the warehouse's only writer.
    return duckdb.connect(warehouse_path, read_only=True)


def source_line(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """'Source: ... (snapshot abc123def456)' for the snapshots a staging table was built from."""
    rows = con.execute(
        """
        SELECT s.source_id, s.origin, s.package, substr(s.sha256, 1, 12)
        FROM meta_table_lineage l JOIN meta_snapshots s USING (sha256)
        WHERE l.table_name = ? ORDER BY s.filename
        """,
        [table],
    ).fetchall()
    release = con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0]
    hashes = ", ".join(r[3] for r in rows)
    via = f" via {rows[0][2]}" if rows and rows[0][1] == "package" else ""
    return f"Source: BLS Occupational Employment and Wage Statistics, {release}{via} (snapshot {hashes})."
