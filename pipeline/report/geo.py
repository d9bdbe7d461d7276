"""US state geometry for maps. It ships with the project from the npm registry package us-atlas (installed by
`make`, pinned in package-lock.json), so nothing is downloaded when the book is built or read.

The atlas is drawn at 1:10m detail, far finer than a 560-pixel map can show, and every point it keeps becomes
text in the page's SVG. So the topology is simplified once, deterministically, before it is drawn: each arc
(a stretch of border, shared by the two states it separates, so neighbours stay flush) loses the points that lie
within ``SIMPLIFY_TOLERANCE_DEGREES`` of the edge that replaces them (Douglas-Peucker). The map's renderer
(d3-geo, in Vega) draws an edge between two points as the great circle through them, not as a straight line in
longitude and latitude, so distances are measured on the sphere, to that great circle: a border along a parallel
(the 49th) keeps the points that make it follow the parallel. Every arc keeps its end points, where borders meet;
a closed arc (an island, a lake shore) and a ring of fewer than three arcs keep enough points to stay a shape. No
state, island or arc is dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from pipeline.report.present import register_named_data
from pipeline.settings import PROJECT_ROOT

if TYPE_CHECKING:  # altair's name for its colour schemes (a Literal of them), for the type checker only
    from altair.vegalite.v6.schema._typing import ColorScheme_T

STATES_TOPOJSON = PROJECT_ROOT / "node_modules" / "us-atlas" / "states-10m.json"

# At the map's size (albersUsa fitted to 560 px) one degree of latitude is about 11 px, so 0.02 degree is about
# 0.2 px in the lower 48 and Hawaii and less in Alaska (drawn at a third of the scale): below what a screen shows.
SIMPLIFY_TOLERANCE_DEGREES = 0.02


ATLAS_DATASET = "us_states_atlas"  # the name a map's data goes by until it is rendered (present.chart_svg)


@lru_cache(maxsize=1)
def full_states_topology() -> dict:
    """The atlas as published (quantized, delta-encoded arcs)."""
    if not STATES_TOPOJSON.exists():
        raise FileNotFoundError(
            f"{STATES_TOPOJSON} is missing: the state map needs the npm package us-atlas. "
            "Run `make book` (it runs `npm ci`), or `npm ci` in the project folder."
        )
    return json.loads(STATES_TOPOJSON.read_text())


@lru_cache(maxsize=1)
def us_states_topology() -> dict:
    """The atlas with its arcs simplified for a page-sized map (see the module docstring)."""
    return simplify_topology(full_states_topology(), SIMPLIFY_TOLERANCE_DEGREES)


def simplify_topology(topology: dict, tolerance_degrees: float) -> dict:
    """A copy of a quantized TopoJSON ``topology`` whose arcs keep only the points that matter at
    ``tolerance_degrees``; objects, ids and properties are unchanged (arcs keep their indices)."""
    (scale_x, scale_y), (translate_x, translate_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    tolerance = math.radians(tolerance_degrees)
    short_ring_arcs = _arcs_of_short_rings(topology["objects"].values())
    arcs = []
    for index, delta_arc in enumerate(topology["arcs"]):
        points = list(accumulate(delta_arc, lambda a, b: [a[0] + b[0], a[1] + b[1]]))
        on_sphere = [_unit_vector(x * scale_x + translate_x, y * scale_y + translate_y) for x, y in points]
        kept = _kept_indices(on_sphere, tolerance, min_interior=1 if index in short_ring_arcs else 0)
        absolute = [points[i] for i in kept]
        arcs.append([absolute[0]] + [[x - px, y - py] for (px, py), (x, y) in pairwise(absolute)])
    return {**topology, "arcs": arcs}


def decoded_arcs(topology: dict) -> list[list[tuple[int, int]]]:
    """Each arc's points as absolute quantized coordinates (undoing the delta encoding)."""
    return [
        [(int(x), int(y)) for x, y in accumulate(arc, lambda a, b: [a[0] + b[0], a[1] + b[1]])]
        for arc in topology["arcs"]
    ]


def _arcs_of_short_rings(objects) -> set[int]:
    """Arcs of rings made of one or two arcs: kept to their end points alone, such a ring would have fewer than
    three corners and collapse to a line. (An arc index ~i is arc i reversed.)"""
    return {i if i >= 0 else ~i for ring in _rings(objects) if len(ring) < 3 for i in ring}


