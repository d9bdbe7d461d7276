"""Staging for the FTC non-compete rule pages: ``stg_ftc__documents``.

``load_staging(con, store, snaps)`` runs inside a transaction the caller has opened (no BEGIN/COMMIT here) and
writes one row per pinned page: ``part``, ``url``, ``title``, ``published_date`` (DATE, NULL when the page states
none), ``retrieved_at``, ``text_excerpt``, ``snapshot_sha256`` and ``size_bytes``.

Title, date and excerpt are re-extracted from the stored bytes with ``document.extract_document`` (the sidecar's
``extra`` is not trusted: it is only a convenience written at refresh time). They are **plain text**, never HTML:
script/style content is dropped and tag-like text removed. Whoever renders them must still escape them.
With no snapshot the table is still created, empty, with the same columns.
"""

from __future__ import annotations

import duckdb

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.ftc.document import extract_document, validate
from pipeline.sources.ftc.tables import DOCUMENTS
from pipeline.sources.typed_table import create_typed_table

TABLE = DOCUMENTS.name
COLUMNS = DOCUMENTS.ddl


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create stg_ftc__documents from the pinned page snapshots; return {table: row count}."""
    rows = []
    for snap in snaps:
        path = store.verify(snap.sha256)
        validate(path, snap)  # refuses a body that is not an HTML page with a title
        doc = extract_document(path)
        rows.append(
            {
                "part": snap.part or snap.filename,
                "url": snap.url,
                "title": doc["title"],
                "published_date": doc["published_date"],
                "retrieved_at": snap.retrieved_at,
                "text_excerpt": doc["text_excerpt"],
                "snapshot_sha256": snap.sha256,
                "size_bytes": str(snap.size_bytes),
            }
        )
    return {TABLE: create_typed_table(con, TABLE, COLUMNS, rows, order_by="part, retrieved_at")}
