"""The lock is the truth: store sidecars, hashes used as paths, the snapshot remote and the lock file itself are
checked against it, and a build uses one reading of the lock from its first asset to its last.

Every tampered file here is SYNTHETIC: a real pin's sidecar edited, wrong bytes put under a real pin's hash.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from reference_files import mirror_subset

from pipeline.build import _explain
from pipeline.lock import LockError, read_lock, write_lock
from pipeline.lock_reading import LockChangedDuringBuildError, read_lock_once
from pipeline.mirror import Mirror
from pipeline.remote import SnapshotRemote
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import resolve_source
from pipeline.sources import ces, compensation_samples

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCK_PATH = PROJECT_ROOT / "warehouse" / "sources.lock"
LOCK = read_lock(LOCK_PATH)


def _pin(source_id: str, index: int = 0) -> dict:
    return LOCK["sources"][source_id]["snapshots"][index]


# --- 1. store sidecars are repaired from the lock --------------------------------------------------------------


def test_an_edited_sidecar_is_rewritten_from_the_lock_and_the_lock_metadata_is_used(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    first = resolve_source(compensation_samples, LOCK, store)
    assert first.status == "complete" and first.repaired == []
    pin = _pin("compensation_samples")
    sidecar = store.meta_path(pin["sha256"])
    tampered = json.loads(sidecar.read_text()) | {"url": "https://evil.example/samples.csv", "source_id": "ftc"}
    sidecar.write_text(json.dumps(tampered))  # SYNTHETIC tampering

    res = resolve_source(compensation_samples, LOCK, store)

    assert res.status == "complete" and res.obtained_from == {pin["sha256"]: "store"}
    used = res.snapshots[0]
    assert (used.url, used.source_id) == (pin["url"], "compensation_samples")
    on_disk = json.loads(sidecar.read_text())
    assert (on_disk["url"], on_disk["source_id"]) == (pin["url"], "compensation_samples")
    assert len(res.repaired) == 1
    assert "source_id" in res.repaired[0] and "url" in res.repaired[0] and "rewritten from the lock" in res.repaired[0]
    # Repaired once: the next build finds nothing to repair.
    assert resolve_source(compensation_samples, LOCK, store).repaired == []


def test_a_build_of_a_lock_that_does_not_pin_a_source_leaves_its_sidecar_alone(tmp_path):
    """An earlier edition's build shares the store: restoring an unpinned source must not undo the live lock's
    metadata (each build would otherwise report a repair)."""
    store = SnapshotStore(tmp_path / "snapshots")
    resolve_source(compensation_samples, LOCK, store)
    sidecar = store.meta_path(_pin("compensation_samples")["sha256"])
    recorded = sidecar.read_text()
    older_edition = {"version": 2, "sources": {}}  # SYNTHETIC: a lock from before the samples were pinned
    unpinned = resolve_source(compensation_samples, older_edition, store)
    assert unpinned.status == "not pinned" and unpinned.snapshots  # still built from the repository file
    assert sidecar.read_text() == recorded
    assert resolve_source(compensation_samples, LOCK, store).repaired == []


def test_an_unreadable_sidecar_is_rewritten_from_the_lock(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    resolve_source(compensation_samples, LOCK, store)
    pin = _pin("compensation_samples")
    store.meta_path(pin["sha256"]).write_text('{"url": "half a file')  # SYNTHETIC
    res = resolve_source(compensation_samples, LOCK, store)
    assert res.snapshots[0].url == pin["url"] and "unreadable" in res.repaired[0]
    assert store.meta(pin["sha256"]).url == pin["url"]


# --- 2. a hash is checked before it becomes a path ---------------------------------------------------------------

M2020_SHA = "ac0a59b501cd5d4c5966e799c39b1830f93b92c3cc6cd8af301dc7959a4c2cb1"


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/hostname",
        M2020_SHA.upper(),
        M2020_SHA[:-1],
        M2020_SHA + "\n",
        "ac/../../../../../../../../../../../../../../../../../../../../../../../etc/hostname",
        "",
    ],
)
def test_object_paths_are_made_only_from_sha256_hex(tmp_path, bad):
    store = SnapshotStore(tmp_path / "snapshots")
    with pytest.raises(ValueError, match="is not a SHA-256 .64 lowercase hex digits.") as err:
        store.object_path(bad)
    assert repr(bad) in str(err.value)
    with pytest.raises(ValueError):
        store.meta_path(bad)
    with pytest.raises(ValueError):
        SnapshotRemote(f"file://{tmp_path / 'remote'}").has(bad)


def test_a_pin_whose_hash_is_not_a_sha256_stops_the_build_naming_the_source(tmp_path):
    lock = json.loads(json.dumps(LOCK))
    lock["sources"]["compensation_samples"]["snapshots"][0]["sha256"] = "../../etc/hostname"  # SYNTHETIC
    with pytest.raises(LockError, match="compensation_samples: the pin of compensation_samples.csv: '../../etc/host"):
        resolve_source(compensation_samples, lock, SnapshotStore(tmp_path / "snapshots"))


# --- 3. a corrupt copy on the snapshot remote is quarantined and the next origin serves ------------------------


def _ces_mirror(tmp_path: Path, reference_dir: Path) -> Path:
    """A mirror holding only the CES lookup files, copied from the reference mirror (real bytes)."""
    return mirror_subset(reference_dir, tmp_path / "mirror", "ces/")


def _poisoned_remote(tmp_path: Path, sha256: str) -> Path:
    """A file:// remote holding other bytes under a real pin's hash."""
    root = tmp_path / "team-bucket"
    obj = root / "sha256" / sha256[:2] / sha256
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"SYNTHETIC: not the pinned bytes\n")
    return root


