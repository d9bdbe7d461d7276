"""CES and JOLTS staging (pipeline/sources/monthly_series_load.py).

Every API answer and lookup file here is SYNTHETIC: a few made-up numbers in the BLS API v2 answer format
(docs/source-formats.md, BLS API) and the LABSTAT lookup layout (same document). No real CES or JOLTS data is
available offline.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from staging_helpers import load, rows

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import ces, jolts
from pipeline.sources.errors import SourceFileError
from pipeline.sources.monthly_series_load import monthly_gaps

CES_SA = "CES6562134001"  # SA, offices of PT/OT/ST (65621340), all employees (01)
CES_NSA = "CEU6562000001"  # NSA, health care and social assistance
JOLTS_LEVEL = "JTS620000000000000JOL"  # SA, health care & social assistance, job openings, level
JOLTS_RATE = "JTU000000000000000QUR"  # NSA, total nonfarm, quits, rate

NO_NOTE = [{}]
PRELIM = [{"code": "P", "text": "Preliminary."}]


def point(year: int, month: int, value: str, notes=NO_NOTE, latest: bool = False) -> dict:
    out = {"year": str(year), "period": f"M{month:02d}", "periodName": "SYNTHETIC", "value": value, "footnotes": notes}
    if latest:
        out["latest"] = "true"
    return out


def synthetic_answer(series: dict[str, list[dict]]) -> dict:
    """A SYNTHETIC BLS API answer; ``series`` maps an id to its points (newest first, as BLS sends them)."""
    return {
        "status": "REQUEST_SUCCEEDED",
        "responseTime": 7,
        "message": [],
        "Results": {"series": [{"seriesID": sid, "data": data} for sid, data in series.items()]},
    }


def put(store: SnapshotStore, tmp_path: Path, source_id: str, part: str, name: str, content, retrieved_at: str):
    path = tmp_path / name
    if isinstance(content, (dict, list)):
        path.write_text(json.dumps(content))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return store.put_file(
        path,
        source_id=source_id,
        part=part,
        filename=name,
        url=f"https://example.org/{name}",
        retrieved_at=retrieved_at,
        origin="official",
        relation="identical",
        license="",
        citation="",
    )


# ---------------------------------------------------------------- CES


@pytest.fixture
def ces_two_vintages(tmp_path):
    """Two SYNTHETIC vintages of the same API part: in the second, March is revised and April is new (preliminary)."""
    store = SnapshotStore(tmp_path / "snapshots")
    old = synthetic_answer(
        {
            CES_SA: [point(2025, 3, "140.2", PRELIM, latest=True), point(2025, 2, "139.8"), point(2025, 1, "139.5")],
            CES_NSA: [point(2025, 3, "-", latest=True), point(2025, 2, "22500.1"), point(2025, 1, "22480.0")],
        }
    )
    new = synthetic_answer(
        {
            CES_SA: [
                point(2025, 4, "141.0", PRELIM, latest=True),
                point(2025, 3, "140.6"),
                point(2025, 2, "139.8"),
                point(2025, 1, "139.5"),
            ],
            CES_NSA: [
                point(2025, 4, "22581.7", PRELIM, latest=True),
                point(2025, 3, "-"),
                point(2025, 2, "22500.1"),
                point(2025, 1, "22480.0"),
            ],
        }
    )
    lookup = (
        "industry_code\tnaics_code\tpublishing_status\tindustry_name\tdisplay_level\tselectable\tsort_sequence\r\n"
        "65621340\t62134    \tA\tSYNTHETIC offices of therapists\t6\tT\t1\r\n"
        "00000000\t-\tA\tSYNTHETIC total nonfarm\t0\tT\t2\r\n"
    ).encode()
    snaps = [
        put(store, tmp_path, "ces", "api:2025-2025:batch-1-of-1", "old.json", old, "2025-04-10T12:00:00+00:00"),
        # A 'Z' suffix on purpose: vintages must be ordered by instant, not by the text of retrieved_at.
        put(store, tmp_path, "ces", "api:2025-2025:batch-1-of-1", "new.json", new, "2025-05-09T12:00:00Z"),
        put(store, tmp_path, "ces", "ce.industry", "ce.industry", lookup, "2025-05-09T12:00:00Z"),
    ]
    con, counts = load(ces.load_staging, store, snaps, tmp_path)
    yield con, counts, snaps
    con.close()


def test_ces_revisions_are_kept_in_staging_and_core_takes_the_newest(ces_two_vintages):
    con, counts, (old, new, _) = ces_two_vintages
    assert counts == {
        "stg_ces__observations": 3 + 3 + 4 + 4,
        "core_ces__monthly_employment": 8,
        "stg_ces__industries": 2,
        "stg_ces__series_without_data": 0,
    }
    march = rows(
        con,
        f"SELECT value, snapshot_sha256, is_preliminary FROM stg_ces__observations "
        f"WHERE series_id = '{CES_SA}' AND period = 'M03' ORDER BY value",
    )
    assert march == [
        {"value": 140.2, "snapshot_sha256": old.sha256, "is_preliminary": True},
        {"value": 140.6, "snapshot_sha256": new.sha256, "is_preliminary": False},
    ]
    core = {
        r["month_start"]: r
        for r in rows(con, f"SELECT * FROM core_ces__monthly_employment WHERE series_id = '{CES_SA}'")
    }
    assert core[date(2025, 3, 1)]["value"] == 140.6
    assert core[date(2025, 3, 1)]["snapshot_sha256"] == new.sha256
    assert core[date(2025, 3, 1)]["revised"] is True
    assert core[date(2025, 3, 1)]["vintages"] == 2
    assert core[date(2025, 3, 1)]["is_preliminary"] is False
    assert core[date(2025, 2, 1)]["revised"] is False and core[date(2025, 2, 1)]["vintages"] == 2
    april = core[date(2025, 4, 1)]
    assert april["is_preliminary"] is True and april["footnote_codes"] == "P"
    assert april["vintages"] == 1 and april["revised"] is False
    assert april["employment_jobs"] == 141_000
    assert (april["naics_code"], april["setting_id"]) == ("62134", "outpatient")
    assert april["seasonally_adjusted"] is True
    assert (april["ces_industry_code"], april["data_type_code"]) == ("65621340", "01")


def test_ces_dash_is_null_with_a_flag_and_thousands_become_jobs(ces_two_vintages):
    con, *_ = ces_two_vintages
    dash = rows(
        con, f"SELECT value, value_flag FROM stg_ces__observations WHERE series_id = '{CES_NSA}' AND period = 'M03'"
    )
    assert dash == [{"value": None, "value_flag": "not_available"}] * 2
    core = rows(
        con,
        f"SELECT month_start, value, value_flag, employment_jobs, revised, seasonally_adjusted, "
        f"setting_id FROM core_ces__monthly_employment WHERE series_id = '{CES_NSA}' "
        f"ORDER BY month_start",
    )
    assert core[2] == {
        "month_start": date(2025, 3, 1),
        "value": None,
        "value_flag": "not_available",
        "employment_jobs": None,
        "revised": False,
        "seasonally_adjusted": False,
        "setting_id": "baseline_health_care",
    }
    assert core[3]["employment_jobs"] == 22_581_700  # 22581.7 thousand, rounded, not 22581699
    assert core[0]["value_flag"] is None


def test_ces_column_types_and_industry_lookup(ces_two_vintages):
    con, *_ = ces_two_vintages
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'core_ces__monthly_employment'"
        ).fetchall()
    )
    assert types["month_start"] == "DATE" and types["value"] == "DOUBLE"
    assert types["employment_jobs"] == "BIGINT" and types["vintages"] == "INTEGER"
    assert types["revised"] == "BOOLEAN" and types["retrieved_at"] == "VARCHAR"
    assert rows(con, "SELECT * FROM stg_ces__industries ORDER BY industry_code DESC LIMIT 1") == [
        {
            "industry_code": "65621340",
            "naics_code": "62134",
            "publishing_status": "A",
            "industry_name": "SYNTHETIC offices of therapists",
            "display_level": 6,
        }
    ]


def test_m13_annual_averages_are_dropped(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    answer = synthetic_answer(
        {CES_SA: [{"year": "2024", "period": "M13", "value": "139.0", "footnotes": [{}]}, point(2024, 12, "139.9")]}
    )
    snaps = [put(store, tmp_path, "ces", "api:2024-2024:batch-1-of-1", "a.json", answer, "2025-01-10T00:00:00Z")]
    con, counts = load(ces.load_staging, store, snaps, tmp_path)
    assert counts["stg_ces__observations"] == 1
    assert con.execute("SELECT period FROM stg_ces__observations").fetchall() == [("M12",)]


def test_a_foreign_series_id_is_refused(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    answer = synthetic_answer({JOLTS_LEVEL: [point(2025, 1, "1.0")]})  # a JOLTS id in a CES snapshot
    snaps = [put(store, tmp_path, "ces", "api:2025-2025:batch-1-of-1", "x.json", answer, "2025-02-01T00:00:00Z")]
    con = duckdb.connect()
    with pytest.raises(SourceFileError, match="x.json.*not a CES series ID"):
        ces.load_staging(con, store, snaps)


def test_gaps_are_found_between_first_and_last_month(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    answer = synthetic_answer(
        {
            CES_SA: [point(2025, 2, "3"), point(2024, 11, "2"), point(2024, 10, "1")],  # Dec and Jan missing
            CES_NSA: [point(2025, 2, "-"), point(2025, 1, "5")],  # a '-' month is present, not a gap
        }
    )
    snaps = [put(store, tmp_path, "ces", "api:2024-2025:batch-1-of-1", "g.json", answer, "2025-03-01T00:00:00Z")]
    con, _ = load(ces.load_staging, store, snaps, tmp_path)
    assert monthly_gaps(con, "core_ces__monthly_employment") == [
        (CES_SA, date(2024, 12, 1)),
        (CES_SA, date(2025, 1, 1)),
    ]
    assert monthly_gaps(con, "stg_ces__observations") == [(CES_SA, date(2024, 12, 1)), (CES_SA, date(2025, 1, 1))]
    con.execute(
        f"DELETE FROM core_ces__monthly_employment WHERE series_id = '{CES_SA}' AND month_start = DATE '2024-11-01'"
    )
    assert len(monthly_gaps(con, "core_ces__monthly_employment")) == 3


def test_no_gaps_in_a_complete_series(ces_two_vintages):
    con, *_ = ces_two_vintages
    assert monthly_gaps(con, "core_ces__monthly_employment") == []
    with pytest.raises(ValueError):
        monthly_gaps(con, "core; DROP TABLE x")


# ---------------------------------------------------------------- JOLTS


def test_jolts_series_ids_are_decoded(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    answer = synthetic_answer(
        {
            JOLTS_LEVEL: [point(2025, 2, "1500", PRELIM, latest=True), point(2025, 1, "1480")],
            JOLTS_RATE: [point(2025, 2, "2.1", latest=True), point(2025, 1, "-")],
        }
    )
    snaps = [put(store, tmp_path, "jolts", "api:2025-2025:batch-1-of-1", "j.json", answer, "2025-03-12T00:00:00Z")]
    con, counts = load(jolts.load_staging, store, snaps, tmp_path)
    assert counts == {
        "stg_jolts__observations": 4,
        "core_jolts__monthly_rates_and_levels": 4,
        "stg_jolts__series_without_data": 0,
    }
    level = rows(
        con,
        f"SELECT * FROM core_jolts__monthly_rates_and_levels WHERE series_id = '{JOLTS_LEVEL}' "
        "ORDER BY month_start DESC LIMIT 1",
    )[0]
    assert (level["industry_code"], level["data_element_code"], level["rate_level_code"]) == ("620000", "JO", "L")
    assert (level["data_element"], level["rate_or_level"], level["unit"]) == ("Job openings", "level", "thousands")
    assert level["industry_name"] == "Health care and social assistance"
    assert level["seasonally_adjusted"] is True and level["is_preliminary"] is True and level["value"] == 1500.0
    rate = rows(
        con, f"SELECT * FROM core_jolts__monthly_rates_and_levels WHERE series_id = '{JOLTS_RATE}' ORDER BY month_start"
    )
    assert (rate[1]["industry_code"], rate[1]["data_element"], rate[1]["rate_or_level"], rate[1]["unit"]) == (
        "000000",
        "Quits",
        "rate",
        "percent",
    )
    assert rate[1]["seasonally_adjusted"] is False and rate[1]["value"] == 2.1
    assert (rate[0]["value"], rate[0]["value_flag"]) == (None, "not_available")
    stg = rows(
        con,
        f"SELECT industry_code, data_element_code, rate_level_code, data_element, rate_or_level "
        f"FROM stg_jolts__observations WHERE series_id = '{JOLTS_LEVEL}' LIMIT 1",
    )
    assert stg == [
        {
            "industry_code": "620000",
            "data_element_code": "JO",
            "rate_level_code": "L",
            "data_element": "Job openings",
            "rate_or_level": "level",
        }
    ]


# ---------------------------------------------------------------- absent source


@pytest.mark.parametrize(
    "loader, tables",
    [
        (
            ces.load_staging,
            [
                "stg_ces__observations",
                "core_ces__monthly_employment",
                "stg_ces__industries",
                "stg_ces__series_without_data",
            ],
        ),
        (
            jolts.load_staging,
            ["stg_jolts__observations", "core_jolts__monthly_rates_and_levels", "stg_jolts__series_without_data"],
        ),
    ],
)
def test_no_snapshots_gives_empty_tables_with_the_same_columns(tmp_path, loader, tables):
    con, counts = load(loader, SnapshotStore(tmp_path / "snapshots"), [], tmp_path)
    assert counts == {t: 0 for t in tables}
    for table in tables:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    cols = [r[0] for r in con.execute(f"DESCRIBE {tables[1]}").fetchall()]
    assert {"series_id", "month_start", "value", "vintages", "revised"} <= set(cols)
    assert monthly_gaps(con, tables[1]) == []


def test_lookup_only_ces_build_fills_industries_but_no_series(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    lookup = (
        "industry_code\tnaics_code\tpublishing_status\tindustry_name\tdisplay_level\tselectable\tsort_sequence\n"
        "00000000\t-\tA\tSYNTHETIC total\t0\tT\t1\n"
    )
    snaps = [put(store, tmp_path, "ces", "ce.industry", "ce.industry", lookup, "2025-01-01T00:00:00Z")]
    _, counts = load(ces.load_staging, store, snaps, tmp_path)
    assert counts == {
        "stg_ces__observations": 0,
        "core_ces__monthly_employment": 0,
        "stg_ces__industries": 1,
        "stg_ces__series_without_data": 0,
    }
