"""Charts are SVG files beside the CSVs, linked from the page, and small: path data at 0.1 px, state maps drawn
from a simplified atlas.

The warehouse here is a tiny SYNTHETIC in-memory one (catalogue and lineage rows only) and every chart's data is
SYNTHETIC; the atlas is the real us-atlas file the project ships (node_modules, installed by `npm ci`).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import altair as alt
import duckdb
import nbformat
import pandas as pd
import pytest
import vl_convert as vlc

from pipeline.preview_page import render
from pipeline.report import geo
from pipeline.report.present import Page, chart_svg, compact_svg_paths
from pipeline.site_sharing import plan_site

SVG_NS = "{http://www.w3.org/2000/svg}"
needs_atlas = pytest.mark.skipif(not geo.STATES_TOPOJSON.exists(), reason="us-atlas is not installed (npm ci)")


def _warehouse() -> duckdb.DuckDBPyConnection:
    """SYNTHETIC catalogue: one source, one snapshot, one table."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE meta_sources AS SELECT 'synthetic' AS source_id, 'SYNTHETIC source' AS title, "
        "0 AS source_order, 'complete' AS status"
    )
    con.execute(
        "CREATE TABLE meta_snapshots AS SELECT 'a' || repeat('0', 63) AS sha256, 'synthetic' AS source_id, "
        "'official' AS origin, NULL AS package"
    )
    con.execute(
        "CREATE TABLE meta_table_lineage AS SELECT 'stg_synthetic__rows' AS table_name, "
        "'synthetic' AS source_id, 'a' || repeat('0', 63) AS sha256"
    )
    con.execute("CREATE TABLE stg_synthetic__rows AS SELECT 1 AS n")
    return con


def _synthetic_data() -> pd.DataFrame:
    data = pd.DataFrame({"year": [2020, 2021, 2022, 2023], "jobs_count": [10.0, 12.5, 11.25, 14.125]})  # SYNTHETIC
    data.attrs["tables"] = ["stg_synthetic__rows"]
    return data


def _line_chart(data: pd.DataFrame) -> alt.Chart:
    return alt.Chart(data).mark_line(point=True).encode(x="year:O", y="jobs_count:Q").properties(width=300)


# ---------------------------------------------------------------- the figure file and its link


def test_a_figure_is_an_svg_file_beside_the_csvs_that_the_page_links_relatively(tmp_path):
    src = tmp_path / "src"
    page = Page("synthetic_page", _warehouse(), src / "_static" / "data")
    alt_text = 'SYNTHETIC line of jobs by year, rising from 10 to 14 "with" <markup> & more.'
    out = page.figure(
        _line_chart(_synthetic_data()),
        "synthetic_chart",
        alt_text=alt_text,
        caption="SYNTHETIC.",
        data=_synthetic_data(),
    ).data

    svg_file = src / "_static" / "figures" / "synthetic_page" / "synthetic_chart.svg"
    assert svg_file.is_file()
    root = ET.fromstring(svg_file.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG_NS}svg" and root.findall(f".//{SVG_NS}path")
    assert (src / "_static" / "data" / "synthetic_page" / "synthetic_chart.csv").is_file()  # the CSV as before

    img = re.search(r'<figure class="report-figure"><img src="([^"]+)" alt="([^"]*)"', out)
    assert img, out[:300]
    assert img.group(1) == "../_static/figures/synthetic_page/synthetic_chart.svg"
    assert "data:image" not in out and "base64" not in out
    # The page is in notebooks/: its relative link finds the file.
    assert (src / "notebooks" / img.group(1)).resolve() == svg_file.resolve()
    assert img.group(2) == (
        "SYNTHETIC line of jobs by year, rising from 10 to 14 &quot;with&quot; &lt;markup&gt; &amp; more."
    )
    assert "SYNTHETIC source (snapshot a00000000000)" in out and "csv-download" in out


