"""What changed between two editions: their pinned snapshots, the headline numbers and the monthly series; and
the earlier editions published beside this one.

Both editions are warehouses built by the same code from their own locks; the previous one is attached
read-only as ``prev``. Every figure here is a difference of two warehouse values, never a typed-in number.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import lineage
from pipeline.lock_files import EDITION_PATTERN, edition_key, list_editions
from pipeline.publication_layout import page_path, relative_link
from pipeline.report.format import count, pct, usd, usd_hourly
from pipeline.report.methodology import count_of
from pipeline.report.parquet_warehouse import attach_parquet, is_parquet_warehouse
from pipeline.report.unpublished import ANNUAL, PayBasis, pay_basis
from pipeline.settings import live_lock_path

PREVIOUS = "prev"


def attach_previous(con: duckdb.DuckDBPyConnection, previous_warehouse_path: str) -> None:
    """The previous edition as catalog ``prev``: its DuckDB file read-only, or its Parquet export as views."""
    if is_parquet_warehouse(previous_warehouse_path):
        attach_parquet(con, previous_warehouse_path, PREVIOUS)
    else:
        con.execute(f"ATTACH '{previous_warehouse_path}' AS {PREVIOUS} (READ_ONLY)")


def _has_table(con, table: str, catalog: str | None = None) -> bool:
    where = "table_name = ?" + (" AND table_catalog = ?" if catalog else "")
    args = [table, catalog] if catalog else [table]
    return con.execute(f"SELECT count(*) FROM information_schema.tables WHERE {where}", args).fetchall()[0][0] > 0


def _qualified(table: str, previous: bool) -> str:
    return f"{PREVIOUS}.{table}" if previous else table


def staged_from(tables) -> list[str]:
    """The staging tables each compared table is built from (marts followed through their SQL): captions name
    their snapshots."""
    return lineage.staged_from(tables)


def every_staging_table(con) -> list[str]:
    """For tables about the snapshots themselves: their caption lists every source of this build."""
    return [r[0] for r in con.execute("SELECT DISTINCT table_name FROM meta_table_lineage ORDER BY 1").fetchall()]


# ---------------------------------------------------------------- sources
def _snapshots(con, previous: bool) -> pd.DataFrame:
    """An edition's snapshots, each with whether its lock pinned it (an unpinned source may still have been read
    from an offline origin, such as a file in the repository, by that edition's build)."""
    p = PREVIOUS + "." if previous else ""
    return con.execute(
        f"""
        SELECT s.source_id, s.part, s.sha256, s.rows, m.status <> 'not pinned' AS pinned
        FROM {p}meta_snapshots s JOIN {p}meta_sources m USING (source_id)
        ORDER BY s.source_id, s.part, s.sha256
        """
    ).df()


def _change(now: pd.DataFrame, before: pd.DataFrame) -> tuple[str, str]:
    """How one source part moved between the editions' locks, and why, when the bare word would mislead."""
    pinned_now, pinned_before = bool(now.pinned.any()), bool(before.pinned.any())
    same_bytes = set(now.sha256) == set(before.sha256)
    if pinned_now and pinned_before:
        return ("unchanged" if same_bytes else "updated"), ""
    if not pinned_now and not pinned_before:
        return "not pinned", "Pinned in neither edition; each build read the file from its offline origin."
    if pinned_now:
        if before.empty:
            return "added", ""
        bytes_then = "the same bytes" if same_bytes else "other bytes"
        return "added", f"Not pinned in the previous edition, whose build read {bytes_then} from the file's origin."
    if now.empty:
        return "removed", ""
    bytes_now = "the same bytes" if same_bytes else "other bytes"
    return "removed", f"No longer pinned; this edition's build read {bytes_now} from the file's origin."


