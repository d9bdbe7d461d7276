"""Editions in the book: the What changed page against the previous edition, and an earlier edition rebuilt.

The committed editions are real locks from this project's history: 2026Q4 pinned only the OEWS current release,
2026Q4.2 added the OEWS history, the Employment Projections, the CES lookups and the compensation samples, and
2026Q4.3 (the live lock) added the CPI and the cited facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from pipeline.report import edition_changes as changes
from tests.test_build_book import run_build


def _table_rows(soup: BeautifulSoup, *first_headers: str) -> list[list[str]]:
    for table in soup.select("table.report-table"):
        headers = [th.get_text(strip=True) for th in table.select("thead th")]
        if headers[: len(first_headers)] == list(first_headers):
            return [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    raise AssertionError(f"no table with the headers {first_headers}")


@pytest.fixture(scope="module")
def what_changed(built_book):
    _, html = built_book
    return BeautifulSoup((html / "notebooks" / "what_changed.html").read_text(), "html.parser")


def test_what_changed_names_both_editions(what_changed):
    text = what_changed.get_text(" ", strip=True)
    assert "This is edition 2026Q4.3 . It is compared with edition 2026Q4.2" in text


def test_what_changed_links_the_earlier_editions_where_make_publish_puts_them(what_changed):
    """The live lock is 2026Q4.3 and the registry records 2026Q4 and 2026Q4.2 before it: both are linked, newest
    first, relatively from <edition>/<SOC>/notebooks/ to the same page of each (pipeline/publication_layout.py)."""
    links = [(a.get_text(strip=True), a["href"]) for a in what_changed.select(f"a.{changes.EDITION_LINK_CLASS}")]
    assert links == [
        ("2026Q4.2", "../../../2026Q4.2/29-1122/notebooks/what_changed.html"),
        ("2026Q4", "../../../2026Q4/29-1122/notebooks/what_changed.html"),
    ]
    text = what_changed.get_text(" ", strip=True)
    assert "The earlier editions of this book are published beside this one" in text
    assert "Each link opens that edition" in text and "own What changed page" in text  # Sphinx curls the apostrophe


def test_what_changed_lists_the_source_files_the_new_lock_added(what_changed, built_book):
    dirs, _ = built_book
    rows = {(r[0], r[1]): r for r in _table_rows(what_changed, "Source", "File")}
    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        added = con.execute(
            "SELECT source_id, part, substr(sha256, 1, 12) FROM meta_snapshots "
            "WHERE source_id IN ('cpi', 'cited_facts') ORDER BY source_id, part"
        ).fetchall()
    assert {source for source, _, _ in added} == {"cpi", "cited_facts"}
    for source, part, sha in added:
        assert rows[(source, part)][2] == "added" and rows[(source, part)][4] == sha
    # Files both locks pin with the same bytes are not listed as changes.
    assert not any(source in ("oews_current", "oews_history", "employment_projections") for source, _ in rows)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_what_changed_shows_the_headline_numbers_with_their_deltas(what_changed, built_book):
    dirs, _ = built_book
    rows = {r[0]: r[1:] for r in _table_rows(what_changed, "Measure")}
    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        employment, median = con.execute(
            "SELECT employment_count, annual_median_wage_usd FROM mart_oews__national_wages WHERE soc_code = '29-1122'"
        ).fetchall()[0]
        openings = con.execute(
            "SELECT openings_annual_avg_count FROM mart_ep__occupation_outlook "
            "WHERE soc_code = '29-1122' AND is_latest_edition"
        ).fetchall()[0][0]
    # Same OEWS release, projections and wage history in both editions: the numbers agree and the page says so.
    assert rows["National employment"] == [f"{employment:,} (May 2025)"] * 2 + ["no change"]
    assert rows["Median annual wage"] == [f"${median:,.0f} (May 2025)"] * 2 + ["no change"]
    assert rows["Projected openings per year"] == [f"{openings:,} (2024-34)"] * 2 + ["no change"]
    assert rows["Years of wage history"] == ["6 (2020–2025)"] * 2 + ["no change"]


def test_an_unrecorded_edition_is_refused_before_anything_runs(built_book):
    dirs, _ = built_book
    result = run_build(dirs, "--edition", "2025Q1")
    assert result.returncode == 2
    assert (
        "there is no edition 2025Q1" in result.stderr
        and "Recorded editions: 2026Q4, 2026Q4.2, 2026Q4.3" in result.stderr
    )
    assert "dagster" not in result.stderr.lower()


def test_an_earlier_edition_builds_from_its_own_lock(built_book):
    dirs, live_html = built_book
    live_index = (live_html / "index.html").read_bytes()
    result = run_build(dirs, "--edition", "2026Q4")
    assert result.returncode == 0, result.stderr[-3000:]
    html = Path(dirs["BUILD_DIR"]) / "editions" / "2026Q4" / "29-1122" / "html"
    summary = BeautifulSoup((html / "notebooks" / "index.html").read_text(), "html.parser")
    assert "(2026Q4)" in summary.title.get_text()
    page = BeautifulSoup((html / "notebooks" / "what_changed.html").read_text(), "html.parser")
    assert "the first one recorded" in page.get_text(" ", strip=True)
    assert "No edition was recorded before 2026Q4, so none is published beside it." in page.get_text(" ", strip=True)
    assert not page.select(f"a.{changes.EDITION_LINK_CLASS}")
    outlook = (html / "notebooks" / "outlook.html").read_text()
    assert "Not in this build" in outlook  # that edition pinned no projections
    assert (live_html / "index.html").read_bytes() == live_index  # the live edition's book is untouched


def _monthly(path: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE core_ces__monthly_employment (series_id VARCHAR, month_start DATE, value DOUBLE)")
        con.executemany("INSERT INTO core_ces__monthly_employment VALUES (?, ?, ?)", rows)


def test_monthly_revisions_are_the_months_whose_value_changed(tmp_path):
    # SYNTHETIC: two vintages of one series; February revised, March new in the later edition.
    _monthly(tmp_path / "prev.duckdb", [("CES1", "2026-01-01", 100.0), ("CES1", "2026-02-01", 101.0)])
    _monthly(
        tmp_path / "now.duckdb",
        [("CES1", "2026-01-01", 100.0), ("CES1", "2026-02-01", 101.6), ("CES1", "2026-03-01", 102.0)],
    )
    con = duckdb.connect(str(tmp_path / "now.duckdb"), read_only=True)
    changes.attach_previous(con, str(tmp_path / "prev.duckdb"))
    revisions = changes.monthly_revisions(con, "core_ces__monthly_employment")
    assert revisions[["series_id", "previous_value", "current_value"]].values.tolist() == [["CES1", 101.0, 101.6]]
    assert pd.Timestamp(revisions["month_start"].iloc[0]) == pd.Timestamp("2026-02-01")
    coverage = changes.monthly_coverage(con, "core_ces__monthly_employment")
    assert coverage["previous"]["last"] < coverage["current"]["last"]
    assert changes.monthly_coverage(con, "core_jolts__monthly_rates_and_levels") == {"previous": None, "current": None}


def _registry(folder: Path, live: str, recorded: list[str]) -> Path:
    """A SYNTHETIC lock registry: the live lock naming its edition, and editions/<name>.lock for each recorded one
    (only the names matter here)."""
    (folder / "editions").mkdir(parents=True)
    for name in recorded:
        (folder / "editions" / f"{name}.lock").write_text(json.dumps({"edition": name}))
    lock = folder / "sources.lock"
    lock.write_text(json.dumps({"edition": live}))
    return lock


def test_the_earlier_editions_are_the_ones_the_registry_records_newest_first(tmp_path):
    lock = _registry(tmp_path, "2026Q4.3", ["2026Q4", "2026Q4.2", "2026Q4.3"])
    assert changes.earlier_editions("2026Q4.3", lock) == ["2026Q4.2", "2026Q4"]
    assert changes.earlier_editions("2026Q4.2", lock) == ["2026Q4"]
    assert changes.earlier_editions("2026Q4", lock) == []
    # A build that is no recorded edition cannot be placed among them, and links none.
    assert changes.earlier_editions("dev", lock) == [] and not changes.is_recorded_name("unrecorded edition")


def test_the_links_lead_from_this_edition_s_page_to_each_earlier_edition_s_own(tmp_path):
    lock = _registry(tmp_path, "2026Q4.3", ["2026Q4", "2026Q4.2", "2026Q4.3"])
    earlier = changes.earlier_editions("2026Q4.3", lock)
    links = BeautifulSoup(changes.edition_links("2026Q4.3", "27-2011", earlier), "html.parser").select("a")
    assert [(a.get_text(), a["href"], a["class"]) for a in links] == [
        ("2026Q4.2", "../../../2026Q4.2/27-2011/notebooks/what_changed.html", [changes.EDITION_LINK_CLASS]),
        ("2026Q4", "../../../2026Q4/27-2011/notebooks/what_changed.html", [changes.EDITION_LINK_CLASS]),
    ]
    assert changes.edition_links("2026Q4", "27-2011", []) == ""


def _national(path: Path, median_hourly: float, mean_hourly: float) -> None:
    """SYNTHETIC national row of an occupation paid by the hour: BLS withheld every annual wage for its pay basis."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            """CREATE TABLE mart_oews__national_wages AS SELECT
                 '27-2011' AS soc_code, 'May 2025' AS reference_period, 1000 AS employment_count,
                 NULL::DOUBLE AS annual_median_wage_usd, 'wage_basis_not_published' AS annual_median_wage_usd_flag,
                 NULL::DOUBLE AS annual_mean_wage_usd, NULL::DOUBLE AS annual_p10_wage_usd,
                 NULL::DOUBLE AS annual_p90_wage_usd, ?::DOUBLE AS hourly_median_wage_usd,
                 ?::DOUBLE AS hourly_mean_wage_usd, 15.0::DOUBLE AS hourly_p10_wage_usd,
                 90.0::DOUBLE AS hourly_p90_wage_usd""",
            [median_hourly, mean_hourly],
        )


def test_an_hourly_only_occupation_s_headline_wages_are_hourly(tmp_path):
    _national(tmp_path / "prev.duckdb", 20.00, 40.00)
    _national(tmp_path / "now.duckdb", 21.00, 40.00)
    con = duckdb.connect(str(tmp_path / "now.duckdb"), read_only=True)
    changes.attach_previous(con, str(tmp_path / "prev.duckdb"))
    basis = changes.headline_pay_basis(con, "27-2011")
    assert basis.is_hourly
    rows = changes.headline_changes(con, "27-2011", basis)
    rows = rows.assign(change=rows.apply(changes.describe_change, axis=1)).set_index("measure")
    assert rows.loc["Median hourly wage", ["previous", "current", "change"]].tolist() == [
        "$20.00/hour (May 2025)",
        "$21.00/hour (May 2025)",
        "+$1.00/hour (+5.0%)",
    ]
    assert rows.loc["Mean hourly wage", "change"] == "no change"
    assert rows.loc["Median hourly wage", "unit"] == "USD per hour"
    assert not any("annual" in measure for measure in rows.index)
    # An occupation paid by the year keeps the annual rows.
    assert "Median annual wage" in changes.headline_changes(con, "27-2011")["measure"].tolist()
