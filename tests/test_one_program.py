"""One program: `make book`, `make catalog`, `make dev` and the `dagster` CLI run the same jobs of the same
Definitions, with settings as resources and run config, parameters as asset outputs, and every occupation of the
release as a partition.

The small warehouses here are SYNTHETIC: a few rows in the two tables the occupation steps read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).parent / "dagster"
SYNTHETIC_OCCUPATIONS = {
    "29-1122": "Occupational Therapists",
    "29-1123": "Physical Therapists",
    "29-1127": "Speech-Language Pathologists",
}
# The settings that once decided the partitions or the resources when pipeline.definitions was imported.
SETTINGS_READ_AT_RUN_TIME = {
    "SOC",
    "CATALOG_SOCS",
    "STRICT",
    "RECORD_RUNS",
    "SOURCES_MIRROR",
    "SNAPSHOT_REMOTE",
    "BLS_API_KEY",
}


def _synthetic_warehouse(warehouse_dir: Path) -> Path:
    """SYNTHETIC: the national wages mart and the release table, three occupations."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    db = warehouse_dir / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE mart_oews__national_wages (soc_code VARCHAR, occupation_title VARCHAR)")
        con.executemany("INSERT INTO mart_oews__national_wages VALUES (?, ?)", list(SYNTHETIC_OCCUPATIONS.items()))
        con.execute("CREATE TABLE stg_oews__release AS SELECT 'May 2099 (SYNTHETIC)' AS reference_period")
    return db


