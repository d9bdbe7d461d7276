"""Saying plainly what BLS did not publish, and why.

OEWS leaves a value out for a reason it records as a footnote (the staging tables keep it as a ``*_flag``):
the estimate was not released, the wage is above the published ceiling, or the occupation is paid on one basis
only (hourly or annual). This module turns those flags into words a reader can use, quoting BLS's own footnote
text from ``stg_oews__footnotes`` so the reason is BLS's and not the book's guess. It also chooses the *pay
basis* a page should show: for occupations BLS publishes hourly wages only (actors, for example), pages show
hourly figures and say why, instead of a column of "not published".

Nothing here produces a number of its own: every value shown comes from the warehouse row it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from pipeline.report import format as fmt
from pipeline.report.text import missing

# Which OEWS footnote (oe.footnote / the release's footnote table) stands behind each staging flag; the loader
# sets the flag from exactly these codes (pipeline/sources/oews_current/load.py, _FLAG_CODE_SQL).
FOOTNOTE_OF_FLAG = {"top_coded": "5", "not_released": "8", "wage_basis_not_published": "4"}

# Short words for a table cell; the legend under the table gives the full reason.
CELL_LABEL = {
    "top_coded": "above the top code",
    "not_released": "not released by BLS",
    "wage_basis_not_published": "not published for this pay basis",
    "not_published": "not published",
}

# Plain-words reasons, written for this book. BLS's own footnote is quoted after each where the release has it.
_REASON = {
    "not_released": (
        "BLS withheld the estimate: it rests on too few survey responses to meet BLS's reliability "
        "standard, or publishing it could reveal a single employer's data"
    ),
    "top_coded": (
        "the wage is at or above the highest value BLS publishes, so only that floor is known and the "
        "true figure is higher"
    ),
    "wage_basis_not_published": (
        "the occupation's wages appear on one pay basis only, hourly or annual, "
        "according to how the work is usually paid"
    ),
    "not_published": "BLS published no value here and gave no reason",
}


def footnote(con, flag: str | None) -> str | None:
    """BLS's footnote text for the reason behind ``flag``, as the release states it (None if it has none)."""
    code = FOOTNOTE_OF_FLAG.get(flag or "")
    if code is None:
        return None
    rows = con.execute("SELECT footnote_text FROM stg_oews__footnotes WHERE footnote_code = ?", [code]).fetchall()
    return rows[0][0].strip() if rows and rows[0][0] else None


def reason(con, flag: str | None) -> str:
    """Why a value is missing, in plain words, followed by BLS's footnote where the release has one."""
    words = _REASON.get(flag or "not_published", _REASON["not_published"])
    note = footnote(con, flag)
    code = FOOTNOTE_OF_FLAG.get(flag or "")
    return f"{words} (OEWS footnote {code}: \u201c{note}\u201d)" if note else words


def cell(value, flag, formatter, lower_bound=None) -> str:
    """A table cell: the formatted value, or a short label for why BLS published none (explained by ``legend``)."""
    if not missing(flag) and flag:
        if flag == "top_coded" and not missing(lower_bound):
            return f"{formatter(lower_bound)} or more (top-coded)"
        return CELL_LABEL.get(flag, CELL_LABEL["not_published"])
    return fmt.NOT_PUBLISHED if missing(value) else formatter(value)


def flags_in(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The distinct reasons (flags) present in these flag columns of ``frame``, in a stable order."""
    seen = set()
    for col in columns:
        if col in frame:
            seen |= {f for f in frame[col].dropna().unique() if f}
    return [f for f in ("not_released", "top_coded", "wage_basis_not_published", "not_published") if f in seen]


def legend(con, flags: Iterable[str], *, basis: "PayBasis | None" = None) -> str:
    """Markdown under a table: one line per reason that occurs in it ('' when every value was published)."""
    lines = []
    for flag in flags:
        label = CELL_LABEL.get(flag, CELL_LABEL["not_published"])
        text = reason(con, flag)
        if flag == "wage_basis_not_published" and basis is not None:
            text += f". For this occupation BLS published {basis.name} wages only"
        lines.append(f"- *{label}*: {text}.")
    if not lines:
        return ""
    return "**Why some values are missing** (the reason, then BLS's own footnote):\n\n" + "\n".join(lines)


@dataclass(frozen=True)
class PayBasis:
    """The wage columns a page shows: annual (the default) or hourly (when BLS published hourly wages only)."""

    name: str  # "annual" or "hourly"

    @property
    def is_hourly(self) -> bool:
        return self.name == "hourly"

    def col(self, stat: str) -> str:
        """'median' -> 'annual_median_wage_usd' (or the hourly column)."""
        return f"{self.name}_{stat}_wage_usd"

    def flag(self, stat: str) -> str:
        return f"{self.col(stat)}_flag"

    def money(self, x) -> str:
        return fmt.usd_hourly(x) if self.is_hourly else fmt.usd(x)

    @property
    def per(self) -> str:
        """' a year' after an annual amount; '' after an hourly one, which already reads '$29.05/hour'."""
        return "" if self.is_hourly else " a year"

    @property
    def axis_format(self) -> str:
        return "$,.2f" if self.is_hourly else "$,.0f"

    @property
    def unit(self) -> str:
        return "USD per hour" if self.is_hourly else "USD per year"


ANNUAL = PayBasis("annual")
HOURLY = PayBasis("hourly")


def pay_basis(row) -> PayBasis:
    """Hourly when BLS published no annual median for the occupation because of its pay basis, else annual.

    ``row`` is the occupation's national row (mart_oews__national_wages), as a Series or dict; None gives annual.
    """
    if row is None:
        return ANNUAL
    annual_flag = row.get("annual_median_wage_usd_flag")
    hourly = row.get("hourly_median_wage_usd")
    if annual_flag == "wage_basis_not_published" and not missing(hourly):
        return HOURLY
    return ANNUAL


def say_pay_basis(con, basis: PayBasis, occupation_title: str) -> None:
    """Publish what the shared hourly-pay note needs (book/notebooks/_snippets/hourly_pay_note.md): ``is_hourly``
    for the page's ``{"if": "is_hourly"}`` cell, and the note's words."""
    from pipeline.report.text import say

    say(
        is_hourly=basis.is_hourly,
        pay_word=basis.name,
        hourly_note_occupation=occupation_title,
        hourly_note_reason=reason(con, "wage_basis_not_published"),
    )
