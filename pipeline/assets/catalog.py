"""The snapshot catalogue in DuckDB: every pinned snapshot of this build, and each source's status."""

import json

import dagster as dg
import pandas as pd

from pipeline.assets.snapshot import ASSET_NAMES, snapshot_states
from pipeline.incremental import StepState, fingerprint
from pipeline.resources import WarehouseResource
from pipeline.sources.registry import BY_ID
from pipeline.transaction import transaction

SNAPSHOT_COLUMNS = (
    "sha256",
    "source_id",
    "part",
    "filename",
    "url",
    "origin",
    "relation",
    "package",
    "retrieved_at",
    "size_bytes",
    "rows",
    "http_status",
    "etag",
    "last_modified",
    "license",
    "citation",
    "note",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "meta_snapshots",
            deps=list(ASSET_NAMES.values()),
            group_name="lineage",
            kinds={"duckdb"},
            description="Every snapshot pinned for this build: URL, retrieval time, SHA-256, relation.",
        ),
        dg.AssetSpec(
            "meta_sources",
            deps=list(ASSET_NAMES.values()),
            group_name="lineage",
            kinds={"duckdb"},
            description="Each source's status in this build: complete, partial, absent or not pinned.",
        ),
    ],
    can_subset=False,
)
def meta_catalog(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    p = warehouse.paths()
    states = snapshot_states(p.state_dir)
    # The snapshots' metadata too, not only their hashes: a sidecar repaired from the lock changes no hash but
    # does change what meta_snapshots says. (Not obtained_from: where a build found bytes differs run to run.)
    # And what each source package declares about itself (its official page, what it holds): a changed link
    # must reach meta_sources even when no snapshot changed.
    fp = fingerprint([(s.get("fingerprint"), s.get("snapshots"), _declared(s["source_id"])) for s in states])
    step = StepState(p.state_dir, "meta_catalog")
    if step.is_current(fp) and p.duckdb_path.exists():
        context.log.info("The snapshot catalogue is up to date.")
    else:
        snapshots, sources = _frames(states)
        with warehouse.connect() as con, transaction(con):
            con.register("snapshots_df", snapshots)
            con.register("sources_df", sources)
            con.execute("CREATE OR REPLACE TABLE meta_snapshots AS SELECT * FROM snapshots_df")
            con.execute("CREATE OR REPLACE TABLE meta_sources AS SELECT * FROM sources_df")
        step.save(fp)
    for key in ("meta_snapshots", "meta_sources"):
        yield dg.MaterializeResult(asset_key=key, data_version=dg.DataVersion(fingerprint(fp, key)))


def _frames(states: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    snap_rows, source_rows = [], []
    for order, state in enumerate(states):
        for snap in state["snapshots"]:
            row = {col: snap.get(col) for col in SNAPSHOT_COLUMNS}
            row["status"] = "in this build"
            row["obtained_from"] = state["obtained_from"].get(snap["sha256"], "")
            row["extra_json"] = json.dumps(snap.get("extra", {}), sort_keys=True)
            snap_rows.append(row)
        for absent in state["absent"]:
            row = {col: None for col in SNAPSHOT_COLUMNS}
            row.update(
                sha256=absent["sha256"],
                source_id=state["source_id"],
                part=absent["part"],
                filename=absent["filename"],
                status="absent",
                obtained_from="",
                note=absent["reason"],
                extra_json="{}",
            )
            snap_rows.append(row)
        source_rows.append(
            {
                "source_order": order,
                "source_id": state["source_id"],
                "title": state["title"],
                "status": state["status"],
                "snapshots_in_build": len(state["snapshots"]),
                "snapshots_absent": len(state["absent"]),
                "note": _source_note(state),
                **_declared(state["source_id"]),
            }
        )
    columns = [*SNAPSHOT_COLUMNS, "status", "obtained_from", "extra_json"]
    snapshots = pd.DataFrame(snap_rows, columns=columns).astype(
        {"size_bytes": "Int64", "rows": "Int64", "http_status": "Int64"}
    )
    for col in columns:
        if col not in ("size_bytes", "rows", "http_status"):
            snapshots[col] = snapshots[col].astype("string")
    sources = pd.DataFrame(source_rows)
    for col in ("official_page_url", "official_index_url", "holds"):
        if col in sources:
            sources[col] = sources[col].astype("string")  # VARCHAR in DuckDB even when no source declares one
    return snapshots, sources


def _declared(source_id: str) -> dict[str, str | None]:
    """What the source package declares for readers (pipeline/sources/base.py): the official page a source line
    links to (``{soc_compact}`` filled in per occupation), the page to use when no single occupation applies,
    and whether the source holds data or documents (the "Not in this build" note words each so)."""
    module = BY_ID.get(source_id)
    return {
        "official_page_url": getattr(module, "OFFICIAL_PAGE_URL", None),
        "official_index_url": getattr(module, "OFFICIAL_INDEX_URL", None),
        "holds": getattr(module, "HOLDS", None),
    }


def _source_note(state: dict) -> str:
    """One plain sentence on what this build lacks from the source, or '' when it has it all."""
    if state["status"] == "not pinned":
        return "Not pinned in warehouse/sources.lock: no refresh has fetched it yet, so it is not in this build."
    parts = []
    if state["absent"]:
        names = ", ".join(a["filename"] for a in state["absent"])
        parts.append(
            f"Pinned but not available to this build: {names} (no store, remote, mirror or package had "
            "the pinned bytes)."
        )
    if state.get("gap"):
        parts.append(state["gap"][0].upper() + state["gap"][1:] + ".")
    return " ".join(parts)
