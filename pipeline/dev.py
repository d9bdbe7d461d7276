"""`make dev`: start the Dagster UI on 127.0.0.1 with a clean signal setup, so Ctrl-C (or SIGTERM) stops it.

A process started in the background by a non-interactive shell inherits SIGINT as *ignored*, and exec keeps
that, so `dagster dev` would never see Ctrl-C. Restoring the default dispositions before exec fixes it.
"""

import os
import signal
import sys
from pathlib import Path


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    dagster = Path(sys.executable).parent / "dagster"
    port = os.environ.get("DAGSTER_PORT", "3000")
    os.execv(str(dagster), [str(dagster), "dev", "-m", "pipeline.definitions", "-h", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
