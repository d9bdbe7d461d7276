"""The methodology page's tables and values: every snapshot with its relation to the official bytes, the SQL
behind each mart, the cells BLS did not publish, and the numbers the page's prose quotes (``say_*``).

Nothing here reads the clock or the machine: what the page shows follows from the warehouse alone, in a fixed
order, so two builds from the same lock print the same page.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from pipeline.report import format as fmt
from pipeline.report.sources import snapshot_anchor
from pipeline.report.text import missing, say, value_or_reason

# From this May, OEWS estimates come from the model-based estimator MB3 (pipeline/sources/oews_history/load.py
# marks the same year as the method break in core_oews__national_wage_history).
MB3_FIRST_YEAR = 2021


def count_of(n, noun: str, plural: str | None = None) -> str:
    """'1 row', '2,204 rows': the number with its noun in the form the number asks for."""
    n = int(n)
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


# ---------------------------------------------------------------- every snapshot, with its relation


def _snapshots(con) -> pd.DataFrame:
    snaps = con.execute(
        """
        SELECT m.title, s.source_id, s.part, s.filename, s.origin, s.relation, s.url,
               coalesce(s.package, s.url) AS location, s.retrieved_at, s.sha256, s.size_bytes, s.rows, s.status,
               s.obtained_from, s.note, s.extra_json
        FROM meta_snapshots s JOIN meta_sources m USING (source_id)
        ORDER BY m.source_order, s.part, s.retrieved_at, s.sha256
        """
    ).df()
    loaded = con.execute(
        "SELECT sha256, table_name, rows_loaded FROM meta_table_lineage ORDER BY sha256, table_name"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for sha, table, rows in loaded:
        tables.setdefault(sha, []).append(f"{table} ({count_of(rows, 'row')})")
    snaps["tables_loaded"] = [", ".join(tables.get(sha, [])) for sha in snaps.sha256]
    return snaps


def shared_url_snapshots(con) -> pd.DataFrame:
    """The snapshots in this build that were taken from one address serving different bytes at different times.

    BLS serves some files at a fixed address that it overwrites with each new edition (the Employment Projections
    matrix). Each such snapshot is identical to what the address served *then*; the lock records which edition or
    period it is and, where the origin said so, when it was served (``note``).
    """
    snaps = _snapshots(con)
    # Only bytes said to be identical to what the address served: several files of one package or one zip share
    # an address too, but no one claims each of them is what the address served.
    kept = (snaps.status == "in this build") & (snaps.relation == "identical") & snaps.url.notna()
    snaps = snaps[kept.fillna(False).astype(bool)]
    hashes = snaps.groupby("url").sha256.transform("nunique")
    shared = snaps[hashes > 1].copy()
    shared["reference_period"] = [_extra(e).get("reference_period") or "" for e in shared.extra_json]
    return shared[["title", "url", "filename", "part", "reference_period", "note", "retrieved_at", "sha256"]]


def _extra(extra_json) -> dict:
    return json.loads(extra_json) if isinstance(extra_json, str) and extra_json else {}


def retrieved_text(retrieved_at, status: str) -> str:
    """When a refresh took the bytes, as the lock records it; or why there is no such time."""
    if status != "in this build":
        return "not in this build"
    if missing(retrieved_at) or not retrieved_at:
        return "not pinned: read from its origin by this build, so no refresh time is recorded"
    return str(retrieved_at).replace("+00:00", "")


def snapshot_listing_html(con) -> str:
    """Per source: its snapshots (file, address, relation, retrieval time, size, rows, SHA-256) as HTML tables."""
    snaps = _snapshots(con)
    shared = shared_url_snapshots(con)
    files_at = shared.groupby("url").sha256.nunique().to_dict()
    out, current = [], None
    anchored: set[str] = set()
    for r in snaps.itertuples():
        if r.source_id != current:
            if current is not None:
                out.append("</tbody></table>")
            current = r.source_id
            out.append(f"<h3>{_e(r.title)}</h3>")
            out.append(
                '<table class="report-table lineage-table snapshot-table"><thead><tr>'
                "<th>File and where it came from</th><th>Relation to the official bytes</th>"
                "<th>Retrieved (UTC)</th><th>Size and rows</th><th>SHA-256</th></tr></thead><tbody>"
            )
        if r.status != "in this build":
            where = f'<strong class="absent">absent from this build</strong>: {_e(r.note)}'
        else:
            where = f"found in the {_e(r.obtained_from)}"
        loaded = f"<br>loaded into {_e(r.tables_loaded)}" if r.tables_loaded else ""
        served = ""
        if r.url in files_at and r.status == "in this build":
            period = _extra(r.extra_json).get("reference_period")
            served = (
                f'<br><span class="served">One of {count_of(files_at[r.url], "file")} this address served at '
                "different times"
                + (f"; this one is {_e(period)}" if period else "")
                + "."
                + (f" The lock records: “{_e(r.note)}”." if _e(r.note) else "")
                + "</span>"
            )
        # One anchor per snapshot (a hash listed twice, e.g. absent and present, keeps the first).
        anchor = snapshot_anchor(r.sha256) if r.sha256 and snapshot_anchor(r.sha256) not in anchored else None
        anchored.add(anchor or "")
        size = "size not recorded" if missing(r.size_bytes) else count_of(r.size_bytes, "byte")
        rows = "row count not recorded" if missing(r.rows) else count_of(r.rows, "row")
        out.append(
            (f'<tr id="{anchor}">' if anchor else "<tr>")
            + f'<td><strong>{_e(r.filename)}</strong> <span class="part">({_e(r.part)})</span><br>'
            f'<span class="url">{_e(r.location)}</span><br>{where}{loaded}{served}</td>'
            f'<td>{_e(r.relation)}<br><span class="part">origin: {_e(r.origin)}</span></td>'
            f"<td>{_e(retrieved_text(r.retrieved_at, r.status))}</td>"
            f"<td>{size}<br>{rows}</td>"
            f"<td><code>{_e(r.sha256)}</code></td>"
            "</tr>"
        )
    if current is not None:
        out.append("</tbody></table>")
    return "\n".join(out)


def shared_url_html(shared: pd.DataFrame) -> str:
    """One table of the files taken from addresses that served different bytes over time."""
    rows = "".join(
        f"<tr><td><code>{_e(r.url)}</code></td><td>{_e(r.filename)}</td><td>{_e(r.reference_period)}</td>"
        f"<td>{_e(r.note) or 'nothing more'}</td><td>{_e(retrieved_text(r.retrieved_at, 'in this build'))}</td>"
        f'<td><a href="#{snapshot_anchor(r.sha256)}"><code>{_e(r.sha256[:12])}</code></a></td></tr>'
        for r in shared.sort_values(["url", "reference_period", "sha256"]).itertuples()
    )
    return (
        '<table class="report-table lineage-table"><thead><tr><th>Address</th><th>File</th>'
        "<th>Edition or period</th><th>What the lock records about when it was served</th>"
        f"<th>Retrieved (UTC)</th><th>Snapshot</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _e(value) -> str:
    return html.escape("" if missing(value) else str(value))


# ---------------------------------------------------------------- the SQL behind each table


def mart_sql(sql_dir: Path) -> list[dict]:
    """Each mart's name, description, inputs and full SQL text, from warehouse/sql/marts."""
    from pipeline.lineage import sql_description, tables_read

    out = []
    for path in sorted((Path(sql_dir) / "marts").glob("*.sql")):
        sql = path.read_text()
        description, deps = sql_description(sql), sorted(tables_read(sql) - {path.stem})
        out.append(
            {
                "table": path.stem,
                "description": description,
                "depends": deps,
                "sql": sql,
                "file": f"warehouse/sql/marts/{path.name}",
            }
        )
    return out


