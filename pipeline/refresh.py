"""`make refresh`: fetch every source, store new snapshots, print what changed, then re-pin the lock.

Everything a refresh fetches goes first to a staging store outside the project. Only when every source has been
tried are the new pins' bytes copied into warehouse/snapshots and the lock replaced, atomically, as the very last
step. A refresh that fails or is killed before that leaves the lock, the snapshots and the warehouse as they were.
A source (or part of one) that cannot be reached keeps its previous pin and is reported by name.

A refresh is one transaction: it holds an exclusive lock (pipeline/refresh_guard.py) from reading the lock to
recording the edition, so a second refresh stops at once; and it replaces the lock by compare-and-swap, so a
lock that someone else changed meanwhile is never overwritten. What a killed refresh left behind (temporary lock
files, an edition copy the live lock never became, its staging folder) is cleared by the next one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pipeline.acceptance import MAX_MOVE, compare_source, keeps_vintages
from pipeline.editions import discard_orphan_editions, editions_dir, record_edition
from pipeline.lock import LOCK_VERSION, TEMP_PREFIX, parse_lock, part_of, pin_record, pins
from pipeline.mirror import mirror_from_env
from pipeline.refresh_guard import RefreshBusyError, exclusive_refresh
from pipeline.remote import remote_from_settings
from pipeline.settings import Paths, paths
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.base import FetchContext, FetchResult
from pipeline.sources.http import make_session
from pipeline.sources.limits import DiskFullError
from pipeline.sources.registry import SOURCES


@dataclass
class Change:
    source_id: str
    part: str
    status: str  # new | unchanged | changed | revised | retired | kept | not reached
    size_bytes: int | None = None
    size_delta: int | None = None
    rows: int | None = None
    rows_delta: int | None = None
    detail: str = ""


@dataclass
class RefreshReport:
    changes: list[Change] = field(default_factory=list)
    unreachable: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> part -> reason
    notes: list[str] = field(default_factory=list)
    lock_changed: bool = False
    edition: str | None = None  # the edition a changed lock was recorded as


# How directly an origin gives the official bytes. A complete fetch of a lower origin never displaces pins of a
# higher one: the package database the OEWS source falls back to when the network fails must not retire the
# official files.
ORIGIN_RANK = {"official": 3, "mirror": 2, "repository": 2, "package": 1}
STAGING_PREFIX = "occupation-book-refresh-"
STAGING_OWNER = ".owner"  # names the lock a staging folder belongs to, so only that lock's next refresh clears it


def merge_source(
    module, old_pins: list[dict], result: FetchResult, staging: SnapshotStore
) -> tuple[list[dict], list[Change]]:
    """The source's new pins: fetched parts replace (or, for vintage-keeping sources, join) their old pins."""
    content_fp = getattr(module, "content_fingerprint", None)
    new_pins = [dict(p) for p in old_pins]
    changes = []
    for snap in result.snapshots:
        keeps = keeps_vintages(module.SOURCE_ID, snap.part)
        record = pin_record(snap)
        same_bytes = [i for i, p in enumerate(new_pins) if p["sha256"] == snap.sha256]
        same_part = [i for i, p in enumerate(new_pins) if part_of(p) == snap.part]
        if not same_bytes and keeps and content_fp and same_part:
            # API answers differ byte-wise on every call (timings, messages); compare the data they carry.
            fp_new = content_fp(staging.object_path(snap.sha256))
            same_bytes = [i for i in same_part if new_pins[i].get("extra", {}).get("content_fingerprint") == fp_new]
            record["extra"] = {**record["extra"], "content_fingerprint": fp_new}
        if same_bytes:
            i = same_bytes[0]
            new_pins[i] = {**record, **new_pins[i]}  # same bytes: the first record of them stays true
            changes.append(Change(module.SOURCE_ID, snap.part, "unchanged", snap.size_bytes, 0, snap.rows, 0))
            continue
        if same_part:
            # What it replaced (or, for a vintage, the last vintage of the part): kept in the pin for reviewers;
            # the size-move check compares against the edition history and requires this to agree with it.
            before = max((new_pins[i] for i in same_part), key=lambda p: (p.get("retrieved_at", ""), p["sha256"]))
            rows_delta = None if snap.rows is None or before.get("rows") is None else snap.rows - before["rows"]
            record["previous"] = {k: before.get(k) for k in ("sha256", "size_bytes", "rows", "retrieved_at")}
            if keeps:
                new_pins.append(record)
                status = "revised"
            else:
                new_pins[same_part[-1]] = record
                status = "changed"
            changes.append(
                Change(
                    module.SOURCE_ID,
                    snap.part,
                    status,
                    snap.size_bytes,
                    snap.size_bytes - before["size_bytes"],
                    snap.rows,
                    rows_delta,
                )
            )
            continue
        new_pins.append(record)
        changes.append(Change(module.SOURCE_ID, snap.part, "new", snap.size_bytes, None, snap.rows, None))
    new_pins, retired = _retire_superseded(module, new_pins, result, changes)
    for part, reason in result.unreachable.items():
        kept = [p for p in old_pins if part_of(p) == part or part == "*"]
        detail = f"kept previous pin{'s' if len(kept) > 1 else ''}" if kept else "no previous pin"
        changes.append(Change(module.SOURCE_ID, part, "not reached", detail=f"{detail}: {reason}"))
    _flag_big_moves(module.SOURCE_ID, old_pins, new_pins, changes)
    return new_pins, changes + retired


