"""The cited-facts CSVs: their columns, the rules every row keeps, and one reader for both files.

A cited fact is something no statistical source holds (a court ruling, a licensing rule), kept in a seed file with
the document it comes from and the date a maintainer checked it. Validation (at refresh time) and loading
(load.py) both read a file with ``read_facts``, so the same checks apply to both. Every problem is reported by
file, line and field, all in one error.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.sources.errors import SourceFileError

MAX_PROBLEMS = 20
SOC_CODE = re.compile(r"\d\d-\d\d\d\d")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


@dataclass(frozen=True)
class FactFile:
    """One seed file of cited facts: its name, its columns in order, and which of them name a row uniquely."""

    filename: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    dates: tuple[str, ...]  # YYYY-MM-DD columns (checked_on among them)
    what: str  # what one row is, for messages ("event", "fact")


TIMELINE = FactFile(
    filename="regulatory_timeline.csv",
    columns=("event_date", "event", "citation", "url", "checked_on"),
    key=("event_date", "event"),
    dates=("event_date", "checked_on"),
    what="event",
)
ENTRY_REQUIREMENTS = FactFile(
    filename="entry_requirements.csv",
    columns=("soc_code", "fact", "citing_body", "citation", "url", "checked_on"),
    key=("soc_code", "fact"),
    dates=("checked_on",),
    what="fact",
)
FACT_FILES = (TIMELINE, ENTRY_REQUIREMENTS)
BY_FILENAME = {f.filename: f for f in FACT_FILES}


def read_facts(path: Path, spec: FactFile, *, filename: str | None = None, today: date | None = None) -> list[dict]:
    """Parse and check one cited-facts CSV; return one dict per row (dates as ISO strings, ``line_number`` added).

    Every column is required. ``url`` is an https address of the official document; ``checked_on`` (and an
    ``event_date``) is a real date YYYY-MM-DD, not in the future; an event cannot be dated after it was checked.
    """
    name = filename or spec.filename
    # Time zones: a maintainer ahead of UTC may enter today's date while it is still yesterday in UTC.
    today = today or max(date.today(), datetime.now(timezone.utc).date())
    problems: list[str] = []
    rows: list[dict] = []
    first_line: dict[tuple, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets often write a BOM
        reader = csv.reader(fh)
        _check_header(name, spec, next(reader, None))
        prev_line = reader.line_num
        for record in reader:
            line, prev_line = prev_line + 1, reader.line_num  # where the record starts (fields may span lines)
            if not record or all(not v.strip() for v in record):
                continue
            if len(record) != len(spec.columns):
                problems.append(f"{name} line {line}: {len(record)} fields, the header has {len(spec.columns)}")
                continue
            row = dict(zip(spec.columns, (v.strip() for v in record), strict=True))
            problems += [f"{name} line {line}, field {field}: {why}" for field, why in _row_problems(row, spec, today)]
            key = tuple(row[c] for c in spec.key)
            if all(key) and key in first_line:
                problems.append(
                    f"{name} line {line}, field {spec.key[-1]}: the same {spec.what} "
                    f"({', '.join(key)}) is also on line {first_line[key]}"
                )
            elif all(key):
                first_line[key] = line
            rows.append({**row, "line_number": line})
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        raise SourceFileError(
            name,
            f"{len(problems)} problem(s) (the columns are described in warehouse/seeds/README.md):\n  "
            + "\n  ".join(shown),
        )
    return rows


def _check_header(name: str, spec: FactFile, header: list[str] | None) -> None:
    hint = "The header must be exactly: " + ",".join(spec.columns)
    if not header:
        raise SourceFileError(name, "is empty: the header row is missing.", hint)
    header = [h.strip() for h in header]
    if header[0].startswith("#"):
        raise SourceFileError(name, "starts with a comment; the CSV may not carry comments.", hint)
    missing = [c for c in spec.columns if c not in header]
    extra = [h for h in header if h not in spec.columns]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(extra)}"] if extra else []
        )
        raise SourceFileError(name, "header: " + "; ".join(parts) + ".", hint)
    if tuple(header) != spec.columns:
        raise SourceFileError(name, "header: the columns are repeated or in the wrong order.", hint)


def _row_problems(row: dict[str, str], spec: FactFile, today: date) -> list[tuple[str, str]]:
    problems = [(field, "is required") for field in spec.columns if not row[field]]
    dates: dict[str, date] = {}
    for field in spec.dates:
        if not row[field]:
            continue
        try:
            if not ISO_DATE.fullmatch(row[field]):
                raise ValueError  # fromisoformat alone would also take 20240820 or week dates
            dates[field] = date.fromisoformat(row[field])
        except ValueError:
            problems.append((field, f"{row[field]!r} is not a date YYYY-MM-DD"))
            continue
        if dates[field] > today:
            problems.append((field, f"{row[field]} is in the future"))
    if "event_date" in dates and "checked_on" in dates and dates["event_date"] > dates["checked_on"]:
        problems.append(("event_date", f"{row['event_date']} is after checked_on {row['checked_on']}"))
    if row["url"] and not is_https_url(row["url"]):
        problems.append(("url", f"{row['url']!r} is not an https:// address of the official document"))
    if "soc_code" in row and row["soc_code"] and not SOC_CODE.fullmatch(row["soc_code"]):
        problems.append(("soc_code", f"{row['soc_code']!r} is not a SOC code like 29-1122"))
    return problems


def is_https_url(text: str) -> bool:
    """An https address with a host and no spaces: the only kind of link a cited fact may carry into the book."""
    if any(c.isspace() for c in text) or any(c in text for c in "<>\"'"):
        return False
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.hostname) and "." in (parts.hostname or "")
