"""Real wages: what the pages say about pay after inflation, read from ``mart_oews__real_wages`` and the CPI tables.

Every function returns a typed result (or None when the CPI is not in the build); pages format the numbers and
say the reason fields in words. Nothing here estimates a value the warehouse lacks: a year whose CPI index is
missing has no real wage, and a change that would need it carries the reason instead.

- ``real_series``: one occupation's wages, nominal and in dollars of the current release's reference month;
- ``change_over_span`` / ``change_since_method_change``: the nominal and real change between two May releases;
- ``raise_to_keep_up``: how much prices rose over the last twelve months of CPI in the build (the raise that would
  only have kept pay level), with both months named;
- ``cpi_facts``: the CPI snapshot facts for the methodology page (series, base, deflator month, span, gaps,
  revisions, origin);
- ``cpi_in_build``: whether the real wages exist in this build, and if not, why;
- ``deflator``: the CPI series and month that convert the wages (what the trend page names);
- ``real_wage_history``: one occupation's wage, nominal and real, with the CPI index of each year, as a table for
  a page's chart, table and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipeline.report.text import flag_text

MART = "mart_oews__real_wages"
MEASURES = tuple(f"{basis}_{stat}" for basis in ("annual", "hourly") for stat in ("median", "p10", "p90", "mean"))
NOT_IN_CPI_SNAPSHOTS = "not_in_cpi_snapshots"  # the mart's flag for a month the pinned CPI files lack
NOT_IN_BUILD = "The Consumer Price Index is not in this build, so wages are shown in dollars of their own year."


@dataclass(frozen=True)
class CpiStatus:
    in_build: bool
    reason: str  # why not, in a sentence; "" when in the build


@dataclass(frozen=True)
class RealWagePoint:
    reference_year: int
    reference_period: str  # "May 2020"
    estimation_method: str
    nominal_usd: float | None
    nominal_flag: str | None  # why BLS published no value (unpublished.py words it)
    real_usd: float | None  # in dollars of RealWageSeries.dollars_of_month
    cpi_month: str  # "May 2020": the index month that deflates this year
    cpi_index_value: float | None
    cpi_index_value_flag: str | None  # not_available (BLS wrote '-') or not_in_cpi_snapshots


@dataclass(frozen=True)
class RealWageSeries:
    soc_code: str
    occupation_title: str
    measure: str  # e.g. "annual_median"
    dollars_of_month: str  # "May 2025": real wages are in dollars of this month
    target_cpi_index_value: float | None
    cpi_series_id: str
    cpi_base_period: str
    points: tuple[RealWagePoint, ...]


@dataclass(frozen=True)
class RealChange:
    measure: str
    from_period: str | None  # "May 2020"
    to_period: str | None
    nominal_from_usd: float | None
    nominal_to_usd: float | None
    real_from_usd: float | None  # both in dollars of dollars_of_month
    real_to_usd: float | None
    nominal_change_pct: float | None
    real_change_pct: float | None
    dollars_of_month: str
    spans_method_change: bool  # the two years straddle the May 2021 estimation method change
    reason: str | None  # why the change is missing, when it is


@dataclass(frozen=True)
class PriceChange:
    series_id: str
    latest_month: str  # "August 2026"
    latest_index_value: float
    year_earlier_month: str  # "August 2025"
    year_earlier_index_value: float | None
    change_pct: float | None  # the raise that would only have kept pay level
    reason: str | None  # why change_pct is missing


@dataclass(frozen=True)
class MissingMonth:
    month: str  # "October 2025"
    reason: str


@dataclass(frozen=True)
class CpiFacts:
    series_id: str
    series_title: str
    seasonally_adjusted: bool
    base_period: str
    base_period_from: str
    deflator_month: str  # "May"
    why_this_month: str
    first_month: str
    last_month: str
    months_with_values: int
    missing_months: tuple[MissingMonth, ...]
    revised_months: int
    data_vintages: int
    origins: tuple[str, ...]  # official, mirror, package
    relations: tuple[str, ...]  # identical, derived ...
    packages: tuple[str, ...]  # "cpi==2.1.0" when the package origin was used


@dataclass(frozen=True)
class Deflator:
    series_id: str  # "CUUR0000SA0"
    series_title: str  # BLS's title: "All items in U.S. city average, all urban consumers, not seasonally adjusted"
    seasonally_adjusted: bool
    base_period: str  # "1982-84=100"
    month_name: str  # "May": the month of each year whose index deflates that year's wages
    why_this_month: str  # the settings' reason, in a sentence

    @property
    def is_cpi_u(self) -> bool:
        # BLS's survey prefix: CU is the CPI for All Urban Consumers, CW the CPI for Urban Wage Earners.
        return self.series_id.startswith("CU")


# ---------------------------------------------------------------- is it there


def cpi_in_build(con: duckdb.DuckDBPyConnection) -> CpiStatus:
    """The real wages exist when the mart has rows; otherwise the sources table says why."""
    if not _has_table(con, MART):
        return CpiStatus(False, "This warehouse was built before the CPI was a source, so it has no real wages.")
    if _scalar(con, f"SELECT count(*) FROM {MART}"):
        return CpiStatus(True, "")
    note = None
    if _has_table(con, "meta_sources"):
        row = con.execute("SELECT status, note FROM meta_sources WHERE source_id = 'cpi'").fetchone()
        if row is not None:
            note = row[1] or f"Its status in this build is {row[0]}."
    return CpiStatus(False, note or NOT_IN_BUILD)


# ---------------------------------------------------------------- one occupation


def real_series(con: duckdb.DuckDBPyConnection, soc: str, measure: str = "annual_median") -> RealWageSeries | None:
    """The occupation's May releases, nominal and real; None when the CPI or the occupation is not in the build."""
    _check_measure(measure)
    if not cpi_in_build(con).in_build:
        return None
    rows = con.execute(
        f"""
        SELECT reference_year, reference_period, estimation_method, {measure}_wage_usd, {measure}_wage_usd_flag,
               {measure}_wage_real_usd, cpi_month, cpi_index_value, cpi_index_value_flag,
               occupation_title, dollars_of_month, target_cpi_index_value, cpi_series_id, cpi_base_period
        FROM {MART} WHERE soc_code = ? ORDER BY reference_year
        """,
        [soc],
    ).fetchall()
    if not rows:
        return None
    points = tuple(
        RealWagePoint(
            reference_year=r[0],
            reference_period=r[1],
            estimation_method=r[2],
            nominal_usd=r[3],
            nominal_flag=r[4],
            real_usd=r[5],
            cpi_month=r[6],
            cpi_index_value=r[7],
            cpi_index_value_flag=r[8],
        )
        for r in rows
    )
    last = rows[-1]
    return RealWageSeries(
        soc_code=soc,
        occupation_title=last[9],
        measure=measure,
        dollars_of_month=last[10],
        target_cpi_index_value=last[11],
        cpi_series_id=last[12],
        cpi_base_period=last[13],
        points=points,
    )


