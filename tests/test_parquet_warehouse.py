"""The Parquet export of the warehouse: one file per occupation, the same rows as DuckDB, and pages that run on it.

The session's real warehouse (conftest's built_book) is exported once for the module (about 20 s) and read back
the way a book partition on another machine would.
The failure and object-storage tests use a two-table warehouse of their own: what they check does not depend
on the data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import fsspec
import nbformat
import pytest

from pipeline import warehouse_export
from pipeline.report.parquet_warehouse import (
    MANIFEST_NAME,
    ParquetWarehouseError,
    attach_parquet,
    load_remote_support,
)
from pipeline.report.warehouse import connect
from pipeline.warehouse_export import ExportError, export_parquet

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOC = "29-1122"


@pytest.fixture(scope="module")
def warehouse(built_book) -> Path:
    """The session's end-to-end build: a warehouse made from the reference mirror, as `make book` makes it."""
    dirs, _ = built_book
    return Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"


@pytest.fixture(scope="module")
def export(warehouse, tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("parquet_export") / "warehouse"
    return folder, export_parquet(warehouse, str(folder), edition="test-edition")


@pytest.fixture
def duck(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield con


def _tables(con) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
    ]


def _columns(con, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f'DESCRIBE "{table}"').fetchall()]


# ---------------------------------------------------------------- layout and manifest
@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_each_occupation_has_its_own_file(export, duck):
    folder, manifest = export
    by_soc = {t for t, e in manifest["tables"].items() if e["partition_by"] == "soc_code"}
    assert {
        "mart_oews__national_wages",
        "mart_oews__state_wages",
        "mart_oews__setting_wages",
        "core_oews__national_wage_history",
        "mart_ep__occupation_outlook",
    } <= by_soc
    for table in by_soc:
        socs = {r[0] for r in duck.execute(f'SELECT DISTINCT soc_code FROM "{table}"').fetchall()}
        assert {p.name for p in (folder / table).iterdir()} == {f"soc_code={s}" for s in socs}, table
        assert manifest["tables"][table]["files"] == len(socs)
        assert [p.name for p in (folder / table / f"soc_code={SOC}").iterdir()] == ["data.parquet"], table
    # The current release's cells are keyed by the OEWS occupation code, the SOC code without its dash.
    assert manifest["tables"]["stg_oews__cells"]["partition_by"] == "occupation_code"
    assert (folder / "stg_oews__cells" / "occupation_code=291122" / "data.parquet").is_file()
    for whole in ("meta_snapshots", "meta_sources", "stg_oews__release", "core_ces__monthly_employment"):
        assert manifest["tables"][whole]["partition_by"] is None
        assert [p.name for p in (folder / whole).iterdir()] == ["data.parquet"]


def test_manifest_matches_the_duckdb_file(export, duck):
    folder, manifest = export
    assert json.loads((folder / MANIFEST_NAME).read_text()) == manifest
    assert list(manifest["tables"]) == _tables(duck)
    for table, entry in manifest["tables"].items():
        assert entry["rows"] == duck.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0], table
        assert [(c["name"], c["type"]) for c in entry["columns"]] == _columns(duck, table), table
    assert manifest["edition"] == "test-edition"
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["snapshots_sha256"])
    # No staging or replaced folders are left beside the export.
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_the_tables_pages_query_are_exported_and_split(export):
    """Every table a page or report helper names in FROM or JOIN is in the export, split by occupation if it can be."""
    sources = [
        *(PROJECT_ROOT / "book" / "notebooks").glob("*.md"),
        *(PROJECT_ROOT / "pipeline" / "report").glob("*.py"),
    ]
    queried = set()
    for path in sources:
        queried |= set(
            re.findall(r"(?:FROM|JOIN)\s+(?:\{PREVIOUS\}\.)?((?:stg|mart|core|meta|seed)_\w+)", path.read_text())
        )
    assert "stg_oews__cells" in queried and "mart_oews__national_wages" in queried
    tables = export[1]["tables"]
    assert queried <= set(tables)
    # A table written whole because no page reads it must stay unread; if a page starts querying it, drop it from
    # NOT_QUERIED_BY_PAGES so that a book opens only its own occupation's slice of it.
    assert not queried & warehouse_export.NOT_QUERIED_BY_PAGES
    assert all(tables[t]["partition_by"] is None for t in warehouse_export.NOT_QUERIED_BY_PAGES)


