"""Domain knowledge, defined once in warehouse/seeds/ and read by every layer through this module.

- care settings and the industries that stand for them: ``settings.csv``;
- how a claim groups the care settings: ``claim_groups.csv``;
- the U.S. territories: ``territories.csv``;
- the occupation families the practical chapters were written for: ``occupation_families.csv``;
- the assistants and aides that work beside a profession, with the SOC definition that says so:
  ``related_occupations.csv`` (read by the report only).

warehouse/seeds/README.md says what each file holds. A malformed file stops whatever reads it with the file,
the line and the field at fault.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

SEEDS_DIR = PROJECT_ROOT / "warehouse" / "seeds"
SETTINGS_SEED = SEEDS_DIR / "settings.csv"
CLAIM_GROUPS_SEED = SEEDS_DIR / "claim_groups.csv"
TERRITORIES_SEED = SEEDS_DIR / "territories.csv"
OCCUPATION_FAMILIES_SEED = SEEDS_DIR / "occupation_families.csv"
# The seeds the warehouse's staging steps read: a change to one of them re-runs staging and the edition rebuild.
DOMAIN_SEEDS = (SETTINGS_SEED, CLAIM_GROUPS_SEED, TERRITORIES_SEED, OCCUPATION_FAMILIES_SEED)
# Read by the report alone (the "Similar occupations" page), so not among the seeds staging depends on.
RELATED_OCCUPATIONS_SEED = SEEDS_DIR / "related_occupations.csv"

SETTINGS_COLUMNS = [
    "setting_id",
    "report_variant",
    "oews_industry_code",
    "oews_industry_title",
    "ces_industry_code",
    "is_proxy",
    "caveat",
]
CLAIM_GROUP_COLUMNS = ["claim_id", "setting_id", "group_id", "group_label"]
TERRITORY_COLUMNS = ["state_fips_code", "usps_code", "name"]
OCCUPATION_FAMILY_COLUMNS = ["soc_code", "family", "role", "supervising_soc_code", "title"]
RELATED_OCCUPATION_COLUMNS = ["soc_code", "related_soc_code", "relation", "citation", "url", "checked_on"]
# relation: what the related occupation is to the profession in soc_code.
RELATED_OCCUPATION_RELATIONS = ("assistant", "aide")


class SeedFileError(RuntimeError):
    """A seed file under warehouse/seeds/ is malformed: the message names the file, the line and the field.

    Its own class, not the sources' SourceFileError: the seeds sit below the sources, which read them.
    """

    def __init__(self, filename: str, reason: str):
        self.filename = filename
        self.reason = reason
        super().__init__(f"{filename}: {reason}")


def read_seed(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """The seed's rows as dicts of text, after checking its header is exactly ``columns``."""
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    if header != columns:
        raise SeedFileError(path.name, f"has columns {header}; expected {columns}.")
    return rows


# ---------------------------------------------------------------- care settings


def _read_settings(path: Path) -> tuple[dict[str, str], ...]:
    rows = read_seed(path, SETTINGS_COLUMNS)
    for lineno, row in enumerate(rows, start=2):
        if not row["oews_industry_code"].isdigit() or len(row["oews_industry_code"]) != 6:
            raise SeedFileError(
                path.name,
                f"line {lineno}, field oews_industry_code: "
                f"{row['oews_industry_code']!r} is not a 6-digit OEWS industry code.",
            )
        if row["is_proxy"] not in ("true", "false"):
            raise SeedFileError(path.name, f"line {lineno}, field is_proxy: {row['is_proxy']!r} is not true/false.")
    return tuple(rows)


@lru_cache(maxsize=None)
def _settings() -> tuple[dict[str, str], ...]:
    return _read_settings(SETTINGS_SEED)


def care_settings(path: Path = SETTINGS_SEED) -> list[dict[str, str]]:
    """Every care setting of the report, in the seed's order, checked (is_proxy stays 'true'/'false' text).

    Read afresh on every call, so the seed table follows an edit in a long-running `make dev`.
    """
    return [dict(row) for row in _read_settings(path)]


def care_setting_ids() -> tuple[str, ...]:
    return tuple(row["setting_id"] for row in _settings())


def setting_by_ces_industry() -> dict[str, str]:
    """CES industry code -> the care setting it stands for."""
    return {row["ces_industry_code"]: row["setting_id"] for row in _settings() if row["ces_industry_code"]}


# ---------------------------------------------------------------- claim groups


@lru_cache(maxsize=None)
def _claim_groups() -> tuple[dict[str, str], ...]:
    rows = read_seed(CLAIM_GROUPS_SEED, CLAIM_GROUP_COLUMNS)
    known = set(care_setting_ids())
    for lineno, row in enumerate(rows, start=2):
        if row["setting_id"] not in known:
            raise SeedFileError(
                CLAIM_GROUPS_SEED.name,
                f"line {lineno}, field setting_id: {row['setting_id']!r} is not a setting of {SETTINGS_SEED.name}.",
            )
    return tuple(rows)


def claim_groups(claim_id: str) -> dict[str, str]:
    """setting id -> the group it stands on in this claim, in the seed's order."""
    groups = {row["setting_id"]: row["group_id"] for row in _claim_groups() if row["claim_id"] == claim_id}
    if not groups:
        raise KeyError(f"{CLAIM_GROUPS_SEED.name} has no rows for claim {claim_id!r}")
    return groups


