"""The cited facts: the seed files' checks, snapshotting from the repository, loading into staging.

Every row written by these tests is SYNTHETIC (events and documents at example.gov / example.org, which say so);
the only real files read are the committed seeds, whose rows are checked for form only.
"""

from __future__ import annotations

from datetime import date

import pytest
from staging_helpers import load, rows

from pipeline.settings import PROJECT_ROOT
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import cited_facts as cf
from pipeline.sources.base import NOT_RETRIEVED, FetchContext
from pipeline.sources.cited_facts.tables import TABLES
from pipeline.sources.errors import SourceFileError

TIMELINE_HEADER = ",".join(cf.TIMELINE.columns)
ENTRY_HEADER = ",".join(cf.ENTRY_REQUIREMENTS.columns)
# SYNTHETIC rows, in column order.
GOOD_EVENTS = [
    "2024-01-02,SYNTHETIC agency adopts a rule,SYNTHETIC Register 1 (2024),https://example.gov/synthetic/1,2026-01-05",
    '2024-03-04,"SYNTHETIC court, in a long case, sets it aside","SYNTHETIC v. Agency, No. 1",'
    "https://example.gov/synthetic/2,2026-01-05",
]
GOOD_FACTS = [
    "29-1122,SYNTHETIC licence needed,SYNTHETIC Board,SYNTHETIC rules s. 1,https://example.org/synthetic/3,2026-01-05",
]
TODAY = date(2026, 2, 1)


def _write(folder, name, header, lines):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def _seeds(tmp_path, events=GOOD_EVENTS, facts=GOOD_FACTS):
    folder = tmp_path / "seeds"
    _write(folder, cf.TIMELINE.filename, TIMELINE_HEADER, events)
    _write(folder, cf.ENTRY_REQUIREMENTS.filename, ENTRY_HEADER, facts)
    return folder


def test_the_committed_seed_files_are_valid():
    for spec in cf.FACT_FILES:
        path = PROJECT_ROOT / "warehouse" / "seeds" / spec.filename
        assert path.read_text().splitlines()[0] == ",".join(spec.columns)
        for row in cf.read_facts(path, spec):
            assert row["url"].startswith("https://") and row["citation"]


def test_the_committed_timeline_holds_the_rule_s_history():
    events = cf.read_facts(PROJECT_ROOT / "warehouse" / "seeds" / cf.TIMELINE.filename, cf.TIMELINE)
    dates = [e["event_date"] for e in events]
    for day in ("2024-04-23", "2024-05-07", "2024-08-20", "2025-09-04", "2025-09-05", "2025-09-10"):
        assert day in dates
    assert any("2024-09171" in e["citation"] and "federalregister.gov" in e["url"] for e in events)
    assert any("3:24-cv-00986" in e["citation"] for e in events)
    assert {e["checked_on"] for e in events} == {"2026-11-29"}


def test_good_rows_are_read_with_their_line_numbers(tmp_path):
    folder = _seeds(tmp_path)
    events = cf.read_facts(folder / cf.TIMELINE.filename, cf.TIMELINE, today=TODAY)
    assert [e["event_date"] for e in events] == ["2024-01-02", "2024-03-04"]
    assert events[1]["event"] == "SYNTHETIC court, in a long case, sets it aside"
    assert [e["line_number"] for e in events] == [2, 3]


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "2024-01-02,SYNTHETIC event,,https://example.gov/synthetic/1,2026-01-05",
            "regulatory_timeline.csv line 2, field citation: is required",
        ),
        (
            "2024-13-40,SYNTHETIC event,SYNTHETIC citation,https://example.gov/synthetic/1,2026-01-05",
            "regulatory_timeline.csv line 2, field event_date: '2024-13-40' is not a date YYYY-MM-DD",
        ),
        (
            "20240102,SYNTHETIC event,SYNTHETIC citation,https://example.gov/synthetic/1,2026-01-05",
            "regulatory_timeline.csv line 2, field event_date: '20240102' is not a date YYYY-MM-DD",
        ),
        (
            "2024-01-02,SYNTHETIC event,SYNTHETIC citation,https://example.gov/synthetic/1,2026-03-01",
            "regulatory_timeline.csv line 2, field checked_on: 2026-03-01 is in the future",
        ),
        (
            "2024-01-02,SYNTHETIC event,SYNTHETIC citation,http://example.gov/synthetic/1,2026-01-05",
            "regulatory_timeline.csv line 2, field url: 'http://example.gov/synthetic/1' is not an https:// address",
        ),
        (
            "2024-01-02,SYNTHETIC event,SYNTHETIC citation,javascript:alert(1),2026-01-05",
            "field url: 'javascript:alert(1)' is not an https:// address",
        ),
        (
            "2026-01-20,SYNTHETIC event,SYNTHETIC citation,https://example.gov/synthetic/1,2026-01-05",
            "field event_date: 2026-01-20 is after checked_on 2026-01-05",
        ),
        ("2024-01-02,SYNTHETIC event", "regulatory_timeline.csv line 2: 2 fields, the header has 5"),
    ],
)
def test_a_bad_row_is_named_by_file_line_and_field(tmp_path, line, expected):
    folder = _seeds(tmp_path, events=[line])
    with pytest.raises(SourceFileError) as err:
        cf.read_facts(folder / cf.TIMELINE.filename, cf.TIMELINE, today=TODAY)
    assert expected in str(err.value)


