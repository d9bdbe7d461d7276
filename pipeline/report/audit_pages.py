"""Helpers for the three audit pages: the claims ledger, the methodology's SQL and limitations, and the data
downloads index.

The claims ledger is data: ``CLAIMS`` lists every checkable claim of the source report, in the book's own
words, with the report section it comes from and the function that tests it against the warehouse. Each test
returns a ``Finding`` (verdict, evidence text with the numbers it used, the staging tables behind them). The
thresholds each verdict rests on are constants below, and the page prints them.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt
from pipeline.report import unpublished as unpub
from pipeline.report.oews_pages import ep_absent_sentence

if TYPE_CHECKING:
    import duckdb

    from pipeline.report.warehouse import RecordingConnection

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_TESTABLE = "not testable with these sources"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE)

# ---- verdict rules (parameters, not data) -------------------------------------------------------------------
# Settings: the best-paid of the three setting groups must out-earn the lowest-paid by at least this much (mean).
SETTING_GAP_MIN_PCT = 5.0
# Regions: highest state median annual wage over lowest (50 states and DC).
STATE_MEDIAN_RATIO_MIN = 1.20
# Regions: highest state's jobs per 1,000 over lowest (50 states and DC).
STATE_JOBS_RATIO_MIN = 1.5
# Pay range: national 90th percentile over 10th percentile.
PAY_RANGE_RATIO_MIN = 1.5
# Steady demand: no year-on-year fall in national OEWS employment larger than this.
MAX_ANNUAL_FALL_PCT = 5.0
# JOLTS comparisons average the latest this-many months of the seasonally adjusted rates.
JOLTS_MONTHS = 12

# The three settings the report contrasts, as OEWS industries (warehouse/seeds/claim_groups.csv, the grouping the
# settings chapter uses too). Hospitals combine acute (622100) and rehabilitation/specialty (622300) hospitals;
# their means are combined weighted by employment.
SETTING_GROUPS = domain.claim_group_industries("pay_differs_by_setting")
# Outside the national estimate (and outside the 50-states-and-DC comparison): territories.
TERRITORY_FIPS = domain.territory_fips()
ALL_OCCUPATIONS_SOC = "00-0000"


@dataclass
class Finding:
    verdict: str
    evidence: str
    sources: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


@dataclass(frozen=True)
class Claim:
    claim_id: str
    paraphrase: str  # the report's claim, in the book's words
    section: str  # where the report makes it
    rule: str  # how the verdict is decided (thresholds named)
    test: Callable[["Context"], Finding]


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection | RecordingConnection  # a page's recording connection, or DuckDB's own
    soc: str

    @property
    def basis(self) -> unpub.PayBasis:
        """Annual wages, or hourly ones for an occupation BLS publishes on an hourly basis only."""
        row = self.con.execute("SELECT * FROM mart_oews__national_wages WHERE soc_code = ?", [self.soc]).df()
        return unpub.pay_basis(None if row.empty else row.iloc[0])

    def state_cells(self) -> int:
        """How many states and territories the release lists for the occupation at all."""
        return self.con.execute(
            "SELECT count(*) FROM mart_oews__state_wages WHERE soc_code = ?", [self.soc]
        ).fetchall()[0][0]

    def source_status(self, source_id: str) -> str:
        rows = self.con.execute("SELECT status FROM meta_sources WHERE source_id = ?", [source_id]).fetchall()
        return rows[0][0] if rows else "not pinned"


def _gap_pct(high: float, low: float) -> float:
    return (high / low - 1) * 100


# ---- tests --------------------------------------------------------------------------------------------------


def setting_group_means(ctx: Context) -> pd.DataFrame:
    """One row per setting group: the employment-weighted mean wage of its published industry cells.

    The mean is annual, or hourly for an occupation BLS publishes hourly wages only for (``ctx.basis``); the
    column keeps the name ``annual_mean_wage_usd`` either way, and ``pay_basis`` says which it is.
    """
    codes = [c for _, group in SETTING_GROUPS for c in group]
    mean_col = ctx.basis.col("mean")
    cells = ctx.con.execute(
        f"""
        SELECT oews_industry_code, employment_count, employment_count_flag, {mean_col} AS annual_mean_wage_usd,
               annual_mean_wage_usd_flag, wage_rse_pct, reference_period
        FROM mart_oews__setting_wages WHERE soc_code = ? AND list_contains(?, oews_industry_code)
        """,
        [ctx.soc, codes],
    ).df()
    rows = []
    for label, group in SETTING_GROUPS:
        sub = cells[cells.oews_industry_code.isin(group)]
        usable = sub[sub.annual_mean_wage_usd.notna()]
        if len(group) > 1:
            # A combined mean needs each cell's employment as its weight.
            usable = usable[usable.employment_count.notna()]
        left_out = sorted(set(group) - set(usable.oews_industry_code))
        if usable.empty:
            mean = None
        elif len(usable) == 1:
            mean = float(usable.annual_mean_wage_usd.iloc[0])
        else:
            w = usable.employment_count.astype(float)
            mean = float((usable.annual_mean_wage_usd * w).sum() / w.sum())
        rows.append(
            {
                "setting": label,
                "industries": ", ".join(group),
                "industries_used": ", ".join(usable.oews_industry_code),
                "industries_not_published": ", ".join(left_out),
                "employment": None
                if usable.employment_count.isna().any()
                else int(usable.employment_count.sum())
                if not usable.empty
                else None,
                "annual_mean_wage_usd": mean,
                "max_wage_rse_pct": None if usable.empty else usable.wage_rse_pct.max(),
                "reference_period": cells.reference_period.iloc[0] if not cells.empty else None,
                "pay_basis": ctx.basis.name,
            }
        )
    return pd.DataFrame(rows)


def check_settings_pay(ctx: Context) -> Finding:
    groups = setting_group_means(ctx)
    basis = ctx.basis
    src = ["stg_oews__cells"]
    have = groups[groups.annual_mean_wage_usd.notna()]
    missing = groups[groups.annual_mean_wage_usd.isna()]
    if len(have) < 2:
        return Finding(
            NOT_TESTABLE,
            f"BLS published {basis.name} mean wages for fewer than two of the three settings "
            "(outpatient, hospitals, home health) for this occupation, so they cannot be compared"
            + (f"; it has one only for {', '.join(have.setting)}." if len(have) else "."),
            src,
        )
    parts = []
    for r in have.itertuples():
        codes = r.industries_used.split(", ")
        how = f"{' and '.join(codes)}, weighted by employment" if len(codes) > 1 else codes[0]
        parts.append(f"{r.setting} ({how}) {basis.money(r.annual_mean_wage_usd)}")
    hi = have.loc[have.annual_mean_wage_usd.idxmax()]
    lo = have.loc[have.annual_mean_wage_usd.idxmin()]
    gap = _gap_pct(hi.annual_mean_wage_usd, lo.annual_mean_wage_usd)
    verdict = SUPPORTED if gap >= SETTING_GAP_MIN_PCT else NOT_SUPPORTED
    text = (
        f"Mean {basis.name} wage, {have.reference_period.iloc[0]}, national industry cells: " + "; ".join(parts) + ". "
        f"{hi.setting} pays {gap:.1f}% more than {lo.setting} (rule: at least {SETTING_GAP_MIN_PCT:.0f}%). "
        f"The widest relative standard error of these means is {fmt.pct(have.max_wage_rse_pct.max())}. "
        "The settings chapter tests each pair of settings separately, against sampling error, so its verdict "
        "can be more qualified than this one, which asks only whether the widest gap is material."
    )
    unpublished = [i for s in groups.industries_not_published for i in s.split(", ") if i]
    if unpublished:
        text += (
            f" Not published for this occupation: industry {', '.join(unpublished)} (the release has no "
            "cell for it, or did not release its mean)."
        )
    if not missing.empty:
        text += f" No published mean at all for: {', '.join(missing.setting)}."
    return Finding(
        verdict, text, src, {"gap_pct": gap, **{r.setting: r.annual_mean_wage_usd for r in have.itertuples()}}
    )


def _state_count(ctx: Context) -> int:
    """How many of the 50 states and DC the release has as areas (territories left out)."""
    return ctx.con.execute(
        "SELECT count(*) FROM stg_oews__areas WHERE areatype_code = 'S' AND NOT list_contains(?, state_fips_code)",
        [list(TERRITORY_FIPS)],
    ).fetchall()[0][0]


def _states(ctx: Context, column: str) -> pd.DataFrame:
    return ctx.con.execute(
        f"""
        SELECT state_name, {column} AS value, {column}_flag AS flag, reference_period
        FROM mart_oews__state_wages
        WHERE soc_code = ? AND NOT list_contains(?, state_fips_code)
        """,
        [ctx.soc, list(TERRITORY_FIPS)],
    ).df()


def _too_few_states(ctx: Context, measure: str, published: int, states: pd.DataFrame) -> Finding:
    """Not testable: name what was missing and BLS's reason (or that the release has no state cells at all)."""
    src = ["stg_oews__cells"]
    if ctx.state_cells() == 0:
        return Finding(
            NOT_TESTABLE,
            "The release has no state estimates for this occupation code at all (it is "
            "published for the nation only), so regions cannot be compared.",
            src,
        )
    flags = unpub.flags_in(states, ["flag"])
    why = f" For the others: {unpub.reason(ctx.con, flags[0])}." if flags else ""
    return Finding(
        NOT_TESTABLE,
        f"BLS published {measure} for only {published} of the {_state_count(ctx)} states, "
        f"DC included, for this occupation: too few to compare regions.{why}",
        src,
    )