def default_measure(con: duckdb.DuckDBPyConnection, soc: str) -> str:
    """annual_median, or hourly_median for an occupation BLS publishes hourly pay only for."""
    if not _has_table(con, MART):
        return "annual_median"
    row = con.execute(
        f"SELECT bool_and(coalesce(hourly_wages_only, FALSE)) FROM {MART} WHERE soc_code = ?", [soc]
    ).fetchone()
    return "hourly_median" if row and row[0] else "annual_median"


def real_wage_history(con, soc: str, measure: str = "annual_median") -> pd.DataFrame:
    """One row per May release of the occupation: the wage as published, the same wage in dollars of the target
    month, and the CPI index of its own May and of the target month (the two the conversion divides).

    Columns: reference_year, reference_period, estimation_method, method_break_before, ``{measure}_wage_usd`` (and
    ``_flag``), ``{measure}_wage_real_usd``, ``{measure}_wage_lower_bound_real_usd`` (a top-coded wage's floor,
    converted), cpi_series_id, cpi_month, cpi_index_value, cpi_index_value_flag, dollars_of_month,
    target_cpi_index_value, cpi_ratio_target_over_year. Empty when the CPI or the occupation is not in the build.
    """
    _check_measure(measure)
    columns = (
        "reference_year, reference_period, estimation_method, method_break_before, "
        f"{measure}_wage_usd, {measure}_wage_usd_flag, {measure}_wage_real_usd, {measure}_wage_lower_bound_real_usd, "
        "cpi_series_id, cpi_month, cpi_index_value, cpi_index_value_flag, dollars_of_month, target_cpi_index_value, "
        "cpi_ratio_target_over_year"
    )
    if not _has_table(con, MART):
        return pd.DataFrame(columns=[c.strip() for c in columns.split(",")])
    return con.execute(f"SELECT {columns} FROM {MART} WHERE soc_code = ? ORDER BY reference_year", [soc]).df()


