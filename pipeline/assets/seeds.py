"""Seed tables: small, committed mappings the pipeline needs, loaded as they are written in warehouse/seeds/."""

import dagster as dg
import pandas as pd

from pipeline import domain
from pipeline.domain import SETTINGS_COLUMNS, SETTINGS_SEED
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.resources import WarehouseResource


def read_settings_seed(path=SETTINGS_SEED) -> pd.DataFrame:
    """The care settings seed as a frame, checked by pipeline/domain.py (the one reader of the seed)."""
    frame = pd.DataFrame(domain.care_settings(path), columns=SETTINGS_COLUMNS, dtype=str)
    frame["is_proxy"] = frame["is_proxy"] == "true"
    return frame


@dg.asset(
    group_name="staging",
    kinds={"duckdb"},
    description="Report role variants and settings mapped to OEWS and CES industries, with caveats (seed).",
)
def seed_settings__industry_map(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    p = warehouse.paths()
    fp = fingerprint(hash_files([SETTINGS_SEED, __file__, domain.__file__]))
    step = StepState(p.state_dir, "seed_settings__industry_map")
    if not (step.is_current(fp) and p.duckdb_path.exists()):
        frame = read_settings_seed()
        with warehouse.connect() as con:
            con.register("seed_df", frame)
            con.execute(
                "CREATE OR REPLACE TABLE seed_settings__industry_map AS SELECT setting_id, report_variant, "
                "oews_industry_code, oews_industry_title, ces_industry_code, CAST(is_proxy AS BOOLEAN) AS is_proxy, "
                "nullif(caveat, '') AS caveat FROM seed_df"
            )
            con.unregister("seed_df")
        step.save(fp, rows=len(frame))
    return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={"rows": step.saved()["rows"]})


@dg.asset_check(
    asset="seed_settings__industry_map",
    blocking=True,
    additional_deps=["stg_oews__industries"],
    description="Every mapped OEWS industry exists in the release, under the title the seed gives.",
)
def seed_settings__industries_exist_in_oews(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from pipeline.checks import result

    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            """
            SELECT s.setting_id, s.oews_industry_code, s.oews_industry_title, i.industry_name
            FROM seed_settings__industry_map s
            LEFT JOIN stg_oews__industries i ON i.industry_code = s.oews_industry_code
            WHERE i.industry_name IS NULL OR lower(i.industry_name) <> lower(s.oews_industry_title)
            """
        ).fetchall()
    return result(
        "seed_settings__industry_map",
        "each oews_industry_code is in stg_oews__industries with that title",
        rows,
        ["setting_id", "oews_industry_code", "seed_title", "release_title"],
    )
