"""The 25% size/rows check compares each new pin with the edition history, not with what the lock says of itself.

Locks, pins, API answers and OEWS flat files here are all SYNTHETIC and tiny.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from pipeline import acceptance
from pipeline.acceptance import compare_source, move_findings, unaccepted_moves
from pipeline.lock import pin_meta, read_lock
from pipeline.refresh import format_report, merge_source, run_refresh
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import ces, oews_current, oews_history
from pipeline.sources.base import FetchResult


def _pin(
    part: str, size: int, rows: int | None, when: str = "2026-08-15T06:00:00+00:00", salt: str = "", **extra
) -> dict:
    return {
        "part": part,
        "filename": f"{part}.x",
        "sha256": hashlib.sha256(f"{part}{size}{rows}{salt}".encode()).hexdigest(),
        "size_bytes": size,
        "rows": rows,
        "origin": "official",
        "relation": "identical",
        "url": f"https://example.org/{part}",
        "retrieved_at": when,
        **extra,
    }


def _previous(pin: dict) -> dict:
    return {k: pin[k] for k in ("sha256", "size_bytes", "rows", "retrieved_at")}


def _history(tmp_path: Path, *editions: tuple[str, dict[str, list[dict]]]) -> tuple[Path, dict]:
    """Record each (name, {source: pins}) as an edition; the last is also the live lock. Returns its path and lock."""
    folder = tmp_path / "editions"
    folder.mkdir(exist_ok=True)
    for name, sources in editions:
        lock = {"version": 2, "edition": name, "sources": {s: {"snapshots": p} for s, p in sources.items()}}
        (folder / f"{name}.lock").write_text(json.dumps(lock))
    live = tmp_path / "sources.lock"
    live.write_text((folder / f"{editions[-1][0]}.lock").read_text())
    return live, read_lock(live)


@pytest.fixture(autouse=True)
def _no_acceptances(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCEPTED_CHANGES", str(tmp_path / "accepted_changes.json"))


def test_an_edited_previous_no_longer_silences_the_check(tmp_path):
    old = _pin("oesm24nat", 1000, 100)
    new = _pin("oesm24nat", 2000, 100, "2026-11-15T06:00:00+00:00", previous=_previous(old))
    new["previous"]["size_bytes"] = 1900  # SYNTHETIC tampering: claim it replaced something its size
    live, lock = _history(tmp_path, ("2026Q3", {"oews_history": [old]}), ("2026Q4", {"oews_history": [new]}))
    [(pin, moves)] = unaccepted_moves(lock, "oews_history", [], editions_from=live)
    assert pin["sha256"] == new["sha256"] and moves["size_bytes"] == pytest.approx(1.0)  # against the history
    [edited] = [k for k in moves if k.startswith("LOCK EDITED")]
    assert "size_bytes 1900" in edited and "edition 2026Q3 pinned 1000" in edited and "git checkout" in edited
    # An edited lock cannot be accepted away.
    with pytest.raises(SystemExit, match="Not accepted: .*The lock was edited"):
        acceptance.accept("oews_history", "oesm24nat", "looks fine", live)
    accepted = [{"source_id": "oews_history", "sha256": new["sha256"]}]
    assert unaccepted_moves(lock, "oews_history", accepted, editions_from=live)


def test_a_previous_pointing_at_a_snapshot_the_history_never_had_is_an_edit(tmp_path):
    old = _pin("oesm24nat", 1000, 100)
    new = _pin(
        "oesm24nat", 1010, 100, "2026-11-15T06:00:00+00:00", previous={**_previous(old), "sha256": "f" * 64}
    )  # SYNTHETIC: a small move, but a false claim
    live, lock = _history(tmp_path, ("2026Q3", {"oews_history": [old]}), ("2026Q4", {"oews_history": [new]}))
    [finding] = move_findings(lock, "oews_history", live)
    assert finding.moves == {} and "sha256 'ffff" in finding.edited


def test_deleting_previous_changes_nothing_and_accept_records_the_real_baseline(tmp_path):
    old = _pin("oesm24nat", 1000, 100)
    new = _pin("oesm24nat", 2000, 100, "2026-11-15T06:00:00+00:00")  # no `previous` at all
    live, lock = _history(tmp_path, ("2026Q3", {"oews_history": [old]}), ("2026Q4", {"oews_history": [new]}))
    [(_, moves)] = unaccepted_moves(lock, "oews_history", [], editions_from=live)
    assert moves == {"size_bytes": pytest.approx(1.0)}
    record = acceptance.accept("oews_history", "oesm24nat", "BLS added columns", live)
    assert record["previous_sha256"] == old["sha256"] and record["moves_pct"] == {"size_bytes": 100.0}
    assert unaccepted_moves(lock, "oews_history", acceptance.read_acceptances(), editions_from=live) == []


def test_an_unaccepted_move_still_fails_after_a_later_edition(tmp_path):
    old = _pin("oesm24nat", 1000, 100)
    new = _pin("oesm24nat", 2000, 100, "2026-11-15T06:00:00+00:00", previous=_previous(old))
    other = _pin("oesm23nat", 900, 100)
    live, lock = _history(
        tmp_path,
        ("2026Q3", {"oews_history": [old, other]}),
        ("2026Q4", {"oews_history": [new, other]}),
        ("2027Q1", {"oews_history": [new, other], "ces": [_pin("ce.industry", 10, 1)]}),
    )
    [(pin, moves)] = unaccepted_moves(lock, "oews_history", [], editions_from=live)
    assert pin["sha256"] == new["sha256"] and "size_bytes" in moves


def test_a_live_lock_that_differs_from_its_recorded_edition_is_an_edit(tmp_path):
    pin = _pin("oesm24nat", 1000, 100)
    live, _ = _history(tmp_path, ("2026Q4", {"oews_history": [pin]}))
    lock = json.loads(live.read_text())
    lock["sources"]["oews_history"]["snapshots"][0]["rows"] = 101  # SYNTHETIC edit of the live lock only
    [finding] = move_findings(lock, "oews_history", live)
    assert "differs from the one in" in finding.edited


def test_a_new_vintage_is_compared_with_the_last_vintage_of_its_part(tmp_path):
    part = "api:2025-2026:batch-1-of-1"
    v1 = _pin(part, 5000, 100, "2026-05-15T06:00:00+00:00")
    v2 = _pin(part, 5200, 104, "2026-08-15T06:00:00+00:00")
    v3 = _pin(part, 15000, 300, "2026-11-15T06:00:00+00:00")
    live, lock = _history(
        tmp_path, ("2026Q2", {"ces": [v1]}), ("2026Q3", {"ces": [v1, v2]}), ("2026Q4", {"ces": [v1, v2, v3]})
    )
    [(pin, moves)] = unaccepted_moves(lock, "ces", [], editions_from=live)
    assert pin["sha256"] == v3["sha256"]
    assert moves["rows"] == pytest.approx(300 / 104 - 1)  # against v2, not v1


def test_a_new_part_is_compared_through_its_source_total(tmp_path):
    years = [_pin(f"oesm{y}nat", 1000, 100) for y in (21, 22, 23, 24)]
    small = _pin("oesm25nat", 1000, 100)  # one more May year: +25% of the total, within the rule
    huge = _pin("oesm26nat", 9000, 900)  # SYNTHETIC: a new part that dwarfs the rest
    [within] = compare_source("oews_history", years, [*years, small])
    assert within.pin is small and within.moves == {}
    [found] = compare_source("oews_history", years, [*years, huge])
    assert found.pin is huge and found.moves == {"size_bytes": pytest.approx(9 / 4), "rows": pytest.approx(9 / 4)}
    assert found.against.startswith("the source's total")
    live, lock = _history(tmp_path, ("2026Q3", {"oews_history": years}), ("2026Q4", {"oews_history": [*years, huge]}))
    [(pin, _)] = unaccepted_moves(lock, "oews_history", [], editions_from=live)
    assert pin["part"] == "oesm26nat"


def _api_answer(value: str) -> bytes:  # SYNTHETIC answer of the BLS API, one series
    data = [
        {"year": "2026", "period": f"M{m:02d}", "periodName": "", "value": value, "footnotes": [{}]}
        for m in range(1, 13)
    ]
    return json.dumps(
        {
            "status": "REQUEST_SUCCEEDED",
            "responseTime": 5,
            "message": [],
            "Results": {"series": [{"seriesID": "CES0000000001", "data": data}]},
        }
    ).encode()


def test_the_refresh_flags_a_new_vintage_that_moved(tmp_path):
    staging = SnapshotStore(tmp_path / "staging")
    part = "api:2026-2026:batch-1-of-1"
    (tmp_path / "a.json").write_bytes(_api_answer("1.5"))
    snap = staging.put_file(
        tmp_path / "a.json",
        source_id="ces",
        part=part,
        filename="ces-api.json",
        url="https://example.org/api",
        retrieved_at="2026-11-15T06:00:00+00:00",
        origin="official",
        relation="identical",
        license="",
        citation="",
        rows=12,
    )
    old = _pin(part, snap.size_bytes * 3, 36, extra={"content_fingerprint": "0" * 64})
    pins, changes = merge_source(ces, [old], FetchResult(snapshots=[snap]), staging)
    [change] = changes
    assert change.status == "revised" and len(pins) == 2
    assert "against the last vintage of this part" in change.detail and "rows -67%" in change.detail
    assert [p for p in pins if p["sha256"] == snap.sha256][0]["previous"]["sha256"] == old["sha256"]


# ---------------------------------------------------------------- retiring a superseded origin

SYNTHETIC_FLAT_FILES = {
    "oe.data.0.Current": "series_id\tyear\tperiod\tvalue\tfootnote_codes\n"
    "OEUN000000000000029112201\t2099\tA01\t1000\t\n"
    "OEUN000000000000029112213\t2099\tA01\t90000\t\n",
    "oe.area": "area_code\tareatype_code\tstate_code\tarea_name\n0000000\tN\t00\tU.S. (SYNTHETIC)\n",
    "oe.industry": "industry_code\tindustry_name\tdisplay_level\n000000\tCross-industry (SYNTHETIC)\t0\n",
    "oe.occupation": "occupation_code\toccupation_name\tdisplay_level\n291122\tOccupational Therapists\t3\n",
    "oe.datatype": "datatype_code\tdatatype_name\n01\tEmployment\n13\tAnnual median wage\n",
    "oe.footnote": "footnote_code\tfootnote_text\n5\tSYNTHETIC footnote\n",
    "oe.release": "release_date\tdescription\n2100-03-31\tMay 2099 (SYNTHETIC)\n",
}


def test_official_files_retire_the_package_pin_and_the_loader_uses_them(project, httpserver):
    for name, body in SYNTHETIC_FLAT_FILES.items():
        httpserver.expect_request(f"/pub/time.series/oe/{name}").respond_with_data(body, content_type="text/plain")
    before = read_lock(project.lock_path)["sources"]["oews_current"]["snapshots"]
    assert [p["origin"] for p in before] == ["package"]
    report = run_refresh(project, progress=lambda _: None, only=["oews_current"])
    text = format_report(report, project.lock_path)
    assert report.lock_changed, text
    [retired] = [c for c in report.changes if c.status == "retired"]
    assert retired.part == oews_current.PACKAGE_DATA_FILE and "Retired (a complete fetch replaced them)" in text
    # The switch moves the source far from what it held, so it needs a maintainer's word once.
    assert "NEEDS ACCEPTANCE" in text and "the source's total" in text
    pins = read_lock(project.lock_path)["sources"]["oews_current"]["snapshots"]
    assert sorted(p["filename"] for p in pins) == sorted(SYNTHETIC_FLAT_FILES)
    assert {p["origin"] for p in pins} == {"official"}
    # The loader, given the new pins, builds from the official files (the package's release is May 2025).
    con = duckdb.connect()
    oews_current.load_staging(con, SnapshotStore(project.snapshot_dir), [pin_meta(p, "oews_current") for p in pins])
    assert con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0] == "May 2099 (SYNTHETIC)"

    # Later the official files cannot be had: the package fallback must not displace them.
    httpserver.clear()
    httpserver.expect_request("/pub/time.series/oe/oe.data.0.Current").respond_with_data("Not Found", status=404)
    lock_before = project.lock_path.read_bytes()
    again = run_refresh(project, progress=lambda _: None, only=["oews_current"])
    assert not again.lock_changed and project.lock_path.read_bytes() == lock_before
    assert {c.status for c in again.changes} == {"kept"}
    assert "lower origin (package)" in format_report(again, project.lock_path)


def test_a_source_that_keeps_parts_side_by_side_retires_nothing(tmp_path):
    """May years outside the fetched window are not stale: only whole-release sources retire."""
    staging = SnapshotStore(tmp_path / "staging")
    (tmp_path / "w.zip").write_bytes(b"PK SYNTHETIC")
    snap = staging.put_file(
        tmp_path / "w.zip",
        source_id="oews_history",
        part="oesm24nat",
        filename="w.zip",
        url="https://example.org/w.zip",
        retrieved_at="2026-11-15T06:00:00+00:00",
        origin="official",
        relation="identical",
        license="",
        citation="",
        rows=100,
    )
    older = [{**_pin(f"oesm{y}nat", 12, 100), "origin": "mirror"} for y in (21, 22, 23)]
    pins, changes = merge_source(oews_history, older, FetchResult(snapshots=[snap]), staging)
    assert len(pins) == 4 and "retired" not in {c.status for c in changes}