def real_change(series: RealWageSeries, since_year: int | None = None) -> RealChange:
    """Nominal and real change from the first year (at or after ``since_year``) to the latest, both published."""
    chosen = [p for p in series.points if since_year is None or p.reference_year >= since_year]
    usable = [p for p in chosen if p.nominal_usd is not None and p.real_usd is not None]
    if len(usable) < 2 or usable[-1] is not chosen[-1]:
        return RealChange(
            measure=series.measure,
            from_period=chosen[0].reference_period if chosen else None,
            to_period=chosen[-1].reference_period if chosen else None,
            nominal_from_usd=None,
            nominal_to_usd=None,
            real_from_usd=None,
            real_to_usd=None,
            nominal_change_pct=None,
            real_change_pct=None,
            dollars_of_month=series.dollars_of_month,
            spans_method_change=False,
            reason=_why_no_change(chosen),
        )
    first, last = usable[0], usable[-1]
    assert first.nominal_usd and first.real_usd and last.nominal_usd is not None and last.real_usd is not None
    return RealChange(
        measure=series.measure,
        from_period=first.reference_period,
        to_period=last.reference_period,
        nominal_from_usd=first.nominal_usd,
        nominal_to_usd=last.nominal_usd,
        real_from_usd=first.real_usd,
        real_to_usd=last.real_usd,
        nominal_change_pct=(last.nominal_usd / first.nominal_usd - 1) * 100,
        real_change_pct=(last.real_usd / first.real_usd - 1) * 100,
        dollars_of_month=series.dollars_of_month,
        spans_method_change=first.estimation_method != last.estimation_method,
        reason=None,
    )


def change_over_span(con: duckdb.DuckDBPyConnection, soc: str, measure: str = "annual_median") -> RealChange | None:
    series = real_series(con, soc, measure)
    return None if series is None else real_change(series)


def change_since_method_change(
    con: duckdb.DuckDBPyConnection, soc: str, measure: str = "annual_median"
) -> RealChange | None:
    """From the first release of the current estimation method (May 2021, MB3) to the latest."""
    series = real_series(con, soc, measure)
    if series is None:
        return None
    row = con.execute(f"SELECT min(reference_year) FROM {MART} WHERE method_break_before").fetchone()
    return real_change(series, since_year=row[0] if row and row[0] is not None else None)


def _why_no_change(points: list[RealWagePoint]) -> str:
    if len(points) < 2:
        return "the wage history holds fewer than two May releases"
    for p in (points[0], points[-1]):
        if p.nominal_usd is None:
            return f"the {p.reference_period} wage is {flag_text(p.nominal_flag) or 'not published'}"
        if p.real_usd is None:
            return f"the CPI index for {p.cpi_month} is not in this build ({p.cpi_index_value_flag or 'no value'})"
    return "fewer than two May releases have both a published wage and a CPI index"


# ---------------------------------------------------------------- prices


def raise_to_keep_up(con: duckdb.DuckDBPyConnection) -> PriceChange | None:
    """The latest month of the deflator series with a value against the same month a year earlier."""
    series_id = _deflator_series(con)
    if series_id is None:
        return None
    latest = con.execute(
        "SELECT month_start, value FROM stg_cpi__index_values WHERE series_id = ? AND value IS NOT NULL "
        "ORDER BY month_start DESC LIMIT 1",
        [series_id],
    ).fetchone()
    if latest is None:
        return None
    month, value = latest
    earlier_month = date(month.year - 1, month.month, 1)
    earlier = con.execute(
        "SELECT value, value_flag, footnote_codes FROM stg_cpi__index_values WHERE series_id = ? AND month_start = ?",
        [series_id, earlier_month],
    ).fetchone()
    earlier_value = earlier[0] if earlier else None
    reason = None
    if earlier_value is None:
        reason = _missing_reason(con, earlier[1] if earlier else None, earlier[2] if earlier else None)
    return PriceChange(
        series_id=series_id,
        latest_month=_month(month),
        latest_index_value=value,
        year_earlier_month=_month(earlier_month),
        year_earlier_index_value=earlier_value,
        change_pct=None if earlier_value is None else (value / earlier_value - 1) * 100,
        reason=reason,
    )


def missing_months(con: duckdb.DuckDBPyConnection, series_id: str) -> tuple[MissingMonth, ...]:
    """Months inside the series' span with no value: BLS's '-' (with its footnote) or absent from the files."""
    rows = con.execute(
        """
        WITH span AS (
            SELECT min(month_start) AS first_month, max(month_start) AS last_month
            FROM stg_cpi__index_values WHERE series_id = ?
        ),
        months AS (
            SELECT CAST(unnest(generate_series(CAST(first_month AS TIMESTAMP), CAST(last_month AS TIMESTAMP),
                                               INTERVAL 1 MONTH)) AS DATE) AS month_start
            FROM span
        )
        SELECT m.month_start, v.value_flag, v.footnote_codes, v.series_id IS NULL AS absent
        FROM months AS m
        LEFT JOIN stg_cpi__index_values AS v ON v.series_id = ? AND v.month_start = m.month_start
        WHERE v.value IS NULL
        ORDER BY m.month_start
        """,
        [series_id, series_id],
    ).fetchall()
    return tuple(
        MissingMonth(_month(month), _missing_reason(con, flag, codes, absent=absent))
        for month, flag, codes, absent in rows
    )


