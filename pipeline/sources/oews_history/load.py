"""Load the OEWS May workbooks (one snapshot per year and scope) into two harmonised staging tables.

stg_oews__history_cells: one row per workbook row, every year and scope together, with the measure columns of the
current release's stg_oews__cells (oews_format.MEASURES) and a ``<measure>_flag`` beside each one that says why a
value is missing. stg_oews__history_files: one row per workbook loaded.

Workbook facts relied on (docs/source-formats.md, OEWS national workbooks): columns are found by name,
case-insensitively, because the column set changes by year (May 2020 has no PCT_RPT); wage cells may hold the symbols
``*``, ``**``, ``#`` or ``~`` instead of a number; the top-code threshold behind ``#`` is written in each workbook's own
``Field Descriptions`` notes and changed in May 2022; occupations published only at the broad level are listed twice.

The caller owns the transaction: this module never BEGINs or COMMITs.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import SourceFileError
from pipeline.sources.oews_format import MEASURES
from pipeline.sources.oews_history.workbook import SCOPES, sheet_header_and_rows
from pipeline.sources.xlsx import open_workbook

CELLS_TABLE = "stg_oews__history_cells"
FILES_TABLE = "stg_oews__history_files"

# The first May estimated with the model-based method (MB3); estimates on either side of it compare with care.
MB3_FIRST_YEAR = 2021

# Workbook column -> (staging column, SQL type). Names and units follow oews_current.MEASURES (by datatype code).
_BY_DATATYPE = {
    "TOT_EMP": "01",
    "EMP_PRSE": "02",
    "H_MEAN": "03",
    "A_MEAN": "04",
    "MEAN_PRSE": "05",
    "H_PCT10": "06",
    "H_PCT25": "07",
    "H_MEDIAN": "08",
    "H_PCT75": "09",
    "H_PCT90": "10",
    "A_PCT10": "11",
    "A_PCT25": "12",
    "A_MEDIAN": "13",
    "A_PCT75": "14",
    "A_PCT90": "15",
    "JOBS_1000": "16",
    "LOC_QUOTIENT": "17",
}
MEASURE_COLUMNS: dict[str, tuple[str, str]] = {
    **{xlsx: MEASURES[code] for xlsx, code in _BY_DATATYPE.items()},
    "PCT_TOTAL": ("pct_of_industry_employment", "DOUBLE"),
    "PCT_RPT": ("establishments_reporting_pct", "DOUBLE"),  # absent in May 2020: NULL, no flag
}
TEXT_COLUMNS = {
    "AREA": "area_code",
    "AREA_TITLE": "area_title",
    "AREA_TYPE": "area_type_code",
    "PRIM_STATE": "prim_state",
    "NAICS": "naics_code",
    "NAICS_TITLE": "naics_title",
    "I_GROUP": "industry_group",
    "OWN_CODE": "ownership_code",
    "OCC_CODE": "soc_code",
    "OCC_TITLE": "occupation_title",
    "O_GROUP": "occupation_group",
}
# Output order of the text columns: occupation_code (the SOC code without its hyphen, as in the flat files) is derived.
_TEXT_OUT = (
    "area_code",
    "area_title",
    "area_type_code",
    "prim_state",
    "naics_code",
    "naics_title",
    "industry_group",
    "ownership_code",
    "soc_code",
    "occupation_code",
    "occupation_title",
    "occupation_group",
)
KEY = ("reference_year", "scope", "area_code", "naics_code", "ownership_code", "soc_code")

# Cell symbols (Field Descriptions, Notes:) -> flag. A '*' in the wage basis a row does not publish (H_* of an
# annual-only row, A_* of an hourly-only row) becomes wage_basis_not_published instead; see _flagged.
SYMBOLS = {"#": "top_coded", "**": "not_released", "*": "not_released", "~": "under_half_percent"}

# '#  = indicates a wage equal to or greater than $115.00 per hour or $239,200 per year'
_TOP_CODE_NOTE = re.compile(
    r"^\s*#\s*=.*?\$\s*(\d[\d,]*(?:\.\d+)?)\s+per\s+hour\b.*?\$\s*(\d[\d,]*(?:\.\d+)?)\s+per\s+year\b",
    re.IGNORECASE | re.DOTALL,
)


def load_staging(con, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create stg_oews__history_cells and stg_oews__history_files (empty when ``snaps`` is); return row counts."""
    rows: dict[str, list] = {name: [] for name in _row_columns()}
    files: list[dict] = []
    for snap in snaps:
        info = _read_workbook(store, snap, rows)
        same = [f for f in files if (f["reference_year"], f["scope"]) == (info["reference_year"], info["scope"])]
        if same:
            raise SourceFileError(
                snap.filename,
                f"holds May {info['reference_year']} {info['scope']}, as {same[0]['source_file']} "
                "does; load one snapshot per year and scope.",
            )
        files.append(info)

    frame = pd.DataFrame({name: pd.Series(values, dtype=_DTYPES.get(name, "object")) for name, values in rows.items()})
    files_frame = pd.DataFrame({name: pd.Series([f[name] for f in files], dtype="object") for name in _FILE_FIELDS})
    con.register("oews_history_rows", frame)
    con.register("oews_history_files", files_frame)
    try:
        _check_duplicates(con)
        con.execute(_CELLS_SQL)
        con.execute(_FILES_SQL)
    finally:
        con.unregister("oews_history_rows")
        con.unregister("oews_history_files")
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in (CELLS_TABLE, FILES_TABLE)}


