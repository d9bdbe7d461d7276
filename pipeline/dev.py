"""`make dev`: start the Dagster UI on 127.0.0.1 over pipeline.definitions, with a clean signal setup, so Ctrl-C
(or SIGTERM) stops it.

The UI runs the same jobs as `make book` and `make catalog`. Before it starts, the occupations of an existing
warehouse are registered as partitions in DAGSTER_HOME, so the UI offers every occupation at once (otherwise they
appear when the UI first runs `build_warehouse`).

A process started in the background by a non-interactive shell inherits SIGINT as *ignored*, and exec keeps
that, so `dagster dev` would never see Ctrl-C. Restoring the default dispositions before exec fixes it.
"""

import os
import signal
import sys
from pathlib import Path


def register_warehouse_occupations() -> int:
    """Register the warehouse's occupations as partitions of the DAGSTER_HOME instance; return how many are new."""
    import dagster as dg
    import duckdb

    from pipeline.occupation import known_occupations
    from pipeline.partitions import register_occupations
    from pipeline.settings import paths

    db = paths().duckdb_path
    if not db.exists() or not os.environ.get("DAGSTER_HOME"):
        return 0
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            socs = sorted(known_occupations(con))
    except duckdb.Error as exc:  # a build is writing it, or it is from an interrupted first build
        print(
            f"The occupations of {db} are not registered yet ({exc}); running build_warehouse registers them.",
            file=sys.stderr,
        )
        return 0
    instance = dg.DagsterInstance.get()
    try:
        return len(register_occupations(instance, socs))
    finally:
        instance.dispose()


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    register_warehouse_occupations()
    dagster = Path(sys.executable).parent / "dagster"
    port = os.environ.get("DAGSTER_PORT", "3000")
    os.execv(str(dagster), [str(dagster), "dev", "-m", "pipeline.definitions", "-h", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
