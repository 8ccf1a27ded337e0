"""Measurement in metres through the georeferencing (UTM and EPSG:4326)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tankerwatch.datasets.builder import load_truth
from tankerwatch.datasets.scene import open_scene, scene_reader
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.measure import box_from_corners, box_from_xywhr, measure, read_bow, refine_box
from tankerwatch.schema import OrientedBox


def truth_box(scene) -> OrientedBox:
    """The oriented box of the scene's only truth hull, in native pixels."""
    (b,) = load_truth(scene)
    return box_from_corners(b.corners_px, 0.9, "tanker")


@pytest.mark.parametrize("crs,gsd", [("utm", 0.5), ("EPSG:4326", 0.5), ("utm", 2.0)])
def test_synthetic_ship_length_and_beam_in_metres(scene_factory, one_tanker_ship, crs, gsd):
    tif = scene_factory("m", crs=crs, gsd_m=gsd, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0)
    scene = open_scene(tif)
    d = measure(truth_box(scene), scene)
    assert d.length_m == pytest.approx(120.0, abs=0.5)
    assert d.beam_m == pytest.approx(18.0, abs=0.3)
    assert d.heading_ambiguous and 0 <= d.heading_deg < 180  # no bow cue given
    assert d.heading_deg == pytest.approx(30.0, abs=1.5)  # bow-or-stern axis
    assert d.footprint_lonlat[0] == d.footprint_lonlat[-1] and len(d.footprint_lonlat) == 5
    assert abs(d.center_lon - 133.065) < 0.01 and abs(d.center_lat - 42.7475) < 0.01


def test_detector_box_long_side_becomes_length():
    b = box_from_xywhr(10, 20, 5, 40, 0.3, 0.8, "tanker")
    assert b.length_px == 40 and b.beam_px == 5
    assert b.axis_rad == pytest.approx((0.3 + math.pi / 2) % math.pi)


@pytest.mark.parametrize("heading", [30.0, 210.0])
def test_heading_of_a_synthetic_tanker_points_to_its_bow(scene_factory, heading):
    ship = ShipSpec("product_tanker", 120.0, 18.0, 200.0, 200.0, heading)
    tif = scene_factory("bow", land=False, ships=[ship], n_tankers=0, n_others=0, seed=6)
    scene = open_scene(tif)
    b = truth_box(scene)
    with scene_reader(scene) as src:
        bow = read_bow(src, scene, b, 0.9)
    d = measure(b, scene, bow=bow.sign, bow_confidence=bow.confidence)
    assert not d.heading_ambiguous and d.heading_confidence == bow.confidence
    assert abs((d.heading_deg - heading + 180) % 360 - 180) < 2.0


def test_a_bow_not_called_leaves_the_axis_ambiguous_with_its_confidence(scene_factory, one_tanker_ship):
    tif = scene_factory("m", land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0)
    scene = open_scene(tif)
    b = truth_box(scene)
    ahead, astern, unsure = (measure(b, scene, bow=s, bow_confidence=0.6) for s in (1, -1, 0))
    assert abs((ahead.heading_deg - astern.heading_deg) % 360 - 180) < 0.2  # the other end
    assert unsure.heading_ambiguous and 0 <= unsure.heading_deg < 180 and unsure.heading_confidence == 0.6
    assert not ahead.heading_ambiguous and ahead.length_m == unsure.length_m and ahead.beam_m == unsure.beam_m


@pytest.mark.parametrize("gsd", [0.3, 0.5, 1.0])
def test_refinement_recovers_a_hull_the_detector_cut_short(scene_factory, one_tanker_ship, gsd):
    tif = scene_factory("refine", gsd_m=gsd, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0, seed=11)
    scene = open_scene(tif)
    true = truth_box(scene)
    ux, uy = math.cos(true.axis_rad), math.sin(true.axis_rad)
    # the detector's box: 20 % short, shifted 10 m along the hull, 2 m narrow
    shift = 10.0 / gsd
    cut = OrientedBox(
        true.cx_px + shift * ux,
        true.cy_px + shift * uy,
        true.length_px * 0.8,
        true.beam_px - 2.0 / gsd,
        true.axis_rad,
        0.9,
        "tanker",
    )
    with scene_reader(scene) as src:
        refined = refine_box(src, scene, cut)
    assert refined is not None
    d = measure(refined, scene)
    # blurred hull edges (and the halo of the superstructure) count as hull: within a few pixels of the
    # truth, where the cut box was 24 m short
    assert d.length_m == pytest.approx(120.0, abs=max(1.5, 3.5 * gsd))
    assert d.beam_m == pytest.approx(18.0, abs=max(1.5, 3.5 * gsd))
    assert math.hypot(refined.cx_px - true.cx_px, refined.cy_px - true.cy_px) * gsd < max(1.5, 3.5 * gsd)


