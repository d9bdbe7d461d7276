"""Staging for the compensation samples: ``stg_comp__samples``.

``load_staging(con, store, snaps)`` runs inside a transaction the caller has opened (no BEGIN/COMMIT here). It
reads each pinned CSV snapshot with ``samples.read_samples`` (so the same checks as at refresh time
apply) and writes one row per sample: every CSV column, typed (``observed_on`` DATE, amounts and hours DOUBLE),
plus

- ``annual_usd`` / ``annual_max_usd``: ``annualise(pay_basis, amount, hours_per_week)`` of ``amount_usd`` and
  ``amount_max_usd`` (that function documents the assumptions: 52 weeks, 12 months, 40 h/week by default).
  NULL for ``per_visit`` pay, which has no fair conversion, and for an absent maximum.
- ``is_outlier`` / ``outlier_reason``. **Outlier rule**: within each ``soc_code``, take the samples that have an
  ``annual_usd``; if there are at least 8 of them, compute Q1 and Q3 of their ``annual_usd`` (linear
  interpolation between order statistics, i.e. pandas'/numpy's default and DuckDB's ``quantile_cont``) and flag
  a sample whose ``annual_usd`` is below Q1 - 3*IQR or above Q3 + 3*IQR (IQR = Q3 - Q1). The fence is 3*IQR
  (Tukey's "far out"), not 1.5*IQR, because pay legitimately spreads wide across settings and states.
  Flagged samples are **kept**, never dropped: ``outlier_reason`` says which fence they crossed, and the book
  decides what to do with them. With fewer than 8 samples for a SOC code the quartiles are too unstable, so no
  sample of that code is flagged (``is_outlier`` false, ``outlier_reason`` NULL); per_visit samples are never
  flagged either. (A later step compares the samples with the OEWS wage bands; that is not done here.)
- ``snapshot_sha256`` and ``line_number``: the CSV line where the sample's record starts (read_samples does not
  return it, so it is recomputed here the way read_samples counts lines: blank rows skipped, a quoted field
  may span lines).

With no snapshot the table is still created, empty, with the same columns.
"""

from __future__ import annotations

import csv

import duckdb
import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.compensation_samples.samples import annualise, read_samples
from pipeline.sources.compensation_samples.tables import SAMPLES
from pipeline.sources.typed_table import create_typed_table

TABLE = SAMPLES.name
MIN_SAMPLES_FOR_IQR = 8
IQR_FENCE = 3.0


def columns() -> list[tuple[str, str]]:
    """(name, 'TYPE [NOT NULL]') of stg_comp__samples, as tables.py declares them."""
    return SAMPLES.ddl


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create stg_comp__samples from the pinned CSV snapshot(s); return {table: row count}."""
    cols = columns()
    rows: list[dict] = []
    for snap in snaps:
        path = store.verify(snap.sha256)
        samples = read_samples(path, filename=snap.filename)
        lines = record_lines(path)
        if len(lines) != len(samples):  # cannot happen when read_samples accepted the file; guard anyway
            raise RuntimeError(f"{snap.filename}: {len(samples)} samples but {len(lines)} records")
        for sample, line in zip(samples, lines, strict=True):
            hours = sample["hours_per_week"]
            high = sample["amount_max_usd"]
            rows.append(
                {
                    **sample,
                    "annual_usd": annualise(sample["pay_basis"], sample["amount_usd"], hours),
                    "annual_max_usd": None if high is None else annualise(sample["pay_basis"], high, hours),
                    "snapshot_sha256": snap.sha256,
                    "line_number": line,
                }
            )
    flag_outliers(rows)
    # Text in, cast by DuckDB: a None is NULL (never NaN) and the declared types are enforced.
    return {TABLE: create_typed_table(con, TABLE, cols, [{n: _text(r[n]) for n, _ in cols} for r in rows])}


def flag_outliers(rows: list[dict]) -> None:
    """Set ``is_outlier`` and ``outlier_reason`` on each row in place (the rule is in the module docstring)."""
    for row in rows:
        row["is_outlier"], row["outlier_reason"] = False, None
    by_soc: dict[str, list[dict]] = {}
    for row in rows:
        if row["annual_usd"] is not None:
            by_soc.setdefault(row["soc_code"], []).append(row)
    for soc, group in by_soc.items():
        if len(group) < MIN_SAMPLES_FOR_IQR:
            continue
        values = pd.Series([r["annual_usd"] for r in group], dtype=float)
        q1, q3 = float(values.quantile(0.25)), float(values.quantile(0.75))
        iqr = q3 - q1
        low, high = q1 - IQR_FENCE * iqr, q3 + IQR_FENCE * iqr
        for row in group:
            value = row["annual_usd"]
            if value < low or value > high:
                side, fence, bound = ("below", "Q1 - 3*IQR", low) if value < low else ("above", "Q3 + 3*IQR", high)
                row["is_outlier"] = True
                row["outlier_reason"] = (
                    f"annual_usd {value:,.0f} is {side} {fence} = {bound:,.0f} of the {len(group)} annualised "
                    f"samples for SOC {soc} (Q1 {q1:,.0f}, Q3 {q3:,.0f})"
                )


def record_lines(path) -> list[int]:
    """The line on which each non-blank CSV record starts, counted as read_samples counts them."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        if next(reader, None) is None:
            return []
        lines, prev = [], reader.line_num
        for row in reader:
            line, prev = prev + 1, reader.line_num
            if not row or all(not v.strip() for v in row):
                continue
            lines.append(line)
    return lines


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
