"""Publish a built book or catalogue to any fsspec URL, under its edition, then point `latest` at it.

Run it as `python -m pipeline.publish <url>` (`make publish URL=...`). It publishes the catalogue site
(BUILD_DIR/site, `make catalog`), or with SOC set that occupation's book (BUILD_DIR/<SOC>/html), or when no
catalogue was built the default occupation's book. EDITION names an earlier edition built beside the live one.

Layout under <url> (s3://bucket/prefix, gs://..., file:///..., or a local folder), the same for a catalogue and a
single book, so a page knows where any edition's page of its occupation is (pipeline/publication_layout.py):
  <edition>/<SOC>/...                each occupation's book as built (pages under <SOC>/notebooks/)
  <edition>/index.html               a catalogue's landing page; for a single book, a redirect to <SOC>/index.html
  <edition>/_shared/_static/...      a catalogue's theme files, stored once for all its books (pipeline/site_sharing)
  <edition>/publish-manifest.json    every file of the edition with its SHA-256, written once all are verified
  latest.json                        which edition is the current one, and every edition published here
  index.html                         a redirect page that sends a reader's browser to the latest edition's front
                                     page (<edition>/index.html, or a single book's <edition>/<SOC>/index.html)

Nothing a reader can reach changes until the new edition is complete: every file is uploaded, then read back and
compared by SHA-256 with the local bytes, then the manifest is written, and only then do latest.json and the
redirect move. A failed or interrupted upload leaves `latest` on the previous edition, whose files it never
touches (each edition has its own prefix). A published edition is not overwritten with different files (that
would change pages under a reader's eyes): publish a new edition, or pass --replace knowingly. Publishing an
earlier edition (EDITION=...) adds it at its own path and leaves `latest` alone (latest.json's list of editions
gains it).

Each book's What changed page links the earlier editions' What changed pages, relatively, at their places in this
layout. Before uploading, the publisher reads where those links lead and looks for each linked edition's manifest
at the URL: an edition that is not published there (or lacks the linked page) gets one warning line with the
command that publishes it. It is a warning, not a stop: the first publication at a new URL has no earlier
edition there yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import html
import json
import os
import posixpath
import re
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.lock_files import EDITION_PATTERN, edition_key
from pipeline.publication_layout import front_page_path, link_target
from pipeline.settings import Paths, paths, setting
from pipeline.site_sharing import SiteFile, SitePlan, plan_site

PUBLICATION_FORMAT = "occupation-book-publication/1"
MANIFEST_NAME = "publish-manifest.json"
LATEST_NAME = "latest.json"
REDIRECT_NAME = "index.html"
# Names an edition cannot take: they are the publication's own files and folders.
RESERVED = {LATEST_NAME, REDIRECT_NAME, "_shared"}
EDITION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Files per upload or read-back call: object stores handle one call's list concurrently.
BATCH_FILES = 64
# The page whose links to earlier editions are checked (book/notebooks/what_changed.md).
WHAT_CHANGED_HTML = "what_changed.html"
_HREF = re.compile(rb"""\shref=(["'])([^"'<>]*)\1""")


class PublishError(RuntimeError):
    """The publication was refused or did not verify; `latest` still points where it did."""


@dataclass(frozen=True)
class Published:
    edition: str
    files: int
    size_bytes: int
    uploaded: int
    latest_moved: bool
    previous_latest: str | None
    front_page: str = ""  # the edition's front page, relative to the URL (where the root redirect sends readers)
    link_warnings: tuple[str, ...] = ()  # linked earlier editions the URL does not serve (printed as well)


def publish(
    site: Path,
    url: str,
    edition: str,
    *,
    book: str | None = None,
    move_latest: bool = True,
    replace: bool = False,
) -> Published:
    """Upload ``site`` to ``<url>/<edition>/``, verify it, then (``move_latest``) point `latest` at it.

    ``site`` is a catalogue, or with ``book`` (its SOC code) that occupation's book, which goes to
    ``<url>/<edition>/<book>/`` as a catalogue's books do.
    """
    _check_edition_name(edition)
    if not (site / "index.html").is_file():
        raise PublishError(f"{site} holds no built site (no index.html): build it first (`make book`/`make catalog`).")
    if book is not None and (not EDITION_NAME.fullmatch(book) or book in RESERVED):
        raise PublishError(f"{book!r} cannot name a book's folder (letters, digits, '.', '_', '-' only).")
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="publish-") as scratch:
        plan = plan_publication(site, edition, book, Path(scratch))
        warnings = linked_edition_warnings(fs, root, url, edition, plan, book=book)
        for line in warnings:
            print(line, file=sys.stderr)
        result = _publish_plan(fs, root, url, edition, plan, move_latest=move_latest, replace=replace)
    front = front_page_path(edition, book) if book else f"{edition}/{REDIRECT_NAME}"
    if move_latest:
        _move_latest(fs, root, edition, result.previous_latest, front)
    else:
        _list_in_latest(fs, root)
    return dataclasses.replace(result, front_page=front, link_warnings=tuple(warnings))


def plan_publication(site: Path, edition: str, book: str | None, scratch: Path) -> SitePlan:
    """The files to publish, relative to the edition's folder: a catalogue as built (its books' shared theme
    stored once), or a single book under ``<book>/`` with a redirect to it as the edition's index.html (written
    in ``scratch``), so both lay an occupation's pages out at ``<edition>/<SOC>/notebooks/``."""
    plan = plan_site(site)
    if book is None:
        return plan
    redirect = scratch / REDIRECT_NAME
    redirect.write_text(redirect_page(edition, f"{book}/{REDIRECT_NAME}"))
    files = [dataclasses.replace(f, path=f"{book}/{f.path}") for f in plan.files]
    files.append(SiteFile(REDIRECT_NAME, redirect, _sha256(redirect), redirect.stat().st_size))
    return SitePlan(files=files, books=[book], shared=frozenset())


def _publish_plan(
    fs, root: str, url: str, edition: str, plan: SitePlan, *, move_latest: bool, replace: bool
) -> Published:
    """Upload and verify the edition's files and write its manifest; `latest` is the caller's to move."""
    prefix = f"{root}/{edition}"
    wanted = {f"{prefix}/{f.path}": f for f in plan.files}
    manifest = _manifest(plan, edition)

    earlier = _read_json(fs, f"{prefix}/{MANIFEST_NAME}")
    if earlier is not None and earlier.get("files") != manifest["files"] and not replace:
        raise PublishError(
            f"edition {edition} is already published at {url}/{edition} with other files; a published edition "
            "is not changed under its readers. Publish the new build as a new edition, or pass --replace."
        )
    present = _sizes(fs, prefix)
    if earlier is not None and earlier.get("files") == manifest["files"]:
        # Published before with these very files: only repair what is missing; the read-back checks the rest.
        todo = [f for remote, f in wanted.items() if present.get(remote) != f.size_bytes]
    else:
        todo = plan.files
    _upload(fs, prefix, todo, plan.shared, local="file" in _protocols(fs))
    _verify(fs, prefix, plan.files)
    stale = sorted(set(present) - set(wanted) - {f"{prefix}/{MANIFEST_NAME}"})
    if stale:
        fs.rm(stale)  # files of an interrupted or replaced upload of this edition; no manifest lists them
    manifest_bytes = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    _write(fs, f"{prefix}/{MANIFEST_NAME}", manifest_bytes)
    if fs.cat_file(f"{prefix}/{MANIFEST_NAME}") != manifest_bytes:
        raise PublishError(f"{url}/{edition}/{MANIFEST_NAME} did not read back as written")

    latest = _read_json(fs, f"{root}/{LATEST_NAME}") or {}
    previous = latest.get("edition")
    return Published(edition, len(plan.files), sum(f.size_bytes for f in plan.files), len(todo), move_latest, previous)


def linked_edition_warnings(
    fs, root: str, url: str, edition: str, plan: SitePlan, *, book: str | None = None
) -> list[str]:
    """One line for each earlier edition that this edition's What changed pages link and ``url`` does not serve:
    it has no manifest there (its upload never completed, or it was never published), or its manifest lacks a
    linked page. Newest edition first. The command it names publishes what this publication is: the catalogue,
    or the same occupation's book (SOC=...)."""
    linked: dict[str, set[str]] = {}
    for f in plan.files:
        if posixpath.basename(f.path) != WHAT_CHANGED_HTML:
            continue
        here = f"{edition}/{f.path}"
        for _, href in _HREF.findall(f.source.read_bytes()):
            target = link_target(here, html.unescape(href.decode("utf-8", "replace")))
            other, _, inside = (target or "").partition("/")
            if inside and other != edition:
                linked.setdefault(other, set()).add(inside)
    command = (f"SOC={book} " if book else "") + f"make publish URL={shlex.quote(url)}"
    lines = []
    for other in sorted(linked, key=_edition_order, reverse=True):
        manifest = _read_json(fs, f"{root}/{other}/{MANIFEST_NAME}")
        if manifest is None:
            lines.append(
                f"WARNING: the What changed pages link edition {other}, which is not published at {url}; "
                f"publish it (once built) with: EDITION={other} {command}"
            )
            continue
        absent = sorted(linked[other] - set(manifest.get("files", {})))
        if absent:
            more = f" and {len(absent) - 1:,} more" if len(absent) > 1 else ""
            lines.append(
                f"WARNING: the What changed pages link {other}/{absent[0]}{more}, which edition {other} as "
                f"published at {url} does not hold; publish its books again with: "
                f"EDITION={other} python -m pipeline.publish --replace -- {shlex.quote(url)}"
            )
    return lines


def _edition_order(name: str) -> tuple:
    return (1, *edition_key(name), name) if EDITION_PATTERN.match(name) else (0, 0, 0, 0, name)


def published_editions(fs, root: str) -> list[str]:
    """Every edition under ``root`` whose upload completed (it has a manifest)."""
    found = fs.glob(f"{root}/*/{MANIFEST_NAME}")
    return sorted(p.removeprefix(root + "/").split("/")[0] for p in found)


def _manifest(plan: SitePlan, edition: str) -> dict:
    return {
        "format": PUBLICATION_FORMAT,
        "edition": edition,
        "books": plan.books,
        "shared_static_files": len(plan.shared),
        "files": {f.path: {"sha256": f.sha256, "bytes": f.size_bytes} for f in plan.files},
    }


def _upload(fs, prefix: str, files: list[SiteFile], shared: frozenset[str], *, local: bool) -> None:
    if local:  # a local folder: fsspec writes a file only where its folder exists
        for folder in sorted({os.path.dirname(f"{prefix}/{f.path}") for f in files}):
            fs.makedirs(folder, exist_ok=True)
    for start in range(0, len(files), BATCH_FILES):
        _upload_batch(fs, prefix, files[start : start + BATCH_FILES], shared)


def _upload_batch(fs, prefix: str, files: list[SiteFile], shared: frozenset[str]) -> None:
    """One call per kind: plain copies with put (concurrent on object stores), rewritten pages with pipe."""
    copies = [f for f in files if f.book is None]
    pages = [f for f in files if f.book is not None]
    if copies:
        fs.put([str(f.source) for f in copies], [f"{prefix}/{f.path}" for f in copies])
    if pages:
        fs.pipe({f"{prefix}/{f.path}": f.content(shared) for f in pages})


def _verify(fs, prefix: str, files: list[SiteFile]) -> None:
    """Read every published file back and compare its SHA-256 with the local bytes'."""
    for start in range(0, len(files), BATCH_FILES):
        batch = files[start : start + BATCH_FILES]
        remote = [f"{prefix}/{f.path}" for f in batch]
        bodies = fs.cat(remote, on_error="return")
        for path, f in zip(remote, batch, strict=True):
            body = bodies.get(path)
            if not isinstance(body, bytes):
                raise PublishError(f"{path} could not be read back after its upload ({body!r})")
            if hashlib.sha256(body).hexdigest() != f.sha256:
                raise PublishError(f"{path} does not hold the bytes uploaded (SHA-256 differs from {f.sha256})")


def _move_latest(fs, root: str, edition: str, previous: str | None, front_page: str) -> None:
    pointer = {
        "format": PUBLICATION_FORMAT,
        "edition": edition,
        "index": front_page,
        "manifest": f"{edition}/{MANIFEST_NAME}",
        "previous": previous if previous != edition else None,
        "editions": published_editions(fs, root),
        "published_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    _write(fs, f"{root}/{LATEST_NAME}", (json.dumps(pointer, indent=1) + "\n").encode())
    _write(fs, f"{root}/{REDIRECT_NAME}", redirect_page(edition, front_page, latest=True).encode())


def _list_in_latest(fs, root: str) -> None:
    """An earlier edition added beside `latest`: latest.json, which lists every edition published, names it too
    (its pointer to the current edition is left as it was)."""
    latest = _read_json(fs, f"{root}/{LATEST_NAME}")
    editions = published_editions(fs, root)
    if latest is not None and latest.get("editions") != editions:
        _write(fs, f"{root}/{LATEST_NAME}", (json.dumps({**latest, "editions": editions}, indent=1) + "\n").encode())


def redirect_page(edition: str, target: str, *, latest: bool = False) -> str:
    """A page a browser follows to ``target`` (relative to the page): at the publication's root, to the latest
    edition's front page; in a single book's edition folder, to that book."""
    href = html.escape(target, quote=True)
    said = "The latest edition is" if latest else "This edition is"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Occupation market book, edition {html.escape(edition)}</title>\n"
        f'<meta http-equiv="refresh" content="0; url={href}">\n<link rel="canonical" href="{href}">\n'
        f'</head>\n<body>\n<p>{said} <a href="{href}">{html.escape(edition)}</a>.</p>\n'
        "</body>\n</html>\n"
    )


def _write(fs, path: str, data: bytes) -> None:
    """One object written whole. Object stores replace an object in one PUT; a local file is written beside and
    renamed, so a reader never sees half of it."""
    if "file" in _protocols(fs):
        fs.makedirs(os.path.dirname(path), exist_ok=True)
        scratch = f"{path}.publishing-{os.getpid()}"
        fs.pipe_file(scratch, data)
        os.replace(scratch, path)
    else:
        fs.pipe_file(path, data)


def _read_json(fs, path: str) -> dict | None:
    try:
        return json.loads(fs.cat_file(path))
    except FileNotFoundError:
        return None


def _sizes(fs, prefix: str) -> dict[str, int]:
    """What is already under the edition's prefix (an interrupted upload, or an earlier publication)."""
    fs.invalidate_cache(prefix)  # a listing cached earlier in this process may predate an upload
    if not fs.exists(prefix):
        return {}
    return {path: info["size"] for path, info in fs.find(prefix, detail=True).items()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _protocols(fs) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _check_edition_name(edition: str) -> None:
    if not EDITION_NAME.fullmatch(edition) or edition in RESERVED:
        raise PublishError(f"{edition!r} cannot name an edition's folder (letters, digits, '.', '_', '-' only).")


def what_to_publish(p: Paths, soc: str | None) -> tuple[Path, list[str]]:
    """The built site to publish and the occupations in it: SOC's book, else the catalogue, else the default book."""
    if not soc and (p.site_dir / "index.html").is_file():
        site = p.site_dir
        from pipeline.site_sharing import books_in

        return site, books_in(site)
    soc = soc or setting("soc")
    return p.html_dir(soc), [soc]


def edition_of(p: Paths, socs: list[str]) -> str:
    """The edition the books were built for, as their report parameters record it (all must agree)."""
    found = {}
    for soc in socs:
        params = p.occupation_dir(soc) / "outputs" / "report_parameters.json"
        try:
            found[soc] = json.loads(params.read_text())["edition"]
        except (OSError, KeyError, json.JSONDecodeError) as exc:
            raise PublishError(f"cannot tell which edition {soc}'s book is ({params}: {exc}); pass --edition") from exc
    editions = set(found.values())
    if len(editions) != 1:
        raise PublishError(f"the books were built for different editions: {found}; rebuild them together")
    return editions.pop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="where to publish: a folder, file:///..., s3://bucket/prefix, gs://...")
    parser.add_argument("--edition", help="the edition's name (default: the one the books were built for)")
    parser.add_argument("--replace", action="store_true", help="overwrite an edition published with other files")
    args = parser.parse_args(argv)

    p = paths()
    site, socs = what_to_publish(p, os.environ.get("SOC") or None)
    book = None if site == p.site_dir else socs[0]
    started = time.perf_counter()
    try:
        edition = args.edition or edition_of(p, socs)
        # An earlier edition (EDITION=... beside the live one) is added at its own path; `latest` stays.
        result = publish(site, args.url, edition, book=book, move_latest=p.edition is None, replace=args.replace)
    except (PublishError, OSError) as exc:
        print(f"\nPUBLISH STOPPED: {exc}\n`latest` was not moved.", file=sys.stderr)
        return 2
    where = f"{args.url.rstrip('/')}/{result.edition}/" + (f"{book}/" if book else "")
    what = "catalogue" if book is None else f"book of {book}"
    print(
        f"Published the {what} ({result.files:,} files, {result.size_bytes / 2**20:.1f} MiB; {result.uploaded:,} "
        f"uploaded) to {where} in {time.perf_counter() - started:.1f} s, every file verified by SHA-256."
    )
    if result.latest_moved:
        print(f"`latest` now points at {result.edition} (it pointed at {result.previous_latest or 'nothing'}).")
    else:
        print(
            f"`latest` still points at {result.previous_latest or 'nothing'} ({result.edition} is an earlier edition)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
