"""The report's occupation: check an SOC code before anything is built, and suggest near misses."""

from __future__ import annotations

import difflib
import re

SOC_PATTERN = re.compile(r"^\d{2}-\d{4}$")


class OccupationError(ValueError):
    """The SOC code is malformed or unknown to the OEWS release."""


def check_format(soc: str) -> str:
    soc = soc.strip()
    if not SOC_PATTERN.match(soc):
        hint = ""
        digits = re.sub(r"\D", "", soc)
        if len(digits) == 6:
            hint = f" Did you mean {digits[:2]}-{digits[2:]}?"
        raise OccupationError(
            f"SOC code {soc!r} is malformed: expected two digits, a hyphen and four digits, "
            f"such as 29-1122 (Occupational Therapists).{hint} Nothing was built or deleted."
        )
    return soc


def known_occupations(con) -> dict[str, str]:
    """Every occupation of the release in a warehouse connection: SOC code -> official title."""
    return dict(con.execute("SELECT soc_code, occupation_title FROM mart_oews__national_wages").fetchall())


def closest_codes(soc: str, known: dict[str, str], n: int = 5) -> list[str]:
    """Known codes nearest to ``soc``: same group first, then by spelling, then by numeric distance."""
    digits = int(soc.replace("-", ""))

    def score(code: str) -> tuple:
        same_major = code[:2] == soc[:2]
        same_minor = code[:4] == soc[:4]
        spelling = difflib.SequenceMatcher(None, soc, code).ratio()
        return (-same_minor, -same_major, -round(spelling, 2), abs(int(code.replace("-", "")) - digits))

    return sorted(known, key=score)[:n]


def resolve(soc: str, known: dict[str, str]) -> str:
    """Return the official title for ``soc``; raise with the closest valid codes if it is not published."""
    soc = check_format(soc)
    if soc in known:
        return known[soc]
    suggestions = ", ".join(f"{c} ({known[c]})" for c in closest_codes(soc, known))
    raise OccupationError(
        f"SOC code {soc} is not an occupation that the OEWS release publishes. Closest valid codes: {suggestions}. "
        "Nothing was built or deleted; run again with one of them, e.g. `make book SOC=29-1122`."
    )