# ---------------------------------------------------------------- one workbook


def _read_workbook(store: SnapshotStore, snap: SnapshotMeta, out: dict[str, list]) -> dict:
    """Append the workbook's rows to ``out`` (column -> values); return its stg_oews__history_files row."""
    name = snap.filename
    wb = open_workbook(store.verify(snap.sha256), name)
    try:
        sheet = wb.worksheets[0].title
        header, rows = sheet_header_and_rows(wb, name)
        hourly_cap, annual_cap = top_code_thresholds(wb, name)
        year, scope = _reference_year(snap, sheet), _scope(snap, sheet)
        col = {c: header.index(c) for c in (*TEXT_COLUMNS, *MEASURE_COLUMNS, "ANNUAL", "HOURLY") if c in header}
        n = 0
        for line, row in enumerate(rows, start=2):
            cell = functools.partial(_cell, row, col)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            texts = {dest: _text(cell(src)) for src, dest in TEXT_COLUMNS.items()}
            if texts["naics_code"] and texts["naics_code"].isdigit():
                texts["naics_code"] = texts["naics_code"].zfill(6)  # in case a file stores it as a number
            absent = [src for src in ("AREA", "NAICS", "OWN_CODE", "OCC_CODE") if not texts[TEXT_COLUMNS[src]]]
            if absent:
                raise SourceFileError(
                    name,
                    f"row {line} of sheet {sheet!r} has no {', '.join(absent)}.",
                    "A footnote or title row inside the data? Check the workbook's layout.",
                )
            soc_code = texts["soc_code"]
            assert soc_code is not None  # OCC_CODE is among the columns checked just above
            annual_only, hourly_only = _is_true(cell("ANNUAL")), _is_true(cell("HOURLY"))
            for src, (dest, _) in MEASURE_COLUMNS.items():
                value, flag = _measure(cell(src), name, line, src)
                if (
                    flag == "not_released"
                    and str(cell(src)).strip() == "*"
                    and ((annual_only and src.startswith("H_")) or (hourly_only and src.startswith("A_")))
                ):
                    flag = "wage_basis_not_published"
                out[dest].append(value)
                out[f"{dest}_flag"].append(flag)
            for key, text in texts.items():
                out[key].append(text)
            out["occupation_code"].append(soc_code.replace("-", ""))
            out["annual_wages_only"].append(annual_only)
            out["hourly_wages_only"].append(hourly_only)
            for key, constant in (
                ("reference_year", year),
                ("scope", scope),
                ("top_code_hourly_usd", hourly_cap),
                ("top_code_annual_usd", annual_cap),
                ("source_file", name),
                ("snapshot_sha256", snap.sha256),
                ("row_in_file", line),
            ):
                out[key].append(constant)
            n += 1
    finally:
        wb.close()
    if n == 0:
        raise SourceFileError(name, f"sheet {sheet!r} has a header but no data rows.")
    return {
        "reference_year": year,
        "scope": scope,
        "source_file": name,
        "snapshot_sha256": snap.sha256,
        "rows_in_workbook": n,
        "top_code_hourly_usd": hourly_cap,
        "top_code_annual_usd": annual_cap,
        "has_pct_rpt": "PCT_RPT" in header,
    }