def _quarantined(store: SnapshotStore, sha256: str) -> list[Path]:
    """The bad copies kept for ``sha256`` (each has a .json note beside it)."""
    return [p for p in (store.root / "quarantine").glob(f"{sha256}.*") if p.suffix != ".json"]


def test_a_corrupt_remote_copy_is_quarantined_and_the_mirror_serves(tmp_path, reference_dir):
    pin = next(p for p in LOCK["sources"]["ces"]["snapshots"] if p["part"] == "ce.datatype")
    sha = pin["sha256"]
    remote = SnapshotRemote(f"file://{_poisoned_remote(tmp_path, sha)}")
    store = SnapshotStore(tmp_path / "snapshots")

    res = resolve_source(ces, LOCK, store, mirror=Mirror(_ces_mirror(tmp_path, reference_dir)), remote=remote)

    assert res.obtained_from[sha] == "mirror" and not res.absent
    bad_hash = hashlib.sha256(b"SYNTHETIC: not the pinned bytes\n").hexdigest()
    assert len(res.notes) == 1
    assert res.notes[0].startswith(
        f"remote copy corrupt: {remote.object_url(sha)}, hashes to {bad_hash}, expected {sha}"
    )
    assert store.verify(sha)  # the object under its name holds the right bytes
    kept = _quarantined(store, sha)
    assert [k.read_bytes() for k in kept] == [b"SYNTHETIC: not the pinned bytes\n"]
    assert str(kept[0]) in res.notes[0]

    # The same bad copy met again (another fresh machine sharing this store's quarantine) is kept once.
    store.object_path(sha).unlink()
    again = resolve_source(ces, LOCK, store, mirror=Mirror(_ces_mirror(tmp_path / "2", reference_dir)), remote=remote)
    assert again.obtained_from[sha] == "mirror"
    assert len(_quarantined(store, sha)) == 1


def test_a_corrupt_remote_copy_with_no_other_origin_makes_the_part_absent_saying_why(tmp_path):
    pin = next(p for p in LOCK["sources"]["ces"]["snapshots"] if p["part"] == "ce.datatype")
    remote = SnapshotRemote(f"file://{_poisoned_remote(tmp_path, pin['sha256'])}")
    res = resolve_source(ces, LOCK, SnapshotStore(tmp_path / "snapshots"), remote=remote)
    reason = next(a["reason"] for a in res.absent if a["sha256"] == pin["sha256"])
    assert "remote copy corrupt" in reason and "no mirror" in reason


def test_the_snapshot_asset_logs_the_corrupt_remote_copy_as_a_warning(tmp_path, monkeypatch, reference_dir):
    from pipeline.assets.snapshot import snapshot_assets
    from pipeline.resources import default_resources

    sha = next(p for p in LOCK["sources"]["ces"]["snapshots"] if p["part"] == "ce.datatype")["sha256"]
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("SNAPSHOT_REMOTE", f"file://{_poisoned_remote(tmp_path, sha)}")
    monkeypatch.setenv("SOURCES_MIRROR", str(_ces_mirror(tmp_path, reference_dir)))
    monkeypatch.delenv("SOURCES_LOCK", raising=False)
    asset = next(a for a in snapshot_assets() if a.key.path == ["raw_ces__industry_employment"])
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([asset], resources=default_resources(), instance=instance)
    assert result.success
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == 30]  # logging.WARNING
    assert any(w.startswith("ces: remote copy corrupt: ") and sha in w for w in warnings)
    state = json.loads((tmp_path / "warehouse" / "state" / "raw_ces__industry_employment.json").read_text())
    assert state["obtained_from"][sha] == "mirror" and state["notes"][0].startswith("remote copy corrupt")


