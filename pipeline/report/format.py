"""Numbers formatted for people: dollars and counts with thousands separators, rates with their unit."""

from __future__ import annotations

from pipeline.report.text import missing

NOT_PUBLISHED = "not published"


def usd(x, decimals: int = 0) -> str:
    return NOT_PUBLISHED if missing(x) else f"${x:,.{decimals}f}"


def usd_hourly(x) -> str:
    return NOT_PUBLISHED if missing(x) else f"${x:,.2f}/hour"


def count(x) -> str:
    return NOT_PUBLISHED if missing(x) else f"{int(round(x)):,}"


def pct(x, decimals: int = 1) -> str:
    return NOT_PUBLISHED if missing(x) else f"{x:.{decimals}f}%"
