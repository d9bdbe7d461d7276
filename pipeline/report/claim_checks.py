"""The checks behind the claims ledger: each fetches the numbers one claim rests on and decides its verdict.

A check returns an ``Outcome``: a verdict key, the names of the evidence sentences that apply and the figures
those sentences need. It never words anything itself: the sentences, rules and thresholds are in
book/claims_ledger.yaml, and pipeline/report/claims.py (the engine) fills them in. The thresholds reach a check
through its ``rule`` argument, so changing one in the YAML changes the test and the printed rule together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt
from pipeline.report import unpublished as unpub
from pipeline.report.market_pages import combined_band
from pipeline.report.oews_pages import ep_absent_sentence

if TYPE_CHECKING:
    import duckdb

    from pipeline.report.warehouse import RecordingConnection

SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not_supported", "not_testable"
VERDICT_KEYS = (SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE)
# Outside the national estimate (and outside the 50-states-and-DC comparison): territories.
TERRITORY_FIPS = domain.territory_fips()
ALL_OCCUPATIONS_SOC = "00-0000"


@dataclass
class Outcome:
    """What a check found: a verdict key, the evidence sentences that apply (by name) and their figures."""

    verdict: str
    says: list[str]
    values: dict = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)  # the figures the verdict rests on, for the ledger's CSV

    def __post_init__(self):
        if self.verdict not in VERDICT_KEYS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


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


# A check takes the context and its claim's entry from the YAML (thresholds under "thresholds").
Check = Callable[[Context, dict], Outcome]


def _gap_pct(high: float, low: float) -> float:
    return (high / low - 1) * 100


# ---- C1: pay by setting --------------------------------------------------------------------------------------


def setting_group_means(ctx: Context, claim_groups: str = "pay_differs_by_setting") -> pd.DataFrame:
    """One row per setting group: the employment-weighted mean wage of its published industry cells.

    The groups and their OEWS industries are warehouse/seeds/claim_groups.csv's rows for ``claim_groups``; the
    hospital group combines acute (622100) and rehabilitation/specialty (622300) hospitals, weighted by
    employment. The mean is annual, or hourly for an occupation BLS publishes hourly wages only for
    (``ctx.basis``); the column keeps the name ``annual_mean_wage_usd`` either way, and ``pay_basis`` says which.
    ``max_wage_rse_pct`` is the larger RSE of a group's cells: a combined mean's standard error is taken as its
    mean times that RSE, which is never smaller than the true combined error.
    """
    setting_groups = domain.claim_group_industries(claim_groups)
    codes = [c for _, group in setting_groups for c in group]
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
    for label, group in setting_groups:
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


def settings_pay(ctx: Context, claim: dict) -> Outcome:
    rule = claim["thresholds"]
    groups = setting_group_means(ctx, claim["setting_groups"])
    basis = ctx.basis
    src = ["stg_oews__cells"]
    have = groups[groups.annual_mean_wage_usd.notna()]
    missing = groups[groups.annual_mean_wage_usd.isna()]
    if len(have) < 2:
        only_one = f"; it has one only for {', '.join(have.setting)}" if len(have) else ""
        return Outcome(NOT_TESTABLE, ["too_few_settings"], {"pay_word": basis.name, "only_one": only_one}, src)
    parts = []
    for r in have.itertuples():
        codes = r.industries_used.split(", ")
        how = f"{' and '.join(codes)}, weighted by employment" if len(codes) > 1 else codes[0]
        parts.append(f"{r.setting} ({how}) {basis.money(r.annual_mean_wage_usd)}")
    hi = have.loc[have.annual_mean_wage_usd.idxmax()]
    lo = have.loc[have.annual_mean_wage_usd.idxmin()]
    gap_pct = _gap_pct(hi.annual_mean_wage_usd, lo.annual_mean_wage_usd)
    gap = hi.annual_mean_wage_usd - lo.annual_mean_wage_usd
    band = combined_band(
        hi.annual_mean_wage_usd,
        hi.max_wage_rse_pct,
        lo.annual_mean_wage_usd,
        lo.max_wage_rse_pct,
        rule["sampling_band_multiple"],
    )
    values = {
        "pay_word": basis.name,
        "period": have.reference_period.iloc[0],
        "settings": "; ".join(parts),
        "high": hi.setting,
        "low": lo.setting,
        "gap_pct": gap_pct,
        "gap": basis.money(gap),
        "max_rse": fmt.pct(have.max_wage_rse_pct.max()),
        "band": basis.money(band),
        "beyond": "beyond" if gap > band else "within",
    }
    says = ["measured"]
    if math.isnan(band):
        verdict = NOT_TESTABLE
        says.append("sampling_unknown")
    else:
        says.append("sampling_band")
        verdict = SUPPORTED if gap_pct >= rule["min_gap_pct"] and gap > band else NOT_SUPPORTED
    says.append("settings_chapter")
    unpublished = [i for s in groups.industries_not_published for i in s.split(", ") if i]
    if unpublished:
        says.append("industries_not_published")
        values["industries"] = ", ".join(unpublished)
    if not missing.empty:
        says.append("settings_not_published")
        values["missing_settings"] = ", ".join(missing.setting)
    numbers = {
        "gap_pct": gap_pct,
        "gap_usd": gap,
        "sampling_band_usd": band,
        **{r.setting: r.annual_mean_wage_usd for r in have.itertuples()},
    }
    return Outcome(verdict, says, values, src, numbers)


# ---- C2, C3: regions -----------------------------------------------------------------------------------------


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


def _too_few_states(ctx: Context, measure: str, published: int, states: pd.DataFrame) -> Outcome:
    """Not testable: name what was missing and BLS's reason (or that the release has no state cells at all)."""
    src = ["stg_oews__cells"]
    if ctx.state_cells() == 0:
        return Outcome(NOT_TESTABLE, ["no_state_cells"], {}, src)
    flags = unpub.flags_in(states, ["flag"])
    says = ["too_few_states"] + (["too_few_states_reason"] if flags else [])
    values = {"measure": measure, "published": published, "states": _state_count(ctx)}
    if flags:
        values["reason"] = unpub.reason(ctx.con, flags[0])
    return Outcome(NOT_TESTABLE, says, values, src)


