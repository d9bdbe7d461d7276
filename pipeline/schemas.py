"""The rules each warehouse table must keep; pipeline/checks.py turns them into asset checks.

A rule set names the table's key (unique, never NULL) and its ordered column chains (wage percentiles must be
non-decreasing, skipping values that are NULL because BLS did not publish them; such values carry a flag).

Staging tables declare theirs once, in their source package's tables.py (pipeline/sources/table_spec.py); the
rules below are derived from those declarations. The seed and mart tables have no package yet, so their rules are
written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.sources.registry import SOURCES
from pipeline.sources.table_spec import ANNUAL_CHAIN, HOURLY_CHAIN, PERCENTILES, TableSpec

__all__ = ["ANNUAL_CHAIN", "HOURLY_CHAIN", "PERCENTILES", "TABLE_RULES", "TableRules", "STAGING_SPECS"]


@dataclass(frozen=True)
class TableRules:
    key: tuple[str, ...]
    ordered: tuple[tuple[str, ...], ...] = ()
    # Columns named in the failure message to find the row (defaults to the key).
    locate: tuple[str, ...] = field(default=())

    @property
    def locator(self) -> tuple[str, ...]:
        return self.locate or self.key


def rules_of(spec: TableSpec) -> TableRules:
    return TableRules(key=spec.key, ordered=spec.ordered, locate=spec.locate)


# Every staging table the source packages declare, by name.
STAGING_SPECS: dict[str, TableSpec] = {spec.name: spec for module in SOURCES for spec in module.TABLES}

SEED_AND_MART_RULES: dict[str, TableRules] = {
    "core_oews__national_wage_history": TableRules(
        key=("reference_year", "soc_code"),
        ordered=(HOURLY_CHAIN, ANNUAL_CHAIN),
    ),
    "mart_oews__national_wages": TableRules(key=("soc_code",), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "mart_oews__state_wages": TableRules(key=("soc_code", "area_code"), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "seed_settings__industry_map": TableRules(key=("setting_id",)),
    "mart_oews__setting_wages": TableRules(key=("soc_code", "setting_id"), ordered=(HOURLY_CHAIN, ANNUAL_CHAIN)),
    "mart_ep__occupation_outlook": TableRules(key=("edition", "soc_code")),
    "mart_comp__samples_vs_oews": TableRules(key=("sample_id",)),
    "mart_oews__real_wages": TableRules(
        key=("reference_year", "soc_code"),
        ordered=(
            ("hourly_p10_wage_real_usd", "hourly_median_wage_real_usd", "hourly_p90_wage_real_usd"),
            ("annual_p10_wage_real_usd", "annual_median_wage_real_usd", "annual_p90_wage_real_usd"),
        ),
    ),
}

TABLE_RULES: dict[str, TableRules] = {
    **{name: rules_of(spec) for name, spec in STAGING_SPECS.items() if spec.key},
    **SEED_AND_MART_RULES,
}
