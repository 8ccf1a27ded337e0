"""Tiles over a scene at the working GSD: only where ports are (plus a margin), or the full scene."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from rasterio.windows import Window
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from tankerwatch.config import DetectConfig
from tankerwatch.datasets.ports import Port
from tankerwatch.datasets.scene import Scene
from tankerwatch.geo import from_lonlat_transformer


@dataclass(frozen=True)
class Tile:
    """A native-pixel window read resampled to the working GSD."""

    window: Window  # integer native-pixel window
    out_rows: int  # size of the resampled read at the working GSD
    out_cols: int

    @property
    def scale_x(self) -> float:
        """Native pixels per working pixel along x."""
        return self.window.width / self.out_cols

    @property
    def scale_y(self) -> float:
        """Native pixels per working pixel along y."""
        return self.window.height / self.out_rows


def native_per_working(scene: Scene, cfg: DetectConfig) -> float:
    """How many native pixels make one working-GSD pixel (> 1 for scenes finer than the working GSD)."""
    return cfg.working_gsd_m / scene.gsd_m


def tile_starts(lo: int, hi: int, size: int, stride: int) -> list[int]:
    """Tile (or chip) starts covering [lo, hi), the last one flush with hi."""
    if hi - lo <= size:
        return [lo]
    starts = list(range(lo, hi - size, stride))
    starts.append(hi - size)
    return starts


def port_aoi_px(scene: Scene, ports: list[Port], margin_m: float):
    """Port polygons in the scene's native pixel grid, grown by the margin; None when no port touches the scene."""
    to_crs = from_lonlat_transformer(scene.crs)
    inverse = ~scene.transform

    def lonlat_to_px(coords: np.ndarray) -> np.ndarray:
        cx, cy = to_crs.transform(coords[:, 0], coords[:, 1])
        return np.stack(inverse @ (np.asarray(cx), np.asarray(cy)), axis=1)

    frame = box(0, 0, scene.width, scene.height)
    shapes = [shapely.transform(p.geometry, lonlat_to_px) for p in ports]
    aoi = unary_union(shapes).buffer(margin_m / scene.gsd_m) if shapes else Polygon()
    aoi = aoi.intersection(frame)
    return None if aoi.is_empty else aoi


def plan_tiles(scene: Scene, cfg: DetectConfig, aoi=None) -> list[Tile]:
    """Tiles overlapping by cfg.overlap_m covering the AOI, or the whole scene when aoi is None."""
    f = native_per_working(scene, cfg)
    size = max(1, int(round(cfg.tile_px * f)))
    overlap = int(math.ceil(cfg.overlap_m / scene.gsd_m))
    stride = max(1, size - overlap)
    if aoi is None:
        x0, y0, x1, y1 = 0, 0, scene.width, scene.height
    else:
        bx0, by0, bx1, by1 = aoi.bounds
        x0, y0 = max(0, int(math.floor(bx0))), max(0, int(math.floor(by0)))
        x1, y1 = min(scene.width, int(math.ceil(bx1))), min(scene.height, int(math.ceil(by1)))
    tiles = []
    for row in tile_starts(y0, y1, size, stride):
        for col in tile_starts(x0, x1, size, stride):
            c0, r0 = max(0, col), max(0, row)
            w, h = min(size, scene.width - c0), min(size, scene.height - r0)
            if aoi is not None and not aoi.intersects(box(c0, r0, c0 + w, r0 + h)):
                continue
            out_cols = min(cfg.tile_px, max(1, int(round(w / f))))
            out_rows = min(cfg.tile_px, max(1, int(round(h / f))))
            tiles.append(Tile(Window(c0, r0, w, h), out_rows, out_cols))
    return tiles
