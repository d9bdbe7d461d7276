"""The OEWS/EP pages of the built book: executive summary, market snapshot, geography and trend.

Expected values are the published BLS figures for Occupational Therapists (29-1122), checked by hand against the
pinned real files of tests/reference_files.py (tabulated in docs/source-formats.md: the May 2020-2024 national
workbook rows, the May 2025 headline, the EP 2024-34 row) and the reconstructed May 2025 subset
oews/flatfile_may2025/oe.data.May2025.29-1122.reconstructed.tsv (series ids quoted below:
OEU + area type + area + industry + occupation + datatype; datatype 01 employment, 04 annual mean,
13 annual median, 16 jobs per 1,000).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

PAGES = ("index", "market_snapshot", "geography", "trend")


@pytest.fixture(scope="module")
def pages(built_book) -> dict[str, BeautifulSoup]:
    _, html_dir = built_book
    return {p: BeautifulSoup((html_dir / "notebooks" / f"{p}.html").read_text(), "html.parser") for p in PAGES}


@pytest.fixture(scope="module")
def html_dir(built_book) -> Path:
    return built_book[1]


def text(page: BeautifulSoup) -> str:
    main = page.find("main") or page
    return re.sub(r"\s+", " ", main.get_text(" "))


def row_cells(page: BeautifulSoup, first_cell: str) -> list[str]:
    for tr in page.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row starting with {first_cell!r}")


def svgs(page: BeautifulSoup, html_dir: Path) -> list[str]:
    """The SVG files a page's figures link to (relative to the page, in notebooks/)."""
    return [(html_dir / "notebooks" / img["src"]).read_text() for img in page.select("figure.report-figure img")]


# --- executive summary ---------------------------------------------------------------------------------------


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_summary_headline_numbers(pages):
    t = text(pages["index"])
    assert "Executive summary" in t
    assert "162,450" in t  # source-formats.md May 2025 headline; tsv OEUN0000000000000291122 01
    assert "$100,330 ($48.24/hour)" in t  # median annual and hourly: tsv ...291122 13 and 08
    assert "$71,690 to $131,950" in t  # p10 and p90: tsv ...291122 11 and 15
    # EP 2024-34 (docs/source-formats.md: 160.0 -> 182.1 thousand, +22.1, +13.8%, openings 10.2 thousand a year)
    assert "+22,100 (+13.8%), from 160,000 to 182,100" in t
    assert row_cells(pages["index"], "Openings per year, 2024–2034 average")[1] == "10,200"
    # Highest state median: California $124,510 (source-formats.md; tsv OEUS0600000000000291122 13)
    assert "California $124,510" in t
    # Best-paid setting by mean: home health, NAICS 621600, mean $112,820, median $106,300
    # (tsv OEUN0000000621600291122 04/13)
    assert "Home health: $112,820 mean" in t
    assert "its median is $106,300" in t


def test_summary_keeps_absent_note_and_links_chapters(pages):
    page = pages["index"]
    note = page.find(class_="source-absent")
    assert note is not None and "Not in this build" in note.get_text()
    assert "Job Openings and Labor Turnover Survey" in note.get_text()  # JOLTS is not pinned in the default build
    hrefs = {a.get("href") for a in (page.find("main") or page).find_all("a")}
    for target in ("market_snapshot.html", "geography.html", "trend.html", "settings.html", "methodology.html"):
        assert target in hrefs, target
    assert not any(h and h.endswith(".md") for h in hrefs), "a link to a .md source did not resolve"
    assert "What to do with these numbers" in text(page)


# --- market snapshot -----------------------------------------------------------------------------------------


def test_snapshot_percentiles_and_precision(pages):
    page = pages["market_snapshot"]
    t = text(page)
    assert row_cells(page, "Median") == ["Median", "$100,330", "$48.24/hour"]  # tsv 13 and 08
    assert row_cells(page, "Mean") == ["Mean", "$101,280", "$48.69/hour"]  # tsv 04 and 03
    assert row_cells(page, "90th percentile")[1] == "$131,950"  # tsv 15
    assert "relative standard error (RSE) of 1.2%" in t  # tsv 02
    assert "(0.4%) belongs to the mean wage" in t  # tsv 05
    # 162,450 of the 155,495,730 jobs of all occupations (OEWS 00-0000, package cell OEUN0000000000000000000)
    assert "155,495,730" in t and "1.04 in every 1,000" in t


