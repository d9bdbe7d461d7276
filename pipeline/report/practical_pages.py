"""Helpers for the "Working in the occupation" pages and the FAQ / regulatory notes.

Each helper runs one small SQL query against the warehouse and returns raw values (never formatted, never
filled in): the pages format them with ``pipeline.report.format`` and say "not published" where BLS did not.

The practical chapters are written for the rehabilitation-therapy occupations (occupational and physical
therapists and their assistants, and near neighbours). ``role`` tells a page which wording fits the SOC it is
built for; ``scope_note`` is shown when the SOC is outside that family, so the guidance is not passed off as
fitting an occupation it was not written for.
"""

from __future__ import annotations

import pandas as pd

from pipeline import domain
from pipeline.report import format as fmt
from pipeline.report.text import missing

ALL_OCCUPATIONS = "00-0000"

# Occupations the practical guidance was written for: therapists who evaluate and treat, and the assistants and
# aides who carry out their plans (warehouse/seeds/occupation_families.csv).
THERAPISTS = domain.occupations_in_role("therapist")
ASSISTANTS = domain.occupations_in_role("assistant")
# An assistant's usual step up is the supervising profession's own entry degree.
SUPERVISING_PROFESSION = domain.supervising_profession()
# Where OEWS counts the people who run therapy departments and practices.
MANAGERS_SOC = "11-9111"


def role(soc: str) -> str:
    """'therapist', 'assistant' or 'other' (the guidance may not fit)."""
    if soc in THERAPISTS:
        return "therapist"
    if soc in ASSISTANTS:
        return "assistant"
    return "other"


# Chapters that are guidance for the therapy occupations and nothing else (how clinicians are hired, what their
# interviewers look for, what a clinician's portfolio holds): other occupations' books leave them out.
THERAPY_ONLY_PAGES = {
    "hiring_loop": "Hiring loop",
    "skills_and_signals": "Skills and signals",
    "interview_preparation": "Interview preparation",
    "portfolio_ideas": "Portfolio ideas",
}


def pages_left_out(soc: str) -> set[str]:
    """The book pages this occupation's book leaves out, because they were written for other occupations."""
    return set(THERAPY_ONLY_PAGES) if role(soc) == "other" else set()


def setting_coverage_pct(con, soc: str, national_jobs) -> float | None:
    """The share (%) of this occupation's national jobs held by the book's settings that have a published job
    count; None when either count is missing."""

    counted = con.execute(
        "SELECT sum(employment_count) FROM mart_oews__setting_wages "
        "WHERE soc_code = ? AND employment_count IS NOT NULL",
        [soc],
    ).fetchall()[0][0]
    if missing(counted) or missing(national_jobs) or not national_jobs:
        return None
    return 100 * counted / national_jobs


def say_setting_coverage(con, soc: str, national_jobs) -> None:
    """Publish what the shared setting-coverage note (book/notebooks/_snippets/setting_coverage_note.md) needs.

    The settings (outpatient therapy offices, hospitals, home health...) were chosen for the rehabilitation
    occupations; for anyone else they may hold a sliver of the jobs, and a reader should know that before reading
    a 'best-paid setting'. ``settings_chosen_elsewhere`` is true for the occupations outside that family: a page
    shows the note in a ``{"if": "settings_chosen_elsewhere"}`` cell. ``setting_coverage_detail`` is the clause
    that gives the share of the occupation's jobs the settings hold ('' when it cannot be computed).
    """
    from pipeline.report.text import say

    outside = role(soc) == "other"
    share = setting_coverage_pct(con, soc, national_jobs) if outside else None
    detail = (
        ""
        if share is None
        else f": the ones with a published job count hold {fmt.pct(share, 1)} of its national jobs, so they "
        "describe only that part of where it works"
    )
    say(settings_chosen_elsewhere=outside, setting_coverage_detail=detail)


def ep_latest(con, soc: str) -> dict | None:
    """The latest Employment Projections edition for this SOC, with the all-occupations row beside it.

    Returns None when EP has no line for the SOC. Keys: the mart's columns, plus ``all_*`` for the total.
    """
    rows = con.execute(
        """
        SELECT soc_code, edition, base_year, projection_year, employment_base_jobs,
               employment_projected_jobs, employment_change_jobs, employment_change_pct, self_employed_pct,
               openings_annual_avg_count, openings_pct_of_base, entry_education, work_experience,
               on_the_job_training, median_annual_wage_usd, median_wage_year
        FROM mart_ep__occupation_outlook
        WHERE is_latest_edition AND soc_code IN (?, ?)
        """,
        [soc, ALL_OCCUPATIONS],
    ).df()
    own = rows[rows.soc_code == soc]
    if own.empty:
        return None
    out = own.iloc[0].to_dict()
    total = rows[rows.soc_code == ALL_OCCUPATIONS]
    for key in ("employment_change_pct", "openings_pct_of_base", "self_employed_pct"):
        out[f"all_{key}"] = total.iloc[0][key] if not total.empty else None
    return out


def national(con, soc: str) -> dict | None:
    rows = con.execute("SELECT * FROM mart_oews__national_wages WHERE soc_code = ?", [soc]).df()
    return None if rows.empty else rows.iloc[0].to_dict()


def settings(con, soc: str) -> pd.DataFrame:
    """OEWS employment and mean and median wages (annual and hourly) in each of the report's settings, largest first."""
    return con.execute(
        """
        SELECT report_variant, oews_industry_code, oews_industry_title, is_proxy, caveat,
               employment_count, employment_count_flag, annual_mean_wage_usd, annual_mean_wage_usd_flag,
               annual_median_wage_usd, annual_median_wage_usd_flag, hourly_mean_wage_usd, hourly_median_wage_usd
        FROM mart_oews__setting_wages
        WHERE soc_code = ?
        ORDER BY employment_count DESC NULLS LAST, report_variant
        """,
        [soc],
    ).df()


