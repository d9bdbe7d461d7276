"""A source is one package: the registry finds each, every table a loader writes is the one its tables.py declares,
the generated column check catches a table that drifts from its declaration, and pipeline/ has no import cycle.

The OEWS flat files below are SYNTHETIC (three cells, made up here); every other loader is run with no snapshot,
which must still create its declared tables, empty, with the declared columns.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import duckdb
import pytest

import pipeline
import pipeline.sources
from pipeline import domain
from pipeline.assets import staging
from pipeline.checks import column_violations
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.registry import REQUIRED_MEMBERS, SOURCES
from pipeline.transaction import transaction

PIPELINE_DIR = Path(pipeline.__file__).parent


def _source_folders() -> set[str]:
    return {info.name for info in pkgutil.iter_modules(pipeline.sources.__path__) if info.ispkg}


def test_registry_finds_every_source_package_in_its_declared_order():
    assert {m.SOURCE_ID for m in SOURCES} == _source_folders()
    for module in SOURCES:
        assert [m for m in REQUIRED_MEMBERS if not hasattr(module, m)] == [], module.__name__
        assert (Path(module.__file__).parent / "load.py").is_file()
        assert (Path(module.__file__).parent / "tables.py").is_file()
    # The refresh order the project has always had (a refresh report lists sources in it).
    assert [m.SOURCE_ID for m in SOURCES] == [
        "oews_current",
        "oews_history",
        "cpi",
        "employment_projections",
        "ces",
        "jolts",
        "compensation_samples",
        "ftc",
        "cited_facts",
    ]


def test_staging_assets_are_the_declared_tables():
    by_step = {a.node_def.name: a for a in staging.staging_assets()}
    for module in SOURCES:
        specs = {key.path[-1]: spec for key, spec in by_step[module.STAGING_STEP].specs_by_key.items()}
        assert set(specs) == {spec.name for spec in module.TABLES}
        for table in module.TABLES:
            assert specs[table.name].description == table.description
            assert {d.asset_key.path[-1] for d in specs[table.name].deps} == {module.ASSET_NAME}


def _synthetic_oews_flat_files(root: Path) -> dict[str, Path]:
    """SYNTHETIC: one national and one state cell of 29-1122, with an unpublished (top-coded) value."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["series_id\tyear\tperiod\tvalue\tfootnote_codes"]
    for area_type, area in (("N", "0000000"), ("S", "0600000")):
        for datatype, value, footnote in (("01", "1000", ""), ("04", "90000", ""), ("13", "-", "5")):
            lines.append(f"OEU{area_type}{area}000000291122{datatype}\t2025\tA01\t{value}\t{footnote}")
    files = {
        "oe.data.0.Current": "\n".join(lines) + "\n",
        "oe.area": (
            "area_code\tareatype_code\tstate_code\tarea_name\n0000000\tN\t00\tNational\n0600000\tS\t06\tCalifornia\n"
        ),
        "oe.industry": "industry_code\tindustry_name\tdisplay_level\n000000\tCross-industry\t0\n",
        "oe.occupation": "occupation_code\toccupation_name\tdisplay_level\n291122\tOccupational Therapists\t4\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    return {name: root / name for name in files}


def _snapshots(module, store: SnapshotStore, tmp_path: Path) -> list:
    if module.SOURCE_ID != "oews_current":
        return []  # every other loader creates its tables, empty, from no snapshot
    return [
        store.put_file(
            path,
            source_id="oews_current",
            part=name,
            filename=name,
            url=f"https://example.test/{name}",
            retrieved_at="2026-11-28T00:00:00+00:00",
            origin="mirror",
            relation="reconstructed",
            license="",
            citation="",
        )
        for name, path in _synthetic_oews_flat_files(tmp_path / "flat").items()
    ]


@pytest.mark.parametrize("module", SOURCES, ids=lambda m: m.SOURCE_ID)
def test_each_loader_writes_exactly_its_declared_tables_and_columns(module, tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    snaps = _snapshots(module, store, tmp_path)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with transaction(con):
        counts = module.load_staging(con, store, snaps)
    declared = [spec.name for spec in module.TABLES]
    written = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    }
    assert written == set(declared)
    assert set(counts) == set(declared)
    for spec in module.TABLES:
        actual = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {spec.name})").fetchall()
        assert actual == [(c.name, c.type) for c in spec.columns], spec.name
        assert column_violations(con, spec) == []
    con.close()


def test_the_generated_column_check_names_a_missing_or_mistyped_column(tmp_path):
    spec = next(s for m in SOURCES for s in m.TABLES if s.name == "stg_ftc__documents")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    cols = [(c.name, "VARCHAR" if c.name == "size_bytes" else c.type) for c in spec.columns if c.name != "url"]
    con.execute(f"CREATE TABLE {spec.name} ({', '.join(f'{n} {t}' for n, t in cols)}, extra_column INTEGER)")
    assert sorted(column_violations(con, spec)) == [
        ("extra_column", "not declared", "INTEGER"),
        ("size_bytes", "BIGINT", "VARCHAR"),
        ("url", "VARCHAR", "missing"),
    ]
    con.close()


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The pipeline modules ``path`` imports, at any depth (module level or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= submodules
            if node.module in modules and len(submodules) < len(node.names):
                found.add(node.module)
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PIPELINE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_among_pipeline_modules():
    paths = {_module_name(p): p for p in PIPELINE_DIR.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            pytest.fail("import cycle: " + " -> ".join(trail[trail.index(name) :] + [name]))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, trail + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_shared_source_modules_import_no_source_package():
    sources_dir = PIPELINE_DIR / "sources"
    packages = {f"pipeline.sources.{name}" for name in _source_folders()}
    modules = {_module_name(p) for p in PIPELINE_DIR.rglob("*.py")}
    for path in sources_dir.glob("*.py"):
        imported = _imports(path, modules)
        assert not {m for m in imported if any(m == p or m.startswith(p + ".") for p in packages)}, path.name


def test_domain_seeds_agree_with_the_sources_that_use_them():
    from pipeline.sources import ces, compensation_samples

    settings = domain.care_settings()
    requested = {code for code, *_ in ces.SERIES_INDUSTRIES}
    assert {s["ces_industry_code"] for s in settings} <= requested  # every setting has its CES series
    assert {sid for *_, sid in ces.SERIES_INDUSTRIES} >= set(domain.care_setting_ids())
    assert compensation_samples.SETTINGS == (*domain.care_setting_ids(), "other", "unknown")
    # One grouping for the claim: the ledger's groups of OEWS industries are the chapter's groups of settings.
    by_setting = {s["setting_id"]: s["oews_industry_code"] for s in settings}
    groups = domain.claim_groups("pay_differs_by_setting")
    ledger = dict(domain.claim_group_industries("pay_differs_by_setting"))
    assert sorted(map(sorted, ledger.values())) == sorted(
        sorted(by_setting[s] for s in groups if groups[s] == g) for g in set(groups.values())
    )


def test_every_source_package_is_in_the_independence_contract():
    """import-linter keeps source packages from importing each other, but only those its contract lists."""
    import tomllib

    from pipeline.settings import PROJECT_ROOT

    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    independent = next(c for c in contracts if c["type"] == "independence")["modules"]
    assert sorted(independent) == sorted(m.__name__ for m in SOURCES)


@pytest.mark.parametrize("module", SOURCES, ids=lambda m: m.SOURCE_ID)
def test_every_source_says_where_its_official_page_is_and_what_it_holds(module):
    page = module.OFFICIAL_PAGE_URL
    assert page is None or page.startswith("https://"), page
    assert module.HOLDS in ("data", "documents")
