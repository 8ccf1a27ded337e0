"""Evaluation against ground truth: OBB AP50 and AP50:95 per class, precision/recall, length, beam and heading error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from tankerwatch.io import read_json
from tankerwatch.schema import SHIP_CLASSES

GSD_BINS_M = ((0.0, 0.4), (0.4, 0.75), (0.75, 1.25), (1.25, 3.5))
COCO_IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # 0.50, 0.55, ..., 0.95


@dataclass
class TruthShip:
    """A ground-truth hull: class, WGS84 footprint, true length and beam, scene GSD, bow heading."""

    class_name: str
    footprint: Polygon
    length_m: float
    beam_m: float
    gsd_m: float
    whole: bool = True  # wholly inside the scene; a hull cut by the scene edge has no measurable size
    heading_deg: float | None = None  # bow direction, 0-360; None where the truth file has none


@dataclass
class PredictedShip:
    """A detection to score: class, confidence, WGS84 footprint, measured length and beam, heading."""

    class_name: str
    confidence: float
    footprint: Polygon
    length_m: float
    beam_m: float
    heading_deg: float | None = None
    heading_ambiguous: bool = False  # no bow cue: heading_deg is the hull axis in [0, 180)


@dataclass
class SceneEval:
    """Truth and predictions of one scene."""

    scene_id: str
    truth: list[TruthShip]
    predicted: list[PredictedShip]


@dataclass
class ClassReport:
    """Scores of one class."""

    ap50: float
    precision: float
    recall: float
    n_truth: int
    n_predicted: int
    ap50_95: float = float("nan")
    length_mae_m: float | None = None
    length_bias_m: float | None = None
    beam_mae_m: float | None = None
    beam_bias_m: float | None = None
    by_gsd: dict = field(default_factory=dict)
    heading_n: int = 0  # matched pairs with a heading on both sides
    heading_mae_deg: float | None = None  # hull-axis error (modulo 180) over those pairs
    bow_n: int = 0  # of those, detections with a bow cue (not heading_ambiguous)
    bow_right_share: float | None = None  # share of bow_n whose bow is within 90 degrees of the truth
    bow_mae_deg: float | None = None  # bow error (modulo 360) over bow_n


def rotated_iou(a: Polygon, b: Polygon) -> float:
    """Intersection over union of two footprints."""
    inter = a.intersection(b).area
    return inter / (a.area + b.area - inter) if inter > 0 else 0.0


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (all-point interpolation, as VOC/COCO-style AP50)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.where(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def _ranked_ious(scenes: list[SceneEval], cls: str) -> tuple[list[tuple[int, PredictedShip]], dict[int, list[TruthShip]], list[np.ndarray]]:
    """One class's predictions by falling confidence, its truth per scene, and each prediction's IoU with its scene's truth."""
    preds = [(s_i, p) for s_i, s in enumerate(scenes) for p in s.predicted if p.class_name == cls]
    preds.sort(key=lambda x: -x[1].confidence)
    truths = {s_i: [t for t in s.truth if t.class_name == cls] for s_i, s in enumerate(scenes)}
    # computed once, reused at every IoU threshold of AP50:95
    ious = [np.array([rotated_iou(p.footprint, t.footprint) for t in truths[s_i]]) for s_i, p in preds]
    return preds, truths, ious


def _greedy_match(preds: list[tuple[int, PredictedShip]], truths: dict[int, list[TruthShip]], ious: list[np.ndarray],
                  iou_threshold: float) -> list[int]:
    """Greedy confidence-ranked matching: each prediction's matched truth index in its scene, or -1."""
    used = {s_i: [False] * len(ts) for s_i, ts in truths.items()}
    matched = []
    for (s_i, _), iou in zip(preds, ious):
        best, best_iou = -1, iou_threshold
        for j, v in enumerate(iou):
            if not used[s_i][j] and v >= best_iou:
                best, best_iou = j, v
        if best >= 0:
            used[s_i][best] = True
        matched.append(best)
    return matched


