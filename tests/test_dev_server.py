"""`make dev`: the Dagster UI serves the asset graph on 127.0.0.1 and stops on SIGINT, even when started in
the background (where the shell hands it SIGINT as ignored)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dev_server_shows_the_asset_graph_and_stops_on_sigint(tmp_path):
    port = _free_port()
    env = os.environ | {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_PORT": str(port),
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "BUILD_DIR": str(tmp_path / "build"),
    }
    # Simulate a background start: SIGINT ignored in the parent is inherited by the child.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.dev"],
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
        keys = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and keys is None:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(req, timeout=5) as resp:
                    keys = {"/".join(n["assetKey"]["path"]) for n in json.load(resp)["data"]["assetNodes"]}
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        assert keys is not None, "the Dagster UI did not answer within 90 s"
        assert {"raw_oews__current_release", "stg_oews__cells", "mart_oews__national_wages", "book"} <= keys
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) is not None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
