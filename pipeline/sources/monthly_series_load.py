"""Staging for the monthly BLS API sources, CES and JOLTS (shared logic).

``load_ces_staging`` and ``load_jolts_staging`` (each source module exports its own as ``load_staging``) read the
pinned snapshots and create, inside a transaction the caller has opened (no BEGIN/COMMIT here):

``stg_<src>__observations``
    One row per (series_id, period, snapshot): every observation of every API answer, with the series ID decoded.
    **Revisions are kept on purpose**: BLS revises recent months (and re-benchmarks yearly), each refresh pins a
    new vintage of an API part, so the same (series, month) from two snapshots gives two rows, each naming its
    snapshot (``snapshot_sha256``) and when it was retrieved. ``value`` is NULL and ``value_flag`` is
    ``'not_available'`` where BLS wrote ``-``; ``is_preliminary`` is true when footnote ``P`` is attached.
    Only the monthly periods M01-M12 are loaded: **M13 (annual average) rows are dropped and go nowhere**, since an
    annual average can be recomputed from the months and would otherwise sit in a monthly table without a month.
    (The client does not ask for annual averages, so M13 normally never arrives.) Any other non-monthly period
    is dropped likewise.

``core_ces__monthly_employment`` / ``core_jolts__monthly_rates_and_levels``
    The latest vintage: one row per (series_id, month_start), taken from the most recently retrieved snapshot
    that carries that month (ties broken by snapshot id, so the choice is deterministic), plus ``vintages`` (how
    many snapshots carry the month) and ``revised`` (the value differs between vintages; a '-' in one vintage and
    a number in another counts as a difference). CES adds ``employment_persons`` (value is thousands of
    employees) and the labels of ``ces.SERIES_INDUSTRIES``; JOLTS adds ``unit`` ('thousands' for levels,
    'percent' for rates).

``stg_ces__industries``
    The ``ce.industry`` lookup when it is pinned, else an empty table with the same columns.

``stg_ces__series_without_data`` / ``stg_jolts__series_without_data``
    One row per (series_id, snapshot) for each requested series a pinned API answer carries no data for (BLS
    sent it with an empty data list, said it does not exist, or left it out), with what the series is
    (``series_title``), the years the query asked for, and BLS's message about it. A series the API answered
    with nothing would otherwise just be absent from the observations; pages say so from this table
    (pipeline/report/series_without_data.py). These tables are not in the returned row counts: the counts name
    the tables the staging assets declare (pipeline/assets/staging.py).

With no snapshots (the source is not in this build) every table is still created, empty.
``monthly_gaps`` lists months missing inside each series of a core table (it backs a Dagster check).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import bls_api
from pipeline.sources.errors import SourceFileError

API_PREFIX = "api:"
NOT_AVAILABLE = "not_available"
_MONTHLY = re.compile(r"^M(0[1-9]|1[0-2])$")

# The source modules (ces, jolts) import this module on their last line, so they are imported lazily below, at
# call time, to keep either import order working.

_OBS_COMMON_HEAD = [("series_id", "VARCHAR NOT NULL"), ("seasonally_adjusted", "BOOLEAN NOT NULL")]
_OBS_COMMON_TAIL = [
    ("year", "INTEGER NOT NULL"),
    ("period", "VARCHAR NOT NULL"),
    ("month_start", "DATE NOT NULL"),
    ("value", "DOUBLE"),
    ("value_flag", "VARCHAR"),
    ("is_preliminary", "BOOLEAN NOT NULL"),
    ("footnote_codes", "VARCHAR"),
    ("snapshot_sha256", "VARCHAR NOT NULL"),
    ("retrieved_at", "VARCHAR NOT NULL"),
]
_CORE_TAIL = [("vintages", "INTEGER NOT NULL"), ("revised", "BOOLEAN NOT NULL")]

CES_OBSERVATIONS = "stg_ces__observations"
CES_CORE = "core_ces__monthly_employment"
CES_INDUSTRIES = "stg_ces__industries"
JOLTS_OBSERVATIONS = "stg_jolts__observations"
JOLTS_CORE = "core_jolts__monthly_rates_and_levels"
CES_WITHOUT_DATA = "stg_ces__series_without_data"
JOLTS_WITHOUT_DATA = "stg_jolts__series_without_data"

CES_OBS_COLUMNS = _OBS_COMMON_HEAD + [("ces_industry_code", "VARCHAR NOT NULL"),
                                      ("data_type_code", "VARCHAR NOT NULL")] + _OBS_COMMON_TAIL
CES_CORE_COLUMNS = (
    _OBS_COMMON_HEAD
    + [("ces_industry_code", "VARCHAR NOT NULL"), ("data_type_code", "VARCHAR NOT NULL"),
       ("naics_code", "VARCHAR"), ("industry_name", "VARCHAR"), ("setting_id", "VARCHAR")]
    + _OBS_COMMON_TAIL[:4] + [("employment_persons", "BIGINT")] + _OBS_COMMON_TAIL[4:]
    + _CORE_TAIL
)
CES_INDUSTRY_COLUMNS = [("industry_code", "VARCHAR NOT NULL"), ("naics_code", "VARCHAR"),
                        ("publishing_status", "VARCHAR"), ("industry_name", "VARCHAR"), ("display_level", "INTEGER")]

JOLTS_OBS_COLUMNS = _OBS_COMMON_HEAD + [
    ("industry_code", "VARCHAR NOT NULL"), ("data_element_code", "VARCHAR NOT NULL"),
    ("rate_level_code", "VARCHAR NOT NULL"), ("data_element", "VARCHAR"), ("rate_or_level", "VARCHAR"),
] + _OBS_COMMON_TAIL
JOLTS_CORE_COLUMNS = (
    JOLTS_OBS_COLUMNS[:3] + [("industry_name", "VARCHAR")] + JOLTS_OBS_COLUMNS[3:]
    + [("unit", "VARCHAR")] + _CORE_TAIL
)

WITHOUT_DATA_COLUMNS = [
    ("series_id", "VARCHAR NOT NULL"), ("series_title", "VARCHAR NOT NULL"),
    ("requested_first_year", "INTEGER"), ("requested_last_year", "INTEGER"), ("bls_message", "VARCHAR"),
    ("part", "VARCHAR NOT NULL"), ("snapshot_sha256", "VARCHAR NOT NULL"), ("retrieved_at", "VARCHAR NOT NULL"),
]
# source id -> (its series-without-data table, its core table): what a page reads to name the series it lacks.
WITHOUT_DATA_TABLES = {"ces": (CES_WITHOUT_DATA, CES_CORE), "jolts": (JOLTS_WITHOUT_DATA, JOLTS_CORE)}

# Series ID shapes (FORMATS.md section 3): CE + S/U + industry (8) + data type (2);
# JT + S/U + industry (6) + state (2) + area (5) + size class (2) + data element (2) + rate/level (1).
CES_SERIES = re.compile(r"^CE[SU]\d{8}\d{2}$")
JOLTS_SERIES = re.compile(r"^JT[SU][0-9A-Z]{6}[0-9A-Z]{2}[0-9A-Z]{5}[0-9A-Z]{2}[A-Z]{2}[LR]$")


# ---------------------------------------------------------------- entry points


def load_ces_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore,
                     snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create stg_ces__observations, core_ces__monthly_employment, stg_ces__industries and
    stg_ces__series_without_data; return the row counts of the first three."""
    from pipeline.sources import ces

    _create(con, CES_OBSERVATIONS, CES_OBS_COLUMNS)
    _create(con, CES_CORE, CES_CORE_COLUMNS)
    _create(con, CES_INDUSTRIES, CES_INDUSTRY_COLUMNS)
    _create(con, CES_WITHOUT_DATA, WITHOUT_DATA_COLUMNS)

    api = [s for s in snaps if s.part.startswith(API_PREFIX)]
    _load_series_without_data(con, store, api, CES_WITHOUT_DATA, CES_SERIES, "CES", ces.describe_series)
    _load_observations(con, store, api, CES_OBSERVATIONS, CES_OBS_COLUMNS, CES_SERIES, "CES", decode=(
        "substr(series_id, 4, 8) AS ces_industry_code, substr(series_id, 12, 2) AS data_type_code"
    ))
    labels = pd.DataFrame(
        [{"code": code, "naics_code": naics, "industry_name": label, "setting_id": setting}
         for code, naics, label, setting in ces.SERIES_INDUSTRIES],
        columns=["code", "naics_code", "industry_name", "setting_id"], dtype=object,
    )
    with _registered(con, "_ces_labels", labels):
        _build_core(con, CES_OBSERVATIONS, CES_CORE, CES_CORE_COLUMNS, extra_select={
            "naics_code": "lbl.naics_code",
            "industry_name": "lbl.industry_name",
            "setting_id": "lbl.setting_id",
            # value is thousands of employees; round, since 22581.7 * 1000 is not exactly an integer in binary.
            "employment_persons": "CAST(round(o.value * 1000) AS BIGINT)",
        }, join="LEFT JOIN _ces_labels AS lbl ON lbl.code = o.ces_industry_code")

    industry_snaps = [s for s in snaps if (s.part or s.filename) == "ce.industry"]
    if industry_snaps:
        _load_ce_industry(con, store, _latest(industry_snaps), ces.LOOKUPS["ce.industry"])
    return _counts(con, [CES_OBSERVATIONS, CES_CORE, CES_INDUSTRIES, CES_WITHOUT_DATA])


