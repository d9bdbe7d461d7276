"""Which CPI series and month deflate OEWS wages: settings ``cpi_deflator_series`` and ``cpi_deflator_month``.

OEWS May estimates describe wages in May of their reference year, so the deflator is the May index of the
CPI-U, U.S. city average, all items, not seasonally adjusted (CUUR0000SA0). Seasonal adjustment would move May's
index toward the yearly average; an unadjusted wage is compared with the unadjusted price level of its own month.
"""

from __future__ import annotations

import calendar

from pipeline.settings import setting

WHY = "OEWS estimates describe May of their reference year, so each year's wages are deflated by its May index."
_SERIES_SHAPE = "CU"  # CPI-U series only: the cu files hold nothing else


def deflator_series() -> str:
    series = setting("cpi_deflator_series").strip().upper()
    if not series.startswith(_SERIES_SHAPE) or not series.isalnum():
        raise ValueError(f"cpi_deflator_series is {series!r}; expected a CPI-U series ID such as CUUR0000SA0.")
    return series


def deflator_month() -> int:
    """The month as a number, from a month name (May), its abbreviation (May) or a number (5)."""
    raw = setting("cpi_deflator_month").strip()
    if raw.isdigit() and 1 <= int(raw) <= 12:
        return int(raw)
    names = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
    names |= {abbr.lower(): n for n, abbr in enumerate(calendar.month_abbr) if abbr}
    if raw.lower() in names:
        return names[raw.lower()]
    raise ValueError(f"cpi_deflator_month is {raw!r}; expected a month name (May) or number (5).")


def deflator_period() -> str:
    return f"M{deflator_month():02d}"