@pytest.fixture
def settings(tmp_path, monkeypatch) -> dict:
    """A build's settings pointing at tmp folders, with a lock that records no edition before 2026Q4."""
    dirs = {
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "BUILD_DIR": str(tmp_path / "build"),
        "SOURCES_LOCK": str(tmp_path / "no-editions" / "sources.lock"),
    }
    for name, value in dirs.items():
        monkeypatch.setenv(name, value)
    for name in ("EDITION", "SOC", "CATALOG_SOCS", "STRICT", "WAREHOUSE_URL", "PREVIOUS_WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)
    _synthetic_warehouse(tmp_path / "warehouse")
    return dirs


def _run_config(edition: str = "2026Q4") -> dict:
    from pipeline.build import run_config
    from pipeline.settings import paths

    return run_config(paths(), edition, "", "29-1122", ["29-1122", "29-1123"])


def test_the_definitions_load_without_reading_the_build_settings():
    """Importing the code location reads none of the settings, and offers no partition before a warehouse build."""
    probe = f"""
import json, os, sys
read = set()
class Recording(type(os.environ)):
    def __getitem__(self, key):
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename.endswith(("os.py", "os>", "_collections_abc.py", "abc>")):
            frame = frame.f_back
        if frame and "{PROJECT_ROOT / "pipeline"}" in frame.f_code.co_filename:  # the project's own reads
            read.add(key)
        return super().__getitem__(key)
os.environ.__class__ = Recording
from pipeline.definitions import defs
job = defs.resolve_job_def("build_occupation_book")
print(json.dumps({{"read": sorted(read & set({sorted(SETTINGS_READ_AT_RUN_TIME)!r})),
                  "partitions": type(job.partitions_def).__name__, "name": job.partitions_def.name}}))
"""
    env = os.environ | {"SOC": "99-9999", "CATALOG_SOCS": "98-9998 97-9997", "STRICT": "1"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"read": [], "partitions": "DynamicPartitionsDefinition", "name": "occupation"}


def test_the_build_runs_the_jobs_of_the_definitions_in_order():
    from pipeline.build import planned_runs
    from pipeline.definitions import defs

    runs = planned_runs(["29-1122", "29-1123"], warehouse_only=False, catalog=True)
    assert runs == [
        ("warehouse", "build_warehouse", None),
        ("book 29-1122", "build_occupation_book", "29-1122"),
        ("book 29-1123", "build_occupation_book", "29-1123"),
        ("catalogue site", "build_catalog_site", None),
    ]
    assert planned_runs(["29-1122"], warehouse_only=True, catalog=False) == [("warehouse", "build_warehouse", None)]
    for _, job, _ in runs:
        assert defs.resolve_job_def(job) is not None


def test_the_run_config_of_a_build_is_valid_for_every_job(settings):
    from pipeline.definitions import defs

    config = _run_config()
    assert config["resources"]["warehouse"]["config"]["warehouse_dir"] == settings["WAREHOUSE_DIR"]
    for job in ("build_warehouse", "build_occupation_book", "build_catalog_site"):
        dg.validate_run_config(defs.resolve_job_def(job), config)


def test_resources_take_the_environment_when_the_run_uses_them_and_config_wins(tmp_path, monkeypatch):
    from pipeline.resources import ReportParams, WarehouseResource

    warehouse, report = WarehouseResource(), ReportParams()  # constructed first, as the definitions are
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("SOURCES_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("STRICT", "1")
    monkeypatch.setenv("SOC", "29-1127")
    monkeypatch.setenv("CATALOG_SOCS", "29-1123 29-1122 29-1123")
    monkeypatch.setenv("EDITION", "2026Q4")
    monkeypatch.delenv("SNAPSHOT_REMOTE", raising=False)
    assert warehouse.paths().duckdb_path.parent.parent.parent == tmp_path / "wh"  # wh/editions/2026Q4/
    assert warehouse.is_strict() and warehouse.mirror_root() == str(tmp_path / "mirror") and warehouse.remote() is None
    assert (report.report_soc(), report.catalog(), report.edition_name()) == (
        "29-1127",
        ["29-1123", "29-1122"],
        "2026Q4",
    )
    assert report.book_socs() == ["29-1127", "29-1123", "29-1122"]
    configured = WarehouseResource(warehouse_dir=str(tmp_path / "other"), build_dir=str(tmp_path / "b"), strict=False)
    assert configured.paths().duckdb_path == tmp_path / "other" / "warehouse.duckdb" and not configured.is_strict()
    assert ReportParams(edition="2026Q4.2", catalog_socs=["31-2011"]).catalog() == ["31-2011"]


def test_the_warehouse_build_registers_every_occupation_of_the_release_as_a_partition(settings):
    from pipeline.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("build_warehouse")
    for _ in range(2):  # a second build registers nothing new
        result = job.execute_in_process(
            run_config=_run_config(), instance=instance, asset_selection=[dg.AssetKey("report_occupations")]
        )
        assert result.success
    assert sorted(instance.get_dynamic_partitions("occupation")) == sorted(SYNTHETIC_OCCUPATIONS)
    events = result.asset_materializations_for_node("report_occupations")
    assert events[0].metadata["new"].value == 0 and events[0].metadata["occupations"].value == 3


def test_report_parameters_reach_the_pages_as_an_asset_output(settings):
    """previous_edition_warehouse -> report_parameters -> pages: each value passes as an output, not a state file."""
    from pipeline.definitions import defs
    from pipeline.outputs import JsonOutputs
    from pipeline.partitions import register_occupations
    from pipeline.resources import WarehouseResource

    instance = dg.DagsterInstance.ephemeral()
    register_occupations(instance, ["29-1123"])
    warehouse_run = defs.resolve_job_def("build_warehouse").execute_in_process(
        run_config=_run_config(), instance=instance, asset_selection=[dg.AssetKey("previous_edition_warehouse")]
    )
    assert warehouse_run.output_for_node("previous_edition_warehouse")["previous_edition"] is None
    book_run = defs.resolve_job_def("build_occupation_book").execute_in_process(
        run_config=_run_config(),
        instance=instance,
        partition_key="29-1123",
        asset_selection=[dg.AssetKey("report_parameters")],
    )
    params = book_run.output_for_node("report_parameters")
    assert params == {
        "soc": "29-1123",
        "occupation_title": "Physical Therapists",
        "edition": "2026Q4",
        "oews_reference_period": "May 2099 (SYNTHETIC)",
        "previous_edition": None,
        "previous_warehouse_path": None,
        "previous_edition_error": None,
    }
    build = Path(settings["BUILD_DIR"])
    assert not (build / "29-1123" / "state" / "report_parameters.json").exists()
    # What the notebooks and the book receive as their input: the output, read back by the same IO manager.
    context = dg.build_input_context(
        asset_key=dg.AssetKey("report_parameters"),
        partition_key="29-1123",
        resources={"warehouse": WarehouseResource()},
    )
    assert JsonOutputs().load_input(context) == params


def test_an_unknown_occupation_is_refused_by_the_partitioned_run(settings):
    from pipeline.definitions import defs
    from pipeline.partitions import register_occupations

    instance = dg.DagsterInstance.ephemeral()
    register_occupations(instance, ["29-1121"])  # registered by hand, not by the release
    defs.resolve_job_def("build_warehouse").execute_in_process(
        run_config=_run_config(), instance=instance, asset_selection=[dg.AssetKey("previous_edition_warehouse")]
    )
    result = defs.resolve_job_def("build_occupation_book").execute_in_process(
        run_config=_run_config(),
        instance=instance,
        partition_key="29-1121",
        raise_on_error=False,
        asset_selection=[dg.AssetKey("report_parameters")],
    )
    assert not result.success
    from pipeline.build import _explain

    assert "SOC code 29-1121 is not an occupation" in _explain(result)
    assert "29-1122 (Occupational Therapists)" in _explain(result)


def test_a_worker_reading_the_exports_takes_the_previous_edition_from_them(settings, monkeypatch):
    from pipeline.book_warehouse import PreviousEditionOutputs
    from pipeline.resources import WarehouseResource

    monkeypatch.setenv("WAREHOUSE_URL", settings["WAREHOUSE_DIR"] + "/export")
    context = dg.build_input_context(
        asset_key=dg.AssetKey("previous_edition_warehouse"), resources={"warehouse": WarehouseResource()}
    )
    loaded = PreviousEditionOutputs().load_input(context)  # no output file here: the exports stand in
    assert loaded["previous_edition"] is None and "PREVIOUS_WAREHOUSE_URL" in loaded["previous_edition_error"]
    monkeypatch.delenv("WAREHOUSE_URL")
    with pytest.raises(RuntimeError, match="previous_edition_warehouse has not been materialised"):
        PreviousEditionOutputs().load_input(context)


def test_make_dev_offers_the_warehouse_occupations_as_partitions(settings, tmp_path, monkeypatch):
    from pipeline.dev import register_warehouse_occupations

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert register_warehouse_occupations() == 3
    assert register_warehouse_occupations() == 0
    instance = dg.DagsterInstance.get()
    try:
        assert sorted(instance.get_dynamic_partitions("occupation")) == sorted(SYNTHETIC_OCCUPATIONS)
    finally:
        instance.dispose()


def _dagster(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DAGSTER), *args],
        cwd=PROJECT_ROOT,
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_dagster_cli_loads_the_same_jobs_and_assets(tmp_path):
    # Its own instance folder: a fresh clone has no .dagster_home yet (make creates it for book, catalog and dev).
    env = os.environ | {"DAGSTER_HOME": str(tmp_path)}
    validate = _dagster("definitions", "validate", "-m", "pipeline.definitions", env=env)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
    jobs = _dagster("job", "list", "-m", "pipeline.definitions", env=env)
    assert jobs.returncode == 0, jobs.stderr[-2000:]
    listed = set(jobs.stdout.split())
    assert {"build_warehouse", "build_occupation_book", "build_catalog_site", "refresh_sources_job"} <= listed


def test_the_dagster_cli_runs_the_jobs_make_book_ran(built_book, tmp_path):
    """`dagster job execute` over the warehouse and book `make book` built: the same program finds them current,
    and registers every occupation of the release in its instance."""
    dirs, html = built_book
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = os.environ | dirs | {"DAGSTER_HOME": str(home)}
    for name in ("SOC", "EDITION", "CATALOG_SOCS"):
        env.pop(name, None)
    before = (html / "index.html").stat().st_mtime_ns
    warehouse = _dagster("job", "execute", "-m", "pipeline.definitions", "-j", "build_warehouse", env=env)
    assert warehouse.returncode == 0, warehouse.stdout[-3000:] + warehouse.stderr[-3000:]
    assert "stg_oews is up to date" in warehouse.stdout + warehouse.stderr
    book = _dagster(
        "job",
        "execute",
        "-m",
        "pipeline.definitions",
        "-j",
        "build_occupation_book",
        "--tags",
        json.dumps({"dagster/partition": "29-1122"}),
        env=env,
    )
    assert book.returncode == 0, book.stdout[-3000:] + book.stderr[-3000:]
    log = book.stdout + book.stderr
    assert "The book is up to date; not rebuilt." in log
    from pipeline.assets.notebooks import notebook_sources

    assert log.count("not re-executed") == len(notebook_sources())
    assert (html / "index.html").stat().st_mtime_ns == before
    probe = "import dagster as dg; print(len(dg.DagsterInstance.get().get_dynamic_partitions('occupation')))"
    count = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert int(count.stdout.strip()) > 1000  # every occupation of the pinned release, not the catalogue's four