def test_refinement_over_open_water_keeps_the_detector_box(scene_factory):
    tif = scene_factory("water", land=False, ships=[], n_tankers=0, n_others=0, seed=12)
    scene = open_scene(tif)
    with scene_reader(scene) as src:
        assert refine_box(src, scene, OrientedBox(200, 200, 120, 18, 0.5, 0.9, "tanker")) is None


def _livery_with_hull(dark: bool) -> int:
    """A livery seed whose hull paint is dark (black, navy: like the water) or not."""
    from tankerwatch.datasets.synth import _Livery

    return next(s for s in range(1000) if (sum(_Livery.of(s).hull) < 200) == dark)


@pytest.mark.parametrize("dark", [True, False])
def test_refinement_measures_a_dark_hull_to_its_rim_not_its_deck(scene_factory, dark):
    """Regression: a black hull on dark water was taken for shadow, so the deck inside its rim was measured
    (4 m short, 2.5 m narrow at 0.5 m). Dark paint on both sides of the deck is hull; shadow falls on one side."""
    ship = ShipSpec("product_tanker", 136.0, 23.5, 200.0, 200.0, 35.0, livery=_livery_with_hull(dark))
    tif = scene_factory("dark", gsd_m=0.5, land=False, ships=[ship], n_tankers=0, n_others=0, seed=21)
    scene = open_scene(tif)
    true = truth_box(scene)
    with scene_reader(scene) as src:
        refined = refine_box(src, scene, true)
    assert refined is not None
    d = measure(refined, scene)
    # the tolerance of the refinement test above: 3.5 native pixels
    assert d.length_m == pytest.approx(136.0, abs=1.75)
    assert d.beam_m == pytest.approx(23.5, abs=1.75)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 7999, 8000])
def test_column_median_u8_is_numpys_median(n):
    from tankerwatch.inference.measure import column_median_u8

    v = np.random.default_rng(n).integers(0, 256, (n, 3)).astype(np.uint8)
    assert np.array_equal(column_median_u8(v), np.median(v, axis=0).astype(np.float32))


def test_window_cache_reads_equal_the_files(scene_factory):
    """Reads inside the cached window come from memory as the file gives them (same shape, near-equal values when
    resampled); reads outside it go to the file."""
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import WindowCache, open_scene, scene_reader

    scene = open_scene(scene_factory("cache", width_m=300.0, height_m=300.0, land=False))
    with scene_reader(scene) as src:
        cache = WindowCache(src, scene.band_indexes, Window(50, 40, 200, 180))
        inner = Window(60, 50, 120, 100)
        assert np.array_equal(
            cache.read(list(scene.band_indexes), window=inner), src.read(list(scene.band_indexes), window=inner)
        )
        small = cache.read(list(scene.band_indexes), window=inner, out_shape=(3, 50, 60), resampling=Resampling.average)
        ref = src.read(list(scene.band_indexes), window=inner, out_shape=(3, 50, 60), resampling=Resampling.average)
        assert small.shape == ref.shape and np.abs(small.astype(int) - ref.astype(int)).max() <= 2
        outside = Window(0, 0, 40, 40)
        assert np.array_equal(
            cache.read(list(scene.band_indexes), window=outside), src.read(list(scene.band_indexes), window=outside)
        )
        assert cache.width == src.width  # everything else is the file's


@pytest.mark.parametrize("axis", [0.0, 0.4, 1.9, math.pi - 0.01])
def test_a_box_from_its_own_corners_is_the_box(axis):
    box = OrientedBox(410.5, 220.25, 180.0, 28.0, axis, 0.9, "tanker")
    again = box_from_corners(box.corners(), 0.9, "tanker")
    assert (again.cx_px, again.cy_px) == pytest.approx((box.cx_px, box.cy_px))
    assert (again.length_px, again.beam_px) == pytest.approx((180.0, 28.0))
    assert math.sin(again.axis_rad - axis) == pytest.approx(0.0, abs=1e-9)  # the same axis, either way along