# --- 5. one reading of the lock per build ------------------------------------------------------------------------


def _two_snapshot_assets():
    from pipeline.assets.snapshot import snapshot_assets

    wanted = {"raw_comp__samples", "raw_oews__history_workbooks"}
    return [a for a in snapshot_assets() if a.key.path[-1] in wanted]


def _another_edition(lock_path: Path) -> None:
    lock = read_lock(lock_path)
    lock["edition"] = "2099Q1"  # SYNTHETIC: what a refresh landing mid-build would write
    lock["sources"]["compensation_samples"]["snapshots"][0]["note"] = "re-pinned"
    write_lock(lock_path, lock)


def _isolated_build(tmp_path, monkeypatch) -> Path:
    lock_path = tmp_path / "sources.lock"
    shutil.copyfile(LOCK_PATH, lock_path)
    monkeypatch.setenv("SOURCES_LOCK", str(lock_path))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.delenv("SOURCES_MIRROR", raising=False)
    monkeypatch.delenv("SNAPSHOT_REMOTE", raising=False)
    monkeypatch.delenv("EDITION", raising=False)
    monkeypatch.delenv("STRICT", raising=False)
    return lock_path


def test_a_lock_replaced_between_two_snapshot_assets_stops_the_run(tmp_path, monkeypatch):
    import pipeline.assets.snapshot as snapshot_module
    from pipeline.resources import default_resources

    lock_path = _isolated_build(tmp_path, monkeypatch)
    first_hash = read_lock_once(lock_path).sha256
    real_resolve = snapshot_module.resolve_source
    resolved = []

    def resolve_then_refresh(module, lock, *args, **kwargs):
        resolved.append((module.SOURCE_ID, lock.get("edition")))
        if len(resolved) == 1:
            _another_edition(lock_path)  # the refresh lands after the first snapshot asset read the lock
        return real_resolve(module, lock, *args, **kwargs)

    monkeypatch.setattr(snapshot_module, "resolve_source", resolve_then_refresh)
    result = dg.materialize(_two_snapshot_assets(), resources=default_resources(), raise_on_error=False)

    assert not result.success
    assert len(resolved) == 1 and resolved[0][1] == LOCK.get("edition")  # the second never saw the new edition
    now_hash = read_lock_once(lock_path).sha256
    assert (
        f"LockChangedDuringBuildError: the lock changed during the build (was {first_hash[:12]}, "
        f"now {now_hash[:12]}); run the build again" in _explain(result)
    )  # what `make book` prints


def test_every_asset_of_a_run_gets_the_same_reading(tmp_path, monkeypatch):
    import pipeline.assets.snapshot as snapshot_module
    from pipeline.resources import default_resources

    _isolated_build(tmp_path, monkeypatch)
    real_resolve = snapshot_module.resolve_source
    seen = []

    def recording(module, lock, *args, **kwargs):
        seen.append(json.dumps(lock, sort_keys=True))
        lock["sources"].clear()  # an asset that changed its copy must not change what the next one sees
        return real_resolve(module, json.loads(seen[-1]), *args, **kwargs)

    monkeypatch.setattr(snapshot_module, "resolve_source", recording)
    result = dg.materialize(_two_snapshot_assets(), resources=default_resources())
    assert result.success and len(seen) == 2 and seen[0] == seen[1]


def test_a_run_refuses_a_lock_that_is_not_the_one_the_entry_point_read(tmp_path, monkeypatch):
    from pipeline.resources import default_resources

    lock_path = _isolated_build(tmp_path, monkeypatch)
    reading = read_lock_once(lock_path)  # what pipeline/build.py does before Dagster starts
    _another_edition(lock_path)
    result = dg.materialize(
        _two_snapshot_assets(), resources=default_resources(lock_sha256=reading.sha256), raise_on_error=False
    )
    assert not result.success
    failures = _explain(result).splitlines()
    assert len(failures) == 2 and all(
        f"the lock changed during the build (was {reading.sha256[:12]}, now " in f for f in failures
    )
    with pytest.raises(LockChangedDuringBuildError, match="run the build again"):
        read_lock_once(lock_path, reading.sha256)
