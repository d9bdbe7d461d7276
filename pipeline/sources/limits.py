"""What a source may cost: download size, decompressed size and ratio, and what a full disk is reported as.

Every limit is a setting (pyproject ``[tool.occupation_book]``, overridden by the upper-case environment
variable). Archives are checked twice: first against the sizes they declare (cheap, before any byte is
inflated), then while inflating, because declared sizes are written by whoever made the file and can lie.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import gzip
import os
import struct
import zipfile
from pathlib import Path
from typing import Callable, Iterator

from pipeline.settings import setting
from pipeline.sources.errors import SourceFileError

# Small members are never refused for their ratio: a few hundred kilobytes of repetitive XML can compress
# 200-fold and still cost nothing to inflate. The ratio matters only where the size does.
RATIO_GRACE_BYTES = 1 << 20
INFLATE_CHUNK = 1 << 16

_BOMB = "the file is refused as a possible decompression bomb"
_KIND_CAP_SETTINGS = {"html": "http_max_html_bytes", "json": "http_max_json_bytes"}


class DiskFullError(RuntimeError):
    """The disk filled up while writing; not an OSError, so no caller mistakes it for a corrupt file."""


def deadline_s() -> float:
    return float(setting("http_deadline_s"))


def max_uncompressed_bytes() -> int:
    return int(setting("max_uncompressed_bytes"))


def max_compression_ratio() -> float:
    return float(setting("max_compression_ratio"))


def download_cap(source_id: str, expect: str) -> tuple[int, str]:
    """The most bytes one download of this source may bring, and what sets that limit (for the error message).

    The smallest of: the setting http_max_bytes, the setting for the kind of body (HTML pages and JSON API
    answers are small), and the source module's own MAX_DOWNLOAD_BYTES when it declares one.
    """
    caps = [(int(setting("http_max_bytes")), "the setting http_max_bytes (env HTTP_MAX_BYTES)")]
    if expect in _KIND_CAP_SETTINGS:
        name = _KIND_CAP_SETTINGS[expect]
        caps.append((int(setting(name)), f"the setting {name} (env {name.upper()})"))
    module = _source_module(source_id)
    declared = getattr(module, "MAX_DOWNLOAD_BYTES", None)
    if declared:
        caps.append((int(declared), f"MAX_DOWNLOAD_BYTES in {module.__name__}"))
    return min(caps, key=lambda cap: cap[0])


def _source_module(source_id: str):
    # At call time: the registry imports every source package, and they import this module.
    from pipeline.sources.registry import BY_ID

    return BY_ID.get(source_id)


@contextlib.contextmanager
def explain_disk_full(what: str, where: Path | str) -> Iterator[None]:
    """Turn ENOSPC raised inside the block into an error that says what was being written where."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise DiskFullError(
            f"no space left on device while writing {what} to {where}; free space and run again."
        ) from exc


# ---------------------------------------------------------------- zip


def check_zip(zf: zipfile.ZipFile, filename: str) -> None:
    """Refuse a zip whose declared sizes are too big, or too big for their compressed size.

    The ratio is checked per member and over all members, so a bomb split into many small members is caught.
    """
    limit, ratio_limit = max_uncompressed_bytes(), max_compression_ratio()
    members = zf.infolist()
    for info in members:
        subject = f"member {info.filename}"
        if info.file_size > limit:
            raise _bomb(
                filename,
                subject,
                f"declares {info.file_size:,} bytes uncompressed, over the limit of {limit:,} (max_uncompressed_bytes)",
            )
        _check_ratio(filename, subject, "declares", info.file_size, info.compress_size, ratio_limit)
    total = sum(info.file_size for info in members)
    subject = f"its {len(members)} members"
    if total > limit:
        raise _bomb(
            filename,
            subject,
            f"declare {total:,} bytes uncompressed together, over the limit of {limit:,} (max_uncompressed_bytes)",
        )
    _check_ratio(filename, subject, "declare", total, sum(info.compress_size for info in members), ratio_limit)


