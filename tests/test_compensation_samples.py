"""The compensation-samples CSV: schema checks, snapshotting from the repository, and annualising.

Every sample row in this file is SYNTHETIC (made-up employers at example.org); the only real file read is the
committed CSV, which holds a header and no samples.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.settings import PROJECT_ROOT
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources import compensation_samples as cs
from pipeline.sources.base import FetchContext
from pipeline.sources.errors import SourceFileError

HEADER = ",".join(cs.COLUMNS)
# SYNTHETIC rows, in COLUMNS order.
GOOD_ROWS = [
    "syn-001,29-1122,Occupational Therapist,SYNTHETIC Clinic,job_posting,https://example.org/synthetic/1,"
    "2026-01-05,outpatient,full_time,OR,annual,82000,95000,,,SYNTHETIC posted range",
    "syn-002,29-1122,Travel OT,,job_posting,https://example.org/synthetic/2,2026-01-06,staffing_agency,contract,"
    "US,weekly,2100,,36,,",
    'syn-003,29-1122,OT - Home Health,SYNTHETIC Home Care,other,"SYNTHETIC survey, table 3",2025-12-01,'
    'home_health,per_diem,PR,per_visit,75,,,2,"note with a comma, and\na line break"',
]
TODAY = date(2026, 2, 1)


def _write(tmp_path, rows, header=HEADER, name="compensation_samples.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_the_committed_csv_is_a_valid_header_with_no_samples():
    committed = PROJECT_ROOT / "warehouse" / "seeds" / "compensation_samples.csv"
    assert committed.read_text().strip() == HEADER
    assert cs.read_samples(committed) == []


def test_good_rows_are_read_with_typed_values(tmp_path):
    samples = cs.read_samples(_write(tmp_path, GOOD_ROWS), today=TODAY)
    assert [s["sample_id"] for s in samples] == ["syn-001", "syn-002", "syn-003"]
    assert samples[0]["amount_usd"] == 82000.0 and samples[0]["amount_max_usd"] == 95000.0
    assert samples[0]["hours_per_week"] is None and samples[1]["employer"] is None
    assert samples[1]["hours_per_week"] == 36.0 and samples[2]["experience_years"] == 2.0
    assert samples[2]["notes"] == "note with a comma, and\na line break"


def test_every_bad_row_is_reported_by_line_and_field(tmp_path):
    bad = [
        GOOD_ROWS[0],  # line 2
        GOOD_ROWS[1].replace(",weekly,", ",yearly,"),  # line 3
        GOOD_ROWS[2],  # lines 4-5 (the note spans two lines)
        GOOD_ROWS[0]
        .replace("syn-001", "syn-004")
        .replace("2026-01-05", "2026-03-01")
        .replace(",OR,", ",ZZ,")
        .replace("82000", '"$82,000"'),  # line 6: several fields at once
        GOOD_ROWS[0].replace("https://example.org/synthetic/1", ""),  # line 7: duplicate id, no reference
        GOOD_ROWS[0]
        .replace("syn-001", "syn-005")
        .replace("82000,95000", "90000,80000")
        .replace("29-1122", "291122"),  # line 8
        GOOD_ROWS[0].replace("syn-001", "syn-006").replace("annual,82000,95000", "annual,41,"),  # line 9
        "syn-007,29-1122,too few fields",  # line 10
    ]
    with pytest.raises(SourceFileError) as err:
        cs.read_samples(_write(tmp_path, bad), today=TODAY)
    message = str(err.value)
    expected = [
        "compensation_samples.csv line 3, field pay_basis: 'yearly' is not one of annual, hourly, monthly, weekly, "
        "per_visit",
        "line 6, field observed_on: 2026-03-01 is in the future",
        "line 6, field state: 'ZZ' is not a two-letter USPS code",
        "line 6, field amount_usd: '$82,000' is not a number (write 85000.50: no '$', commas or units)",
        "line 7, field origin_reference: is required",
        "line 7, field sample_id: 'syn-001' is also used on line 2",
        "line 8, field amount_max_usd: 80000 is below amount_usd 90000",
        "line 8, field soc_code: '291122' is not a SOC code",
        "line 9, field amount_usd: 41 is implausible for pay_basis annual",
        "line 10: 3 fields, the header has 16",
    ]
    for fragment in expected:
        assert fragment in message, fragment
    assert "line 2," not in message and "line 4," not in message


def test_many_problems_are_capped_in_one_message(tmp_path):
    rows = [GOOD_ROWS[0].replace("syn-001", f"syn-{n}").replace(",OR,", ",XX,") for n in range(30)]
    with pytest.raises(SourceFileError) as err:
        cs.read_samples(_write(tmp_path, rows), today=TODAY)
    assert "30 problem(s)" in str(err.value) and "... and 10 more problems" in str(err.value)


@pytest.mark.parametrize(
    "header, fragment",
    [
        (HEADER.replace("pay_basis", "basis"), "missing column(s) pay_basis; unexpected column(s) basis"),
        (HEADER.replace(",notes", ""), "missing column(s) notes"),
        (HEADER + ",bonus_usd", "unexpected column(s) bonus_usd"),
        (HEADER.replace("state,pay_basis", "pay_basis,state"), "the columns are in the wrong order"),
        ("# SYNTHETIC comment line", "may not carry comments"),
    ],
)
def test_a_wrong_header_names_the_column_and_file(tmp_path, header, fragment):
    with pytest.raises(SourceFileError, match="compensation_samples.csv") as err:
        cs.read_samples(_write(tmp_path, [], header=header))
    assert fragment in str(err.value)


def _ctx(tmp_path):
    lines: list[str] = []
    ctx = FetchContext(store=SnapshotStore(tmp_path / "staging"), progress=lines.append)
    return ctx, lines


def test_a_good_csv_is_snapshotted_from_the_repository(tmp_path, monkeypatch):
    path = _write(tmp_path, GOOD_ROWS[:2])  # observed in Jan 2026: not in the future for the real clock either
    monkeypatch.setenv("COMPENSATION_SAMPLES_CSV", str(path))
    ctx, lines = _ctx(tmp_path)
    result = cs.fetch(ctx)
    assert result.unreachable == {}
    [snap] = result.snapshots
    assert (snap.rows, snap.origin, snap.relation) == (2, "repository", "identical")
    assert snap.part == snap.filename == "compensation_samples.csv"
    assert snap.url == "repository:warehouse/seeds/compensation_samples.csv"
    assert ctx.store.meta(snap.sha256).rows == 2
    assert ctx.store.object_path(snap.sha256).read_bytes() == path.read_bytes()
    assert lines == ["  compensation_samples.csv: 2 samples"]


def test_the_committed_empty_csv_snapshots_with_zero_rows(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPENSATION_SAMPLES_CSV", raising=False)
    ctx, _ = _ctx(tmp_path)
    [snap] = cs.fetch(ctx).snapshots
    assert snap.rows == 0


def test_an_invalid_csv_is_unreachable_and_nothing_is_stored(tmp_path, monkeypatch):
    path = _write(tmp_path, [GOOD_ROWS[0].replace(",annual,", ",yearly,")])
    monkeypatch.setenv("COMPENSATION_SAMPLES_CSV", str(path))
    ctx, _ = _ctx(tmp_path)
    result = cs.fetch(ctx)
    assert result.snapshots == []
    assert "line 2, field pay_basis: 'yearly'" in result.unreachable["compensation_samples.csv"]
    assert not (tmp_path / "staging" / "sha256").exists()


@pytest.mark.parametrize(
    "basis, amount, hours, expected",
    [
        ("annual", 85000, None, 85000.0),
        ("hourly", 45, None, 93600.0),  # 2080 hours
        ("hourly", 45, 36, 84240.0),  # 36 h x 52 weeks
        ("weekly", 2000, None, 104000.0),
        ("monthly", 7000, None, 84000.0),
        ("per_visit", 75, None, None),
    ],
)
def test_annualise(basis, amount, hours, expected):
    assert cs.annualise(basis, amount, hours) == expected


def test_annualise_refuses_an_unknown_basis():
    with pytest.raises(ValueError, match="yearly"):
        cs.annualise("yearly", 1)