def sql_details_html(mart: dict) -> str:
    deps = ", ".join(f"<code>{html.escape(d)}</code>" for d in mart["depends"]) or "none"
    return (
        f'<details class="mart-sql"><summary><code>{html.escape(mart["table"])}</code> — '
        f"{html.escape(mart['description'])}</summary>"
        f"<p>Reads: {deps}. File: <code>{html.escape(mart['file'])}</code>.</p>"
        f'<pre style="max-height:32rem;overflow:auto;font-size:0.78rem"><code class="language-sql">'
        f"{html.escape(mart['sql'])}</code></pre></details>"
    )


def staging_inputs(marts: list[dict], table: str) -> list[str]:
    """The staging and seed tables a mart reads, following marts that read other marts."""
    by_name = {m["table"]: m for m in marts}
    seen, out = set(), []

    def walk(name):
        for dep in by_name[name]["depends"]:
            if dep in seen:
                continue
            seen.add(dep)
            if dep in by_name:
                walk(dep)
            else:
                out.append(dep)

    walk(table)
    return out


def mart_inputs_markdown(marts: list[dict]) -> str:
    """A markdown list: each mart and the staging or seed tables it is built from."""
    return "\n".join(
        f"- `{m['table']}` is built from " + ", ".join(f"`{t}`" for t in staging_inputs(marts, m["table"]))
        for m in marts
    )


