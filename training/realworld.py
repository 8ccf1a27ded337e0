"""Ship recall by ship length, and precision, on real labelled imagery (DOTA, DOTA8, ShipRSImageNet-style
tiles, FAIR1M port tiles, Airbus Kaggle chips with and without ships).

The detector is trained on synthetic scenes only; this is its check against real photographs.
Each image listed in the imagery folder's index.csv and index_more.csv (same columns; either may be
absent) is resampled to the working GSD, tiled as `tankerwatch run` tiles a scene, run through the
detector, mapped back to native pixels, merged across tiles and matched to the labelled ships. Any
detector class counts as a ship: the real labels are mostly "ship"/"merchant", not tanker vs vessel,
so only finding the hull is scored. A `hull_filter` (a later pipeline stage) may then drop or
relabel the merged boxes, seeing the image at its native GSD; what it keeps is what is scored.

Matching: one-to-one, greedy by confidence, at IoU >= REAL_IOU_THRESHOLD (0.3). A looser bar than
the synthetic 0.5 because real labels are hand-drawn by third parties and the detector runs at
1 m, where a 10 m boat is a few pixels wide and a one-pixel offset already costs much IoU.
Oriented truth (DOTA, YOLO-OBB, FAIR1M) is compared with the rotated prediction. Horizontal truth (YOLO HBB)
is compared with the axis-aligned bounding box of the prediction (see hbb_or_rotated_iou for why).

Precision: a detection is false when it covers no labelled ship. "Covers" is looser than matching, on
purpose: precision asks "is there a ship here at all", so a second box on a hull already matched, a box
on part of a long hull, or one box over two ships moored side by side is not a false alarm. A detection
covers a labelled ship when (a) it matches it by the IoU rule above, or (b) at least COVER_MIN_IOD (0.3)
of the detection's own area lies inside the labelled box, or (c) it contains the labelled box's centre.
precision = (n_predicted - n_false) / n_predicted; the stricter one-to-one share n_true_positive /
n_predicted is kept as precision_matched. Third-party labels need not be complete (an unlabelled boat
counts against the detector), so a false detection is "on no labelled ship", not always "on no ship".
Negative images (Airbus chips with no ship in the Airbus ground truth: open sea, swell, cloud) have no
truth; every detection on them is false, and the table gives their false detections per image apart.

GSD: the label header where there is one (DOTA), else a single number in the index's gsd_m text
(flagged assumed when marked approximate, "~0.3 if xView-derived"), else ASSUMED_GSD_M for the source.
A range ("0.3-0.8", "~1-1.5") is no single number, so it falls through to ASSUMED_GSD_M.

Nothing is copied from the imagery folder: images and labels are read in place.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window
from shapely.geometry import Polygon
from shapely.strtree import STRtree

from tankerwatch.config import CascadeConfig, DetectConfig
from tankerwatch.datasets.builder import pad_to_chip
from tankerwatch.datasets.convert import (
    ImageLabels,
    LabelledBox,
    grid_origins,
    image_size,
    load_class_names,
    read_dota,
    read_fair1m,
    read_image_at,
    read_yolo_hbb,
    read_yolo_obb,
)
from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.inference.cascade import RUN, TileTriage
from tankerwatch.inference.floating import array_water_mask
from tankerwatch.inference.measure import tile_boxes
from tankerwatch.inference.merge import merge_boxes
from tankerwatch.schema import OrientedBox, TankerwatchError
from tankerwatch.training.evaluate import rotated_iou

REAL_IOU_THRESHOLD = 0.3
SIZE_BINS_M: tuple[tuple[float, float], ...] = (
    (0.0, 20.0),
    (20.0, 50.0),
    (50.0, 100.0),
    (100.0, 200.0),
    (200.0, math.inf),
)
HEADLINE_MIN_LENGTH_M = 50.0  # "recall of ships > 50 m": the union of the bins from 50 m up
HBB_RULE = "rotated IoU for oriented truth; for HBB truth, IoU with the prediction's axis-aligned bounding box"
COVER_RULE = (
    "a detection is false unless it matches a labelled ship by the IoU rule, has >= 0.3 of its own area "
    "inside a labelled box, or contains a labelled box's centre"
)

COVER_MIN_IOD = 0.3  # intersection over the detection's own area from which it covers a labelled ship

# GSD where neither the labels nor the index give a single number; every image using one is flagged "GSD
# assumed" (the realworld README, section A, gives the reasoning for each):
# - dota8 is a 1024-px crop of the Google Earth DOTA image P0861; the README estimates 0.2-0.3 m/px from
#   the yacht sizes, so the middle of that range is used.
# - fair1m_part1: FAIR1M records no per-image GSD, only the dataset range 0.3-0.8 m (the index's gsd_m).
#   README A4: hull length caps 1027/1045 at <= 0.57-0.59 m, the container sizes in 1058 suggest 0.5-0.6 m,
#   and its best guess for the 1500x1500 port tiles is about 0.5 m. The three 1000x1000 tiles (1013, 1073,
#   1088) have labelled Small Cars, which put them at 0.24-0.27 m; their index rows carry those per-image
#   car estimates as "~0.24" / "~0.27", which are used (flagged assumed, being approximate), so the 0.5 here
#   only applies to the port tiles. Those three tiles hold one small boat each, so the choice barely matters.
# - airbus_kaggle: not stated by Kaggle or the repo (index: "~1-1.5"). 1.5 m (SPOT) is often quoted, but
#   README A5 notes the container ship in 0006c52e8 (~306 px along the hull) would then be ~460 m long,
#   which is impossible; 1.0-1.2 m makes it a ~330-370 m ship. 1.2 m is the upper end of what fits that
#   ship: it keeps it a plausible large container ship while leaning towards the quoted 1.5 m for chips
#   that may be coarser (the README says the GSD may vary per chip).
ASSUMED_GSD_M: dict[str, float] = {"dota8": 0.25, "fair1m_part1": 0.5, "airbus_kaggle": 1.2}

# Ultralytics' DOTAv1 class ids (dota8 ships no classes.txt; README A2 names this map)
DOTAV1_NAMES: dict[int, str] = {
    0: "plane",
    1: "ship",
    2: "storage tank",
    3: "baseball diamond",
    4: "tennis court",
    5: "basketball court",
    6: "ground track field",
    7: "harbor",
    8: "bridge",
    9: "large vehicle",
    10: "small vehicle",
    11: "helicopter",
    12: "roundabout",
    13: "soccer ball field",
    14: "swimming pool",
}

# YOLO class names of sources that ship no classes.txt (README A5: Airbus labels are "0 cx cy w h", 0 = ship)
YOLO_NAMES_BY_SOURCE: dict[str, dict[int, str]] = {"dota8": DOTAV1_NAMES, "airbus_kaggle": {0: "ship"}}

INDEX_FILES = ("index.csv", "index_more.csv")  # same columns; either may be absent, not both
INDEX_COLUMNS = ("source_dir", "image", "annotation", "box_type", "gsd_m")

HullFilter = Callable[[np.ndarray, float, list[OrientedBox]], list[OrientedBox]]
Cascade = tuple[object, CascadeConfig]  # (the water-mask network, the cascade's settings)


@dataclass
class TruthHull:
    """A labelled ship: its corners in native pixels, whether the box is oriented, and its length in metres."""

    corners_px: np.ndarray  # (4, 2)
    oriented: bool
    length_m: float
    source_class: str = ""

    @property
    def polygon(self) -> Polygon:
        """The box as a polygon (convex hull, so a label with its corners out of ring order still has an area)."""
        return Polygon(self.corners_px).convex_hull


@dataclass
class RealImage:
    """One labelled real image: where it lies, its GSD (and whether that is assumed) and its ships."""

    source: str
    image_path: Path
    label_path: Path | None  # None: a negative image the index lists without labels (no ship on it)
    gsd_m: float
    gsd_assumed: bool
    gsd_note: str
    truth: list[TruthHull] = field(default_factory=list)


@dataclass
class ImageResult:
    """What the detector found on one image: each truth ship's length and whether it was found, the
    detections scored (after any hull filter), how many were one-to-one matches and how many covered no ship."""

    source: str
    image: str
    gsd_m: float
    gsd_assumed: bool
    lengths_m: list[float]
    found: list[bool]
    n_predicted: int
    n_true_positive: int
    tiles: int
    n_false: int
    n_detected: int | None = None  # merged detector boxes before the hull filter; None when none ran
    length_errors_m: list[float] = field(default_factory=list)  # found ships with oriented labels (m at gsd_m)
    objects_predicted: int = 0  # of n_predicted, proposed by the water-object source (inference/candidates.py)
    objects_found: int = 0  # truth ships found by such a box
    objects_false: int = 0
    tiles_skipped: int = 0  # of tiles, spared the model by the cascade (inference/cascade.py)

    @property
    def negative(self) -> bool:
        """An image with no labelled ship: every detection on it is false."""
        return not self.lengths_m


@dataclass
class BinRecall:
    """Recall over truth ships whose length lies in [lo_m, hi_m) (hi_m None: no upper limit)."""

    label: str
    lo_m: float
    hi_m: float | None
    n_truth: int
    n_found: int
    recall: float | None  # None when the bin holds no ship


@dataclass
class RecallReport:
    """Recall by size bin, the > 50 m headline, precision and false detections per image over a group of
    images (a source, its negative images, or all)."""

    name: str
    images: int
    gsd: str  # e.g. "0.256" or "0.25 (assumed)"
    gsd_assumed: bool
    n_truth: int
    n_found: int
    n_predicted: int
    n_true_positive: int  # one-to-one matches at the IoU rule
    n_false: int  # detections covering no labelled ship
    recall: float | None
    precision: float | None  # (n_predicted - n_false) / n_predicted; None without detections
    precision_matched: float | None  # n_true_positive / n_predicted (a second box on one hull counts against it)
    false_per_image: float | None
    negative_images: int  # images with no labelled ship
    false_per_negative_image: float | None  # None without negative images
    bins: list[BinRecall]
    over_50m: BinRecall
    length_mae_m: float | None = None  # of found ships with oriented labels (at the assumed GSD where assumed)
    n_length: int = 0
    objects_predicted: int = 0  # of the detections, proposed by the water-object source
    objects_found: int = 0  # ships found by those (of all sizes)
    objects_false: int = 0


@dataclass
class RealworldReport:
    """The real-imagery evaluation: settings, the overall and per-source reports, per-image counts."""

    imagery_dir: str
    iou_threshold: float
    hbb_rule: str
    working_gsd_m: float
    tile_px: int
    overall: RecallReport
    sources: dict[str, RecallReport]
    images: list[ImageResult]
    negatives: dict[str, RecallReport] = field(default_factory=dict)  # per source with negative images: those only
    cover_rule: str = ""
    hull_filter: str | None = None  # name of the hull filter scored, None: the detector's merged boxes


# ---------------------------------------------------------------------------------------------- truth


def long_side_px(corners: np.ndarray) -> float:
    """The longer side of a four-corner box (mean of opposite sides, as hand-drawn quads are not exact rectangles)."""
    c = np.asarray(corners, float).reshape(4, 2)
    sides = np.linalg.norm(np.roll(c, -1, axis=0) - c, axis=1)
    return float(max((sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2))


def truth_hulls(boxes: Sequence[LabelledBox], gsd_m: float, oriented: bool) -> list[TruthHull]:
    """Truth ships with length = long side x GSD."""
    # an HBB of a ship lying diagonally is shorter than the hull on its long side ((L + B) / sqrt 2 at 45 deg),
    # so HBB-labelled ships lean towards the smaller size bins; nothing better can be read from an HBB
    return [
        TruthHull(np.asarray(b.corners_px, float), oriented, long_side_px(b.corners_px) * gsd_m, b.source_class)
        for b in boxes
    ]


def _label_format(box_type: str, where: str) -> str:
    """'dota', 'yolo-obb', 'yolo-hbb', 'fair1m' or 'none' (a negative image) from the index's box_type text."""
    text = box_type.upper()
    if text.strip().startswith("NONE"):  # "none (negative image)"
        return "none"
    if "FAIR1M" in text:
        return "fair1m"
    if "DOTA" in text and "OBB" in text and "YOLO" not in text:
        return "dota"
    if "YOLO-OBB" in text or ("OBB" in text and "YOLO" in text):
        return "yolo-obb"
    if "HBB" in text:
        return "yolo-hbb"
    raise TankerwatchError(f"{where}: box_type {box_type!r} is not DOTA OBB, YOLO-OBB, YOLO HBB, FAIR1M or none")


