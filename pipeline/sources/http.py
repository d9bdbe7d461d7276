"""HTTP fetching for bls.gov: contact User-Agent, timeouts, retry with backoff, and body sanity checks."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import requests

from pipeline.settings import user_agent
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import FetchError

RETRY_STATUSES = {429, 500, 502, 503, 504}
TIMEOUT_S = (10, 60)  # connect, read


def fetch_to_store(
    store: SnapshotStore,
    *,
    url: str,
    source_id: str,
    filename: str,
    license: str,
    citation: str,
    expect: str,  # "text" (LABSTAT flat file), "xlsx", "zip" or "html"
    attempts: int = 4,
    backoff_s: float = 1.0,
    session: requests.Session | None = None,
) -> SnapshotMeta:
    """Download ``url`` into the snapshot store; retry transient failures; reject the wrong kind of body."""
    session = session or requests.Session()
    headers = {"User-Agent": user_agent()}
    last_error = ""
    for attempt in range(1, attempts + 1):
        try:
            with session.get(url, headers=headers, timeout=TIMEOUT_S, stream=True) as resp:
                if resp.status_code in RETRY_STATUSES:
                    last_error = f"HTTP {resp.status_code}"
                    _sleep(backoff_s, attempt, resp.headers.get("Retry-After"))
                    continue
                if resp.status_code == 403:
                    raise FetchError(
                        f"{url}: HTTP 403 Forbidden. BLS refuses clients without contact details in the "
                        "User-Agent; set BLS_CONTACT to your e-mail address (pyproject [tool.occupation_book])."
                    )
                if resp.status_code != 200:
                    raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}")
                resp.raw.decode_content = True
                first = resp.raw.read(512)
                _check_body_kind(url, expect, resp.headers.get("Content-Type", ""), first)
                stream = _Prefixed(first, resp.raw)
                snap = store.put_stream(
                    stream,
                    source_id=source_id,
                    filename=filename,
                    url=url,
                    retrieved_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                    origin="official",
                    relation="identical",
                    license=license,
                    citation=citation,
                    http_status=resp.status_code,
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                )
                expected = resp.headers.get("Content-Length")
                if expected and resp.headers.get("Content-Encoding") in (None, "identity"):
                    if int(expected) != snap.size_bytes:
                        raise FetchError(
                            f"{url}: truncated body: received {snap.size_bytes} bytes of the "
                            f"{expected} announced. Try the refresh again."
                        )
                return snap
        except (requests.ConnectionError, requests.Timeout) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            _sleep(backoff_s, attempt, None)
        except requests.exceptions.ChunkedEncodingError as exc:
            raise FetchError(f"{url}: the connection broke mid-body ({exc}); the download is incomplete.") from exc
    raise FetchError(f"{url}: gave up after {attempts} attempts; last error: {last_error}")


def _check_body_kind(url: str, expect: str, content_type: str, first: bytes) -> None:
    looks_html = first.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")) or "text/html" in content_type
    if expect != "html" and looks_html:
        raise FetchError(
            f"{url}: expected a {expect} file but the server sent an HTML page "
            f"(Content-Type {content_type or 'unset'}; it starts {first[:80]!r}). "
            "Often a block page or an error page: check the URL and the User-Agent contact."
        )
    if expect in ("xlsx", "zip") and not first.startswith(b"PK"):
        raise FetchError(f"{url}: expected a {expect} (zip) file; the body starts {first[:40]!r}.")


def _sleep(backoff_s: float, attempt: int, retry_after: str | None) -> None:
    delay = backoff_s * 2 ** (attempt - 1)
    if retry_after and retry_after.isdigit():
        delay = max(delay, min(float(retry_after), 60.0))
    time.sleep(delay)


class _Prefixed:
    """A read() stream that first returns bytes already consumed to sniff the body."""

    def __init__(self, prefix: bytes, rest):
        self._prefix = prefix
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if self._prefix:
            out, self._prefix = self._prefix, b""
            return out
        return self._rest.read(n)