def check_region_pay(ctx: Context) -> Finding:
    basis = ctx.basis
    st = _states(ctx, basis.col("median"))
    src = ["stg_oews__cells"]
    pub = st[st.value.notna()].sort_values("value")
    if len(pub) < 10:
        return _too_few_states(ctx, f"a median {basis.name} wage", len(pub), st)
    lo, hi = pub.iloc[0], pub.iloc[-1]
    ratio = hi.value / lo.value
    q1, q3 = pub.value.quantile(0.25), pub.value.quantile(0.75)
    top_coded = int((st.flag == "top_coded").sum())
    verdict = SUPPORTED if ratio >= STATE_MEDIAN_RATIO_MIN else NOT_SUPPORTED
    text = (
        f"Median {basis.name} wage by state, {pub.reference_period.iloc[0]} (published for {len(pub)} of the "
        f"{_state_count(ctx)} states, DC included): highest {hi.state_name} {basis.money(hi.value)}, lowest "
        f"{lo.state_name} {basis.money(lo.value)}, a ratio of {ratio:.2f} (rule: at least "
        f"{STATE_MEDIAN_RATIO_MIN:.2f}). The middle half of states lie between {basis.money(q1)} and "
        f"{basis.money(q3)}. These are nominal wages, not adjusted for living costs."
    )
    if top_coded:
        text += (
            f" In {top_coded} state(s) the median is above BLS's top code and not published, so the true "
            "highest is higher still."
        )
    return Finding(verdict, text, src, {"ratio": ratio, "max": hi.value, "min": lo.value})


