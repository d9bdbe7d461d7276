"""Big moves in a source need a maintainer's word: a new snapshot whose rows or size moved more than 25% from
the one it replaced fails its check until someone accepts it. Acceptances are committed beside the lock.

`make accept SOURCE=oews_history PART=oesm24nat REASON="BLS added the 2024 SOC revision"` records one.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from pipeline.lock import pins, read_lock
from pipeline.settings import PROJECT_ROOT

MAX_MOVE = 0.25


def acceptances_path() -> Path:
    return Path(os.environ.get("ACCEPTED_CHANGES") or PROJECT_ROOT / "warehouse" / "accepted_changes.json")


def read_acceptances(path: Path | None = None) -> list[dict]:
    path = path or acceptances_path()
    try:
        return json.loads(path.read_text())["accepted"]
    except FileNotFoundError:
        return []


def move(before: float | None, after: float | None) -> float | None:
    """Relative change, or None when either side is unknown (or the old one was empty)."""
    if before in (None, 0) or after is None:
        return None
    return (after - before) / before


def big_moves(pin: dict) -> dict[str, float]:
    """{'rows': -0.36, 'size_bytes': ...} for the measures that moved more than MAX_MOVE from the previous pin."""
    previous = pin.get("previous") or {}
    out = {}
    for measure in ("rows", "size_bytes"):
        change = move(previous.get(measure), pin.get(measure))
        if change is not None and abs(change) > MAX_MOVE:
            out[measure] = change
    return out


def unaccepted_moves(lock: dict, source_id: str, accepted: list[dict]) -> list[tuple[dict, dict[str, float]]]:
    ok = {(a["source_id"], a["sha256"]) for a in accepted}
    return [(pin, moves) for pin in pins(lock, source_id)
            if (moves := big_moves(pin)) and (source_id, pin["sha256"]) not in ok]


def accept(source_id: str, part: str, reason: str, lock_path: Path, path: Path | None = None) -> dict:
    path = path or acceptances_path()
    lock = read_lock(lock_path)
    matching = [p for p in pins(lock, source_id) if p.get("part") == part]
    if not matching:
        known = sorted({p.get("part") for p in pins(lock, source_id)})
        raise SystemExit(f"{source_id} has no pinned part {part!r} in {lock_path}; its parts are {known}.")
    pin = max(matching, key=lambda p: p.get("retrieved_at", ""))
    record = {
        "source_id": source_id, "part": part, "sha256": pin["sha256"],
        "previous_sha256": (pin.get("previous") or {}).get("sha256"),
        "moves_pct": {k: round(v * 100, 1) for k, v in big_moves(pin).items()},
        "accepted_by": os.environ.get("GIT_AUTHOR_NAME") or getpass.getuser(),
        "accepted_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "reason": reason,
    }
    accepted = [a for a in read_acceptances(path) if (a["source_id"], a["sha256"]) != (source_id, pin["sha256"])]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".accepted-")
    with os.fdopen(fd, "w") as out:
        json.dump({"accepted": [*accepted, record]}, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)
    return record


def main(argv: list[str] | None = None) -> int:
    from pipeline.settings import paths

    parser = argparse.ArgumentParser(description="Accept a source snapshot that moved more than 25%.")
    parser.add_argument("source_id")
    parser.add_argument("part")
    parser.add_argument("--reason", required=True, help="why the move is genuine (kept in the record)")
    args = parser.parse_args(argv)
    if not args.reason.strip():
        raise SystemExit("Give a reason: REASON=\"...\" says why the move is genuine.")
    record = accept(args.source_id, args.part, args.reason, paths().lock_path)
    print(f"Accepted {args.source_id} / {args.part} ({record['sha256'][:12]}): {record['moves_pct']} "
          f"-> {acceptances_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
