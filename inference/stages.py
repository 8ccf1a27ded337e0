"""The stages after the detector: the models and layers they use, loaded once a batch, and the same stages
on a plain image.

The detector proposes hulls; two stages then judge them on what the scene shows around them. The
float test (floating.py) keeps a hull only where it, or the ring around it, is water, by a water
mask from NDWI, the water-mask network, and the user's land and water layers (--land, --water) on
top; with stages.water_objects on, the same mask also proposes the compact objects on the water that
no detector box covers (candidates.py). The ship type (classify.py) names each hull on a native
chip and drops what is not a ship. Each stage has its switch (stages.water_mask, stages.ship_type)
and its weights: the configured file, else the one bundled beside the detector's.

HullStages holds these for a whole batch: the two models, loaded once (load_stages, which also reads
the user's layers once, so that a bad layer fails before any scene), and the layers reprojected once
per scene CRS. image_hull_filter runs the same stages on an image with no georeferencing (the
real-world test images), where no user layer applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rasterio.crs import CRS
from shapely.geometry.base import BaseGeometry

from tankerwatch.config import InferenceConfig, StageConfig
from tankerwatch.datasets.layers import layer_in_crs, read_layer
from tankerwatch.inference.candidates import image_objects, new_candidates
from tankerwatch.inference.classify import not_ship_limits, ships_only
from tankerwatch.inference.floating import afloat, array_water_mask
from tankerwatch.models.shiptype import hull_chip
from tankerwatch.schema import OrientedBox, TankerwatchError

if TYPE_CHECKING:
    from tankerwatch.models.shiptype import ShipTyper
    from tankerwatch.models.watermask import WaterMasker

Layers = tuple[BaseGeometry | None, BaseGeometry | None]  # (land, water) in one CRS; None where not given


@dataclass
class HullStages:
    """The models and layers of the stages after the detector (either model may be off: None)."""

    masker: WaterMasker | None = None
    typer: ShipTyper | None = None
    land_path: Path | None = None  # user layers (--land / --water)
    water_path: Path | None = None
    _layers: dict[str, Layers] = field(default_factory=dict)  # per scene CRS: (land, water) reprojected once

    def layers(self, crs: CRS) -> Layers:
        """The user's land and water layers in a scene's CRS."""
        key = crs.to_string()
        if key not in self._layers:
            land, water = (layer_in_crs(p, crs) if p else None for p in (self.land_path, self.water_path))
            self._layers[key] = (land, water)
        return self._layers[key]


def load_stages(
    cfg: InferenceConfig, land_path: Path | None = None, water_path: Path | None = None, cpu: bool = False
) -> HullStages:
    """The water-mask and ship-type models the config turns on (on the detector's kind of device, or with cpu on the
    CPU), and the user's layers (read once to check them)."""
    from tankerwatch.models.detector import WEIGHTS_DIR
    from tankerwatch.models.shiptype import TYPE_WEIGHTS_NAME, ShipTyper
    from tankerwatch.models.watermask import WATER_WEIGHTS_NAME, WaterMasker

    st = cfg.stages
    device = "cpu" if cpu or cfg.detect.device == "cpu" else "cuda"
    masker = (
        WaterMasker(_stage_weights(st.water_model, WEIGHTS_DIR / WATER_WEIGHTS_NAME, "water_mask"), device)
        if st.water_mask
        else None
    )
    typer = (
        ShipTyper(_stage_weights(st.type_model, WEIGHTS_DIR / TYPE_WEIGHTS_NAME, "ship_type"), device)
        if st.ship_type
        else None
    )
    for p in (land_path, water_path):
        if p:
            read_layer(Path(p))
    return HullStages(masker, typer, Path(land_path) if land_path else None, Path(water_path) if water_path else None)


def _stage_weights(configured: str, bundled: Path, switch: str) -> Path:
    """The weights a stage loads: the configured file, else the bundled one (a clear error if neither exists)."""
    path = Path(configured) if configured else bundled
    if not path.exists():
        raise TankerwatchError(
            f"{path}: stage weights not found (train them with "
            "`tankerwatch train-stage ship-type|water-mask`, "
            f"or turn the stage off with --set stages.{switch}=false)"
        )
    return path


def image_hull_filter(
    stages: HullStages, cfg: StageConfig
) -> Callable[[np.ndarray, float, list[OrientedBox]], list[OrientedBox]]:
    """The same stages for an image with no georeferencing (real test images): (rgb, gsd_m, boxes) -> kept boxes
    (the water objects among them when cfg.water_objects)."""

    def keep(rgb: np.ndarray, gsd_m: float, boxes: list[OrientedBox]) -> list[OrientedBox]:
        objects: list[OrientedBox] = []
        if cfg.water_mask and stages.masker is not None:
            mask = array_water_mask(rgb, gsd_m, stages.masker)
            if cfg.water_objects and cfg.ship_type and stages.typer is not None:
                objects = new_candidates(image_objects(rgb, gsd_m, mask), boxes)
            boxes = afloat(mask, boxes, gsd_m, cfg.water_share_threshold, cfg.ring_m) if boxes else boxes
        boxes = boxes + objects
        if cfg.ship_type and stages.typer is not None and boxes:
            thresholds = not_ship_limits(cfg, len(boxes) - len(objects), len(objects))
            kept = ships_only(
                stages.typer,
                [hull_chip(rgb, b) for b in boxes],
                [(b.length_px * gsd_m, b.beam_px * gsd_m) for b in boxes],
                thresholds,
            )
            boxes = [replace(boxes[i], class_name=v.class_name) for i, v in kept]
        return boxes

    return keep
