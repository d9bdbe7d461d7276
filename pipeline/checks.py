"""Asset checks that stop wrong data before it reaches a page. Each failure names the table, rows and rule."""


import dagster as dg

from pipeline.resources import WarehouseResource

PERCENTILE_CHAINS = {
    "hourly": ["hourly_p10_wage_usd", "hourly_p25_wage_usd", "hourly_median_wage_usd", "hourly_p75_wage_usd",
               "hourly_p90_wage_usd"],
    "annual": ["annual_p10_wage_usd", "annual_p25_wage_usd", "annual_median_wage_usd", "annual_p75_wage_usd",
               "annual_p90_wage_usd"],
}


def _fail_or_pass(table: str, rule: str, rows: list, columns: list[str]) -> dg.AssetCheckResult:
    if not rows:
        return dg.AssetCheckResult(passed=True, description=f"{table}: {rule}: holds for every row.")
    sample = [dict(zip(columns, r)) for r in rows[:5]]
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{table}: rule '{rule}' fails for {len(rows)} row(s), e.g. {sample}",
        metadata={"failing_rows": len(rows)},
    )


@dg.asset_check(asset="stg_oews__cells", blocking=True, description="One row per area x industry x occupation.")
def stg_oews__cells_key_is_unique(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    cols = ["area_code", "industry_code", "occupation_code", "copies"]
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT area_code, industry_code, occupation_code, count(*) FROM stg_oews__cells "
            "GROUP BY ALL HAVING count(*) > 1 LIMIT 100"
        ).fetchall()
    return _fail_or_pass("stg_oews__cells", "(area_code, industry_code, occupation_code) is unique", rows, cols)


@dg.asset_check(asset="stg_oews__cells", blocking=True,
                description="p10 <= p25 <= median <= p75 <= p90, hourly and annual, where all five are published.")
def stg_oews__cells_percentiles_are_ordered(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    conditions = []
    for chain in PERCENTILE_CHAINS.values():
        pairs = " OR ".join(f"{a} > {b}" for a, b in zip(chain, chain[1:]))
        conditions.append(f"({pairs})")
    cols = ["area_code", "industry_code", "occupation_code"] + PERCENTILE_CHAINS["annual"]
    with warehouse.connect(read_only=True) as con:
        # NULL comparisons are NULL, so flagged (unpublished) percentiles never fail the rule.
        rows = con.execute(
            f"SELECT {', '.join(cols)} FROM stg_oews__cells WHERE {' OR '.join(conditions)} LIMIT 100"
        ).fetchall()
    return _fail_or_pass("stg_oews__cells", "wage percentiles are in order", rows, cols)
