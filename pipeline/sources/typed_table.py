"""Write Python rows into a DuckDB table whose column types are declared, not inferred."""

from __future__ import annotations

import pandas as pd


def create_typed_table(
    con, table: str, columns: list[tuple[str, str]], rows: list[dict], order_by: str | None = None
) -> int:
    """CREATE OR REPLACE ``table`` with the declared columns, insert ``rows`` (dicts by column), return the count.

    The rows travel as an object-typed frame and DuckDB casts each column: None stays NULL (a typed pandas frame
    would turn a missing integer into a float NaN), and a value that does not fit its type fails loudly.
    The table exists, empty, when there are no rows, so downstream SQL works when a source is absent.
    """
    con.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
    if rows:
        frame = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c, _ in columns})
        view = f"_{table}_rows"
        casts = ", ".join(f"CAST({c} AS {t.replace(' NOT NULL', '')})" for c, t in columns)
        con.register(view, frame)
        try:
            con.execute(
                f"INSERT INTO {table} SELECT {casts} FROM {view}" + (f" ORDER BY {order_by}" if order_by else "")
            )
        finally:
            con.unregister(view)
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
