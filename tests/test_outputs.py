"""What a scene leaves in OUT: the detections GeoJSON and the chip of each alerted hull (inference/outputs.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import cv2

from tankerwatch.datasets.scene import open_scene
from tankerwatch.inference.outputs import chip_writer, detection_feature, write_detections
from tankerwatch.schema import Candidate, Detection, Identification, OrientedBox

RING = [(133.0, 42.0), (133.001, 42.0), (133.001, 42.0002), (133.0, 42.0002), (133.0, 42.0)]


def detection(box: OrientedBox | None = None) -> Detection:
    """A measured tanker in port."""
    return Detection(
        "s1",
        "tanker",
        0.9,
        120.0,
        18.0,
        75.0,
        False,
        133.0005,
        42.0001,
        RING,
        datetime(2024, 5, 1, 2, 30, tzinfo=timezone.utc),
        0.5,
        box or OrientedBox(200, 200, 240, 36, 0.3, 0.9, "tanker"),
        port_id="RU-VOS",
    )


def test_a_detection_feature_carries_the_contract_properties_and_its_candidates():
    d = detection()
    plain = detection_feature(d)
    assert plain["geometry"]["type"] == "Polygon" and plain["geometry"]["coordinates"][0][0] == [133.0, 42.0]
    assert plain["properties"]["acquired"] == "2024-05-01T02:30:00Z" and plain["properties"]["gsd_m"] == 0.5
    assert "candidates" not in plain["properties"]  # none identified
    ident = Identification(d, [Candidate("1000021", "DEMO STAR", 0.81234, 104.5, 16.8, ())], 0.18766)
    named = detection_feature(d, ident)
    assert named["properties"]["candidates"] == [{"imo": "1000021", "name": "DEMO STAR", "probability": 0.8123}]


def test_write_detections_writes_one_feature_collection(tmp_path):
    path = write_detections(tmp_path, "s1", [detection(), detection()])
    fc = json.loads(path.read_text())
    assert path == tmp_path / "detections" / "s1.geojson"
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2


def test_the_chip_is_a_crop_around_the_hull_with_its_outline(scene_factory, one_tanker_ship, tmp_path):
    scene = open_scene(scene_factory("chip", gsd_m=1.0, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0))
    box = OrientedBox(200, 200, 120, 18, 0.5, 0.9, "tanker")
    rel = chip_writer(scene, tmp_path, margin_m=40.0)(Identification(detection(box)), "abc")
    png = cv2.imread(str(tmp_path / rel))
    assert rel == "chips/abc.png" and png is not None
    side = int(120 / 2 + 40) * 2  # half the hull's long side plus the margin, each way
    assert abs(png.shape[0] - side) <= 2 and abs(png.shape[1] - side) <= 2
    yellow = (png[..., 0] < 80) & (png[..., 1] > 200) & (png[..., 2] > 200)
    assert yellow.sum() > 100  # the hull outline is drawn
