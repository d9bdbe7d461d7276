"""Staging of the compensation samples and the FTC pages.

Every sample row and every HTML page here is SYNTHETIC (made-up employers at example.org, made-up pages); the
committed compensation CSV has no rows and no FTC page is available offline.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from staging_helpers import load, rows

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import compensation_samples as cs
from pipeline.sources import ftc
from pipeline.sources.compensation_samples.load import flag_outliers
from pipeline.sources.errors import SourceFileError

HEADER = ",".join(cs.COLUMNS)


def put(
    store: SnapshotStore,
    path: Path,
    source_id: str,
    part: str,
    retrieved_at="2026-01-20T10:00:00Z",
    url="https://example.org/synthetic",
):
    return store.put_file(
        path,
        source_id=source_id,
        part=part,
        filename=path.name,
        url=url,
        retrieved_at=retrieved_at,
        origin="official",
        relation="identical",
        license="",
        citation="",
    )


def sample(
    n: int, amount: str, pay_basis: str = "annual", soc: str = "29-1122", hours: str = "", high: str = ""
) -> str:
    """One SYNTHETIC CSV row in COLUMNS order."""
    return (
        f"syn-{n:03d},{soc},SYNTHETIC Occupational Therapist,SYNTHETIC Clinic {n},job_posting,"
        f"https://example.org/synthetic/{n},2026-01-05,outpatient,full_time,OR,{pay_basis},{amount},{high},"
        f"{hours},,SYNTHETIC"
    )


# ---------------------------------------------------------------- compensation samples


@pytest.fixture
def comp(tmp_path):
    """Nine SYNTHETIC 29-1122 samples with one far outlier and one hourly row, plus three of another SOC code."""
    body = [
        sample(1, "80000"),
        sample(2, "82000", high="95000"),
        sample(3, "84000"),
        sample(4, "85000"),
        sample(5, "86000"),
        sample(6, "88000"),
        sample(7, "90000"),
        sample(8, "41", pay_basis="hourly"),  # 41 x 2080 = 85,280
        sample(9, "400000"),  # the outlier: far above Q3 + 3*IQR
        sample(10, "75", pay_basis="per_visit"),  # no annual figure, never flagged
        "",  # a blank line: read_samples skips it, so line numbers must too
        sample(11, "30", pay_basis="hourly", soc="29-1123", hours="36"),  # 30 x 36 x 52 = 56,160
        sample(12, "900000", soc="29-1123"),  # extreme, but 29-1123 has too few samples for the IQR rule
        sample(13, "70000", soc="29-1123"),
    ]
    path = tmp_path / "compensation_samples.csv"
    path.write_text("\n".join([HEADER, *body]) + "\n")
    store = SnapshotStore(tmp_path / "snapshots")
    snap = put(store, path, "compensation_samples", "compensation_samples.csv")
    con, counts = load(cs.load_staging, store, [snap], tmp_path)
    yield con, counts, snap
    con.close()


def test_comp_samples_are_typed_and_annualised(comp):
    con, counts, snap = comp
    assert counts == {"stg_comp__samples": 13}
    by_id = {r["sample_id"]: r for r in rows(con, "SELECT * FROM stg_comp__samples")}
    hourly = by_id["syn-008"]
    assert hourly["annual_usd"] == 41 * 2080 and hourly["hours_per_week"] is None
    assert by_id["syn-011"]["annual_usd"] == 30 * 36 * 52
    assert by_id["syn-002"]["annual_max_usd"] == 95000 and by_id["syn-001"]["annual_max_usd"] is None
    assert by_id["syn-010"]["annual_usd"] is None  # per_visit has no fair conversion
    assert by_id["syn-001"]["observed_on"] == date(2026, 1, 5)
    assert by_id["syn-001"]["snapshot_sha256"] == snap.sha256
    assert by_id["syn-001"]["line_number"] == 2
    assert by_id["syn-010"]["line_number"] == 11
    assert by_id["syn-011"]["line_number"] == 13  # after the blank line 12
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'stg_comp__samples'"
        ).fetchall()
    )
    assert list(types)[: len(cs.COLUMNS)] == list(cs.COLUMNS)
    assert types["observed_on"] == "DATE" and types["amount_usd"] == "DOUBLE"
    assert types["annual_usd"] == "DOUBLE" and types["is_outlier"] == "BOOLEAN"
    assert types["line_number"] == "INTEGER"


def test_an_outlier_is_flagged_not_dropped(comp):
    con, *_ = comp
    flagged = rows(con, "SELECT sample_id, outlier_reason FROM stg_comp__samples WHERE is_outlier")
    assert [r["sample_id"] for r in flagged] == ["syn-009"]
    assert "above Q3 + 3*IQR" in flagged[0]["outlier_reason"] and "29-1122" in flagged[0]["outlier_reason"]
    # Fewer than 8 samples of 29-1123: no IQR flag, however extreme.
    small = rows(con, "SELECT is_outlier, outlier_reason FROM stg_comp__samples WHERE sample_id = 'syn-012'")
    assert small == [{"is_outlier": False, "outlier_reason": None}]
    assert con.execute("SELECT count(*) FROM stg_comp__samples WHERE is_outlier IS NULL").fetchall() == [(0,)]


def test_outlier_rule_needs_eight_annualised_samples():
    seven = [{"soc_code": "29-1122", "annual_usd": v} for v in (80e3, 81e3, 82e3, 83e3, 84e3, 85e3, 900e3)]
    flag_outliers(seven)
    assert not any(r["is_outlier"] for r in seven)
    eight = seven + [{"soc_code": "29-1122", "annual_usd": 86e3}]
    flag_outliers(eight)
    assert [r["annual_usd"] for r in eight if r["is_outlier"]] == [900e3]
    low = [{"soc_code": "29-1122", "annual_usd": v} for v in (80e3, 81e3, 82e3, 83e3, 84e3, 85e3, 86e3, 1e3)]
    flag_outliers(low)
    assert [r["outlier_reason"].split(" is ")[1][:5] for r in low if r["is_outlier"]] == ["below"]


def test_no_comp_snapshot_gives_an_empty_table(tmp_path):
    con, counts = load(cs.load_staging, SnapshotStore(tmp_path / "snapshots"), [], tmp_path)
    assert counts == {"stg_comp__samples": 0}
    cols = [r[0] for r in con.execute("DESCRIBE stg_comp__samples").fetchall()]
    assert cols == [
        *cs.COLUMNS,
        "annual_usd",
        "annual_max_usd",
        "is_outlier",
        "outlier_reason",
        "snapshot_sha256",
        "line_number",
    ]


def test_header_only_csv_gives_an_empty_table(tmp_path):
    path = tmp_path / "compensation_samples.csv"
    path.write_text(HEADER + "\n")
    store = SnapshotStore(tmp_path / "snapshots")
    _, counts = load(cs.load_staging, store, [put(store, path, "compensation_samples", path.name)], tmp_path)
    assert counts == {"stg_comp__samples": 0}


def test_an_invalid_comp_snapshot_is_refused(tmp_path):
    path = tmp_path / "compensation_samples.csv"
    path.write_text("\n".join([HEADER, sample(1, "80000", pay_basis="yearly")]) + "\n")
    store = SnapshotStore(tmp_path / "snapshots")
    with pytest.raises(SourceFileError, match="pay_basis"):
        cs.load_staging(duckdb.connect(), store, [put(store, path, "compensation_samples", path.name)])


# ---------------------------------------------------------------- FTC documents


SYNTHETIC_PAGE = (
    "<!DOCTYPE html><html><head><title>SYNTHETIC <b>Noncompete</b> Rule | FTC</title>"
    '<meta property="article:published_time" content="2024-04-23T10:00:00-04:00">'
    "<script>document.write('<b>injected</b>'); var x = 1 < 2;</script></head>"
    "<body><nav>Menu</nav><main><h1>SYNTHETIC Noncompete Rule</h1>"
    "<p>The <b>SYNTHETIC</b> rule text &lt;i&gt;escaped markup&lt;/i&gt; here.</p>"
    "<script>alert('<x>')</script><style>p { color: red }</style></main></body></html>"
)


def test_ftc_page_yields_plain_text_title_and_excerpt(tmp_path):
    page = tmp_path / "rule_page.html"
    page.write_text(SYNTHETIC_PAGE)
    undated = tmp_path / "other.html"
    undated.write_text("<html><body><h1>SYNTHETIC undated page</h1><p>SYNTHETIC body.</p></body></html>")
    store = SnapshotStore(tmp_path / "snapshots")
    snaps = [
        put(store, page, "ftc", "rule_page", url="https://example.org/synthetic/rule"),
        put(store, undated, "ftc", "final_rule_press_release_2024_04"),
    ]
    con, counts = load(ftc.load_staging, store, snaps, tmp_path)
    assert counts == {"stg_ftc__documents": 2}
    doc = rows(con, "SELECT * FROM stg_ftc__documents WHERE part = 'rule_page'")[0]
    assert doc["title"] and "<" not in doc["title"]
    assert "Noncompete" in doc["title"]
    assert doc["text_excerpt"] and "<" not in doc["text_excerpt"]
    assert "SYNTHETIC rule text" in doc["text_excerpt"]
    assert "alert" not in doc["text_excerpt"] and "injected" not in doc["text_excerpt"]
    assert "color" not in doc["text_excerpt"]
    assert doc["published_date"] == date(2024, 4, 23)
    assert doc["url"] == "https://example.org/synthetic/rule"
    assert doc["snapshot_sha256"] == snaps[0].sha256 and doc["size_bytes"] == page.stat().st_size
    assert doc["retrieved_at"] == "2026-01-20T10:00:00Z"
    other = rows(con, "SELECT title, published_date FROM stg_ftc__documents WHERE part <> 'rule_page'")
    assert other == [{"title": "SYNTHETIC undated page", "published_date": None}]


def test_no_ftc_snapshot_gives_an_empty_table(tmp_path):
    con, counts = load(ftc.load_staging, SnapshotStore(tmp_path / "snapshots"), [], tmp_path)
    assert counts == {"stg_ftc__documents": 0}
    assert con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'stg_ftc__documents'"
    ).fetchall() == [
        ("part", "VARCHAR"),
        ("url", "VARCHAR"),
        ("title", "VARCHAR"),
        ("published_date", "DATE"),
        ("retrieved_at", "VARCHAR"),
        ("text_excerpt", "VARCHAR"),
        ("snapshot_sha256", "VARCHAR"),
        ("size_bytes", "BIGINT"),
    ]


def test_a_non_html_ftc_snapshot_is_refused(tmp_path):
    path = tmp_path / "rule_page.html"
    path.write_text('{"not": "html"}')
    store = SnapshotStore(tmp_path / "snapshots")
    with pytest.raises(SourceFileError, match="not an HTML page"):
        ftc.load_staging(duckdb.connect(), store, [put(store, path, "ftc", "rule_page")])
