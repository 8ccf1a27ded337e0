"""A hull must float: the water-share test, user layers, NDWI and the mask GeoTIFF."""

from __future__ import annotations

import math

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import box as rect

from tankerwatch.datasets.scene import open_scene
from tankerwatch.inference.floating import (
    WaterMask,
    apply_layers,
    hull_water_share,
    scene_water_mask,
    write_water_mask,
)
from tankerwatch.schema import OrientedBox

# a 100 x 100 cell mask at 4 m over a 0.5 m scene: water in columns >= 50 (x >= 400 native px... * 8)
SCALE = 8.0  # native pixels per mask cell


def half_water_mask() -> WaterMask:
    water = np.zeros((100, 100), np.uint8)
    water[:, 50:] = 1
    return WaterMask(water, 0.0, 0.0, SCALE, "test")


def hull(cx_cells: float, cy_cells: float, length_m: float = 150.0, beam_m: float = 25.0, axis: float = math.pi / 2):
    """A hull box in native pixels (0.5 m) at a mask-cell position."""
    return OrientedBox(cx_cells * SCALE, cy_cells * SCALE, length_m / 0.5, beam_m / 0.5, axis, 0.9, "tanker")


def test_hull_in_open_water_floats():
    assert hull_water_share(half_water_mask(), hull(80, 50), 0.5) == 1.0


def test_hull_on_land_far_from_water_does_not_float():
    assert hull_water_share(half_water_mask(), hull(15, 50), 0.5) == 0.0


def test_hull_at_a_berth_floats_on_its_water_side():
    # the hull's own cells are land here (as NDWI sees a bright deck) and the quay runs along its port side
    mask = half_water_mask()
    berth = hull(50 + 25 / 4 / 2, 50)  # west side on the coast line x = 50 cells
    mask.water[35:65, 50:54] = 0  # the hull itself, not water in this mask
    share = hull_water_share(mask, berth, 0.5)
    assert 0.35 <= share < 0.8


def test_user_layers_override_the_mask():
    water = np.ones((10, 10), np.uint8)
    t = Affine(10.0, 0, 0, 0, -10.0, 100.0)  # 10 m cells, top-left at (0, 100)
    out = apply_layers(water, t, rect(0, 50, 50, 100), rect(20, 70, 30, 80))
    assert out[:5, :5].sum() == 1  # the land square, but for the water square burnt back in
    assert out[2, 2] == 1 and out[0, 0] == 0 and out[9, 9] == 1


def test_ndwi_decides_where_a_nir_band_exists_and_mask_is_written(scene_factory, tmp_path):
    path = scene_factory("nir", bands=4, n_tankers=1, n_others=0)
    scene = open_scene(path)
    mask = scene_water_mask(scene, Window(0, 0, scene.width, scene.height), masker=None)
    assert mask.source == "ndwi"
    assert 0.05 < mask.water.mean() < 0.95  # the spec has land on one side of a coast
    out = write_water_mask(tmp_path, scene, mask)
    with rasterio.open(out) as src:
        assert src.crs == scene.crs
        assert src.read(1).shape == mask.water.shape
        assert abs(src.transform.a - scene.transform.a * mask.scale) < 1e-9
