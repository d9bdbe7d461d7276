"""FTC non-compete rule (16 CFR Part 910): the FTC's own pages, kept as document snapshots.

This source is event data, not a table: each page is stored byte for byte, and its title and publication date
are recorded in the snapshot's ``extra`` so the book can cite it without reparsing. Facts the book states (the
rule was set aside nationwide on 2024-08-20 in *Ryan LLC v. FTC*; on 2025-09-05 the FTC dropped its appeals and
acceded to the vacatur) come from these pages, not from scraping.

Safety: nothing from the HTML may reach the book as markup: see document.py.
"""

from __future__ import annotations

import dataclasses

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.ftc.document import EXCERPT_CHARS, extract_document, validate  # noqa: F401
from pipeline.sources.ftc.load import load_staging  # noqa: F401  (its loader)
from pipeline.sources.ftc.tables import TABLES  # noqa: F401  (its staging tables)

SOURCE_ID = "ftc"
TITLE = "FTC non-compete clause rule (16 CFR Part 910): rule page and press releases"
ORDER = 70  # a refresh takes the sources in this order
ASSET_NAME = "raw_ftc__noncompete_documents"
STAGING_STEP = "stg_ftc"
OFFICIAL_PAGE_URL = "https://www.ftc.gov/legal-library/browse/rules/noncompete-rule"  # a source line links to it
HOLDS = "documents"  # pages of text, not numbers: the "Not in this build" note words its absence so
LICENSE = "Public domain (U.S. Government work, Federal Trade Commission)"
CITATION = "U.S. Federal Trade Commission, Non-Compete Clause Rule, 16 CFR Part 910, https://www.ftc.gov/"

# (part, path under setting("ftc_www_url")). The part slug names the snapshot in sources.lock.
PAGES: tuple[tuple[str, str], ...] = (
    ("rule_page", "/legal-library/browse/rules/noncompete-rule"),
    (
        "final_rule_press_release_2024_04",
        "/news-events/news/press-releases/2024/04/ftc-announces-rule-banning-noncompetes",
    ),
    (
        "accede_vacatur_press_release_2025_09",
        "/news-events/news/press-releases/2025/09/federal-trade-commission-files-accede-vacatur-non-compete-clause-rule",
    ),
)


def fetch(ctx: FetchContext) -> FetchResult:
    """Fetch each page in PAGES; a page that fails is reported unreachable and the others go on."""
    result = FetchResult()
    base = setting("ftc_www_url").rstrip("/")
    for part, rel_path in PAGES:
        url = base + rel_path
        try:
            snaps = ctx.get(
                url,
                source_id=SOURCE_ID,
                part=part,
                filename=f"{part}.html",
                license=LICENSE,
                citation=CITATION,
                expect="html",
            )
            result.snapshots.extend(_validated(ctx, snaps))
        except (FetchError, SourceFileError) as exc:
            result.unreachable[part] = str(exc)
            ctx.progress(f"  {part}: not reached: {exc}")
            continue
        ctx.progress(f"  {part}: {result.snapshots[-1].extra.get('title')!r}")
    return result


def _validated(ctx: FetchContext, snaps: list[SnapshotMeta]) -> list[SnapshotMeta]:
    """Validate every snapshot of one part and record title, date and rows; all of them or none are kept."""
    done = []
    try:
        for snap in snaps:
            path = ctx.store.object_path(snap.sha256)
            rows = validate(path, snap)
            doc = extract_document(path)
            snap = dataclasses.replace(
                snap, rows=rows, extra={**snap.extra, "title": doc["title"], "published_date": doc["published_date"]}
            )
            ctx.store.write_meta(snap)
            done.append(snap)
    except SourceFileError:
        for snap in snaps:
            ctx.store.discard(snap.sha256)
        raise
    return done
