"""Evaluation metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from shapely.affinity import translate
from shapely.geometry import Polygon, box

from tankerwatch.training.evaluate import (
    PredictedShip,
    SceneEval,
    TruthShip,
    average_precision,
    confusion_table,
    evaluate,
    evaluate_types,
    geodesic_area_km2,
    heading_error,
    land_from_geojson,
    match_any_class,
    report_table,
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
    scene = SceneEval(
        "s", [truth(0, 0), truth(500, 0)], [pred(hull(0, 0), 0.9), pred(translate(hull(500, 0), 60, 0), 0.8)]
    )
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
    scene = SceneEval(
        "s", [cut, truth(500, 0)], [pred(hull(0, 0), 0.9, length=60.0), pred(hull(500, 0), 0.8, length=102.0)]
    )
    r = evaluate([scene])["tanker"]
    assert r.ap50 == pytest.approx(1.0)
    assert r.length_mae_m == pytest.approx(2.0)  # only the whole hull's error


def test_truth_wholly_inside_the_scene_frame(tmp_path):
    import json

    from tankerwatch.training.evaluate import truth_from_geojson

    def feature(x0):
        ring = [[x0, 0], [x0 + 1, 0], [x0 + 1, 1], [x0, 1], [x0, 0]]
        return {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"class": "tanker", "length_m": 100.0, "beam_m": 20.0},
        }

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
    scene = SceneEval(
        "s", [truth(0, 0), truth(500, 0)], [pred(hull(0, 0), 0.9), pred(translate(hull(500, 0), 20, 0), 0.8)]
    )
    assert evaluate([scene])["tanker"].ap50_95 == pytest.approx(0.7)


@pytest.mark.parametrize(
    "pred_deg, ambiguous, true_deg, axis, bow",
    [
        (10, False, 350, 20, 20),  # across north
        (170, True, 350, 0, None),  # axis 170 is 350 modulo 180; no bow to judge
        (210, False, 30, 0, 180),  # bow reversed: axis right, bow wrong
        (100, True, 0, 80, None),  # axis error at most 90
    ],
)
def test_heading_error(pred_deg, ambiguous, true_deg, axis, bow):
    got_axis, got_bow = heading_error(pred_deg, ambiguous, true_deg)
    assert got_axis == pytest.approx(axis)
    assert got_bow == (None if bow is None else pytest.approx(bow))


def test_heading_errors_of_matched_pairs():
    scene = SceneEval(
        "s",
        [
            truth(0, 0, heading=350),
            truth(500, 0, heading=350),
            truth(1000, 0, heading=30),
            truth(1500, 0),
        ],  # no truth heading: left out of heading error
        [
            pred(hull(0, 0), 0.9, heading=10),
            pred(hull(500, 0), 0.9, heading=170, ambiguous=True),
            pred(hull(1000, 0), 0.9, heading=210),
            pred(hull(1500, 0), 0.9, heading=90),
            pred(hull(2000, 0), 0.9, heading=0),
        ],
    )  # unmatched: no heading error
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
        return json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                        "properties": {"class": "tanker", "confidence": 0.9, "length_m": 100.0, "beam_m": 20.0, **p},
                    }
                    for p in props
                ],
            }
        )

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


# --- ship-type confusion and false detections on land vs water ------------------------------------------------
# A 2000 m x 1000 m scene frame built in a Lambert azimuthal equal-area projection centred on Rotterdam, so its
# true area is 2.0 km2 (at 51.9 N a naive degrees-as-metres area would be far off); land is x < 500 m: 0.5 km2.

_LAEA = Transformer.from_crs("+proj=laea +lat_0=51.9 +lon_0=4.1 +datum=WGS84", "EPSG:4326", always_xy=True)


def ll_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box given in metres of the local equal-area projection, as a lon/lat polygon."""
    return Polygon([_LAEA.transform(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])


def ll_hull(x: float, y: float) -> Polygon:
    return ll_box(x, y, x + 100, y + 20)


def kind_truth(x, y, kind, cls="vessel"):
    return TruthShip(cls, ll_hull(x, y), 100.0, 20.0, 0.5, kind=kind)


def typed(x, y, conf, type_name=None, cls="tanker"):
    return PredictedShip(cls, conf, ll_hull(x, y), 100.0, 20.0, type_name=type_name)


FRAME = ll_box(0, 0, 2000, 1000)
LAND = ll_box(0, 0, 500, 1000)


def hand_made_scene(land=LAND) -> SceneEval:
    truths = [
        kind_truth(1200, 100, "crude_tanker", "tanker"),
        kind_truth(1200, 300, "bulk_carrier"),
        kind_truth(1200, 500, "container_ship"),
        kind_truth(1200, 700, "tug"),
    ]
    preds = [
        typed(1200, 100, 0.9, "tanker"),  # tanker found as tanker
        typed(1200, 300, 0.8, "tanker"),  # bulk carrier called tanker (class tanker on a vessel truth: still matched)
        typed(1200, 500, 0.1, "container_ship"),  # below the operating point: the container ship is missed
        typed(1200, 700, 0.5, None, cls="vessel"),  # no type: counted under its class, "vessel"
        typed(300, 500, 0.7, "tanker"),  # false, on land
        typed(1600, 800, 0.6, "other", cls="vessel"),
    ]  # false, on water
    return SceneEval("s", truths, preds, land, FRAME)


def test_geodesic_area_of_an_equal_area_box_and_a_hole():
    assert geodesic_area_km2(FRAME) == pytest.approx(2.0, rel=1e-4)
    assert geodesic_area_km2(Polygon(FRAME.exterior.coords[::-1])) == pytest.approx(2.0, rel=1e-4)  # clockwise ring
    inner = ll_box(1000, 250, 1500, 750)  # 0.25 km2
    holed = Polygon(FRAME.exterior.coords, [inner.exterior.coords])
    assert geodesic_area_km2(holed) == pytest.approx(1.75, rel=1e-4)


def test_confusion_table_of_a_hand_made_scene():
    c = evaluate_types([hand_made_scene()]).confusion
    zero = dict.fromkeys(("tanker", "bulk_carrier", "container_ship", "general_cargo", "other", "vessel", "missed"), 0)
    assert c.rows == {
        "tanker": {**zero, "tanker": 1},
        "bulk_carrier": {**zero, "tanker": 1},
        "container_ship": {**zero, "missed": 1},
        "other_vessel": {**zero, "vessel": 1},
        "false": {**zero, "tanker": 1, "other": 1},
    }
    assert c.n_predicted_tanker == 3 and c.n_truth_tanker == 1 and c.n_typed == 4
    assert c.tanker_precision == pytest.approx(1 / 3)  # of tanker, bulk carrier and the land false alarm
    assert c.tanker_recall == pytest.approx(1.0)
    assert c.bulk_called_tanker == pytest.approx(1.0) and c.container_called_tanker == pytest.approx(0.0)


def test_false_detections_on_land_and_water_per_km2():
    f = evaluate_types([hand_made_scene()]).false_detections
    assert (f.n_false, f.on_land, f.on_water, f.n_unknown) == (2, 1, 1, 0)
    assert f.land_km2 == pytest.approx(0.5, rel=1e-3) and f.water_km2 == pytest.approx(1.5, rel=1e-3)
    assert f.on_land_per_km2 == pytest.approx(2.0, rel=1e-3) and f.on_water_per_km2 == pytest.approx(1 / 1.5, rel=1e-3)
    assert f.on_land_by_type == {"tanker": 1} and f.on_water_by_type == {"other": 1}
    text = confusion_table(evaluate_types([hand_made_scene()]))
    assert "tanker precision 33% of 3 called tanker, recall 100% of 1" in text
    assert "on land 1, on water 1 (2.00/km2 of 0.50 km2 land, 0.67/km2 of 1.50 km2 water)" in text


def test_without_a_land_file_the_split_is_unavailable_not_zero():
    t = evaluate_types([hand_made_scene(land=None)])
    f = t.false_detections
    assert f.n_false == 2 and f.n_unknown == 2 and f.scenes_without_land == 1
    assert f.on_land is None and f.on_water is None and f.on_land_per_km2 is None and f.land_km2 is None
    assert "land split unavailable" in confusion_table(t)


def test_land_split_counts_only_scenes_with_a_land_file():
    other = hand_made_scene(land=None)
    other.scene_id = "t"
    f = evaluate_types([hand_made_scene(), other]).false_detections
    assert (f.n_false, f.on_land, f.on_water, f.n_unknown) == (4, 1, 1, 2)
    assert (f.scenes_with_land, f.scenes_without_land) == (1, 1)
    assert f.water_km2 == pytest.approx(1.5, rel=1e-3)  # only the scene with land contributes area


def test_any_class_matching_is_one_to_one_greedy_by_confidence():
    scene = SceneEval(
        "s",
        [kind_truth(1200, 100, "bulk_carrier")],
        [typed(1200, 100, 0.6, "bulk_carrier", cls="vessel"), typed(1205, 100, 0.9, "tanker")],
    )
    (m,) = match_any_class([scene], 0.5, 0.25)
    assert [p.confidence for p in m.predicted] == [0.9, 0.6] and m.truth_index == [0, -1]
    c = evaluate_types([scene]).confusion
    assert c.rows["bulk_carrier"]["tanker"] == 1 and c.rows["false"]["bulk_carrier"] == 1
    # at a stricter IoU the shifted box (IoU 95/105 = 0.905) no longer matches and the exact one does
    (m,) = match_any_class([scene], 0.95, 0.25)
    assert m.truth_index == [-1, 0]


def test_truth_kind_predicted_type_and_land_are_read_from_geojson(tmp_path):
    import json

    from tankerwatch.training.evaluate import predictions_from_geojson, truth_from_geojson

    ring = [list(p) for p in ll_hull(1200, 100).exterior.coords]

    def collection(*props):
        return json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                        "properties": {"class": "tanker", "confidence": 0.9, "length_m": 100.0, "beam_m": 20.0, **p},
                    }
                    for p in props
                ],
            }
        )

    (tmp_path / "t.geojson").write_text(collection({"kind": "bulk_carrier"}, {}))
    (tmp_path / "p.geojson").write_text(
        collection({"type": "bulk_carrier", "type_probabilities": {"bulk_carrier": 0.7}}, {})
    )
    assert [t.kind for t in truth_from_geojson(tmp_path / "t.geojson", 0.5)] == ["bulk_carrier", None]
    preds = predictions_from_geojson(tmp_path / "p.geojson")
    assert [(p.type_name, p.type_probabilities) for p in preds] == [
        ("bulk_carrier", {"bulk_carrier": 0.7}),
        (None, None),
    ]

    west, pier = ll_box(0, 0, 500, 1000), ll_box(500, 400, 800, 450)  # 0.5 + 0.015 km2
    land_fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "land"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [[list(p) for p in west.exterior.coords]],
                        [[list(p) for p in pier.exterior.coords]],
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {"kind": "anchorage"},  # not land: left out
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[list(p) for p in ll_box(1000, 0, 2000, 1000).exterior.coords]],
                },
            },
            {
                "type": "Feature",
                "properties": {"kind": "land"},
                "geometry": {"type": "Point", "coordinates": [4.1, 51.9]},
            },
        ],
    }
    (tmp_path / "s.land.geojson").write_text(json.dumps(land_fc))
    land = land_from_geojson(tmp_path / "s.land.geojson")
    assert geodesic_area_km2(land) == pytest.approx(0.515, rel=1e-3)


