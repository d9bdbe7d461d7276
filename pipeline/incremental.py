"""Input fingerprints per step, so a rebuild with nothing changed skips the work and keeps its outputs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def fingerprint(*parts) -> str:
    """A stable hash of JSON-serialisable parts (strings, numbers, dicts, lists, file contents)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def hash_files(paths: Iterable[str | Path], root: Path | None = None) -> str:
    """Hash of the files' names (relative to ``root`` when given) and contents."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.relative_to(root) if root else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class StepState:
    """One JSON file per step under the state directory: its last input fingerprint and what it made."""

    def __init__(self, state_dir: Path, step: str):
        self.step = step
        self.path = Path(state_dir) / f"{step}.json"

    def load(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def saved(self) -> dict:
        """What the step's last run saved, for a step known to have run (it is current, or it just saved)."""
        state = self.load()
        if state is None:
            raise FileNotFoundError(
                f"{self.path} is missing or unreadable, so step {self.step} has not completed in this warehouse; "
                "run the build again (it runs the step first)."
            )
        return state

    def is_current(self, fp: str) -> bool:
        state = self.load()
        return state is not None and state.get("fingerprint") == fp

    def save(self, fp: str, **info) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
        with os.fdopen(fd, "w") as out:
            json.dump({"fingerprint": fp, **info}, out, indent=2, sort_keys=True, default=str)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
