"""Staging for BLS Employment Projections: each occupation.xlsx edition -> stg_ep__* tables.

Layouts differ by edition (docs/source-formats.md, Employment Projections), so nothing here is found by position:
- the occupation table is the first row holding a SOC code (NN-NNNN); its column is the code column;
- the header is the 1-3 rows above it, below the "Table N.N ..." title; merged cells are spread over the
  columns they cover and each column's labels are joined top-down ("Employment Number 2016");
- columns are matched by pattern (_FIELDS); en/em dashes become hyphens first (2024-34 uses "2024–34");
- the sheet is the one whose header has both a self-employed and an education column (2024-34: Table 1.2,
  2016-26: Table 1.7). If that sheet carried no employment columns at all, they are taken from the sheet
  that does (most occupations wins) and joined on soc_code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.employment_projections.tables import EDITIONS, PROJECTIONS
from pipeline.sources.errors import SourceFileError
from pipeline.sources.typed_table import create_typed_table
from pipeline.sources.xlsx import open_workbook

PROJECTIONS_TABLE = PROJECTIONS.name
EDITIONS_TABLE = EDITIONS.name
# Declared once, in tables.py: name -> DuckDB type.
PROJECTION_COLUMNS = PROJECTIONS.types
EDITION_COLUMNS = EDITIONS.types

SOC = re.compile(r"^\d{2}-\d{4}$")
YEAR = re.compile(r"(?<!\d)(20\d\d)(?![\d-])")  # a single year: "2024", not the "2024" of "2024-34"
MISSING = {"", "—", "–", "-", "n/a", "na"}  # BLS prints "—" for "data unavailable"
TOP_CODED = re.compile(r"^(?:>=|≥|>)\s*\$?\s*([\d,]+(?:\.\d+)?)$")  # ">=$239,200" (2024-34), ">=$208,000" (2016-26)
HINT = "BLS may have renamed or moved it; update _FIELDS in pipeline/sources/employment_projections/load.py."


def _employment_level(h: str) -> bool:
    return (
        h.startswith("employment")
        and len(YEAR.findall(h)) == 1
        and not re.search(r"change|distribution|percent|rate|openings|separation|self", h)
    )


# field -> (what a maintainer reads in an error, predicate on the normalised header). Headers seen:
# 2024-34 "Employment, 2024" | 2016-26 "Employment 2016" (Table 1.7), "Employment Number 2016" (Table 1.2).
_FIELDS = {
    "title": ("occupation title", lambda h: "title" in h),
    "type": ("occupation type", lambda h: "occupation type" in h),
    "employment": ("'Employment, <year>' (base and projected)", _employment_level),
    "change": (
        "employment change, number",
        lambda h: "change" in h and re.search(r"\bnum(ber|eric)\b", h) and "percent" not in h,
    ),
    "change_pct": ("employment change, percent", lambda h: "change" in h and "percent" in h),
    "self_employed": ("percent self-employed", lambda h: re.search(r"self.?employed", h)),
    "openings": ("occupational openings (annual average)", lambda h: re.search(r"\bopenings\b", h)),
    "wage": ("median annual wage", lambda h: "median annual wage" in h),
    "education": ("typical education needed for entry", lambda h: "typical education" in h),
    "experience": ("work experience in a related occupation", lambda h: "work experience" in h),
    "training": ("typical on-the-job training", lambda h: "on-the-job training" in h),
}
BLOCK = ("employment", "change", "change_pct", "openings")  # the projections proper, kept together


@dataclass
class OccupationTable:
    """One worksheet's occupation table: combined headers and the data rows above the footnotes."""

    sheet: str
    code_col: int
    first_row: int  # 1-based worksheet row of the first occupation
    headers: dict[int, str]  # column -> combined header as printed (whitespace collapsed)
    rows: list[tuple]
    columns: dict[str, list[int]] = field(default_factory=dict)  # field -> matching columns

    def has(self, name: str) -> bool:
        return bool(self.columns.get(name))


def occupation_tables(path: Path, filename: str) -> list[OccupationTable]:
    """Every sheet of the workbook that holds an occupation table (a SOC code in its first 12 rows)."""
    wb = open_workbook(path, filename, read_only=False)  # merged header cells are needed
    tables = []
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        hit = next(
            (
                (i, j)
                for i, row in enumerate(rows[:12])
                for j, v in enumerate(row)
                if isinstance(v, str) and SOC.match(v.strip())
            ),
            None,
        )
        if hit is None:
            continue
        first, code_col = hit
        headers = _combined_headers(ws, rows, first)
        data = []
        for row in rows[first:]:
            code = row[code_col] if code_col < len(row) else None
            if code is None or str(code).strip() == "":
                break  # footnotes follow the last occupation
            data.append(row)
        table = OccupationTable(ws.title, code_col, first + 1, headers, data)
        for name, (_, match) in _FIELDS.items():
            table.columns[name] = [c for c, h in headers.items() if c != code_col and match(_norm(h))]
        tables.append(table)
    return tables


