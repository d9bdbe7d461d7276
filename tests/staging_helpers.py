"""Helpers shared by the staging-loader tests: run a loader as the pipeline does, and read rows back."""

from __future__ import annotations

import duckdb


def load(loader, store, snaps, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("BEGIN TRANSACTION")  # the caller owns the transaction
    counts = loader(con, store, snaps)
    con.execute("COMMIT")
    return con, counts


def rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
