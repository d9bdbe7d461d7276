"""The cited facts' staging tables, declared once (pipeline/sources/table_spec.py).

Their first columns are the CSVs' in the CSVs' order (facts.TIMELINE / facts.ENTRY_REQUIREMENTS), so the two
cannot drift apart: a column added to a CSV without a declaration here fails at import.
"""

from __future__ import annotations

from pipeline.sources.cited_facts.facts import ENTRY_REQUIREMENTS, TIMELINE, FactFile
from pipeline.sources.table_spec import Column, TableSpec

# CSV column -> (DuckDB type, description). warehouse/seeds/README.md documents what goes in each.
_CSV = {
    "event_date": ("DATE", "When the event happened, as the cited document dates it."),
    "event": ("VARCHAR", "What happened, in the book's words."),
    "soc_code": ("VARCHAR", "SOC code of the occupation the fact is about, with the hyphen."),
    "fact": ("VARCHAR", "The fact, in the book's words."),
    "citing_body": ("VARCHAR", "The body whose document states the fact (a licensing board, an agency)."),
    "citation": ("VARCHAR", "The document the fact comes from, precise enough to find it again."),
    "url": ("VARCHAR", "https address of that official document."),
    "checked_on": ("DATE", "When a maintainer last checked the fact against the document."),
}
# Lineage of every row: which pinned file it came from, and where in it.
_PROVENANCE = (
    Column("snapshot_sha256", "VARCHAR", "SHA-256 of the pinned CSV snapshot.", not_null=True),
    Column("line_number", "INTEGER", "CSV line where the row's record starts.", not_null=True),
)


def _spec(name: str, description: str, facts: FactFile) -> TableSpec:
    return TableSpec(
        name,
        description,
        (*(Column(c, _CSV[c][0], _CSV[c][1], not_null=True) for c in facts.columns), *_PROVENANCE),
        key=facts.key,
    )


REGULATORY_TIMELINE = _spec(
    "stg_facts__regulatory_timeline",
    "Dated events of the FTC non-compete rule and what followed it, each with its official document.",
    TIMELINE,
)
ENTRY_REQUIREMENTS_TABLE = _spec(
    "stg_facts__entry_requirements",
    "Entry requirements of occupations (degrees, licences), each with the body and document that state it.",
    ENTRY_REQUIREMENTS,
)

TABLES = (REGULATORY_TIMELINE, ENTRY_REQUIREMENTS_TABLE)
# Which table each seed file loads into.
TABLE_OF_FILE = {TIMELINE.filename: REGULATORY_TIMELINE, ENTRY_REQUIREMENTS.filename: ENTRY_REQUIREMENTS_TABLE}
