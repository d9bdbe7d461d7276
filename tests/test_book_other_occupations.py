"""Books for occupations other than occupational therapists, built end to end, read as a reader would.

Two occupations stress what the default book never meets:
- 27-2011 Actors: BLS publishes hourly wages only (every annual wage is flagged ``wage_basis_not_published``), and
  several state medians are not released;
- 19-5010 Occupational Health and Safety Specialists and Technicians: a broad group that the Employment
  Projections do not publish, and that the OEWS release carries for the nation only (no state or metro cells).

Both books are built once per session with the same command a maintainer runs, sharing one warehouse (built by
the first, reused by the second). Every expected number is read from that warehouse, never typed in here.
Set REUSE_OTHER_BOOKS=<folder> to a folder holding warehouse/ and build-<SOC>/ from an earlier run to iterate on
the assertions without rebuilding.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.report import format as fmt

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ACTORS, BROAD_GROUP = "27-2011", "19-5010"

# What a page must never print: a Python or pandas missing value, a stray repr or traceback, or a zero dollar
# amount standing in for a value BLS did not publish. "None of ..." is English, not a leaked None.
LEAKS = [
    r"\bnan\b",
    r"\bNaN\b",
    r"\bNone\b(?! of\b)",
    r"\bNaT\b",
    r"<NA>",
    r"\$0(?![\d,.])",
    r"Traceback",
    r"IPython\.core\.display",
]


def _html_dir(build_dir: Path) -> Path:
    """The built site's folder: BUILD_DIR/<SOC>/html today (BUILD_DIR/html before books were partitioned)."""
    found = sorted(build_dir.glob("**/html/notebooks/index.html"))
    assert found, f"no built book under {build_dir}"
    return found[0].parent.parent


