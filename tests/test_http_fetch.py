"""The bls.gov fetcher: contact User-Agent, retries on 429 and 5xx, and refusal of the wrong body."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.errors import FetchError
from pipeline.sources.http import fetch_to_store, make_session

BODY = b"series_id                     \tyear\tperiod\t       value\tfootnote_codes\n"


def _fetch(store, url, expect="text"):
    return fetch_to_store(
        store,
        url=url,
        source_id="test",
        filename="oe.test",
        license="",
        citation="",
        expect=expect,
        session=make_session(attempts=4, backoff_s=0.01),
    )


def test_sends_contact_user_agent_and_stores_identical_bytes(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("BLS_CONTACT", "maintainer@example.org")

    def handler(request):
        if "maintainer@example.org" not in request.headers.get("User-Agent", ""):
            return Response("Forbidden", status=403)
        return Response(BODY, headers={"ETag": '"abc"', "Last-Modified": "Fri, 15 May 2026 12:00:00 GMT"})

    httpserver.expect_request("/oe/oe.test").respond_with_handler(handler)
    snap = _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/oe.test"))
    assert snap.relation == "identical" and snap.origin == "official"
    assert snap.etag == '"abc"' and snap.size_bytes == len(BODY)
    assert SnapshotStore(tmp_path).object_path(snap.sha256).read_bytes() == BODY


def test_403_explains_the_user_agent_rule(httpserver, tmp_path):
    httpserver.expect_request("/oe/oe.test").respond_with_data("Forbidden", status=403)
    with pytest.raises(FetchError, match="BLS_CONTACT"):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/oe.test"))


def test_429_then_success_is_retried(httpserver, tmp_path):
    httpserver.expect_ordered_request("/oe/oe.test").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/oe/oe.test").respond_with_data(BODY)
    snap = _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/oe.test"))
    assert snap.size_bytes == len(BODY)


def test_persistent_500_gives_up_with_the_status(httpserver, tmp_path):
    httpserver.expect_request("/oe/oe.test").respond_with_data("oops", status=500)
    with pytest.raises(FetchError, match="gave up after 4 attempts; last error: HTTP 500"):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/oe.test"))


def test_html_page_in_place_of_a_workbook_is_refused(httpserver, tmp_path):
    httpserver.expect_request("/x.xlsx").respond_with_data(
        "<!DOCTYPE html><html>blocked</html>", content_type="text/html"
    )
    with pytest.raises(FetchError, match="expected a xlsx file but the server sent an HTML page"):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/x.xlsx"), expect="xlsx")
    assert not (tmp_path / "sha256").exists()  # nothing stored, not even partly


def test_a_body_shorter_than_announced_is_refused_and_not_kept(httpserver, tmp_path):
    # SYNTHETIC: the server announces more bytes than it sends, as a dropped connection would.
    httpserver.expect_request("/oe/oe.test").respond_with_response(
        Response(iter([BODY]), headers={"Content-Length": str(len(BODY) + 100)}, direct_passthrough=True)
    )
    with pytest.raises(FetchError, match="incomplete|truncated"):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/oe.test"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # neither a stored object nor a temp file
