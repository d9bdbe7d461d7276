"""A snapshot remote that a team shares: any fsspec URL (file:///..., s3://bucket/prefix, gs://..., memory://...).

It holds the same layout as the local store (``sha256/ab/<sha256>`` plus the ``.json`` sidecar), so copying in
either direction is a plain file copy; the hash is checked on arrival. The remote is untrusted: a copy that hashes
to something else is quarantined in the local store (CorruptCopyError), and the remote's sidecar is never read,
since a build takes each snapshot's metadata from the lock.
"""

from __future__ import annotations

import fsspec

from pipeline.settings import setting
from pipeline.snapshot_store import SnapshotStore, check_sha256


class SnapshotRemote:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url)

    def _object(self, sha256: str) -> str:
        check_sha256(sha256)
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def object_url(self, sha256: str) -> str:
        """Where the remote keeps an object, as a URL a maintainer can open."""
        check_sha256(sha256)
        return f"{self.url}/sha256/{sha256[:2]}/{sha256}"

    def has(self, sha256: str) -> bool:
        return self.fs.exists(self._object(sha256))

    def pull(self, sha256: str, store: SnapshotStore) -> bool:
        """Copy one object into the local store; False if the remote lacks it.

        Its hash is checked on arrival: wrong bytes raise CorruptCopyError, and are kept in the store's quarantine.
        """
        if not self.has(sha256):
            return False
        store.import_via(
            sha256, lambda out: self.fs.get_file(self._object(sha256), out), came_from=self.object_url(sha256)
        )
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
