"""The methodology, What changed and data downloads pages: what they say about the sources must be true.

Each test here would have caught a mistake one of these pages once made: that OEWS estimates before May 2021 did
not pool three years of panels, "1 rows" and "? rows", a file listed as both "not pinned" and "unchanged", two
files "identical" to one address with different hashes and no word on when, and Employment Projections counts
called persons. Page tests read the session's built book (``built_book``; REUSE_BUILT_BOOK reuses one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from pipeline.report import edition_changes as changes
from pipeline.report.methodology import count_of

PAGES = ("methodology", "what_changed", "data_downloads")


def _soup(html_dir: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((html_dir / "notebooks" / f"{page}.html").read_text(), "html.parser")


def _text(soup: BeautifulSoup) -> str:
    return re.sub(r"\s+", " ", soup.get_text(" "))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.;:])\s+", text) if s.strip()]


@pytest.fixture(scope="module")
def methodology(built_book) -> BeautifulSoup:
    _, html_dir = built_book
    return _soup(html_dir, "methodology")


@pytest.fixture(scope="module")
def wh(built_book):
    dirs, _ = built_book
    con = duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


# ---------------------------------------------------------------- OEWS: the estimator changed, not the pooling


def test_no_sentence_says_earlier_oews_estimates_did_not_pool_panels(methodology):
    text = _text(methodology)
    for sentence in _sentences(text):
        if "panel" in sentence:
            assert not re.search(r"\b(did not|didn't|never|not)\b", sentence), sentence
    # What is true: six semiannual panels over three years, before and after May 2021; the estimator changed.
    assert "six semiannual survey panels" in text
    assert "before and after" in text
    assert "model-based estimator, MB3" in text


# ---------------------------------------------------------------- counts read as counts


BAD_COUNT = re.compile(r"\?\s*(rows?|bytes?)\b|(?<![\d,.])1 (rows|bytes|files|cells|jobs|chapters|samples)\b")


def test_count_of_agrees_with_its_number():
    assert count_of(1, "row") == "1 row"
    assert count_of(0, "row") == "0 rows"
    assert count_of(2204, "row") == "2,204 rows"
    assert count_of(1, "series", "series") == "1 series"


@pytest.mark.parametrize("page", PAGES)
def test_no_count_is_a_question_mark_or_a_wrong_plural(built_book, page):
    _, html_dir = built_book
    text = _text(_soup(html_dir, page))
    found = [m.group(0) for m in BAD_COUNT.finditer(text)]
    assert not found, f"{page}: {found}"


def test_the_samples_file_has_its_row_count(methodology, wh):
    rows = wh.execute(
        "SELECT rows FROM meta_snapshots WHERE source_id = 'compensation_samples' AND status = 'in this build'"
    ).fetchall()
    if not rows:
        pytest.skip("no compensation samples file in this build")
    assert rows[0][0] is not None, "the samples file's row count was not recorded"
    assert count_of(rows[0][0], "row") in _text(methodology)


# ---------------------------------------------------------------- one address, several files: when each was served


@pytest.mark.real_files("ep/occupation_2024-34.xlsx", "ep/occupation_2016-26.xlsx")
def test_files_taken_from_one_address_say_what_the_lock_records_about_them(methodology, wh):
    shared = wh.execute(
        """
        SELECT filename, note, extra_json FROM meta_snapshots
        WHERE status = 'in this build' AND relation = 'identical' AND url IN (
            SELECT url FROM meta_snapshots WHERE status = 'in this build' AND relation = 'identical'
            GROUP BY url HAVING count(DISTINCT sha256) > 1
        )
        ORDER BY url, filename
        """
    ).fetchall()
    assert {r[0] for r in shared} >= {"occupation_2016-26.xlsx", "occupation_2024-34.xlsx"}
    text = _text(methodology)
    assert "Some files above share one address but not one hash" in text
    for filename, note, extra_json in shared:
        period = json.loads(extra_json or "{}").get("reference_period")
        assert period and f"this one is {period}" in text, filename
        assert note and note in text, (filename, note)
    # The book shows what the lock records, never a path on the build machine.
    assert "reference-data" not in methodology.decode() and "/work/" not in methodology.decode()


# ---------------------------------------------------------------- EP counts jobs


def test_employment_projections_are_counted_as_jobs_not_people(methodology):
    text = _text(methodology)
    persons = [sentence[:200] for sentence in _sentences(text) if re.search(r"\bpersons\b", sentence)]
    assert not persons, persons
    for sentence in _sentences(text):
        if re.search(r"\bEP\b|Employment Projections", sentence) and re.search(r"\b(people|workers)\b", sentence):
            assert "jobs, not people" in sentence, sentence
    assert "EP counts jobs, not people" in text


# ---------------------------------------------------------------- What changed: statuses agree


def _edition(path: Path, status: str, pinned_sha: str | None, read_sha: str | None) -> None:
    """A SYNTHETIC edition warehouse: one source with the given status and, optionally, one file."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE meta_sources (source_id VARCHAR, title VARCHAR, status VARCHAR, source_order INT)")
        con.execute("INSERT INTO meta_sources VALUES ('samples', 'Samples', ?, 1)", [status])
        con.execute("CREATE TABLE meta_snapshots (source_id VARCHAR, part VARCHAR, sha256 VARCHAR, rows BIGINT)")
        sha = pinned_sha or read_sha
        if sha:
            con.execute("INSERT INTO meta_snapshots VALUES ('samples', 'samples.csv', ?, 0)", [sha])


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (("not pinned", None, "a" * 64), ("complete", "a" * 64, None), "added"),  # read unpinned, then pinned
        (("complete", "a" * 64, None), ("not pinned", None, "a" * 64), "removed"),
        (("not pinned", None, "a" * 64), ("not pinned", None, "a" * 64), "not pinned"),
        (("complete", "a" * 64, None), ("complete", "a" * 64, None), "unchanged"),
        (("complete", "a" * 64, None), ("complete", "b" * 64, None), "updated"),
    ],
)
def test_a_file_pinned_in_one_edition_only_is_never_unchanged(tmp_path, before, now, expected):
    _edition(tmp_path / "prev.duckdb", *before)
    _edition(tmp_path / "now.duckdb", *now)
    con = duckdb.connect(str(tmp_path / "now.duckdb"), read_only=True)
    changes.attach_previous(con, str(tmp_path / "prev.duckdb"))
    parts = changes.source_changes(con)
    assert parts["change"].tolist() == [expected]
    statuses = changes.source_status_changes(con).iloc[0]
    pinned = [statuses.previous_status != "not pinned", statuses.current_status != "not pinned"]
    if parts["change"].iloc[0] == "unchanged":
        assert pinned == [True, True]  # "unchanged" is a statement about two pins
    if expected in ("added", "removed"):
        assert "same bytes" in parts["note"].iloc[0]