def claim_group_industries(claim_id: str) -> list[tuple[str, list[str]]]:
    """(group label, [OEWS industry codes of its settings]) per group of the claim, in the seed's order."""
    industry = {row["setting_id"]: row["oews_industry_code"] for row in _settings()}
    out: dict[str, list[str]] = {}
    for row in _claim_groups():
        if row["claim_id"] == claim_id:
            out.setdefault(row["group_label"], []).append(industry[row["setting_id"]])
    if not out:
        raise KeyError(f"{CLAIM_GROUPS_SEED.name} has no rows for claim {claim_id!r}")
    return list(out.items())


# ---------------------------------------------------------------- territories


@lru_cache(maxsize=None)
def _territories() -> tuple[dict[str, str], ...]:
    rows = read_seed(TERRITORIES_SEED, TERRITORY_COLUMNS)
    for lineno, row in enumerate(rows, start=2):
        code = row["state_fips_code"]
        if not (code.isdigit() and len(code) == 2):
            raise SeedFileError(
                TERRITORIES_SEED.name, f"line {lineno}, field state_fips_code: {code!r} is not a 2-digit FIPS code."
            )
    return tuple(rows)


def territory_fips() -> tuple[str, ...]:
    """State FIPS codes of the U.S. territories (outside every '50 states and DC' comparison)."""
    return tuple(row["state_fips_code"] for row in _territories())


def territory_area_codes() -> tuple[str, ...]:
    """The territories as OEWS area codes: the FIPS code followed by 00000."""
    return tuple(f"{code}00000" for code in territory_fips())


# ---------------------------------------------------------------- occupation families


@lru_cache(maxsize=None)
def _families() -> tuple[dict[str, str], ...]:
    rows = read_seed(OCCUPATION_FAMILIES_SEED, OCCUPATION_FAMILY_COLUMNS)
    socs = {row["soc_code"] for row in rows}
    for lineno, row in enumerate(rows, start=2):
        if row["role"] not in ("therapist", "assistant"):
            raise SeedFileError(
                OCCUPATION_FAMILIES_SEED.name,
                f"line {lineno}, field role: {row['role']!r} is not therapist or assistant.",
            )
        if row["supervising_soc_code"] and row["supervising_soc_code"] not in socs:
            raise SeedFileError(
                OCCUPATION_FAMILIES_SEED.name,
                f"line {lineno}, field supervising_soc_code: {row['supervising_soc_code']!r} "
                "is not an occupation of this file.",
            )
    return tuple(rows)


def occupations_in_role(role: str) -> frozenset[str]:
    """SOC codes of the therapy family with this role ('therapist' or 'assistant')."""
    return frozenset(row["soc_code"] for row in _families() if row["role"] == role)


def supervising_profession() -> dict[str, str]:
    """Assistant SOC code -> the profession whose entry degree is its usual step up."""
    return {row["soc_code"]: row["supervising_soc_code"] for row in _families() if row["supervising_soc_code"]}


# ---------------------------------------------------------------- occupations that work beside each other

_SOC_CODE = re.compile(r"\d{2}-\d{4}")


def _check_related_row(lineno: int, row: dict[str, str], path: Path) -> None:
    def bad(field: str, why: str) -> SeedFileError:
        return SeedFileError(path.name, f"line {lineno}, field {field}: {row[field]!r} {why}.")

    for field in ("soc_code", "related_soc_code"):
        if not _SOC_CODE.fullmatch(row[field]):
            raise bad(field, "is not an SOC code NN-NNNN")
    if row["relation"] not in RELATED_OCCUPATION_RELATIONS:
        raise bad("relation", f"is not one of {', '.join(RELATED_OCCUPATION_RELATIONS)}")
    if not row["citation"].strip():
        raise bad("citation", "is empty: every pairing cites the source that states it")
    if not row["url"].startswith(("https://", "http://")):
        raise bad("url", "is not an http(s) address")
    try:
        date.fromisoformat(row["checked_on"])
    except ValueError:
        raise bad("checked_on", "is not a date YYYY-MM-DD") from None


def _read_related(path: Path) -> tuple[dict[str, str], ...]:
    rows = read_seed(path, RELATED_OCCUPATION_COLUMNS)
    seen: dict[tuple[str, str], int] = {}
    for lineno, row in enumerate(rows, start=2):
        _check_related_row(lineno, row, path)
        pair = (row["soc_code"], row["related_soc_code"])
        if pair in seen:
            raise SeedFileError(path.name, f"line {lineno}: the pair {pair} repeats line {seen[pair]}.")
        seen[pair] = lineno
    return tuple(rows)


@lru_cache(maxsize=None)
def _related() -> tuple[dict[str, str], ...]:
    return _read_related(RELATED_OCCUPATIONS_SEED)


def occupations_beside(soc: str, path: Path | None = None) -> list[dict[str, str]]:
    """The occupations that work beside ``soc``, each with what it is to ``soc`` and the citation saying so.

    A pairing is read both ways: a profession's page lists its assistants and aides ('assistant', 'aide'), an
    assistant's or aide's page lists the profession it works for ('profession assisted'). Seed order is kept.
    """
    rows = _related() if path is None else _read_related(path)
    out = []
    for row in rows:
        if row["soc_code"] == soc:
            out.append({"soc_code": row["related_soc_code"], "relation": row["relation"]} | _cited(row))
        elif row["related_soc_code"] == soc:
            out.append({"soc_code": row["soc_code"], "relation": "profession assisted"} | _cited(row))
    return out


def _cited(row: dict[str, str]) -> dict[str, str]:
    return {"citation": row["citation"], "url": row["url"], "checked_on": row["checked_on"]}
