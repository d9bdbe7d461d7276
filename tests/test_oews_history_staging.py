"""OEWS history staging: the five real May workbooks (2020-2024, pinned in tests/reference_files.py, read in
place) load into harmonised tables.

Every expected value below was read by hand. Where from:
- OT (29-1122) national cross-industry figures: the workbooks themselves; docs/source-formats.md tabulates them
  (the 2020 and 2022 figures are also quoted by third-party pages that cite BLS).
- Row counts, special cells and duplicated occupations: the workbooks themselves, opened with openpyxl
  (read_only, values_only) before writing these tests; docs/source-formats.md gives the same 2024 symbol counts.
Workbooks marked SYNTHETIC are copies of the real May 2024 workbook changed in one place by the test.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import oews_history
from pipeline.sources.errors import SourceFileError

YEARS = range(2020, 2025)
# Data rows per workbook (row 1 is the header; counted with openpyxl; the same numbers are the `rows` that
# warehouse/sources.lock records for each pinned workbook). May 2024 = 1 total + 22 major + 94 minor + 455 broad
# + 831 detailed, as docs/source-formats.md counts O_GROUP.
WORKBOOK_ROWS = {2020: 1329, 2021: 1403, 2022: 1402, 2023: 1403, 2024: 1403}
# Occupations listed twice (broad + detailed) in each workbook: 13 in May 2020 (11-2030, 11-3010, 13-1020, 13-2020,
# 19-4010, 27-2090, 29-2010, 29-2040, 31-1120, 33-1090, 39-7010, 47-4090, 51-2090), 7 from May 2021 on.
BROAD_TWINS = {2020: 13, 2021: 7, 2022: 7, 2023: 7, 2024: 7}
KEY = "reference_year, scope, area_code, naics_code, ownership_code, soc_code"


def _workbook(real_file, year: int) -> Path:
    return real_file(f"oews/national/national_M{year}_dl.xlsx")


def _put(store: SnapshotStore, path: Path, year: int, extra: dict | None = None, part: str | None = None):
    part = part or f"oesm{year % 100:02d}nat"
    return store.put_file(
        path,
        source_id="oews_history",
        part=part,
        filename=path.name,
        url=f"https://www.bls.gov/oes/special-requests/{part}.zip",
        retrieved_at="2026-11-28T00:00:00+00:00",
        origin="mirror",
        relation="member-of-archive",
        license="",
        citation="",
        extra={"reference_year": year, "scope": "nat"} if extra is None else extra,
    )


def _load(tmp: Path, snaps_for) -> tuple[duckdb.DuckDBPyConnection, dict, float]:
    store = SnapshotStore(tmp / "snapshots")
    snaps = snaps_for(store)
    con = duckdb.connect(str(tmp / "w.duckdb"))
    started = time.perf_counter()
    con.execute("BEGIN")
    counts = oews_history.load_staging(con, store, snaps)
    con.execute("COMMIT")
    return con, counts, time.perf_counter() - started


@pytest.fixture(scope="module")
def loaded(real_file, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    con, counts, seconds = _load(tmp, lambda store: [_put(store, _workbook(real_file, y), y) for y in YEARS])
    yield con, counts, seconds
    con.close()


def _one(con, sql: str, params=()):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def _cell(con, year: int, soc: str, columns: str):
    return _one(
        con,
        f"SELECT {columns} FROM stg_oews__history_cells WHERE reference_year = ? AND soc_code = ? "
        "AND area_code = '99' AND naics_code = '000000'",
        (year, soc),
    )


# ---------------------------------------------------------------- every year


def test_every_year_loads_with_its_row_count(loaded):
    con, counts, seconds = loaded
    expected = {y: WORKBOOK_ROWS[y] - BROAD_TWINS[y] for y in YEARS}  # the broad twin of each pair is dropped
    assert counts == {"stg_oews__history_cells": sum(expected.values()), "stg_oews__history_files": 5}
    files = con.execute(
        "SELECT reference_year, scope, rows_in_workbook, rows_loaded, has_pct_rpt "
        "FROM stg_oews__history_files ORDER BY reference_year"
    ).fetchall()
    assert files == [(y, "nat", WORKBOOK_ROWS[y], expected[y], y != 2020) for y in YEARS]
    per_year = dict(con.execute("SELECT reference_year, count(*) FROM stg_oews__history_cells GROUP BY 1").fetchall())
    assert per_year == expected
    assert seconds < 15, f"5 workbooks took {seconds:.1f} s"  # about 1.2 s on the development machine


def test_codes_stay_strings_and_occupation_code_drops_the_hyphen(loaded):
    con, _, _ = loaded
    assert _cell(
        con,
        2024,
        "29-1122",
        "area_code, area_type_code, prim_state, naics_code, naics_title, "
        "industry_group, ownership_code, occupation_code, occupation_title, "
        "occupation_group",
    ) == (
        "99",
        "1",
        "US",
        "000000",
        "Cross-industry",
        "cross-industry",
        "1235",
        "291122",
        "Occupational Therapists",
        "detailed",
    )
    bad = _one(
        con,
        "SELECT count(*) FROM stg_oews__history_cells WHERE occupation_code <> replace(soc_code, '-', '') "
        "OR length(occupation_code) <> 6",
    )
    assert bad == (0,)


# ---------------------------------------------------------------- OT, by hand from the workbooks


@pytest.mark.parametrize(
    "year, employment, mean, median, p10, p90",
    [
        (2020, 126610, 87480, 86280, 57330, 122670),
        (2021, 127830, 89470, 85570, 60680, 123840),
        (2022, 134980, 92800, 93180, 63320, 123870),
        (2023, 144840, 96790, 96370, 65210, 129620),
        (2024, 152280, 98240, 98340, 67090, 129830),
    ],
)
def test_occupational_therapists_match_provenance(loaded, year, employment, mean, median, p10, p90):
    con, _, _ = loaded
    got = _cell(
        con,
        year,
        "29-1122",
        "employment_count, annual_mean_wage_usd, annual_median_wage_usd, "
        "annual_p10_wage_usd, annual_p90_wage_usd, annual_median_wage_usd_flag",
    )
    assert got == (employment, mean, median, p10, p90, None)


def test_hourly_and_precision_columns_for_ot_may_2024(loaded):
    con, _, _ = loaded
    # From the workbook's OT row: EMP_PRSE 1.1, H_MEAN 47.23, MEAN_PRSE 0.4, H_MEDIAN 47.28, H_PCT90 62.42.
    assert _cell(
        con,
        2024,
        "29-1122",
        "employment_rse_pct, hourly_mean_wage_usd, wage_rse_pct, hourly_median_wage_usd, hourly_p90_wage_usd",
    ) == (1.1, 47.23, 0.4, 47.28, 62.42)


# ---------------------------------------------------------------- methods and thresholds


def test_top_code_thresholds_come_from_each_workbooks_notes(loaded):
    con, _, _ = loaded
    # Field Descriptions, Notes: "#  = indicates a wage equal to or greater than $100.00 per hour or $208,000 per
    # year" in May 2020 and 2021; "$115.00 per hour or $239,200 per year" from May 2022.
    expected = {
        2020: (100.0, 208000.0),
        2021: (100.0, 208000.0),
        2022: (115.0, 239200.0),
        2023: (115.0, 239200.0),
        2024: (115.0, 239200.0),
    }
    files = con.execute(
        "SELECT reference_year, top_code_hourly_usd, top_code_annual_usd FROM stg_oews__history_files"
    ).fetchall()
    assert {y: (h, a) for y, h, a in files} == expected
    cells = con.execute(
        "SELECT DISTINCT reference_year, top_code_hourly_usd, top_code_annual_usd FROM stg_oews__history_cells"
    ).fetchall()
    assert {y: (h, a) for y, h, a in cells} == expected


def test_estimation_method_and_the_may_2021_break(loaded):
    con, _, _ = loaded
    rows = con.execute(
        "SELECT DISTINCT reference_year, estimation_method, method_break_before FROM stg_oews__history_cells ORDER BY 1"
    ).fetchall()
    assert rows == [(2020, "pre-MB3", False)] + [
        (y, "MB3 (model-based, from May 2021)", y == 2021) for y in range(2021, 2025)
    ]


# ---------------------------------------------------------------- special values, found by hand


def test_hash_is_top_coded_never_missing(loaded):
    con, _, _ = loaded
    # May 2024, 29-1022 Oral and Maxillofacial Surgeons: A_MEDIAN '#', H_MEDIAN '#', A_MEAN 360240.
    got = _cell(
        con,
        2024,
        "29-1022",
        "occupation_title, annual_median_wage_usd, annual_median_wage_usd_flag, "
        "hourly_median_wage_usd_flag, annual_mean_wage_usd, annual_mean_wage_usd_flag, "
        "top_code_annual_usd",
    )
    assert got == ("Oral and Maxillofacial Surgeons", None, "top_coded", "top_coded", 360240.0, None, 239200.0)


def test_double_star_is_an_employment_estimate_not_released(loaded):
    con, _, _ = loaded
    # May 2020, 13-1074 Farm Labor Contractors: TOT_EMP '**' and EMP_PRSE '**' (the only ones), A_MEAN 50300.
    got = _cell(
        con,
        2020,
        "13-1074",
        "occupation_title, employment_count, employment_count_flag, "
        "employment_rse_pct, employment_rse_pct_flag, annual_mean_wage_usd",
    )
    assert got == ("Farm Labor Contractors", None, "not_released", None, "not_released", 50300.0)


def test_star_in_a_row_with_both_wage_bases_is_not_released(loaded):
    con, _, _ = loaded
    # May 2021, 41-9012 Models: MEAN_PRSE '*' (the only one), H_MEAN and A_MEAN '*', ANNUAL and HOURLY empty.
    got = _cell(
        con,
        2021,
        "41-9012",
        "occupation_title, wage_rse_pct, wage_rse_pct_flag, hourly_mean_wage_usd_flag, "
        "annual_mean_wage_usd_flag, annual_wages_only, hourly_wages_only, employment_count",
    )
    assert got == ("Models", None, "not_released", "not_released", "not_released", False, False, 2000)


def test_star_in_the_basis_a_row_does_not_publish(loaded):
    con, _, _ = loaded
    # May 2024, 53-2011 Airline Pilots, Copilots, and Flight Engineers: ANNUAL 'TRUE', H_PCT75 '*', A_PCT75 '#'.
    got = _cell(
        con,
        2024,
        "53-2011",
        "annual_wages_only, hourly_p75_wage_usd, hourly_p75_wage_usd_flag, "
        "annual_p75_wage_usd, annual_p75_wage_usd_flag",
    )
    assert got == (True, None, "wage_basis_not_published", None, "top_coded")
    # May 2024, 27-2011 Actors: HOURLY 'TRUE', A_MEDIAN '*', H_MEDIAN 23.33.
    got = _cell(
        con,
        2024,
        "27-2011",
        "hourly_wages_only, annual_median_wage_usd_flag, hourly_median_wage_usd, hourly_median_wage_usd_flag",
    )
    assert got == (True, "wage_basis_not_published", 23.33, None)


def test_flag_counts_in_may_2024_match_the_documented_counts(loaded):
    con, _, _ = loaded
    # docs/source-formats.md: '*' 83 times in each H_* column and 7 in each A_* column; '#' 19 times in A_MEDIAN, 72 in
    # A_PCT90. None of these rows is a broad twin, so de-duplication keeps every one.
    got = _one(
        con,
        """
        SELECT count_if(hourly_median_wage_usd_flag = 'wage_basis_not_published'),
               count_if(annual_median_wage_usd_flag = 'wage_basis_not_published'),
               count_if(annual_median_wage_usd_flag = 'top_coded'),
               count_if(annual_p90_wage_usd_flag = 'top_coded'),
               count_if(annual_wages_only), count_if(hourly_wages_only)
        FROM stg_oews__history_cells WHERE reference_year = 2024""",
    )
    assert got == (83, 7, 19, 72, 83, 7)


def test_a_flag_always_means_no_value(loaded):
    con, _, _ = loaded
    from pipeline.sources.oews_history.load import MEASURE_COLUMNS

    for column, _ in MEASURE_COLUMNS.values():
        both = _one(
            con,
            f"SELECT count(*) FROM stg_oews__history_cells WHERE {column} IS NOT NULL AND {column}_flag IS NOT NULL",
        )
        assert both == (0,), column
    names = {
        r[0]
        for col, _ in MEASURE_COLUMNS.values()
        for r in con.execute(f"SELECT DISTINCT {col}_flag FROM stg_oews__history_cells").fetchall()
    }
    assert names <= {None, "top_coded", "not_released", "wage_basis_not_published", "under_half_percent"}


def test_may_2020_has_no_pct_rpt_and_the_national_file_leaves_it_empty(loaded):
    con, _, _ = loaded
    got = con.execute("""
        SELECT reference_year, count(establishments_reporting_pct), count(establishments_reporting_pct_flag)
        FROM stg_oews__history_cells GROUP BY 1 ORDER BY 1""").fetchall()
    # May 2020 lacks the column; the later national cross-industry files have it, but empty (source-formats.md: PCT_RPT
    # is filled only in national-industry files). So there is no '~' anywhere in these five files.
    assert got == [(y, 0, 0) for y in YEARS]


def test_may_2024_documents_the_tilde(real_file):
    wb = openpyxl.load_workbook(_workbook(real_file, 2024), read_only=True)
    notes = [c for row in wb["Field Descriptions"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(n.startswith("~ =indicates that the percent of establishments reporting") for n in notes)
    wb.close()


# ---------------------------------------------------------------- the broad / detailed twins


def test_key_is_unique_and_broad_twins_keep_the_detailed_row(loaded):
    con, _, _ = loaded
    assert (
        con.execute(f"SELECT {KEY}, count(*) FROM stg_oews__history_cells GROUP BY ALL HAVING count(*) > 1").fetchall()
        == []
    )
    flagged = dict(
        con.execute(
            "SELECT reference_year, count_if(also_published_as_broad) FROM stg_oews__history_cells GROUP BY 1"
        ).fetchall()
    )
    assert flagged == BROAD_TWINS
    # May 2024, 31-1120 Home Health and Personal Care Aides: listed as 'broad' and as 'detailed', TOT_EMP 3988140
    # in both rows.
    got = _cell(con, 2024, "31-1120", "occupation_title, occupation_group, also_published_as_broad, employment_count")
    assert got == ("Home Health and Personal Care Aides", "detailed", True, 3988140)
    # A broad occupation with detailed children is not a twin: 29-1120 Therapists stays 'broad', unflagged.
    assert _cell(con, 2024, "29-1120", "occupation_group, also_published_as_broad") == ("broad", False)
    assert _one(con, "SELECT count_if(also_published_as_3_digit) FROM stg_oews__history_cells") == (0,)


# ---------------------------------------------------------------- SYNTHETIC drift and edge cases


@pytest.fixture(scope="module")
def may_2024_copy(real_file):
    """A writable openpyxl copy of the real May 2024 workbook; each test changes it and saves its own file."""

    def make():
        return openpyxl.load_workbook(_workbook(real_file, 2024))

    return make


def _header_cell(ws, name: str):
    return next(c for c in ws[1] if c.value == name)


def _load_one(tmp_path: Path, path: Path, year: int = 2024, extra: dict | None = None, part: str | None = None):
    con, counts, _ = _load(tmp_path, lambda store: [_put(store, path, year, extra, part)])
    return con, counts


def _drifted(tmp_path: Path, wb) -> Path:
    out = tmp_path / "drift" / "national_M2024_dl.xlsx"
    out.parent.mkdir(exist_ok=True)
    wb.save(out)
    return out


def test_renamed_column_names_column_and_file(tmp_path, may_2024_copy):
    wb = may_2024_copy()
    _header_cell(wb.worksheets[0], "A_MEDIAN").value = "A_MEDIAN_WAGE"  # SYNTHETIC: BLS renames a column
    path = _drifted(tmp_path, wb)
    with pytest.raises(SourceFileError) as err:
        _load_one(tmp_path, path)
    assert "A_MEDIAN" in str(err.value) and "national_M2024_dl.xlsx" in str(err.value)
    assert err.value.filename == "national_M2024_dl.xlsx"


def test_deleted_column_names_column_and_file(tmp_path, may_2024_copy):
    wb = may_2024_copy()
    ws = wb.worksheets[0]
    ws.delete_cols(_header_cell(ws, "TOT_EMP").column)  # SYNTHETIC: TOT_EMP is gone
    path = _drifted(tmp_path, wb)
    with pytest.raises(SourceFileError, match=r"national_M2024_dl\.xlsx.*no column TOT_EMP"):
        _load_one(tmp_path, path)


def test_lower_case_headers_and_a_tilde(tmp_path, may_2024_copy):
    wb = may_2024_copy()
    ws = wb.worksheets[0]
    for cell in ws[1]:
        cell.value = cell.value.lower()  # SYNTHETIC: lower-case header names, as Field Descriptions spells them
    pct_rpt = _header_cell(ws, "pct_rpt").column
    occ = _header_cell(ws, "occ_code").column
    ot_row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, occ).value == "29-1122")
    ws.cell(ot_row, pct_rpt).value = "~"  # SYNTHETIC: fewer than 0.5% of establishments report OTs
    ws.cell(ot_row + 1, pct_rpt).value = 3.5  # SYNTHETIC: a number in the next row
    con, counts = _load_one(tmp_path, _drifted(tmp_path, wb))
    assert counts["stg_oews__history_cells"] == WORKBOOK_ROWS[2024] - BROAD_TWINS[2024]
    assert _cell(
        con,
        2024,
        "29-1122",
        "employment_count, annual_median_wage_usd, establishments_reporting_pct, establishments_reporting_pct_flag",
    ) == (152280, 98340.0, None, "under_half_percent")
    assert _one(
        con,
        "SELECT count(establishments_reporting_pct), sum(establishments_reporting_pct) FROM stg_oews__history_cells",
    ) == (1, 3.5)


def test_missing_top_code_note_is_an_error(tmp_path, may_2024_copy):
    wb = may_2024_copy()
    for row in wb["Field Descriptions"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("#"):
                cell.value = None  # SYNTHETIC: the note giving the threshold is gone
    with pytest.raises(SourceFileError, match=r"national_M2024_dl\.xlsx.*top-code note"):
        _load_one(tmp_path, _drifted(tmp_path, wb))


def test_unknown_symbol_is_an_error(tmp_path, may_2024_copy):
    wb = may_2024_copy()
    ws = wb.worksheets[0]
    ws.cell(2, _header_cell(ws, "A_MEAN").column).value = "(8)"  # SYNTHETIC: a marker BLS has never used
    with pytest.raises(SourceFileError, match=r"row 2, column A_MEAN holds '\(8\)'"):
        _load_one(tmp_path, _drifted(tmp_path, wb))


def test_year_and_scope_from_the_workbook_when_the_snapshot_lacks_them(tmp_path, real_file):
    con, counts = _load_one(tmp_path, _workbook(real_file, 2022), 2022, extra={})
    assert _one(con, "SELECT DISTINCT reference_year, scope FROM stg_oews__history_cells") == (2022, "nat")


def test_snapshot_labelled_with_the_wrong_year_is_an_error(tmp_path, real_file):
    with pytest.raises(SourceFileError, match=r"national_M2021_dl\.xlsx.*May 2020.*national_M2021_dl"):
        _load_one(tmp_path, _workbook(real_file, 2021), 2020)


def test_a_failed_load_leaves_the_previous_tables(tmp_path, real_file, may_2024_copy):
    con, _, _ = _load(tmp_path, lambda store: [_put(store, _workbook(real_file, 2023), 2023)])
    wb = may_2024_copy()
    _header_cell(wb.worksheets[0], "A_MEDIAN").value = "A_MED"  # SYNTHETIC
    store = SnapshotStore(tmp_path / "snapshots")
    bad = _put(store, _drifted(tmp_path, wb), 2024)
    con.execute("BEGIN")
    with pytest.raises(SourceFileError):
        oews_history.load_staging(con, store, [bad])
    con.execute("ROLLBACK")
    assert _one(con, "SELECT count(*), min(reference_year) FROM stg_oews__history_cells") == (1403 - 7, 2023)


def test_no_snapshots_gives_empty_tables_with_the_same_columns(tmp_path, loaded):
    full, _, _ = loaded
    con, counts, _ = _load(tmp_path, lambda store: [])
    assert counts == {"stg_oews__history_cells": 0, "stg_oews__history_files": 0}
    for table in counts:
        assert con.execute(f"DESCRIBE {table}").fetchall() == full.execute(f"DESCRIBE {table}").fetchall()
