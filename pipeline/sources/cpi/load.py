"""CPI staging: the tables of tables.py, from either origin's files (files.py).

- ``stg_cpi__observations``: every monthly value of every pinned data file (each refresh that brings a changed
  ``cu.data.1.AllItems`` pins it beside the old one, so a revised value stays under both snapshots);
- ``stg_cpi__index_values``: the latest vintage per series and month, with ``vintages`` and ``revised``, built by
  the same code as CES and JOLTS (pipeline/sources/monthly_series_load.py). Annual averages (M13) are not loaded:
  the book needs months. A month BLS did not publish stays as BLS gave it: a ``-`` is a NULL value flagged
  ``not_available`` with its footnote codes; a month the files leave out has no row. Nothing is filled in;
- ``stg_cpi__series`` (with each series' base period), ``stg_cpi__periods``, ``stg_cpi__footnotes``;
- ``stg_cpi__deflator``: the series and month the settings choose for the real-wage mart.

The official files win over the package: when any non-package data file is pinned, the package's files are not
read. Runs inside the caller's transaction (no BEGIN/COMMIT here); with no snapshots every table is created empty.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.domain import SEEDS_DIR, read_seed
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import monthly_series_load as monthly
from pipeline.sources.cpi.deflator import WHY, deflator_month, deflator_series
from pipeline.sources.cpi.files import (
    LOOKUP_COLUMNS,
    OPTIONAL_LOOKUPS,
    REQUIRED_LOOKUPS,
    check_data_file_shape,
    is_data,
    kind_of,
    read_lookup,
)
from pipeline.sources.cpi.tables import DEFLATOR, FOOTNOTES, INDEX_VALUES, OBSERVATIONS, PERIODS, SERIES, TABLES
from pipeline.sources.errors import SourceFileError

BASE_PERIOD_SEED = SEEDS_DIR / "cpi_base_periods.csv"
BASE_PERIOD_SEED_COLUMNS = ["series_id", "base_period", "citation", "checked_on"]
SERIES_SHAPE = r"CU[SU][RS][0-9A-Z]{4}[0-9A-Z]+"  # CU + S/U + periodicity + area (4) + item (docs/source-formats.md)
MONTHLY_PERIOD = r"M(0[1-9]|1[0-2])"


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create the CPI tables from the pinned snapshots; return {table: row count}."""
    monthly.create_empty(con, TABLES)
    data, lookups = choose_snapshots(snaps)
    if data:
        for name in REQUIRED_LOOKUPS:
            if name not in lookups:
                raise SourceFileError(name, "is missing from the CPI snapshot set.", "Run `make refresh`.")
        _load_observations(con, store, data)
        monthly.build_core(con, OBSERVATIONS, INDEX_VALUES, extra_select={})
        _load_periods(con, store, lookups["cu.period"])
        if "cu.footnote" in lookups:
            _load_footnotes(con, store, lookups["cu.footnote"])
        _load_series(con, store, lookups)
        _load_deflator(con)
    return monthly.counts(con, [spec.name for spec in TABLES])


def choose_snapshots(snaps: list[SnapshotMeta]) -> tuple[list[SnapshotMeta], dict[str, SnapshotMeta]]:
    """Every data vintage of the best origin, and the latest snapshot of each lookup from that origin."""
    official = [s for s in snaps if s.origin != "package"]
    pool = official if any(is_data(_part(s)) for s in official) else [s for s in snaps if s.origin == "package"]
    data = [s for s in pool if is_data(_part(s))]
    lookups = {}
    for name in (*REQUIRED_LOOKUPS, *OPTIONAL_LOOKUPS):
        found = [s for s in pool if kind_of(_part(s)) == name]
        if found:
            lookups[name] = monthly.latest(found)
    return data, lookups


def _part(snap: SnapshotMeta) -> str:
    return snap.part or snap.filename


