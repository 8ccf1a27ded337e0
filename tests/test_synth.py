"""Synthetic scenes: determinism, truth on the hull, metres in UTM and EPSG:4326, domain-randomisation effects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from click.testing import CliRunner
from rasterio.features import rasterize
from shapely.geometry import Point, shape

from tankerwatch.cli import main
from tankerwatch.datasets.builder import load_truth
from tankerwatch.datasets.scene import open_scene
from tankerwatch.datasets.synth import (
    EVAL_SEED_BASE,
    SHIP_KINDS,
    SceneSpec,
    ShipSpec,
    _Livery,
    _Renderer,
    _ShipFrame,
    generate_scene,
    hard_port_spec,
    open_sea_spec,
    random_ship,
    random_spec,
    render_ship_sprite,
    ship_box_m,
    truth_features,
    water_truth,
    write_scene,
)
from tankerwatch.datasets.synth.hard_land import BELT_USES, HINTERLAND_USES, Parcel
from tankerwatch.geo import from_lonlat_transformer
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


def _differs_from_sea(
    img: np.ndarray, cols: np.ndarray, rows: np.ndarray, sea: np.ndarray, by: float = 12
) -> np.ndarray:
    """Whether pixels at (col, row) differ clearly from the local sea colour."""
    r, c = np.round(rows).astype(int), np.round(cols).astype(int)
    return np.abs(img[:, r, c] - sea[:, r, c]).max(axis=0) > by


# the lean is along the ship (heading 30 deg): the deck overhangs the bow, the sides stay clear
@pytest.mark.parametrize(
    "effects",
    [
        {},
        {"off_nadir_deg": 20.0, "off_nadir_az_deg": 30.0},
        {"cloud_cover": 0.6},
        {"off_nadir_deg": 25.0, "off_nadir_az_deg": 210.0, "cloud_cover": 0.4, "water_style": "deep"},
    ],
    ids=["plain", "off-nadir", "clouds", "off-nadir+clouds+deep"],
)
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
    spec = small_spec(
        bit_depth=12,
        bands=4,
        n_tankers=1,
        n_others=0,
        jpeg_quality=60,
        colour_jitter=1.0,
        pansharpen_fringe=1.0,
        cloud_cover=0.3,
        glint=0.5,
    )
    img = generate_scene(spec).image
    assert img.shape[0] == 4 and img.dtype == np.uint16 and img.max() < 4096


def test_off_nadir_leans_the_superstructure_but_not_the_truth(one_tanker_ship):
    kw = dict(land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0, seed=4)
    plain = generate_scene(small_spec(**kw))
    leaning = generate_scene(small_spec(**kw, off_nadir_deg=25.0, off_nadir_az_deg=120.0))
    plain_truth, leaning_truth = truth_features(plain, "a"), truth_features(leaning, "a")
    assert plain_truth["features"][0]["geometry"] == leaning_truth["features"][0]["geometry"]

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
    scene = generate_scene(
        small_spec(seed=2, width_m=800.0, height_m=800.0, n_tankers=0, n_others=0, n_yachts=10, port_structures=True)
    )
    yachts = [s for s in scene.ships if s.kind == "yacht"]
    assert yachts and {s.ship_class for s in yachts} == {"vessel"}
    # load_truth (the dataset builder) takes the new kind: its class is one the detector knows
    tif = write_scene(scene, tmp_path, "marina")
    assert {b.class_name for b in load_truth(open_scene(tif))} <= set(SHIP_CLASSES)


@pytest.mark.parametrize("land", [True, False])
def test_hard_negatives_have_no_truth_and_ships_keep_clear_of_them(land):
    empty = generate_scene(
        small_spec(
            seed=6,
            width_m=900.0,
            height_m=900.0,
            land=land,
            n_tankers=0,
            n_others=0,
            port_structures=True,
            quay_clutter=True,
        )
    )
    assert empty.structures, "no breakwater, jetty or dock was drawn"
    assert truth_features(empty, "e")["features"] == []
    plain = generate_scene(small_spec(seed=6, width_m=900.0, height_m=900.0, land=land, n_tankers=0, n_others=0))
    assert not np.array_equal(empty.image, plain.image)
    busy = generate_scene(
        small_spec(
            seed=6,
            width_m=900.0,
            height_m=900.0,
            land=land,
            n_tankers=8,
            n_others=8,
            n_yachts=6,
            port_structures=True,
            quay_clutter=True,
        )
    )
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
    spec = dict(
        BASE,
        width_m=600.0,
        height_m=600.0,
        water_style="black",
        glint=0.6,
        wakes=True,
        cloud_cover=0.3,
        off_nadir_deg=22.0,
        off_nadir_az_deg=75.0,
        jpeg_quality=55,
        pansharpen_fringe=1.2,
        colour_jitter=0.8,
        port_structures=True,
        quay_clutter=True,
        ship_variety=True,
        n_yachts=6,
    )
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


# --- hard land, open sea, land/water truth ---------------------------------------------------------------
# sha256 of the image bytes of two small specs, taken from the renderer before hard_land, swell and other_kinds
# existed: a spec that sets none of them must render byte for byte as it did (the bundled detector's training data).
# (A new OpenCV or NumPy that rasterises differently would change these too: re-derive them from the old commit.)
RENDERED_BEFORE = {
    "plain": (dict(), "5ed03d536d1fd43ce06af9b1b484c448d8e04e3fd5102e0d2407219cae68f802"),
    "structures+clutter+variety+yachts": (
        dict(seed=3, port_structures=True, quay_clutter=True, ship_variety=True, n_yachts=3),
        "3f14e3871def1a39295ce585f86321af4ff33d428744594d4e3c00e9f2d206c1",
    ),
}
NEW_EFFECTS = {"hard_land": True, "swell": 0.8}
HARD = dict(seed=3, width_m=300.0, height_m=300.0, gsd_m=1.0, n_tankers=2, n_others=2)


@pytest.mark.parametrize("name", sorted(RENDERED_BEFORE))
def test_specs_without_the_new_fields_render_as_before(name):
    kw, digest = RENDERED_BEFORE[name]
    spec = small_spec(width_m=300.0, height_m=300.0, **kw)
    assert hashlib.sha256(generate_scene(spec).image.tobytes()).hexdigest() == digest
    explicit = small_spec(width_m=300.0, height_m=300.0, hard_land=False, swell=0.0, other_kinds=None, **kw)
    assert hashlib.sha256(generate_scene(explicit).image.tobytes()).hexdigest() == digest


@pytest.mark.parametrize("name", sorted(NEW_EFFECTS))
def test_new_effects_are_off_by_default_and_change_the_image_only_when_on(name):
    assert SceneSpec.__dataclass_fields__[name].default in (False, 0.0)
    base = generate_scene(small_spec(**HARD))
    off = generate_scene(small_spec(**HARD, **{name: SceneSpec.__dataclass_fields__[name].default}))
    on = generate_scene(small_spec(**HARD, **{name: NEW_EFFECTS[name]}))
    assert np.array_equal(off.image, base.image)
    assert not np.array_equal(on.image, base.image)
    if name == "swell":  # drawn on the water only: ships stay where they were
        assert _poses(on) == _poses(base)


def test_hard_land_is_deterministic_and_has_land():
    a = generate_scene(small_spec(**HARD, hard_land=True, port_structures=True, quay_clutter=True))
    b = generate_scene(small_spec(**HARD, hard_land=True, port_structures=True, quay_clutter=True))
    assert np.array_equal(a.image, b.image) and _poses(a) == _poses(b)
    assert 0.05 < a.land.area / (300.0 * 300.0) < 0.95


def _parcel_renderer(seed: int = 5) -> _Renderer:
    """A rendered 700 m hard-land scene whose renderer is kept, to draw single parcels on."""
    r = _Renderer(
        small_spec(seed=seed, width_m=700.0, height_m=700.0, gsd_m=2.0, n_tankers=0, n_others=0, hard_land=True)
    )
    r.render()
    return r


BUILT_USES = {"container_yard", "stockpiles", "tank_farm", "village", "warehouses"}  # something stands on these


@pytest.mark.parametrize("use", sorted(set(BELT_USES) | set(HINTERLAND_USES) - {"natural"}))
def test_every_hard_land_use_draws_something_on_its_parcel(use):
    r = _parcel_renderer()
    hard = r.hard
    s_c = float((np.array([350.0, 350.0]) - hard.p0) @ hard.t)
    p = Parcel(s_c - 160, s_c + 160, hard.quay_w + 10, hard.quay_w + 250, use)
    mask = np.zeros((r.cv.h, r.cv.w), np.uint8)
    cv2.fillPoly(mask, [np.round(hard.quad(p.s0, p.s1, p.d0, p.d1) / r.cv.gsd).astype(np.int32)], 1)
    assert mask.sum() > 0.5 * 320 * 240 / r.cv.gsd**2, "the test parcel should lie (mostly) in the scene"
    inside = mask > 0

    def changed(before: np.ndarray) -> float:
        return float((np.abs(r.cv.rgb - before).max(axis=2) > 3)[inside].mean())

    before, tracks = r.cv.rgb.copy(), len(hard.rails)
    getattr(hard, f"_ground_{use}", lambda p: None)(p)
    ground = changed(before)
    before = r.cv.rgb.copy()
    getattr(hard, f"_build_{use}", lambda p: None)(p)
    built = changed(before)
    assert ground + built > 0.2, f"{use} drew (almost) nothing"
    if use in BUILT_USES:  # buildings, tanks, stacks or heaps cover a good part of the parcel
        assert built > 0.1, f"{use} built (almost) nothing"
    if use == "rail_yard":
        assert len(hard.rails) - tracks >= 20  # parallel tracks (trains on them come with HardLand.objects)


def test_hard_land_lays_out_ship_sized_land_features():
    r = _parcel_renderer()
    assert r.hard.parcels and r.hard.roads
    assert {p.use for p in r.hard.parcels} <= set(BELT_USES) | set(HINTERLAND_USES)
    # the hard-water structures (pontoons, breakwater segments) are structures: in the land truth, clear of ships
    assert r.negatives


def test_water_truth_is_the_land_polygon_with_ships_as_water():
    scene = generate_scene(small_spec(**dict(HARD, n_tankers=4, n_others=4), hard_land=True, port_structures=True))
    mask = water_truth(scene, 1.0)
    assert mask.shape == scene.image.shape[1:] and mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    rng = np.random.default_rng(0)
    boundary = scene.land.boundary
    checked = 0
    for x, y in rng.uniform(0, 300, (600, 2)):
        c, row = int(x), int(y)
        centre = Point(c + 0.5, row + 0.5)
        if boundary.distance(centre) < 1.0:
            continue
        assert mask[row, c] == (0 if scene.land.contains(centre) else 1), (x, y)
        checked += 1
    assert checked > 400
    assert scene.ships
    assert not any(ship_box_m(s).intersects(scene.land) for s in scene.ships)  # ships keep off land and structures
    for s in scene.ships:  # a hull floats: the water under it is water
        c, row = int(s.x_m), int(s.y_m)
        if 0 <= c < 300 and 0 <= row < 300:
            assert mask[row, c] == 1
    coarse = water_truth(scene, 4.0)
    assert coarse.shape == (75, 75)
    assert abs((1 - coarse.mean()) - scene.land.area / 300.0**2) < 0.03


@pytest.mark.parametrize("crs", ["utm", "EPSG:4326"])
def test_land_geojson_is_written_in_lonlat_and_covers_the_land(tmp_path, crs):
    scene = generate_scene(small_spec(**HARD, crs=crs, hard_land=True, port_structures=True))
    tif = write_scene(scene, tmp_path, "s")
    fc = json.loads(tif.with_name("s.land.geojson").read_text())
    (feature,) = fc["features"]
    assert feature["properties"]["kind"] == "land" and feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    geom = shape(feature["geometry"])
    lon, lat = geom.centroid.x, geom.centroid.y
    assert abs(lon - 133.065) < 0.01 and abs(lat - 42.7475) < 0.01  # WGS84 lon/lat around the scene centre
    # back into scene metres through the scene's own georeferencing
    to_crs, inverse = from_lonlat_transformer(scene.crs), ~scene.transform

    def to_m(lonlat: np.ndarray) -> np.ndarray:
        px, py = inverse * to_crs.transform(lonlat[:, 0], lonlat[:, 1])
        return np.stack([px, py], axis=1) * scene.spec.gsd_m

    back = shapely.transform(geom, to_m)
    assert back.symmetric_difference(scene.land).area < 0.005 * scene.land.area
    mask = water_truth(scene, 2.0)
    rows, cols = np.nonzero(mask == 0)
    assert all(
        back.buffer(1.5).contains(Point((c + 0.5) * 2.0, (r + 0.5) * 2.0))
        for r, c in zip(rows[::7], cols[::7], strict=True)
    )


def test_open_sea_scene_has_no_ships_no_land_and_an_empty_land_feature(tmp_path):
    spec = open_sea_spec(EVAL_SEED_BASE + 1)
    spec.width_m = spec.height_m = 300.0
    spec.gsd_m = 1.0
    scene = generate_scene(spec)
    assert scene.ships == [] and scene.structures == [] and scene.land.is_empty
    assert water_truth(scene, 1.0).min() == 1
    tif = write_scene(scene, tmp_path, "sea")
    assert json.loads(tif.with_name("sea.truth.geojson").read_text())["features"] == []
    (feature,) = json.loads(tif.with_name("sea.land.geojson").read_text())["features"]
    assert feature["properties"]["kind"] == "land" and shape(feature["geometry"]).is_empty


def test_hard_port_and_open_sea_specs():
    assert EVAL_SEED_BASE == 9_000_000
    for seed in range(30):
        for spec in (hard_port_spec(seed), hard_port_spec(EVAL_SEED_BASE + seed)):
            assert 0.3 <= spec.gsd_m <= 1.0 and spec.width_m == spec.height_m <= 2000.0
            assert spec.width_m >= min(1400.0, 5600 * spec.gsd_m) - 0.1
            assert spec.hard_land and spec.land and spec.port_structures and spec.quay_clutter
            assert 8 <= spec.n_tankers + spec.n_others <= 25
            assert {"bulk_carrier", "container_ship"} <= set(spec.other_kinds) <= set(SHIP_KINDS)
        sea = open_sea_spec(seed)
        assert 0.3 <= sea.gsd_m <= 1.0 and not sea.land and sea.n_tankers == sea.n_others == sea.n_yachts == 0
        assert not (sea.port_structures or sea.quay_clutter or sea.hard_land)
        assert sea.cloud_cover > 0 or sea.glint > 0 or sea.swell > 0
    # their own sequences: a hard-port spec is not random_spec's for the same seed, nor the open sea's
    assert hard_port_spec(5).gsd_m != open_sea_spec(5).gsd_m


def test_other_kinds_choose_the_kinds_of_the_other_ships():
    scene = generate_scene(small_spec(land=False, n_tankers=0, n_others=6, other_kinds=["bulk_carrier"], seed=9))
    kinds = [s.kind for s in scene.ships]
    # a ship may have a partner rafted alongside (a tanker or general cargo ship), whatever other_kinds says
    assert kinds.count("bulk_carrier") >= 3 and set(kinds) <= {
        "bulk_carrier",
        "product_tanker",
        "chemical_tanker",
        "general_cargo",
    }


def test_synth_command_writes_hard_port_and_open_sea_scenes(tmp_path):
    runner = CliRunner()
    both = runner.invoke(main, ["synth", "--out", str(tmp_path / "x"), "--hard-port", "--open-sea"])
    assert both.exit_code == 2 and "exclude each other" in both.output
    ok = runner.invoke(main, ["synth", "--out", str(tmp_path / "sea"), "--open-sea", "--gsd", "4", "--seed", "9000000"])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in (tmp_path / "sea").iterdir()) == [
        "opensea_9000000.json",
        "opensea_9000000.land.geojson",
        "opensea_9000000.tif",
        "opensea_9000000.truth.geojson",
    ]
    assert "--hard-port" in runner.invoke(main, ["synth", "--help"]).output


# --- liveries -------------------------------------------------------------------------------------------
# sha256 of the image bytes of small port, hard-port and open-sea scenes (variety on and off) and of a sprite, taken
# from the renderer before ShipSpec.livery existed: ships without a livery must render byte for byte as they did.
# (A new OpenCV or NumPy that rasterises differently would change these too: re-derive them from the old commit.)
_LIVERY_PORT = dict(seed=7, width_m=400.0, height_m=400.0, gsd_m=1.0, n_tankers=2, n_others=2)
_LIVERY_HARD = dict(width_m=500.0, height_m=500.0)
_LIVERY_SEA = dict(width_m=400.0, height_m=400.0, gsd_m=1.0, n_tankers=2, n_others=1)
RENDERED_BEFORE_LIVERIES = {
    "port": (lambda: SceneSpec(**_LIVERY_PORT), "e78928680d3979c5f8285704d5e005f083afd005bc144be9acb2a2dc899952de"),
    "port-variety-off-nadir": (
        lambda: SceneSpec(**_LIVERY_PORT, ship_variety=True, off_nadir_deg=15.0, off_nadir_az_deg=40.0),
        "c3a453cef6d1dc655c79ee9026aca741107d12f40257d577404c27792b50d866",
    ),
    "hard-port": (lambda: _hard(True), "8260ce215f5427abcb99c66a47cc26e9b3c4d42132f3de0d7cf2dbbf5de413c9"),
    "hard-port-no-variety": (lambda: _hard(False), "962e86e524c450ab204be8717ac50a8254773326d8a7f64b2b503f842dd4e8a4"),
    "open-sea": (
        lambda: replace(open_sea_spec(9_000_002), **_LIVERY_SEA),
        "47e034f5c3ff2941f928d3b2687c6346885218b9ea53b36df68455831242d06b",
    ),
    "open-sea-variety": (
        lambda: replace(open_sea_spec(9_000_002), **_LIVERY_SEA, ship_variety=True),
        "2ac455c4e36dc2934273f7b97fed5b17cbd485dd474fbb8e156d0f2e4a2939e7",
    ),
}


def _hard(variety: bool) -> SceneSpec:
    """A 500 m corner of a hard evaluation port (16 ships: tankers, cargo, tugs, a barge, yachts)."""
    spec = hard_port_spec(9_000_001)
    return replace(spec, **_LIVERY_HARD, gsd_m=max(spec.gsd_m, 0.8), ship_variety=variety)


def _registry_tanker(**kw) -> ShipSpec:
    return ShipSpec("product_tanker", 120.0, 18.0, 200.0, 200.0, 30.0, imo="1000019", name="TEST ONE", **kw)


@pytest.mark.parametrize("name", sorted(RENDERED_BEFORE_LIVERIES))
def test_ships_without_a_livery_render_as_before(name):
    make, digest = RENDERED_BEFORE_LIVERIES[name]
    spec = make()
    if spec.land and not spec.hard_land:  # a fixed (registry) ship as well as the drawn ones
        spec.ships = [_registry_tanker()]
    scene = generate_scene(spec)
    assert len(scene.ships) >= 3
    assert hashlib.sha256(scene.image.tobytes()).hexdigest() == digest


def test_sprites_without_a_livery_render_as_before():
    sprite = render_ship_sprite(ShipSpec("crude_tanker", 200.0, 34.0, 0, 0, 70.0), 0.8, 5, True)
    assert (
        hashlib.sha256(sprite.after.tobytes()).hexdigest()
        == "9d1ab2654401c42d2b5691928d8401dad16dbd2069f8b752e9f9e2df06d06543"
    )


def _deck_colour(seed: int, livery: int | None, variety: bool) -> np.ndarray:
    """The median drawn colour (before the sensor) of a deck patch between the manifold and the forecastle."""
    ship = ShipSpec("product_tanker", 150.0, 24.0, 200.0, 200.0, 60.0, livery=livery)
    r = _Renderer(
        small_spec(seed=seed, land=False, n_tankers=0, n_others=0, ships=[ship], gsd_m=0.5, ship_variety=variety)
    )
    r.render()
    frame = _ShipFrame(ship)
    u, v = np.meshgrid(np.linspace(0.18, 0.32, 30) * ship.length_m, np.linspace(0.12, 0.38, 12) * ship.beam_m)
    px = np.round(frame(np.stack([u.ravel(), v.ravel()], axis=1)) / 0.5).astype(int)
    return np.median(r.cv.rgb[px[:, 1], px[:, 0]], axis=0)


def test_a_livery_keeps_its_deck_colour_from_scene_to_scene():
    a, b = _deck_colour(3, 77, False), _deck_colour(4, 77, True)  # the variety stream's deck colours yield too
    assert np.allclose(a, b, atol=0.5)
    assert np.allclose(a, _Livery.of(77).tanker_deck, atol=0.5)
    assert not np.allclose(_deck_colour(3, None, False), _deck_colour(4, None, True), atol=0.5)
    assert not np.allclose(a, _deck_colour(3, 78, False), atol=0.5)


def test_a_livery_changes_only_its_ship(tmp_path):
    plain = generate_scene(SceneSpec(**_LIVERY_PORT, ship_variety=True, ships=[_registry_tanker()]))
    painted = generate_scene(SceneSpec(**_LIVERY_PORT, ship_variety=True, ships=[_registry_tanker(livery=5)]))
    assert painted.ships[0].livery == 5
    assert _poses(plain) == _poses(painted)
    # the superstructure's shadow falls up to ~65 m away; the blur and JPEG reach a few pixels
    near = rasterize(
        [(ship_box_m(painted.ships[0]).buffer(70.0), 1)],
        out_shape=plain.image.shape[1:],
        transform=Affine.scale(1.0),
        dtype="uint8",
    ).astype(bool)
    assert not np.array_equal(plain.image, painted.image)
    assert np.array_equal(plain.image[:, ~near], painted.image[:, ~near])
    truth = json.loads(write_scene(painted, tmp_path, "s").with_name("s.truth.geojson").read_text())
    assert [f["properties"]["livery"] for f in truth["features"]][:2] == [5, None]


# --- the renderer as a package (datasets/synth/) --------------------------------------------------------
# sha256 of the image bytes and the truth GeoJSON of scenes that turn every effect on, paint liveries on every deck
# kind, and of a livery sprite off nadir, taken from the one-module renderer (datasets/synth.py) before it was split
# into datasets/synth/ by concern: the split, and any later reshuffle, must draw byte for byte as it did.
# (A new OpenCV or NumPy that rasterises differently would change these too: re-derive them from the old commit.)
_EVERYTHING = dict(
    seed=31,
    width_m=700,
    height_m=700,
    gsd_m=0.8,
    crs="EPSG:4326",
    bit_depth=11,
    bands=4,
    n_tankers=4,
    n_others=5,
    water_style="green",
    glint=0.7,
    wakes=True,
    cloud_cover=0.35,
    off_nadir_deg=22.0,
    off_nadir_az_deg=300.0,
    jpeg_quality=60,
    pansharpen_fringe=1.1,
    colour_jitter=0.9,
    port_structures=True,
    quay_clutter=True,
    ship_variety=True,
    n_yachts=8,
    hard_land=True,
    swell=0.7,
)


def _painted_ships() -> list[ShipSpec]:
    """Ships of every deck kind, each with a livery."""
    return [
        ShipSpec("product_tanker", 140.0, 22.0, 300.0, 300.0, 40.0, imo="9000001", name="LIV", livery=77),
        ShipSpec("container_ship", 180.0, 27.0, 150.0, 450.0, 100.0, livery=5),
        ShipSpec("bulk_carrier", 160.0, 25.0, 450.0, 150.0, 170.0, livery=12),
        ShipSpec("lpg_carrier", 130.0, 21.0, 470.0, 470.0, 250.0, livery=3),
        ShipSpec("tug", 30.0, 10.0, 100.0, 100.0, 10.0, livery=9),
        ShipSpec("barge", 60.0, 15.0, 520.0, 80.0, 300.0, livery=11),
    ]


DRAUGHT_TRUTH = ("freeboard_m", "loaded")  # truth properties added after these digests were taken
RENDERED_BEFORE_THE_SPLIT = {  # name: (spec, image sha256, truth GeoJSON sha256)
    "every-effect-hard-land": (
        lambda: SceneSpec(**_EVERYTHING),
        "0527b5a87b4703a6027e5747b6c58849f537eb02b85458f1da314706b2ee181f",
        "4326ec2896b7612210fa9bb91570df522b7002770e5bc110524e20483dfe5087",
    ),
    "every-effect-open-sea-12-bit": (
        lambda: SceneSpec(
            **dict(
                _EVERYTHING,
                seed=32,
                land=False,
                hard_land=False,
                bit_depth=12,
                water_style="black",
                swell=0.9,
                other_kinds=["tug", "fishing", "barge"],
            )
        ),
        "2d126b819a71e962fc4cb41a115cec9fa632645880cded12f2c0694b48073259",
        "f08a41d9ac39dfef7efcbe5365c0dde72386d95fab9871ed96daf946ebedc8af",
    ),
    "liveries-off-nadir-wakes": (
        lambda: SceneSpec(
            seed=21,
            width_m=600,
            height_m=600,
            gsd_m=0.6,
            land=False,
            n_tankers=1,
            n_others=2,
            ships=_painted_ships(),
            ship_variety=True,
            off_nadir_deg=18.0,
            off_nadir_az_deg=130.0,
            wakes=True,
        ),
        "761c52968b9d06405f1feaa88c917e6c1e4145185a4ae1ea2f2f9bd643043ef4",
        "74cc3b72c7a570ce9621aec03c155ddd681fdb7d5d283def1c4e6dae532ccf82",
    ),
}


@pytest.mark.parametrize("name", sorted(RENDERED_BEFORE_THE_SPLIT))
def test_scenes_render_as_before_the_split(name):
    make, image_digest, truth_digest = RENDERED_BEFORE_THE_SPLIT[name]
    scene = generate_scene(make())
    assert hashlib.sha256(scene.image.tobytes()).hexdigest() == image_digest
    features = truth_features(scene, "s")  # what write_scene writes to <id>.truth.geojson
    for f in features["features"]:  # the properties added since (the draught truth) must not change the rest
        assert set(f["properties"]).issuperset(DRAUGHT_TRUTH)
        for key in DRAUGHT_TRUTH:
            del f["properties"][key]
    assert hashlib.sha256(json.dumps(features).encode()).hexdigest() == truth_digest


def test_livery_sprites_off_nadir_render_as_before_the_split():
    ship = random_ship("product_tanker", np.random.default_rng(9))
    ship.heading_deg, ship.livery = 74.0, 44
    sprite = render_ship_sprite(ship, 0.5, 9, True, 20.0)
    assert (
        hashlib.sha256(sprite.after.tobytes()).hexdigest()
        == "57acdb8c5fbb3aea40837e81685144284146a90d160aa84a8c8238367f675e6d"
    )
    assert (
        hashlib.sha256(sprite.hull.tobytes()).hexdigest()
        == "a0e3c8e7f9c5497cd43c3412454f77bf8e4e59666926c852c307689c0777d938"
    )


def test_truth_and_stac_carry_the_freeboard_and_the_sun(tmp_path):
    ships = [ShipSpec("product_tanker", 150.0, 24.0, 200.0, 200.0, 30.0)]
    kw = dict(land=False, ships=ships, n_tankers=0, n_others=1, seed=16, width_m=400, height_m=400)
    tif = write_scene(generate_scene(small_spec(**kw, ship_variety=True)), tmp_path, "v")
    truth = json.loads(tif.with_name("v.truth.geojson").read_text())["features"]
    tanker = truth[0]["properties"]
    assert tanker["loaded"] is True and 2.5 + 1.5 <= tanker["freeboard_m"] <= 5.0 + 1.5  # loaded: 2.5-5 m + 1 % of L
    assert all(isinstance(f["properties"]["freeboard_m"], float) for f in truth)
    item = json.loads(tif.with_suffix(".json").read_text())["properties"]
    renderer = _Renderer(small_spec(**kw, ship_variety=True))
    assert item["view:sun_elevation"] == pytest.approx(renderer.sun_el, abs=1e-4)
    assert item["view:sun_azimuth"] == pytest.approx(renderer.sun_az, abs=1e-4)
    assert "view:off_nadir" not in item and open_scene(tif).view.sun_elevation_deg == item["view:sun_elevation"]
    # without ship variety the freeboard is still known, loaded or light is not; off nadir the view is written
    leaning = write_scene(generate_scene(small_spec(**kw, off_nadir_deg=12.0, off_nadir_az_deg=300.0)), tmp_path, "w")
    assert json.loads(leaning.with_name("w.truth.geojson").read_text())["features"][0]["properties"]["loaded"] is None
    view = open_scene(leaning).view
    assert view.off_nadir_deg == 12.0 and view.view_azimuth_deg == 120.0  # towards the sensor: away from the lean
