"""A directory that stands in for the network: an index maps official URLs to local files.

The index is a tab-separated file (``MIRROR-INDEX.tsv``) with the columns url, local_path, relation,
reference_period and note; lines starting with ``#`` are comments. One URL may have several files (for example
two editions of a workbook that BLS served at the same address at different times). The relation says how a file
relates to the official bytes (identical, member-of-archive, reconstructed-subset) and is kept in the snapshot's
metadata, so lineage never claims an official hash for bytes that are not the official file.

The index is untrusted input: a refresh pins what it offers and pushes it to the team's snapshot remote. Every
local_path must be relative and stay inside the mirror root, with no symlink anywhere under the root; one line
that breaks this refuses the whole index, naming the line. Paths are checked again each time they are offered,
and ``Mirror.open`` reads a file without following any symlink swapped in since.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

INDEX_NAME = "MIRROR-INDEX.tsv"
RELATIONS = {"identical", "member-of-archive", "reconstructed-subset"}


class MirrorError(ValueError):
    pass


@dataclass(frozen=True)
class MirrorEntry:
    url: str
    local_path: str
    path: Path
    relation: str
    reference_period: str
    note: str


class Mirror:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.index_path = self.root / INDEX_NAME
        if not self.index_path.is_file():
            raise MirrorError(
                f"SOURCES_MIRROR={self.root} has no {INDEX_NAME}. Point it at a folder whose index maps "
                "official URLs to files (docs/source-formats.md lists the files the project knows)."
            )
        self._real_root = self.root.resolve()  # the root itself may be a symlink: the user chose it
        self._by_url: dict[str, list[MirrorEntry]] = {}
        with open(self.index_path, newline="") as fh:
            numbered = [
                (n, line) for n, line in enumerate(fh, start=1) if line.strip() and not line.lstrip().startswith("#")
            ]
        for lineno, line in numbered:
            row = next(csv.reader([line], delimiter="\t"))
            if len(row) < 3:
                raise MirrorError(
                    f"{self.index_path}: line {lineno} has {len(row)} fields; expected url, "
                    "local_path, relation, reference_period, note"
                )
            url, local_path, relation = (f.strip() for f in row[:3])
            if relation not in RELATIONS:
                raise MirrorError(
                    f"{self.index_path}: line {lineno} ({local_path}) has relation {relation!r}; "
                    f"expected one of {sorted(RELATIONS)}"
                )
            problem = self._path_problem(local_path)
            if problem:
                raise MirrorError(
                    f"{self.index_path}: line {lineno}: local_path {local_path!r} {problem}. Paths "
                    "must be relative and inside the mirror root, with no symlinks; fix or remove "
                    "the line."
                )
            entry = MirrorEntry(
                url,
                local_path,
                self.root / local_path,
                relation,
                row[3].strip() if len(row) > 3 else "",
                row[4].strip() if len(row) > 4 else "",
            )
            if entry.path.is_file():  # an index line whose file is gone is simply not offered
                self._by_url.setdefault(url, []).append(entry)

    def _path_problem(self, local_path: str) -> str | None:
        """Why ``local_path`` may not be offered (outside the root, or through a symlink), or None."""
        if not local_path:
            return "is empty"
        if (
            PurePosixPath(local_path).is_absolute()
            or PureWindowsPath(local_path).is_absolute()
            or PureWindowsPath(local_path).drive
        ):
            return "is absolute"
        if ".." in PurePosixPath(local_path.replace("\\", "/")).parts:
            return "goes up with '..'"
        here = self._real_root
        for part in PurePosixPath(local_path).parts:
            here = here / part
            if here.is_symlink():
                return f"passes through the symlink {here.relative_to(self._real_root)}"
        if not here.resolve().is_relative_to(self._real_root):
            return f"resolves outside the mirror root {self._real_root}"
        return None

    def entries(self, url: str) -> list[MirrorEntry]:
        """The files indexed under ``url``, each checked again: a file swapped for a symlink is refused."""
        entries = list(self._by_url.get(url, []))
        for entry in entries:
            problem = self._path_problem(entry.local_path)
            if problem:
                raise MirrorError(
                    f"{self.index_path}: local_path {entry.local_path!r} {problem} (it changed after "
                    "the index was read). Paths must be relative and inside the mirror root, with "
                    "no symlinks."
                )
        return entries

    def open(self, entry: MirrorEntry) -> BinaryIO:
        """Open an entry's file for reading, refusing a symlink met on the way even if it appeared after the check.

        Each component is opened relative to the one before with O_NOFOLLOW, so nothing can be swapped in between
        checking the path and reading it.
        """
        parts = PurePosixPath(entry.local_path).parts
        fd = os.open(self._real_root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for n, part in enumerate(parts):
                last = n == len(parts) - 1
                flags = os.O_RDONLY | os.O_NOFOLLOW | (0 if last else os.O_DIRECTORY)
                try:
                    child = os.open(part, flags, dir_fd=fd)
                except OSError as exc:
                    if exc.errno == errno.ELOOP or (
                        exc.errno == errno.ENOTDIR and os.path.islink(os.path.join(self._real_root, *parts[: n + 1]))
                    ):
                        raise MirrorError(
                            f"{self.index_path}: local_path {entry.local_path!r} passes through a "
                            f"symlink at {part!r} (it changed after the index was read). Paths must "
                            "be relative and inside the mirror root, with no symlinks."
                        ) from exc
                    raise
                os.close(fd)
                fd = child
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise MirrorError(f"{self.index_path}: local_path {entry.local_path!r} is not a regular file.")
            stream = os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
        return stream

    def find(self, url: str, sha256: str) -> MirrorEntry | None:
        """The mirror file for ``url`` whose bytes hash to ``sha256``, if there is one."""
        for entry in self.entries(url):
            with self.open(entry) as fh:
                if _sha256(fh) == sha256:
                    return entry
        return None


def mirror_from_env() -> Mirror | None:
    root = os.environ.get("SOURCES_MIRROR")
    return Mirror(Path(root)) if root else None


def _sha256(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()
