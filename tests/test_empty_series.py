"""A series the BLS API answers with no data is named: in the refresh report, in staging, and on its page.

Every API answer and lookup file here is SYNTHETIC (made-up values in the BLS API v2 format, docs/source-formats.md,
and the LABSTAT lookup layout, section 3), served by a local pytest-httpserver: no real CES or JOLTS data is
available offline.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import nbformat
import pytest
from werkzeug.wrappers import Response

from pipeline.assets.notebooks import execute_notebook
from pipeline.lineage import record_lineage
from pipeline.lock import pin_meta, pins, read_lock
from pipeline.refresh import format_report, run_refresh
from pipeline.report import series_without_data
from pipeline.settings import paths
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import ces, jolts

PROJECT_ROOT = Path(__file__).resolve().parents[1]
API_PATH = "/publicAPI/v2/timeseries/data/"
THIS_YEAR = datetime.now(timezone.utc).year
# Without a key BLS allows 10 years a query, so every series is asked for twice: FIRST..FIRST+9, FIRST+10..now.
FIRST = THIS_YEAR - 11
EARLY_WINDOW = (FIRST, FIRST + 9)

NOT_EXISTING = "JTS620000000000000JOR"  # SA openings rate, health care: drawn by the page; BLS: "does not exist"
LEFT_OUT = "JTU000000000000000TSL"  # NSA total separations level, total nonfarm: not in the answer; not drawn
EARLY_ONLY = "JTS000000000000000JOR"  # SA openings rate, total nonfarm: empty in the early window only
CES_EMPTY = "CES6562134001"  # SA employment in therapists' offices: empty list; the page draws the NSA series
DRAWN_JOLTS = [
    jolts.series_id(sa, ind, el, "R") for ind in ("620000", "000000") for sa in "SU" for el in ("JO", "HI", "QU")
]
DRAWN_CES = ["CES6562134001", "CEU6562134001"]

CE_INDUSTRY = (
    "industry_code\tnaics_code\tpublishing_status\tindustry_name\tdisplay_level\tselectable\t"
    "sort_sequence\n65621340\t62134\tA\tSYNTHETIC offices of therapists\t6\tT\t1\n"
)
CE_DATATYPE = "data_type_code\tdata_type_text\n01\tSYNTHETIC ALL EMPLOYEES, THOUSANDS\n"


def synthetic_answer(series: list[str], start: int, end: int) -> dict:
    """A SYNTHETIC answer: twelve months of the window's last year for each series, except the empty ones."""
    out, messages = [], []
    for sid in series:
        if sid == LEFT_OUT:
            continue
        if sid == NOT_EXISTING:
            messages.append(f"Series does not exist for Series {sid}")
            out.append({"seriesID": sid, "data": []})
            continue
        if sid == CES_EMPTY or (sid == EARLY_ONLY and (start, end) == EARLY_WINDOW):
            out.append({"seriesID": sid, "data": []})
            continue
        level = 400.0 if sid.startswith("CE") else 4.0
        out.append(
            {
                "seriesID": sid,
                "data": [
                    {
                        "year": str(end),
                        "period": f"M{m:02d}",
                        "periodName": "SYNTHETIC",
                        "footnotes": [{}],
                        "value": f"{level + m / 10 + (0.3 if sid[2] == 'U' and m == 3 else 0):.1f}",
                    }
                    for m in range(12, 0, -1)
                ],
            }
        )
    return {"status": "REQUEST_SUCCEEDED", "responseTime": 5, "message": messages, "Results": {"series": out}}


def answer_queries(request) -> Response:
    body = json.loads(request.data)
    answer = synthetic_answer(body["seriesid"], int(body["startyear"]), int(body["endyear"]))
    return Response(json.dumps(answer), content_type="application/json")


