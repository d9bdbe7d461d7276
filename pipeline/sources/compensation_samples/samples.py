"""The compensation samples CSV: its columns, the rules every row must keep, and how pay is annualised.

Validation (at refresh time) and loading (pipeline/sources/compensation_samples/load.py) both read the file with
``read_samples``, so the same checks apply to both. The columns are documented in warehouse/seeds/README.md.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.domain import care_setting_ids
from pipeline.sources.errors import SourceFileError

COLUMNS = (
    "sample_id",
    "soc_code",
    "job_title",
    "employer",
    "origin_type",
    "origin_reference",
    "observed_on",
    "setting",
    "employment_type",
    "state",
    "pay_basis",
    "amount_usd",
    "amount_max_usd",
    "hours_per_week",
    "experience_years",
    "notes",
)
REQUIRED = {
    "sample_id",
    "soc_code",
    "job_title",
    "origin_type",
    "origin_reference",
    "observed_on",
    "setting",
    "employment_type",
    "state",
    "pay_basis",
    "amount_usd",
}

ORIGIN_TYPES = ("levels_fyi", "job_posting", "survey", "other")
# The care settings of warehouse/seeds/settings.csv (pipeline/domain.py), and two for a sample that fits none.
SETTINGS = (*care_setting_ids(), "other", "unknown")
EMPLOYMENT_TYPES = ("full_time", "part_time", "per_diem", "contract", "unknown")
PAY_BASES = ("annual", "hourly", "monthly", "weekly", "per_visit")
STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY US".split()
)
# Wide bounds per pay basis: a value outside them is almost always an amount typed under the wrong basis
# (an hourly rate entered as annual), not a real observation.
PLAUSIBLE = {
    "annual": (5_000, 1_000_000),
    "hourly": (5, 500),
    "monthly": (500, 100_000),
    "weekly": (100, 20_000),
    "per_visit": (10, 1_000),
}
# Schemes that must never become a link in the book.
_UNSAFE_SCHEMES = re.compile(r"^\s*(javascript|data|vbscript|file):", re.IGNORECASE)
MAX_PROBLEMS = 20

HOURS_PER_YEAR = 2080  # 40 h x 52 weeks: the convention BLS uses to annualise hourly wages
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12


def read_samples(path: Path, *, filename: str | None = None, today: date | None = None) -> list[dict]:
    """Parse and check the CSV; return one dict per sample, with typed values (empty optional fields -> None).

    Numbers come back as float, ``observed_on`` as an ISO date string. Every problem (up to MAX_PROBLEMS) is
    reported in one SourceFileError, each by line number and field.
    """
    name = filename or Path(path).name
    # Time zones: a maintainer ahead of UTC may enter today's date while it is still yesterday in UTC.
    today = today or max(date.today(), datetime.now(timezone.utc).date())
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets often write a BOM
        reader = csv.reader(fh)
        header = next(reader, None)
        _check_header(name, header)
        problems: list[str] = []
        samples: list[dict] = []
        first_line: dict[str, int] = {}
        prev_line = reader.line_num
        for row in reader:
            line, prev_line = prev_line + 1, reader.line_num  # where the record starts (fields may span lines)
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) != len(COLUMNS):
                problems.append(f"{name} line {line}: {len(row)} fields, the header has {len(COLUMNS)}")
                continue
            sample, row_problems = _parse_row(dict(zip(COLUMNS, (v.strip() for v in row), strict=True)), today)
            problems += [f"{name} line {line}, field {field}: {why}" for field, why in row_problems]
            sid = sample.get("sample_id")
            if sid and sid in first_line:
                problems.append(f"{name} line {line}, field sample_id: {sid!r} is also used on line {first_line[sid]}")
            elif sid:
                first_line[sid] = line
            samples.append(sample)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        raise SourceFileError(
            name,
            f"{len(problems)} problem(s) (the columns are described in "
            "warehouse/seeds/README.md):\n  " + "\n  ".join(shown),
        )
    return samples


def _check_header(name: str, header: list[str] | None) -> None:
    hint = "The header must be exactly: " + ",".join(COLUMNS)
    if not header:
        raise SourceFileError(name, "is empty: the header row is missing.", hint)
    header = [h.strip() for h in header]
    if header[0].startswith("#"):
        raise SourceFileError(
            name,
            "starts with a comment; the CSV may not carry comments (document columns in warehouse/seeds/README.md).",
            hint,
        )
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h not in COLUMNS]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if missing or extra or duplicated:
        parts = (
            ([f"missing column(s) {', '.join(missing)}"] if missing else [])
            + ([f"unexpected column(s) {', '.join(extra)}"] if extra else [])
            + ([f"repeated column(s) {', '.join(duplicated)}"] if duplicated else [])
        )
        raise SourceFileError(name, "header: " + "; ".join(parts) + ".", hint)
    if tuple(header) != COLUMNS:
        raise SourceFileError(name, "header: the columns are in the wrong order.", hint)


def _parse_row(raw: dict[str, str], today: date) -> tuple[dict, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    out: dict = {c: (raw[c] or None) for c in COLUMNS}

    def bad(field: str, why: str) -> None:
        problems.append((field, why))

    for field in COLUMNS:
        if field in REQUIRED and not raw[field]:
            bad(field, "is required")
    for field, allowed in (
        ("origin_type", ORIGIN_TYPES),
        ("setting", SETTINGS),
        ("employment_type", EMPLOYMENT_TYPES),
        ("pay_basis", PAY_BASES),
    ):
        if raw[field] and raw[field] not in allowed:
            bad(field, f"{raw[field]!r} is not one of {', '.join(allowed)}")
    if raw["sample_id"] and not re.fullmatch(r"[A-Za-z0-9._-]+", raw["sample_id"]):
        bad("sample_id", f"{raw['sample_id']!r} may hold only letters, digits, '.', '_' and '-'")
    if raw["soc_code"] and not re.fullmatch(r"\d\d-\d\d\d\d", raw["soc_code"]):
        bad("soc_code", f"{raw['soc_code']!r} is not a SOC code like 29-1122")
    if raw["state"] and raw["state"] not in STATES:
        bad("state", f"{raw['state']!r} is not a two-letter USPS code (or US for national/remote)")
    if raw["origin_reference"] and _UNSAFE_SCHEMES.match(raw["origin_reference"]):
        bad("origin_reference", "must be an http(s) URL or a citation, not a script/data/file link")
    if raw["observed_on"]:
        try:
            if not re.fullmatch(r"\d{4}-\d\d-\d\d", raw["observed_on"]):
                raise ValueError  # fromisoformat alone would also take 20260105 or week dates
            if date.fromisoformat(raw["observed_on"]) > today:
                bad("observed_on", f"{raw['observed_on']} is in the future")
        except ValueError:
            bad("observed_on", f"{raw['observed_on']!r} is not a date YYYY-MM-DD")

    for field in ("amount_usd", "amount_max_usd", "hours_per_week", "experience_years"):
        if raw[field]:
            out[field] = _number(raw[field], field, bad)
    amount, high, hours = out["amount_usd"], out["amount_max_usd"], out["hours_per_week"]
    if isinstance(amount, float):
        if amount <= 0:
            bad("amount_usd", f"{raw['amount_usd']} is not positive")
        elif raw["pay_basis"] in PLAUSIBLE:
            low_ok, high_ok = PLAUSIBLE[raw["pay_basis"]]
            if not low_ok <= amount <= high_ok:
                bad(
                    "amount_usd",
                    f"{raw['amount_usd']} is implausible for pay_basis {raw['pay_basis']} "
                    f"(expected {low_ok:,}-{high_ok:,}); is the pay_basis right?",
                )
        if isinstance(high, float) and high < amount:
            bad("amount_max_usd", f"{raw['amount_max_usd']} is below amount_usd {raw['amount_usd']}")
    if isinstance(hours, float) and not 0 < hours <= 100:
        bad("hours_per_week", f"{raw['hours_per_week']} is not between 0 and 100")
    if isinstance(out["experience_years"], float) and not 0 <= out["experience_years"] <= 60:
        bad("experience_years", f"{raw['experience_years']} is not between 0 and 60")
    return out, problems


def _number(text: str, field: str, bad) -> float | None:
    try:
        value = float(text)
    except ValueError:
        bad(field, f"{text!r} is not a number (write 85000.50: no '$', commas or units)")
        return None
    if not math.isfinite(value):
        bad(field, f"{text!r} is not a finite number")
        return None
    return value


def annualise(pay_basis: str, amount: float, hours_per_week: float | None = None) -> float | None:
    """Annual USD equivalent of one amount, or None when no fair conversion exists.

    Assumptions: a year is 52 weeks or 12 months; hourly pay is for ``hours_per_week`` (default 40, i.e. the
    2080-hour year BLS uses for OEWS annual wages) every one of the 52 weeks, with no unpaid time off.
    ``per_visit`` returns None: visits per year vary too much to guess.
    """
    if pay_basis == "annual":
        return float(amount)
    if pay_basis == "hourly":
        if hours_per_week is None:
            return float(amount) * HOURS_PER_YEAR
        return float(amount) * hours_per_week * WEEKS_PER_YEAR
    if pay_basis == "weekly":
        return float(amount) * WEEKS_PER_YEAR
    if pay_basis == "monthly":
        return float(amount) * MONTHS_PER_YEAR
    if pay_basis == "per_visit":
        return None
    raise ValueError(f"pay_basis {pay_basis!r} is not one of {', '.join(PAY_BASES)}")
