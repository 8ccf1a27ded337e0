"""Measure a hull in metres: its box read again on the scene's native pixels, then measured through the scene's
georeferencing (length, beam, heading, footprint).

The detector finds hulls on the working grid (detect.working_gsd_m, coarser than a fine scene's own
pixels) and cuts long hulls short. Each merged box is therefore read on native pixels (read_hull): refine_box
re-measures its ends and sides where the hull stands out from the water around it (else the
detector's box stands), the bow is told from the stern on a strip reaching into the water beyond both ends
(read_bow: the cues and their confidence are inference/heading.py's), and the ship-type chip is cut while
the pixels are at hand. read_hulls reads a scene's boxes in bands of
rows, west to east, on a thread per core, so that neighbouring hulls share GDAL's blocks.

measure() turns a box into metres. The grid it was measured on (native where refined, else working)
is the measurement's gsd_m: it sets the size error the matcher assumes.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rasterio.io import DatasetReader

from tankerwatch.config import DetectConfig, FreeboardConfig
from tankerwatch.datasets.scene import Scene, scene_reader
from tankerwatch.geo import azimuth_deg, geodesic_m, ring_ccw
from tankerwatch.inference.heading import (
    PAD_ACROSS_BEAMS,
    STRIP_PX_ALONG,
    WAKE_PAD_LENGTHS,
    BowEstimate,
    CueFeatures,
    HullInStrip,
    bow_cues,
    bow_from_cues,
    hull_in_strip,
)
from tankerwatch.schema import SHIP_CLASSES, Detection, OrientedBox

if TYPE_CHECKING:
    from tankerwatch.inference.freeboard import FreeboardRead


def box_from_xywhr(cx: float, cy: float, w: float, h: float, r: float, conf: float, class_name: str) -> OrientedBox:
    """An OrientedBox from a detector's (cx, cy, w, h, angle) with the long side as length."""
    if w >= h:
        length, beam, axis = w, h, r
    else:
        length, beam, axis = h, w, r + math.pi / 2
    return OrientedBox(float(cx), float(cy), float(length), float(beam), float(axis % math.pi), float(conf), class_name)


def box_from_corners(corners: np.ndarray, conf: float, class_name: str) -> OrientedBox:
    """An OrientedBox from a rectangle's four corners (4 x 2, in order around it), the long side as length."""
    c = np.asarray(corners, float)[:4]
    e1, e2 = c[0] - c[1], c[1] - c[2]
    n1, n2 = float(np.linalg.norm(e1)), float(np.linalg.norm(e2))
    long_side = e1 if n1 >= n2 else e2
    axis = math.atan2(long_side[1], long_side[0]) % math.pi
    return OrientedBox(float(c[:, 0].mean()), float(c[:, 1].mean()), max(n1, n2), min(n1, n2), axis, conf, class_name)


def measure(
    box: OrientedBox,
    scene: Scene,
    grid_gsd_m: float | None = None,
    bow: int = 0,
    bow_confidence: float | None = None,
) -> Detection:
    """Length, beam, axis heading, centre and WGS84 footprint of a hull box (geodesic metres).

    grid_gsd_m is the GSD of the grid the box was found in (the working GSD when the scene was
    read coarser than native); it sets the measurement error the matcher assumes. bow is +1 when
    the bow lies towards the box's +axis end, -1 towards the other, 0 when not called; bow_confidence is
    the probability that the bow lies at the end bow names (or, not called, at the +axis end or the other,
    whichever is likelier): the detection's heading_confidence, None where no cue was read.
    """
    ux, uy = math.cos(box.axis_rad), math.sin(box.axis_rad)
    hl, hb = box.length_px / 2, box.beam_px / 2
    # ends of the long axis, ends of the short axis, centre
    cols = [box.cx_px + hl * ux, box.cx_px - hl * ux, box.cx_px - hb * uy, box.cx_px + hb * uy, box.cx_px]
    rows = [box.cy_px + hl * uy, box.cy_px - hl * uy, box.cy_px + hb * ux, box.cy_px - hb * ux, box.cy_px]
    corners = box.corners()
    lon, lat = scene.lonlat(cols + [c[0] for c in corners], rows + [c[1] for c in corners])
    length_m = geodesic_m(lon[0], lat[0], lon[1], lat[1])
    beam_m = geodesic_m(lon[2], lat[2], lon[3], lat[3])
    axis_heading = azimuth_deg(lon[1], lat[1], lon[0], lat[0])  # towards the +axis end
    # without a bow/stern cue the axis is reported in [0, 180) and flagged ambiguous
    heading = {1: axis_heading, -1: (axis_heading + 180.0) % 360.0}.get(bow, axis_heading % 180.0)
    footprint = ring_ccw([(float(x), float(y)) for x, y in zip(lon[5:], lat[5:], strict=True)])
    return Detection(
        scene_id=scene.scene_id,
        class_name=box.class_name,
        confidence=round(box.confidence, 4),
        length_m=round(length_m, 2),
        beam_m=round(beam_m, 2),
        heading_deg=round(heading, 1),
        heading_ambiguous=bow == 0,
        center_lon=float(lon[4]),
        center_lat=float(lat[4]),
        footprint_lonlat=footprint,
        acquired=scene.acquired,
        gsd_m=max(scene.gsd_m, grid_gsd_m or 0.0),
        box=box,
        heading_confidence=bow_confidence,
    )


