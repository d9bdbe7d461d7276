"""Saying on a page which monthly series (CES, JOLTS) BLS answered with no data, instead of drawing nothing.

The staging load records, per pinned API answer, each requested series that came back empty
(``stg_<source>__series_without_data``, pipeline/sources/monthly_series_load.py). A page passes the series it
would draw; ``items`` names those of them that have no month at all in this build, with what each is, the years
asked for, and BLS's own message when it gave one. A series that has data from another answer (an earlier year
window, a later vintage) is drawn, so it is not named.
"""

from __future__ import annotations

import html
from typing import Iterable

import pandas as pd

from pipeline.sources.bls_api import format_years
from pipeline.sources.monthly_series_load import WITHOUT_DATA_TABLES


def without_data(con, source_id: str, series_ids: Iterable[str]) -> pd.DataFrame:
    """series_id, series_title, years, bls_message for each of ``series_ids`` that BLS returned no data for and
    that has no month in this build's core table, ordered by series ID."""
    columns = ["series_id", "series_title", "years", "bls_message"]
    table, core = WITHOUT_DATA_TABLES[source_id]
    if not _has_table(con, table):
        # A warehouse built before this table existed holds no record of empty series: nothing to name.
        return pd.DataFrame(columns=columns)
    found = con.execute(
        f"""
        SELECT w.series_id, any_value(w.series_title) AS series_title,
               list(DISTINCT [w.requested_first_year, w.requested_last_year]) AS windows,
               string_agg(DISTINCT w.bls_message, '; ') AS bls_message
        FROM {table} AS w
        WHERE list_contains(?, w.series_id)
          AND w.series_id NOT IN (SELECT DISTINCT series_id FROM {core})
        GROUP BY w.series_id
        ORDER BY w.series_id
        """,
        [sorted(set(series_ids))],
    ).df()
    if found.empty:
        return pd.DataFrame(columns=columns)
    found["years"] = [
        format_years((a, b) for a, b in windows if a is not None and b is not None) or "the years asked"
        for windows in found.windows
    ]
    return found[columns]


def sentence(row) -> str:
    """'BLS returned no data for <meaning> (series <id>) for <years>; it is not shown.' plus BLS's message."""
    said = f" BLS said: \u201c{row.bls_message}\u201d." if isinstance(row.bls_message, str) and row.bls_message else ""
    return (
        f"BLS returned no data for {row.series_title} (series {row.series_id}) for {row.years}; it is not shown.{said}"
    )


def items(con, source_id: str, series_ids: Iterable[str]) -> str:
    """A markdown list with one sentence per series of ``series_ids`` that BLS returned no data for ('' when
    there is none). The page's own prose says what the list is (book/notebooks/_snippets/series_without_data.md).
    BLS's text is escaped: it is shown as text, never read as markup."""
    found = without_data(con, source_id, series_ids)
    return "\n".join(f"- {html.escape(sentence(row))}" for row in found.itertuples())


def _has_table(con, table: str) -> bool:
    # information_schema lists the views a Parquet export is opened as, too.
    return (
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0] > 0
    )
