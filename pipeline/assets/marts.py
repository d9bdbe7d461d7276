"""Mart assets: one per SQL file in warehouse/sql/marts. A file names its description in a header; its inputs are
the tables its SQL reads, as DuckDB parses them (pipeline.lineage), so they cannot disagree with the query."""

from pathlib import Path

import dagster as dg

from pipeline.incremental import StepState, fingerprint
from pipeline.lineage import mart_inputs, sql_description
from pipeline.resources import WarehouseResource
from pipeline.settings import SQL_DIR
from pipeline.transaction import transaction


def _mart_asset(sql_path: Path) -> dg.AssetsDefinition:
    name = sql_path.stem
    sql = sql_path.read_text()
    description, deps = sql_description(sql), mart_inputs()[name]

    @dg.asset(name=name, deps=deps, group_name="marts", kinds={"duckdb"}, description=description)
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        p = warehouse.paths()
        # Each input table (staging, seed or another mart) saves its fingerprint under its own name.
        upstream = [(StepState(p.state_dir, dep).load() or {}).get("fingerprint") for dep in deps]
        fp = fingerprint(upstream, sql)
        step = StepState(p.state_dir, name)
        if step.is_current(fp):
            context.log.info(f"{name} is up to date; nothing to do.")
            rows = step.saved()["rows"]
        else:
            with warehouse.connect() as con, transaction(con):
                con.execute(sql)
                rows = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            step.save(fp, rows=rows)
        return dg.MaterializeResult(
            data_version=dg.DataVersion(fp), metadata={"rows": rows, "sql": dg.MetadataValue.md(f"```sql\n{sql}\n```")}
        )

    return _mart


def mart_assets() -> list[dg.AssetsDefinition]:
    return [_mart_asset(path) for path in sorted((SQL_DIR / "marts").glob("*.sql"))]
