"""The second-stage training set: samples from rendered scenes, real labelled boxes, seeds kept apart."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Polygon

from tankerwatch.datasets import stage_dataset
from tankerwatch.datasets.backgrounds import read_ship_labels, shipsnet_scenes
from tankerwatch.datasets.samples import (
    ANY_SHIP,
    KIND_TYPE,
    NOT_SHIP,
    box_polygon,
    negative_chips,
    scene_rgb,
    ship_box_px,
    truth_chips,
    water_tile,
)
from tankerwatch.datasets.synth import EVAL_SEED_BASE, SHIP_KINDS, generate_scene, ship_box_m
from tankerwatch.models.shiptype import CHIP_PX, SHIP_TYPES
from tankerwatch.schema import TankerwatchError
from tests.conftest import REALWORLD, small_spec


def test_every_renderer_kind_has_a_type():
    assert set(KIND_TYPE) == set(SHIP_KINDS) and set(KIND_TYPE.values()) <= set(SHIP_TYPES)


def test_truth_box_in_pixels_covers_the_ship():
    scene = generate_scene(small_spec(gsd_m=0.5, land=False))
    for s in scene.ships:
        box = box_polygon(ship_box_px(s, 0.5))
        truth = Polygon(np.asarray(ship_box_m(s).exterior.coords) / 0.5)
        assert box.intersection(truth).area / box.union(truth).area > 0.98


def test_scene_chips_and_water_tile():
    scene = generate_scene(small_spec(seed=3, gsd_m=1.0))
    rgb = scene_rgb(scene)
    rng = np.random.default_rng(0)
    pos, neg = truth_chips(scene, rgb, rng), negative_chips(scene, rgb, rng, 6)
    assert len(pos.labels) == 2 * len(scene.ships) and NOT_SHIP not in pos.labels
    assert neg.labels == [NOT_SHIP] * len(neg.labels) and len(neg.labels) >= 3
    assert pos.chips[0].shape == (CHIP_PX[1], CHIP_PX[0], 3)
    image, truth = water_tile(scene, rgb)
    assert image.shape[:2] == truth.shape == (100, 100)
    assert 0.1 < truth.mean() < 0.95  # a coast: land and water


def test_training_seeds_never_reach_the_evaluation_seeds(tmp_path):
    with pytest.raises(TankerwatchError, match="evaluation seeds"):
        stage_dataset.build_stage_dataset(tmp_path, 10, seed0=EVAL_SEED_BASE - 5, use_detector=False)


def test_seed_fixes_the_scene_kind():
    kinds = [stage_dataset.scene_kind(s) for s in range(300)]
    assert kinds == [stage_dataset.scene_kind(s) for s in range(300)]
    shares = {k: kinds.count(k) / 300 for k, _ in stage_dataset.MIX}
    assert all(abs(shares[k] - share) < 0.08 for k, share in stage_dataset.MIX)


def test_ship_labels_parse_and_bad_rows_name_the_line(tmp_path):
    labels = read_ship_labels()
    assert len(labels) > 300 and any(b.is_ship for b in labels) and not all(b.is_ship for b in labels)
    assert all(0 <= b.box.axis_rad < math.pi + 1e-9 and b.box.length_px >= b.box.beam_px for b in labels)
    bad = tmp_path / "labels.csv"
    bad.write_text("file,cx_px,cy_px,length_px,beam_px,axis_deg,label\nscene_1.png,1,2,30,5,10,boat\n")
    with pytest.raises(TankerwatchError, match="labels.csv:2: bad label row"):
        read_ship_labels(bad)


@pytest.mark.skipif(
    not (REALWORLD / "train_ok" / "shipsnet_scenes").is_dir(), reason="needs ../shared/realworld/train_ok"
)
def test_real_labelled_chips_hold_out_the_validation_scene():
    train, val = stage_dataset.real_labelled_chips(REALWORLD / "train_ok", 0)
    assert set(train.labels) == {ANY_SHIP, NOT_SHIP} and set(val.labels) == {ANY_SHIP, NOT_SHIP}
    held = sum(1 for b in read_ship_labels() if b.file == "scene_4.png")
    assert len(val.labels) == held and len(shipsnet_scenes(REALWORLD / "train_ok")) == 4
