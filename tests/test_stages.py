"""Second-stage training: one short epoch of each model on tiny arrays, weights that load, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from tankerwatch.models.shiptype import CHIP_PX, SHIP_TYPES, ShipTyper
from tankerwatch.models.watermask import WaterMasker
from tankerwatch.schema import TankerwatchError
from tankerwatch.training.stages import (
    StageTrainConfig,
    confusion,
    train_ship_type,
    train_water_mask,
    type_metrics,
    water_iou,
)


def _chips_npz(tmp_path, n: int = 48):
    rng = np.random.default_rng(0)
    labels = np.arange(n) % len(SHIP_TYPES)
    chips = rng.integers(0, 40, (n, CHIP_PX[1], CHIP_PX[0], 3)).astype(np.uint8)
    chips[labels == 0, 20:28] = 230  # tankers: a bright deck stripe, learnable
    sizes = rng.normal(0, 1, (n, 3)).astype(np.float32)
    path = tmp_path / "chips.npz"
    np.savez(path, chips=chips, sizes=sizes, labels=labels.astype(np.int64), types=np.asarray(SHIP_TYPES))
    return path


def test_ship_type_trains_and_loads(tmp_path):
    out = tmp_path / "ship-type.pt"
    m = train_ship_type(_chips_npz(tmp_path), out, StageTrainConfig(epochs=1, batch=16, width=8), log=lambda _: None)
    assert out.exists() and out.with_name(out.name + ".sha256").exists()
    assert 0 <= m["accuracy"] <= 1 and len(m["confusion"]["matrix"]) == len(SHIP_TYPES)
    typer = ShipTyper(out)
    p = typer.predict([np.zeros((CHIP_PX[1], CHIP_PX[0], 3), np.uint8)] * 3, [(100.0, 16.0)] * 3)
    assert p.shape == (3, len(SHIP_TYPES)) and np.allclose(p.sum(axis=1), 1, atol=1e-5)


def test_ship_type_rejects_other_types(tmp_path):
    path = tmp_path / "chips.npz"
    np.savez(
        path,
        chips=np.zeros((2, 4, 4, 3), np.uint8),
        sizes=np.zeros((2, 3), np.float32),
        labels=np.zeros(2, np.int64),
        types=np.asarray(["tanker", "ship"]),
    )
    with pytest.raises(TankerwatchError, match="chips.npz: types"):
        train_ship_type(path, tmp_path / "x.pt", StageTrainConfig(epochs=1), log=lambda _: None)


def test_water_mask_trains_and_loads(tmp_path):
    tiles = {}
    for i in range(4):
        img = np.full((96, 140, 3), 150, np.uint8)
        truth = np.zeros((96, 140), np.uint8)
        img[:, 70:] = (20, 40, 60)
        truth[:, 70:] = 1
        truth[:4] = 255  # ignored rows
        tiles[f"image_{i}"], tiles[f"truth_{i}"] = img, truth
    np.savez(tmp_path / "water.npz", **tiles)
    out = tmp_path / "water-mask.pt"
    m = train_water_mask(
        tmp_path / "water.npz",
        out,
        StageTrainConfig(epochs=1, batch=4, width=4, val_share=0.25),
        crops_per_tile=1,
        log=lambda _: None,
    )
    assert m["heldout_tiles"] == 1 and m["water_iou"] is not None
    prob = WaterMasker(out).predict(tiles["image_0"])
    assert prob.shape == (96, 140) and 0 <= prob.min() <= prob.max() <= 1


def test_metrics_on_hand_made_cases():
    m = confusion(np.array([0, 0, 1, 5]), np.array([0, 1, 1, 0]))
    tm = type_metrics(m)
    assert tm["accuracy"] == 0.5
    assert tm["per_type"]["tanker"] == {"precision": 0.5, "recall": 0.5, "n": 2}
    w = water_iou(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 255]))
    assert w["water_iou"] == 0.5 and w["land_iou"] == 0.5 and abs(w["pixel_accuracy"] - 2 / 3) < 1e-9
