"""Staging shared by the monthly BLS API sources, CES and JOLTS: observations with every vintage, the latest
vintage per month, and the series an answer carried no data for.

Each source's ``load.py`` declares its tables (its ``tables.py``, built from the columns below) and calls these
functions with its own series shape and labels; this module knows no source.

``load_observations`` -> ``stg_<src>__observations``
    One row per (series_id, period, snapshot): every observation of every API answer, with the series ID decoded.
    **Revisions are kept on purpose**: BLS revises recent months (and re-benchmarks yearly), each refresh pins a
    new vintage of an API part, so the same (series, month) from two snapshots gives two rows, each naming its
    snapshot (``snapshot_sha256``) and when it was retrieved. ``value`` is NULL and ``value_flag`` is
    ``'not_available'`` where BLS wrote ``-``; ``is_preliminary`` is true when footnote ``P`` is attached.
    Only the monthly periods M01-M12 are loaded: **M13 (annual average) rows are dropped and go nowhere**, since an
    annual average can be recomputed from the months and would otherwise sit in a monthly table without a month.
    (The client does not ask for annual averages, so M13 normally never arrives.) Any other non-monthly period
    is dropped likewise.

``build_core`` -> ``core_ces__monthly_employment`` / ``core_jolts__monthly_rates_and_levels``
    The latest vintage: one row per (series_id, month_start), taken from the most recently retrieved snapshot
    that carries that month (ties broken by snapshot id, so the choice is deterministic), plus ``vintages`` (how
    many snapshots carry the month) and ``revised`` (the value differs between vintages; a '-' in one vintage and
    a number in another counts as a difference). The source adds its own derived columns (``extra_select``).

``load_series_without_data`` -> ``stg_ces__series_without_data`` / ``stg_jolts__series_without_data``
    One row per (series_id, snapshot) for each requested series a pinned API answer carries no data for (BLS
    sent it with an empty data list, said it does not exist, or left it out), with what the series is
    (``series_title``), the years the query asked for, and BLS's message about it. A series the API answered
    with nothing would otherwise just be absent from the observations; pages say so from this table
    (pipeline/report/series_without_data.py).

With no snapshots (the source is not in this build) every table is still created, empty.
``monthly_gaps`` lists months missing inside each series of a core table (it backs a Dagster check).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Callable

import duckdb
import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import bls_api
from pipeline.sources.errors import SourceFileError
from pipeline.sources.table_spec import Column, TableSpec

API_PREFIX = "api:"
NOT_AVAILABLE = "not_available"
_MONTHLY = re.compile(r"^M(0[1-9]|1[0-2])$")

# source id -> (its series-without-data table, its core table): what a page reads to name the series it lacks.
# Table names only: the tables themselves are declared in pipeline/sources/ces/tables.py and jolts/tables.py.
WITHOUT_DATA_TABLES = {
    "ces": ("stg_ces__series_without_data", "core_ces__monthly_employment"),
    "jolts": ("stg_jolts__series_without_data", "core_jolts__monthly_rates_and_levels"),
}

# ---------------------------------------------------------------- the columns both sources share

OBSERVATION_HEAD = (
    Column("series_id", "VARCHAR", "BLS series ID.", not_null=True),
    Column("seasonally_adjusted", "BOOLEAN", "True for a seasonally adjusted series (S in the ID).", not_null=True),
)


def observation_tail(value_unit: str, value_description: str) -> tuple[Column, ...]:
    """year .. retrieved_at: the columns every observation row ends with (``value``'s unit is the source's)."""
    return (
        Column("year", "INTEGER", "Calendar year of the observation.", not_null=True),
        Column("period", "VARCHAR", "BLS period code (M01-M12).", not_null=True),
        Column("month_start", "DATE", "First day of the observation's month.", not_null=True),
        Column("value", "DOUBLE", value_description, value_unit),
        Column("value_flag", "VARCHAR", "'not_available' where BLS wrote '-'; NULL with a value."),
        Column("is_preliminary", "BOOLEAN", "BLS marks the value preliminary (footnote P).", not_null=True),
        Column("footnote_codes", "VARCHAR", "BLS footnote codes attached to the value."),
        Column("snapshot_sha256", "VARCHAR", "SHA-256 of the API answer the value came from.", not_null=True),
        Column("retrieved_at", "VARCHAR", "When that answer was retrieved (ISO 8601, UTC).", not_null=True),
    )


CORE_TAIL = (
    Column("vintages", "INTEGER", "How many pinned answers carry this month.", not_null=True),
    Column("revised", "BOOLEAN", "The value differs between those answers.", not_null=True),
)

WITHOUT_DATA_COLUMNS = (
    Column("series_id", "VARCHAR", "The requested series ID.", not_null=True),
    Column("series_title", "VARCHAR", "What the series is, in words.", not_null=True),
    Column("requested_first_year", "INTEGER", "First year the query asked for."),
    Column("requested_last_year", "INTEGER", "Last year the query asked for."),
    Column("bls_message", "VARCHAR", "BLS's message about the series, if any."),
    Column("part", "VARCHAR", "The API part (query batch) in sources.lock.", not_null=True),
    Column("snapshot_sha256", "VARCHAR", "SHA-256 of the API answer.", not_null=True),
    Column("retrieved_at", "VARCHAR", "When that answer was retrieved (ISO 8601, UTC).", not_null=True),
)


def create_empty(con, specs: tuple[TableSpec, ...]) -> None:
    """CREATE OR REPLACE each table with its declared columns, empty."""
    for spec in specs:
        cols = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in spec.ddl)
        con.execute(f"CREATE OR REPLACE TABLE {spec.name} (\n    {cols}\n)")


def api_snapshots(snaps: list[SnapshotMeta]) -> list[SnapshotMeta]:
    return [s for s in snaps if s.part.startswith(API_PREFIX)]


def monthly_gaps(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """(series_id, month_start) of every month missing between a series' first and last month in ``table``.

    A month whose value is NULL ('-' from BLS) is present, not missing: only absent rows count as gaps.
    """
    check_identifier(table)
    return con.execute(
        f"""
        WITH bounds AS (
            SELECT series_id, min(month_start) AS first_month, max(month_start) AS last_month
            FROM {table} GROUP BY series_id
        ),
        expected AS (
            SELECT b.series_id, CAST(m.month_start AS DATE) AS month_start
            FROM bounds AS b,
                 LATERAL (SELECT unnest(generate_series(CAST(b.first_month AS TIMESTAMP),
                                                        CAST(b.last_month AS TIMESTAMP),
                                                        INTERVAL 1 MONTH)) AS month_start) AS m
        )
        SELECT e.series_id, e.month_start
        FROM expected AS e
        LEFT JOIN (SELECT DISTINCT series_id, month_start FROM {table}) AS t
               ON t.series_id = e.series_id AND t.month_start = e.month_start
        WHERE t.series_id IS NULL
        ORDER BY e.series_id, e.month_start
        """
    ).fetchall()


# ---------------------------------------------------------------- observations


def load_observations(
    con, store: SnapshotStore, snaps: list[SnapshotMeta], spec: TableSpec, shape: re.Pattern, source: str, decode: str
) -> None:
    """Insert every monthly observation of the API answers into ``spec``'s table; ``decode`` selects the
    source's columns decoded from the series ID."""
    table, columns = spec.name, spec.ddl
    rows = []
    seen: set[str] = set()
    for snap in snaps:
        if snap.sha256 in seen:  # the same bytes listed twice would double every observation
            continue
        seen.add(snap.sha256)
        path = store.verify(snap.sha256)
        try:
            points = bls_api.parse_api_json(path)
        except SourceFileError as exc:  # it names the object path's hash; name the snapshot's file instead
            raise SourceFileError(snap.filename, exc.reason) from exc
        for p in points:
            if not shape.match(p["series_id"]):
                raise SourceFileError(
                    snap.filename,
                    f"holds series {p['series_id']!r}, which is not a {source} "
                    "series ID (docs/source-formats.md, CES lookup files and BLS API answers).",
                )
            if not _MONTHLY.match(p["period"]):
                continue  # M13 annual averages (and any other non-monthly period) are dropped: see the docstring
            rows.append(
                {
                    "series_id": p["series_id"],
                    "year": str(p["year"]),
                    "period": p["period"],
                    "value": None if p["value"] is None else repr(p["value"]),
                    "footnote_codes": p["footnote_codes"] or None,
                    "is_preliminary": "true" if p["is_preliminary"] else "false",
                    "snapshot_sha256": snap.sha256,
                    "retrieved_at": snap.retrieved_at,
                }
            )
    if not rows:
        return
    frame = pd.DataFrame(rows, dtype=object)
    cols = ", ".join(name for name, _ in columns)
    with registered(con, "_monthly_points", frame):
        con.execute(
            f"""
            INSERT INTO {table} ({cols})
            SELECT {cols} FROM (
                SELECT series_id,
                       substr(series_id, 3, 1) = 'S' AS seasonally_adjusted,
                       {decode},
                       CAST(year AS INTEGER) AS year,
                       period,
                       make_date(CAST(year AS INTEGER), CAST(substr(period, 2, 2) AS INTEGER), 1) AS month_start,
                       CAST(value AS DOUBLE) AS value,
                       CASE WHEN value IS NULL THEN '{NOT_AVAILABLE}' END AS value_flag,
                       CAST(is_preliminary AS BOOLEAN) AS is_preliminary,
                       footnote_codes,
                       snapshot_sha256,
                       retrieved_at
                FROM _monthly_points
            )
            """
        )


