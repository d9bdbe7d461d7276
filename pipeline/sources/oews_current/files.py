"""The OEWS current release's files: their names and the shape checks that validation and loading share."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from pipeline.sources.errors import SourceFileError

DATA_FILE = "oe.data.0.Current"
PACKAGE_DATA_FILE = "oews-2025.sqlite.gz"

LOOKUP_COLUMNS = {
    "oe.area": ["area_code", "areatype_code", "state_code", "area_name"],
    "oe.industry": ["industry_code", "industry_name", "display_level"],
    "oe.occupation": ["occupation_code", "occupation_name", "display_level"],
    "oe.datatype": ["datatype_code"],
    "oe.footnote": ["footnote_code"],
    "oe.release": ["release_date", "description"],
}


def check_flat_file_shape(path: Path, filename: str) -> None:
    with open(path, "rb") as fh:
        header = fh.readline().decode("latin-1")
        fields = [f.strip() for f in header.split("\t")]
        if fields != ["series_id", "year", "period", "value", "footnote_codes"]:
            raise SourceFileError(
                filename,
                f"has header {fields!r}; expected series_id, year, period, value, footnote_codes.",
                "Is it an OEWS LABSTAT data file? An HTML error page or a renamed column would do this.",
            )
        fh.seek(0, 2)
        if fh.tell() > len(header):
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                raise SourceFileError(
                    filename,
                    "does not end with a newline, so it was cut off mid-row (truncated download?).",
                    "Delete the snapshot and fetch it again.",
                )


def read_lookup(path: Path, filename: str, required: list[str]) -> pd.DataFrame:
    """Read a LABSTAT mapping file: tab-separated, space-padded, LF or CRLF; every field kept as text."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if not rows:
        raise SourceFileError(filename, "is empty.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceFileError(filename, f"has no column(s) {missing}; its header is {header}.")
    idx = [header.index(c) for c in required]
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        if len(row) < len(header):
            raise SourceFileError(filename, f"line {lineno} has {len(row)} fields, expected {len(header)}.")
        out.append([row[i].strip() for i in idx])
    return pd.DataFrame(out, columns=required, dtype=str)