def _build(soc: str, root: Path, mirror: Path) -> Path:
    build_dir = root / f"build-{soc}"
    env = os.environ | {
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "BUILD_DIR": str(build_dir),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "SOURCES_MIRROR": str(mirror),
    }
    env.pop("SOC", None)
    env.pop("EDITION", None)
    (root / "dagster_home").mkdir(exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.build", "--soc", soc],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (root / f"build-{soc}.log").write_text(result.stdout)
    return _html_dir(build_dir)


@pytest.fixture(scope="session")
def other_books(tmp_path_factory, available_mirror) -> dict:
    """{soc: html dir} for both books, and the warehouse they were built from under 'warehouse'."""
    reuse = os.environ.get("REUSE_OTHER_BOOKS")
    if reuse:
        root = Path(reuse)
        return {
            ACTORS: _html_dir(root / f"build-{ACTORS}"),
            BROAD_GROUP: _html_dir(root / f"build-{BROAD_GROUP}"),
            "warehouse": root / "warehouse" / "warehouse.duckdb",
        }
    root = tmp_path_factory.mktemp("other_books")
    # One after the other: DuckDB has a single writer, and the second build reuses the first one's warehouse.
    books = {soc: _build(soc, root, available_mirror) for soc in (ACTORS, BROAD_GROUP)}
    return books | {"warehouse": root / "warehouse" / "warehouse.duckdb"}


@pytest.fixture(scope="session")
def wh(other_books):
    con = duckdb.connect(str(other_books["warehouse"]), read_only=True)
    yield con
    con.close()


def page_text(html_dir: Path, page: str) -> str:
    """The visible text of a page's main column, tags removed, whitespace collapsed, images' data left out."""
    html = (html_dir / "notebooks" / f"{page}.html").read_text()
    main = html[html.find("<main") : html.find("</main>")] if "<main" in html else html
    main = re.sub(r'src="data:[^"]*"', "", main)
    text = unescape(re.sub(r"<[^>]+>", " ", main)).replace("\u2019", "'")
    return " ".join(text.split())


def pages_of(html_dir: Path) -> list[str]:
    return sorted(p.stem for p in (html_dir / "notebooks").glob("*.html"))


def footnote(wh, code: str) -> str:
    return wh.execute("SELECT footnote_text FROM stg_oews__footnotes WHERE footnote_code = ?", [code]).fetchone()[0]


# ---------------------------------------------------------------------------------------------- both books


@pytest.mark.parametrize("soc", [ACTORS, BROAD_GROUP])
def test_chapters_written_for_the_therapy_occupations_are_left_out(other_books, soc):
    html_dir = other_books[soc]
    therapy_only = {"hiring_loop", "skills_and_signals", "interview_preparation", "portfolio_ideas"}
    assert not therapy_only & set(pages_of(html_dir))
    navigation = (html_dir / "notebooks" / "index.html").read_text()
    assert "Hiring loop" not in navigation and "Career roadmap" in navigation
    # The chapters that remain say which were left out, and why.
    note = page_text(html_dir, "career_roadmap")
    assert "written for the rehabilitation-therapy occupations" in note
    assert "(Hiring loop, Skills and signals, Interview preparation, Portfolio ideas) are left out" in note


@pytest.mark.parametrize("soc", [ACTORS, BROAD_GROUP])
def test_no_page_leaks_a_missing_value_or_ot_wording(other_books, soc):
    html_dir = other_books[soc]
    pages = pages_of(html_dir)
    assert {
        "index",
        "market_snapshot",
        "geography",
        "trend",
        "outlook",
        "compensation",
        "settings",
        "faq",
        "claims_ledger",
        "career_roadmap",
        "methodology",
    } <= set(pages)
    for page in pages:
        text = page_text(html_dir, page)
        for pattern in LEAKS:
            hit = re.search(pattern, text)
            assert not hit, f"{soc} {page}: {pattern!r} near: {text[max(0, hit.start() - 80) : hit.end() + 40]}"
        # Neither occupation is a therapy one; the only therapy words allowed are the industry's own name
        # ("Offices of Physical, Occupational and Speech Therapists"), which this pattern does not match.
        assert not re.search(r"occupational therap", text, re.I), f"{soc} {page} speaks of occupational therapy"


@pytest.mark.parametrize("soc", [ACTORS, BROAD_GROUP])
def test_every_table_has_rows_and_every_figure_says_what_it_shows(other_books, soc):
    html_dir = other_books[soc]
    for page in pages_of(html_dir):
        html = (html_dir / "notebooks" / f"{page}.html").read_text()
        assert not re.search(r"<tbody>\s*</tbody>", html), f"{soc} {page}: an empty table"
        for alt in re.findall(r'<figure class="report-figure"><img [^>]*?alt="([^"]*)"', html):
            assert len(unescape(alt).strip()) > 40, (soc, page, alt)


@pytest.mark.parametrize("soc", [ACTORS, BROAD_GROUP])
def test_pages_show_the_occupations_own_numbers(other_books, wh, soc):
    nat = wh.execute(
        "SELECT occupation_title, employment_count FROM mart_oews__national_wages WHERE soc_code = ?", [soc]
    ).fetchone()
    title, jobs = nat
    for page in ("index", "market_snapshot"):
        text = page_text(other_books[soc], page)
        assert f"{title} (SOC {soc})" in text or title.lower() in text, page
        assert fmt.count(jobs) in text, page


# ---------------------------------------------------------------------------------------------- actors


def test_actors_pages_use_hourly_wages_and_say_why(other_books, wh):
    html_dir = other_books[ACTORS]
    nat = wh.execute(
        """SELECT hourly_median_wage_usd, hourly_p10_wage_usd, hourly_p25_wage_usd, hourly_p75_wage_usd,
                  hourly_p90_wage_usd, annual_median_wage_usd, annual_median_wage_usd_flag
           FROM mart_oews__national_wages WHERE soc_code = ?""",
        [ACTORS],
    ).fetchone()
    median, p10, p25, p75, p90, annual_median, annual_flag = nat
    # The premise: BLS published no annual wage for actors, for its pay-basis reason.
    assert annual_median is None and annual_flag == "wage_basis_not_published"
    basis_note = footnote(wh, "4")
    summary = page_text(html_dir, "index")
    assert f"Median hourly wage {fmt.usd_hourly(median)} (BLS publishes no annual wage for this occupation)" in summary
    assert f"{fmt.usd_hourly(p10)} to {fmt.usd_hourly(p90)}" in summary
    assert "Hourly wages only." in summary and basis_note in summary
    snapshot = page_text(html_dir, "market_snapshot")
    assert "Median not published for this pay basis" in snapshot  # the annual column says what is missing
    assert f"Half of these jobs paid more than {fmt.usd_hourly(median)}" in snapshot
    compensation = page_text(html_dir, "compensation")
    assert f"between {fmt.usd_hourly(p25)} and {fmt.usd_hourly(p75)}" in compensation
    ledger = page_text(html_dir, "claims_ledger")
    assert f"10th percentile {fmt.usd_hourly(p10)}, 90th percentile {fmt.usd_hourly(p90)}" in ledger
    for page in ("index", "market_snapshot", "compensation", "trend", "geography", "settings", "career_roadmap"):
        # No annual dollar figure may appear where BLS published none: every wage reads "$x/hour". BLS's quoted
        # footnotes are left out, since footnote 5 states the annual top code itself.
        text = re.sub("\u201c[^\u201d]*\u201d", "", page_text(html_dir, page))
        amounts = re.findall(r"\$[\d,]+(?:\.\d+)?(?:/hour)?", text)
        annual = [a for a in amounts if not a.endswith("/hour") and "," in a]
        assert not annual, (page, annual[:5])


def test_actors_state_medians_not_released_are_named_with_the_reason(other_books, wh):
    withheld = wh.execute(
        """SELECT state_name FROM mart_oews__state_wages
           WHERE soc_code = ? AND hourly_median_wage_usd_flag = 'not_released'
           ORDER BY employment_count DESC NULLS LAST""",
        [ACTORS],
    ).fetchall()
    assert withheld, "expected at least one state whose hourly median BLS did not release"
    text = page_text(other_books[ACTORS], "geography")
    row = re.search(rf"{re.escape(withheld[0][0])} not released by BLS", text)
    assert row, withheld[0][0]
    assert f"\u201c{footnote(wh, '8')}\u201d" in text  # BLS's own words for the reason


# ---------------------------------------------------------------------------------------------- the broad group


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_broad_group_says_the_projections_do_not_publish_it(other_books, wh):
    html_dir = other_books[BROAD_GROUP]
    assert not wh.execute("SELECT 1 FROM mart_ep__occupation_outlook WHERE soc_code = ?", [BROAD_GROUP]).fetchall()
    detailed = wh.execute(
        """SELECT soc_code, occupation_title, employment_base_jobs FROM mart_ep__occupation_outlook
           WHERE is_latest_edition AND soc_code LIKE '19-501_' AND soc_code <> ? ORDER BY soc_code""",
        [BROAD_GROUP],
    ).fetchall()
    outlook = page_text(html_dir, "outlook")
    assert "Not in the Employment Projections" in outlook
    assert "Nothing to show here: the Employment Projections have no row for this occupation" in outlook
    for soc, title, base in detailed:  # EP's own lines for the detailed codes, shown, never summed
        assert f"{soc} {title}" in outlook and fmt.count(base) in outlook
    assert fmt.count(sum(b for _, _, b in detailed)) not in outlook
    assert 'class="report-figure"' not in (html_dir / "notebooks" / "outlook.html").read_text()
    summary = page_text(html_dir, "index")
    assert "not published: the Employment Projections have no row for this occupation" in summary
    assert "The Employment Projections in this build have no row for SOC 19-5010" in summary


def test_broad_group_has_no_area_estimates_and_says_so(other_books, wh):
    html_dir = other_books[BROAD_GROUP]
    assert (
        wh.execute("SELECT count(*) FROM mart_oews__state_wages WHERE soc_code = ?", [BROAD_GROUP]).fetchone()[0] == 0
    )
    detailed = wh.execute(
        "SELECT soc_code, occupation_title FROM stg_oews__occupations WHERE soc_code LIKE '19-501_' "
        "AND soc_code <> ? ORDER BY soc_code",
        [BROAD_GROUP],
    ).fetchall()
    geography = page_text(html_dir, "geography")
    assert "No state or metropolitan estimates." in geography
    for soc, title in detailed:
        assert f"{soc} {title}" in geography
    assert 'class="report-figure"' not in (html_dir / "notebooks" / "geography.html").read_text()  # no empty map
    ledger = page_text(html_dir, "claims_ledger")
    assert "The release has no state estimates for this occupation code at all" in ledger


# ---------------------------------------------------------------------------------------------- helpers, no build


def test_pay_basis_is_hourly_only_when_bls_withheld_annual_wages_for_the_pay_basis():
    from pipeline.report import unpublished as unpub

    hourly_only = {
        "annual_median_wage_usd": None,
        "annual_median_wage_usd_flag": "wage_basis_not_published",
        "hourly_median_wage_usd": 29.05,
    }
    assert unpub.pay_basis(hourly_only).is_hourly
    assert unpub.pay_basis(hourly_only).col("p90") == "hourly_p90_wage_usd"
    # A median that is top-coded or not released is still an annual-basis occupation: the reason differs.
    for flag in ("top_coded", "not_released", None):
        assert not unpub.pay_basis(hourly_only | {"annual_median_wage_usd_flag": flag}).is_hourly, flag
    assert unpub.pay_basis(None).name == "annual"


def test_cells_name_the_reason_and_a_top_code_shows_its_floor():
    from pipeline.report import unpublished as unpub

    assert unpub.cell(72300.0, None, fmt.usd) == "$72,300"
    assert unpub.cell(None, "not_released", fmt.usd) == "not released by BLS"
    assert unpub.cell(None, "top_coded", fmt.usd, 239200.0) == "$239,200 or more (top-coded)"
    assert unpub.cell(float("nan"), None, fmt.usd) == fmt.NOT_PUBLISHED
    frame = pd.DataFrame({"a_flag": [None, "top_coded", "not_released"], "b_flag": [None] * 3})
    assert unpub.flags_in(frame, ["a_flag", "b_flag", "missing_column"]) == ["not_released", "top_coded"]
