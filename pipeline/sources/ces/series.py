"""The CES series this book requests: their industries, the care setting each stands for, and their IDs in words.

Series IDs are ``CE`` + S/U + industry code (8) + data type (2) (docs/source-formats.md, CES lookup files and BLS
API answers); data type 01 is all employees, thousands.
"""

from __future__ import annotations

import re

from pipeline.domain import setting_by_ces_industry

DATA_TYPE_ALL_EMPLOYEES = "01"  # "ALL EMPLOYEES, THOUSANDS" in ce.datatype

# (CES industry code, NAICS code as ce.industry writes it, CES's label), each checked in the real ce.industry, in
# the order the API is asked for them. publishing_status in ce.industry differs (A for most, B for 611100, E for
# 622300) and its codes are not documented in the files we hold, so both S and U are requested for every
# industry and the empty ones are recorded per answer.
INDUSTRY_LABELS: tuple[tuple[str, str, str], ...] = (
    ("65621340", "62134", "Offices of physical, occupational and speech therapists, and audiologists"),
    ("65622100", "6221", "General medical and surgical hospitals"),
    ("65622300", "6223", "Specialty, except psychiatric and substance abuse, hospitals"),
    ("65621600", "6216", "Home health care services"),
    ("65623100", "6231", "Skilled nursing care facilities"),
    ("60561300", "5613", "Employment services"),
    # Private schools only: public schools are in CES "Local government education" (90931611), which has no NAICS
    # detail; OEWS 611100 covers both, so this is a partial proxy.
    ("65611100", "6111", "Private elementary and secondary schools"),
    ("65620000", "62", "Health care and social assistance"),
    ("00000000", "-", "Total nonfarm"),
)
# The industries that stand for no care setting: the baselines a setting's series is compared with.
BASELINES = {"65620000": "baseline_health_care", "00000000": "baseline_total_nonfarm"}


def _setting_of(code: str) -> str:
    """The care setting a CES industry stands for (warehouse/seeds/settings.csv), or its baseline id."""
    settings = setting_by_ces_industry()
    if code in settings:
        return settings[code]
    if code in BASELINES:
        return BASELINES[code]
    raise ValueError(f"CES industry {code} stands for no setting of warehouse/seeds/settings.csv and is no baseline")


# (CES industry code, NAICS code, label, setting id): the setting ids come from the settings seed, so CES and the
# seed table cannot disagree about which industry stands for which setting.
SERIES_INDUSTRIES: tuple[tuple[str, str, str, str], ...] = tuple(
    (code, naics, label, _setting_of(code)) for code, naics, label in INDUSTRY_LABELS
)

# Lookup file -> the header BLS writes (docs/source-formats.md, CES lookup files and BLS API answers, seen in the real
# files).
LOOKUPS: dict[str, list[str]] = {
    "ce.industry": [
        "industry_code",
        "naics_code",
        "publishing_status",
        "industry_name",
        "display_level",
        "selectable",
        "sort_sequence",
    ],
    "ce.datatype": ["data_type_code", "data_type_text"],
}


def series_ids() -> list[str]:
    """Seasonally adjusted and not, for every industry: CES… and CEU…"""
    return [f"CE{sa}{code}{DATA_TYPE_ALL_EMPLOYEES}" for code, *_ in SERIES_INDUSTRIES for sa in ("S", "U")]


def describe_series(series_id: str) -> str:
    """What a CES series ID stands for: 'employment (all employees, thousands) in <industry>, <adjustment>'."""
    m = re.fullmatch(r"CE([SU])(\d{8})(\d{2})", series_id)
    if not m:
        return "not a CES series ID"
    adjusted, code, data_type = m.groups()
    known = {c: (naics, label[0].lower() + label[1:]) for c, naics, label, _ in SERIES_INDUSTRIES}
    naics, label = known.get(code, ("-", f"CES industry {code}"))
    industry = label + (f" (NAICS {naics})" if naics != "-" else "")
    measure = (
        "employment (all employees, thousands)"
        if data_type == DATA_TYPE_ALL_EMPLOYEES
        else f"CES data type {data_type}"
    )
    return f"{measure} in {industry}, {'seasonally adjusted' if adjusted == 'S' else 'not seasonally adjusted'}"
