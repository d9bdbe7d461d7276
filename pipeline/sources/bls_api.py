"""A small client for the BLS Public Data API v2, shared by the monthly sources (CES, JOLTS).

What it does (docs/source-formats.md, BLS API v2 answers, describes the formats):
- splits a list of series into queries within the API's limits (``plan_queries``);
- POSTs each query through ``ctx.post_json`` and stores the answer as one snapshot per query (a *part*);
- checks each answer (``validate_api_json``) and refuses error answers at fetch time, so a failed query becomes
  an unreachable part instead of a pinned snapshot;
- reads an answer back as one row per observation (``parse_api_json``);
- names every requested series BLS answered with no data, once per series over all batches, in the refresh
  report (``FetchResult.notes``) and per snapshot in ``extra["series_without_data"]``, so none silently disappears.

The registration key comes from the environment variable BLS_API_KEY only. It goes on the wire and nowhere
else: not in snapshots, sidecars, progress lines or error messages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotMeta
from pipeline.sources.base import FetchContext, FetchResult, keep_valid
from pipeline.sources.errors import FetchError, SourceFileError

KEY_ENV = "BLS_API_KEY"

# (series per query, years per query, queries per day), from the BLS API FAQ.
LIMITS = {True: (50, 20, 500), False: (25, 10, 25)}

SUCCEEDED = "REQUEST_SUCCEEDED"
_DAILY_LIMIT = re.compile(r"daily threshold", re.IGNORECASE)
_NO_SERIES = re.compile(r"Series does not exist for Series (\w+)", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_MESSAGE_CHARS = 200
_PART_YEARS = re.compile(r"^api:(\d{4})-(\d{4}):")


class DailyLimitError(SourceFileError):
    """The API refused a query because the day's quota is spent; later queries today will fail the same way."""


def api_key() -> str | None:
    """The registration key, from the environment only (never from pyproject, which is committed)."""
    return os.environ.get(KEY_ENV) or None


def plan_queries(
    series_ids: list[str], first_year: int, last_year: int, registered: bool
) -> list[tuple[list[str], int, int]]:
    """Split the request into (series batch, start year, end year) queries within the BLS per-query limits."""
    if first_year > last_year:
        raise ValueError(f"first year {first_year} is after last year {last_year}")
    max_series, max_years, _ = LIMITS[registered]
    windows = [(start, min(start + max_years - 1, last_year)) for start in range(first_year, last_year + 1, max_years)]
    batches = [list(series_ids[i : i + max_series]) for i in range(0, len(series_ids), max_series)]
    return [(batch, start, end) for start, end in windows for batch in batches]


def fetch_series(
    ctx: FetchContext,
    result: FetchResult,
    *,
    source_id: str,
    series_ids: list[str],
    license: str,
    citation: str,
    describe: Callable[[str], str],
) -> None:
    """Query every series over the configured years; add snapshots and unreachable parts to ``result``.

    ``describe`` says what a series ID is (industry, measure, adjustment): the note for each series BLS returned
    no data for names it by ID and meaning.
    """
    key = api_key()
    url = setting("bls_api_url")
    first_year = int(setting("monthly_series_first_year"))
    last_year = datetime.now(timezone.utc).year
    queries = plan_queries(series_ids, first_year, last_year, registered=key is not None)
    # Batches are numbered within their year window, so a part's name is the same at every refresh that year.
    per_window = Counter((start, end) for _, start, end in queries)
    numbering: Counter = Counter()
    daily_limit_reason = None
    empty: dict[str, EmptySeries] = {}
    for batch, start, end in queries:
        numbering[(start, end)] += 1
        n, of = numbering[(start, end)], per_window[(start, end)]
        part = f"api:{start}-{end}:batch-{n}-of-{of}"
        if daily_limit_reason:
            # Once BLS says the day's quota is spent, every further query would be refused too: don't send them.
            result.unreachable[part] = f"not sent: {daily_limit_reason}"
            continue
        ctx.progress(f"  POST {len(batch)} series, {start}-{end} (batch {n} of {of})")
        body: dict[str, object] = {"seriesid": batch, "startyear": str(start), "endyear": str(end)}
        if key:
            body.update(registrationkey=key, catalog=True)  # the catalog is only served to registered users
        try:
            meta = ctx.post_json(
                url,
                body,
                secret_fields=("registrationkey",),
                source_id=source_id,
                part=part,
                filename=f"{source_id}-api-{start}-{end}-batch-{n}.json",
                license=license,
                citation=citation,
            )
        except FetchError as exc:
            result.unreachable[part] = _redact(str(exc), key)
            continue
        try:
            path = ctx.store.object_path(meta.sha256)
            if key and key.encode() in path.read_bytes():
                # Should BLS ever quote the key back (e.g. in an "invalid key" message), the answer must not be kept.
                raise SourceFileError(meta.filename, "the answer quotes the registration key, so it was not kept.")
            answer = _answer(path, meta.filename)
        except SourceFileError as exc:
            ctx.store.discard(meta.sha256)
            result.unreachable[part] = _redact(str(exc), key)
            if isinstance(exc, DailyLimitError):
                daily_limit_reason = result.unreachable[part]
            continue
        without_data = _series_without_data(answer, batch)
        for sid in without_data:
            found = empty.setdefault(sid, EmptySeries())
            found.windows.add((start, end))
            found.messages.update(_messages_naming(answer, sid))
        extra = {**meta.extra, "series_without_data": without_data, "api_messages": answer.get("message") or []}
        meta = dataclasses.replace(meta, rows=_count_points(answer), extra=extra)
        ctx.store.write_meta(meta)
        result.snapshots.append(meta)
    result.notes += [empty_series_note(sid, describe(sid), found) for sid, found in sorted(empty.items())]


