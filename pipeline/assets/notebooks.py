"""Notebook assets: each MyST notebook in book/notebooks is executed once per occupation (papermill parameters,
nbclient execution in one warm kernel)."""

import asyncio
import atexit
import os
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import jupytext
import nbformat
from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from papermill.parameterize import parameterize_notebook

from pipeline import page_inputs
from pipeline.book_warehouse import book_warehouse_location, warehouse_identity
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.partitions import occupation_partitions
from pipeline.report.practical_pages import pages_left_out
from pipeline.report.text import fill_page, snippets_used
from pipeline.resources import WarehouseResource
from pipeline.settings import PROJECT_ROOT

NOTEBOOK_DIR = PROJECT_ROOT / "book" / "notebooks"


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
# starting up. Pages run two at a time (the machine has two cores); each kernel runs one page at a time. BOOK_KERNELS
# sets another number: a Celery worker (pipeline/catalog_workers.py) runs one, so N workers use N cores.
KERNELS = max(1, int(os.environ.get("BOOK_KERNELS") or min(2, os.cpu_count() or 1)))
_thread = threading.local()
_kernels: list[AsyncKernelManager] = []
_clients: dict[AsyncKernelManager, KernelClient] = {}
# Run before each page: the namespace starts empty. What is alive then (imported modules, the kernel itself) is
# moved out of the garbage collector's sight (gc.freeze): a full collection over pandas' and Altair's objects took
# 60 ms, and IPython's reset runs one, so without it every page paid for the modules the pages before it imported.
START_PAGE = (
    "get_ipython().reset(new_session=False)\nimport gc as _gc\n_gc.freeze()\n"
    "from pipeline.report import warehouse as _warehouse\n_warehouse.start_recording()"
)
# Run after each page: the report's connection recorded the tables the page read (pipeline/report/warehouse.py),
# left where pipeline.page_inputs reads them; the page's DuckDB connections are closed.
SAVE_RECORDING = (
    "import json as _json, pathlib as _pathlib\n_record = _pathlib.Path({path!r})\n"
    "_record.parent.mkdir(parents=True, exist_ok=True)\n"
    "_record.write_text(_json.dumps(_warehouse.recorded_reads()))\n"
)
END_PAGE = "_warehouse.close_all()\nget_ipython().reset(new_session=False)"


# Kernels talk over local sockets (IPC) in a private folder, not TCP on 127.0.0.1: nothing else on the machine can
# reach them, and the kernel has no reason to warn that its traffic is unencrypted.
_KERNEL_SOCKETS = tempfile.TemporaryDirectory(prefix="book-kernels-")


def _warm_kernel() -> AsyncKernelManager:
    km = getattr(_thread, "kernel", None)
    if km is None:
        socket_prefix = os.path.join(_KERNEL_SOCKETS.name, f"kernel-{threading.get_ident()}")
        km = _thread.kernel = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=socket_prefix)
        _kernels.append(km)
    return km


# The client that talks to this thread's kernel is kept with it: nbclient would otherwise open a new one for every
# page, and each new client waits 0.2 s for the kernel's broadcast channel to fall quiet (jupyter_client's
# wait_for_ready) and stays subscribed to every later page's output.
def _kernel_client(km: AsyncKernelManager) -> KernelClient | None:
    return _clients.get(km) if km.has_kernel else None


def _stop_kernel(km: AsyncKernelManager) -> None:
    """Shut the kernel down, with its client. The manager is done with too: shutting down destroys its sockets'
    context, so this thread's next page starts a new manager and kernel."""
    kc = _clients.pop(km, None)
    if kc is not None:
        kc.stop_channels()
    if km.has_kernel:
        # jupyter_client declares shutdown_kernel as returning an Awaitable; it is an async def, so a coroutine.
        asyncio.run(km.shutdown_kernel(now=True))  # type: ignore[arg-type]
    if getattr(_thread, "kernel", None) is km:
        _thread.kernel = None


