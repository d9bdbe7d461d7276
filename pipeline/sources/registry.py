"""Every source, discovered: each subpackage of pipeline/sources/ is one source (see base.py for what it defines).

Sources come in their ORDER (the order a refresh takes them). Adding a source is adding its folder; nothing here
names one. The packages are imported by name at run time, so this module, and the shared modules beside it,
depend on no source statically.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pipeline.sources as _sources_package

# What a source package must define (base.py documents each).
REQUIRED_MEMBERS = (
    "SOURCE_ID",
    "TITLE",
    "ORDER",
    "ASSET_NAME",
    "STAGING_STEP",
    "TABLES",
    "fetch",
    "validate",
    "load_staging",
)


class SourcePackageError(ImportError):
    """A folder under pipeline/sources/ is not a complete source package."""


def discover() -> tuple[ModuleType, ...]:
    """Import every source package, check it, and return them in ORDER."""
    found = []
    for info in pkgutil.iter_modules(_sources_package.__path__):
        if not info.ispkg:
            continue  # a shared module (base, http, bls_api, ...), not a source
        module = importlib.import_module(f"{_sources_package.__name__}.{info.name}")
        missing = [m for m in REQUIRED_MEMBERS if not hasattr(module, m)]
        if missing:
            raise SourcePackageError(
                f"pipeline/sources/{info.name}/ lacks {', '.join(missing)}: a source package "
                "defines them in its __init__.py (see pipeline/sources/base.py)."
            )
        if module.SOURCE_ID != info.name:
            raise SourcePackageError(
                f"pipeline/sources/{info.name}/ declares SOURCE_ID {module.SOURCE_ID!r}; "
                "the folder and the id must be the same."
            )
        found.append(module)
    orders = [m.ORDER for m in found]
    if len(set(orders)) != len(orders):
        raise SourcePackageError(f"two source packages declare the same ORDER: {sorted(orders)}")
    return tuple(sorted(found, key=lambda m: m.ORDER))


SOURCES = discover()
BY_ID = {module.SOURCE_ID: module for module in SOURCES}
