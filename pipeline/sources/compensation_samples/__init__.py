"""Compensation samples: individual pay observations that maintainers add by hand, each with its provenance.

Levels.fyi has almost no data for most health occupations, so the intake accepts several origins (Levels.fyi
entries, pay-transparent job postings, published surveys). The "origin" of this source is the repository:
``warehouse/seeds/compensation_samples.csv`` (env var COMPENSATION_SAMPLES_CSV points elsewhere, for tests).
It starts with a header and no rows. Never invent samples: every row must cite where it was seen.

Columns, in this order (the header must match exactly; a CSV may not carry comments):

==================  ========  ==========================================================================
column              required  meaning
==================  ========  ==========================================================================
sample_id           yes       unique id of the row, letters/digits/``._-`` (e.g. ``2026-01-posting-001``)
soc_code            yes       SOC code of the job, NN-NNNN (29-1122 for occupational therapists)
job_title           yes       the title as the origin states it (to check it is the right occupation)
employer            no        employer or agency as stated; empty when the origin does not say
origin_type         yes       levels_fyi | job_posting | survey | other
origin_reference    yes       URL (http/https) or a citation precise enough to find the observation again
observed_on         yes       YYYY-MM-DD the pay was seen or published; not in the future
setting             yes       outpatient | inpatient_rehab | acute_hospital | school | home_health |
                              skilled_nursing | staffing_agency | other | unknown (warehouse/seeds/settings.csv)
employment_type     yes       full_time | part_time | per_diem | contract | unknown
state               yes       two-letter USPS code (incl. DC, PR), or US for national/remote
pay_basis           yes       annual | hourly | monthly | weekly | per_visit
amount_usd          yes       the pay (the low end of a posted range), a positive number, no ``$`` or commas
amount_max_usd      no        the high end of a posted range, >= amount_usd
hours_per_week      no        stated weekly hours, used to annualise hourly pay (default 40)
experience_years    no        years of experience the sample is for (Levels.fyi states it; postings rarely)
notes               no        anything a reviewer should know (sign-on bonus, stipends excluded, ...)
==================  ========  ==========================================================================

Amounts are kept as stated; annualising is a later step (``annualise`` documents the assumptions).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pipeline.settings import PROJECT_ROOT
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult, keep_valid, retrieval_time
from pipeline.sources.compensation_samples.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.compensation_samples.samples import (  # noqa: F401
    COLUMNS,
    EMPLOYMENT_TYPES,
    ORIGIN_TYPES,
    PAY_BASES,
    REQUIRED,
    SETTINGS,
    annualise,
    read_samples,
)
from pipeline.sources.compensation_samples.tables import TABLES  # noqa: F401  (its staging tables)
from pipeline.sources.errors import SourceFileError

SOURCE_ID = "compensation_samples"
ORDER = 60  # a refresh takes the sources in this order
ASSET_NAME = "raw_comp__samples"
STAGING_STEP = "stg_comp"
TITLE = "Compensation samples (pay observations kept by the maintainers, with provenance per row)"
# No official page: every row cites where its pay was seen.
OFFICIAL_PAGE_URL = None
HOLDS = "data"  # numbers, not documents: the "Not in this build" note words its absence so
LICENSE = (
    "Compiled by the project's maintainers; each observation remains subject to the terms of its origin "
    "(origin_reference)"
)
CITATION = (
    "occupation-market-book maintainers, compensation samples "
    "(warehouse/seeds/compensation_samples.csv); see each row's origin_reference"
)
FILENAME = "compensation_samples.csv"
REPOSITORY_URL = "repository:warehouse/seeds/compensation_samples.csv"


def csv_path() -> Path:
    return Path(os.environ.get("COMPENSATION_SAMPLES_CSV") or PROJECT_ROOT / "warehouse" / "seeds" / FILENAME)


def _store_file(store, path: Path, *, refresh: bool) -> SnapshotMeta:
    """The repository's CSV as a snapshot: the same record whether a refresh or an offline build stores it, but
    for its retrieval time, which only a refresh records (``base.retrieval_time``)."""
    return store.put_file(
        path,
        source_id=SOURCE_ID,
        part=FILENAME,
        filename=FILENAME,
        url=REPOSITORY_URL,
        retrieved_at=retrieval_time(refresh=refresh),
        origin="repository",
        relation="identical",
        license=LICENSE,
        citation=CITATION,
    )


def offline_snapshots(store) -> list:
    """The file as it is in the repository now; a build uses it only if it still hashes to the pinned bytes.

    A build of a lock that pins no samples file uses it as it is, unpinned: no retrieval time (no refresh took
    it), and its row count when it reads as a samples file (the store's sidecar is left as it is: the store is
    shared with editions that pin these bytes).
    """
    path = csv_path()
    if not path.is_file():
        return []
    snap = _store_file(store, path, refresh=False)
    try:
        return [dataclasses.replace(snap, rows=validate(store.object_path(snap.sha256), snap))]
    except SourceFileError:
        return [snap]  # an invalid file: the staging step reports what is wrong with it


def fetch(ctx: FetchContext) -> FetchResult:
    """Snapshot the repository's CSV. An invalid CSV is reported unreachable, so a refresh keeps the old pin."""
    result = FetchResult()
    path = csv_path()
    try:
        if not path.is_file():
            raise SourceFileError(
                FILENAME,
                f"not found at {path}.",
                "Restore it from git (header only is fine) or unset COMPENSATION_SAMPLES_CSV.",
            )
        read_samples(path)
    except SourceFileError as exc:
        result.unreachable[FILENAME] = str(exc)
        ctx.progress(f"  compensation_samples.csv: invalid, previous pin kept: {exc}")
        return result
    meta = _store_file(ctx.store, path, refresh=True)
    try:
        meta = keep_valid(ctx.store, meta, validate)
    except SourceFileError as exc:  # the file changed between the check and the copy
        result.unreachable[FILENAME] = str(exc)
        ctx.progress(f"  compensation_samples.csv: invalid, previous pin kept: {exc}")
        return result
    result.snapshots.append(meta)
    ctx.progress(f"  compensation_samples.csv: {meta.rows} samples")
    return result


def validate(path: Path, meta: SnapshotMeta) -> int:
    return len(read_samples(path, filename=meta.filename))
