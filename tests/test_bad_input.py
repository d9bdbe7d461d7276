"""Corrupt or truncated source files fail with the file's name and the reason, and never half-load a table."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import oews_current
from pipeline.sources.errors import SourceFileError
from pipeline.transaction import transaction


def load(con, store, snaps):
    with transaction(con):  # as the pipeline runs it: a failure rolls everything back
        return oews_current.load_staging(con, store, snaps)


def _snap(store, path, name):
    return store.put_file(
        path,
        source_id="oews_current",
        filename=name,
        url="file://" + str(path),
        retrieved_at="2026-11-28T00:00:00+00:00",
        origin="mirror",
        relation="reconstructed",
        license="",
        citation="",
    )


def _flat_snaps(store, files, replace: dict[str, Path]):
    return [_snap(store, replace.get(name, path), name) for name, path in files.items()]


@pytest.fixture
def good_warehouse(tmp_path, oews_flat_files):
    """A warehouse already holding a good load, to prove a failed load leaves it untouched."""
    store = SnapshotStore(tmp_path / "snapshots")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(con, store, _flat_snaps(store, oews_flat_files, {}))
    yield con, store
    con.close()


def _assert_untouched(con):
    assert con.execute("SELECT count(*) FROM stg_oews__cells").fetchall()[0][0] == 626
    national = con.execute(
        "SELECT employment_count FROM stg_oews__cells WHERE area_code='0000000' AND industry_code='000000'"
    ).fetchall()[0][0]
    assert national == 162_450


def test_truncated_data_file_names_the_file_and_keeps_the_old_table(good_warehouse, oews_flat_files, tmp_path):
    con, store = good_warehouse
    data = oews_flat_files["oe.data.0.Current"].read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 2 + 7])  # stops mid-row
    with pytest.raises(SourceFileError) as err:
        load(con, store, _flat_snaps(store, oews_flat_files, {"oe.data.0.Current": cut}))
    assert "oe.data.0.Current" in str(err.value) and "truncated" in str(err.value)
    _assert_untouched(con)


def test_html_error_page_in_place_of_data_is_refused(good_warehouse, oews_flat_files, tmp_path):
    con, store = good_warehouse
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Access Denied</body></html>\n")
    with pytest.raises(SourceFileError, match=r"oe\.data\.0\.Current: has header"):
        load(con, store, _flat_snaps(store, oews_flat_files, {"oe.data.0.Current": page}))
    _assert_untouched(con)


def test_row_with_missing_fields_is_reported(good_warehouse, oews_flat_files, tmp_path):
    con, store = good_warehouse
    lines = oews_flat_files["oe.data.0.Current"].read_text().splitlines(keepends=True)
    lines[100] = lines[100].split("\t")[0] + "\n"  # a row that lost its columns
    bad = tmp_path / "bad"
    bad.write_text("".join(lines))
    with pytest.raises(SourceFileError, match=r"oe\.data\.0\.Current: could not be parsed"):
        load(con, store, _flat_snaps(store, oews_flat_files, {"oe.data.0.Current": bad}))
    _assert_untouched(con)


def test_renamed_lookup_column_names_the_column(good_warehouse, oews_flat_files, tmp_path):
    con, store = good_warehouse
    text = oews_flat_files["oe.area"].read_text().replace("area_name", "area_title", 1)
    renamed = tmp_path / "oe.area"
    renamed.write_text(text)
    with pytest.raises(SourceFileError, match=r"oe\.area: has no column\(s\) \['area_name'\]"):
        load(con, store, _flat_snaps(store, oews_flat_files, {"oe.area": renamed}))
    _assert_untouched(con)


def test_truncated_package_database_names_the_file(good_warehouse, package_sqlite, tmp_path):
    con, store = good_warehouse
    gz = tmp_path / "oews-2025.sqlite.gz"
    with open(package_sqlite, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gz.read_bytes()[: gz.stat().st_size // 3])
    snap = _snap(store, cut, oews_current.PACKAGE_DATA_FILE)
    with pytest.raises(SourceFileError, match=r"oews-2025\.sqlite\.gz: cannot be read"):
        load(con, store, [snap])
    _assert_untouched(con)


def test_snapshot_whose_bytes_changed_is_detected(tmp_path):
    store = SnapshotStore(tmp_path / "s")
    src = tmp_path / "f"
    src.write_bytes(b"original bytes\n")
    snap = _snap(store, src, "f")
    store.object_path(snap.sha256).write_bytes(b"tampered bytes\n")
    with pytest.raises(Exception, match="corrupt"):
        store.verify(snap.sha256)
