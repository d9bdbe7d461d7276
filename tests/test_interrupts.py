"""A kill (SIGTERM) stops a build as Ctrl-C does, also when it runs in the background, where SIGINT is ignored.

Dagster points SIGTERM at SIGINT's handler whenever it runs a job in the process (pipeline/interrupts.py); in a
background job of a non-interactive shell that handler is "ignore". The one-op job here is SYNTHETIC. The whole
case, a catalogue on Celery workers killed in the background, is in tests/test_celery_catalog.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

AFTER_A_DAGSTER_RUN = """
import os, signal
import dagster as dg
from pipeline.interrupts import stop_on_sigterm

@dg.op
def synthetic_op():
    return 1

dg.GraphDefinition(name="synthetic", node_defs=[synthetic_op]).to_job().execute_in_process()
print("after dagster:", "ignored" if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN else "handled")
stop_on_sigterm()
try:
    os.kill(os.getpid(), signal.SIGTERM)
    print("not stopped")
except KeyboardInterrupt:
    print("stopped")
"""


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a non-interactive shell starts


def test_after_dagster_runs_a_job_a_background_process_still_stops_on_sigterm():
    result = subprocess.run(
        [sys.executable, "-c", AFTER_A_DAGSTER_RUN],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_ignoring_sigint,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Dagster left SIGTERM ignored, as SIGINT was; stop_on_sigterm makes it stop the build again.
    assert result.stdout.splitlines()[-2:] == ["after dagster: ignored", "stopped"]