def _index_gsd(text: str) -> tuple[float | None, bool]:
    """The number at the start of the index's gsd_m text, and whether the text marks it as approximate.

    A range at the start ("0.3-0.8 (FAIR1M dataset range)", "~1-1.5") gives no number: it is not a GSD."""
    m = re.match(r"\s*(~)?\s*([0-9]*\.?[0-9]+)(\s*[-\u2013]\s*[0-9])?", text or "")
    if not m or m.group(3):
        return None, True
    approximate = bool(m.group(1)) or any(w in text.lower() for w in ("unverified", "estimate", "assumed", " if "))
    return float(m.group(2)), approximate


def resolve_gsd(
    source: str,
    stated_m: float | None,
    index_text: str,
    where: str,
    assumed: Mapping[str, float] = ASSUMED_GSD_M,
    index_name: str = "index.csv",
) -> tuple[float, bool, str]:
    """An image's GSD, whether it is assumed, and its source: label header, then the index, then ASSUMED_GSD_M."""
    if stated_m:
        return float(stated_m), False, "label header"
    value, approximate = _index_gsd(index_text)
    if value:
        return value, approximate, f"{index_name}: {index_text.strip()}"
    if source in assumed:
        return assumed[source], True, f"assumed ({index_name}: {index_text.strip() or 'empty'})"
    raise TankerwatchError(f"{where}: GSD unknown for {source} (no label header, {index_name} says {index_text!r})")


