"""The catalogue's landing page: the occupations side by side, each linked to its own book.

One static HTML file with no scripts and no external requests, so it opens offline like the books. Every number
is read from the warehouse marts; a number BLS did not publish says so instead of showing a blank or a zero.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc

from pipeline.lineage import tables_read
from pipeline.report.format import count, pct, usd, usd_hourly
from pipeline.report.present import source_line

COMPARISON_SQL = """
SELECT n.soc_code, n.occupation_title, n.reference_period,
       n.employment_count, n.annual_median_wage_usd, n.annual_median_wage_usd_flag, n.hourly_median_wage_usd,
       e.edition AS projections_edition, e.employment_change_pct, e.openings_annual_avg_persons
FROM mart_oews__national_wages n
LEFT JOIN mart_ep__occupation_outlook e ON e.soc_code = n.soc_code AND e.is_latest_edition
WHERE list_contains(?, n.soc_code)
"""
# The tables the comparison reads, as DuckDB parses it; the source line follows them to their snapshots.
TABLES = sorted(tables_read(COMPARISON_SQL))


def comparison(con, socs: list[str]) -> pd.DataFrame:
    """One row per occupation, in the catalogue's order."""
    frame = con.execute(COMPARISON_SQL, [socs]).df()
    return frame.set_index("soc_code").loc[[s for s in socs if s in set(frame["soc_code"])]].reset_index()


def _median_pay(row) -> str:
    if pd.notna(row.annual_median_wage_usd):
        return usd(row.annual_median_wage_usd)
    if row.annual_median_wage_usd_flag == "wage_basis_not_published" and pd.notna(row.hourly_median_wage_usd):
        return f"{usd_hourly(row.hourly_median_wage_usd)} (BLS publishes hourly pay only)"
    return "not published by BLS"


def _outlook(row) -> tuple[str, str]:
    if pd.isna(row.projections_edition):
        return "not in the Employment Projections", "not in the Employment Projections"
    return pct(row.employment_change_pct), count(row.openings_annual_avg_persons)


def pay_chart_svg(frame: pd.DataFrame) -> str | None:
    """Median annual pay per occupation as a bar chart (occupations without an annual median are left out)."""
    shown = frame.dropna(subset=["annual_median_wage_usd"])
    if shown.empty:
        return None
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("annual_median_wage_usd:Q", title="Median annual wage (USD)", axis=alt.Axis(format="$,.0f")),
            y=alt.Y("occupation_title:N", title=None, sort="-x", axis=alt.Axis(labelLimit=400)),
        )
        .properties(width=520, height=32 * len(shown))
    )
    return vlc.vegalite_to_svg(chart.to_json(), config={"font": "sans-serif"})


def render(con, socs: list[str], edition: str, downloads: Path) -> str:
    frame = comparison(con, socs)
    downloads.mkdir(parents=True, exist_ok=True)
    frame.to_csv(downloads / "occupations.csv", index=False)
    period = (
        frame["reference_period"].dropna().iloc[0] if frame["reference_period"].notna().any() else "the current release"
    )
    ep = frame["projections_edition"].dropna()
    rows = []
    for row in frame.itertuples():
        change, openings = _outlook(row)
        rows.append(
            f'<tr><td><a href="{row.soc_code}/index.html">{html.escape(row.occupation_title)}</a></td>'
            f"<td class=code>{row.soc_code}</td><td class=num>{count(row.employment_count)}</td>"
            f"<td class=num>{html.escape(_median_pay(row))}</td><td class=num>{change}</td>"
            f"<td class=num>{openings}</td></tr>"
        )
    svg = pay_chart_svg(frame)
    figure = (
        (
            f'<figure><img alt="Bar chart of the median annual wage of each occupation in the catalogue" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}">'
            f"<figcaption>Median annual wage, {period}. "
            f"Occupations for which BLS publishes only hourly pay are left out.</figcaption></figure>"
        )
        if svg
        else ""
    )
    outlook_note = (
        f"Projected change and openings are from the Employment Projections {ep.iloc[0]}."
        if not ep.empty
        else "The Employment Projections are not in this build, so the outlook columns are empty."
    )
    return PAGE.format(
        edition=html.escape(edition),
        period=html.escape(period),
        rows="\n".join(rows),
        figure=figure,
        outlook_note=outlook_note,
        ep_period=html.escape(ep.iloc[0]) if not ep.empty else "",
        source=html.escape(source_line(con, TABLES)),
        n=len(frame),
    )


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>US occupation market reports ({edition})</title>
<link rel="icon" href="favicon.ico">
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.code {{ white-space: nowrap; }}
figcaption, .source {{ font-size: .9rem; color: #555; }}
</style></head>
<body>
<h1>US occupation market reports</h1>
<p>Edition {edition}. One report for each of the {n} occupations below, built by the same pipeline from the same
pinned sources. Pick an occupation to open its report; the table compares them on the numbers each report opens
with.</p>
<table>
<thead><tr><th>Occupation</th><th>SOC code</th><th class=num>Employment, {period}</th>
<th class=num>Median pay, {period}</th>
<th class=num>Projected change in employment, {ep_period}</th>
<th class=num>Openings per year, {ep_period} (projected)</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>Employment and pay are the BLS Occupational Employment and Wage Statistics national estimates; they leave out
the self-employed. {outlook_note}</p>
{figure}
<p class="source">{source} <a href="_static/data/occupations.csv" download>Download the data (CSV)</a></p>
</body></html>
"""