def _rings(geometries) -> Iterator[list[int]]:
    """Every polygon ring (a list of arc indices) of these TopoJSON geometries, collections included."""
    for geometry in geometries:
        kind = geometry.get("type")
        if kind == "GeometryCollection":
            yield from _rings(geometry["geometries"])
        elif kind == "Polygon":
            yield from geometry["arcs"]
        elif kind == "MultiPolygon":
            yield from (ring for polygon in geometry["arcs"] for ring in polygon)


Vector = tuple[float, float, float]


def _kept_indices(points: list[Vector], tolerance: float, *, min_interior: int) -> list[int]:
    """Douglas-Peucker on one arc (points as unit vectors, tolerance in radians): the indices of the points kept,
    always the first and the last. A closed arc (first point == last) is split at its point farthest from the
    start and keeps it plus one more on each side, so the island it draws keeps at least four points."""
    last = len(points) - 1
    if last < 2:
        return list(range(len(points)))
    if points[0] == points[last]:
        far = max(range(1, last), key=lambda i: (_angle(points[i], points[0]), -i))
        return sorted(
            {0, far, last}
            | _douglas_peucker(points, 0, far, tolerance, 1)
            | _douglas_peucker(points, far, last, tolerance, 1)
        )
    return sorted({0, last} | _douglas_peucker(points, 0, last, tolerance, min_interior))


def _douglas_peucker(points: list[Vector], start: int, end: int, tolerance: float, min_interior: int) -> set[int]:
    """Interior indices between ``start`` and ``end`` to keep (iterative, so a long arc cannot overflow the stack).
    ``min_interior`` 1 keeps the farthest interior point of the whole span however close it is. Ties go to the
    first point, so the result never depends on anything but the input."""
    kept: set[int] = set()
    spans = [(start, end, min_interior)]
    while spans:
        a, b, must_keep = spans.pop()
        if b - a < 2:
            continue
        far, far_distance = max(
            ((i, _distance_to_edge(points[i], points[a], points[b])) for i in range(a + 1, b)),
            key=lambda item: (item[1], -item[0]),
        )
        if far_distance > tolerance or must_keep:
            kept.add(far)
            spans += [(a, far, 0), (far, b, 0)]
    return kept


def _unit_vector(longitude: float, latitude: float) -> Vector:
    lon, lat = math.radians(longitude), math.radians(latitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _cross(u: Vector, v: Vector) -> Vector:
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _dot(u: Vector, v: Vector) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _angle(u: Vector, v: Vector) -> float:
    """The angle between two unit vectors (radians): their distance on the unit sphere."""
    return math.atan2(math.sqrt(_dot(c := _cross(u, v), c)), _dot(u, v))


def _distance_to_edge(p: Vector, a: Vector, b: Vector) -> float:
    """Distance on the sphere (radians) from ``p`` to the great-circle edge from ``a`` to ``b``: across the
    great circle when ``p`` lies beside the edge, else to the nearer end."""
    normal = _cross(a, b)
    length = math.sqrt(_dot(normal, normal))
    if length < 1e-15:  # a and b coincide (or are antipodal, which no border is): no edge to measure across
        return _angle(p, a)
    along_from_a, along_to_b = _dot(_cross(a, p), normal), _dot(_cross(p, b), normal)
    if along_from_a >= 0 and along_to_b >= 0:
        return abs(math.asin(max(-1.0, min(1.0, _dot(p, normal) / length))))
    return min(_angle(p, a), _angle(p, b))


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
    # The atlas is named here and its values added only when the chart is rendered (present.chart_svg): Altair walks
    # every value of inline data each time it builds or serialises a chart, half a second for a page's two maps, and
    # the atlas is some 24,000 nested lists that need no checking.
    states = alt.Data(name=ATLAS_DATASET, format=alt.DataFormat(type="topojson", feature="states"))
    lookup = values[[fips, value]].rename(columns={fips: "id"})
    with_value = alt.Chart(states).transform_lookup(lookup="id", from_=alt.LookupData(lookup, "id", [value]))
    # Each state is drawn once: grey without a value, shaded with one (a grey layer under every state would
    # double the SVG for nothing the reader sees).
    base = with_value.transform_filter(f"!isValid(datum['{value}'])").mark_geoshape(
        fill="#e6e6e6", stroke="white", strokeWidth=0.5
    )
    shaded = (
        with_value.mark_geoshape(stroke="white", strokeWidth=0.5)
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


register_named_data(ATLAS_DATASET, us_states_topology)  # added to a map's spec when it is rendered
