"""How a page shows a number: every table and chart carries its source line, its snapshot hashes, a link to
the lineage entry of each table it shows (methodology page: the SQL, the upstream tables, the snapshots) and a
CSV of the data behind it. Notebooks use ``Page``; nothing here invents or fills in a value.

    page = Page("geography", con, downloads_dir, soc=soc)   # soc: source lines link its official pages
    display(page.table(display_df, "top_states", "The ten states with the most jobs.", data=raw_df))
    display(page.figure(chart, "state_map", alt_text="...", caption="...", data=raw_df))   # an SVG file
    display(page.absent(["jolts"]))   # a visible note when the source is not in this build

A chart is an SVG file in the book's static folder, beside the CSVs (``_static/figures/<page>/<name>.svg``), that
the page links to: kept out of the page's HTML, it is not stored a second time in the executed notebook Sphinx
copies to ``_sources/``. Its path data is written at 0.1 px precision (``compact_svg_paths``).

The tables a caption names come from the data: each DataFrame a query returns carries the tables it read
(pipeline/report/warehouse.py). ``sources=[...]`` overrides that, for data no query returned as such.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc
from IPython.display import HTML

from pipeline.lineage import staged_from
from pipeline.report.sources import absent_note, table_anchor

# Charts go in this folder beside the CSVs' (``downloads_dir`` is ``<book source>/_static/data``).
FIGURES_FOLDER = "figures"

# Where each table's lineage entry is, relative to a page (pages are siblings in notebooks/; works from file://).
LINEAGE_PAGE = "methodology.html"


# A source package's official page may name the occupation (pipeline/sources/base.py: OFFICIAL_PAGE_URL).
SOC_PLACEHOLDER = "{soc_compact}"


def source_line(con, tables: list[str], *, soc: str | None = None) -> str:
    """'Source: <source title> (snapshot abc123def456, ...); ...' as HTML, for the snapshots the given tables came
    from, each title a plain link to the source's official page (for the occupation ``soc`` when the page is one
    per occupation). Links are not loaded resources: the page reads the same offline.

    A mart is followed to the staging tables its SQL reads. Reads about lineage are not a page's own inputs (they
    follow from the tables it shows), so they go past the recording connection.
    """
    con = getattr(con, "raw", con)
    if any(t.split(".")[-1].startswith("meta_") for t in tables):
        # A table about the snapshots themselves comes from every source of this build.
        every = con.execute("SELECT DISTINCT table_name FROM meta_table_lineage").fetchall()
        tables = [*tables, *(row[0] for row in every)]
    tables = staged_from(tables)
    # A warehouse built before sources declared their pages (or a small test one) has no such columns: no links.
    declared = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meta_sources'"
        ).fetchall()
    }
    page_col, index_col = (
        f"any_value(m.{c})" if c in declared else "NULL" for c in ("official_page_url", "official_index_url")
    )
    rows = con.execute(
        f"""
        SELECT m.title, string_agg(DISTINCT substr(s.sha256, 1, 12), ', ' ORDER BY substr(s.sha256, 1, 12)),
               any_value(s.package), bool_or(s.origin = 'package'), {page_col}, {index_col}
        FROM meta_table_lineage l
        JOIN meta_snapshots s USING (sha256)
        JOIN meta_sources m ON m.source_id = s.source_id
        WHERE list_contains(?, l.table_name)
        GROUP BY m.title, m.source_order ORDER BY m.source_order
        """,
        [tables],
    ).fetchall()
    if not rows:
        return "Source: not in this build."
    parts = [
        f"{_linked(title, official_page(page_url, index_url, soc))}"
        f"{' via ' + html.escape(package) if via_package else ''} (snapshot {html.escape(hashes)})"
        for title, hashes, package, via_package, page_url, index_url in rows
    ]
    return "Source: " + "; ".join(parts) + "."


def official_page(page_url: str | None, index_url: str | None, soc: str | None) -> str | None:
    """The official page for a source line: the declared page, with the occupation filled in when it is one page
    per occupation. Without an occupation, or for one BLS gives no page of its own (a broad group such as 19-5010),
    the source's index page (which lists every occupation) stands in."""
    if not page_url or SOC_PLACEHOLDER not in page_url:
        return page_url
    if soc and _has_own_page(soc):
        return page_url.replace(SOC_PLACEHOLDER, soc.replace("-", ""))
    return index_url