def test_the_same_figure_writes_the_same_bytes(tmp_path):
    files = []
    for run in ("one", "two"):
        page = Page("synthetic_page", _warehouse(), tmp_path / run / "_static" / "data")
        page.figure(
            _line_chart(_synthetic_data()),
            "chart",
            alt_text="SYNTHETIC chart.",
            caption="SYNTHETIC.",
            data=_synthetic_data(),
        )
        files.append((tmp_path / run / "_static" / "figures" / "synthetic_page" / "chart.svg").read_bytes())
    assert files[0] == files[1]


@pytest.mark.parametrize("name", ["../escape", "Chart", "chart.svg", ""])
def test_a_figure_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    page = Page("synthetic_page", _warehouse(), tmp_path / "_static" / "data")
    with pytest.raises(ValueError, match="lower-case letters"):
        page.figure(
            _line_chart(_synthetic_data()), name, alt_text="SYNTHETIC.", caption="SYNTHETIC.", data=_synthetic_data()
        )
    assert not list((tmp_path / "_static").rglob("*.svg")) and not (tmp_path / "escape.svg").exists()


def test_the_preview_page_links_figures_beside_it(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": (
                    '<figure class="report-figure"><img src="../_static/figures/p/c.svg" alt="SYNTHETIC.">'
                    '<a class="csv-download" href="../_static/data/p/c.csv" download>CSV</a></figure>'
                )
            },
        )
    ]
    notebook.cells = [cell]
    nbformat.write(notebook, tmp_path / "p.ipynb")
    page = render(tmp_path / "p.ipynb")
    # The preview writes <out>/p.html beside <out>/_static/.
    assert 'src="_static/figures/p/c.svg"' in page and 'href="_static/data/p/c.csv"' in page
    assert "../_static" not in page


# ---------------------------------------------------------------- path data at 0.1 px

MAP_LIKE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
    '<path d="M10.123,20.456L30.987,40.014L30.99,40.01L-5.25,0.049ZM50,50L60.5,50.5Z" fill="#123"/>'
    '<path class="background" d="M0.5,0.5h59.916015625v11.333333h-59.916015625Z"/>'
    '<text x="10.123456" y="3.25">SYNTHETIC 10.123456</text></svg>'
)


