"""Helpers for the pages built on OEWS and EP numbers: the executive summary, market snapshot, geography and
trend. Everything here reads the warehouse or formats what it read; no value is filled in or estimated."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from pipeline.report import format as fmt

# Metro rankings leave out areas with fewer jobs than this in the occupation: a median or a jobs-per-1,000
# figure resting on a few dozen jobs moves a lot from one release to the next. A rule parameter, not data.
MIN_METRO_JOBS = 100


def missing(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def occupation_code(soc: str) -> str:
    """OEWS cell tables key occupations without the hyphen ('29-1122' -> '291122')."""
    return soc.replace("-", "")


def shown(value, flag, formatter, lower_bound=None) -> str:
    """A value for people, or the reason BLS gave none. A top-coded wage shows its published lower bound."""
    if not missing(flag):
        if flag == "top_coded" and not missing(lower_bound):
            return f"{formatter(lower_bound)} or more (top-coded)"
        return fmt.flag_text(flag)
    return fmt.NOT_PUBLISHED if missing(value) else formatter(value)


def number(x, decimals: int = 2) -> str:
    return fmt.NOT_PUBLISHED if missing(x) else f"{x:,.{decimals}f}"


def signed_count(x) -> str:
    if missing(x):
        return fmt.NOT_PUBLISHED
    return f"+{int(round(x)):,}" if x > 0 else (f"−{abs(int(round(x))):,}" if x < 0 else "0")


def signed_pct(x, decimals: int = 1) -> str:
    if missing(x):
        return fmt.NOT_PUBLISHED
    return f"+{x:.{decimals}f}%" if x > 0 else (f"−{abs(x):.{decimals}f}%" if x < 0 else f"{0:.{decimals}f}%")


def join_names(names: list[str]) -> str:
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def national(con, soc: str) -> pd.Series | None:
    df = con.execute("SELECT * FROM mart_oews__national_wages WHERE soc_code = ?", [soc]).df()
    return None if df.empty else df.iloc[0]


def latest_outlook(con, soc: str) -> pd.Series | None:
    df = con.execute(
        "SELECT * FROM mart_ep__occupation_outlook WHERE soc_code = ? AND is_latest_edition", [soc]
    ).df()
    return None if df.empty else df.iloc[0]


def metro_cells(con, soc: str) -> pd.DataFrame:
    """Cross-industry cells of every metropolitan and nonmetropolitan area (OEWS area type 'M').

    BLS files its nonmetropolitan areas (groups of rural counties inside one state) under the same area type as
    the metropolitan areas; ``is_nonmetro`` tells them apart by name.
    """
    return con.execute(
        """
        SELECT a.area_code, a.area_name, a.state_fips_code,
               a.area_name ILIKE '%nonmetropolitan area%' AS is_nonmetro,
               c.employment_count, c.employment_count_flag, c.employment_rse_pct,
               c.annual_median_wage_usd, c.annual_median_wage_usd_flag,
               c.annual_mean_wage_usd, c.wage_rse_pct,
               c.jobs_per_1000, c.jobs_per_1000_flag, c.location_quotient, c.location_quotient_flag
        FROM stg_oews__cells c
        JOIN stg_oews__areas a USING (area_code)
        WHERE c.areatype_code = 'M' AND c.industry_code = '000000' AND c.occupation_code = ?
        ORDER BY a.area_name
        """,
        [occupation_code(soc)],
    ).df()


def wage_history(con, soc: str) -> pd.DataFrame:
    return con.execute(
        "SELECT * FROM core_oews__national_wage_history WHERE soc_code = ? ORDER BY reference_year", [soc]
    ).df()


def method_break_marks(history: pd.DataFrame) -> list[alt.Chart]:
    """A dashed rule and a label between the last year of the old OEWS method and the first of the new one.

    The rule sits half a year before each year whose ``method_break_before`` is true (for OEWS: between May 2020
    and May 2021, when BLS moved to the MB3 model-based estimates).
    """
    breaks = history.loc[history.method_break_before.fillna(False).astype(bool), ["reference_year", "estimation_method"]]
    if breaks.empty:
        return []
    marks = pd.DataFrame({
        "x": breaks.reference_year.astype(float) - 0.5,
        "label": [f"Method change from May {int(y)}" for y in breaks.reference_year],
    })
    rule = alt.Chart(marks).mark_rule(color="#b5471f", strokeDash=[5, 4], strokeWidth=1.5).encode(x="x:Q")
    text = alt.Chart(marks).mark_text(align="left", baseline="top", dx=4, dy=2, color="#b5471f", fontSize=11).encode(
        x="x:Q", y=alt.value(2), text="label:N"
    )
    return [rule, text]


def year_axis(years: pd.Series, title: str | None = None) -> alt.X:
    lo, hi = int(years.min()), int(years.max())
    return alt.X("reference_year:Q", title=title, scale=alt.Scale(domain=[lo - 0.6, hi + 0.3], nice=False),
                 axis=alt.Axis(values=list(range(lo, hi + 1)), format="d", grid=False))


def centre_colour_scale(chart: alt.LayerChart, scheme: str, mid: float = 1.0) -> alt.LayerChart:
    """Give a state map's colour scale a diverging scheme centred on ``mid`` (1 = the national figure)."""
    shaded = chart.layer[-1]
    shaded.encoding.color.scale = alt.Scale(scheme=scheme, domainMid=mid)
    return chart


def pct_change(new, old):
    if missing(new) or missing(old) or old == 0:
        return math.nan
    return 100.0 * (new - old) / old
