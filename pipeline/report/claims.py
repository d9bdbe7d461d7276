"""The claims ledger's engine: reads book/claims_ledger.yaml, runs each claim's check, words the verdict.

The YAML holds everything a reviewer needs to judge the ledger without reading Python: each claim as the book
words it, the report section it comes from, the check that tests it, the thresholds, the rule and every evidence
sentence. The checks (pipeline/report/claim_checks.py) fetch the numbers and choose the sentences; this module
fills the sentences in. It is the one source of a claim's verdict: the claims ledger prints every claim's, and a
chapter that discusses a claim (the settings chapter, claim C1) shows the same one through ``run_claim``.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from pipeline.report.claim_checks import CHECKS, VERDICT_KEYS, Context, Outcome

LEDGER_FILE = Path(__file__).resolve().parents[2] / "book" / "claims_ledger.yaml"
# The claim the settings chapter discusses ("pay differs by care setting").
SETTINGS_CLAIM = "C1"


class LedgerError(ValueError):
    """The ledger YAML is incomplete or inconsistent; the message names the claim and the field."""


@dataclass(frozen=True)
class Claim:
    claim_id: str
    paraphrase: str  # the report's claim, in the book's words
    section: str  # where the report makes it
    check: str  # a name in claim_checks.CHECKS
    rule: str  # how the verdict is decided, thresholds filled in
    thresholds: dict = field(default_factory=dict)
    says: dict = field(default_factory=dict)  # the claim's own evidence sentences, unfilled
    entry: dict = field(default_factory=dict)  # the claim's whole YAML entry, as the check receives it

    @property
    def is_measured(self) -> bool:
        """False for a claim no source in this book measures (its check only says why)."""
        return self.check != "not_measured"


@dataclass(frozen=True)
class Ledger:
    verdict_words: dict[str, str]  # verdict key -> the words the ledger prints
    verdict_meanings: dict[str, str]
    common: dict[str, str]  # evidence sentences several claims share
    claims: tuple[Claim, ...]

    def claim(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.claim_id == claim_id:
                return c
        raise KeyError(f"{LEDGER_FILE.name} has no claim {claim_id!r}")


@dataclass
class Finding:
    verdict: str  # the words, e.g. "supported"
    verdict_key: str  # "supported", "not_supported" or "not_testable"
    evidence: str
    sources: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # the check's figures, as its sentences use them
    sentences: dict[str, str] = field(default_factory=dict)  # each evidence sentence by name, filled, in order


def _fill(template: str, values: dict, where: str) -> str:
    try:
        return template.format_map(values).strip()
    except (KeyError, IndexError, ValueError) as e:
        raise LedgerError(f"{LEDGER_FILE.name}, {where}: cannot fill {template!r}: {e!r}") from e


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _claim(raw: dict, common: dict) -> Claim:
    claim_id = raw.get("id")
    for key in ("id", "claim", "section", "check"):
        if not raw.get(key):
            raise LedgerError(f"{LEDGER_FILE.name}: claim {claim_id or '?'} has no {key!r}")
    if raw["check"] not in CHECKS:
        raise LedgerError(
            f"{LEDGER_FILE.name}: claim {claim_id} names check {raw['check']!r}; known checks: {sorted(CHECKS)}"
        )
    thresholds = raw.get("thresholds") or {}
    rule = raw.get("rule") or common.get("no_rule", "")
    unknown = _names(rule) - set(thresholds)
    if unknown:
        raise LedgerError(f"{LEDGER_FILE.name}: claim {claim_id}'s rule names {sorted(unknown)}, not thresholds")
    return Claim(
        claim_id=str(claim_id),
        paraphrase=raw["claim"].strip(),
        section=raw["section"].strip(),
        check=raw["check"],
        rule=_fill(rule, thresholds, f"claim {claim_id} rule"),
        thresholds=thresholds,
        says=raw.get("says") or {},
        entry={**raw, "thresholds": thresholds, "says": raw.get("says") or {}},
    )


@lru_cache(maxsize=4)
def load_ledger(path: Path = LEDGER_FILE) -> Ledger:
    raw = yaml.safe_load(Path(path).read_text())
    verdicts = raw.get("verdicts") or {}
    if set(verdicts) != set(VERDICT_KEYS):
        raise LedgerError(f"{Path(path).name}: 'verdicts' must define exactly {list(VERDICT_KEYS)}")
    common = raw.get("common") or {}
    claims = tuple(_claim(c, common) for c in raw.get("claims") or [])
    ids = [c.claim_id for c in claims]
    if not ids or len(ids) != len(set(ids)):
        raise LedgerError(f"{Path(path).name}: claim ids must be present and unique, got {ids}")
    return Ledger(
        verdict_words={k: str(v["words"]) for k, v in verdicts.items()},
        verdict_meanings={k: str(v["meaning"]).strip() for k, v in verdicts.items()},
        common=common,
        claims=claims,
    )


LEDGER = load_ledger()
CLAIMS = LEDGER.claims
SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = (LEDGER.verdict_words[k] for k in VERDICT_KEYS)
VERDICTS = (SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE)


def word(claim: Claim, outcome: Outcome, ledger: Ledger = LEDGER) -> Finding:
    """The finding as the ledger prints it: the outcome's sentences filled from the YAML, in order."""
    values = {**claim.thresholds, **outcome.values}
    sentences = {}
    for name in outcome.says:
        template = claim.says.get(name, ledger.common.get(name))
        if template is None:
            raise LedgerError(f"{LEDGER_FILE.name}: claim {claim.claim_id} has no sentence {name!r} (nor common)")
        sentences[name] = _fill(template, values, f"claim {claim.claim_id}, sentence {name!r}")
    return Finding(
        verdict=ledger.verdict_words[outcome.verdict],
        verdict_key=outcome.verdict,
        evidence=" ".join(sentences.values()),
        sources=outcome.sources,
        numbers=outcome.numbers,
        values=values,
        sentences=sentences,
    )


def run_claim(con, soc: str, claim_id: str, ledger: Ledger = LEDGER) -> Finding:
    """One claim's verdict and evidence for an occupation: the same finding the ledger prints for it."""
    claim = ledger.claim(claim_id)
    return word(claim, CHECKS[claim.check](Context(con, soc), claim.entry), ledger)


def run_ledger(con, soc: str, ledger: Ledger = LEDGER) -> pd.DataFrame:
    """Every claim with its verdict and evidence, in ledger order."""
    ctx = Context(con, soc)
    rows = []
    for claim in ledger.claims:
        f = word(claim, CHECKS[claim.check](ctx, claim.entry), ledger)
        rows.append(
            {
                "claim_id": claim.claim_id,
                "claim": claim.paraphrase,
                "report_section": claim.section,
                "rule": claim.rule,
                "evidence": f.evidence,
                "verdict": f.verdict,
                "sources": f.sources,
                "numbers": json.dumps({k: (None if pd.isna(v) else float(v)) for k, v in f.numbers.items()}),
            }
        )
    return pd.DataFrame(rows)
