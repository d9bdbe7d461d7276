"""One DuckDB transaction: every table a step writes appears together, or none does."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def transaction(con):
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
