"""Publishing a built catalogue or book (pipeline/publish.py) to S3 (moto's server on 127.0.0.1) and to a folder.

The sites are SYNTHETIC miniatures of a built catalogue: a landing page and books whose `_static/` holds the same
theme files in every book and data of their own. What is checked does not depend on the pages' text, except the
What changed page's links to earlier editions, which come from the code that writes them on the real page
(pipeline/report/edition_changes.py).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import publish as publishing
from pipeline.publication_layout import link_target, page_path
from pipeline.publish import LATEST_NAME, MANIFEST_NAME, PublishError, publish
from pipeline.report.edition_changes import EDITION_LINK_CLASS, edition_links
from pipeline.site_sharing import SHARED_DIR

pytest_plugins = ("s3_server",)  # the moto server and bucket fixtures

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOCS = ("29-1122", "29-1123", "27-2011")
THEME = {  # the same bytes in every book, as the theme's files are
    "styles/theme.css": b"/* SYNTHETIC */ @font-face { src: url(../vendor/font.woff2); }\n",
    "vendor/font.woff2": b"SYNTHETIC font bytes\n" * 50,
    "scripts/theme.js": b"// SYNTHETIC\n",
}


def synthetic_site(root: Path, edition: str, socs=SOCS, earlier: list[str] | None = None) -> Path:
    """A catalogue site as `make catalog` lays it out: index.html, _static/data/ and one book per occupation.

    With ``earlier``, each book also has a What changed page linking those editions as the real page does."""
    site = root / "site"
    (site / "_static" / "data").mkdir(parents=True)
    links = "".join(f'<a href="{soc}/index.html">{soc}</a>' for soc in socs)
    (site / "index.html").write_text(f"<html><body>SYNTHETIC landing {edition} {links}</body></html>\n")
    (site / "_static" / "data" / "occupations.csv").write_text(f"soc_code\n{chr(10).join(socs)}\n")
    for soc in socs:
        book = site / soc
        for rel, data in THEME.items():
            (book / "_static" / rel).parent.mkdir(parents=True, exist_ok=True)
            (book / "_static" / rel).write_bytes(data)
        (book / "_static" / "data").mkdir()
        (book / "_static" / "data" / "wages.csv").write_text(f"soc_code,edition\n{soc},{edition}\n")
        head = (
            '<link rel="stylesheet" href="{p}_static/styles/theme.css?digest=ab" />'
            '<script src="{p}_static/scripts/theme.js"></script>'
        )
        (book / "index.html").write_text(
            f"<html><head>{head.format(p='')}</head><body>SYNTHETIC {soc} {edition}"
            f'<a href="notebooks/trend.html">trend</a><a href="https://www.bls.gov/oes/">BLS</a></body></html>\n'
        )
        (book / "notebooks").mkdir()
        (book / "notebooks" / "trend.html").write_text(
            f"<html><head>{head.format(p='../')}</head><body>SYNTHETIC trend of {soc} {edition}"
            f'<a href="../_static/data/wages.csv">data</a><a href="#top">top</a></body></html>\n'
        )
        if earlier is not None:
            (book / "notebooks" / "what_changed.html").write_text(
                f"<html><head>{head.format(p='../')}</head><body>SYNTHETIC what changed in {soc} {edition}: "
                f"<p>{edition_links(edition, soc, earlier)}</p></body></html>\n"
            )
    return site


def _edition_links(page: bytes) -> dict[str, str]:
    """The links to earlier editions on a What changed page: {edition: href}."""
    found = re.findall(rf'<a class="{EDITION_LINK_CLASS}" href="([^"]+)">([^<]+)</a>', page.decode())
    return {edition: href for href, edition in found}


def _redirect(page: bytes) -> str:
    return re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page.decode(), re.IGNORECASE).group(1)


def _follow(files: dict[str, bytes], path: str) -> str:
    """Where a reader's browser ends up from ``path``, following the redirect pages (a folder's index.html)."""
    for _ in range(5):
        body = files[path]
        if b"http-equiv" not in body.lower():
            return path
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), _redirect(body)))
    raise AssertionError(f"redirect loop from {path}")


def _tree(fs, root: str) -> dict[str, bytes]:
    fs.invalidate_cache(root)
    return {p.removeprefix(root + "/"): fs.cat_file(p) for p in sorted(fs.find(root))}


def _broken_links(files: dict[str, bytes]) -> list[str]:
    """Relative src/href links of the published HTML that name no published file."""
    broken = []
    for path, body in files.items():
        if not path.endswith(".html"):
            continue
        for link in re.findall(rb"""\s(?:src|href)=["']([^"'<>]*)["']""", body):
            target = re.split(r"[?#]", link.decode())[0]
            if not target or "://" in target:
                continue
            if posixpath.normpath(posixpath.join(posixpath.dirname(path), target)) not in files:
                broken.append(f"{path}: {link.decode()}")
    return broken


def test_a_catalogue_is_published_with_its_theme_stored_once_and_latest_moved_last(s3, tmp_path):
    site = synthetic_site(tmp_path, "2026Q4")
    result = publish(site, f"{s3.url}/book", "2026Q4")

    files = _tree(s3.fs, f"{s3.name}/book")
    edition = {p.removeprefix("2026Q4/"): b for p, b in files.items() if p.startswith("2026Q4/")}
    # The theme once, under _shared; each book keeps only its pages and its data.
    assert sorted(p for p in edition if p.startswith(SHARED_DIR)) == sorted(f"_shared/_static/{r}" for r in THEME)
    for soc in SOCS:
        assert sorted(p for p in edition if p.startswith(soc + "/")) == [
            f"{soc}/_static/data/wages.csv",
            f"{soc}/index.html",
            f"{soc}/notebooks/trend.html",
        ]
    page = edition["29-1123/notebooks/trend.html"].decode()
    assert 'href="../../_shared/_static/styles/theme.css?digest=ab"' in page
    assert 'href="../_static/data/wages.csv"' in page  # a book's own data stays its own
    assert _broken_links(edition) == []
    # Every file is the local one (HTML apart from its links to shared files).
    for rel, body in edition.items():
        if rel.startswith(SHARED_DIR):
            assert body == THEME[rel.removeprefix("_shared/_static/")]
        elif not rel.endswith(".html") and rel != MANIFEST_NAME:
            assert body == (site / rel).read_bytes()
    manifest = json.loads(edition[MANIFEST_NAME])
    assert manifest["books"] == sorted(SOCS) and len(manifest["files"]) == result.files == len(edition) - 1

    latest = json.loads(files[LATEST_NAME])
    assert (latest["edition"], latest["index"], latest["editions"]) == ("2026Q4", "2026Q4/index.html", ["2026Q4"])
    assert '<meta http-equiv="refresh" content="0; url=2026Q4/index.html">' in files["index.html"].decode()
    assert result.latest_moved and result.previous_latest is None


def _publish_two_editions_interrupting_the_second(s3, tmp_path, interrupt) -> tuple[str, dict[str, bytes]]:
    url = f"{s3.url}/book"
    publish(synthetic_site(tmp_path / "first", "2026Q4"), url, "2026Q4")
    before = _tree(s3.fs, f"{s3.name}/book")
    interrupt(synthetic_site(tmp_path / "second", "2026Q4.2"), url)
    return url, before


def _assert_previous_edition_still_serves(s3, before: dict[str, bytes]) -> None:
    after = _tree(s3.fs, f"{s3.name}/book")
    assert json.loads(after[LATEST_NAME])["edition"] == "2026Q4"
    assert "url=2026Q4/index.html" in after["index.html"].decode()
    assert {p: b for p, b in after.items() if not p.startswith("2026Q4.2/")} == before
    assert any(p.startswith("2026Q4.2/") for p in after), "the interruption came before any upload"
    assert not any(p == f"2026Q4.2/{MANIFEST_NAME}" for p in after)


def test_an_upload_that_fails_halfway_leaves_the_previous_edition_serving(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(publishing, "BATCH_FILES", 1)
    upload_batch = publishing._upload_batch
    uploaded = []

    def fails_after_five_files(fs, prefix, files, shared):
        if len(uploaded) == 5:
            raise OSError("SYNTHETIC: connection reset by peer")
        upload_batch(fs, prefix, files, shared)
        uploaded.extend(files)

    def interrupt(site, url):
        monkeypatch.setattr(publishing, "_upload_batch", fails_after_five_files)
        with pytest.raises(OSError, match="SYNTHETIC"):
            publish(site, url, "2026Q4.2")
        monkeypatch.setattr(publishing, "_upload_batch", upload_batch)

    url, before = _publish_two_editions_interrupting_the_second(s3, tmp_path, interrupt)
    _assert_previous_edition_still_serves(s3, before)

    # Run again, it completes: latest moves, and the earlier edition stays readable at its own path.
    result = publish(tmp_path / "second" / "site", url, "2026Q4.2")
    after = _tree(s3.fs, f"{s3.name}/book")
    latest = json.loads(after[LATEST_NAME])
    assert (latest["edition"], latest["previous"], latest["editions"]) == ("2026Q4.2", "2026Q4", ["2026Q4", "2026Q4.2"])
    assert result.previous_latest == "2026Q4"
    assert {p: b for p, b in after.items() if p.startswith("2026Q4/")} == {
        p: b for p, b in before.items() if p.startswith("2026Q4/")
    }
    assert _broken_links({p.removeprefix("2026Q4/"): b for p, b in after.items() if p.startswith("2026Q4/")}) == []


KILLED_RUN = """
import os, sys, time
from pathlib import Path
from pipeline import publish as publishing

