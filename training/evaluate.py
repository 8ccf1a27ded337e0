"""Evaluation against ground truth: OBB AP50 and AP50:95 per class, precision/recall, length, beam and heading error.

Besides the per-class scores (`evaluate`), `evaluate_types` matches predictions to truth regardless of class and
reports what each true ship type (tanker, bulk_carrier, container_ship, other_vessel) was called — a confusion
table with derived tanker precision/recall and the share of bulk carriers and container ships called tanker — and
where the false detections lie: on land or on water (from <scene>.land.geojson), per km2 of each in the scene frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely import make_valid
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from tankerwatch.geo import WGS84_GEOD
from tankerwatch.io import read_json
from tankerwatch.schema import SHIP_CLASSES

GSD_BINS_M = ((0.0, 0.4), (0.4, 0.75), (0.75, 1.25), (1.25, 3.5))
COCO_IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # 0.50, 0.55, ..., 0.95
TANKER_TRUTH_KINDS = (
    "product_tanker",
    "crude_tanker",
    "chemical_tanker",
)  # datasets/synth/spec.py kinds of class tanker
TRUE_TYPES = ("tanker", "bulk_carrier", "container_ship", "other_vessel")  # confusion rows; plus "false"
# confusion columns (plus "missed"): the detector's ship types, and "vessel" for a class-only prediction
PREDICTED_TYPES = ("tanker", "bulk_carrier", "container_ship", "general_cargo", "other", "vessel")


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
    kind: str | None = None  # datasets/synth/spec.py ship kind (product_tanker, bulk_carrier, ...); None where absent


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
    type_name: str | None = None  # ship type (tanker, bulk_carrier, ...); None in outputs without a type head
    type_probabilities: dict[str, float] | None = None
    gsd_m: float | None = None  # GSD of the grid the hull was measured in (None in older outputs)


@dataclass
class SceneEval:
    """Truth and predictions of one scene."""

    scene_id: str
    truth: list[TruthShip]
    predicted: list[PredictedShip]
    land: BaseGeometry | None = None  # lon/lat land (everything not open water); None: no <scene>.land.geojson
    frame: Polygon | None = None  # the scene's lon/lat outline, for land and water areas


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


def _ranked_ious(
    scenes: list[SceneEval], cls: str
) -> tuple[list[tuple[int, PredictedShip]], dict[int, list[TruthShip]], list[np.ndarray]]:
    """One class's predictions by falling confidence, its truth per scene, and each prediction's IoU with that truth."""
    preds = [(s_i, p) for s_i, s in enumerate(scenes) for p in s.predicted if p.class_name == cls]
    preds.sort(key=lambda x: -x[1].confidence)
    truths = {s_i: [t for t in s.truth if t.class_name == cls] for s_i, s in enumerate(scenes)}
    # computed once, reused at every IoU threshold of AP50:95
    ious = [np.array([rotated_iou(p.footprint, t.footprint) for t in truths[s_i]]) for s_i, p in preds]
    return preds, truths, ious


def _greedy_match(
    preds: list[tuple[int, PredictedShip]],
    truths: dict[int, list[TruthShip]],
    ious: list[np.ndarray],
    iou_threshold: float,
) -> list[int]:
    """Greedy confidence-ranked matching: each prediction's matched truth index in its scene, or -1."""
    used = {s_i: [False] * len(ts) for s_i, ts in truths.items()}
    matched = []
    for (s_i, _), iou in zip(preds, ious, strict=True):
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
    """Match one class's predictions to truth: AP50, AP50:95, P/R at the operating point, size and heading errors."""
    preds, truths, ious = _ranked_ious(scenes, cls)
    n_truth = sum(len(ts) for ts in truths.values())
    matched = _greedy_match(preds, truths, ious, iou_threshold)
    tp = _true_positives(matched)
    at_op = np.array([p.confidence >= conf_threshold for _, p in preds], bool)
    pairs = [(p, truths[s_i][m]) for (s_i, p), m, op in zip(preds, matched, at_op, strict=True) if m >= 0 and op]
    n_op = int(at_op.sum())
    report = ClassReport(
        ap50=_ap(tp, n_truth),
        precision=float(tp[at_op].sum() / n_op) if n_op else 0.0,
        recall=float(tp[at_op].sum() / n_truth) if n_truth else float("nan"),
        n_truth=n_truth,
        n_predicted=n_op,
        ap50_95=float(
            np.mean(
                [_ap(_true_positives(_greedy_match(preds, truths, ious, thr)), n_truth) for thr in COCO_IOU_THRESHOLDS]
            )
        ),
    )
    _size_errors(report, pairs)
    _heading_errors(report, pairs)
    return report