def check_region_demand(ctx: Context) -> Finding:
    st = _states(ctx, "jobs_per_1000")
    src = ["stg_oews__cells"]
    pub = st[st.value.notna()].sort_values("value")
    if len(pub) < 10 or pub.value.iloc[0] <= 0:
        return _too_few_states(ctx, "jobs per 1,000", len(pub), st)
    lo, hi = pub.iloc[0], pub.iloc[-1]
    ratio = hi.value / lo.value
    verdict = SUPPORTED if ratio >= STATE_JOBS_RATIO_MIN else NOT_SUPPORTED
    text = (
        f"Jobs in this occupation per 1,000 jobs of all kinds, by state, {pub.reference_period.iloc[0]} "
        f"(published for {len(pub)} of the {_state_count(ctx)} states, DC included): highest {hi.state_name} "
        f"{hi.value:.2f}, lowest {lo.state_name} "
        f"{lo.value:.2f}, a ratio of {ratio:.1f} (rule: at least {STATE_JOBS_RATIO_MIN:.1f}). This measures "
        "where the jobs are concentrated, which stands in for demand; OEWS does not count vacancies."
    )
    return Finding(verdict, text, src, {"ratio": ratio, "max": hi.value, "min": lo.value})


def _ep_latest(ctx: Context, soc: str) -> pd.Series | None:
    df = ctx.con.execute(
        """
        SELECT edition, base_year, projection_year, employment_base_persons, employment_projected_persons,
               employment_change_pct, openings_annual_avg_persons, openings_pct_of_base, self_employed_pct
        FROM mart_ep__occupation_outlook WHERE soc_code = ? AND is_latest_edition
        """,
        [soc],
    ).df()
    return None if df.empty else df.iloc[0]


