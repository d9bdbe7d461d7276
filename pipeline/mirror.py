"""A directory that stands in for the network: an index maps official URLs to local files.

The index is a tab-separated file (``MIRROR-INDEX.tsv``) with the columns url, local_path, relation,
reference_period and note; lines starting with ``#`` are comments. One URL may have several files (for example
two editions of a workbook that BLS served at the same address at different times). The relation says how a file
relates to the official bytes (identical, member-of-archive, reconstructed-subset) and is kept in the snapshot's
metadata, so lineage never claims an official hash for bytes that are not the official file.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

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
                "official URLs to files, such as ../shared/reference-data."
            )
        self._by_url: dict[str, list[MirrorEntry]] = {}
        with open(self.index_path, newline="") as fh:
            lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
        for lineno, row in enumerate(csv.reader(lines, delimiter="\t"), start=1):
            if len(row) < 3:
                raise MirrorError(f"{self.index_path}: entry {lineno} has {len(row)} fields; expected url, "
                                  "local_path, relation, reference_period, note")
            url, local_path, relation = (f.strip() for f in row[:3])
            if relation not in RELATIONS:
                raise MirrorError(f"{self.index_path}: entry {lineno} ({local_path}) has relation {relation!r}; "
                                  f"expected one of {sorted(RELATIONS)}")
            entry = MirrorEntry(url, local_path, self.root / local_path, relation,
                                row[3].strip() if len(row) > 3 else "", row[4].strip() if len(row) > 4 else "")
            if entry.path.is_file():  # an index line whose file is gone is simply not offered
                self._by_url.setdefault(url, []).append(entry)

    def entries(self, url: str) -> list[MirrorEntry]:
        return list(self._by_url.get(url, []))

    def find(self, url: str, sha256: str) -> MirrorEntry | None:
        """The mirror file for ``url`` whose bytes hash to ``sha256``, if there is one."""
        for entry in self.entries(url):
            if _sha256(entry.path) == sha256:
                return entry
        return None


def mirror_from_env() -> Mirror | None:
    root = os.environ.get("SOURCES_MIRROR")
    return Mirror(Path(root)) if root else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
