"""`make book`: check the parameters, then materialise every asset in one in-process Dagster run."""

from __future__ import annotations

import argparse
import os
import re
import sys

import dagster as dg
import duckdb

from pipeline.occupation import OccupationError, check_format, resolve
from pipeline.settings import paths, setting


def _fail(message: str) -> int:
    print(f"\nBUILD STOPPED: {message}", file=sys.stderr)
    return 2


def precheck_occupation(soc: str) -> None:
    """Fail fast on a bad SOC code, before Dagster starts, whenever a warehouse already exists."""
    check_format(soc)
    db = paths().duckdb_path
    if not db.exists():
        return  # the report_parameters asset checks it once the warehouse is built
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            known = dict(con.execute("SELECT soc_code, occupation_title FROM mart_oews__national_wages").fetchall())
    except duckdb.Error:
        return
    resolve(soc, known)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soc", default=setting("soc"), help="SOC code, e.g. 29-1122")
    parser.add_argument("--edition", default=setting("edition"), help="edition name, e.g. 2026Q4")
    args = parser.parse_args(argv)
    os.environ["SOC"], os.environ["EDITION"] = args.soc, args.edition

    try:
        precheck_occupation(args.soc)
    except OccupationError as exc:
        return _fail(str(exc))

    from pipeline.definitions import all_assets, all_checks
    from pipeline.resources import ReportParams, default_resources

    resources = default_resources() | {"report": ReportParams(soc=args.soc, edition=args.edition)}
    if os.environ.get("RECORD_RUNS") and os.environ.get("DAGSTER_HOME"):
        # Recorded in DAGSTER_HOME, so `make dev` shows the history of `make book`. Off by default: writing the
        # event log to SQLite took 8 s of a 20 s rebuild after a one-page edit.
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        instance = dg.DagsterInstance.get()
    else:
        instance = dg.DagsterInstance.ephemeral()
    try:
        result = dg.materialize(
            [*all_assets, *all_checks], resources=resources, instance=instance, raise_on_error=False,
            tags={"soc": args.soc, "edition": args.edition},
        )
    finally:
        instance.dispose()
    if not result.success:
        return _fail(_explain(result))
    print(f"\nBook built: {paths().html_dir / 'index.html'}  ({args.soc}, edition {args.edition})")
    print(source_summary())
    return 0


def source_summary() -> str:
    """The end of the build log: which sources this build has, and which it lacks."""
    from pipeline.assets.snapshot import snapshot_states

    lines = ["Sources in this build:"]
    missing = []
    for state in snapshot_states(paths().state_dir):
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
            cause = err.cause or err
            while cause.cause:
                cause = cause.cause
            message = re.sub(r"^[\w.]+: ", "", cause.message.strip())  # drop the repeated "module.Class: "
            lines.append(f"[{event.step_key}] {cause.cls_name}: {message}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                lines.append(f"[check {data.check_name}] {data.description}")
    return "\n".join(lines) or "the Dagster run failed; see the log above."


if __name__ == "__main__":
    sys.exit(main())
