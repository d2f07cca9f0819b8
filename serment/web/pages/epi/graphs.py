"""A chain drawn on the server: its cases laid out by generation from left to right, each generation's
cases from top to bottom near the cases of earlier generations they are linked to (then by start and
ref), in columns of at most ROWS cases, so that the same chain is always drawn the same way. Only
geometry here; the template `epi/chain.html` writes the SVG.

A large chain is drawn up to `cap` cases, its earliest ones; the table under the drawing lists them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from serment.tracing.chains import ChainGraph, Edge, Node

RADIUS = 11
ROW = 46
ROWS = 12
# A generation's columns sit SUBCOLUMN apart; generations, GAP further.
SUBCOLUMN = 64
GAP = 96
MARGIN_X, TOP, BOTTOM = 40, 44, 24
CAP = 120
# How far an edge between two cases of one column bows out, so that it does not run through the cases
# between them.
BOW = 0.35
REPEAT_BOW = 0.15


@dataclass(frozen=True)
class PlacedNode:
    """A case where it is drawn; `first` marks the chain's earliest case, whose ref is the chain's id."""

    node: Node
    x: float
    y: float
    first: bool


@dataclass(frozen=True)
class PlacedEdge:
    """A link drawn as a quadratic curve from (x1, y1) through the control point to (x2, y2), each end
    stopped at its circle's edge."""

    source: str
    target: str
    date: date
    setting: str
    directed: bool
    x1: float
    y1: float
    cx: float
    cy: float
    x2: float
    y2: float

    @property
    def path(self) -> str:
        """The edge as an SVG path."""
        return f"M{self.x1:.1f},{self.y1:.1f} Q{self.cx:.1f},{self.cy:.1f} {self.x2:.1f},{self.y2:.1f}"


@dataclass(frozen=True)
class Heading:
    """A generation's heading, centred at `x`."""

    generation: int
    x: float


@dataclass(frozen=True)
class Drawing:
    """The chain's drawing: its size, the cases and links drawn, the generations' headings, and how
    many cases the chain holds in all (more than drawn when it is over the cap)."""

    width: int
    height: int
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    headings: tuple[Heading, ...]
    total: int

    @property
    def capped(self) -> bool:
        """Whether some cases are left out of the drawing."""
        return len(self.nodes) < self.total


def lay_out(graph: ChainGraph, cap: int = CAP) -> Drawing:
    """Where each case and link of `graph` is drawn: the `cap` earliest cases (by start, then ref) and
    the links between them."""
    drawn = sorted(graph.nodes, key=lambda node: (node.start, node.case))[:cap]
    by_generation: dict[int, list[Node]] = {}
    for node in drawn:
        by_generation.setdefault(node.generation, []).append(node)
    placed: dict[str, PlacedNode] = {}
    headings = []
    x = MARGIN_X + RADIUS
    neighbours: dict[str, list[str]] = {}
    for edge in graph.edges:
        neighbours.setdefault(edge.source, []).append(edge.target)
        neighbours.setdefault(edge.target, []).append(edge.source)
    for generation in sorted(by_generation):
        members = _ordered(by_generation[generation], neighbours, placed)
        columns = math.ceil(len(members) / ROWS)
        headings.append(Heading(generation, x + (columns - 1) * SUBCOLUMN / 2))
        for index, node in enumerate(members):
            column, row = divmod(index, ROWS)
            placed[node.case] = PlacedNode(
                node, x + column * SUBCOLUMN, TOP + RADIUS + row * ROW, node.case == graph.chain.id
            )
        x += (columns - 1) * SUBCOLUMN + GAP
    rows = min(ROWS, max((len(members) for members in by_generation.values()), default=1))
    shown = [edge for edge in graph.edges if edge.source in placed and edge.target in placed]
    # Links between the same two cases (on other days, in other settings) bow apart, so each shows.
    seen: dict[frozenset[str], int] = {}
    edges = []
    for edge in shown:
        pair = frozenset((edge.source, edge.target))
        edges.append(_edge(edge, placed, seen.get(pair, 0)))
        seen[pair] = seen.get(pair, 0) + 1
    width = round(x - GAP + RADIUS + MARGIN_X)
    height = round(TOP + rows * ROW + BOTTOM)
    return Drawing(width, height, tuple(placed.values()), tuple(edges), tuple(headings), len(graph.nodes))


def _ordered(
    members: list[Node], neighbours: dict[str, list[str]], placed: dict[str, PlacedNode]
) -> list[Node]:
    """A generation's cases from top to bottom: each at the mean height of the cases drawn before it
    that it is linked to (so that links cross less), by start then ref among equals and for the first."""

    def height(node: Node) -> float:
        heights = [placed[other].y for other in neighbours.get(node.case, ()) if other in placed]
        return sum(heights) / len(heights) if heights else math.inf

    return sorted(members, key=lambda node: (height(node), node.start, node.case))


def _edge(edge: Edge, placed: dict[str, PlacedNode], repeat: int) -> PlacedEdge:
    """`edge` drawn between its cases; `repeat` counts the links drawn between them before it."""
    start, end = placed[edge.source], placed[edge.target]
    dx, dy = end.x - start.x, end.y - start.y
    # Across columns a first link is straight; within one it bows to the right of its direction. Each
    # further link between the same cases bows further, to one side then the other.
    side = 1 if repeat % 2 else -1
    bow = (BOW if abs(dx) < 1 else 0.0) + side * REPEAT_BOW * math.ceil(repeat / 2)
    cx, cy = (start.x + end.x) / 2 - dy * bow, (start.y + end.y) / 2 + dx * bow
    x1, y1 = _towards(start.x, start.y, cx, cy, RADIUS)
    # An arrowhead needs a little more room than the circle's edge.
    x2, y2 = _towards(end.x, end.y, cx, cy, RADIUS + (3 if edge.directed else 0))
    return PlacedEdge(
        edge.source, edge.target, edge.date, edge.setting, edge.directed, x1, y1, cx, cy, x2, y2
    )


def _towards(x: float, y: float, to_x: float, to_y: float, distance: float) -> tuple[float, float]:
    """The point `distance` from (x, y) towards (to_x, to_y)."""
    length = math.hypot(to_x - x, to_y - y)
    if length == 0:
        return x, y
    return x + (to_x - x) * distance / length, y + (to_y - y) * distance / length
