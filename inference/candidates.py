"""Ships as compact objects on the water: a candidate source that does not depend on the detector's training look.

The detector finds what looks like the ships it was trained on. A second, simpler source asks only what a
ship *is* from above: a compact, elongated object that stands out from the water around it. Within the
water (the stage's water mask with its hull-sized holes filled and a fringe added, since a mask may call a hull
land):

1. the image is read at OBJECT_GSD_M or coarser (a 50 m hull is still 25 pixels; a large scene stays cheap);
2. the water's own colour is estimated by a wide median (wider than the widest hull), and a pixel stands out
   when it differs from that by more than OUTLIER_SIGMA robust standard deviations of the water's noise;
3. the standing-out pixels are joined (closing) into objects, and an object is a candidate when its oriented
   rectangle is ship-sized (length, beam), elongated and mostly filled.

A candidate is not yet a ship: the ship-type classifier (`classify.py`) scores it like any detector box, and a
candidate that overlaps a detector box is left to the detector. Breakwaters, pontoons and oil islands pass
this test; the classifier is what tells them from ships.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from shapely.strtree import STRtree

from tankerwatch.inference.floating import WaterMask
from tankerwatch.inference.merge import box_polygon
from tankerwatch.schema import OrientedBox

OBJECT_GSD_M = 2.0  # the finest grid candidates are sought on
SEA_REACH_M = 40.0  # objects are looked for this far beyond the water (a berthed hull the mask calls land)
WATER_MEDIAN_M = 160.0  # width of the median that estimates the water colour (wider than any hull)
OUTLIER_SIGMA = 15.0  # robust standard deviations of the water's noise a pixel must differ by
MIN_CONTRAST = 45.0  # grey levels (0-255) a pixel must differ by in any case (flat, dark water has tiny noise)
MIN_LENGTH_M, MAX_LENGTH_M = 40.0, 420.0
MIN_BEAM_M, MAX_BEAM_M = 6.0, 70.0
MIN_ELONGATION = 2.5  # length / beam
MIN_FILL = 0.45  # object area / rectangle area
CANDIDATE_CONFIDENCE = 0.3  # the score a candidate carries before the classifier has seen it
WATER_OBJECT = "water_object"  # OrientedBox.origin of these candidates
JOIN_M = 12.0  # gaps this wide between standing-out parts are closed (decks the colour of the water between them)


def _odd(n: float, lo: int = 3, hi: int = 255) -> int:
    """An odd kernel size in [lo, hi]."""
    k = int(np.clip(round(n), lo, hi))
    return k if k % 2 else k + 1


def sea_region(water: np.ndarray, gsd_m: float) -> np.ndarray:
    """Where an object on the water is looked for (bool): the water, its enclosed hull-sized holes (a mask may
    call a hull land) and a SEA_REACH_M fringe (a hull at a berth, half of it perhaps called land)."""
    land = (~water).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(land, connectivity=4)
    h, w = water.shape
    holes = np.zeros(n, bool)
    max_area = MAX_LENGTH_M * MAX_BEAM_M / gsd_m**2
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        holes[i] = area <= max_area and x > 0 and y > 0 and x + bw < w and y + bh < h
    sea = water | holes[labels]
    k = _odd(2 * SEA_REACH_M / gsd_m)
    return cv2.dilate(sea.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0


def standing_out(rgb: np.ndarray, sea: np.ndarray, gsd_m: float) -> np.ndarray:
    """Pixels of the sea (bool) whose colour differs from the local water colour beyond its noise."""
    if not sea.any():
        return np.zeros_like(sea)
    k = _odd(WATER_MEDIAN_M / gsd_m)
    background = cv2.merge([cv2.medianBlur(np.ascontiguousarray(rgb[..., c]), k) for c in range(3)])
    diff = cv2.absdiff(rgb, background).max(axis=2)
    values = diff[sea].astype(np.float32)
    middle = float(np.median(values))
    noise = 1.4826 * float(np.median(np.abs(values - middle)))
    return sea & (diff > max(MIN_CONTRAST, middle + OUTLIER_SIGMA * noise))


def ship_shaped(objects: np.ndarray, gsd_m: float) -> list[tuple[float, float, float, float, float]]:
    """(cx, cy, length, beam, axis_rad) in grid pixels of the objects (bool) that have a ship's size and shape."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(objects.astype(np.uint8), connectivity=8)
    out = []
    min_area = MIN_LENGTH_M * MIN_BEAM_M * MIN_FILL / gsd_m**2
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < min_area:
            continue
        x, y, w, h = stats[i, :4]
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        (cx, cy), (a, b), angle = cv2.minAreaRect(np.stack([xs + x, ys + y], axis=1).astype(np.float32))
        length, beam = max(a, b) + 1.0, min(a, b) + 1.0  # pixel centres to pixel edges
        axis = math.radians(angle if a >= b else angle + 90.0) % math.pi
        if not (MIN_LENGTH_M <= length * gsd_m <= MAX_LENGTH_M and MIN_BEAM_M <= beam * gsd_m <= MAX_BEAM_M):
            continue
        if length / beam < MIN_ELONGATION or area / (length * beam) < MIN_FILL:
            continue
        out.append((float(cx), float(cy), float(length), float(beam), axis))
    return out


