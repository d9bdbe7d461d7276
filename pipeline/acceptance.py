"""Big moves in a source need a maintainer's word: a new snapshot whose rows or size moved more than 25% from
what it replaced fails its check until someone accepts it. Acceptances are committed beside the lock.

`make accept SOURCE=oews_history PART=oesm24nat REASON="BLS added the 2024 SOC revision"` records one.

What a new pin is compared with comes from the edition history (warehouse/editions/), not from the pin's own
`previous` field, which anyone can edit: the edition before the one where the pin first appeared says what it
replaced. `previous` is kept for reviewers, and must agree with that history: if it does not, the lock was edited
and the check fails (no acceptance clears that). A lock with no recorded history (the first edition, or one
written before editions) is compared with its `previous` fields, as there is nothing else.

- a replaced part is compared with the pin it replaced;
- a new vintage of a part (BLS API answers, KEEPS_VINTAGES) with the last vintage of the same part;
- a new part with the source as a whole: the sum of size and rows over all the source's pins after, against the
  sum before. Adding a May year to five is +20%; a new part that takes the place of what the source held under
  other names (official files replacing a package database, a renamed file) moves the total as much as it moves
  the data, which is what a maintainer should see. The move is reported once, on the largest new part.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.editions import edition_key, editions_dir, list_editions
from pipeline.lock import part_of, pins, read_lock
from pipeline.settings import PROJECT_ROOT, live_lock_path

MAX_MOVE = 0.25
MEASURES = ("rows", "size_bytes")


@dataclass
class Move:
    """One new pin compared with what it replaced."""

    source_id: str
    pin: dict
    moves: dict[str, float]  # the measures that moved more than MAX_MOVE, as relative changes
    baseline: dict | None  # what it was compared with: a pin, or {"size_bytes":, "rows":} for a source total
    against: str  # which of the rules above chose the baseline
    edited: str = ""  # why the lock's own `previous` cannot be true, when it cannot

    @property
    def failed(self) -> bool:
        return bool(self.moves or self.edited)

    def labelled_moves(self) -> dict[str, float]:
        """The moves, plus a 'lock edited' entry (named with what to do) when the lock contradicts its history."""
        if not self.edited:
            return dict(self.moves)
        return {
            **self.moves,
            f"LOCK EDITED: {self.edited}; restore it with `git checkout warehouse/sources.lock`": max(
                self.moves.values(), key=abs, default=0.0
            ),
        }


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


def moves_between(before: dict, after: dict) -> dict[str, float]:
    out = {}
    for measure in MEASURES:
        change = move(before.get(measure), after.get(measure))
        if change is not None and abs(change) > MAX_MOVE:
            out[measure] = change
    return out


def big_moves(pin: dict) -> dict[str, float]:
    """Moves against the pin's self-declared `previous`: only for pins that have no edition history."""
    return moves_between(pin.get("previous") or {}, pin)


def keeps_vintages(source_id: str, part: str) -> bool:
    from pipeline.sources.registry import BY_ID  # imported here: the sources import the lock module

    vintages = getattr(BY_ID.get(source_id), "KEEPS_VINTAGES", False)  # True, or the prefix of vintage parts
    return vintages is True or (isinstance(vintages, str) and part.startswith(vintages))


def _latest(candidates: list[dict]) -> dict:
    return max(candidates, key=lambda p: (p.get("retrieved_at", ""), p["sha256"]))


def _total(source_pins: list[dict]) -> dict:
    rows = [p.get("rows") for p in source_pins]
    return {"size_bytes": sum(p["size_bytes"] for p in source_pins), "rows": None if None in rows else sum(rows)}


def compare_source(source_id: str, before: list[dict], after: list[dict]) -> list[Move]:
    """Every pin of ``after`` that ``before`` does not have, compared by the rules in the module docstring."""
    known = {p["sha256"] for p in before}
    out, new_parts = [], []
    for pin in (p for p in after if p["sha256"] not in known):
        part = part_of(pin)
        if keeps_vintages(source_id, part):
            older = [
                p
                for p in (*before, *after)
                if part_of(p) == part
                and p["sha256"] != pin["sha256"]
                and p.get("retrieved_at", "") < pin.get("retrieved_at", "")
            ]
            against = "the last vintage of this part"
        else:
            older = [p for p in before if part_of(p) == part]
            against = "the pin it replaced"
        if older:
            base = _latest(older)
            out.append(Move(source_id, pin, moves_between(base, pin), base, against))
        else:
            new_parts.append(pin)
    if new_parts and before:
        carrier = max(new_parts, key=lambda p: (p["size_bytes"], part_of(p)))
        total_before, total_after = _total(before), _total(after)
        out.append(
            Move(
                source_id,
                carrier,
                moves_between(total_before, total_after),
                total_before,
                "the source's total before its new part(s)",
            )
        )
    return out


