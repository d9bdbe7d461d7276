"""Asset checks that stop wrong data before it reaches a page. Each failure names the table, the rows and the rule.

The key and ordering checks are generated from pipeline/schemas.py, and for every staging table a check that its
columns are the ones its source package declares (pipeline/sources/<source>/tables.py), with their types; the
cross-table checks are written out below.
All are blocking: a failed check stops everything downstream of its table, so no page is built from it.
"""

import dagster as dg

from pipeline.domain import territory_area_codes
from pipeline.resources import ReportParams, WarehouseResource
from pipeline.schemas import STAGING_SPECS, TABLE_RULES, TableRules
from pipeline.sources.table_spec import TableSpec, type_mismatches

# Each state's employment is rounded to the nearest 10, so 51 rounded numbers (50 states and DC; the national
# estimate excludes the territories: warehouse/seeds/territories.csv) can miss the national total by at most 5
# each. Measured on May 2025: where every state is published the largest miss is 80 jobs (49-9012), within 255.
STATE_ROUNDING_SLACK_PER_STATE = 5
TERRITORY_AREA_CODES = territory_area_codes()

# EP counts the self-employed and OEWS does not, so EP's base-year employment should be the larger. The margin
# allows for the two programmes' different reference points (EP: annual average; OEWS: May) and for EP's own
# rounding to hundreds. Documented in the methodology chapter.
EP_BELOW_OEWS_TOLERANCE = 0.05
# Every occupation gets a wider margin: EP takes railroad and postal employment from sources other than OEWS, and
# measured on 2024-34 those sit up to 16% below OEWS (locomotive engineers: 27,000 against 31,990). A unit error
# (thousands left unconverted) or a mismatched code would still fail it.
EP_BELOW_OEWS_TOLERANCE_ANY_OCCUPATION = 0.20
# So an occupation employed mostly in those two industries gets the wider margin even when it has a book (measured
# on May 2025: locomotive engineers 95%, conductors and yardmasters 88%, rail-track equipment operators 63%).
EP_OTHER_SOURCE_INDUSTRIES = {"482000": "railroads", "491000": "the Postal Service"}  # OEWS industry codes
EP_OTHER_SOURCE_MIN_SHARE = 0.5
# EP publishes employment in thousands to one decimal: a count is exact to 50 jobs either way (timing device
# assemblers: EP 200, OEWS 230).
EP_ROUNDING_JOBS = 50
# The occupations a rule names in a failure message, at most (a catalogue of every occupation has 1,104).
NAMED_IN_RULE = 12


def result(table: str, rule: str, rows: list, columns: list[str]) -> dg.AssetCheckResult:
    """Pass, or fail naming the table, the rule, how many rows break it and the first few of them."""
    if not rows:
        return dg.AssetCheckResult(passed=True, description=f"{table}: {rule}: holds for every row.")
    # Not strict: describing a failure must never turn a failing check into an error of its own.
    sample = "; ".join(", ".join(f"{c}={v}" for c, v in zip(columns, r, strict=False)) for r in rows[:5])
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{table}: {len(rows)}{'+' if len(rows) >= 100 else ''} row(s) break the rule '{rule}'. "
        f"First: {sample}",
        metadata={"failing_rows": len(rows)},
    )


def key_violations(con, table: str, rules: TableRules) -> tuple[list, list[str]]:
    key = ", ".join(rules.key)
    nulls = " OR ".join(f"{c} IS NULL" for c in rules.key)
    rows = con.execute(
        f"SELECT {key}, count(*) AS copies FROM {table} GROUP BY ALL HAVING count(*) > 1 OR bool_or({nulls}) LIMIT 100"
    ).fetchall()
    return rows, [*rules.key, "copies"]


def order_violations(con, table: str, rules: TableRules, chain: tuple[str, ...]) -> tuple[list, list[str]]:
    # Unpublished values are NULL (and flagged): drop them from the chain, then the rest must already be sorted.
    listed = f"list_filter([{', '.join(chain)}], lambda x: x IS NOT NULL)"
    cols = [*rules.locator, *chain]
    rows = con.execute(
        f"SELECT {', '.join(cols)} FROM {table} WHERE list_sort({listed}) <> {listed} LIMIT 100"
    ).fetchall()
    return rows, cols