def _retire_package_stand_ins(module, new_pins: list[dict], result: FetchResult) -> tuple[list[dict], list[Change]]:
    """A package origin stands in for the whole source (the CPI's cpi.db, for example): once a complete fetch
    brings the source from a higher origin, the package's pins are retired, whatever their part names."""
    fetched_rank = min(ORIGIN_RANK.get(s.origin, 0) for s in result.snapshots)
    if fetched_rank <= ORIGIN_RANK["package"]:
        return new_pins, []
    stale = [p for p in new_pins if p.get("origin") == "package"]
    kept = [p for p in new_pins if p.get("origin") != "package"]
    return kept, _retired(module, stale, result, "source")


def _retired(module, stale: list[dict], result: FetchResult, what: str) -> list[Change]:
    """A "retired" change for each pin a complete fetch superseded, naming the origin that replaced it."""
    origin = ", ".join(sorted({s.origin for s in result.snapshots}))
    return [
        Change(
            module.SOURCE_ID,
            part_of(p),
            "retired",
            p["size_bytes"],
            None,
            p.get("rows"),
            None,
            f"superseded: a complete fetch returned the {what} from the {origin} origin",
        )
        for p in stale
    ]


def _retire_superseded(
    module, new_pins: list[dict], result: FetchResult, changes: list[Change]
) -> tuple[list[dict], list[Change]]:
    """Drop the pins that a complete fetch of a whole-release source replaced under other part names.

    Only a source that declares ``FETCH_IS_WHOLE_RELEASE`` is treated so: for the others a fetch covers some
    parts only (EP editions and May years are kept side by side), so a part it did not return is not stale. A
    complete fetch is one with nothing unreachable. If what it returned ranks below the pins it would retire (a
    fallback origin), the better pins stay and the fallback's are not pinned.
    """
    if result.unreachable or not result.snapshots:
        return new_pins, []
    if not getattr(module, "FETCH_IS_WHOLE_RELEASE", False):
        return _retire_package_stand_ins(module, new_pins, result)
    fetched = {snap.sha256 for snap in result.snapshots}
    stale = [p for p in new_pins if p["sha256"] not in fetched]
    if not stale:
        return new_pins, []
    fetched_rank = min(ORIGIN_RANK.get(s.origin, 0) for s in result.snapshots)
    stale_rank = max(ORIGIN_RANK.get(p["origin"], 0) for p in stale)
    if fetched_rank < stale_rank:
        origins = ", ".join(sorted({p["origin"] for p in stale}))
        changes[:] = [c for c in changes if c.status in ("unchanged", "not reached")]
        return stale, [
            Change(
                module.SOURCE_ID,
                part_of(p),
                "kept",
                p["size_bytes"],
                None,
                p.get("rows"),
                None,
                f"kept: the fetch returned only a lower origin ({result.snapshots[0].origin}) "
                f"than the pinned {origins}",
            )
            for p in stale
        ]
    kept = [p for p in new_pins if p["sha256"] in fetched]
    return kept, _retired(module, stale, result, "release")


