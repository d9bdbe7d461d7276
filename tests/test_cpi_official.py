"""The CPI's official origin, the LABSTAT flat files, against a local server serving SYNTHETIC files.

The files in tests/cpi_synthetic/ have BLS's layout and invented values (their README says so). A refresh fetches
them as it would from download.bls.gov, with the contact User-Agent; the loader keeps BLS's '-' and footnote for
October 2025; a second refresh that brings a revised value pins the new file beside the old and flags the month;
and a data file that repeats a month fails the generated key check.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CONTACT
from staging_helpers import load, rows

import pipeline.sources.cpi as cpi
from pipeline.checks import key_violations
from pipeline.lock import read_lock
from pipeline.refresh import format_report, run_refresh
from pipeline.report import real_wages
from pipeline.schemas import TABLE_RULES
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import resolve_source
from pipeline.sources.errors import SourceFileError

SYNTHETIC = Path(__file__).parent / "cpi_synthetic"
FILES = ("cu.data.1.AllItems", "cu.series", "cu.item", "cu.area", "cu.period", "cu.footnote")
PREFIX = "/pub/time.series/cu/"


def _serve(httpserver, data_file: str = "cu.data.1.AllItems", seen_agents: list | None = None) -> None:
    httpserver.clear()
    for name in FILES:
        body = (SYNTHETIC / (data_file if name == "cu.data.1.AllItems" else name)).read_bytes()

        def answer(request, body=body):
            from werkzeug.wrappers import Response

            if seen_agents is not None:
                seen_agents.append(request.headers.get("User-Agent", ""))
            return Response(body, content_type="text/plain")

        httpserver.expect_request(PREFIX + name).respond_with_handler(answer)


def _load_pinned(project, tmp_path):
    lock = read_lock(project.lock_path)
    store = SnapshotStore(project.snapshot_dir)
    res = resolve_source(cpi, lock, store)
    assert res.status == "complete", res
    return load(cpi.load_staging, store, res.snapshots, tmp_path)


def _cpi_pins(project) -> list[dict]:
    return json.loads(project.lock_path.read_text())["sources"]["cpi"]["snapshots"]


def test_the_official_files_are_fetched_with_the_contact_user_agent_and_pinned(project, httpserver, tmp_path):
    agents: list[str] = []
    _serve(httpserver, seen_agents=agents)
    report = run_refresh(project, progress=lambda _: None, only=["cpi"])
    assert report.lock_changed, format_report(report, project.lock_path)
    pins = {p["part"]: p for p in _cpi_pins(project)}
    # The project's lock pins the package's stand-in files; a complete official fetch retires them.
    retired = {c.part for c in report.changes if c.status == "retired"}
    assert retired and all(part.endswith("(package cpi)") for part in retired)
    assert set(pins) == set(FILES)
    assert {(p["origin"], p["relation"]) for p in pins.values()} == {("official", "identical")}
    assert pins["cu.data.1.AllItems"]["url"].endswith("/pub/time.series/cu/cu.data.1.AllItems")
    assert agents and all(CONTACT in agent for agent in agents)

    con, counts = _load_pinned(project, tmp_path)
    assert counts["stg_cpi__footnotes"] == 1 and counts["stg_cpi__series"] == 3
    october = rows(
        con,
        "SELECT value, value_flag, footnote_codes FROM stg_cpi__index_values "
        "WHERE series_id = 'CUUR0000SA0' AND year = 2025 AND period = 'M10'",
    )
    assert october == [{"value": None, "value_flag": "not_available", "footnote_codes": "X"}]  # kept, not filled
    gaps = real_wages.missing_months(con, "CUUR0000SA0")
    assert [(g.month, g.reason) for g in gaps] == [
        ("June 2024", "not in the CPI files of this build"),
        ("July 2024", "not in the CPI files of this build"),
        ("August 2024", "not in the CPI files of this build"),
        ("November 2024", "not in the CPI files of this build"),
        ("December 2024", "not in the CPI files of this build"),
        ("October 2025", "BLS: SYNTHETIC footnote: data not available for this month."),
    ]
    assert not rows(con, "SELECT * FROM stg_cpi__index_values WHERE period = 'M13'")  # annual average dropped
    series = {r["series_id"]: r for r in rows(con, "SELECT * FROM stg_cpi__series")}
    assert series["CUUR0000SA0"]["base_period"] == "1982-84=100"
    assert series["CUUR0000SA0"]["base_period_from"] == "cu.series"
    assert series["CUUR0100SA0"]["area_name"] == "Northeast"
    # The latest month with a value against the same month a year earlier.
    change = real_wages.raise_to_keep_up(con)
    assert (change.latest_month, change.year_earlier_month) == ("January 2026", "January 2025")
    assert change.change_pct == pytest.approx((211.0 / 204.5 - 1) * 100)


def test_a_revised_value_is_pinned_beside_the_old_and_flagged(project, httpserver, tmp_path):
    _serve(httpserver)
    run_refresh(project, progress=lambda _: None, only=["cpi"])
    first = {p["part"]: p["sha256"] for p in _cpi_pins(project)}

    _serve(httpserver, data_file="cu.data.1.AllItems.revised")
    report = run_refresh(project, progress=lambda _: None, only=["cpi"])
    text = format_report(report, project.lock_path)
    statuses = {c.part: c.status for c in report.changes}
    assert statuses["cu.data.1.AllItems"] == "revised", text
    assert statuses["cu.series"] == "unchanged"
    data_pins = [p for p in _cpi_pins(project) if p["part"] == "cu.data.1.AllItems"]
    assert len(data_pins) == 2 and first["cu.data.1.AllItems"] in {p["sha256"] for p in data_pins}

    con, _ = _load_pinned(project, tmp_path)
    september = rows(
        con,
        "SELECT value, vintages, revised FROM stg_cpi__index_values "
        "WHERE series_id = 'CUUR0000SA0' AND year = 2025 AND period = 'M09'",
    )
    assert september == [{"value": 208.75, "vintages": 2, "revised": True}]
    both = rows(
        con,
        "SELECT value FROM stg_cpi__observations WHERE series_id = 'CUUR0000SA0' AND year = 2025 "
        "AND period = 'M09' ORDER BY retrieved_at",
    )
    assert [r["value"] for r in both] == [208.5, 208.75]
    unrevised = rows(con, "SELECT count(*) AS n FROM stg_cpi__index_values WHERE revised")
    assert unrevised == [{"n": 1}]
    new_month = rows(con, "SELECT vintages FROM stg_cpi__index_values WHERE year = 2026 AND period = 'M02'")
    assert new_month == [{"vintages": 1}]  # a month added is not a revision
    assert real_wages.cpi_facts(con).revised_months == 1


def test_without_the_official_files_auto_falls_back_to_the_package(project, httpserver):
    httpserver.expect_request(PREFIX + "cu.data.1.AllItems").respond_with_data("Not Found", status=404)
    report = run_refresh(project, progress=lambda _: None, only=["cpi"])
    text = format_report(report, project.lock_path)
    assert "used the cpi package instead" in text
    assert {(p["origin"], p["relation"]) for p in _cpi_pins(project)} == {("package", "derived")}


def _store_of(tmp_path: Path, files: dict[str, Path]) -> tuple[SnapshotStore, list]:
    store = SnapshotStore(tmp_path / "store")
    snaps = [
        store.put_file(
            path,
            source_id="cpi",
            part=part,
            filename=part,
            url=f"https://download.bls.gov/pub/time.series/cu/{part}",
            retrieved_at="2026-11-29T00:00:00+00:00",
            origin="official",
            relation="identical",
            license=cpi.LICENSE,
            citation=cpi.CITATION,
        )
        for part, path in files.items()
    ]
    return store, snaps


def test_a_repeated_month_fails_the_generated_key_check(tmp_path):
    doubled = tmp_path / "cu.data.1.AllItems"
    text = (SYNTHETIC / "cu.data.1.AllItems").read_text()
    repeated = next(line for line in text.splitlines() if "\t2025\tM05\t" in line and line.startswith("CUUR0000SA0"))
    doubled.write_text(text + repeated.replace("206.500", "206.900") + "\n")  # SYNTHETIC: May 2025 twice
    files = {name: SYNTHETIC / name for name in FILES} | {"cu.data.1.AllItems": doubled}
    store, snaps = _store_of(tmp_path, files)
    con, _ = load(cpi.load_staging, store, snaps, tmp_path)
    bad, columns = key_violations(con, "stg_cpi__observations", TABLE_RULES["stg_cpi__observations"])
    assert [dict(zip(columns, row, strict=True))["period"] for row in bad] == ["M05"]
    assert dict(zip(columns, bad[0], strict=True))["copies"] == 2
    good, _ = key_violations(con, "stg_cpi__index_values", TABLE_RULES["stg_cpi__index_values"])
    assert good == []  # the latest-vintage table keeps one row; the vintages table is where the repeat shows


def test_a_series_without_a_base_period_is_refused(tmp_path):
    series = tmp_path / "cu.series"
    # SYNTHETIC: the Northeast series loses its base period, and the seed (U.S. city average only) has none for it.
    lines = (SYNTHETIC / "cu.series").read_text().splitlines(keepends=True)
    series.write_text("".join(line.replace("1982-84=100", "") if "CUUR0100" in line else line for line in lines))
    files = {name: SYNTHETIC / name for name in FILES} | {"cu.series": series}
    store, snaps = _store_of(tmp_path, files)
    with pytest.raises(SourceFileError, match="states no base period for \\['CUUR0100SA0'\\]"):
        load(cpi.load_staging, store, snaps, tmp_path)


def test_an_error_page_in_place_of_the_data_file_is_refused(tmp_path):
    page = tmp_path / "cu.data.1.AllItems"
    page.write_text("<!DOCTYPE html><html><body>Access Denied</body></html>\n")  # SYNTHETIC
    with pytest.raises(SourceFileError, match="expected series_id, year, period, value, footnote_codes"):
        cpi.validate(page, _store_of(tmp_path, {"cu.data.1.AllItems": page})[1][0])
    truncated = tmp_path / "cut"
    shutil.copy(SYNTHETIC / "cu.data.1.AllItems", truncated)
    truncated.write_bytes(truncated.read_bytes()[:-3])
    with pytest.raises(SourceFileError, match="cut off mid-row"):
        cpi.validate(truncated, _store_of(tmp_path / "b", {"cu.data.1.AllItems": truncated})[1][0])