def check_rehab_demand(ctx: Context) -> Finding:
    src = ["stg_ep__occupation_projections"]
    occ, total = _ep_latest(ctx, ctx.soc), _ep_latest(ctx, ALL_OCCUPATIONS_SOC)
    if occ is None or total is None or pd.isna(occ.employment_change_pct):
        return Finding(
            NOT_TESTABLE,
            "The latest Employment Projections edition has no projection for this "
            f"occupation. {ep_absent_sentence(ctx.con, ctx.soc)}",
            src,
        )
    faster = occ.employment_change_pct > total.employment_change_pct
    verdict = SUPPORTED if faster and occ.openings_annual_avg_persons > 0 else NOT_SUPPORTED
    text = (
        f"Employment Projections {occ.edition}: employment in this occupation is projected to change by "
        f"{occ.employment_change_pct:+.1f}% ({fmt.count(occ.employment_base_persons)} in {occ.base_year} to "
        f"{fmt.count(occ.employment_projected_persons)} in {occ.projection_year}), against "
        f"{total.employment_change_pct:+.1f}% for all occupations, with about "
        f"{fmt.count(occ.openings_annual_avg_persons)} openings a year. Rule: supported if the occupation "
        "grows faster than all occupations. EP does not say why employment grows, so the rehabilitation "
        "cause itself is not tested."
    )
    return Finding(
        verdict, text, src, {"change_pct": occ.employment_change_pct, "all_change_pct": total.employment_change_pct}
    )


def check_steady_demand(ctx: Context) -> Finding:
    src = ["stg_oews__history_cells", "stg_oews__cells", "stg_ep__occupation_projections"]
    hist = ctx.con.execute(
        """
        SELECT reference_year, reference_period, employment_count FROM core_oews__national_wage_history
        WHERE soc_code = ? AND employment_count IS NOT NULL ORDER BY reference_year
        """,
        [ctx.soc],
    ).df()
    occ, total = _ep_latest(ctx, ctx.soc), _ep_latest(ctx, ALL_OCCUPATIONS_SOC)
    if occ is None:
        return Finding(
            NOT_TESTABLE,
            "The rule needs the Employment Projections, and the latest edition has no projection for this occupation.",
            src,
        )
    if total is None:
        return Finding(
            NOT_TESTABLE,
            "The rule compares with all occupations, and the latest Employment Projections edition has no "
            f"projection for them (SOC {ALL_OCCUPATIONS_SOC}).",
            src,
        )
    if len(hist) < 2:
        return Finding(
            NOT_TESTABLE,
            f"BLS published national OEWS employment for this occupation in {len(hist)} "
            "release(s) only: too few to look for a fall.",
            src,
        )
    hist["change_pct"] = hist.employment_count.pct_change() * 100
    consecutive = hist.reference_year.diff() == 1
    worst = hist[consecutive].change_pct.min()
    first, last = hist.iloc[0], hist.iloc[-1]
    no_big_fall = pd.isna(worst) or worst >= -MAX_ANNUAL_FALL_PCT
    verdict = SUPPORTED if no_big_fall and occ.employment_change_pct >= 0 else NOT_SUPPORTED
    if pd.isna(worst) or worst >= 0:
        fall_text = "employment never fell from one year to the next"
    else:
        worst_year = hist.loc[hist[consecutive].change_pct.idxmin(), "reference_year"]
        fall_text = f"its largest one-year fall was {abs(worst):.1f}% (May {worst_year - 1} to May {worst_year})"
    text = (
        f"OEWS national employment went from {fmt.count(first.employment_count)} in {first.reference_period} to "
        f"{fmt.count(last.employment_count)} in {last.reference_period}; {fall_text}. EP {occ.edition} expects "
        f"about {fmt.count(occ.openings_annual_avg_persons)} openings a year, {fmt.pct(occ.openings_pct_of_base)} "
        f"of base-year employment (all occupations: {fmt.pct(total.openings_pct_of_base)}). Rule: supported if no "
        f"year-on-year fall exceeds {MAX_ANNUAL_FALL_PCT:.0f}% and EP projects no decline. Whether patient volume "
        "and staffing gaps are the cause is not tested."
    )
    return Finding(verdict, text, src, {"worst_change_pct": worst})


