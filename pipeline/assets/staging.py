"""Staging assets: each source's snapshots parsed into typed DuckDB tables, with lineage recorded beside them.

One multi-asset per source. Its tables are replaced in one transaction together with their lineage rows, so a
failed load (a renamed column, a corrupt file) leaves the previous tables exactly as they were.
"""

import importlib
import inspect
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from pipeline.domain import DOMAIN_SEEDS
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.lineage import record_lineage
from pipeline.resources import WarehouseResource
from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.registry import SOURCES
from pipeline.sources.table_spec import TableSpec
from pipeline.transaction import transaction


def code_files(module) -> list[str]:
    """What the source's staging step is made of: a change to any of these files re-runs it.

    Every module of the source's package, the shared modules of pipeline/sources/ they use, and the domain
    seeds when the package reads pipeline/domain.py (CES labels each series with its care setting).
    """
    package_dir = Path(inspect.getfile(module)).parent
    own = [
        importlib.import_module(f"{module.__name__}.{path.stem}")
        for path in sorted(package_dir.glob("*.py"))
        if path.stem != "__init__"
    ]
    files = {inspect.getfile(module), *(inspect.getfile(m) for m in own)}
    for mod in (module, *own):
        for value in vars(mod).values():
            origin = value if inspect.ismodule(value) else inspect.getmodule(value)
            if origin is None:  # a value defined by no module (a number, a string): no file to hash
                continue
            name = origin.__name__
            if name.startswith("pipeline.sources") and getattr(origin, "__file__", None):
                files.add(inspect.getfile(origin))
            elif name == "pipeline.domain":
                files.update(str(path) for path in DOMAIN_SEEDS)
                files.add(inspect.getfile(origin))
    files.update(str(path) for path in getattr(module, "SEED_FILES", ()))  # project files its loader reads
    return sorted(files)


def load_transaction(con, module, store: SnapshotStore, snaps: list[SnapshotMeta], built_at: str) -> dict:
    """Load a source's tables and their lineage rows in one transaction."""
    with transaction(con):
        counts = module.load_staging(con, store, snaps)
        record_lineage(con, snaps, counts, built_at, getattr(module, "TABLE_PARTS", None))
    return counts


def _staging_asset(module) -> dg.AssetsDefinition:
    raw_name, step_name = module.ASSET_NAME, module.STAGING_STEP
    tables = {spec.name: spec.description for spec in module.TABLES}

    @dg.multi_asset(
        name=step_name,
        specs=[
            dg.AssetSpec(t, deps=[raw_name], group_name="staging", kinds={"duckdb"}, description=d)
            for t, d in tables.items()
        ],
        can_subset=False,
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        p = warehouse.paths()
        raw = StepState(p.state_dir, raw_name).saved()
        snaps = [SnapshotMeta(**s) for s in raw["snapshots"]]
        step = StepState(p.state_dir, step_name)
        settings = [setting(name) for name in getattr(module, "STAGING_SETTINGS", ())]  # e.g. the CPI deflator
        fp = fingerprint(raw["fingerprint"], hash_files(code_files(module)), settings)
        if step.is_current(fp) and p.duckdb_path.exists():
            context.log.info(f"{step_name} is up to date with its snapshots; nothing to do.")
            counts = step.saved()["counts"]
        else:
            con = warehouse.connect()
            try:
                built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
                counts = load_transaction(con, module, SnapshotStore(p.snapshot_dir), snaps, built_at)
            finally:
                con.close()
            step.save(fp, counts=counts)
            for table in tables:  # marts fingerprint their inputs by table name
                StepState(p.state_dir, table).save(fingerprint(fp, table), rows=counts.get(table))
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=table,
                data_version=dg.DataVersion(fingerprint(fp, table)),
                metadata={"rows": counts.get(table, 0), "snapshot_sha256": [s.sha256[:12] for s in snaps]},
            )

    return _staging


def staging_assets() -> list[dg.AssetsDefinition]:
    return [_staging_asset(module) for module in SOURCES]


def staging_specs() -> list[TableSpec]:
    """Every staging table the sources declare (their tables.py), in source order."""
    return [spec for module in SOURCES for spec in module.TABLES]


def staging_tables() -> set[str]:
    return {spec.name for spec in staging_specs()}
