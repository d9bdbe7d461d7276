"""The claims ledger as data: the YAML, the engine that runs it, and the two pages that state a claim's verdict.

The engine tests need no build: they read book/claims_ledger.yaml, and the settings check runs on a tiny
SYNTHETIC warehouse made here (every value in it is made up for the test). The page tests read the built book.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from pipeline.report import claim_checks, claims

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "book" / "notebooks"


# ---- the YAML and the engine (no build) ------------------------------------------------------------------------


def test_the_yaml_loads_and_every_claim_has_a_check_and_its_words():
    ledger = claims.load_ledger()
    assert [c.claim_id for c in ledger.claims] == [f"C{i}" for i in range(1, len(ledger.claims) + 1)]
    for c in ledger.claims:
        assert c.paraphrase and c.section and c.rule, c.claim_id
        assert c.check in claim_checks.CHECKS, c.claim_id
        # Every threshold a check reads is in the YAML, and the rule prints the values (no "{...}" left over).
        assert "{" not in c.rule and "}" not in c.rule, c.claim_id
        if not c.is_measured:
            assert c.says.get("why"), f"{c.claim_id} is not measured and says no reason why"
    assert claims.VERDICTS == ("supported", "not supported", "not testable with these sources")


def test_the_rules_print_the_yaml_thresholds():
    c1 = claims.LEDGER.claim("C1")
    assert c1.thresholds == {"min_gap_pct": 5.0, "sampling_band_multiple": 2.0}
    assert "at least 5% above the lowest" in c1.rule and "2 times the two means' combined standard error" in c1.rule
    assert "at least 1.20 times the lowest" in claims.LEDGER.claim("C2").rule


def test_a_broken_yaml_is_refused_naming_the_claim(tmp_path):
    good = (PROJECT_ROOT / "book" / "claims_ledger.yaml").read_text()
    unknown_check = tmp_path / "unknown_check.yaml"
    unknown_check.write_text(good.replace("check: pay_range", "check: pay_rang"))
    with pytest.raises(claims.LedgerError, match="C6.*pay_rang"):
        claims.load_ledger(unknown_check)
    stray_name = tmp_path / "stray_name.yaml"
    stray_name.write_text(good.replace("{min_ratio:.1f} times the 10th", "{min_ration:.1f} times the 10th"))
    with pytest.raises(claims.LedgerError, match="C6"):
        claims.load_ledger(stray_name)


def _synthetic_settings_warehouse(rse_pct: float) -> duckdb.DuckDBPyConnection:
    """SYNTHETIC: one occupation, its national row and four setting cells; the means are 10% apart at most."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE mart_oews__national_wages AS SELECT '99-9999' AS soc_code, 100000.0 AS annual_median_wage_usd, "
        "NULL::VARCHAR AS annual_median_wage_usd_flag, 48.0 AS hourly_median_wage_usd"
    )
    con.execute(
        """CREATE TABLE mart_oews__setting_wages (soc_code VARCHAR, oews_industry_code VARCHAR,
           employment_count DOUBLE, employment_count_flag VARCHAR, annual_mean_wage_usd DOUBLE,
           annual_mean_wage_usd_flag VARCHAR, wage_rse_pct DOUBLE, reference_period VARCHAR)"""
    )
    for code, jobs, mean in [("621340", 1000, 100000), ("622100", 3000, 104000), ("622300", 1000, 103000),
                             ("621600", 500, 110000)]:  # fmt: skip
        con.execute(
            "INSERT INTO mart_oews__setting_wages VALUES ('99-9999', ?, ?, NULL, ?, NULL, ?, 'May 2099')",
            [code, jobs, mean, rse_pct],
        )
    return con