def check_pay_range(ctx: Context) -> Finding:
    src = ["stg_oews__cells"]
    basis = ctx.basis
    lo_col, hi_col = basis.col("p10"), basis.col("p90")
    row = ctx.con.execute(
        f"""
        SELECT reference_period, {lo_col} AS p10, {lo_col}_flag AS p10_flag, {hi_col} AS p90, {hi_col}_flag AS p90_flag
        FROM mart_oews__national_wages WHERE soc_code = ?
        """,
        [ctx.soc],
    ).df()
    if row.empty:
        return Finding(NOT_TESTABLE, "The release has no national estimate for this occupation.", src)
    r = row.iloc[0]
    if pd.isna(r.p10):
        return Finding(
            NOT_TESTABLE,
            f"BLS did not publish the national 10th-percentile {basis.name} wage for this "
            f"occupation: {unpub.reason(ctx.con, r.p10_flag)}.",
            src,
        )
    if pd.isna(r.p90):
        if r.p90_flag == "top_coded":
            return Finding(
                SUPPORTED,
                f"The national 90th-percentile wage is above BLS's top code, while the 10th "
                f"percentile is {basis.money(r.p10)}.",
                src,
            )
        return Finding(
            NOT_TESTABLE,
            f"BLS did not publish the national 90th-percentile {basis.name} wage: {unpub.reason(ctx.con, r.p90_flag)}.",
            src,
        )
    ratio = r.p90 / r.p10
    verdict = SUPPORTED if ratio >= PAY_RANGE_RATIO_MIN else NOT_SUPPORTED
    text = (
        f"National {basis.name} wages, {r.reference_period}: 10th percentile {basis.money(r.p10)}, "
        f"90th percentile {basis.money(r.p90)}, a ratio of {ratio:.2f} "
        f"(rule: at least {PAY_RANGE_RATIO_MIN:.1f})."
    )
    if basis.is_hourly:
        text += " BLS publishes hourly wages only for this occupation, so the test uses them."
    return Finding(verdict, text, src, {"ratio": ratio})


def _jolts_test(element: str, measure: str, what: str):
    def run(ctx: Context) -> Finding:
        src = ["stg_jolts__observations"]
        status = ctx.source_status("jolts")
        means = pd.DataFrame()
        if status in ("complete", "partial"):
            means = ctx.con.execute(
                """
                WITH s AS (
                    SELECT industry_code, month_start, value FROM core_jolts__monthly_rates_and_levels
                    WHERE seasonally_adjusted AND rate_level_code = 'R' AND data_element_code = ?
                      AND industry_code IN ('620000', '000000') AND value IS NOT NULL
                ), last AS (
                    SELECT month_start FROM s GROUP BY month_start HAVING count(DISTINCT industry_code) = 2
                    ORDER BY month_start DESC LIMIT ?
                )
                SELECT industry_code, avg(value) AS rate, count(*) AS months, min(month_start) AS first_month,
                       max(month_start) AS last_month
                FROM s JOIN last USING (month_start) GROUP BY industry_code
                """,
                [element, JOLTS_MONTHS],
            ).df()
        if means.empty or len(means) < 2:
            return Finding(
                NOT_TESTABLE,
                f"JOLTS is not in this build (status: {status}). With it, the test "
                f"compares the {measure} in health care and social assistance with total nonfarm over "
                f"the latest {JOLTS_MONTHS} months. JOLTS is a sector proxy: it has no occupation "
                "detail.",
                src,
            )
        hc = means.set_index("industry_code").loc["620000"]
        tn = means.set_index("industry_code").loc["000000"]
        verdict = SUPPORTED if hc.rate > tn.rate else NOT_SUPPORTED
        period = f"{hc.first_month:%b %Y} to {hc.last_month:%b %Y}"
        text = (
            f"JOLTS, seasonally adjusted, average of {int(hc.months)} months ({period}): {measure} "
            f"{hc.rate:.1f}% in health care and social assistance against {tn.rate:.1f}% for total nonfarm. "
            f"Rule: supported if health care's rate is higher, which would point to {what}. JOLTS is a sector "
            "proxy: it covers every job in health care and social assistance, not this occupation alone."
        )
        return Finding(verdict, text, src, {"health_care": hc.rate, "total_nonfarm": tn.rate})

    return run


