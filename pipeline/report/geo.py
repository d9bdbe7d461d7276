"""US state geometry for maps. It ships with the project from the npm registry package us-atlas (installed by
`make`, pinned in package-lock.json), so nothing is downloaded when the book is built or read."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from pipeline.settings import PROJECT_ROOT

if TYPE_CHECKING:  # altair's name for its colour schemes (a Literal of them), for the type checker only
    from altair.vegalite.v6.schema._typing import ColorScheme_T

STATES_TOPOJSON = PROJECT_ROOT / "node_modules" / "us-atlas" / "states-10m.json"


@lru_cache(maxsize=1)
def us_states_topology() -> dict:
    if not STATES_TOPOJSON.exists():
        raise FileNotFoundError(
            f"{STATES_TOPOJSON} is missing: the state map needs the npm package us-atlas. "
            "Run `make book` (it runs `npm ci`), or `npm ci` in the project folder."
        )
    return json.loads(STATES_TOPOJSON.read_text())


def state_choropleth(
    values: pd.DataFrame,
    value: str,
    *,
    fips: str = "state_fips_code",
    title: str,
    legend_title: str,
    legend_format: str = ",.2f",
    scheme: ColorScheme_T = "blues",
    width: int = 560,
    height: int = 340,
) -> alt.LayerChart:
    """States coloured by ``value`` (keyed by 2-digit FIPS code); states without a value are drawn grey."""
    states = alt.Data(values=us_states_topology(), format=alt.DataFormat(type="topojson", feature="states"))
    lookup = values[[fips, value]].rename(columns={fips: "id"})
    base = alt.Chart(states).mark_geoshape(fill="#e6e6e6", stroke="white", strokeWidth=0.5)
    shaded = (
        alt.Chart(states)
        .mark_geoshape(stroke="white", strokeWidth=0.5)
        .transform_lookup(lookup="id", from_=alt.LookupData(lookup, "id", [value]))
        .transform_filter(f"isValid(datum['{value}'])")
        .encode(
            color=alt.Color(
                f"{value}:Q",
                title=legend_title,
                scale=alt.Scale(scheme=scheme),
                legend=alt.Legend(format=legend_format),
            )
        )
    )
    return (base + shaded).project(type="albersUsa").properties(width=width, height=height, title=title)
