"""The cascade: the detector runs only on tiles where a ship can be.

Most of a port scene's tiles hold no ship: open water at the anchorage's edge, and, with `--full-scene`, the
land behind the port. Asking the model about each costs a forward pass (about 0.1 s per 1024-px tile on
OpenVINO on two cores). The cascade asks two cheaper questions first, on what the main job has already read:

- **Land away from water.** The scene's water mask (inference/floating.py, 4 m cells) is computed before the
  detector. A tile none of whose cells, within `land_margin_m` around it, is water cannot hold a floating hull:
  a hull must float, and floating.py would drop any box found there. The margin keeps the tiles of a quay
  whose water begins just beyond the tile edge.
- **Open water with nothing on it.** A tile all of whose cells are water, whose water is calm, and whose
  pixels, averaged to `object_gsd_m` cells, hold no patch that stands out from the water: no ship. Calm means
  the colour distance of the cells from the tile's median water has a typical level plus robust spread of at
  most `max_water_texture` (0-255 stretch): a scene of open sea is stretched over the water's own narrow range,
  which can blow swell and glint up into a mottle where a dark hull would hide, and such a tile goes to the
  model. "Stands out" is a distance above `object_contrast` (raised by `noise_factor` times the spread) over at
  least `min_object_m2` of connected cells. A ship's hull, deck and shadow differ from calm water by far more
  than that. Wakes, whitecaps or cloud make a tile "not empty": the model then runs, so the cascade only ever
  errs towards work.

Both tests cost a few milliseconds on the tile the readers already read, against the forward pass they
save. Every other tile (water and land together, or water with something on it) goes to the model. The
count of tiles skipped and why is returned, so benchmarks and the run summary can report it; switched off
(`cascade.enabled: false`) every tile goes to the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from rasterio.windows import Window

from tankerwatch.config import CascadeConfig
from tankerwatch.inference.floating import WaterMask

RUN, LAND, EMPTY_WATER = "model", "land", "empty_water"  # an all-nodata tile never reaches the cascade


@dataclass
class CascadeStats:
    """How many tiles went to the model and how many were skipped, by reason."""

    counts: dict[str, int] = field(default_factory=lambda: {RUN: 0, LAND: 0, EMPTY_WATER: 0})

    def add(self, verdict: str) -> None:
        """Count one tile's verdict."""
        self.counts[verdict] = self.counts.get(verdict, 0) + 1

    @property
    def skipped(self) -> int:
        """Tiles the model did not see."""
        return sum(n for k, n in self.counts.items() if k != RUN)


def water_cells(water: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    """The water mask cells (1 water) of a window of the mask grid, clipped to the grid."""
    r0, r1 = max(0, rows.start), min(water.shape[0], rows.stop)
    c0, c1 = max(0, cols.start), min(water.shape[1], cols.stop)
    if r1 <= r0 or c1 <= c0:
        return np.zeros((0, 0), np.uint8)
    return water[r0:r1, c0:c1]


def has_object(rgb: np.ndarray, gsd_m: float, cfg: CascadeConfig) -> bool:
    """Whether a water tile (rows x cols x 3 uint8 at gsd_m) holds a patch standing out from its water."""
    f = max(1.0, cfg.object_gsd_m / gsd_m)
    h, w = rgb.shape[:2]
    shape = (max(1, int(round(w / f))), max(1, int(round(h / f))))
    small = cv2.resize(rgb, shape, interpolation=cv2.INTER_AREA).astype(np.float32)
    dist = np.sqrt(((small - np.median(small.reshape(-1, 3), axis=0)) ** 2).sum(axis=2))
    level = float(np.median(dist))
    spread = 1.4826 * float(np.median(np.abs(dist - level)))  # robust SD of the water's texture
    if level + spread > cfg.max_water_texture:  # rough or mottled water (swell, glint, stretched noise): ask the model
        return True
    hot = (dist > max(cfg.object_contrast, level + cfg.noise_factor * spread)).astype(np.uint8)
    if not hot.any():
        return False
    cell_m2 = (gsd_m * w / shape[0]) * (gsd_m * h / shape[1])
    n, _, stats, _ = cv2.connectedComponentsWithStats(hot, connectivity=8)
    return bool(n > 1 and stats[1:, cv2.CC_STAT_AREA].max() * cell_m2 >= cfg.min_object_m2)


def tile_verdict(
    rgb: np.ndarray,
    gsd_m: float,
    cells_near: np.ndarray | None,
    cells_in: np.ndarray | None,
    cfg: CascadeConfig,
) -> str:
    """Whether the model must see a tile (RUN), or why not (LAND, EMPTY_WATER).

    cells_near: the water cells of the tile grown by the land margin; cells_in: those of the tile itself (None:
    no water mask, so only the model can tell)."""
    if not cfg.enabled or cells_near is None or cells_in is None or cells_in.size == 0:
        return RUN
    if not cells_near.any():
        return LAND
    if cells_in.all() and not has_object(rgb, gsd_m, cfg):
        return EMPTY_WATER
    return RUN


class TileTriage:
    """The cascade of one scene: each tile's verdict from the scene's water mask and the tile as read."""

    def __init__(self, mask: WaterMask, native_gsd_m: float, cfg: CascadeConfig) -> None:
        self.mask, self.cfg, self.stats = mask, cfg, CascadeStats()
        self.margin_cells = int(math.ceil(cfg.land_margin_m / (mask.scale * native_gsd_m)))

    def _cells(self, w: Window, grow: int) -> np.ndarray:
        """The mask cells under a tile's native window, grown by grow cells on every side."""
        m = self.mask
        c0, r0 = int(math.floor((w.col_off - m.col0) / m.scale)), int(math.floor((w.row_off - m.row0) / m.scale))
        c1 = int(math.ceil((w.col_off + w.width - m.col0) / m.scale))
        r1 = int(math.ceil((w.row_off + w.height - m.row0) / m.scale))
        return water_cells(m.water, slice(r0 - grow, r1 + grow), slice(c0 - grow, c1 + grow))

    def __call__(self, window: Window, rgb: np.ndarray, gsd_m: float) -> str:
        """The verdict on one tile: its native-pixel window and its pixels as read (gsd_m metres a pixel)."""
        near, inside = self._cells(window, self.margin_cells), self._cells(window, 0)
        verdict = tile_verdict(rgb, gsd_m, near, inside, self.cfg)
        self.stats.add(verdict)
        return verdict
