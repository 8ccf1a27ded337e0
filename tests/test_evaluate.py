"""Evaluation metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.affinity import translate
from shapely.geometry import box

from tankerwatch.training.evaluate import (
    PredictedShip, SceneEval, TruthShip, average_precision, evaluate, heading_error, report_table,
)


def hull(x: float, y: float, length: float = 100, beam: float = 20):
    return box(x, y, x + length, y + beam)


def truth(x, y, cls="tanker", heading=None):
    return TruthShip(cls, hull(x, y), 100.0, 20.0, 0.5, heading_deg=heading)


def pred(polygon, conf, cls="tanker", length=100.0, beam=20.0, heading=None, ambiguous=False):
    return PredictedShip(cls, conf, polygon, length, beam, heading, ambiguous)


def test_perfect_predictions_give_ap_one_and_zero_size_error():
    scene = SceneEval("s", [truth(0, 0), truth(500, 0)], [pred(hull(0, 0), 0.9), pred(hull(500, 0), 0.8)])
    r = evaluate([scene])["tanker"]
    assert r.ap50 == pytest.approx(1.0) and r.ap50_95 == pytest.approx(1.0)
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


def test_ap50_95_counts_a_box_only_at_thresholds_up_to_its_iou():
    # shifted 20 m along a 100 m hull: IoU = 80 / 120 = 0.667, a match at 0.50, 0.55, 0.60, 0.65 (AP 1 each)
    # and a false positive at 0.70 ... 0.95 (AP 0 each, the only truth unmatched) -> AP50:95 = 4 / 10 = 0.4
    scene = SceneEval("s", [truth(0, 0)], [pred(translate(hull(0, 0), 20, 0), 0.9)])
    r = evaluate([scene])["tanker"]
    assert r.ap50 == pytest.approx(1.0)
    assert r.ap50_95 == pytest.approx(0.4)


def test_ap50_95_with_one_exact_and_one_shifted_box():
    # exact box first (AP 1 at every threshold); the IoU 0.667 box matches at 4 of 10 thresholds (AP 1),
    # at the other 6 it is a false positive after a TP at R=0.5 (AP 0.5) -> (4 * 1 + 6 * 0.5) / 10 = 0.7
    scene = SceneEval("s", [truth(0, 0), truth(500, 0)],
                      [pred(hull(0, 0), 0.9), pred(translate(hull(500, 0), 20, 0), 0.8)])
    assert evaluate([scene])["tanker"].ap50_95 == pytest.approx(0.7)


@pytest.mark.parametrize("pred_deg, ambiguous, true_deg, axis, bow", [
    (10, False, 350, 20, 20),  # across north
    (170, True, 350, 0, None),  # axis 170 is 350 modulo 180; no bow to judge
    (210, False, 30, 0, 180),  # bow reversed: axis right, bow wrong
    (100, True, 0, 80, None),  # axis error at most 90
])
def test_heading_error(pred_deg, ambiguous, true_deg, axis, bow):
    got_axis, got_bow = heading_error(pred_deg, ambiguous, true_deg)
    assert got_axis == pytest.approx(axis)
    assert got_bow == (None if bow is None else pytest.approx(bow))


def test_heading_errors_of_matched_pairs():
    scene = SceneEval("s", [truth(0, 0, heading=350), truth(500, 0, heading=350), truth(1000, 0, heading=30),
                            truth(1500, 0)],  # no truth heading: left out of heading error
                      [pred(hull(0, 0), 0.9, heading=10), pred(hull(500, 0), 0.9, heading=170, ambiguous=True),
                       pred(hull(1000, 0), 0.9, heading=210), pred(hull(1500, 0), 0.9, heading=90),
                       pred(hull(2000, 0), 0.9, heading=0)])  # unmatched: no heading error
    r = evaluate([scene])["tanker"]
    assert r.heading_n == 3 and r.heading_mae_deg == pytest.approx(20 / 3)  # axis errors 20, 0, 0
    assert r.bow_n == 2  # the ambiguous axis is not judged for its bow
    assert r.bow_right_share == pytest.approx(0.5)  # 10 vs 350 right, 210 vs 30 reversed
    assert r.bow_mae_deg == pytest.approx(100.0)  # (20 + 180) / 2
    assert "AP50:95" in report_table({"tanker": r}) and "bow right 50% of 2" in report_table({"tanker": r})


def test_no_headings_leave_heading_error_empty():
    r = evaluate([SceneEval("s", [truth(0, 0)], [pred(hull(0, 0), 0.9)])])["tanker"]
    assert r.heading_n == 0 and r.heading_mae_deg is None and r.bow_right_share is None


def test_headings_are_read_from_geojson(tmp_path):
    import json

    from tankerwatch.training.evaluate import predictions_from_geojson, truth_from_geojson

    ring = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]

    def collection(*props):
        return json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
             "properties": {"class": "tanker", "confidence": 0.9, "length_m": 100.0, "beam_m": 20.0, **p}}
            for p in props]})

    (tmp_path / "t.geojson").write_text(collection({"heading_deg": 350.0}, {}))
    (tmp_path / "p.geojson").write_text(collection({"heading_deg": 170.0, "heading_ambiguous": True}, {}))
    assert [t.heading_deg for t in truth_from_geojson(tmp_path / "t.geojson", 0.5)] == [350.0, None]
    preds = predictions_from_geojson(tmp_path / "p.geojson")
    assert [(p.heading_deg, p.heading_ambiguous) for p in preds] == [(170.0, True), (None, False)]


def test_model_card_table_reads_new_and_old_eval_reports():
    from dataclasses import asdict

    from tankerwatch.training.publish import _metrics_table

    r = evaluate([SceneEval("s", [truth(0, 0, heading=30)], [pred(hull(0, 0), 0.9, heading=210)])])["tanker"]
    new = _metrics_table({"classes": {"tanker": asdict(r)}})
    assert "AP50:95" in new and "| 1.000 | 1.000 |" in new and "0.000 (1)" in new  # bow reversed: 0 of 1 right
    old = asdict(r)
    for key in ("ap50_95", "heading_n", "heading_mae_deg", "bow_n", "bow_right_share", "bow_mae_deg"):
        del old[key]  # an eval_report.json from before these were scored
    assert "| tanker | 1.000 | – |" in _metrics_table({"classes": {"tanker": old}})
