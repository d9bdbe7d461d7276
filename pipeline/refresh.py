"""`make refresh`: fetch every source, store new snapshots, print what changed, then re-pin the lock.

Everything a refresh fetches goes first to a staging store outside the project. Only when every source has been
tried are the new pins' bytes copied into warehouse/snapshots and the lock replaced, atomically, as the very last
step. A refresh that fails or is killed before that leaves the lock, the snapshots and the warehouse as they were.
A source (or part of one) that cannot be reached keeps its previous pin and is reported by name.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipeline.acceptance import MAX_MOVE, big_moves
from pipeline.editions import record_edition
from pipeline.lock import pin_record, pins, read_lock
from pipeline.mirror import mirror_from_env
from pipeline.remote import remote_from_settings
from pipeline.settings import Paths, paths
from pipeline.snapshot_store import SnapshotStore
from pipeline.sources.base import FetchContext, FetchResult
from pipeline.sources.http import make_session
from pipeline.sources.registry import SOURCES


@dataclass
class Change:
    source_id: str
    part: str
    status: str  # new | unchanged | changed | revised | not reached
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


def merge_source(module, old_pins: list[dict], result: FetchResult, staging: SnapshotStore) -> tuple[list[dict], list[Change]]:
    """The source's new pins: fetched parts replace (or, for vintage-keeping sources, join) their old pins."""
    vintages = getattr(module, "KEEPS_VINTAGES", False)  # True, or the prefix of the parts that keep vintages
    content_fp = getattr(module, "content_fingerprint", None)
    new_pins = [dict(p) for p in old_pins]
    changes = []
    for snap in result.snapshots:
        keeps_vintages = vintages is True or (isinstance(vintages, str) and snap.part.startswith(vintages))
        record = pin_record(snap)
        same_bytes = [i for i, p in enumerate(new_pins) if p["sha256"] == snap.sha256]
        same_part = [i for i, p in enumerate(new_pins) if p.get("part", p["filename"]) == snap.part]
        if not same_bytes and keeps_vintages and content_fp and same_part:
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
            before = new_pins[same_part[-1]]
            rows_delta = None if snap.rows is None or before.get("rows") is None else snap.rows - before["rows"]
            if not keeps_vintages:
                # Kept in the pin so the size-move check can compare, and a reviewer sees what was replaced.
                # (A new vintage of an API window is an addition: the current year's window grows every month.)
                record["previous"] = {k: before.get(k) for k in ("sha256", "size_bytes", "rows", "retrieved_at")}
            if keeps_vintages:
                new_pins.append(record)
                status = "revised"
            else:
                new_pins[same_part[-1]] = record
                status = "changed"
            moves = big_moves(record)
            detail = ""
            if moves:
                detail = (f"moved more than {MAX_MOVE:.0%} ({', '.join(f'{k} {v:+.0%}' for k, v in moves.items())}): "
                          f"the build fails its check until `make accept SOURCE={module.SOURCE_ID} "
                          f"PART='{snap.part}' REASON=...`")
            changes.append(Change(module.SOURCE_ID, snap.part, status, snap.size_bytes,
                                  snap.size_bytes - before["size_bytes"], snap.rows, rows_delta, detail))
            continue
        new_pins.append(record)
        changes.append(Change(module.SOURCE_ID, snap.part, "new", snap.size_bytes, None, snap.rows, None))
    for part, reason in result.unreachable.items():
        kept = [p for p in old_pins if p.get("part", p["filename"]) == part or part == "*"]
        detail = f"kept previous pin{'s' if len(kept) > 1 else ''}" if kept else "no previous pin"
        changes.append(Change(module.SOURCE_ID, part, "not reached", detail=f"{detail}: {reason}"))
    return new_pins, changes


def run_refresh(p: Paths, progress=print, only: list[str] | None = None) -> RefreshReport:
    lock = read_lock(p.lock_path)
    mirror = mirror_from_env()
    remote = remote_from_settings()
    report = RefreshReport()
    new_lock = {"version": lock["version"], "sources": {k: dict(v) for k, v in lock["sources"].items()}}
    modules = [m for m in SOURCES if not only or m.SOURCE_ID in only]
    staging_root = tempfile.mkdtemp(prefix="occupation-book-refresh-")
    try:
        staging = SnapshotStore(staging_root)
        where = f"the mirror {mirror.root}" if mirror else "the network"
        progress(f"Refreshing {len(modules)} sources from {where}; staging in {staging_root}")
        ctx = FetchContext(store=staging, mirror=mirror, session=None if mirror else make_session(),
                           progress=progress)
        for n, module in enumerate(modules, start=1):
            progress(f"[{n}/{len(modules)}] {module.SOURCE_ID}: {module.TITLE}")
            try:
                result = module.fetch(ctx)
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
        report.lock_changed = new_lock["sources"] != lock["sources"] or not p.lock_path.exists()
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
        if report.lock_changed:
            # The last step: before it, no pin a build reads has changed. The new lock becomes an edition of its
            # own (a copy under editions/), so the one it replaces stays buildable.
            report.edition = record_edition(p.lock_path, new_lock, datetime.now(timezone.utc))
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
        lines.append(f"  {label} {c.status:<9} {size}{rows}" + (f"\n      NEEDS ACCEPTANCE: {c.detail}" if c.detail else ""))
    for note in report.notes:
        lines.append(f"  note: {note}")
    if report.unreachable:
        lines.append("")
        lines.append("Not reached (previous pins kept): " + ", ".join(
            f"{src} ({', '.join(parts)})" for src, parts in report.unreachable.items()))
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
        print(f"REFRESH STOPPED: EDITION={p.edition} names an earlier edition; a refresh only ever updates the live "
              "lock and records a new edition. Run it without EDITION.", file=sys.stderr)
        return 2
    try:
        report = run_refresh(p, progress=lambda line: print(line, flush=True), only=args.only)
    except Exception as exc:
        print(f"\nREFRESH STOPPED: {type(exc).__name__}: {exc}\nThe lock and snapshots are as they were.",
              file=sys.stderr)
        return 2
    print(format_report(report, p.lock_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
