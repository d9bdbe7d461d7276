"""Source lines link to each source's official page; the "Not in this build" note words each kind of source.

The warehouse here is a tiny SYNTHETIC in-memory one: catalogue and lineage rows only, no real data. The official
pages are the ones the source packages declare.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from pipeline.assets.catalog import _declared
from pipeline.report.present import Page, official_page, source_line
from pipeline.report.sources import absent_note
from pipeline.sources.registry import SOURCES

SHA = {"oews_current": "a" * 64, "employment_projections": "b" * 64, "cited_facts": "c" * 64}


def _warehouse(with_links: bool = True) -> duckdb.DuckDBPyConnection:
    """SYNTHETIC catalogue: three sources in the build, FTC not pinned; the declared columns as catalog.py writes
    them (or, ``with_links=False``, as a warehouse built before sources declared their pages)."""
    con = duckdb.connect()
    rows = []
    for order, (source_id, status) in enumerate(
        [("oews_current", "complete"), ("employment_projections", "complete"), ("cited_facts", "complete")]
        + [("ftc", "not pinned"), ("jolts", "not pinned")]
    ):
        declared = _declared(source_id) if with_links else {}
        rows.append(
            {
                "source_order": order,
                "source_id": source_id,
                "title": f"SYNTHETIC {source_id}",
                "status": status,
                "snapshots_in_build": int(status == "complete"),
                "snapshots_absent": 0,
                "note": "" if status == "complete" else "SYNTHETIC: not pinned.",
                **declared,
            }
        )
    con.register("sources_df", pd.DataFrame(rows))
    con.execute("CREATE TABLE meta_sources AS SELECT * FROM sources_df")
    con.execute("CREATE TABLE meta_snapshots (sha256 VARCHAR, source_id VARCHAR, origin VARCHAR, package VARCHAR)")
    con.execute("CREATE TABLE meta_table_lineage (table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR)")
    for source_id, table in (
        ("oews_current", "stg_oews__cells"),
        ("employment_projections", "stg_ep__occupation_projections"),
        ("cited_facts", "stg_facts__regulatory_timeline"),
    ):
        con.execute("INSERT INTO meta_snapshots VALUES (?, ?, 'official', NULL)", [SHA[source_id], source_id])
        con.execute("INSERT INTO meta_table_lineage VALUES (?, ?, ?)", [table, source_id, SHA[source_id]])
    return con


def _links(html_text: str) -> dict[str, str]:
    return dict(re.findall(r'<a class="official-source" href="([^"]+)">([^<]+)</a>', html_text))


def test_every_bls_and_ftc_source_declares_an_https_official_page():
    for module in SOURCES:
        if module.SOURCE_ID in ("oews_current", "oews_history", "employment_projections", "ces", "jolts", "ftc"):
            assert module.OFFICIAL_PAGE_URL.startswith("https://"), module.SOURCE_ID


def test_a_source_line_links_the_occupation_s_oews_profile_and_the_ep_table_page():
    line = source_line(_warehouse(), ["stg_oews__cells", "stg_ep__occupation_projections"], soc="29-1122")
    assert _links(line) == {
        "https://www.bls.gov/oes/current/oes291122.htm": "SYNTHETIC oews_current",
        "https://www.bls.gov/emp/tables/occupational-projections-and-characteristics.htm": (
            "SYNTHETIC employment_projections"
        ),
    }
    assert line.startswith("Source: <a ") and "(snapshot aaaaaaaaaaaa)" in line


@pytest.mark.parametrize(
    "soc, expected",
    [
        ("29-1123", "https://www.bls.gov/oes/current/oes291123.htm"),
        ("29-0000", "https://www.bls.gov/oes/current/oes290000.htm"),  # a major group has its own profile
        ("19-5010", "https://www.bls.gov/oes/current/oes_nat.htm"),  # a broad group appears only in the list
        (None, "https://www.bls.gov/oes/current/oes_nat.htm"),  # no occupation given
    ],
)
def test_the_oews_link_follows_the_occupation(soc, expected):
    declared = _declared("oews_current")
    assert official_page(declared["official_page_url"], declared["official_index_url"], soc) == expected


def test_a_source_without_an_official_page_is_named_without_a_link():
    line = source_line(_warehouse(), ["stg_facts__regulatory_timeline"])
    assert line == "Source: SYNTHETIC cited_facts (snapshot cccccccccccc)."


def test_a_warehouse_without_declared_pages_still_gets_its_source_line():
    line = source_line(_warehouse(with_links=False), ["stg_oews__cells"], soc="29-1122")
    assert line == "Source: SYNTHETIC oews_current (snapshot aaaaaaaaaaaa)."


def test_a_page_caption_carries_the_link_for_the_occupation_shown(tmp_path):
    page = Page("synthetic_page", _warehouse(), tmp_path)
    data = pd.DataFrame({"soc_code": ["31-2011"], "employment_count": [1]})  # SYNTHETIC
    data.attrs["tables"] = ["stg_oews__cells"]
    html_out = page.table(data, "synthetic_table", "SYNTHETIC caption.").data
    assert 'href="https://www.bls.gov/oes/current/oes312011.htm"' in html_out
    # the page's own occupation wins over what the data holds
    named = Page("synthetic_page", _warehouse(), tmp_path, soc="29-1122").table(data, "t2", "SYNTHETIC.").data
    assert 'href="https://www.bls.gov/oes/current/oes291122.htm"' in named


def test_a_link_column_becomes_links_and_everything_else_stays_text(tmp_path):
    page = Page("synthetic_page", _warehouse(), tmp_path)
    shown = pd.DataFrame(  # SYNTHETIC
        {"Event": ["<b>SYNTHETIC</b>"], "Document": ["https://example.gov/synthetic"], "Other": ["javascript:x"]}
    )
    shown.attrs["tables"] = ["stg_facts__regulatory_timeline"]
    out = page.table(shown, "links", "SYNTHETIC.", link_columns=("Document", "Other")).data
    assert '<a class="official-source" href="https://example.gov/synthetic">https://example.gov/synthetic</a>' in out
    assert "&lt;b&gt;SYNTHETIC&lt;/b&gt;" in out and "<b>SYNTHETIC" not in out
    assert 'href="javascript' not in out


def test_the_absent_note_speaks_of_documents_for_a_document_source_never_of_numbers():
    con = _warehouse()
    con.execute("UPDATE meta_sources SET status = 'not pinned' WHERE source_id = 'cited_facts'")
    note = absent_note(con, ["cited_facts"])
    assert "Not in this build" in note and "documents are not quoted" in note and "number" not in note
    # a source that does not say what it holds gets words true of any source
    ftc = absent_note(con, ["ftc"])
    assert "SYNTHETIC ftc" in ftc and "number" not in ftc
