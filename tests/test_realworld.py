"""Real-imagery ship recall and precision: size-bin arithmetic, the HBB/oriented matching rule, what a false
detection is, negative images, the hull-filter hook, the index files, and the whole evaluation end to end on
the real images with a stub detector that returns the truth."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

from tankerwatch.config import DetectConfig
from tankerwatch.datasets.convert import rect_corners, rotated_corners
from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.inference.measure import box_from_xywhr
from tankerwatch.inference.merge import merge_boxes
from tankerwatch.schema import OrientedBox, TankerwatchError
from tankerwatch.training.realworld import (
    ImageResult,
    TruthHull,
    evaluate_image,
    evaluate_realworld,
    false_detections,
    hbb_or_rotated_iou,
    length_errors_m,
    load_real_images,
    match_image,
    match_pairs,
    realworld_table,
    report_dict,
    summarise,
    working_image,
)
from tests.conftest import REALWORLD

IMAGERY = REALWORLD / "imagery"
needs_imagery = pytest.mark.skipif(not (IMAGERY / "index.csv").exists(), reason="real imagery not present")
# README A: 32 images / 1006 ships in index.csv; index_more.csv adds 61 images (10 of them negatives) / 760 ships
MORE = (IMAGERY / "index_more.csv").exists()
N_IMAGES, N_SHIPS = (93, 1766) if MORE else (32, 1006)
SOURCES = {"dota_devkit", "dota8", "shiprsimagenet_sdde"} | ({"fair1m_part1", "airbus_kaggle"} if MORE else set())


def oriented_truth(cx: float, cy: float, length_px: float, beam_px: float, angle_rad: float, gsd_m: float = 1.0):
    """An oriented truth hull with its length in metres."""
    return TruthHull(rotated_corners(cx, cy, length_px, beam_px, angle_rad), True, length_px * gsd_m)


def box_on(t: TruthHull, conf: float = 0.9, angle_rad: float | None = None) -> OrientedBox:
    """A prediction lying exactly on an oriented truth hull (or turned to angle_rad about its centre)."""
    c = t.corners_px
    length, beam = np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[1])
    axis = math.atan2(c[1][1] - c[0][1], c[1][0] - c[0][0]) if angle_rad is None else angle_rad
    cx, cy = c.mean(axis=0)
    return OrientedBox(float(cx), float(cy), float(length), float(beam), axis % math.pi, conf, "vessel")


def test_length_error_is_measured_on_found_oriented_ships_only():
    ships = [oriented_truth(200, 200, 100, 16, 0.2, gsd_m=0.5), oriented_truth(600, 200, 80, 12, 1.0, gsd_m=0.5)]
    hbb = TruthHull(ships[1].corners_px + [0, 300], False, 40.0)
    long = box_on(ships[0])
    long = OrientedBox(long.cx_px, long.cy_px, 110.0, long.beam_px, long.axis_rad, 0.9, "vessel")  # 5 m too long
    truth = [*ships, hbb]
    predictions = [long, box_on(hbb)]  # the second ship is missed; the HBB one is found
    pairs = match_pairs(truth, predictions)
    assert pairs == [0, -1, 1]
    assert length_errors_m(truth, predictions, pairs, 0.5) == pytest.approx([5.0])
    result = ImageResult(
        "s",
        "a.png",
        0.5,
        False,
        [t.length_m for t in truth],
        [k >= 0 for k in pairs],
        2,
        2,
        1,
        0,
        length_errors_m=[5.0, -3.0],
    )
    report = summarise("s", [result])
    assert report.length_mae_m == pytest.approx(4.0) and report.n_length == 2
    assert "4.0 (2)" in realworld_table_line(report)


def realworld_table_line(report) -> str:
    """The table row of a per-source report."""
    from tankerwatch.training.realworld import RealworldReport

    rw = RealworldReport("dir", 0.3, "hbb", 1.0, 1024, report, {"s": report}, [])
    return realworld_table(rw)


# ------------------------------------------------------------------------------------------ size bins


def test_perfect_predictions_give_recall_one_in_every_bin():
    # one ship in each bin: 10, 30, 80, 120 and 250 m long (1 m/px)
    truth = [
        oriented_truth(400 * i + 200, 300, length, length / 6, 0.3 * i)
        for i, length in enumerate((10, 30, 80, 120, 250))
    ]
    found, tp = match_image(truth, [box_on(t) for t in truth])
    assert found == [True] * 5 and tp == 5
    report = summarise("s", [ImageResult("s", "a.png", 1.0, False, [t.length_m for t in truth], found, 5, tp, 1, 0)])
    assert [b.recall for b in report.bins] == [1.0] * 5
    assert [b.n_truth for b in report.bins] == [1] * 5
    assert report.over_50m.recall == 1.0 and report.over_50m.n_truth == 3
    assert report.precision == 1.0 and report.recall == 1.0


def test_missed_120m_ship_lowers_over_50m_recall_by_a_third():
    truth = [
        oriented_truth(400 * i + 200, 300, length, length / 6, 0.0) for i, length in enumerate((10, 30, 80, 120, 250))
    ]
    predictions = [box_on(t) for t in truth if t.length_m != 120]  # the 120 m ship is missed
    found, tp = match_image(truth, predictions)
    report = summarise("s", [ImageResult("s", "a.png", 1.0, False, [t.length_m for t in truth], found, 4, tp, 1, 0)])
    by_label = {b.label: b for b in report.bins}
    assert by_label["100-200 m"].recall == 0.0 and by_label["100-200 m"].n_truth == 1
    assert by_label["<20 m"].recall == by_label["50-100 m"].recall == by_label[">200 m"].recall == 1.0
    # 3 ships over 50 m, 2 found: 1.0 -> 2/3
    assert report.over_50m.recall == pytest.approx(2 / 3)
    assert (report.over_50m.n_found, report.over_50m.n_truth) == (2, 3)
    assert report.recall == pytest.approx(4 / 5) and report.precision == 1.0


def test_an_empty_bin_has_no_recall_and_precision_counts_false_alarms():
    truth = [oriented_truth(100, 100, 60, 10, 0.0)]
    stray = OrientedBox(500, 500, 60, 10, 0.0, 0.95, "tanker")  # matches nothing
    predictions = [stray, box_on(truth[0], conf=0.5)]
    found, tp = match_image(truth, predictions)
    false = false_detections(truth, predictions)
    assert false == [True, False]
    report = summarise("s", [ImageResult("s", "a.png", 1.0, False, [60.0], found, 2, tp, 1, sum(false))])
    assert report.bins[0].recall is None and report.bins[0].n_truth == 0
    assert report.over_50m.recall == 1.0 and report.precision == 0.5 and report.precision_matched == 0.5
    assert report.n_false == 1 and report.false_per_image == 1.0


def test_precision_and_false_detections_per_image_with_a_negative_image():
    # image a: one ship, one detection on it and one on open water; image b: no ship, three detections
    ship = oriented_truth(100, 100, 120, 20, 0.3)
    on_ship, on_water = box_on(ship), OrientedBox(600, 400, 80, 15, 0.0, 0.8, "vessel")
    a = evaluate_boxes("a.png", [ship], [on_ship, on_water])
    b = evaluate_boxes("b.png", [], [OrientedBox(100 * i + 50, 50, 40, 8, 0.0, 0.7, "tanker") for i in range(3)])
    assert (a.n_predicted, a.n_true_positive, a.n_false) == (2, 1, 1) and not a.negative
    assert (b.n_predicted, b.n_true_positive, b.n_false) == (3, 0, 3) and b.negative
    only_a = summarise("s", [a])
    assert only_a.precision == 0.5 and only_a.false_per_image == 1.0 and only_a.negative_images == 0
    assert only_a.false_per_negative_image is None
    both = summarise("s", [a, b])
    assert both.precision == pytest.approx(1 / 5) and both.n_false == 4 and both.false_per_image == 2.0
    assert both.negative_images == 1 and both.false_per_negative_image == 3.0
    assert both.recall == 1.0 and both.over_50m.n_truth == 1  # the negative image adds no truth
    assert summarise("neg", [b]).precision == 0.0 and summarise("none", []).precision is None


def test_a_detection_covering_a_ship_is_not_false_even_when_it_does_not_match():
    ship = oriented_truth(300, 300, 200, 30, 0.0)  # 200 m hull at 1 m/px
    duplicate = box_on(ship, conf=0.5)  # a second box on a hull already matched
    bow = OrientedBox(375, 300, 50, 30, 0.0, 0.6, "vessel")  # the bow 50 m only: IoU 0.25 fails, all of it on the hull
    assert hbb_or_rotated_iou(Polygon(bow.corners()), ship) < 0.3
    found, tp = match_image([ship], [box_on(ship), duplicate, bow])
    assert found == [True] and tp == 1
    assert false_detections([ship], [box_on(ship), duplicate, bow]) == [False, False, False]
    # one box over two boats moored side by side contains both centres; a box beside a boat covers neither
    boats = [oriented_truth(500, 100, 20, 6, 0.0), oriented_truth(500, 108, 20, 6, 0.0)]
    raft = OrientedBox(500, 104, 60, 40, 0.0, 0.6, "vessel")  # much larger than either: IoU and IoD both low
    beside = OrientedBox(540, 104, 20, 6, 0.0, 0.6, "vessel")
    assert false_detections(boats, [raft, beside]) == [False, True]
    # a box only touching the edge of a hull (under 0.3 of its area on it, centre off the hull) is false
    edge = OrientedBox(300, 322, 100, 30, 0.0, 0.6, "vessel")  # overlaps the hull by 8 of its 30 px beam
    assert false_detections([ship], [edge]) == [True]


def evaluate_boxes(name: str, truth: list[TruthHull], predictions: list[OrientedBox]) -> ImageResult:
    """An ImageResult for given predictions, scored as evaluate_image scores them."""
    found, tp = match_image(truth, predictions)
    return ImageResult(
        "s",
        name,
        1.0,
        False,
        [t.length_m for t in truth],
        found,
        len(predictions),
        tp,
        1,
        sum(false_detections(truth, predictions)),
    )


def test_one_prediction_finds_one_ship_only():
    truth = [oriented_truth(100, 100, 60, 10, 0.0), oriented_truth(100, 100, 60, 10, 0.0)]  # a duplicated label
    found, tp = match_image(truth, [box_on(truth[0])])
    assert sorted(found) == [False, True] and tp == 1


# ------------------------------------------------------------------------------------------ matching rule


def test_hbb_truth_is_matched_by_the_predictions_bounding_box():
    # a 100 x 20 px ship lying at 45 deg; its hand-drawn HBB is an ~85 px square, mostly water
    ship = oriented_truth(200, 200, 100, 20, math.pi / 4)
    x0, y0 = ship.corners_px.min(axis=0)
    x1, y1 = ship.corners_px.max(axis=0)
    hbb = TruthHull(rect_corners(x0, y0, x1, y1), False, (x1 - x0) * 1.0)
    exact = box_on(ship)
    from tankerwatch.training.evaluate import rotated_iou

    # rotated IoU of the exact hull against the HBB is below the bar: rotated matching would miss it
    assert rotated_iou(Polygon(exact.corners()), hbb.polygon) < 0.3
    assert hbb_or_rotated_iou(Polygon(exact.corners()), hbb) == pytest.approx(1.0)
    assert match_image([hbb], [exact])[0] == [True]


def test_oriented_truth_needs_the_right_orientation():
    ship = oriented_truth(200, 200, 100, 20, math.pi / 4)
    across = box_on(ship, angle_rad=-math.pi / 4)  # same centre and size, turned 90 deg
    # as HBB labels the two are the same square, so the HBB rule would accept it; the oriented rule must not
    x0, y0 = ship.corners_px.min(axis=0)
    x1, y1 = ship.corners_px.max(axis=0)
    assert match_image([TruthHull(rect_corners(x0, y0, x1, y1), False, 85.0)], [across])[0] == [True]
    assert match_image([ship], [across])[0] == [False]
    assert match_image([ship], [box_on(ship)])[0] == [True]
    # a hull shifted by 60 % of its length: IoU 0.4 / 1.6 = 0.25 < 0.3
    shifted = box_on(ship)
    shifted = replace(
        shifted, cx_px=shifted.cx_px + 60 * math.cos(math.pi / 4), cy_px=shifted.cy_px + 60 * math.sin(math.pi / 4)
    )
    assert match_image([ship], [shifted])[0] == [False]


# ------------------------------------------------------------------------------------------ end to end


class TruthStub:
    """A detector that 'sees' exactly the labelled ships: it finds where each tile lies by pixel
    matching against the working-GSD images, and returns the truth boxes there in tile pixels."""

    def __init__(self, images, working_gsd_m: float = 1.0):
        self.images = []
        for im in images:
            rgb, (nw, nh) = working_image(im.image_path, im.gsd_m, working_gsd_m)
            h, w = rgb.shape[:2]
            # the resampled size must follow from the GSD, not from anything else
            assert abs(w - nw * im.gsd_m / working_gsd_m) <= 1 and abs(h - nh * im.gsd_m / working_gsd_m) <= 1
            scale = np.array([w / nw, h / nh])
            self.images.append((rgb, [t.corners_px * scale for t in im.truth]))
        self.tiles_seen = 0

    def _locate(self, tile: np.ndarray) -> tuple[int, int, int]:
        """(image index, x0, y0) of the one place the tile's top-left patch comes from."""
        whole = [
            k for k, (rgb, _) in enumerate(self.images) if np.array_equal(tile[: rgb.shape[0], : rgb.shape[1]], rgb)
        ]  # an image smaller than the tile
        if len(whole) == 1:
            return whole[0], 0, 0
        hits = []
        for k, (rgb, _) in enumerate(self.images):
            p = min(32, *rgb.shape[:2])
            patch = np.ascontiguousarray(tile[:p, :p])
            sq = cv2.matchTemplate(rgb, patch, cv2.TM_SQDIFF_NORMED)
            # matchTemplate works in float (FFT): shortlist near-zero scores, then demand equal pixels
            hits += [
                (k, int(x), int(y))
                for y, x in zip(*np.nonzero(sq < 1e-4), strict=True)
                if np.array_equal(rgb[y : y + p, x : x + p], patch)
            ]
        assert len(hits) == 1, f"tile found at {hits[:5]}"
        return hits[0]

    def predict(self, tiles):
        out = []
        for tile in tiles:
            assert tile.shape[:2] == (tile.shape[0], tile.shape[0]) and tile.dtype == np.uint8
            self.tiles_seen += 1
            k, x0, y0 = self._locate(tile)
            rgb, boxes = self.images[k]
            h, w = rgb.shape[:2]
            x1, y1 = min(x0 + tile.shape[1], w), min(y0 + tile.shape[0], h)
            rows = []
            for c in boxes:
                cx, cy = c.mean(axis=0)
                if x0 <= cx < x1 and y0 <= cy < y1:  # a hull whose centre lies in the tile
                    bw, bh = np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[1])
                    angle = math.atan2(c[1][1] - c[0][1], c[1][0] - c[0][0])
                    rows.append([cx - x0, cy - y0, bw, bh, angle, 0.9, 1])
            out.append(np.array(rows, np.float32).reshape(-1, 7))
        return out