def test_every_problem_is_reported_at_once_and_duplicates_name_both_lines(tmp_path):
    folder = _seeds(
        tmp_path,
        facts=[
            GOOD_FACTS[0],  # line 2
            GOOD_FACTS[0],  # line 3: the same fact again
            "291122,SYNTHETIC fact,,SYNTHETIC citation,ftp://example.org/x,2026-01-05",  # line 4
        ],
    )
    with pytest.raises(SourceFileError) as err:
        cf.read_facts(folder / cf.ENTRY_REQUIREMENTS.filename, cf.ENTRY_REQUIREMENTS, today=TODAY)
    message = str(err.value)
    assert "entry_requirements.csv: 4 problem(s)" in message
    assert "line 3, field fact: the same fact (29-1122, SYNTHETIC licence needed) is also on line 2" in message
    assert "line 4, field citing_body: is required" in message
    assert "line 4, field url: 'ftp://example.org/x' is not an https:// address" in message
    assert "line 4, field soc_code: '291122' is not a SOC code like 29-1122" in message


@pytest.mark.parametrize(
    "header, fragment",
    [
        ("event_date,event,citation,url", "missing column(s) checked_on"),
        ("event_date,event,citation,url,checked_on,notes", "unexpected column(s) notes"),
        ("event,event_date,citation,url,checked_on", "wrong order"),
        ("# comment", "starts with a comment"),
    ],
)
def test_a_wrong_header_names_the_file_and_the_columns(tmp_path, header, fragment):
    path = _write(tmp_path, cf.TIMELINE.filename, header, [])
    with pytest.raises(SourceFileError, match="regulatory_timeline.csv") as err:
        cf.read_facts(path, cf.TIMELINE)
    assert fragment in str(err.value)


def _ctx(tmp_path):
    lines: list[str] = []
    return FetchContext(store=SnapshotStore(tmp_path / "staging"), progress=lines.append), lines


def test_good_files_are_pinned_and_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("CITED_FACTS_DIR", str(_seeds(tmp_path)))
    ctx, lines = _ctx(tmp_path)
    result = cf.fetch(ctx)
    assert result.unreachable == {}
    by_part = {s.part: s for s in result.snapshots}
    assert set(by_part) == {"regulatory_timeline.csv", "entry_requirements.csv"}
    timeline = by_part["regulatory_timeline.csv"]
    assert (timeline.rows, timeline.origin, timeline.relation) == (2, "repository", "identical")
    assert timeline.url == "repository:warehouse/seeds/regulatory_timeline.csv"
    assert lines == ["  regulatory_timeline.csv: 2 events", "  entry_requirements.csv: 1 fact"]

    con, counts = load(cf.load_staging, ctx.store, result.snapshots, tmp_path)
    assert counts == {"stg_facts__regulatory_timeline": 2, "stg_facts__entry_requirements": 1}
    [first, second] = rows(con, "SELECT * FROM stg_facts__regulatory_timeline ORDER BY event_date")
    assert str(first["event_date"]) == "2024-01-02" and str(first["checked_on"]) == "2026-01-05"
    assert second["citation"] == "SYNTHETIC v. Agency, No. 1" and second["line_number"] == 3
    assert first["snapshot_sha256"] == timeline.sha256
    # the tables are as declared (the generated checks compare the same thing), and no clock time is in them
    for table in TABLES:
        described = con.execute(f"DESCRIBE {table.name}").fetchall()
        assert [(r[0], r[1]) for r in described] == [(c.name, c.type) for c in table.columns]
        assert not any("retrieved" in c.name for c in table.columns)


def test_an_invalid_file_keeps_its_previous_pin_and_the_other_file_is_pinned(tmp_path, monkeypatch):
    bad = GOOD_EVENTS[0].replace("https://", "http://")
    monkeypatch.setenv("CITED_FACTS_DIR", str(_seeds(tmp_path, events=[bad])))
    ctx, _ = _ctx(tmp_path)
    result = cf.fetch(ctx)
    assert [s.part for s in result.snapshots] == ["entry_requirements.csv"]
    assert "line 2, field url" in result.unreachable["regulatory_timeline.csv"]


def test_no_staging_snapshot_still_creates_both_tables_empty(tmp_path):
    con, counts = load(cf.load_staging, SnapshotStore(tmp_path / "store"), [], tmp_path)
    assert counts == {"stg_facts__regulatory_timeline": 0, "stg_facts__entry_requirements": 0}


def test_an_unpinned_build_records_no_clock_time(tmp_path, monkeypatch):
    monkeypatch.setenv("CITED_FACTS_DIR", str(_seeds(tmp_path)))
    first = cf.offline_snapshots(SnapshotStore(tmp_path / "a"))
    again = cf.offline_snapshots(SnapshotStore(tmp_path / "b"))
    assert [(s.retrieved_at, s.rows) for s in first] == [(s.retrieved_at, s.rows) for s in again]
    assert [(s.part, s.retrieved_at, s.rows) for s in first] == [
        ("regulatory_timeline.csv", NOT_RETRIEVED, 2),
        ("entry_requirements.csv", NOT_RETRIEVED, 1),
    ]
