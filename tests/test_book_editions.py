"""Editions in the book: the What changed page against the previous edition, and an earlier edition rebuilt.

The committed editions are real locks from this project's history: 2026Q4 pinned only the OEWS current release,
2026Q4.2 added the OEWS history, the Employment Projections, the CES lookups and the compensation samples, and
2026Q4.3 (the live lock) added the CPI and the cited facts.
"""

from __future__ import annotations

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
