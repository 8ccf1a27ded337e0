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


def measure(box: OrientedBox, scene: Scene, grid_gsd_m: float | None = None) -> Detection:
    """Length, beam, axis heading, centre and WGS84 footprint of a hull box (geodesic metres).

    grid_gsd_m is the GSD of the grid the box was found in (the working GSD when the scene was
    read coarser than native); it sets the measurement error the matcher assumes.
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
    # without a bow/stern cue the axis is reported in [0, 180) and flagged ambiguous
    heading = azimuth_deg(lon[1], lat[1], lon[0], lat[0]) % 180.0
    footprint = ring_ccw([(float(x), float(y)) for x, y in zip(lon[5:], lat[5:])])
    return Detection(
        scene_id=scene.scene_id,
        class_name=box.class_name,
        confidence=round(box.confidence, 4),
        length_m=round(length_m, 2),
        beam_m=round(beam_m, 2),
        heading_deg=round(heading, 1),
        heading_ambiguous=True,
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