def _not_testable(why: str):
    def run(ctx: Context) -> Finding:
        return Finding(NOT_TESTABLE, why)

    return run


CLAIMS: list[Claim] = [
    Claim(
        "C1",
        "What the occupation pays depends a good deal on the care setting: outpatient clinics, hospitals "
        "and home health do not pay alike.",
        "Market snapshot",
        f"Mean annual wages (hourly for an occupation BLS publishes hourly wages only for) of outpatient (621340), "
        f"hospital (622100 and 622300, weighted by employment) and home health (621600) cells; "
        f"supported if the highest is at least {SETTING_GAP_MIN_PCT:.0f}% above the lowest.",
        check_settings_pay,
    ),
    Claim(
        "C2",
        "Pay depends on the region where the job is.",
        "Market snapshot",
        f"State median annual (or hourly-only) wages (50 states and DC); supported if the highest is at least "
        f"{STATE_MEDIAN_RATIO_MIN:.2f} times the lowest.",
        check_region_pay,
    ),
    Claim(
        "C3",
        "Demand for the occupation is not spread evenly across regions.",
        "Market snapshot",
        f"Jobs per 1,000 jobs by state (50 states and DC); supported if the highest is at least "
        f"{STATE_JOBS_RATIO_MIN:.1f} times the lowest.",
        check_region_demand,
    ),
    Claim(
        "C4",
        "Patients' rehabilitation and recovery needs, in hospital and outpatient care, keep employers hiring.",
        "Demand drivers",
        "Latest Employment Projections edition; supported if the occupation's projected employment growth "
        "exceeds that of all occupations.",
        check_rehab_demand,
    ),
    Claim(
        "C5",
        "Patient volume and unfilled posts keep demand for the occupation steady.",
        "Demand drivers",
        f"National OEWS employment since May 2020 and EP projected change; supported if no year-on-year fall "
        f"exceeds {MAX_ANNUAL_FALL_PCT:.0f}% and EP projects no decline.",
        check_steady_demand,
    ),
    Claim(
        "C6",
        "Pay for the occupation spans a wide band rather than a single going rate.",
        "Compensation and leveling",
        f"National annual (or hourly-only) wage percentiles; supported if the 90th percentile is at least "
        f"{PAY_RANGE_RATIO_MIN:.1f} times the 10th.",
        check_pay_range,
    ),
    Claim(
        "C7",
        "Staffing shortfalls and workload pressures shape how employers hire.",
        "Market snapshot",
        f"JOLTS job openings rate, health care and social assistance against total nonfarm, latest "
        f"{JOLTS_MONTHS} months; supported if health care's is higher.",
        _jolts_test("JO", "job openings rate", "unusually many unfilled posts"),
    ),
    Claim(
        "C8",
        "Staff turnover (churn) is a live risk for employers of this occupation.",
        "Action plan",
        f"JOLTS quits rate, health care and social assistance against total nonfarm, latest {JOLTS_MONTHS} "
        "months; supported if health care's is higher.",
        _jolts_test("QU", "quits rate", "above-average churn"),
    ),
    Claim(
        "C9",
        "Heavy documentation and productivity targets push clinicians toward burnout.",
        "Executive summary; Risks and outlook",
        "No source in this book measures it.",
        _not_testable(
            "No source in this book measures documentation time, productivity targets or burnout. OEWS "
            "and EP count jobs and pay; JOLTS counts quits for a whole sector and says nothing about why "
            "people leave."
        ),
    ),
    Claim(
        "C10",
        "Licensing and credentialing can delay a start, so a move across states needs planning.",
        "Market snapshot",
        "No source in this book measures it.",
        _not_testable(
            "None of the sources covers licensing rules or how long licensure takes; that would need "
            "state licensing boards' data."
        ),
    ),
    Claim(
        "C11",
        "Employers' equity grants and refresh policies differ more than their base salaries do.",
        "Compensation and leveling",
        "No source in this book measures it.",
        _not_testable(
            "OEWS wages are straight-time pay and exclude equity, bonuses and benefits; the compensation "
            "samples record pay only. Nothing here measures equity grants."
        ),
    ),
    Claim(
        "C12",
        "How well an employer's support model fits a clinician matters for retention as much as pay.",
        "Risks and outlook",
        "No source in this book measures it.",
        _not_testable(
            "Retention by employer, support model or fit is not measured by any source in this book; "
            "JOLTS quits are sector-wide and carry no reasons."
        ),
    ),
    Claim(
        "C13",
        "AI tools can help draft clinical notes, while clinical reasoning stays the differentiator.",
        "Risks and outlook",
        "No source in this book measures it.",
        _not_testable("A forecast about tools and skills; none of the labour-market sources here can test it."),
    ),
]


