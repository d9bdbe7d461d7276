"""How a page shows a number: every table and chart carries its source line, its snapshot hashes, a link to
the lineage entry of each table it shows (methodology page: the SQL, the upstream tables, the snapshots) and a
CSV of the data behind it. Notebooks use ``Page``; nothing here invents or fills in a value.

    page = Page("geography", con, downloads_dir)
    display(page.table(display_df, "top_states", "The ten states with the most jobs.", data=raw_df))
    display(page.figure(chart, "state_map", alt_text="...", caption="...", data=raw_df))
    display(page.absent(["jolts"]))   # a visible note when the source is not in this build

The tables a caption names come from the data: each DataFrame a query returns carries the tables it read
(pipeline/report/warehouse.py). ``sources=[...]`` overrides that, for data no query returned as such.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc
from IPython.display import HTML

from pipeline.lineage import staged_from
from pipeline.report.sources import absent_note, table_anchor

# Where each table's lineage entry is, relative to a page (pages are siblings in notebooks/; works from file://).
LINEAGE_PAGE = "methodology.html"


def source_line(con, tables: list[str]) -> str:
    """'Source: <source title> (snapshot abc123def456, ...); ...' for the snapshots the given tables came from.

    A mart is followed to the staging tables its SQL reads. Reads about lineage are not a page's own inputs (they
    follow from the tables it shows), so they go past the recording connection.
    """
    con = getattr(con, "raw", con)
    if any(t.split(".")[-1].startswith("meta_") for t in tables):
        # A table about the snapshots themselves comes from every source of this build.
        every = con.execute("SELECT DISTINCT table_name FROM meta_table_lineage").fetchall()
        tables = [*tables, *(row[0] for row in every)]
    tables = staged_from(tables)
    rows = con.execute(
        """
        SELECT m.title, string_agg(DISTINCT substr(s.sha256, 1, 12), ', ' ORDER BY substr(s.sha256, 1, 12)),
               any_value(s.package), bool_or(s.origin = 'package')
        FROM meta_table_lineage l
        JOIN meta_snapshots s USING (sha256)
        JOIN meta_sources m ON m.source_id = s.source_id
        WHERE list_contains(?, l.table_name)
        GROUP BY m.title, m.source_order ORDER BY m.source_order
        """,
        [tables],
    ).fetchall()
    if not rows:
        return "Source: not in this build."
    parts = [
        f"{title}{' via ' + package if via_package else ''} (snapshot {hashes})"
        for title, hashes, package, via_package in rows
    ]
    return "Source: " + "; ".join(parts) + "."


def lineage_links(con, tables: list[str]) -> str:
    """'Lineage: <a href="methodology.html#table-x">x</a>, ...': one link per table shown, to its lineage entry.

    A table this build does not have (its source is absent) has no entry; the source line already says so."""
    con = getattr(con, "raw", con)
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    links = [
        f'<a class="lineage-link" href="{LINEAGE_PAGE}#{table_anchor(t)}">{html.escape(t)}</a>'
        for t in sorted(set(tables))
        if t in present
    ]
    return f'<span class="lineage-links">Lineage: {", ".join(links)}.</span>' if links else ""


def tables_shown(*frames: pd.DataFrame | pd.Series | None) -> list[str]:
    """The warehouse tables the given DataFrames (or rows of them) came from (their ``attrs["tables"]``)."""
    return sorted({t for frame in frames if frame is not None for t in frame.attrs.get("tables", [])})


def _tables(sources: list) -> list[str]:
    """Table names as given, and for a DataFrame or Series (a row the page took values from) the tables it
    came from; None (an absent row) names nothing."""
    names = {s for s in sources if isinstance(s, str)}
    return sorted(names | set(tables_shown(*(s for s in sources if isinstance(s, (pd.DataFrame, pd.Series))))))


class Page:
    def __init__(self, page: str, con, downloads_dir: str | Path):
        self.page = page
        self.con = con
        self.dir = Path(downloads_dir) / page
        self.dir.mkdir(parents=True, exist_ok=True)

    def _csv(self, name: str, data: pd.DataFrame) -> str:
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"download name {name!r}: use lower-case letters, digits and underscores")
        data.to_csv(self.dir / f"{name}.csv", index=False)
        # Pages live in notebooks/, the static folder beside it; the link works offline from the file system too.
        href = f"../_static/data/{self.page}/{name}.csv"
        return f'<a class="csv-download" href="{href}" download>Download the data (CSV)</a>'

    def _caption(
        self, caption: str, sources: list | None, name: str, data: pd.DataFrame, shown: pd.DataFrame | None = None
    ) -> str:
        tables = _tables(sources) if sources is not None else tables_shown(data, shown)
        if not tables:
            raise ValueError(
                f"page {self.page}, {name}: the data carries no warehouse tables (it was not returned "
                "by a query, or an operation dropped DataFrame.attrs); pass sources=[...] naming the "
                "tables it shows, or build it from the query's DataFrame"
            )
        return (
            f"{html.escape(caption)} {html.escape(source_line(self.con, tables))} "
            f"{lineage_links(self.con, tables)} "
            f"{self._csv(name, data)}"
        )

    def table(
        self,
        shown: pd.DataFrame,
        name: str,
        caption: str,
        *,
        data: pd.DataFrame | None = None,
        sources: list | None = None,
    ) -> HTML:
        """A formatted table (``shown``), its caption with sources, and the unformatted ``data`` as CSV.

        ``sources`` (tables, or the query DataFrames/rows the values were copied from) is for data assembled by
        hand, which carries no tables of its own."""
        body = shown.to_html(index=False, classes="report-table", escape=True, na_rep="")
        return HTML(
            f'<div class="report-table-block">{body}<p class="table-caption">'
            f"{self._caption(caption, sources, name, shown if data is None else data, shown)}</p></div>"
        )

    def figure(
        self,
        chart: alt.TopLevelMixin,
        name: str,
        *,
        alt_text: str,
        caption: str,
        data: pd.DataFrame,
        sources: list | None = None,
    ) -> HTML:
        """The chart as a static SVG image (vl-convert: no CDN), alt text that says what it shows, and a CSV."""
        if not alt_text.strip():
            raise ValueError("a figure needs alt text that says what the chart shows")
        svg = vlc.vegalite_to_svg(chart.to_json(), config={"font": "sans-serif"})
        data_uri = base64.b64encode(svg.encode()).decode()
        return HTML(
            f'<figure class="report-figure"><img src="data:image/svg+xml;base64,{data_uri}" '
            f'alt="{html.escape(alt_text, quote=True)}" style="max-width:100%;height:auto">'
            f"<figcaption>{self._caption(caption, sources, name, data)}</figcaption></figure>"
        )

    def absent(self, source_ids: list[str]) -> HTML:
        """A visible note naming each of these sources that this build lacks ('' when all are present)."""
        return HTML(absent_note(self.con, source_ids))

    def has(self, source_id: str) -> bool:
        status = self.con.execute("SELECT status FROM meta_sources WHERE source_id = ?", [source_id]).fetchall()
        return bool(status) and status[0][0] == "complete"
