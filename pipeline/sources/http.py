"""HTTP for bls.gov and ftc.gov: contact User-Agent, timeouts, retry with backoff, and body sanity checks.

Retries and backoff are urllib3's ``Retry`` (429, 5xx and connection errors, honouring Retry-After up to a cap).
What it does not do is written here: refusing a body that is not what was asked for, detecting a short body,
an overall deadline per download (the read timeout is per read, so a server dripping bytes never trips it),
and a maximum size per download (announced by Content-Length, or reached while streaming).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from pipeline.settings import setting, user_agent
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import FetchError
from pipeline.sources.limits import deadline_s, download_cap, explain_disk_full

RETRY_STATUSES = (429, 500, 502, 503, 504)
# Small enough that a deadline is noticed within one chunk's time, large enough to cost nothing on a fast link.
BODY_CHUNK = 1 << 16


class RetryAfterTooLong(FetchError):
    """The server asked (Retry-After) to be left alone for longer than http_retry_after_max_s."""

    def __init__(self, asked_s: float, cap_s: float):
        self.asked_s, self.cap_s = asked_s, cap_s
        super().__init__(
            f"the server asked to wait {asked_s:g} s before retrying (Retry-After), more than the cap "
            f"of {cap_s:g} s (http_retry_after_max_s); not waiting. Try later."
        )


class CappedRetry(Retry):
    """urllib3's Retry, except that a Retry-After beyond ``wait_cap_s`` fails at once instead of being slept.

    urllib3's own ``retry_after_max`` would sleep the maximum and retry anyway; a server asking for hours means
    "not now", and a refresh should say so rather than hang.
    """

    def __init__(self, *args, wait_cap_s: float = 120.0, **kw):
        kw.setdefault("retry_after_max", 2**31)  # report the wait asked for, not urllib3's clamped one
        super().__init__(*args, **kw)
        self.wait_cap_s = wait_cap_s

    def new(self, **kw) -> "CappedRetry":
        kw.setdefault("wait_cap_s", self.wait_cap_s)
        return super().new(**kw)

    def sleep_for_retry(self, response) -> bool:
        asked = self.get_retry_after(response)
        if asked is not None and asked > self.wait_cap_s:
            raise RetryAfterTooLong(asked, self.wait_cap_s)
        return super().sleep_for_retry(response)


class _CountingSession(requests.Session):
    """A session that remembers how many attempts its retries make in all, for error messages."""

    attempts: int = 1


def make_session(attempts: int | None = None, backoff_s: float | None = None) -> requests.Session:
    """A session that retries transient failures with exponential backoff (settings http_attempts, http_backoff_s)."""
    attempts = attempts or int(setting("http_attempts"))
    backoff_s = float(setting("http_backoff_s")) if backoff_s is None else backoff_s
    retry = CappedRetry(
        total=attempts - 1,
        backoff_factor=backoff_s,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # the BLS API is queried with POST, and its queries are idempotent
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last response, so the error can quote its status
        wait_cap_s=float(setting("http_retry_after_max_s")),
    )
    session = _CountingSession()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent()
    session.attempts = attempts
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
    max_bytes: int | None = None,
) -> SnapshotMeta:
    """Download ``url`` into the snapshot store; retry transient failures; reject the wrong kind of body.

    The download must end within http_deadline_s and bring at most ``max_bytes`` (by default the source's cap:
    limits.download_cap); otherwise it fails and nothing of it is kept.
    """
    session = session or make_session()
    budget = _Budget.for_download(url, source_id, expect, max_bytes)
    with _http_errors(url, session):
        with session.get(url, timeout=_timeout(), stream=True) as resp:
            _check_status(url, resp, session)
            return _store_body(
                store, url, resp, expect, budget, _meta(url, resp, source_id, part, filename, license, citation, extra)
            )


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
    max_bytes: int | None = None,
) -> SnapshotMeta:
    """POST a JSON query and store the JSON answer. Secret fields of the query go on the wire only.

    The answer is streamed under the same deadline and size cap as a download (JSON answers have a small one).
    """
    session = session or make_session()
    budget = _Budget.for_download(url, source_id, "json", max_bytes)
    recorded_query = {k: v for k, v in body.items() if k not in secret_fields}
    recorded_query.update({k: "(sent, not recorded)" for k in secret_fields if k in body})
    with _http_errors(url, session):
        with session.post(url, json=body, timeout=_timeout(), stream=True) as resp:
            _check_status(url, resp, session)
            return _store_body(
                store,
                url,
                resp,
                "json",
                budget,
                _meta(
                    url, resp, source_id, part, filename, license, citation, {**(extra or {}), "query": recorded_query}
                ),
            )


@contextlib.contextmanager
def _http_errors(url: str, session) -> Iterator[None]:
    """Network failures, before or during the body, as a FetchError naming the URL."""
    try:
        yield
    except RetryAfterTooLong as exc:
        raise FetchError(f"{url}: {exc}") from exc
    except requests.RequestException as exc:
        raise FetchError(_network_error(url, exc, session)) from exc
    except (ProtocolError, ReadTimeoutError) as exc:  # raised by urllib3 while streaming the body
        raise FetchError(f"{url}: the connection broke mid-body ({exc}); the download is incomplete.") from exc


def _store_body(
    store: SnapshotStore, url: str, resp: requests.Response, expect: str, budget: "_Budget", meta: dict
) -> SnapshotMeta:
    """Stream the body into the store within the budget; refuse the wrong kind of body and a short one."""
    budget.check_announced(resp.headers.get("Content-Length"))
    resp.raw.decode_content = True
    body = _BudgetedBody(resp.raw, budget)
    _check_body_kind(url, expect, resp.headers.get("Content-Type", ""), body.sniff(512))
    with (
        explain_disk_full(f"the download of {url}", store.root / "tmp"),
        _progress(meta.get("filename") or url, resp.headers.get("Content-Length")) as bar,
    ):
        body.on_chunk = bar.update
        snap = store.put_stream(body, **meta)
    expected = resp.headers.get("Content-Length")
    if expected and resp.headers.get("Content-Encoding") in (None, "identity"):
        if int(expected) != snap.size_bytes:
            store.discard(snap.sha256)
            raise FetchError(
                f"{url}: truncated body: received {snap.size_bytes} bytes of the "
                f"{expected} announced. Try the refresh again."
            )
    return snap


def _progress(name: str, content_length: str | None) -> tqdm:
    """Bytes and rate of a download on a maintainer's terminal; nothing when stderr is not one (CI, logs)."""
    total = int(content_length) if content_length and content_length.isdigit() else None
    return tqdm(
        total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024, leave=False, disable=None, mininterval=0.5
    )


