"""The book never calls Employment Projections (EP) employment people, persons or workers.

EP counts jobs: "one person may hold more than one job" (EP technical note,
www.bls.gov/news.release/ecopro.tn.htm). The check reads what a reader gets from a built book: every page's
visible text with its figure alt text and captions, and the header (and any ``unit`` column) of every CSV
download. It flags an EP figure of the occupation followed within a few words by people/persons/workers, a
sentence saying the projections count people, and "persons" used as a unit.

The built-book test reads a real build (the ``built_book`` fixture, or REUSE_BUILT_BOOK); the unit tests run the
same check on sentences quoted from the book's pages before they were fixed, so a check that stopped catching
them fails here first.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

PEOPLE = r"(?:people|persons?|workers?)"
# A number (a count, possibly signed) then at most two more words before the people word: "+22,100 people",
# "an occupation of 160,000 people in 2024".
NUMBER_THEN_PEOPLE = re.compile(
    r"(?<![\w.,])([+\-\u2212]?\d[\d,]*)(?![\d.])(?:\W+[a-z]+){0,2}?\W+" + PEOPLE + r"\b", re.I
)
# "Employment Projections count people", "the projections count people", "EP counts all workers",
# "The Employment Projections (EP) count **people** employed".
PROJECTIONS_COUNT_PEOPLE = re.compile(
    r"\b(?:Employment Projections|projections|EP)\b(?:\s*\(EP\))?\s+counts?\s+(?:all\s+)?(?:\*\*)?" + PEOPLE + r"\b",
    re.I,
)
# "shown here in persons", "Change (persons)", "Employment (persons, incl. self-employed)", "persons per year",
# "EP employment (all workers, incl. self-employed)".
PEOPLE_AS_UNIT = re.compile(
    r"\bin persons\b|\bpersons per\b|\(\s*persons\b|\bemployment \(\s*all " + PEOPLE + r"\b", re.I
)


def ep_figures(con, soc: str) -> set[int]:
    """Every EP count the occupation's pages can print (any edition), and those of all occupations together."""
    rows = con.execute(
        """SELECT employment_base_jobs, employment_projected_jobs, employment_change_jobs, openings_annual_avg_count
           FROM mart_ep__occupation_outlook WHERE soc_code IN (?, '00-0000')""",
        [soc],
    ).fetchall()
    return {abs(int(round(v))) for row in rows for v in row if v is not None}


def wording_problems(text: str, figures: set[int]) -> list[str]:
    """The places in ``text`` that call an EP count people; each with a little context."""
    found = []
    for match in NUMBER_THEN_PEOPLE.finditer(text):
        number = int(re.sub(r"[^\d]", "", match.group(1)))
        if number in figures:
            found.append(match.group(0))
    found += [m.group(0) for m in PROJECTIONS_COUNT_PEOPLE.finditer(text)]
    found += [text[max(0, m.start() - 40) : m.end() + 20] for m in PEOPLE_AS_UNIT.finditer(text)]
    return found


def page_text(html: str) -> str:
    """What a reader gets from a page: its visible text, plus the alt text of its figures."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    alts = [img.get("alt", "") for img in soup.find_all("img")]
    return " ".join(" ".join([soup.get_text(" "), *alts]).replace("\u2019", "'").split())


def csv_problems(path: Path) -> list[str]:
    """A CSV download's column names, and the values of a ``unit`` column, that call a count people."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        units = {row.get("unit") or "" for row in reader} if "unit" in header else set()
    word = re.compile(r"person|people|worker", re.I)
    return [f"column {name}" for name in header if word.search(name)] + [
        f"unit {unit!r}" for unit in sorted(units) if word.search(unit)
    ]


def book_problems(html_dir: Path, figures: set[int]) -> dict[str, list[str]]:
    problems = {}
    for page in sorted((html_dir / "notebooks").glob("*.html")):
        found = wording_problems(page_text(page.read_text()), figures)
        if found:
            problems[page.stem] = found
    for table in sorted((html_dir / "_static" / "data").glob("**/*.csv")):
        found = csv_problems(table)
        if found:
            problems[str(table.relative_to(html_dir))] = found
    return problems


# ------------------------------------------------------------------ the check itself


# Quoted from the executive summary, outlook, FAQ and supply pages as they read before EP counts were called jobs
# (29-1122: EP 2024-34 base 160,000, projected 182,100, change +22,100, openings 10,200).
OLD_FIGURES = {160_000, 182_100, 22_100, 10_200}
OLD_SENTENCES = [
    "The 2024-34 Employment Projections expect employment to change by +22,100 people (+13.8%) between 2024",
    "a change of +22,100 people (+13.8%). It expects about 10,200 openings a year on average",
    "BLS projects about 10,200 openings a year for an occupation of 160,000 people in 2024",
    "OEWS counts wage and salary jobs; Employment Projections count people, self-employed included",
    "OEWS counts jobs held by employees; the projections count people, self-employed included.",
    "The Employment Projections (EP) count people employed over the year as a whole, including the self-employed",
    "EP counts all workers, including the self-employed, and it publishes counts in thousands (shown here in persons).",
    "Employment includes the self-employed; EP publishes thousands, shown here in persons.",
    "| Change (persons) | +31,000 | +22,100 |",
    "| EP employment (all workers, incl. self-employed) | OEWS employment (wage and salary jobs) |",
    "base-year and projected employment (persons, including the self-employed), and projected ten-year growth",
]


def test_the_check_finds_every_old_sentence():
    for sentence in OLD_SENTENCES:
        assert wording_problems(sentence, OLD_FIGURES), sentence


def test_the_check_leaves_the_new_wording_and_other_people_alone():
    fine = [
        "The 2024-34 Employment Projections expect employment to change by +22,100 jobs (+13.8%) between 2024",
        "Growth accounts for about 2,210 of those a year; the rest replace people who retire or move on.",
        "EP counts all jobs, including those of the self-employed, and it publishes counts in thousands.",
        "Most of the openings projected each year come from people leaving jobs, not from new positions.",
        "Percentiles split jobs, not people: the median is the wage with half of jobs above it.",
        "In May 2025, 162,450 people",  # an OEWS count, not an EP one: not this check's business
    ]
    for sentence in fine:
        assert not wording_problems(sentence, OLD_FIGURES | {160_000}), sentence


def test_csv_columns_and_units_are_checked(tmp_path):
    old = tmp_path / "headline_numbers.csv"  # SYNTHETIC rows shaped like the summary's download before the fix
    old.write_text("measure,value,unit\nOpenings per year,10200,persons per year\n")
    assert csv_problems(old) == ["unit 'persons per year'"]
    renamed = tmp_path / "ep_vs_oews.csv"
    renamed.write_text("year,ep_employment_persons\n2024,160000\n")
    assert csv_problems(renamed) == ["column ep_employment_persons"]
    new = tmp_path / "new.csv"
    new.write_text("measure,value,unit\nOpenings per year,10200,openings per year\n")
    assert csv_problems(new) == []


# ------------------------------------------------------------------ the built book


@pytest.mark.real_files()  # the pages show EP figures only when the pinned EP workbooks are in the build
def test_no_page_or_download_calls_ep_employment_people(built_book):
    dirs, html_dir = built_book
    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        figures = ep_figures(con, "29-1122")
    assert len(figures) > 4  # the default build holds EP rows to check against
    problems = book_problems(html_dir, figures)
    assert not problems, problems
