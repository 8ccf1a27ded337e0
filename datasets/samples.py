"""Training samples for the second-stage models: hull chips by ship type, and coarse images with water truth.

Both come from scenes rendered in memory (never written), read as the main job reads a scene (bands
1-3, per-band percentile stretch to uint8), and from real licensed backgrounds (datasets/backgrounds.py):

- **hull chips** (models/shiptype.py): every truth ship with its box jittered the way the detector
  errs; the detector's own boxes on the scene (a box on a ship takes that ship's type, a box on
  nothing is "not_ship": the exact mistakes the classifier must undo); and ship-sized boxes dropped
  on land, on structures and on open water ("not_ship").
- **water tiles** (models/watermask.py): the scene area-averaged to WATER_GSD_M with its exact
  water truth (datasets/synth.water_truth; ships count as water).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from shapely.geometry import Point, Polygon
from shapely.prepared import prep

from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.datasets.synth import ShipSpec, SynthScene, ship_box_m, water_truth
from tankerwatch.models.shiptype import SHIP_TYPES, hull_chip, size_features
from tankerwatch.models.watermask import WATER_GSD_M
from tankerwatch.schema import OrientedBox

# renderer kinds -> ship types (the renderer has no separate "other" kinds to tell apart)
KIND_TYPE: dict[str, str] = {
    "product_tanker": "tanker",
    "crude_tanker": "tanker",
    "chemical_tanker": "tanker",
    "bulk_carrier": "bulk_carrier",
    "container_ship": "container_ship",
    "general_cargo": "general_cargo",
    "lpg_carrier": "other",
    "tug": "other",
    "barge": "other",
    "fishing": "other",
    "yacht": "other",
}
NOT_SHIP = SHIP_TYPES.index("not_ship")
ANY_SHIP = -1  # label of a real ship whose type is not known: trained as "not not_ship" (training/stages.py)
MATCH_IOU = 0.3  # a detector box this close to a truth hull is that hull (its type); below 0.05 with all: not a ship


@dataclass
class ChipSet:
    """Hull chips (N x rows x cols x 3 uint8), size features (N x 3) and type labels (N)."""

    chips: list[np.ndarray] = field(default_factory=list)
    sizes: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def add(self, rgb: np.ndarray, box: OrientedBox, gsd_m: float, label: int) -> None:
        """Cut a box's chip out of a native image and record it with its size in metres."""
        self.chips.append(hull_chip(rgb, box))
        self.sizes.append(size_features(box.length_px * gsd_m, box.beam_px * gsd_m))
        self.labels.append(label)

    def extend(self, other: ChipSet) -> None:
        """Append another set's samples."""
        self.chips += other.chips
        self.sizes += other.sizes
        self.labels += other.labels


def scene_rgb(scene: SynthScene) -> np.ndarray:
    """A rendered scene as the main job reads it: bands 1-3 stretched to uint8, rows x cols x 3."""
    return stretch_rgb(scene.image[:3].transpose(1, 2, 0), sample_step=4)


def ship_box_px(s: ShipSpec, gsd_m: float) -> OrientedBox:
    """A truth ship's box in the scene's native pixels."""
    h = math.radians(s.heading_deg)
    axis = math.atan2(-math.cos(h), math.sin(h)) % math.pi  # bow direction in image space (y down)
    return OrientedBox(s.x_m / gsd_m, s.y_m / gsd_m, s.length_m / gsd_m, s.beam_m / gsd_m, axis, 1.0, s.ship_class)


def jittered(box: OrientedBox, rng: np.random.Generator) -> OrientedBox:
    """A box moved, turned and resized as the detector's boxes are off from the truth."""
    return OrientedBox(
        box.cx_px + rng.normal(0, 0.04) * box.length_px,
        box.cy_px + rng.normal(0, 0.15) * box.beam_px,
        box.length_px * rng.uniform(0.85, 1.12),
        box.beam_px * rng.uniform(0.8, 1.3),
        (box.axis_rad + math.radians(rng.normal(0, 3))) % math.pi,
        box.confidence,
        box.class_name,
    )


def random_hull_box(
    rng: np.random.Generator, cx: float, cy: float, gsd_m: float, axis: float | None = None
) -> OrientedBox:
    """A ship-sized box (20-300 m, beam 1/7-1/3 of its length) centred on a point, in pixels."""
    length_m = float(np.exp(rng.uniform(np.log(20), np.log(300))))
    beam_m = length_m * rng.uniform(0.12, 0.32)
    a = rng.uniform(0, math.pi) if axis is None else axis
    return OrientedBox(cx, cy, length_m / gsd_m, beam_m / gsd_m, a % math.pi, 1.0, "vessel")


def long_axis_rad(g) -> float | None:
    """Direction in [0, pi) of the long side of a geometry's minimum rotated rectangle (None if degenerate)."""
    rect = g.minimum_rotated_rectangle
    if rect.geom_type != "Polygon":
        return None
    p = np.asarray(rect.exterior.coords)[:3]
    d = p[1] - p[0] if np.linalg.norm(p[1] - p[0]) >= np.linalg.norm(p[2] - p[1]) else p[2] - p[1]
    return math.atan2(d[1], d[0]) % math.pi