def _has_own_page(soc: str) -> bool:
    """OEWS publishes a profile page for each detailed occupation (29-1122) and each major group (29-0000); minor
    and broad groups (29-1000, 29-1120) appear only in the national list."""
    if not re.fullmatch(r"\d\d-\d{4}", soc):
        return False
    return soc.endswith("-0000") or not soc.endswith("0")


def _linked(title: str, url: str | None) -> str:
    """The source title, a plain link to its official page when it has one (https only: declared in code)."""
    if not url or not url.startswith("https://"):
        return html.escape(title)
    return f'<a class="official-source" href="{html.escape(url, quote=True)}">{html.escape(title)}</a>'


def lineage_links(con, tables: list[str]) -> str:
    """'Lineage: <a href="methodology.html#table-x">x</a>, ...': one link per table shown, to its lineage entry.

    A table this build does not have (its source is absent) has no entry; the source line already says so."""
    con = getattr(con, "raw", con)
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    links = [
        f'<a class="lineage-link" href="{LINEAGE_PAGE}#{table_anchor(t)}">{html.escape(t)}</a>'
        for t in sorted(set(tables))
        if t in present
    ]
    return f'<span class="lineage-links">Lineage: {", ".join(links)}.</span>' if links else ""


def tables_shown(*frames: pd.DataFrame | pd.Series | None) -> list[str]:
    """The warehouse tables the given DataFrames (or rows of them) came from (their ``attrs["tables"]``)."""
    return sorted({t for frame in frames if frame is not None for t in frame.attrs.get("tables", [])})


def _html_with_links(shown: pd.DataFrame, link_columns: tuple[str, ...]) -> str:
    """The table as HTML with every cell escaped, and the cells of ``link_columns`` as links to themselves."""

    def cell(value, as_link: bool) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        text = str(value)
        return _linked(text, text) if as_link else html.escape(text)

    escaped = pd.DataFrame({html.escape(str(c)): [cell(v, c in link_columns) for v in shown[c]] for c in shown.columns})
    return escaped.to_html(index=False, classes="report-table", escape=False, na_rep="")


def _single_soc(*frames: pd.DataFrame | None) -> str | None:
    """The one SOC code the data shown is about (its soc_code column), when the page did not name it."""
    for frame in frames:
        if frame is not None and "soc_code" in frame.columns:
            codes = frame["soc_code"].dropna().unique()
            if len(codes) == 1:
                return str(codes[0])
    return None


def _tables(sources: list) -> list[str]:
    """Table names as given, and for a DataFrame or Series (a row the page took values from) the tables it
    came from; None (an absent row) names nothing."""
    names = {s for s in sources if isinstance(s, str)}
    return sorted(names | set(tables_shown(*(s for s in sources if isinstance(s, (pd.DataFrame, pd.Series))))))


