"""Altair charts rendered to static SVG by vl-convert and embedded in the page: nothing loads from a CDN."""

from __future__ import annotations

import base64
import html

import altair as alt
import vl_convert as vlc
from IPython.display import HTML


def figure(chart: alt.Chart, alt_text: str, caption: str) -> HTML:
    """A <figure> holding the chart as an SVG image, with alt text that says what the chart shows."""
    svg = vlc.vegalite_to_svg(chart.to_json(), config={"font": "sans-serif"})
    data = base64.b64encode(svg.encode()).decode()
    return HTML(
        f'<figure class="report-figure">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt_text, quote=True)}" '
        f'style="max-width:100%;height:auto">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
