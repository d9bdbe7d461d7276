"""The JOLTS series this book requests and their IDs in words.

JT + S/U + industry (6) + state (2) + area (5) + size class (2) + data element (2) + rate/level (1).
"""

from __future__ import annotations

import re

INDUSTRIES = {"620000": "Health care and social assistance", "000000": "Total nonfarm"}
DATA_ELEMENTS = {
    "JO": "Job openings",
    "HI": "Hires",
    "QU": "Quits",
    "LD": "Layoffs and discharges",
    "TS": "Total separations",
}
RATE_LEVELS = {"L": "Level, thousands", "R": "Rate, percent"}
STATE, AREA, SIZE_CLASS = "00", "00000", "00"  # total US, all areas, all establishment sizes


def series_id(seasonal: str, industry: str, element: str, rate_level: str) -> str:
    """JT + S/U + industry (6) + state (2) + area (5) + size class (2) + data element (2) + rate/level (1)."""
    return f"JT{seasonal}{industry}{STATE}{AREA}{SIZE_CLASS}{element}{rate_level}"


def series_ids() -> list[str]:
    return [
        series_id(sa, ind, el, rl)
        for ind in INDUSTRIES
        for sa in ("S", "U")
        for el in DATA_ELEMENTS
        for rl in RATE_LEVELS
    ]


def describe_series(series_id: str) -> str:
    """What a JOLTS series ID stands for, in words: '<element> rate (percent) in <industry>, <adjustment>'."""
    m = re.fullmatch(rf"JT([SU])([0-9A-Z]{{6}}){STATE}{AREA}{SIZE_CLASS}([A-Z]{{2}})([LR])", series_id)
    if not m:
        return "not a JOLTS series ID this book requests"
    adjusted, industry, element, rate_level = m.groups()
    name = INDUSTRIES[industry].lower() if industry in INDUSTRIES else f"JOLTS industry {industry}"
    measure = DATA_ELEMENTS[element].lower() if element in DATA_ELEMENTS else f"data element {element}"
    unit = "level (thousands)" if rate_level == "L" else "rate (percent)"
    return f"{measure} {unit} in {name}, {'seasonally adjusted' if adjusted == 'S' else 'not seasonally adjusted'}"
