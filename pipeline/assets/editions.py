"""The previous edition's warehouse, rebuilt from its own lock, so each book can say what changed since."""


import os
import subprocess
import sys

import dagster as dg

from pipeline.editions import EditionError, previous_edition
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.resources import ReportParams, WarehouseResource
from pipeline.settings import PROJECT_ROOT, live_lock_path

STEP = "previous_edition_warehouse"


def _code_fingerprint() -> str:
    """The warehouse code: a change to it rebuilds the previous edition too, so both are made the same way."""
    files = [*PROJECT_ROOT.joinpath("pipeline").rglob("*.py"), *PROJECT_ROOT.joinpath("warehouse", "sql").rglob("*.sql")]
    return hash_files([f for f in files if "report" not in f.parts], root=PROJECT_ROOT)


def build_edition_warehouse(edition: str) -> str | None:
    """Build one edition's warehouse in a process of its own; return why it failed, or None."""
    env = os.environ | {"EDITION": edition}
    result = subprocess.run([sys.executable, "-m", "pipeline.build", "--warehouse-only"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or ["exit code %d" % result.returncode])[-1]


@dg.asset(deps=["meta_snapshots"], group_name="editions", kinds={"duckdb"})
def previous_edition_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                               report: ReportParams) -> dg.MaterializeResult:
    """The warehouse of the edition before this one, built from that edition's lock (for "What changed")."""
    p = warehouse.paths()
    try:
        previous = previous_edition(report.edition, live_lock_path())
    except EditionError:
        previous = None  # a build of an unrecorded lock has no edition to compare with
    info = {"edition": report.edition, "previous_edition": previous, "previous_warehouse_path": None,
            "previous_edition_error": None}
    if previous:
        prev_paths = p.for_edition(previous)
        fp = fingerprint(info, prev_paths.lock_path.read_text(), _code_fingerprint())
        step = StepState(p.state_dir, STEP)
        if step.is_current(fp) and prev_paths.duckdb_path.exists():
            context.log.info(f"The {previous} warehouse is up to date.")
            return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata=step.load()["info"])
        context.log.info(f"Building the {previous} warehouse from {prev_paths.lock_path}")
        error = build_edition_warehouse(previous)
        if error and os.environ.get("STRICT"):
            raise RuntimeError(f"the previous edition {previous} could not be built: {error}")
        info |= {"previous_warehouse_path": None if error else str(prev_paths.duckdb_path),
                 "previous_edition_error": error}
        if error:
            fp = ""  # not current: the next build tries again (a mirror may have come back)
    else:
        fp = fingerprint(info)
    StepState(p.state_dir, STEP).save(fp, info=info)
    return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={k: str(v) for k, v in info.items()})


def load_previous_edition(state_dir) -> dict:
    state = StepState(state_dir, STEP).load()
    if not state:
        raise RuntimeError(f"{STEP} has not been materialised; run the whole build (`make book`).")
    return state["info"]