def region_pay(ctx: Context, claim: dict) -> Outcome:
    rule = claim["thresholds"]
    basis = ctx.basis
    st = _states(ctx, basis.col("median"))
    pub = st[st.value.notna()].sort_values("value")
    if len(pub) < rule["min_states"]:
        return _too_few_states(ctx, f"a median {basis.name} wage", len(pub), st)
    lo, hi = pub.iloc[0], pub.iloc[-1]
    ratio = hi.value / lo.value
    top_coded = int((st.flag == "top_coded").sum())
    values = {
        "pay_word": basis.name,
        "period": pub.reference_period.iloc[0],
        "published": len(pub),
        "states": _state_count(ctx),
        "high_state": hi.state_name,
        "high": basis.money(hi.value),
        "low_state": lo.state_name,
        "low": basis.money(lo.value),
        "ratio": ratio,
        "q1": basis.money(pub.value.quantile(0.25)),
        "q3": basis.money(pub.value.quantile(0.75)),
        "top_coded": top_coded,
    }
    verdict = SUPPORTED if ratio >= rule["min_ratio"] else NOT_SUPPORTED
    says = ["measured"] + (["top_coded"] if top_coded else [])
    return Outcome(verdict, says, values, ["stg_oews__cells"], {"ratio": ratio, "max": hi.value, "min": lo.value})


def region_demand(ctx: Context, claim: dict) -> Outcome:
    rule = claim["thresholds"]
    st = _states(ctx, "jobs_per_1000")
    pub = st[st.value.notna()].sort_values("value")
    if len(pub) < rule["min_states"] or pub.value.iloc[0] <= 0:
        return _too_few_states(ctx, "jobs per 1,000", len(pub), st)
    lo, hi = pub.iloc[0], pub.iloc[-1]
    ratio = hi.value / lo.value
    values = {
        "period": pub.reference_period.iloc[0],
        "published": len(pub),
        "states": _state_count(ctx),
        "high_state": hi.state_name,
        "high": hi.value,
        "low_state": lo.state_name,
        "low": lo.value,
        "ratio": ratio,
    }
    verdict = SUPPORTED if ratio >= rule["min_ratio"] else NOT_SUPPORTED
    return Outcome(
        verdict, ["measured"], values, ["stg_oews__cells"], {"ratio": ratio, "max": hi.value, "min": lo.value}
    )


# ---- C4, C5: demand ------------------------------------------------------------------------------------------


def _ep_latest(ctx: Context, soc: str) -> pd.Series | None:
    df = ctx.con.execute(
        """
        SELECT edition, base_year, projection_year, employment_base_jobs, employment_projected_jobs,
               employment_change_pct, openings_annual_avg_count, openings_pct_of_base, self_employed_pct
        FROM mart_ep__occupation_outlook WHERE soc_code = ? AND is_latest_edition
        """,
        [soc],
    ).df()
    return None if df.empty else df.iloc[0]


def rehab_demand(ctx: Context, claim: dict) -> Outcome:
    src = ["stg_ep__occupation_projections"]
    occ, total = _ep_latest(ctx, ctx.soc), _ep_latest(ctx, ALL_OCCUPATIONS_SOC)
    if occ is None or total is None or pd.isna(occ.employment_change_pct):
        return Outcome(NOT_TESTABLE, ["ep_absent"], {"ep_absent_sentence": ep_absent_sentence(ctx.con, ctx.soc)}, src)
    faster = occ.employment_change_pct > total.employment_change_pct
    verdict = SUPPORTED if faster and occ.openings_annual_avg_count > 0 else NOT_SUPPORTED
    values = {
        "edition": occ.edition,
        "change": f"{occ.employment_change_pct:+.1f}%",
        "base_jobs": fmt.count(occ.employment_base_jobs),
        "base_year": occ.base_year,
        "projected_jobs": fmt.count(occ.employment_projected_jobs),
        "projection_year": occ.projection_year,
        "all_change": f"{total.employment_change_pct:+.1f}%",
        "openings": fmt.count(occ.openings_annual_avg_count),
    }
    numbers = {"change_pct": occ.employment_change_pct, "all_change_pct": total.employment_change_pct}
    return Outcome(verdict, ["measured"], values, src, numbers)