def _absolute_points(d: str) -> list[list[tuple[float, float]]]:
    """Subpaths of an M/l/Z path as absolute points (the test's own reading of the relative form)."""
    subpaths: list[list[tuple[float, float]]] = []
    for letter, numbers in re.findall(r"([MlZ])([^MlZ]*)", d):
        values = [float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", numbers)]
        pairs = list(zip(values[::2], values[1::2], strict=True))
        if letter == "M":
            subpaths.append([pairs[0]])
        elif letter == "l":
            for dx, dy in pairs:
                x, y = subpaths[-1][-1]
                subpaths[-1].append((round(x + dx, 6), round(y + dy, 6)))
    return subpaths


def test_path_data_is_rounded_to_a_tenth_of_a_pixel_and_stays_a_valid_svg():
    compact = compact_svg_paths(MAP_LIKE)
    root = ET.fromstring(compact)  # still well-formed
    shape, background = (p.get("d") for p in root.iter(f"{SVG_NS}path"))
    assert len(compact) < len(MAP_LIKE)
    # Lines become relative steps between the rounded points; the step of zero length (30.987,40.014 ->
    # 30.99,40.01, the same point at 0.1 px) is dropped.
    assert shape == "M10.1,20.5l20.9,19.5-36.2-40ZM50,50l10.5,.5Z"
    assert _absolute_points(shape) == [[(10.1, 20.5), (31.0, 40.0), (-5.2, 0.0)], [(50.0, 50.0), (60.5, 50.5)]]
    # Any other path keeps its commands, each number rounded.
    assert background == "M.5,.5h59.9v11.3h-59.9Z"
    # Text and other attributes are not path data: untouched.
    assert 'x="10.123456"' in compact and "SYNTHETIC 10.123456" in compact


def test_every_point_moves_less_than_a_twentieth_of_a_pixel():
    points = [(round(i * 0.737 + 0.0049, 3), round((i * i) % 97 * 0.313, 3)) for i in range(400)]  # SYNTHETIC
    d = "M" + "L".join(f"{x:.3f},{y:.3f}" for x, y in points) + "Z"
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><path d="{d}"/></svg>'
    compact = compact_svg_paths(svg)
    (drawn,) = _absolute_points(ET.fromstring(compact).find(f"{SVG_NS}path").get("d"))
    assert len(drawn) == len(points)  # no step is zero here, so none is dropped
    for (x, y), (rx, ry) in zip(points, drawn, strict=True):
        assert abs(x - rx) <= 0.05 + 1e-9 and abs(y - ry) <= 0.05 + 1e-9  # no error adds up along the path
    assert len(compact) < 0.75 * len(svg)


def test_a_rendered_chart_keeps_its_elements_and_text_and_gets_smaller():
    svg = vlc.vegalite_to_svg(_line_chart(_synthetic_data()).to_json(), config={"font": "sans-serif"})
    compact = compact_svg_paths(svg)
    before, after = ET.fromstring(svg), ET.fromstring(compact)
    assert [e.tag for e in before.iter()] == [e.tag for e in after.iter()]
    assert [e.text for e in before.iter(f"{SVG_NS}text")] == [e.text for e in after.iter(f"{SVG_NS}text")]
    assert len(compact) < len(svg)
    assert vlc.svg_to_png(compact)[:8] == b"\x89PNG\r\n\x1a\n"  # a renderer reads it


# ---------------------------------------------------------------- the simplified atlas


def _state_ids(topology: dict) -> list[str]:
    return [g["id"] for g in topology["objects"]["states"]["geometries"]]


@needs_atlas
def test_the_simplified_atlas_keeps_every_state_arc_and_arc_end_point_and_is_smaller():
    full, simple = geo.full_states_topology(), geo.us_states_topology()
    assert _state_ids(simple) == _state_ids(full) and len(_state_ids(full)) == 56
    assert simple["objects"] == full["objects"]  # shapes still name the same arcs; names and ids unchanged
    assert simple["transform"] == full["transform"]
    full_arcs, simple_arcs = geo.decoded_arcs(full), geo.decoded_arcs(simple)
    assert len(simple_arcs) == len(full_arcs)
    for before, after in zip(full_arcs, simple_arcs, strict=True):
        assert (after[0], after[-1]) == (before[0], before[-1])  # borders still meet where they did
        kept = iter(before)
        assert all(point in kept for point in after)  # only the atlas's own points, in their order
        if before[0] == before[-1] and len(before) >= 4:
            assert len(after) >= 4  # an island keeps a shape
    full_points, simple_points = sum(map(len, full_arcs)), sum(map(len, simple_arcs))
    assert simple_points < 0.7 * full_points, (simple_points, full_points)


@needs_atlas
def test_no_dropped_point_lies_farther_than_the_tolerance_from_the_edge_that_replaces_it():
    full, simple = geo.full_states_topology(), geo.us_states_topology()
    (scale_x, scale_y), (dx, dy) = full["transform"]["scale"], full["transform"]["translate"]

    def on_sphere(point):
        return geo._unit_vector(point[0] * scale_x + dx, point[1] * scale_y + dy)

    worst = 0.0
    for before, after in zip(geo.decoded_arcs(full), geo.decoded_arcs(simple), strict=True):
        indices = [0]
        for point in after[1:]:
            indices.append(next(i for i in range(indices[-1] + 1, len(before)) if before[i] == point))
        for a, b in zip(indices, indices[1:], strict=False):
            for i in range(a + 1, b):
                distance = geo._distance_to_edge(on_sphere(before[i]), on_sphere(before[a]), on_sphere(before[b]))
                worst = max(worst, distance)
    assert 0 < worst <= math.radians(geo.SIMPLIFY_TOLERANCE_DEGREES)


def test_a_border_along_a_parallel_keeps_its_curve():
    """The renderer joins two points by a great circle: a 20-degree stretch of the 49th parallel drawn as one edge
    would bow north by about a degree (some 10 px), so its points are kept; a great circle's own points go."""
    transform = {"scale": [0.01, 0.01], "translate": [-130.0, 0.0]}

    def topology(points):
        deltas = [list(points[0])] + [[x - px, y - py] for (px, py), (x, y) in zip(points, points[1:], strict=False)]
        return {"type": "Topology", "transform": transform, "objects": {}, "arcs": [deltas]}

    parallel = [(i * 100, 4900) for i in range(21)]  # SYNTHETIC: 130W..110W along 49N, a point a degree
    kept = geo.decoded_arcs(geo.simplify_topology(topology(parallel), 0.02))[0]
    assert len(kept) > 5
    equator = [(i * 100, 0) for i in range(21)]  # the equator is a great circle: its end points say it all
    assert geo.decoded_arcs(geo.simplify_topology(topology(equator), 0.02))[0] == [equator[0], equator[-1]]


def test_a_ring_of_two_arcs_keeps_a_corner_in_each():
    """Two arcs that close a ring between them would, reduced to their end points, draw a line."""
    # SYNTHETIC: (0,0) -> (200,0) bowing 1 unit up, and back bowing 1 unit down; the third arc, the same shape as
    # the first, is in no ring.
    arcs = [[[0, 0], [100, 1], [100, -1]], [[200, 0], [-100, -1], [-100, 1]], [[0, 0], [100, 1], [100, -1]]]
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.0001, 0.0001], "translate": [0.0, 0.0]},
        "objects": {"shapes": {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0, 1]]}]}},
        "arcs": arcs,
    }
    simple = geo.decoded_arcs(geo.simplify_topology(topology, 1.0))
    assert [len(arc) for arc in simple] == [3, 3, 2]
    assert simple[0] == [(0, 0), (100, 1), (200, 0)] and simple[1] == [(200, 0), (100, -1), (0, 0)]