def source_changes(con) -> pd.DataFrame:
    """One row per source part in either edition's build: added to the lock, updated, removed from it, unchanged,
    or not pinned in either. A part read unpinned (from an offline origin) in one edition and pinned in the other
    counts as added or removed, with a note: the lock is what an edition is made of."""
    now, before = _snapshots(con, previous=False), _snapshots(con, previous=True)
    keys = sorted(set(zip(now.source_id, now.part, strict=True)) | set(zip(before.source_id, before.part, strict=True)))
    rows = []
    for source_id, part in keys:
        n = now[(now.source_id == source_id) & (now.part == part)]
        b = before[(before.source_id == source_id) & (before.part == part)]
        change, note = _change(n, b)
        rows.append(
            {
                "source_id": source_id,
                "part": part,
                "change": change,
                "previous_snapshot": ", ".join(sorted(x[:12] for x in b.sha256)) or None,
                "current_snapshot": ", ".join(sorted(x[:12] for x in n.sha256)) or None,
                "previous_rows": b.rows.sum(min_count=1) if not b.empty else None,
                "current_rows": n.rows.sum(min_count=1) if not n.empty else None,
                "note": note,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "source_id",
            "part",
            "change",
            "previous_snapshot",
            "current_snapshot",
            "previous_rows",
            "current_rows",
            "note",
        ],
    )


# The order the changes are counted and listed in.
CHANGES = ("added", "updated", "removed", "not pinned", "unchanged")


def change_summary(parts: pd.DataFrame) -> str:
    """'10 added and 1 unchanged': how many source files each kind of change holds, in a fixed order."""
    counts = parts["change"].value_counts()
    said = [f"{counts[c]:,} {c}" for c in CHANGES if counts.get(c, 0)]
    return " and ".join(said) if len(said) <= 2 else ", ".join(said[:-1]) + " and " + said[-1]


def source_changes_shown(moved: pd.DataFrame) -> pd.DataFrame:
    """The changed files as the page shows them: counts formatted, a file an edition lacks marked with a dash."""

    def rows_or_dash(n) -> str:
        return "—" if pd.isna(n) else count(n)

    return (
        moved.assign(
            previous_rows=moved["previous_rows"].map(rows_or_dash),
            current_rows=moved["current_rows"].map(rows_or_dash),
        )
        .rename(
            columns={
                "source_id": "Source",
                "part": "File",
                "change": "Change",
                "previous_snapshot": "Previous snapshot",
                "current_snapshot": "Current snapshot",
                "previous_rows": "Previous rows",
                "current_rows": "Current rows",
                "note": "Note",
            }
        )
        .fillna("—")
    )


NOT_A_SOURCE = "not a source of that edition"


def source_status_changes(con) -> pd.DataFrame:
    """Each source's status (complete, partial, absent, not pinned) in both editions; a source one edition did not
    have at all says so."""
    return con.execute(
        f"""
        SELECT coalesce(n.title, b.title) AS source,
               coalesce(b.status, '{NOT_A_SOURCE}') AS previous_status,
               coalesce(n.status, '{NOT_A_SOURCE}') AS current_status
        FROM meta_sources n FULL OUTER JOIN {PREVIOUS}.meta_sources b USING (source_id)
        ORDER BY coalesce(n.source_order, b.source_order), source_id
        """
    ).df()


# ---------------------------------------------------------------- headline numbers
WAGE_STATS = [("median", "Median"), ("mean", "Mean"), ("p10", "10th percentile"), ("p90", "90th percentile")]
OTHER_HEADLINES = [
    # (label, table, column, formatter, delta in percent too); the report's occupation in the table's latest release.
    ("Projected employment change", "mart_ep__occupation_outlook", "employment_change_pct", pct, False),
    ("Projected openings per year", "mart_ep__occupation_outlook", "openings_annual_avg_count", count, True),
    ("Years of wage history", "core_oews__national_wage_history", "count(DISTINCT reference_year)", count, False),
    ("States with published employment", "mart_oews__state_wages", "count(employment_count)", count, False),
]
_LATEST = {"mart_ep__occupation_outlook": "AND is_latest_edition"}
_PERIOD = {
    "mart_oews__national_wages": "any_value(reference_period)",
    "mart_ep__occupation_outlook": "any_value(edition)",
    "core_oews__national_wage_history": "min(reference_year) || '–' || max(reference_year)",
    "mart_oews__state_wages": "any_value(reference_period)",
}
_UNIT = {pct: "percentage points", usd: "USD", usd_hourly: "USD per hour"}


