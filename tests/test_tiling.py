"""Tiles at the working GSD: coverage, overlap longer than a ship, only near ports."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box
from shapely.ops import unary_union

from tankerwatch.config import DetectConfig
from tankerwatch.datasets.ports import Port
from tankerwatch.datasets.scene import open_scene
from tankerwatch.inference.tiling import plan_tiles, port_aoi_px
from tests.test_scene import write_raster


@pytest.fixture
def big_scene(tmp_path):
    """A 4000 x 3000 px UTM scene at 0.5 m near Vostochny (pixels are blank: only the grid matters)."""
    p = write_raster(
        tmp_path / "big.tif", np.zeros((1, 3000, 4000), np.uint8), transform=from_origin(505000, 4733000, 0.5, 0.5)
    )
    return open_scene(p, acquired=datetime(2024, 1, 1, tzinfo=timezone.utc))


def test_full_scene_tiles_cover_everything_with_overlap_longer_than_a_ship(big_scene):
    cfg = DetectConfig(working_gsd_m=1.0, tile_px=512, overlap_m=320)
    tiles = plan_tiles(big_scene, cfg)
    union = unary_union(
        [
            box(
                t.window.col_off,
                t.window.row_off,
                t.window.col_off + t.window.width,
                t.window.row_off + t.window.height,
            )
            for t in tiles
        ]
    )
    assert union.equals(box(0, 0, 4000, 3000))
    # 0.5 m scene read at 1 m: 1024 native px per 512 px tile
    assert all(t.window.width <= 1024 and t.out_cols == round(t.window.width / 2) for t in tiles)
    cols = sorted({t.window.col_off for t in tiles})
    overlaps_m = [(cols[i] + 1024 - cols[i + 1]) * 0.5 for i in range(len(cols) - 1)]
    assert min(overlaps_m) >= 320


def test_port_aoi_keeps_only_tiles_near_the_port(big_scene):
    # a port polygon over the scene's top-left quarter (in lon/lat)
    lon, lat = big_scene.lonlat([0, 1000], [0, 800])
    port = Port("XX-TST", "Test", "RU", box(lon[0], lat[1], lon[1], lat[0]))
    cfg = DetectConfig(working_gsd_m=1.0, tile_px=512, overlap_m=100, port_margin_m=50)
    aoi = port_aoi_px(big_scene, [port], cfg.port_margin_m)
    tiles = plan_tiles(big_scene, cfg, aoi)
    full = plan_tiles(big_scene, cfg)
    assert 0 < len(tiles) < len(full) / 3
    assert all(t.window.col_off < 1000 + 100 + 1 and t.window.row_off < 800 + 100 + 1 for t in tiles)


def test_port_far_away_gives_no_aoi(big_scene):
    port = Port("KP-FAR", "Far", "KP", box(125.0, 38.0, 125.1, 38.1))
    assert port_aoi_px(big_scene, [port], 500) is None


def test_resampled_tiles_never_exceed_the_tile_size(big_scene):
    # regression: at 1.419 m, 1024 working px round to 722 native px, which read back as 1025 working px
    cfg = DetectConfig(working_gsd_m=1.0, tile_px=1024, overlap_m=320)
    for gsd in np.linspace(0.3, 3.0, 400):
        big_scene.gsd_m = float(gsd)
        tiles = plan_tiles(big_scene, cfg)
        assert tiles and all(t.out_rows <= 1024 and t.out_cols <= 1024 for t in tiles), gsd
