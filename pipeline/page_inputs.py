"""What each book page reads, declared once in book/page_inputs.json, and what follows from it.

A page's declaration holds the warehouse tables it reads and the project modules its code imports:

- the tables come from a real execution: the report's DuckDB connection records the tables each query reads
  (pipeline/report/warehouse.py), and each executed page leaves that record in its book's state folder;
- the modules come from the page's code cells, with ``ast``, followed transitively through the project's modules.

    python -m pipeline.page_inputs --update   # after a build: rewrite book/page_inputs.json from its records

The declaration feeds the page asset's Dagster dependencies (``asset_deps``), its rebuild fingerprint
(``state_steps``, ``module_files``) and, through the recorded tables, its captions. tests/test_page_lineage.py fails
when a page's recorded reads differ from its declaration, naming the page and this command.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import threading
from functools import lru_cache
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

DECLARATION = PROJECT_ROOT / "book" / "page_inputs.json"
NOTEBOOK_DIR = PROJECT_ROOT / "book" / "notebooks"
UPDATE_COMMAND = "python -m pipeline.page_inputs --update"
# Tables of the previous edition's warehouse, attached as this catalog by the What changed page.
PREVIOUS_CATALOG = "prev"
PREVIOUS_EDITION_STEP = "previous_edition_warehouse"
# The snapshot catalogue's tables are written by one step; the lineage rows by every staging step.
CATALOG_TABLES = {"meta_snapshots", "meta_sources"}
CATALOG_STEP = "meta_catalog"
LINEAGE_TABLE = "meta_table_lineage"
# CPython 3.11's ast.parse is not safe in two threads at once ("AST constructor recursion depth mismatch"), and
# pages are fingerprinted two at a time.
_AST_LOCK = threading.Lock()


# ---------------------------------------------------------------- the record of one execution
def reads_record(state_dir: Path, page: str) -> Path:
    """Where an executed page leaves the tables it read (in its occupation's book state folder)."""
    return Path(state_dir) / "page_reads" / f"{page}.json"


def recorded_tables(state_dir: Path, page: str) -> list[str] | None:
    try:
        return json.loads(reads_record(state_dir, page).read_text())
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- modules a page imports
def _code_cells(md_path: Path) -> list[str]:
    import jupytext

    return [cell.source for cell in jupytext.read(md_path).cells if cell.cell_type == "code"]


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """The statements that run when a module is imported: top level, and inside top-level if/try/with blocks."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)
    return out


def _imports(source: str, package: str | None = None, everywhere: bool = True) -> set[str]:
    """Project modules named by the imports in ``source`` (``from pipeline.report import format`` names
    pipeline.report.format; IPython magics and shell lines are dropped before parsing).

    A page's cells count everywhere; a module's imports count at module level only. Imports inside a function
    are this project's deliberate cut points (around import cycles, or for a path few callers take, such as
    settings reading the edition), and following them would make every page import every source loader.
    """
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    found: set[str] = set()
    with _AST_LOCK:
        tree = ast.parse("\n".join(lines))
    for node in ast.walk(tree) if everywhere else _module_level(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "pipeline" or name.startswith("pipeline.")}


def _module_file(name: str) -> Path | None:
    base = PROJECT_ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=512)
def _module_imports(name: str) -> frozenset[str]:
    path = _module_file(name)
    if path is None:
        return frozenset()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return frozenset(_imports(path.read_text(), package, everywhere=False))


def imported_modules(md_path: Path) -> list[str]:
    """The project's modules a page imports, directly or through other project modules (repository paths)."""
    todo = set().union(*(_imports(code) for code in _code_cells(md_path)))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= _module_imports(name) - seen
    files = {_module_file(name) for name in seen}
    return sorted(str(f.relative_to(PROJECT_ROOT)) for f in files if f is not None)


# Files some report modules read besides the warehouse: a page importing the module depends on them too (the
# methodology page prints every mart's SQL).
FILES_READ_BY_MODULE = {
    "pipeline/report/lineage_entries.py": "warehouse/sql/marts/*.sql",
    "pipeline/report/methodology.py": "warehouse/sql/marts/*.sql",
    "pipeline/report/claims.py": "book/claims_ledger.yaml",
    # The domain seeds each report module reads through pipeline/domain.py, besides the tables built from them.
    "pipeline/report/practical_pages.py": "warehouse/seeds/occupation_families.csv warehouse/seeds/territories.csv",
    "pipeline/report/market_pages.py": "warehouse/seeds/claim_groups.csv",
    "pipeline/report/claim_checks.py": (
        "warehouse/seeds/settings.csv warehouse/seeds/claim_groups.csv warehouse/seeds/territories.csv"
    ),
    "pipeline/report/similar_occupations.py": "warehouse/seeds/related_occupations.csv",
}


