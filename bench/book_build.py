"""Book build benchmarks, on a copy of the project so that editing a page never touches the working tree.

- cold: `python -m pipeline.build` with dependencies installed and the snapshot store populated, but no
  warehouse, no step state and no built site (target < 90 s);
- one page changed: append a comment to one notebook and rebuild; only that notebook may re-execute
  (target < 20 s);
- one mart changed: append a comment to the projections mart's SQL and rebuild; only the pages that read that mart
  (book/page_inputs.json) may re-execute. Measured as a ratio to the cold build of the same run (target <= 0.6:
  fewer than half the pages read projections, and the warehouse steps before them are fingerprinted);
- one more occupation: the book for another SOC code once the warehouse exists (target < 30 s), and its book stage
  (executing its pages and rendering them) as a ratio to a plain `jupyter-book build` of the same executed pages
  in a fresh output folder (target <= 3: executing a page may cost at most twice what rendering it does);
- the bytes that occupation adds to a catalogue: its files that are not the theme's, which a catalogue stores once
  (pipeline/site_sharing.py; target < 2 MB).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.assets.notebooks import parse_summary
from pipeline.settings import PROJECT_ROOT
from pipeline.site_sharing import plan_site

TARGET_COLD_S = 90
TARGET_ONE_PAGE_S = 20
EDITED_PAGE = "trend"
EDITED_MART = "mart_ep__occupation_outlook"
TARGET_ONE_MART_RATIO = 0.6
TARGET_EXTRA_OCCUPATION_S = 30
EXTRA_OCCUPATION = "29-1123"
TARGET_BOOK_TO_PLAIN_RATIO = 3
TARGET_BYTES_PER_OCCUPATION = 2_000_000
BOOK_STAGE = re.compile(r"\[\d+/\d+\] book (\S+): done in ([\d.]+) s")


def _copy_project(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / rel, target)
    (dest / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")


def _build(project: Path, env: dict, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.build", *args], cwd=project, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"book build failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return seconds, out.stdout + out.stderr


def run(cache: Path, populated_store: Path) -> dict:
    cache, populated_store = cache.resolve(), populated_store.resolve()
    project = cache / "project"
    _copy_project(project)
    work = cache / "book"
    shutil.rmtree(work, ignore_errors=True)
    (work / "warehouse").mkdir(parents=True)
    shutil.copytree(populated_store, work / "warehouse" / "snapshots")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCES_MIRROR", "SOC", "EDITION")}
    # The copy must import its own code, not the working tree's (the venv's .pth points at the working tree).
    env |= {
        "WAREHOUSE_DIR": str(work / "warehouse"),
        "BUILD_DIR": str(work / "build"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "SOURCES_LOCK": str(project / "warehouse" / "sources.lock"),
        "PYTHONPATH": str(project),
        "VERBOSE": "1",  # Dagster's full log names the pages each rebuild executed
    }
    cold, _ = _build(project, env)
    page = project / "book" / "notebooks" / f"{EDITED_PAGE}.md"
    page.write_text(page.read_text() + "\n<!-- benchmark edit -->\n")
    one_page, log = _build(project, env)
    pages = parse_summary(log)
    executed = sorted(page for page, how in pages.items() if how == "executed")
    skipped = sum(how == "up to date" for how in pages.values())
    mart = project / "warehouse" / "sql" / "marts" / f"{EDITED_MART}.sql"
    mart.write_text(mart.read_text() + "\n-- benchmark edit\n")
    one_mart, log = _build(project, env)
    mart_executed = sorted(page for page, how in parse_summary(log).items() if how == "executed")
    extra, log = _build(project, env, "--soc", EXTRA_OCCUPATION)
    book_stage = float(dict(BOOK_STAGE.findall(log))[EXTRA_OCCUPATION])
    plain = _plain_jupyter_book(work / "build" / EXTRA_OCCUPATION / "src", env)
    default_soc = _default_soc(work / "build")
    return {
        "extra_occupation": EXTRA_OCCUPATION,
        "extra_occupation_seconds": round(extra, 1),
        "target_extra_occupation_seconds": TARGET_EXTRA_OCCUPATION_S,
        "extra_occupation_book_stage_seconds": round(book_stage, 1),
        "plain_jupyter_book_seconds": round(plain, 1),
        "book_stage_to_plain_ratio": round(book_stage / plain, 2),
        "target_book_stage_to_plain_ratio": TARGET_BOOK_TO_PLAIN_RATIO,
        "bytes_added_by_occupation": _bytes_added(work / "build", default_soc, EXTRA_OCCUPATION),
        "target_bytes_added_by_occupation": TARGET_BYTES_PER_OCCUPATION,
        "cold_seconds": round(cold, 1),
        "target_cold_seconds": TARGET_COLD_S,
        "one_page_seconds": round(one_page, 1),
        "target_one_page_seconds": TARGET_ONE_PAGE_S,
        "edited_page": EDITED_PAGE,
        "notebooks_re_executed": executed,
        "notebooks_skipped": skipped,
        "edited_mart": EDITED_MART,
        "one_mart_seconds": round(one_mart, 1),
        "one_mart_ratio_to_cold": round(one_mart / cold, 2),
        "target_one_mart_ratio_to_cold": TARGET_ONE_MART_RATIO,
        "notebooks_re_executed_after_mart_edit": mart_executed,
    }


def _plain_jupyter_book(src: Path, env: dict) -> float:
    """A plain `jupyter-book build` of a book's executed pages (they are not executed again), in a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="plain-jupyter-book-") as scratch:
        shutil.copytree(src, Path(scratch) / "src")
        start = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "jupyter-book"),
                "build",
                str(Path(scratch) / "src"),
                "--path-output",
                str(Path(scratch) / "out"),
            ],
            env=env,
            capture_output=True,
            check=True,
        )
        return time.perf_counter() - start


def _default_soc(build_dir: Path) -> str:
    """The occupation of the cold build: the one book beside the extra occupation's."""
    books = sorted(d.name for d in build_dir.iterdir() if (d / "html" / "index.html").is_file())
    others = [soc for soc in books if soc != EXTRA_OCCUPATION]
    if len(others) != 1:
        raise SystemExit(f"expected one other book in {build_dir}, found {others}")
    return others[0]


def _bytes_added(build_dir: Path, first: str, extra: str) -> int:
    """What ``extra``'s book adds to a catalogue that holds ``first``'s: every file of its own, not the theme's
    files that both books have with the same bytes (a catalogue stores those once)."""
    with tempfile.TemporaryDirectory(prefix="catalogue-bytes-") as scratch:
        site = Path(scratch)
        for soc in (first, extra):
            shutil.copytree(build_dir / soc / "html", site / soc)
        plan = plan_site(site)
        return sum(f.size_bytes for f in plan.files if f.path.startswith(f"{extra}/"))
