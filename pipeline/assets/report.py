"""The report's occupations: every code of the release as a partition, and one book's parameters (a partition),
checked against the warehouse before any notebook."""

import dagster as dg

from pipeline.book_warehouse import book_warehouse_location
from pipeline.incremental import fingerprint
from pipeline.occupation import known_occupations, resolve
from pipeline.partitions import OCCUPATION_PARTITIONS, occupation_partitions, register_occupations
from pipeline.report.warehouse import connect
from pipeline.resources import ReportParams, WarehouseResource


@dg.asset(deps=["mart_oews__national_wages"], group_name="report", kinds={"dagster"})
def report_occupations(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every occupation the release publishes, registered as an occupation partition of this Dagster instance.

    The same codes the SOC check accepts (every code of mart_oews__national_wages: detailed occupations and the
    broad, minor and major groups the release also publishes), so each partition the UI offers can be built.
    """
    with warehouse.connect(read_only=True) as con:
        socs = sorted(known_occupations(con))
    added = register_occupations(context.instance, socs)
    context.log.info(f"{len(socs)} occupations are partitions of '{OCCUPATION_PARTITIONS}' ({len(added)} new).")
    return dg.MaterializeResult(
        data_version=dg.DataVersion(fingerprint(socs)), metadata={"occupations": len(socs), "new": len(added)}
    )


@dg.asset(
    deps=["mart_oews__national_wages", "stg_oews__release", "report_occupations"],
    ins={"previous_edition_warehouse": dg.AssetIn()},
    partitions_def=occupation_partitions,
    group_name="report",
    kinds={"python"},
    io_manager_key="json_outputs",
)
def report_parameters(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    report: ReportParams,
    previous_edition_warehouse: dict,
) -> dg.Output[dict]:
    """The occupation (SOC code, official title) and edition of one book; an unknown SOC stops here.

    Its output is what every page of the book is executed with (the notebooks take it as an input).
    """
    soc = context.partition_key
    p = warehouse.paths()
    # A book may run where only the shared Parquet export is (WAREHOUSE_URL; docs/scaling.md).
    with connect(book_warehouse_location(p.duckdb_path)) as con:
        title = resolve(soc, known_occupations(con))
        reference_period = con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0]
    edition = report.edition_name()
    previous = previous_edition_warehouse
    params = {
        "soc": soc,
        "occupation_title": title,
        "edition": edition,
        "oews_reference_period": reference_period,
        "previous_edition": previous["previous_edition"],
        "previous_warehouse_path": previous["previous_warehouse_path"],
        "previous_edition_error": previous["previous_edition_error"],
    }
    context.log.info(f"Report for {soc} {title}, edition {edition}")
    return dg.Output(
        params, data_version=dg.DataVersion(fingerprint(params)), metadata={k: str(v) for k, v in params.items()}
    )