publishing.BATCH_FILES = 1
upload_batch, done = publishing._upload_batch, []

def slow_after_five_files(fs, prefix, files, shared):
    upload_batch(fs, prefix, files, shared)
    done.extend(files)
    if len(done) == 5:
        Path(os.environ["HALFWAY_MARKER"]).write_text("halfway")
        time.sleep(120)  # killed here

publishing._upload_batch = slow_after_five_files
publishing.publish(Path(sys.argv[1]), sys.argv[2], "2026Q4.2")
"""


def test_a_killed_upload_leaves_the_previous_edition_serving(s3, tmp_path):
    marker = tmp_path / "halfway"

    def kill_halfway(site, url):
        env = s3.subprocess_env(HALFWAY_MARKER=str(marker), PYTHONPATH=str(PROJECT_ROOT))
        proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(site), url], env=env, cwd=PROJECT_ROOT)
        try:
            deadline = time.monotonic() + 120
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert marker.exists(), f"the upload never got halfway (exit code {proc.poll()})"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    _, before = _publish_two_editions_interrupting_the_second(s3, tmp_path, kill_halfway)
    _assert_previous_edition_still_serves(s3, before)


def test_a_published_edition_is_not_changed_under_its_readers(s3, tmp_path):
    url = f"{s3.url}/book"
    site = synthetic_site(tmp_path / "a", "2026Q4")
    publish(site, url, "2026Q4")
    before = _tree(s3.fs, f"{s3.name}/book/2026Q4")
    again = publish(site, url, "2026Q4")  # the same build: nothing to upload, everything verified again
    assert again.uploaded == 0
    other = synthetic_site(tmp_path / "b", "a rebuild")
    with pytest.raises(PublishError, match="already published"):
        publish(other, url, "2026Q4")
    assert _tree(s3.fs, f"{s3.name}/book/2026Q4") == before


def test_a_damaged_upload_is_caught_by_the_read_back(s3, tmp_path, monkeypatch):
    url = f"{s3.url}/book"
    upload_batch = publishing._upload_batch

    def damages_one_file(fs, prefix, files, shared):
        upload_batch(fs, prefix, files, shared)
        fs.pipe_file(f"{prefix}/29-1122/_static/data/wages.csv", b"SYNTHETIC: damaged in transit\n")

    monkeypatch.setattr(publishing, "_upload_batch", damages_one_file)
    with pytest.raises(PublishError, match=r"29-1122/_static/data/wages.csv does not hold the bytes uploaded"):
        publish(synthetic_site(tmp_path, "2026Q4"), url, "2026Q4")
    assert not s3.fs.exists(f"{s3.name}/book/{LATEST_NAME}")


def test_an_earlier_edition_is_added_beside_latest_without_moving_it(tmp_path):
    url = str(tmp_path / "published")
    publish(synthetic_site(tmp_path / "new", "2026Q4.2"), url, "2026Q4.2")
    publish(synthetic_site(tmp_path / "old", "2026Q4"), url, "2026Q4", move_latest=False)
    latest = json.loads((tmp_path / "published" / LATEST_NAME).read_text())
    assert (latest["edition"], latest["editions"]) == ("2026Q4.2", ["2026Q4", "2026Q4.2"])
    assert "SYNTHETIC 29-1122 2026Q4<" in (tmp_path / "published" / "2026Q4" / "29-1122" / "index.html").read_text()


def test_make_publish_publishes_a_single_book_to_a_folder_as_built(tmp_path):
    """The program as `make publish URL=... SOC=...` runs it: the edition comes from the book's parameters."""
    build = tmp_path / "build"
    html = synthetic_site(tmp_path, "2026Q4.2", socs=("29-1122",), earlier=["2026Q4"]) / "29-1122"
    (build / "29-1122").mkdir(parents=True)
    html.rename(build / "29-1122" / "html")
    (build / "29-1122" / "outputs").mkdir()
    (build / "29-1122" / "outputs" / "report_parameters.json").write_text(json.dumps({"edition": "2026Q4.2"}))
    target = tmp_path / "published"
    env = os.environ | {"BUILD_DIR": str(build), "SOC": "29-1122", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("EDITION", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.publish", "--", str(target)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "`latest` now points at 2026Q4.2" in result.stdout
    assert f"to {target}/2026Q4.2/29-1122/ in" in result.stdout
    # Its What changed page links 2026Q4, which is not published there: one warning line, and the book is published.
    assert result.stderr.splitlines() == [
        f"WARNING: the What changed pages link edition 2026Q4, which is not published at {target}; "
        f"publish it (once built) with: EDITION=2026Q4 SOC=29-1122 make publish URL={target}"
    ]
    published = target / "2026Q4.2"

    # A single book shares nothing: it is published byte for byte as built, under <edition>/<SOC>/ as a
    # catalogue's books are, with the edition's index.html sending a reader to it.
    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    assert files(published / "29-1122") == files(build / "29-1122" / "html")
    assert sorted(files(published)) == sorted(
        ["index.html", MANIFEST_NAME, *(f"29-1122/{p}" for p in files(build / "29-1122" / "html"))]
    )
    assert _redirect(files(published)["index.html"]) == "29-1122/index.html"
    everything = files(target)
    assert _redirect(everything["index.html"]) == "2026Q4.2/29-1122/index.html"
    assert _follow(everything, "index.html") == "2026Q4.2/29-1122/index.html"
    assert _follow(everything, "2026Q4.2/index.html") == "2026Q4.2/29-1122/index.html"
    assert b"SYNTHETIC 29-1122 2026Q4.2" in everything[_follow(everything, "index.html")]
    latest = json.loads(everything[LATEST_NAME])
    assert (latest["edition"], latest["index"]) == ("2026Q4.2", "2026Q4.2/29-1122/index.html")
    assert json.loads(everything[f"2026Q4.2/{MANIFEST_NAME}"])["books"] == ["29-1122"]


@pytest.mark.parametrize("name", ["latest.json", "_shared", "../escape", "a/b", "", "2026 Q4"])
def test_an_edition_name_cannot_leave_its_folder(tmp_path, name):
    with pytest.raises(PublishError, match="cannot name an edition"):
        publish(synthetic_site(tmp_path, "x"), str(tmp_path / "published"), name)


def test_a_linked_edition_the_url_does_not_serve_is_named_with_the_command_that_publishes_it(s3, tmp_path, capsys):
    url = f"{s3.url}/book"
    result = publish(synthetic_site(tmp_path / "new", "2026Q4.2", earlier=["2026Q4"]), url, "2026Q4.2")
    # Only a warning: a first publication at a new URL is legitimate, and `latest` moves.
    assert result.latest_moved and json.loads(s3.fs.cat_file(f"{s3.name}/book/{LATEST_NAME}"))["edition"] == "2026Q4.2"
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"WARNING: the What changed pages link edition 2026Q4, which is not published at {url}; "
        f"publish it (once built) with: EDITION=2026Q4 make publish URL={url}"
    ]
    assert result.link_warnings == tuple(lines)

    # Once the earlier edition is published there, the same publication warns of nothing.
    publish(synthetic_site(tmp_path / "old", "2026Q4", earlier=[]), url, "2026Q4", move_latest=False)
    capsys.readouterr()
    again = publish(tmp_path / "new" / "site", url, "2026Q4.2")
    assert again.uploaded == 0 and again.link_warnings == () and capsys.readouterr().err == ""


def test_a_linked_edition_published_without_the_linked_book_is_named(tmp_path, capsys):
    url = str(tmp_path / "published")
    publish(synthetic_site(tmp_path / "old", "2026Q4", socs=("29-1122",), earlier=[]), url, "2026Q4")
    capsys.readouterr()
    result = publish(synthetic_site(tmp_path / "new", "2026Q4.2", earlier=["2026Q4"]), url, "2026Q4.2")
    assert result.link_warnings == (
        "WARNING: the What changed pages link 2026Q4/27-2011/notebooks/what_changed.html and 1 more, which edition "
        f"2026Q4 as published at {url} does not hold; publish its books again with: "
        f"EDITION=2026Q4 python -m pipeline.publish --replace -- {url}",
    )


def test_the_what_changed_links_reach_the_earlier_editions_published_to_a_folder(tmp_path):
    """Three editions of one occupation's book, each published as `make publish SOC=...` does, to a file:// URL:
    every What changed link leads to the earlier edition's own What changed page, and nothing else is broken."""
    target = tmp_path / "published"
    url = target.as_uri()
    soc = "29-1122"
    history: list[str] = []
    for edition in ("2026Q4", "2026Q4.2", "2026Q4.3"):
        earlier = sorted(history, reverse=True)
        book = synthetic_site(tmp_path / edition, edition, socs=(soc,), earlier=earlier) / soc
        assert publish(book, url, edition, book=soc).link_warnings == ()
        history.append(edition)

    files = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    newest = page_path("2026Q4.3", soc, "what_changed")
    links = _edition_links(files[newest])
    assert list(links) == ["2026Q4.2", "2026Q4"]  # newest first
    for edition, href in links.items():
        assert href == f"../../../{edition}/{soc}/notebooks/what_changed.html"
        reached = link_target(newest, href)
        assert reached == page_path(edition, soc, "what_changed") and reached in files
        assert f"SYNTHETIC what changed in {soc} {edition}:".encode() in files[reached]
    assert _broken_links(files) == []
    assert _follow(files, "index.html") == f"2026Q4.3/{soc}/index.html"


def test_a_book_is_at_the_same_path_whether_published_alone_or_in_a_catalogue(s3, tmp_path):
    """An edition published as one book and the next as a catalogue: the catalogue's link to the earlier edition
    finds it, because both put an occupation's pages under <edition>/<SOC>/notebooks/."""
    url = f"{s3.url}/book"
    alone = synthetic_site(tmp_path / "old", "2026Q4", socs=("29-1122",), earlier=[]) / "29-1122"
    publish(alone, url, "2026Q4", book="29-1122")
    result = publish(
        synthetic_site(tmp_path / "new", "2026Q4.2", socs=("29-1122",), earlier=["2026Q4"]), url, "2026Q4.2"
    )
    assert result.link_warnings == ()
    files = _tree(s3.fs, f"{s3.name}/book")
    assert _broken_links(files) == []
    assert _follow(files, "index.html") == "2026Q4.2/index.html"  # a catalogue's landing page
