"""Small asset outputs handed from one asset to the next by Dagster's own mechanism, an IO manager.

An occupation's outputs (its report parameters) are kept under that occupation's build folder,
book/_build/<SOC>/outputs/, so two partitions never share a file; the warehouse's (the previous edition's
whereabouts) under the warehouse's state folder, warehouse/state/outputs/. Each is one JSON file, written atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import dagster as dg

from pipeline.settings import Paths


class OutputMissingError(RuntimeError):
    """An asset's input was never materialised in this build's folders."""


def output_path(p: Paths, asset: str, partition: str | None = None) -> Path:
    folder = p.occupation_dir(partition) if partition else p.state_dir
    return folder / "outputs" / f"{asset}.json"


def read_output(path: Path, asset: str) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise OutputMissingError(
            f"{asset} has not been materialised ({path} is missing); run the whole build "
            "(`make book`), or its job in the Dagster UI."
        ) from None


def write_output(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as out:
        json.dump(value, out, indent=2, sort_keys=True, default=str)
    os.replace(tmp, path)


class JsonOutputs(dg.IOManager):
    """Stores an asset's output as JSON in the build's folders (the warehouse resource says where they are)."""

    def handle_output(self, context: dg.OutputContext, obj: dict) -> None:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        write_output(output_path(context.resources.warehouse.paths(), context.asset_key.path[-1], partition), obj)

    def load_input(self, context: dg.InputContext) -> dict:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        asset = context.asset_key.path[-1]
        return read_output(output_path(context.resources.warehouse.paths(), asset, partition), asset)


@dg.io_manager(
    required_resource_keys={"warehouse"},
    description="Small outputs (report parameters) as JSON under the build's own folders.",
)
def json_outputs(_) -> JsonOutputs:
    return JsonOutputs()