EDGE_TOLERANCE_WORKING_PX = 3.0  # a box this close to a border (in working pixels) reaches it
EDGE_TOLERANCE_NATIVE_PX = 2.0  # a hull box this close to the scene's border (native pixels) may go on beyond it


def _borders_reached(
    corners: list[tuple[float, float]], x0: float, y0: float, x1: float, y1: float, tol_px: float
) -> tuple[bool, bool, bool, bool]:
    """Which borders of the rectangle (x0, y0)-(x1, y1) a box reaches: left, top, right, bottom."""
    xs = np.array([c[0] for c in corners])
    ys = np.array([c[1] for c in corners])
    return xs.min() <= x0 + tol_px, ys.min() <= y0 + tol_px, xs.max() >= x1 - tol_px, ys.max() >= y1 - tol_px


def touches_tile_edge(
    corners: list[tuple[float, float]],
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    scene_w: int,
    scene_h: int,
    tol_px: float,
) -> bool:
    """Whether a box reaches a tile border that is not also the scene border (a hull cut by the tile)."""
    inner = (x0 > 0, y0 > 0, x1 < scene_w, y1 < scene_h)
    return any(r and i for r, i in zip(_borders_reached(corners, x0, y0, x1, y1, tol_px), inner, strict=True))


def touches_scene_edge(corners: list[tuple[float, float]], scene_w: int, scene_h: int, tol_px: float) -> bool:
    """Whether a box reaches the scene border: the hull may go on outside the image."""
    return any(_borders_reached(corners, 0, 0, scene_w, scene_h, tol_px))


def tile_boxes(
    rows: np.ndarray, x0: float, y0: float, x1: float, y1: float, sx: float, sy: float, scene_w: int, scene_h: int
) -> tuple[list[OrientedBox], list[bool]]:
    """A tile's detections (cx, cy, w, h, angle, conf, class) as scene-pixel boxes, each flagged when an
    inner tile edge cuts it. The tile covers (x0, y0)-(x1, y1) of the scene; one tile pixel is sx by sy."""
    boxes, cut = [], []
    for cx, cy, w, h, r, conf, cls in np.asarray(rows, float).reshape(-1, 7):
        s = (sx + sy) / 2  # x and y scales differ by rounding only
        b = box_from_xywhr(x0 + cx * sx, y0 + cy * sy, w * s, h * s, r, conf, SHIP_CLASSES[int(cls)])
        boxes.append(b)
        cut.append(touches_tile_edge(b.corners(), x0, y0, x1, y1, scene_w, scene_h, EDGE_TOLERANCE_WORKING_PX * sx))
    return boxes, cut


