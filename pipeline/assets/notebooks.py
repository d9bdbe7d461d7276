"""Notebook assets: each MyST notebook in book/notebooks is executed once per occupation (papermill parameters,
nbclient execution in one warm kernel)."""


import asyncio
import atexit
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import jupytext
import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from papermill.parameterize import parameterize_notebook

from pipeline.assets.report import load_parameters
from pipeline.book_warehouse import book_warehouse_location, warehouse_identity
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.partitions import occupation_partitions
from pipeline.report.practical_pages import pages_left_out
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
        tags = cell.metadata.setdefault("tags", [])  # papermill looks for the parameters tag on every cell
        if cell.cell_type != "code":
            continue
        if "parameters" in tags:
            tags.append("remove-cell")
        elif "remove-cell" not in tags:
            tags.append("remove-input")
    return nb


# Warm kernels serve every page a build executes, one per worker thread: starting a kernel and importing pandas and
# Altair cost about 2 of the 2.5 s each page took, so a book executed page by page spent most of its time
# starting up. Pages run two at a time (the machine has two cores); each kernel runs one page at a time.
KERNELS = max(1, min(2, os.cpu_count() or 1))
_thread = threading.local()
_kernels: list[AsyncKernelManager] = []
# Run before and after each page: the namespace starts empty, and the page's DuckDB connections are closed when
# it ends (a read-only handle left open would block the next build's writer).
RESET_NAMESPACE = "get_ipython().reset(new_session=False)\nimport gc as _gc\n_gc.collect()"


def _warm_kernel() -> AsyncKernelManager:
    km = getattr(_thread, "kernel", None)
    if km is None:
        km = _thread.kernel = AsyncKernelManager(kernel_name="python3")
        _kernels.append(km)
    return km


def _stop_kernel(km: AsyncKernelManager) -> None:
    if km.has_kernel:
        asyncio.run(km.shutdown_kernel(now=True))


@atexit.register
def _stop_all_kernels() -> None:
    for km in _kernels:
        _stop_kernel(km)