def _combined_headers(ws, rows: list[tuple], first: int) -> dict[int, str]:
    """Join the header rows above the first data row, column by column, merged cells spread out."""
    top = max(0, first - 3)
    for i in range(first - 1, top - 1, -1):
        if rows[i] and isinstance(rows[i][0], str) and re.match(r"\s*Table\s+\d", rows[i][0]):
            top = i + 1  # the title row ("Table 1.7 Occupational projections, ...") is not a header
            break
    spread: dict[tuple[int, int], object] = {}  # 0-based (row, column) -> the merged range's value
    for rng in ws.merged_cells.ranges:
        if rng.max_row - 1 < top or rng.min_row - 1 >= first:
            continue
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row - 1, rng.max_row):
            for c in range(rng.min_col - 1, rng.max_col):
                spread[(r, c)] = value
    width = max((len(rows[r]) for r in range(top, first + 1)), default=0)
    headers = {}
    for c in range(width):
        parts: list[str] = []
        for r in range(top, first):
            value = spread.get((r, c), rows[r][c] if c < len(rows[r]) else None)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            text = " ".join(str(value).split()) if value is not None else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        headers[c] = " ".join(parts)
    return headers


def _norm(header: str) -> str:
    return header.lower().replace("–", "-").replace("—", "-")


# ---------------------------------------------------------------- one edition


def read_edition(path: Path, snap: SnapshotMeta) -> tuple[dict, list[dict]]:
    """Parse one workbook: (its stg_ep__editions row, its stg_ep__occupation_projections rows)."""
    name = snap.filename
    tables = occupation_tables(path, name)
    chars = next((t for t in tables if t.has("self_employed") and t.has("education")), None)
    if chars is None or not any(chars.has(f) for f in BLOCK):
        # Characteristics and projections on different sheets (or no characteristics sheet at all):
        # the projections come from the sheet holding employment and openings with the most occupations.
        candidates = [t for t in tables if t is not chars and t.has("employment") and t.has("openings")]
        block = max(candidates, key=lambda t: len(t.rows), default=chars)
    else:
        block = chars  # a sheet with part of the block must have all of it: a gap there is drift, not layout
    if block is None:
        raise SourceFileError(
            name,
            "has no sheet with an occupation table holding employment projections "
            f"(sheets with SOC codes: {[t.sheet for t in tables]}).",
            HINT,
        )
    for need in ("title", "openings"):
        if not block.has(need):
            _missing(name, block, need)
    levels = block.columns["employment"]
    # _employment_level accepted each of these headers for holding exactly one year.
    years = sorted((int(YEAR.findall(_norm(block.headers[c]))[0]), c) for c in levels)
    if len(years) != 2 or years[0][0] == years[1][0]:
        _missing(name, block, "employment", f" (found {[block.headers[c] for c in levels]})")
    (base_year, base_col), (proj_year, proj_col) = years
    edition = f"{base_year}-{str(proj_year)[2:]}"
    if snap.extra.get("edition") not in (None, edition):
        raise SourceFileError(
            name,
            f"is recorded as edition {snap.extra['edition']} but its sheet "
            f"{block.sheet!r} projects {base_year} to {proj_year}.",
            HINT,
        )

    def col(table: OccupationTable | None, key: str) -> int | None:
        if table is None or not table.has(key):
            return None
        if len(table.columns[key]) > 1:
            heads = [table.headers[c] for c in table.columns[key]]
            raise SourceFileError(
                name, f"has {len(heads)} columns matching {_FIELDS[key][0]} in sheet {table.sheet!r}: {heads}.", HINT
            )
        return table.columns[key][0]

    # field -> (sheet, column). The projections block and the title come from the projections sheet; each
    # characteristic from the characteristics sheet, else from the projections sheet, else it stays NULL.
    source: dict[str, tuple[OccupationTable | None, int | None]] = {
        k: (block, col(block, k)) for k in ("change", "change_pct", "openings", "title")
    }
    for k in ("type", "self_employed", "wage", "education", "experience", "training"):
        source[k] = (chars, col(chars, k)) if col(chars, k) is not None else (block, col(block, k))
    wage_table, wage_col = source["wage"]
    wage_year = None
    if wage_table is not None and wage_col is not None and (m := re.search(r"(20\d\d)", wage_table.headers[wage_col])):
        wage_year = int(m.group(1))
    by_soc = {}
    if chars is not None and chars is not block:
        by_soc = {str(r[chars.code_col]).strip(): r for r in chars.rows}
    sheets = block.sheet if chars in (None, block) else f"{block.sheet} + {chars.sheet}"

    out, seen = [], set()
    for i, row in enumerate(block.rows):
        soc = str(row[block.code_col]).strip()
        where = f"sheet {block.sheet!r} row {block.first_row + i}"
        if not SOC.match(soc):
            raise SourceFileError(name, f"{where}: code {soc!r} is not a SOC code (NN-NNNN).", HINT)
        if soc in seen:
            raise SourceFileError(name, f"{where}: SOC code {soc} appears twice.", HINT)
        seen.add(soc)
        joined = by_soc.get(soc)  # the characteristics row, when they sit on another sheet

        def cell(key: str, row=row, joined=joined, where=where) -> tuple[Any, str]:
            table, c = source[key]
            r = row if table is block else joined
            return (r[c] if r is not None and c is not None and c < len(r) else None), f"{where} ({key})"

        wage, wage_flag, wage_bound = _wage(*cell("wage"), name)
        out.append(
            {
                "edition": edition,
                "base_year": base_year,
                "projection_year": proj_year,
                "soc_code": soc,
                "occupation_title": _text(cell("title")[0]),  # stripped: leading spaces only show the hierarchy
                "occupation_type": _text(cell("type")[0]),
                # Employment and openings are published in thousands: x1000 and rounded to whole persons
                # (160.0 -> 160000, 10.2 -> 10200; rounding removes float noise such as 182099.99999999997).
                "employment_base_jobs": _persons(_number(row[base_col], f"{where} (employment {base_year})", name)),
                "employment_projected_jobs": _persons(
                    _number(row[proj_col], f"{where} (employment {proj_year})", name)
                ),
                "employment_change_jobs": _persons(_number(*cell("change"), name)),
                "employment_change_pct": _number(*cell("change_pct"), name),  # percent as printed: 13.8 = 13.8%
                "self_employed_pct": _number(*cell("self_employed"), name),
                "openings_annual_avg_count": _persons(_number(*cell("openings"), name)),
                "median_annual_wage_usd": wage,
                "median_annual_wage_flag": wage_flag,
                "median_annual_wage_lower_bound_usd": wage_bound,
                "median_wage_year": wage_year,
                # Text kept as published; "None" is a real value here (no experience / training needed).
                "entry_education": _text(cell("education")[0]),
                "work_experience": _text(cell("experience")[0]),
                "on_the_job_training": _text(cell("training")[0]),
                "source_sheet": sheets,
                "source_file": name,
                "snapshot_sha256": snap.sha256,
            }
        )
    if not out:
        raise SourceFileError(name, f"sheet {block.sheet!r} has no occupation rows.", HINT)
    meta = {
        "edition": edition,
        "base_year": base_year,
        "projection_year": proj_year,
        "source_file": name,
        "snapshot_sha256": snap.sha256,
        "occupations_loaded": len(out),
        "sheet_used": sheets,
        "retrieved_at": snap.retrieved_at,
    }
    return meta, out


