"""HTTP for bls.gov and ftc.gov: contact User-Agent, timeouts, retry with backoff, and body sanity checks.

Retries and backoff are urllib3's ``Retry`` (429, 5xx and connection errors, honouring Retry-After). What it
does not do is written here: refusing a body that is not what was asked for, and detecting a short body.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipeline.settings import setting, user_agent
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import FetchError

RETRY_STATUSES = (429, 500, 502, 503, 504)


def make_session(attempts: int | None = None, backoff_s: float | None = None) -> requests.Session:
    """A session that retries transient failures with exponential backoff (settings http_attempts, http_backoff_s)."""
    attempts = attempts or int(setting("http_attempts"))
    backoff_s = float(setting("http_backoff_s")) if backoff_s is None else backoff_s
    retry = Retry(
        total=attempts - 1,
        backoff_factor=backoff_s,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # the BLS API is queried with POST, and its queries are idempotent
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last response, so the error can quote its status
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent()
    session.attempts = attempts  # remembered for error messages
    return session


def _timeout() -> tuple[float, float]:
    read = float(setting("http_timeout_s"))
    return (min(10.0, read), read)


def fetch_to_store(
    store: SnapshotStore,
    *,
    url: str,
    source_id: str,
    filename: str,
    license: str,
    citation: str,
    expect: str,  # "text" (LABSTAT flat file), "xlsx", "zip" or "html"
    part: str = "",
    extra: dict | None = None,
    session: requests.Session | None = None,
) -> SnapshotMeta:
    """Download ``url`` into the snapshot store; retry transient failures; reject the wrong kind of body."""
    session = session or make_session()
    try:
        with session.get(url, timeout=_timeout(), stream=True) as resp:
            _check_status(url, resp, session)
            resp.raw.decode_content = True
            first = resp.raw.read(512)
            _check_body_kind(url, expect, resp.headers.get("Content-Type", ""), first)
            snap = store.put_stream(
                _Prefixed(first, resp.raw),
                **_meta(url, resp, source_id, part, filename, license, citation, extra),
            )
            expected = resp.headers.get("Content-Length")
            if expected and resp.headers.get("Content-Encoding") in (None, "identity"):
                if int(expected) != snap.size_bytes:
                    store.discard(snap.sha256)
                    raise FetchError(
                        f"{url}: truncated body: received {snap.size_bytes} bytes of the "
                        f"{expected} announced. Try the refresh again."
                    )
            return snap
    except requests.RequestException as exc:
        raise FetchError(_network_error(url, exc, session)) from exc
    except Exception as exc:  # urllib3 errors raised while streaming the body
        if "ProtocolError" in type(exc).__name__ or "ReadTimeout" in type(exc).__name__:
            raise FetchError(f"{url}: the connection broke mid-body ({exc}); the download is incomplete.") from exc
        raise


def post_json_to_store(
    store: SnapshotStore,
    *,
    url: str,
    body: dict,
    secret_fields: tuple[str, ...],
    source_id: str,
    part: str,
    filename: str,
    license: str,
    citation: str,
    extra: dict | None = None,
    session: requests.Session | None = None,
) -> SnapshotMeta:
    """POST a JSON query and store the JSON answer. Secret fields of the query go on the wire only."""
    session = session or make_session()
    try:
        resp = session.post(url, json=body, timeout=_timeout())
        _check_status(url, resp, session)
    except requests.RequestException as exc:
        raise FetchError(_network_error(url, exc, session)) from exc
    first = resp.content[:512]
    _check_body_kind(url, "json", resp.headers.get("Content-Type", ""), first)
    recorded_query = {k: v for k, v in body.items() if k not in secret_fields}
    recorded_query.update({k: "(sent, not recorded)" for k in secret_fields if k in body})
    return store.put_stream(
        io.BytesIO(resp.content),
        **_meta(url, resp, source_id, part, filename, license, citation, {**(extra or {}), "query": recorded_query}),
    )


def _meta(url, resp, source_id, part, filename, license, citation, extra) -> dict:
    return dict(
        source_id=source_id, part=part, filename=filename, url=url,
        retrieved_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        origin="official", relation="identical", license=license, citation=citation,
        http_status=resp.status_code, etag=resp.headers.get("ETag"),
        last_modified=resp.headers.get("Last-Modified"), extra=extra or {},
    )


def _check_status(url: str, resp: requests.Response, session) -> None:
    if resp.status_code == 200:
        return
    if resp.status_code == 403:
        raise FetchError(
            f"{url}: HTTP 403 Forbidden. BLS refuses clients without contact details in the "
            "User-Agent; set BLS_CONTACT to your e-mail address (pyproject [tool.occupation_book])."
        )
    if resp.status_code in RETRY_STATUSES:
        raise FetchError(
            f"{url}: gave up after {getattr(session, 'attempts', 1)} attempts; last error: HTTP {resp.status_code}"
        )
    raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}")


def _network_error(url: str, exc: Exception, session) -> str:
    attempts = getattr(session, "attempts", 1)
    kind = "timed out" if isinstance(exc, requests.Timeout) or "timeout" in str(exc).lower() else "could not connect"
    return f"{url}: {kind} after {attempts} attempts ({type(exc).__name__}: {exc})"


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
    if expect == "json":
        # The full parse and the API's own status are checked by the source's validate().
        if not first.lstrip()[:1] in (b"{", b"["):
            raise FetchError(f"{url}: expected JSON; the body starts {first[:80]!r}.")
    if expect == "html" and not looks_html and b"<" not in first:
        raise FetchError(f"{url}: expected an HTML page; the body starts {first[:80]!r}.")


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