# ---------------------------------------------------------------- cells BLS did not publish


def suppressed_cells(con, soc: str, median_col: str = "annual_median_wage_usd") -> pd.DataFrame:
    """For the occupation's state, metro and national-industry cells: how many lack a published value.

    ``median_col`` is the median the book shows (the hourly one for an occupation BLS pays hourly only, so a
    pay basis BLS never publishes is not counted as thousands of suppressed cells).
    """
    mean_col = median_col.replace("median", "mean")
    return con.execute(
        f"""
        SELECT CASE WHEN c.areatype_code = 'S' THEN 'States and territories (all industries)'
                    WHEN c.areatype_code = 'M' THEN 'Metropolitan areas (all industries)'
                    ELSE 'Industries (national)' END AS level,
               count(*) AS cells_listed,
               count(*) FILTER (WHERE c.employment_count_flag IS NOT NULL) AS employment_not_published,
               count(*) FILTER (WHERE c.{median_col}_flag = 'top_coded') AS median_top_coded,
               count(*) FILTER (WHERE c.{median_col}_flag IS NOT NULL
                                  AND c.{median_col}_flag <> 'top_coded') AS median_not_published,
               count(*) FILTER (WHERE c.employment_count_flag IS NOT NULL
                                   OR c.{median_col}_flag IS NOT NULL
                                   OR c.{mean_col}_flag IS NOT NULL) AS any_not_published
        FROM stg_oews__cells c JOIN stg_oews__occupations o USING (occupation_code)
        WHERE o.soc_code = ?
          AND ((c.areatype_code IN ('S', 'M') AND c.industry_code = '000000')
               OR (c.areatype_code = 'N' AND c.industry_code <> '000000'))
        GROUP BY ALL ORDER BY min(CASE c.areatype_code WHEN 'S' THEN 1 WHEN 'M' THEN 2 ELSE 3 END)
        """,
        [soc],
    ).df()


def say_suppressed(sup: pd.DataFrame) -> None:
    """Publish how many of the occupation's cells lack a value: ``has_cells`` and the counts, with their nouns."""
    total, lacking = int(sup.cells_listed.sum()), int(sup.any_not_published.sum())
    say(
        has_cells=total > 0,
        cells_listed=count_of(total, "state, metropolitan and industry cell"),
        cells_lacking=count_of(lacking, "cell", "cells"),
        cells_lacking_verb="lacks" if lacking == 1 else "lack",
    )


# ---------------------------------------------------------------- the values the prose quotes


def say_jolts_status(con) -> None:
    """``jolts_status`` (complete, partial, absent, not pinned) and ``jolts_complete``."""
    rows = con.execute("SELECT status FROM meta_sources WHERE source_id = 'jolts'").fetchall()
    status = rows[0][0] if rows else "not pinned"
    say(jolts_status=status, jolts_complete=status == "complete")


def say_means_and_medians(nat, basis, cell) -> None:
    """The occupation's national mean and median, as the book shows them (``cell``: unpublished.cell)."""
    if nat is None:
        say(has_national=False)
        return
    say(
        has_national=True,
        national_mean=cell(nat[basis.col("mean")], nat[basis.flag("mean")], basis.money),
        national_median=cell(nat[basis.col("median")], nat[basis.flag("median")], basis.money),
    )


