"""Bow or stern: which end of a hull box is the bow, and how sure that is.

A detector's oriented box gives a hull's axis, not its sense: the heading it implies is known only modulo
180 degrees. Three things seen from above tell the ends apart, each read on the hull straightened into a
strip (measure.straightened_hull: columns along the box's +axis, rows across), padded along the axis so that
the water beyond both ends is in the strip too:

- **superstructure**: a tanker carries its accommodation block aft, a tall white box with a bridge and a
  funnel that stands out against the darker cargo deck (and throws a long shadow). The end whose last
  fifth is the brighter is the stern.
- **bow shape**: the hull is square at the stern (a transom, nearly the full beam to the very end) and tapers
  to a point at the bow over the last sixth of its length. Across the hull's own ends (where it meets the
  water, not the box's), the share of the beam covered by hull a few per cent of the length in from each end
  is large at the stern and small at the bow.
- **wake**: a ship underway leaves white foam astern (the turbulent track and the stern wash); ahead of the bow
  there is none. Foam is the water's colour blended towards white, so a pixel on the line from the water
  colour to white counts as foam by how far along it lies; another hull or land beyond an end is off that
  line and counts as none. A ship at a berth or at anchor has no wake: when neither end has foam enough, or
  too little of the water beyond an end is open, the cue abstains.

A hull whose box reaches the image's edge may go on beyond it: its end at the edge is no end (a cut midbody is
as square as a transom), so only the superstructure speaks there, and not where an end is mostly beyond the
edge.

Each cue gives a signed feature (positive: the bow lies towards +axis) and its evidence is a log-likelihood
ratio, LLR = weight x feature, log P(feature | bow at +axis) / P(feature | bow at -axis). The hull is mirror
symmetric in its ends, so no intercept: a feature of 0 is no evidence either way. The evidence adds up, as
for cues independent given which end is the bow, and P(bow at +axis) is the logistic of the sum. Each weight
is a one-feature logistic regression on the truth hulls of training scenes of the renderer where that cue
speaks (seeds below EVAL_SEED_BASE, each hull also seen mirrored): calibrated on its own, one cue that nearly
separates the training hulls cannot leave the others no weight. `python benchmarks/heading.py --fit` fits
them and prints the constants below. The heading is called only
where max(p, 1 - p) reaches DetectConfig.bow_min_confidence, set on the same training hulls so that at most 5 %
of called headings point at the stern; below it (and where every cue abstained: confidence None) the detection
stays heading_ambiguous with its axis in [0, 180).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Fitted by `python benchmarks/heading.py --fit --scenes 32 --seed 200000` (training seeds, 0.5 m GSD, 213 truth
# tankers jittered and refined as in the pipeline): each cue's weight, its feature's log-likelihood ratio per unit.
SUPERSTRUCTURE_WEIGHT = 23.969
SHAPE_WEIGHT = 10.771
WAKE_WEIGHT = 14.094

WAKE_PAD_LENGTHS = 0.5  # water read beyond each end, in hull lengths
PAD_ACROSS_BEAMS = 0.5  # water read beside the hull, in beams each side
STRIP_PX_ALONG = 640  # strip columns for the padded length (never finer than native)
END_SHARE = 0.2  # the stretch of each end where the superstructure is sought, share of the length
TAPER_SPAN = (0.01, 0.06)  # where the bow's taper is read, share of the length in from each end
WAKE_BAND_BEAMS = 0.7  # half-width of the band astern searched for foam, in beams
FOAM_RGB = (228.0, 232.0, 232.0)  # the white foam is blended towards (datasets/synth/wakes.py)
FOAM_OFF_LINE = 25.0  # RGB distance from the water-to-foam line beyond which a pixel is not foam
MIN_FOAM = 0.04  # mean foam opacity one end must reach for the wake cue to speak
MIN_OPEN_WATER = 0.6  # share of the water beyond each end that must be water or foam
HULL_CONTRAST = 18.0  # RGB distance from the water that counts as hull (DetectConfig.refine_min_contrast)
MIN_HULL_PX = (40, 6)  # the least hull length and beam, in strip pixels, for the shape cue
MIN_SEEN = 0.5  # share of an end's pixels inside the image for the superstructure cue to read it
ENDS_MIN_FILL = 0.3  # share of the beam that makes a column part of the hull, when seeking its ends
ENDS_LENGTH_RATIO = (0.85, 1.2)  # hull length found / box length; outside it the box's ends stand


CueFeatures = tuple[float | None, float | None, float | None]  # superstructure, shape, wake; None: abstained


@dataclass
class BowCues:
    """Each cue's evidence that the bow lies towards +axis, as a log-likelihood ratio (None: it abstained)."""

    superstructure: float | None
    shape: float | None
    wake: float | None

    def total(self) -> float:
        """The summed evidence of the cues that spoke."""
        return sum(v for v in (self.superstructure, self.shape, self.wake) if v is not None)


