"""Cross-tile merge: rotated overlap, neighbours at an angle survive, fragments give way to whole hulls."""

from __future__ import annotations

import math

import pytest

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


def test_pieces_of_a_hull_cut_by_two_tiles_are_joined_into_the_whole_hull():
    # a 300 x 40 m tanker at 30 deg across a seam; each tile saw a piece ending at its own edge,
    # the two pieces overlapping where the tiles do (box details differ a little, as a model's would)
    whole = ship(1000, 1000, 300, 40, 30)
    u = (math.cos(math.radians(30)), math.sin(math.radians(30)))
    west = ship(1000 - 60 * u[0], 1000 - 60 * u[1], 180, 39, 30.5, 0.8)  # from -150 to +30 along the axis
    east = ship(1000 + 80 * u[0], 1000 + 80 * u[1], 140, 41, 29.5, 0.7)  # from +10 to +150
    (kept,) = merge_boxes([west, east], [True, True], 0.5)
    assert kept.length_px == pytest.approx(whole.length_px, abs=2)
    assert kept.beam_px == pytest.approx(41, abs=0.1)
    assert (kept.cx_px, kept.cy_px) == (pytest.approx(whole.cx_px, abs=2), pytest.approx(whole.cy_px, abs=2))
    assert kept.confidence == 0.8 and kept.class_name == "tanker"


def test_hulls_moored_bow_to_stern_or_alongside_are_not_joined():
    bow_to_stern = [ship(300, 500, 180, 30, 0), ship(300 + 180 + 10, 500, 180, 30, 0)]  # 10 m apart in line
    alongside = [ship(300, 800, 180, 30, 0), ship(310, 800 + 30 + 4, 180, 30, 0)]  # rafted, 4 m apart
    tug_at_bow = [ship(300, 1100, 180, 30, 0), ship(300 + 90 + 10, 1100, 24, 9, 0, 0.6, "vessel")]
    for pair in (bow_to_stern, alongside, tug_at_bow):
        assert len(merge_boxes(pair, [True, True], 0.5)) == 2


def test_a_lone_piece_is_kept_when_the_other_tile_saw_nothing():
    piece = ship(200, 200, 90, 30, 0)
    assert merge_boxes([piece], [True], 0.5) == [piece]


def test_a_hull_seen_whole_beats_pieces_joined_from_other_tiles():
    # regression: two pieces that both end short of the bow (two tiles cut it at nearly the same place)
    # were joined, ranked as whole and, being more confident, replaced the whole hull another tile saw
    whole = ship(500, 500, 268, 44, 0, 0.7)
    piece_a = ship(440, 500, 150, 44, 0, 0.9)  # 306-515 along x ...
    piece_b = ship(455, 500, 176, 44, 1, 0.85)  # ... and 367-543: joined, still 100 m short
    assert merge_boxes([piece_a, piece_b, whole], [True, True, False], 0.5) == [whole]
