"""The "Similar occupations" page: an occupation beside its SOC neighbours and the occupations that work with it.

Neighbours come from the OEWS release itself. SOC codes are hierarchical: a broad group's code is its detailed
occupations' first five digits followed by 0 (29-1120 Therapists holds 29-1122 ... 29-1129). One exception is
built into the SOC: a broad group with more detailed occupations than its last digit can number runs on into the
next codes (29-1210 Physicians holds 29-1211 ... 29-1229). OEWS estimates add up, so the release settles which:
a broad group holds the detailed occupations that follow it until their employment accounts for the group's.
A detailed occupation in no published broad group (29-1131 Veterinarians, a broad group of one) sits directly in
its minor group, beside the others that do.

The assistants and aides that work beside a profession are a fact no data source holds: they come from
warehouse/seeds/related_occupations.csv (pipeline/domain.py), each with the SOC definition that says so.

Functions return raw values (numbers stay numbers); the page formats them, and says why a value is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt
from pipeline.report import unpublished as unpub
from pipeline.report.text import missing, value_or_reason
from pipeline.report.warehouse import tag

OEWS_TABLE = "mart_oews__national_wages"
EP_TABLE = "mart_ep__occupation_outlook"
FACTS_TABLE = "stg_facts__entry_requirements"
FACTS_SOURCE = "cited_facts"
DETAILED_LEVEL = 3  # OEWS display level of a detailed occupation; lower levels are groups
# OEWS rounds each employment estimate to the nearest 10, so a group's total and its members' sum may differ by
# up to 10 per row.
ROUNDING_PER_ROW = 10

THIS_OCCUPATION = "this occupation"
THIS_GROUP = "this group"
SAME_GROUP = "same SOC group"
IN_THIS_GROUP = "in this group"
BESIDE = {"assistant": "assistant", "aide": "aide", "profession assisted": "profession it assists"}

NO_EP_LINE = "no EP line for this code"
EP_GROUP_LINE = "EP gives categories for detailed occupations only"


# ---------------------------------------------------------------- the SOC hierarchy, as the release publishes it


def release_occupations(con) -> pd.DataFrame:
    """Every occupation and group of the current release: code, title, display level, national employment."""
    return con.execute(
        f"""
        SELECT soc_code, occupation_title, occupation_display_level AS display_level, employment_count
        FROM {OEWS_TABLE} WHERE soc_code <> '00-0000' ORDER BY soc_code
        """
    ).df()


def _is_group(occupations: pd.DataFrame, code: str) -> bool:
    level = occupations.loc[occupations.soc_code == code, "display_level"]
    return not level.empty and int(level.iloc[0]) < DETAILED_LEVEL


def _group_kind(code: str) -> str:
    """'major' (NN-0000), 'minor' (NN-N000) or 'broad' (NN-NNN0), from the code's shape."""
    if code.endswith("0000"):
        return "major"
    return "minor" if code.endswith("000") else "broad"


def _rows(occupations: pd.DataFrame) -> list:
    return list(occupations[["soc_code", "display_level", "employment_count"]].itertuples(index=False))


def broad_group_members(rows: list, group: str) -> list[str]:
    """The detailed occupations of a broad group: same first five digits, then (when those do not yet account for
    the group's employment) the detailed occupations that follow, until they do."""
    total = next(r.employment_count for r in rows if r.soc_code == group)
    after = [r for r in rows if r.soc_code > group]
    own = [r for r in after if r.display_level == DETAILED_LEVEL and r.soc_code[:6] == group[:6]]

    def accounted(members: list) -> bool:
        return abs(sum(r.employment_count for r in members) - total) <= ROUNDING_PER_ROW * (len(members) + 1)

    if not own or missing(total) or any(missing(r.employment_count) for r in own) or accounted(own):
        return [r.soc_code for r in own]
    # Codes that run on past the group's own five digits: take the following rows up to the next group row.
    members = list(own)
    for row in (r for r in after if r.soc_code > own[-1].soc_code):
        if row.display_level < DETAILED_LEVEL or missing(row.employment_count):
            break
        members.append(row)
        if accounted(members):
            return [r.soc_code for r in members]
    return [r.soc_code for r in own]