def _meta(url, resp, source_id, part, filename, license, citation, extra) -> dict:
    return dict(
        source_id=source_id,
        part=part,
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
        extra=extra or {},
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
        if first.lstrip()[:1] not in (b"{", b"["):
            raise FetchError(f"{url}: expected JSON; the body starts {first[:80]!r}.")
    if expect == "html" and not looks_html and b"<" not in first:
        raise FetchError(f"{url}: expected an HTML page; the body starts {first[:80]!r}.")


@dataclass
class _Budget:
    """How long one download may take (from its first request, retries included) and how much it may bring."""

    url: str
    max_bytes: int
    max_bytes_set_by: str
    deadline_s: float
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def for_download(cls, url: str, source_id: str, expect: str, max_bytes: int | None) -> "_Budget":
        cap = (max_bytes, "the caller") if max_bytes else download_cap(source_id, expect)
        return cls(url, cap[0], cap[1], deadline_s())

    def check_announced(self, content_length: str | None) -> None:
        try:
            announced = int(content_length or "")
        except ValueError:
            return
        if announced > self.max_bytes:
            raise FetchError(
                f"{self.url}: the server announces {announced:,} bytes (Content-Length), more than this download's "
                f"limit of {self.max_bytes:,} bytes (set by {self.max_bytes_set_by}); refused before downloading. "
                "If the file really is that big, raise the limit."
            )

    def check(self, received: int) -> None:
        if received > self.max_bytes:
            raise FetchError(
                f"{self.url}: the body passed this download's limit of {self.max_bytes:,} bytes (set by "
                f"{self.max_bytes_set_by}); {received:,} bytes received and discarded. "
                "If the file really is that big, raise the limit."
            )
        elapsed = time.monotonic() - self.started
        if elapsed > self.deadline_s:
            raise FetchError(
                f"{self.url}: the download did not finish within its deadline of {self.deadline_s:g} s "
                f"(http_deadline_s): {received:,} bytes received in {elapsed:.1f} s, discarded. The server is "
                "slow or stalling; try again later, or raise HTTP_DEADLINE_S."
            )


class _BudgetedBody:
    """The response body as a read() stream for the store, in small chunks, each checked against the budget.

    read1 returns whatever has arrived instead of waiting for a full chunk, so a dripping server is noticed.
    """

    def __init__(self, raw, budget: _Budget):
        self._raw = raw
        self._budget = budget
        self._sniffed = b""
        self.received = 0
        self.on_chunk: Callable[[int], object] = lambda n: None  # a progress bar's update, when there is one

    def sniff(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer if the body is shorter), given again by the next read()."""
        while len(self._sniffed) < n and (chunk := self._pull(n - len(self._sniffed))):
            self._sniffed += chunk
        return self._sniffed

    def read(self, n: int = -1) -> bytes:
        if self._sniffed:
            out, self._sniffed = self._sniffed, b""
            return out
        return self._pull(BODY_CHUNK if n is None or n < 0 else min(n, BODY_CHUNK))

    def _pull(self, n: int) -> bytes:
        self._budget.check(self.received)
        chunk = self._raw.read1(n)
        self.received += len(chunk)
        self.on_chunk(len(chunk))
        self._budget.check(self.received)
        return chunk
