"""The regulatory notes page: the dated timeline of the FTC non-compete rule, from the cited facts.

The events are cited facts (pipeline/sources/cited_facts/, warehouse/seeds/regulatory_timeline.csv): each in the
book's words, with its official document and the date a maintainer checked it. This module reads them, draws them
on a dated axis and lays them out as a table whose every row links its document. The FTC's own pages, when a
build has them, are read by ``practical_pages.ftc_documents``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

TIMELINE_TABLE = "stg_facts__regulatory_timeline"


def timeline(con) -> pd.DataFrame:
    """The timeline's events, oldest first and numbered from 1; empty when this warehouse has no such table."""
    present = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TIMELINE_TABLE]
    ).fetchone()[0]
    if not present:
        return pd.DataFrame(columns=["number", "event_date", "event", "citation", "url", "checked_on"])
    frame = con.execute(
        f"""
        SELECT row_number() OVER (ORDER BY event_date, event)::INTEGER AS number,
               event_date, event, citation, url, checked_on
        FROM {TIMELINE_TABLE}
        ORDER BY event_date, event
        """
    ).df()
    return frame


def checked_on_phrase(events: pd.DataFrame) -> str:
    """'on 2026-11-29', or 'between 2026-10-01 and 2026-11-29' when the rows were checked on different days."""
    first, last = events.checked_on.min(), events.checked_on.max()
    return f"on {last:%Y-%m-%d}" if first == last else f"between {first:%Y-%m-%d} and {last:%Y-%m-%d}"


# Events closer together than this share no lane: each steps one lane up, so their numbers do not overlap.
CLOSE_DAYS = 45
LANES = 3


def lanes(dates: pd.Series) -> list[int]:
    """The lane of each event (dates oldest first): 0, or one above the previous event when it is close in time."""
    out: list[int] = []
    previous = None
    for day in pd.to_datetime(dates):
        close = previous is not None and (day - previous).days < CLOSE_DAYS
        out.append((out[-1] + 1) % LANES if close else 0)
        previous = day
    return out


def timeline_chart(events: pd.DataFrame) -> alt.LayerChart:
    """Each event as a numbered point on a dated axis, on a stem from the axis; the table under the chart gives
    each number's event."""
    data = events.assign(
        date=pd.to_datetime(events.event_date),
        label=events.number.astype(str),
        lane=[lane + 1 for lane in lanes(events.event_date)],
    )
    x = alt.X(
        "date:T",
        title="Date of the event",
        scale=alt.Scale(padding=24),
        axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8),
    )
    y = alt.Y("lane:Q", axis=None, scale=alt.Scale(domain=[0, LANES + 0.6]))
    base = alt.Chart(data).encode(x=x, y=y)
    stems = base.mark_rule(color="#999").encode(y2=alt.datum(0))
    points = base.mark_circle(size=150, color="#1f5f99", opacity=1)
    labels = base.mark_text(dy=-15, fontSize=12, fontWeight="bold").encode(text="label:N")
    return (stems + points + labels).properties(width=640, height=120)


def timeline_alt_text(events: pd.DataFrame) -> str:
    """What the chart shows, with every value: each event's number, date and words."""
    first, last = events.event_date.min(), events.event_date.max()
    rows = zip(events.number, events.event_date, events.event, strict=True)
    items = "; ".join(f"{n}, {d:%Y-%m-%d}: {e}" for n, d, e in rows)
    return (
        f"Timeline of {len(events)} dated events from {first:%Y-%m-%d} to {last:%Y-%m-%d}, each a numbered point "
        f"on a date axis. {items}"
    )


def timeline_table(events: pd.DataFrame) -> pd.DataFrame:
    """The table under the chart: number, date, event, its citation and the link to its official document."""
    return pd.DataFrame(
        {
            "No.": events.number.astype(str),
            "Date": events.event_date.map(lambda d: f"{d:%Y-%m-%d}"),
            "Event": events.event,
            "Citation": events.citation,
            "Official document": events.url,
            "Checked on": events.checked_on.map(lambda d: f"{d:%Y-%m-%d}"),
        }
    )
