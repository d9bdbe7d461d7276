"""The marts alone, for every occupation in the current release in one pass, in a process of its own.

Usage: python -m bench.marts_build_step WORK_DIR
WORK_DIR must hold a built warehouse (bench.warehouse_build_step leaves one). The marts' step state is removed
first, so every mart is rebuilt from the staging tables; nothing else runs. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def main(work_dir: str) -> dict:
    work = Path(work_dir)
    os.environ["WAREHOUSE_DIR"] = str(work)
    os.environ.pop("SOURCES_MIRROR", None)

    import dagster as dg
    import duckdb

    from pipeline.definitions import all_assets, all_checks, marts
    from pipeline.incremental import StepState
    from pipeline.resources import default_resources

    names = [m.key.path[-1] for m in marts]
    for name in names:
        StepState(work / "state", name).clear()
    start = time.perf_counter()
    result = dg.materialize(
        [*all_assets, *all_checks],
        selection=dg.AssetSelection.assets(*marts),
        resources=default_resources(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    seconds = time.perf_counter() - start
    if not result.success:
        raise SystemExit("the marts failed to build; run `make book` to see why")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        rows = {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names}
        detailed = con.execute(
            "SELECT count(*) FROM mart_oews__national_wages WHERE occupation_display_level = 3"
        ).fetchall()[0][0]
        every = con.execute("SELECT count(*) FROM mart_oews__national_wages").fetchall()[0][0]
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "marts": rows,
        "detailed_occupations": detailed,
        "occupations": every,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
