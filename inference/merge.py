"""Merge detections across overlapping tiles with rotated-box overlap, rebuilding hulls cut by tile edges."""

from __future__ import annotations

import math

from shapely.geometry import Polygon
from shapely.strtree import STRtree

from tankerwatch.schema import OrientedBox


def box_polygon(b: OrientedBox) -> Polygon:
    """The box as a shapely polygon in native pixels."""
    return Polygon(b.corners())


JOIN_MAX_ANGLE_DEG = 10.0  # fragments of one hull lie on one axis ...
JOIN_MAX_OFFSET = 0.5  # ... within this share of the wider fragment's beam across it
JOIN_MIN_BEAM_RATIO = 0.6  # ... and of one beam (a tug at a tanker's bow is not part of it)


def _axis_gap(a: float, b: float) -> float:
    """Angle between two hull axes (radians, modulo pi)."""
    d = abs(a - b) % math.pi
    return min(d, math.pi - d)


def _joinable(a: OrientedBox, b: OrientedBox) -> bool:
    """Whether two boxes cut by tile edges are pieces of one hull: one axis, one line, overlapping along it.

    Two tiles overlap, so the two pieces of a hull that crosses their overlap both cover it; two
    distinct hulls in line cannot overlap along their axis, and hulls alongside lie a beam apart.
    """
    if _axis_gap(a.axis_rad, b.axis_rad) > math.radians(JOIN_MAX_ANGLE_DEG) or min(
        a.beam_px, b.beam_px
    ) < JOIN_MIN_BEAM_RATIO * max(a.beam_px, b.beam_px):
        return False
    ux, uy = math.cos(a.axis_rad), math.sin(a.axis_rad)
    dx, dy = b.cx_px - a.cx_px, b.cy_px - a.cy_px
    along, across = dx * ux + dy * uy, -dx * uy + dy * ux
    return abs(across) <= JOIN_MAX_OFFSET * max(a.beam_px, b.beam_px) and abs(along) < (a.length_px + b.length_px) / 2


def join_pieces(pieces: list[OrientedBox]) -> OrientedBox:
    """One box over all pieces of a hull: their extent along the longest piece's axis, the widest beam."""
    main = max(pieces, key=lambda p: p.length_px)
    ux, uy = math.cos(main.axis_rad), math.sin(main.axis_rad)
    lo, hi, across, weight = math.inf, -math.inf, 0.0, 0.0
    for p in pieces:
        t = (p.cx_px - main.cx_px) * ux + (p.cy_px - main.cy_px) * uy
        lo, hi = min(lo, t - p.length_px / 2), max(hi, t + p.length_px / 2)
        across += ((p.cy_px - main.cy_px) * ux - (p.cx_px - main.cx_px) * uy) * p.length_px
        weight += p.length_px
    mid, off = (lo + hi) / 2, across / weight
    return OrientedBox(
        main.cx_px + mid * ux - off * uy,
        main.cy_px + mid * uy + off * ux,
        hi - lo,
        max(p.beam_px for p in pieces),
        main.axis_rad,
        max(p.confidence for p in pieces),
        main.class_name,
    )


def join_cut_hulls(boxes: list[OrientedBox], cut: list[bool]) -> tuple[list[OrientedBox], list[int]]:
    """Boxes with the pieces of every hull cut by tile edges joined into one box, each with its rank in the
    merge: 0 a hull seen whole, 1 pieces joined, 2 a lone piece (its other part unseen)."""
    idx = [i for i, c in enumerate(cut) if c]
    parent = {i: i for i in idx}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    polys = [box_polygon(boxes[i]) for i in idx]
    tree = STRtree(polys)
    for k, i in enumerate(idx):
        for m in tree.query(polys[k]):
            j = idx[int(m)]
            if j > i and _joinable(boxes[i], boxes[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(root(i), []).append(i)
    out = [b for b, c in zip(boxes, cut, strict=True) if not c]
    ranks = [0] * len(out)
    for members in groups.values():
        out.append(join_pieces([boxes[i] for i in members]) if len(members) > 1 else boxes[members[0]])
        ranks.append(1 if len(members) > 1 else 2)
    return out, ranks


def merge_boxes(
    boxes: list[OrientedBox], cut: list[bool], iou_threshold: float = 0.5, containment: float = 0.6
) -> list[OrientedBox]:
    """Keep one box per hull: whole boxes first, then pieces cut by tile edges joined, then lone pieces;
    within each, by confidence.

    A box is dropped when its rotated IoU with a kept box exceeds iou_threshold, or when most
    of it (containment) lies inside a kept box: that is a hull fragment cut by a tile edge.
    Rotated, not axis-aligned, overlap lets two ships moored side by side at an angle both survive.
    """
    if not boxes:
        return []
    boxes, ranks = join_cut_hulls(boxes, cut)
    polys = [box_polygon(b) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: (ranks[i], -boxes[i].confidence))
    tree = STRtree(polys)
    kept: list[int] = []
    kept_set: set[int] = set()
    for i in order:
        p = polys[i]
        suppressed = False
        for j in tree.query(p):
            j = int(j)
            if j not in kept_set:
                continue
            inter = p.intersection(polys[j]).area
            if inter <= 0:
                continue
            union = p.area + polys[j].area - inter
            if inter / union > iou_threshold or inter / max(p.area, 1e-9) > containment:
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
            kept_set.add(i)
    return [boxes[i] for i in kept]