# The threads that run pages, each with its own kernel, live as long as the process: a catalogue's second book
# finds its kernels warm, and a build can warm them while its warehouse stage runs (prewarm).
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
# What every page imports: the kernels import it while they wait, not at the first page.
WARM_UP = "import altair, duckdb, pandas, vl_convert\nimport pipeline.report.present, pipeline.report.oews_pages"


def page_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=KERNELS, thread_name_prefix="book-kernel")
        return _pool


def prewarm() -> list[Future]:
    """Start every page thread's kernel and import what pages import, in the background.

    A barrier holds each warm-up until all have started, so each of the pool's threads takes one (and warms its own
    kernel) rather than one thread taking them all in turn."""
    barrier = threading.Barrier(KERNELS, timeout=60)

    def warm() -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # a thread busy elsewhere: the others still warm up
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_UP)])
        _run(nb, _warm_kernel())

    return [page_pool().submit(warm) for _ in range(KERNELS)]


@atexit.register
def _stop_all_kernels() -> None:
    for km in _kernels:
        _stop_kernel(km)


def execute_notebook(md_path: Path, out_path: Path, parameters: dict, reads_path: Path | None = None) -> None:
    """Execute into a temporary file and move it into place, so a failure never replaces a good page.

    Each page starts from an empty namespace (the kernel's variables are reset first); only imported modules
    carry over from the page before. With ``reads_path``, the tables the page read are written there as JSON.
    """
    nb = prepare_notebook(md_path)
    nb.metadata["papermill"] = {}  # where papermill records the parameters it injected
    nb = parameterize_notebook(nb, parameters, kernel_name="python3", language="python")
    nb.cells.insert(0, nbformat.v4.new_code_cell(START_PAGE))
    save = SAVE_RECORDING.format(path=str(reads_path)) if reads_path else ""
    nb.cells.append(nbformat.v4.new_code_cell(save + END_PAGE))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _run(nb, _warm_kernel())
    except CellExecutionError as exc:
        raise NotebookPageError(f"{md_path.name}: a cell failed:\n{exc}") from None
    nb.cells = nb.cells[1:-1]
    fill_page(nb, md_path.name)
    _without_run_details(nb)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"].append("remove-cell")
    with tempfile.NamedTemporaryFile("w", dir=out_path.parent, suffix=".ipynb", delete=False) as tmp:
        nbformat.write(nb, tmp)
    os.replace(tmp.name, out_path)


def _without_run_details(nb: nbformat.NotebookNode) -> None:
    """The executed page as a function of its inputs alone: cell ids by position, no execution times or counts.

    The site publishes each page's notebook (``_sources``); random ids and timestamps would make two builds of
    the same inputs differ."""
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell["execution_count"] = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    nb.metadata.pop("papermill", None)


def _run(nb: nbformat.NotebookNode, km: AsyncKernelManager) -> None:
    """Execute ``nb`` in this thread's kernel, through the client kept with it."""
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # The kernel must be this environment's Python, whatever PATH the caller had.
    env_bin = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(env_bin + os.pathsep):
        os.environ["PATH"] = env_bin + os.pathsep + os.environ.get("PATH", "")
    client = NotebookClient(
        nb, km=km, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(PROJECT_ROOT)}}
    )
    client.kc = _kernel_client(km)  # after construction: NotebookClient.__init__ sets kc to None
    try:
        client.execute()
    except BaseException:
        _stop_kernel(km)  # a failed page may leave the kernel in any state; the next page gets a fresh one
        raise
    if client.kc is not None:
        _clients[km] = client.kc


class NotebookPageError(RuntimeError):
    """A book page's notebook raised; the message names the page and carries the cell's traceback."""


# Pages that gather what the other pages wrote (the data downloads index) run after all of them.
AFTER_ALL_OTHERS = {"data_downloads"}


def notebook_asset_keys() -> list[str]:
    return [f"notebook__{path.stem}" for path in notebook_sources()]


