"""Lineage inside the warehouse: which snapshots each staging table was built from, and how many rows it got;
which tables a query reads (parsed by DuckDB), and so which tables each mart is built from.

The snapshot catalogue itself (meta_snapshots, meta_sources) is written by pipeline/assets/catalog.py.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from pathlib import Path

import duckdb

from pipeline.settings import SQL_DIR
from pipeline.snapshot_store import SnapshotMeta


def record_lineage(
    con, snaps: list[SnapshotMeta], counts: dict[str, int], built_at: str, table_parts: dict[str, str] | None = None
) -> None:
    """Replace the lineage rows of the given tables: one row per (table, snapshot) with the table's row count.

    ``table_parts`` names, for a table loaded from one part of its source only, that part: the table is then
    traced to that part's snapshots alone (each cited-facts table to its own file), not to all of the source's."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS meta_table_lineage (
            table_name VARCHAR, source_id VARCHAR, sha256 VARCHAR, rows_loaded BIGINT, built_at VARCHAR
        )
        """
    )
    con.execute("DELETE FROM meta_table_lineage WHERE list_contains(?, table_name)", [list(counts)])
    for table, n in counts.items():
        part = (table_parts or {}).get(table)
        for s in [s for s in snaps if part is None or s.part == part]:
            con.execute(
                "INSERT INTO meta_table_lineage VALUES (?, ?, ?, ?, ?)", [table, s.source_id, s.sha256, n, built_at]
            )


# ---------------------------------------------------------------- which tables a query reads
# The project's tables by layer; anything else a query names (a CTE, a registered DataFrame, information_schema)
# is not a warehouse table.
TABLE_PREFIXES = ("stg_", "core_", "mart_", "seed_", "meta_")
_CREATE_AS = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TABLE|VIEW)\s+\S+\s+AS\s+(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_parser = threading.local()


def _parser_connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_parser, "con", None)
    if con is None:
        con = _parser.con = duckdb.connect()
    return con


DESCRIPTION = re.compile(r"^--\s*description:\s*(.+)$", re.MULTILINE)


def sql_description(sql: str) -> str:
    """A mart's one-line description, from its `-- description:` header (its inputs are derived, never typed)."""
    found = DESCRIPTION.search(sql)
    return found.group(1).strip() if found else ""


@functools.lru_cache(maxsize=4096)
def tables_read(sql: str) -> frozenset[str]:
    """The warehouse tables a statement reads, from DuckDB's own parse tree (``catalog.table`` when attached).

    DuckDB's ``get_table_names`` binds USING joins and fails on our marts, so this walks ``json_serialize_sql``,
    which parses without binding. ``CREATE TABLE x AS <query>`` reads what its query reads; statements that read
    no table (ATTACH, SET) read nothing.
    """
    body = _strip_comments(sql).strip().rstrip(";")
    created = _CREATE_AS.match(body)
    if created:
        body = created.group(1)
    tree = json.loads(_parser_connection().execute("SELECT json_serialize_sql(?)", [body]).fetchall()[0][0])
    if tree.get("error"):
        return frozenset()
    bases: set[str] = set()
    ctes: set[str] = set()
    _walk(tree, bases, ctes)
    return frozenset(name for name in bases - ctes if name.split(".")[-1].startswith(TABLE_PREFIXES))


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _walk(node, bases: set[str], ctes: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and "table_name" in node:
            qualifier = node.get("catalog_name") or ""
            if node.get("schema_name") and node["schema_name"] != "main":
                qualifier = node["schema_name"] if not qualifier else f"{qualifier}.{node['schema_name']}"
            bases.add(f"{qualifier}.{node['table_name']}" if qualifier else node["table_name"])
        for entry in (node.get("cte_map") or {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
            ctes.add(entry.get("key"))
        for value in node.values():
            _walk(value, bases, ctes)
    elif isinstance(node, list):
        for value in node:
            _walk(value, bases, ctes)


# ---------------------------------------------------------------- the marts' inputs, from their SQL
def mart_sql_paths() -> dict[str, Path]:
    return {path.stem: path for path in sorted((SQL_DIR / "marts").glob("*.sql"))}


@functools.lru_cache(maxsize=1)
def mart_inputs() -> dict[str, list[str]]:
    """Each mart and the tables its SQL reads (staging, seeds, other marts), derived, never typed."""
    return {name: sorted(tables_read(path.read_text()) - {name}) for name, path in mart_sql_paths().items()}


def staged_from(tables) -> list[str]:
    """The tables with lineage rows (staging and seeds) behind the given tables, following marts to their inputs."""
    marts = mart_inputs()
    found, todo, seen = set(), list(tables), set()
    while todo:
        table = todo.pop()
        if table in seen:
            continue
        seen.add(table)
        if table in marts:
            todo.extend(marts[table])
        else:
            found.add(table)
    return sorted(found)
