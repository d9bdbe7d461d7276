"""The FTC pages' staging table, declared once (pipeline/sources/table_spec.py)."""

from __future__ import annotations

from pipeline.sources.table_spec import Column, TableSpec

DOCUMENTS = TableSpec(
    "stg_ftc__documents",
    "FTC non-compete rule documents: title, date, URL and a plain-text extract.",
    (
        Column("part", "VARCHAR", "The page's part slug in sources.lock (rule_page, ...).", not_null=True),
        Column("url", "VARCHAR", "The page's URL.", not_null=True),
        Column("title", "VARCHAR", "Page title, plain text.", not_null=True),
        Column("published_date", "DATE", "Publication date the page states; NULL when it states none."),
        Column("retrieved_at", "VARCHAR", "When the snapshot was retrieved (ISO 8601, UTC).", not_null=True),
        Column(
            "text_excerpt",
            "VARCHAR",
            "The page's text, plain (never HTML), cut at about 4,000 characters.",
            not_null=True,
        ),
        Column("snapshot_sha256", "VARCHAR", "SHA-256 of the page's snapshot.", not_null=True),
        Column("size_bytes", "BIGINT", "Size of the stored page.", "bytes", not_null=True),
    ),
    key=("snapshot_sha256",),
)

TABLES = (DOCUMENTS,)
