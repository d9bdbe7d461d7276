"""Where a published edition keeps each occupation's book: one layout, whether it was published as a catalogue or
as a single book (pipeline/publish.py).

    <url>/<edition>/index.html                    the edition's front door: a catalogue's landing page, or for a
                                                  single book a redirect to that book
    <url>/<edition>/<SOC>/index.html              each occupation's book as Jupyter Book built it
    <url>/<edition>/<SOC>/notebooks/<page>.html   its pages

So a page can link the same page of another edition without knowing how either edition was published, with a
relative link that works on any host and offline in a downloaded copy of the whole publication (the What changed
page links the earlier editions this way; the publisher checks that they are there).
"""

from __future__ import annotations

import posixpath

PAGES_DIR = "notebooks"  # where Jupyter Book puts a book's pages, under the book's folder
FRONT_PAGE = "index.html"


def book_dir(edition: str, soc: str) -> str:
    return f"{edition}/{soc}"


def front_page_path(edition: str, soc: str) -> str:
    return f"{book_dir(edition, soc)}/{FRONT_PAGE}"


def page_path(edition: str, soc: str, page: str) -> str:
    """``page_path("2026Q4", "29-1122", "what_changed")`` -> ``2026Q4/29-1122/notebooks/what_changed.html``."""
    return f"{book_dir(edition, soc)}/{PAGES_DIR}/{page}.html"


def relative_link(from_path: str, to_path: str) -> str:
    """The link from one published file to another, both given relative to the publication's root."""
    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def link_target(from_path: str, href: str) -> str | None:
    """Where a relative link of the published file ``from_path`` leads, relative to the publication's root; None
    for an absolute URL, an in-page anchor, or a link that climbs above the root (not a file of this
    publication)."""
    target = href.split("#", 1)[0].split("?", 1)[0]
    if not target or "://" in target or target.startswith(("/", "data:", "mailto:", "javascript:")):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), target))
    return None if resolved == ".." or resolved.startswith("../") else resolved
