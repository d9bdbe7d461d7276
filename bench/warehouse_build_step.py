"""One cold build of the whole warehouse (every source's staging tables, the seed, every mart and every check),
for every occupation in one pass, in its own process so that its peak memory is its own.

Usage: python -m bench.warehouse_build_step WORK_DIR
WORK_DIR/snapshots must already hold the pinned snapshots; the warehouse file and step state are removed first,
so nothing is skipped. Prints one JSON object: wall seconds, peak resident memory (MiB) and table row counts.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path


def main(work_dir: str) -> dict:
    work = Path(work_dir)
    for stale in (work / "warehouse.duckdb", work / "warehouse.duckdb.wal", work / "state"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    os.environ["WAREHOUSE_DIR"] = str(work)
    os.environ.pop("SOURCES_MIRROR", None)  # the store is populated: the bench measures the build, not copying

    import dagster as dg
    import duckdb

    from pipeline.definitions import all_assets, all_checks
    from pipeline.resources import default_resources

    groups = {"snapshots", "lineage", "staging", "marts"}
    selection = dg.AssetSelection.groups(*groups)
    start = time.perf_counter()
    result = dg.materialize(
        [*all_assets, *all_checks],
        selection=selection,
        resources=default_resources(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    seconds = time.perf_counter() - start
    if not result.success:
        raise SystemExit("the warehouse build failed; run `make book` to see why")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        tables = dict(
            con.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name").fetchall()
        )
        exact = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
        occupations = con.execute("SELECT count(*) FROM mart_oews__national_wages").fetchall()[0][0]
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tables": exact,
        "occupations": occupations,
        "checks_run": sum(1 for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"),
        # Each step's own time, as Dagster measured it: a source's staging load beside the others (the CPI's
        # beside the OEWS release's, for example).
        "step_seconds": {
            e.step_key: round(e.step_success_data.duration_ms / 1000, 3)
            for e in result.all_events
            if e.event_type_value == "STEP_SUCCESS" and e.step_key
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
