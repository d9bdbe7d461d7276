"""Limits on one download: an overall deadline, a maximum size, a cap on Retry-After, and a full disk.

Every server here is SYNTHETIC (a local pytest-httpserver); each test asserts that the error names the problem
and that nothing of the download is left in the store, not even a temporary file.
"""

from __future__ import annotations

import errno
import os
import threading
import time
import types

import pytest
from werkzeug.wrappers import Response

import pipeline.snapshot_store as snapshot_store
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import ftc
from pipeline.sources.base import FetchContext
from pipeline.sources.errors import FetchError
from pipeline.sources.http import fetch_to_store, make_session, post_json_to_store
from pipeline.sources.limits import DiskFullError

BODY = b"series_id\tyear\tperiod\tvalue\tfootnote_codes\n" + b"OEU000000000000000000000001\t2025\tA01\t1\t\n" * 50


def _fetch(store: SnapshotStore, url: str, *, expect: str = "text", source_id: str = "test"):
    return fetch_to_store(
        store,
        url=url,
        source_id=source_id,
        filename="oe.test",
        license="",
        citation="",
        expect=expect,
        session=make_session(attempts=2, backoff_s=0.01),
    )


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def stop_dripping():
    """Set at teardown, so a dripping handler stops even when the client has gone away."""
    done = threading.Event()
    yield done
    done.set()


def _drip(done: threading.Event, n_bytes: int, every_s: float):
    def handler(request):
        def body():
            for _ in range(n_bytes):
                if done.is_set():
                    return
                yield b"x"
                time.sleep(every_s)

        return Response(body(), content_type="text/plain")

    return handler


def test_a_dripping_server_is_stopped_at_the_deadline_and_nothing_is_kept(
    httpserver, tmp_path, monkeypatch, stop_dripping
):
    monkeypatch.setenv("HTTP_DEADLINE_S", "1")
    monkeypatch.setenv("HTTP_TIMEOUT_S", "5")  # every single read is quick: only the overall deadline can trip
    # 50 bytes at one per 0.2 s: the full body would take 10 s.
    httpserver.expect_request("/oe/drip").respond_with_handler(_drip(stop_dripping, 50, 0.2))
    url = httpserver.url_for("/oe/drip")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        _fetch(SnapshotStore(tmp_path), url)
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert url in message and "deadline of 1 s" in message and "bytes received" in message, message
    received = int(message.split(" bytes received")[0].rsplit(" ", 1)[-1].replace(",", ""))
    assert 1 <= received < 50, message
    assert elapsed < 2.5, f"stopped after {elapsed:.1f} s, not near the 1 s deadline"
    assert _files(tmp_path) == []