def test_what_changed_statuses_and_file_changes_agree(built_book, wh):
    _, html_dir = built_book
    soup = _soup(html_dir, "what_changed")
    tables = {}
    for table in soup.select("table.report-table"):
        headers = [th.get_text(strip=True) for th in table.select("thead th")]
        tables[tuple(headers[:2])] = [
            [td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")
        ]
    if ("Source", "File") not in tables:
        pytest.skip("no source file changed, or no previous edition in this build")
    statuses = next(rows for key, rows in tables.items() if key[0] == "Source" and key[1].startswith("In "))
    source_of = dict(wh.execute("SELECT title, source_id FROM meta_sources").fetchall())
    files = tables[("Source", "File")]
    for title, previous, current in statuses:
        if previous == "not pinned" and current not in ("not pinned", changes.NOT_A_SOURCE):
            # Pinned now and not before: each of its files was added to the lock, none is "unchanged".
            kinds = {row[2] for row in files if row[0] == source_of[title]}
            assert kinds == {"added"}, (title, kinds)
    # The summary counts every file of either edition's build by kind of change, each kind once.
    summary = re.search(r"Of the ([\d,]+) source files? in either edition['’]s build, ([^.]+)\.", _text(soup))
    assert summary
    kinds = re.findall(r"([\d,]+) (added|updated|removed|not pinned|unchanged)", summary.group(2))
    assert sum(int(n.replace(",", "")) for n, _ in kinds) == int(summary.group(1).replace(",", ""))
    assert len({kind for _, kind in kinds}) == len(kinds)


def test_monthly_coverage_table_names_both_editions(tmp_path):
    for name in ("prev", "now"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:  # SYNTHETIC: no monthly tables at all
            con.execute("CREATE TABLE meta_sources (source_id VARCHAR)")
    con = duckdb.connect(str(tmp_path / "now.duckdb"), read_only=True)
    changes.attach_previous(con, str(tmp_path / "prev.duckdb"))
    table = changes.monthly_coverage_table(con, "2026Q4", "2026Q4.2")
    assert list(table.columns) == ["Series", "In 2026Q4", "In 2026Q4.2", "Month-values revised"]
    assert set(table["In 2026Q4"]) == {"not in this edition"}
    assert isinstance(table, pd.DataFrame) and len(table) == len(changes.MONTHLY_TABLES)


# ---------------------------------------------------------------- data downloads: the totals are said


def test_downloads_page_says_how_many_files_it_lists(built_book):
    _, html_dir = built_book
    text = _text(_soup(html_dir, "data_downloads"))
    manifest = pd.read_csv(html_dir / "_static" / "data" / "data_downloads" / "manifest.csv")
    chapters = manifest.page.nunique() - 1
    expected = f"In all, {count_of(len(manifest), 'file')}, from {count_of(chapters, 'chapter')} and this page."
    assert expected in text
