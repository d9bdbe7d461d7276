"""Helpers for the market chapters (settings, outlook, openings and churn, compensation).

Nothing here reads a number from anywhere but the frames it is given, and nothing fills in a value BLS did not
publish. The yardsticks the settings chapter judges pay gaps by are the claims ledger's (book/claims_ledger.yaml,
claim C1): the page passes them in, so a chapter and the ledger cannot judge the same gap two ways.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt
from pipeline.report.text import missing

# Which settings of the seed stand for each side of the claim "pay differs by care setting"
# (warehouse/seeds/claim_groups.csv, the grouping the claims ledger uses too): setting id -> side.
CLAIM_GROUPS = domain.claim_groups("pay_differs_by_setting")


def setting_label(row) -> str:
    return f"{row['report_variant']}{' (proxy)' if bool(row['is_proxy']) else ''}"


def combined_band(mean_a, rse_a, mean_b, rse_b, multiple: float) -> float:
    """``multiple`` x the standard error of the difference of two independent means, in dollars (NaN if unknown).

    Each mean's standard error is the mean times its relative standard error (RSE, in percent) as BLS publishes
    it; treating the two estimates as independent makes this a rough band, not an exact test.
    """
    if any(missing(v) for v in (mean_a, rse_a, mean_b, rse_b)):
        return float("nan")
    se_a = mean_a * rse_a / 100.0
    se_b = mean_b * rse_b / 100.0
    return multiple * math.sqrt(se_a**2 + se_b**2)


def setting_pairs(
    settings: pd.DataFrame,
    min_gap_pct: float,
    band_multiple: float,
    groups: dict[str, str] = CLAIM_GROUPS,
    basis: str = "annual",
) -> pd.DataFrame:
    """Every pair of the claim's settings that have a published mean: gaps in means and medians, judged.

    ``settings`` has one row per setting (setting_id, label, <basis>_mean_wage_usd, wage_rse_pct,
    <basis>_median_wage_usd), where ``basis`` is "annual" or, for occupations BLS pays hourly only, "hourly". The
    two yardsticks are the claims ledger's (claim C1 in book/claims_ledger.yaml): a gap is *material* when the
    higher mean is at least ``min_gap_pct`` percent above the lower one, and *distinguishable* when it exceeds
    ``band_multiple`` combined standard errors. Each pair is ordered higher mean first; its percentages are
    measured against the lower figure (``mean_gap_pct`` against the lower mean, ``median_gap_pct``, signed like
    ``median_gap_usd``, against the lower median). ``cross_group`` is True when the two settings sit on different
    sides of the claim.
    """
    mean_col, median_col = f"{basis}_mean_wage_usd", f"{basis}_median_wage_usd"
    rows = settings[settings.setting_id.isin(list(groups)) & settings[mean_col].notna()]
    out = []
    for (_, a), (_, b) in itertools.combinations(rows.iterrows(), 2):
        hi, lo = (a, b) if a[mean_col] >= b[mean_col] else (b, a)
        gap = hi[mean_col] - lo[mean_col]
        gap_pct = 100 * gap / lo[mean_col]
        band = combined_band(hi[mean_col], hi.wage_rse_pct, lo[mean_col], lo.wage_rse_pct, band_multiple)
        medians_known = not (missing(hi[median_col]) or missing(lo[median_col]))
        median_gap = hi[median_col] - lo[median_col] if medians_known else float("nan")
        out.append(
            {
                "higher": hi.label,
                "lower": lo.label,
                "higher_id": hi.setting_id,
                "lower_id": lo.setting_id,
                "cross_group": groups[hi.setting_id] != groups[lo.setting_id],
                "mean_gap_usd": gap,
                "mean_gap_pct": gap_pct,
                "sampling_band_usd": band,
                "distinguishable": None if math.isnan(band) else bool(gap > band),
                "material": bool(gap_pct >= min_gap_pct),
                "median_gap_usd": median_gap,
                "median_gap_pct": (
                    100 * median_gap / min(hi[median_col], lo[median_col]) if medians_known else float("nan")
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
        "mean_gap_pct",
        "sampling_band_usd",
        "distinguishable",
        "material",
        "median_gap_usd",
        "median_gap_pct",
    ]
    # Typed even when empty, so that ``pairs[pairs.cross_group]`` selects rows (an empty object column would be
    # read as a list of column names).
    frame = pd.DataFrame(out, columns=cols).astype({"cross_group": bool, "material": bool})
    return frame.sort_values("mean_gap_usd", ascending=False, ignore_index=True)


def pair_judgement(pair) -> str:
    """'material, beyond sampling error' and the like, for one row of ``setting_pairs``."""
    if pair.distinguishable is None:
        sampling = "sampling error unknown (no RSE)"
    elif pair.distinguishable:
        sampling = "beyond sampling error"
    else:
        sampling = "within sampling error"
    judged = f"{'material' if pair.material else 'not material'}, {sampling}"
    return judged if pair.cross_group else f"{judged}; within inpatient, not part of the claim"


def clears_both(pairs: pd.DataFrame) -> pd.Series:
    """True for the pairs that are material and beyond sampling error (unknown sampling error does not clear)."""
    return (pairs.distinguishable == True) & pairs.material  # noqa: E712 (None means unknown)


def pairs_short_of_both(pairs: pd.DataFrame, money=fmt.usd) -> str:
    """The cross-side pairs that are not both material and beyond sampling error, each with its reason."""
    cross = pairs[pairs.cross_group]
    fails = []
    for _, p in cross[~clears_both(cross)].iterrows():
        if p.distinguishable is False:
            why = "within sampling error"
        elif p.distinguishable is None:
            why = "sampling error unknown"
        else:
            why = f"beyond sampling error, but only {fmt.pct(p.mean_gap_pct)} above the lower mean"
        fails.append(f"{p.higher} against {p.lower}, {money(p.mean_gap_usd)}: {why}")
    return "; ".join(fails)


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