def _load_observations(con, store: SnapshotStore, data: list[SnapshotMeta]) -> None:
    seen: set[str] = set()
    for snap in data:
        if snap.sha256 in seen:  # the same bytes pinned twice would double every value
            continue
        seen.add(snap.sha256)
        path = store.verify(snap.sha256)
        check_data_file_shape(path, snap.filename)
        reader = (
            f"read_csv('{_sql_str(path)}', delim='\\t', header=true, quote='', escape='', "
            "columns={'series_id': 'VARCHAR', 'year': 'VARCHAR', 'period': 'VARCHAR', 'value': 'VARCHAR', "
            "'footnote_codes': 'VARCHAR'}, strict_mode=true, null_padding=false, all_varchar=true)"
        )
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _cpi_raw AS SELECT trim(series_id) AS series_id, trim(year) AS year, "
                f"trim(period) AS period, trim(value) AS value, nullif(trim(footnote_codes), '') AS footnote_codes "
                f"FROM {reader}"
            )
        except duckdb.Error as exc:
            raise SourceFileError(snap.filename, f"could not be parsed as a LABSTAT data file: {exc}") from exc
        try:
            _check_raw(con, snap.filename)
            con.execute(
                f"""
                INSERT INTO {OBSERVATIONS.name} ({", ".join(OBSERVATIONS.column_names)})
                SELECT series_id, CAST(year AS INTEGER), period,
                       make_date(CAST(year AS INTEGER), CAST(substr(period, 2, 2) AS INTEGER), 1),
                       TRY_CAST(value AS DOUBLE),
                       CASE WHEN TRY_CAST(value AS DOUBLE) IS NULL THEN '{monthly.NOT_AVAILABLE}' END,
                       footnote_codes, ?, ?, ?
                FROM _cpi_raw
                WHERE regexp_full_match(period, '{MONTHLY_PERIOD}')
                ORDER BY series_id, year, period
                """,
                [snap.sha256, snap.retrieved_at, snap.origin],
            )
        finally:
            con.execute("DROP TABLE IF EXISTS _cpi_raw")


def _check_raw(con, filename: str) -> None:
    """Refuse series IDs, years and values that are not what a CPI data file holds, naming the first few."""
    bad_series = con.execute(
        f"SELECT DISTINCT series_id FROM _cpi_raw WHERE NOT regexp_full_match(series_id, '{SERIES_SHAPE}') LIMIT 3"
    ).fetchall()
    if bad_series:
        raise SourceFileError(filename, f"holds series IDs that are not CPI-U series: {[r[0] for r in bad_series]}.")
    bad_years = con.execute(
        "SELECT DISTINCT year FROM _cpi_raw WHERE NOT regexp_full_match(year, '(19|20)[0-9]{2}') LIMIT 3"
    ).fetchall()
    if bad_years:
        raise SourceFileError(filename, f"holds years that are not years: {[r[0] for r in bad_years]}.")
    bad_values = con.execute(
        "SELECT series_id, year, period, value FROM _cpi_raw "
        "WHERE value NOT IN ('-', '') AND TRY_CAST(value AS DOUBLE) IS NULL LIMIT 3"
    ).fetchall()
    if bad_values:
        raise SourceFileError(filename, f"holds values that are neither numbers nor '-': {bad_values}.")


def _load_periods(con, store: SnapshotStore, snap: SnapshotMeta) -> None:
    rows = _lookup(store, snap)
    frame = pd.DataFrame(
        [
            {
                "period": r["period"],
                "period_abbr": r["period_abbr"] or None,
                "period_name": r["period_name"] or None,
                "month_number": int(r["period"][1:]) if re.fullmatch(MONTHLY_PERIOD, r["period"]) else None,
            }
            for r in rows
        ],
        columns=PERIODS.column_names,
    ).astype({"month_number": "Int64"})
    _insert(con, PERIODS.name, PERIODS.column_names, frame)


def _load_footnotes(con, store: SnapshotStore, snap: SnapshotMeta) -> None:
    rows = _lookup(store, snap)
    frame = pd.DataFrame(
        [{"footnote_code": r["footnote_code"], "footnote_text": r["footnote_text"] or None} for r in rows],
        columns=FOOTNOTES.column_names,
        dtype=object,
    )
    _insert(con, FOOTNOTES.name, FOOTNOTES.column_names, frame)


