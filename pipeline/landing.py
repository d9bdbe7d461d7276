"""The catalogue's landing page: the occupations side by side, each linked to its own book.

One static HTML file with no scripts and no external requests, so it opens offline like the books. Every number
is read from the warehouse marts; a number BLS did not publish says so instead of showing a blank or a zero.
Each occupation's median pay change over the wage history is shown as BLS published it and after inflation (the
real-wage mart, pipeline/report/real_wages.py); without the CPI in the build the page says so instead.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc

from pipeline.lineage import tables_read
from pipeline.report import real_wages
from pipeline.report.format import count, pct, usd, usd_hourly
from pipeline.report.present import source_line

COMPARISON_SQL = """
SELECT n.soc_code, n.occupation_title, n.reference_period,
       n.employment_count, n.annual_median_wage_usd, n.annual_median_wage_usd_flag, n.hourly_median_wage_usd,
       e.edition AS projections_edition, e.employment_change_pct, e.openings_annual_avg_count
FROM mart_oews__national_wages n
LEFT JOIN mart_ep__occupation_outlook e ON e.soc_code = n.soc_code AND e.is_latest_edition
WHERE list_contains(?, n.soc_code)
"""
# Nominal median pay in the first and last May releases of the wage history, for a build without the CPI.
# An occupation BLS publishes hourly pay only for is compared on its hourly median, as the real-wage mart does.
NOMINAL_SPAN_SQL = """
WITH pay AS (
    SELECT soc_code, reference_year, reference_period, bool_and(coalesce(hourly_wages_only, FALSE))
               OVER (PARTITION BY soc_code) AS hourly,
           CASE WHEN bool_and(coalesce(hourly_wages_only, FALSE)) OVER (PARTITION BY soc_code)
                THEN hourly_median_wage_usd ELSE annual_median_wage_usd END AS median_usd
    FROM core_oews__national_wage_history
    WHERE list_contains(?, soc_code)
)
SELECT soc_code,
       arg_min(reference_period, reference_year) FILTER (WHERE median_usd IS NOT NULL) AS from_period,
       arg_max(reference_period, reference_year) FILTER (WHERE median_usd IS NOT NULL) AS to_period,
       arg_min(median_usd, reference_year) FILTER (WHERE median_usd IS NOT NULL) AS from_usd,
       arg_max(median_usd, reference_year) FILTER (WHERE median_usd IS NOT NULL) AS to_usd,
       max(reference_period) FILTER (WHERE reference_year = (SELECT max(reference_year)
                                                             FROM core_oews__national_wage_history)) AS latest,
       bool_and(hourly) AS hourly
FROM pay
GROUP BY soc_code
"""
# The tables the comparison reads, as DuckDB parses it; the source line follows them to their snapshots.
TABLES = sorted(tables_read(COMPARISON_SQL))
PAY_CHANGE_TABLES = [real_wages.MART]


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
    return pct(row.employment_change_pct), count(row.openings_annual_avg_count)


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + pct(x)


@dataclass(frozen=True)
class PayChange:
    """One occupation's median pay change over the wage history, as BLS published it and after inflation."""

    soc_code: str
    from_period: str | None
    to_period: str | None
    median_pay_change_pct: float | None
    median_pay_change_after_inflation_pct: float | None
    hourly: bool  # BLS publishes hourly pay only: the change is of the hourly median
    reason: str | None  # why there is no change to show


def pay_changes(con, socs: list[str]) -> tuple[list[PayChange], real_wages.CpiStatus, str]:
    """Each occupation's change, whether the CPI is in the build, and the dollars the real change is in.

    With the CPI in the build both changes come from the real-wage mart, over the same May releases; without it
    the change as published comes from the wage history and the after-inflation change is left out.
    """
    status = real_wages.cpi_in_build(con)
    out, dollars = [], ""
    if status.in_build:
        for soc in socs:
            change = real_wages.change_over_span(con, soc, real_wages.default_measure(con, soc))
            if change is None:
                out.append(PayChange(soc, None, None, None, None, False, "not in the wage history"))
                continue
            dollars = change.dollars_of_month
            out.append(
                PayChange(
                    soc,
                    change.from_period,
                    change.to_period,
                    change.nominal_change_pct,
                    change.real_change_pct,
                    change.measure.startswith("hourly"),
                    change.reason,
                )
            )
        return out, status, dollars
    spans = {r[0]: r[1:] for r in con.execute(NOMINAL_SPAN_SQL, [socs]).fetchall()}
    for soc in socs:
        from_period, to_period, from_usd, to_usd, latest, hourly = spans.get(soc, (None,) * 6)
        if from_usd is None or to_usd is None or from_period == to_period or to_period != latest:
            why = "BLS published no median for two May releases up to the latest"
            out.append(PayChange(soc, None, None, None, None, bool(hourly), why))
            continue
        out.append(PayChange(soc, from_period, to_period, (to_usd / from_usd - 1) * 100, None, bool(hourly), None))
    return out, status, dollars


