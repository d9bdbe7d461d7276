"""A refresh SIGKILLed at each checkpoint leaves a valid lock, valid editions and a whole store; the next refresh
clears what it left behind and succeeds.

The refresh runs as a subprocess with OCCUPATION_BOOK_KILL_AT (the test-only fault hook in pipeline/refresh.py)
and only the compensation samples source, whose "origin" is a CSV file: a SYNTHETIC one-row CSV (samples_project,
tests/conftest.py), so the refresh changes the lock without any network.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_refresh import PROJECT_ROOT

from pipeline.editions import edition_key, list_editions
from pipeline.lock import read_lock
from pipeline.refresh import CHECKPOINTS, KILL_AT_ENV, format_report, run_refresh


def refresh_subprocess(kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop(KILL_AT_ENV, None)
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "pipeline.refresh", "--only", "compensation_samples"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_store_whole(snapshot_dir: Path) -> None:
    """Every object is named by its own SHA-256 and has its sidecar; no half-written file sits under a name."""
    objects = (
        [p for p in (snapshot_dir / "sha256").rglob("*") if p.is_file() and p.suffix != ".json"]
        if (snapshot_dir / "sha256").exists()
        else []
    )
    for obj in objects:
        assert hashlib.sha256(obj.read_bytes()).hexdigest() == obj.name, obj
        assert obj.with_suffix(".json").exists(), f"{obj} has no sidecar"


@pytest.mark.parametrize("kill_at", CHECKPOINTS)
def test_a_refresh_killed_at_each_checkpoint_loses_nothing_and_the_next_recovers(samples_project, kill_at):
    p = samples_project
    lock_before = p.lock_path.read_bytes()
    live_edition = json.loads(lock_before)["edition"]
    tmpdir = Path(os.environ["TMPDIR"])

    killed = refresh_subprocess(kill_at)
    assert killed.returncode == -9, killed.stdout + killed.stderr  # it really died at the checkpoint

    # The live lock is the one it was, and valid; every edition file is valid; the store is whole.
    assert p.lock_path.read_bytes() == lock_before
    read_lock(p.lock_path)
    for name in list_editions(p.lock_path):
        read_lock(p.lock_path.parent / "editions" / f"{name}.lock")
    assert_store_whole(p.snapshot_dir)

    # What it left behind, depending on where it died (so the recovery below has something to clear).
    leftover_staging = list(tmpdir.glob("occupation-book-refresh-*"))
    assert leftover_staging, "a killed refresh leaves its staging folder (its `finally` never ran)"
    orphans = list_editions(p.lock_path)
    if kill_at in ("edition-written", "before-lock-rename"):
        assert len(orphans) == 1 and edition_key(orphans[0]) > edition_key(live_edition)
    else:
        assert orphans == []
    temp_locks = list(p.lock_path.parent.glob(".sources.lock-*"))
    assert bool(temp_locks) == (kill_at == "before-lock-rename")

    # The next refresh clears all of it and records the next edition after the live one.
    report = run_refresh(p, progress=lambda _: None, only=["compensation_samples"])
    assert report.lock_changed, format_report(report, p.lock_path)
    assert report.edition == (orphans[0] if orphans else report.edition)  # an orphan's name is reused
    assert list_editions(p.lock_path) == [report.edition]
    assert edition_key(report.edition) > edition_key(live_edition)
    lock = read_lock(p.lock_path)
    assert lock["edition"] == report.edition
    assert (p.lock_path.parent / "editions" / f"{report.edition}.lock").read_bytes() == p.lock_path.read_bytes()
    [pin] = lock["sources"]["compensation_samples"]["snapshots"]
    assert pin["rows"] == 1
    assert not list(p.lock_path.parent.glob(".sources.lock-*"))
    assert not list(tmpdir.glob("occupation-book-refresh-*"))
    assert_store_whole(p.snapshot_dir)


def test_the_refresh_command_succeeds_without_a_kill(samples_project):
    """The same subprocess without the fault hook completes: the kills above are the only thing stopping it."""
    p = samples_project
    done = refresh_subprocess()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compensation_samples / compensation_samples.csv" in done.stdout and "changed" in done.stdout
    assert read_lock(p.lock_path)["sources"]["compensation_samples"]["snapshots"][0]["rows"] == 1
    assert not list(Path(os.environ["TMPDIR"]).glob("occupation-book-refresh-*"))


def test_staging_folders_of_other_locks_are_left_alone(samples_project, tmp_path):
    """Only staging folders that name this lock are cleared: another checkout may be refreshing right now."""
    other = Path(os.environ["TMPDIR"]) / "occupation-book-refresh-other"
    other.mkdir()
    (other / ".owner").write_text(str(tmp_path / "another-checkout" / "sources.lock"))
    run_refresh(samples_project, progress=lambda _: None, only=["compensation_samples"])
    assert other.exists()
