"""Identify a scene's hulls (inference/identify.py): looks read for tankers only, analysts' decisions applied."""

from __future__ import annotations

from tankerwatch.datasets.scene import open_scene
from tankerwatch.inference.appearance import Signature, load_appearance_model
from tankerwatch.inference.identify import hull_signatures
from tankerwatch.inference.measure import measure
from tests.test_pipeline import truth_boxes


def test_looks_are_read_for_tankers_only_and_not_at_all_without_a_model(scene_factory, one_tanker_ship):
    scene = open_scene(scene_factory("looks", gsd_m=0.5, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=1))
    detections = [measure(b, scene) for b in truth_boxes(scene)]
    classes = [d.class_name for d in detections]
    assert sorted(classes) == ["tanker", "vessel"]
    sigs = hull_signatures(scene, detections, load_appearance_model())
    assert [isinstance(s, Signature) for s in sigs] == [c == "tanker" for c in classes]
    assert hull_signatures(scene, detections, None) == [None, None]
