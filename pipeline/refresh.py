"""`make refresh`: take each source from its configured origin, store new snapshots, then re-pin the lock.

The lock is replaced once, atomically, at the end: a refresh that fails or is killed leaves the old lock.
A source that cannot be reached keeps its previous pin and is reported by name.
"""

from __future__ import annotations

import sys

from pipeline.lock import pin_record, pins, read_lock, write_lock
from pipeline.settings import paths, setting
from pipeline.snapshot_store import SnapshotStore
from pipeline.snapshots import ORIGINS


def main() -> int:
    p = paths()
    store = SnapshotStore(p.snapshot_dir)
    lock = read_lock(p.lock_path)
    new_lock = {"version": lock["version"], "sources": dict(lock["sources"])}
    unreachable = []
    for source_id, origins in ORIGINS.items():
        origin = setting("oews_origin") if source_id == "oews_current" else "official"
        print(f"[{source_id}] fetching from origin '{origin}' ...", flush=True)
        try:
            snaps = origins[origin](store)
        except Exception as exc:  # keep the old pin; report the source by name
            unreachable.append(f"{source_id}: {exc}")
            print(f"[{source_id}] NOT REACHED, keeping its previous pin: {exc}", flush=True)
            continue
        old = {x["filename"]: x for x in pins(lock, source_id)}
        records = [pin_record(s) for s in snaps]
        for rec in records:
            before = old.get(rec["filename"])
            if before is None:
                status = "new"
            elif before["sha256"] == rec["sha256"]:
                status = "unchanged"
                rec["retrieved_at"] = before["retrieved_at"]  # the pin is the same bytes; keep the diff quiet
            else:
                status = f"changed ({rec['size_bytes'] - before['size_bytes']:+,} bytes)"
            print(f"[{source_id}] {rec['filename']}: {status}  sha256 {rec['sha256'][:12]}  {rec['size_bytes']:,} bytes")
        new_lock["sources"][source_id] = {"snapshots": records}
    write_lock(p.lock_path, new_lock)
    print(f"Lock written: {p.lock_path}")
    if unreachable:
        print("Sources not reached (previous pins kept):\n  " + "\n  ".join(unreachable))
    return 0


if __name__ == "__main__":
    sys.exit(main())