def parents(occupations: pd.DataFrame) -> dict[str, str | None]:
    """Each code's smallest published group: its broad group, else its minor group, else its major group."""
    levels = dict(zip(occupations.soc_code, occupations.display_level, strict=True))
    groups = {code for code, level in levels.items() if level < DETAILED_LEVEL}
    rows = _rows(occupations)  # once: a broad group's members are found in it for each of some 170 groups
    broad_of = {
        member: group
        for group in sorted(g for g in groups if _group_kind(g) == "broad")
        for member in broad_group_members(rows, group)
    }
    out: dict[str, str | None] = {}
    for code in levels:
        minor, major = f"{code[:4]}000", f"{code[:2]}-0000"
        candidates = [broad_of.get(code), minor if minor != code else None, major if major != code else None]
        kind = _group_kind(code) if code in groups else "detailed"
        if kind == "minor":
            candidates = [major if major != code else None]
        elif kind == "major":
            candidates = []
        out[code] = next((g for g in candidates if g in groups), None)
    return out


def children(parent_of: dict[str, str | None], group: str) -> list[str]:
    """The codes whose smallest published group is ``group``: its direct members, groups and occupations."""
    return sorted(code for code, parent in parent_of.items() if parent == group)


@dataclass(frozen=True)
class Neighbourhood:
    """Who the page compares: the occupation, its group, and each compared code with what it is to the occupation."""

    soc: str
    is_group: bool
    group_code: str | None  # the occupation's own group (None for a group page, whose members are shown)
    compared: list[tuple[str, str]]  # (code, relation), the occupation first
    group_has_subgroups: bool  # the group also holds smaller groups, whose occupations are not listed
    beside: list[dict[str, str]]  # seed rows: the occupations that work beside it, with their citations


def neighbourhood(occupations: pd.DataFrame, soc: str) -> Neighbourhood:
    parent_of = parents(occupations)
    is_group = _is_group(occupations, soc)
    compared = [(soc, THIS_GROUP if is_group else THIS_OCCUPATION)]
    # A group page shows what is inside it; an occupation's page, the other occupations of its own group.
    group = soc if is_group else parent_of.get(soc)
    members = children(parent_of, group) if group else []
    if is_group:
        compared += [(c, IN_THIS_GROUP) for c in members]
    else:
        compared += [(c, SAME_GROUP) for c in members if c != soc and not _is_group(occupations, c)]
    subgroups = any(_is_group(occupations, c) for c in members) and not is_group
    published = set(occupations.soc_code)
    beside = [row for row in domain.occupations_beside(soc) if row["soc_code"] in published]
    shown = {code for code, _ in compared}
    compared += [(row["soc_code"], BESIDE[row["relation"]]) for row in beside if row["soc_code"] not in shown]
    return Neighbourhood(soc, is_group, None if is_group else group, compared, subgroups, beside)


def title_of(occupations: pd.DataFrame, code: str | None) -> str:
    titles = occupations.loc[occupations.soc_code == code, "occupation_title"]
    return "" if titles.empty else str(titles.iloc[0])


# ---------------------------------------------------------------- the figures compared


