"""Freeboard from the hull's shadow and laden / part / light (inference/freeboard.py)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from tankerwatch.config import FreeboardConfig
from tankerwatch.datasets.scene import Scene, ViewGeometry, open_scene, scene_reader
from tankerwatch.datasets.synth import (
    Renderer,
    SceneSpec,
    ShipSpec,
    SynthScene,
    generate_scene,
    georeference,
    write_scene,
)
from tankerwatch.inference.freeboard import (
    SunView,
    band_per_metre,
    load_state,
    read_freeboard,
    state_bands,
    sun_view,
)
from tankerwatch.io import read_json
from tankerwatch.schema import OrientedBox
from tankerwatch.sun import sun_position
from tests.test_pipeline import truth_boxes

GSD_M = 0.5
HULL = OrientedBox(200.0, 200.0, 240.0, 40.0, 0.0, 0.9, "tanker")  # 120 x 20 m, axis east, in native pixels


def strip_scene(
    tmp_path: Path,
    band_m: float,
    sun_elevation_deg: float | None,
    sun_azimuth_deg: float | None,
    name: str = "s",
    quay_gap_m: float | None = None,
) -> Path:
    """A 200 m square of water at 0.5 m with one bright hull (HULL) and a dark band band_m wide south of it (and a
    quay quay_gap_m south of the hull, running the whole width, where given)."""
    rng = np.random.default_rng(3)
    img = np.full((400, 400), 90.0) + rng.normal(0, 2, (400, 400))
    top, bottom = 180, 220  # the hull's rows
    if quay_gap_m is not None:
        img[bottom + int(round(quay_gap_m / GSD_M)) :, :] = 200.0 + rng.normal(
            0, 2, (400 - bottom - int(quay_gap_m / GSD_M), 400)
        )
    img[bottom : bottom + int(round(band_m / GSD_M)), 100:300] *= 0.55  # the shadow on the water
    img[top:bottom, 80:320] = 190.0
    image = np.clip(np.repeat(img[None], 3, axis=0), 0, 255).astype(np.uint8)
    spec = SceneSpec(seed=0, width_m=200, height_m=200, gsd_m=GSD_M, land=False, n_tankers=0, n_others=0)
    transform, crs = georeference(spec, 400, 400)
    synth = SynthScene(
        image, transform, crs, [], spec, sun_elevation_deg=sun_elevation_deg, sun_azimuth_deg=sun_azimuth_deg
    )
    return write_scene(synth, tmp_path, name)


def read(tif: Path, box: OrientedBox = HULL, cfg: FreeboardConfig | None = None):
    """read_freeboard on one box of a written scene."""
    scene = open_scene(tif)
    with scene_reader(scene) as src:
        return read_freeboard(src, scene, box, cfg or FreeboardConfig())


def test_band_width_gives_the_freeboard_through_the_sun_elevation(tmp_path):
    # sun in the north (azimuth 0) at 40 degrees: the shadow falls south, square across the hull; a 6 m band is
    # a freeboard of 6 * tan 40 = 5.03 m
    r = read(strip_scene(tmp_path, 6.0, 40.0, 0.0))
    assert r is not None and r.sun.source == "metadata"
    assert r.band_per_metre == pytest.approx(1 / math.tan(math.radians(40)), rel=0.02)
    assert r.freeboard_m == pytest.approx(6.0 * math.tan(math.radians(40)), abs=0.35)
    assert 0 < r.sd_m < 1.0


def test_the_band_is_read_on_the_side_away_from_the_sun(tmp_path):
    # the same picture with the sun in the south: the shadow would fall north, where there is no band
    r = read(strip_scene(tmp_path, 6.0, 40.0, 180.0))
    assert r is None or r.freeboard_m < 1.0


def test_a_shadow_falling_on_the_quay_is_read_against_the_quay(tmp_path):
    # berthed 2 m off a quay: the 6 m band crosses the gap and goes on over the quay's edge
    r = read(strip_scene(tmp_path, 6.0, 40.0, 0.0, quay_gap_m=2.0))
    assert r is not None
    assert r.freeboard_m == pytest.approx(6.0 * math.tan(math.radians(40)), abs=0.6)


def test_sun_below_the_limit_is_unknown(tmp_path):
    tif = strip_scene(tmp_path, 6.0, 12.0, 0.0)
    assert read(tif) is None  # below the default 15 degrees
    assert read(tif, cfg=FreeboardConfig(min_sun_elevation_deg=10.0)) is not None


def test_sun_along_the_hull_is_unknown(tmp_path):
    # sun in the east: the shadow runs west along the hull's axis, and no band shows beside it
    assert read(strip_scene(tmp_path, 6.0, 40.0, 90.0)) is None
    assert read(strip_scene(tmp_path, 6.0, 40.0, 93.0, "s2")) is None  # 3 degrees off the axis: still along it


def test_off_nadir_lean_towards_the_band_narrows_it():
    sun = SunView(45.0, 0.0, off_nadir_deg=20.0, view_azimuth_deg=180.0)  # sensor south: the deck leans north
    south, north = np.array([0.0, 1.0]), np.array([0.0, -1.0])
    assert band_per_metre(HULL, sun, south, None) == pytest.approx(1.0)
    assert band_per_metre(HULL, sun, south, north) == pytest.approx(1.0)  # leaning away from the band: all shows
    assert band_per_metre(HULL, sun, south, south) == pytest.approx(1.0 - math.tan(math.radians(20)))


def test_stac_view_sun_elevation_wins_over_the_computed_one(tmp_path):
    scene = open_scene(strip_scene(tmp_path, 6.0, 50.0, 10.0))
    assert scene.view.sun_elevation_deg == 50.0
    sv = sun_view(scene, 133.065, 42.7475)
    assert sv is not None and (sv.sun_elevation_deg, sv.sun_azimuth_deg, sv.source) == (50.0, 10.0, "metadata")
    # without the view angles the sun is computed from the acquisition time and the place
    bare = Scene(**{**scene.__dict__, "view": ViewGeometry()})
    computed = sun_view(bare, 133.065, 42.7475)
    expected = sun_position(datetime(2024, 5, 1, 2, 30, tzinfo=timezone.utc), 133.065, 42.7475)
    assert computed is not None and computed.source == "computed"
    assert computed.sun_elevation_deg == pytest.approx(expected.elevation_deg)
    assert computed.sun_elevation_deg != pytest.approx(50.0, abs=1.0)


def test_load_state_from_the_freeboard_against_the_length():
    bands = state_bands(180.0)
    assert bands["laden"][1] <= bands["part"][0] + 1e-9 and bands["part"][1] <= bands["light"][0] + 1e-9
    laden, p_laden = load_state(5.5, 0.3, 180.0)
    light, p_light = load_state(13.0, 0.3, 180.0)
    assert (laden, light) == ("laden", "light")
    assert p_laden["laden"] > 0.9 and p_light["light"] > 0.9
    assert sum(p_laden.values()) == pytest.approx(1.0, abs=1e-3)
    gap = (bands["part"][0] + bands["part"][1]) / 2
    assert load_state(gap, 0.2, 180.0)[0] == "part"
    # a vague reading spreads the probability
    assert max(load_state(9.0, 4.0, 180.0)[1].values()) < 0.7


def laden_and_light_scene(tmp_path: Path) -> Path:
    """Two tankers on open water at 0.5 m, square to the sun's shadow, the first drawn loaded, the second light."""
    base = dict(seed=16, width_m=500, height_m=400, gsd_m=GSD_M, land=False, n_tankers=0, n_others=0)
    sun_az = Renderer(SceneSpec(**base)).sun_az  # the sun is drawn from the seed alone
    ships = [
        ShipSpec("product_tanker", 150.0, 24.0, 250.0, 120.0, float(sun_az + 90) % 360),
        ShipSpec("product_tanker", 150.0, 24.0, 250.0, 280.0, float(sun_az + 90) % 360),
    ]
    spec = SceneSpec(**base, ships=ships, ship_variety=True)
    return write_scene(generate_scene(spec), tmp_path, "pair")


def test_a_laden_and_a_light_tanker_are_told_apart(tmp_path):
    tif = laden_and_light_scene(tmp_path)
    truth = [f["properties"] for f in read_json(tif.with_name("pair.truth.geojson"), "truth")["features"]]
    assert [t["loaded"] for t in truth] == [True, False]  # the scene this test is built on
    scene = open_scene(tif)
    states = []
    with scene_reader(scene) as src:
        for box, t in zip(truth_boxes(scene), truth, strict=True):
            r = read_freeboard(src, scene, box, FreeboardConfig())
            assert r is not None
            assert r.freeboard_m == pytest.approx(t["freeboard_m"], abs=1.0)
            states.append(load_state(r.freeboard_m, r.sd_m, t["length_m"])[0])
    assert states == ["laden", "light"]