def states(con, soc: str) -> pd.DataFrame:
    """The 50 states and DC (territories left out: warehouse/seeds/territories.csv) with jobs per 1,000 published."""
    return con.execute(
        """
        SELECT state_name, employment_count, jobs_per_1000, location_quotient
        FROM mart_oews__state_wages
        WHERE soc_code = ? AND NOT list_contains(?, state_fips_code) AND jobs_per_1000 IS NOT NULL
        ORDER BY jobs_per_1000 DESC, state_name
        """,
        [soc, list(domain.territory_fips())],
    ).df()


def place(state_name: str) -> str:
    """'the District of Columbia', 'Ohio': a state name as it reads inside a sentence."""
    return f"the {state_name}" if state_name.startswith("District of") else state_name


def wage_history_year(con, soc: str, year: int) -> dict | None:
    rows = con.execute(
        "SELECT * FROM core_oews__national_wage_history WHERE soc_code = ? AND reference_year = ?", [soc, year]
    ).df()
    return None if rows.empty else rows.iloc[0].to_dict()


def title_of(con, soc: str) -> str | None:
    rows = con.execute("SELECT occupation_title FROM mart_oews__national_wages WHERE soc_code = ?", [soc]).fetchall()
    return rows[0][0] if rows else None


def ftc_documents(con) -> pd.DataFrame:
    """The FTC document snapshots in this build, oldest first (undated pages last)."""
    return con.execute(
        """
        SELECT title, published_date, url, text_excerpt, retrieved_at, snapshot_sha256
        FROM stg_ftc__documents
        ORDER BY published_date NULLS LAST, title
        """
    ).df()


def excerpt(text, limit: int = 280) -> str:
    """The first ``limit`` characters of a plain-text excerpt, cut at a word, with an ellipsis if shortened."""
    if missing(text):
        return ""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


# The skill matrix on the skills page: (skill, what good looks like, how to prove it). Written for this book;
# rows whose wording differs for assistants carry an assistant variant.
_SKILLS_THERAPIST = [
    (
        "Assessment and clinical reasoning",
        "Finds what actually limits the person's function, sets a baseline with a standard measure and can say why "
        "that measure was chosen",
        "A de-identified case walk-through: findings, what you ruled out, what you measured",
    ),
    (
        "Goals and plan of care",
        "Goals that the patient and a payer can both read: specific, measurable, dated and tied to daily life, with "
        "a clear progression",
        "An outline plan of care (no identifiers) with two goals and the criteria for progressing each",
    ),
    (
        "Treatment choices",
        "Treatment follows from the evaluation, is adjusted session by session, and is dropped when the data say it "
        "is not working",
        "A short account of a plan you changed and the numbers that made you change it",
    ),
]
_SKILLS_ASSISTANT = [
    (
        "Observation and reporting",
        "Notices a change in a patient's status or response during a session and tells the supervising therapist "
        "promptly and precisely",
        "A story of a change you spotted, what you reported and what the therapist did with it",
    ),
    (
        "Carrying out the plan of care",
        "Delivers the therapist's plan faithfully, grades activities within it and tracks progress toward its goals",
        "A de-identified session log that shows progress measured against the plan's goals",
    ),
    (
        "Treatment within the plan",
        "Adjusts difficulty and set-up within the plan's limits and knows when a change needs the therapist",
        "An example of a session you modified, and one you paused to consult the therapist",
    ),
]
_SKILLS_SHARED = [
    (
        "Documentation",
        "Notes finished the same day, accurate, showing why the care is needed and what changed; they hold up to an "
        "audit",
        "Your note routine and its safeguards (templates, a closing checklist, a set time in the day)",
    ),
    (
        "Caseload and time",
        "Quality holds on a full day; clear about what to do first, what can wait and what to escalate",
        "A one-page plan for a heavy day: priorities, what moves, whom you tell",
    ),
    (
        "Handoffs and team communication",
        "Nothing important is lost between shifts, disciplines or settings",
        "A handoff template with the fields that are required and those that are optional",
    ),
    (
        "Patient and family education",
        "People understand and actually do the home programme; understanding is checked, not assumed",
        "An education script or handout and how you confirmed it was understood (for example teach-back)",
    ),
    (
        "Safety and scope",
        "Spots warning signs, stays within scope, escalates early and records what was done",
        "A near-miss story: what you noticed, whom you told, what changed afterwards",
    ),
]


def skill_matrix_markdown(soc: str) -> str:
    """The skill matrix as a Markdown table, worded for therapists or for assistants."""
    rows = (_SKILLS_ASSISTANT if role(soc) == "assistant" else _SKILLS_THERAPIST) + _SKILLS_SHARED
    lines = ["| Skill | What good looks like | How to prove it |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def say_scope(soc: str, occupation_title: str) -> None:
    """Publish what the shared scope note (book/notebooks/_snippets/practical_scope_note.md) needs."""
    from pipeline.report.text import say

    say(
        outside_therapy=role(soc) == "other",
        scope_pages_left_out=", ".join(THERAPY_ONLY_PAGES.values()),
        scope_occupation=occupation_title,
        scope_soc=soc,
    )


def show_absent(page, source_ids: list[str]) -> None:
    """Display the 'Not in this build' note for these sources if any is lacking (nothing when all are present)."""
    from IPython.display import display

    note = page.absent(source_ids)
    if note.data:
        display(note)
