"""A lock is validated when it is read: a bad pin is refused naming the source, the part, the field and the fix.

Every tampered lock here is SYNTHETIC: the committed lock with one field changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pipeline.lock import LockError, read_lock

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LIVE = PROJECT_ROOT / "warehouse" / "sources.lock"


def test_the_committed_lock_and_every_edition_validate():
    locks = [LIVE, *sorted((PROJECT_ROOT / "warehouse" / "editions").glob("*.lock"))]
    assert len(locks) >= 3
    for path in locks:
        assert read_lock(path)["sources"], path


def _tampered(tmp_path, change) -> Path:
    lock = json.loads(LIVE.read_text())
    change(lock["sources"]["oews_history"]["snapshots"][0])  # the oesm20nat pin
    path = tmp_path / "sources.lock"
    path.write_text(json.dumps(lock))
    return path


def _set(field, value):
    return lambda pin: pin.__setitem__(field, value)


def _drop(field):
    return lambda pin: pin.pop(field)


def _set_previous(field, value):
    return lambda pin: pin.__setitem__("previous", {"sha256": "a" * 64, "size_bytes": 1, "rows": 1, field: value})


@pytest.mark.parametrize(
    "change, field",
    [
        (_set("sha256", "../../etc/hostname"), "sha256"),  # would resolve outside the store
        (_set("sha256", "AC0A59B501CD5D4C5966E799C39B1830F93B92C3CC6CD8AF301DC7959A4C2CB1"), "sha256"),
        (_set("sha256", "ac0a59b5"), "sha256"),
        (_drop("sha256"), "sha256"),
        (_drop("size_bytes"), "size_bytes"),
        (_drop("filename"), "filename"),
        (_drop("url"), "url"),
        (_drop("origin"), "origin"),
        (_drop("relation"), "relation"),
        (_drop("retrieved_at"), "retrieved_at"),
        (_set("size_bytes", -1), "size_bytes"),
        (_set("size_bytes", "267620"), "size_bytes"),
        (_set("size_bytes", True), "size_bytes"),
        (_set("rows", -5), "rows"),
        (_set("origin", ""), "origin"),
        (_set_previous("sha256", "../x"), "previous.sha256"),
        (_set_previous("size_bytes", 1.5), "previous.size_bytes"),
    ],
)
def test_a_bad_pin_is_refused_naming_source_part_and_field(tmp_path, change, field):
    path = _tampered(tmp_path, change)
    with pytest.raises(LockError) as info:
        read_lock(path)
    message = str(info.value)
    assert f"{path}: oews_history / oesm20nat: field '{field}'" in message
    assert f"git checkout {path}" in message and "fix that field" in message


def test_an_unknown_source_is_refused(tmp_path):
    lock = json.loads(LIVE.read_text())
    lock["sources"]["oews_futures"] = copy.deepcopy(lock["sources"]["ces"])
    path = tmp_path / "sources.lock"
    path.write_text(json.dumps(lock))
    with pytest.raises(LockError, match=r"source 'oews_futures' is not one this code knows \(ces, "):
        read_lock(path)
    assert read_lock(path, known_sources={"oews_futures", *lock["sources"]})["sources"]["oews_futures"]


@pytest.mark.parametrize(
    "mangle, problem",
    [
        (lambda lock: lock.__setitem__("version", 9), "lock version 9"),
        (lambda lock: lock.__setitem__("edition", "../../etc/passwd"), "field 'edition'"),
        (lambda lock: lock.__setitem__("sources", []), 'no "sources" object'),
        (lambda lock: lock["sources"]["ces"].pop("snapshots"), 'source ces has no "snapshots" list'),
        (lambda lock: lock["sources"]["ces"]["snapshots"].append("oops"), "ces / pin #3 is not an object"),
    ],
)
def test_a_malformed_lock_is_refused(tmp_path, mangle, problem):
    lock = json.loads(LIVE.read_text())
    mangle(lock)
    path = tmp_path / "sources.lock"
    path.write_text(json.dumps(lock))
    with pytest.raises(LockError, match=problem.replace("(", r"\(")) as info:
        read_lock(path)
    assert "git checkout" in str(info.value)


def test_a_missing_lock_is_an_empty_one_and_broken_json_is_named(tmp_path):
    assert read_lock(tmp_path / "none.lock")["sources"] == {}
    path = tmp_path / "sources.lock"
    path.write_text('{"version": 2, "sources": {')
    with pytest.raises(LockError, match="is not valid JSON"):
        read_lock(path)