def top_code_thresholds(wb, filename: str) -> tuple[float, float]:
    """(hourly, annual) USD behind the '#' symbol, from the workbook's Field Descriptions notes."""
    sheets = [ws for ws in wb.worksheets if ws.title.strip().lower() == "field descriptions"]
    for ws in sheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                match = _TOP_CODE_NOTE.match(value) if isinstance(value, str) else None
                if match:
                    hourly, annual = (float(g.replace(",", "")) for g in match.groups())
                    return hourly, annual
    where = "its 'Field Descriptions' sheet" if sheets else "it (there is no 'Field Descriptions' sheet)"
    raise SourceFileError(
        filename,
        f"has no top-code note ('#  = indicates a wage equal to or greater than $… per hour or $… per "
        f"year') in {where}.",
        "Without it a '#' wage has no known lower bound; find the threshold in the workbook and adapt "
        "pipeline/sources/oews_history/load.py.",
    )


def _reference_year(snap: SnapshotMeta, sheet: str) -> int:
    in_sheet = re.search(r"_M(\d{4})_", sheet)
    in_name = re.search(r"_M(\d{4})_", snap.filename) or re.search(r"oesm(\d{2})", f"{snap.part} {snap.filename}")
    year = snap.extra.get("reference_year")
    found = in_sheet or in_name
    if year is None and found:
        digits = found.group(1)
        year = int(digits) if len(digits) == 4 else 2000 + int(digits)
    if year is None:
        raise SourceFileError(snap.filename, f"says nowhere which May it holds (sheet {sheet!r}, part {snap.part!r}).")
    if in_sheet and int(in_sheet.group(1)) != int(year):
        raise SourceFileError(
            snap.filename,
            f"was recorded as May {year} but its sheet is {sheet!r}.",
            "The snapshot's metadata and its bytes disagree; refresh this source.",
        )
    return int(year)


def _scope(snap: SnapshotMeta, sheet: str) -> str:
    scope = snap.extra.get("scope")
    if scope is None:
        match = re.fullmatch(r"oesm\d{2}([a-z0-9]+)", snap.part or "")
        prefix = sheet.split("_M")[0].lower()
        scope = match.group(1) if match else {"national": "nat", "state": "st", "msa": "ma"}.get(prefix)
    if scope not in SCOPES:
        raise SourceFileError(
            snap.filename, f"has scope {scope!r} (part {snap.part!r}); expected one of {sorted(SCOPES)}."
        )
    return scope


# ---------------------------------------------------------------- cells


def _cell(row: tuple, col: dict[str, int], column: str) -> Any:
    """The row's value in a workbook column, None when the workbook lacks the column or the row is short."""
    return row[col[column]] if column in col and col[column] < len(row) else None


def _text(value) -> str | None:
    """Stripped text; numbers as their integer digits when whole (codes stay strings)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _is_true(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().upper() == "TRUE")


def _measure(raw, filename: str, line: int, column: str) -> tuple[float | None, str | None]:
    """(number, None), (None, flag) for a symbol, or (None, None) for an empty cell."""
    if raw is None:
        return None, None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw), None
    text = str(raw).strip()
    if not text:
        return None, None
    if text in SYMBOLS:
        return None, SYMBOLS[text]
    try:
        return float(text.replace(",", "")), None
    except ValueError:
        raise SourceFileError(
            filename,
            f"row {line}, column {column} holds {text!r}, neither a number nor one of the symbols {' '.join(SYMBOLS)}.",
            "BLS may have added a symbol; add it to SYMBOLS in pipeline/sources/oews_history/load.py.",
        ) from None


# ---------------------------------------------------------------- SQL


def _row_columns() -> list[str]:
    return [
        "reference_year",
        "scope",
        *_TEXT_OUT,
        *(dest for dest, _ in MEASURE_COLUMNS.values()),
        *(f"{dest}_flag" for dest, _ in MEASURE_COLUMNS.values()),
        "annual_wages_only",
        "hourly_wages_only",
        "top_code_hourly_usd",
        "top_code_annual_usd",
        "source_file",
        "snapshot_sha256",
        "row_in_file",
    ]


_DTYPES = {
    **{dest: "float64" for dest, _ in MEASURE_COLUMNS.values()},
    "top_code_hourly_usd": "float64",
    "top_code_annual_usd": "float64",
    "reference_year": "int64",
    "row_in_file": "int64",
    "annual_wages_only": "bool",
    "hourly_wages_only": "bool",
}
_FILE_FIELDS = (
    "reference_year",
    "scope",
    "source_file",
    "snapshot_sha256",
    "rows_in_workbook",
    "top_code_hourly_usd",
    "top_code_annual_usd",
    "has_pct_rpt",
)
_PARTITION = ", ".join(KEY)


def _check_duplicates(con) -> None:
    """The same key twice at the same occupation and industry level is not one of OEWS's documented twins."""
    dup = con.execute(
        f"""
        SELECT any_value(source_file), {_PARTITION}, occupation_group, count(*) FROM oews_history_rows
        GROUP BY {_PARTITION}, occupation_group, industry_group HAVING count(*) > 1 LIMIT 1
        """
    ).fetchall()
    if dup:
        f, year, scope, area, naics, own, soc, group, n = dup[0]
        raise SourceFileError(
            f,
            f"has {n} {group} rows for May {year} {scope} area {area}, industry {naics}, "
            f"ownership {own}, occupation {soc}; expected one.",
        )


