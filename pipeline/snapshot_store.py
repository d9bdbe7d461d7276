"""Content-addressed store of raw source bytes, each object with a JSON metadata sidecar.

Objects live at ``snapshots/sha256/ab/<sha256>`` and their metadata beside them as ``<sha256>.json``.
Writes go to a temporary file in the same directory and are renamed into place, so a crash never leaves a
half-written object under its final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

CHUNK = 1 << 20


@dataclass(frozen=True)
class SnapshotMeta:
    """What a reviewer needs to trace bytes back to where they came from."""

    source_id: str
    filename: str
    url: str
    retrieved_at: str  # ISO 8601, UTC
    origin: str  # "official" | "mirror" | "package"
    relation: str  # "identical" | "member-of-archive" | "reconstructed" | "derived"
    sha256: str
    size_bytes: int
    license: str
    citation: str
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    package: str | None = None  # "name==version" when origin is a package
    note: str = ""
    part: str = ""  # the logical piece of the source: a file, a year, an edition, an API batch
    rows: int | None = None  # row count, filled in by the source's validate() at refresh time
    extra: dict = field(default_factory=dict)


class SnapshotStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def object_path(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def meta_path(self, sha256: str) -> Path:
        return self.object_path(sha256).with_suffix(".json")

    def has(self, sha256: str) -> bool:
        return self.object_path(sha256).exists() and self.meta_path(sha256).exists()

    def has_object(self, sha256: str) -> bool:
        return self.object_path(sha256).exists()

    def import_via(self, sha256: str, fill: Callable[[str], None]) -> None:
        """Bring in an object whose hash is known: ``fill(tmp_path)`` writes the bytes, which must match."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="import-")
        os.close(fd)
        try:
            fill(tmp_name)
            got = _sha256_of(Path(tmp_name))
            if got != sha256:
                raise CorruptSnapshotError(f"the copy hashes to {got}, expected {sha256}")
            final = self.object_path(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def import_file(self, path: Path, sha256: str) -> None:
        self.import_via(sha256, lambda out: shutil.copyfile(path, out))

    def put_stream(self, stream: BinaryIO, **meta) -> SnapshotMeta:
        """Hash and store a byte stream; ``meta`` holds every SnapshotMeta field but sha256 and size."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.object_path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                os.unlink(tmp_name)
            else:
                os.replace(tmp_name, final)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        snap = SnapshotMeta(sha256=sha, size_bytes=size, **meta)
        self._write_meta(snap)
        return snap

    def put_file(self, path: Path, **meta) -> SnapshotMeta:
        with open(path, "rb") as fh:
            return self.put_stream(fh, **meta)

    def _write_meta(self, snap: SnapshotMeta) -> None:
        target = self.meta_path(snap.sha256)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".meta-")
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(snap), out, indent=2, sort_keys=True)
        os.replace(tmp_name, target)

    def write_meta(self, snap: SnapshotMeta) -> None:
        """Replace an object's sidecar (e.g. to add the row count found by validation)."""
        self._write_meta(snap)

    def discard(self, sha256: str) -> None:
        """Remove an object that turned out to be bad; only ever used on a refresh's staging store."""
        self.object_path(sha256).unlink(missing_ok=True)
        self.meta_path(sha256).unlink(missing_ok=True)

    def adopt(self, other: "SnapshotStore", sha256: str) -> SnapshotMeta:
        """Copy one verified object and its sidecar from another store (a refresh's staging area)."""
        snap = other.meta(sha256)
        if not self.has(sha256):
            fields = {k: v for k, v in asdict(snap).items() if k not in ("sha256", "size_bytes")}
            with open(other.verify(sha256), "rb") as fh:
                stored = self.put_stream(fh, **fields)
            if stored.sha256 != sha256:
                raise CorruptSnapshotError(f"copy of {sha256} hashed to {stored.sha256}")
        else:
            self._write_meta(snap)
        return snap

    def meta(self, sha256: str) -> SnapshotMeta:
        with open(self.meta_path(sha256)) as fh:
            return SnapshotMeta(**json.load(fh))

    def verify(self, sha256: str) -> Path:
        """Return the object's path after re-hashing it; raise if its bytes no longer match the name."""
        path = self.object_path(sha256)
        got = _sha256_of(path)
        if got != sha256:
            raise CorruptSnapshotError(
                f"snapshot {path} is corrupt: its SHA-256 is {got}, expected {sha256}. "
                "Delete it and run `make refresh` (or restore it from the snapshot remote)."
            )
        return path


class CorruptSnapshotError(RuntimeError):
    pass


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

