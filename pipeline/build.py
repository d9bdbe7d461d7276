"""`make book` and `make catalog`: check the parameters, then run the jobs of pipeline/definitions.py in-process.

The same jobs `make dev` shows and the Dagster CLI runs: `build_warehouse` (the warehouse, and the previous
edition's, for "What changed"), then `build_occupation_book` once per occupation (a partition), and with
`--catalog` `build_catalog_site`, the landing page that links them. The settings (edition, occupations, folders,
mirror, snapshot remote, STRICT) are resolved here once and handed to every run as run config.

The lock is read once, here, before Dagster starts: the SOC check, the edition and every snapshot asset use that
reading, and the warehouse resource carries its hash so a lock replaced since (a refresh landing mid-build) stops
the build instead of mixing two editions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
import warnings

import dagster as dg
import duckdb

from pipeline.console import logger_config
from pipeline.interrupts import stop_on_sigterm
from pipeline.lock import LockError
from pipeline.lock_files import UNRECORDED, EditionError
from pipeline.lock_reading import read_lock_once
from pipeline.occupation import OccupationError, check_format, known_occupations, resolve
from pipeline.settings import Paths, catalog_socs, paths, setting, switch
from pipeline.snapshots import SnapshotMismatchError


def _fail(message: str) -> int:
    print(f"\nBUILD STOPPED: {message}", file=sys.stderr)
    return 2


def precheck_occupations(socs: list[str], lock: dict, p: Paths | None = None) -> None:
    """Fail fast on a bad SOC code, before Dagster starts, against the release this build will use.

    ``lock`` is the build's one reading of the lock: the check restores the OEWS release it pins.
    """
    for soc in socs:
        check_format(soc)
    known = _published_occupations(lock, p or paths())
    for soc in socs:
        resolve(soc, known)


def _published_occupations(lock: dict, p: Paths) -> dict[str, str]:
    """Occupations of the warehouse when it exists; otherwise of the pinned OEWS release (restoring its bytes)."""
    if p.duckdb_path.exists():
        try:
            with duckdb.connect(str(p.duckdb_path), read_only=True) as con:
                return known_occupations(con)
        except duckdb.Error:
            pass  # a warehouse from an interrupted first build: fall back to the snapshot
    from pipeline.mirror import mirror_from_env
    from pipeline.remote import remote_from_settings
    from pipeline.snapshot_store import SnapshotStore
    from pipeline.snapshots import resolve_source
    from pipeline.sources import oews_current

    store = SnapshotStore(p.snapshot_dir)
    res = resolve_source(oews_current, lock, store, mirror=mirror_from_env(), remote=remote_from_settings())
    known = oews_current.published_occupations(store, res.snapshots)
    if not known:
        raise OccupationError(
            "the OEWS current release is not in this build, so no occupation can be checked or "
            "reported. Restore its snapshot (SOURCES_MIRROR, the snapshot remote) or `make refresh`."
        )
    return known


def run_config(p: Paths, edition: str, lock_sha256: str, soc: str, catalog: list[str]) -> dict:
    """Every setting of a build as Dagster run config: the runs record what they were given."""
    return {
        "resources": {
            "warehouse": {
                "config": {
                    "warehouse_dir": str(p.warehouse_dir),
                    "build_dir": str(p.build_dir),
                    "edition": p.edition or "",
                    "lock_sha256": lock_sha256,
                    "sources_mirror": setting("sources_mirror", ""),
                    "snapshot_remote": setting("snapshot_remote", ""),
                    "strict": switch("strict"),
                }
            },
            "report": {"config": {"edition": edition, "soc": soc, "catalog_socs": catalog}},
        },
        # Dagster's step-by-step DEBUG log buries the lines that matter; the build prints one line per stage
        # instead, and Dagster speaks only to warn. VERBOSE=1 brings its full log back.
        "loggers": logger_config(switch("verbose")),
    }


def planned_runs(socs: list[str], warehouse_only: bool, catalog: bool) -> list[tuple[str, str, str | None]]:
    """(label, job, partition) in order: the warehouse, then each occupation's book, then the catalogue site."""
    from pipeline.definitions import BUILD_CATALOG_SITE, BUILD_OCCUPATION_BOOK, BUILD_WAREHOUSE

    runs: list[tuple[str, str, str | None]] = [("warehouse", BUILD_WAREHOUSE, None)]
    if not warehouse_only:
        runs += [(f"book {soc}", BUILD_OCCUPATION_BOOK, soc) for soc in socs]
    if catalog:
        runs.append(("catalogue site", BUILD_CATALOG_SITE, None))
    return runs


