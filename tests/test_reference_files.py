"""How the tests get their pinned real files (tests/reference_files.py), against a local server.

Every file served here is SYNTHETIC (a few bytes made up by the test); only the lookup order and the checks are real.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import reference_files as rf

WORKBOOK = b"SYNTHETIC workbook bytes"


@pytest.fixture
def registry(monkeypatch, tmp_path, httpserver):
    """An empty mirror and cache, and one SYNTHETIC member-of-archive file served by the local server."""
    spec = rf.RealFile(
        "oews/national/national_M2099_dl.xlsx",
        hashlib.sha256(WORKBOOK).hexdigest(),
        httpserver.url_for("/oes/special-requests/oesm99nat.zip"),
        "member-of-archive",
        "May 2099",
        "SYNTHETIC",
    )
    monkeypatch.setattr(rf, "REAL_FILES", {spec.path: spec})
    monkeypatch.setattr(rf, "MIRROR_ROOT", tmp_path / "mirror")
    monkeypatch.setattr(rf, "CACHE_ROOT", tmp_path / "cache")
    rf.locate.cache_clear()
    yield spec
    rf.locate.cache_clear()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_without_a_contact_nothing_is_fetched(registry, monkeypatch, httpserver):
    monkeypatch.setattr(rf, "SESSION_CONTACT", "")
    found = rf.locate(registry.path)
    assert found.path is None and found.problem == ""
    assert httpserver.log == []


def test_the_member_is_extracted_checked_and_cached_with_a_contact_user_agent(registry, monkeypatch, httpserver):
    monkeypatch.setattr(rf, "SESSION_CONTACT", "tests@example.org")
    httpserver.expect_request("/oes/special-requests/oesm99nat.zip").respond_with_data(
        _zip({"oesm99nat/national_M2099_dl.xlsx": WORKBOOK, "oesm99nat/readme.txt": b"other"})
    )
    found = rf.locate(registry.path)
    assert (found.where, found.path) == ("official URL", rf.CACHE_ROOT / registry.path)
    assert found.path.read_bytes() == WORKBOOK
    ((request, _),) = httpserver.log
    assert "tests@example.org" in request.headers["User-Agent"]
    rf.locate.cache_clear()  # a second session finds it in the cache and asks the server nothing
    assert rf.locate(registry.path).where == "cache" and len(httpserver.log) == 1


def test_other_bytes_from_the_url_are_reported_not_cached(registry, monkeypatch, httpserver):
    monkeypatch.setattr(rf, "SESSION_CONTACT", "tests@example.org")
    httpserver.expect_request("/oes/special-requests/oesm99nat.zip").respond_with_data(
        _zip({"national_M2099_dl.xlsx": b"SYNTHETIC newer edition"})
    )
    found = rf.locate(registry.path)
    assert found.path is None and "did not give the pinned bytes" in found.problem
    assert not (rf.CACHE_ROOT / registry.path).exists()


def test_a_mirror_file_with_other_bytes_is_passed_over(registry, monkeypatch):
    monkeypatch.setattr(rf, "SESSION_CONTACT", "")
    wrong = rf.MIRROR_ROOT / registry.path
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(b"SYNTHETIC other bytes")
    found = rf.locate(registry.path)
    assert found.path is None and "is not the pinned file" in found.problem


def test_a_mirror_folder_from_the_cache_is_indexed_for_the_pipeline(registry, monkeypatch):
    from pipeline.mirror import Mirror

    cached = rf.CACHE_ROOT / registry.path
    cached.parent.mkdir(parents=True)
    cached.write_bytes(WORKBOOK)
    folder = rf.mirror_folder([registry.path])
    assert folder == rf.CACHE_ROOT
    entry = Mirror(folder).find(registry.url, registry.sha256)
    assert entry is not None and entry.relation == "member-of-archive"


@pytest.mark.parametrize("path", [p for p, f in rf.REAL_FILES.items() if f.rebuild is not None])
def test_the_reconstructed_files_rebuild_byte_for_byte_from_the_package(path):
    assert hashlib.sha256(rf.REAL_FILES[path].rebuild()).hexdigest() == rf.REAL_FILES[path].sha256


def test_lineage_claims_no_official_hash_for_files_that_are_not_official():
    for spec in rf.REAL_FILES.values():
        assert spec.downloadable == (spec.relation in ("identical", "member-of-archive")), spec.path
        if spec.url is None:
            assert spec.relation == "derived" and spec.rebuild is not None, spec.path
    assert {rf.REAL_FILES[p].relation for p in rf.MIRRORED} <= {
        "identical",
        "member-of-archive",
        "reconstructed-subset",
    }  # what a mirror index takes