@dataclasses.dataclass
class EmptySeries:
    """Where one series came back without data: the (start, end) years of each query, and what BLS said of it."""

    windows: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    messages: set[str] = dataclasses.field(default_factory=set)


def empty_series_note(series_id: str, meaning: str, found: EmptySeries) -> str:
    """One refresh-report line for a series BLS answered with no data, over every query that asked for it."""
    said = f"; BLS said: {'; '.join(sorted(found.messages))}" if found.messages else ""
    return (
        f"BLS returned no data for series {series_id} ({meaning}) for {format_years(found.windows)}{said}; "
        "the book says so where the series would be shown."
    )


def format_years(windows) -> str:
    """'2015-2026' for the (start, end) windows 2015-2024 and 2025-2026; disjoint spans listed: '2015, 2020-2021'."""
    spans: list[list[int]] = []
    for start, end in sorted(windows):
        if spans and start <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def requested(meta: SnapshotMeta) -> tuple[list[str], int | None, int | None]:
    """The series and years an API snapshot's query asked for: from the recorded query, else from its part name."""
    query = (meta.extra or {}).get("query") or {}
    series = [s for s in query.get("seriesid") or [] if isinstance(s, str)]
    years = (query.get("startyear"), query.get("endyear"))
    if not all(isinstance(y, str) and y.isdigit() for y in years):
        m = _PART_YEARS.match(meta.part or "")
        years = (m.group(1), m.group(2)) if m else (None, None)
    first, last = (int(y) if y is not None else None for y in years)
    return series, first, last


def series_without_data(path: Path, meta: SnapshotMeta) -> dict[str, str]:
    """Series ID -> what BLS said of it ('' if nothing), for each series a stored answer has no data for.

    The answer's own body (empty data lists, "Series does not exist" messages) and the series the query asked
    for together decide; the list recorded at fetch time in ``extra`` is added, for pins whose query was not kept.
    """
    answer = _answer(Path(path), meta.filename)
    asked, _, _ = requested(meta)
    recorded = [s for s in (meta.extra or {}).get("series_without_data") or [] if isinstance(s, str)]
    series = answer["Results"]["series"]
    with_data = {s["seriesID"] for s in series if s["data"]}
    answered_empty = {s["seriesID"] for s in series if not s["data"]}
    ids = set(_series_without_data(answer, asked)) | answered_empty | (set(recorded) - with_data)
    return {sid: "; ".join(_messages_naming(answer, sid)) for sid in sorted(ids)}


def store_checked(
    ctx: FetchContext,
    result: FetchResult,
    part: str,
    fetch: Callable[[], list[SnapshotMeta]],
    validate: Callable[[Path, SnapshotMeta], int],
) -> None:
    """Fetch one file part, validate each snapshot, record its row count; a failure makes the part unreachable."""
    try:
        metas = fetch()
    except FetchError as exc:
        result.unreachable[part] = str(exc)
        return
    for meta in metas:
        try:
            result.snapshots.append(keep_valid(ctx.store, meta, validate))
        except SourceFileError as exc:
            result.unreachable[part] = str(exc)


# ---------------------------------------------------------------- reading answers


def validate_api_json(path: Path, meta: SnapshotMeta) -> int:
    """Check a stored API answer; return the number of data points over all series."""
    return _count_points(_answer(path, meta.filename))


def parse_api_json(path: Path) -> list[dict]:
    """One dict per observation of a stored API answer (the answer is validated first)."""
    answer = _answer(Path(path), Path(path).name)
    rows = []
    for series in answer["Results"]["series"]:
        for point in series["data"]:
            codes = [f["code"].strip() for f in point.get("footnotes") or [] if f and f.get("code")]
            value = point["value"].strip()
            rows.append(
                {
                    "series_id": series["seriesID"],
                    "year": int(point["year"]),
                    "period": point["period"],
                    "value": None if value == "-" else float(value),
                    "footnote_codes": ",".join(codes),
                    "is_preliminary": "P" in codes,
                    "latest": point.get("latest") == "true",
                }
            )
    return rows


