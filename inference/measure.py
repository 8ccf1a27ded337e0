"""Measure a hull box in metres through the scene's georeferencing: length, beam, heading, footprint."""

from __future__ import annotations

import math

import numpy as np

from tankerwatch.datasets.scene import Scene
from tankerwatch.geo import azimuth_deg, geodesic_m, ring_ccw
from tankerwatch.schema import Detection, OrientedBox


def box_from_xywhr(cx: float, cy: float, w: float, h: float, r: float, conf: float, class_name: str) -> OrientedBox:
    """An OrientedBox from a detector's (cx, cy, w, h, angle) with the long side as length."""
    if w >= h:
        length, beam, axis = w, h, r
    else:
        length, beam, axis = h, w, r + math.pi / 2
    return OrientedBox(float(cx), float(cy), float(length), float(beam), float(axis % math.pi), float(conf), class_name)


def measure(box: OrientedBox, scene: Scene, grid_gsd_m: float | None = None, bow: int = 0) -> Detection:
    """Length, beam, axis heading, centre and WGS84 footprint of a hull box (geodesic metres).

    grid_gsd_m is the GSD of the grid the box was found in (the working GSD when the scene was
    read coarser than native); it sets the measurement error the matcher assumes. bow is +1 when
    the bow lies towards the box's +axis end, -1 towards the other, 0 when unknown.
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
    footprint = ring_ccw([(float(x), float(y)) for x, y in zip(lon[5:], lat[5:])])
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
    )


def touches_tile_edge(corners: list[tuple[float, float]], x0: float, y0: float, x1: float, y1: float,
                      scene_w: int, scene_h: int, tol_px: float) -> bool:
    """Whether a box reaches a tile border that is not also the scene border (a hull cut by the tile)."""
    xs = np.array([c[0] for c in corners])
    ys = np.array([c[1] for c in corners])
    return bool(
        (x0 > 0 and xs.min() <= x0 + tol_px) or (y0 > 0 and ys.min() <= y0 + tol_px)
        or (x1 < scene_w and xs.max() >= x1 - tol_px) or (y1 < scene_h and ys.max() >= y1 - tol_px)
    )


def bow_sign(rgb_hull: np.ndarray, min_contrast: float = 35.0) -> int:
    """Which end of a hull image (rows across, columns along +axis) is the bow: +1, -1, or 0 when unclear.

    Cue: tankers and most merchant ships carry their accommodation block, bright and tall, at
    the stern; the forward end is cargo deck. Only a clear brightness step between the two ends
    resolves the heading, so a doubtful hull stays flagged ambiguous.
    """
    gray = rgb_hull.astype(np.float32).mean(axis=2)
    rows, cols = gray.shape
    if cols < 10 or rows < 3:
        return 0
    band = gray[int(rows * 0.2) : max(int(rows * 0.8), int(rows * 0.2) + 1)]
    end = max(2, int(cols * 0.15))
    start_end, far_end = float(band[:, :end].mean()), float(band[:, -end:].mean())
    middle = float(band[:, end:-end].mean())
    brighter, darker = max(start_end, far_end), min(start_end, far_end)
    if brighter - darker < min_contrast or brighter - middle < min_contrast:
        return 0
    return 1 if start_end > far_end else -1  # the bright stern is at the start: bow towards +axis


def straightened_hull(src, scene: Scene, box: OrientedBox, px_along: int = 96) -> np.ndarray:
    """The hull resampled into an axis-aligned strip (columns along +axis), about px_along long."""
    import cv2
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import read_rgb

    half = box.length_px / 2 + 2
    c0, r0 = max(0, int(box.cx_px - half)), max(0, int(box.cy_px - half))
    c1, r1 = min(scene.width, int(box.cx_px + half) + 1), min(scene.height, int(box.cy_px + half) + 1)
    if c1 - c0 < 2 or r1 - r0 < 2:
        return np.zeros((0, 0, 3), np.uint8)
    f = max(1.0, box.length_px / px_along)  # native pixels per chip pixel
    rows, cols = max(1, int((r1 - r0) / f)), max(1, int((c1 - c0) / f))
    rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), (rows, cols))
    sx, sy = (c1 - c0) / cols, (r1 - r0) / rows
    cx, cy = (box.cx_px - c0) / sx, (box.cy_px - r0) / sy
    length, beam = box.length_px / sx, box.beam_px / sy
    ux, uy = math.cos(box.axis_rad), math.sin(box.axis_rad)
    # affine map from strip pixels (u along, v across) to chip pixels
    m = np.array([[ux, -uy, cx - ux * length / 2 + uy * beam / 2],
                  [uy, ux, cy - uy * length / 2 - ux * beam / 2]], np.float32)
    return cv2.warpAffine(rgb, m, (max(1, int(length)), max(1, int(beam))), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
