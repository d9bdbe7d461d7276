"""The BLS API client and the CES and JOLTS sources, against a local HTTP server.

The lookup files served here are the real ce.industry and ce.datatype (pinned in tests/reference_files.py), read
in place. Every API answer below is SYNTHETIC (built by the helpers in this file, in the BLS API v2 format that
docs/source-formats.md describes): no real CES or JOLTS series data is available offline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from werkzeug.wrappers import Response

from pipeline.mirror import Mirror
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import bls_api, ces, jolts
from pipeline.sources.base import FetchContext
from pipeline.sources.errors import SourceFileError
from pipeline.sources.http import make_session

API_PATH = "/publicAPI/v2/timeseries/data/"
CES_LOOKUPS = ("ces/ce.industry", "ces/ce.datatype")
THIS_YEAR = datetime.now(timezone.utc).year
UNPUBLISHED = "CES6562134001"  # the synthetic server answers this one as "does not exist"
SECRET = "SYNTHETIC-KEY-7f3c9e21b4d8a6"  # a distinctive fake key, grepped for everywhere afterwards


# ---------------------------------------------------------------- helpers


def synthetic_answer(series: list[str], start: int, end: int, missing: tuple[str, ...] = ()) -> dict:
    """SYNTHETIC API answer: two monthly points per series (newest first, the newest preliminary)."""
    out, messages = [], []
    for sid in series:
        if sid in missing:
            messages.append(f"Series does not exist for Series {sid}")
            out.append({"seriesID": sid, "data": []})
            continue
        out.append(
            {
                "seriesID": sid,
                "data": [
                    {
                        "year": str(end),
                        "period": "M02",
                        "periodName": "February",
                        "latest": "true",
                        "value": "101.5",
                        "footnotes": [{"code": "P", "text": "preliminary"}],
                    },
                    {"year": str(end), "period": "M01", "periodName": "January", "value": "100.0", "footnotes": [{}]},
                ],
            }
        )
    return {"status": "REQUEST_SUCCEEDED", "responseTime": 12, "message": messages, "Results": {"series": out}}


def synthetic_api(requests_seen: list[dict] | None = None, missing: tuple[str, ...] = (UNPUBLISHED,)):
    """A handler that answers any query with SYNTHETIC data for the series it asked for."""

    def handler(request):
        body = json.loads(request.data)
        if requests_seen is not None:
            requests_seen.append(body)
        answer = synthetic_answer(body["seriesid"], int(body["startyear"]), int(body["endyear"]), missing)
        return Response(json.dumps(answer), content_type="application/json")

    return handler


@pytest.fixture
def ces_file(real_file):
    """ces_file("ce.industry"): the real CES lookup file, read in place (skips when it cannot be had)."""
    return lambda name: real_file(f"ces/{name}")


@pytest.fixture
def env(httpserver, monkeypatch):
    monkeypatch.setenv("BLS_API_URL", httpserver.url_for(API_PATH))
    monkeypatch.setenv("BLS_DOWNLOAD_URL", httpserver.url_for("/"))
    monkeypatch.setenv("HTTP_BACKOFF_S", "0.01")
    monkeypatch.setenv("HTTP_ATTEMPTS", "3")
    monkeypatch.setenv("HTTP_TIMEOUT_S", "2")
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", "2015")
    monkeypatch.delenv("BLS_API_KEY", raising=False)
    return httpserver


def serve_ce_lookups(httpserver, ces_file) -> None:
    for name in ("ce.industry", "ce.datatype"):
        httpserver.expect_request(f"/pub/time.series/ce/{name}").respond_with_data(
            ces_file(name).read_bytes(), content_type="text/plain"
        )


def context(tmp_path: Path, lines: list[str], mirror=None) -> FetchContext:
    return FetchContext(
        store=SnapshotStore(tmp_path / "staging"), mirror=mirror, session=make_session(), progress=lines.append
    )


def stored_objects(store: SnapshotStore) -> list[Path]:
    root = store.root / "sha256"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".json") if root.exists() else []


def expected_api_parts(n_series: int, registered: bool = False) -> list[str]:
    """The part names a fetch from 2015 should produce: batches numbered within each year window."""
    plan = bls_api.plan_queries([f"S{i}" for i in range(n_series)], 2015, THIS_YEAR, registered)
    windows = [(start, end) for _, start, end in plan]
    return [
        f"api:{s}-{e}:batch-{windows[: i + 1].count((s, e))}-of-{windows.count((s, e))}"
        for i, (s, e) in enumerate(windows)
    ]


def data_lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())


# ---------------------------------------------------------------- planning and series IDs


def test_plan_queries_stays_within_bls_limits():
    forty = [f"S{i:02d}" for i in range(40)]
    assert bls_api.plan_queries(forty, 2015, 2026, registered=True) == [(forty, 2015, 2026)]
    plan = bls_api.plan_queries(forty, 2015, 2026, registered=False)
    assert [(len(b), s, e) for b, s, e in plan] == [
        (25, 2015, 2024),
        (15, 2015, 2024),
        (25, 2025, 2026),
        (15, 2025, 2026),
    ]
    big = bls_api.plan_queries([f"S{i}" for i in range(120)], 1990, 2026, registered=True)
    assert len(big) == 3 * 2 and all(len(b) <= 50 and e - s + 1 <= 20 for b, s, e in big)
    with pytest.raises(ValueError):
        bls_api.plan_queries(forty, 2027, 2026, registered=True)


def test_jolts_series_ids():
    ids = jolts.series_ids()
    assert len(ids) == 2 * 5 * 2 * 2 == len(set(ids))
    assert all(len(s) == 21 and s.startswith(("JTS", "JTU")) for s in ids)
    assert "JTS620000000000000JOL" in ids and "JTU000000000000000TSR" in ids


def test_ces_industries_are_in_the_real_ce_industry(ces_file):
    rows = {}
    for line in ces_file("ce.industry").read_text().splitlines()[1:]:
        fields = [f.strip() for f in line.split("\t")]
        rows[fields[0]] = fields
    for code, naics, label, _ in ces.SERIES_INDUSTRIES:
        assert rows[code][1] == naics and rows[code][3] == label
    ids = ces.series_ids()
    assert len(ids) == 2 * len(ces.SERIES_INDUSTRIES) and all(len(s) == 13 for s in ids)
    assert {"CES6562134001", "CEU6562134001", "CES0000000001"} <= set(ids)


# ---------------------------------------------------------------- fetch


def test_ces_fetch_stores_lookups_and_api_answers(env, tmp_path, ces_file):
    serve_ce_lookups(env, ces_file)
    seen: list[dict] = []
    env.expect_request(API_PATH, method="POST").respond_with_handler(synthetic_api(seen))
    lines: list[str] = []
    ctx = context(tmp_path, lines)
    result = ces.fetch(ctx)

    assert result.unreachable == {}
    by_part = {m.part: m for m in result.snapshots}
    api_parts = expected_api_parts(len(ces.series_ids()))
    assert sorted(by_part) == sorted(["ce.industry", "ce.datatype", *api_parts])
    for name in ("ce.industry", "ce.datatype"):
        meta = by_part[name]
        assert meta.rows == data_lines(ces_file(name)) and meta.origin == "official"
        assert meta.sha256 == hashlib.sha256(ces_file(name).read_bytes()).hexdigest()
        assert ctx.store.meta(meta.sha256).rows == meta.rows  # the sidecar carries the count too
    assert len(seen) == len(api_parts)
    assert all("registrationkey" not in q and "catalog" not in q for q in seen)  # no key: v1 limits, no catalog
    for part in api_parts:
        meta = by_part[part]
        start, end = part.split(":")[1].split("-")
        assert meta.filename.startswith(f"ces-api-{start}-{end}-batch-") and meta.filename.endswith(".json")
        assert meta.extra["series_without_data"] == [UNPUBLISHED]
        assert meta.rows == 2 * (len(meta.extra["query"]["seriesid"]) - 1)
        assert ctx.store.meta(meta.sha256).extra["series_without_data"] == [UNPUBLISHED]
        assert ces.validate(ctx.store.object_path(meta.sha256), meta) == meta.rows
    assert len(lines) == 2 + len(api_parts)  # one progress line per request


def test_jolts_fetch_batches_forty_series(env, tmp_path, monkeypatch):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    seen: list[dict] = []
    env.expect_request(API_PATH, method="POST").respond_with_handler(synthetic_api(seen, missing=()))
    result = jolts.fetch(context(tmp_path, []))
    assert result.unreachable == {}
    assert sorted(m.part for m in result.snapshots) == [
        f"api:{THIS_YEAR}-{THIS_YEAR}:batch-1-of-2",
        f"api:{THIS_YEAR}-{THIS_YEAR}:batch-2-of-2",
    ]
    assert sorted(len(q["seriesid"]) for q in seen) == [15, 25]
    assert sum(m.rows for m in result.snapshots) == 2 * 40


def test_request_not_processed_makes_the_part_unreachable(env, tmp_path, monkeypatch, ces_file):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    serve_ce_lookups(env, ces_file)
    env.expect_request(API_PATH, method="POST").respond_with_json(  # SYNTHETIC error answer
        {
            "status": "REQUEST_NOT_PROCESSED",
            "responseTime": 3,
            "message": ["Year range has been reduced to the system-allowed limit of 10 years."],
            "Results": {},
        }
    )
    ctx = context(tmp_path, [])
    result = ces.fetch(ctx)
    part = f"api:{THIS_YEAR}-{THIS_YEAR}:batch-1-of-1"
    assert list(result.unreachable) == [part]
    assert "REQUEST_NOT_PROCESSED" in result.unreachable[part]
    assert "system-allowed limit of 10 years" in result.unreachable[part]
    assert sorted(m.part for m in result.snapshots) == ["ce.datatype", "ce.industry"]
    assert len(stored_objects(ctx.store)) == 2  # the error answer was discarded


def test_daily_limit_gives_a_specific_message_and_stops_querying(env, tmp_path):
    seen: list[dict] = []

    def handler(request):  # SYNTHETIC: the wording BLS uses when the day's quota is spent
        seen.append(json.loads(request.data))
        return Response(
            json.dumps(
                {
                    "status": "REQUEST_NOT_PROCESSED",
                    "responseTime": 1,
                    "message": [
                        "Request could not be serviced, as the daily threshold for total number of requests "
                        "allocated to the user has been reached."
                    ],
                    "Results": {},
                }
            ),
            content_type="application/json",
        )

    env.expect_request(API_PATH, method="POST").respond_with_handler(handler)
    ctx = context(tmp_path, [])
    result = jolts.fetch(ctx)
    parts = expected_api_parts(40)
    assert sorted(result.unreachable) == sorted(parts) and len(parts) > 1
    first = result.unreachable[parts[0]]
    assert "daily query limit was reached" in first
    assert "500" in first and "25" in first and "tomorrow" in first and "BLS_API_KEY" in first
    assert all(result.unreachable[p].startswith("not sent:") for p in parts[1:])
    assert len(seen) == 1  # no further queries once BLS said the quota is spent
    assert stored_objects(ctx.store) == [] and result.snapshots == []


def test_html_page_instead_of_json_is_refused(env, tmp_path, monkeypatch):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    env.expect_request(API_PATH, method="POST").respond_with_data(
        "<!DOCTYPE html><html><body>Access Denied</body></html>", content_type="text/html"
    )
    ctx = context(tmp_path, [])
    result = jolts.fetch(ctx)
    assert len(result.unreachable) == 2 and not result.snapshots
    assert all("HTML page" in reason for reason in result.unreachable.values())
    assert stored_objects(ctx.store) == []


def test_429_then_success_is_retried(env, tmp_path, monkeypatch):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    env.expect_ordered_request(API_PATH, method="POST").respond_with_data("slow down", status=429)
    env.expect_ordered_request(API_PATH, method="POST").respond_with_handler(synthetic_api())
    env.expect_ordered_request(API_PATH, method="POST").respond_with_handler(synthetic_api())
    result = jolts.fetch(context(tmp_path, []))
    assert result.unreachable == {} and len(result.snapshots) == 2
    assert [r.status_code for _, r in env.log] == [429, 200, 200]


def test_api_key_is_sent_but_never_recorded(env, tmp_path, monkeypatch, capsys, ces_file):
    monkeypatch.setenv("BLS_API_KEY", SECRET)
    serve_ce_lookups(env, ces_file)
    seen: list[dict] = []
    env.expect_request(API_PATH, method="POST").respond_with_handler(synthetic_api(seen))
    lines: list[str] = []
    ctx = context(tmp_path, lines)
    result = ces.fetch(ctx)
    print("\n".join(lines), result)  # whatever a caller would print of the outcome

    assert result.unreachable == {} and len(seen) == len(expected_api_parts(18, registered=True)) == 1
    assert seen[0]["registrationkey"] == SECRET and seen[0]["catalog"] is True  # it did go on the wire
    api = [m for m in result.snapshots if m.part.startswith("api:")]
    assert api[0].extra["query"]["registrationkey"] == "(sent, not recorded)"
    files = [p for p in (tmp_path / "staging").rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err and SECRET not in repr(result)


def test_an_answer_quoting_the_key_is_not_kept(env, tmp_path, monkeypatch):
    monkeypatch.setenv("BLS_API_KEY", SECRET)
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    env.expect_request(API_PATH, method="POST").respond_with_json(  # SYNTHETIC: a server that echoes the key
        {"status": "REQUEST_NOT_PROCESSED", "message": [f"The key {SECRET} provided by the User is invalid."]}
    )
    ctx = context(tmp_path, [])
    result = jolts.fetch(ctx)
    (reason,) = result.unreachable.values()
    assert SECRET not in reason and "registration key" in reason
    assert stored_objects(ctx.store) == []
    for path in (tmp_path / "staging").rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes()


def test_mirror_gives_the_lookups_and_reports_the_api_unreachable(tmp_path, monkeypatch, mirror_of, ces_file):
    monkeypatch.delenv("BLS_DOWNLOAD_URL", raising=False)  # the mirror is looked up by the official URLs
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    ctx = context(tmp_path, [], mirror=Mirror(mirror_of(CES_LOOKUPS)))
    result = ces.fetch(ctx)
    by_part = {m.part: m for m in result.snapshots}
    assert sorted(by_part) == ["ce.datatype", "ce.industry"]
    for name, meta in by_part.items():
        assert meta.origin == "mirror" and meta.relation == "identical"
        assert meta.url == f"https://download.bls.gov/pub/time.series/ce/{name}"
        assert meta.rows == data_lines(ces_file(name))
    (reason,) = result.unreachable.values()
    assert "mirror holds files, not API answers" in reason


def test_a_lookup_that_is_not_the_mapping_file_is_refused(env, tmp_path, monkeypatch, ces_file):
    monkeypatch.setenv("MONTHLY_SERIES_FIRST_YEAR", str(THIS_YEAR))
    env.expect_request("/pub/time.series/ce/ce.industry").respond_with_data(
        "series_id\tyear\tperiod\tvalue\n", content_type="text/plain"
    )  # SYNTHETIC wrong file
    env.expect_request("/pub/time.series/ce/ce.datatype").respond_with_data(
        ces_file("ce.datatype").read_bytes(), content_type="text/plain"
    )
    env.expect_request(API_PATH, method="POST").respond_with_handler(synthetic_api())
    ctx = context(tmp_path, [])
    result = ces.fetch(ctx)
    assert list(result.unreachable) == ["ce.industry"]
    assert "ce.industry: has header" in result.unreachable["ce.industry"]
    assert "ce.industry" not in {m.part for m in result.snapshots}
    assert len(stored_objects(ctx.store)) == len(result.snapshots)


# ---------------------------------------------------------------- reading answers


def test_parse_api_json(tmp_path):
    path = tmp_path / "SYNTHETIC-answer.json"
    path.write_text(
        json.dumps(
            {
                "status": "REQUEST_SUCCEEDED",
                "responseTime": 5,
                "message": ["No Data Available for Series X Year: 2015"],
                "Results": {
                    "series": [
                        {
                            "seriesID": "CEU6562134001",
                            "data": [
                                {
                                    "year": "2026",
                                    "period": "M03",
                                    "periodName": "March",
                                    "latest": "true",
                                    "value": "-",
                                    "footnotes": [{"code": "P", "text": "preliminary"}],
                                },
                                {
                                    "year": "2026",
                                    "period": "M02",
                                    "periodName": "February",
                                    "value": "412.3",
                                    "footnotes": [{"code": "P", "text": "preliminary"}, {"code": "4", "text": "other"}],
                                },
                                {
                                    "year": "2025",
                                    "period": "M12",
                                    "periodName": "December",
                                    "value": "409.9",
                                    "footnotes": [{}],
                                },
                            ],
                        }
                    ]
                },
            }
        )
    )
    rows = bls_api.parse_api_json(path)
    assert rows == [
        {
            "series_id": "CEU6562134001",
            "year": 2026,
            "period": "M03",
            "value": None,
            "footnote_codes": "P",
            "is_preliminary": True,
            "latest": True,
        },
        {
            "series_id": "CEU6562134001",
            "year": 2026,
            "period": "M02",
            "value": 412.3,
            "footnote_codes": "P,4",
            "is_preliminary": True,
            "latest": False,
        },
        {
            "series_id": "CEU6562134001",
            "year": 2025,
            "period": "M12",
            "value": 409.9,
            "footnote_codes": "",
            "is_preliminary": False,
            "latest": False,
        },
    ]


def test_content_fingerprint_ignores_timing_and_order_but_not_revisions(tmp_path, ces_file):
    answer = synthetic_answer(["JTS000000000000000JOL", "JTU000000000000000JOL"], 2026, 2026)  # SYNTHETIC
    a, b, c = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    a.write_text(json.dumps(answer))
    answer["responseTime"] = 999
    answer["Results"]["series"].reverse()
    b.write_text(json.dumps(answer))
    answer["Results"]["series"][0]["data"][1]["value"] = "100.1"  # a revised month
    c.write_text(json.dumps(answer))
    assert jolts.content_fingerprint(a) == jolts.content_fingerprint(b) != jolts.content_fingerprint(c)
    assert (
        ces.content_fingerprint(ces_file("ce.datatype"))
        == hashlib.sha256(ces_file("ce.datatype").read_bytes()).hexdigest()
    )


@pytest.mark.parametrize(
    "answer, problem",
    [
        ({"status": "REQUEST_SUCCEEDED", "message": ["nothing"], "Results": {}}, "returned no series"),
        ({"status": "REQUEST_FAILED_OVER_CAPACITY", "message": ["busy"]}, "REQUEST_FAILED_OVER_CAPACITY"),
        (
            {
                "status": "REQUEST_SUCCEEDED",
                "Results": {
                    "series": [
                        {
                            "seriesID": "X",
                            "data": [{"year": "2026", "period": "M01", "value": "n/a", "footnotes": [{}]}],
                        }
                    ]
                },
            },
            "value 'n/a'",
        ),
        (
            {
                "status": "REQUEST_SUCCEEDED",
                "Results": {
                    "series": [
                        {"seriesID": "X", "data": [{"year": 2026, "period": "M01", "value": "1", "footnotes": [{}]}]}
                    ]
                },
            },
            "year 2026",
        ),
    ],
)
def test_validate_refuses_bad_answers(tmp_path, answer, problem):  # every answer here is SYNTHETIC
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    meta = _meta("jolts-api-2026-2026-batch-1.json")
    with pytest.raises(SourceFileError, match=problem) as info:
        jolts.validate(path, meta)
    assert str(info.value).startswith("jolts-api-2026-2026-batch-1.json: ")


def test_validate_refuses_a_truncated_answer(tmp_path):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(synthetic_answer(["JTS000000000000000JOL"], 2026, 2026))[:-40])  # SYNTHETIC
    with pytest.raises(SourceFileError, match="not valid JSON"):
        jolts.validate(path, _meta("x.json"))


def _meta(filename: str) -> SnapshotMeta:
    return SnapshotMeta(
        source_id="jolts",
        filename=filename,
        url="",
        retrieved_at="",
        origin="official",
        relation="identical",
        sha256="0" * 64,
        size_bytes=0,
        license="",
        citation="",
        part="api:2026-2026:batch-1-of-1",
    )
