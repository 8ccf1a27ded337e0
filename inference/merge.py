"""Merge detections across overlapping tiles with rotated-box overlap, keeping whole hulls."""

from __future__ import annotations

from shapely.geometry import Polygon
from shapely.strtree import STRtree

from tankerwatch.schema import OrientedBox


def box_polygon(b: OrientedBox) -> Polygon:
    """The box as a shapely polygon in native pixels."""
    return Polygon(b.corners())


def merge_boxes(
    boxes: list[OrientedBox], cut: list[bool], iou_threshold: float = 0.5, containment: float = 0.6
) -> list[OrientedBox]:
    """Keep one box per hull: whole (uncut) boxes first, then by confidence.

    A box is dropped when its rotated IoU with a kept box exceeds iou_threshold, or when most
    of it (containment) lies inside a kept box: that is a hull fragment cut by a tile edge.
    Rotated, not axis-aligned, overlap lets two ships moored side by side at an angle both survive.
    """
    if not boxes:
        return []
    polys = [box_polygon(b) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: (cut[i], -boxes[i].confidence))
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