def _size_errors(report: ClassReport, pairs: list[tuple[PredictedShip, TruthShip]]) -> None:
    """Length and beam MAE and bias (measured - true) of hulls wholly in their scene, overall and per GSD bin."""

    def stats(ps):
        dl = np.array([p.length_m - t.length_m for p, t in ps])
        db = np.array([p.beam_m - t.beam_m for p, t in ps])
        return {
            "n": len(ps),
            "length_mae_m": float(np.abs(dl).mean()),
            "length_bias_m": float(dl.mean()),
            "beam_mae_m": float(np.abs(db).mean()),
            "beam_bias_m": float(db.mean()),
        }

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
    """Hull-axis error (modulo 180) and, unless the detection is heading_ambiguous, bow error (modulo 360), degrees."""
    d = abs(pred_deg - true_deg) % 360
    bow = min(d, 360 - d)
    return min(bow, 180 - bow), None if ambiguous else bow


def _heading_errors(report: ClassReport, pairs: list[tuple[PredictedShip, TruthShip]]) -> None:
    """Heading axis MAE over matched pairs, and bow-right share and bow MAE over those with a bow cue."""
    errs = [
        heading_error(p.heading_deg, p.heading_ambiguous, t.heading_deg)
        for p, t in pairs
        if p.heading_deg is not None and t.heading_deg is not None
    ]
    if not errs:
        return
    report.heading_n = len(errs)
    report.heading_mae_deg = float(np.mean([axis for axis, _ in errs]))
    bows = [bow for _, bow in errs if bow is not None]
    report.bow_n = len(bows)
    if bows:
        report.bow_right_share = float(np.mean([b < 90 for b in bows]))
        report.bow_mae_deg = float(np.mean(bows))


def evaluate(
    scenes: list[SceneEval], iou_threshold: float = 0.5, conf_threshold: float = 0.25
) -> dict[str, ClassReport]:
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
        ships.append(
            TruthShip(
                props["class"],
                footprint,
                props["length_m"],
                props["beam_m"],
                gsd_m,
                whole,
                props.get("heading_deg"),
                props.get("kind"),
            )
        )
    return ships


def scene_frame(scene) -> Polygon:
    """A scene's outline in lon/lat."""
    lon, lat = scene.lonlat([0, scene.width, scene.width, 0], [0, 0, scene.height, scene.height])
    return Polygon(zip(lon, lat, strict=True))


def predictions_from_geojson(path: Path) -> list[PredictedShip]:
    """Predictions from an OUT/detections/<scene_id>.geojson file."""
    fc = read_json(path, "detections GeoJSON")
    ships = []
    for f in fc["features"]:
        props = f["properties"]
        ships.append(
            PredictedShip(
                props["class"],
                props["confidence"],
                Polygon(f["geometry"]["coordinates"][0]),
                props["length_m"],
                props["beam_m"],
                props.get("heading_deg"),
                bool(props.get("heading_ambiguous", False)),
                props.get("type"),
                props.get("type_probabilities"),
                props.get("gsd_m"),
            )
        )
    return ships


def report_table(reports: dict[str, ClassReport]) -> str:
    """A readable table of a per-class report."""

    def fmt(v):
        return "   -" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:6.2f}"

    lines = [
        f"{'class':<8} {'AP50':>6} {'AP50:95':>7} {'P':>6} {'R':>6} {'truth':>6} {'pred':>6} {'L MAE':>6} "
        f"{'L bias':>6} {'B MAE':>6} {'B bias':>6} {'H MAE':>6}"
    ]
    for cls, r in reports.items():
        lines.append(
            f"{cls:<8} {fmt(r.ap50)} {fmt(r.ap50_95):>7} {fmt(r.precision)} {fmt(r.recall)} {r.n_truth:>6} "
            f"{r.n_predicted:>6} {fmt(r.length_mae_m)} {fmt(r.length_bias_m)} {fmt(r.beam_mae_m)} "
            f"{fmt(r.beam_bias_m)} {fmt(r.heading_mae_deg)}"
        )
        for b, s in r.by_gsd.items():  # size errors: hulls wholly inside their scene
            lines.append(
                f"  GSD {b:<12} n={s['n']:<4} length MAE {s['length_mae_m']:.2f} m (bias {s['length_bias_m']:+.2f}), "
                f"beam MAE {s['beam_mae_m']:.2f} m (bias {s['beam_bias_m']:+.2f})"
            )
        if r.heading_n:  # H MAE is the hull-axis error; the bow is judged only where the detection found one
            bow = (
                f"bow right {r.bow_right_share:.0%} of {r.bow_n} (bow MAE {r.bow_mae_deg:.1f} deg)"
                if r.bow_n
                else "no detection with a bow cue"
            )
            lines.append(f"  heading   n={r.heading_n:<4} axis MAE {r.heading_mae_deg:.1f} deg, {bow}")
    return "\n".join(lines)


