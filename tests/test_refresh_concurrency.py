"""One refresh at a time, and a lock that is replaced only if nobody else changed it meanwhile."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_refresh import PROJECT_ROOT
from test_refresh_kill_points import refresh_subprocess
from werkzeug.wrappers import Response

from pipeline.editions import list_editions, record_edition
from pipeline.lock import LockChangedError, LockError, lock_digest, write_new_lock
from pipeline.refresh import run_refresh
from pipeline.refresh_guard import RefreshBusyError, exclusive_refresh, guard_path

BUSY = re.compile(
    r"a refresh is already running \(pid (\d+), started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); "
    r"wait for it or, if that process is gone, run again"
)


def test_a_second_refresh_stops_at_once_and_exits_2(samples_project):
    p = samples_project
    lock_before = p.lock_path.read_bytes()
    with exclusive_refresh(p.lock_path):
        started = time.monotonic()
        second = refresh_subprocess()
        assert time.monotonic() - started < 30  # it did not wait for the lock
    assert second.returncode == 2, second.stdout + second.stderr
    assert int(BUSY.search(second.stderr).group(1)) == os.getpid()
    assert p.lock_path.read_bytes() == lock_before
    assert list_editions(p.lock_path) == []


def test_two_overlapping_refreshes_one_runs_the_other_is_refused(project, httpserver):
    gate = threading.Event()

    def slow(request):  # SYNTHETIC: the EP download hangs, so the first refresh is caught holding the lock
        gate.wait(20)
        return Response("Not Found", status=404)

    httpserver.expect_request("/emp/ind-occ-matrix/occupation.xlsx").respond_with_handler(slow)
    env = {**os.environ, "HTTP_TIMEOUT_S": "30", "HTTP_ATTEMPTS": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    cmd = [sys.executable, "-m", "pipeline.refresh", "--only", "employment_projections"]
    first = subprocess.Popen(
        cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for line in first.stdout:
            if "occupation.xlsx" in line:
                break
        second = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    finally:
        gate.set()
    rest = first.communicate(timeout=60)[0]
    assert second.returncode == 2 and int(BUSY.search(second.stderr).group(1)) == first.pid, second.stderr
    assert first.returncode == 0, rest  # the first went on to the end (EP not reached, previous pins kept)


def test_a_lock_held_by_a_dead_process_does_not_block(project):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pipeline.refresh_guard import exclusive_refresh\n"
            "with exclusive_refresh(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
            str(project.lock_path),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RefreshBusyError, match=rf"pid {holder.pid}, started"):
            run_refresh(project, progress=lambda _: None, only=["compensation_samples"])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    assert f"pid {holder.pid}" in guard_path(project.lock_path).read_text()  # its note stays, but not its lock
    report = run_refresh(project, progress=lambda _: None, only=["compensation_samples"])
    assert not report.lock_changed  # the committed CSV is the pinned one


def test_a_lock_changed_during_the_refresh_is_not_overwritten(samples_project):
    p = samples_project
    theirs = json.loads(p.lock_path.read_text())
    theirs["sources"]["compensation_samples"]["snapshots"][0]["note"] = "written by someone else meanwhile"

    def meanwhile(line: str) -> None:  # another writer replaces the lock while this refresh is fetching
        if line.startswith("[1/1]"):
            p.lock_path.write_text(json.dumps(theirs, indent=2))

    with pytest.raises(
        LockChangedError,
        match=rf"{re.escape(str(p.lock_path))} changed while this refresh ran.*"
        "Run the refresh again",
    ):
        run_refresh(p, progress=meanwhile, only=["compensation_samples"])
    assert json.loads(p.lock_path.read_text()) == theirs  # theirs is kept as they wrote it
    assert list_editions(p.lock_path) == []  # the edition copy that never became live is gone again
    assert not list(p.lock_path.parent.glob(".sources.lock-*"))
    assert not list(Path(os.environ["TMPDIR"]).glob("occupation-book-refresh-*"))
    report = run_refresh(p, progress=lambda _: None, only=["compensation_samples"])  # and running again works
    assert report.lock_changed and list_editions(p.lock_path) == [report.edition]


def test_the_refresh_command_reports_a_changed_lock_and_exits_2(samples_project, monkeypatch, capsys):
    from pipeline import editions

    p = samples_project
    real = editions.write_new_lock

    def then_someone_writes(path, lock):
        real(path, lock)
        p.lock_path.write_text(p.lock_path.read_text().replace('"version": 2', '"version":  2'))

    monkeypatch.setattr(editions, "write_new_lock", then_someone_writes)
    from pipeline.refresh import main

    assert main(["--only", "compensation_samples"]) == 2
    err = capsys.readouterr().err
    assert f"{p.lock_path} changed while this refresh ran" in err and "Run the refresh again" in err
    assert '"version":  2' in p.lock_path.read_text()  # the other writer's lock stands


def test_an_edition_file_is_never_overwritten(tmp_path):
    path = tmp_path / "editions" / "2026Q4.lock"
    path.parent.mkdir()
    path.write_text('{"kept": true}\n')
    with pytest.raises(LockError, match="already exists and is never overwritten"):
        write_new_lock(path, {"version": 2, "sources": {}})
    assert path.read_text() == '{"kept": true}\n'
    assert [f.name for f in path.parent.iterdir()] == ["2026Q4.lock"]  # no temporary file left


def test_recording_refuses_a_live_lock_that_changed_since_it_was_read(tmp_path):
    lock_path = tmp_path / "sources.lock"
    lock_path.write_text('{"version": 2, "sources": {}}\n')
    read_digest = lock_digest(lock_path)
    lock_path.write_text('{"version": 2, "sources": {}, "note": "someone else"}\n')
    from datetime import datetime, timezone

    with pytest.raises(LockChangedError):
        record_edition(
            lock_path,
            {"version": 2, "sources": {}},
            datetime(2026, 11, 29, tzinfo=timezone.utc),
            expect_sha256=read_digest,
        )
    assert "someone else" in lock_path.read_text()
    assert list_editions(lock_path) == []
    assert (
        record_edition(
            lock_path,
            {"version": 2, "sources": {}},
            datetime(2026, 11, 29, tzinfo=timezone.utc),
            expect_sha256=lock_digest(lock_path),
        )
        == "2026Q4"
    )
