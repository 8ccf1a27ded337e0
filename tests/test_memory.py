"""Bounded memory: reading a 4x larger scene through the pipeline must not take 4x the memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from tankerwatch.config import InferenceConfig
from tankerwatch.datasets.scene import open_scene
from tankerwatch.geo import from_lonlat_transformer, utm_epsg
from tankerwatch.inference.pipeline import detect_scene
from tankerwatch.inference.tiling import plan_tiles

LON, LAT = 133.065, 42.7475  # Vostochny


class EmptyDetector:
    """Stands in for the model: sees every tile, finds nothing (no trained weights needed)."""

    batch = 4

    def __init__(self) -> None:
        self.tiles = 0

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """No boxes for any tile."""
        self.tiles += len(tiles)
        return [np.zeros((0, 7), np.float32) for _ in tiles]


def write_blocky_scene(path: Path, size: int, strip: int = 512) -> Path:
    """A size x size 1 m UTM GeoTIFF of noisy water, written strip by strip (never whole in memory)."""
    crs = f"EPSG:{utm_epsg(LON, LAT)}"
    x, y = from_lonlat_transformer(crs).transform(LON, LAT)
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs=crs,
        transform=Affine(1.0, 0, x - size / 2, 0, -1.0, y + size / 2),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )
    rng = np.random.default_rng(size)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, strip):
            h = min(strip, size - r0)
            dst.write(rng.integers(20, 90, (3, h, size), dtype=np.uint8), window=Window(0, r0, size, h))
    return path


def peak_traced_bytes(path: Path, cfg: InferenceConfig) -> tuple[int, int]:
    """Peak Python/numpy memory traced while the pipeline reads every tile of a scene; and the tile count."""
    scene = open_scene(path)
    tiles = plan_tiles(scene, cfg.detect)
    detector = EmptyDetector()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        detect_scene(scene, tiles, detector, cfg)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert detector.tiles == len(tiles)
    return peak, len(tiles)


def test_tile_reading_memory_does_not_grow_with_scene_size(tmp_path):
    # Why tracemalloc is a fair proxy: everything the pipeline itself holds (tiles read and
    # stretched on the reader thread, the prefetch queue, batches, boxes) is numpy/Python memory,
    # which tracemalloc sees on every thread. A pipeline that read the whole scene, or kept tiles
    # past their batch, would grow 4x here. What it does not see, GDAL's block cache, is capped by
    # GDAL_CACHEMAX whatever the scene size, so it cannot make memory grow with the scene either.
    cfg = InferenceConfig()
    cfg.detect.tile_px, cfg.detect.overlap_m, cfg.detect.batch_size = 512, 64.0, 4  # many tiles, quickly
    small, n_small = peak_traced_bytes(write_blocky_scene(tmp_path / "small.tif", 1536), cfg)
    large, n_large = peak_traced_bytes(write_blocky_scene(tmp_path / "large.tif", 3072), cfg)
    assert n_large >= 3 * n_small  # 4x the pixels, ~3x the tiles (the overlap costs the small scene more)
    assert large < 1.5 * small, f"peak traced memory {large / 1e6:.1f} MB on 4x the pixels vs {small / 1e6:.1f} MB"