def survivors_of_merge(image, cfg: DetectConfig) -> list[bool]:
    """Which truth boxes of an image survive the cross-tile merge when given to it as detections."""
    boxes = []
    for t in image.truth:
        c = t.corners_px
        w, h = np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[1])
        boxes.append(box_from_xywhr(*c.mean(axis=0), w, h, math.atan2(*(c[1] - c[0])[::-1]), 0.9, "vessel"))
    kept = {id(b) for b in merge_boxes(boxes, [False] * len(boxes), cfg.iou_threshold)}
    return [id(b) in kept for b in boxes]


@needs_imagery
def test_real_evaluation_end_to_end_with_a_truth_stub_finds_every_ship():
    cfg = DetectConfig()  # 1 m working GSD, 1024 px tiles: every real image fits in one tile
    images = load_real_images(IMAGERY)
    assert len(images) == N_IMAGES and sum(len(im.truth) for im in images) == N_SHIPS
    by_source = {im.source: im for im in images}
    assert not by_source["dota_devkit"].gsd_assumed and by_source["dota_devkit"].gsd_m == pytest.approx(
        0.2556, abs=1e-4
    )
    assert by_source["dota8"].gsd_assumed and by_source["dota8"].gsd_m == 0.25
    assert by_source["shiprsimagenet_sdde"].gsd_assumed and by_source["shiprsimagenet_sdde"].gsd_m == 0.3
    if MORE:
        fair = {im.image_path.stem: im for im in images if im.source == "fair1m_part1"}
        assert len(fair) == 41 and sum(len(im.truth) for im in fair.values()) == 735
        # port tiles at the assumed 0.5 m; the three 1000-px tiles at their index's car-based estimates
        assert {(im.gsd_m, im.gsd_assumed) for k, im in fair.items() if k not in ("1013", "1073", "1088")} == {
            (0.5, True)
        }
        assert [fair[k].gsd_m for k in ("1013", "1073", "1088")] == [0.24, 0.24, 0.27]
        # README A4: about 107 ships over 50 m at the likely GSD
        assert sum(t.length_m > 50 for im in fair.values() for t in im.truth) == 107
        airbus = [im for im in images if im.source == "airbus_kaggle"]
        assert len(airbus) == 20 and {im.gsd_m for im in airbus} == {1.2} and all(im.gsd_assumed for im in airbus)
        assert sum(not im.truth for im in airbus) == 10 and sum(len(im.truth) for im in airbus) == 25

    stub = TruthStub(images)
    report = evaluate_realworld(IMAGERY, stub, cfg)
    assert stub.tiles_seen == N_IMAGES
    assert report.overall.n_truth == N_SHIPS and report.overall.precision == 1.0 and report.overall.n_false == 0
    # oriented labels come back exactly: every ship found
    assert report.sources["dota_devkit"].recall == report.sources["dota8"].recall == 1.0
    # HBB labels come back as axis-aligned boxes, and where two berthed ships' HBBs overlap by more than
    # the cross-tile merge allows, the merge keeps one, as it would two detections of one hull. So every
    # ship is found exactly when the merge of the labels themselves keeps it.
    for im, r in zip(images, report.images, strict=True):
        assert r.found == survivors_of_merge(im, cfg), im.image_path.name
    hbb = report.sources["shiprsimagenet_sdde"]
    kept = sum(sum(survivors_of_merge(im, cfg)) for im in images if im.source == "shiprsimagenet_sdde")
    assert hbb.n_found == kept >= 0.95 * hbb.n_truth
    if MORE:
        assert report.sources["fair1m_part1"].recall >= 0.95
        neg = report.negatives["airbus_kaggle"]
        assert (neg.images, neg.n_truth, neg.n_predicted, neg.false_per_image) == (10, 0, 0, 0.0)
    table = realworld_table(report)
    assert "dota8" in table and "(assumed)" in table and "GSD assumed for dota8, shiprsimagenet_sdde" in table
    assert ("airbus_kaggle (negatives)" in table) == MORE
    json.dumps(report_dict(report))  # JSON-ready: no NaN, no numpy scalars