def _check_name(name: str) -> None:
    """A download's or figure's name becomes a file name and a link: nothing that could leave its folder."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"download name {name!r}: use lower-case letters, digits and underscores")


class Page:
    def __init__(self, page: str, con, downloads_dir: str | Path, *, soc: str | None = None):
        self.page = page
        self.con = con
        self.soc = soc  # the book's occupation: source lines link to its official pages
        self.dir = Path(downloads_dir) / page
        self.dir.mkdir(parents=True, exist_ok=True)
        self.figures_dir = Path(downloads_dir).parent / FIGURES_FOLDER / page  # made by the first figure

    def _csv(self, name: str, data: pd.DataFrame) -> str:
        _check_name(name)
        data.to_csv(self.dir / f"{name}.csv", index=False)
        # Pages live in notebooks/, the static folder beside it; the link works offline from the file system too.
        href = f"../_static/data/{self.page}/{name}.csv"
        return f'<a class="csv-download" href="{href}" download>Download the data (CSV)</a>'

    def _caption(
        self, caption: str, sources: list | None, name: str, data: pd.DataFrame, shown: pd.DataFrame | None = None
    ) -> str:
        tables = _tables(sources) if sources is not None else tables_shown(data, shown)
        if not tables:
            raise ValueError(
                f"page {self.page}, {name}: the data carries no warehouse tables (it was not returned "
                "by a query, or an operation dropped DataFrame.attrs); pass sources=[...] naming the "
                "tables it shows, or build it from the query's DataFrame"
            )
        soc = self.soc or _single_soc(data, shown)
        return (
            f"{html.escape(caption)} {source_line(self.con, tables, soc=soc)} "
            f"{lineage_links(self.con, tables)} "
            f"{self._csv(name, data)}"
        )

    def table(
        self,
        shown: pd.DataFrame,
        name: str,
        caption: str,
        *,
        data: pd.DataFrame | None = None,
        sources: list | None = None,
        link_columns: tuple[str, ...] = (),
    ) -> HTML:
        """A formatted table (``shown``), its caption with sources, and the unformatted ``data`` as CSV.

        ``sources`` (tables, or the query DataFrames/rows the values were copied from) is for data assembled by
        hand, which carries no tables of its own. Each of ``link_columns`` holds addresses: an https one becomes a
        plain link to itself, anything else stays text."""
        if link_columns:
            body = _html_with_links(shown, link_columns)
        else:
            body = shown.to_html(index=False, classes="report-table", escape=True, na_rep="")
        return HTML(
            f'<div class="report-table-block">{body}<p class="table-caption">'
            f"{self._caption(caption, sources, name, shown if data is None else data, shown)}</p></div>"
        )

    def figure(
        self,
        chart: alt.TopLevelMixin,
        name: str,
        *,
        alt_text: str,
        caption: str,
        data: pd.DataFrame,
        sources: list | None = None,
    ) -> HTML:
        """The chart as a static SVG image (vl-convert: no CDN) in its own file, linked from the page, alt text
        that says what it shows, and a CSV. The file is named after the figure, so a rebuild writes the same
        bytes to the same place."""
        if not alt_text.strip():
            raise ValueError("a figure needs alt text that says what the chart shows")
        _check_name(name)
        svg = chart_svg(chart)
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        (self.figures_dir / f"{name}.svg").write_text(svg, encoding="utf-8", newline="")
        # Relative, like the CSV links: pages live in notebooks/, the static folder beside it.
        src = f"../_static/{FIGURES_FOLDER}/{self.page}/{name}.svg"
        return HTML(
            f'<figure class="report-figure"><img src="{src}" '
            f'alt="{html.escape(alt_text, quote=True)}" style="max-width:100%;height:auto">'
            f"<figcaption>{self._caption(caption, sources, name, data)}</figcaption></figure>"
        )

    def absent(self, source_ids: list[str]) -> HTML:
        """A visible note naming each of these sources that this build lacks ('' when all are present)."""
        return HTML(absent_note(self.con, source_ids))

    def has(self, source_id: str) -> bool:
        status = self.con.execute("SELECT status FROM meta_sources WHERE source_id = ?", [source_id]).fetchall()
        return bool(status) and status[0][0] == "complete"


# SVG path data: a command letter, or a number (sign, digits, fraction, exponent).
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_DATA = re.compile(r'(\sd=")([^"]*)(")')


# Large static data that a chart names instead of holding (a map's atlas), by name: Altair walks every value of
# inline data each time it builds or serialises a chart. The module that draws such charts registers the data, and
# it goes into the spec only when the chart is rendered.
_NAMED_DATA: dict[str, Callable[[], object]] = {}


def register_named_data(name: str, values: Callable[[], object]) -> None:
    _NAMED_DATA[name] = values


def _spec_json(spec: dict) -> str:
    return json.dumps(spec, indent=2, sort_keys=True)  # as chart.to_json() writes it


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as a static SVG (vl-convert: no CDN), with the data it names and path data at 0.1 px."""
    spec = chart.to_dict()
    text = _spec_json(spec)
    named = {name: values() for name, values in _NAMED_DATA.items() if f'"{name}"' in text}
    if named:  # only a chart that names registered data is written out a second time, with it
        text = _spec_json({**spec, "datasets": {**spec.get("datasets", {}), **named}})
    return compact_svg_paths(vlc.vegalite_to_svg(text, config={"font": "sans-serif"}))