def content_fingerprint(path: Path) -> str:
    """A hash of the observations an answer carries, blind to what changes on every call (responseTime, order).

    A refresh compares it with the pinned vintage's, so an unrevised series does not pin a new vintage each time.
    Any other file (a lookup) is fingerprinted by its bytes.
    """
    raw = Path(path).read_bytes()
    if not raw.lstrip().startswith(b"{"):
        return hashlib.sha256(raw).hexdigest()
    rows = sorted(parse_api_json(path), key=lambda r: (r["series_id"], r["year"], r["period"]))
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def _count_points(answer: dict) -> int:
    return sum(len(series["data"]) for series in answer["Results"]["series"])


def _messages_naming(answer: dict, series_id: str) -> list[str]:
    """BLS's own messages about one series (e.g. "Series does not exist for Series X")."""
    # The text is BLS's, shown in the refresh report and on a page: one line, and not unboundedly long.
    return [
        " ".join(str(msg).split())[:_MESSAGE_CHARS]
        for msg in answer.get("message") or []
        if any(m.group(1) == series_id for m in _NO_SERIES.finditer(str(msg)))
    ]


def _series_without_data(answer: dict, requested: list[str]) -> list[str]:
    """Requested series that BLS answered with no data points (not published, or not in these years)."""
    with_data = {s["seriesID"] for s in answer["Results"]["series"] if s["data"]}
    named = {m.group(1) for msg in answer.get("message") or [] for m in _NO_SERIES.finditer(str(msg))}
    return sorted((set(requested) - with_data) | (named - with_data))


def _answer(path: Path, filename: str) -> dict:
    """The parsed answer, after checking its status and shape; raises SourceFileError naming ``filename``."""
    try:
        answer = json.loads(Path(path).read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFileError(filename, f"is not valid JSON ({exc}).", "Was the download cut off?") from exc
    if not isinstance(answer, dict):
        raise SourceFileError(filename, "is not a BLS API answer (the top level is not an object).")
    status = answer.get("status")
    messages = answer.get("message") or []
    if status != SUCCEEDED:
        if any(_DAILY_LIMIT.search(str(m)) for m in messages):
            with_key, without = LIMITS[True][2], LIMITS[False][2]
            raise DailyLimitError(
                filename,
                f"the BLS API daily query limit was reached ({with_key} queries a day with a registration key, "
                f"{without} without); BLS said {messages!r}.",
                f"Retry tomorrow, or set {KEY_ENV} to a registered key (https://data.bls.gov/registrationEngine/).",
            )
        raise SourceFileError(filename, f"the BLS API answered status {status!r} with message {messages!r}.")
    series = (answer.get("Results") or {}).get("series")
    if not isinstance(series, list) or not series:
        raise SourceFileError(filename, f"the BLS API reported success but returned no series; message {messages!r}.")
    for s in series:
        sid = s.get("seriesID") if isinstance(s, dict) else None
        if not isinstance(sid, str) or not isinstance(s.get("data"), list):
            raise SourceFileError(filename, f"has a series entry without seriesID or data: {str(s)[:120]}")
        for point in s["data"]:
            _check_point(filename, sid, point)
    return answer


def _check_point(filename: str, sid: str, point) -> None:
    where = f"series {sid}"
    if not isinstance(point, dict):
        raise SourceFileError(filename, f"{where} has a data point that is not an object: {point!r}")
    year, period, value = point.get("year"), point.get("period"), point.get("value")
    if not (isinstance(year, str) and re.fullmatch(r"\d{4}", year)):
        raise SourceFileError(filename, f"{where} has a data point with year {year!r}; expected a 4-digit string.")
    if not (isinstance(period, str) and re.fullmatch(r"[A-Z]\d{2}", period)):
        raise SourceFileError(filename, f"{where} {year} has period {period!r}; expected e.g. 'M01'.")
    if not (isinstance(value, str) and (value.strip() == "-" or _NUMBER.match(value.strip()))):
        raise SourceFileError(filename, f"{where} {year} {period} has value {value!r}; expected a number or '-'.")
    notes = point.get("footnotes", [])
    if not isinstance(notes, list) or not all(isinstance(f, dict) for f in notes):
        raise SourceFileError(filename, f"{where} {year} {period} has footnotes {notes!r}; expected a list of objects.")


def _redact(text: str, key: str | None) -> str:
    return text.replace(key, f"(${KEY_ENV})") if key else text
