"""The books of several occupations on 1 and on 2 Celery workers (`make catalog WORKERS=N`): the speed-up.

Each measurement is a fresh build folder (every page executes) over one warehouse, built by the first run and
current for the others; the time is the books stage alone as `pipeline.catalog_workers` prints it, from starting
the broker and workers to the last book, so it includes their start-up. The machine's load is recorded beside it:
on a shared machine the ratio is only as good as the cores the other processes left free.

    python -m bench.catalog_workers [cache folder]      # prints the result as JSON
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

# Eight occupations: the four therapy ones of the catalogue and four others, with and without the practical pages.
SOCS = ["29-1122", "29-1123", "29-1127", "31-2011", "29-1141", "29-1292", "27-2011", "15-1252"]
TARGET_RATIO = 1.6  # two workers against one, on two cores
BOOKS_DONE = re.compile(r"\[2/3\] \d+ books on \d+ workers?: done in ([\d.]+) s \(([\d.]+) s from")


def _books_seconds(workers: int, env: dict[str, str], build_dir: Path) -> tuple[float, float]:
    """(the books stage, of which from the workers' start to the last book)."""
    shutil.rmtree(build_dir, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.catalog_workers", "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env | {"BUILD_DIR": str(build_dir)},
        capture_output=True,
        text=True,
    )
    found = BOOKS_DONE.search(out.stdout)
    if out.returncode != 0 or not found:
        raise SystemExit(f"catalog build on {workers} workers failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return float(found.group(1)), float(found.group(2))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(cache: Path, socs: list[str] = SOCS, order: tuple[int, ...] = (1, 2, 1, 2)) -> dict:
    """Books stage times for each worker count in ``order`` (alternated, so a change in the machine's load falls
    on both) and the ratios of their medians, one worker over two."""
    cache = cache.resolve() / "catalog_workers"
    mirror = os.environ.get("SOURCES_MIRROR") or str(PROJECT_ROOT.parent / "shared" / "reference-data")
    env = os.environ | {
        "WAREHOUSE_DIR": str(cache / "warehouse"),
        "DAGSTER_HOME": str(cache / "dagster_home"),
        "SOURCES_MIRROR": mirror,
        "CATALOG_SOCS": " ".join(socs),
    }
    for name in ("SOC", "EDITION", "WAREHOUSE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "BOOK_KERNELS"):
        env.pop(name, None)
    (cache / "dagster_home").mkdir(parents=True, exist_ok=True)
    stage: dict[int, list[float]] = {}
    books: dict[int, list[float]] = {}
    loads = [_load()]
    started = time.perf_counter()
    for workers in order:
        stage_seconds, books_seconds = _books_seconds(workers, env, cache / "build")
        stage.setdefault(workers, []).append(stage_seconds)
        books.setdefault(workers, []).append(books_seconds)
        loads.append(_load())
    return {
        "occupations": socs,
        "cpu_count": os.cpu_count(),
        # The whole stage: starting the broker and workers, the books, stopping everything.
        "stage_seconds": {str(n): times for n, times in stage.items()},
        # From the workers' start (their imports included) to the last book.
        "books_seconds": {str(n): times for n, times in books.items()},
        "ratio_1_to_2_workers_stage": _ratio(stage),
        "ratio_1_to_2_workers_books": _ratio(books),
        "target_ratio": TARGET_RATIO,
        "meets_target": (_ratio(stage) or 0) >= TARGET_RATIO,
        "load_average_1_5_15_min_before_and_after_each_run": loads,
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def _ratio(seconds: dict[int, list[float]]) -> float | None:
    """Median time on one worker over median time on two."""
    if 1 not in seconds or 2 not in seconds:
        return None
    return round(statistics.median(seconds[1]) / statistics.median(seconds[2]), 2)


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results" / "cache"
    print(json.dumps(run(folder), indent=2))
