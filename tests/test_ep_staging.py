"""EP staging: both real occupation.xlsx editions (pinned in tests/reference_files.py, read in place) into DuckDB.

Expected values are the OT figures and layout facts in docs/source-formats.md (Employment Projections), or read by
hand from the named worksheet cell (sheet, Excel row) where that document is silent. Workbooks built in
tmp_path are SYNTHETIC and say so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import employment_projections as ep
from pipeline.sources.employment_projections.load import EDITION_COLUMNS, PROJECTION_COLUMNS, occupation_tables
from pipeline.sources.errors import SourceFileError

EP_URL = "https://www.bls.gov/emp/ind-occ-matrix/occupation.xlsx"
RETRIEVED = "2026-11-28T00:00:00+00:00"


def _put(store: SnapshotStore, path: Path, ed: str, retrieved_at: str = RETRIEVED):
    return store.put_file(
        path,
        source_id="employment_projections",
        part=f"edition {ed}",
        filename=path.name,
        url=EP_URL,
        retrieved_at=retrieved_at,
        origin="mirror",
        relation="identical",
        license="",
        citation="",
        extra={"edition": ed},
    )


def _load(tmp: Path, store: SnapshotStore, snaps) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect(str(tmp / "warehouse.duckdb"))
    con.execute("BEGIN")
    counts = ep.load_staging(con, store, snaps)
    con.execute("COMMIT")
    return con, counts


@pytest.fixture(scope="module")
def ep_files(real_file) -> dict[str, Path]:
    return {ed: real_file(f"ep/occupation_{ed}.xlsx") for ed in ("2024-34", "2016-26")}


@pytest.fixture(scope="module")
def loaded(ep_files, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ep")
    store = SnapshotStore(tmp / "snapshots")
    snaps = [_put(store, path, ed) for ed, path in ep_files.items()]
    con, counts = _load(tmp, store, snaps)
    yield con, counts, snaps
    con.close()


def _row(con, edition: str, soc: str) -> dict:
    cur = con.execute("SELECT * FROM stg_ep__occupation_projections WHERE edition = ? AND soc_code = ?", [edition, soc])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (edition, soc, rows)
    return dict(zip(names, rows[0], strict=True))


def test_schema(loaded):
    con, counts, _ = loaded
    for table, columns in (
        ("stg_ep__occupation_projections", PROJECTION_COLUMNS),
        ("stg_ep__editions", EDITION_COLUMNS),
    ):
        got = {name: typ for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
        assert got == columns
    assert set(counts) == {"stg_ep__occupation_projections", "stg_ep__editions"}


def test_ot_2024_34(loaded):
    # docs/source-formats.md, EP (Table 1.2, row 429): "160, 182.1, 22.1, 13.8, 2.2, 10.2, 98340,
    # "Master's degree"" in thousands; the wage header is "Median annual wage, dollars, 2024[1]".
    r = _row(loaded[0], "2024-34", "29-1122")
    assert (r["base_year"], r["projection_year"]) == (2024, 2034)
    assert r["occupation_title"] == "Occupational therapists"  # printed with 8 leading spaces of hierarchy
    assert r["occupation_type"] == "Line item"
    assert r["employment_base_jobs"] == 160_000
    assert r["employment_projected_jobs"] == 182_100
    assert r["employment_change_jobs"] == 22_100
    assert r["employment_change_pct"] == pytest.approx(13.8)
    assert r["self_employed_pct"] == pytest.approx(2.2)
    assert r["openings_annual_avg_count"] == 10_200
    assert r["median_annual_wage_usd"] == 98_340
    assert r["median_annual_wage_flag"] is None and r["median_annual_wage_lower_bound_usd"] is None
    assert r["median_wage_year"] == 2024
    assert r["entry_education"] == "Master's degree"
    # Table 1.2 row 429, columns N and O: "None" is the published value (no experience / training needed).
    assert (r["work_experience"], r["on_the_job_training"]) == ("None", "None")
    assert r["source_sheet"] == "Table 1.2"
    assert r["source_file"] == "occupation_2024-34.xlsx"
    assert r["snapshot_sha256"] == "05103e6770b8ffebd6f024ff52afc9aed7e586b4aa159396ddc483c6ec572a07"  # pinned hash


def test_ot_2016_26(loaded):
    # docs/source-formats.md, EP: "2016–26: 130.4 → 161.4 (+31.0, +23.8%), openings 10.2/yr".
    r = _row(loaded[0], "2016-26", "29-1122")
    assert (r["base_year"], r["projection_year"]) == (2016, 2026)
    assert r["employment_base_jobs"] == 130_400
    assert r["employment_projected_jobs"] == 161_400
    assert r["employment_change_jobs"] == 31_000
    assert r["employment_change_pct"] == pytest.approx(23.8)
    assert r["openings_annual_avg_count"] == 10_200
    # Not in docs/source-formats.md; read by hand from occupation_2016-26.xlsx, sheet "Table 1.7", row 422:
    # ('Occupational therapists', '29-1122', 'Line item', 130.4, 161.4, 31, 23.8, 6.5, 10.2, 83200,
    #  "Master's degree", 'None', 'None'); H2 "Percent self employed, 2016", J2 "Median annual wage, 2017(1)".
    assert r["self_employed_pct"] == pytest.approx(6.5)
    assert r["median_annual_wage_usd"] == 83_200
    assert r["median_wage_year"] == 2017
    assert r["entry_education"] == "Master's degree"
    assert (r["work_experience"], r["on_the_job_training"]) == ("None", "None")
    assert r["source_sheet"] == "Table 1.7"  # source-formats.md: self-employed/education in Table 1.7 in 2016-26


def test_total_all_occupations(loaded):
    con = loaded[0]
    # source-formats.md, EP / Table 1.2 row 3: 'Total, all occupations', '00-0000', 'Summary', 169956.1, 175167.9, ...,
    # 5211.8, 3.1, 5.8, 18863.3, 49500, '—' (education).
    r = _row(con, "2024-34", "00-0000")
    assert (r["employment_base_jobs"], r["employment_projected_jobs"]) == (169_956_100, 175_167_900)
    assert r["employment_change_jobs"] == 5_211_800
    assert r["openings_annual_avg_count"] == 18_863_300
    assert r["occupation_type"] == "Summary"
    assert r["entry_education"] is None  # '—'
    # 2016-26 Table 1.7 row 4: 'Total, all occupations', '00-0000', 'Summary', 156063.8, 167582.3, 11518.6, 7.4,
    # 6.1, 18742, 37690, '—'.
    r = _row(con, "2016-26", "00-0000")
    assert (r["employment_base_jobs"], r["employment_projected_jobs"]) == (156_063_800, 167_582_300)
    assert r["openings_annual_avg_count"] == 18_742_000
    assert r["self_employed_pct"] == pytest.approx(6.1)
    assert r["median_annual_wage_usd"] == 37_690


def test_em_dash_is_null(loaded):
    con = loaded[0]
    # docs/source-formats.md, EP: "31-2011's self-employed share is '—'" (2024-34 Table 1.2 row 508); it is '—' in
    # 2016-26 too (Table 1.7 row 480). The rest of the row is there.
    r = _row(con, "2024-34", "31-2011")
    assert r["self_employed_pct"] is None
    assert (r["employment_base_jobs"], r["openings_annual_avg_count"]) == (49_200, 7_200)
    assert _row(con, "2016-26", "31-2011")["self_employed_pct"] is None
    # '—' counts in the self-employed column, by hand: 219 (2024-34 Table 1.2 J), 229 (2016-26 Table 1.7 H).
    nulls = dict(
        con.execute(
            "SELECT edition, count(*) FILTER (WHERE self_employed_pct IS NULL) "
            "FROM stg_ep__occupation_projections GROUP BY edition"
        ).fetchall()
    )
    assert nulls == {"2024-34": 219, "2016-26": 229}


def test_top_coded_wages(loaded):
    con = loaded[0]
    # Both real files top-code the wage: '>=$239,200' in 2024-34 (Table 1.2 row 419, 29-1022, and 18 more rows)
    # and '>=$208,000' in 2016-26 (Table 1.7 row 403, 29-1022, and 7 more). Counts found by hand.
    for edition, bound, n in (("2024-34", 239_200, 19), ("2016-26", 208_000, 8)):
        r = _row(con, edition, "29-1022")
        assert r["median_annual_wage_usd"] is None
        assert r["median_annual_wage_flag"] == "top_coded"
        assert r["median_annual_wage_lower_bound_usd"] == bound
        got = con.execute(
            "SELECT count(*), min(median_annual_wage_lower_bound_usd) FROM "
            "stg_ep__occupation_projections WHERE edition = ? AND median_annual_wage_flag = "
            "'top_coded'",
            [edition],
        ).fetchone()
        assert got == (n, bound)


def test_counts_and_uniqueness(loaded, ep_files):
    con, counts, snaps = loaded
    # 1,113 rows (2024-34 Table 1.2 rows 3-1115) and 1,091 (2016-26 Table 1.7 rows 4-1094; Table 1.2 rows
    # 5-1095); the same numbers validate() counts from Table 1.2 at refresh time.
    expected = {"2024-34": 1113, "2016-26": 1091}
    for snap in snaps:
        assert ep.validate(ep_files[snap.extra["edition"]], snap) == expected[snap.extra["edition"]]
    per = dict(con.execute("SELECT edition, count(*) FROM stg_ep__occupation_projections GROUP BY 1").fetchall())
    assert per == expected
    assert counts == {"stg_ep__occupation_projections": 2204, "stg_ep__editions": 2}
    dupes = con.execute(
        "SELECT count(*) FROM (SELECT edition, soc_code FROM stg_ep__occupation_projections "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0
    # No title keeps its hierarchy indent, and every row has employment and openings.
    assert (
        con.execute(
            "SELECT count(*) FROM stg_ep__occupation_projections WHERE occupation_title <> "
            "trim(occupation_title) OR employment_base_jobs IS NULL OR "
            "openings_annual_avg_count IS NULL"
        ).fetchone()[0]
        == 0
    )
    editions = con.execute(
        "SELECT edition, base_year, projection_year, source_file, occupations_loaded, "
        "sheet_used, retrieved_at FROM stg_ep__editions ORDER BY edition"
    ).fetchall()
    assert editions == [
        ("2016-26", 2016, 2026, "occupation_2016-26.xlsx", 1091, "Table 1.7", RETRIEVED),
        ("2024-34", 2024, 2034, "occupation_2024-34.xlsx", 1113, "Table 1.2", RETRIEVED),
    ]


def test_three_row_merged_header(ep_files):
    # docs/source-formats.md, EP: 2016-26 headers are merged over 2-3 rows. Table 1.2 spreads "Employment" (D2:G2) over
    # "Number" (D3:E3) over 2016 / 2026 (row 4); its openings header J2 is merged down to J4.
    tables = {t.sheet: t for t in occupation_tables(ep_files["2016-26"], "occupation_2016-26.xlsx")}
    t = tables["Table 1.2"]
    assert t.first_row == 5
    assert [t.headers[c] for c in t.columns["employment"]] == ["Employment Number 2016", "Employment Number 2026"]
    assert [t.headers[c] for c in t.columns["change"]] == ["Change, 2016-26 Number"]
    assert [t.headers[c] for c in t.columns["openings"]] == ["Occupational openings, 2016-26 annual average"]
    assert not t.has("self_employed") and not t.has("education")  # those are in Table 1.7 (docs/source-formats.md)
    assert tables["Table 1.7"].has("self_employed") and tables["Table 1.7"].has("education")


def test_schema_drift_names_column_and_file(ep_files, tmp_path):
    # SYNTHETIC: the real 2024-34 workbook with Table 1.2's openings header renamed to something unrecognisable.
    wb = openpyxl.load_workbook(ep_files["2024-34"])
    ws = wb["Table 1.2"]
    cell = next(
        c
        for row in ws.iter_rows(max_row=3)
        for c in row
        if isinstance(c.value, str) and c.value.startswith("Occupational openings")
    )
    cell.value = "Annual gaps to fill, 2024–34"
    path = tmp_path / "occupation_2024-34.xlsx"
    wb.save(path)
    store = SnapshotStore(tmp_path / "snapshots")
    snap = _put(store, path, "2024-34")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("BEGIN")
    with pytest.raises(SourceFileError) as err:
        ep.load_staging(con, store, [snap])
    con.execute("ROLLBACK")
    assert err.value.filename == "occupation_2024-34.xlsx"
    assert "has no column matching occupational openings" in err.value.reason
    assert "in sheet 'Table 1.2'" in err.value.reason
    assert "occupation_2024-34.xlsx" in str(err.value)
    # Nothing was created: the caller's transaction rolled back.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'stg_ep__%'").fetchone()[0] == 0


def test_split_sheets_join_on_soc(tmp_path):
    # SYNTHETIC layout: employment/openings on one sheet, self-employed/education on another (only some
    # occupations), two-row merged header, a '≥$239,200' top-coded wage and 'n/a' for a missing value.
    wb = openpyxl.Workbook()
    proj = wb.active
    proj.title = "Table 1.2"
    proj.append(["Table 1.2 Employment by detailed occupation, 2030 and projected 2040\n(Numbers in thousands)"])
    proj.append(
        [
            "2030 National Employment Matrix title and code",
            None,
            "Occupation type",
            "Employment",
            None,
            "Change, 2030-40",
            None,
            "Occupational openings, 2030-40 annual average",
        ]
    )
    proj.append([None, None, None, 2030, 2040, "Number", "Percent", None])
    proj.append(["Total, all occupations", "00-0000", "Summary", 170000.0, 171000.5, 1000.5, 0.6, 19000.1])
    proj.append(["  Occupational therapists", "29-1122", "Line item", 170.4, 190.0, 19.6, 11.5, 10.7])
    proj.append(["  Surgeons", "29-1240", "Line item", 50.0, 51.0, 1.0, 2.0, "n/a"])
    proj.append([None])
    proj.append(["Footnotes:", None])
    for rng in ("A2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:H3"):
        proj.merge_cells(rng)
    chars = wb.create_sheet("Table 1.7")
    chars.append(["Table 1.7 Worker characteristics, 2030"])
    chars.append(
        [
            "Title",
            "Code",
            "Percent self employed, 2030",
            "Median annual wage, 2031(1)",
            "Typical education needed for entry",
        ]
    )
    chars.append(["Occupational therapists", "29-1122", 3.1, 101000, "Master's degree"])
    chars.append(["Surgeons", "29-1240", "—", "≥$239,200", "Doctoral or professional degree"])
    path = tmp_path / "occupation_2030-40.xlsx"
    wb.save(path)
    store = SnapshotStore(tmp_path / "snapshots")
    con, counts = _load(tmp_path, store, [_put(store, path, "2030-40")])
    assert counts == {"stg_ep__occupation_projections": 3, "stg_ep__editions": 1}
    ot = _row(con, "2030-40", "29-1122")
    assert (ot["employment_base_jobs"], ot["employment_projected_jobs"]) == (170_400, 190_000)
    assert ot["openings_annual_avg_count"] == 10_700
    assert (ot["self_employed_pct"], ot["median_annual_wage_usd"], ot["median_wage_year"]) == (3.1, 101000, 2031)
    assert ot["occupation_title"] == "Occupational therapists"
    assert ot["source_sheet"] == "Table 1.2 + Table 1.7"
    total = _row(con, "2030-40", "00-0000")  # not on the characteristics sheet: its characteristics are NULL
    assert total["employment_base_jobs"] == 170_000_000 and total["self_employed_pct"] is None
    surgeons = _row(con, "2030-40", "29-1240")
    assert surgeons["openings_annual_avg_count"] is None  # 'n/a'
    assert surgeons["self_employed_pct"] is None  # '—'
    assert (surgeons["median_annual_wage_flag"], surgeons["median_annual_wage_lower_bound_usd"]) == (
        "top_coded",
        239_200,
    )
    assert con.execute("SELECT sheet_used FROM stg_ep__editions").fetchone()[0] == "Table 1.2 + Table 1.7"


def test_same_edition_twice_keeps_latest(ep_files, tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    later = _put(store, ep_files["2016-26"], "2016-26", retrieved_at="2026-11-28T00:00:00+00:00")
    earlier = dataclasses.replace(later, retrieved_at="2025-01-02T00:00:00+00:00")
    con, counts = _load(tmp_path, store, [later, earlier])
    assert counts == {"stg_ep__occupation_projections": 1091, "stg_ep__editions": 1}
    assert con.execute("SELECT retrieved_at FROM stg_ep__editions").fetchall() == [("2026-11-28T00:00:00+00:00",)]


def test_empty_snaps(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    con, counts = _load(tmp_path, store, [])
    assert counts == {"stg_ep__occupation_projections": 0, "stg_ep__editions": 0}
    for table, columns in (
        ("stg_ep__occupation_projections", PROJECTION_COLUMNS),
        ("stg_ep__editions", EDITION_COLUMNS),
    ):
        assert {n: t for n, t, *_ in con.execute(f"DESCRIBE {table}").fetchall()} == columns
