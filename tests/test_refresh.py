"""`make refresh` end to end against a local server: real BLS files, and each fault BLS can throw at us.

Every fault must end with the right outcome, name the source, and leave the lock and the snapshot store
exactly as they were. Real files (pinned in tests/reference_files.py) are read in place; the faults are
SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
from werkzeug.wrappers import Response

from pipeline.editions import edition_key
from pipeline.refresh import format_report, run_refresh

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _tree(root: Path) -> dict[str, str]:
    """Every file under root with its SHA-256: the state a failed refresh must leave alone."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _zip_of(xlsx: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(xlsx, f"{xlsx.stem}/{xlsx.name}")
    return buf.getvalue()


def _serve_history(httpserver, real_file, body=None, status=200, **kw):
    real = _zip_of(real_file("oews/national/national_M2024_dl.xlsx")) if body is None else None
    httpserver.expect_request("/oes/special-requests/oesm24nat.zip").respond_with_data(
        real if body is None else body, status=status, content_type=kw.get("content_type", "application/zip")
    )
    httpserver.expect_request("/oes/special-requests/oesm25nat.zip").respond_with_data("Not Found", status=404)
    return real


def _refresh_unchanged(project, only, expect_in_report):
    lock_before = project.lock_path.read_bytes()
    store_before = _tree(project.snapshot_dir)
    report = run_refresh(project, progress=lambda _: None, only=only)
    text = format_report(report, project.lock_path)
    assert not report.lock_changed, text
    assert project.lock_path.read_bytes() == lock_before
    assert _tree(project.snapshot_dir) == store_before
    assert expect_in_report in text, text
    assert not list(Path(os.environ["TMPDIR"]).iterdir()), "the staging area was not cleaned up"
    return text


def test_real_workbook_is_fetched_pinned_and_counted(project, httpserver, real_file):
    real = _serve_history(httpserver, real_file)
    before_lock = json.loads(project.lock_path.read_text())
    before_edition = before_lock["edition"]
    before = {p["part"]: p for p in before_lock["sources"]["oews_history"]["snapshots"]}
    report = run_refresh(project, progress=lambda _: None, only=["oews_history"])
    assert report.lock_changed
    pins = {p["part"]: p for p in json.loads(project.lock_path.read_text())["sources"]["oews_history"]["snapshots"]}
    pin = pins["oesm24nat"]
    assert pin["sha256"] == hashlib.sha256(real).hexdigest()
    # The committed lock pinned the mirrored workbook; the official zip replaces it, and the other years stay.
    assert before["oesm24nat"]["relation"] == "member-of-archive"
    assert {k: v["sha256"] for k, v in pins.items() if k != "oesm24nat"} == {
        k: v["sha256"] for k, v in before.items() if k != "oesm24nat"
    }
    assert (pin["origin"], pin["relation"], pin["part"]) == ("official", "identical", "oesm24nat")
    assert pin["rows"] == 1403  # data rows of national_M2024_dl.xlsx (1,404 sheet rows less the header)
    assert (project.snapshot_dir / "sha256" / pin["sha256"][:2] / pin["sha256"]).read_bytes() == real
    text = format_report(report, project.lock_path)
    assert "oews_history / oesm24nat" in text and "changed" in text
    assert "oesm25nat" in text and "NOT REACHED" in text  # named, and the rest still pinned
    # The changed lock is a new edition: kept under editions/, named after the one it replaces, and said so.
    assert report.edition and report.edition != before_edition
    assert edition_key(report.edition) > edition_key(before_edition)
    assert (
        project.lock_path.parent / "editions" / f"{report.edition}.lock"
    ).read_bytes() == project.lock_path.read_bytes()
    assert json.loads(project.lock_path.read_text())["edition"] == report.edition
    assert f"recorded as edition {report.edition}" in text
    # A second refresh of the same bytes changes nothing.
    again = run_refresh(project, progress=lambda _: None, only=["oews_history"])
    assert not again.lock_changed and again.edition is None
    assert "unchanged" in format_report(again, project.lock_path)
    assert len(list((project.lock_path.parent / "editions").glob("*.lock"))) == 1  # no edition without a change