def test_snapshot_private_ownership_and_states(pages):
    page = pages["market_snapshot"]
    # Industry 000001 (cross-industry, private ownership only): 132,890 jobs, median $100,760, mean $102,120
    # (tsv OEUN0000000000001291122 01/13/04); government = 162,450 - 132,890 = 29,560.
    assert row_cells(page, "Private employers only")[1:] == ["132,890", "$100,760", "$102,120"]
    assert row_cells(page, "Government (the difference between the two rows above)")[1] == "29,560"
    # Largest states (docs/source-formats.md): CA 13,810 ($124,510), TX 13,400, NY 11,690, FL 10,650, IL 7,710
    assert row_cells(page, "California")[1:3] == ["13,810", "$124,510"]
    for state, jobs in (("Texas", "13,400"), ("New York", "11,690"), ("Florida", "10,650"), ("Illinois", "7,710")):
        assert row_cells(page, state)[1] == jobs


# --- geography -----------------------------------------------------------------------------------------------


def test_geography_states_and_metros(pages):
    page = pages["geography"]
    t = text(page)
    # California: median $124,510 / national $100,330 = 1.24; 13,810 jobs
    assert row_cells(page, "California")[:4] == ["California", "$124,510", "1.24", "13,810"]
    # Highest-paying metro (at least 100 jobs): San Jose, tsv OEUM0041940000000291122 13 = 136870, 01 = 840
    assert row_cells(page, "San Jose-Sunnyvale-Santa Clara, CA")[1:4] == ["$136,870", "1.36", "840"]
    # Lowest-paying metro: San Juan, tsv OEUM0041980000000291122 13 = 54000
    assert row_cells(page, "San Juan-Bayamon-Caguas, PR")[1] == "$54,000"
    # Most jobs per 1,000 among metros: Homosassa Springs, tsv OEUM0026140000000291122 16 = 2.673
    assert row_cells(page, "Homosassa Springs, FL")[4] == "2.67"
    # Nonmetropolitan areas are listed apart: South Illinois, tsv OEUM1700004000000291122 16 = 3.011
    assert row_cells(page, "South Illinois nonmetropolitan area")[4] == "3.01"
    assert "126 of them are nonmetropolitan areas" in t  # 126 of the tsv's 491 metro-type areas
    assert "location quotient" in t.lower()


# --- trend ---------------------------------------------------------------------------------------------------


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_trend_years_and_method_break(pages, html_dir):
    page = pages["trend"]
    t = text(page)
    # docs/source-formats.md OT table (TOT_EMP, A_MEDIAN) for May 2020-2024, and the May 2025 headline
    expected = {
        "May 2020": ("126,610", "$86,280"),
        "May 2021": ("127,830", "$85,570"),
        "May 2022": ("134,980", "$93,180"),
        "May 2023": ("144,840", "$96,370"),
        "May 2024": ("152,280", "$98,340"),
        "May 2025": ("162,450", "$100,330"),
    }
    for release, (jobs, median) in expected.items():
        cells = row_cells(page, release)
        assert cells[1] == jobs and cells[3] == median, cells
    # 127,830 - 126,610 = +1,220 across the May 2021 method change, flagged in the row
    may2021 = row_cells(page, "May 2021")
    assert may2021[2].startswith("+1,220") and "method change" in may2021[-1]
    assert "nominal" in t and "not adjusted for inflation" in t
    # The method change is drawn on every chart: employment, pay, and pay after inflation (rule and label in the SVG)
    drawn = svgs(page, html_dir)
    assert len(drawn) == 3 and all("Method change from May 2021" in s for s in drawn)


# --- every page ----------------------------------------------------------------------------------------------


@pytest.mark.real_files()  # the trend charts need the pinned OEWS history workbooks
def test_figures_have_alt_text_and_downloads_exist(pages, html_dir):
    figures = 0
    for name, page in pages.items():
        for img in page.select("figure.report-figure img"):
            figures += 1
            assert len(img.get("alt", "").strip()) > 40, f"{name}: figure without descriptive alt text"
        for a in page.select("a.csv-download"):
            target = (html_dir / "notebooks" / a["href"]).resolve()
            assert target.is_file() and target.stat().st_size > 0, f"{name}: missing {a['href']}"
    assert figures == 6  # percentile chart, two state maps, three trend charts (jobs, pay, pay after inflation)
    alt = pages["geography"].select("figure.report-figure img")[1]["alt"]
    assert "California at 1.24 times the national median ($124,510)" in alt
