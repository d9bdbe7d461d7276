"""Byte-identical rebuilds: two clean builds from the same lock give the same book, file for file.

A snapshot's times come from the lock, never from the clock (pipeline/sources/base.py, ``retrieval_time``), and
every page orders what it lists, so nothing in a page depends on when or where it was built. The end-to-end test
builds the book once more into a fresh folder, as the session's ``built_book`` was built (empty store, the mirror's
files that could be had, its own Dagster home), and compares every HTML, CSV and SVG file of the two byte for
byte. The two folders have different paths on purpose: a page must not print where it was built.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import base
from pipeline.sources import compensation_samples as samples

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COMPARED = (".html", ".csv", ".svg")
SHOWN_FILES = 5  # differing files named in a failure
CONTEXT_CHARS = 80  # characters shown on each side of the first difference in a line


# ---------------------------------------------------------------- the retrieval-time rule (fast)


def test_a_build_never_stamps_a_snapshot_with_the_clock(samples_project, tmp_path, monkeypatch):
    """An unpinned repository file read by a build has no retrieval time, and the clock is never read for it."""

    def clock():
        raise AssertionError("a build read the clock for a snapshot's retrieval time")

    monkeypatch.setattr(base, "now_utc", clock)
    first = samples.offline_snapshots(SnapshotStore(tmp_path / "one").keeping_sidecars())
    second = samples.offline_snapshots(SnapshotStore(tmp_path / "two").keeping_sidecars())
    assert first == second
    assert first[0].retrieved_at == base.NOT_RETRIEVED
    assert first[0].rows == 1  # the synthetic file holds one sample: counted, not left unknown


def test_a_refresh_records_when_it_took_the_file(samples_project):
    from pipeline.sources.base import FetchContext

    store = SnapshotStore(samples_project.snapshot_dir)
    result = samples.fetch(FetchContext(store=store, progress=lambda _: None))
    assert result.snapshots and result.snapshots[0].retrieved_at not in ("", None)
    assert base.retrieval_time(refresh=False) == base.NOT_RETRIEVED


# ---------------------------------------------------------------- two clean builds, compared


def _start_build(root: Path, mirror: Path) -> subprocess.Popen:
    env = os.environ | {
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "BUILD_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "SOURCES_MIRROR": str(mirror),
    }
    for name in ("SOC", "EDITION", "REUSE_BUILT_BOOK"):
        env.pop(name, None)
    root.mkdir(parents=True, exist_ok=True)
    log = open(root / "build.log", "w")  # noqa: SIM115  (closed when the build ends, below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.build"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    proc.log = log  # type: ignore[attr-defined]
    return proc


def _finish(proc: subprocess.Popen, root: Path) -> Path:
    try:
        code = proc.wait(timeout=900)
    finally:
        proc.log.close()  # type: ignore[attr-defined]
    assert code == 0, f"build in {root} failed:\n" + (root / "build.log").read_text()[-3000:]
    return root / "build" / "29-1122" / "html"


def _files(html: Path) -> dict[str, Path]:
    return {str(p.relative_to(html)): p for p in sorted(html.rglob("*")) if p.is_file() and p.suffix in COMPARED}


def first_difference(a: bytes, b: bytes) -> str:
    """Where two files first differ: the line number and that line in each, cut around the first differing
    character (an HTML line can hold a whole chart)."""
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for number, (la, lb) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if la != lb:
            at = next((i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y), min(len(la), len(lb)))
            start = max(at - CONTEXT_CHARS, 0)
            cut = slice(start, at + CONTEXT_CHARS)
            return (
                f"line {number}, character {at + 1}:\n"
                f"    first:  {la[cut].decode(errors='replace')!r}\n"
                f"    second: {lb[cut].decode(errors='replace')!r}"
            )
    return f"one file has {len(lines_a)} lines, the other {len(lines_b)}"


def compare_books(first: Path, second: Path) -> list[str]:
    """Every difference between two books' HTML, CSV and SVG files: missing files, then differing ones."""
    a, b = _files(first), _files(second)
    problems = [f"only in the first build: {name}" for name in sorted(a.keys() - b.keys())]
    problems += [f"only in the second build: {name}" for name in sorted(b.keys() - a.keys())]
    differing = [name for name in sorted(a.keys() & b.keys()) if a[name].read_bytes() != b[name].read_bytes()]
    for name in differing[:SHOWN_FILES]:
        problems.append(f"{name} differs at {first_difference(a[name].read_bytes(), b[name].read_bytes())}")
    if len(differing) > SHOWN_FILES:
        problems.append(f"... and {len(differing) - SHOWN_FILES} more differing files: {differing[SHOWN_FILES:]}")
    return problems


def test_first_difference_names_the_line_and_cuts_around_the_change():
    a = b"<p>same</p>\n<p>built at " + b"x" * 200 + b" 10:00</p>\n"
    b = b"<p>same</p>\n<p>built at " + b"x" * 200 + b" 11:00</p>\n"
    where = first_difference(a, b)
    assert where.startswith("line 2, character ")
    assert "10:00" in where and "11:00" in where and "built at" not in where  # cut to the change


def test_two_clean_builds_from_the_same_lock_are_byte_identical(built_book, tmp_path_factory, available_mirror):
    root = tmp_path_factory.mktemp("reproducible")
    # The session's own clean build is the first (built_book: empty store, the mirror, its own Dagster home), made
    # minutes earlier; one reused from elsewhere (REUSE_BUILT_BOOK) may come from another store, so then both are
    # built here. One after the other, never at once: two builds in lockstep could read the clock in the same
    # second and hide a time that leaked into a page.
    if os.environ.get("REUSE_BUILT_BOOK"):
        first = _finish(_start_build(root / "first", available_mirror), root / "first")
    else:
        first = built_book[1]
    second = _finish(_start_build(root / "second", available_mirror), root / "second")
    compared = _files(first)
    assert any(name.endswith(".html") for name in compared) and any(name.endswith(".csv") for name in compared)
    problems = compare_books(first, second)
    assert not problems, f"two builds from the same lock differ ({first} and {second}):\n" + "\n".join(
        f"- {p}" for p in problems
    )