@needs_atlas
def test_a_state_map_svg_is_well_under_100_kb():
    states = pd.DataFrame({"state_fips_code": _state_ids(geo.full_states_topology())})
    states["value_ratio"] = [i / len(states) for i in range(len(states))]  # SYNTHETIC values, every state shaded
    chart = geo.state_choropleth(states, "value_ratio", title="SYNTHETIC", legend_title="SYNTHETIC")
    svg = chart_svg(chart)
    assert len(svg.encode()) < 75_000
    # Each state is drawn once: shaded, with no grey copy under it (grey is only for states without a value).
    assert 0 < len(re.findall(r'<path[^>]*aria-roledescription="geoshape"', svg)) <= 56
    assert 'fill="#e6e6e6"' not in svg


# ---------------------------------------------------------------- a catalogue of books


def test_a_catalogue_shares_a_figure_only_when_every_book_has_the_same_bytes(tmp_path):
    """SYNTHETIC site of two books: the same chart in both is stored once; a map that differs stays in each."""
    site = tmp_path / "site"
    for soc, shade in (("29-1122", "#111"), ("29-1123", "#222")):
        book = site / soc
        figures = book / "_static" / "figures" / "geography"
        figures.mkdir(parents=True)
        (figures / "same_chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
        (figures / "state_map.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" fill="{shade}"/>')
        (book / "index.html").write_text("<html></html>")
        (book / "notebooks").mkdir()
        (book / "notebooks" / "geography.html").write_text(
            '<img src="../_static/figures/geography/same_chart.svg" alt="SYNTHETIC">'
            '<img src="../_static/figures/geography/state_map.svg" alt="SYNTHETIC">'
        )
    plan = plan_site(site)
    assert plan.shared == frozenset({"figures/geography/same_chart.svg"})
    paths = {f.path for f in plan.files}
    assert {"29-1122/_static/figures/geography/state_map.svg", "29-1123/_static/figures/geography/state_map.svg"} <= (
        paths
    )
    assert "_shared/_static/figures/geography/same_chart.svg" in paths
    page = next(f for f in plan.files if f.path == "29-1122/notebooks/geography.html").content(plan.shared).decode()
    assert 'src="../../_shared/_static/figures/geography/same_chart.svg"' in page
    assert 'src="../_static/figures/geography/state_map.svg"' in page  # the book's own map stays its own
