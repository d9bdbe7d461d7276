"""How a source declares its staging tables, once, in its package's ``tables.py``.

A ``TableSpec`` gives a table's name, a one-line description, its columns (name, DuckDB type, unit where it has
one, short description), its key and its ordered column chains. The staging assets take their tables and
descriptions from it (pipeline/assets/staging.py), pipeline/schemas.py takes the key and ordering rules, and
pipeline/checks.py generates a check from it that every declared column exists with its declared type.
Loaders that create a table from a column list take that list from here (``TableSpec.ddl``).
"""

from __future__ import annotations

from dataclasses import dataclass

PERCENTILES = ("p10", "p25", "median", "p75", "p90")
HOURLY_CHAIN = tuple(f"hourly_{p}_wage_usd" for p in PERCENTILES)
ANNUAL_CHAIN = tuple(f"annual_{p}_wage_usd" for p in PERCENTILES)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the DuckDB type as DESCRIBE names it: VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE
    description: str
    unit: str | None = None  # "USD", "USD per hour", "jobs", "percent", ...; None for codes and text
    not_null: bool = False

    @property
    def ddl(self) -> str:
        return f"{self.type} NOT NULL" if self.not_null else self.type


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique and never NULL; () declares no key
    ordered: tuple[tuple[str, ...], ...] = ()  # each chain non-decreasing, unpublished (NULL) values skipped
    locate: tuple[str, ...] = ()  # columns that name a failing row in a message (defaults to the key)

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is declared twice in {names}")
        for what, cols in (
            ("key", self.key),
            ("locate", self.locate),
            *(("ordered chain", chain) for chain in self.ordered),
        ):
            unknown = [c for c in cols if c not in names]
            if unknown:
                raise ValueError(f"{self.name}: the {what} names undeclared column(s) {unknown}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    @property
    def ddl(self) -> list[tuple[str, str]]:
        """(name, 'TYPE [NOT NULL]') in order: what CREATE TABLE takes."""
        return [(c.name, c.ddl) for c in self.columns]


def type_mismatches(spec: TableSpec, actual: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(column, declared type, actual type or 'missing' / 'not declared') for every column that differs.

    ``actual`` is (name, type) as DuckDB reports it (information_schema.columns or DESCRIBE), in table order.
    """
    found = dict(actual)
    problems = [(c.name, c.type, found.get(c.name, "missing")) for c in spec.columns if found.get(c.name) != c.type]
    problems += [(name, "not declared", kind) for name, kind in actual if name not in spec.types]
    return problems
