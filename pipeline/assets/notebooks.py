"""Notebook assets: each MyST notebook in book/notebooks is executed by papermill, once per occupation."""


import os
import sys
import tempfile
from pathlib import Path

import dagster as dg
import jupytext
import nbformat
import papermill as pm

from pipeline.assets.report import load_parameters
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.partitions import occupation_partitions
from pipeline.resources import WarehouseResource
from pipeline.settings import PROJECT_ROOT, paths

NOTEBOOK_DIR = PROJECT_ROOT / "book" / "notebooks"
HELPER_DIR = PROJECT_ROOT / "pipeline" / "report"


def notebook_sources() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.md"))


def prepare_notebook(md_path: Path) -> nbformat.NotebookNode:
    """MyST markdown -> notebook; readers see outputs, not code, and never the parameter cells."""
    nb = jupytext.read(md_path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags:
            tags.append("remove-cell")
        elif "remove-cell" not in tags:
            tags.append("remove-input")
    return nb


def execute_notebook(md_path: Path, out_path: Path, parameters: dict) -> None:
    """Execute into a temporary file and move it into place, so a failure never replaces a good page."""
    nb = prepare_notebook(md_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # The kernel must be this environment's Python, whatever PATH the caller had.
    env_bin = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(env_bin + os.pathsep):
        os.environ["PATH"] = env_bin + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / md_path.with_suffix(".ipynb").name
        nbformat.write(nb, src)
        executed = Path(tmp) / f"executed-{src.name}"
        pm.execute_notebook(
            str(src), str(executed), parameters=parameters, kernel_name="python3", cwd=str(PROJECT_ROOT),
            progress_bar=False, log_output=False,
        )
        done = nbformat.read(executed, as_version=4)
        for cell in done.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.metadata["tags"].append("remove-cell")
        nbformat.write(done, executed)
        os.replace(executed, out_path)


# Pages that gather what the other pages wrote (the data downloads index) run after all of them.
AFTER_ALL_OTHERS = {"data_downloads"}


def _notebook_asset(md_path: Path) -> dg.AssetsDefinition:
    name = f"notebook__{md_path.stem}"
    after = [f"notebook__{p.stem}" for p in notebook_sources()
             if md_path.stem in AFTER_ALL_OTHERS and p.stem not in AFTER_ALL_OTHERS]

    # Every mart is an input: a page may read any of them, and its fingerprint covers them all.
    marts = sorted(s.stem for s in (paths().sql_dir / "marts").glob("*.sql"))

    @dg.asset(name=name, deps=["report_parameters", "meta_snapshots", "meta_sources", *marts, *after],
              partitions_def=occupation_partitions, group_name="notebooks", kinds={"jupyter"},
              description=f"Executed notebook for the book page {md_path.name}.")
    def _notebook(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        p = warehouse.paths()
        soc = context.partition_key
        params = load_parameters(p.occupation_state_dir(soc))
        upstream = [(StepState(p.state_dir, m).load() or {}).get("fingerprint")
                    for m in [*marts, "meta_catalog", "previous_edition_warehouse"]]
        # CSVs behind each table and chart go to the book's static folder, which Sphinx copies into the site.
        downloads = p.book_source_dir(soc) / "_static" / "data"
        parameters = {**params, "warehouse_path": str(p.duckdb_path), "downloads_dir": str(downloads)}
        if after:
            # A page that lists the other pages' CSVs depends on those files, not on the pages' prose: editing
            # one page's text re-executes that page alone.
            upstream.append(hash_files([f for f in downloads.rglob("*.csv") if md_path.stem not in f.parts],
                                       root=downloads))
        fp = fingerprint(md_path.read_text(), hash_files(list(HELPER_DIR.glob("*.py"))), parameters, upstream)
        out_path = p.book_source_dir(soc) / "notebooks" / f"{md_path.stem}.ipynb"
        step = StepState(p.occupation_state_dir(soc), name)
        if step.is_current(fp) and out_path.exists():
            context.log.info(f"{md_path.name} is up to date; not re-executed.")
        else:
            execute_notebook(md_path, out_path, parameters)
            step.save(fp, output=str(out_path))
        return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={"output": str(out_path)})

    return _notebook


def notebook_assets() -> list[dg.AssetsDefinition]:
    return [_notebook_asset(path) for path in notebook_sources()]


def notebook_asset_keys() -> list[str]:
    return [f"notebook__{path.stem}" for path in notebook_sources()]
