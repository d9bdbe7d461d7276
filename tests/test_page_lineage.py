"""One lineage: the tables a query reads come from DuckDB's parse, the pages declare what they read in one
generated file (book/page_inputs.json), and every caption links to the lineage entry of each table it shows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from pipeline import page_inputs
from pipeline.lineage import mart_inputs, staged_from, tables_read
from pipeline.report.present import Page
from pipeline.report.warehouse import connect, recorded_reads, start_recording

PROJECT_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- tables from SQL
def test_tables_read_follows_joins_subqueries_and_catalogs_but_not_ctes():
    sql = """
        CREATE OR REPLACE TABLE mart_x AS
        WITH recent AS (SELECT * FROM stg_a__rows WHERE year > 2020)
        SELECT * FROM recent JOIN stg_b__codes USING (code)            -- USING: get_table_names fails on it
        WHERE code IN (SELECT code FROM seed_c__map) AND EXISTS (SELECT 1 FROM prev.mart_y)
    """
    assert tables_read(sql) == {"stg_a__rows", "stg_b__codes", "seed_c__map", "prev.mart_y"}
    # Not warehouse tables: information_schema, and statements that read nothing.
    assert tables_read("SELECT count(*) FROM information_schema.tables WHERE table_name = ?") == set()
    assert tables_read("ATTACH 'x.duckdb' AS prev (READ_ONLY)") == set()


def test_mart_inputs_come_from_their_sql_and_no_header_repeats_them():
    marts = mart_inputs()
    assert marts["mart_ep__occupation_outlook"] == ["stg_ep__editions", "stg_ep__occupation_projections"]
    assert "mart_oews__national_wages" in marts["mart_comp__samples_vs_oews"]
    for path in (PROJECT_ROOT / "warehouse" / "sql" / "marts").glob("*.sql"):
        assert "-- depends:" not in path.read_text(), f"{path.name}: inputs are derived from the SQL; drop the header"
    # A mart on a mart is followed down to the staging tables that carry lineage rows.
    assert "stg_comp__samples" in staged_from(["mart_comp__samples_vs_oews"])
    assert "stg_oews__cells" in staged_from(["mart_comp__samples_vs_oews"])


# ---------------------------------------------------------------- the recording connection and captions
@pytest.fixture
def synthetic_warehouse(tmp_path) -> Path:
    """A SYNTHETIC two-table warehouse with lineage rows for one made-up snapshot."""
    path = tmp_path / "synthetic.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE stg_demo__rows AS SELECT * FROM (VALUES ('11-1011', 5), ('29-1122', 7)) t(soc_code, n)")
    con.execute("CREATE TABLE mart_demo__other AS SELECT 1 AS x")
    con.execute(
        "CREATE TABLE meta_table_lineage AS SELECT 'stg_demo__rows' AS table_name, 'demo' AS source_id, "
        "repeat('a', 64) AS sha256, 2 AS rows_loaded, '2026-01-01' AS built_at"
    )
    con.execute(
        "CREATE TABLE meta_snapshots AS SELECT repeat('a', 64) AS sha256, 'demo' AS source_id, "
        "NULL AS package, 'official' AS origin"
    )
    con.execute(
        "CREATE TABLE meta_sources AS SELECT 'demo' AS source_id, 'SYNTHETIC demo source' AS title, "
        "0 AS source_order, 'complete' AS status"
    )
    con.close()
    return path


def test_query_results_carry_their_tables_and_the_page_records_its_reads(synthetic_warehouse, tmp_path):
    start_recording()
    con = connect(str(synthetic_warehouse))
    frame = con.execute("SELECT * FROM stg_demo__rows WHERE soc_code = ?", ["29-1122"]).df()
    assert frame.attrs["tables"] == ["stg_demo__rows"]
    assert frame[frame.n > 0].assign(m=1).attrs["tables"] == ["stg_demo__rows"]  # kept through what pages do
    page = Page("demo", con, tmp_path / "data")
    html = page.table(frame, "demo_rows", "SYNTHETIC rows.").data
    assert "SYNTHETIC demo source (snapshot aaaaaaaaaaaa)" in html
    assert 'href="methodology.html#table-stg_demo__rows"' in html
    # The caption's own lineage lookups are not the page's reads; its query is.
    assert recorded_reads() == ["stg_demo__rows"]
    with pytest.raises(ValueError, match="demo, hand_made: the data carries no warehouse tables"):
        page.table(pd.DataFrame({"a": [1]}), "hand_made", "Made by hand.")
    explicit = page.table(pd.DataFrame({"a": [1]}), "hand_made", "Made by hand.", sources=[frame.iloc[0]]).data
    assert 'href="methodology.html#table-stg_demo__rows"' in explicit
    con.close()


# ---------------------------------------------------------------- the declaration
def test_declared_modules_match_the_pages_code():
    declared = page_inputs.load_declaration()
    pages = sorted((PROJECT_ROOT / "book" / "notebooks").glob("*.md"))
    assert sorted(declared) == [p.stem for p in pages], (
        f"pages and declaration differ: run {page_inputs.UPDATE_COMMAND}"
    )
    for md in pages:
        assert declared[md.stem]["modules"] == page_inputs.imported_modules(md), (
            f"{md.stem} imports other modules than book/page_inputs.json declares: run {page_inputs.UPDATE_COMMAND}"
        )
    assert "pipeline/report/geo.py" in declared["geography"]["modules"]
    assert "pipeline/report/geo.py" not in declared["outlook"]["modules"]


def test_page_assets_depend_on_exactly_the_tables_they_read():
    from pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    deps = {key.path[-1] for key in graph.get(_key("notebook__outlook")).parent_keys}
    assert "mart_ep__occupation_outlook" in deps and "mart_oews__state_wages" not in deps
    assert "report_parameters" in deps
    declared = page_inputs.load_declaration()
    for page, entry in declared.items():
        parents = {key.path[-1] for key in graph.get(_key(f"notebook__{page}")).parent_keys}
        for table in entry["tables"]:
            if not table.startswith(("prev.", "meta_table_lineage")):
                assert table in parents, f"notebook__{page} does not depend on {table}, which it reads"


def _key(name: str):
    import dagster as dg

    return dg.AssetKey(name)


# The declaration is recorded from a build with every pinned source; without the real files a page reads fewer tables.
@pytest.mark.real_files()
def test_every_pages_recorded_reads_equal_its_declaration(built_book):
    dirs, _ = built_book
    state_dir = Path(dirs["BUILD_DIR"]) / "29-1122" / "state"
    declared = page_inputs.load_declaration()
    for page, entry in sorted(declared.items()):
        recorded = page_inputs.recorded_tables(state_dir, page)
        assert recorded is not None, f"{page}: the build left no record of its reads"
        assert recorded == entry["tables"], (
            f"{page} read {recorded} but book/page_inputs.json declares {entry['tables']}: "
            f"run `{page_inputs.UPDATE_COMMAND}` after a build and commit the file"
        )


@pytest.mark.real_files()  # it follows the projections mart to its EP snapshots, which come from the real files
def test_every_caption_links_to_an_existing_lineage_entry(built_book):
    _, html_dir = built_book
    pages = html_dir / "notebooks"
    ids: dict[str, set[str]] = {}
    checked = 0
    for page in sorted(pages.glob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for caption in soup.select("p.table-caption, figcaption"):
            if not caption.find("a", class_="csv-download"):
                continue  # not a report table or chart
            links = caption.select("a.lineage-link")
            assert links, f"{page.name}: a caption without lineage links: {caption.get_text()[:120]}"
            for link in links:
                target, anchor = link["href"].split("#")
                if target not in ids:
                    ids[target] = {
                        t["id"] for t in BeautifulSoup((pages / target).read_text(), "html.parser").find_all(id=True)
                    }
                assert anchor in ids[target], f"{page.name}: {link['href']} has no entry"
                checked += 1
    assert checked > 50
    # From a table's entry, its snapshots: each linked to one anchored row of the snapshot listing.
    method = BeautifulSoup((pages / "methodology.html").read_text(), "html.parser")
    entry = method.find(id="table-mart_ep__occupation_outlook")
    snapshot_links = [a["href"] for a in entry.select('a[href^="#snapshot-"]')]
    assert snapshot_links
    for href in snapshot_links:
        row = method.find(id=href[1:])
        assert row is not None and row.name == "tr", href
        assert href[len("#snapshot-") :] in row.get_text()  # the row gives the full SHA-256
    assert (
        entry.find("pre").get_text()
        == (PROJECT_ROOT / "warehouse" / "sql" / "marts" / "mart_ep__occupation_outlook.sql").read_text()
    )
