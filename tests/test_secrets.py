"""The BLS API key (BLS_API_KEY, environment only) goes on the wire and is written nowhere.

A refresh of the two API sources (CES, JOLTS) runs as `make refresh` runs it (`python -m pipeline.refresh`, in a
subprocess, its stdout and stderr kept as logs) against a local server answering the API with SYNTHETIC JSON;
then the warehouse is built from the lock it wrote (`python -m pipeline.build --warehouse-only`, with Dagster's
run history recorded), with the key still in the environment. The first API query meets a transient error page
that quotes the key, as a misbehaving server might. Every file either wrote is scanned for the key:
the lock and its edition copy, the snapshot store's objects and sidecars, the snapshot remote, the DuckDB
warehouse (its bytes, and every text value of every table, since DuckDB compresses strings), the state files,
DAGSTER_HOME, the temporary folder and the logs.

Why not a book: a book build adds minutes (Jupyter Book, 22 executed pages) and needs the OEWS sources, so it
cannot run from a CES/JOLTS-only lock. The pages read only the warehouse and the lock, both scanned here; the
warehouse build also runs the same Dagster machinery (run storage, event logs) that the book runs go through.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
from werkzeug.wrappers import Response

PROJECT_ROOT = Path(__file__).resolve().parents[1]
API_PATH = "/publicAPI/v2/timeseries/data/"
# A distinctive fake key whose URL-encoded and JSON-escaped forms differ from it, so each form is looked for.
SECRET = 'SYNTHETIC-KEY/7f3c+9e21 b4d8="a6"'


def secret_forms(secret: str) -> dict[str, bytes]:
    """The key as any writer might spell it: raw, URL-encoded (path or form style), JSON-escaped."""
    forms = {
        "raw": secret,
        "url": quote(secret, safe=""),
        "url_plus": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
    }
    return {name: text.encode() for name, text in forms.items()}


def scan_for_secret(root: Path, secret: str) -> list[str]:
    """Every place under root holding the key in any of its forms: 'path (form)', or 'path table.column (form)'."""
    forms = secret_forms(secret)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip: look inside as well
            data += gzip.decompress(data)
        found += [f"{path} ({name})" for name, form in forms.items() if form in data]
        if data[8:12] == b"DUCK":  # DuckDB compresses strings, so the bytes alone can miss a stored key
            found += [f"{path} {where}" for where in _duckdb_values_holding(path, forms)]
    return found


def _duckdb_values_holding(path: Path, forms: dict[str, bytes]) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database()"
        ).fetchall()
        found = []
        for schema, table, column in columns:
            for name, form in forms.items():
                hits = con.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE contains(CAST("{column}" AS VARCHAR), ?)',
                    [form.decode()],
                ).fetchone()[0]
                if hits:
                    found.append(f"{table}.{column} ({name})")
        return found
    finally:
        con.close()


def synthetic_answer(body: dict) -> dict:
    """SYNTHETIC BLS API answer: three monthly points for every series the query asked for."""
    end = body["endyear"]
    series = [
        {
            "seriesID": sid,
            "data": [
                {"year": end, "period": f"M0{m}", "periodName": "", "value": f"{100 + m}.5", "footnotes": [{}]}
                for m in (3, 2, 1)
            ],
        }
        for sid in body["seriesid"]
    ]
    return {"status": "REQUEST_SUCCEEDED", "responseTime": 9, "message": [], "Results": {"series": series}}


def run_logged(args: list[str], env: dict[str, str], logs: Path, name: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    (logs / f"{name}.stdout.log").write_text(result.stdout)
    (logs / f"{name}.stderr.log").write_text(result.stderr)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_the_scanner_finds_a_planted_key(tmp_path):
    """The scan below can fail: a key planted raw, URL-encoded, gzipped or inside a DuckDB table is found."""
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "log.txt").write_text(f"GET /x?registrationkey={quote_plus(SECRET)}\n")
    (tmp_path / "sidecar.json").write_text(json.dumps({"query": {"registrationkey": SECRET}}))
    (tmp_path / "raw.bin").write_bytes(b"\x00" + SECRET.encode() + b"\x00")
    (tmp_path / "object.gz").write_bytes(gzip.compress(f"key={SECRET}".encode()))
    con = duckdb.connect(str(tmp_path / "planted.duckdb"))
    con.execute("CREATE TABLE meta AS SELECT 'row ' || i || ' ' || ? AS note FROM range(50000) t(i)", [SECRET])
    con.close()
    (tmp_path / "clean.txt").write_text("SYNTHETIC-KEY without the rest\n")

    found = scan_for_secret(tmp_path, SECRET)

    assert any("log.txt (url_plus)" in f for f in found), found
    assert any("sidecar.json (json)" in f for f in found), found
    assert any("raw.bin (raw)" in f for f in found), found
    assert any("object.gz (raw)" in f for f in found), found
    assert any("planted.duckdb meta.note (raw)" in f for f in found), found
    assert not any("clean.txt" in f for f in found), found


def test_a_refresh_and_a_build_write_the_key_nowhere(tmp_path, httpserver, real_file):
    run = tmp_path / "run"
    logs, remote = run / "logs", run / "remote"
    for folder in (logs, run / "tmp", remote):
        folder.mkdir(parents=True)
    for name in ("ce.industry", "ce.datatype"):  # real lookup files, read in place
        httpserver.expect_request(f"/pub/time.series/ce/{name}").respond_with_data(
            real_file(f"ces/{name}").read_bytes(), content_type="text/plain"
        )
    queries: list[dict] = []

    def api(request):
        body = json.loads(request.data)
        queries.append(body)
        if len(queries) == 1:  # SYNTHETIC: a transient error page quoting the key; the retry then succeeds
            return Response(f"Service unavailable for key {body.get('registrationkey')}", status=503)
        return Response(json.dumps(synthetic_answer(body)), content_type="application/json")

    httpserver.expect_request(API_PATH, method="POST").respond_with_handler(api)
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCES_MIRROR", "SOC", "EDITION", "STRICT")} | {
        "BLS_API_KEY": SECRET,
        "PYTHONPATH": str(PROJECT_ROOT),
        "WAREHOUSE_DIR": str(run / "warehouse"),
        "BUILD_DIR": str(run / "build"),
        "SOURCES_LOCK": str(run / "lock" / "sources.lock"),
        "SNAPSHOT_REMOTE": f"file://{remote}",
        "DAGSTER_HOME": str(run / "dagster_home"),
        "RECORD_RUNS": "1",
        "TMPDIR": str(run / "tmp"),
        "BLS_DOWNLOAD_URL": httpserver.url_for("/"),
        "BLS_API_URL": httpserver.url_for(API_PATH),
        "BLS_CONTACT": "maintainer@example.org",
        "MONTHLY_SERIES_FIRST_YEAR": "2024",
        "HTTP_ATTEMPTS": "2",
        "HTTP_BACKOFF_S": "0.01",
        "HTTP_TIMEOUT_S": "5",
    }

    run_logged(["pipeline.refresh", "--only", "ces", "jolts"], env, logs, "refresh")
    run_logged(["pipeline.build", "--warehouse-only"], env, logs, "build")

    # The key did go on the wire, and the refresh and build did write what is scanned.
    assert len(queries) == 3 and all(q.get("registrationkey") == SECRET for q in queries)
    lock = json.loads((run / "lock" / "sources.lock").read_text())
    for source in ("ces", "jolts"):
        api_pins = [p for p in lock["sources"][source]["snapshots"] if p["part"].startswith("api:")]
        assert api_pins, f"{source}: no API answer was pinned"
        assert all((remote / "sha256" / p["sha256"][:2] / p["sha256"]).exists() for p in api_pins)
    con = duckdb.connect(str(run / "warehouse" / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM stg_jolts__observations").fetchone()[0] > 0
    con.close()
    assert any((run / "dagster_home").rglob("*.db")), "no Dagster run storage was written"

    assert scan_for_secret(run, SECRET) == []
