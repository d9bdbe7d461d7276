"""Numbers formatted for people: dollars and counts with thousands separators, rates with their unit."""

from __future__ import annotations

import math

NOT_PUBLISHED = "not published"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def usd(x, decimals: int = 0) -> str:
    return NOT_PUBLISHED if _missing(x) else f"${x:,.{decimals}f}"


def usd_hourly(x) -> str:
    return NOT_PUBLISHED if _missing(x) else f"${x:,.2f}/hour"


def count(x) -> str:
    return NOT_PUBLISHED if _missing(x) else f"{int(round(x)):,}"


def pct(x, decimals: int = 1) -> str:
    return NOT_PUBLISHED if _missing(x) else f"{x:.{decimals}f}%"


def flag_text(flag: str | None) -> str:
    """Plain words for a staging flag (why a value is missing)."""
    return {
        None: "",
        "top_coded": "at or above the top of BLS's published wage range",
        "not_released": "not released by BLS (too few responses or confidentiality)",
        "wage_basis_not_published": "not published for this occupation's pay basis (hourly-only or annual-only)",
        "not_published": "not published",
    }.get(flag, str(flag))
