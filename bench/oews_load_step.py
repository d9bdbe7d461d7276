"""One measured step of the OEWS load benchmark, run in its own process so its peak memory is its own.

Usage: python -m bench.oews_load_step {scan|copy|load|package} FLAT_FILE DB_PATH
Prints one JSON object: the step, wall seconds and peak resident memory (MiB) of this process.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import oews_current
from pipeline.transaction import transaction

READER = (
    "read_csv('{path}', delim='\\t', header=true, quote='', escape='', "
    "columns={{'series_id': 'VARCHAR', 'year': 'VARCHAR', 'period': 'VARCHAR', 'value': 'VARCHAR', "
    "'footnote_codes': 'VARCHAR'}}, strict_mode=true, null_padding=false)"
)


def main(step: str, flat_file: str, db_path: str) -> dict:
    Path(db_path).unlink(missing_ok=True)
    con = duckdb.connect(db_path)
    reader = READER.format(path=flat_file)
    start = time.perf_counter()
    if step == "scan":
        # DuckDB reading the same bytes and doing nothing else: parse every column, keep nothing.
        rows = con.execute(
            f"SELECT count(series_id), count(year), count(period), count(value), count(footnote_codes) FROM {reader}"
        ).fetchone()[0]
    elif step == "copy":
        # Reading plus storing, with no transformation: a second, stricter-to-beat reference.
        con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}")
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    elif step == "load":
        con.execute("BEGIN TRANSACTION")
        oews_current.load_flat_data_file(con, Path(flat_file), "oe.data.0.Current")
        con.execute("COMMIT")
        rows = con.execute("SELECT count(*) FROM stg_oews__cells").fetchone()[0]
    elif step == "package":
        with tempfile.TemporaryDirectory() as tmp:
            store = SnapshotStore(Path(tmp))
            snaps = oews_current.snapshot_from_package(store)
            start = time.perf_counter()
            with transaction(con):
                oews_current.load_staging(con, store, snaps)
        rows = con.execute("SELECT count(*) FROM stg_oews__cells").fetchone()[0]
    else:
        raise SystemExit(f"unknown step {step!r}")
    elapsed = time.perf_counter() - start
    con.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"step": step, "seconds": round(elapsed, 3), "peak_rss_mib": round(peak_mib, 1), "rows": rows}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