def compact_svg_paths(svg: str) -> str:
    """The SVG with every path's coordinates at 0.1 px (a tenth of a CSS pixel: nothing a screen shows).

    vl-convert writes three decimals, and a state map's borders are thousands of points. A path of absolute moves
    and lines only (a map's shapes, a line chart's line) is also written with relative lines, whose small steps
    are short numbers; the steps are taken between the rounded points, so no error adds up along a border, and a
    step of zero length is dropped. Other paths (arcs, curves, rectangles) keep their commands, rounded."""
    return _PATH_DATA.sub(lambda m: m.group(1) + _compact_path(m.group(2)) + m.group(3), svg)


def _compact_path(data: str) -> str:
    commands = _commands(data)
    if commands and commands[0][0] == "M" and all(_is_points(letter, numbers) for letter, numbers in commands):
        return _relative_lines(commands)
    return "".join(letter + _joined([_tenths(n) for n in numbers]) for letter, numbers in commands)


def _commands(data: str) -> list[tuple[str, list[float]]]:
    """Path data as (command letter, its numbers); numbers before any letter are kept under an empty letter."""
    commands: list[tuple[str, list[float]]] = []
    for token in _PATH_TOKEN.findall(data):
        if token.isalpha():
            commands.append((token, []))
        elif commands:
            commands[-1][1].append(float(token))
        else:
            commands.append(("", [float(token)]))
    return commands


def _is_points(letter: str, numbers: list[float]) -> bool:
    """An absolute move or line through whole (x, y) pairs, or a close."""
    return (letter in ("M", "L") and len(numbers) >= 2 and len(numbers) % 2 == 0) or (letter == "Z" and not numbers)


def _relative_lines(commands: list[tuple[str, list[float]]]) -> str:
    """Moves and lines as absolute moves and relative lines between points rounded to 0.1 px."""
    out: list[str] = []
    steps: list[str] = []
    current = start = (0, 0)

    def flush() -> None:
        if steps:
            out.append("l" + _joined(steps))
            steps.clear()

    for letter, numbers in commands:
        points = [(round(x * 10), round(y * 10)) for x, y in zip(numbers[::2], numbers[1::2], strict=True)]
        if letter == "Z":
            flush()
            out.append("Z")
            current = start
            continue
        if letter == "M":
            flush()
            current = start = points[0]
            out.append("M" + _joined([_number(points[0][0]), _number(points[0][1])]))
            points = points[1:]  # further pairs after a move are lines
        for point in points:
            if point != current:
                steps += [_number(point[0] - current[0]), _number(point[1] - current[1])]
                current = point
    flush()
    return "".join(out)


def _tenths(value: float) -> str:
    return _number(round(value * 10))


def _number(tenths: int) -> str:
    """A number given in tenths, as short as SVG reads it: 12.3, 12, .5, -.5, 0."""
    whole, tenth = divmod(abs(tenths), 10)
    digits = (str(whole) if whole else "") + (f".{tenth}" if tenth else "")
    return ("-" if tenths < 0 else "") + (digits or "0")


def _joined(numbers: list[str]) -> str:
    """Numbers of path data: a minus sign separates on its own, otherwise a comma."""
    return "".join(n if i == 0 or n.startswith("-") else "," + n for i, n in enumerate(numbers))
