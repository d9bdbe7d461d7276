"""SNAPSHOT_REMOTE=s3://...: the snapshot remote against a real S3 API (moto's server on 127.0.0.1, via s3fs).

A refresh pushes what it pins; a build on a machine whose store is empty pulls each pin from the bucket and
checks its hash; an object whose bytes are not what its name says is quarantined, and the next origin serves.
The snapshots are real files from the reference mirror (the CES lookup files); only the bad copy is SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import pytest
from reference_files import mirror_subset

from pipeline.lock import read_lock
from pipeline.mirror import Mirror
from pipeline.refresh import run_refresh
from pipeline.remote import SnapshotRemote
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import resolve_source
from pipeline.sources import ces

pytest_plugins = ("s3_server",)  # the moto server and bucket fixtures

BAD_BYTES = b"SYNTHETIC: not the pinned bytes\n"


def _ces_mirror(tmp_path: Path, reference_dir: Path) -> Path:
    """A mirror holding only the CES lookup files, copied from the reference mirror (real bytes)."""
    return mirror_subset(reference_dir, tmp_path / "mirror", "ces/")


def _ces_pins(lock_path: Path) -> list[dict]:
    return read_lock(lock_path)["sources"]["ces"]["snapshots"]


@pytest.fixture
def pushed(project, s3, monkeypatch, reference_dir, tmp_path) -> tuple[str, list[dict]]:
    """A refresh of the CES lookup files from a mirror, with SNAPSHOT_REMOTE in the bucket: (remote URL, pins)."""
    url = f"{s3.url}/occupation-book/snapshots"
    monkeypatch.setenv("SNAPSHOT_REMOTE", url)
    monkeypatch.setenv("SOURCES_MIRROR", str(_ces_mirror(tmp_path, reference_dir)))
    for name in ("BLS_WWW_URL", "BLS_DOWNLOAD_URL"):
        monkeypatch.delenv(name)  # the mirror's index is keyed by the official URLs
    run_refresh(project, progress=lambda _: None, only=["ces"])
    pins = [p for p in _ces_pins(project.lock_path) if p.get("origin") != "package"]
    assert pins, "the refresh pinned no CES file from the mirror"
    return url, pins


def test_a_refresh_pushes_every_pinned_object_to_the_bucket(pushed, s3):
    url, pins = pushed
    prefix = url.removeprefix(f"{s3.url}/")
    keys = set(s3.keys(prefix))
    for pin in pins:
        sha = pin["sha256"]
        assert {f"sha256/{sha[:2]}/{sha}", f"sha256/{sha[:2]}/{sha}.json"} <= keys
        body = s3.fs.cat_file(f"{s3.name}/{prefix}/sha256/{sha[:2]}/{sha}")
        assert hashlib.sha256(body).hexdigest() == sha
        assert json.loads(s3.fs.cat_file(f"{s3.name}/{prefix}/sha256/{sha[:2]}/{sha}.json"))["sha256"] == sha


def test_a_build_with_an_empty_store_pulls_from_the_bucket_and_checks_each_hash(pushed, project, tmp_path, monkeypatch):
    """What a new machine does: no store, no mirror, only the team's bucket."""
    from pipeline.assets.snapshot import snapshot_assets
    from pipeline.resources import default_resources

    url, pins = pushed
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "new-machine"))
    monkeypatch.delenv("SOURCES_MIRROR")
    asset = next(a for a in snapshot_assets() if a.key.path == ["raw_ces__industry_employment"])
    result = dg.materialize([asset], resources=default_resources(), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    state = json.loads((tmp_path / "new-machine" / "state" / "raw_ces__industry_employment.json").read_text())
    store = SnapshotStore(tmp_path / "new-machine" / "snapshots")
    for pin in pins:
        assert state["obtained_from"][pin["sha256"]] == "remote"
        assert store.verify(pin["sha256"])  # hashed on arrival and again here
    assert not (store.root / "quarantine").exists()


def test_a_corrupt_object_in_the_bucket_is_quarantined_and_the_mirror_serves(s3, tmp_path, reference_dir):
    lock = read_lock(Path(__file__).resolve().parents[1] / "warehouse" / "sources.lock")
    pin = next(p for p in lock["sources"]["ces"]["snapshots"] if p["part"] == "ce.datatype")
    sha = pin["sha256"]
    remote = SnapshotRemote(f"{s3.url}/snapshots")
    s3.fs.pipe_file(f"{s3.name}/snapshots/sha256/{sha[:2]}/{sha}", BAD_BYTES)
    store = SnapshotStore(tmp_path / "snapshots")

    res = resolve_source(ces, lock, store, mirror=Mirror(_ces_mirror(tmp_path, reference_dir)), remote=remote)

    assert res.obtained_from[sha] == "mirror" and not res.absent
    assert res.notes[0].startswith(
        f"remote copy corrupt: {remote.object_url(sha)}, hashes to {hashlib.sha256(BAD_BYTES).hexdigest()}, "
        f"expected {sha}"
    )
    assert remote.object_url(sha).startswith("s3://")
    assert store.verify(sha)
    kept = [p for p in (store.root / "quarantine").glob(f"{sha}.*") if p.suffix != ".json"]
    assert [k.read_bytes() for k in kept] == [BAD_BYTES]