def _key_check(table: str, rules: TableRules):
    rule = f"({', '.join(rules.key)}) is unique and never NULL"

    @dg.asset_check(asset=table, name=f"{table}__key_is_unique", blocking=True, description=rule)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            rows, cols = key_violations(con, table, rules)
        return result(table, rule, rows, cols)

    return _check


def _order_check(table: str, rules: TableRules, chain: tuple[str, ...]):
    basis = chain[0].split("_")[0]
    rule = " <= ".join(chain) + " (values BLS did not publish are skipped)"

    @dg.asset_check(asset=table, name=f"{table}__{basis}_percentiles_ordered", blocking=True, description=rule)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            rows, cols = order_violations(con, table, rules, chain)
        return result(table, rule, rows, cols)

    return _check


def column_violations(con, spec: TableSpec) -> list[tuple[str, str, str]]:
    """(column, declared type, type in the warehouse) for each column that is missing, undeclared or mistyped."""
    actual = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() AND table_catalog = current_database() ORDER BY ordinal_position",
        [spec.name],
    ).fetchall()
    return type_mismatches(spec, actual)


def _columns_check(spec: TableSpec):
    rule = (
        f"has exactly the {len(spec.columns)} columns its source package declares, with their types "
        "(pipeline/sources/<source>/tables.py)"
    )

    @dg.asset_check(asset=spec.name, name=f"{spec.name}__columns_as_declared", blocking=True, description=rule)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            rows = column_violations(con, spec)
        return result(spec.name, rule, rows, ["column", "declared", "in_warehouse"])

    return _check


def generated_checks(tables: set[str]) -> list:
    """Key and ordering checks for every table in TABLE_RULES that the asset graph defines, and a column check
    for every staging table declared in a source package."""
    checks = []
    for table, rules in TABLE_RULES.items():
        if table not in tables:
            continue
        checks.append(_key_check(table, rules))
        checks += [_order_check(table, rules, chain) for chain in rules.ordered]
    checks += [_columns_check(spec) for name, spec in STAGING_SPECS.items() if name in tables]
    return checks


@dg.asset_check(
    asset="stg_oews__cells",
    blocking=True,
    description="State employment (50 states and DC) adds up to the national figure within rounding.",
)
def stg_oews__cells_states_sum_to_nation(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rule = (
        f"sum of published state employment <= national + {STATE_ROUNDING_SLACK_PER_STATE} per state, and "
        f"within {STATE_ROUNDING_SLACK_PER_STATE} per state of it when every state is published"
    )
    territories = ", ".join(f"'{c}'" for c in TERRITORY_AREA_CODES)
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            f"""
            WITH states AS (
                SELECT occupation_code, sum(employment_count) AS state_sum, count(employment_count) AS published
                FROM stg_oews__cells
                WHERE areatype_code = 'S' AND industry_code = '000000' AND area_code NOT IN ({territories})
                GROUP BY occupation_code
            ), nation AS (
                SELECT occupation_code, employment_count AS national FROM stg_oews__cells
                WHERE areatype_code = 'N' AND industry_code = '000000' AND employment_count IS NOT NULL
            )
            SELECT occupation_code, state_sum, national, published FROM states JOIN nation USING (occupation_code)
            WHERE state_sum - national > {STATE_ROUNDING_SLACK_PER_STATE} * published
               OR (published = 51 AND abs(state_sum - national) > {STATE_ROUNDING_SLACK_PER_STATE} * 51)
            ORDER BY abs(state_sum - national) DESC LIMIT 100
            """
        ).fetchall()
    return result("stg_oews__cells", rule, rows, ["occupation_code", "state_sum", "national", "states_published"])


