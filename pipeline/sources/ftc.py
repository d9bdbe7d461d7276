"""FTC non-compete rule (16 CFR Part 910): the FTC's own pages, kept as document snapshots.

This source is event data, not a table: each page is stored byte for byte, and its title and publication date
are recorded in the snapshot's ``extra`` so the book can cite it without reparsing. Facts the book states (the
rule was set aside nationwide on 2024-08-20 in *Ryan LLC v. FTC*; on 2025-09-05 the FTC dropped its appeals and
acceded to the vacatur) come from these pages, not from scraping.

Safety: nothing from the HTML may reach the book as markup. ``extract_document`` returns plain text only;
whoever renders it must still escape it like any other text.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult
from pipeline.sources.errors import FetchError, SourceFileError

SOURCE_ID = "ftc"
TITLE = "FTC non-compete clause rule (16 CFR Part 910): rule page and press releases"
LICENSE = "Public domain (U.S. Government work, Federal Trade Commission)"
CITATION = "U.S. Federal Trade Commission, Non-Compete Clause Rule, 16 CFR Part 910, https://www.ftc.gov/"

# (part, path under setting("ftc_www_url")). The part slug names the snapshot in sources.lock.
PAGES: tuple[tuple[str, str], ...] = (
    ("rule_page", "/legal-library/browse/rules/noncompete-rule"),
    ("final_rule_press_release_2024_04",
     "/news-events/news/press-releases/2024/04/ftc-announces-rule-banning-noncompetes"),
    ("accede_vacatur_press_release_2025_09",
     "/news-events/news/press-releases/2025/09/federal-trade-commission-files-accede-vacatur-non-compete-clause-rule"),
)

EXCERPT_CHARS = 4000
# Elements whose content is never reader-visible text (or is active content).
_NON_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head")
# Text that still looks like a tag after parsing (e.g. a page showing escaped markup) is dropped as well, so the
# excerpt is harmless even for a consumer that forgets to escape it.
_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")


def fetch(ctx: FetchContext) -> FetchResult:
    """Fetch each page in PAGES; a page that fails is reported unreachable and the others go on."""
    result = FetchResult()
    base = setting("ftc_www_url").rstrip("/")
    for part, rel_path in PAGES:
        url = base + rel_path
        try:
            snaps = ctx.get(url, source_id=SOURCE_ID, part=part, filename=f"{part}.html", license=LICENSE,
                            citation=CITATION, expect="html")
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
            snap = dataclasses.replace(snap, rows=rows, extra={
                **snap.extra, "title": doc["title"], "published_date": doc["published_date"]})
            ctx.store.write_meta(snap)
            done.append(snap)
    except SourceFileError:
        for snap in snaps:
            ctx.store.discard(snap.sha256)
        raise
    return done


def validate(path: Path, meta: SnapshotMeta) -> int:
    """One document per page; refuse a body that is not an HTML page, or a page without a title."""
    raw = Path(path).read_bytes()
    if b"\x00" in raw[:4096]:
        raise SourceFileError(meta.filename, "is binary, not an HTML page.",
                              "The server (or mirror) sent something else: check the URL.")
    soup = _soup(raw)
    # html.parser invents no elements, so an <html> or <body> tag must really be there: this refuses XML feeds,
    # JSON, PDFs and plain text that merely contain a '<'.
    if soup.find(["html", "body"]) is None:
        raise SourceFileError(meta.filename, f"is not an HTML page (it starts {raw[:60]!r}).",
                              "The server (or mirror) sent something else: check the URL.")
    if not _title(soup):
        raise SourceFileError(meta.filename, "is an HTML page without a title (no og:title, <title> or <h1>).",
                              "Probably an error or block page rather than the FTC document.")
    return 1


def extract_document(path: Path) -> dict:
    """Plain-text ``title``, ``published_date`` (ISO date or None) and ``text_excerpt`` of a stored page."""
    soup = _soup(Path(path).read_bytes())
    title = _title(soup)
    published = _published_date(soup)
    for tag in soup.find_all(_NON_TEXT):
        tag.decompose()
    root = soup.find("main") or soup.find("body") or soup
    text = _plain(root.get_text(" "))
    if len(text) > EXCERPT_CHARS:
        text = text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return {"title": title, "published_date": published, "text_excerpt": text}


def _soup(raw: bytes) -> BeautifulSoup:
    return BeautifulSoup(raw, "html.parser")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG_LIKE.sub(" ", text)).strip()


def _title(soup: BeautifulSoup) -> str:
    og = soup.find("meta", attrs={"property": "og:title"})
    candidates = [og.get("content") if og else None]
    if soup.title is not None:
        candidates.append(soup.title.get_text(" "))
    h1 = soup.find("h1")
    if h1 is not None:
        candidates.append(h1.get_text(" "))
    for value in candidates:
        # An attribute value is raw text that may itself hold markup: parse it once more and keep only its text.
        plain = _plain(BeautifulSoup(value, "html.parser").get_text(" ")) if value else ""
        if plain:
            return plain
    return ""


def _published_date(soup: BeautifulSoup) -> str | None:
    meta = soup.find("meta", attrs={"property": "article:published_time"})
    candidates = [meta.get("content") if meta else None]
    candidates += [t.get("datetime") for t in soup.find_all("time")]
    for value in candidates:
        try:
            return date.fromisoformat((value or "").strip()[:10]).isoformat()
        except ValueError:
            continue
    return None

from pipeline.sources.ftc_load import load_staging  # noqa: E402