def _flag_big_moves(source_id: str, old_pins: list[dict], new_pins: list[dict], changes: list[Change]) -> None:
    """Mark the changes the build's move check will fail on (the same comparison, old lock against new)."""
    for found in compare_source(source_id, old_pins, new_pins):
        if not found.moves:
            continue
        part = part_of(found.pin)
        moved = ", ".join(f"{k} {v:+.0%}" for k, v in found.moves.items())
        for change in changes:
            if change.part == part and change.status in ("new", "changed", "revised"):
                change.detail = (
                    f"moved more than {MAX_MOVE:.0%} against {found.against} ({moved}): the build "
                    f"fails its check until `make accept SOURCE={source_id} PART='{part}' REASON=...`"
                )


# Test-only fault injection: OCCUPATION_BOOK_KILL_AT=<checkpoint> makes the refresh SIGKILL itself at that point,
# so tests can prove that a refresh killed anywhere leaves a valid lock and that the next refresh recovers.
KILL_AT_ENV = "OCCUPATION_BOOK_KILL_AT"
CHECKPOINTS = ("fetched", "stored", "edition-written", "before-lock-rename")


def checkpoint(name: str) -> None:
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def clear_leftovers(lock_path: Path, progress=print) -> None:
    """Remove what killed refreshes of this lock left behind. Only ever called holding the refresh lock."""
    for folder in (Path(lock_path).parent, editions_dir(lock_path)):
        for tmp in folder.glob(TEMP_PREFIX + "*") if folder.is_dir() else []:
            tmp.unlink(missing_ok=True)
            progress(f"Removed {tmp}, left by a refresh that was stopped")
    for name in discard_orphan_editions(lock_path):
        progress(f"Removed edition {name}: a stopped refresh wrote it, and the live lock never became it")
    owner = str(Path(lock_path).resolve())
    for folder in Path(tempfile.gettempdir()).glob(STAGING_PREFIX + "*"):
        marker = folder / STAGING_OWNER
        if marker.is_file() and marker.read_text() == owner:
            shutil.rmtree(folder, ignore_errors=True)
            progress(f"Removed {folder}, the staging folder of a refresh that was stopped")


def run_refresh(p: Paths, progress=print, only: list[str] | None = None) -> RefreshReport:
    with exclusive_refresh(p.lock_path):
        clear_leftovers(p.lock_path, progress)
        return _refresh_holding_the_lock(p, progress, only)