def padded_window(
    box: OrientedBox, pad_along_px: float, pad_across_px: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """The native-pixel window (col0, row0, col1, row1) holding a padded box, clipped to the image."""
    along, across = box.length_px + 2 * pad_along_px, box.beam_px + 2 * pad_across_px
    ux, uy = abs(math.cos(box.axis_rad)), abs(math.sin(box.axis_rad))
    # the padded hull's own bounding box: a long hull at an angle fills little of a square
    half_x, half_y = (along * ux + across * uy) / 2 + 2, (along * uy + across * ux) / 2 + 2
    c0, r0 = max(0, int(box.cx_px - half_x)), max(0, int(box.cy_px - half_y))
    return c0, r0, min(width, int(box.cx_px + half_x) + 1), min(height, int(box.cy_px + half_y) + 1)


def box_in_window(box: OrientedBox, col0: float, row0: float, sx: float, sy: float) -> OrientedBox:
    """A box in the pixels of a window read from (col0, row0) at sx, sy native pixels per window pixel."""
    return OrientedBox(
        (box.cx_px - col0) / sx,
        (box.cy_px - row0) / sy,
        box.length_px / sx,
        box.beam_px / sy,
        box.axis_rad,
        box.confidence,
        box.class_name,
    )


def straighten(
    rgb: np.ndarray,
    box: OrientedBox,
    pad_along_px: float,
    pad_across_px: float,
    out_px: tuple[int, int] | None = None,
    border: int = 0,
) -> np.ndarray:
    """The padded box cut out of an image (rows x cols x 3) along its axis: columns along +axis, rows across.

    out_px (columns, rows) resamples the strip to that size; by default it keeps the image's pixel size.
    border is OpenCV's border mode for pixels outside the image (0: constant black)."""
    import cv2

    along, across = box.length_px + 2 * pad_along_px, box.beam_px + 2 * pad_across_px
    cols, rows = out_px or (max(1, int(round(along))), max(1, int(round(across))))
    su, sv = (along / cols, across / rows) if out_px else (1.0, 1.0)  # image pixels per strip pixel
    ux, uy = math.cos(box.axis_rad), math.sin(box.axis_rad)
    # affine map from strip pixels (u along, v across) to image pixels
    m = np.array(
        [
            [ux * su, -uy * sv, box.cx_px - ux * along / 2 + uy * across / 2],
            [uy * su, ux * sv, box.cy_px - uy * along / 2 - ux * across / 2],
        ],
        np.float32,
    )
    return cv2.warpAffine(rgb, m, (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border)


def straightened_hull(
    src: DatasetReader,
    scene: Scene,
    box: OrientedBox,
    px_along: int = 96,
    pad_along_px: float = 0.0,
    pad_across_px: float = 0.0,
) -> np.ndarray:
    """The hull (plus padding) resampled into an axis-aligned strip: columns along +axis, rows across.

    The strip is about px_along columns long for the padded length and never finer than the native grid.
    """
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import read_rgb

    c0, r0, c1, r1 = padded_window(box, pad_along_px, pad_across_px, scene.width, scene.height)
    if c1 - c0 < 2 or r1 - r0 < 2:
        return np.zeros((0, 0, 3), np.uint8)
    f = max(1.0, (box.length_px + 2 * pad_along_px) / px_along)  # native pixels per chip pixel
    rows, cols = max(1, int((r1 - r0) / f)), max(1, int((c1 - c0) / f))
    rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), (rows, cols))
    sx, sy = (c1 - c0) / cols, (r1 - r0) / rows
    return straighten(rgb, box_in_window(box, c0, r0, sx, sy), pad_along_px / sx, pad_across_px / sy)


# Refinement: how far around the detector's box to look, and how much it may change the box.
REFINE_PAD_ALONG = 0.35  # of the detected length, each end (detectors cut long hulls short)
REFINE_PAD_ACROSS = 0.6  # of the detected beam, each side
REFINE_MIN_PAD_M = 8.0
REFINE_MAX_STRIP_PX = 1400
REFINE_LENGTH_RATIO = (0.75, 1.5)  # refined / detected; outside it the detector's box stands
REFINE_BEAM_RATIO = (0.6, 1.6)
# dark hull paint seen around a deck is at most this share of the deck's beam / length on each side
RIM_MAX_BEAM_SHARE = 0.12
RIM_MAX_LENGTH_SHARE = 0.03
RIM_FULL = 0.9  # share of a profile's pixels that must be dark for a row (or column) to be rim
WATER_RADIUS = 30.0  # RGB distance that counts as the same water when seeking the water colour
WATER_SAMPLE = 8000  # pixels enough to find the water colour; a long hull's strip has ~10x more