def execute_notebook(md_path: Path, out_path: Path, parameters: dict) -> None:
    """Execute into a temporary file and move it into place, so a failure never replaces a good page.

    Each page starts from an empty namespace (the kernel's variables are reset first); only imported modules
    carry over from the page before.
    """
    nb = prepare_notebook(md_path)
    nb.metadata["papermill"] = {}  # where papermill records the parameters it injected
    nb = parameterize_notebook(nb, parameters, kernel_name="python3", language="python")
    nb.cells.insert(0, nbformat.v4.new_code_cell(RESET_NAMESPACE))
    nb.cells.append(nbformat.v4.new_code_cell(RESET_NAMESPACE))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # The kernel must be this environment's Python, whatever PATH the caller had.
    env_bin = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(env_bin + os.pathsep):
        os.environ["PATH"] = env_bin + os.pathsep + os.environ.get("PATH", "")
    km = _warm_kernel()
    client = NotebookClient(nb, km=km, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(PROJECT_ROOT)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        _stop_kernel(km)  # a failed page may leave the kernel in any state; the next page gets a fresh one
        raise NotebookPageError(f"{md_path.name}: a cell failed:\n{exc}") from None
    except BaseException:
        _stop_kernel(km)
        raise
    nb.cells = nb.cells[1:-1]
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"].append("remove-cell")
    with tempfile.NamedTemporaryFile("w", dir=out_path.parent, suffix=".ipynb", delete=False) as tmp:
        nbformat.write(nb, tmp)
    os.replace(tmp.name, out_path)


class NotebookPageError(RuntimeError):
    """A book page's notebook raised; the message names the page and carries the cell's traceback."""


# Pages that gather what the other pages wrote (the data downloads index) run after all of them.
AFTER_ALL_OTHERS = {"data_downloads"}


def notebook_asset_keys() -> list[str]:
    return [f"notebook__{path.stem}" for path in notebook_sources()]


def _page_spec(md_path: Path, marts: list[str]) -> dg.AssetSpec:
    after = [f"notebook__{p.stem}" for p in notebook_sources()
             if md_path.stem in AFTER_ALL_OTHERS and p.stem not in AFTER_ALL_OTHERS]
    # Every mart is an input: a page may read any of them, and its fingerprint covers them all.
    return dg.AssetSpec(f"notebook__{md_path.stem}", deps=["report_parameters", "meta_snapshots", "meta_sources",
                                                          *marts, *after],
                        group_name="notebooks", kinds={"jupyter"}, partitions_def=occupation_partitions,
                        description=f"Executed notebook for the book page {md_path.name}.")


def notebook_assets() -> list[dg.AssetsDefinition]:
    """The book's pages as one multi-asset, so that one step can execute them two at a time."""
    marts = sorted(s.stem for s in (paths().sql_dir / "marts").glob("*.sql"))
    pages = notebook_sources()

    @dg.multi_asset(name="notebooks", specs=[_page_spec(md, marts) for md in pages], can_subset=True,
                    partitions_def=occupation_partitions)
    def _notebooks(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        selected = {key.path[-1] for key in context.selected_asset_keys}
        chosen = [md for md in pages if f"notebook__{md.stem}" in selected]
        page = _PageRun(context, warehouse.paths(), context.partition_key, marts)
        first = [md for md in chosen if md.stem not in AFTER_ALL_OTHERS]
        with ThreadPoolExecutor(max_workers=KERNELS) as pool:
            results = list(pool.map(page.run, first))
        # Pages that list what the others wrote run once those are done.
        results += [page.run(md) for md in chosen if md.stem in AFTER_ALL_OTHERS]
        for md, (fp, out_path) in zip(first + [md for md in chosen if md.stem in AFTER_ALL_OTHERS], results):
            yield dg.MaterializeResult(asset_key=f"notebook__{md.stem}", data_version=dg.DataVersion(fp),
                                       metadata={"output": str(out_path)})

    return [_notebooks]


class _PageRun:
    """Executes one page of one occupation's book unless its inputs are unchanged since it last ran."""

    def __init__(self, context, p, soc: str, marts: list[str]):
        self.log, self.p, self.soc = context.log, p, soc
        self.params = load_parameters(p.occupation_state_dir(soc))
        self.upstream = [(StepState(p.state_dir, m).load() or {}).get("fingerprint")
                         for m in [*marts, "meta_catalog", "previous_edition_warehouse"]]
        # CSVs behind each table and chart go to the book's static folder, which Sphinx copies into the site.
        self.downloads = p.book_source_dir(soc) / "_static" / "data"
        location = book_warehouse_location(p.duckdb_path)
        self.parameters = {**self.params, "warehouse_path": location, "downloads_dir": str(self.downloads)}
        # Where only the exports are, their manifests stand in for the warehouse steps' fingerprints.
        self.upstream += [warehouse_identity(location),
                          warehouse_identity(self.params.get("previous_warehouse_path") or "")]
        self.helpers = hash_files(list(HELPER_DIR.glob("*.py")))

    def run(self, md_path: Path) -> tuple[str, Path]:
        upstream = list(self.upstream)
        if md_path.stem in AFTER_ALL_OTHERS:
            # A page that lists the other pages' CSVs depends on those files, not on the pages' prose: editing
            # one page's text re-executes that page alone.
            upstream.append(hash_files([f for f in self.downloads.rglob("*.csv") if md_path.stem not in f.parts],
                                       root=self.downloads))
        fp = fingerprint(md_path.read_text(), self.helpers, self.parameters, upstream)
        out_path = self.p.book_source_dir(self.soc) / "notebooks" / f"{md_path.stem}.ipynb"
        step = StepState(self.p.occupation_state_dir(self.soc), f"notebook__{md_path.stem}")
        if md_path.stem in pages_left_out(self.soc):
            out_path.unlink(missing_ok=True)
            step.save(fingerprint("left out", self.soc), output=None)
            self.log.info(f"{md_path.name} is written for other occupations; left out of this book.")
            return fingerprint("left out", self.soc), out_path
        if step.is_current(fp) and out_path.exists():
            self.log.info(f"{md_path.name} is up to date; not re-executed.")
        else:
            started = time.perf_counter()
            execute_notebook(md_path, out_path, self.parameters)
            step.save(fp, output=str(out_path))
            self.log.info(f"{md_path.name} executed in {time.perf_counter() - started:.1f} s.")
        return fp, out_path