@dataclass
class BowEstimate:
    """Which end is the bow: sign +1 (+axis), -1, or 0 when not called; confidence max(p, 1 - p), None where
    every cue abstained."""

    sign: int
    confidence: float | None
    p_bow_plus: float  # P(bow at the +axis end)
    cues: BowCues


@dataclass
class HullInStrip:
    """Where the hull box lies in a padded strip: columns [col0, col1) along, rows [row0, row1) across."""

    col0: int
    col1: int
    row0: int
    row1: int

    @property
    def length_px(self) -> int:
        """Hull length in strip pixels."""
        return self.col1 - self.col0

    @property
    def beam_px(self) -> int:
        """Hull beam in strip pixels."""
        return self.row1 - self.row0


def hull_in_strip(strip_shape: tuple[int, ...], length_px: float, pad_along_px: float, beam_px: float) -> HullInStrip:
    """The box's place in a strip straightened with the given native-pixel length, beam and padding along."""
    rows, cols = strip_shape[:2]
    pad_across = PAD_ACROSS_BEAMS * beam_px
    su, sv = cols / (length_px + 2 * pad_along_px), rows / (beam_px + 2 * pad_across)  # strip px per native px
    return HullInStrip(
        int(round(pad_along_px * su)),
        int(round((pad_along_px + length_px) * su)),
        int(round(pad_across * sv)),
        int(round((pad_across + beam_px) * sv)),
    )