def test_eval_cli_prints_the_confusion_table_and_writes_it(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from click.testing import CliRunner

    from tankerwatch import cli

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    tif = scenes / "s1.tif"
    tif.write_bytes(b"")
    s = hand_made_scene()

    def fc(features):
        return json.dumps({"type": "FeatureCollection", "features": features})

    def feature(poly, props):
        return {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in poly.exterior.coords]]},
            "properties": {"length_m": 100.0, "beam_m": 20.0, **props},
        }

    (scenes / "s1.truth.geojson").write_text(
        fc([feature(t.footprint, {"class": t.class_name, "kind": t.kind}) for t in s.truth])
    )
    (scenes / "s1.land.geojson").write_text(fc([{**feature(LAND, {"kind": "land"}), "properties": {"kind": "land"}}]))
    out = tmp_path / "ev"
    (out / "detections").mkdir(parents=True)
    (out / "detections" / "s1.geojson").write_text(
        fc(
            [
                feature(
                    p.footprint,
                    {
                        "class": p.class_name,
                        "confidence": p.confidence,
                        **({"type": p.type_name} if p.type_name else {}),
                    },
                )
                for p in s.predicted
            ]
        )
    )

    class FakeScene:
        gsd_m, width, height = 1.0, 2000, 1000

        def lonlat(self, cols, rows):  # pixel (col, row) -> equal-area metres (col, 1000 - row)
            xs, ys = np.asarray(cols, float), 1000 - np.asarray(rows, float)
            return _LAEA.transform(xs, ys)

    monkeypatch.setattr(
        cli.evaluate, "_run_main_job", lambda *a, **k: [SimpleNamespace(status="done", path=tif, scene_id="s1")]
    )
    monkeypatch.setattr("tankerwatch.datasets.scene.open_scene", lambda path: FakeScene())
    res = CliRunner().invoke(cli.main, ["eval", str(scenes), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.index("AP50") < res.output.index("true / called")
    assert "on land 1, on water 1 (2.00/km2" in res.output
    report = json.loads((out / "eval_report.json").read_text())
    assert report["confusion"]["rows"]["bulk_carrier"]["tanker"] == 1
    assert report["confusion"]["tanker_precision"] == pytest.approx(1 / 3)
    assert report["false_detections"]["on_land"] == 1 and report["false_detections"]["water_km2"] == pytest.approx(
        1.5, rel=1e-3
    )


def test_reliability_bins_and_calibration_error():
    from tankerwatch.training.evaluate import reliability, reliability_table

    probs = [0.55, 0.55, 0.95, 0.95, 1.0, 0.75]
    right = [True, False, True, True, True, False]
    bins, ece = reliability(probs, right)
    by_lo = {b.lo: b for b in bins}
    assert by_lo[0.5].n == 2 and by_lo[0.5].share_right == 0.5
    assert by_lo[0.9].n == 3 and by_lo[0.9].share_right == 1.0  # 1.0 falls in the last, closed bin
    assert by_lo[0.6].n == 0 and by_lo[0.6].share_right is None
    # |0.5 - 0.55| * 2 + |1 - 0.9667| * 3 + |0 - 0.75| * 1, over 6 alerts
    assert ece == pytest.approx((0.1 + 0.1 + 0.75) / 6, abs=1e-6)
    assert "expected calibration error: 0.158" in reliability_table(bins, ece)
    assert reliability([], []) == (reliability([], [])[0], None)
