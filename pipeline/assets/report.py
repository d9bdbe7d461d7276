"""The report's parameters, checked against the warehouse before any notebook runs."""


import dagster as dg

from pipeline.incremental import StepState, fingerprint
from pipeline.occupation import resolve
from pipeline.resources import ReportParams, WarehouseResource


def known_occupations(con) -> dict[str, str]:
    return dict(con.execute("SELECT soc_code, occupation_title FROM mart_oews__national_wages").fetchall())


@dg.asset(deps=["mart_oews__national_wages"], group_name="report", kinds={"python"})
def report_parameters(context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: ReportParams) -> dg.MaterializeResult:
    """The occupation (SOC code, official title) and edition this build is for; an unknown SOC stops here."""
    with warehouse.connect(read_only=True) as con:
        title = resolve(report.soc, known_occupations(con))
        reference_period = con.execute("SELECT reference_period FROM stg_oews__release").fetchone()[0]
    params = {"soc": report.soc, "occupation_title": title, "edition": report.edition,
              "oews_reference_period": reference_period}
    fp = fingerprint(params)
    p = warehouse.paths()
    StepState(p.state_dir, "report_parameters").save(fp, params=params)
    context.log.info(f"Report for {report.soc} {title}, edition {report.edition}")
    return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={k: str(v) for k, v in params.items()})


def load_parameters(state_dir) -> dict:
    state = StepState(state_dir, "report_parameters").load()
    if not state:
        raise RuntimeError("report_parameters has not been materialised; run the whole build (`make book`).")
    return state["params"]