def _check_ratio(filename: str, subject: str, verb: str, size: int, compressed: int, ratio_limit: float) -> None:
    ratio = size / max(compressed, 1)
    if size > RATIO_GRACE_BYTES and ratio > ratio_limit:
        raise _bomb(
            filename,
            subject,
            f"{verb} {size:,} bytes uncompressed from {compressed:,} compressed, "
            f"a ratio of {ratio:,.0f}, over the limit of {ratio_limit:g} (max_compression_ratio)",
        )


def read_zip_member(zf: zipfile.ZipFile, member: str, filename: str) -> bytes:
    """A member's bytes, inflated no further than it declared (check_zip has already bounded that).

    zipfile itself stops at the declared size and then fails on the CRC, which would call a lying header
    "corrupt"; letting it read a few chunks further instead (it checks the CRC as soon as it reaches the size
    it was given) lets the lie be named.
    """
    info = zf.getinfo(member)
    past_declared = copy.copy(info)
    past_declared.file_size = info.file_size + 4 * INFLATE_CHUNK
    chunks, size = [], 0
    with zf.open(past_declared) as src:
        while chunk := src.read(INFLATE_CHUNK):
            size += len(chunk)
            if size > info.file_size:
                raise _bomb(
                    filename,
                    f"member {member}",
                    f"inflates to more than the {info.file_size:,} bytes its header declares (the header lies)",
                )
            chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- gzip


def gunzip_file(src: Path, dst: Path, filename: str) -> None:
    """Decompress a gzip file, refusing it when its declared or actual size is out of bounds.

    gzip's trailer (ISIZE) records the size modulo 4 GiB and can lie, so the real bound is enforced while
    inflating: at most max_uncompressed_bytes, and at most max_compression_ratio times the compressed size.
    """
    compressed = os.path.getsize(src)
    allowed, why = _gzip_allowance(compressed)
    declared = _gzip_declared_size(src)
    if declared > allowed:
        # A truncated file's last four bytes are not a trailer but deflate data, so a large "declared" size is
        # either a bomb or a cut file. Inflating without writing tells them apart at no cost in disk: a cut file
        # fails with gzip's own error (the caller calls it unreadable), a bomb reaches the limit.
        with gzip.open(src) as inflating:
            _inflate_within(
                inflating,
                allowed,
                lambda chunk: None,
                lambda: _bomb(
                    filename,
                    "the gzip stream",
                    f"declares {declared:,} bytes uncompressed (ISIZE) from "
                    f"{compressed:,} compressed, over the limit of {allowed:,} ({why})",
                ),
            )
    try:
        with (
            gzip.open(src) as inflating,
            explain_disk_full(f"the decompressed {filename}", dst),
            open(dst, "wb") as out,
        ):
            _inflate_within(
                inflating,
                allowed,
                out.write,
                lambda: _bomb(
                    filename,
                    "the gzip stream",
                    f"inflates to more than {allowed:,} bytes ({why}) although its trailer declares {declared:,}",
                ),
            )
    except BaseException:
        Path(dst).unlink(missing_ok=True)  # a partial file is never left for a later step to trust
        raise


def _inflate_within(
    inflating, allowed: int, write: Callable[[bytes], object], refusal: Callable[[], SourceFileError]
) -> None:
    size = 0
    while chunk := inflating.read(INFLATE_CHUNK):
        size += len(chunk)
        if size > allowed:
            raise refusal()
        write(chunk)


def _gzip_allowance(compressed: int) -> tuple[int, str]:
    limit, ratio_limit = max_uncompressed_bytes(), max_compression_ratio()
    by_ratio = max(RATIO_GRACE_BYTES, int(compressed * ratio_limit))
    if by_ratio < limit:
        return by_ratio, f"{ratio_limit:g} times the compressed size, max_compression_ratio"
    return limit, "max_uncompressed_bytes"


def _gzip_declared_size(path: Path) -> int:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() < 18:  # header and trailer; anything shorter is left for gzip to call corrupt
            return 0
        fh.seek(-4, os.SEEK_END)
        return struct.unpack("<I", fh.read(4))[0]


def _bomb(filename: str, subject: str, what: str) -> SourceFileError:
    return SourceFileError(
        filename,
        f"{subject} {what}; {_BOMB}.",
        "If the file is genuine, raise MAX_UNCOMPRESSED_BYTES or MAX_COMPRESSION_RATIO and run again.",
    )
