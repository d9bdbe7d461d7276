"""The rules each warehouse table must keep, declared once; pipeline/checks.py turns them into asset checks.

A rule set names the table's key (unique, never NULL) and its ordered column chains (wage percentiles must be
non-decreasing, skipping values that are NULL because BLS did not publish them; such values carry a flag).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERCENTILES = ("p10", "p25", "median", "p75", "p90")
HOURLY_CHAIN = tuple(f"hourly_{p}_wage_usd" for p in PERCENTILES)
ANNUAL_CHAIN = tuple(f"annual_{p}_wage_usd" for p in PERCENTILES)


@dataclass(frozen=True)
class TableRules:
    key: tuple[str, ...]
    ordered: tuple[tuple[str, ...], ...] = ()
    # Columns named in the failure message to find the row (defaults to the key).
    locate: tuple[str, ...] = field(default=())

    @property
    def locator(self) -> tuple[str, ...]:
        return self.locate or self.key


TABLE_RULES: dict[str, TableRules] = {
    "stg_oews__cells": TableRules(
        key=("areatype_code", "area_code", "industry_code", "occupation_code"),
        ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
    ),
    "stg_oews__history_cells": TableRules(
        key=("reference_year", "scope", "area_code", "naics_code", "ownership_code", "soc_code"),
        ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
    ),
    "core_oews__national_wage_history": TableRules(
        key=("reference_year", "soc_code"),
        ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
    ),
    "mart_oews__national_wages": TableRules(key=("soc_code",), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "mart_oews__state_wages": TableRules(key=("soc_code", "area_code"), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "stg_ep__occupation_projections": TableRules(key=("edition", "soc_code")),
    "stg_ep__editions": TableRules(key=("edition",)),
    "stg_ces__observations": TableRules(key=("series_id", "period", "year", "snapshot_sha256")),
    "core_ces__monthly_employment": TableRules(key=("series_id", "month_start")),
    "stg_jolts__observations": TableRules(key=("series_id", "period", "year", "snapshot_sha256")),
    "core_jolts__monthly_rates_and_levels": TableRules(key=("series_id", "month_start")),
    "stg_ces__series_without_data": TableRules(key=("series_id", "snapshot_sha256")),
    "stg_jolts__series_without_data": TableRules(key=("series_id", "snapshot_sha256")),
    "stg_comp__samples": TableRules(key=("sample_id",)),
    "stg_ftc__documents": TableRules(key=("snapshot_sha256",)),
    "seed_settings__industry_map": TableRules(key=("setting_id",)),
    "mart_oews__setting_wages": TableRules(key=("soc_code", "setting_id"), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "mart_ep__occupation_outlook": TableRules(key=("edition", "soc_code")),
    "mart_comp__samples_vs_oews": TableRules(key=("sample_id",)),
}