_MEASURE_SQL = ",\n    ".join(f"CAST({dest} AS {sqltype}) AS {dest}" for dest, sqltype in MEASURE_COLUMNS.values())
_FLAG_SQL = ",\n    ".join(f"CAST({dest}_flag AS VARCHAR) AS {dest}_flag" for dest, _ in MEASURE_COLUMNS.values())
_TEXT_SQL = ",\n    ".join(f"CAST({dest} AS VARCHAR) AS {dest}" for dest in _TEXT_OUT)

# Occupations published only at the broad level appear as 'broad' and 'detailed' rows with equal values, and
# industries aggregated to 3 digits as '3-digit' and '4-digit' rows: keep the detailed / 4-digit one, and say so.
_CELLS_SQL = f"""
CREATE OR REPLACE TABLE {CELLS_TABLE} AS
WITH ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY {_PARTITION} ORDER BY occupation_group = 'detailed' DESC,
                           industry_group = '4-digit' DESC, row_in_file) AS keep_rank,
        count_if(occupation_group = 'broad') OVER (PARTITION BY {_PARTITION}) > 0
            AND count_if(occupation_group = 'detailed') OVER (PARTITION BY {_PARTITION}) > 0 AS twin_broad,
        count_if(industry_group = '3-digit') OVER (PARTITION BY {_PARTITION}) > 0
            AND count_if(industry_group = '4-digit') OVER (PARTITION BY {_PARTITION}) > 0 AS twin_3_digit
    FROM oews_history_rows
)
SELECT
    CAST(reference_year AS INTEGER) AS reference_year,
    CAST(scope AS VARCHAR) AS scope,
    {_TEXT_SQL},
    {_MEASURE_SQL},
    {_FLAG_SQL},
    CAST(annual_wages_only AS BOOLEAN) AS annual_wages_only,
    CAST(hourly_wages_only AS BOOLEAN) AS hourly_wages_only,
    CAST(top_code_hourly_usd AS DOUBLE) AS top_code_hourly_usd,
    CAST(top_code_annual_usd AS DOUBLE) AS top_code_annual_usd,
    CAST(CASE WHEN reference_year >= {MB3_FIRST_YEAR} THEN 'MB3 (model-based, from May {MB3_FIRST_YEAR})'
              ELSE 'pre-MB3' END AS VARCHAR) AS estimation_method,
    CAST(reference_year = {MB3_FIRST_YEAR} AS BOOLEAN) AS method_break_before,
    CAST(twin_broad AS BOOLEAN) AS also_published_as_broad,
    CAST(twin_3_digit AS BOOLEAN) AS also_published_as_3_digit,
    CAST(source_file AS VARCHAR) AS source_file,
    CAST(snapshot_sha256 AS VARCHAR) AS snapshot_sha256
FROM ranked
WHERE keep_rank = 1
ORDER BY reference_year, scope, row_in_file
"""

_FILES_SQL = f"""
CREATE OR REPLACE TABLE {FILES_TABLE} AS
SELECT
    CAST(f.reference_year AS INTEGER) AS reference_year,
    CAST(f.scope AS VARCHAR) AS scope,
    CAST(f.source_file AS VARCHAR) AS source_file,
    CAST(f.snapshot_sha256 AS VARCHAR) AS snapshot_sha256,
    CAST(f.rows_in_workbook AS BIGINT) AS rows_in_workbook,
    CAST((SELECT count(*) FROM {CELLS_TABLE} c WHERE c.snapshot_sha256 = f.snapshot_sha256) AS BIGINT) AS rows_loaded,
    CAST(f.top_code_hourly_usd AS DOUBLE) AS top_code_hourly_usd,
    CAST(f.top_code_annual_usd AS DOUBLE) AS top_code_annual_usd,
    CAST(f.has_pct_rpt AS BOOLEAN) AS has_pct_rpt
FROM oews_history_files f
ORDER BY reference_year, scope
"""