def column_median_u8(values: np.ndarray) -> np.ndarray:
    """np.median(values, axis=0) of 8-bit values (n x channels) by counting, not sorting: the same numbers, faster."""
    n = len(values)
    out = np.empty(values.shape[1], np.float32)
    for k in range(values.shape[1]):
        cum = np.cumsum(np.bincount(values[:, k], minlength=256))
        lo, hi = np.searchsorted(cum, (n - 1) // 2 + 1), np.searchsorted(cum, n // 2 + 1)  # the middle order stats
        out[k] = (lo + hi) / 2
    return out


def water_colour(pixels: np.ndarray, iterations: int = 4) -> np.ndarray:
    """The commonest colour among pixels around a hull: water, even beside a quay or another hull."""
    pixels = pixels[:: max(1, len(pixels) // WATER_SAMPLE)]
    median = column_median_u8 if pixels.dtype == np.uint8 else (lambda v: np.median(v, axis=0))
    centre = median(pixels)
    as_float = pixels.astype(np.float32)
    for _ in range(iterations):  # move to the densest colour cluster near the median
        near = np.linalg.norm(as_float - centre, axis=1) < WATER_RADIUS
        if near.sum() < 10:
            break
        centre = median(pixels[near])
    return np.asarray(centre, np.float32)


def hull_mask(strip: np.ndarray, water: np.ndarray, min_contrast: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixels that differ from the water colour, leaving out water darkened by the hull's shadow; and those dark ones.

    Dark pixels are shadow or dark hull paint (a black hull on dark water): refine_box tells them apart by
    where they lie."""
    import cv2

    img = strip.astype(np.float32)  # unblurred: a blur would spread the hull over the water and the shadow
    w = [float(c) for c in water]
    add_bands = np.ones((1, 3), np.float32)  # (per-pixel work in OpenCV: a long hull's strip is ~0.3 MP)
    diff = cv2.subtract(img, (*w, 0.0))  # type: ignore[call-overload]  # a Scalar: OpenCV's stubs lack it
    far = cv2.transform(cv2.multiply(diff, diff), add_bands) > min_contrast**2
    # shadowed water is no brighter than water in any band (the stretch may clip it to black)
    shadow = (cv2.inRange(img, (0.0, 0.0, 0.0), tuple(c + 6.0 for c in w)) > 0) & (
        cv2.transform(img, add_bands) < 0.85 * sum(w)
    )
    mask = (far & ~shadow).astype(np.uint8)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)), (far & shadow).astype(np.uint8)


def _rim_px(dark: np.ndarray, lo: int, hi: int, limit: int) -> tuple[int, int]:
    """Widths of dark hull paint just outside [lo, hi) of a profile, each side: the rim around a deck.

    A shadow falls on one side of a hull only; dark paint shows on both, so both sides get the narrower
    band. A band pixel is one the dark paint covers across the whole profile (>= RIM_FULL), since a half
    dark one is the blur of the rim into the water; the pixel at the deck edge itself may be a blend of
    deck and rim, neither bright nor dark: it counts with its side's band."""
    bands, blends = [], []
    for start, step in ((lo - 1, -1), (hi, 1)):
        blend = int(0 <= start < dark.size and dark[start] < RIM_FULL)
        k, i = 0, start + step * blend
        while 0 <= i < dark.size and dark[i] >= RIM_FULL and k < limit:
            k, i = k + 1, i + step
        bands.append(k)
        blends.append(blend)
    band = min(bands)
    return (blends[0] + band, blends[1] + band) if band else (0, 0)


def _with_dark_ends(
    hull_or_dark: np.ndarray, across: tuple[int, int], along: tuple[int, int], limit: int
) -> tuple[int, int]:
    """A dark-painted hull's ends: the bright deck's extent grown by the dark paint beyond it, the same at both
    ends (the lesser growth: a shadow may run off one end, never off both)."""
    grown = _extent(hull_or_dark[across[0] : across[1]].mean(axis=0), (along[0] + along[1]) // 2, 0.15)
    if grown is None:
        return along
    grow = max(0, min(along[0] - grown[0], grown[1] - along[1], limit))
    return along[0] - grow, along[1] + grow


def _extent(profile: np.ndarray, centre: int, min_fraction: float) -> tuple[int, int] | None:
    """The run of profile values >= min_fraction nearest centre, as [first, last + 1)."""
    on = profile >= min_fraction
    if not on[centre]:
        near = np.flatnonzero(on)
        if near.size == 0:
            return None
        centre = int(near[np.argmin(np.abs(near - centre))])
    lo, hi = centre, centre + 1
    while lo > 0 and on[lo - 1]:
        lo -= 1
    while hi < on.size and on[hi]:
        hi += 1
    return lo, hi


def refine_box(src: DatasetReader, scene: Scene, box: OrientedBox, min_contrast: float = 18.0) -> OrientedBox | None:
    """The hull box re-measured on native pixels: its ends and sides where the hull meets the water.

    The detector works at the coarse working GSD and tends to cut long hulls short; here the hull is
    segmented from the water in a strip around the box. Where the strip cannot be read clearly (the
    hull running out of the strip, a size change beyond the plausible) it returns None: the detector's
    box stands.
    """
    import cv2

    gsd = scene.gsd_m
    pad_u = max(REFINE_PAD_ALONG * box.length_px, REFINE_MIN_PAD_M / gsd)
    pad_v = max(REFINE_PAD_ACROSS * box.beam_px, REFINE_MIN_PAD_M / gsd)
    strip = straightened_hull(src, scene, box, REFINE_MAX_STRIP_PX, pad_u, pad_v)
    rows, cols = strip.shape[:2]
    if rows < 8 or cols < 8:
        return None
    scale = cols / (box.length_px + 2 * pad_u)  # strip pixels per native pixel
    margin = 3.0 / gsd * scale  # keep clear of the hull edge the detector drew
    u = np.abs(np.arange(cols) - cols / 2)[None, :]
    v = np.abs(np.arange(rows) - rows / 2)[:, None]
    outside = (u > box.length_px * scale / 2 + margin) | (v > box.beam_px * scale / 2 + margin)
    pixels = strip[outside]
    if len(pixels) < 30:
        return None
    mid = slice(int(cols / 2 - box.length_px * scale / 4), int(cols / 2 + box.length_px * scale / 4) + 1)
    mask, dark = hull_mask(strip, water_colour(pixels), min_contrast)
    # bridge gaps between hatch covers and along dark rims: a hull is one piece
    close_u, close_v = max(1, int(5.0 / gsd * scale)), max(1, int(1.0 / gsd * scale))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((close_v, close_u), np.uint8))
    across = _extent(mask[:, mid].mean(axis=1), rows // 2, 0.5)
    if across is None:
        return None
    rim = _rim_px(dark[:, mid].mean(axis=1), *across, int(RIM_MAX_BEAM_SHARE * (across[1] - across[0])))
    across = (across[0] - rim[0], across[1] + rim[1])
    # a low share of the beam still counts, so the tapering bow is measured to its tip
    along = _extent(mask[across[0] : across[1]].mean(axis=0), cols // 2, 0.15)
    if along is None or along[0] == 0 or along[1] == cols:  # the hull runs out of the strip: unclear
        return None
    if rim[0] and rim[1]:
        along = _with_dark_ends(mask | dark, across, along, int(RIM_MAX_LENGTH_SHARE * (along[1] - along[0])))
    length, beam = (along[1] - along[0]) / scale, (across[1] - across[0]) / scale
    if not (
        REFINE_LENGTH_RATIO[0] <= length / box.length_px <= REFINE_LENGTH_RATIO[1]
        and REFINE_BEAM_RATIO[0] <= beam / box.beam_px <= REFINE_BEAM_RATIO[1]
    ):
        return None
    du = ((along[0] + along[1]) / 2 - cols / 2) / scale
    dv = ((across[0] + across[1]) / 2 - rows / 2) / scale
    ux, uy = math.cos(box.axis_rad), math.sin(box.axis_rad)
    return OrientedBox(
        box.cx_px + du * ux - dv * uy,
        box.cy_px + du * uy + dv * ux,
        length,
        beam,
        box.axis_rad,
        box.confidence,
        box.class_name,
    )


def bow_strip(src: DatasetReader, scene: Scene, box: OrientedBox) -> tuple[np.ndarray, HullInStrip]:
    """The hull straightened with the water beyond both ends and beside it, and where the box lies in it."""
    pad_along = WAKE_PAD_LENGTHS * box.length_px
    strip = straightened_hull(src, scene, box, STRIP_PX_ALONG, pad_along, PAD_ACROSS_BEAMS * box.beam_px)
    return strip, hull_in_strip(strip.shape, box.length_px, pad_along, box.beam_px)


def read_bow_cues(src: DatasetReader, scene: Scene, box: OrientedBox) -> CueFeatures:
    """The bow cues of a hull (inference/heading.py), read on its own padded strip.

    A hull reaching the image's edge may have its stern or its bow beyond it: only its superstructure is read."""
    whole = not touches_scene_edge(box.corners(), scene.width, scene.height, EDGE_TOLERANCE_NATIVE_PX)
    return bow_cues(*bow_strip(src, scene, box), whole)


def read_bow(src: DatasetReader, scene: Scene, box: OrientedBox, min_confidence: float) -> BowEstimate:
    """Which end of a hull is the bow, and how sure, from its cues."""
    return bow_from_cues(read_bow_cues(src, scene, box), min_confidence)


@dataclass
class HullRead:
    """What the native pixels say of one hull: its (refined) box, whether refined, bow sign and its confidence,
    type chip."""

    box: OrientedBox
    refined: bool
    bow: int
    chip: np.ndarray | None = None
    bow_confidence: float | None = None  # max(p, 1 - p) of P(bow at +axis); None: no cue read
    freeboard: FreeboardRead | None = None  # the hull-side shadow's reading (tankers only, where it reads)


def read_hull(
    src: DatasetReader,
    scene: Scene,
    box: OrientedBox,
    cfg: DetectConfig,
    chip: bool = False,
    freeboard: FreeboardConfig | None = None,
) -> HullRead:
    """A hull's box re-measured on native pixels where it reads clearly, its bow sign, (if asked) its type chip
    and, for a tanker with freeboard settings given, its freeboard."""
    from tankerwatch.inference.classify import read_chip  # (models/shiptype.py, which classify imports, imports this)
    from tankerwatch.inference.freeboard import read_freeboard  # (freeboard.py imports this module)

    src = hull_surroundings(src, scene, box)
    refined = refine_box(src, scene, box, cfg.refine_min_contrast) if cfg.refine else None
    box = refined or box
    bow = read_bow(src, scene, box, cfg.bow_min_confidence)
    fb = (
        read_freeboard(src, scene, box, freeboard)
        if freeboard is not None and freeboard.enabled and box.class_name == "tanker"
        else None
    )
    return HullRead(
        box, refined is not None, bow.sign, read_chip(src, scene, box) if chip else None, bow.confidence, fb
    )


# One native read around a hull serves all of read_hull's reads (refinement, bow strip, freeboard, chip): the
# window reaches this far beyond the detector's box, as a share of its length along and of the larger of its
# length and beam across (the bow strip's wake reach and the freeboard's longest shadow, with room for the refined
# box to differ); reads it does not hold go to the file.
SURROUNDINGS_ALONG = 0.75
SURROUNDINGS_ACROSS = 0.6


def hull_surroundings(src: DatasetReader, scene: Scene, box: OrientedBox) -> DatasetReader:
    """The scene reader with a hull's surroundings read once into memory (datasets/scene.py: WindowCache)."""
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import WindowCache

    reach = max(box.length_px, box.beam_px)
    c0, r0, c1, r1 = padded_window(
        box, SURROUNDINGS_ALONG * box.length_px, SURROUNDINGS_ACROSS * reach, scene.width, scene.height
    )
    if c1 - c0 < 2 or r1 - r0 < 2:
        return src
    return WindowCache(src, scene.band_indexes, Window(c0, r0, c1 - c0, r1 - r0))


HULL_BAND_PX = 1024  # hulls are read in bands of rows this high, west to east: neighbours share GDAL blocks


def read_hulls(
    scene: Scene,
    boxes: list[OrientedBox],
    cfg: DetectConfig,
    workers: int | None = None,
    chips: bool = False,
    freeboard: FreeboardConfig | None = None,
) -> list[HullRead]:
    """read_hull for every box, in the boxes' order, on a thread per CPU core (each its own rasterio handle)."""
    order = sorted(range(len(boxes)), key=lambda i: (int(boxes[i].cy_px // HULL_BAND_PX), boxes[i].cx_px))
    workers = max(1, min(workers or os.cpu_count() or 1, 8, len(order)))
    parts = [order[len(order) * k // workers : len(order) * (k + 1) // workers] for k in range(workers)]

    def read_part(part: list[int]) -> list[tuple[int, HullRead]]:
        with scene_reader(scene) as src:
            return [(i, read_hull(src, scene, boxes[i], cfg, chips, freeboard)) for i in part]

    out: dict[int, HullRead] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="tankerwatch-hulls") as pool:
        for part in pool.map(read_part, parts):
            out.update(part)
    return [out[i] for i in range(len(boxes))]


def measure_hulls(scene: Scene, hulls: list[HullRead], working_gsd_m: float) -> list[Detection]:
    """The hulls read, measured: a refined hull on the native grid it was re-measured on, the others on the
    working grid the detector saw them in; with the laden state its freeboard says, where one was read."""
    from tankerwatch.inference.freeboard import load_state

    out = []
    for h in hulls:
        d = measure(h.box, scene, scene.gsd_m if h.refined else working_gsd_m, h.bow, h.bow_confidence)
        if h.freeboard is not None:
            d.freeboard_m, d.freeboard_sd_m = round(h.freeboard.freeboard_m, 2), round(h.freeboard.sd_m, 2)
            d.load_state, d.load_probabilities = load_state(h.freeboard.freeboard_m, h.freeboard.sd_m, d.length_m)
        out.append(d)
    return out