@pytest.fixture
def refreshed(tmp_path, monkeypatch, httpserver):
    """`make refresh` of CES and JOLTS against the SYNTHETIC API: (report text, paths, staging connection)."""
    lock = tmp_path / "sources.lock"  # none yet: the refresh writes the first, so every pin here is this test's
    for name, value in {
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "SOURCES_LOCK": str(lock),
        "BLS_API_URL": httpserver.url_for(API_PATH),
        "BLS_DOWNLOAD_URL": httpserver.url_for("/"),
        "MONTHLY_SERIES_FIRST_YEAR": str(FIRST),
        "HTTP_ATTEMPTS": "2",
        "HTTP_BACKOFF_S": "0.01",
        "HTTP_TIMEOUT_S": "2",
        "TMPDIR": str(tmp_path / "tmp"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SOURCES_MIRROR", "SNAPSHOT_REMOTE", "BLS_API_KEY", "EDITION"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    httpserver.expect_request(API_PATH, method="POST").respond_with_handler(answer_queries)
    httpserver.expect_request("/pub/time.series/ce/ce.industry").respond_with_data(
        CE_INDUSTRY, content_type="text/plain"
    )
    httpserver.expect_request("/pub/time.series/ce/ce.datatype").respond_with_data(
        CE_DATATYPE, content_type="text/plain"
    )
    p = paths()
    report = run_refresh(p, progress=lambda _: None, only=["ces", "jolts"])
    text = format_report(report, p.lock_path)
    assert report.lock_changed and not report.unreachable, text

    # The staging load, as the build runs it: the pinned snapshots, from the store, in one transaction.
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    store = SnapshotStore(p.snapshot_dir)
    pinned = read_lock(p.lock_path)
    con.execute("BEGIN TRANSACTION")
    for module in (ces, jolts):
        snaps = [pin_meta(pin, module.SOURCE_ID) for pin in pins(pinned, module.SOURCE_ID)]
        counts = module.load_staging(con, store, snaps)
        record_lineage(con, snaps, counts, "SYNTHETIC build")
    con.execute("COMMIT")
    yield text, p, con
    con.close()


def test_the_refresh_report_names_each_empty_series_once_with_its_meaning_and_years(refreshed):
    text, *_ = refreshed
    notes = [line.strip() for line in text.splitlines() if "BLS returned no data" in line]
    assert len(notes) == 4, text  # one line per series, though each was in two queries

    def note_for(series_id):
        [line] = [n for n in notes if f"series {series_id} " in n]
        return line

    assert note_for(NOT_EXISTING) == (
        f"note: jolts: BLS returned no data for series {NOT_EXISTING} (job openings rate (percent) in health care "
        f"and social assistance, seasonally adjusted) for {FIRST}-{THIS_YEAR}; BLS said: Series does not exist for "
        f"Series {NOT_EXISTING}; the book says so where the series would be shown."
    )
    assert (
        f"note: jolts: BLS returned no data for series {LEFT_OUT} (total separations level (thousands) in total "
        f"nonfarm, not seasonally adjusted) for {FIRST}-{THIS_YEAR};"
    ) in note_for(LEFT_OUT)
    assert (
        f"series {EARLY_ONLY} (job openings rate (percent) in total nonfarm, seasonally adjusted) "
        f"for {FIRST}-{FIRST + 9};"
    ) in note_for(EARLY_ONLY)
    assert note_for(CES_EMPTY).startswith(
        f"note: ces: BLS returned no data for series {CES_EMPTY} (employment (all employees, thousands) in offices "
        f"of physical, occupational and speech therapists, and audiologists (NAICS 62134), seasonally adjusted) for "
        f"{FIRST}-{THIS_YEAR};"
    )
    assert "BLS said" not in note_for(LEFT_OUT) + note_for(CES_EMPTY)  # BLS gave no message for these


def test_staging_records_each_empty_series_per_pinned_answer(refreshed):
    _, p, con = refreshed
    pinned = {pin["sha256"]: pin for pin in pins(read_lock(p.lock_path), "jolts")}
    got = con.execute(
        "SELECT series_id, series_title, requested_first_year, requested_last_year, bls_message, part, "
        "snapshot_sha256 FROM stg_jolts__series_without_data ORDER BY series_id, requested_first_year"
    ).fetchall()
    assert [(r[0], r[2], r[3]) for r in got] == [
        (EARLY_ONLY, FIRST, FIRST + 9),
        (NOT_EXISTING, FIRST, FIRST + 9),
        (NOT_EXISTING, FIRST + 10, THIS_YEAR),
        (LEFT_OUT, FIRST, FIRST + 9),
        (LEFT_OUT, FIRST + 10, THIS_YEAR),
    ]
    for series_id, title, first, last, message, part, sha in got:
        assert title == jolts.describe_series(series_id)
        assert message == (f"Series does not exist for Series {series_id}" if series_id == NOT_EXISTING else None)
        pin = pinned[sha]  # each row names the pinned answer it comes from, and that answer asked for the series
        assert pin["part"] == part and part.startswith(f"api:{first}-{last}:")
        assert series_id in pin["extra"]["query"]["seriesid"]
        assert series_id in pin["extra"]["series_without_data"]
    ces_rows = con.execute("SELECT series_id, series_title FROM stg_ces__series_without_data").fetchall()
    assert ces_rows == [(CES_EMPTY, ces.describe_series(CES_EMPTY))] * 2
    # The series that had no data left nothing else behind: no observation, no zero.
    assert con.execute(
        "SELECT count(*) FROM stg_jolts__observations WHERE series_id IN (?, ?)", [NOT_EXISTING, LEFT_OUT]
    ).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM stg_jolts__observations WHERE series_id = ?", [EARLY_ONLY]).fetchone() == (
        12,
    )


def test_the_page_helper_names_the_drawn_series_without_any_data(refreshed):
    _, _, con = refreshed
    found = series_without_data.without_data(con, "jolts", DRAWN_JOLTS)
    # EARLY_ONLY has data from the later window, so it is drawn; LEFT_OUT is not a series this page draws.
    assert list(found.series_id) == [NOT_EXISTING]
    expected = (
        f"BLS returned no data for job openings rate (percent) in health care and social assistance, "
        f"seasonally adjusted (series {NOT_EXISTING}) for {FIRST}-{THIS_YEAR}; it is not shown. "
        f"BLS said: \u201cSeries does not exist for Series {NOT_EXISTING}\u201d."
    )
    assert series_without_data.sentence(next(found.itertuples())) == expected
    listed = series_without_data.items(con, "jolts", DRAWN_JOLTS)
    assert listed.count("\n- ") == 0 and listed.startswith("- ") and html.escape(expected) in listed
    assert series_without_data.items(con, "jolts", [LEFT_OUT]).count("- ") == 1
    assert series_without_data.items(con, "ces", DRAWN_CES).count(f"(series {CES_EMPTY}) for {FIRST}-{THIS_YEAR}") == 1
    assert series_without_data.items(con, "jolts", [EARLY_ONLY, "JTS620000000000000HIR"]) == ""


def test_bls_text_on_the_page_is_escaped():
    con = duckdb.connect()
    con.execute("CREATE TABLE core_jolts__monthly_rates_and_levels (series_id VARCHAR)")
    con.execute(
        "CREATE TABLE stg_jolts__series_without_data (series_id VARCHAR, series_title VARCHAR, "
        "requested_first_year INTEGER, requested_last_year INTEGER, bls_message VARCHAR)"
    )
    con.execute(
        "INSERT INTO stg_jolts__series_without_data VALUES (?, 'SYNTHETIC title', 2020, 2021, ?)",
        [NOT_EXISTING, f"<script>alert(1)</script> Series does not exist for Series {NOT_EXISTING}"],
    )
    listed = series_without_data.items(con, "jolts", [NOT_EXISTING])
    assert "<script>" not in listed and "&lt;script&gt;" in listed and "for 2020-2021; it is not shown." in listed


def test_a_warehouse_without_the_table_names_nothing():
    con = duckdb.connect()  # e.g. one built before the table existed: nothing to name, and no error
    assert series_without_data.items(con, "ces", DRAWN_CES) == ""


def test_the_openings_page_says_which_series_bls_returned_nothing_for(refreshed, tmp_path):
    _, p, con = refreshed
    # The catalogue tables the page reads for its source lines and "in this build" status (SYNTHETIC, minimal).
    con.execute(
        "CREATE TABLE meta_sources AS SELECT * FROM (VALUES "
        "(3, 'ces', 'SYNTHETIC CES', 'complete', 1, 0, ''), (4, 'jolts', 'SYNTHETIC JOLTS', 'complete', 1, 0, '')"
        ") AS t(source_order, source_id, title, status, snapshots_in_build, snapshots_absent, note)"
    )
    con.execute(
        "CREATE TABLE meta_snapshots AS SELECT DISTINCT sha256, source_id, 'official' AS origin, "
        "NULL::VARCHAR AS package FROM meta_table_lineage"
    )
    con.close()
    out = tmp_path / "page.ipynb"
    execute_notebook(
        PROJECT_ROOT / "book" / "notebooks" / "openings_and_churn.md",
        out,
        {
            "soc": "29-1122",
            "occupation_title": "Occupational Therapists",
            "edition": "test",
            "oews_reference_period": "May 2025",
            "warehouse_path": str(tmp_path / "warehouse.duckdb"),
            "downloads_dir": str(tmp_path / "data"),
        },
    )
    outputs = [o for cell in nbformat.read(out, as_version=4).cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    cells = nbformat.read(out, as_version=4).cells
    text = "\n".join(
        o.get("data", {}).get("text/html", "") + o.get("data", {}).get("text/markdown", "") for o in outputs
    ) + "\n".join(c.source for c in cells if c.cell_type == "markdown")  # the prose, as filled in
    assert text.count(":class: note series-without-data") == 2  # one for JOLTS, one for CES
    assert f"(series {NOT_EXISTING}) for {FIRST}-{THIS_YEAR}; it is not shown." in text
    assert f"(series {CES_EMPTY}) for {FIRST}-{THIS_YEAR}; it is not shown." in text
    assert EARLY_ONLY not in text and LEFT_OUT not in text
    # The rest is drawn from the series that have data: the CES chart is the unadjusted series.
    assert len(re.findall(r'<figure class="report-figure">', text)) == 3
    assert "not seasonally adjusted, NAICS 621340" in text
