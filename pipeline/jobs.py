"""The quarterly refresh as a Dagster job and schedule: the same code as `make refresh`."""

import dagster as dg

from pipeline.refresh import format_report, run_refresh
from pipeline.resources import RefreshSecrets, WarehouseResource


@dg.op(description="Fetch every source, store new snapshots, and re-pin warehouse/sources.lock atomically.")
def refresh_sources(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, refresh_secrets: RefreshSecrets
) -> None:
    # The BLS API client reads BLS_API_KEY itself, when it builds a request. Requiring the resource makes a
    # scheduled refresh without the key stop before it fetches anything, naming the variable, rather than run
    # into the keyless daily quota halfway. (`make refresh` outside Dagster still runs without a key.)
    if not (refresh_secrets.bls_api_key or "").strip():
        raise dg.Failure("BLS_API_KEY is empty: set it to the BLS API registration key before the refresh job.")
    p = warehouse.paths()
    report = run_refresh(p, progress=context.log.info)
    context.log.info(format_report(report, p.lock_path))
    for change in report.changes:
        if change.status == "not reached":
            context.log.warning(f"{change.source_id} / {change.part}: {change.detail}")


@dg.job(description="Quarterly refresh of every source (make refresh).")
def refresh_sources_job():
    refresh_sources()


# OEWS appears each spring, EP each autumn, CES and JOLTS monthly: a quarterly pass catches all of them, and a
# maintainer reviews the lock diff it leaves before rebuilding. 06:00 UTC on the 15th of Feb, May, Aug and Nov.
quarterly_refresh_schedule = dg.ScheduleDefinition(
    name="quarterly_refresh",
    job=refresh_sources_job,
    cron_schedule="0 6 15 2,5,8,11 *",
    execution_timezone="UTC",
)
