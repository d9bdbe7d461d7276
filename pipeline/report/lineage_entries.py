"""The lineage entry of every warehouse table, for the methodology page: one anchor per table
(``#table-<name>``), each giving what made it (a mart's SQL, or the staging loader's module and description), the
tables it reads (linked) and every snapshot behind it (linked to its row in the snapshot listing,
``#snapshot-<sha256[:12]>``). Captions link here (pipeline/report/present.py)."""

from __future__ import annotations

from pipeline.lineage import mart_inputs, mart_sql_paths, staged_from
from pipeline.report.methodology import count_of, retrieved_text
from pipeline.report.sources import _e, snapshot_anchor, table_anchor
from pipeline.sources.registry import BY_ID

META_TABLES = {
    "meta_snapshots": "Every snapshot pinned for this build: URL, retrieval time, SHA-256, relation. Written by the "
    "snapshot catalogue (pipeline/assets/catalog.py) from the lock.",
    "meta_sources": "Each source's status in this build: complete, partial, absent or not pinned. Written by the "
    "snapshot catalogue (pipeline/assets/catalog.py).",
    "meta_table_lineage": "Which snapshots each staging table was loaded from, and its rows. Written by each "
    "staging step with its tables (pipeline/lineage.py).",
}


def lineage_html(con) -> str:
    """One entry per warehouse table, anchored ``#table-<name>``: what made it (the mart's SQL, or the staging
    loader's module and description), the tables it reads (linked to their entries) and every snapshot behind it
    (linked to its row in the snapshot listing, ``#snapshot-<sha256[:12]>``)."""
    con = getattr(con, "raw", con)
    marts, sql_paths = mart_inputs(), mart_sql_paths()
    loaded = con.execute(
        "SELECT table_name, any_value(source_id), max(rows_loaded) FROM meta_table_lineage GROUP BY 1 ORDER BY 1"
    ).fetchall()
    snaps_of: dict[str, list[tuple]] = {}
    for table, sha, filename, size, retrieved, relation, location in con.execute(
        """
        SELECT DISTINCT l.table_name, s.sha256, s.filename, s.size_bytes, s.retrieved_at, s.relation,
               coalesce(s.package, s.url)
        FROM meta_table_lineage l JOIN meta_snapshots s USING (sha256) ORDER BY 1, 3, 2
        """
    ).fetchall():
        snaps_of.setdefault(table, []).append((sha, filename, size, retrieved, relation, location))
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    def snapshot_items(table: str) -> str:
        items = [
            f'<li><a href="#{snapshot_anchor(sha)}"><code>{_e(sha[:12])}</code></a> {_e(filename)} '
            f"({_e(relation)}; {_e(location)}; retrieved {_e(retrieved_text(retrieved, 'in this build'))}; "
            f"{_e(_size(size))}; SHA-256 <code>{_e(sha)}</code>)</li>"
            for t in staged_from([table])
            for sha, filename, size, retrieved, relation, location in snaps_of.get(t, [])
        ]
        return f"<ul>{''.join(dict.fromkeys(items))}</ul>" if items else "<p>No snapshot of it is in this build.</p>"

    def link(table: str) -> str:
        return f'<a href="#{table_anchor(table)}"><code>{_e(table)}</code></a>'

    out = []
    for name in sorted(marts):
        sql = sql_paths[name].read_text()
        out.append(
            f'<section class="table-lineage" id="{table_anchor(name)}"><h4><code>{_e(name)}</code> (mart)</h4>'
            f"<p>Built by <code>warehouse/sql/marts/{_e(sql_paths[name].name)}</code> from "
            f"{', '.join(link(t) for t in marts[name])}.</p>"
            f'<details><summary>Its SQL</summary><pre style="max-height:24rem;overflow:auto;font-size:0.78rem">'
            f'<code class="language-sql">{_e(sql)}</code></pre></details>'
            f"<p>Snapshots behind it:</p>{snapshot_items(name)}</section>"
        )
    for table, source_id, rows in loaded:
        module, doc = _loader(source_id)
        out.append(
            f'<section class="table-lineage" id="{table_anchor(table)}"><h4><code>{_e(table)}</code> '
            f"(staging)</h4><p>Loaded by <code>{_e(module)}</code>{': ' + _e(doc) if doc else ''} "
            f"({_e(_rows(rows))}).</p><p>Snapshots behind it:</p>{snapshot_items(table)}</section>"
        )
    with_rows = {r[0] for r in loaded}
    for table in sorted(t for t in present if t.startswith(("stg_", "core_")) and t not in with_rows | set(marts)):
        out.append(
            f'<section class="table-lineage" id="{table_anchor(table)}"><h4><code>{_e(table)}</code> '
            "(staging)</h4><p>Empty in this build: no snapshot of its source is in it (see the sources "
            "above).</p></section>"
        )
    for table in sorted(t for t in present if t.startswith("seed_") and t not in with_rows):
        out.append(
            f'<section class="table-lineage" id="{table_anchor(table)}"><h4><code>{_e(table)}</code> '
            "(seed)</h4><p>Loaded by <code>pipeline/assets/seeds.py</code> from a file in "
            "<code>warehouse/seeds/</code>, as written in this repository; no snapshot is behind it.</p>"
            "</section>"
        )
    for table, description in META_TABLES.items():
        if table in present:
            out.append(
                f'<section class="table-lineage" id="{table_anchor(table)}"><h4><code>{_e(table)}</code> '
                f"(lineage)</h4><p>{_e(description)}</p></section>"
            )
    return "\n".join(out)


def _size(size) -> str:
    return "size not recorded" if size is None else count_of(size, "byte")


def _rows(rows) -> str:
    return "row count not recorded" if rows is None else count_of(rows, "row")


def _loader(source_id: str | None) -> tuple[str, str]:
    """The module that loads a source's staging tables, and the first line of its description."""
    module = BY_ID[source_id]
    doc = (module.__doc__ or "").strip().splitlines()
    loader = getattr(module, "load_staging", None)
    return (loader.__module__ if loader else module.__name__) + ".load_staging", doc[0] if doc else ""