def page_tables(page: str) -> list[str]:
    """The tables a page reads, as book/page_inputs.json declares them. A page not declared yet (new, never
    executed) is taken to read every table any page reads, until `python -m pipeline.page_inputs --update`."""
    declared = page_inputs.declared_tables(page)
    return page_inputs.every_declared_table() if declared is None else declared


def _staging_tables() -> list[str]:
    from pipeline.assets.staging import staging_tables

    return sorted(staging_tables())


def _page_spec(md_path: Path) -> dg.AssetSpec:
    after = [
        f"notebook__{p.stem}"
        for p in notebook_sources()
        if md_path.stem in AFTER_ALL_OTHERS and p.stem not in AFTER_ALL_OTHERS
    ]
    # Exactly the tables the page reads (its declaration), so the graph answers "which pages use this table?".
    tables = page_inputs.asset_deps(page_tables(md_path.stem), _staging_tables())
    return dg.AssetSpec(
        f"notebook__{md_path.stem}",
        deps=["report_parameters", *tables, *after],
        group_name="notebooks",
        kinds={"jupyter"},
        partitions_def=occupation_partitions,
        description=f"Executed notebook for the book page {md_path.name}.",
    )


def notebook_assets() -> list[dg.AssetsDefinition]:
    """The book's pages as one multi-asset, so that one step can execute them two at a time."""
    pages = notebook_sources()

    @dg.multi_asset(
        name="notebooks",
        specs=[_page_spec(md) for md in pages],
        can_subset=True,
        partitions_def=occupation_partitions,
        ins={"report_parameters": dg.AssetIn()},
    )
    def _notebooks(context: dg.AssetExecutionContext, warehouse: WarehouseResource, report_parameters: dict):
        selected = {key.path[-1] for key in context.selected_asset_keys}
        chosen = [md for md in pages if f"notebook__{md.stem}" in selected]
        page = _PageRun(context, warehouse.paths(), context.partition_key, report_parameters)
        first = [md for md in chosen if md.stem not in AFTER_ALL_OTHERS]
        pool = page_pool()
        results = list(pool.map(page.run, first))
        # Pages that list what the others wrote run once those are done, in a kernel that is already warm (a
        # thread of its own would start a kernel and import everything again for one page).
        results += list(pool.map(page.run, [md for md in chosen if md.stem in AFTER_ALL_OTHERS]))
        context.log.info(page.summary())
        for md, (fp, out_path) in zip(
            first + [md for md in chosen if md.stem in AFTER_ALL_OTHERS], results, strict=True
        ):
            yield dg.MaterializeResult(
                asset_key=f"notebook__{md.stem}", data_version=dg.DataVersion(fp), metadata={"output": str(out_path)}
            )

    return [_notebooks]


