"""Synthetic scenes: determinism, truth on the hull, metres in UTM and EPSG:4326, domain-randomisation effects."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest
import rasterio

from tankerwatch.datasets.builder import load_truth
from tankerwatch.datasets.scene import open_scene
from tankerwatch.datasets.synth import (
    SceneSpec, ShipSpec, generate_scene, random_spec, ship_box_m, truth_features, write_scene,
)
from tankerwatch.schema import SHIP_CLASSES
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


# the lean is along the ship (heading 30 deg): the deck overhangs the bow, the sides stay clear
@pytest.mark.parametrize("effects", [
    {},
    {"off_nadir_deg": 20.0, "off_nadir_az_deg": 30.0},
    {"cloud_cover": 0.6},
    {"off_nadir_deg": 25.0, "off_nadir_az_deg": 210.0, "cloud_cover": 0.4, "water_style": "deep"},
], ids=["plain", "off-nadir", "clouds", "off-nadir+clouds+deep"])
def test_truth_footprint_sits_on_the_rendered_hull(scene_factory, one_tanker_ship, effects):
    tif = scene_factory("h", land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0, seed=4, **effects)
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


# --- domain randomisation: every effect is a SceneSpec field, off by default --------------------------------
EFFECTS = {
    "water_style": "deep",
    "glint": 0.8,
    "wakes": True,
    "cloud_cover": 0.4,
    "off_nadir_deg": 20.0,
    "jpeg_quality": 50,
    "pansharpen_fringe": 1.0,
    "colour_jitter": 1.0,
    "port_structures": True,
    "quay_clutter": True,
    "ship_variety": True,
    "n_yachts": 4,
}
# ships the renderer itself places; only the port structures (which block berths and water) move them
MOVES_SHIPS = {"port_structures"}
BASE = dict(seed=3, gsd_m=1.0, n_tankers=3, n_others=3)


def _poses(scene) -> list[tuple]:
    return [(s.kind, s.length_m, s.beam_m, s.x_m, s.y_m, s.heading_deg) for s in scene.ships if s.kind != "yacht"]


def test_effect_defaults_are_off():
    spec = SceneSpec()
    assert all(getattr(spec, name) in (0, 0.0, False, None, "classic") for name in EFFECTS)
    assert spec.off_nadir_az_deg == 0.0


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_each_effect_changes_the_image_only_when_enabled(name):
    # wakes need ships away from any berth: open water
    base_kw = dict(BASE, land=name != "wakes")
    base = generate_scene(small_spec(**base_kw))
    off = generate_scene(small_spec(**base_kw, **{name: SceneSpec.__dataclass_fields__[name].default}))
    on = generate_scene(small_spec(**base_kw, **{name: EFFECTS[name]}))
    assert np.array_equal(off.image, base.image)
    assert not np.array_equal(on.image, base.image), f"{name} left the image as it was"
    assert on.image.shape == base.image.shape and on.image.dtype == base.image.dtype
    if name not in MOVES_SHIPS:  # sensing and drawing effects leave the ships (and their truth) where they were
        assert _poses(on) == _poses(base)


def test_sensor_effects_keep_the_requested_bands_and_depth():
    spec = small_spec(bit_depth=12, bands=4, n_tankers=1, n_others=0, jpeg_quality=60, colour_jitter=1.0,
                      pansharpen_fringe=1.0, cloud_cover=0.3, glint=0.5)
    img = generate_scene(spec).image
    assert img.shape[0] == 4 and img.dtype == np.uint16 and img.max() < 4096


def test_off_nadir_leans_the_superstructure_but_not_the_truth(one_tanker_ship):
    kw = dict(land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0, seed=4)
    plain = generate_scene(small_spec(**kw))
    leaning = generate_scene(small_spec(**kw, off_nadir_deg=25.0, off_nadir_az_deg=120.0))
    assert truth_features(plain, "a")["features"][0]["geometry"] == truth_features(leaning, "a")["features"][0]["geometry"]
    # the bright aft accommodation block moves towards azimuth 120 deg (image east-south-east)
    def bright_centre(scene):  # the white block is the brightest thing in the scene: its 120 brightest pixels
        grey = scene.image.astype(float).mean(axis=0)
        rows, cols = np.unravel_index(np.argsort(grey, axis=None)[-120:], grey.shape)
        return np.array([cols.mean(), rows.mean()])
    shift = bright_centre(leaning) - bright_centre(plain)
    az = np.radians(120.0)
    assert shift @ np.array([np.sin(az), -np.cos(az)]) > 5  # pixels (1 m GSD), ~25-30 m up * tan 25 deg


def test_yachts_are_labelled_vessel():
    scene = generate_scene(small_spec(land=False, n_tankers=0, n_others=0, n_yachts=6, seed=5))
    feats = truth_features(scene, "y")["features"]
    assert len(feats) >= 3
    assert {f["properties"]["kind"] for f in feats} == {"yacht"}
    assert {f["properties"]["class"] for f in feats} == {"vessel"}
    assert all(9 <= f["properties"]["length_m"] <= 71 for f in feats)


def test_yachts_berth_in_a_marina(tmp_path):
    scene = generate_scene(small_spec(seed=2, width_m=800.0, height_m=800.0, n_tankers=0, n_others=0,
                                      n_yachts=10, port_structures=True))
    yachts = [s for s in scene.ships if s.kind == "yacht"]
    assert yachts and {s.ship_class for s in yachts} == {"vessel"}
    # load_truth (the dataset builder) takes the new kind: its class is one the detector knows
    tif = write_scene(scene, tmp_path, "marina")
    assert {b.class_name for b in load_truth(open_scene(tif))} <= set(SHIP_CLASSES)


@pytest.mark.parametrize("land", [True, False])
def test_hard_negatives_have_no_truth_and_ships_keep_clear_of_them(land):
    empty = generate_scene(small_spec(seed=6, width_m=900.0, height_m=900.0, land=land, n_tankers=0, n_others=0,
                                      port_structures=True, quay_clutter=True))
    assert empty.structures, "no breakwater, jetty or dock was drawn"
    assert truth_features(empty, "e")["features"] == []
    plain = generate_scene(small_spec(seed=6, width_m=900.0, height_m=900.0, land=land, n_tankers=0, n_others=0))
    assert not np.array_equal(empty.image, plain.image)
    busy = generate_scene(small_spec(seed=6, width_m=900.0, height_m=900.0, land=land, n_tankers=8, n_others=8,
                                     n_yachts=6, port_structures=True, quay_clutter=True))
    assert len(busy.ships) >= 8
    for s in busy.ships:
        assert not any(ship_box_m(s).intersects(g) for g in busy.structures), s


def test_ships_rafted_together_have_no_wake():
    a = ShipSpec("product_tanker", 120.0, 18.0, 200.0, 200.0, 90.0)
    b = ShipSpec("chemical_tanker", 110.0, 17.0, 200.0, 222.0, 90.0)
    kw = dict(land=False, n_tankers=0, n_others=0, seed=8)
    still = generate_scene(small_spec(ships=[a, b], **kw))
    a2, b2 = (ShipSpec(**vars(s)) for s in (a, b))
    with_wakes = generate_scene(small_spec(ships=[a2, b2], wakes=True, **kw))
    assert np.array_equal(still.image, with_wakes.image)


def test_same_seed_gives_same_bytes_with_every_effect_on(tmp_path):
    spec = dict(BASE, width_m=600.0, height_m=600.0, water_style="black", glint=0.6, wakes=True, cloud_cover=0.3,
                off_nadir_deg=22.0, off_nadir_az_deg=75.0, jpeg_quality=55, pansharpen_fringe=1.2, colour_jitter=0.8,
                port_structures=True, quay_clutter=True, ship_variety=True, n_yachts=6)
    a = write_scene(generate_scene(small_spec(**spec)), tmp_path / "a", "s")
    b = write_scene(generate_scene(small_spec(**spec)), tmp_path / "b", "s")
    assert a.read_bytes() == b.read_bytes()
    assert a.with_name("s.truth.geojson").read_bytes() == b.with_name("s.truth.geojson").read_bytes()
    c = write_scene(generate_scene(small_spec(**dict(spec, seed=4))), tmp_path / "c", "s")
    assert a.read_bytes() != c.read_bytes()


def test_random_spec_samples_every_effect_on_and_off():
    specs = [random_spec(seed, extent_m=300.0) for seed in range(40)]
    assert all(0.3 <= s.gsd_m <= 3.0 for s in specs) and max(s.gsd_m for s in specs) > 2.0
    for name in EFFECTS:
        values = {json.dumps(getattr(s, name)) for s in specs}
        default = json.dumps(SceneSpec.__dataclass_fields__[name].default)
        assert default in values and len(values) > 1, name
    assert all(40 <= s.jpeg_quality <= 90 for s in specs if s.jpeg_quality is not None)
    # the fields that existed before stay what they were for a seed (only the GSD range grew)
    narrow = random_spec(5, gsd_range=(0.3, 2.0))
    assert (narrow.n_tankers, narrow.n_others, narrow.bands, narrow.bit_depth) == (5, 6, 4, 8)