def headline_measures(basis: PayBasis = ANNUAL) -> list[tuple]:
    """The rows of the headline table: the wages on the occupation's pay basis (hourly when BLS published hourly
    wages only, as the book's front page does), then employment, projections and coverage."""
    money = usd_hourly if basis.is_hourly else usd
    wages = [
        (f"{label} {basis.name} wage", "mart_oews__national_wages", basis.col(stat), money, True)
        for stat, label in WAGE_STATS
    ]
    employment = ("National employment", "mart_oews__national_wages", "employment_count", count, True)
    return [employment, *wages, *OTHER_HEADLINES]


def headline_pay_basis(con, soc: str) -> PayBasis:
    """Hourly when this edition's release published the occupation's wages hourly only, else annual."""
    row = con.execute("SELECT * FROM mart_oews__national_wages WHERE soc_code = ?", [soc]).df()
    return pay_basis(None if row.empty else row.iloc[0])


def _headline(con, table: str, column: str, soc: str, previous: bool) -> tuple[float | None, str | None]:
    catalog = PREVIOUS if previous else None
    if not _has_table(con, table, catalog):
        return None, None
    expr = column if "(" in column else f"any_value({column})"
    value, period = con.execute(
        f"SELECT {expr}, {_PERIOD[table]} FROM {_qualified(table, previous)} "
        f"WHERE soc_code = ? {_LATEST.get(table, '')}",
        [soc],
    ).fetchall()[0]
    if "count(" in column and not period:
        value = None  # no rows at all: not in that edition, rather than a count of zero
    return value, period


def headline_changes(con, soc: str, basis: PayBasis = ANNUAL) -> pd.DataFrame:
    rows = []
    for label, table, column, fmt, relative in headline_measures(basis):
        before, before_period = _headline(con, table, column, soc, previous=True)
        now, now_period = _headline(con, table, column, soc, previous=False)
        change: float | None = None
        change_pct: float | None = None
        if before is not None and now is not None and not pd.isna(before) and not pd.isna(now):
            change = now - before
            if before and relative:
                change_pct = change / before * 100
        rows.append(
            {
                "measure": label,
                "table": table,
                "previous_value": before,
                "previous_period": before_period,
                "current_value": now,
                "current_period": now_period,
                "change": change,
                "change_pct": change_pct,
                "unit": _UNIT.get(fmt, ""),
                "previous": _shown(before, fmt, before_period),
                "current": _shown(now, fmt, now_period),
            }
        )
    return pd.DataFrame(rows)


def _shown(value, fmt, period) -> str:
    if period is None:
        return "not in this edition"
    return f"{fmt(value)} ({period})"


def describe_change(row) -> str:
    """The change in words and numbers: a dollar or count delta, with the relative change where it means something."""
    if pd.isna(row.previous_period) and not pd.isna(row.current_period):
        return "new in this edition"
    if pd.isna(row.current_period) and not pd.isna(row.previous_period):
        return "no longer in this edition"
    if pd.isna(row.change):
        return "not comparable"
    if row.change == 0:
        return "no change"
    if row.unit == "percentage points":
        delta = f"{row.change:+.1f} percentage points"
    else:
        money = {"USD": usd, "USD per hour": usd_hourly}.get(row.unit, count)
        delta = ("+" if row.change > 0 else "-") + money(abs(row.change))
    return delta if pd.isna(row.change_pct) else f"{delta} ({row.change_pct:+.1f}%)"


# ---------------------------------------------------------------- monthly series
MONTHLY_TABLES = {
    "core_ces__monthly_employment": "CES industry employment",
    "core_jolts__monthly_rates_and_levels": "JOLTS openings and churn",
}


