"""Helpers for the pages built on OEWS and EP numbers: the executive summary, market snapshot, geography and
trend. Everything here reads the warehouse or formats what it read; no value is filled in or estimated."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from pipeline.report import format as fmt
from pipeline.report.text import flag_text, missing

if TYPE_CHECKING:  # altair's name for its colour schemes (a Literal of them), for the type checker only
    from altair.vegalite.v6.schema._typing import ColorScheme_T

# Metro rankings leave out areas with fewer jobs than this in the occupation: a median or a jobs-per-1,000
# figure resting on a few dozen jobs moves a lot from one release to the next. A rule parameter, not data.
MIN_METRO_JOBS = 100


def occupation_code(soc: str) -> str:
    """OEWS cell tables key occupations without the hyphen ('29-1122' -> '291122')."""
    return soc.replace("-", "")


def shown(value, flag, formatter, lower_bound=None) -> str:
    """A value as readers see it, or the reason BLS gave none. A top-coded wage shows its published lower bound."""
    if not missing(flag):
        if flag == "top_coded" and not missing(lower_bound):
            return f"{formatter(lower_bound)} or more (top-coded)"
        return flag_text(flag)
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
    df = con.execute("SELECT * FROM mart_ep__occupation_outlook WHERE soc_code = ? AND is_latest_edition", [soc]).df()
    return None if df.empty else df.iloc[0]


def metro_cells(con, soc: str, basis=None) -> pd.DataFrame:
    """Cross-industry cells of every metropolitan and nonmetropolitan area (OEWS area type 'M').

    BLS files its nonmetropolitan areas (groups of rural counties inside one state) under the same area type as
    the metropolitan areas; ``is_nonmetro`` tells them apart by name. The median is on ``basis`` (annual unless
    given: see ``unpublished.pay_basis``), as ``median_wage_usd`` with its flag in ``median_wage_flag``.
    """
    median = "annual_median_wage_usd" if basis is None else basis.col("median")
    return con.execute(
        f"""
        SELECT a.area_code, a.area_name, a.state_fips_code,
               a.area_name ILIKE '%nonmetropolitan area%' AS is_nonmetro,
               c.employment_count, c.employment_count_flag, c.employment_rse_pct,
               c.{median} AS median_wage_usd, c.{median}_flag AS median_wage_flag,
               c.annual_mean_wage_usd, c.hourly_mean_wage_usd, c.wage_rse_pct,
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
    breaks = history.loc[
        history.method_break_before.fillna(False).astype(bool), ["reference_year", "estimation_method"]
    ]
    if breaks.empty:
        return []
    marks = pd.DataFrame(
        {
            "x": breaks.reference_year.astype(float) - 0.5,
            "label": [f"Method change from May {int(y)}" for y in breaks.reference_year],
        }
    )
    rule = alt.Chart(marks).mark_rule(color="#b5471f", strokeDash=[5, 4], strokeWidth=1.5).encode(x="x:Q")
    text = (
        alt.Chart(marks)
        .mark_text(align="left", baseline="top", dx=4, dy=2, color="#b5471f", fontSize=11)
        .encode(x="x:Q", y=alt.value(2), text="label:N")
    )
    return [rule, text]


def year_axis(years: pd.Series, title: str | None = None) -> alt.X:
    lo, hi = int(years.min()), int(years.max())
    return alt.X(
        "reference_year:Q",
        title=title,
        scale=alt.Scale(domain=[lo - 0.6, hi + 0.3], nice=False),
        axis=alt.Axis(values=list(range(lo, hi + 1)), format="d", grid=False),
    )


def centre_colour_scale(chart: alt.LayerChart, scheme: ColorScheme_T, mid: float = 1.0) -> alt.LayerChart:
    """Give a state map's colour scale a diverging scheme centred on ``mid`` (1 = the national figure)."""
    shaded = chart.layer[-1]
    shaded.encoding.color.scale = alt.Scale(scheme=scheme, domainMid=mid)
    return chart


def pct_change(new, old):
    if missing(new) or missing(old) or old == 0:
        return math.nan
    return 100.0 * (new - old) / old


def state_medians(con, soc: str, basis) -> pd.DataFrame:
    """States and territories with a published median on ``basis`` (annual or hourly), highest first."""
    col = basis.col("median")
    return con.execute(
        f"""
        SELECT state_name, {col} AS median_wage_usd, employment_count
        FROM mart_oews__state_wages
        WHERE soc_code = ? AND {col} IS NOT NULL
        ORDER BY {col} DESC, state_name
        """,
        [soc],
    ).df()


def area_coverage(con, soc: str) -> dict:
    """How many state and metropolitan-type areas the release lists for the occupation at all (cells of any kind)."""
    rows = con.execute(
        """
        SELECT areatype_code, count(*) FROM stg_oews__cells
        WHERE occupation_code = ? AND industry_code = '000000' AND areatype_code IN ('S', 'M')
        GROUP BY areatype_code
        """,
        [occupation_code(soc)],
    ).fetchall()
    found = dict(rows)
    return {"states": found.get("S", 0), "metros": found.get("M", 0)}


def is_broad_group(soc: str) -> bool:
    """SOC broad groups end in 0 (19-5010); detailed occupations end in 1-9, minor and major groups in 000."""
    return soc.endswith("0") and not soc.endswith("000")


