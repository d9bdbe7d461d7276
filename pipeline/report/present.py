"""How a page shows a number: every table and chart carries its source line, its snapshot hashes and a CSV
of the data behind it, linked beside it. Notebooks use ``Page``; nothing here invents or fills in a value.

    page = Page("geography", con, downloads_dir)
    display(page.table(display_df, "top_states", "The ten states with the most jobs.",
                       data=raw_df, sources=["stg_oews__cells"]))
    display(page.figure(chart, "state_map", alt_text="...", caption="...", data=raw_df, sources=[...]))
    display(page.absent(["jolts"]))   # a visible note when the source is not in this build
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

from pipeline.report.sources import absent_note


def source_line(con, tables: list[str]) -> str:
    """'Source: <source title> (snapshot abc123def456, ...); ...' for the snapshots the given tables came from."""
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
    parts = [f"{title}{' via ' + package if via_package else ''} (snapshot {hashes})"
             for title, hashes, package, via_package in rows]
    return "Source: " + "; ".join(parts) + "."


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

    def _caption(self, caption: str, sources: list[str], name: str, data: pd.DataFrame) -> str:
        return (f"{html.escape(caption)} {html.escape(source_line(self.con, sources))} "
                f"{self._csv(name, data)}")

    def table(self, shown: pd.DataFrame, name: str, caption: str, *, data: pd.DataFrame | None = None,
              sources: list[str]) -> HTML:
        """A formatted table (``shown``), its caption with sources, and the unformatted ``data`` as CSV."""
        body = shown.to_html(index=False, classes="report-table", escape=True, na_rep="")
        return HTML(f'<div class="report-table-block">{body}<p class="table-caption">'
                    f"{self._caption(caption, sources, name, shown if data is None else data)}</p></div>")

    def figure(self, chart: alt.TopLevelMixin, name: str, *, alt_text: str, caption: str, data: pd.DataFrame,
               sources: list[str]) -> HTML:
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
