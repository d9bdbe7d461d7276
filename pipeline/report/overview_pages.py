"""Helpers for the overview pages: the executive summary, outlook, FAQ, openings and churn, and demand drivers.

The Employment Projections (EP) count jobs, not people ("one person may hold more than one job", EP technical
note, www.bls.gov/news.release/ecopro.tn.htm); the names and words here say jobs or openings accordingly.
"""

from __future__ import annotations

import math

from pipeline.report import format as fmt
from pipeline.report.text import missing


def growth_per_year(ep) -> float:
    """EP's projected change in jobs spread evenly over its projection period; NaN when the period is empty.

    ``ep`` is one row of ``mart_ep__occupation_outlook`` (a Series, a dict or a namedtuple-like row).
    """
    get = ep.get if hasattr(ep, "get") else lambda name: getattr(ep, name)
    years = get("projection_year") - get("base_year")
    change = get("employment_change_jobs")
    if not years or missing(change):
        return math.nan
    return change / years


def signed_jobs(x) -> str:
    """'+22,100' or '-1,200': a change in a count, with its sign, as the outlook tables print it."""
    if missing(x):
        return fmt.NOT_PUBLISHED
    return f"{'+' if x > 0 else '-' if x < 0 else ''}{fmt.count(abs(x))}"