def detailed_within(con, soc: str) -> pd.DataFrame:
    """The detailed occupations of a broad group that the current release lists (empty for a detailed code)."""
    if not is_broad_group(soc):
        return pd.DataFrame(columns=["soc_code", "occupation_title"])
    return con.execute(
        """
        SELECT soc_code, occupation_title FROM stg_oews__occupations
        WHERE soc_code LIKE ? AND soc_code <> ? ORDER BY soc_code
        """,
        [soc[:-1] + "_", soc],
    ).df()


def detailed_list(details: pd.DataFrame) -> str:
    """'19-5011 Occupational Health and Safety Specialists and 19-5012 ...' for a sentence."""
    return join_names([f"{r.soc_code} {r.occupation_title}" for r in details.itertuples()])


def say_no_area_data(con, soc: str, occupation_title: str, where: str = "state or metropolitan") -> None:
    """Publish what the shared no-area note needs (book/notebooks/_snippets/no_area_data_note.md).

    ``no_area_data`` is true when the release lists no cell of any kind for this code in the areas ``where``
    names ("state", or "state or metropolitan"); ``no_area_lists_detailed`` when, in that case, the code is a
    broad group whose detailed occupations the release does list, which ``no_area_detailed_note`` names. A page
    shows the note in one of two cells::

        +++ {"if": "no_area_data", "unless": "no_area_lists_detailed"}
        {{> no_area_data_note }}

        +++ {"if": "no_area_lists_detailed"}
        {{> no_area_data_note }}
        {{> no_area_detailed_note }}
    """
    from pipeline.report.text import say

    coverage = area_coverage(con, soc)
    no_area_data = coverage["states"] == 0 and (where == "state" or coverage["metros"] == 0)
    details = detailed_within(con, soc)
    say(
        no_area_data=no_area_data,
        no_area_lists_detailed=no_area_data and not details.empty,
        no_area_where=where,
        no_area_release=release_period(con),
        no_area_occupation=occupation_title,
        no_area_soc=soc,
        no_area_detailed_codes=detailed_list(details),
    )


def release_period(con) -> str:
    rows = con.execute("SELECT reference_period FROM stg_oews__release").fetchall()
    return rows[0][0] if rows else "current"


def ep_detailed_within(con, soc: str) -> pd.DataFrame:
    """Latest-edition EP lines for the detailed occupations of a broad group (what EP projects instead)."""
    if not is_broad_group(soc):
        return pd.DataFrame(
            columns=[
                "soc_code",
                "occupation_title",
                "edition",
                "base_year",
                "projection_year",
                "employment_base_jobs",
                "employment_projected_jobs",
                "employment_change_pct",
                "openings_annual_avg_count",
            ]
        )
    return con.execute(
        """
        SELECT soc_code, occupation_title, edition, base_year, projection_year, employment_base_jobs,
               employment_projected_jobs, employment_change_pct, openings_annual_avg_count
        FROM mart_ep__occupation_outlook
        WHERE is_latest_edition AND soc_code LIKE ? AND soc_code <> ? ORDER BY soc_code
        """,
        [soc[:-1] + "_", soc],
    ).df()


def say_ep_absent(con, soc: str) -> None:
    """Publish what the shared note on a missing projection needs (book/notebooks/_snippets/ep_absent_note.md).

    ``ep_absent`` is true when the latest EP edition has no row for this code; ``ep_absent_lists_detailed`` when,
    in that case, EP projects the detailed occupations of this broad group instead, which
    ``ep_absent_detailed_note`` names. Both snippets are sentences that continue the paragraph or quote they are
    placed in, so a page can frame them::

        +++ {"if": "ep_absent", "unless": "ep_absent_lists_detailed"}
        > **Not published.**
        {{> ep_absent_note }}

        +++ {"if": "ep_absent_lists_detailed"}
        > **Not published.**
        {{> ep_absent_note }}
        {{> ep_absent_detailed_note }}
    """
    from pipeline.report.text import say

    say(**_ep_absent_values(con, soc))


def _ep_absent_values(con, soc: str) -> dict[str, str | bool]:
    ep_absent = latest_outlook(con, soc) is None
    lines = ep_detailed_within(con, soc)
    return {
        "ep_absent": ep_absent,
        "ep_absent_lists_detailed": ep_absent and not lines.empty,
        "ep_absent_soc": soc,
        "ep_absent_detailed_codes": join_names([f"{r.soc_code} {r.occupation_title}" for r in lines.itertuples()]),
    }


def ep_absent_sentence(con, soc: str) -> str:
    """The same note as plain text, for a value that is not a page's markdown (a claim check's finding).

    It is filled from the page snippets, so the wording lives in one place.
    """
    from pipeline.report.text import fill

    # Like the old wording, it names EP's detailed lines whenever there are some, whatever the caller checked.
    detailed = not ep_detailed_within(con, soc).empty
    source = "{{> ep_absent_note }}\n{{> ep_absent_detailed_note }}" if detailed else "{{> ep_absent_note }}"
    return " ".join(fill(source, _ep_absent_values(con, soc), "ep_absent_sentence").split())


def change_phrase(new, old) -> str:
    """'+11.8%' when both ends are published, else a phrase saying the change cannot be computed."""
    change = pct_change(new, old)
    return "change not computable: an end point was not published" if missing(change) else signed_pct(change)
