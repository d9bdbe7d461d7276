"""What a page says about the sources behind it: visible notes when a source is absent from this build, the
listing of every snapshot (one anchor each), and the lineage entry of every table (one anchor each) that the
captions link to."""

from __future__ import annotations

import html

import duckdb


def source_status(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        "SELECT source_id, title, status, snapshots_in_build, snapshots_absent, note FROM meta_sources "
        "ORDER BY source_order"
    ).fetchall()
    keys = ("source_id", "title", "status", "snapshots_in_build", "snapshots_absent", "note")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def absent_note(con: duckdb.DuckDBPyConnection, source_ids: list[str] | None = None) -> str:
    """An HTML admonition naming each source (of those given) that this build lacks in whole or in part."""
    lacking = [
        s
        for s in source_status(con)
        if s["status"] != "complete" and (source_ids is None or s["source_id"] in source_ids)
    ]
    if not lacking:
        return ""
    items = "".join(
        f"<li><strong>{html.escape(s['title'])}</strong> ({html.escape(s['status'])}): {html.escape(s['note'])}</li>"
        for s in lacking
    )
    return (
        '<div class="admonition warning source-absent"><p class="admonition-title">Not in this build</p>'
        "<p>The numbers that would come from these sources are not shown, and none are estimated in their place. "
        "A maintainer brings them in with <code>make refresh</code> (see the methodology page).</p>"
        f"<ul>{items}</ul></div>"
    )


def snapshot_listing_html(con: duckdb.DuckDBPyConnection) -> str:
    """Per source: its pinned snapshots (file, URL, relation, retrieval time, size, rows, SHA-256) as HTML."""
    snaps = con.execute(
        """
        SELECT m.title, s.source_id, s.part, s.filename, s.origin, s.relation, coalesce(s.package, s.url) AS location,
               s.retrieved_at, s.sha256, s.size_bytes, s.rows, s.status, s.obtained_from, s.note,
               (SELECT string_agg(DISTINCT l.table_name || ' (' || format('{:,}', l.rows_loaded) || ' rows)', ', '
                                   ORDER BY l.table_name || ' (' || format('{:,}', l.rows_loaded) || ' rows)')
                FROM meta_table_lineage l WHERE l.sha256 = s.sha256) AS tables_loaded
        FROM meta_snapshots s JOIN meta_sources m USING (source_id)
        ORDER BY m.source_order, s.part, s.retrieved_at
        """
    ).fetchall()
    out, current = [], None
    anchored: set[str] = set()
    for (
        title,
        source_id,
        part,
        filename,
        origin,
        relation,
        location,
        retrieved,
        sha,
        size,
        rows,
        status,
        obtained_from,
        note,
        tables,
    ) in snaps:
        if source_id != current:
            if current is not None:
                out.append("</tbody></table>")
            current = source_id
            out.append(f"<h3>{_e(title)}</h3>")
            out.append(
                '<table class="report-table lineage-table snapshot-table"><thead><tr>'
                "<th>File and where it came from</th><th>Relation to the official bytes</th>"
                "<th>Retrieved (UTC)</th><th>Size and rows</th><th>SHA-256</th></tr></thead><tbody>"
            )
        if status != "in this build":
            where = f'<strong class="absent">absent from this build</strong>: {_e(note)}'
        else:
            where = f"found in the {_e(obtained_from)}"
        loaded = f"<br>loaded into {_e(tables)}" if tables else ""
        # One anchor per snapshot (a hash listed twice, e.g. absent and present, keeps the first).
        anchor = snapshot_anchor(sha) if sha and snapshot_anchor(sha) not in anchored else None
        anchored.add(anchor or "")
        out.append(
            (f'<tr id="{anchor}">' if anchor else "<tr>")
            + f'<td><strong>{_e(filename)}</strong> <span class="part">({_e(part)})</span><br>'
            f'<span class="url">{_e(location)}</span><br>{where}{loaded}</td>'
            f'<td>{_e(relation)}<br><span class="part">origin: {_e(origin)}</span></td>'
            f"<td>{_e((retrieved or '').replace('+00:00', ''))}</td>"
            f"<td>{_num(size)} bytes<br>{_num(rows)} rows</td>"
            f"<td><code>{_e(sha)}</code></td>"
            "</tr>"
        )
    if current is not None:
        out.append("</tbody></table>")
    return "\n".join(out)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _num(value) -> str:
    return "?" if value is None else f"{int(value):,}"


# ---------------------------------------------------------------- lineage entries
def table_anchor(table: str) -> str:
    return "table-" + table.replace(".", "-")


def snapshot_anchor(sha256: str) -> str:
    return f"snapshot-{sha256[:12]}"