def _pay_cells(change: PayChange, common_span: str, cpi: real_wages.CpiStatus) -> tuple[str, str]:
    """The two cells as shown: a change, or why there is none; a span unlike the header's is named."""
    if change.median_pay_change_pct is None:
        why = f"not available: {change.reason or 'no value'}"
        return why, why if cpi.in_build else "CPI not in this build"
    span = f"{change.from_period}\u2013{change.to_period}"
    own = "" if span == common_span else f" ({span})"
    hourly = " (hourly pay)" if change.hourly else ""
    nominal = _signed(change.median_pay_change_pct) + hourly + own
    if change.median_pay_change_after_inflation_pct is None:
        return nominal, "CPI not in this build" if not cpi.in_build else f"not available: {change.reason}"
    return nominal, _signed(change.median_pay_change_after_inflation_pct) + hourly + own


def _common_span(changes: list[PayChange]) -> str:
    spans = [f"{c.from_period}\u2013{c.to_period}" for c in changes if c.median_pay_change_pct is not None]
    return max(sorted(set(spans)), key=spans.count) if spans else ""


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
    changes, cpi, dollars = pay_changes(con, list(frame["soc_code"]))
    by_soc = {c.soc_code: c for c in changes}
    span = _common_span(changes)
    for column in ("from_period", "to_period", "median_pay_change_pct", "median_pay_change_after_inflation_pct"):
        frame[column] = [getattr(by_soc[soc], column) for soc in frame["soc_code"]]
    frame["after_inflation_in_dollars_of"] = dollars or None
    downloads.mkdir(parents=True, exist_ok=True)
    frame.to_csv(downloads / "occupations.csv", index=False)
    period = (
        frame["reference_period"].dropna().iloc[0] if frame["reference_period"].notna().any() else "the current release"
    )
    ep = frame["projections_edition"].dropna()
    rows = []
    for row in frame.itertuples():
        change, openings = _outlook(row)
        nominal, real = _pay_cells(by_soc[row.soc_code], span, cpi)
        rows.append(
            f'<tr><td><a href="{row.soc_code}/index.html">{html.escape(row.occupation_title)}</a></td>'
            f"<td class=code>{row.soc_code}</td><td class=num>{count(row.employment_count)}</td>"
            f"<td class=num>{html.escape(_median_pay(row))}</td><td class=num>{change}</td>"
            f"<td class=num>{openings}</td><td class=num>{html.escape(nominal)}</td>"
            f"<td class=num>{html.escape(real)}</td></tr>"
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
        pay_span=html.escape(span or "over the wage history"),
        pay_note=html.escape(_pay_note(con, cpi, dollars)),
        edition=html.escape(edition),
        period=html.escape(period),
        rows="\n".join(rows),
        figure=figure,
        outlook_note=outlook_note,
        ep_period=html.escape(ep.iloc[0]) if not ep.empty else "",
        source=source_line(con, TABLES + (PAY_CHANGE_TABLES if cpi.in_build else [])),  # already safe HTML, with links
        n=len(frame),
    )


def _pay_note(con, cpi: real_wages.CpiStatus, dollars: str) -> str:
    """What the pay-change columns are, or why the after-inflation one is empty."""
    if not cpi.in_build:
        return f"Median pay change is as BLS published it, not adjusted for inflation. {cpi.reason}"
    facts = real_wages.cpi_facts(con)
    index = (
        f"the {facts.deflator_month} index of the {facts.series_title} ({facts.series_id}, {facts.base_period})"
        if facts
        else "the CPI"
    )
    return (
        f"Median pay change is as BLS published it; after inflation, each year's median is first converted into "
        f"{dollars} dollars by {index}, because OEWS wages describe May. BLS changed the OEWS estimation method in "
        "May 2021, so a change that starts before then mixes the two methods."
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
<th class=num>Openings per year, {ep_period} (projected)</th>
<th class=num>Change in median pay, {pay_span}</th>
<th class=num>Change in median pay after inflation, {pay_span}</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>Employment and pay are the BLS Occupational Employment and Wage Statistics national estimates; they leave out
the self-employed. {outlook_note}</p>
<p>{pay_note}</p>
{figure}
<p class="source">{source} <a href="_static/data/occupations.csv" download>Download the data (CSV)</a></p>
</body></html>
"""
