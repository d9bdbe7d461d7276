"""`make book` takes each pinned snapshot from the first place that has it, offline, and always re-hashes it.

Order: the local store, the snapshot remote (an fsspec URL), the mirror (SOURCES_MIRROR), a package origin.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipeline.lock import read_lock
from pipeline.mirror import Mirror
from pipeline.remote import SnapshotRemote
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import SnapshotMismatchError, resolve_source
from pipeline.sources import employment_projections, oews_current, oews_history

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCK = read_lock(PROJECT_ROOT / "warehouse" / "sources.lock")
# The committed lock pins the May 2020 national workbook as mirrored (tests/reference_files.py pins the same SHA-256).
M2020_SHA = "ac0a59b501cd5d4c5966e799c39b1830f93b92c3cc6cd8af301dc7959a4c2cb1"


def test_the_committed_lock_pins_the_mirrored_workbooks_with_their_true_relation():
    pins = {p["part"]: p for p in LOCK["sources"]["oews_history"]["snapshots"]}
    assert pins["oesm20nat"]["sha256"] == M2020_SHA
    assert pins["oesm20nat"]["relation"] == "member-of-archive"
    assert pins["oesm20nat"]["url"] == "https://www.bls.gov/oes/special-requests/oesm20nat.zip"


def test_restored_from_the_mirror_with_the_sidecar_the_refresh_recorded(tmp_path, reference_dir):
    store = SnapshotStore(tmp_path / "snapshots")
    res = resolve_source(oews_history, LOCK, store, mirror=Mirror(reference_dir))
    assert res.status == "complete" and len(res.snapshots) == 5
    assert set(res.obtained_from.values()) == {"mirror"}
    meta = store.meta(M2020_SHA)
    pin = next(p for p in LOCK["sources"]["oews_history"]["snapshots"] if p["sha256"] == M2020_SHA)
    assert (meta.retrieved_at, meta.relation, meta.rows) == (pin["retrieved_at"], pin["relation"], pin["rows"])
    # A second build finds the bytes in the local store and needs no mirror.
    again = resolve_source(oews_history, LOCK, store)
    assert set(again.obtained_from.values()) == {"store"}


def test_a_snapshot_remote_serves_a_fresh_machine(tmp_path, reference_dir):
    seeded = SnapshotStore(tmp_path / "seeded")
    resolve_source(employment_projections, LOCK, seeded, mirror=Mirror(reference_dir))
    remote = SnapshotRemote(f"file://{tmp_path / 'team-bucket'}")
    for pin in LOCK["sources"]["employment_projections"]["snapshots"]:
        remote.push(pin["sha256"], seeded)
    fresh = SnapshotStore(tmp_path / "fresh")
    res = resolve_source(employment_projections, LOCK, fresh, remote=remote)
    assert res.status == "complete"
    assert set(res.obtained_from.values()) == {"remote"}
    assert {s.extra.get("edition") for s in res.snapshots} == {"2024-34", "2016-26"}


def test_the_package_origin_restores_the_oews_release(tmp_path):
    res = resolve_source(oews_current, LOCK, SnapshotStore(tmp_path / "snapshots"))
    assert res.status == "complete"
    assert res.obtained_from == {res.snapshots[0].sha256: "package"}


def test_a_pin_nobody_can_supply_makes_the_source_absent(tmp_path):
    res = resolve_source(oews_history, LOCK, SnapshotStore(tmp_path / "snapshots"))
    assert res.status == "absent" and not res.snapshots
    assert len(res.absent) == 5
    assert "no mirror (SOURCES_MIRROR unset)" in res.absent[0]["reason"]


def test_bytes_that_do_not_match_their_pin_stop_the_build_naming_the_source(tmp_path, reference_dir):
    store = SnapshotStore(tmp_path / "snapshots")
    resolve_source(oews_history, LOCK, store, mirror=Mirror(reference_dir))
    obj = store.object_path(M2020_SHA)
    obj.chmod(0o644)
    obj.write_bytes(obj.read_bytes()[:-10])  # SYNTHETIC corruption
    with pytest.raises(SnapshotMismatchError, match="oews_history: pinned file national_M2020_dl.xlsx"):
        resolve_source(oews_history, LOCK, store, mirror=Mirror(reference_dir))


def test_a_mirror_file_with_other_bytes_is_not_taken(tmp_path, reference_dir):
    mirror_dir = tmp_path / "mirror"
    (mirror_dir / "oews" / "national").mkdir(parents=True)
    shutil.copy(reference_dir / "MIRROR-INDEX.tsv", mirror_dir)
    # SYNTHETIC: a mirror whose file for the May 2020 URL holds other bytes.
    shutil.copy(
        reference_dir / "oews/national/national_M2021_dl.xlsx", mirror_dir / "oews/national/national_M2020_dl.xlsx"
    )
    res = resolve_source(oews_history, LOCK, SnapshotStore(tmp_path / "s"), mirror=Mirror(mirror_dir))
    assert M2020_SHA in {a["sha256"] for a in res.absent}


def _materialize_history(tmp_path, monkeypatch, strict: bool):
    from pipeline.assets.snapshot import snapshot_assets
    from pipeline.resources import default_resources

    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.delenv("SOURCES_MIRROR", raising=False)
    monkeypatch.setenv("STRICT", "1" if strict else "")
    asset = next(a for a in snapshot_assets() if a.key.path == ["raw_oews__history_workbooks"])
    return dg.materialize([asset], resources=default_resources(), raise_on_error=False)


def test_without_strict_an_absent_source_is_noted_and_the_build_goes_on(tmp_path, monkeypatch):
    result = _materialize_history(tmp_path, monkeypatch, strict=False)
    assert result.success
    state = json.loads((tmp_path / "warehouse" / "state" / "raw_oews__history_workbooks.json").read_text())
    assert state["status"] == "absent" and len(state["absent"]) == 5


def test_strict_fails_on_an_absent_pinned_source(tmp_path, monkeypatch):
    result = _materialize_history(tmp_path, monkeypatch, strict=True)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "STRICT: oews_history is pinned but absent" in failure.step_failure_data.error.message


def test_the_refresh_job_and_quarterly_schedule_are_defined():
    from pipeline.definitions import defs

    schedule = defs.resolve_schedule_def("quarterly_refresh")
    assert schedule.cron_schedule == "0 6 15 2,5,8,11 *"
    assert defs.resolve_job_def("refresh_sources_job") is not None


def test_the_committed_samples_file_is_its_own_offline_origin(tmp_path, monkeypatch):
    from pipeline.sources import compensation_samples

    res = resolve_source(compensation_samples, LOCK, SnapshotStore(tmp_path / "a"))
    assert res.status == "complete" and list(res.obtained_from.values()) == ["repository"]
    # Edited after the last refresh: the pinned bytes are gone, and the reason says what to do.
    edited = tmp_path / "compensation_samples.csv"
    edited.write_text((PROJECT_ROOT / "warehouse/seeds/compensation_samples.csv").read_text() + "\n")
    monkeypatch.setenv("COMPENSATION_SAMPLES_CSV", str(edited))
    res = resolve_source(compensation_samples, LOCK, SnapshotStore(tmp_path / "b"))
    assert res.status == "absent" and "edited after the last refresh" in res.absent[0]["reason"]