def _refresh_holding_the_lock(p: Paths, progress, only: list[str] | None) -> RefreshReport:
    # The digest and the pins come from the same bytes, so the compare-and-swap at the end checks what was read.
    try:
        raw = p.lock_path.read_bytes()
    except FileNotFoundError:
        raw = None
    lock_sha = None if raw is None else hashlib.sha256(raw).hexdigest()
    lock: dict = {"version": LOCK_VERSION, "sources": {}} if raw is None else parse_lock(raw.decode(), p.lock_path)
    mirror = mirror_from_env()
    remote = remote_from_settings()
    report = RefreshReport()
    new_lock: dict = {"version": lock["version"], "sources": {k: dict(v) for k, v in lock["sources"].items()}}
    modules = [m for m in SOURCES if not only or m.SOURCE_ID in only]
    staging_root = tempfile.mkdtemp(prefix=STAGING_PREFIX)
    try:
        (Path(staging_root) / STAGING_OWNER).write_text(str(p.lock_path.resolve()))
        staging = SnapshotStore(Path(staging_root))
        where = f"the mirror {mirror.root}" if mirror else "the network"
        progress(f"Refreshing {len(modules)} sources from {where}; staging in {staging_root}")
        ctx = FetchContext(store=staging, mirror=mirror, session=None if mirror else make_session(), progress=progress)
        for n, module in enumerate(modules, start=1):
            progress(f"[{n}/{len(modules)}] {module.SOURCE_ID}: {module.TITLE}")
            try:
                result = module.fetch(ctx)
            except DiskFullError:
                # Not this source's fault: every later source would fail the same way, so stop with nothing pinned.
                raise
            except Exception as exc:  # a source that breaks keeps its pins; the others go on
                result = FetchResult(unreachable={"*": f"{type(exc).__name__}: {exc}"})
            old = pins(lock, module.SOURCE_ID)
            merged, changes = merge_source(module, old, result, staging)
            report.changes += changes
            report.notes += [f"{module.SOURCE_ID}: {note}" for note in result.notes]
            if result.unreachable:
                report.unreachable[module.SOURCE_ID] = dict(result.unreachable)
            if merged:
                new_lock["sources"][module.SOURCE_ID] = {"snapshots": sorted(merged, key=_pin_order)}
        checkpoint("fetched")
        report.lock_changed = new_lock["sources"] != lock["sources"] or lock_sha is None
        # Every source has been tried: now, and only now, copy the pinned bytes into the store (this also
        # restores objects an unchanged lock pins but the store lacks), push them, and replace the lock last.
        store = SnapshotStore(p.snapshot_dir)
        pinned = sorted({pin["sha256"] for src in new_lock["sources"].values() for pin in src["snapshots"]})
        for sha in pinned:
            if staging.has(sha) and not store.has(sha):
                store.adopt(staging, sha)
        if remote is not None:
            for sha in pinned:
                if store.has(sha):
                    remote.push(sha, store)
        checkpoint("stored")
        if report.lock_changed:
            # The last step: before it, no pin a build reads has changed. The new lock becomes an edition of its
            # own (a copy under editions/), so the one it replaces stays buildable.
            report.edition = record_edition(
                p.lock_path, new_lock, datetime.now(timezone.utc), expect_sha256=lock_sha, checkpoint=checkpoint
            )
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
    return report


def _pin_order(pin: dict):
    return (pin.get("part", ""), pin.get("retrieved_at", ""), pin["sha256"])


def format_report(report: RefreshReport, lock_path) -> str:
    lines = ["", "What changed:"]
    width = max([len(c.source_id) + len(c.part) + 3 for c in report.changes] + [20])
    for c in report.changes:
        label = f"{c.source_id} / {c.part}".ljust(width)
        if c.status == "not reached":
            lines.append(f"  {label} NOT REACHED ({c.detail})")
            continue
        size = f"{c.size_bytes:,} bytes" + (f" ({c.size_delta:+,})" if c.size_delta else "")
        rows = "" if c.rows is None else f", {c.rows:,} rows" + (f" ({c.rows_delta:+,})" if c.rows_delta else "")
        note = ""
        if c.detail:
            note = f"\n      {'NEEDS ACCEPTANCE: ' if c.status in ('new', 'changed', 'revised') else ''}{c.detail}"
        lines.append(f"  {label} {c.status:<9} {size}{rows}{note}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if report.unreachable:
        lines.append("")
        lines.append(
            "Not reached (previous pins kept): "
            + ", ".join(f"{src} ({', '.join(parts)})" for src, parts in report.unreachable.items())
        )
    retired = [f"{c.source_id} / {c.part}" for c in report.changes if c.status == "retired"]
    if retired:
        lines.append("")
        lines.append("Retired (a complete fetch replaced them): " + ", ".join(retired))
    lines.append("")
    if report.lock_changed:
        lines.append(f"Lock rewritten: {lock_path}, recorded as edition {report.edition}")
    else:
        lines.append(f"Lock unchanged: {lock_path} (no new edition)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="refresh only these source ids")
    args = parser.parse_args(argv)
    p = paths()
    if p.edition:
        print(
            f"REFRESH STOPPED: EDITION={p.edition} names an earlier edition; a refresh only ever updates the live "
            "lock and records a new edition. Run it without EDITION.",
            file=sys.stderr,
        )
        return 2
    try:
        report = run_refresh(p, progress=lambda line: print(line, flush=True), only=args.only)
    except RefreshBusyError as exc:
        print(f"REFRESH NOT STARTED: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(
            f"\nREFRESH STOPPED: {type(exc).__name__}: {exc}\nThe lock and snapshots are as they were.", file=sys.stderr
        )
        return 2
    print(format_report(report, p.lock_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