def steady_demand(ctx: Context, claim: dict) -> Outcome:
    rule = claim["thresholds"]
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
        return Outcome(NOT_TESTABLE, ["no_projection"], {}, src)
    if total is None:
        return Outcome(NOT_TESTABLE, ["no_total_projection"], {"all_occupations_soc": ALL_OCCUPATIONS_SOC}, src)
    if len(hist) < 2:
        return Outcome(NOT_TESTABLE, ["too_few_releases"], {"releases": len(hist)}, src)
    hist["change_pct"] = hist.employment_count.pct_change() * 100
    consecutive = hist.reference_year.diff() == 1
    worst = hist[consecutive].change_pct.min()
    first, last = hist.iloc[0], hist.iloc[-1]
    no_big_fall = pd.isna(worst) or worst >= -rule["max_annual_fall_pct"]
    verdict = SUPPORTED if no_big_fall and occ.employment_change_pct >= 0 else NOT_SUPPORTED
    values = {
        "first_jobs": fmt.count(first.employment_count),
        "first_period": first.reference_period,
        "last_jobs": fmt.count(last.employment_count),
        "last_period": last.reference_period,
        "edition": occ.edition,
        "openings": fmt.count(occ.openings_annual_avg_count),
        "openings_pct": fmt.pct(occ.openings_pct_of_base),
        "all_openings_pct": fmt.pct(total.openings_pct_of_base),
    }
    if pd.isna(worst) or worst >= 0:
        says = ["never_fell", "openings"]
    else:
        worst_year = int(hist.loc[hist[consecutive].change_pct.idxmin(), "reference_year"])
        values |= {"worst_fall_pct": abs(worst), "worst_from_year": worst_year - 1, "worst_year": worst_year}
        says = ["largest_fall", "openings"]
    return Outcome(verdict, says, values, src, {"worst_change_pct": worst})


# ---- C6: pay range -------------------------------------------------------------------------------------------


def pay_range(ctx: Context, claim: dict) -> Outcome:
    rule = claim["thresholds"]
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
        return Outcome(NOT_TESTABLE, ["no_national_row"], {}, src)
    r = row.iloc[0]
    values: dict = {"pay_word": basis.name, "period": r.reference_period}
    if pd.isna(r.p10):
        return Outcome(NOT_TESTABLE, ["no_p10"], values | {"reason": unpub.reason(ctx.con, r.p10_flag)}, src)
    values["p10"] = basis.money(r.p10)
    if pd.isna(r.p90):
        if r.p90_flag == "top_coded":
            return Outcome(SUPPORTED, ["p90_top_coded"], values, src)
        return Outcome(NOT_TESTABLE, ["no_p90"], values | {"reason": unpub.reason(ctx.con, r.p90_flag)}, src)
    ratio = r.p90 / r.p10
    values |= {"p90": basis.money(r.p90), "ratio": ratio}
    verdict = SUPPORTED if ratio >= rule["min_ratio"] else NOT_SUPPORTED
    says = ["measured"] + (["hourly_only"] if basis.is_hourly else [])
    return Outcome(verdict, says, values, src, {"ratio": ratio})


# ---- C7, C8: JOLTS, a sector proxy ---------------------------------------------------------------------------


def _jolts_check(element: str, measure: str) -> Check:
    def run(ctx: Context, claim: dict) -> Outcome:
        months = claim["thresholds"]["months"]
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
                [element, months],
            ).df()
        values: dict = {"status": status, "measure": measure, "months": months}
        if means.empty or len(means) < 2:
            return Outcome(NOT_TESTABLE, ["jolts_absent"], values, src)
        hc = means.set_index("industry_code").loc["620000"]
        tn = means.set_index("industry_code").loc["000000"]
        verdict = SUPPORTED if hc.rate > tn.rate else NOT_SUPPORTED
        values |= {
            "months_used": int(hc.months),
            "period": f"{hc.first_month:%b %Y} to {hc.last_month:%b %Y}",
            "health_care_rate": hc.rate,
            "total_nonfarm_rate": tn.rate,
            "what": claim["says"]["what"],
        }
        return Outcome(verdict, ["jolts_measured"], values, src, {"health_care": hc.rate, "total_nonfarm": tn.rate})

    return run


def not_measured(ctx: Context, claim: dict) -> Outcome:
    """A claim no source in this book measures: not testable, for the reason its YAML entry gives."""
    return Outcome(NOT_TESTABLE, ["why"])


# The names the YAML's ``check:`` may use.
CHECKS: dict[str, Check] = {
    "settings_pay": settings_pay,
    "region_pay": region_pay,
    "region_demand": region_demand,
    "rehab_demand": rehab_demand,
    "steady_demand": steady_demand,
    "pay_range": pay_range,
    "jolts_openings": _jolts_check("JO", "job openings rate"),
    "jolts_quits": _jolts_check("QU", "quits rate"),
    "not_measured": not_measured,
}