# --- ship types and where false detections lie -------------------------------------------------------------------


@dataclass
class ConfusionReport:
    """What each true ship type was called, over scenes, at the operating point."""

    iou_threshold: float
    conf_threshold: float
    rows: dict[
        str, dict[str, int]
    ]  # true type (TRUE_TYPES, "false") -> predicted type (PREDICTED_TYPES, "missed") -> count
    n_typed: int  # predictions that carried a type; the rest count under their class (tanker, or vessel)
    n_predicted_tanker: int  # predictions called tanker
    n_truth_tanker: int
    tanker_precision: float | None  # share of predictions called tanker that are a true tanker
    tanker_recall: float | None  # share of true tankers found and called tanker
    bulk_called_tanker: float | None  # share of all true bulk carriers (missed included) called tanker
    container_called_tanker: float | None  # share of all true container ships (missed included) called tanker


@dataclass
class FalseDetectionReport:
    """False detections (matching no truth ship) on land and on water, over scenes, at the operating point."""

    n_false: int  # in all scenes
    scenes_with_land: int
    scenes_without_land: int  # their false detections are in n_unknown, not in the land/water split
    n_unknown: int
    on_land: int | None  # None: no scene had a land file, so no split
    on_water: int | None
    land_km2: float | None  # land and water area inside the scene frames of scenes with a land file
    water_km2: float | None
    on_land_per_km2: float | None
    on_water_per_km2: float | None
    on_land_by_type: dict[str, int] = field(default_factory=dict)  # predicted type -> count
    on_water_by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class TypeReport:
    """Confusion by ship type and the land/water split of false detections."""

    confusion: ConfusionReport
    false_detections: FalseDetectionReport


@dataclass
class SceneMatch:
    """One scene's class-agnostic matching: each prediction at the operating point and its truth index, or -1."""

    scene: SceneEval
    predicted: list[PredictedShip]
    truth_index: list[int]


def true_type(t: TruthShip) -> str:
    """A truth ship's confusion row: its kind grouped as tanker, bulk_carrier, container_ship or other_vessel."""
    if t.kind in TANKER_TRUTH_KINDS or (t.kind is None and t.class_name == "tanker"):
        return "tanker"
    return t.kind if t.kind in ("bulk_carrier", "container_ship") else "other_vessel"


def predicted_type(p: PredictedShip) -> str:
    """A prediction's confusion column: its type, or, without one, its class (tanker, or vessel)."""
    if p.type_name:
        return p.type_name
    return "tanker" if p.class_name == "tanker" else "vessel"


def match_any_class(
    scenes: list[SceneEval], iou_threshold: float = 0.5, conf_threshold: float = 0.25
) -> list[SceneMatch]:
    """Match predictions at or above conf_threshold to truth of any class: one-to-one, greedy by falling confidence."""
    preds = [(s_i, p) for s_i, s in enumerate(scenes) for p in s.predicted if p.confidence >= conf_threshold]
    preds.sort(key=lambda x: -x[1].confidence)
    truths = {s_i: s.truth for s_i, s in enumerate(scenes)}
    ious = [np.array([rotated_iou(p.footprint, t.footprint) for t in truths[s_i]]) for s_i, p in preds]
    matched = _greedy_match(preds, truths, ious, iou_threshold)
    out = [SceneMatch(s, [], []) for s in scenes]
    for (s_i, p), m in zip(preds, matched, strict=True):
        out[s_i].predicted.append(p)
        out[s_i].truth_index.append(m)
    return out


def tanker_size_pairs(
    scenes: list[SceneEval], iou_threshold: float = 0.1
) -> list[tuple[float, float, float, float, float]]:
    """(measured GSD, true length, measured length, true beam, measured beam) of every true tanker wholly in its scene
    that a prediction overlaps; the low IoU keeps the badly measured hulls the error model must count as outliers."""
    out = []
    for m in match_any_class(scenes, iou_threshold):
        for p, k in zip(m.predicted, m.truth_index, strict=True):
            t = m.scene.truth[k] if k >= 0 else None
            if t is not None and t.whole and true_type(t) == "tanker":
                out.append((p.gsd_m or t.gsd_m, t.length_m, p.length_m, t.beam_m, p.beam_m))
    return out


