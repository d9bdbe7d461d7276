"""Precise rebuilds: after one input changes, exactly the pages that depend on it re-execute, named.

The test works on a copy of the project's code and of the session's built book (``built_book``), so the changes it
makes (a SQL comment, a loader comment, a seed row's caveat, a pin's retrieval time) never touch the working tree.
Each change is followed by `python -m pipeline.build`, which re-runs only what changed; the build log names every
page as "executed" or "up to date". Which pages should re-execute is worked out from the committed declaration
(book/page_inputs.json: the tables each page reads, the modules it imports), then checked against the log, and
the headline case of the issue is also asserted by name.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.assets.notebooks import parse_summary

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CODE = [
    "pipeline",
    "book/notebooks",
    "book/_toc.yml",
    "book/_config.yml",
    "book/_static",
    "book/_extra",
    "book/page_inputs.json",
    "book/claims_ledger.yaml",
    "warehouse/sql",
    "warehouse/seeds",
    "warehouse/sources.lock",
    "warehouse/editions",
    "warehouse/accepted_changes.json",
    "pyproject.toml",
    "tests/reference_files.py",
]


def _copy_project(dest: Path) -> Path:
    for rel in CODE:
        src = PROJECT_ROOT / rel
        if src.is_dir():
            shutil.copytree(
                src,
                dest / rel,
                ignore=shutil.ignore_patterns("__pycache__", "_build", "*.duckdb", "state", "snapshots"),
            )
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")
    return dest


class Project:
    """A copy of the code and a built book, rebuilt after each change."""

    def __init__(self, root: Path, dirs: dict, mirror: Path):
        self.code = _copy_project(root / "code")
        self.env = os.environ | {
            "PYTHONPATH": str(self.code),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "WAREHOUSE_DIR": str(root / "warehouse"),
            "BUILD_DIR": str(root / "build"),
            "SOURCES_MIRROR": str(mirror),
            "VERBOSE": "1",  # Dagster's full log names each page executed or up to date
        }
        self.env.pop("SOC", None)
        self.env.pop("EDITION", None)
        shutil.copytree(dirs["WAREHOUSE_DIR"], root / "warehouse", symlinks=True)
        shutil.copytree(dirs["BUILD_DIR"], root / "build", symlinks=True)
        self.timings: dict[str, float] = {}

    def build(self, label: str) -> set[str]:
        """Rebuild; the pages the log says were executed (every page must be named, executed or up to date)."""
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.build"],
            cwd=self.code,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.timings[label] = time.perf_counter() - started
        assert result.returncode == 0, f"{label}: " + result.stdout[-2000:] + result.stderr[-4000:]
        named = parse_summary(result.stderr)
        pages = {p.stem for p in (self.code / "book" / "notebooks").glob("*.md")}
        assert set(named) == pages, f"{label}: pages the log does not name: {pages - set(named)}"
        return {page for page, how in named.items() if how == "executed"}

    def declaration(self) -> dict:
        return json.loads((self.code / "book" / "page_inputs.json").read_text())["pages"]

    def readers(self, tables: set[str]) -> set[str]:
        return {page for page, entry in self.declaration().items() if tables & set(entry["tables"])}

    def importers(self, rel: str) -> set[str]:
        return {page for page, entry in self.declaration().items() if rel in entry["modules"]}


def _marts_over(tables: set[str]) -> set[str]:
    """The marts built on these tables, directly or through other marts (from the marts' SQL)."""
    from pipeline.lineage import mart_inputs

    out, grew = set(tables), True
    while grew:
        more = {m for m, inputs in mart_inputs().items() if set(inputs) & out} - out
        out |= more
        grew = bool(more)
    return out


# Any change to the warehouse code rebuilds the previous edition too (pipeline/assets/editions.py), and the
# What changed page reads that edition.
PREVIOUS_EDITION_READERS = {"what_changed"}


@pytest.fixture(scope="module")
def project(built_book, available_mirror, tmp_path_factory) -> Project:
    dirs, _ = built_book
    proj = Project(tmp_path_factory.mktemp("rebuilds"), dirs, available_mirror)
    proj.build("first build of the copy (its paths differ from the session's book)")
    return proj


def test_nothing_changed_nothing_re_executes(project: Project):
    assert project.build("nothing changed") == set()


@pytest.mark.real_files()  # the pages it expects read the OEWS history and EP, which come from the real files
def test_each_kind_of_input_re_executes_exactly_its_pages(project: Project):
    results = {}

    # 1. A comment appended to the projections mart: the pages that read it, and no other.
    sql = project.code / "warehouse" / "sql" / "marts" / "mart_ep__occupation_outlook.sql"
    sql.write_text(sql.read_text() + "\n-- a comment appended by tests/test_precise_rebuilds.py\n")
    ran = results["mart SQL"] = project.build("mart SQL")
    assert {"outlook", "demand_drivers", "supply_and_competition"} <= ran
    assert not {"geography", "settings", "trend"} & ran
    assert ran == project.readers(_marts_over({"mart_ep__occupation_outlook"})) | PREVIOUS_EDITION_READERS

    # 2. A source loader: its staging tables, the marts on them, and the pages reading those (and the
    #    methodology page, which names each loader).
    sys.path.insert(0, str(project.code))
    try:
        from pipeline.sources.registry import BY_ID

        loader = Path(inspect.getfile(BY_ID["employment_projections"].load_staging))
    finally:
        sys.path.pop(0)
    copy = project.code / loader.relative_to(PROJECT_ROOT)
    copy.write_text(copy.read_text() + "\n# a comment appended by tests/test_precise_rebuilds.py\n")
    ran = results["staging loader"] = project.build("staging loader")
    staged = {"stg_ep__occupation_projections", "stg_ep__editions", "meta_table_lineage"}
    rel = str(loader.relative_to(PROJECT_ROOT))
    assert ran == (project.readers(_marts_over(staged)) | project.importers(rel) | PREVIOUS_EDITION_READERS)
    assert "outlook" in ran and not {"geography", "trend"} & ran

    # 3. A report helper module: only the pages that import it.
    geo = project.code / "pipeline" / "report" / "geo.py"
    geo.write_text(geo.read_text() + "\n# a comment appended by tests/test_precise_rebuilds.py\n")
    ran = results["report helper"] = project.build("report helper")
    assert ran == project.importers("pipeline/report/geo.py")
    assert "geography" in ran and "outlook" not in ran

    # 4. A check threshold the methodology page prints (the 25% rule): the pages that import the module.
    acceptance = project.code / "pipeline" / "acceptance.py"
    acceptance.write_text(acceptance.read_text() + "\n# a comment appended by tests/test_precise_rebuilds.py\n")
    ran = results["check threshold"] = project.build("check threshold")
    assert ran == project.importers("pipeline/acceptance.py") | PREVIOUS_EDITION_READERS
    assert "methodology" in ran and "outlook" not in ran

    # 5. A seed file: the seed table, the marts on it, the pages reading those.
    seed = project.code / "warehouse" / "seeds" / "settings.csv"
    caveat = "Private therapy offices only:"
    seed.write_text(seed.read_text().replace(caveat, "Private therapy offices only (SYNTHETIC edit):", 1))
    ran = results["seed file"] = project.build("seed file")
    # The seed table, and the staging tables of every source whose loader reads the seed (CES labels its series
    # with their care setting), with their lineage rows; the previous edition is rebuilt with the new seed too.
    from pipeline.assets.staging import code_files
    from pipeline.sources.registry import SOURCES

    reading_seed = {
        spec.name
        for module in SOURCES
        if any(f.endswith("warehouse/seeds/settings.csv") for f in code_files(module))
        for spec in module.TABLES
    }
    seeded = {"seed_settings__industry_map", *reading_seed, *({"meta_table_lineage"} if reading_seed else set())}
    assert ran == project.readers(_marts_over(seeded)) | PREVIOUS_EDITION_READERS
    # Pages that read the snapshot catalogue (meta_sources: outlook and trend say which sources are absent) follow
    # the lineage rows the restaged CES tables rewrote; geography reads neither.
    assert "settings" in ran and "geography" not in ran

    # 6. The lock: a pin's retrieval time, in the live lock and its edition copy alike. The snapshot catalogue
    #    changes (not the bytes), so the pages reading the catalogue re-execute.
    lock = project.code / "warehouse" / "sources.lock"
    edition = json.loads(lock.read_text())["edition"]
    for path in (lock, project.code / "warehouse" / "editions" / f"{edition}.lock"):
        data = json.loads(path.read_text())
        pin = data["sources"]["employment_projections"]["snapshots"][0]
        pin["retrieved_at"] = pin["retrieved_at"][: -len("+00:00")] + ".5+00:00"  # half a second later
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    ran = results["lock"] = project.build("lock")
    assert ran == project.readers({"meta_snapshots", "meta_sources"})
    assert "geography" not in ran  # it reads no snapshot catalogue

    report = "\n".join(
        f"{kind}: {len(pages)} pages in {project.timings[kind]:.1f} s: {', '.join(sorted(pages))}"
        for kind, pages in results.items()
    )
    print("\n" + report)