@needs_imagery
def test_tiling_and_merge_map_boxes_back_to_native_pixels():
    # small tiles force a 3 x 3 grid over the marina image at 1 m: hulls near tile edges come back from
    # several tiles and must merge into one box in native pixels, on top of the label
    images = [im for im in load_real_images(IMAGERY) if im.source == "dota_devkit"]
    cfg = DetectConfig(tile_px=128, overlap_m=40.0)
    stub = TruthStub(images)
    one_tile = evaluate_image(images[0], TruthStub(images), DetectConfig())
    result = evaluate_image(images[0], stub, cfg)
    assert result.tiles == stub.tiles_seen == 9
    assert result.found == one_tile.found and all(one_tile.found)
    assert result.n_predicted == one_tile.n_predicted


@needs_imagery
def test_eval_cli_runs_real_imagery_only(tmp_path, monkeypatch):
    from tankerwatch import cli

    images = load_real_images(IMAGERY)
    monkeypatch.setattr("tankerwatch.models.detector.load_detector", lambda *a, **k: TruthStub(images))
    res = CliRunner().invoke(cli.main, ["eval", "--real", str(IMAGERY), "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "ev" / "eval_report.json").read_text())
    real = report["realworld"]
    assert real["overall"]["n_truth"] == N_SHIPS and "classes" not in report
    assert set(real["sources"]) == SOURCES and len(real["images"]) == N_IMAGES
    o = real["overall"]["over_50m"]
    assert f"headline: recall of ships >50 m = {o['recall']:4.2f} ({o['n_found']}/{o['n_truth']})" in res.output


def test_eval_cli_needs_scenes_or_real(tmp_path):
    from tankerwatch import cli

    res = CliRunner().invoke(cli.main, ["eval", "--out", str(tmp_path / "ev")])
    assert res.exit_code == 2 and "--real" in res.output


# ------------------------------------------------------------------------------------------ generated imagery folders

INDEX_HEADER = "source_dir,image,annotation,width,height,ship_count,box_type,gsd_m,notes\n"


def noisy_image(path, width: int, height: int, seed: int = 0) -> None:
    """A lossless image with texture, so the percentile stretch has something to stretch."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.random.default_rng(seed).integers(20, 200, (height, width, 3), dtype=np.uint8))


def write_imagery(root, more: bool = True, main: bool = True):
    """A real-imagery folder in the layout of ../shared/realworld/imagery: a DOTA image in index.csv; a FAIR1M
    tile, an Airbus chip with a ship (YOLO HBB, no classes.txt) and an Airbus negative in index_more.csv."""
    from tests.test_converters import FAIR1M_OBJECTS, fair1m_xml

    if main:
        noisy_image(root / "dota_devkit" / "images" / "P0001.png", 400, 300)
        (root / "dota_devkit" / "labelTxt").mkdir(parents=True)
        (root / "dota_devkit" / "labelTxt" / "P0001.txt").write_text(
            "imagesource:GoogleEarth\ngsd:0.5\n"
            "20 85 180 85 180 115 20 115 ship 0\n"  # 160 x 30 px: 80 m
            "270 193 330 193 330 207 270 207 ship 0\n"  # 60 x 14 px: 30 m
            "10 10 40 10 40 40 10 40 harbor 0\n"
        )
        (root / "index.csv").write_text(
            INDEX_HEADER + "dota_devkit,images/P0001.png,labelTxt/P0001.txt,400,300,2,"
            '"OBB (DOTA 8-corner, pixel)",0.5 (label header),\n'
        )
    if more:
        noisy_image(root / "fair1m_part1" / "images" / "1027.jpg", 400, 300, 1)
        (root / "fair1m_part1" / "labelXml").mkdir(parents=True)
        (root / "fair1m_part1" / "labelXml" / "1027.xml").write_text(fair1m_xml(FAIR1M_OBJECTS))
        noisy_image(root / "airbus_kaggle" / "images" / "a1.jpg", 200, 200, 2)
        noisy_image(root / "airbus_kaggle" / "images" / "n1.jpg", 200, 200, 3)
        (root / "airbus_kaggle" / "labels").mkdir(parents=True)
        (root / "airbus_kaggle" / "labels" / "a1.txt").write_text("0 0.5 0.25 0.4 0.1\n")
        hbb = "HBB (YOLO cx cy w h normalized; class 0 = ship)"
        (root / "index_more.csv").write_text(
            INDEX_HEADER
            + 'fair1m_part1,images/1027.jpg,labelXml/1027.xml,400,300,4,"OBB (FAIR1M XML, 4 corner points in pixels)",'
            "0.3-0.8 (FAIR1M dataset range; per-image not recorded),\n"
            + f"airbus_kaggle,images/a1.jpg,labels/a1.txt,200,200,1,{hbb},~1-1.5 (not stated by source; see README),\n"
            + "airbus_kaggle,images/n1.jpg,(none: no ship in Airbus ground truth),200,200,0,none (negative image),"
            "~1-1.5 (not stated by source; see README),negative\n"
        )
    return root


class FixedDetector:
    """A detector that returns the same rows (cx, cy, w, h, angle, conf, class in tile pixels) on every tile."""

    def __init__(self, rows):
        self.rows = np.asarray(rows, np.float32).reshape(-1, 7)
        self.tiles = []

    def predict(self, tiles):
        self.tiles += [t.shape for t in tiles]
        return [self.rows.copy() for _ in tiles]


def test_both_index_files_every_format_and_negatives(tmp_path):
    root = write_imagery(tmp_path / "imagery")
    images = load_real_images(root)
    assert [(im.source, im.image_path.name) for im in images] == [
        ("dota_devkit", "P0001.png"),
        ("fair1m_part1", "1027.jpg"),
        ("airbus_kaggle", "a1.jpg"),
        ("airbus_kaggle", "n1.jpg"),
    ]
    dota, fair, ship, negative = images
    assert (dota.gsd_m, dota.gsd_assumed, len(dota.truth)) == (0.5, False, 2)
    # FAIR1M: the index gives a range, not a GSD, so the README's best guess for port tiles is used, flagged
    assert (fair.gsd_m, fair.gsd_assumed) == (0.5, True) and "assumed" in fair.gsd_note
    assert [t.source_class for t in fair.truth] == ["Liquid Cargo Ship", "Dry Cargo Ship", "other-ship", "Fishing Boat"]
    assert all(t.oriented for t in fair.truth) and fair.truth[0].length_m == pytest.approx(100.5, abs=0.5)
    # Airbus: "~1-1.5" is a range too; class 0 is a ship without any classes.txt; HBB truth
    assert (ship.gsd_m, ship.gsd_assumed) == (1.2, True) and len(ship.truth) == 1 and not ship.truth[0].oriented
    np.testing.assert_allclose(ship.truth[0].corners_px, rect_corners(60, 40, 140, 60))
    assert ship.truth[0].length_m == pytest.approx(80 * 1.2)
    assert negative.label_path is None and negative.truth == [] and negative.gsd_m == 1.2
    # either index may be absent
    assert [im.source for im in load_real_images(write_imagery(tmp_path / "only_more", main=False))] == [
        "fair1m_part1",
        "airbus_kaggle",
        "airbus_kaggle",
    ]
    assert [im.source for im in load_real_images(write_imagery(tmp_path / "only_main", more=False))] == ["dota_devkit"]
    with pytest.raises(TankerwatchError, match="no index.csv or index_more.csv"):
        load_real_images(tmp_path / "only_main" / "dota_devkit")


def test_a_listed_label_file_that_is_missing_is_an_error_not_a_negative(tmp_path):
    root = write_imagery(tmp_path, main=False)
    (root / "airbus_kaggle" / "labels" / "a1.txt").unlink()
    with pytest.raises(TankerwatchError, match="a1.txt: label file not found"):
        load_real_images(root)


def test_negative_images_get_their_own_row_and_every_detection_on_them_is_false(tmp_path):
    root = write_imagery(tmp_path)
    # one box at the working-GSD tile's top left, on no labelled ship of any of the four images
    detector = FixedDetector([[20, 20, 16, 6, 0.0, 0.9, 1]])
    report = evaluate_realworld(root, detector, DetectConfig())
    assert set(report.sources) == {"dota_devkit", "fair1m_part1", "airbus_kaggle"}
    assert [r.n_false for r in report.images] == [1, 1, 1, 1] and [r.negative for r in report.images] == [
        False,
        False,
        False,
        True,
    ]
    air = report.sources["airbus_kaggle"]
    assert (air.images, air.n_predicted, air.n_false, air.precision, air.false_per_image) == (2, 2, 2, 0.0, 1.0)
    assert air.negative_images == 1 and air.false_per_negative_image == 1.0
    assert set(report.negatives) == {"airbus_kaggle"}
    neg = report.negatives["airbus_kaggle"]
    assert (neg.name, neg.images, neg.n_truth, neg.n_false, neg.false_per_image) == (
        "airbus_kaggle (negatives)",
        1,
        0,
        1,
        1.0,
    )
    assert report.overall.n_false == 4 and report.overall.precision == 0.0 and report.overall.negative_images == 1
    table = realworld_table(report)
    lines = table.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("airbus_kaggle "))
    assert lines[row + 1].startswith("airbus_kaggle (negatives)")
    # name, GSD "1.2 (assumed)", then imgs, truth, pred, false
    assert lines[row + 1].split()[4:8] == ["1", "0", "1", "1"]
    assert "false" in lines[1] and "F/img" in lines[1] and "(negatives)' rows" in table
    d = report_dict(report)
    json.dumps(d)
    assert [i["negative"] for i in d["images"]] == [False, False, False, True]
    assert d["negatives"]["airbus_kaggle"]["n_false"] == 1 and d["overall"]["n_false"] == 4


def test_hull_filter_sees_the_native_image_and_its_output_is_what_is_scored(tmp_path, monkeypatch):
    import tankerwatch.training.realworld as realworld

    root = write_imagery(tmp_path, more=False)
    image = load_real_images(root)[0]  # 400 x 300 px at 0.5 m: 200 x 150 px at the 1 m working GSD
    # the two labelled ships and a box on open water, in working pixels
    rows = [[50, 50, 80, 15, 0.0, 0.9, 1], [150, 100, 30, 7, 0.0, 0.8, 1], [150, 30, 30, 7, 0.0, 0.7, 1]]
    cfg = DetectConfig()

    def no_native_read(*a, **k):
        raise AssertionError("the native image is read only for a hull filter")

    monkeypatch.setattr(realworld, "native_image", no_native_read)
    plain = evaluate_image(image, FixedDetector(rows), cfg)
    monkeypatch.undo()
    assert (plain.n_predicted, plain.n_true_positive, plain.n_false, plain.found) == (3, 2, 1, [True, True])
    assert plain.n_detected is None

    calls = []

    def long_hulls_are_tankers(rgb, gsd_m, boxes):
        calls.append((rgb, gsd_m, boxes))
        return [replace(b, class_name="tanker") for b in boxes if b.length_px > 100]

    result = evaluate_image(image, FixedDetector(rows), cfg, hull_filter=long_hulls_are_tankers)
    ((rgb, gsd_m, boxes),) = calls
    bgr = cv2.imread(str(image.image_path))
    assert rgb.shape == (300, 400, 3) and rgb.dtype == np.uint8 and gsd_m == 0.5
    assert np.array_equal(rgb, stretch_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    # the merged boxes in native pixels: twice the working coordinates
    np.testing.assert_allclose(
        sorted((b.cx_px, b.cy_px, b.length_px) for b in boxes),
        [(100, 100, 160), (300, 60, 60), (300, 200, 60)],
        atol=1.0,
    )
    # only the 80 m hull is kept: the 30 m ship is now missed and no detection is false
    assert (result.n_detected, result.n_predicted, result.n_true_positive, result.n_false) == (3, 1, 1, 0)
    assert result.found == [True, False]

    report = evaluate_realworld(root, FixedDetector(rows), cfg, hull_filter=long_hulls_are_tankers)
    assert report.hull_filter.endswith("long_hulls_are_tankers") and report.overall.precision == 1.0
    assert "hull filter" in realworld_table(report)
    with pytest.raises(TankerwatchError, match="must return a list of OrientedBox"):
        evaluate_image(image, FixedDetector(rows), cfg, hull_filter=lambda rgb, g, b: None)


def test_what_the_water_object_source_adds_is_counted_apart(tmp_path):
    root = write_imagery(tmp_path, more=False)
    image = load_real_images(root)[0]  # two labelled ships; in native pixels the second lies at (300, 200)
    rows = [[50, 50, 80, 15, 0.0, 0.9, 1]]  # the detector finds the first ship only

    def add_objects(rgb, gsd_m, boxes):
        second = OrientedBox(300, 200, 60, 14, 0.0, 0.3, "vessel", "water_object")
        on_water = OrientedBox(300, 60, 60, 14, 0.0, 0.3, "vessel", "water_object")
        return [*boxes, second, on_water]

    result = evaluate_image(image, FixedDetector(rows), DetectConfig(), hull_filter=add_objects)
    assert result.found == [True, True] and result.n_false == 1
    assert (result.objects_predicted, result.objects_found, result.objects_false) == (2, 1, 1)
    report = summarise("s", [result])
    assert (report.objects_predicted, report.objects_found, report.objects_false) == (2, 1, 1)