def _share(part: float, whole: float) -> float | None:
    """part / whole, or None when whole is 0."""
    return part / whole if whole else None


def confusion(matches: list[SceneMatch], iou_threshold: float, conf_threshold: float) -> ConfusionReport:
    """The confusion table by true type and its headline figures from class-agnostic matches."""
    cols = list(PREDICTED_TYPES)
    for m in matches:
        cols += [c for c in map(predicted_type, m.predicted) if c not in cols]  # an unforeseen type gets its column
    rows = {r: dict.fromkeys(cols + ["missed"], 0) for r in (*TRUE_TYPES, "false")}
    for m in matches:
        found = set()
        for p, j in zip(m.predicted, m.truth_index, strict=True):
            rows[true_type(m.scene.truth[j]) if j >= 0 else "false"][predicted_type(p)] += 1
            found.add(j)
        for j, t in enumerate(m.scene.truth):
            if j not in found:
                rows[true_type(t)]["missed"] += 1
    n_truth = {r: sum(rows[r].values()) for r in TRUE_TYPES}
    n_pred_tanker = sum(rows[r]["tanker"] for r in rows)
    return ConfusionReport(
        iou_threshold=iou_threshold,
        conf_threshold=conf_threshold,
        rows=rows,
        n_typed=sum(p.type_name is not None for m in matches for p in m.predicted),
        n_predicted_tanker=n_pred_tanker,
        n_truth_tanker=n_truth["tanker"],
        tanker_precision=_share(rows["tanker"]["tanker"], n_pred_tanker),
        tanker_recall=_share(rows["tanker"]["tanker"], n_truth["tanker"]),
        bulk_called_tanker=_share(rows["bulk_carrier"]["tanker"], n_truth["bulk_carrier"]),
        container_called_tanker=_share(rows["container_ship"]["tanker"], n_truth["container_ship"]),
    )


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of a geometry of any type (collections flattened, lines and points dropped)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    return [p for g in getattr(geom, "geoms", []) for p in _polygons(g)]


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Area in km2 on the WGS84 ellipsoid of a lon/lat geometry's polygons (holes subtracted)."""
    return sum(WGS84_GEOD.geometry_area_perimeter(orient(p, 1.0))[0] for p in _polygons(geom)) / 1e6


def land_from_geojson(path: Path) -> BaseGeometry:
    """The union of a <scene>.land.geojson's Polygon/MultiPolygon features of kind "land" (or no kind)."""
    fc = read_json(path, "land GeoJSON")
    parts = [
        make_valid(shape(f["geometry"]))
        for f in fc["features"]
        if f.get("geometry")
        and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        and (f.get("properties") or {}).get("kind", "land") == "land"
    ]
    return unary_union(parts) if parts else Polygon()


def false_detections(matches: list[SceneMatch]) -> FalseDetectionReport:
    """Count false detections by whether their footprint centre lies on land, with land and water km2 in the frames."""
    n_false = n_unknown = on_land = on_water = with_land = 0
    land_km2 = water_km2 = 0.0
    areas_known = True
    by_land: dict[str, int] = {}
    by_water: dict[str, int] = {}
    for m in matches:
        false = [p for p, j in zip(m.predicted, m.truth_index, strict=True) if j < 0]
        n_false += len(false)
        if m.scene.land is None:
            n_unknown += len(false)
            continue
        with_land += 1
        for p in false:
            c = p.footprint.centroid
            tally = by_land if m.scene.land.covers(Point(c.x, c.y)) else by_water
            tally[predicted_type(p)] = tally.get(predicted_type(p), 0) + 1
        if m.scene.frame is None:
            areas_known = False
        else:
            frame_km2 = geodesic_area_km2(m.scene.frame)
            land_in = geodesic_area_km2(m.scene.land.intersection(m.scene.frame))
            land_km2 += land_in
            water_km2 += max(frame_km2 - land_in, 0.0)
    on_land, on_water = sum(by_land.values()), sum(by_water.values())
    split = with_land > 0
    areas = split and areas_known
    return FalseDetectionReport(
        n_false=n_false,
        scenes_with_land=with_land,
        scenes_without_land=len(matches) - with_land,
        n_unknown=n_unknown,
        on_land=on_land if split else None,
        on_water=on_water if split else None,
        land_km2=land_km2 if areas else None,
        water_km2=water_km2 if areas else None,
        on_land_per_km2=_share(on_land, land_km2) if areas else None,
        on_water_per_km2=_share(on_water, water_km2) if areas else None,
        on_land_by_type=by_land,
        on_water_by_type=by_water,
    )


