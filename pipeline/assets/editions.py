"""The previous edition's warehouse, rebuilt from its own lock, so each book can say what changed since."""

import os
import subprocess
import sys

import dagster as dg

from pipeline.domain import DOMAIN_SEEDS
from pipeline.editions import previous_edition
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.lock_files import EditionError
from pipeline.outputs import output_path, read_output
from pipeline.resources import ReportParams, WarehouseResource
from pipeline.settings import PROJECT_ROOT, Paths, live_lock_path

STEP = "previous_edition_warehouse"


def _code_fingerprint() -> str:
    """The warehouse code: a change to it rebuilds the previous edition too, so both are made the same way.

    The domain seeds count as code here (staging reads them: CES labels each series with its care setting)."""
    files = [
        *PROJECT_ROOT.joinpath("pipeline").rglob("*.py"),
        *PROJECT_ROOT.joinpath("warehouse", "sql").rglob("*.sql"),
        *DOMAIN_SEEDS,
    ]
    return hash_files([f for f in files if "report" not in f.parts], root=PROJECT_ROOT)


def build_edition_warehouse(edition: str, warehouse: WarehouseResource) -> str | None:
    """Build one edition's warehouse in a process of its own; return why it failed, or None.

    The child is `pipeline.build --warehouse-only`: the same program, handed this run's settings through the
    environment variables it reads (the same ones `make book` takes).
    """
    live = warehouse.paths()
    env = os.environ | {
        "WAREHOUSE_DIR": str(live.warehouse_dir),
        "SOURCES_MIRROR": warehouse.mirror_root(),
        "SNAPSHOT_REMOTE": warehouse.remote_url(),
        "STRICT": "1" if warehouse.is_strict() else "",
    }
    env.pop("EDITION", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.build", "--warehouse-only", "--edition", edition],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or ["exit code %d" % result.returncode])[-1]


@dg.asset(deps=["meta_snapshots"], group_name="editions", kinds={"duckdb"}, io_manager_key="previous_edition_io")
def previous_edition_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: ReportParams
) -> dg.Output[dict]:
    """The warehouse of the edition before this one, built from that edition's lock (for "What changed").

    Its output (the previous edition, its warehouse's path, or why it could not be built) is what each book's
    report parameters read.
    """
    p = warehouse.paths()
    edition = report.edition_name()
    try:
        previous = previous_edition(edition, live_lock_path())
    except EditionError:
        previous = None  # a build of an unrecorded lock has no edition to compare with
    info = {
        "edition": edition,
        "previous_edition": previous,
        "previous_warehouse_path": None,
        "previous_edition_error": None,
    }
    if previous:
        prev_paths = p.for_edition(previous)
        # The path too: a warehouse folder that moved (a copied project, another WAREHOUSE_DIR) must not hand the
        # books the old folder's path as current.
        fp = fingerprint(info, str(prev_paths.duckdb_path), prev_paths.lock_path.read_text(), _code_fingerprint())
        step = StepState(p.state_dir, STEP)
        if step.is_current(fp) and prev_paths.duckdb_path.exists():
            context.log.info(f"The {previous} warehouse is up to date.")
            return _output(step.saved()["info"], fp)
        context.log.info(f"Building the {previous} warehouse from {prev_paths.lock_path}")
        error = build_edition_warehouse(previous, warehouse)
        if error and warehouse.is_strict():
            raise RuntimeError(f"the previous edition {previous} could not be built: {error}")
        info |= {
            "previous_warehouse_path": None if error else str(prev_paths.duckdb_path),
            "previous_edition_error": error,
        }
        if error:
            fp = ""  # not current: the next build tries again (a mirror may have come back)
    else:
        fp = fingerprint(info)
    StepState(p.state_dir, STEP).save(fp, info=info)
    return _output(info, fp)


def _output(info: dict, fp: str) -> dg.Output[dict]:
    return dg.Output(info, data_version=dg.DataVersion(fp), metadata={k: str(v) for k, v in info.items()})


def load_previous_edition(p: Paths) -> dict:
    """The asset's last output, for tools that run outside Dagster (pipeline.preview_page)."""
    return read_output(output_path(p, STEP), STEP)
