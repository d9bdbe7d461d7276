"""What every source shares: the fetch context a refresh hands it, and what it hands back.

A source is one package, ``pipeline/sources/<source_id>/``, found by pipeline/sources/registry.py. Its
``__init__.py`` defines:

- ``SOURCE_ID`` (the folder's name) and ``TITLE``;
- ``ORDER``: where a refresh takes it among the sources (a number; gaps left for new sources);
- ``ASSET_NAME`` (its snapshot asset, ``raw_<source>__<content>``) and ``STAGING_STEP`` (its staging step);
- ``TABLES``: its staging tables, declared once in its ``tables.py`` (pipeline/sources/table_spec.py): name,
  description, columns with types and units, key, ordered chains. The staging assets, the table rules and the
  generated checks all read them;
- ``load_staging(con, store, snaps) -> {table: rows}``, from its ``load.py``: create every table of ``TABLES``
  inside the caller's transaction (empty when there is no snapshot);
- ``fetch(ctx: FetchContext) -> FetchResult``: take the source's bytes from the network (or the mirror that
  stands in for it) into ``ctx.store``, one snapshot per *part* (a file, a year, an edition, an API batch);
- ``validate(path, meta) -> int``: check that the stored bytes are what the source should be, and return their
  row count. It raises ``SourceFileError`` naming the file and what is wrong. A refresh never pins bytes that
  fail it;
- optionally ``KEEPS_VINTAGES = True``: a changed part is pinned *beside* the old one instead of replacing it
  (monthly series whose revisions we keep);
- optionally ``offline_snapshots(store) -> list[SnapshotMeta]``: an origin that needs no network (a package);
- optionally ``MAX_DOWNLOAD_BYTES``: a cap on one download of this source, below the setting http_max_bytes
  (pipeline/sources/limits.py; HTML pages and JSON API answers already have small caps of their own);
- ``OFFICIAL_PAGE_URL``: the official page a source line links to (``{soc_compact}`` is replaced by the SOC code
  without its hyphen, for a page per occupation), or None when there is no one page; optionally
  ``OFFICIAL_INDEX_URL``, the page for a code with no page of its own;
- ``HOLDS``: ``"data"`` or ``"documents"``, so the "Not in this build" note says what a reader misses;
- optionally ``TABLE_PARTS``: for a table loaded from one part only, that part (its lineage then names only
  that part's snapshots);
- optionally ``SEED_FILES`` and ``STAGING_SETTINGS``: project files and settings its loader reads besides its
  snapshots, so a change to them rebuilds its staging tables.

The modules beside the packages (this one, http, bls_api, xlsx, limits, errors, typed_table, table_spec,
oews_format, monthly_series_load) are shared by the sources and import none of them. Within a package,
``load.py`` and ``tables.py`` never import the package's ``__init__``, so the package has no import cycle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import requests

from pipeline.mirror import Mirror
from pipeline.snapshot_store import SnapshotMeta, SnapshotStore
from pipeline.sources.errors import FetchError, SourceFileError
from pipeline.sources.http import fetch_to_store, post_json_to_store
from pipeline.sources.limits import explain_disk_full


@dataclass
class FetchResult:
    """The snapshots a source fetched, and the parts it could not reach (each with the reason)."""

    snapshots: list[SnapshotMeta] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # part -> why
    notes: list[str] = field(default_factory=list)  # e.g. which fallback origin was used, and why


@dataclass
class FetchContext:
    """Where a source's bytes go during a refresh, and how it gets them.

    ``store`` is a staging store: a refresh promotes it into the real store only when everything is done.
    When ``mirror`` is set it stands in for the network: URLs are looked up in its index, nothing is downloaded.
    """

    store: SnapshotStore
    mirror: Mirror | None = None
    session: requests.Session | None = None
    progress: Callable[[str], None] = print

    def get(
        self,
        url: str,
        *,
        source_id: str,
        part: str,
        filename: str,
        license: str,
        citation: str,
        expect: str,
        extra: dict | None = None,
    ) -> list[SnapshotMeta]:
        """Every snapshot that stands for ``url``: one download, or each mirror file indexed under it."""
        if self.mirror is not None:
            entries = self.mirror.entries(url)
            if not entries:
                raise FetchError(f"{url}: not in the mirror index {self.mirror.index_path}")
            snaps = []
            for entry in entries:
                with explain_disk_full(f"the mirror file {entry.path}", self.store.root / "tmp"):
                    # Mirror.open refuses a symlink swapped in after the index was checked; put_file would follow it.
                    with self.mirror.open(entry) as fh:
                        snaps.append(
                            self.store.put_stream(
                                fh,
                                source_id=source_id,
                                part=part,
                                filename=entry.path.name,
                                url=url,
                                retrieved_at=now_utc(),
                                origin="mirror",
                                relation=entry.relation,
                                license=license,
                                citation=citation,
                                note=entry.note,
                                extra={
                                    **(extra or {}),
                                    "mirror_file": entry.local_path,
                                    "reference_period": entry.reference_period,
                                },
                            )
                        )
            return snaps
        # fetch_to_store caps the size by the source's MAX_DOWNLOAD_BYTES when the module declares one.
        return [
            fetch_to_store(
                self.store,
                url=url,
                source_id=source_id,
                part=part,
                filename=filename,
                license=license,
                citation=citation,
                expect=expect,
                extra=extra,
                session=self.session,
            )
        ]

    def post_json(
        self,
        url: str,
        body: dict,
        *,
        secret_fields: tuple[str, ...] = (),
        source_id: str,
        part: str,
        filename: str,
        license: str,
        citation: str,
        extra: dict | None = None,
    ) -> SnapshotMeta:
        """POST a JSON query (the BLS API); ``secret_fields`` of the body are never recorded anywhere."""
        if self.mirror is not None:
            raise FetchError(f"{url}: a mirror holds files, not API answers; this part needs the network")
        return post_json_to_store(
            self.store,
            url=url,
            body=body,
            secret_fields=secret_fields,
            source_id=source_id,
            part=part,
            filename=filename,
            license=license,
            citation=citation,
            extra=extra,
            session=self.session,
        )


def keep_valid(
    store: SnapshotStore, snap: SnapshotMeta, validate: Callable[[Path, SnapshotMeta], int], **changes
) -> SnapshotMeta:
    """Validate a just-stored snapshot and record its row count (and any other changes) in its sidecar.

    Bytes that fail are removed from the (staging) store before the error goes up, so they can never be pinned.
    """
    try:
        rows = validate(store.object_path(snap.sha256), snap)
    except SourceFileError:
        store.discard(snap.sha256)
        raise
    snap = dataclasses.replace(snap, rows=rows, **changes)
    store.write_meta(snap)
    return snap


# ---------------------------------------------------------------- when a snapshot was retrieved
# A snapshot's retrieval time is a fact about the snapshot, recorded once: a refresh reads the clock when it takes
# the bytes (``now_utc``), and the lock keeps that time. A build never reads the clock for a snapshot: a pinned
# snapshot's time is the lock's (pipeline/snapshots.py rewrites every field the pin records), and a file an offline
# origin hands a build without a pin (no refresh has taken it) has no retrieval time at all: ``NOT_RETRIEVED``,
# which the pages say in words. So two builds from the same lock print the same times.
NOT_RETRIEVED = ""


def now_utc() -> str:
    """The clock, for a refresh taking bytes from their origin; a build uses the lock's times instead."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def retrieval_time(*, refresh: bool) -> str:
    """The retrieval time to record for bytes an origin hands over: the clock during a refresh (the lock will keep
    it), ``NOT_RETRIEVED`` during a build (a pinned snapshot's time is then taken from the lock)."""
    return now_utc() if refresh else NOT_RETRIEVED


# What BLS asks of everyone who republishes its data, said once for every BLS source.
BLS_LICENSE = "Public domain (U.S. Government work, BLS)"


def bls_citation(programme: str, url: str) -> str:
    """The citation of a BLS programme's data, with the disclaimer BLS asks republishers to carry."""
    return (
        f"U.S. Bureau of Labor Statistics, {programme}, {url}. BLS.gov cannot vouch for the data or analyses derived "
        "from these data after the data have been retrieved from BLS.gov."
    )
