"""What a published catalogue stores once: the theme's static files that every occupation's book carries.

Each book of a catalogue site (``site/<SOC>/``) is a complete Jupyter Book with its own ``_static/`` folder, about
7 MB of theme CSS, JavaScript, fonts and icons that are byte for byte the same in every book. Published, those
files go once to ``_shared/_static/`` beside the books, and each book's HTML links there instead (relative links,
so a local copy of the published edition reads offline as the site does). A file is shared only when every book
of the site has it with the same bytes, so a book never gets another book's data (its ``_static/data/`` CSVs
differ) and a stylesheet moved to ``_shared`` finds what it refers to (fonts, icons) moved with it.

A site that is a single book shares nothing: it is published as it was built.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED_DIR = "_shared"
STATIC_DIR = "_static"

# Sphinx and the theme refer to their static files from src and href attributes only (checked on a built book:
# no inline style or script names a _static path).
_LINK = re.compile(rb"""(\s(?:src|href)=)(["'])([^"'<>]*)\2""")


@dataclass(frozen=True)
class SiteFile:
    """One file of the publication: where it goes under the edition, the local file it comes from, its hash."""

    path: str  # posix, relative to the edition's folder
    source: Path
    sha256: str
    size_bytes: int
    book: str | None = None  # set for a book's HTML whose links to shared files are rewritten

    def content(self, shared: frozenset[str]) -> bytes:
        data = self.source.read_bytes()
        if self.book is None:
            return data
        return rewrite_links(data, self.path, self.book, shared)


@dataclass(frozen=True)
class SitePlan:
    """Every file to publish, and which of the books' ``_static`` files (paths under it) are stored once."""

    files: list[SiteFile]
    books: list[str]
    shared: frozenset[str]


def books_in(site: Path) -> list[str]:
    """The occupations' books inside a catalogue site: the folders that hold a book of their own."""
    return sorted(
        d.name
        for d in site.iterdir()
        if d.is_dir() and d.name != SHARED_DIR and (d / "index.html").is_file() and (d / STATIC_DIR).is_dir()
    )


def plan_site(site: Path) -> SitePlan:
    """The files of ``site`` as they are to be published, with the theme files the books share stored once."""
    books = books_in(site)
    hashes = {book: _hashes(site / book / STATIC_DIR) for book in books}
    shared = _shared_by_all(hashes) if len(books) > 1 else frozenset()
    files: list[SiteFile] = []
    for source in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = source.relative_to(site).as_posix()
        book, _, inside = rel.partition("/")
        if book in hashes and inside.startswith(STATIC_DIR + "/"):
            static_rel = inside.removeprefix(STATIC_DIR + "/")
            if static_rel in shared:
                continue  # stored once, under _shared/, below
            files.append(SiteFile(rel, source, hashes[book][static_rel], source.stat().st_size))
        elif book in hashes and shared and source.suffix == ".html":
            data = rewrite_links(source.read_bytes(), rel, book, shared)
            files.append(SiteFile(rel, source, hashlib.sha256(data).hexdigest(), len(data), book=book))
        else:
            files.append(SiteFile(rel, source, _sha256(source), source.stat().st_size))
    if shared:
        first = site / books[0] / STATIC_DIR
        for static_rel in sorted(shared):
            source = first / static_rel
            files.append(
                SiteFile(
                    f"{SHARED_DIR}/{STATIC_DIR}/{static_rel}",
                    source,
                    hashes[books[0]][static_rel],
                    source.stat().st_size,
                )
            )
    return SitePlan(files=files, books=books, shared=shared)


def rewrite_links(html: bytes, path: str, book: str, shared: frozenset[str]) -> bytes:
    """Point a book's links to its shared ``_static`` files at ``_shared/_static`` (``path``: the page's place
    under the edition, e.g. ``29-1122/notebooks/trend.html``). Other links are left byte for byte."""
    page_dir = posixpath.dirname(path)

    def relink(match: re.Match[bytes]) -> bytes:
        link = match.group(3).decode("utf-8", "surrogateescape")
        target, suffix = _split_suffix(link)
        if not target or "://" in target or target.startswith(("/", "#", "data:", "mailto:", "javascript:")):
            return match.group(0)
        resolved = posixpath.normpath(posixpath.join(page_dir, target))
        static_prefix = f"{book}/{STATIC_DIR}/"
        if not resolved.startswith(static_prefix) or resolved.removeprefix(static_prefix) not in shared:
            return match.group(0)
        moved = f"{SHARED_DIR}/{STATIC_DIR}/{resolved.removeprefix(static_prefix)}"
        new = posixpath.relpath(moved, page_dir or ".") + suffix
        return match.group(1) + match.group(2) + new.encode("utf-8", "surrogateescape") + match.group(2)

    return _LINK.sub(relink, html)


def _split_suffix(link: str) -> tuple[str, str]:
    """``styles/theme.css?digest=ab#x`` -> (``styles/theme.css``, ``?digest=ab#x``)."""
    cut = min((i for i in (link.find("?"), link.find("#")) if i >= 0), default=len(link))
    return link[:cut], link[cut:]


def _shared_by_all(hashes: dict[str, dict[str, str]]) -> frozenset[str]:
    books = iter(hashes.values())
    first = next(books)
    common = {rel for rel in first}
    for other in books:
        common = {rel for rel in common if other.get(rel) == first[rel]}
    return frozenset(common)


def _hashes(static: Path) -> dict[str, str]:
    return {p.relative_to(static).as_posix(): _sha256(p) for p in _files(static)}


def _files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