def test_the_settings_claim_needs_a_gap_beyond_sampling_error():
    """A 10% gap is material; it supports the claim only when it is larger than the sampling band.

    The settings chapter once called a claim "holds in part" that the ledger called "supported", each by its own
    rule; now both read this one verdict, and a material gap inside sampling error does not support the claim.
    """
    narrow = claims.run_claim(_synthetic_settings_warehouse(0.5), "99-9999", "C1")
    assert narrow.verdict == claims.SUPPORTED
    # 2 x sqrt((100,000 x 0.5%)^2 + (110,000 x 0.5%)^2) = $1,487
    assert "pays 10.0% more than Outpatient, measured against the lower mean" in narrow.evidence
    assert "beyond sampling error" in narrow.evidence and "$1,487" in narrow.evidence
    wide = claims.run_claim(_synthetic_settings_warehouse(5.0), "99-9999", "C1")
    assert wide.verdict == claims.NOT_SUPPORTED and "within sampling error" in wide.evidence


# ---- the pages (built book) ------------------------------------------------------------------------------------


def _page(html_dir: Path, page: str) -> BeautifulSoup:
    # The book prints typographic apostrophes; the tests write plain ones.
    return BeautifulSoup((html_dir / "notebooks" / f"{page}.html").read_text().replace("\u2019", "'"), "html.parser")


def _prose(soup: BeautifulSoup) -> list[str]:
    """The page's sentences outside tables and figures: its paragraphs, list items and notes."""
    return [re.sub(r"\s+", " ", el.get_text(" ", strip=True)) for el in soup.select("p, li")]


def _depth(text: str) -> int:
    deepest = depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    return deepest


def test_settings_page_and_ledger_state_the_same_verdict(built_book):
    _, html_dir = built_book
    ledger = _page(html_dir, "claims_ledger")
    table = next(t for t in ledger.find_all("table") if "Evidence" in t.get_text())
    row = next(tr for tr in table.find("tbody").find_all("tr") if tr.find("td").get_text(strip=True) == "C1")
    ledger_verdict = row.find_all("td")[-1].get_text(strip=True)
    settings_text = re.sub(r"\s+", " ", _page(html_dir, "settings").get_text(" "))
    stated = re.findall(r"Verdict: the claim is (.+?) for Occupational Therapists", settings_text)
    assert stated == [ledger_verdict] and ledger_verdict in claims.VERDICTS
    # The percentage both pages give for the widest gap is the same measure, and each page says what it is:
    # home health $112,820 over outpatient $98,710 (OEWS May 2025, 621600 and 621340) is 14.3% above outpatient.
    assert "14.3% more than Outpatient, measured against the lower mean" in row.get_text(" ")
    assert "between Home health and Outpatient: $14,110 in mean annual pay, so the higher mean is 14.3% above" in (
        settings_text
    )
    assert "gap divided by the lower-paid setting's figure" in settings_text
    assert "14.1%" not in settings_text  # the same gap over the national median, once shown unexplained


def test_zero_employment_rse_is_explained(built_book):
    """622100 x 29-1122 employment RSE is 0.0 in the May 2025 release (OEUN000000062210029112202)."""
    _, html_dir = built_book
    note = next(p for p in _prose(_page(html_dir, "settings")) if p.startswith("An employment RSE of 0.0%"))
    assert "Inpatient / acute care" in note and "0.0% means under 0.05%" in note and "sampling error only" in note


@pytest.mark.parametrize("page", ["settings", "claims_ledger"])
def test_prose_has_no_parentheses_nested_three_deep(built_book, page):
    _, html_dir = built_book
    for sentence in _prose(_page(html_dir, page)):
        assert _depth(sentence) < 3, sentence


@pytest.mark.parametrize("page", ["settings", "claims_ledger"])
def test_an_occupation_title_is_not_written_as_a_place_jobs_are_in(page, built_book):
    source = (NOTEBOOKS / f"{page}.md").read_text()
    assert not re.search(r"jobs in \{\{?\s*occupation", source), "write 'the occupation's jobs', not 'jobs in <title>'"
    _, html_dir = built_book
    assert "jobs in Occupational Therapists" not in _page(html_dir, page).get_text(" ")