def warehouse_only_selection() -> list[dg.AssetKey]:
    """The warehouse job without the previous edition's warehouse (what an edition's own rebuild runs)."""
    from pipeline import definitions as d

    return [key for asset in d.warehouse_assets for key in asset.keys]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soc", default=None, help="SOC code, e.g. 29-1122 (default: SOC, else pyproject's soc)")
    parser.add_argument(
        "--edition",
        default=None,
        help="an earlier edition to build, e.g. 2026Q4 (default: EDITION, else the live lock's)",
    )
    parser.add_argument(
        "--catalog",
        action="store_true",
        help="build a book for each of CATALOG_SOCS and the catalogue site that links them",
    )
    parser.add_argument("--warehouse-only", action="store_true", help="build the warehouse, no books")
    args = parser.parse_args(argv)
    soc = args.soc or setting("soc")
    socs = catalog_socs() if args.catalog else [soc]

    try:
        p = paths(args.edition)
        reading = read_lock_once(p.lock_path)  # an edition that was never recorded stops here
        precheck_occupations(socs, reading.lock, p)
    except (OccupationError, EditionError, SnapshotMismatchError, LockError) as exc:
        return _fail(str(exc))
    # The edition the books are for: the one asked for (--edition or EDITION), else the one the live lock records.
    edition = args.edition or p.edition or reading.lock.get("edition") or UNRECORDED

    from pipeline.definitions import defs
    from pipeline.partitions import register_occupations

    # The assets pass data versions to Dagster on purpose (precise rebuilds); its note that the parameter is in
    # beta would print on every build.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    config = run_config(p, edition, reading.sha256, socs[0], socs if args.catalog else catalog_socs())
    stop_on_sigterm()  # a kill ends the build through its finally blocks and atexit (the kernels), as Ctrl-C does
    if not args.warehouse_only:
        from pipeline.assets.notebooks import prewarm

        prewarm()  # the page kernels start and import while the warehouse stage runs
    with _instance() as instance:
        # The warehouse run registers every occupation of the release; these are the ones checked above.
        register_occupations(instance, socs)
        runs = planned_runs(socs, args.warehouse_only, args.catalog)
        for number, (label, job_name, partition) in enumerate(runs, start=1):
            selection = warehouse_only_selection() if args.warehouse_only else None
            print(f"[{number}/{len(runs)}] {label} ...", flush=True)
            started = time.perf_counter()
            result = defs.resolve_job_def(job_name).execute_in_process(
                run_config=config,
                instance=instance,
                partition_key=partition,
                asset_selection=selection,
                raise_on_error=False,
                tags={"edition": edition, **({"soc": partition} if partition else {})},
            )
            stop_on_sigterm()  # Dagster's run pointed SIGTERM at what SIGINT does: nothing, in a background job
            if not result.success:
                return _fail(f"{label}: " + _explain(result))
            print(f"[{number}/{len(runs)}] {label}: done in {time.perf_counter() - started:.1f} s", flush=True)
    if args.warehouse_only:
        print(f"\nWarehouse built: {p.duckdb_path}  (edition {edition})")
    for soc in [] if args.warehouse_only else socs:
        print(f"\nBook built: {p.html_dir(soc) / 'index.html'}  ({soc}, edition {edition})")
    if args.catalog:
        print(f"\nCatalogue built: {p.site_dir / 'index.html'}  ({len(socs)} occupations)")
    print(source_summary(p))
    return 0


@contextlib.contextmanager
def _instance():
    home = os.environ.get("DAGSTER_HOME")
    if switch("record_runs") and home:
        # Recorded in DAGSTER_HOME, so `make dev` shows the history of `make book`. Off by default: writing the
        # event log to SQLite took 8 s of a 20 s rebuild after a one-page edit.
        os.makedirs(home, exist_ok=True)
        instance = dg.DagsterInstance.get()
    else:
        instance = dg.DagsterInstance.ephemeral()
    try:
        yield instance
    finally:
        instance.dispose()


def source_summary(p: Paths | None = None) -> str:
    """The end of the build log: which sources this build has, and which it lacks."""
    from pipeline.assets.snapshot import snapshot_states

    lines = ["Sources in this build:"]
    missing = []
    for state in snapshot_states((p or paths()).state_dir):
        n = len(state["snapshots"])
        lines.append(f"  {state['source_id']:<24} {state['status']:<11} {n} snapshot{'s' if n != 1 else ''}")
        if state["status"] in ("absent", "partial", "not pinned"):
            missing.append(state["source_id"])
    if missing:
        lines.append("Not in this build, in whole or in part (the book says so on its pages): " + ", ".join(missing))
    return "\n".join(lines)


def _explain(result: dg.ExecuteInProcessResult) -> str:
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.user_failure_data is None:
            err = event.step_failure_data.error
            if err is None:  # a failure Dagster recorded without an error has nothing to explain
                continue
            cause = err
            while cause.cause is not None:
                cause = cause.cause
            message = re.sub(r"^[\w.]+: ", "", cause.message.strip())  # drop the repeated "module.Class: "
            lines.append(f"[{event.step_key}] {cause.cls_name}: {message}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data
            if not data.passed:
                lines.append(f"[check {data.check_name}] {data.description}")
    return "\n".join(lines) or "the Dagster run failed; see the log above."


if __name__ == "__main__":
    sys.exit(main())