def run_ledger(con, soc: str) -> pd.DataFrame:
    """Every claim with its verdict and evidence, in ledger order."""
    ctx = Context(con, soc)
    rows = []
    for claim in CLAIMS:
        f = claim.test(ctx)
        rows.append(
            {
                "claim_id": claim.claim_id,
                "claim": claim.paraphrase,
                "report_section": claim.section,
                "rule": claim.rule,
                "evidence": f.evidence,
                "verdict": f.verdict,
                "sources": f.sources,
                "numbers": json.dumps({k: (None if pd.isna(v) else float(v)) for k, v in f.numbers.items()}),
            }
        )
    return pd.DataFrame(rows)


# ---- methodology: the SQL behind each table ----------------------------------------------------------------


def mart_sql(sql_dir: Path) -> list[dict]:
    """Each mart's name, description, inputs and full SQL text, from warehouse/sql/marts."""
    from pipeline.lineage import sql_description, tables_read

    out = []
    for path in sorted((Path(sql_dir) / "marts").glob("*.sql")):
        sql = path.read_text()
        description, deps = sql_description(sql), sorted(tables_read(sql) - {path.stem})
        out.append(
            {
                "table": path.stem,
                "description": description,
                "depends": deps,
                "sql": sql,
                "file": f"warehouse/sql/marts/{path.name}",
            }
        )
    return out


def sql_details_html(mart: dict) -> str:
    deps = ", ".join(f"<code>{html.escape(d)}</code>" for d in mart["depends"]) or "none"
    return (
        f'<details class="mart-sql"><summary><code>{html.escape(mart["table"])}</code> — '
        f"{html.escape(mart['description'])}</summary>"
        f"<p>Reads: {deps}. File: <code>{html.escape(mart['file'])}</code>.</p>"
        f'<pre style="max-height:32rem;overflow:auto;font-size:0.78rem"><code class="language-sql">'
        f"{html.escape(mart['sql'])}</code></pre></details>"
    )


def staging_inputs(marts: list[dict], table: str) -> list[str]:
    """The staging and seed tables a mart reads, following marts that read other marts."""
    by_name = {m["table"]: m for m in marts}
    seen, out = set(), []

    def walk(name):
        for dep in by_name[name]["depends"]:
            if dep in seen:
                continue
            seen.add(dep)
            if dep in by_name:
                walk(dep)
            else:
                out.append(dep)

    walk(table)
    return out