def load_series_without_data(
    con,
    store: SnapshotStore,
    snaps: list[SnapshotMeta],
    spec: TableSpec,
    shape: re.Pattern,
    source: str,
    describe: Callable[[str], str],
) -> None:
    """Insert a row into ``spec``'s table for each requested series an answer carried no data for."""
    table = spec.name
    rows = []
    seen: set[str] = set()
    for snap in snaps:
        if snap.sha256 in seen:
            continue
        seen.add(snap.sha256)
        path = store.verify(snap.sha256)
        try:
            empty = bls_api.series_without_data(path, snap)
        except SourceFileError as exc:  # it names the object path's hash; name the snapshot's file instead
            raise SourceFileError(snap.filename, exc.reason) from exc
        _, first_year, last_year = bls_api.requested(snap)
        for series_id, message in empty.items():
            if not shape.match(series_id):
                raise SourceFileError(
                    snap.filename,
                    f"names series {series_id!r} as having no data, which is not a "
                    f"{source} series ID (docs/source-formats.md, CES lookup files and BLS API answers).",
                )
            rows.append(
                {
                    "series_id": series_id,
                    "series_title": describe(series_id),
                    "requested_first_year": first_year,
                    "requested_last_year": last_year,
                    "bls_message": message or None,
                    "part": snap.part,
                    "snapshot_sha256": snap.sha256,
                    "retrieved_at": snap.retrieved_at,
                }
            )
    if not rows:
        return
    names = spec.column_names
    with registered(con, "_series_without_data", pd.DataFrame(rows, columns=names, dtype=object)):
        con.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM _series_without_data "
            "ORDER BY series_id, retrieved_at, snapshot_sha256"
        )