def evaluate_types(scenes: list[SceneEval], iou_threshold: float = 0.5, conf_threshold: float = 0.25) -> TypeReport:
    """Confusion by ship type and the land/water split of false detections, over scenes."""
    matches = match_any_class(scenes, iou_threshold, conf_threshold)
    return TypeReport(confusion(matches, iou_threshold, conf_threshold), false_detections(matches))


def confusion_table(report: TypeReport) -> str:
    """A readable confusion table by true ship type, its headline figures and the land/water false detections."""

    def pct(v):
        return "-" if v is None else f"{v:.0%}"

    def dens(v):
        return "-" if v is None else f"{v:.2f}"

    c, f = report.confusion, report.false_detections
    cols = list(next(iter(c.rows.values())))
    width = max(len(x) for x in cols) + 1
    lines = [
        f"ship types, any-class matching at IoU >= {c.iou_threshold:g}, confidence >= {c.conf_threshold:g} "
        f"({c.n_typed} predictions with a type; the rest by class)",
        f"{'true / called':<14}" + "".join(f"{x:>{width}}" for x in cols),
    ]
    lines += [f"{r:<14}" + "".join(f"{row[x]:>{width}}" for x in cols) for r, row in c.rows.items()]
    lines.append(
        f"tanker precision {pct(c.tanker_precision)} of {c.n_predicted_tanker} called tanker, "
        f"recall {pct(c.tanker_recall)} of {c.n_truth_tanker}; called tanker: bulk carriers "
        f"{pct(c.bulk_called_tanker)}, container ships {pct(c.container_called_tanker)}"
    )
    if f.on_land is None:
        lines.append(f"false detections {f.n_false}: land split unavailable (no <scene>.land.geojson)")
        return "\n".join(lines)
    per = (
        ""
        if f.land_km2 is None
        else f" ({dens(f.on_land_per_km2)}/km2 of {f.land_km2:.2f} km2 land, "
        f"{dens(f.on_water_per_km2)}/km2 of {f.water_km2:.2f} km2 water)"
    )
    lines.append(f"false detections {f.n_false}: on land {f.on_land}, on water {f.on_water}{per}")
    if f.n_unknown or f.scenes_without_land:
        lines.append(f"  {f.n_unknown} more in {f.scenes_without_land} scenes without a land file")
    for where, by in (("on land", f.on_land_by_type), ("on water", f.on_water_by_type)):
        if by:
            lines.append(f"  {where} by called type: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ calibration


@dataclass
class ReliabilityBin:
    """Alerts whose probability lies in [lo, hi): how many, their mean probability and the share that was right."""

    lo: float
    hi: float
    n: int
    mean_probability: float | None
    share_right: float | None


def reliability(
    probabilities: list[float], right: list[bool], edges: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
) -> tuple[list[ReliabilityBin], float | None]:
    """Reliability bins of alert probabilities against whether each alert named the right vessel, and the
    expected calibration error (bins weighted by their alerts; None without alerts)."""
    p, ok = np.asarray(probabilities, float), np.asarray(right, bool)
    bins, gap = [], 0.0
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        inside = (p >= lo) & ((p < hi) if k < len(edges) - 2 else (p <= hi))
        n = int(inside.sum())
        if not n:
            bins.append(ReliabilityBin(lo, hi, 0, None, None))
            continue
        mean_p, share = float(p[inside].mean()), float(ok[inside].mean())
        gap += n * abs(share - mean_p)
        bins.append(ReliabilityBin(lo, hi, n, mean_p, share))
    return bins, (gap / len(p) if len(p) else None)


def reliability_table(bins: list[ReliabilityBin], ece: float | None) -> str:
    """The reliability bins as text, with the expected calibration error."""
    lines = ["alert probability   alerts   mean p   share right"]
    for b in bins:
        mean_p = "     -" if b.mean_probability is None else f"{b.mean_probability:6.3f}"
        share = "     -" if b.share_right is None else f"{b.share_right:6.3f}"
        lines.append(f"[{b.lo:.1f}, {b.hi:.1f}{']' if b.hi >= 1.0 else ')'}        {b.n:6d}   {mean_p}   {share}")
    lines.append("expected calibration error: " + ("-" if ece is None else f"{ece:.3f}"))
    return "\n".join(lines)