# ---------------------------------------------------------------- the same data
def test_national_wages_row_is_the_same_from_parquet(export, duck):
    folder, _ = export
    query = "SELECT * FROM mart_oews__national_wages WHERE soc_code = ?"
    with connect(str(folder)) as parquet:
        from_parquet = parquet.execute(query, [SOC])
        parquet_columns = [d[0] for d in from_parquet.description]
        parquet_rows = from_parquet.fetchall()
    from_duckdb = duck.execute(query, [SOC])
    duckdb_columns = [d[0] for d in from_duckdb.description]
    duckdb_rows = from_duckdb.fetchall()
    assert len(duckdb_rows) == 1
    assert parquet_columns == duckdb_columns
    assert parquet_rows == duckdb_rows
    row = dict(zip(parquet_columns, parquet_rows[0], strict=True))
    assert row["employment_count"] == 162_450
    assert row["annual_median_wage_usd"] == 100_330


def test_every_table_reads_back_row_for_row(export, warehouse):
    folder, manifest = export
    with connect(f"file://{folder}") as parquet:
        parquet.execute(f"ATTACH '{warehouse}' AS source (READ_ONLY)")
        for table in manifest["tables"]:
            assert _columns(parquet, table) == [
                (n, k) for n, k, *_ in parquet.execute(f'DESCRIBE source."{table}"').fetchall()
            ], table
            missing, extra = (
                parquet.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0]
                for a, b in ((f'source."{table}"', f'"{table}"'), (f'"{table}"', f'source."{table}"'))
            )
            assert (missing, extra) == (0, 0), table


def test_a_book_opens_only_its_own_occupation_files(export, tmp_path):
    """Another occupation's file is unreadable here, and this occupation's book does not notice."""
    folder, _ = export
    copy = tmp_path / "warehouse"
    shutil.copytree(folder, copy)
    (copy / "mart_oews__national_wages" / "soc_code=15-1252" / "data.parquet").write_bytes(b"not parquet")
    with connect(str(copy)) as con:
        query = "SELECT employment_count FROM mart_oews__national_wages WHERE soc_code = ?"
        assert con.execute(query, [SOC]).fetchone() == (162_450,)
        with pytest.raises(duckdb.Error):
            con.execute(query, ["15-1252"]).fetchall()


def test_book_processes_read_the_export_side_by_side(export, duck):
    """Four processes, as four book partitions on other workers would, each read their occupation at once."""
    folder, _ = export
    socs = ["29-1122", "29-1123", "15-1252", "00-0000"]
    reader = (
        "import json, sys\n"
        "from pipeline.report.warehouse import connect\n"
        "con = connect(sys.argv[1])\n"
        "print(json.dumps(con.execute('SELECT employment_count, annual_median_wage_usd FROM "
        "mart_oews__national_wages WHERE soc_code = ?', [sys.argv[2]]).fetchone()))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", reader, str(folder), soc],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for soc in socs
    ]
    for soc, proc in zip(socs, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        expected = duck.execute(
            "SELECT employment_count, annual_median_wage_usd FROM mart_oews__national_wages WHERE soc_code = ?", [soc]
        ).fetchone()
        assert expected is not None and expected[0]
        assert tuple(json.loads(out)) == expected, soc


def test_a_page_executes_on_the_export_as_on_duckdb(export, warehouse, duck, tmp_path):
    from pipeline.assets.notebooks import execute_notebook

    folder, manifest = export
    title = duck.execute("SELECT occupation_title FROM mart_oews__national_wages WHERE soc_code = ?", [SOC]).fetchone()[
        0
    ]
    period = duck.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0]
    # What report_parameters hands every page, with the warehouse pointed at the export or at the DuckDB file.
    parameters = {
        "soc": SOC,
        "occupation_title": title,
        "edition": manifest["edition"],
        "oews_reference_period": period,
        "previous_edition": None,
        "previous_warehouse_path": None,
        "previous_edition_error": None,
    }
    page = PROJECT_ROOT / "book" / "notebooks" / "market_snapshot.md"
    texts, csvs = {}, {}
    for kind, location in (("parquet", folder), ("duckdb", warehouse)):
        out = tmp_path / kind / "market_snapshot.ipynb"
        downloads = tmp_path / kind / "data"
        execute_notebook(page, out, parameters | {"warehouse_path": str(location), "downloads_dir": str(downloads)})
        texts[kind] = _text_outputs(out)
        csvs[kind] = {p.relative_to(downloads).as_posix(): p.read_bytes() for p in sorted(downloads.rglob("*.csv"))}
    assert any("162,450" in text for text in texts["parquet"])
    assert texts["parquet"] == texts["duckdb"]
    assert csvs["parquet"] and csvs["parquet"] == csvs["duckdb"]