def _load_series(con, store: SnapshotStore, lookups: dict[str, SnapshotMeta]) -> None:
    """The lookup rows of the series that have values, each with its base period and where that was read."""
    loaded = {r[0] for r in con.execute(f"SELECT DISTINCT series_id FROM {OBSERVATIONS.name}").fetchall()}
    listed = {r["series_id"]: r for r in _lookup(store, lookups["cu.series"])}
    unlisted = sorted(loaded - set(listed))
    if unlisted:
        raise SourceFileError(lookups["cu.series"].filename, f"does not list the series {unlisted[:5]}.")
    areas = {r["area_code"]: r["area_name"] for r in _lookup(store, lookups["cu.area"])}
    items = {r["item_code"]: r["item_name"] for r in _lookup(store, lookups["cu.item"])}
    seeded = base_periods_from_seed()
    rows, unstated = [], []
    for series_id in sorted(loaded):
        row = listed[series_id]
        base, base_from = row.get("base_period") or "", "cu.series"
        if not base and series_id in seeded:
            base, base_from = seeded[series_id]
        if not base:
            unstated.append(series_id)
        rows.append(
            {
                "series_id": series_id,
                "series_title": row["series_title"],
                "area_code": row["area_code"] or None,
                "area_name": areas.get(row["area_code"]),
                "item_code": row["item_code"] or None,
                "item_name": items.get(row["item_code"]),
                "seasonally_adjusted": row["seasonal"] == "S",
                "periodicity_code": row["periodicity_code"] or None,
                "base_period": base,
                "base_period_from": base_from,
            }
        )
    if unstated:
        raise SourceFileError(
            lookups["cu.series"].filename,
            f"states no base period for {unstated[:5]}{' ...' if len(unstated) > 5 else ''}, and "
            f"{BASE_PERIOD_SEED.name} does not either.",
            f"An index without its base cannot be read; add the series to warehouse/seeds/{BASE_PERIOD_SEED.name} "
            "with its citation, or pin the official cu.series.",
        )
    _insert(con, SERIES.name, SERIES.column_names, pd.DataFrame(rows, columns=SERIES.column_names, dtype=object))


def base_periods_from_seed(path: Path = BASE_PERIOD_SEED) -> dict[str, tuple[str, str]]:
    """series_id -> (base period, where it was read) from the seed, for origins that do not carry it."""
    out = {}
    for row in read_seed(path, BASE_PERIOD_SEED_COLUMNS):
        out[row["series_id"]] = (
            row["base_period"],
            f"seed warehouse/seeds/{path.name}: {row['citation']} (checked {row['checked_on']})",
        )
    return out


def _load_deflator(con) -> None:
    series, month = deflator_series(), deflator_month()
    known = con.execute(f"SELECT count(*) FROM {SERIES.name} WHERE series_id = ?", [series]).fetchone()[0]
    if not known:
        raise SourceFileError(
            f"setting cpi_deflator_series = {series}",
            "names a series the pinned CPI files do not hold.",
            "Choose a series of cu.data.1.AllItems (CUUR0000SA0), or pin the files that hold it.",
        )
    con.execute(
        f"INSERT INTO {DEFLATOR.name} ({', '.join(DEFLATOR.column_names)}) VALUES (?, ?, ?, ?, ?)",
        [series, f"M{month:02d}", month, calendar.month_name[month], WHY],
    )


def _lookup(store: SnapshotStore, snap: SnapshotMeta) -> list[dict[str, str]]:
    name = kind_of(_part(snap))
    return read_lookup(store.verify(snap.sha256), snap.filename, LOOKUP_COLUMNS[name])


def _insert(con, table: str, columns: list[str], frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    with monthly.registered(con, "_cpi_frame", frame):
        names = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _cpi_frame")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