def test_content_length_over_the_cap_is_refused_before_downloading(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_MAX_BYTES", "1000")
    httpserver.expect_request("/oe/big").respond_with_data(b"x" * 5000, content_type="text/plain")
    with pytest.raises(
        FetchError,
        match=r"announces 5,000 bytes \(Content-Length\), more than this download's "
        r"limit of 1,000 bytes \(set by the setting http_max_bytes",
    ):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/big"))
    assert _files(tmp_path) == []


def test_a_body_without_length_is_stopped_when_it_passes_the_cap(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_MAX_BYTES", "10000")
    served = []

    def endless(request):  # SYNTHETIC: a chunked body with no Content-Length, far larger than the cap
        def body():
            for _ in range(1000):
                served.append(1)
                yield b"y" * 1000

        return Response(body(), content_type="text/plain")

    httpserver.expect_request("/oe/endless").respond_with_handler(endless)
    with pytest.raises(
        FetchError,
        match=r"the body passed this download's limit of 10,000 bytes .* bytes "
        r"received and discarded",
    ):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/endless"))
    assert _files(tmp_path) == []


def test_a_source_module_cap_is_honoured_below_the_global_one(httpserver, tmp_path, monkeypatch):
    monkeypatch.setattr(ftc, "MAX_DOWNLOAD_BYTES", 200, raising=False)
    page = b"<!DOCTYPE html><html><body>" + b"<p>noncompete</p>" * 100 + b"</body></html>"
    httpserver.expect_request("/page").respond_with_data(page, content_type="text/html")
    ctx = FetchContext(store=SnapshotStore(tmp_path), session=make_session(attempts=1, backoff_s=0.01))
    with pytest.raises(FetchError, match="limit of 200 bytes \\(set by MAX_DOWNLOAD_BYTES in pipeline.sources.ftc\\)"):
        ctx.get(
            httpserver.url_for("/page"),
            source_id=ftc.SOURCE_ID,
            part="p",
            filename="p.html",
            license="",
            citation="",
            expect="html",
        )
    assert _files(tmp_path) == []


def test_html_pages_have_their_own_small_cap(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_MAX_HTML_BYTES", "500")
    page = b"<!DOCTYPE html><html><body>" + b"<p>noncompete</p>" * 100 + b"</body></html>"
    httpserver.expect_request("/page").respond_with_data(page, content_type="text/html")
    with pytest.raises(FetchError, match="set by the setting http_max_html_bytes"):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/page"), expect="html")


def test_a_json_answer_is_streamed_under_its_cap(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_MAX_JSON_BYTES", "2000")

    def huge_answer(request):  # SYNTHETIC: an API answer with no Content-Length, larger than the cap
        def body():
            yield b'{"status": "REQUEST_SUCCEEDED", "Results": {"series": ['
            for _ in range(200):
                yield b'{"seriesID": "CEU0000000001", "data": []},'
            yield b"{}]}}"

        return Response(body(), content_type="application/json")

    httpserver.expect_request("/api", method="POST").respond_with_handler(huge_answer)
    store = SnapshotStore(tmp_path)
    with pytest.raises(FetchError, match="limit of 2,000 bytes \\(set by the setting http_max_json_bytes"):
        post_json_to_store(
            store,
            url=httpserver.url_for("/api"),
            body={"seriesid": ["x"]},
            secret_fields=(),
            source_id="test",
            part="api",
            filename="a.json",
            license="",
            citation="",
            session=make_session(attempts=1, backoff_s=0.01),
        )
    assert _files(tmp_path) == []


def test_a_small_json_answer_is_still_stored_whole(httpserver, tmp_path):
    answer = b'{"status": "REQUEST_SUCCEEDED", "Results": {"series": []}}'
    httpserver.expect_request("/api", method="POST").respond_with_data(answer, content_type="application/json")
    store = SnapshotStore(tmp_path)
    snap = post_json_to_store(
        store,
        url=httpserver.url_for("/api"),
        body={"registrationkey": "k"},
        secret_fields=("registrationkey",),
        source_id="test",
        part="api",
        filename="a.json",
        license="",
        citation="",
        session=make_session(attempts=1, backoff_s=0.01),
    )
    assert store.object_path(snap.sha256).read_bytes() == answer
    assert snap.extra["query"] == {"registrationkey": "(sent, not recorded)"}


def test_retry_after_beyond_the_cap_is_not_waited_for(httpserver, tmp_path):
    httpserver.expect_request("/oe/busy").respond_with_data("busy", status=503, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(
        FetchError,
        match=r"asked to wait 3600 s before retrying \(Retry-After\), more than the cap "
        r"of 120 s \(http_retry_after_max_s\); not waiting\. Try later\.",
    ):
        _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/busy"))
    assert time.monotonic() - started < 5
    assert len(httpserver.log) == 1  # no second attempt either
    assert _files(tmp_path) == []


def test_retry_after_within_the_cap_is_waited_for(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_RETRY_AFTER_MAX_S", "3")
    httpserver.expect_ordered_request("/oe/busy").respond_with_data("busy", status=503, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request("/oe/busy").respond_with_data(BODY, content_type="text/plain")
    started = time.monotonic()
    snap = _fetch(SnapshotStore(tmp_path), httpserver.url_for("/oe/busy"))
    assert snap.size_bytes == len(BODY)
    assert time.monotonic() - started >= 1.0  # the server's wait was honoured


class _FillingFile:
    """A real file whose disk fills up after ``room`` bytes: write raises ENOSPC, as a full disk does."""

    def __init__(self, real, room: int):
        self._real, self._room = real, room

    def write(self, data) -> int:
        if len(data) > self._room:
            self._real.write(data[: self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._real.write(data)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._real.close()


def test_a_full_disk_during_a_download_says_so_and_leaves_no_temporary_file(httpserver, tmp_path, monkeypatch):
    # SYNTHETIC full disk: only the snapshot store's binary writes are affected, through its own view of `os`.
    def fdopen(fd, mode="r", *args, **kw):
        real = os.fdopen(fd, mode, *args, **kw)
        return _FillingFile(real, room=100) if "b" in mode and "w" in mode else real

    monkeypatch.setattr(snapshot_store, "os", types.SimpleNamespace(**{**vars(os), "fdopen": fdopen}))
    httpserver.expect_request("/oe/oe.test").respond_with_data(BODY, content_type="text/plain")
    url = httpserver.url_for("/oe/oe.test")
    store = SnapshotStore(tmp_path / "store")
    with pytest.raises(DiskFullError) as caught:
        _fetch(store, url)
    assert str(caught.value) == (
        f"no space left on device while writing the download of {url} to "
        f"{tmp_path / 'store' / 'tmp'}; free space and run again."
    )
    assert _files(tmp_path / "store") == []