def test_403_without_contact_user_agent(project, httpserver, monkeypatch):
    monkeypatch.setenv("BLS_CONTACT", "no contact given")

    def bls_like(request):  # SYNTHETIC: BLS answers 403 to a User-Agent with no e-mail address
        if "@" not in request.headers.get("User-Agent", ""):
            return Response("Access Denied", status=403)
        return Response(b"PK")

    httpserver.expect_request("/oes/special-requests/oesm24nat.zip").respond_with_handler(bls_like)
    httpserver.expect_request("/oes/special-requests/oesm25nat.zip").respond_with_handler(bls_like)
    _refresh_unchanged(project, ["oews_history"], "BLS_CONTACT")


def test_429_then_success_pins_the_file(project, httpserver, real_file):
    real = _zip_of(real_file("oews/national/national_M2024_dl.xlsx"))
    httpserver.expect_ordered_request("/oes/special-requests/oesm24nat.zip").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/oes/special-requests/oesm24nat.zip").respond_with_data(real)
    httpserver.expect_request("/oes/special-requests/oesm25nat.zip").respond_with_data("Not Found", status=404)
    report = run_refresh(project, progress=lambda _: None, only=["oews_history"])
    assert report.lock_changed
    assert [c.status for c in report.changes if c.part == "oesm24nat"] == ["changed"]  # mirror copy -> official zip


def test_persistent_500s(project, httpserver, real_file):
    _serve_history(httpserver, real_file, body="Internal Server Error", status=500)
    _refresh_unchanged(project, ["oews_history"], "gave up after 3 attempts; last error: HTTP 500")


def test_timeout(project, httpserver):
    release = threading.Event()

    def stalls(request):  # SYNTHETIC: a server that never answers within the timeout
        release.wait(3)
        return Response("late")

    httpserver.expect_request("/oes/special-requests/oesm24nat.zip").respond_with_handler(stalls)
    httpserver.expect_request("/oes/special-requests/oesm25nat.zip").respond_with_data("Not Found", status=404)
    try:
        _refresh_unchanged(project, ["oews_history"], "timed out")
    finally:
        release.set()