def _ep_vs_oews_rows(con, tolerance: float, socs: list[str] | None = None) -> list:
    """EP occupations whose base-year employment falls below OEWS's by more than ``tolerance`` (the wider margin
    for one employed mostly where EP counts from other sources), beyond EP's rounding."""
    where = "AND list_contains(?, e.soc_code)" if socs else ""
    industries = ", ".join(f"'{code}'" for code in EP_OTHER_SOURCE_INDUSTRIES)
    return con.execute(
        f"""
        WITH elsewhere AS (
            SELECT occupation_code,
                   sum(employment_count) FILTER (WHERE industry_code IN ({industries}))
                   / any_value(employment_count) FILTER (WHERE industry_code = '000000') AS share
            FROM stg_oews__cells WHERE areatype_code = 'N' GROUP BY occupation_code
        )
        SELECT e.edition, e.soc_code, e.occupation_title, e.employment_base_jobs, h.employment_count,
               round(e.employment_base_jobs * 1.0 / h.employment_count, 3) AS ratio
        FROM stg_ep__occupation_projections AS e
        JOIN core_oews__national_wage_history AS h ON h.soc_code = e.soc_code AND h.reference_year = e.base_year
        LEFT JOIN elsewhere ON elsewhere.occupation_code = replace(e.soc_code, '-', '')
        WHERE e.occupation_type = 'Line item' AND h.employment_count > 0
          AND e.employment_base_jobs < h.employment_count * (1 - CASE
                  WHEN coalesce(elsewhere.share, 0) >= {EP_OTHER_SOURCE_MIN_SHARE}
                  THEN greatest({tolerance}, {EP_BELOW_OEWS_TOLERANCE_ANY_OCCUPATION}) ELSE {tolerance} END)
              - {EP_ROUNDING_JOBS} {where}
        ORDER BY ratio LIMIT 100
        """,
        [socs] if socs else [],
    ).fetchall()


def _named(socs: list[str]) -> str:
    shown = ", ".join(socs[:NAMED_IN_RULE])
    return f"SOC {shown}" + (f" and {len(socs) - NAMED_IN_RULE:,} more" if len(socs) > NAMED_IN_RULE else "")


EP_COLUMNS = ["edition", "soc_code", "title", "ep_base_jobs", "oews_employment", "ep_over_oews"]


def _ep_rule(tolerance: float) -> str:
    return f"EP base-year employment (with the self-employed) >= {1 - tolerance:.0%} of OEWS employment, same year"


@dg.asset_check(
    asset="stg_ep__occupation_projections",
    blocking=True,
    additional_deps=["core_oews__national_wage_history", "stg_oews__cells"],
    description=_ep_rule(EP_BELOW_OEWS_TOLERANCE) + ", for the occupations with a book",
)
def stg_ep__covers_oews_for_the_report_occupations(
    warehouse: WarehouseResource, report: ReportParams
) -> dg.AssetCheckResult:
    # The tight margin applies to the books' own occupations, whose outlook chapters set EP beside OEWS.
    socs = report.book_socs()
    rule = _ep_rule(EP_BELOW_OEWS_TOLERANCE) + f" ({_named(socs)})"
    with warehouse.connect(read_only=True) as con:
        rows = _ep_vs_oews_rows(con, EP_BELOW_OEWS_TOLERANCE, socs)
    return result("stg_ep__occupation_projections", rule, rows, EP_COLUMNS)


@dg.asset_check(
    asset="stg_ep__occupation_projections",
    blocking=True,
    additional_deps=["core_oews__national_wage_history", "stg_oews__cells"],
    description=_ep_rule(EP_BELOW_OEWS_TOLERANCE_ANY_OCCUPATION) + ", every occupation",
)
def stg_ep__covers_oews_for_every_occupation(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rule = _ep_rule(EP_BELOW_OEWS_TOLERANCE_ANY_OCCUPATION)
    with warehouse.connect(read_only=True) as con:
        rows = _ep_vs_oews_rows(con, EP_BELOW_OEWS_TOLERANCE_ANY_OCCUPATION)
    return result("stg_ep__occupation_projections", rule, rows, EP_COLUMNS)


def _gap_check(table: str):
    rule = "every monthly series has a value row for each month between its first and last"

    @dg.asset_check(asset=table, name=f"{table}__no_missing_months", blocking=True, description=rule)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from pipeline.sources.monthly_series_load import monthly_gaps

        with warehouse.connect(read_only=True) as con:
            rows = monthly_gaps(con, table)
        return result(table, rule, rows, ["series_id", "missing_month"])

    return _check


core_ces__monthly_employment__no_missing_months = _gap_check("core_ces__monthly_employment")
core_jolts__monthly_rates_and_levels__no_missing_months = _gap_check("core_jolts__monthly_rates_and_levels")
