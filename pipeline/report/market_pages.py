"""Helpers for the market chapters (settings, outlook, openings and churn, compensation).

Nothing here reads a number from anywhere but the frames it is given, and nothing fills in a value BLS did not
publish. The yardsticks used to judge a claim are rule parameters, named here so a page can state them.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt

# Rule parameters for testing "pay differs materially between outpatient, inpatient and home health".
# A gap is *material* when it is at least this share of the occupation's national median annual wage.
MATERIAL_SHARE_OF_MEDIAN = 0.05
# A gap is *distinguishable from sampling error* when it exceeds this many combined standard errors of the two
# means (each mean's standard error = mean x its wage relative standard error).
SAMPLING_BAND_MULTIPLE = 2.0
# Which settings of the seed stand for each side of the claim (warehouse/seeds/claim_groups.csv, the grouping the
# claims ledger uses too): setting id -> side.
CLAIM_GROUPS = domain.claim_groups("pay_differs_by_setting")


def missing(x) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def value_or_reason(value, flag, formatter) -> str:
    """The formatted value, or why BLS did not publish it (never a guess)."""
    if not missing(flag) and flag:
        return fmt.flag_text(flag)
    return formatter(None if missing(value) else value)


def setting_label(row) -> str:
    return f"{row['report_variant']}{' (proxy)' if bool(row['is_proxy']) else ''}"


def combined_band(mean_a, rse_a, mean_b, rse_b, multiple: float = SAMPLING_BAND_MULTIPLE) -> float:
    """``multiple`` x the standard error of the difference of two independent means, in dollars (NaN if unknown)."""
    if any(missing(v) for v in (mean_a, rse_a, mean_b, rse_b)):
        return float("nan")
    se_a = mean_a * rse_a / 100.0
    se_b = mean_b * rse_b / 100.0
    return multiple * math.sqrt(se_a**2 + se_b**2)


def setting_pairs(
    settings: pd.DataFrame, yardstick_usd: float, groups: dict[str, str] = CLAIM_GROUPS, basis: str = "annual"
) -> pd.DataFrame:
    """Every pair of the claim's settings that have a published mean: gaps in means and medians, judged.

    ``settings`` has one row per setting (setting_id, label, <basis>_mean_wage_usd, wage_rse_pct,
    <basis>_median_wage_usd), where ``basis`` is "annual" or, for occupations BLS pays hourly only, "hourly"; the
    yardstick must be on the same basis. Each pair is ordered higher mean first. ``cross_group`` is True when the
    two settings sit on different sides of the claim (outpatient, inpatient, home health).
    """
    mean_col, median_col = f"{basis}_mean_wage_usd", f"{basis}_median_wage_usd"
    rows = settings[settings.setting_id.isin(list(groups)) & settings[mean_col].notna()]
    out = []
    for (_, a), (_, b) in itertools.combinations(rows.iterrows(), 2):
        hi, lo = (a, b) if a[mean_col] >= b[mean_col] else (b, a)
        gap = hi[mean_col] - lo[mean_col]
        band = combined_band(hi[mean_col], hi.wage_rse_pct, lo[mean_col], lo.wage_rse_pct)
        median_gap = (
            hi[median_col] - lo[median_col]
            if not (missing(hi[median_col]) or missing(lo[median_col]))
            else float("nan")
        )
        gap_share = gap / yardstick_usd if yardstick_usd else float("nan")
        out.append(
            {
                "higher": hi.label,
                "lower": lo.label,
                "higher_id": hi.setting_id,
                "lower_id": lo.setting_id,
                "cross_group": groups[hi.setting_id] != groups[lo.setting_id],
                "mean_gap_usd": gap,
                "mean_gap_pct_of_median": 100 * gap_share,
                "sampling_band_usd": band,
                "distinguishable": None if math.isnan(band) else bool(gap > band),
                "material": bool(gap_share >= MATERIAL_SHARE_OF_MEDIAN),
                "median_gap_usd": median_gap,
                "median_gap_pct_of_median": (
                    100 * median_gap / yardstick_usd if yardstick_usd and not math.isnan(median_gap) else float("nan")
                ),
            }
        )
    cols = [
        "higher",
        "lower",
        "higher_id",
        "lower_id",
        "cross_group",
        "mean_gap_usd",
        "mean_gap_pct_of_median",
        "sampling_band_usd",
        "distinguishable",
        "material",
        "median_gap_usd",
        "median_gap_pct_of_median",
    ]
    return pd.DataFrame(out, columns=cols).sort_values("mean_gap_usd", ascending=False, ignore_index=True)


def claim_verdict(pairs: pd.DataFrame, money=fmt.usd, pay_word: str = "annual") -> tuple[str, str]:
    """(short verdict, sentence) for the claim, from the cross-group pairs only (``money`` formats the gaps)."""
    cross = pairs[pairs.cross_group]
    if cross.empty:
        return (
            "cannot be tested",
            "The claim cannot be tested for this occupation: BLS published a mean wage for fewer than two of "
            "the three sides (outpatient, inpatient, home health).",
        )
    passing = cross[(cross.distinguishable == True) & cross.material]  # noqa: E712 (None means unknown)
    n, k = len(cross), len(passing)
    top = cross.iloc[0]
    lead = (
        f"The widest gap is between {top.higher} and {top.lower}: {money(top.mean_gap_usd)} in mean "
        f"{pay_word} pay, {fmt.pct(top.mean_gap_pct_of_median)} of the national median"
    )
    if not math.isnan(top.sampling_band_usd):
        lead += f", against a sampling band of {money(top.sampling_band_usd)}"
    lead += "."
    if k == n:
        verdict = "holds"
        detail = (
            f"All {n} comparisons across the three sides clear both yardsticks: each gap is larger than "
            "sampling error and at least the materiality threshold."
        )
    elif k == 0:
        verdict = "does not hold"
        detail = (
            f"None of the {n} comparisons across the three sides clears both yardsticks, so the data do not "
            "show a material difference in pay between these settings."
        )
    else:
        verdict = "holds in part"
        fails = []
        for _, p in cross.iterrows():
            if p.distinguishable is True and p.material:
                continue
            why = (
                "within sampling error"
                if p.distinguishable is False
                else "sampling error unknown"
                if p.distinguishable is None
                else f"measurable, but only {fmt.pct(p.mean_gap_pct_of_median)} of the national median"
            )
            fails.append(f"{p.higher} versus {p.lower} ({money(p.mean_gap_usd)}: {why})")
        detail = (
            f"{k} of the {n} comparisons across the three sides clear both yardsticks. The ones that do not: "
            + "; ".join(fails)
            + "."
        )
    return verdict, f"{lead} {detail}"


def nsa_minus_sa_by_month(series: pd.DataFrame) -> pd.DataFrame:
    """Average (not seasonally adjusted - seasonally adjusted) by calendar month, per industry and data element.

    ``series`` has industry_code, industry_name, data_element, seasonally_adjusted, month_start, value. Only months
    with both values count; ``years`` says how many went into each average.
    """
    keys = ["industry_code", "industry_name", "data_element", "month_start"]
    sa = series[series.seasonally_adjusted].set_index(keys)["value"].rename("sa")
    nsa = series[~series.seasonally_adjusted].set_index(keys)["value"].rename("nsa")
    both = pd.concat([sa, nsa], axis=1).dropna().reset_index()
    if both.empty:
        return pd.DataFrame(
            columns=[
                "industry_code",
                "industry_name",
                "data_element",
                "calendar_month",
                "month_name",
                "avg_nsa_minus_sa",
                "years",
            ]
        )
    both["diff"] = both.nsa - both.sa
    both["calendar_month"] = pd.to_datetime(both.month_start).dt.month
    out = (
        both.groupby(["industry_code", "industry_name", "data_element", "calendar_month"])
        .agg(avg_nsa_minus_sa=("diff", "mean"), years=("diff", "size"))
        .reset_index()
    )
    out["month_name"] = pd.to_datetime(out.calendar_month.astype(str), format="%m").dt.strftime("%b")
    return out


def signed_usd(x) -> str:
    """A dollar gap with its sign in front ('-$130', '+$4,980'); 'not published' when unknown."""
    if missing(x):
        return fmt.NOT_PUBLISHED
    return f"{'-' if x < 0 else '+' if x > 0 else ''}{fmt.usd(abs(x))}"
