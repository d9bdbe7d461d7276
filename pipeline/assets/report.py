"""The report's parameters for one occupation (a partition), checked against the warehouse before any notebook."""


import dagster as dg

from pipeline.book_warehouse import book_warehouse_location, previous_edition_for_books
from pipeline.incremental import StepState, fingerprint
from pipeline.occupation import resolve
from pipeline.partitions import occupation_partitions
from pipeline.report.warehouse import connect
from pipeline.resources import ReportParams, WarehouseResource


def known_occupations(con) -> dict[str, str]:
    return dict(con.execute("SELECT soc_code, occupation_title FROM mart_oews__national_wages").fetchall())


@dg.asset(deps=["mart_oews__national_wages", "previous_edition_warehouse"], partitions_def=occupation_partitions,
          group_name="report", kinds={"python"})
def report_parameters(context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: ReportParams) -> dg.MaterializeResult:
    """The occupation (SOC code, official title) and edition of one book; an unknown SOC stops here."""
    soc = context.partition_key
    p = warehouse.paths()
    # A book may run where only the shared Parquet export is (WAREHOUSE_URL; docs/scaling.md).
    with connect(book_warehouse_location(p.duckdb_path)) as con:
        title = resolve(soc, known_occupations(con))
        reference_period = con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0]
    previous = previous_edition_for_books(p.state_dir)
    params = {"soc": soc, "occupation_title": title, "edition": report.edition,
              "oews_reference_period": reference_period, "previous_edition": previous["previous_edition"],
              "previous_warehouse_path": previous["previous_warehouse_path"],
              "previous_edition_error": previous["previous_edition_error"]}
    fp = fingerprint(params)
    StepState(p.occupation_state_dir(soc), "report_parameters").save(fp, params=params)
    context.log.info(f"Report for {soc} {title}, edition {report.edition}")
    return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={k: str(v) for k, v in params.items()})


def load_parameters(state_dir) -> dict:
    state = StepState(state_dir, "report_parameters").load()
    if not state:
        raise RuntimeError("report_parameters has not been materialised; run the whole build (`make book`).")
    return state["params"]
