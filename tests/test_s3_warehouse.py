"""The Parquet export on S3 (moto's server on 127.0.0.1, via s3fs): `make export URL=s3://...`, read back, and a book
step that reads it (WAREHOUSE_URL=s3://...).

DuckDB reads s3:// through its httpfs extension when installed; this machine has no network to download it, so the
reader goes through fsspec (s3fs) instead (pipeline.report.parquet_warehouse.enable_remote_reads). The test says
which path it took. The warehouse is the session's real build (conftest's built_book).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import nbformat
import pytest

from pipeline.report.parquet_warehouse import enable_remote_reads
from pipeline.report.warehouse import connect

pytest_plugins = ("s3_server",)  # the moto server and bucket fixtures

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOC = "29-1122"

BOOK_STEPS = """
import dagster as dg
import os
from pipeline.definitions import defs
from pipeline.partitions import register_occupations

instance = dg.DagsterInstance.ephemeral()
register_occupations(instance, [os.environ["SOC"]])
config = {"resources": {"warehouse": {"config": {"warehouse_dir": os.environ["WAREHOUSE_DIR"],
                                                 "build_dir": os.environ["BUILD_DIR"]}},
                        "report": {"config": {"edition": os.environ["BOOK_EDITION"]}}}}
result = defs.resolve_job_def("build_occupation_book").execute_in_process(
    run_config=config, partition_key=os.environ["SOC"], instance=instance, raise_on_error=False,
    asset_selection=[dg.AssetKey("report_parameters"), dg.AssetKey("notebook__market_snapshot")])
raise SystemExit(0 if result.success else 1)
"""


@pytest.fixture(scope="module")
def exported(built_book, s3_module) -> tuple[str, Path]:
    """`make export URL=s3://...` of the session's warehouse, as a team's warehouse machine runs it (once: the
    upload of ~8,000 files to moto takes about a minute)."""
    dirs, _ = built_book
    s3 = s3_module
    url = f"{s3.url}/occupation-book/warehouse/2026Q4.2"
    env = s3.subprocess_env(WAREHOUSE_DIR=dirs["WAREHOUSE_DIR"], URL=url, PYTHONPATH=str(PROJECT_ROOT))
    env.pop("EDITION", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "export", "STAMP=", f"PY={sys.executable}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert f"to {url} in" in result.stdout
    return url, Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"


def test_make_export_to_s3_reads_back_table_for_table(exported, s3_module):
    s3 = s3_module
    url, duckdb_path = exported
    manifest = json.loads(s3.fs.cat_file(f"{url.removeprefix('s3://')}/manifest.json"))
    files = s3.keys("occupation-book/warehouse/2026Q4.2")
    assert len(files) == sum(t["files"] for t in manifest["tables"].values()) + 1
    assert f"mart_oews__national_wages/soc_code={SOC}/data.parquet" in files

    with duckdb.connect() as probe:
        path_taken = enable_remote_reads(probe, url)
    print(f"s3:// read through {path_taken}")  # fsspec here: httpfs cannot be downloaded offline
    with connect(url) as remote, duckdb.connect(str(duckdb_path), read_only=True) as local:
        for table, entry in manifest["tables"].items():
            count = f'SELECT count(*) FROM "{table}"'
            assert remote.execute(count).fetchall() == local.execute(count).fetchall() == [(entry["rows"],)], table
        query = "SELECT * FROM mart_oews__national_wages WHERE soc_code = ? ORDER BY ALL"
        assert remote.execute(query, [SOC]).fetchall() == local.execute(query, [SOC]).fetchall()


def test_a_book_step_reads_the_export_from_s3(exported, built_book, s3_module, tmp_path):
    """What a worker with only the bucket does: report parameters and the market snapshot page, WAREHOUSE_URL=s3://."""
    url, _ = exported
    dirs, _ = built_book
    worker = tmp_path / "worker"
    env = s3_module.subprocess_env(
        WAREHOUSE_DIR=str(worker / "warehouse"),
        BUILD_DIR=str(worker / "build"),
        WAREHOUSE_URL=url,
        SOC=SOC,
        BOOK_EDITION="2026Q4.2",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.pop("EDITION", None)
    result = subprocess.run(
        [sys.executable, "-c", BOOK_STEPS], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (worker / "warehouse" / "warehouse.duckdb").exists()

    def prose(build: Path) -> list[str]:
        page = nbformat.read(build / SOC / "src" / "notebooks" / "market_snapshot.ipynb", as_version=4)
        return [cell.source for cell in page.cells if cell.cell_type == "markdown"]

    on_s3 = prose(worker / "build")
    assert on_s3 == prose(Path(dirs["BUILD_DIR"]))
    assert any("jobs" in text for text in on_s3)
