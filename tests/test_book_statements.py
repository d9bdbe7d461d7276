"""What the practical pages claim must be what their sources measure.

Read from the built default book (29-1122), as a reader sees it:
- OEWS wage percentiles describe how pay is spread across all of an occupation's jobs at one time. They follow no
  one through a career, so the career roadmap must not call them a proxy for career progression, nor call a
  median a ceiling to aim at; it must say the limit.
- Employment Projections count jobs, not people, and project openings; no source here measures how many people
  compete for them, so the supply page must not conclude there are "fewer vacancies to compete for".
- The interview checklist's tick boxes each carry an accessible name, their item's text (WCAG 4.1.2 / 1.3.1).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT_ROOT / "book" / "notebooks"

# Claims no source in this book supports: (page, phrase).
UNSUPPORTED = [
    ("career_roadmap", "fair proxy"),
    ("career_roadmap", "ceiling to aim at"),
    ("career_roadmap", "offers tend to sit in the lower part"),
    ("supply_and_competition", "fewer vacancies to compete for"),
    ("supply_and_competition", "a stable career"),
    ("supply_and_competition", "fewer people leaving"),
]
# A count from EP (or any count on these pages) read as people: "160,000 people", "2,210 workers".
COUNT_AS_PEOPLE = re.compile(r"\*{0,2}\d[\d,.]*\*{0,2} (?:people|persons|workers)\b")
EP_PAGES = ["supply_and_competition", "career_roadmap", "compensation", "action_plan"]


def page_text(html_dir: Path, name: str) -> str:
    """The page's visible text, tags removed, typographic quotes made straight, whitespace collapsed."""
    html = (html_dir / "notebooks" / f"{name}.html").read_text()
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


# ------------------------------------------------------------------ the page sources (no build needed)


@pytest.mark.parametrize(("page", "phrase"), UNSUPPORTED)
def test_page_sources_make_no_unsupported_claim(page, phrase):
    source = " ".join((NOTEBOOKS / f"{page}.md").read_text().split())
    assert phrase not in source


@pytest.mark.parametrize("page", EP_PAGES)
def test_page_sources_count_jobs_not_people(page):
    source = (NOTEBOOKS / f"{page}.md").read_text()
    assert not COUNT_AS_PEOPLE.search(source)
    assert "{{ base_year_jobs }}** people" not in source


# ------------------------------------------------------------------ the built default book (29-1122)


@pytest.mark.parametrize(("page", "phrase"), UNSUPPORTED)
def test_built_pages_make_no_unsupported_claim(built_book, page, phrase):
    _, html_dir = built_book
    assert phrase not in page_text(html_dir, page)


def test_career_roadmap_states_what_percentiles_are(built_book):
    _, html_dir = built_book
    text = page_text(html_dir, "career_roadmap")
    assert "These percentiles are not experience levels." in text
    # the limit, in the page's words: the spread of pay across all jobs at one time, not anyone's path
    assert "describe how pay was spread across all of the occupation's jobs at one time, May 2025" in text
    assert "they do not follow anyone through a career" in text
    assert "OEWS records no experience, tenure or job level" in text
    # the managers' median is the middle of their pay, not a target
    assert "its median is the middle of pay across all of those management jobs" in text
    assert "not a ceiling" in text


@pytest.mark.real_files()  # its numbers come from the pinned Employment Projections workbook
def test_supply_page_says_only_what_its_sources_measure(built_book):
    _, html_dir = built_book
    text = page_text(html_dir, "supply_and_competition")
    # EP 2024-34 Table 1.2, 29-1122: openings 10.2 thousand, employment 160.0 thousand (jobs, not people).
    assert "about 10,200 openings a year for an occupation of 160,000 jobs in 2024" in text
    assert "EP counts jobs, not the people who hold them." in text
    assert "no source in this book counts how many people compete for them" in text
    for page in EP_PAGES:
        hit = COUNT_AS_PEOPLE.search(page_text(html_dir, page))
        assert not hit, (page, hit.group(0) if hit else "")


class _Checkboxes(HTMLParser):
    """Each checkbox on a page, with the text of the <label> it sits in (None when it has no label)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[list[str]] = []  # the open labels' texts, innermost last
        self.boxes: list[dict] = []  # {"aria": aria-label or None, "label": label text or None}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.labels.append([])
        elif tag == "input" and attrs.get("type") == "checkbox":
            self.boxes.append({"aria": attrs.get("aria-label"), "label": self.labels[-1] if self.labels else None})

    def handle_endtag(self, tag):
        if tag == "label" and self.labels:
            self.labels.pop()

    def handle_data(self, data):
        for label in self.labels:
            label.append(data)


def test_interview_checklist_boxes_have_accessible_names(built_book):
    _, html_dir = built_book
    html = (html_dir / "notebooks" / "interview_preparation.html").read_text()
    parser = _Checkboxes()
    parser.feed(html)
    # 7 story items, 4 practice, 6 questions, 4 before pay, 3 on the day
    assert len(parser.boxes) == 24
    for box in parser.boxes:
        name = box["aria"] or " ".join("".join(box["label"] or []).split())
        assert len(name) > 10, box  # named by its item's text
    named = [" ".join("".join(b["label"] or []).split()) for b in parser.boxes]
    assert "One sentence on why this setting, and why now." in named
    # the pay item carries its numbers in its name (OEWS May 2025, 29-1122: p25 $82,510, p75 $116,670)
    assert any("$82,510" in n and "$116,670" in n for n in named)