def superstructure_feature(strip: np.ndarray, hull: HullInStrip) -> float | None:
    """Brightness of the hull's first END_SHARE over its last (0-1 of full scale): positive when aft lies first.

    Pure black is beyond the image's edge and left out; an end mostly beyond it abstains."""
    margin = max(1, hull.beam_px // 10)  # keep the hull's edge (blended with water) out
    band = strip[hull.row0 + margin : hull.row1 - margin, hull.col0 : hull.col1].astype(np.float32)
    end = int(END_SHARE * hull.length_px)
    if band.shape[0] < 2 or end < 2:
        return None
    means = []
    for window in (band[:, :end], band[:, -end:]):
        seen = window.any(axis=2)
        if seen.mean() < MIN_SEEN:
            return None
        means.append(float(window[seen].mean()))
    return (means[0] - means[1]) / 255.0


def _water(strip: np.ndarray, hull: HullInStrip) -> np.ndarray:
    """The water colour around the hull (the strip outside the box)."""
    from tankerwatch.inference.measure import water_colour

    outside = np.ones(strip.shape[:2], bool)
    outside[hull.row0 : hull.row1, hull.col0 : hull.col1] = False
    return water_colour(strip[outside].reshape(-1, 3))


def hull_fill(strip: np.ndarray, hull: HullInStrip, water: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per strip column, the share of the box's beam that is hull or its shadow, and that is hull alone."""
    from tankerwatch.inference.measure import hull_mask

    mask, dark = hull_mask(strip, water, HULL_CONTRAST)
    grow = max(1, hull.beam_px // 10)  # the box may sit a little off the hull
    rows = slice(max(0, hull.row0 - grow), hull.row1 + grow)
    beam = max(1, hull.beam_px)
    return (mask | dark)[rows].sum(axis=0) / beam, mask[rows].sum(axis=0) / beam


def hull_ends(bright_fill: np.ndarray, hull: HullInStrip) -> HullInStrip:
    """The box with its ends moved to where the hull meets the water, when that is a plausible length.

    Only pixels brighter than the water count: the hull's shadow runs past one end."""
    from tankerwatch.inference.measure import _extent

    run = _extent(bright_fill, (hull.col0 + hull.col1) // 2, ENDS_MIN_FILL)
    if (
        run is None
        or not ENDS_LENGTH_RATIO[0] * hull.length_px <= run[1] - run[0] <= ENDS_LENGTH_RATIO[1] * hull.length_px
    ):
        return hull
    return HullInStrip(run[0], run[1], hull.row0, hull.row1)


def shape_feature(fill: np.ndarray, hull: HullInStrip) -> float | None:
    """Share of the beam that is hull just inside the first end, less that inside the last: positive when the
    square transom lies first."""
    if hull.length_px < MIN_HULL_PX[0] or hull.beam_px < MIN_HULL_PX[1]:
        return None
    a = max(1, int(TAPER_SPAN[0] * hull.length_px))
    b = max(a + 1, int(math.ceil(TAPER_SPAN[1] * hull.length_px)))
    return float(fill[hull.col0 + a : hull.col0 + b].mean() - fill[hull.col1 - b : hull.col1 - a].mean())


def foam_opacity(pixels: np.ndarray, water: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far each pixel lies from the water colour towards foam white (0-1), and whether it is water or foam."""
    w = water.astype(np.float32)
    d = np.asarray(FOAM_RGB, np.float32) - w
    rel = pixels.astype(np.float32) - w
    a = np.clip(rel @ d / max(float(d @ d), 1.0), 0.0, 1.0)
    off = np.linalg.norm(rel - a[..., None] * d, axis=-1)
    on_line = off < FOAM_OFF_LINE
    return np.where(on_line, a, 0.0), on_line


def _foam_beyond(region: np.ndarray, flanks: np.ndarray, water: np.ndarray) -> float | None:
    """Foam on the track beyond one end, above that on the water either side of it; None where not open water."""
    inside = region.reshape(-1, 3)
    inside = inside[inside.any(axis=1)]  # pure black is outside the image
    if len(inside) < 20:
        return None
    opacity, on_line = foam_opacity(inside, water)
    if on_line.mean() < MIN_OPEN_WATER:
        return None
    side = flanks.reshape(-1, 3)
    side = side[side.any(axis=1)]
    # glint and haze brighten the water broadly, beside the track as well as on it; foam is on the track
    beside = float(foam_opacity(side, water)[0].mean()) if len(side) >= 20 else 0.0
    return float(opacity.mean()) - beside


def wake_feature(strip: np.ndarray, hull: HullInStrip, water: np.ndarray) -> float | None:
    """Foam beyond the first end less foam beyond the last: positive when the wake trails the first end (astern).

    None where neither end has foam enough, or where the water beyond an end is not open (a quay, another hull)."""
    centre = (hull.row0 + hull.row1) / 2
    half = WAKE_BAND_BEAMS * hull.beam_px
    r0, r1 = max(0, int(centre - half)), int(centre + half) + 1
    gap = max(2, hull.beam_px // 10)  # the hull's blur and the bow wave at its tip
    foam = []
    for cols in (slice(0, max(0, hull.col0 - gap)), slice(hull.col1 + gap, strip.shape[1])):
        flanks = np.concatenate([strip[:r0, cols].reshape(-1, 3), strip[r1:, cols].reshape(-1, 3)])
        f = _foam_beyond(strip[r0:r1, cols], flanks, water)
        if f is None:
            return None
        foam.append(f)
    if max(foam) < MIN_FOAM:
        return None
    return foam[0] - foam[1]


def bow_cues(strip: np.ndarray, hull: HullInStrip, whole: bool = True) -> CueFeatures:
    """The three cue features of a padded strip (superstructure, shape, wake); None where a cue abstains.

    A hull not whole in the image (whole False: its box reaches the image's edge) may go on beyond it, so its
    end at the edge is no end: only the superstructure, wherever it is seen, still speaks."""
    if strip.ndim != 3 or hull.length_px < 10 or hull.beam_px < 3:
        return None, None, None
    if not whole:
        return superstructure_feature(strip, hull), None, None
    water = _water(strip, hull)
    fill, bright_fill = hull_fill(strip, hull, water)
    shape = shape_feature(fill, hull_ends(bright_fill, hull))  # at the hull's own ends: a box may stop short
    return superstructure_feature(strip, hull), shape, wake_feature(strip, hull, water)


def bow_from_cues(features: CueFeatures, min_confidence: float) -> BowEstimate:
    """The bow from the cue features: their weighted sum is the evidence, called from min_confidence."""
    weights = (SUPERSTRUCTURE_WEIGHT, SHAPE_WEIGHT, WAKE_WEIGHT)
    cues = BowCues(*(None if x is None else w * x for x, w in zip(features, weights, strict=True)))
    if all(x is None for x in features):
        return BowEstimate(0, None, 0.5, cues)
    p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, cues.total()))))
    confidence = max(p, 1.0 - p)
    sign = (1 if p > 0.5 else -1) if confidence >= min_confidence and p != 0.5 else 0
    return BowEstimate(sign, round(confidence, 4), p, cues)


def bow_estimate(strip: np.ndarray, hull: HullInStrip, min_confidence: float) -> BowEstimate:
    """Which end of a hull in a padded strip is the bow, from the summed evidence of its cues."""
    return bow_from_cues(bow_cues(strip, hull), min_confidence)
