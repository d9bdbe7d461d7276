"""Edition names and lookup: one per lock-changing refresh, named by quarter, never overwritten."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.editions import (
    EditionError,
    current_edition,
    edition_lock,
    list_editions,
    next_edition_name,
    previous_edition,
    record_edition,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _when(year, month):
    return datetime(year, month, 15, tzinfo=timezone.utc)


def test_editions_are_named_by_the_quarter_of_the_refresh():
    assert next_edition_name([], _when(2026, 2)) == "2026Q1"
    assert next_edition_name(["2026Q1"], _when(2026, 4)) == "2026Q2"
    assert next_edition_name(["2026Q4"], _when(2026, 12)) == "2026Q4.2"
    assert next_edition_name(["2026Q4", "2026Q4.2", "2026Q3"], _when(2026, 10)) == "2026Q4.3"


def test_recording_keeps_every_edition_and_stamps_the_live_lock(tmp_path):
    lock_path = tmp_path / "sources.lock"
    first = record_edition(lock_path, {"version": 2, "sources": {"a": {"snapshots": []}}}, _when(2026, 1))
    second = record_edition(lock_path, {"version": 2, "sources": {"b": {"snapshots": []}}}, _when(2026, 2))
    third = record_edition(lock_path, {"version": 2, "sources": {"c": {"snapshots": []}}}, _when(2026, 5))
    assert (first, second, third) == ("2026Q1", "2026Q1.2", "2026Q2")
    assert list_editions(lock_path) == ["2026Q1", "2026Q1.2", "2026Q2"]
    assert current_edition(lock_path) == "2026Q2"
    assert json.loads(edition_lock("2026Q1", lock_path).read_text())["sources"] == {"a": {"snapshots": []}}
    assert previous_edition("2026Q2", lock_path) == "2026Q1.2"
    assert previous_edition("2026Q1", lock_path) is None


def test_an_edition_that_was_never_recorded_is_refused_with_the_ones_that_were(tmp_path):
    lock_path = tmp_path / "sources.lock"
    record_edition(lock_path, {"version": 2, "sources": {}}, _when(2026, 7))
    with pytest.raises(EditionError, match=r"no edition 2025Q4.*Recorded editions: 2026Q3"):
        edition_lock("2025Q4", lock_path)
    with pytest.raises(EditionError, match="not named like"):
        edition_lock("last-quarter", lock_path)


def test_the_committed_editions_include_the_live_lock():
    """The live lock is always a recorded edition, byte for byte, so it stays buildable once replaced."""
    live = PROJECT_ROOT / "warehouse" / "sources.lock"
    name = current_edition(live)
    assert name in list_editions(live)
    assert edition_lock(name, live).read_bytes() == live.read_bytes()
