"""The book asset: assemble chapters and executed notebooks, then build static HTML with Jupyter Book 1.x."""

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import nbformat
import yaml

from pipeline.assets.notebooks import notebook_asset_keys
from pipeline.incremental import StepState, fingerprint, hash_files
from pipeline.partitions import occupation_partitions
from pipeline.report.practical_pages import pages_left_out
from pipeline.resources import WarehouseResource
from pipeline.settings import PROJECT_ROOT

BOOK_DIR = PROJECT_ROOT / "book"


def book_config(params: dict) -> dict:
    config = yaml.safe_load((BOOK_DIR / "_config.yml").read_text())
    config["title"] = f"{params['occupation_title']}: US labour market ({params['edition']})"
    return config


def book_toc(params: dict) -> dict:
    """The table of contents without the chapters this occupation's book leaves out."""
    toc = yaml.safe_load((BOOK_DIR / "_toc.yml").read_text())
    left_out = {f"notebooks/{page}" for page in pages_left_out(params["soc"])}
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part["chapters"] if c["file"] not in left_out]
    return toc


def assemble_source(src_dir: Path, params: dict) -> None:
    """Lay out the Jupyter Book source: committed pages, the occupation's toc, a config titled for it."""
    for item in BOOK_DIR.iterdir():
        if item.name.startswith(("_build", ".")) or item.name in ("notebooks", "_config.yml", "_toc.yml"):
            continue
        target = src_dir / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    (src_dir / "_config.yml").write_text(yaml.safe_dump(book_config(params), sort_keys=False))
    (src_dir / "_toc.yml").write_text(yaml.safe_dump(book_toc(params), sort_keys=False))


def build_html(src_dir: Path, html_dir: Path) -> None:
    """Build into a scratch directory and swap it in, so a failed build leaves the last good site."""
    scratch = html_dir.parent / "jb-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(src_dir), "--path-output", str(scratch), "--keep-going"],
        capture_output=True,
        text=True,
    )
    built = scratch / "_build" / "html"
    if result.returncode != 0 or not (built / "index.html").exists():
        raise RuntimeError(
            f"jupyter-book build failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    _sources_without_outputs(built / "_sources")
    old = html_dir.parent / "html-previous"
    shutil.rmtree(old, ignore_errors=True)
    if html_dir.exists():
        html_dir.rename(old)
    built.rename(html_dir)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)


def _sources_without_outputs(sources: Path) -> None:
    """Each page's downloadable notebook keeps its code and prose, not its outputs.

    The outputs (tables, figure links) are the page itself, already in its HTML beside it; a second copy of them
    nearly doubled the bytes each occupation adds to a catalogue. What a reviewer downloads the notebook for, the
    code that computed the page from the warehouse, stays."""
    for path in sorted(sources.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        nbformat.write(nb, path)


@dg.asset(deps=notebook_asset_keys(), partitions_def=occupation_partitions, group_name="book", kinds={"html"})
def book(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, report_parameters: dict
) -> dg.MaterializeResult:
    """One occupation's report as static HTML (Jupyter Book 1.x), readable offline."""
    p = warehouse.paths()
    soc = context.partition_key
    state_dir = p.occupation_state_dir(soc)
    params = report_parameters
    notebooks = [(StepState(state_dir, k).load() or {}).get("fingerprint") for k in notebook_asset_keys()]
    pages = [f for f in BOOK_DIR.rglob("*") if f.is_file() and "_build" not in f.parts and "notebooks" not in f.parts]
    fp = fingerprint(params, notebooks, hash_files(pages))
    step = StepState(state_dir, "book")
    html = p.html_dir(soc)
    if step.is_current(fp) and (html / "index.html").exists():
        context.log.info("The book is up to date; not rebuilt.")
    else:
        src = p.book_source_dir(soc)
        assemble_source(src, params)
        build_html(src, html)
        step.save(fp, html=str(html))
    return dg.MaterializeResult(data_version=dg.DataVersion(fp), metadata={"html": str(html / "index.html")})