class _PageRun:
    """Executes one page of one occupation's book unless its inputs are unchanged since it last ran."""

    def __init__(self, context, p, soc: str, params: dict):
        self.log, self.p, self.soc = context.log, p, soc
        # What happened to each page, for the one summary line a build prints (each page's own line is DEBUG).
        self.outcomes: dict[str, str] = {}
        self.params = params  # the report_parameters asset's output for this occupation
        self.staging_tables = _staging_tables()
        # CSVs behind each table and chart go to the book's static folder, which Sphinx copies into the site.
        self.downloads = p.book_source_dir(soc) / "_static" / "data"
        location = book_warehouse_location(p.duckdb_path)
        self.parameters = {**self.params, "warehouse_path": location, "downloads_dir": str(self.downloads)}
        # Where only the exports are, their manifests stand in for the warehouse steps' fingerprints.
        self.exports = {
            "current": warehouse_identity(location),
            "previous": warehouse_identity(self.params.get("previous_warehouse_path") or ""),
        }

    def _upstream(self, page: str) -> list:
        """The saved fingerprints of only the steps that write the tables this page reads: its declaration, and
        what it read when it last ran (so a page that starts reading a new table is not left stale)."""
        state_dir = self.p.occupation_state_dir(self.soc)
        tables = sorted(set(page_tables(page)) | set(page_inputs.recorded_tables(state_dir, page) or []))
        steps = page_inputs.state_steps(tables, self.staging_tables)
        upstream: list[object] = [
            [step, (StepState(self.p.state_dir, step).load() or {}).get("fingerprint")] for step in steps
        ]
        upstream.append(self.exports["current"])
        if page_inputs.PREVIOUS_EDITION_STEP in steps:
            upstream.append(self.exports["previous"])
        return upstream

    def run(self, md_path: Path) -> tuple[str, Path]:
        upstream = self._upstream(md_path.stem)
        if md_path.stem in AFTER_ALL_OTHERS:
            # A page that lists the other pages' CSVs depends on those files, not on the pages' prose: editing
            # one page's text re-executes that page alone.
            upstream.append(
                hash_files(
                    [f for f in self.downloads.rglob("*.csv") if md_path.stem not in f.parts], root=self.downloads
                )
            )
        # Only the project modules this page imports (pipeline.page_inputs follows its imports with ast), and the
        # shared paragraphs its prose includes.
        helpers = hash_files(page_inputs.module_files(md_path) + snippets_used(md_path.read_text()), root=PROJECT_ROOT)
        fp = fingerprint(md_path.read_text(), helpers, self.parameters, upstream)
        out_path = self.p.book_source_dir(self.soc) / "notebooks" / f"{md_path.stem}.ipynb"
        step = StepState(self.p.occupation_state_dir(self.soc), f"notebook__{md_path.stem}")
        if md_path.stem in pages_left_out(self.soc):
            out_path.unlink(missing_ok=True)
            step.save(fingerprint("left out", self.soc), output=None)
            self._outcome(md_path, "left out", "is written for other occupations; left out of this book.")
            return fingerprint("left out", self.soc), out_path
        if step.is_current(fp) and out_path.exists():
            self._outcome(md_path, "up to date", "is up to date; not re-executed.")
        else:
            started = time.perf_counter()
            reads = page_inputs.reads_record(self.p.occupation_state_dir(self.soc), md_path.stem)
            execute_notebook(md_path, out_path, self.parameters, reads_path=reads)
            step.save(fp, output=str(out_path))
            seconds = time.perf_counter() - started
            self._outcome(md_path, f"executed in {seconds:.1f} s", f"executed in {seconds:.1f} s.")
        return fp, out_path

    def _outcome(self, md_path: Path, outcome: str, sentence: str) -> None:
        self.outcomes[md_path.stem] = outcome
        self.log.debug(f"{md_path.name} {sentence}")

    def summary(self) -> str:
        """'22 pages: executed 2 (trend 1.4 s, index 2.0 s); up to date: a, b, ...; left out: ...'."""
        executed = [
            f"{page} {how.removeprefix('executed in ')}"
            for page, how in self.outcomes.items()
            if how.startswith("executed")
        ]
        parts = [f"executed {len(executed)}" + (f" ({', '.join(executed)})" if executed else "")]
        for label in ("up to date", "left out"):
            pages = sorted(page for page, how in self.outcomes.items() if how == label)
            if pages:
                parts.append(f"{label}: {', '.join(pages)}")
        return f"{len(self.outcomes)} pages: " + "; ".join(parts)


PAGE_SUMMARY = re.compile(r"(\d+) pages: executed \d+(?: \(([^)]*)\))?((?:; [a-z ]+: [\w, ]+)*)")


def parse_summary(log: str) -> dict[str, str]:
    """Each page named in the last summary line of a build log: "executed", "up to date" or "left out"."""
    found = PAGE_SUMMARY.findall(log)
    if not found:
        return {}
    _, executed, rest = found[-1]
    outcomes = {item.rsplit(" ", 2)[0]: "executed" for item in executed.split(", ") if item}
    for part in filter(None, rest.split("; ")):
        label, pages = part.split(": ")
        outcomes |= {page: label for page in pages.split(", ")}
    return outcomes
