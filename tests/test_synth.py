"""Synthetic scenes: determinism, truth on the hull, metres in UTM and EPSG:4326."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest
import rasterio

from tankerwatch.datasets.builder import load_truth
from tankerwatch.datasets.scene import open_scene
from tankerwatch.datasets.synth import generate_scene
from tests.conftest import small_spec


def test_same_seed_gives_same_bytes(tmp_path, scene_factory):
    a = scene_factory("a", seed=11)
    b = scene_factory("b", seed=11)
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
    c = scene_factory("c", seed=12)
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("crs", ["utm", "EPSG:4326"])
def test_truth_dimensions_are_metres_through_the_georeferencing(scene_factory, one_tanker_ship, crs):
    tif = scene_factory("t", crs=crs, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0)
    truth = json.loads(tif.with_name("t.truth.geojson").read_text())
    props = truth["features"][0]["properties"]
    assert props["class"] == "tanker" and props["imo"] == "1000019"
    assert props["length_m"] == pytest.approx(120.0, rel=0.002)
    assert props["beam_m"] == pytest.approx(18.0, rel=0.005)
    # grid heading 30 deg; UTM grid north differs from true north by the meridian convergence (< 1.5 deg here)
    assert props["heading_deg"] == pytest.approx(30.0, abs=1.5)


def _differs_from_sea(img: np.ndarray, cols: np.ndarray, rows: np.ndarray, sea: np.ndarray, by: float = 12) -> np.ndarray:
    """Whether pixels at (col, row) differ clearly from the local sea colour."""
    r, c = np.round(rows).astype(int), np.round(cols).astype(int)
    return np.abs(img[:, r, c] - sea[:, r, c]).max(axis=0) > by


def test_truth_footprint_sits_on_the_rendered_hull(scene_factory, one_tanker_ship):
    tif = scene_factory("h", land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0, seed=4)
    scene = open_scene(tif)
    (box,) = load_truth(scene)
    with rasterio.open(tif) as src:
        raw = src.read()
    img = raw.astype(float)
    # local sea colour (haze and turbidity vary across the scene): a median wider than the beam
    sea = np.stack([cv2.medianBlur(band, 61) for band in raw]).astype(float)
    c = box.corners_px
    centre = c.mean(axis=0)
    u = (c[0] - c[1]) / np.linalg.norm(c[0] - c[1])  # along one side
    v = (c[1] - c[2]) / np.linalg.norm(c[1] - c[2])
    side_u, side_v = np.linalg.norm(c[0] - c[1]), np.linalg.norm(c[1] - c[2])
    # inside: a grid over the central 90 % of the footprint is nearly all hull
    a, b = np.meshgrid(np.linspace(-0.45, 0.45, 40), np.linspace(-0.4, 0.4, 10))
    pts = centre + a.reshape(-1, 1) * side_u * u + b.reshape(-1, 1) * side_v * v
    assert _differs_from_sea(img, pts[:, 0], pts[:, 1], sea).mean() > 0.85
    # outside: 3 m beyond each pair of opposite sides, at least one side is open sea (the other may be shadow)
    for axis, half, other, other_half in ((u, side_u / 2, v, side_v / 2), (v, side_v / 2, u, side_u / 2)):
        t = np.linspace(-0.8, 0.8, 30)[:, None] * other_half * other
        fractions = [
            _differs_from_sea(img, *(centre + sign * (half + 3.0) * axis + t).T, sea).mean() for sign in (1, -1)
        ]
        assert min(fractions) < 0.2, fractions


def test_sensor_variants_write_requested_bands_and_depth():
    scene = generate_scene(small_spec(bit_depth=12, bands=4, n_tankers=1, n_others=0))
    assert scene.image.shape[0] == 4 and scene.image.dtype == np.uint16
    assert scene.image.max() < 4096 and scene.image.max() > 255