def _yolo_names(source: str, source_dir: Path, label_path: Path, fmt: str) -> dict[int, str]:
    """YOLO class names: a classes.txt beside the labels or in the source folder, else the source's known map
    (YOLO_NAMES_BY_SOURCE), else DOTAv1's for YOLO-OBB."""
    for candidate in (label_path.parent / "classes.txt", source_dir / "classes.txt"):
        if candidate.exists():
            return load_class_names(candidate)
    if source in YOLO_NAMES_BY_SOURCE:
        return YOLO_NAMES_BY_SOURCE[source]
    if fmt == "yolo-obb":
        return DOTAV1_NAMES
    raise TankerwatchError(f"{label_path.parent}: YOLO labels need a classes.txt")


def _read_index(index: Path) -> list[dict[str, str]]:
    """The rows of one index file, checked for the columns this module reads."""
    try:
        with open(index, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise TankerwatchError(f"{index}: cannot read ({e.__class__.__name__})") from None
    missing = [c for c in INDEX_COLUMNS if rows and c not in rows[0]]
    if missing or not rows:
        raise TankerwatchError(f"{index}: expected a header with {', '.join(INDEX_COLUMNS)} and at least one row")
    return rows


def _index_rows(imagery_dir: Path) -> list[tuple[Path, int, dict[str, str]]]:
    """(index file, line number, row) for every row of the index files (INDEX_FILES) the folder has."""
    indexes = [Path(imagery_dir) / name for name in INDEX_FILES if (Path(imagery_dir) / name).exists()]
    if not indexes:
        raise TankerwatchError(f"{imagery_dir}: no {' or '.join(INDEX_FILES)} (the real-imagery folder needs an index)")
    return [(index, lineno, row) for index in indexes for lineno, row in enumerate(_read_index(index), 2)]


def _no_annotation(text: str) -> bool:
    """An annotation cell that names no label file: empty, or '(none: no ship in Airbus ground truth)'."""
    t = text.strip().lower()
    return not t or t == "none" or t.startswith("(none")


def _read_labels(fmt: str, source: str, source_dir: Path, image_path: Path, label_path: Path) -> ImageLabels:
    """The labels of one index row in its format."""
    if fmt == "dota":
        return read_dota(label_path)
    if fmt == "fair1m":
        labels = read_fair1m(label_path)
        if labels.image_size and labels.image_size != image_size(image_path):
            (lw, lh), (iw, ih) = labels.image_size, image_size(image_path)
            raise TankerwatchError(f"{label_path}: labels are for {lw}x{lh} px but {image_path.name} is {iw}x{ih}")
        return labels
    reader = read_yolo_obb if fmt == "yolo-obb" else read_yolo_hbb
    return reader(label_path, image_size(image_path), _yolo_names(source, source_dir, label_path, fmt))


def load_real_images(imagery_dir: Path, assumed: Mapping[str, float] = ASSUMED_GSD_M) -> list[RealImage]:
    """Every image of the index files with its truth ships (all read before the detector runs).

    A row whose box_type is 'none' or whose annotation names no file is a negative image: no ship on it.
    A row naming a label file that is missing is an error, not a negative (a typo must not pass as one)."""
    imagery_dir = Path(imagery_dir)
    images = []
    for index, lineno, row in _index_rows(imagery_dir):
        where = f"{index}:{lineno}"
        source = row["source_dir"].strip()
        source_dir = imagery_dir / source
        image_path = source_dir / row["image"].strip()
        if not image_path.exists():
            raise TankerwatchError(f"{image_path}: image listed in {index.name} not found")
        fmt = _label_format(row["box_type"], where)
        if fmt == "none" or _no_annotation(row["annotation"]):
            label_path, labels = None, ImageLabels(image_path.stem)
        else:
            label_path = source_dir / row["annotation"].strip()
            labels = _read_labels(fmt, source, source_dir, image_path, label_path)
        gsd, gsd_assumed, note = resolve_gsd(source, labels.gsd_m, row["gsd_m"], where, assumed, index.name)
        truth = truth_hulls(labels.boxes, gsd, oriented=fmt != "yolo-hbb")
        images.append(RealImage(source, image_path, label_path, gsd, gsd_assumed, note, truth))
    return images


# ---------------------------------------------------------------------------------------------- detection


def working_image(path: Path, gsd_m: float, working_gsd_m: float) -> tuple[np.ndarray, tuple[int, int]]:
    """An image resampled to the working GSD and stretched, with its native (width, height)."""
    rgb, native = read_image_at(Path(path), gsd_m, working_gsd_m)
    return stretch_rgb(rgb), native


def native_image(path: Path, gsd_m: float) -> np.ndarray:
    """An image at its native GSD (HxWx3 uint8 RGB, no resampling), stretched like scenes: what a hull filter sees."""
    rgb, (w, h) = read_image_at(Path(path), gsd_m, gsd_m)
    if rgb.shape[:2] != (h, w):  # a read at gsd_m -> gsd_m must keep the native grid
        raise TankerwatchError(f"{path}: native read came back {rgb.shape[1]}x{rgb.shape[0]}, expected {w}x{h}")
    return stretch_rgb(rgb)


def detect_image(
    rgb: np.ndarray,
    native: tuple[int, int],
    detector,
    tile_px: int,
    overlap_px: int,
    batch: int = 4,
    merge_iou: float = 0.5,
    triage: TileTriage | None = None,
    working_gsd_m: float = 1.0,
) -> tuple[list[OrientedBox], int]:
    """Tile a working-GSD image, run the detector (on the tiles the cascade's triage, where given, sends to it),
    map boxes to native pixels and merge; boxes and tile count."""
    h, w = rgb.shape[:2]
    sx, sy = native[0] / w, native[1] / h  # native pixels per working pixel
    # an overlap as wide as the tile would make the stride 0; keep at least half a tile of progress
    origins = grid_origins(w, h, tile_px, min(overlap_px, tile_px // 2))
    boxes: list[OrientedBox] = []
    cut: list[bool] = []
    for i in range(0, len(origins), max(1, batch)):
        chunk = origins[i : i + max(1, batch)]
        if triage is not None:  # the triage's windows are in working pixels here: the image is its own grid
            chunk = [
                (x0, y0)
                for x0, y0 in chunk
                if triage(Window(x0, y0, tile_px, tile_px), rgb[y0 : y0 + tile_px, x0 : x0 + tile_px], working_gsd_m)
                == RUN
            ]
            if not chunk:
                continue
        tiles = [pad_to_chip(rgb[y0 : y0 + tile_px, x0 : x0 + tile_px], tile_px) for x0, y0 in chunk]
        for (x0, y0), rows in zip(chunk, detector.predict(tiles), strict=True):
            tile, tile_cut = tile_boxes(
                rows,
                x0 * sx,
                y0 * sy,
                min(x0 + tile_px, w) * sx,
                min(y0 + tile_px, h) * sy,
                sx,
                sy,
                native[0],
                native[1],
            )
            boxes += tile
            cut += tile_cut
    return merge_boxes(boxes, cut, merge_iou), len(origins)


# ---------------------------------------------------------------------------------------------- matching


def hbb_or_rotated_iou(prediction: Polygon, truth: TruthHull) -> float:
    """IoU of a prediction with a truth ship: rotated for oriented truth, axis-aligned boxes for HBB truth."""
    # An HBB label of a ship lying at 45 deg is mostly water: the exact oriented hull of a 5:1 ship fills
    # about a third of it, so rotated IoU against the HBB would call a perfect detection a miss. Comparing
    # the prediction's own axis-aligned box with the label's is like for like. Centre-inside was rejected:
    # in dense marinas (t_0652: 136 boats) labels overlap, so one centre lies in several boxes, and a single
    # box spanning a whole pier of boats would "find" one of them while matching nothing like its shape.
    if truth.oriented:
        return rotated_iou(prediction, truth.polygon)
    return rotated_iou(prediction.envelope, truth.polygon.envelope)


def match_pairs(
    truth: Sequence[TruthHull], predictions: Sequence[OrientedBox], iou_threshold: float = REAL_IOU_THRESHOLD
) -> list[int]:
    """Greedy one-to-one matching by confidence: per truth ship, the index of its prediction (-1: not found)."""
    pairs = [-1] * len(truth)
    if not truth or not predictions:
        return pairs
    # query the tree with envelopes: they cover the prediction for both matching rules
    tree = STRtree([t.polygon.envelope for t in truth])
    for k in sorted(range(len(predictions)), key=lambda i: -predictions[i].confidence):
        poly = Polygon(predictions[k].corners())
        best, best_iou = -1, iou_threshold
        for j in tree.query(poly.envelope):
            j = int(j)
            if pairs[j] < 0:
                iou = hbb_or_rotated_iou(poly, truth[j])
                if iou >= best_iou:
                    best, best_iou = j, iou
        if best >= 0:
            pairs[best] = k
    return pairs


def match_image(
    truth: Sequence[TruthHull], predictions: Sequence[OrientedBox], iou_threshold: float = REAL_IOU_THRESHOLD
) -> tuple[list[bool], int]:
    """Greedy one-to-one matching by confidence; returns which truth ships were found and the true positives."""
    found = [k >= 0 for k in match_pairs(truth, predictions, iou_threshold)]
    return found, sum(found)


def length_errors_m(
    truth: Sequence[TruthHull], predictions: Sequence[OrientedBox], pairs: Sequence[int], gsd_m: float
) -> list[float]:
    """Measured minus labelled length (m) of each found ship whose label is an oriented box."""
    return [
        predictions[k].length_px * gsd_m - t.length_m
        for t, k in zip(truth, pairs, strict=True)
        if k >= 0 and t.oriented
    ]


def false_detections(
    truth: Sequence[TruthHull],
    predictions: Sequence[OrientedBox],
    iou_threshold: float = REAL_IOU_THRESHOLD,
    min_iod: float = COVER_MIN_IOD,
) -> list[bool]:
    """Which predictions cover no labelled ship (the module docstring says what 'covers' means); all, on a negative."""
    if not truth:
        return [True] * len(predictions)
    polygons = [t.polygon for t in truth]
    centres = [poly.centroid for poly in polygons]
    tree = STRtree([poly.envelope for poly in polygons])
    false = []
    for p in predictions:
        poly = Polygon(p.corners())
        covered = False
        for j in tree.query(poly.envelope):
            j = int(j)
            if (
                hbb_or_rotated_iou(poly, truth[j]) >= iou_threshold
                or (poly.area > 0 and poly.intersection(polygons[j]).area >= min_iod * poly.area)
                or poly.covers(centres[j])
            ):
                covered = True
                break
        false.append(not covered)
    return false


# ---------------------------------------------------------------------------------------------- scoring


def bin_label(lo: float, hi: float) -> str:
    """'<20 m', '20-50 m', '>200 m' ..."""
    if lo <= 0:
        return f"<{hi:g} m"
    if math.isinf(hi):
        return f">{lo:g} m"
    return f"{lo:g}-{hi:g} m"


def recall_between(lengths_m: Sequence[float], found: Sequence[bool], lo: float, hi: float = math.inf) -> BinRecall:
    """Recall of the truth ships with lo <= length < hi."""
    hits = [f for length, f in zip(lengths_m, found, strict=True) if lo <= length < hi]
    n, k = len(hits), int(sum(hits))
    return BinRecall(bin_label(lo, hi), lo, None if math.isinf(hi) else hi, n, k, k / n if n else None)


def size_bin_recall(
    lengths_m: Sequence[float], found: Sequence[bool], bins: Sequence[tuple[float, float]] = SIZE_BINS_M
) -> list[BinRecall]:
    """Recall per ship-length bin."""
    return [recall_between(lengths_m, found, lo, hi) for lo, hi in bins]


def _gsd_text(results: Sequence[ImageResult]) -> str:
    """The GSDs of a group of images, '(assumed)' where they are."""
    values = sorted({(round(r.gsd_m, 3), r.gsd_assumed) for r in results})
    return ", ".join(f"{g:g}{' (assumed)' if a else ''}" for g, a in values) or "-"


def _share(k: int, n: int) -> float | None:
    return k / n if n else None


def summarise(name: str, results: Sequence[ImageResult]) -> RecallReport:
    """Recall by size bin, the > 50 m headline, precision and false detections per image over some images."""
    lengths = [x for r in results for x in r.lengths_m]
    found = [x for r in results for x in r.found]
    n_pred = sum(r.n_predicted for r in results)
    n_tp = sum(r.n_true_positive for r in results)
    n_false = sum(r.n_false for r in results)
    negatives = [r for r in results if r.negative]
    n_found = int(sum(found))
    headline = recall_between(lengths, found, HEADLINE_MIN_LENGTH_M)
    return RecallReport(
        name=name,
        images=len(results),
        gsd=_gsd_text(results),
        gsd_assumed=any(r.gsd_assumed for r in results),
        n_truth=len(lengths),
        n_found=n_found,
        n_predicted=n_pred,
        n_true_positive=n_tp,
        n_false=n_false,
        recall=_share(n_found, len(lengths)),
        precision=_share(n_pred - n_false, n_pred),
        precision_matched=_share(n_tp, n_pred),
        false_per_image=_share(n_false, len(results)),
        negative_images=len(negatives),
        false_per_negative_image=_share(sum(r.n_false for r in negatives), len(negatives)),
        bins=size_bin_recall(lengths, found),
        over_50m=headline,
        length_mae_m=float(np.mean(np.abs(errors)))
        if (errors := [e for r in results for e in r.length_errors_m])
        else None,
        n_length=len(errors),
        objects_predicted=sum(r.objects_predicted for r in results),
        objects_found=sum(r.objects_found for r in results),
        objects_false=sum(r.objects_false for r in results),
    )


def _filtered(hull_filter: HullFilter, image: RealImage, boxes: list[OrientedBox]) -> list[OrientedBox]:
    """The boxes a hull filter keeps, given the image at native GSD (read only here: it costs a full-size read)."""
    kept = hull_filter(native_image(image.image_path, image.gsd_m), image.gsd_m, list(boxes))
    if not isinstance(kept, (list, tuple)) or not all(isinstance(b, OrientedBox) for b in kept):
        raise TankerwatchError(
            f"hull filter {getattr(hull_filter, '__name__', hull_filter)!r}: "
            f"must return a list of OrientedBox ({image.image_path.name})"
        )
    return list(kept)


def evaluate_image(
    image: RealImage,
    detector,
    cfg: DetectConfig,
    iou_threshold: float = REAL_IOU_THRESHOLD,
    hull_filter: HullFilter | None = None,
    cascade: Cascade | None = None,
) -> ImageResult:
    """Detect on one real image at the working GSD and score against its truth.

    cascade (masker, config), when given, spares the model the tiles the water mask of the working image and
    the cascade's tests find cannot hold a ship, as `tankerwatch run` does.

    hull_filter(native_rgb, gsd_m, boxes) -> boxes, when given, receives the image at its NATIVE resolution
    (HxWx3 uint8 RGB, stretched like scenes), its native GSD in metres and the merged detections in native
    pixels, and returns the boxes to keep (their class_name may change); those are what is scored."""
    rgb, native = working_image(image.image_path, image.gsd_m, cfg.working_gsd_m)
    overlap_px = int(math.ceil(cfg.overlap_m / cfg.working_gsd_m))
    triage = None
    if cascade is not None and cascade[1].enabled:
        mask = array_water_mask(rgb, cfg.working_gsd_m, cascade[0])
        triage = TileTriage(mask, cfg.working_gsd_m, cascade[1])
    boxes, n_tiles = detect_image(
        rgb, native, detector, cfg.tile_px, overlap_px, cfg.batch_size, cfg.iou_threshold, triage, cfg.working_gsd_m
    )
    n_detected = None
    if hull_filter is not None:
        del rgb  # the working image is not needed any more; the native one may be large
        n_detected, boxes = len(boxes), _filtered(hull_filter, image, boxes)
    pairs = match_pairs(image.truth, boxes, iou_threshold)
    found = [k >= 0 for k in pairs]
    false = false_detections(image.truth, boxes, iou_threshold)
    errors = length_errors_m(image.truth, boxes, pairs, image.gsd_m)  # in the assumed GSD's metres where assumed
    objects = [b.origin != "detector" for b in boxes]
    return ImageResult(
        image.source,
        image.image_path.name,
        image.gsd_m,
        image.gsd_assumed,
        [t.length_m for t in image.truth],
        found,
        len(boxes),
        sum(found),
        n_tiles,
        sum(false),
        n_detected,
        errors,
        sum(objects),
        sum(k >= 0 and objects[k] for k in pairs),
        sum(f and o for f, o in zip(false, objects, strict=True)),
        triage.stats.skipped if triage else 0,
    )


def evaluate_realworld(
    imagery_dir: Path,
    detector,
    cfg: DetectConfig,
    iou_threshold: float = REAL_IOU_THRESHOLD,
    progress: Callable[[ImageResult], None] | None = None,
    hull_filter: HullFilter | None = None,
    cascade: Cascade | None = None,
) -> RealworldReport:
    """Ship recall by size bin, precision and false detections, overall and per source, on every image of a
    real-imagery folder (negative images too); hull_filter as for evaluate_image."""
    results = []
    for image in load_real_images(imagery_dir):
        results.append(evaluate_image(image, detector, cfg, iou_threshold, hull_filter, cascade))
        if progress:
            progress(results[-1])
    by_source = {s: [r for r in results if r.source == s] for s in dict.fromkeys(r.source for r in results)}
    sources = {s: summarise(s, rs) for s, rs in by_source.items()}
    negatives = {
        s: summarise(f"{s} (negatives)", [r for r in rs if r.negative])
        for s, rs in by_source.items()
        if any(r.negative for r in rs)
    }
    name = None if hull_filter is None else getattr(hull_filter, "__qualname__", None) or repr(hull_filter)
    return RealworldReport(
        str(imagery_dir),
        iou_threshold,
        HBB_RULE,
        cfg.working_gsd_m,
        cfg.tile_px,
        summarise("all", results),
        sources,
        results,
        negatives,
        COVER_RULE,
        name,
    )


# ---------------------------------------------------------------------------------------------- output


def report_dict(report: RealworldReport) -> dict:
    """A JSON-ready dict of the report (per-image counts, not per-ship lists)."""
    from dataclasses import asdict

    d = asdict(report)
    d["images"] = [
        {k: v for k, v in asdict(r).items() if k not in ("lengths_m", "found")}
        | {"n_truth": len(r.found), "n_found": int(sum(r.found)), "negative": r.negative}
        for r in report.images
    ]
    return d


def _cell(b: BinRecall) -> str:
    """'0.75/12' style recall and count, '   -/0' for an empty bin."""
    r = "   -" if b.recall is None else f"{b.recall:4.2f}"
    return f"{r}/{b.n_truth:<4}"


def realworld_table(report: RealworldReport) -> str:
    """A readable table per source: recall (and truth count) per size bin, the > 50 m headline, detections,
    false detections, precision and false detections per image; a source's negative images get a row of their own."""

    def fmt(v: float | None) -> str:
        return "   -" if v is None else f"{v:4.2f}"

    def fpi(v: float | None) -> str:
        return "    -" if v is None else f"{v:5.2f}"

    heads = [b.label for b in report.overall.bins] + [f"{report.overall.over_50m.label}"]
    lines = [
        f"real imagery {report.imagery_dir}: ship recall by length (any class counts as a ship), "
        f"IoU >= {report.iou_threshold:g} ({report.hbb_rule}), "
        f"working GSD {report.working_gsd_m:g} m, tiles {report.tile_px} px"
        + (f", hull filter {report.hull_filter}" if report.hull_filter else ""),
        f"{'source':<26} {'GSD m':<16} {'imgs':>4} {'truth':>5} {'pred':>5} {'false':>5} {'P':>4} {'F/img':>5} "
        f"{'R':>4}  " + " ".join(f"{h:<9}" for h in heads) + "  (recall/ships)  water objects found/pred/false"
        "  length MAE m (n)",
    ]
    rows = []
    for name, r in report.sources.items():
        rows.append(r)
        if name in report.negatives:
            rows.append(report.negatives[name])
    for r in [*rows, report.overall]:
        gsd = r.gsd if len(r.gsd) <= 16 else "mixed"  # the per-source rows above give each
        cells = " ".join(_cell(b) for b in [*r.bins, r.over_50m]) if r.n_truth else ""
        objects = f"  {f'{r.objects_found}/{r.objects_predicted}/{r.objects_false}':<30}"
        mae = f"  {r.length_mae_m:5.1f} ({r.n_length})" if r.length_mae_m is not None else ""
        lines.append(
            f"{r.name:<26} {gsd:<16} {r.images:>4} {r.n_truth:>5} {r.n_predicted:>5} {r.n_false:>5} "
            f"{fmt(r.precision)} {fpi(r.false_per_image)} {fmt(r.recall)}  " + cells + objects + mae
        )
    o = report.overall.over_50m
    assumed = [r.name for r in report.sources.values() if r.gsd_assumed]
    lines.append(
        f"false: {report.cover_rule}; P = 1 - false/pred; F/img = false detections per image"
        + (
            "; '(negatives)' rows: the source's images with no ship (a subset of the row above), "
            "every detection on them false"
            if report.negatives
            else ""
        )
    )
    lines.append(
        f"headline: recall of ships {o.label} = {fmt(o.recall)} ({o.n_found}/{o.n_truth})"
        + (f"; GSD assumed for {', '.join(assumed)} (lengths there scale with it)" if assumed else "")
    )
    tiles = sum(r.tiles for r in report.images)
    skipped = sum(r.tiles_skipped for r in report.images)
    lines.append(f"cascade: {skipped} of {tiles} tiles spared the model ({100 * skipped / max(tiles, 1):.1f} %)")
    return "\n".join(lines)