def _declared_previous_problem(pin: dict, found: Move | None, before_name: str) -> str:
    """Why the pin's `previous` cannot be what the edition history says it replaced ('' when it agrees)."""
    declared = pin.get("previous")
    if not declared:
        return ""  # nothing claimed; the history comparison stands on its own
    base = found.baseline if found is not None and "sha256" in (found.baseline or {}) else None
    if base is None:
        return (
            f"{part_of(pin)} says it replaced {str(declared.get('sha256'))[:12]}, but edition {before_name} "
            "pinned no earlier snapshot of this part"
        )
    for key in ("sha256", "size_bytes", "rows"):
        if key in declared and declared[key] != base.get(key):
            return (
                f"{part_of(pin)} says it replaced a snapshot with {key} {declared[key]!r}, but edition "
                f"{before_name} pinned {base.get(key)!r}"
            )
    return ""


def move_findings(lock: dict, source_id: str, editions_from: Path | None = None) -> list[Move]:
    """Each pin of ``source_id`` in ``lock`` that moved too far or contradicts the edition history.

    ``editions_from`` is the live lock whose editions/ folder holds the history (default: the live lock).
    """
    editions_from = Path(editions_from or live_lock_path())
    current = pins(lock, source_id)
    name = lock.get("edition")
    findings: list[Move] = []
    older: list[tuple[str, list[dict]]] = []
    if name:
        folder = editions_dir(editions_from)
        recorded_copy = folder / f"{name}.lock"
        if recorded_copy.exists():
            recorded = {p["sha256"]: p for p in pins(read_lock(recorded_copy), source_id)}
            for pin in current:
                if recorded.get(pin["sha256"]) != pin:
                    findings.append(
                        Move(
                            source_id,
                            pin,
                            {},
                            None,
                            f"edition {name}",
                            f"this pin differs from the one in {recorded_copy}, which the refresh "
                            "wrote together with the lock",
                        )
                    )
        older = [
            (e, pins(read_lock(folder / f"{e}.lock"), source_id))
            for e in list_editions(editions_from)
            if edition_key(e) < edition_key(name)
        ]
    chain = [*older, (name or "this lock", current)]
    compared: dict[int, dict[str, Move]] = {}
    for pin in current:
        k = len(chain) - 1
        while k > 0 and pin["sha256"] in {p["sha256"] for p in chain[k - 1][1]}:
            k -= 1  # the edition where this pin first appeared (in the latest unbroken run)
        if k == 0:  # no edition before it: its own `previous` is all there is
            if moves := big_moves(pin):
                findings.append(Move(source_id, pin, moves, pin.get("previous"), "the pin's own `previous`"))
            continue
        if k not in compared:
            compared[k] = {m.pin["sha256"]: m for m in compare_source(source_id, chain[k - 1][1], chain[k][1])}
        found = compared[k].get(pin["sha256"])
        edited = _declared_previous_problem(pin, found, chain[k - 1][0])
        if found is not None and (found.moves or edited):
            found.edited = edited
            findings.append(found)
        elif edited:
            findings.append(Move(source_id, pin, {}, None, f"edition {chain[k - 1][0]}", edited))
    return findings


def unaccepted_moves(
    lock: dict, source_id: str, accepted: list[dict], editions_from: Path | None = None
) -> list[tuple[dict, dict[str, float]]]:
    """(pin, moves) for each failing pin; an edited lock fails whatever was accepted."""
    ok = {(a["source_id"], a["sha256"]) for a in accepted}
    return [
        (m.pin, m.labelled_moves())
        for m in move_findings(lock, source_id, editions_from)
        if m.edited or (m.moves and (source_id, m.pin["sha256"]) not in ok)
    ]


def accept(source_id: str, part: str, reason: str, lock_path: Path, path: Path | None = None) -> dict:
    path = path or acceptances_path()
    lock = read_lock(lock_path)
    matching = [p for p in pins(lock, source_id) if p.get("part") == part]
    if not matching:
        known = sorted({p["part"] for p in pins(lock, source_id) if p.get("part") is not None})
        raise SystemExit(f"{source_id} has no pinned part {part!r} in {lock_path}; its parts are {known}.")
    pin = _latest(matching)
    finding = next((m for m in move_findings(lock, source_id, lock_path) if m.pin["sha256"] == pin["sha256"]), None)
    if finding is not None and finding.edited:
        raise SystemExit(
            f"Not accepted: {finding.edited}. The lock was edited; restore it with "
            f"`git checkout {lock_path}` (or run `make refresh`), then check again."
        )
    baseline = (finding.baseline if finding else pin.get("previous")) or {}
    record = {
        "source_id": source_id,
        "part": part,
        "sha256": pin["sha256"],
        "previous_sha256": baseline.get("sha256"),
        "moves_pct": {k: round(v * 100, 1) for k, v in (finding.moves if finding else {}).items()},
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
        raise SystemExit('Give a reason: REASON="..." says why the move is genuine.')
    record = accept(args.source_id, args.part, args.reason, paths().lock_path)
    print(
        f"Accepted {args.source_id} / {args.part} ({record['sha256'][:12]}): {record['moves_pct']} "
        f"-> {acceptances_path()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