def water_objects(
    rgb: np.ndarray, native_per_px: float, col0: float, row0: float, mask: WaterMask, native_gsd_m: float
) -> list[OrientedBox]:
    """Ship-shaped objects on the water of an RGB window (native pixels per rgb pixel, window origin), in native
    pixels."""
    gsd = native_gsd_m * native_per_px
    h, w = rgb.shape[:2]
    # the water mask on the window's grid: mask pixel = (native - mask origin) / mask scale
    cols = (col0 + (np.arange(w) + 0.5) * native_per_px - mask.col0) / mask.scale
    rows = (row0 + (np.arange(h) + 0.5) * native_per_px - mask.row0) / mask.scale
    mr = np.clip(rows.astype(int), 0, mask.water.shape[0] - 1)
    mc = np.clip(cols.astype(int), 0, mask.water.shape[1] - 1)
    water = mask.water[mr[:, None], mc[None, :]] > 0
    sea = sea_region(water, gsd)
    objects = standing_out(rgb, sea, gsd)
    k = _odd(JOIN_M / gsd, lo=1, hi=15)  # join a deck broken by hatches, or coloured like the sea, into one object
    objects = cv2.morphologyEx(objects.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8)) > 0
    return [
        OrientedBox(
            col0 + cx * native_per_px,
            row0 + cy * native_per_px,
            length * native_per_px,
            beam * native_per_px,
            axis,
            CANDIDATE_CONFIDENCE,
            "vessel",
            WATER_OBJECT,
        )
        for cx, cy, length, beam, axis in ship_shaped(objects, gsd)
    ]


def image_objects(rgb: np.ndarray, gsd_m: float, mask: WaterMask) -> list[OrientedBox]:
    """Ship-shaped objects on the water of a native-resolution image (no georeferencing), in native pixels."""
    f = max(1.0, OBJECT_GSD_M / gsd_m)
    h, w = rgb.shape[:2]
    small = (
        cv2.resize(rgb, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA) if f > 1 else rgb
    )
    return water_objects(small, w / small.shape[1], 0.0, 0.0, mask, gsd_m)


def new_candidates(candidates: list[OrientedBox], boxes: list[OrientedBox], min_iou: float = 0.1) -> list[OrientedBox]:
    """The candidates that no detector box already covers (rotated IoU below min_iou with every box)."""
    if not candidates or not boxes:
        return list(candidates)
    polys = [box_polygon(b) for b in boxes]
    tree = STRtree(polys)
    out = []
    for c in candidates:
        p = box_polygon(c)
        if all(p.intersection(polys[j]).area < min_iou * p.union(polys[j]).area for j in tree.query(p)):
            out.append(c)
    return out
