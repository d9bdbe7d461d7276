"""Staging for the cited facts: ``stg_facts__regulatory_timeline`` and ``stg_facts__entry_requirements``.

``load_staging(con, store, snaps)`` runs inside a transaction the caller has opened (no BEGIN/COMMIT here). It
reads each pinned CSV snapshot with ``facts.read_facts`` (the same checks as at refresh time) and writes one row
per fact: every CSV column, typed (dates as DATE), with the snapshot's SHA-256 and the row's line number. No
clock time goes into a row: when a file was pinned is the lock's to say (meta_snapshots), and a table built
twice from the same pin is the same table.

A table whose file is not pinned is still created, empty, with the same columns.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.cited_facts.facts import BY_FILENAME, read_facts
from pipeline.sources.cited_facts.tables import TABLE_OF_FILE, TABLES
from pipeline.sources.typed_table import create_typed_table

# Loading re-checks a pinned file, which passed on the day it was pinned; "in the future" is a refresh-time rule,
# so a build judges dates against no earlier day than any a pinned file could hold.
_NO_FUTURE_LIMIT = date.max


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create both staging tables from the pinned CSV snapshots; return {table: row count}."""
    rows: dict[str, list[dict]] = {table.name: [] for table in TABLES}
    for snap in snaps:
        part = snap.part or snap.filename
        if part not in BY_FILENAME:
            raise RuntimeError(f"cited_facts: pinned part {part!r} is not one of {', '.join(BY_FILENAME)}")
        path = store.verify(snap.sha256)
        for fact in read_facts(path, BY_FILENAME[part], filename=snap.filename, today=_NO_FUTURE_LIMIT):
            rows[TABLE_OF_FILE[part].name].append({**fact, "snapshot_sha256": snap.sha256})
    counts = {}
    for table in TABLES:
        ordered = sorted(rows[table.name], key=lambda r: tuple(r[c] for c in table.key))
        text_rows = [{name: _text(r[name]) for name in table.column_names} for r in ordered]
        counts[table.name] = create_typed_table(con, table.name, table.ddl, text_rows)
    return counts


def _text(value) -> str | None:
    return None if value is None else str(value)