def build_core(con, observations: TableSpec, core: TableSpec, extra_select: dict[str, str], join: str = "") -> None:
    """Latest vintage per (series, month), from the observations table; ``extra_select`` adds derived columns."""
    obs_table, core_table, core_columns = observations.name, core.name, core.ddl
    snaps = con.execute(f"SELECT DISTINCT snapshot_sha256, retrieved_at FROM {obs_table}").fetchall()
    if not snaps:
        return
    # retrieved_at is ISO 8601 text; parse it so '...Z' and '...+00:00' (or another offset) order correctly.
    ordered = sorted(snaps, key=lambda s: (_instant(s[1]), s[1], s[0]))
    order = pd.DataFrame({"snapshot_sha256": [s[0] for s in ordered], "vintage_rank": range(len(ordered))})
    names = [name for name, _ in core_columns]
    select = ", ".join(
        extra_select[n]
        if n in extra_select
        else ("v.vintages" if n == "vintages" else "v.revised" if n == "revised" else f"o.{n}")
        for n in names
    )
    with registered(con, "_monthly_vintage_order", order):
        con.execute(
            f"""
            INSERT INTO {core_table} ({", ".join(names)})
            WITH ranked AS (
                SELECT obs.*, row_number() OVER (PARTITION BY obs.series_id, obs.month_start
                                                 ORDER BY r.vintage_rank DESC) AS newest_first
                FROM {obs_table} AS obs JOIN _monthly_vintage_order AS r USING (snapshot_sha256)
            ),
            v AS (
                SELECT series_id, month_start,
                       CAST(count(DISTINCT snapshot_sha256) AS INTEGER) AS vintages,
                       count(DISTINCT coalesce(CAST(value AS VARCHAR), '-')) > 1 AS revised
                FROM {obs_table} GROUP BY series_id, month_start
            )
            SELECT {select}
            FROM ranked AS o
            JOIN v ON v.series_id = o.series_id AND v.month_start = o.month_start
            {join}
            WHERE o.newest_first = 1
            ORDER BY o.series_id, o.month_start
            """
        )


# ---------------------------------------------------------------- helpers


def counts(con, tables: list[str]) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def case_sql(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_identifier(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", name):
        raise ValueError(f"{name!r} is not a plain table name")


def _instant(text: str) -> datetime:
    """retrieved_at as an aware UTC datetime; unparseable text sorts first (oldest)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def latest(snaps: list[SnapshotMeta]) -> SnapshotMeta:
    return max(snaps, key=lambda s: (_instant(s.retrieved_at), s.retrieved_at, s.sha256))


class registered:
    """``with registered(con, name, frame):`` registers a pandas frame and always unregisters it."""

    def __init__(self, con, name: str, frame: pd.DataFrame):
        self.con, self.name, self.frame = con, name, frame

    def __enter__(self):
        self.con.register(self.name, self.frame)
        return self

    def __exit__(self, *exc):
        self.con.unregister(self.name)
        return False