def box_polygon(b: OrientedBox) -> Polygon:
    """An oriented box as a polygon in its pixel grid."""
    return Polygon(b.corners())


def _iou(a: Polygon, b: Polygon) -> float:
    """Intersection over union of two polygons."""
    inter = a.intersection(b).area
    return inter / (a.area + b.area - inter) if inter > 0 else 0.0


def truth_chips(scene: SynthScene, rgb: np.ndarray, rng: np.random.Generator, per_ship: int = 2) -> ChipSet:
    """Each truth ship's chip, per_ship times with its box jittered, labelled with its type."""
    out, gsd = ChipSet(), scene.spec.gsd_m
    for s in scene.ships:
        box = ship_box_px(s, gsd)
        for _ in range(per_ship):
            out.add(rgb, jittered(box, rng), gsd, SHIP_TYPES.index(KIND_TYPE[s.kind]))
    return out


def negative_chips(scene: SynthScene, rgb: np.ndarray, rng: np.random.Generator, n: int) -> ChipSet:
    """Ship-sized boxes on land, on structures and on open water away from every ship: "not_ship"."""
    out, gsd = ChipSet(), scene.spec.gsd_m
    h, w = rgb.shape[:2]
    ships = [ship_box_m(s).buffer(10) for s in scene.ships]
    land = prep(scene.land) if not scene.land.is_empty else None
    tries = 0
    while len(out.labels) < n and tries < 20 * n:
        tries += 1
        pick = rng.random()
        if pick < 0.3 and scene.structures:  # along a pier, jetty or floating dock
            g = scene.structures[rng.integers(len(scene.structures))]
            c = g.representative_point() if rng.random() < 0.5 else g.centroid
            axis = long_axis_rad(g)
            x_m, y_m = c.x + rng.normal(0, 10), c.y + rng.normal(0, 10)
        else:
            x_m, y_m, axis = rng.uniform(0, w * gsd), rng.uniform(0, h * gsd), None
            on_land = land is not None and land.contains(Point(x_m, y_m))
            if pick < 0.8 and not on_land:  # most negatives on land, where the detector errs most
                continue
        box = random_hull_box(rng, x_m / gsd, y_m / gsd, gsd, axis)
        poly_m = Polygon(np.asarray(box.corners()) * gsd)
        if any(poly_m.intersects(s) for s in ships):
            continue
        out.add(rgb, box, gsd, NOT_SHIP)
    return out


def detector_chips(scene: SynthScene, rgb: np.ndarray, boxes: list[OrientedBox]) -> ChipSet:
    """The detector's boxes on a scene: a box on a truth hull takes its type, a box on nothing is "not_ship"."""
    out, gsd = ChipSet(), scene.spec.gsd_m
    truth = [(box_polygon(ship_box_px(s, gsd)), SHIP_TYPES.index(KIND_TYPE[s.kind])) for s in scene.ships]
    for b in boxes:
        poly = box_polygon(b)
        best = max(((_iou(poly, t), label) for t, label in truth), default=(0.0, NOT_SHIP))
        if best[0] >= MATCH_IOU:
            out.add(rgb, b, gsd, best[1])
        elif best[0] < 0.05 and not any(poly.contains(Point(t.centroid)) for t, _ in truth):
            out.add(rgb, b, gsd, NOT_SHIP)
    return out


def boxes_chips(rgb: np.ndarray, boxes: list[OrientedBox], gsd_m: float, label: int) -> ChipSet:
    """Chips of given boxes on an image, all with one label (e.g. detections on real land: not a ship)."""
    out = ChipSet()
    for b in boxes:
        out.add(rgb, b, gsd_m, label)
    return out


def random_land_chips(
    rgb: np.ndarray, valid: np.ndarray | None, gsd_m: float, rng: np.random.Generator, n: int
) -> ChipSet:
    """Ship-sized boxes anywhere on an all-land image (inside its valid pixels): "not_ship"."""
    out = ChipSet()
    h, w = rgb.shape[:2]
    for _ in range(n * 5):
        if len(out.labels) >= n:
            break
        box = random_hull_box(rng, rng.uniform(0, w), rng.uniform(0, h), gsd_m)
        if box.length_px > 1.2 * max(h, w):
            continue
        if valid is not None and not valid[int(box.cy_px), int(box.cx_px)]:
            continue
        out.add(rgb, box, gsd_m, NOT_SHIP)
    return out


def water_tile(scene: SynthScene, rgb: np.ndarray, gsd_m: float = WATER_GSD_M) -> tuple[np.ndarray, np.ndarray]:
    """The scene area-averaged to the mask GSD, with its water truth (1 water, 0 land) on the same grid."""
    truth = water_truth(scene, gsd_m)
    coarse = cv2.resize(rgb, (truth.shape[1], truth.shape[0]), interpolation=cv2.INTER_AREA)
    return coarse, truth
