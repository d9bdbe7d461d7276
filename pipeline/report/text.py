"""A page's prose is markdown; its numbers come from code. This module is the bridge, and the one place that
decides what counts as a missing value and how a missing value is said.

In a code cell, a page computes and publishes the values its prose needs::

    say(median_wage=text.usd(row.annual_median_wage_usd), is_hourly=basis.is_hourly)

In a markdown cell, the prose names them::

    The median annual wage was {{ median_wage }}.

A markdown cell can be shown only when a published true/false value holds, through its cell metadata (MyST
notebooks write it on the ``+++`` line that opens the cell)::

    +++ {"if": "is_hourly"}
    BLS publishes only hourly wages for this occupation, so this page shows hourly pay.

    +++ {"unless": "is_hourly"}
    ...

A line that is only ``{{> name }}`` is replaced by the shared paragraph in ``book/notebooks/_snippets/name.md``
(prose that several pages say the same way), whose own ``{{ values }}`` are filled like the page's.

After the page runs, ``fill_page`` fills every markdown cell, drops the cells whose condition fails and removes
the published values from the outputs. The book build and the one-page preview both execute pages through it,
so what a preview shows is what the book prints. A name the prose uses that the code never published stops the
build and names the page and the name: a page never shows a blank or a placeholder.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
from IPython.display import display

# The output type that carries a page's values from its code cells to its markdown cells.
VALUES_MIME = "application/vnd.occupation-book.page-values+json"
SNIPPET_DIR = Path(__file__).resolve().parents[2] / "book" / "notebooks" / "_snippets"
NOT_PUBLISHED = "not published"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_VALUE = re.compile(r"\{\{\s*(" + _NAME + r")\s*\}\}")
_SNIPPET = re.compile(r"^[ \t]*\{\{>\s*(" + _NAME + r")\s*\}\}[ \t]*$", re.MULTILINE)


class PageTextError(RuntimeError):
    """A page's prose and code disagree: a value used but never published, or published twice differently."""


# --- one rule for a missing value, one way to say it ---------------------------------------------------------


def missing(x) -> bool:
    """True for None, NA and NaN: a value the source did not publish, or a source absent from the build."""
    if x is None or x is pd.NA:
        return True
    if isinstance(x, float):
        return math.isnan(x)
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def flag_text(flag: str | None) -> str:
    """Plain words for a staging flag (why a value is missing)."""
    return {
        None: "",
        "top_coded": "at or above the top of BLS's published wage range",
        "not_released": "not released by BLS (too few responses or confidentiality)",
        "wage_basis_not_published": "not published for this occupation's pay basis (hourly-only or annual-only)",
        "not_published": "not published",
    }.get(flag, str(flag))


def value_or_reason(value, formatter, reason: str = NOT_PUBLISHED, *, flag: str | None = None) -> str:
    """The formatted value, or the words that say why there is none.

    With ``flag`` (a staging table's ``*_flag`` column: why the source published no value), a set flag wins and is
    said in plain words (``format.flag_text``), even where a lower bound stands in the value column."""
    if not missing(flag):
        return flag_text(flag)
    return reason if missing(value) else formatter(value)


# --- publishing values for the prose --------------------------------------------------------------------------


def say(**values: str | bool | int) -> None:
    """Publish values for this page's markdown: text for ``{{ name }}``, true/false for ``if``/``unless`` cells.

    Numbers are formatted before they are published (``text.usd``, ``fmt.count``…), so the page decides how a
    number reads, and a missing value must be given its words (``value_or_reason``) rather than printed as NaN.
    """
    for name, value in values.items():
        if isinstance(value, bool | str) or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        raise PageTextError(
            f"say({name}=...): a page value must be text or true/false, not {type(value).__name__} "
            f"({value!r}); format numbers first, and give a missing value its words with value_or_reason"
        )
    display({VALUES_MIME: values}, raw=True)


def _published(nb, page: str) -> dict[str, str | bool | int]:
    values: dict[str, str | bool | int] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
            if VALUES_MIME not in data:
                kept.append(output)
                continue
            for name, value in data[VALUES_MIME].items():
                if name in values and values[name] != value:
                    raise PageTextError(
                        f"{page}: the value {name!r} is published twice, as {values[name]!r} and {value!r}; "
                        "give each its own name"
                    )
                values[name] = value
        cell["outputs"] = kept
    return values


def _condition(cell, values: dict, page: str) -> bool:
    shown = True
    for key, wanted in (("if", True), ("unless", False)):
        name = cell.metadata.get(key)
        if name is None:
            continue
        if name not in values or not isinstance(values[name], bool):
            raise PageTextError(
                f"{page}: a markdown cell is shown {key} {name!r}, but the page's code never published {name!r} "
                "as true or false; publish it with say()"
            )
        shown = shown and values[name] is wanted
    return shown


def _expand_snippets(source: str, page: str, seen: tuple[str, ...] = ()) -> str:
    def snippet(match: re.Match) -> str:
        name = match.group(1)
        path = SNIPPET_DIR / f"{name}.md"
        if name in seen or not path.is_file():
            why = "includes itself" if name in seen else f"has no file {path}"
            raise PageTextError(f"{page}: the shared paragraph {{{{> {name} }}}} {why}")
        return _expand_snippets(path.read_text().strip(), page, (*seen, name))

    return _SNIPPET.sub(snippet, source)


def snippets_used(markdown: str, seen: tuple[str, ...] = ()) -> list[Path]:
    """The shared-paragraph files a page's text includes, directly or through another snippet."""
    found: list[Path] = []
    for name in _SNIPPET.findall(markdown):
        path = SNIPPET_DIR / f"{name}.md"
        if name in seen or not path.is_file() or path in found:
            continue
        found += [path, *snippets_used(path.read_text(), (*seen, name))]
    return sorted(set(found))


def fill(source: str, values: dict, page: str) -> str:
    """Markdown with each ``{{ name }}`` replaced by its published text."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise PageTextError(
                f"{page}: the prose uses {{{{ {name} }}}}, but the page's code never published {name!r}; "
                "publish it with say()"
            )
        return str(values[name])

    return _VALUE.sub(value, _expand_snippets(source, page))


def fill_page(nb, page: str):
    """The executed notebook as readers see it: prose filled in, conditional cells chosen, value outputs gone."""
    values = _published(nb, page)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if not _condition(cell, values, page):
                continue
            cell.metadata.pop("if", None)
            cell.metadata.pop("unless", None)
            cell.source = fill(cell.source, values, page)
        cells.append(cell)
    nb.cells = cells
    return nb
