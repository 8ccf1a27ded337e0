"""Bow or stern from the superstructure, the bow's taper and the wake (inference/heading.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tankerwatch.config import DetectConfig
from tankerwatch.datasets.scene import open_scene, scene_reader
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.heading import FOAM_RGB, BowCues, HullInStrip, bow_cues, bow_estimate, bow_from_cues
from tankerwatch.inference.measure import bow_strip, measure, read_bow, read_hull
from tankerwatch.schema import OrientedBox
from tests.test_measure import truth_box

WATER = (20.0, 40.0, 60.0)
DECK = (60.0, 40.0, 20.0)  # as bright as the water, another colour: a lone cue reads no brightness step
HULL = HullInStrip(col0=80, col1=320, row0=24, row1=56)  # 240 x 32 px in a 400 x 80 strip
CALL = DetectConfig().bow_min_confidence  # the confidence from which a heading is called


def strip_with(pointed_bow: bool = False, block: bool = False, wake: float = 0.0) -> np.ndarray:
    """A straightened hull on water, stern at the first columns: a bow tapered or square, an accommodation block
    aft, foam of the given opacity astern."""
    strip = np.empty((80, 400, 3), np.float32)
    strip[:] = WATER
    if wake:
        strip[28:53, : HULL.col0 - 6] += (np.array(FOAM_RGB, np.float32) - WATER) * wake
    r0, r1, mid = HULL.row0, HULL.row1 - 1, (HULL.row0 + HULL.row1 - 1) / 2
    taper = 0.17 * HULL.length_px if pointed_bow else 0
    bow = HULL.col1 - 1
    ring = [(HULL.col0, r0), (bow - taper, r0), (bow, mid), (bow - taper, r1), (HULL.col0, r1)]
    if not pointed_bow:
        ring = [(HULL.col0, r0), (bow, r0), (bow, r1), (HULL.col0, r1)]
    cv2.fillPoly(strip, [np.round(np.array(ring)).astype(np.int32)], DECK)
    if block:
        strip[r0 + 3 : r1 - 2, HULL.col0 + 7 : HULL.col0 + 36] = (235.0, 235.0, 230.0)
    return np.clip(strip, 0, 255).astype(np.uint8)


def test_an_aft_superstructure_alone_names_the_bow():
    strip = strip_with(block=True)
    est = bow_estimate(strip, HULL, 0.9)
    assert est.sign == 1 and est.confidence >= 0.9
    assert est.cues.superstructure is not None and est.cues.superstructure > 0
    assert est.cues.wake is None  # no foam: the wake cue abstains
    assert bow_estimate(strip[:, ::-1], mirrored(HULL, strip), 0.9).sign == -1


def mirrored(hull: HullInStrip, strip: np.ndarray) -> HullInStrip:
    """The hull's place in the strip read the other way along."""
    cols = strip.shape[1]
    return HullInStrip(cols - hull.col1, cols - hull.col0, hull.row0, hull.row1)


def test_a_pointed_bow_alone_names_the_bow():
    strip = strip_with(pointed_bow=True)
    superstructure, shape, wake = bow_cues(strip, HULL)
    assert shape is not None and shape > 0.3  # square transom first, the taper last
    assert superstructure is not None and abs(superstructure) < 0.02 and wake is None
    est = bow_estimate(strip, HULL, CALL)
    assert est.sign == 1 and est.cues.shape is not None and est.cues.shape > 0
    assert bow_estimate(strip[:, ::-1], mirrored(HULL, strip), CALL).sign == -1


def test_a_wake_astern_alone_names_the_bow():
    strip = strip_with(wake=0.4)
    superstructure, shape, wake = bow_cues(strip, HULL)
    assert wake is not None and wake > 0.2
    assert shape is not None and abs(shape) < 0.05 and superstructure is not None and abs(superstructure) < 0.02
    est = bow_estimate(strip, HULL, CALL)
    assert est.sign == 1 and est.cues.wake is not None and est.cues.wake > 0
    assert bow_estimate(strip[:, ::-1], mirrored(HULL, strip), CALL).sign == -1


def test_a_symmetric_hull_stays_ambiguous():
    est = bow_estimate(strip_with(), HULL, CALL)
    assert est.sign == 0
    assert est.confidence is not None and est.confidence < CALL and est.cues.wake is None


def test_the_wake_cue_abstains_where_the_water_beyond_an_end_is_not_open():
    strip = strip_with(wake=0.4)
    strip[:, HULL.col1 + 6 :] = (120, 160, 90)  # a quay or another hull beyond the bow
    assert bow_cues(strip, HULL)[2] is None


def test_the_cues_add_up():
    alone = [
        bow_estimate(strip_with(pointed_bow=True), HULL, 0.5),
        bow_estimate(strip_with(wake=0.15), HULL, 0.5),
    ]
    both = bow_estimate(strip_with(pointed_bow=True, wake=0.15), HULL, 0.5)
    assert both.p_bow_plus > max(e.p_bow_plus for e in alone)
    assert both.cues.total() == pytest.approx(sum(e.cues.total() for e in alone), rel=0.05)


@pytest.mark.parametrize("heading", [30.0, 210.0])
def test_read_hull_gives_a_synthetic_tanker_its_bow_and_confidence(scene_factory, heading):
    ship = ShipSpec("product_tanker", 120.0, 18.0, 200.0, 200.0, heading)
    tif = scene_factory("bow", land=False, ships=[ship], n_tankers=0, n_others=0, seed=6)
    scene = open_scene(tif)
    with scene_reader(scene) as src:
        hull = read_hull(src, scene, truth_box(scene), DetectConfig())
        strip, where = bow_strip(src, scene, hull.box)
    assert strip.shape[1] > where.col1 > where.col0 > 0  # water beyond both ends
    d = measure(hull.box, scene, bow=hull.bow, bow_confidence=hull.bow_confidence)
    assert not d.heading_ambiguous and d.heading_confidence is not None and d.heading_confidence >= 0.9
    assert abs((d.heading_deg - heading + 180) % 360 - 180) < 2.0


def test_a_hull_running_off_the_image_reads_only_its_superstructure(scene_factory):
    """Its stern (or its bow) may lie outside the image: its end at the edge is no end, the black no dark bow."""
    ship = ShipSpec("product_tanker", 120.0, 18.0, 30.0, 200.0, 90.0)  # the stern 30 m beyond the west edge
    tif = scene_factory("edge", land=False, ships=[ship], n_tankers=0, n_others=0, seed=6)
    scene = open_scene(tif)
    box = OrientedBox(45.0, 200.0, 90.0, 18.0, 0.0, 0.9, "tanker")  # as a detector sees it: up to the edge
    with scene_reader(scene) as src:
        est = read_bow(src, scene, box, CALL)
    assert est.cues.shape is None and est.cues.wake is None and est.cues.superstructure is not None
    assert est.sign in (0, 1)  # never the stern: the bow is at +axis (east)


def test_no_cue_read_is_no_confidence():
    est = bow_from_cues((None, None, None), CALL)
    assert est.sign == 0 and est.confidence is None and est.p_bow_plus == 0.5
    assert est.cues == BowCues(None, None, None)