def comparison(con, hood: Neighbourhood) -> pd.DataFrame:
    """One row per compared code, in the page's order: OEWS national employment and wages (with their flags) and
    the latest EP edition's projection and entry categories (empty where EP has no line for the code)."""
    codes = [code for code, _ in hood.compared]
    oews = con.execute(
        f"""
        SELECT soc_code, occupation_title, occupation_display_level AS display_level, reference_period,
               employment_count, employment_count_flag,
               annual_p10_wage_usd, annual_p10_wage_usd_flag, annual_p25_wage_usd, annual_p25_wage_usd_flag,
               annual_median_wage_usd, annual_median_wage_usd_flag,
               annual_p75_wage_usd, annual_p75_wage_usd_flag, annual_p90_wage_usd, annual_p90_wage_usd_flag,
               hourly_p10_wage_usd, hourly_p10_wage_usd_flag, hourly_p25_wage_usd, hourly_p25_wage_usd_flag,
               hourly_median_wage_usd, hourly_median_wage_usd_flag,
               hourly_p75_wage_usd, hourly_p75_wage_usd_flag, hourly_p90_wage_usd, hourly_p90_wage_usd_flag
        FROM {OEWS_TABLE} WHERE list_contains(?, soc_code)
        """,
        [codes],
    ).df()
    ep = con.execute(
        f"""
        SELECT soc_code, edition AS ep_edition, base_year AS ep_base_year, projection_year AS ep_projection_year,
               occupation_type AS ep_occupation_type, employment_base_jobs AS ep_employment_base_jobs,
               employment_change_jobs AS ep_employment_change_jobs, employment_change_pct AS ep_employment_change_pct,
               openings_annual_avg_count AS ep_openings_annual_avg_jobs, entry_education, work_experience,
               on_the_job_training
        FROM {EP_TABLE} WHERE is_latest_edition AND list_contains(?, soc_code)
        """,
        [codes],
    ).df()
    order = pd.DataFrame({"soc_code": codes, "relation": [r for _, r in hood.compared], "order": range(len(codes))})
    frame = order.merge(oews, on="soc_code", how="inner").merge(ep, on="soc_code", how="left")
    frame["in_ep"] = frame.ep_edition.notna()
    frame = frame.sort_values("order").drop(columns="order").reset_index(drop=True)
    return tag(frame, [OEWS_TABLE, EP_TABLE])


def label(row) -> str:
    return f"{row.soc_code} {row.occupation_title}"


def ep_category(row, column: str) -> str:
    """EP's entry category as EP prints it, or why there is none for this row."""
    if not row.in_ep:
        return NO_EP_LINE
    # EP's category "None" (no experience or training needed) is written in lower case, so it never reads as a
    # value the page failed to fill.
    return value_or_reason(
        row[column],
        lambda category: "none" if category == "None" else str(category),
        EP_GROUP_LINE if row.ep_occupation_type == "Summary" else "not published",
    )


def ep_number(row, column: str, formatter) -> str:
    return value_or_reason(row[column], formatter, "not published") if row.in_ep else NO_EP_LINE


def signed_pct(x) -> str:
    return f"{'+' if x > 0 else ''}{fmt.pct(x)}"


def pay_band(row, basis: unpub.PayBasis) -> str:
    low = unpub.cell(row[basis.col("p10")], row[basis.flag("p10")], basis.money)
    high = unpub.cell(row[basis.col("p90")], row[basis.flag("p90")], basis.money)
    both_missing = missing(row[basis.col("p10")]) and missing(row[basis.col("p90")])
    return low if both_missing and low == high else f"{low} to {high}"


def comparison_table(frame: pd.DataFrame, basis: unpub.PayBasis, ep_years: str) -> pd.DataFrame:
    """The comparison as readers see it: every value formatted, every missing one with its short reason."""
    return pd.DataFrame(
        {
            "Occupation": [label(r) for r in frame.itertuples()],
            "Relation": frame.relation,
            "Employment (OEWS)": [
                unpub.cell(r.employment_count, r.employment_count_flag, fmt.count) for _, r in frame.iterrows()
            ],
            f"Median {basis.name} wage": [
                unpub.cell(r[basis.col("median")], r[basis.flag("median")], basis.money) for _, r in frame.iterrows()
            ],
            "10th to 90th percentile": [pay_band(r, basis) for _, r in frame.iterrows()],
            f"Projected change, {ep_years} (EP)": [
                ep_number(r, "ep_employment_change_pct", signed_pct) for _, r in frame.iterrows()
            ],
            "Openings a year (EP, jobs)": [
                ep_number(r, "ep_openings_annual_avg_jobs", fmt.count) for _, r in frame.iterrows()
            ],
            "Typical entry education (EP)": [ep_category(r, "entry_education") for _, r in frame.iterrows()],
        }
    )


def entry_table(frame: pd.DataFrame) -> pd.DataFrame:
    """EP's three entry categories per compared occupation, in EP's own words."""
    return pd.DataFrame(
        {
            "Occupation": [label(r) for r in frame.itertuples()],
            "Relation": frame.relation,
            "Typical education needed for entry": [ep_category(r, "entry_education") for _, r in frame.iterrows()],
            "Work experience in a related occupation": [ep_category(r, "work_experience") for _, r in frame.iterrows()],
            "Typical on-the-job training": [ep_category(r, "on_the_job_training") for _, r in frame.iterrows()],
        }
    )


