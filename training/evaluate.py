"""Evaluation against ground truth: OBB AP50 per class, precision/recall, length and beam error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from tankerwatch.io import read_json
from tankerwatch.schema import SHIP_CLASSES

GSD_BINS_M = ((0.0, 0.4), (0.4, 0.75), (0.75, 1.25), (1.25, 3.5))


@dataclass
class TruthShip:
    """A ground-truth hull: class, WGS84 footprint, true length and beam, scene GSD."""

    class_name: str
    footprint: Polygon
    length_m: float
    beam_m: float
    gsd_m: float
    whole: bool = True  # wholly inside the scene; a hull cut by the scene edge has no measurable size


@dataclass
class PredictedShip:
    """A detection to score: class, confidence, WGS84 footprint, measured length and beam."""

    class_name: str
    confidence: float
    footprint: Polygon
    length_m: float
    beam_m: float


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
    length_mae_m: float | None = None
    length_bias_m: float | None = None
    beam_mae_m: float | None = None
    beam_bias_m: float | None = None
    by_gsd: dict = field(default_factory=dict)


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


def _match_class(scenes: list[SceneEval], cls: str, iou_threshold: float, conf_threshold: float) -> ClassReport:
    """Greedy confidence-ranked matching of one class's predictions to truth, then AP and size errors."""
    preds = [(s_i, p) for s_i, s in enumerate(scenes) for p in s.predicted if p.class_name == cls]
    preds.sort(key=lambda x: -x[1].confidence)
    truths = {s_i: [t for t in s.truth if t.class_name == cls] for s_i, s in enumerate(scenes)}
    used = {s_i: [False] * len(ts) for s_i, ts in truths.items()}
    n_truth = sum(len(ts) for ts in truths.values())
    tp = np.zeros(len(preds))
    pairs: list[tuple[PredictedShip, TruthShip]] = []
    for k, (s_i, p) in enumerate(preds):
        best, best_iou = -1, iou_threshold
        for j, t in enumerate(truths[s_i]):
            if not used[s_i][j]:
                iou = rotated_iou(p.footprint, t.footprint)
                if iou >= best_iou:
                    best, best_iou = j, iou
        if best >= 0:
            used[s_i][best] = True
            tp[k] = 1
            if p.confidence >= conf_threshold:
                pairs.append((p, truths[s_i][best]))
    ctp = np.cumsum(tp)
    recall = ctp / max(n_truth, 1)
    precision = ctp / np.arange(1, len(preds) + 1) if len(preds) else np.zeros(0)
    at_op = np.array([p.confidence >= conf_threshold for _, p in preds], bool)
    n_op = int(at_op.sum())
    report = ClassReport(
        ap50=average_precision(recall, precision) if n_truth else float("nan"),
        precision=float(tp[at_op].sum() / n_op) if n_op else 0.0,
        recall=float(tp[at_op].sum() / n_truth) if n_truth else float("nan"),
        n_truth=n_truth,
        n_predicted=n_op,
    )
    _size_errors(report, pairs)
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
        ships.append(TruthShip(f["properties"]["class"], footprint, f["properties"]["length_m"],
                               f["properties"]["beam_m"], gsd_m, whole))
    return ships


def scene_frame(scene) -> Polygon:
    """A scene's outline in lon/lat."""
    lon, lat = scene.lonlat([0, scene.width, scene.width, 0], [0, 0, scene.height, scene.height])
    return Polygon(zip(lon, lat))


def predictions_from_geojson(path: Path) -> list[PredictedShip]:
    """Predictions from an OUT/detections/<scene_id>.geojson file."""
    fc = read_json(path, "detections GeoJSON")
    return [
        PredictedShip(f["properties"]["class"], f["properties"]["confidence"], Polygon(f["geometry"]["coordinates"][0]),
                      f["properties"]["length_m"], f["properties"]["beam_m"])
        for f in fc["features"]
    ]


def report_table(reports: dict[str, ClassReport]) -> str:
    """A readable table of a per-class report."""
    def fmt(v):
        return "   -" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:6.2f}"

    lines = [f"{'class':<8} {'AP50':>6} {'P':>6} {'R':>6} {'truth':>6} {'pred':>6} {'L MAE':>6} {'L bias':>6} {'B MAE':>6} {'B bias':>6}"]
    for cls, r in reports.items():
        lines.append(f"{cls:<8} {fmt(r.ap50)} {fmt(r.precision)} {fmt(r.recall)} {r.n_truth:>6} {r.n_predicted:>6} "
                     f"{fmt(r.length_mae_m)} {fmt(r.length_bias_m)} {fmt(r.beam_mae_m)} {fmt(r.beam_bias_m)}")
        for b, s in r.by_gsd.items():  # size errors: hulls wholly inside their scene
            lines.append(f"  GSD {b:<12} n={s['n']:<4} length MAE {s['length_mae_m']:.2f} m (bias {s['length_bias_m']:+.2f}), "
                         f"beam MAE {s['beam_mae_m']:.2f} m (bias {s['beam_bias_m']:+.2f})")
    return "\n".join(lines)