def test_truncated_body(project, httpserver, real_file):
    real = _zip_of(real_file("oews/national/national_M2024_dl.xlsx"))
    httpserver.expect_request("/oes/special-requests/oesm24nat.zip").respond_with_response(
        Response(iter([real[: len(real) // 2]]), headers={"Content-Length": str(len(real))}, direct_passthrough=True)
    )
    httpserver.expect_request("/oes/special-requests/oesm25nat.zip").respond_with_data("Not Found", status=404)
    _refresh_unchanged(project, ["oews_history"], "oesm24nat")


def test_html_page_instead_of_workbook(project, httpserver, real_file):
    _serve_history(
        httpserver, real_file, body="<!DOCTYPE html><html><body>Access Denied</body></html>", content_type="text/html"
    )
    _refresh_unchanged(project, ["oews_history"], "the server sent an HTML page")


def test_workbook_with_a_renamed_column(project, httpserver, real_file, tmp_path):
    wb = openpyxl.load_workbook(real_file("oews/national/national_M2024_dl.xlsx"))
    ws = wb.worksheets[0]
    for cell in ws[1]:
        if cell.value == "A_MEDIAN":
            cell.value = "A_MEDIAN_WAGE"  # SYNTHETIC drift: BLS renames a column
    drifted = tmp_path / "national_M2024_dl.xlsx"
    wb.save(drifted)
    _serve_history(httpserver, real_file, body=_zip_of(drifted))
    text = _refresh_unchanged(project, ["oews_history"], "has no column A_MEDIAN")
    assert "oesm24nat.zip" in text


def test_bls_api_error_json(project, httpserver, monkeypatch):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(time.gmtime().tm_year))
    error = {
        "status": "REQUEST_NOT_PROCESSED",
        "responseTime": 12,
        "message": [
            "Request could not be serviced, as the daily threshold for total number of requests "
            "allocated to the user has been reached."
        ],
        "Results": {},
    }  # SYNTHETIC
    httpserver.expect_request("/publicAPI/v2/timeseries/data/", method="POST").respond_with_json(error)
    _refresh_unchanged(project, ["jolts"], "daily")


def test_mirror_refresh_pins_what_the_mirror_holds_and_names_the_rest(project, monkeypatch, reference_dir):
    monkeypatch.setenv("SOURCES_MIRROR", str(reference_dir))
    monkeypatch.setenv("OEWS_HISTORY_FIRST_YEAR", "2020")
    for name in ("BLS_WWW_URL", "BLS_DOWNLOAD_URL", "BLS_API_URL", "FTC_WWW_URL"):
        monkeypatch.delenv(name)  # the mirror's index is keyed by the official URLs
    remote = project.warehouse_dir.parent / "team-remote"
    monkeypatch.setenv("SNAPSHOT_REMOTE", f"file://{remote}")
    report = run_refresh(project, progress=lambda _: None)
    lock = json.loads(project.lock_path.read_text())["sources"]
    history = {p["part"]: p for p in lock["oews_history"]["snapshots"]}
    assert sorted(history) == ["oesm20nat", "oesm21nat", "oesm22nat", "oesm23nat", "oesm24nat"]
    # The mirror holds the workbook inside the official zip: never claim the zip's hash.
    assert {p["relation"] for p in history.values()} == {"member-of-archive"}
    assert history["oesm20nat"]["sha256"] == "ac0a59b501cd5d4c5966e799c39b1830f93b92c3cc6cd8af301dc7959a4c2cb1"
    editions = {p["part"] for p in lock["employment_projections"]["snapshots"]}
    assert editions == {"edition 2024-34", "edition 2016-26"}
    assert {p["filename"] for p in lock["ces"]["snapshots"]} == {"ce.industry", "ce.datatype"}
    assert lock["oews_current"]["snapshots"][0]["origin"] == "package"
    assert lock["compensation_samples"]["snapshots"][0]["rows"] == 0
    assert set(report.unreachable) >= {"oews_history", "ces", "jolts", "ftc"}  # oesm25nat, the API, ftc.gov
    assert "oesm25nat" in report.unreachable["oews_history"]
    # Every pinned object is in the local store and was pushed to the team's remote.
    for src in lock.values():
        for pin in src["snapshots"]:
            assert (project.snapshot_dir / "sha256" / pin["sha256"][:2] / pin["sha256"]).exists()
            assert (remote / "sha256" / pin["sha256"][:2] / pin["sha256"]).exists()


def test_killed_refresh_leaves_everything_as_it_was(project, httpserver, real_file, tmp_path):
    _serve_history(httpserver, real_file)
    gate = threading.Event()

    def never(request):  # SYNTHETIC: the EP download hangs, so the refresh is caught halfway
        gate.wait(20)
        return Response("late")

    httpserver.expect_request("/emp/ind-occ-matrix/occupation.xlsx").respond_with_handler(never)
    lock_before = project.lock_path.read_bytes()
    store_before = _tree(project.snapshot_dir)
    env = {**os.environ, "HTTP_TIMEOUT_S": "30", "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.refresh", "--only", "oews_history", "employment_projections"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if "occupation.xlsx" in line:  # history is fetched and staged; EP is in flight
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        gate.set()
    assert any("oesm24nat" in line for line in seen), seen
    assert project.lock_path.read_bytes() == lock_before
    assert _tree(project.snapshot_dir) == store_before
    assert not (project.warehouse_dir / "warehouse.duckdb").exists()