def module_files(md_path: Path) -> list[Path]:
    """The files a page's code depends on: the project modules it imports, and the files those modules read."""
    modules = imported_modules(md_path)
    # Each value is one or more globs, separated by spaces.
    extra = {
        f
        for rel in modules
        if rel in FILES_READ_BY_MODULE
        for g in FILES_READ_BY_MODULE[rel].split()
        for f in PROJECT_ROOT.glob(g)
    }
    return sorted({PROJECT_ROOT / rel for rel in modules} | extra)


# ---------------------------------------------------------------- the declaration
def load_declaration(path: Path = DECLARATION) -> dict[str, dict[str, list[str]]]:
    try:
        return json.loads(Path(path).read_text())["pages"]
    except FileNotFoundError:
        return {}


def declared_tables(page: str) -> list[str] | None:
    entry = load_declaration().get(page)
    return None if entry is None else entry["tables"]


def every_declared_table() -> list[str]:
    return sorted({t for entry in load_declaration().values() for t in entry["tables"]})


def state_steps(tables: list[str], staging_tables: list[str]) -> list[str]:
    """The warehouse steps whose saved fingerprints stand for these tables: marts, staging tables and seeds by
    their own name; the snapshot catalogue for its tables; every staging table for the lineage rows; the previous
    edition's rebuild for its tables."""
    steps: set[str] = set()
    for table in tables:
        if table.startswith(PREVIOUS_CATALOG + "."):
            steps.add(PREVIOUS_EDITION_STEP)
        elif table in CATALOG_TABLES:
            steps.add(CATALOG_STEP)
        elif table == LINEAGE_TABLE:
            steps.update(staging_tables)
        else:
            steps.add(table)
    return sorted(steps)


def asset_deps(tables: list[str], staging_tables: list[str]) -> list[str]:
    """The Dagster assets that write these tables (a table is its own asset, except the ones written as a side
    effect: the lineage rows by the staging assets, the previous edition's tables by its rebuild)."""
    keys: set[str] = set()
    for table in tables:
        if table.startswith(PREVIOUS_CATALOG + "."):
            keys.add(PREVIOUS_EDITION_STEP)
        elif table == LINEAGE_TABLE:
            keys.update(staging_tables)
        else:
            keys.add(table)
    return sorted(keys)


def build_declaration(state_dirs: list[Path], pages: list[Path], previous: dict) -> tuple[dict, list[str]]:
    """The declaration from the records in the given book state folders (tables read, unioned over occupations)
    and the pages' code (modules). A page with no record anywhere keeps its previous tables; it is named."""
    out, unrecorded = {}, []
    for md in pages:
        records = [r for r in (recorded_tables(d, md.stem) for d in state_dirs) if r is not None]
        if records:
            tables = sorted(set().union(*records))
        else:
            unrecorded.append(md.stem)
            tables = previous.get(md.stem, {}).get("tables", [])
        out[md.stem] = {"tables": tables, "modules": imported_modules(md)}
    return out, unrecorded


def write_declaration(pages: dict, path: Path = DECLARATION) -> None:
    text = (
        json.dumps(
            {
                "generated_by": UPDATE_COMMAND,
                "note": (
                    "Generated: what each page reads (tables, recorded when it ran) and imports (modules). Do not edit."
                ),
                "pages": pages,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    tmp = Path(path).with_suffix(".json.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--update", action="store_true", help="rewrite book/page_inputs.json from the books built under BUILD_DIR"
    )
    args = parser.parse_args(argv)
    if not args.update:
        parser.print_help()
        return 0
    from pipeline.settings import paths

    p = paths()
    state_dirs = sorted(d for d in p.build_dir.glob("*/state") if (d / "page_reads").is_dir())
    if not state_dirs:
        print(f"No executed pages under {p.build_dir}: run `make book` first (BUILD_DIR sets where).", file=sys.stderr)
        return 2
    pages, unrecorded = build_declaration(state_dirs, sorted(NOTEBOOK_DIR.glob("*.md")), load_declaration())
    write_declaration(pages)
    print(
        f"Wrote {DECLARATION.relative_to(PROJECT_ROOT)}: {len(pages)} pages, from the books in "
        + ", ".join(d.parent.name for d in state_dirs)
        + "."
    )
    if unrecorded:
        print("Not executed in those books, tables kept as declared: " + ", ".join(unrecorded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
