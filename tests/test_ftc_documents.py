"""FTC non-compete rule pages as document snapshots. Every page here is SYNTHETIC: a few lines of HTML written for
the test, served by a local server; none of it is FTC text."""

from __future__ import annotations

import pytest

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import ftc
from pipeline.sources.base import FetchContext
from pipeline.sources.errors import SourceFileError
from pipeline.sources.http import make_session

# SYNTHETIC pages, one per entry of ftc.PAGES, each dated a different way.
SYNTHETIC_PAGES = {
    "rule_page": (
        "<!DOCTYPE html><html><head><title>SYNTHETIC Noncompete Rule | Federal Trade Commission</title></head>"
        "<body><nav>Menu</nav><main><h1>Noncompete Rule</h1><p>SYNTHETIC rule page text.</p></main></body></html>"
    ),
    "final_rule_press_release_2024_04": (
        '<!DOCTYPE html><html><head><meta property="og:title" content="SYNTHETIC FTC Announces Rule">'
        '<meta property="article:published_time" content="2024-04-23T10:00:00-04:00">'
        "<title>other title</title></head><body><main><p>SYNTHETIC   press\n release.</p></main></body></html>"
    ),
    "accede_vacatur_press_release_2025_09": (
        "<html><body><h1>SYNTHETIC FTC Files to Accede to Vacatur</h1>"
        '<time datetime="2025-09-05T12:00:00Z">September 5, 2025</time><p>SYNTHETIC text.</p></body></html>'
    ),
}
PATHS = dict(ftc.PAGES)


@pytest.fixture
def ctx(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("FTC_WWW_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("HTTP_BACKOFF_S", "0.01")
    monkeypatch.setenv("HTTP_ATTEMPTS", "2")
    lines: list[str] = []
    context = FetchContext(store=SnapshotStore(tmp_path / "staging"), session=make_session(), progress=lines.append)
    context.lines = lines
    return context


def _serve(httpserver, pages: dict[str, str], content_type: str = "text/html; charset=utf-8") -> None:
    for part, html in pages.items():
        httpserver.expect_request(PATHS[part]).respond_with_data(html, content_type=content_type)


def test_three_pages_are_stored_with_title_and_date(httpserver, ctx):
    _serve(httpserver, SYNTHETIC_PAGES)
    result = ftc.fetch(ctx)
    assert result.unreachable == {}
    by_part = {s.part: s for s in result.snapshots}
    assert set(by_part) == set(PATHS)
    assert by_part["rule_page"].extra == {
        "title": "SYNTHETIC Noncompete Rule | Federal Trade Commission",
        "published_date": None,
    }
    assert by_part["final_rule_press_release_2024_04"].extra["title"] == "SYNTHETIC FTC Announces Rule"
    assert by_part["final_rule_press_release_2024_04"].extra["published_date"] == "2024-04-23"
    assert by_part["accede_vacatur_press_release_2025_09"].extra == {
        "title": "SYNTHETIC FTC Files to Accede to Vacatur",
        "published_date": "2025-09-05",
    }
    for snap in result.snapshots:
        assert snap.rows == 1 and snap.origin == "official" and snap.source_id == "ftc"
        assert snap.url.endswith(PATHS[snap.part])
        assert ctx.store.meta(snap.sha256) == snap  # the sidecar carries rows, title and date
        assert ctx.store.object_path(snap.sha256).read_text() == SYNTHETIC_PAGES[snap.part]
    assert len(ctx.lines) == 3


def test_text_excerpt_is_main_text_with_whitespace_collapsed(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(SYNTHETIC_PAGES["rule_page"])
    assert ftc.extract_document(page)["text_excerpt"] == "Noncompete Rule SYNTHETIC rule page text."  # no <nav>
    page.write_text("<html><body><p>" + "word " * 2000 + "</p></body></html>")
    assert len(ftc.extract_document(page)["text_excerpt"]) <= ftc.EXCERPT_CHARS + 2


def test_a_404_page_is_unreachable_and_the_others_are_stored(httpserver, ctx):
    _serve(httpserver, {k: v for k, v in SYNTHETIC_PAGES.items() if k != "rule_page"})
    httpserver.expect_request(PATHS["rule_page"]).respond_with_data("not here", status=404)
    result = ftc.fetch(ctx)
    assert set(result.unreachable) == {"rule_page"}
    assert "HTTP 404" in result.unreachable["rule_page"]
    assert {s.part for s in result.snapshots} == set(PATHS) - {"rule_page"}


def test_a_body_that_is_not_html_is_refused_and_discarded(httpserver, ctx):
    pages = dict(SYNTHETIC_PAGES)
    # SYNTHETIC non-HTML bodies: a PDF-like body (it holds '<', so it passes the fetcher's first sniff and must be
    # caught by validate) and a plain-text body (refused by the fetcher itself).
    pages["rule_page"] = "%PDF-1.7\n<< /Type /Catalog >>\n"
    pages["final_rule_press_release_2024_04"] = "just some plain text, no markup at all"
    _serve(httpserver, pages, content_type="application/octet-stream")
    result = ftc.fetch(ctx)
    assert set(result.unreachable) == {"rule_page", "final_rule_press_release_2024_04"}
    assert "rule_page.html: is not an HTML page" in result.unreachable["rule_page"]
    assert "expected an HTML page" in result.unreachable["final_rule_press_release_2024_04"]
    assert [s.part for s in result.snapshots] == ["accede_vacatur_press_release_2025_09"]
    stored = list((ctx.store.root / "sha256").glob("*/*[0-9a-f]"))
    assert len(stored) == 1  # the refused body was discarded from staging


def test_a_page_without_a_title_is_refused(tmp_path):
    page = tmp_path / "x.html"
    page.write_text("<html><body><p>SYNTHETIC error page</p></body></html>")
    meta = _meta("rule_page.html")
    with pytest.raises(SourceFileError, match="rule_page.html: is an HTML page without a title"):
        ftc.validate(page, meta)


def test_scripts_and_markup_never_come_out(tmp_path):
    page = tmp_path / "evil.html"
    page.write_text(  # SYNTHETIC hostile page
        '<html><head><meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt;Safe title">'
        "<style>body{}</style></head><body><main>"
        "<script>alert(1)</script><img src=x onerror=alert(2)>Visible <b>bold</b> text"
        "<p>&lt;img src=x onerror=alert(3)&gt; shown as text</p><noscript>nojs</noscript>"
        "<iframe src='javascript:alert(4)'>frame</iframe></main></body></html>"
    )
    doc = ftc.extract_document(page)
    assert doc["title"] == "Safe title"
    assert doc["text_excerpt"] == "Visible bold text shown as text"
    for value in doc.values():
        assert value is None or ("<" not in value and "alert" not in value and "onerror" not in value)


def _meta(filename: str) -> SnapshotMeta:
    return SnapshotMeta(
        source_id="ftc",
        filename=filename,
        url="",
        retrieved_at="",
        origin="official",
        relation="identical",
        sha256="0" * 64,
        size_bytes=0,
        license="",
        citation="",
    )