def load_jolts_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore,
                       snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create stg_jolts__observations, core_jolts__monthly_rates_and_levels and stg_jolts__series_without_data;
    return the row counts of the first two."""
    from pipeline.sources import jolts

    _create(con, JOLTS_OBSERVATIONS, JOLTS_OBS_COLUMNS)
    _create(con, JOLTS_CORE, JOLTS_CORE_COLUMNS)
    _create(con, JOLTS_WITHOUT_DATA, WITHOUT_DATA_COLUMNS)

    elements = _case("substr(series_id, 19, 2)", jolts.DATA_ELEMENTS)
    api = [s for s in snaps if s.part.startswith(API_PREFIX)]
    _load_series_without_data(con, store, api, JOLTS_WITHOUT_DATA, JOLTS_SERIES, "JOLTS", jolts.describe_series)
    _load_observations(con, store, api, JOLTS_OBSERVATIONS, JOLTS_OBS_COLUMNS, JOLTS_SERIES, "JOLTS", decode=(
        "substr(series_id, 4, 6) AS industry_code, substr(series_id, 19, 2) AS data_element_code, "
        "substr(series_id, 21, 1) AS rate_level_code, "
        f"{elements} AS data_element, "
        "CASE substr(series_id, 21, 1) WHEN 'L' THEN 'level' WHEN 'R' THEN 'rate' END AS rate_or_level"
    ))
    _build_core(con, JOLTS_OBSERVATIONS, JOLTS_CORE, JOLTS_CORE_COLUMNS, extra_select={
        "industry_name": _case("o.industry_code", jolts.INDUSTRIES),
        "unit": "CASE o.rate_level_code WHEN 'L' THEN 'thousands' WHEN 'R' THEN 'percent' END",
    })
    return _counts(con, [JOLTS_OBSERVATIONS, JOLTS_CORE, JOLTS_WITHOUT_DATA])


def monthly_gaps(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """(series_id, month_start) of every month missing between a series' first and last month in ``table``.

    A month whose value is NULL ('-' from BLS) is present, not missing: only absent rows count as gaps.
    """
    _check_identifier(table)
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


def _load_observations(con, store: SnapshotStore, snaps: list[SnapshotMeta], table: str,
                       columns: list[tuple[str, str]], shape: re.Pattern, source: str, decode: str) -> None:
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
                raise SourceFileError(snap.filename, f"holds series {p['series_id']!r}, which is not a {source} "
                                                     "series ID (FORMATS.md section 3).")
            if not _MONTHLY.match(p["period"]):
                continue  # M13 annual averages (and any other non-monthly period) are dropped: see the docstring
            rows.append({
                "series_id": p["series_id"],
                "year": str(p["year"]),
                "period": p["period"],
                "value": None if p["value"] is None else repr(p["value"]),
                "footnote_codes": p["footnote_codes"] or None,
                "is_preliminary": "true" if p["is_preliminary"] else "false",
                "snapshot_sha256": snap.sha256,
                "retrieved_at": snap.retrieved_at,
            })
    if not rows:
        return
    frame = pd.DataFrame(rows, dtype=object)
    cols = ", ".join(name for name, _ in columns)
    with _registered(con, "_monthly_points", frame):
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


def _load_series_without_data(con, store: SnapshotStore, snaps: list[SnapshotMeta], table: str, shape: re.Pattern,
                              source: str, describe) -> None:
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
                raise SourceFileError(snap.filename, f"names series {series_id!r} as having no data, which is not a "
                                                     f"{source} series ID (FORMATS.md section 3).")
            rows.append({"series_id": series_id, "series_title": describe(series_id),
                         "requested_first_year": first_year, "requested_last_year": last_year,
                         "bls_message": message or None, "part": snap.part, "snapshot_sha256": snap.sha256,
                         "retrieved_at": snap.retrieved_at})
    if not rows:
        return
    names = [name for name, _ in WITHOUT_DATA_COLUMNS]
    with _registered(con, "_series_without_data", pd.DataFrame(rows, columns=names, dtype=object)):
        con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM _series_without_data "
                    "ORDER BY series_id, retrieved_at, snapshot_sha256")


def _build_core(con, obs_table: str, core_table: str, core_columns: list[tuple[str, str]],
                extra_select: dict[str, str], join: str = "") -> None:
    """Latest vintage per (series, month), from the observations table; ``extra_select`` adds derived columns."""
    snaps = con.execute(f"SELECT DISTINCT snapshot_sha256, retrieved_at FROM {obs_table}").fetchall()
    if not snaps:
        return
    # retrieved_at is ISO 8601 text; parse it so '...Z' and '...+00:00' (or another offset) order correctly.
    ordered = sorted(snaps, key=lambda s: (_instant(s[1]), s[1], s[0]))
    order = pd.DataFrame({"snapshot_sha256": [s[0] for s in ordered], "vintage_rank": range(len(ordered))})
    names = [name for name, _ in core_columns]
    select = ", ".join(
        extra_select[n] if n in extra_select
        else ("v.vintages" if n == "vintages" else "v.revised" if n == "revised" else f"o.{n}")
        for n in names
    )
    with _registered(con, "_monthly_vintage_order", order):
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


# ---------------------------------------------------------------- ce.industry


def _load_ce_industry(con, store: SnapshotStore, snap: SnapshotMeta, header: list[str]) -> None:
    text = store.verify(snap.sha256).read_bytes().decode("utf-8", errors="replace")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t") if any(f.strip() for f in row)]
    found = [f.strip().lower() for f in rows[0]] if rows else []
    # Some LABSTAT files end the header (and rows) with a tab, i.e. one empty extra field.
    if found and found[-1] == "":
        found = found[:-1]
    if found != header:
        raise SourceFileError(snap.filename, f"has header {found!r}; expected {header!r}.",
                              "Is it the BLS mapping file, or an error page saved in its place?")
    wanted = [c for c, _ in CES_INDUSTRY_COLUMNS]
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) not in (len(header), len(header) + 1):
            raise SourceFileError(snap.filename, f"data line {lineno} has {len(row)} fields, expected {len(header)}.")
        fields = dict(zip(header, (f.strip() for f in row)))
        out.append({c: fields[c] or None for c in wanted})
    if not out:
        return
    frame = pd.DataFrame(out, columns=wanted, dtype=object)
    with _registered(con, "_ce_industry", frame):
        con.execute(
            f"""
            INSERT INTO {CES_INDUSTRIES}
            SELECT industry_code, naics_code, publishing_status, industry_name,
                   TRY_CAST(display_level AS INTEGER)
            FROM _ce_industry
            """
        )


# ---------------------------------------------------------------- helpers


def _create(con, table: str, columns: list[tuple[str, str]]) -> None:
    cols = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)
    con.execute(f"CREATE OR REPLACE TABLE {table} (\n    {cols}\n)")


def _counts(con, tables: list[str]) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def _case(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _check_identifier(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", name):
        raise ValueError(f"{name!r} is not a plain table name")


def _instant(text: str) -> datetime:
    """retrieved_at as an aware UTC datetime; unparseable text sorts first (oldest)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _latest(snaps: list[SnapshotMeta]) -> SnapshotMeta:
    return max(snaps, key=lambda s: (_instant(s.retrieved_at), s.retrieved_at, s.sha256))


class _registered:
    """``with _registered(con, name, frame):`` registers a pandas frame and always unregisters it."""

    def __init__(self, con, name: str, frame: pd.DataFrame):
        self.con, self.name, self.frame = con, name, frame

    def __enter__(self):
        self.con.register(self.name, self.frame)
        return self

    def __exit__(self, *exc):
        self.con.unregister(self.name)
        return False


__all__ = ["load_ces_staging", "load_jolts_staging", "monthly_gaps"]
