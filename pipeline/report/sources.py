"""What a page says about the sources behind it: visible notes when a source is absent from this build, the
listing of every snapshot (one anchor each), and the lineage entry of every table (one anchor each) that the
captions link to."""

from __future__ import annotations

import html

import duckdb

KEYS = ("source_id", "title", "status", "snapshots_in_build", "snapshots_absent", "note")


def source_status(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Each source's status row, with ``holds`` ('data', 'documents' or None when the source does not say)."""
    declared = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meta_sources'"
        ).fetchall()
    }
    holds = "holds" if "holds" in declared else "NULL"  # older or test warehouses lack the column
    rows = con.execute(f"SELECT {', '.join(KEYS)}, {holds} FROM meta_sources ORDER BY source_order").fetchall()
    return [dict(zip((*KEYS, "holds"), row, strict=True)) for row in rows]


# What a reader misses when a source is not in the build, by what the source holds. A source of documents (the
# FTC's pages, the cited facts) holds no numbers, so its note must not speak of numbers.
MISSING_BY_KIND = {
    "data": "its numbers are not shown, and none are estimated in their place",
    "documents": "its documents are not quoted here",
}
MISSING_ANY_KIND = "nothing from it is shown, and nothing stands in for it"


def absent_note(con: duckdb.DuckDBPyConnection, source_ids: list[str] | None = None) -> str:
    """An HTML admonition naming each source (of those given) that this build lacks in whole or in part, and
    what the reader misses from each (numbers from a data source, documents from a document source)."""
    lacking = [
        s
        for s in source_status(con)
        if s["status"] != "complete" and (source_ids is None or s["source_id"] in source_ids)
    ]
    if not lacking:
        return ""
    items = "".join(
        f"<li><strong>{html.escape(s['title'])}</strong> ({html.escape(s['status'])}; "
        f"{MISSING_BY_KIND.get(s['holds'] or '', MISSING_ANY_KIND)}): {html.escape(s['note'] or '')}</li>"
        for s in lacking
    )
    return (
        '<div class="admonition warning source-absent"><p class="admonition-title">Not in this build</p>'
        "<p>This build lacks all or part of these sources, so what they hold is not shown here. "
        "A maintainer brings them in with <code>make refresh</code> (see the methodology page).</p>"
        f"<ul>{items}</ul></div>"
    )


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def table_anchor(table: str) -> str:
    return "table-" + table.replace(".", "-")


def snapshot_anchor(sha256: str) -> str:
    return f"snapshot-{sha256[:12]}"
