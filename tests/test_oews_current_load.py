"""OEWS current release: both origins load the same staging table, and known cells come out right.

Expected values are read by hand from the reference files: the national row for 29-1122 in
oe.data.May2025.29-1122.reconstructed.tsv (series OEUN000000000000029112201 = 162450, ...13 = 100330), and
the figures docs/source-formats.md gives for California and NAICS 621340.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import oews_current
from pipeline.transaction import transaction


def _store_flat_files(store: SnapshotStore, files: dict[str, Path]):
    return [
        store.put_file(
            path,
            source_id="oews_current",
            filename=name,
            url=oews_current.flat_file_url(name),
            retrieved_at="2026-11-28T00:00:00+00:00",
            origin="mirror",
            relation="reconstructed",
            license="",
            citation="",
        )
        for name, path in files.items()
    ]


@pytest.fixture(scope="module")
def flat_con(oews_flat_files, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flatload")
    store = SnapshotStore(tmp / "snapshots")
    snaps = _store_flat_files(store, oews_flat_files)
    con = duckdb.connect(str(tmp / "w.duckdb"))
    with transaction(con):
        counts = oews_current.load_staging(con, store, snaps)
    yield con, counts
    con.close()


@pytest.fixture(scope="module")
def package_con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pkgload")
    store = SnapshotStore(tmp / "snapshots")
    snaps = oews_current.snapshot_from_package(store)
    con = duckdb.connect(str(tmp / "w.duckdb"))
    with transaction(con):
        counts = oews_current.load_staging(con, store, snaps)
    yield con, counts
    con.close()


def _cell(con, area, industry, occupation="291122"):
    return (
        con.execute(
            "SELECT * FROM stg_oews__cells WHERE area_code = ? AND industry_code = ? AND occupation_code = ?",
            [area, industry, occupation],
        )
        .df()
        .iloc[0]
    )


def test_flat_file_subset_has_every_published_cell(flat_con):
    con, counts = flat_con
    # docs/source-formats.md: 626 cells for 29-1122 (1 national, 82 national-industry, 52 states, 491 metro/nonmetro).
    assert counts["stg_oews__cells"] == 626
    by_type = dict(con.execute("SELECT areatype_code, count(*) FROM stg_oews__cells GROUP BY 1").fetchall())
    assert by_type == {"N": 1 + 82, "S": 52, "M": 491}


def test_package_origin_loads_the_full_release(package_con):
    con, counts = package_con
    assert counts["stg_oews__cells"] == 370_172  # the package manifest's cell count
    assert counts["stg_oews__occupations"] == 1_104
    assert con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0] == "May 2025"


@pytest.mark.parametrize("con_fixture", ["flat_con", "package_con"])
def test_known_cells(request, con_fixture):
    con, _ = request.getfixturevalue(con_fixture)
    national = _cell(con, "0000000", "000000")
    assert national.employment_count == 162_450
    assert national.employment_rse_pct == 1.2
    assert national.annual_mean_wage_usd == 101_280
    assert national.annual_median_wage_usd == 100_330
    assert national.hourly_median_wage_usd == 48.24
    assert national.annual_p10_wage_usd == 71_690 and national.annual_p90_wage_usd == 131_950
    california = _cell(con, "0600000", "000000")
    assert california.employment_count == 13_810 and california.annual_median_wage_usd == 124_510
    offices = _cell(con, "0000000", "621340")
    assert offices.employment_count == 46_340 and offices.annual_median_wage_usd == 97_940


def test_both_origins_give_identical_rows_for_the_occupation(flat_con, package_con):
    flat = (
        flat_con[0]
        .execute("SELECT * FROM stg_oews__cells WHERE occupation_code = '291122' ORDER BY area_code, industry_code")
        .df()
    )
    pkg = (
        package_con[0]
        .execute("SELECT * FROM stg_oews__cells WHERE occupation_code = '291122' ORDER BY area_code, industry_code")
        .df()
    )
    assert len(flat) == len(pkg) == 626
    assert flat.equals(pkg)


def test_special_values_become_null_with_a_flag(package_con):
    con, _ = package_con
    flags = dict(
        con.execute(
            "SELECT annual_p90_wage_usd_flag, count(*) FROM stg_oews__cells "
            "WHERE annual_p90_wage_usd IS NULL GROUP BY 1"
        ).fetchall()
    )
    # Every missing p90 carries a reason, and top-coding is among them (footnote 5 in the release).
    assert None not in flags
    assert flags["top_coded"] > 0 and flags["not_released"] > 0
    published_with_flag = con.execute(
        "SELECT count(*) FROM stg_oews__cells "
        "WHERE annual_p90_wage_usd IS NOT NULL AND annual_p90_wage_usd_flag IS NOT NULL"
    ).fetchone()[0]
    assert published_with_flag == 0