def _true_positives(matched: list[int]) -> np.ndarray:
    """1 for each ranked prediction that matched a truth hull, else 0."""
    return np.array([m >= 0 for m in matched], float)


def _ap(tp: np.ndarray, n_truth: int) -> float:
    """AP of ranked true/false positives against n_truth hulls."""
    if not n_truth:
        return float("nan")
    ctp = np.cumsum(tp)
    return average_precision(ctp / n_truth, ctp / np.arange(1, len(tp) + 1))


def _match_class(scenes: list[SceneEval], cls: str, iou_threshold: float, conf_threshold: float) -> ClassReport:
    """Match one class's predictions to truth, then AP50, AP50:95, P/R at the operating point, size and heading errors."""
    preds, truths, ious = _ranked_ious(scenes, cls)
    n_truth = sum(len(ts) for ts in truths.values())
    matched = _greedy_match(preds, truths, ious, iou_threshold)
    tp = _true_positives(matched)
    at_op = np.array([p.confidence >= conf_threshold for _, p in preds], bool)
    pairs = [(p, truths[s_i][m]) for (s_i, p), m, op in zip(preds, matched, at_op) if m >= 0 and op]
    n_op = int(at_op.sum())
    report = ClassReport(
        ap50=_ap(tp, n_truth),
        precision=float(tp[at_op].sum() / n_op) if n_op else 0.0,
        recall=float(tp[at_op].sum() / n_truth) if n_truth else float("nan"),
        n_truth=n_truth,
        n_predicted=n_op,
        ap50_95=float(np.mean([_ap(_true_positives(_greedy_match(preds, truths, ious, thr)), n_truth)
                               for thr in COCO_IOU_THRESHOLDS])),
    )
    _size_errors(report, pairs)
    _heading_errors(report, pairs)
    return report


def _size_errors(report: ClassReport, pairs: list[tuple[PredictedShip, TruthShip]]) -> None:
    """Length and beam MAE and bias (measured - true) of hulls wholly in their scene, overall and per GSD bin."""
    def stats(ps):
        dl = np.array([p.length_m - t.length_m for p, t in ps])
        db = np.array([p.beam_m - t.beam_m for p, t in ps])
        return {"n": len(ps), "length_mae_m": float(np.abs(dl).mean()), "length_bias_m": float(dl.mean()),
                "beam_mae_m": float(np.abs(db).mean()), "beam_bias_m": float(db.mean())}

    pairs = [(p, t) for p, t in pairs if t.whole]
    if not pairs:
        return
    s = stats(pairs)
    report.length_mae_m, report.length_bias_m = s["length_mae_m"], s["length_bias_m"]
    report.beam_mae_m, report.beam_bias_m = s["beam_mae_m"], s["beam_bias_m"]
    for lo, hi in GSD_BINS_M:
        ps = [(p, t) for p, t in pairs if lo <= t.gsd_m < hi]
        if ps:
            report.by_gsd[f"{lo}-{hi} m"] = stats(ps)


def heading_error(pred_deg: float, ambiguous: bool, true_deg: float) -> tuple[float, float | None]:
    """Hull-axis error (modulo 180) and, unless the detection is heading_ambiguous, bow error (modulo 360), in degrees."""
    d = abs(pred_deg - true_deg) % 360
    bow = min(d, 360 - d)
    return min(bow, 180 - bow), None if ambiguous else bow


def _heading_errors(report: ClassReport, pairs: list[tuple[PredictedShip, TruthShip]]) -> None:
    """Heading axis MAE over matched pairs, and bow-right share and bow MAE over those with a bow cue."""
    errs = [heading_error(p.heading_deg, p.heading_ambiguous, t.heading_deg) for p, t in pairs
            if p.heading_deg is not None and t.heading_deg is not None]
    if not errs:
        return
    report.heading_n = len(errs)
    report.heading_mae_deg = float(np.mean([axis for axis, _ in errs]))
    bows = [bow for _, bow in errs if bow is not None]
    report.bow_n = len(bows)
    if bows:
        report.bow_right_share = float(np.mean([b < 90 for b in bows]))
        report.bow_mae_deg = float(np.mean(bows))


