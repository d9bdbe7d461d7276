"""The audit pages of the built book: the claims ledger, the methodology's SQL and limitations, data downloads.

Numbers are checked against the built warehouse (read-only) and, for the headline ones, against the real BLS
files in the reference folder (29-1122, OEWS May 2025 flat-file series and EP 2024-34 Table 1.2).
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from pipeline.report import claims
from pipeline.report import format as fmt

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _soup(html_dir: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((html_dir / "notebooks" / f"{page}.html").read_text(), "html.parser")


def _text(soup: BeautifulSoup) -> str:
    return re.sub(r"\s+", " ", soup.get_text(" "))


@pytest.fixture(scope="module")
def wh(built_book):
    dirs, _ = built_book
    con = duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def ledger_rows(built_book) -> dict[str, list[str]]:
    """The ledger table as {claim id: [id, claim, section, evidence, verdict]} (cell texts)."""
    _, html_dir = built_book
    soup = _soup(html_dir, "claims_ledger")
    tables = [t for t in soup.find_all("table") if "Evidence" in [th.get_text(strip=True) for th in t.find_all("th")]]
    assert len(tables) == 1, "expected exactly one ledger table with an Evidence column"
    rows = {}
    for tr in tables[0].find("tbody").find_all("tr"):
        cells = [re.sub(r"\s+", " ", td.get_text(" ", strip=True)) for td in tr.find_all("td")]
        rows[cells[0]] = cells
    return rows


# ---- claims ledger -------------------------------------------------------------------------------------------


def test_ledger_has_every_claim_with_one_of_three_verdicts(ledger_rows):
    assert len(ledger_rows) >= 8
    assert list(ledger_rows) == [c.claim_id for c in claims.CLAIMS]
    for claim_id, cells in ledger_rows.items():
        assert len(cells) == 5
        assert cells[4] in claims.VERDICTS, (claim_id, cells[4])
        assert cells[3], f"{claim_id} has no evidence text"


def test_settings_pay_evidence_matches_the_warehouse(ledger_rows, wh):
    claim = next(c for c in claims.CLAIMS if c.check == "settings_pay")
    evidence, verdict = ledger_rows[claim.claim_id][3], ledger_rows[claim.claim_id][4]
    cells = (
        wh.execute(
            "SELECT oews_industry_code, employment_count, annual_mean_wage_usd FROM mart_oews__setting_wages "
            "WHERE soc_code = '29-1122' AND oews_industry_code IN ('621340', '622100', '622300', '621600')"
        )
        .df()
        .set_index("oews_industry_code")
    )
    outpatient = cells.loc["621340", "annual_mean_wage_usd"]
    home_health = cells.loc["621600", "annual_mean_wage_usd"]
    hosp = cells.loc[["622100", "622300"]]
    hospitals = (hosp.annual_mean_wage_usd * hosp.employment_count).sum() / hosp.employment_count.sum()
    # OEWS May 2025 flat file: OEUN000000062134029112204 = 98710, OEUN000000062160029112204 = 112820;
    # 622100 (mean 104350, 34,050 jobs) and 622300 (mean 103460, 7,980 jobs) weighted give 104,181.
    assert (outpatient, home_health) == (98710, 112820)
    for value in (outpatient, hospitals, home_health):
        assert fmt.usd(value) in evidence
    assert "$104,181" in evidence
    gap = (max(outpatient, hospitals, home_health) / min(outpatient, hospitals, home_health) - 1) * 100
    assert f"{gap:.1f}%" in evidence
    # The gap of $14,110 is also beyond sampling error: 2 x sqrt((98,710 x 1.2%)^2 + (112,820 x 1.1%)^2) = $3,431
    # (wage RSEs OEUN000000062134029112205 and OEUN000000062160029112205).
    assert "$14,110" in evidence and "$3,431" in evidence
    material = gap >= claim.thresholds["min_gap_pct"]
    assert verdict == (claims.SUPPORTED if material and 14110 > 3431 else claims.NOT_SUPPORTED)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_other_testable_claims_show_their_numbers(ledger_rows):
    text = {cid: cells[3] for cid, cells in ledger_rows.items()}
    # State medians (OEWS May 2025): California $124,510 (OEUS06...13), North Dakota $83,200.
    assert "California $124,510" in text["C2"] and "North Dakota $83,200" in text["C2"]
    # Jobs per 1,000: Connecticut 1.854 (OEUS0900000000000029112216), Utah 0.592 (OEUS49...16).
    assert "Connecticut 1.85" in text["C3"] and "Utah 0.59" in text["C3"]
    # EP 2024-34 Table 1.2: 29-1122 160.0 -> 182.1 thousand, +13.8%; all occupations +3.1%; 10.2 thousand openings.
    assert "+13.8%" in text["C4"] and "+3.1%" in text["C4"] and "10,200 openings" in text["C4"]
    # OEWS national employment May 2020 126,610 (national_M2020_dl.xlsx) and May 2025 162,450 (flat file).
    assert "126,610" in text["C5"] and "162,450" in text["C5"]
    # National p10 $71,690 (OEUN000000000000029112211) and p90 $131,950 (…15).
    assert "$71,690" in text["C6"] and "$131,950" in text["C6"]


def test_untestable_claims_and_absent_jolts(built_book, ledger_rows, wh):
    _, html_dir = built_book
    status = wh.execute("SELECT status FROM meta_sources WHERE source_id = 'jolts'").fetchall()[0][0]
    for claim_id in ("C9", "C10", "C11", "C12", "C13"):
        assert ledger_rows[claim_id][4] == claims.NOT_TESTABLE
    if status != "complete":
        assert "Not in this build" in _text(_soup(html_dir, "claims_ledger"))
        for claim_id in ("C7", "C8"):
            assert ledger_rows[claim_id][4] == claims.NOT_TESTABLE
            assert "JOLTS is not in this build" in ledger_rows[claim_id][3]


def test_verdict_counts_and_rules_are_on_the_page(built_book, ledger_rows):
    _, html_dir = built_book
    text = _text(_soup(html_dir, "claims_ledger"))
    for verdict in claims.VERDICTS:
        n = sum(cells[4] == verdict for cells in ledger_rows.values())
        assert re.search(rf"{re.escape(verdict)} {n}\b", text), verdict
    # The thresholds are printed with the rules.
    assert f"at least {claims.LEDGER.claim('C1').thresholds['min_gap_pct']:.0f}% above the lowest" in text
    assert f"at least {claims.LEDGER.claim('C2').thresholds['min_ratio']:.2f} times the lowest" in text


def test_claim_list_is_data():
    # The claims, rules and wording are book/claims_ledger.yaml; tests/test_claims_ledger.py checks it in depth.
    ids = [c.claim_id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    for c in claims.CLAIMS:
        assert c.paraphrase and c.section and c.rule and c.check
    with pytest.raises(ValueError):
        claims.Outcome("probably", [])


def test_jolts_claims_compare_health_care_with_total_nonfarm():
    """With JOLTS present the churn test averages the latest months of the seasonally adjusted quits rate.

    The rows below are made up to exercise the rule; no book page ever shows them.
    """
    con = duckdb.connect()
    con.execute("CREATE TABLE meta_sources (source_id VARCHAR, status VARCHAR)")
    con.execute("INSERT INTO meta_sources VALUES ('jolts', 'complete')")
    con.execute("""CREATE TABLE core_jolts__monthly_rates_and_levels (industry_code VARCHAR, seasonally_adjusted
                   BOOLEAN, rate_level_code VARCHAR, data_element_code VARCHAR, month_start DATE, value DOUBLE)""")
    months = pd.date_range("2024-01-01", periods=14, freq="MS")
    for m in months:
        # The two oldest months are outside the 12-month window and would flip the verdict if counted.
        old = m < months[2]
        con.execute(
            "INSERT INTO core_jolts__monthly_rates_and_levels VALUES ('620000', TRUE, 'R', 'QU', ?, ?)",
            [m.date(), 0.1 if old else 2.5],
        )
        con.execute(
            "INSERT INTO core_jolts__monthly_rates_and_levels VALUES ('000000', TRUE, 'R', 'QU', ?, ?)",
            [m.date(), 9.0 if old else 2.0],
        )
    finding = claims.run_claim(con, "29-1122", "C8")
    assert finding.verdict == claims.SUPPORTED
    assert "2.5% in health care" in finding.evidence and "2.0% for total nonfarm" in finding.evidence
    assert "12 months (Mar 2024 to Feb 2025)" in finding.evidence


# ---- methodology ---------------------------------------------------------------------------------------------


def test_methodology_shows_each_marts_sql(built_book):
    _, html_dir = built_book
    page = (html_dir / "notebooks" / "methodology.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    blocks = {d.find("summary").find("code").get_text(): d for d in soup.find_all("details", class_="mart-sql")}
    sql_files = sorted((PROJECT_ROOT / "warehouse" / "sql" / "marts").glob("*.sql"))
    assert set(blocks) == {p.stem for p in sql_files}
    history_sql = (PROJECT_ROOT / "warehouse" / "sql" / "marts" / "core_oews__national_wage_history.sql").read_text()
    shown = blocks["core_oews__national_wage_history"].find("pre").get_text()
    assert shown == history_sql
    assert htmllib.escape(history_sql) in page
    # Its inputs, from the -- depends: header.
    assert "stg_oews__history_cells" in blocks["core_oews__national_wage_history"].get_text()
    assert "SELECT annual_median_wage_usd FROM mart_oews__national_wages WHERE soc_code = '29-1122';" in _text(soup)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_methodology_limitations(built_book, wh):
    _, html_dir = built_book
    soup = _soup(html_dir, "methodology")
    headings = {h.get_text(strip=True).rstrip("#") for h in soup.find_all(["h2", "h3"])}
    for h in (
        "Known limitations",
        "JOLTS is a sector proxy",
        "Means and medians",
        "Employment Projections count differently from OEWS",
        "The May 2021 change of estimator",
        "Cells BLS did not publish",
        "Wages, prices and the deflator",
        # the sections the page had before stay
        "Sources used in this build",
        "How wrong data is stopped",
        "Known differences between the sources",
    ):
        assert h in headings, h
    text = _text(soup)
    # Unpublished cells for 29-1122, straight from the staging flags.
    total, missing = wh.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE employment_count_flag IS NOT NULL
                                            OR annual_median_wage_usd_flag IS NOT NULL
                                            OR annual_mean_wage_usd_flag IS NOT NULL)
        FROM stg_oews__cells JOIN stg_oews__occupations USING (occupation_code)
        WHERE soc_code = '29-1122' AND ((areatype_code IN ('S', 'M') AND industry_code = '000000')
                                        OR (areatype_code = 'N' AND industry_code <> '000000'))
        """
    ).fetchall()[0]
    assert f"Of the {total:,} state, metropolitan and industry cells" in text
    assert f"{missing:,} {'cell lacks' if missing == 1 else 'cells lack'} at least one of these values" in text
    # EP 2024-34 counts 160.0 thousand for 2024 (Table 1.2); OEWS May 2024 counted 152,280 (national_M2024_dl.xlsx).
    assert "counts 160,000" in text and "152,280 wage and salary jobs in May 2024" in text
    # Nominal: median $86,280 in May 2020 (national_M2020_dl.xlsx) and $100,330 in May 2025 (flat file).
    assert "$86,280 in May 2020" in text and "$100,330 in May 2025" in text


