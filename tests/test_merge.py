"""Cross-tile merge: rotated overlap, neighbours at an angle survive, fragments give way to whole hulls."""

from __future__ import annotations

import math

from tankerwatch.inference.merge import box_polygon, merge_boxes
from tankerwatch.schema import OrientedBox


def ship(cx, cy, length, beam, axis_deg, conf=0.9, cls="tanker") -> OrientedBox:
    return OrientedBox(cx, cy, length, beam, math.radians(axis_deg), conf, cls)


def test_two_ships_moored_5m_apart_at_45_degrees_both_survive():
    # 1 px = 1 m; two 150 x 24 m hulls side by side, 5 m of water between them, axis at 45 deg
    normal = (math.cos(math.radians(135)), math.sin(math.radians(135)))
    offset = 24 + 5
    a = ship(500, 500, 150, 24, 45, 0.9)
    b = ship(500 + normal[0] * offset, 500 + normal[1] * offset, 150, 24, 45, 0.8)
    # their axis-aligned boxes overlap heavily (what SAHI's merge looks at) ...
    ax0, ay0, ax1, ay1 = box_polygon(a).bounds
    bx0, by0, bx1, by1 = box_polygon(b).bounds
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    assert inter / ((ax1 - ax0) * (ay1 - ay0)) > 0.6
    # ... but the hulls do not, so both are kept
    assert len(merge_boxes([a, b], [False, False], 0.5)) == 2


def test_duplicate_from_overlapping_tiles_is_merged():
    a = ship(300, 300, 120, 18, 30, 0.9)
    b = ship(301, 299.5, 119, 18.5, 30.5, 0.85)
    kept = merge_boxes([b, a], [False, False], 0.5)
    assert kept == [a]


def test_fragment_cut_by_tile_edge_gives_way_to_the_whole_hull():
    whole = ship(400, 400, 200, 30, 0, 0.7)
    fragment = ship(350, 400, 100, 30, 0, 0.95)  # the stern half, seen in the next tile
    kept = merge_boxes([fragment, whole], [True, False], 0.5)
    assert kept == [whole]


def test_small_boat_alongside_a_tanker_survives():
    tanker = ship(400, 400, 180, 30, 0, 0.9)
    tug = ship(400, 400 + 15 + 5 + 5, 30, 10, 90, 0.6, "vessel")
    assert len(merge_boxes([tanker, tug], [False, False], 0.5)) == 2
