"""Pay after inflation on the trend page of the built book.

The page converts each May's national median into dollars of the current release's month (May 2025) with the
May index of the CPI-U (mart_oews__real_wages). These tests recompute those figures from the built warehouse
itself (the CPI values in stg_cpi__index_values, the medians in core_oews__national_wage_history), so they check
the page against its data rather than against numbers typed here, and they also pin the figures for Occupational
Therapists (29-1122) from the real files: May 2020 CPI-U 256.394, May 2025 321.465, May 2020 median $86,280 ->
$108,177 in May 2025 dollars, -7.3% after inflation to May 2025's $100,330.

The CPI is in the build only when the lock pins it. A build without it must say so on the page and show no real
figures; the tests of the figures skip there. To run them on a build that pins it:
REUSE_BUILT_BOOK=<folder with warehouse/ and build/> (tests/conftest.py: built_book).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

SOC = "29-1122"
CSV = "median_after_inflation_by_year.csv"


@pytest.fixture(scope="module")
def built(built_book) -> tuple[Path, Path]:
    """(warehouse file, html folder) of the built book."""
    dirs, html_dir = built_book
    return Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb", html_dir


@pytest.fixture(scope="module")
def trend_text(built) -> str:
    page = BeautifulSoup((built[1] / "notebooks" / "trend.html").read_text(), "html.parser")
    main = page.find("main") or page
    return re.sub(r"\s+", " ", main.get_text(" "))


def _cpi_pinned(warehouse: Path) -> bool:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        has_mart = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mart_oews__real_wages'"
        ).fetchone()[0]
        return bool(has_mart) and bool(con.execute("SELECT count(*) FROM mart_oews__real_wages").fetchone()[0])


@pytest.fixture(scope="module")
def cpi_build(built) -> Path:
    # The lock pins the CPI, and its package origin (cpi==2.1.0) is installed with the project, so every build
    # of the default book has it.
    assert _cpi_pinned(built[0]), "the default book's lock pins the CPI, but the build has no real wages"
    return built[0]


def usd(x: float) -> str:
    return f"${x:,.0f}"


def pct(x: float) -> str:
    """As the page signs a percentage: +16.3%, −7.3% (a minus sign, not a hyphen)."""
    return f"+{x:.1f}%" if x > 0 else f"\u2212{abs(x):.1f}%"


def from_warehouse(warehouse: Path) -> dict:
    """The deflator's May indexes and the OT medians, straight from staging and the wage history (not the mart)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        series_id, period = con.execute("SELECT series_id, period FROM stg_cpi__deflator").fetchone()
        cpi = dict(
            con.execute(
                "SELECT year, value FROM stg_cpi__index_values WHERE series_id = ? AND period = ?", [series_id, period]
            ).fetchall()
        )
        medians = dict(
            con.execute(
                "SELECT reference_year, annual_median_wage_usd FROM core_oews__national_wage_history "
                "WHERE soc_code = ? ORDER BY reference_year",
                [SOC],
            ).fetchall()
        )
        method_from = con.execute(
            "SELECT min(reference_year) FROM core_oews__national_wage_history WHERE method_break_before"
        ).fetchone()[0]
    first, last = min(medians), max(medians)
    real = {year: medians[year] * cpi[last] / cpi[year] for year in medians}
    return {
        "series_id": series_id,
        "cpi": cpi,
        "medians": medians,
        "real": real,
        "first": first,
        "last": last,
        "method_from": method_from,
        "real_change_pct": (real[last] / real[first] - 1) * 100,
        "nominal_change_pct": (medians[last] / medians[first] - 1) * 100,
        "real_change_since_method_pct": (real[last] / real[method_from] - 1) * 100,
    }


@pytest.mark.real_files()  # the OEWS medians come from the pinned history workbooks
def test_trend_states_may_2020_median_in_may_2025_dollars_and_the_real_change(cpi_build, trend_text):
    w = from_warehouse(cpi_build)
    first, last = w["first"], w["last"]
    t = trend_text
    from_real, from_nominal = usd(w["real"][first]), usd(w["medians"][first])
    assert f"The median of May {first}, {from_nominal} as published, is {from_real} in May {last} dollars" in t
    assert f"the median of May {last} is {usd(w['medians'][last])}" in t
    changes = f"{pct(w['real_change_pct'])} over those years ({pct(w['nominal_change_pct'])} as published)"
    assert f"After inflation the median changed by {changes}" in t
    assert f"to May {last}, the median changed by {pct(w['real_change_since_method_pct'])} after inflation" in t
    # The index is named from the data, with its month and the reason for it, and the limits are said.
    assert f"BLS series {w['series_id']}" in t and "not seasonally adjusted" in t
    assert "Consumer Price Index for All Urban Consumers (CPI-U)" in t
    assert "OEWS estimates describe May of their reference year" in t
    assert "not the cost of living in any one place" in t and "not the CPI-W" in t


