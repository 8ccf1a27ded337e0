"""Ship type on native pixels: chips cut along the hull, verdicts, and the stage in the pipeline."""

from __future__ import annotations

import math

import cv2
import numpy as np

from tankerwatch.inference.classify import classify, is_ship, ships_only, verdict
from tankerwatch.models.shiptype import CHIP_PX, SHIP_TYPES, hull_chip, size_features
from tankerwatch.schema import OrientedBox


def test_chip_runs_along_the_hull():
    img = np.zeros((600, 600, 3), np.uint8)
    axis = math.radians(30)
    c = np.array([300.0, 300.0])
    u = np.array([math.cos(axis), math.sin(axis)])
    cv2.line(img, tuple((c - 100 * u).astype(int)), tuple((c + 100 * u).astype(int)), (255, 255, 255), 12)
    chip = hull_chip(img, OrientedBox(300, 300, 200, 12, axis, 0.9, "tanker"))
    assert chip.shape == (CHIP_PX[1], CHIP_PX[0], 3)
    rows = chip[..., 0].mean(axis=1)
    assert rows[CHIP_PX[1] // 2] > 150 and rows[0] < 20 and rows[-1] < 20  # the bar lies along the middle row
    cols = chip[CHIP_PX[1] // 2, :, 0]
    assert cols[CHIP_PX[0] // 2] > 200 and cols[2] < 20  # padded ends are background


def test_chip_of_a_box_at_the_image_edge_has_full_size():
    img = np.full((100, 100, 3), 90, np.uint8)
    chip = hull_chip(img, OrientedBox(5, 50, 80, 12, 0.0, 0.9, "vessel"))
    assert chip.shape == (CHIP_PX[1], CHIP_PX[0], 3)


def test_verdict_renormalises_without_not_ship():
    p = np.array([0.3, 0.1, 0.05, 0.05, 0.0, 0.5])
    v = verdict(p)
    assert v.type_name == "tanker" and v.class_name == "tanker"
    assert abs(sum(v.probabilities.values()) - 1) < 1e-3 and abs(v.probabilities["tanker"] - 0.6) < 1e-3
    assert v.p_not_ship == 0.5 and not is_ship(v, 0.5) and is_ship(v, 0.6)
    assert verdict(np.array([0.1, 0.7, 0.1, 0.05, 0.05, 0.0])).class_name == "vessel"


def test_classify_passes_sizes_to_the_typer():
    seen = {}

    class Typer:
        def predict(self, chips, sizes_m):
            seen["sizes"] = sizes_m
            out = np.zeros((len(chips), len(SHIP_TYPES)), np.float32)
            out[:, SHIP_TYPES.index("bulk_carrier")] = 1.0
            return out

    chips = [np.zeros((CHIP_PX[1], CHIP_PX[0], 3), np.uint8)] * 2
    v = classify(Typer(), chips, [(180.0, 30.0), (90.0, 15.0)])
    assert [x.type_name for x in v] == ["bulk_carrier", "bulk_carrier"]
    assert seen["sizes"] == [(180.0, 30.0), (90.0, 15.0)]
    assert classify(Typer(), [], []) == []


def test_ships_only_drops_what_is_not_a_ship():
    class Typer:
        def predict(self, chips, sizes_m):
            return np.array([[0.9, 0, 0, 0, 0, 0.1], [0.2, 0, 0, 0, 0, 0.8], [0.4, 0, 0, 0, 0, 0.6]], np.float32)

    chips = [np.zeros((CHIP_PX[1], CHIP_PX[0], 3), np.uint8)] * 3
    kept = ships_only(Typer(), chips, [(100.0, 16.0)] * 3, [0.7] * 3)
    assert [i for i, _ in kept] == [0, 2] and kept[1][1].type_name == "tanker"
    # each hull has its own limit: a water object (stricter) next to detector boxes
    assert [i for i, _ in ships_only(Typer(), chips, [(100.0, 16.0)] * 3, [0.7, 0.9, 0.5])] == [0, 1]


def test_size_features_order_lengths():
    small, big = size_features(40, 8), size_features(250, 40)
    assert big[0] > small[0] and big[1] > small[1]


def test_water_objects_get_the_stricter_not_a_ship_limit():
    from tankerwatch.config import StageConfig
    from tankerwatch.inference.classify import not_ship_limits

    st = StageConfig(not_ship_threshold=0.5, object_not_ship_threshold=0.3)
    assert not_ship_limits(st, 2, 1) == [0.5, 0.5, 0.3]
    assert not_ship_limits(st, 0, 0) == []
