"""CES staging: stg_ces__observations, core_ces__monthly_employment, stg_ces__industries and
stg_ces__series_without_data (declared in tables.py), through the loader CES shares with JOLTS
(pipeline/sources/monthly_series_load.py).

The core table adds ``employment_jobs`` (value is thousands of employees) and each industry's NAICS code, CES
label and care setting (series.SERIES_INDUSTRIES). stg_ces__industries is the ``ce.industry`` lookup when it is
pinned, else an empty table with the same columns. Runs inside the caller's transaction (no BEGIN/COMMIT here).
"""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pandas as pd

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import monthly_series_load as monthly
from pipeline.sources.ces.series import LOOKUPS, SERIES_INDUSTRIES, describe_series
from pipeline.sources.ces.tables import CORE, INDUSTRIES, OBSERVATIONS, TABLES, WITHOUT_DATA
from pipeline.sources.errors import SourceFileError

# CE + S/U + industry (8) + data type (2) (docs/source-formats.md, CES lookup files and BLS API answers).
SERIES_SHAPE = re.compile(r"^CE[SU]\d{8}\d{2}$")
# (name, DuckDB type) of the core table, for code that builds one by hand (the page tests).
CORE_COLUMNS = CORE.ddl


def load_staging(con: duckdb.DuckDBPyConnection, store: SnapshotStore, snaps: list[SnapshotMeta]) -> dict[str, int]:
    """Create the CES tables from the pinned snapshots; return {table: row count}."""
    monthly.create_empty(con, TABLES)
    api = monthly.api_snapshots(snaps)
    monthly.load_series_without_data(con, store, api, WITHOUT_DATA, SERIES_SHAPE, "CES", describe_series)
    monthly.load_observations(
        con,
        store,
        api,
        OBSERVATIONS,
        SERIES_SHAPE,
        "CES",
        decode=("substr(series_id, 4, 8) AS ces_industry_code, substr(series_id, 12, 2) AS data_type_code"),
    )
    labels = pd.DataFrame(
        [
            {"code": code, "naics_code": naics, "industry_name": label, "setting_id": setting}
            for code, naics, label, setting in SERIES_INDUSTRIES
        ],
        columns=["code", "naics_code", "industry_name", "setting_id"],
        dtype=object,
    )
    with monthly.registered(con, "_ces_labels", labels):
        monthly.build_core(
            con,
            OBSERVATIONS,
            CORE,
            extra_select={
                "naics_code": "lbl.naics_code",
                "industry_name": "lbl.industry_name",
                "setting_id": "lbl.setting_id",
                # value is thousands of employees; round, since 22581.7 * 1000 is not exactly an integer in binary.
                "employment_jobs": "CAST(round(o.value * 1000) AS BIGINT)",
            },
            join="LEFT JOIN _ces_labels AS lbl ON lbl.code = o.ces_industry_code",
        )

    industry_snaps = [s for s in snaps if (s.part or s.filename) == "ce.industry"]
    if industry_snaps:
        _load_ce_industry(con, store, monthly.latest(industry_snaps), LOOKUPS["ce.industry"])
    return monthly.counts(con, [spec.name for spec in TABLES])


def _load_ce_industry(con, store: SnapshotStore, snap: SnapshotMeta, header: list[str]) -> None:
    text = store.verify(snap.sha256).read_bytes().decode("utf-8", errors="replace")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t") if any(f.strip() for f in row)]
    found = [f.strip().lower() for f in rows[0]] if rows else []
    # Some LABSTAT files end the header (and rows) with a tab, i.e. one empty extra field.
    if found and found[-1] == "":
        found = found[:-1]
    if found != header:
        raise SourceFileError(
            snap.filename,
            f"has header {found!r}; expected {header!r}.",
            "Is it the BLS mapping file, or an error page saved in its place?",
        )
    wanted = INDUSTRIES.column_names
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) not in (len(header), len(header) + 1):
            raise SourceFileError(snap.filename, f"data line {lineno} has {len(row)} fields, expected {len(header)}.")
        # A trailing tab gives one empty extra field (checked above), which is no column: drop it.
        fields = dict(zip(header, (f.strip() for f in row[: len(header)]), strict=True))
        out.append({c: fields[c] or None for c in wanted})
    if not out:
        return
    frame = pd.DataFrame(out, columns=wanted, dtype=object)
    with monthly.registered(con, "_ce_industry", frame):
        con.execute(
            f"""
            INSERT INTO {INDUSTRIES.name}
            SELECT industry_code, naics_code, publishing_status, industry_name,
                   TRY_CAST(display_level AS INTEGER)
            FROM _ce_industry
            """
        )
