"""Cited facts: what no statistical source holds (a court ruling, a licensing rule), each with its document.

The book shows only numbers that came through the pipeline; a fact such as "the court set the rule aside on
2024-08-20" comes from a document, not a data set. Such facts live in seed files in the repository, one row per
fact with the official document it comes from and the date a maintainer checked it, and are pinned like any other
source, so a page can cite them with a snapshot hash and a lineage entry:

=============================================  ==========================================================
file (warehouse/seeds/)                        columns (all required)
=============================================  ==========================================================
``regulatory_timeline.csv``                    event_date, event, citation, url, checked_on
``entry_requirements.csv``                     soc_code, fact, citing_body, citation, url, checked_on
=============================================  ==========================================================

``url`` is the https address of the official document (the Federal Register, an agency page, a court record);
dates are YYYY-MM-DD and not in the future. ``facts.read_facts`` checks every row and names file, line and field
of each problem; a refresh never pins a file that fails, and keeps the previous pin of that file instead.

The env var CITED_FACTS_DIR points the source at another folder holding the files (for tests).

Times: a refresh records when it pinned each file (the lock's ``retrieved_at``, kept for as long as the bytes do
not change). A build takes every snapshot's metadata from the lock, so no clock time reaches a table or a page.
Only a build with no pin at all reads the files straight from the repository, with no retrieval time
(``base.retrieval_time``), so two such builds of the same files are the same.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pipeline.settings import PROJECT_ROOT
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult, keep_valid, retrieval_time
from pipeline.sources.cited_facts.facts import (  # noqa: F401  (the files and their reader)
    BY_FILENAME,
    ENTRY_REQUIREMENTS,
    FACT_FILES,
    TIMELINE,
    FactFile,
    is_https_url,
    read_facts,
)
from pipeline.sources.cited_facts.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.cited_facts.tables import (  # noqa: F401  (its staging tables)
    ENTRY_REQUIREMENTS_TABLE,
    REGULATORY_TIMELINE,
    TABLES,
)
from pipeline.sources.errors import SourceFileError

SOURCE_ID = "cited_facts"
# Each table comes from one file: its lineage names that file's snapshot alone.
TABLE_PARTS = {
    REGULATORY_TIMELINE.name: TIMELINE.filename,
    ENTRY_REQUIREMENTS_TABLE.name: ENTRY_REQUIREMENTS.filename,
}
ORDER = 75  # a refresh takes the sources in this order
ASSET_NAME = "raw_facts__seed_files"
STAGING_STEP = "stg_facts"
TITLE = "Cited facts (court rulings, rules and entry requirements, each with its official document)"
LICENSE = "Compiled by the project's maintainers; each fact remains subject to the terms of the document it cites (url)"
CITATION = (
    "occupation-market-book maintainers, cited facts (warehouse/seeds/regulatory_timeline.csv, "
    "warehouse/seeds/entry_requirements.csv); see each row's citation and url"
)
# No one official page: every row links its own document.
OFFICIAL_PAGE_URL = None
# Statements with their documents, not numbers: the "Not in this build" note words its absence so.
HOLDS = "documents"


def seeds_dir() -> Path:
    return Path(os.environ.get("CITED_FACTS_DIR") or PROJECT_ROOT / "warehouse" / "seeds")


def repository_url(spec: FactFile) -> str:
    return f"repository:warehouse/seeds/{spec.filename}"


def _store_file(store, path: Path, spec: FactFile, *, refresh: bool) -> SnapshotMeta:
    """A file as a snapshot: the same record whether a refresh or an offline build stores it, but for its
    retrieval time, which only a refresh records."""
    return store.put_file(
        path,
        source_id=SOURCE_ID,
        part=spec.filename,
        filename=spec.filename,
        url=repository_url(spec),
        retrieved_at=retrieval_time(refresh=refresh),
        origin="repository",
        relation="identical",
        license=LICENSE,
        citation=CITATION,
    )


def offline_snapshots(store) -> list[SnapshotMeta]:
    """The files as they are in the repository now; a build uses one only if it hashes to the pinned bytes.

    When the bytes are pinned, the build replaces this metadata with the lock's (pipeline/snapshots.py). A build of
    a lock that pins none uses them as they are: no retrieval time, and the row count when a file reads as valid.
    """
    found = []
    for spec in FACT_FILES:
        path = seeds_dir() / spec.filename
        if not path.is_file():
            continue
        snap = _store_file(store, path, spec, refresh=False)
        try:
            found.append(dataclasses.replace(snap, rows=validate(store.object_path(snap.sha256), snap)))
        except SourceFileError:
            found.append(snap)  # an invalid file: the staging step reports what is wrong with it
    return found


def fetch(ctx: FetchContext) -> FetchResult:
    """Snapshot each file; one that is missing or invalid is reported unreachable, so its previous pin stays."""
    result = FetchResult()
    for spec in FACT_FILES:
        path = seeds_dir() / spec.filename
        try:
            if not path.is_file():
                raise SourceFileError(
                    spec.filename,
                    f"not found at {path}.",
                    "Restore it from git (the header alone is fine) or unset CITED_FACTS_DIR.",
                )
            read_facts(path, spec)
            # The moment of pinning: the lock keeps it for as long as these bytes stay pinned.
            meta = keep_valid(ctx.store, _store_file(ctx.store, path, spec, refresh=True), validate)
        except SourceFileError as exc:
            result.unreachable[spec.filename] = str(exc)
            ctx.progress(f"  {spec.filename}: invalid, previous pin kept: {exc}")
            continue
        result.snapshots.append(meta)
        ctx.progress(f"  {spec.filename}: {meta.rows} {spec.what}{'' if meta.rows == 1 else 's'}")
    return result


def validate(path: Path, meta: SnapshotMeta) -> int:
    spec = BY_FILENAME.get(meta.part or meta.filename)
    if spec is None:
        raise SourceFileError(meta.filename, f"is not one of the cited-facts files ({', '.join(BY_FILENAME)}).")
    return len(read_facts(path, spec, filename=meta.filename))