def _missing_reason(con, flag: str | None, footnote_codes: str | None, absent: bool = True) -> str:
    texts = _footnote_texts(con, footnote_codes)
    if texts:
        return "BLS: " + "; ".join(texts)
    if flag == "not_available":
        return "BLS published no value for this month ('-' in its data file)"
    if absent and _origins(con) == ("package",):
        return (
            "not in the CPI files of this build (the cpi package leaves out the months BLS published no value for, "
            "and keeps no footnotes)"
        )
    return "not in the CPI files of this build"


def _footnote_texts(con, codes: str | None) -> list[str]:
    if not codes:
        return []
    wanted = [c.strip() for c in codes.replace(",", " ").split() if c.strip()]
    found = dict(
        con.execute(
            "SELECT footnote_code, footnote_text FROM stg_cpi__footnotes WHERE list_contains(?, footnote_code)",
            [wanted],
        ).fetchall()
    )
    return [found.get(c) or f"footnote {c}" for c in wanted]


# ---------------------------------------------------------------- methodology


def cpi_facts(con: duckdb.DuckDBPyConnection) -> CpiFacts | None:
    """What the methodology page says about the CPI in this build; None when it is not in the build."""
    series_id = _deflator_series(con)
    if series_id is None:
        return None
    row = con.execute(
        """
        SELECT s.series_title, s.seasonally_adjusted, s.base_period, s.base_period_from, d.month_name, d.why,
               min(v.month_start), max(v.month_start), count(v.value), count(*) FILTER (WHERE v.revised)
        FROM stg_cpi__deflator AS d
        JOIN stg_cpi__series AS s USING (series_id)
        JOIN stg_cpi__index_values AS v USING (series_id)
        GROUP BY ALL
        """
    ).fetchone()
    if row is None:
        return None
    vintages = _scalar(
        con, "SELECT count(DISTINCT snapshot_sha256) FROM stg_cpi__observations WHERE series_id = ?", [series_id]
    )
    relations, packages = _snapshot_lineage(con)
    return CpiFacts(
        series_id=series_id,
        series_title=row[0],
        seasonally_adjusted=bool(row[1]),
        base_period=row[2],
        base_period_from=row[3],
        deflator_month=row[4],
        why_this_month=row[5],
        first_month=_month(row[6]),
        last_month=_month(row[7]),
        months_with_values=row[8],
        missing_months=missing_months(con, series_id),
        revised_months=row[9],
        data_vintages=vintages,
        origins=_origins(con),
        relations=relations,
        packages=packages,
    )


def _snapshot_lineage(con) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not _has_table(con, "meta_snapshots"):
        return (), ()
    rows = con.execute(
        "SELECT DISTINCT relation, package FROM meta_snapshots WHERE source_id = 'cpi' AND status = 'in this build'"
    ).fetchall()
    return tuple(sorted({r[0] for r in rows if r[0]})), tuple(sorted({r[1] for r in rows if r[1]}))


def _origins(con) -> tuple[str, ...]:
    rows = con.execute("SELECT DISTINCT origin FROM stg_cpi__observations ORDER BY origin").fetchall()
    return tuple(r[0] for r in rows)


def _deflator_series(con) -> str | None:
    if not _has_table(con, "stg_cpi__deflator"):
        return None
    row = con.execute("SELECT series_id FROM stg_cpi__deflator").fetchone()
    return row[0] if row else None


def deflator(con) -> Deflator | None:
    """The CPI series and month that convert wages in this build; None when the CPI is not in it."""
    # One query whether or not the CPI is in (its tables are then empty), so a page reads the same tables either way.
    if not _has_table(con, "stg_cpi__deflator"):
        return None
    row = con.execute(
        """
        SELECT d.series_id, s.series_title, s.seasonally_adjusted, s.base_period, d.month_name, d.why
        FROM stg_cpi__deflator AS d JOIN stg_cpi__series AS s USING (series_id)
        """
    ).fetchone()
    if row is None:
        return None
    return Deflator(
        series_id=row[0],
        series_title=row[1],
        seasonally_adjusted=bool(row[2]),
        base_period=row[3],
        month_name=row[4],
        why_this_month=row[5],
    )


# ---------------------------------------------------------------- helpers


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"measure {measure!r} is not one of {', '.join(MEASURES)}")


def _scalar(con, sql: str, params: list | None = None):
    row = con.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def _has_table(con, name: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()"
    return bool(_scalar(con, sql, [name]))
