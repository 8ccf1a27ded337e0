"""Evaluation metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.affinity import translate
from shapely.geometry import box

from tankerwatch.training.evaluate import PredictedShip, SceneEval, TruthShip, average_precision, evaluate


def hull(x: float, y: float, length: float = 100, beam: float = 20):
    return box(x, y, x + length, y + beam)


def truth(x, y, cls="tanker"):
    return TruthShip(cls, hull(x, y), 100.0, 20.0, 0.5)


def pred(polygon, conf, cls="tanker", length=100.0, beam=20.0):
    return PredictedShip(cls, conf, polygon, length, beam)


def test_perfect_predictions_give_ap_one_and_zero_size_error():
    scene = SceneEval("s", [truth(0, 0), truth(500, 0)], [pred(hull(0, 0), 0.9), pred(hull(500, 0), 0.8)])
    r = evaluate([scene])["tanker"]
    assert r.ap50 == pytest.approx(1.0)
    assert r.precision == 1.0 and r.recall == 1.0
    assert r.length_mae_m == 0.0 and r.beam_mae_m == 0.0


def test_shifted_prediction_halves_ap():
    # the second box is shifted 60 m along a 100 m hull: IoU = 40 / 160 = 0.25 < 0.5, a false positive
    scene = SceneEval("s", [truth(0, 0), truth(500, 0)],
                      [pred(hull(0, 0), 0.9), pred(translate(hull(500, 0), 60, 0), 0.8)])
    r = evaluate([scene])["tanker"]
    # ranked: TP (P=1, R=0.5), FP (P=0.5, R=0.5) -> AP = 0.5 * 1.0
    assert r.ap50 == pytest.approx(0.5)
    assert r.precision == 0.5 and r.recall == 0.5


def test_false_positive_ranked_first_lowers_ap_by_the_known_amount():
    scene = SceneEval("s", [truth(0, 0)], [pred(hull(900, 900), 0.95), pred(hull(0, 0), 0.5)])
    # ranked: FP (P=0, R=0), TP (P=0.5, R=1) -> AP = 1.0 * 0.5
    assert evaluate([scene])["tanker"].ap50 == pytest.approx(0.5)


def test_length_bias_is_measured_minus_true():
    scene = SceneEval("s", [truth(0, 0)], [pred(hull(0, 0, 103, 20), 0.9, length=103.0, beam=19.0)])
    r = evaluate([scene])["tanker"]
    assert r.length_bias_m == pytest.approx(3.0) and r.beam_bias_m == pytest.approx(-1.0)
    assert "0.4-0.75 m" in r.by_gsd


def test_wrong_class_does_not_count():
    scene = SceneEval("s", [truth(0, 0, "tanker")], [pred(hull(0, 0), 0.9, cls="vessel")])
    reports = evaluate([scene])
    assert reports["tanker"].recall == 0.0 and reports["vessel"].precision == 0.0


def test_average_precision_of_a_step_curve():
    assert average_precision(np.array([0.5, 1.0]), np.array([1.0, 0.5])) == pytest.approx(0.75)


def test_a_hull_cut_by_the_scene_edge_counts_for_ap_but_not_for_size_error():
    cut = TruthShip("tanker", hull(0, 0), 100.0, 20.0, 0.5, whole=False)
    scene = SceneEval("s", [cut, truth(500, 0)],
                      [pred(hull(0, 0), 0.9, length=60.0), pred(hull(500, 0), 0.8, length=102.0)])
    r = evaluate([scene])["tanker"]
    assert r.ap50 == pytest.approx(1.0)
    assert r.length_mae_m == pytest.approx(2.0)  # only the whole hull's error


def test_truth_wholly_inside_the_scene_frame(tmp_path):
    import json

    from tankerwatch.training.evaluate import truth_from_geojson

    def feature(x0):
        ring = [[x0, 0], [x0 + 1, 0], [x0 + 1, 1], [x0, 1], [x0, 0]]
        return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"class": "tanker", "length_m": 100.0, "beam_m": 20.0}}

    path = tmp_path / "s.truth.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature(2), feature(9.5)]}))
    ships = truth_from_geojson(path, 0.5, frame=box(0, 0, 10, 10))
    assert [t.whole for t in ships] == [True, False]