def say_ep_comparison(con, soc: str) -> None:
    """EP's base-year jobs (self-employed included) beside OEWS's wage and salary jobs of the same year.

    ``ep_compared`` is true when both exist; ``ep_has_self_employed`` when EP gives the self-employed share.
    """
    ep = con.execute(
        """
        SELECT e.edition, e.base_year, e.employment_base_jobs, e.self_employed_pct, h.employment_count,
               h.reference_period
        FROM mart_ep__occupation_outlook e
        LEFT JOIN core_oews__national_wage_history h ON h.soc_code = e.soc_code AND h.reference_year = e.base_year
        WHERE e.soc_code = ? AND e.is_latest_edition
        """,
        [soc],
    ).df()
    r = None if ep.empty else ep.iloc[0]
    if r is None or missing(r.employment_count) or missing(r.employment_base_jobs):
        say(ep_compared=False, ep_has_self_employed=False)  # the cells that quote the numbers are left out
        return
    say(
        ep_compared=True,
        ep_has_self_employed=not missing(r.self_employed_pct),
        ep_edition=str(r.edition),
        ep_base_year=str(r.base_year),
        ep_base_jobs=count_of(r.employment_base_jobs, "job"),
        ep_self_employed_pct=value_or_reason(r.self_employed_pct, fmt.pct),
        oews_base_jobs=count_of(r.employment_count, "wage and salary job"),
        oews_base_period=str(r.reference_period),
    )


def say_method_break(con, soc: str) -> None:
    """The wage history's span and which of its years come before the change of estimator in May 2021."""
    years = [
        int(y)
        for (y,) in con.execute(
            "SELECT reference_year FROM core_oews__national_wage_history WHERE soc_code = ? ORDER BY reference_year",
            [soc],
        ).fetchall()
    ]
    before = [f"May {y}" for y in years if y < MB3_FIRST_YEAR]
    say(
        has_history=bool(years),
        history_first=f"May {years[0]}" if years else "",
        history_last=f"May {years[-1]}" if years else "",
        mb3_first=f"May {MB3_FIRST_YEAR}",
        has_pre_mb3=bool(before),
        pre_mb3_years=_joined(before),
        pre_mb3_figures_word="figure comes" if len(before) == 1 else "figures come",
    )


def _joined(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def say_nominal_change(con, soc: str, basis) -> None:
    """The national median's first and last value in the wage history, in dollars of their own year."""
    med = basis.col("median")
    h = con.execute(
        f"""
        SELECT reference_period, {med} AS median_wage_usd FROM core_oews__national_wage_history
        WHERE soc_code = ? AND {med} IS NOT NULL ORDER BY reference_year
        """,
        [soc],
    ).df()
    if len(h) < 2:
        say(median_compared=False, median_rose=False)  # the cells that quote the medians are left out
        return
    first, last = h.iloc[0], h.iloc[-1]
    change = (last.median_wage_usd / first.median_wage_usd - 1) * 100
    say(
        median_compared=True,
        median_rose=bool(change > 0),
        median_first=basis.money(first.median_wage_usd),
        median_first_period=str(first.reference_period),
        median_last=basis.money(last.median_wage_usd),
        median_last_period=str(last.reference_period),
        median_change_pct=f"{change:+.1f}%",
    )


def say_price_index(con, soc: str) -> None:
    """``cpi_in_build``: whether this build holds a price index for the occupation's wages (real wages in
    ``mart_oews__real_wages``), so the page can say whether any wage could be shown adjusted for inflation."""
    has_mart = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mart_oews__real_wages'"
    ).fetchall()[0][0]
    real = 0
    if has_mart:
        real = con.execute(
            "SELECT count(*) FROM mart_oews__real_wages WHERE soc_code = ? "
            "AND coalesce(annual_median_wage_real_usd, hourly_median_wage_real_usd) IS NOT NULL",
            [soc],
        ).fetchall()[0][0]
    say(cpi_in_build=real > 0)
