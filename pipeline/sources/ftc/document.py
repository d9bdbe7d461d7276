"""An FTC page as a document: the check that a stored body is an HTML page with a title, and its plain-text
title, publication date and excerpt.

Safety: nothing from the HTML may reach the book as markup. ``extract_document`` returns plain text only;
whoever renders it must still escape it like any other text.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.errors import SourceFileError

EXCERPT_CHARS = 4000
# Elements whose content is never reader-visible text (or is active content).
_NON_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head")
# Text that still looks like a tag after parsing (e.g. a page showing escaped markup) is dropped as well, so the
# excerpt is harmless even for a consumer that forgets to escape it.
_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")


def validate(path: Path, meta: SnapshotMeta) -> int:
    """One document per page; refuse a body that is not an HTML page, or a page without a title."""
    raw = Path(path).read_bytes()
    if b"\x00" in raw[:4096]:
        raise SourceFileError(
            meta.filename, "is binary, not an HTML page.", "The server (or mirror) sent something else: check the URL."
        )
    soup = _soup(raw)
    # html.parser invents no elements, so an <html> or <body> tag must really be there: this refuses XML feeds,
    # JSON, PDFs and plain text that merely contain a '<'.
    if soup.find(["html", "body"]) is None:
        raise SourceFileError(
            meta.filename,
            f"is not an HTML page (it starts {raw[:60]!r}).",
            "The server (or mirror) sent something else: check the URL.",
        )
    if not _title(soup):
        raise SourceFileError(
            meta.filename,
            "is an HTML page without a title (no og:title, <title> or <h1>).",
            "Probably an error or block page rather than the FTC document.",
        )
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
    candidates = [_attribute_text(og, "content")]
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


def _attribute_text(tag, name: str) -> str | None:
    """A single-valued attribute's text (bs4 gives a list only for multi-valued ones such as class), None if absent."""
    value = tag.get(name) if tag else None
    return value if isinstance(value, str) else None


def _published_date(soup: BeautifulSoup) -> str | None:
    meta = soup.find("meta", attrs={"property": "article:published_time"})
    candidates = [_attribute_text(meta, "content")]
    candidates += [_attribute_text(t, "datetime") for t in soup.find_all("time")]
    for value in candidates:
        try:
            return date.fromisoformat((value or "").strip()[:10]).isoformat()
        except ValueError:
            continue
    return None
