"""Content-addressed store of raw source bytes, each object with a JSON metadata sidecar.

Objects live at ``snapshots/sha256/ab/<sha256>`` and their metadata beside them as ``<sha256>.json``.
Writes go to a temporary file in the same directory and are renamed into place, so a crash never leaves a
half-written object under its final name. A copy that arrives with the wrong bytes is kept aside under
``snapshots/quarantine/<sha256>.<UTC time>`` (never under the object's name), so a maintainer can inspect it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(value: str) -> str:
    """``value`` if it is a SHA-256 as this project writes them (64 lowercase hex digits); a path is built from it."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a SHA-256 (64 lowercase hex digits); refusing to make a store path "
            "from it. Check the pin in warehouse/sources.lock."
        )
    return value


class Readable(Protocol):
    """What put_stream needs of a stream: a file, a download's body, a mirror file opened without symlinks."""

    def read(self, n: int = -1, /) -> bytes: ...


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
    def __init__(self, root: Path, *, keep_sidecars: bool = False):
        self.root = Path(root)
        # A build restoring bytes from an offline origin keeps the sidecars already there: another edition's
        # build sharing this store must not overwrite the metadata the live lock's build repaired.
        self.keep_sidecars = keep_sidecars

    def keeping_sidecars(self) -> "SnapshotStore":
        """The same store, where storing bytes that are already present leaves their sidecar as it is."""
        return SnapshotStore(self.root, keep_sidecars=True)

    def object_path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256

    def meta_path(self, sha256: str) -> Path:
        return self.object_path(sha256).with_suffix(".json")

    def has(self, sha256: str) -> bool:
        return self.object_path(sha256).exists() and self.meta_path(sha256).exists()

    def has_object(self, sha256: str) -> bool:
        return self.object_path(sha256).exists()

    def import_via(self, sha256: str, fill: Callable[[str], None], *, came_from: str = "") -> None:
        """Bring in an object whose hash is known: ``fill(tmp_path)`` writes the bytes, which must match.

        Bytes that do not match are moved to the quarantine and CorruptCopyError names where they are.
        """
        final = self.object_path(sha256)
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="import-")
        os.close(fd)
        try:
            fill(tmp_name)
            got = _sha256_of(Path(tmp_name))
            if got != sha256:
                kept = self._quarantine(Path(tmp_name), sha256, got, came_from)
                raise CorruptCopyError(came_from, got, sha256, kept)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def _quarantine(self, bad: Path, sha256: str, got: str, came_from: str) -> Path:
        """Keep bytes that arrived under the wrong name where a maintainer can look at them, once per content."""
        folder = self.root / "quarantine"
        folder.mkdir(parents=True, exist_ok=True)
        for note in sorted(folder.glob(f"{sha256}.*.json")):
            try:
                seen = json.loads(note.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            kept = note.with_suffix("")
            if seen.get("got") == got and kept.exists():
                bad.unlink(missing_ok=True)  # the same bad copy again (each build retries the remote)
                return kept
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        for n in range(1000):
            kept = folder / f"{sha256}.{stamp}{f'-{n}' if n else ''}"
            try:  # the note is created exclusively: it claims the name against a concurrent build
                fd = os.open(kept.with_name(kept.name + ".json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w") as out:
                json.dump({"expected": sha256, "got": got, "came_from": came_from, "at": stamp}, out, indent=2)
            os.replace(bad, kept)
            return kept
        raise CorruptSnapshotError(f"could not find a free quarantine name for {sha256} in {folder}")

    def put_stream(self, stream: Readable, **meta) -> SnapshotMeta:
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
        if not (self.keep_sidecars and self.meta_path(sha).exists()):
            self._write_meta(snap)
        return snap

    def put_file(self, path: Path, **meta) -> SnapshotMeta:
        with open(path, "rb") as fh:
            return self.put_stream(fh, **meta)

    def _write_meta(self, snap: SnapshotMeta) -> None:
        target = self.meta_path(snap.sha256)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".meta-")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(asdict(snap), out, indent=2, sort_keys=True)
            os.replace(tmp_name, target)
        except BaseException:  # a full disk mid-dump must not leave a half sidecar behind
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

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


class CorruptCopyError(CorruptSnapshotError):
    """A copy from another place (the snapshot remote, the mirror) hashed to something else; it was quarantined."""

    def __init__(self, came_from: str, got: str, expected: str, kept: Path):
        self.came_from, self.got, self.expected, self.kept = came_from, got, expected, kept
        super().__init__(
            f"copy from {came_from or 'an unnamed place'} hashes to {got}, expected {expected}; "
            f"the bad bytes are kept in {kept}"
        )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