def evaluate(scenes: list[SceneEval], iou_threshold: float = 0.5, conf_threshold: float = 0.25) -> dict[str, ClassReport]:
    """Per-class report over scenes."""
    return {cls: _match_class(scenes, cls, iou_threshold, conf_threshold) for cls in SHIP_CLASSES}


def truth_from_geojson(path: Path, gsd_m: float, frame: Polygon | None = None) -> list[TruthShip]:
    """Truth ships from a <scene>.truth.geojson file; frame (the scene's lon/lat outline) marks hulls cut by it."""
    fc = read_json(path, "ground-truth GeoJSON")
    ships = []
    for f in fc["features"]:
        footprint = Polygon(f["geometry"]["coordinates"][0])
        whole = frame is None or footprint.difference(frame).area <= 1e-3 * footprint.area
        props = f["properties"]
        ships.append(TruthShip(props["class"], footprint, props["length_m"], props["beam_m"], gsd_m, whole,
                               props.get("heading_deg")))
    return ships


def scene_frame(scene) -> Polygon:
    """A scene's outline in lon/lat."""
    lon, lat = scene.lonlat([0, scene.width, scene.width, 0], [0, 0, scene.height, scene.height])
    return Polygon(zip(lon, lat))


def predictions_from_geojson(path: Path) -> list[PredictedShip]:
    """Predictions from an OUT/detections/<scene_id>.geojson file."""
    fc = read_json(path, "detections GeoJSON")
    ships = []
    for f in fc["features"]:
        props = f["properties"]
        ships.append(PredictedShip(props["class"], props["confidence"], Polygon(f["geometry"]["coordinates"][0]),
                                   props["length_m"], props["beam_m"], props.get("heading_deg"),
                                   bool(props.get("heading_ambiguous", False))))
    return ships


def report_table(reports: dict[str, ClassReport]) -> str:
    """A readable table of a per-class report."""
    def fmt(v):
        return "   -" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:6.2f}"

    lines = [f"{'class':<8} {'AP50':>6} {'AP50:95':>7} {'P':>6} {'R':>6} {'truth':>6} {'pred':>6} {'L MAE':>6} {'L bias':>6} {'B MAE':>6} {'B bias':>6} {'H MAE':>6}"]
    for cls, r in reports.items():
        lines.append(f"{cls:<8} {fmt(r.ap50)} {fmt(r.ap50_95):>7} {fmt(r.precision)} {fmt(r.recall)} {r.n_truth:>6} {r.n_predicted:>6} "
                     f"{fmt(r.length_mae_m)} {fmt(r.length_bias_m)} {fmt(r.beam_mae_m)} {fmt(r.beam_bias_m)} {fmt(r.heading_mae_deg)}")
        for b, s in r.by_gsd.items():  # size errors: hulls wholly inside their scene
            lines.append(f"  GSD {b:<12} n={s['n']:<4} length MAE {s['length_mae_m']:.2f} m (bias {s['length_bias_m']:+.2f}), "
                         f"beam MAE {s['beam_mae_m']:.2f} m (bias {s['beam_bias_m']:+.2f})")
        if r.heading_n:  # H MAE is the hull-axis error; the bow is judged only where the detection found one
            bow = (f"bow right {r.bow_right_share:.0%} of {r.bow_n} (bow MAE {r.bow_mae_deg:.1f} deg)" if r.bow_n
                   else "no detection with a bow cue")
            lines.append(f"  heading   n={r.heading_n:<4} axis MAE {r.heading_mae_deg:.1f} deg, {bow}")
    return "\n".join(lines)
