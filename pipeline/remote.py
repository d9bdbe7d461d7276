"""A snapshot remote that a team shares: any fsspec URL (file:///..., s3://bucket/prefix, gs://..., memory://...).

It holds the same layout as the local store (``sha256/ab/<sha256>`` plus the ``.json`` sidecar), so copying in
either direction is a plain file copy; the hash is checked on arrival.
"""

from __future__ import annotations

import fsspec

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotStore


class SnapshotRemote:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url)

    def _object(self, sha256: str) -> str:
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def has(self, sha256: str) -> bool:
        return self.fs.exists(self._object(sha256))

    def pull(self, sha256: str, store: SnapshotStore) -> bool:
        """Copy one object into the local store (its hash is checked on arrival); False if the remote lacks it."""
        if not self.has(sha256):
            return False
        store.import_via(sha256, lambda out: self.fs.get_file(self._object(sha256), out))
        return True

    def push(self, sha256: str, store: SnapshotStore) -> None:
        if self.has(sha256):
            return
        self.fs.makedirs(f"{self.root}/sha256/{sha256[:2]}", exist_ok=True)
        self.fs.put_file(str(store.meta_path(sha256)), self._object(sha256) + ".json")
        # The object goes last: its presence is what `has` tests, so a half-finished push is not taken as done.
        self.fs.put_file(str(store.object_path(sha256)), self._object(sha256))


def remote_from_settings() -> SnapshotRemote | None:
    url = setting("snapshot_remote")
    return SnapshotRemote(url) if url else None