def wage_flags(frame: pd.DataFrame, basis: unpub.PayBasis) -> list[str]:
    """The reasons (flags) behind the missing values the comparison table shows."""
    columns = ["employment_count_flag", *(basis.flag(s) for s in ("p10", "median", "p90"))]
    return unpub.flags_in(frame, columns)


def rank_phrase(frame: pd.DataFrame, column: str, soc: str) -> str:
    """'2nd of 11' for the occupation among the compared rows with a published value, or why it has no rank."""
    published = frame[frame[column].notna()].sort_values(column, ascending=False).reset_index(drop=True)
    place = published.index[published.soc_code == soc]
    if place.empty:
        return "not ranked: its own value is not published"
    n = int(place[0]) + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} of {len(published)}"


# ---------------------------------------------------------------- the chart


def pay_band_data(frame: pd.DataFrame, basis: unpub.PayBasis) -> pd.DataFrame:
    """The rows the chart can draw (10th, median and 90th percentiles all published), in the page's pay basis."""
    data = pd.DataFrame(
        {
            "occupation": [label(r) for r in frame.itertuples()],
            "soc_code": frame.soc_code,
            "relation": frame.relation,
            "p10": frame[basis.col("p10")],
            "p25": frame[basis.col("p25")],
            "median": frame[basis.col("median")],
            "p75": frame[basis.col("p75")],
            "p90": frame[basis.col("p90")],
        }
    )
    return data.dropna(subset=["p10", "median", "p90"]).sort_values("median", ascending=False)


def pay_band_chart(data: pd.DataFrame, basis: unpub.PayBasis) -> alt.LayerChart:
    """A dot-and-range chart: 10th to 90th percentile as a thin bar, 25th to 75th thicker, the median a dot."""
    order = list(data.occupation)
    y = alt.Y("occupation:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    own = (alt.datum.relation == THIS_OCCUPATION) | (alt.datum.relation == THIS_GROUP)
    highlight = alt.condition(own, alt.value("#c0392b"), alt.value("#3b6ea5"))
    money = alt.Axis(format=basis.axis_format)
    wide = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("p10:Q", title=f"{basis.name.capitalize()} wage ({basis.unit})", axis=money), x2="p90:Q", y=y)
        .encode(color=highlight)
    )
    middle = alt.Chart(data).mark_rule(strokeWidth=7, opacity=0.45).encode(x="p25:Q", x2="p75:Q", y=y, color=highlight)
    dot = alt.Chart(data).mark_point(filled=True, size=70).encode(x="median:Q", y=y, color=highlight)
    return (wide + middle + dot).properties(width=440, height=max(60, 26 * len(data)))


def pay_band_alt_text(data: pd.DataFrame, basis: unpub.PayBasis, left_out: list[str]) -> str:
    text = f"Dot-and-range chart of {basis.name} wages, highest median first. " + "; ".join(
        f"{r.occupation}: median {basis.money(r.median)}, 10th to 90th percentile {basis.money(r.p10)} to "
        f"{basis.money(r.p90)}"
        for r in data.itertuples()
    )
    if left_out:
        text += ". Not drawn, their wages not published: " + ", ".join(left_out)
    return text + "."


# ---------------------------------------------------------------- cited entry requirements


def facts_in_build(con) -> bool:
    """True when the cited facts source is complete in this build (its staging table is then present)."""
    rows = con.execute("SELECT status FROM meta_sources WHERE source_id = ?", [FACTS_SOURCE]).fetchall()
    return bool(rows) and rows[0][0] == "complete"


def entry_facts(con, soc: str) -> pd.DataFrame:
    """The occupation's cited entry requirements, in the seed's order (the order they read best in)."""
    return con.execute(
        f"""
        SELECT soc_code, fact, citing_body, citation, url, checked_on, snapshot_sha256
        FROM {FACTS_TABLE} WHERE soc_code = ? ORDER BY line_number
        """,
        [soc],
    ).df()


def entry_facts_table(facts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Requirement": facts.fact,
            "Stated by": facts.citing_body,
            "Citation": [f"{r.citation} ({r.url})" for r in facts.itertuples()],
            "Checked on": facts.checked_on.astype(str),
        }
    )