# ---- data downloads ------------------------------------------------------------------------------------------


def _csv_links(soup: BeautifulSoup) -> list[str]:
    return [a["href"] for a in soup.find_all("a", href=True) if a["href"].split("#")[0].endswith(".csv")]


def test_every_csv_link_resolves_and_parses(built_book):
    _, html_dir = built_book
    links = _csv_links(_soup(html_dir, "data_downloads"))
    assert len(links) >= 7  # six mart extracts and the manifest at least
    for href in links:
        target = (html_dir / "notebooks" / unquote(href)).resolve()
        assert target.is_file(), href
        assert html_dir.resolve() in target.parents, href
        pd.read_csv(target)


def test_downloads_list_every_csv_the_other_pages_link(built_book):
    _, html_dir = built_book
    listed = set(_csv_links(_soup(html_dir, "data_downloads")))
    for page in (html_dir / "notebooks").glob("*.html"):
        if page.stem == "data_downloads":
            continue
        for href in _csv_links(BeautifulSoup(page.read_text(), "html.parser")):
            assert href in listed, f"{page.name} links {href}, which the downloads page does not list"


def test_extracts_hold_the_occupations_rows(built_book, wh):
    _, html_dir = built_book
    soup = _soup(html_dir, "data_downloads")
    rows_shown = {}
    for tr in soup.select("table.downloads-table tbody tr"):
        a = tr.find("a")
        rows_shown[a["href"]] = tr.find_all("td")[-1].get_text(strip=True)
    for sql in sorted((PROJECT_ROOT / "warehouse" / "sql" / "marts").glob("*.sql")):
        href = f"../_static/data/data_downloads/{sql.stem}.csv"
        n = wh.execute(f"SELECT count(*) FROM {sql.stem} WHERE soc_code = '29-1122'").fetchall()[0][0]
        assert rows_shown[href] == f"{n:,}", sql.stem
        df = pd.read_csv(html_dir / "_static" / "data" / "data_downloads" / f"{sql.stem}.csv", dtype=str)
        assert len(df) == n
        assert set(df.get("soc_code", pd.Series(dtype=str)).dropna()) <= {"29-1122"}


def test_downloads_state_the_licence(built_book):
    _, html_dir = built_book
    text = _text(_soup(html_dir, "data_downloads"))
    assert "public domain" in text
    assert (
        "BLS.gov cannot vouch for the data or analyses derived from these data after the data have been "
        "retrieved from BLS.gov."
    ) in text
