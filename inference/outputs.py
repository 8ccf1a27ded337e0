"""What a scene leaves in the output folder: its detections as GeoJSON, and the chip of each alert.

OUT/detections/<scene_id>.geojson holds every hull the scene kept, tanker or not, as an RFC 7946
Feature (WGS84 footprint) with the properties README.md lists under Output: the measurement, the grid
it was measured on (gsd_m), its ship type where the type stage ran and, for an identified tanker, its
ranked registry candidates whether or not one reaches an alert. A scene done again rewrites its file
whole (atomically).

OUT/chips/<alert_id>.png is a native-resolution crop around an alerted hull with its box drawn in
(chips/obs-<id>.png for a tanker in port that was not alerted), written as the alert store records
the scene (visits.py), so that an analyst can judge the hull by eye.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rasterio.windows import Window

from tankerwatch.datasets.scene import Scene, read_rgb, scene_reader
from tankerwatch.io import atomic_write_bytes, atomic_write_text
from tankerwatch.schema import Detection, Identification


def optional_properties(d: Detection) -> dict[str, Any]:
    """The cues read only where they could be (bow confidence, freeboard, laden state), omitted where not."""
    values = {
        "heading_confidence": d.heading_confidence,
        "freeboard_m": d.freeboard_m,
        "freeboard_sd_m": d.freeboard_sd_m,
        "load_state": d.load_state,
        "load_probabilities": d.load_probabilities,
    }
    return {k: v for k, v in values.items() if v is not None}


def detection_feature(d: Detection, ident: Identification | None = None) -> dict:
    """A detection as an RFC 7946 Feature with the README.md properties, plus gsd_m (the grid it was measured in)
    and, for an identified tanker, its ranked registry candidates whether or not they reach an alert."""
    properties: dict[str, Any] = {
        "class": d.class_name,
        "confidence": d.confidence,
        "length_m": d.length_m,
        "beam_m": d.beam_m,
        "heading_deg": d.heading_deg,
        "heading_ambiguous": d.heading_ambiguous,
        "center_lon": round(d.center_lon, 7),
        "center_lat": round(d.center_lat, 7),
        "scene_id": d.scene_id,
        "acquired": d.acquired.strftime("%Y-%m-%dT%H:%M:%SZ") if d.acquired else None,
        "port_id": d.port_id,
        "port_area": d.port_area,
        "gsd_m": round(d.gsd_m, 3),
        **({"type": d.type_name, "type_probabilities": d.type_probabilities} if d.type_name else {}),
        **optional_properties(d),
    }
    if ident is not None and ident.candidates:
        properties["candidates"] = [
            {"imo": c.imo, "name": c.name, "probability": round(c.probability, 4)} for c in ident.candidates
        ]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in d.footprint_lonlat]]},
        "properties": properties,
    }


def write_detections(
    out_dir: Path, scene_id: str, detections: list[Detection], idents: list[Identification] | None = None
) -> Path:
    """Write OUT/detections/<scene_id>.geojson atomically (with each tanker's candidates where identified)."""
    path = out_dir / "detections" / f"{scene_id}.geojson"
    given: list[Identification | None] = [*idents] if idents else [None] * len(detections)
    pairs = zip(detections, given, strict=True)
    fc = {"type": "FeatureCollection", "features": [detection_feature(d, i) for d, i in pairs]}
    atomic_write_text(path, json.dumps(fc, indent=1))
    return path


# (a hull, or the hulls of a pair; alert id) -> the chip's path relative to OUT
ChipWriter = Callable[[Identification | list[Identification], str], str]


def chip_writer(scene: Scene, out_dir: Path, margin_m: float) -> ChipWriter:
    """A function saving a native-resolution PNG crop around a hull (or the hulls of a pair, each outlined),
    returning its relative path."""

    def write(idents: Identification | list[Identification], alert_id: str) -> str:
        boxes = [i.detection.box for i in (idents if isinstance(idents, list) else [idents])]
        margin_px = margin_m / scene.gsd_m
        half = max(max(b.length_px, b.beam_px) for b in boxes) / 2 + margin_px
        cx, cy, hx, hy = boxes[0].cx_px, boxes[0].cy_px, half, half
        if len(boxes) > 1:  # a pair: the square around one hull grown to hold them all
            corners = np.array([c for b in boxes for c in b.corners()])
            (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            hx, hy = max(half, (x1 - x0) / 2 + margin_px), max(half, (y1 - y0) / 2 + margin_px)
        c0, r0 = max(0, int(cx - hx)), max(0, int(cy - hy))
        c1, r1 = min(scene.width, int(cx + hx) + 1), min(scene.height, int(cy + hy) + 1)
        f = max(1.0, max(c1 - c0, r1 - r0) / 512)  # cap the crop at 512 px
        rows, cols = max(1, int((r1 - r0) / f)), max(1, int((c1 - c0) / f))
        with scene_reader(scene) as src:
            rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), (rows, cols))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        for b in boxes:
            pts = np.array([((x - c0) / f, (y - r0) / f) for x, y in b.corners()], np.int32)
            cv2.polylines(bgr, [pts], True, (0, 255, 255), 1, cv2.LINE_AA)
        ok, png = cv2.imencode(".png", bgr)
        rel = f"chips/{alert_id}.png"
        atomic_write_bytes(out_dir / rel, png.tobytes())
        return rel

    return write
