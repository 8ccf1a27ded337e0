"""Ship-shaped objects on the water as hull candidates (inference/candidates.py), on generated images."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from tankerwatch.inference.candidates import image_objects, new_candidates, sea_region
from tankerwatch.inference.floating import WaterMask
from tankerwatch.schema import OrientedBox
from tests.conftest import REALWORLD

GSD_M = 2.0


def harbour(objects: list[tuple[float, float, float, float, float]]) -> tuple[np.ndarray, WaterMask]:
    """A 2 m image: land on the left quarter, noisy dark water elsewhere, bright rotated rectangles (cx, cy, length
    m, beam m, axis °); and its water mask at 4 m."""
    rng = np.random.default_rng(0)
    rgb = np.clip(rng.normal((20, 40, 60), 3, (400, 600, 3)), 0, 255).astype(np.uint8)
    rgb[:, :150] = (150, 140, 120)
    for cx, cy, length, beam, axis in objects:
        corners = cv2.boxPoints(((cx, cy), (length / GSD_M, beam / GSD_M), axis)).astype(np.int32)
        cv2.fillPoly(rgb, [corners], (200, 60, 50))
    water = np.ones((200, 300), np.uint8)
    water[:, :75] = 0
    return rgb, WaterMask(water, 0.0, 0.0, 2.0, "test")


def test_a_hull_on_the_water_is_found_with_its_size_and_axis():
    rgb, mask = harbour([(400, 200, 180, 30, 30)])
    (box,) = image_objects(rgb, GSD_M, mask)
    assert math.hypot(box.cx_px - 400, box.cy_px - 200) < 3
    assert abs(box.length_px * GSD_M - 180) < 12 and abs(box.beam_px * GSD_M - 30) < 8
    assert min(abs(math.degrees(box.axis_rad) - 30) % 180, 180 - abs(math.degrees(box.axis_rad) - 30) % 180) < 4


def test_squares_small_boats_and_land_are_not_candidates():
    rgb, mask = harbour([(400, 100, 80, 80, 0), (500, 300, 16, 6, 0)])
    rgb[180:200, 40:130] = (230, 230, 230)  # a long bright shed on land
    assert image_objects(rgb, GSD_M, mask) == []


def test_a_hull_the_mask_calls_land_is_still_on_the_sea():
    water = np.ones((100, 100), bool)
    water[40:50, 30:70] = False  # a hull-sized hole in open water
    water[:, :5] = False  # the shore (touches the edge: not a hole)
    sea = sea_region(water, 4.0)
    assert sea[45, 50] and sea[:, 20].all()


def test_a_candidate_under_a_detector_box_is_left_to_the_detector():
    a = OrientedBox(100, 100, 90, 15, 0.3, 0.3, "vessel")
    b = OrientedBox(300, 100, 90, 15, 0.3, 0.3, "vessel")
    detector = [OrientedBox(102, 101, 95, 16, 0.32, 0.9, "tanker")]
    assert new_candidates([a, b], detector) == [b]


TRAIN_OK = REALWORLD / "train_ok"


@pytest.mark.skipif(not (TRAIN_OK / "spacenet6_rotterdam" / "ms2.tif").exists(), reason="licensed imagery not present")
def test_the_offshore_vessel_at_the_rotterdam_quay_is_a_candidate():
    """SpaceNet 6 tile 2 (WorldView-2, 1 m MS): the ~140 m vessel alongside the quay, centre near (165, 233) by eye."""
    import rasterio

    from tankerwatch.datasets.scene import stretch_rgb
    from tankerwatch.inference.floating import array_water_mask
    from tankerwatch.models.detector import WEIGHTS_DIR
    from tankerwatch.models.watermask import WATER_WEIGHTS_NAME, WaterMasker

    with rasterio.open(TRAIN_OK / "spacenet6_rotterdam" / "ms2.tif") as src:
        b, g, r = src.read([1, 2, 3]).astype(np.float32)
    rgb = np.clip(np.stack([r, g, b], axis=-1) / 8.0, 0, 255).astype(np.uint8)  # 11-bit DNs into 8 bits
    rgb = stretch_rgb(rgb, rgb.sum(axis=2) > 0)
    mask = array_water_mask(rgb, 1.0, WaterMasker(WEIGHTS_DIR / WATER_WEIGHTS_NAME))
    near = [c for c in image_objects(rgb, 1.0, mask) if math.hypot(c.cx_px - 165, c.cy_px - 233) < 15]
    assert len(near) == 1 and 120 <= near[0].length_px <= 160
