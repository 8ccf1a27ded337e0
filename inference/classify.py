"""Ship type on native pixels: the stage after the detector that names what each hull is.

Each merged hull's chip (models/shiptype.py: the hull along its axis with its surroundings, read from
the scene at about the chip's scale) goes through the ship-type classifier. A hull whose P(not a ship)
reaches its limit is dropped: stages.not_ship_threshold for a detector's box, the stricter
stages.object_not_ship_threshold for an object proposed from the water (candidates.py), which no
detector vouched for. The others carry `type` (the most likely ship type) and `type_probabilities`
(over the ship types, renormalised without "not_ship"), and their contract `class` follows the type:
`tanker` where the type is tanker, else `vessel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rasterio.io import DatasetReader
from rasterio.windows import Window

from tankerwatch.config import StageConfig
from tankerwatch.datasets.scene import Scene, read_rgb
from tankerwatch.models.shiptype import SHIP_TYPES, chip_from_window, chip_window
from tankerwatch.schema import Detection, OrientedBox


@dataclass
class ShipType:
    """A hull's type verdict: the most likely ship type, its probabilities and P(not a ship)."""

    type_name: str
    probabilities: dict[str, float]  # over the ship types but "not_ship", summing to 1
    p_not_ship: float

    @property
    def class_name(self) -> str:
        """The contract class this type maps to."""
        return "tanker" if self.type_name == "tanker" else "vessel"


def read_chip(src: DatasetReader, scene: Scene, box: OrientedBox) -> np.ndarray:
    """A hull's classifier chip read from a scene (the window at about the chip's scale)."""
    c0, r0, c1, r1, f = chip_window(box, scene.width, scene.height)
    if c1 - c0 < 2 or r1 - r0 < 2:
        return chip_from_window(np.zeros((0, 0, 3), np.uint8), box, c0, r0, c1, r1)
    shape = (max(2, int((r1 - r0) / f)), max(2, int((c1 - c0) / f)))
    rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), shape)
    return chip_from_window(rgb, box, c0, r0, c1, r1)


def verdict(p: np.ndarray) -> ShipType:
    """A ship-type verdict from the classifier's probabilities (SHIP_TYPES order)."""
    probs = dict(zip(SHIP_TYPES, p.tolist(), strict=True))
    not_ship = probs.pop("not_ship")
    total = sum(probs.values()) or 1.0
    probs = {t: round(v / total, 4) for t, v in probs.items()}
    return ShipType(max(probs, key=probs.__getitem__), probs, round(not_ship, 4))


def is_ship(v: ShipType, not_ship_min_p: float) -> bool:
    """Whether a hull stays: its P(not a ship) is below the threshold."""
    return v.p_not_ship < not_ship_min_p


def classify(typer, chips: list[np.ndarray], sizes_m: list[tuple[float, float]]) -> list[ShipType]:
    """Ship-type verdicts for hull chips and their measured (length_m, beam_m)."""
    if not chips:
        return []
    return [verdict(p) for p in typer.predict(chips, sizes_m)]


def ships_only(
    typer, chips: list[np.ndarray], sizes_m: list[tuple[float, float]], not_ship_limits: list[float]
) -> list[tuple[int, ShipType]]:
    """(index, verdict) of the hulls that stay ships: P(not a ship) below each hull's limit."""
    verdicts = classify(typer, chips, sizes_m)
    return [(i, v) for i, (v, t) in enumerate(zip(verdicts, not_ship_limits, strict=True)) if is_ship(v, t)]


def not_ship_limits(st: StageConfig, n_boxes: int, n_objects: int) -> list[float]:
    """The P(not a ship) at which each hull is dropped: detector boxes first, then water objects (stricter)."""
    return [st.not_ship_threshold] * n_boxes + [st.object_not_ship_threshold] * n_objects


def typed_ships(detections: list[Detection], chips: list, typer, thresholds: list[float]) -> list[Detection]:
    """Detections with their ship type from native chips; a hull whose P(not a ship) reaches its threshold is
    dropped."""
    kept = []
    for i, v in ships_only(typer, chips, [(d.length_m, d.beam_m) for d in detections], thresholds):
        d = detections[i]
        d.type_name, d.type_probabilities, d.class_name = v.type_name, v.probabilities, v.class_name
        kept.append(d)
    return kept