def suppressed_cells(con, soc: str, median_col: str = "annual_median_wage_usd") -> pd.DataFrame:
    """For the occupation's state, metro and national-industry cells: how many lack a published value.

    ``median_col`` is the median the book shows (the hourly one for an occupation BLS pays hourly only, so a
    pay basis BLS never publishes is not counted as thousands of suppressed cells).
    """
    mean_col = median_col.replace("median", "mean")
    return con.execute(
        f"""
        SELECT CASE WHEN c.areatype_code = 'S' THEN 'States and territories (all industries)'
                    WHEN c.areatype_code = 'M' THEN 'Metropolitan areas (all industries)'
                    ELSE 'Industries (national)' END AS level,
               count(*) AS cells_listed,
               count(*) FILTER (WHERE c.employment_count_flag IS NOT NULL) AS employment_not_published,
               count(*) FILTER (WHERE c.{median_col}_flag = 'top_coded') AS median_top_coded,
               count(*) FILTER (WHERE c.{median_col}_flag IS NOT NULL
                                  AND c.{median_col}_flag <> 'top_coded') AS median_not_published,
               count(*) FILTER (WHERE c.employment_count_flag IS NOT NULL
                                   OR c.{median_col}_flag IS NOT NULL
                                   OR c.{mean_col}_flag IS NOT NULL) AS any_not_published
        FROM stg_oews__cells c JOIN stg_oews__occupations o USING (occupation_code)
        WHERE o.soc_code = ?
          AND ((c.areatype_code IN ('S', 'M') AND c.industry_code = '000000')
               OR (c.areatype_code = 'N' AND c.industry_code <> '000000'))
        GROUP BY ALL ORDER BY min(CASE c.areatype_code WHEN 'S' THEN 1 WHEN 'M' THEN 2 ELSE 3 END)
        """,
        [soc],
    ).df()


# ---- data downloads ----------------------------------------------------------------------------------------


def write_csv(downloads_dir: str | Path, page: str, name: str, data: pd.DataFrame) -> tuple[Path, str]:
    """Write a CSV under <downloads_dir>/<page>/<name>.csv; return its path and the page-relative href."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"download name {name!r}: use lower-case letters, digits and underscores")
    folder = Path(downloads_dir) / page
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    data.to_csv(path, index=False)
    return path, f"../_static/data/{page}/{name}.csv"


def toc_pages(book_dir: Path) -> list[str]:
    """The book's pages (notebook stems) in table-of-contents order."""
    import yaml

    toc = yaml.safe_load((Path(book_dir) / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return [Path(f).name for f in files]


def page_title(md_path: Path) -> str:
    for line in Path(md_path).read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return Path(md_path).stem.replace("_", " ").capitalize()


def linked_csvs(executed_notebook: Path, page: str) -> set[str] | None:
    """CSV file names a page's executed notebook links to, or None when the notebook is not at hand."""
    if not executed_notebook.exists():
        return None
    text = executed_notebook.read_text()
    return set(re.findall(rf"_static/data/{re.escape(page)}/([a-z0-9_]+\.csv)", text))


def csv_listing(folder: Path, only: set[str] | None = None) -> pd.DataFrame:
    rows = []
    for path in sorted(Path(folder).glob("*.csv")):
        if only is not None and path.name not in only:
            continue
        try:
            n_rows = len(pd.read_csv(path))
        except Exception:  # an unreadable file is listed as such, not hidden
            n_rows = None
        rows.append({"file": path.name, "bytes": path.stat().st_size, "rows": n_rows})
    return pd.DataFrame(rows, columns=["file", "bytes", "rows"])


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024**2:.1f} MB"


def links_table_html(page: str, listing: pd.DataFrame, descriptions: dict[str, str] | None = None) -> str:
    """A table of CSV links (relative to the page), sizes and row counts."""
    head = "<tr><th>File</th>" + ("<th>What it holds</th>" if descriptions else "") + "<th>Size</th><th>Rows</th></tr>"
    body = []
    for r in listing.itertuples():
        href = f"../_static/data/{page}/{r.file}"
        desc = f"<td>{html.escape(descriptions.get(r.file, ''))}</td>" if descriptions else ""
        rows = "unreadable" if pd.isna(r.rows) else f"{int(r.rows):,}"
        body.append(
            f'<tr><td><a class="csv-download" href="{html.escape(href)}" download>{html.escape(r.file)}</a>'
            f"</td>{desc}<td>{human_size(int(r.bytes))}</td><td>{rows}</td></tr>"
        )
    return (
        f'<table class="report-table downloads-table" style="margin-left:0"><thead>{head}</thead><tbody>{"".join(body)}'
        "</tbody></table>"
    )