def _missing(filename: str, table: OccupationTable, key: str, extra: str = "") -> None:
    heads = [h for h in table.headers.values() if h]
    raise SourceFileError(
        filename,
        f"has no column matching {_FIELDS[key][0]} in sheet {table.sheet!r}{extra}; its headers are {heads}.",
        HINT,
    )


def _number(value, where: str, filename: str) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    try:
        return float(text.replace(",", "").replace("$", ""))
    except ValueError:
        raise SourceFileError(filename, f"{where}: {value!r} is not a number.", HINT) from None


def _wage(value, where: str, filename: str) -> tuple[float | None, str | None, float | None]:
    """(wage, flag, lower bound): a top-coded ">=$239,200" gives no wage, flag 'top_coded' and its bound."""
    if isinstance(value, str) and (m := TOP_CODED.match(value.strip())):
        return None, "top_coded", float(m.group(1).replace(",", ""))
    return _number(value, where, filename), None, None


def _persons(thousands: float | None) -> int | None:
    return None if thousands is None else int(round(thousands * 1000))


def _text(value) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in MISSING else text


# ---------------------------------------------------------------- load


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """(Re)create stg_ep__occupation_projections and stg_ep__editions; return {table: rows}.

    Runs inside the caller's transaction (no BEGIN/COMMIT here). With no snapshots both tables are created empty.
    """
    editions: dict[str, tuple[dict, list[dict]]] = {}
    for snap in snaps:
        meta, rows = read_edition(store.verify(snap.sha256), snap)
        # Two snapshots of one edition: BLS re-posts an edition in place (corrected wages, revised rows), so the
        # most recently retrieved file is the one BLS publishes now (a tie goes to the later in the list). The
        # older stays in the store for lineage.
        held = editions.get(meta["edition"])
        if held is None or _when(snap.retrieved_at) >= _when(held[0]["retrieved_at"]):
            editions[meta["edition"]] = (meta, rows)
    projections = [r for _, (_, rows) in sorted(editions.items()) for r in rows]
    metas = [meta for _, (meta, _) in sorted(editions.items())]
    return {
        PROJECTIONS_TABLE: create_typed_table(con, PROJECTIONS_TABLE, PROJECTIONS.ddl, projections),
        EDITIONS_TABLE: create_typed_table(con, EDITIONS_TABLE, EDITIONS.ddl, metas),
    }


def _when(iso: str) -> datetime:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)  # recorded as UTC (SnapshotMeta)