def _text_outputs(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(
                str(
                    data.get("text/markdown")
                    or data.get("text/html")
                    or data.get("text/plain")
                    or output.get("text", "")
                )
            )
    return texts


def test_an_earlier_edition_export_attaches_for_comparison(export):
    """The "What changed" page reads the earlier edition as prev.<table>; an export can stand in for it."""
    from pipeline.report import edition_changes

    folder, manifest = export
    with connect(str(folder)) as con:
        attach_parquet(con, folder, edition_changes.PREVIOUS)
        assert (
            con.execute(f"SELECT count(*) FROM {edition_changes.PREVIOUS}.mart_oews__national_wages").fetchone()[0]
            == manifest["tables"]["mart_oews__national_wages"]["rows"]
        )
        changes = edition_changes.source_changes(con)
        assert len(changes) and set(changes.change) == {"unchanged"}


# ---------------------------------------------------------------- writes that fail, and object storage
@pytest.fixture
def small_warehouse(tmp_path) -> Path:
    path = tmp_path / "small.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE mart_demo AS FROM (VALUES ('29-1122', 1), ('29-1123', 2)) t(soc_code, value)")
        con.execute(
            "CREATE TABLE meta_snapshots AS SELECT 'oews' AS source_id, 'current' AS part, "
            "repeat('a', 64) AS sha256, 'in this build' AS status"
        )
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_export_leaves_the_previous_one_intact(small_warehouse, tmp_path, monkeypatch):
    target = tmp_path / "export"
    export_parquet(small_warehouse, str(target), edition="first")
    before = _files(target)
    with duckdb.connect(str(small_warehouse)) as con:
        con.execute("UPDATE mart_demo SET value = value + 10")

    write_table = warehouse_export._export_table

    def fail_after_the_first_table(con, table, folder):
        if table == "meta_snapshots":  # mart_demo is already written into the new export by now
            raise OSError("No space left on device (simulated)")
        return write_table(con, table, folder)

    monkeypatch.setattr(warehouse_export, "_export_table", fail_after_the_first_table)
    with pytest.raises(OSError, match="simulated"):
        export_parquet(small_warehouse, str(target), edition="second")
    assert _files(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "small.duckdb"]  # nothing half-written left
    with connect(str(target)) as con:
        assert con.execute("SELECT value FROM mart_demo ORDER BY value").fetchall() == [(1,), (2,)]

    monkeypatch.undo()
    manifest = export_parquet(small_warehouse, str(target), edition="second")
    assert manifest["edition"] == "second"
    with connect(str(target)) as con:
        assert con.execute("SELECT value FROM mart_demo ORDER BY value").fetchall() == [(11,), (12,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "small.duckdb"]


def test_an_export_never_replaces_a_folder_it_did_not_write(small_warehouse, tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not an earlier export"):
        export_parquet(small_warehouse, str(target))
    assert _files(target) == {"keep.txt": b"mine"}


def test_object_storage_gets_the_manifest_last_and_loses_stale_files(small_warehouse, monkeypatch):
    """fsspec's in-memory file system stands in for a bucket: the same put/rm calls, no network."""
    url = f"memory://exports-{uuid.uuid4().hex[:8]}/warehouse"
    fs, root = fsspec.core.url_to_fs(url)
    export_parquet(small_warehouse, url, edition="first")
    stale = f"{root}/mart_demo/soc_code=11-1011/data.parquet"  # an occupation the next release no longer has
    fs.pipe_file(stale, b"old")

    written = []
    put_file = type(fs).put_file

    def recording_put_file(self, lpath, rpath, *args, **kwargs):
        written.append(rpath)
        return put_file(self, lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(type(fs), "put_file", recording_put_file)
    manifest = export_parquet(small_warehouse, url, edition="second")
    assert written[-1] == f"{root}/{MANIFEST_NAME}"
    assert sorted(p.removeprefix(root + "/") for p in fs.find(root)) == [
        "manifest.json",
        "mart_demo/soc_code=29-1122/data.parquet",
        "mart_demo/soc_code=29-1123/data.parquet",
        "meta_snapshots/data.parquet",
    ]
    assert json.loads(fs.cat_file(f"{root}/{MANIFEST_NAME}")) == manifest
    fs.rm(root, recursive=True)


def test_a_remote_url_without_duckdbs_extension_says_what_to_install(tmp_path):
    # An empty extension folder and repository: the same failure as a worker with no network and no httpfs.
    con = duckdb.connect(
        config={
            "extension_directory": str(tmp_path / "extensions"),
            "custom_extension_repository": str(tmp_path / "no-repository"),
            "autoinstall_known_extensions": False,
        }
    )
    with pytest.raises(ParquetWarehouseError, match=r"install_extension\('httpfs'\).*CREATE PERSISTENT SECRET"):
        load_remote_support(con, "s3://bucket/occupation-book/warehouse")
    with pytest.raises(ParquetWarehouseError, match="cannot read ftp://"):
        load_remote_support(con, "ftp://example.org/warehouse")


# ---------------------------------------------------------------- book partitions that read an export
def test_the_same_warehouse_exports_to_the_same_identity(export, warehouse, small_warehouse, tmp_path):
    """A book re-executes its pages when the export's data changed, and only then."""
    from pipeline.book_warehouse import warehouse_identity

    folder, _ = export
    again = tmp_path / "again"
    export_parquet(warehouse, str(again), edition="test-edition")
    assert warehouse_identity(str(again)) == warehouse_identity(str(folder)) is not None
    assert warehouse_identity(str(warehouse)) is None  # the DuckDB file: the warehouse's own fingerprints apply

    small = tmp_path / "small"
    export_parquet(small_warehouse, str(small))
    before = warehouse_identity(str(small))
    with duckdb.connect(str(small_warehouse)) as con:
        con.execute("UPDATE mart_demo SET value = 3 WHERE soc_code = '29-1123'")
    export_parquet(small_warehouse, str(small))
    assert warehouse_identity(str(small)) != before


def test_book_partitions_read_the_export_named_by_warehouse_url(monkeypatch, tmp_path):
    from pipeline.book_warehouse import book_warehouse_location

    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    assert book_warehouse_location(tmp_path / "warehouse.duckdb") == str(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("WAREHOUSE_URL", "s3://bucket/occupation-book/warehouse/2026Q4")
    assert book_warehouse_location(tmp_path / "warehouse.duckdb") == "s3://bucket/occupation-book/warehouse/2026Q4"


WORKER_RUN = """
import dagster as dg
import os
from pipeline.definitions import defs
from pipeline.partitions import register_occupations

instance = dg.DagsterInstance.ephemeral()
register_occupations(instance, [os.environ["SOC"]])  # in a backfill, the warehouse build registered it
config = {"resources": {"warehouse": {"config": {"warehouse_dir": os.environ["WAREHOUSE_DIR"],
                                                 "build_dir": os.environ["BUILD_DIR"]}},
                        "report": {"config": {"edition": os.environ["BOOK_EDITION"]}}}}
result = defs.resolve_job_def("build_occupation_book").execute_in_process(
    run_config=config, partition_key=os.environ["SOC"], instance=instance, raise_on_error=False)
raise SystemExit(0 if result.success else 1)
"""


def test_a_book_partition_builds_where_only_the_exports_are(built_book, export, tmp_path):
    """What a Celery or Kubernetes worker does: run one occupation's steps with no DuckDB file and no state."""
    from pipeline.editions import previous_edition
    from pipeline.lock_files import current_edition
    from pipeline.settings import live_lock_path

    dirs, live_html = built_book
    folder, _ = export
    live = current_edition(live_lock_path())
    earlier = previous_edition(live, live_lock_path())
    previous = Path(dirs["WAREHOUSE_DIR"]) / "editions" / earlier / "warehouse.duckdb"
    export_parquet(previous, str(tmp_path / "previous"), edition=earlier)
    worker = tmp_path / "worker"
    env = os.environ | {
        "WAREHOUSE_DIR": str(worker / "warehouse"),
        "BUILD_DIR": str(worker / "build"),
        "WAREHOUSE_URL": str(folder),
        "PREVIOUS_WAREHOUSE_URL": str(tmp_path / "previous"),
        "SOC": SOC,
        "BOOK_EDITION": live,
    }
    env.pop("EDITION", None)
    result = subprocess.run(
        [sys.executable, "-c", WORKER_RUN], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (worker / "warehouse" / "warehouse.duckdb").exists()
    html = worker / "build" / SOC / "html"

    def main_text(root: Path, page: str) -> str:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup((root / "notebooks" / f"{page}.html").read_text(), "html.parser")
        return soup.select_one("main").get_text(" ", strip=True)

    # The same numbers as the book built beside the DuckDB file, including the comparison with the edition before.
    for page in ("market_snapshot", "geography", "what_changed"):
        assert main_text(html, page) == main_text(live_html, page), page
    assert f"It is compared with edition {earlier} ," in main_text(html, "what_changed")
