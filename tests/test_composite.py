"""Rendered ships on real-looking water (datasets/composite.py) and the transfer dataset, on generated images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tankerwatch.datasets.composite import Background, composite, paste_sprite, pick_pose, real_look
from tankerwatch.datasets.synth import random_ship, render_ship_sprite
from tests.conftest import DarkIsWater


def sprite(kind: str = "product_tanker", gsd_m: float = 1.0, heading: float = 0.0, underway: bool = False):
    ship = random_ship(kind, np.random.default_rng(3))
    ship.heading_deg = heading
    return render_ship_sprite(ship, gsd_m, seed=3, underway=underway)


def test_a_sprite_hull_has_the_ship_length_along_its_heading():
    sp = sprite(heading=0.0)
    rows = np.nonzero(sp.hull.any(axis=1))[0]
    cols = np.nonzero(sp.hull.any(axis=0))[0]
    assert abs((rows.max() - rows.min() + 1) - sp.ship.length_m) < 0.08 * sp.ship.length_m
    assert (cols.max() - cols.min() + 1) < 1.5 * sp.ship.beam_m


def test_pasting_puts_the_hull_on_the_water_and_leaves_far_pixels_alone():
    bg = np.full((600, 600, 3), (30.0, 60.0, 80.0), np.float32)
    sp = sprite(heading=90.0)
    paste_sprite(bg, sp, 300.0, 300.0, np.random.default_rng(0))
    assert np.abs(bg[300, 300] - (30, 60, 80)).max() > 20  # the hull's middle
    assert np.allclose(bg[10, 10], (30, 60, 80)) and np.allclose(bg[590, 10], (30, 60, 80))


def test_a_pose_lies_wholly_on_free_water_or_there_is_none():
    water = np.zeros((300, 300), bool)
    water[:, 150:] = True
    occupied = np.zeros_like(water)
    rng = np.random.default_rng(1)
    for alongside in (False, True):
        col, row, heading = pick_pose(water, occupied, 80, 14, rng, alongside)
        assert col > 150 + 6
    assert pick_pose(np.zeros_like(water), occupied, 80, 14, rng, False) is None


def test_the_real_look_keeps_the_image_shape_and_changes_pixels():
    rgb = np.random.default_rng(0).integers(0, 255, (64, 80, 3)).astype(np.uint8)
    looks = [real_look(rgb, np.random.default_rng(s)) for s in range(8)]
    assert all(x.shape == rgb.shape and x.dtype == np.uint8 for x in looks)
    assert sum(not np.array_equal(x, rgb) for x in looks) >= 4


def half_water_background(gsd_m: float = 3.0) -> Background:
    """A generated 'real' image smaller than a composite's crop: land on the left, dark water on the right."""
    rgb = np.full((240, 240, 3), (25, 45, 60), np.uint8)
    rgb[:, :70] = (150, 140, 120)
    water = np.zeros((240, 240), bool)
    water[:, 70:] = True
    return Background(rgb, np.ones_like(water), water, gsd_m, "test/half", "train")


def test_composite_ships_are_on_the_water_and_labelled():
    bg = half_water_background()
    rgb, boxes = composite(bg, np.random.default_rng(0), 4, seed=1)
    assert rgb.shape[2] == 3 and 1 <= len(boxes) <= 4
    for b in boxes:
        assert b.class_name in ("tanker", "vessel")
        assert (b.corners_px[:, 0] > 68).all()  # the crop is the whole image: its columns are the image's


@pytest.fixture(scope="module")
def transfer_data(tmp_path_factory):
    """A tiny transfer dataset: one rendered scene, composites on a generated ShipsNet-named scene, real land."""
    from tankerwatch.datasets.transfer_dataset import build_transfer_dataset

    root = tmp_path_factory.mktemp("transfer")
    ok = root / "train_ok" / "shipsnet_scenes"
    ok.mkdir(parents=True)
    cv2.imwrite(str(ok / "scene_1.png"), half_water_background().rgb[..., ::-1])
    data, counts = build_transfer_dataset(
        root / "ds",
        root / "train_ok",
        1,
        1,
        3,
        0,
        seed=11,
        chip_px=128,
        max_chips=2,
        land_per_class=0,
        workers=1,
        masker=DarkIsWater(),
    )
    return data, counts


def test_the_transfer_dataset_has_rendered_and_composite_chips(transfer_data):
    data, counts = transfer_data
    assert counts.rendered["train"] >= 1 and counts.composite["train"] >= 3
    labels = list((data.parent / "labels" / "train").glob("comp_*.txt"))
    assert labels and any(p.read_text().strip() for p in labels)
    assert not list((data.parent / "scenes" / "train").glob("*.tif"))  # rendered scenes are not kept


def test_evaluation_seeds_are_refused(tmp_path):
    from tankerwatch.datasets.transfer_dataset import build_transfer_dataset
    from tankerwatch.schema import TankerwatchError

    with pytest.raises(TankerwatchError, match="evaluation only"):
        build_transfer_dataset(tmp_path / "ds", tmp_path, 1, 1, 0, 0, seed=8_999_999)


@pytest.mark.slow
def test_one_epoch_fine_tunes_the_bundled_detector_on_composited_chips(transfer_data, tmp_path):
    import json

    from tankerwatch.models.detector import verify_sha256
    from tankerwatch.training.train import TrainConfig, train

    data, _ = transfer_data
    cfg = TrainConfig(
        architecture="n",
        epochs=1,
        imgsz=128,
        batch=4,
        seed=0,
        device="cpu",
        workers=0,
        init_weights="bundled",
        hyper={"mosaic": 0.0},
    )
    best = train(cfg, data, tmp_path / "run")
    verify_sha256(best)
    summary = json.loads((tmp_path / "run" / "train_summary.json").read_text())
    assert summary["config"]["init_weights"] == "bundled" and summary["val_metrics"]["epoch"] == 1