def monthly_revisions(con, table: str) -> pd.DataFrame:
    """Months present in both editions whose value changed: BLS revisions (and benchmark updates)."""
    if not (_has_table(con, table) and _has_table(con, table, PREVIOUS)):
        return pd.DataFrame(columns=["series_id", "month_start", "previous_value", "current_value", "revision"])
    return con.execute(
        f"""
        SELECT n.series_id, n.month_start, b.value AS previous_value, n.value AS current_value,
               n.value - b.value AS revision
        FROM {table} n JOIN {PREVIOUS}.{table} b USING (series_id, month_start)
        WHERE n.value IS DISTINCT FROM b.value
        ORDER BY n.series_id, n.month_start
        """
    ).df()


def monthly_coverage(con, table: str) -> dict:
    """How many series and months each edition holds (None when the table is empty or missing)."""

    def span(previous: bool):
        catalog = PREVIOUS if previous else None
        if not _has_table(con, table, catalog):
            return None
        n_series, first, last, n_rows = con.execute(
            "SELECT count(DISTINCT series_id), min(month_start), max(month_start), count(*) "
            f"FROM {_qualified(table, previous)}"
        ).fetchall()[0]
        return None if not n_rows else {"series": n_series, "first": first, "last": last, "rows": n_rows}

    return {"previous": span(True), "current": span(False)}


def _coverage_text(span: dict | None) -> str:
    if span is None:
        return "not in this edition"
    return f"{count_of(span['series'], 'series', 'series')}, {span['first']:%B %Y} to {span['last']:%B %Y}"


def monthly_coverage_table(con, previous_edition: str, edition: str) -> pd.DataFrame:
    """Per monthly table: what each edition holds, and how many month-values present in both were revised."""
    rows = []
    for table, title in MONTHLY_TABLES.items():
        coverage = monthly_coverage(con, table)
        both = coverage["previous"] is not None and coverage["current"] is not None
        rows.append(
            {
                "Series": title,
                f"In {previous_edition}": _coverage_text(coverage["previous"]),
                f"In {edition}": _coverage_text(coverage["current"]),
                "Month-values revised": count(len(monthly_revisions(con, table)))
                if both
                else "none to compare (not in both editions)",
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- earlier editions, published beside this one
WHAT_CHANGED_PAGE = "what_changed"
# The class of a link to another edition's page (the publisher finds them by where they lead, not by this class;
# it tells a reader's stylesheet or a link checker that the target lies outside this book).
EDITION_LINK_CLASS = "published-edition"


def is_recorded_name(edition: str) -> bool:
    """Whether ``edition`` is named like a recorded edition (2026Q4, 2026Q4.2), so it has a place among them."""
    return bool(EDITION_PATTERN.match(edition))


def earlier_editions(edition: str, lock_path: Path | None = None) -> list[str]:
    """The editions the registry (warehouse/editions/*.lock beside the live lock) records before ``edition``,
    newest first. An edition not named like a recorded one (a development build, a lock written before editions
    were recorded) cannot be placed among them, and has none."""
    if not is_recorded_name(edition):
        return []
    older = [e for e in list_editions(lock_path or live_lock_path()) if edition_key(e) < edition_key(edition)]
    return sorted(older, key=edition_key, reverse=True)


def edition_links(edition: str, soc: str, earlier: list[str]) -> str:
    """Each earlier edition's name as a relative link from this edition's What changed page to that edition's
    own, at the path `make publish` gives it (pipeline/publication_layout.py), joined as a list in words.

    HTML rather than a markdown link: Sphinx takes a relative markdown link for a cross-reference inside the
    book, and this one leads out of it, to a sibling edition."""
    here = page_path(edition, soc, WHAT_CHANGED_PAGE)

    def link(earlier_edition: str) -> str:
        href = relative_link(here, page_path(earlier_edition, soc, WHAT_CHANGED_PAGE))
        return f'<a class="{EDITION_LINK_CLASS}" href="{html.escape(href)}">{html.escape(earlier_edition)}</a>'

    links = [link(e) for e in earlier]
    return ", ".join(links[:-1]) + " and " + links[-1] if len(links) > 1 else "".join(links)