@pytest.mark.real_files()
def test_trend_real_figures_for_occupational_therapists(cpi_build, trend_text):
    """The published figures, pinned: BLS CPI-U NSA May 2020 and May 2025, OEWS OT national medians."""
    w = from_warehouse(cpi_build)
    assert w["series_id"] == "CUUR0000SA0"
    assert w["cpi"][2020] == pytest.approx(256.394) and w["cpi"][2025] == pytest.approx(321.465)
    assert w["medians"][2020] == 86280 and w["medians"][2025] == 100330
    assert round(w["real"][2020]) == 108177
    assert round(w["real_change_pct"], 1) == -7.3 and round(w["nominal_change_pct"], 1) == 16.3
    assert round(w["real_change_since_method_pct"], 1) == -1.8
    t = trend_text
    assert "The median of May 2020, $86,280 as published, is $108,177 in May 2025 dollars" in t
    assert "changed by **" not in t  # the emphasis is rendered, not printed
    assert "\u22127.3% over those years (+16.3% as published)" in t
    assert "changed by \u22121.8% after inflation" in t
    assert "(321.465)" in t


@pytest.mark.real_files()
def test_trend_csv_carries_both_series_and_the_cpi_index_of_each_year(cpi_build, built):
    w = from_warehouse(cpi_build)
    html_dir = built[1]
    page = (html_dir / "notebooks" / "trend.html").read_text()
    assert f'href="../_static/data/trend/{CSV}"' in page
    data = pd.read_csv(html_dir / "_static" / "data" / "trend" / CSV)
    assert list(data.reference_year) == sorted(w["medians"])
    for row in data.itertuples():
        year = row.reference_year
        assert row.annual_median_wage_usd == pytest.approx(w["medians"][year])
        assert row.annual_median_wage_real_usd == pytest.approx(w["real"][year])
        assert row.cpi_index_value == pytest.approx(w["cpi"][year])
        assert row.cpi_month == f"May {year}"
        assert row.target_cpi_index_value == pytest.approx(w["cpi"][w["last"]])
        assert row.dollars_of_month == f"May {w['last']}" and row.cpi_series_id == w["series_id"]
    # The figure's own CSV carries the two series and the index too.
    figure = pd.read_csv(html_dir / "_static" / "data" / "trend" / "median_after_inflation.csv")
    assert {"annual_median_wage_usd", "annual_median_wage_real_usd", "cpi_index_value"} <= set(figure.columns)


def test_trend_without_the_cpi_says_so_and_shows_no_real_figures(built, tmp_path):
    """The trend page executed on a copy of the warehouse from which the CPI is taken out, as in a build whose
    lock does not pin it: the mart is empty and the source's status says why."""
    import shutil

    import nbformat

    from pipeline.assets.notebooks import execute_notebook

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built[0], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM mart_oews__real_wages")
        con.execute("UPDATE meta_sources SET status = 'not pinned', snapshots_in_build = 0 WHERE source_id = 'cpi'")
    out = tmp_path / "trend.ipynb"
    params = {
        "soc": SOC,
        "occupation_title": "Occupational Therapists",
        "edition": "test",
        "oews_reference_period": "May 2025",
        "warehouse_path": str(warehouse),
        "downloads_dir": str(tmp_path / "data"),
    }
    execute_notebook(Path(__file__).resolve().parents[1] / "book" / "notebooks" / "trend.md", out, params)
    cells = nbformat.read(out, as_version=4).cells
    text = " ".join(c.source for c in cells if c.cell_type == "markdown")
    text += " ".join(
        o.get("data", {}).get("text/html", "") for c in cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    text = re.sub(r"\s+", " ", text)
    assert "The Consumer Price Index is not in this build, so this page shows no pay after inflation" in text
    assert "in May 2025 dollars" not in text
    assert not (tmp_path / "data" / "trend" / CSV).exists()
