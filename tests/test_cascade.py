"""The cascade: empty open water and land away from water skip the model; a tile with a ship, or a quay, never does."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.windows import Window

from tankerwatch.config import CascadeConfig, load_inference_config
from tankerwatch.datasets.scene import open_scene, scene_reader
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.cascade import EMPTY_WATER, LAND, RUN, TileTriage, has_object, tile_verdict
from tankerwatch.inference.detect import read_tile
from tankerwatch.inference.floating import WaterMask
from tankerwatch.inference.tiling import plan_tiles
from tests.test_pipeline import truth_boxes

TILE_PX = 256


def _verdicts(tif, water: np.ndarray, cfg: CascadeConfig | None = None) -> tuple[list, list[str], TileTriage]:
    """Each planned tile (256 px at 1 m) with the triage's verdict, given a water mask of 4 m cells."""
    scene = open_scene(tif)
    icfg = load_inference_config()
    icfg.detect.tile_px, icfg.detect.overlap_m = TILE_PX, 32.0
    tiles = plan_tiles(scene, icfg.detect)
    triage = TileTriage(WaterMask(water, 0.0, 0.0, 4.0 / scene.gsd_m, "test"), scene.gsd_m, cfg or CascadeConfig())
    with scene_reader(scene) as src:
        verdicts = [triage(t.window, read_tile(src, scene, t, TILE_PX)[: t.out_rows, : t.out_cols], 1.0) for t in tiles]
    return tiles, verdicts, triage


def _holds(tile, box) -> bool:
    """Whether a hull box (native pixels) reaches into a tile's window."""
    w = tile.window
    xs, ys = zip(*box.corners(), strict=True)
    return (
        max(xs) >= w.col_off
        and min(xs) <= w.col_off + w.width
        and max(ys) >= w.row_off
        and min(ys) <= w.row_off + w.height
    )


def _calm_sea(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Calm water at 1 m, as a port scene's stretch (set by its bright quays) leaves it: dark, a little texture."""
    return np.clip(rng.normal((30, 42, 48), 2.0, (rows, cols, 3)), 0, 255).astype(np.uint8)


def test_empty_calm_water_skips_the_model_and_tiles_with_a_ship_or_a_small_boat_do_not():
    rng = np.random.default_rng(0)
    sea = _calm_sea(rng, 512, 1024)
    sea[150:167, 100:210] = (150, 120, 100)  # a 110 x 17 m tanker's deck ...
    sea[167:172, 100:210] = (12, 16, 18)  # ... and its shadow
    sea[400:405, 850:870] = (200, 200, 200)  # a 20 x 5 m fishing boat
    triage = TileTriage(WaterMask(np.ones((128, 256), np.uint8), 0.0, 0.0, 4.0, "test"), 1.0, CascadeConfig())
    verdicts = {}
    for r0 in (0, 256):
        for c0 in (0, 256, 512, 768):
            verdicts[(r0, c0)] = triage(Window(c0, r0, 256, 256), sea[r0 : r0 + 256, c0 : c0 + 256], 1.0)
    assert verdicts[(0, 0)] == RUN and verdicts[(256, 768)] == RUN  # the tanker, the boat
    assert [v for k, v in verdicts.items() if k not in ((0, 0), (256, 768))] == [EMPTY_WATER] * 6
    assert triage.stats.counts[EMPTY_WATER] == 6 and triage.stats.skipped == 6 and triage.stats.counts[RUN] == 2


def test_rendered_open_sea_is_too_rough_to_call_empty_so_every_ship_tile_runs(scene_factory):
    """A scene of open sea alone is stretched over the water's own range, which blows its texture up: the
    cascade then leaves every tile to the model (no ship is ever spared)."""
    ships = [
        ShipSpec("product_tanker", 110.0, 17.0, 160.0, 160.0, 30.0),
        ShipSpec("fishing", 20.0, 5.0, 860.0, 420.0, 100.0),
    ]
    tif = scene_factory(
        "sea", width_m=1024.0, height_m=512.0, land=False, ships=ships, n_tankers=0, n_others=0, n_yachts=0
    )
    scene = open_scene(tif)
    tiles, verdicts, _ = _verdicts(tif, np.ones((128, 256), np.uint8))
    boxes = truth_boxes(scene)
    assert len(boxes) == 2
    for t, verdict in zip(tiles, verdicts, strict=True):
        if any(_holds(t, b) for b in boxes):
            assert verdict == RUN


def test_land_away_from_water_skips_but_a_tile_near_water_runs(scene_factory):
    tif = scene_factory("land", width_m=1024.0, height_m=512.0, land=False, n_tankers=0, n_others=0, n_yachts=0)
    water = np.ones((128, 256), np.uint8)
    water[:, :160] = 0  # land west of x = 640 m: water within the 100 m margin only from x = 540 m
    tiles, verdicts, _ = _verdicts(tif, water)
    for t, v in zip(tiles, verdicts, strict=True):
        east = t.window.col_off + t.window.width
        if east < 540:
            assert v == LAND
        elif t.window.col_off < 640:  # land and water together, or water within the margin: a quay
            assert v == RUN


def test_switched_off_or_without_a_mask_every_tile_runs(scene_factory):
    tif = scene_factory("off", width_m=512.0, height_m=512.0, land=False, n_tankers=0, n_others=0, n_yachts=0)
    _, verdicts, _ = _verdicts(tif, np.ones((128, 128), np.uint8), CascadeConfig(enabled=False))
    assert set(verdicts) == {RUN}
    tile = np.full((64, 64, 3), 40, np.uint8)
    assert tile_verdict(tile, 1.0, None, None, CascadeConfig()) == RUN


@pytest.mark.parametrize("contrast, expected", [(10, False), (60, True)])
def test_has_object_needs_a_patch_that_stands_out_from_rough_water(contrast, expected):
    rng = np.random.default_rng(0)
    tile = np.clip(rng.normal(40, 3, (256, 256, 3)), 0, 255).astype(np.uint8)  # water with texture
    tile[100:108, 100:110] = np.clip(40 + contrast, 0, 255)  # an 80 m2 patch
    assert has_object(tile, 1.0, CascadeConfig()) is expected


def test_rough_water_always_goes_to_the_model():
    """Swell stretched over the scene's range (a mottle a dark hull hides in) is never called empty."""
    rng = np.random.default_rng(1)
    rough = np.clip(rng.normal(90, 40, (256, 256, 3)), 0, 255).astype(np.uint8)
    rough = np.repeat(np.repeat(rough[::8, ::8], 8, axis=0), 8, axis=1)  # blotches larger than the object cells
    assert has_object(rough, 1.0, CascadeConfig())
    assert tile_verdict(rough, 1.0, np.ones((4, 4), np.uint8), np.ones((2, 2), np.uint8), CascadeConfig()) == RUN
