"""Appearance signatures: telling apart tankers of one size by their look.

Two tankers of the same length and beam cannot be told apart by size. An analyst tells them apart by
their look: the colours of the hull, the deck and the superstructure (the accommodation block at the
stern) with its funnel, how far forward the superstructure reaches and where the cargo manifold (the
pipes across the deck, about midships) sits along the hull. A hull's *appearance signature* records
that look in a form that survives a change of scene, so that a sighting an analyst has confirmed can
be compared with later ones:

- the colours of the hull's rim, the cargo deck, the superstructure and the funnel;
- the superstructure's forward end and the manifold's centre along the hull, as fractions of the
  hull's length measured from the superstructure end;
- the length, beam and GSD the hull was read at.

Why colours are normalised against the scene. One paint reads differently in every scene: haze,
sensor gain and offset, gamma and the product's radiometry move every band. A scene read
(datasets/scene.read_rgb) stretches each band between percentiles of the whole scene, which takes
out most of that; a signature keeps its colours as the stretched scene shows them (0-1 per band).
Normalising further against the water beside the hull (a colour's difference from the local water
colour) seemed the natural next step but was worse on rendered sightings (in a comparison made while
building this, with per-band spreads and no funnel: held-out ROC AUC 0.74 against 0.82 for the
scene-stretched colours): the water's own colour (turbidity, depth, sky) changes more between two
visits of one vessel than the light does. What the stretch leaves is in the fitted "same vessel"
spreads (full covariances over the bands: a brighter or hazier scene moves all three together).

Why positions are measured from the superstructure end. A detector's box has an axis, not a bow: the
same hull may come with its axis either way round. The superstructure is the one landmark a tanker
carries at one end (the stern), so positions are measured from the end that carries it and mean the
same in every sighting. Where neither end clearly carries one (a dim or missing block), the
superstructure and funnel are left out (None), the manifold is measured from the box's -axis end and
compared both ways round.

Comparing two signatures (`appearance_llr`): each feature's difference is scored under "same vessel"
(the spread between sightings of one vessel in different scenes, plus a share of misreads that look
like another vessel) and under "different vessels of the same size" (the spread between vessels);
the per-feature log likelihood ratios are clipped and summed, calibrated (a scale and an offset
fitted on the same pairs: the features are not independent) and clipped again, so that no feature
or misread alone decides. The spreads are fitted on rendered sightings (training/appearance.py) and
bundled in models/weights/appearance.json with the fit's provenance and held-out figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import cv2
import numpy as np
from rasterio.windows import Window

from tankerwatch.datasets.scene import Scene, read_rgb
from tankerwatch.inference.measure import box_in_window, padded_window, straighten
from tankerwatch.io import read_json
from tankerwatch.schema import OrientedBox, TankerwatchError

SIGNATURE_VERSION = 1  # bump when a feature's meaning changes: signatures of two versions do not compare
STRIP_PX = (256, 32)  # the hull resampled along its axis: columns along, rows across the beam
MIN_HULL_PX = 12.0  # a shorter hull (in native pixels) is too small to read
MAX_HULL_PX = 400.0  # a longer hull is averaged down to this first (a warp alone would alias)
EDGE_TOLERANCE_PX = 1.0  # a hull corner this far off the image still counts as on it
SUPERSTRUCTURE_SEARCH = 0.25  # the superstructure is sought within this share of the length from each end
SUPERSTRUCTURE_MIN_CONTRAST = 0.08  # brighter than the deck and the other end by this share of the range
MANIFOLD_SEARCH = (0.3, 0.75)  # the manifold is sought here, from the superstructure end
MANIFOLD_MIN_CONTRAST = 0.06
DECK_SPAN = (0.2, 0.85)  # the cargo deck along the hull, from the superstructure end ...
DECK_CLEARANCE = 0.03  # ... and at least this far forward of the superstructure (its shadow, the bridge wings)
CENTRE_ROWS = slice(6, 26)  # the middle of the beam: deck, superstructure, manifold
DECK_ROWS = (slice(4, 14), slice(19, 29))  # strip rows clear of the centreline pipe rack and the hull's rim
RIM_ROWS = (slice(0, 2), slice(30, 32))  # the outer sixteenth of the beam each side: the hull's rim
FUNNEL_ROWS = slice(4, 28)  # the funnel stands at the aft end of the superstructure, off the centreline when leaning
FUNNEL_SHARE = 0.35  # ... within this share of the superstructure's length
FUNNEL_PIXEL_SHARE = 1 / 6  # the share of that part's pixels least like the superstructure's paint: the funnel
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "weights" / "appearance.json"
MODEL_FORMAT = "tankerwatch-appearance/1"
COLOUR_FEATURES = ("hull_rgb", "deck_rgb", "superstructure_rgb", "funnel_rgb")
POSITION_FEATURES = ("superstructure_frac", "manifold_frac")
FEATURES = COLOUR_FEATURES + POSITION_FEATURES
OPTIONAL_FEATURES = ("superstructure_rgb", "funnel_rgb", "superstructure_frac", "manifold_frac")

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class Signature:
    """What one sighting of a hull looks like, comparable across scenes (see the module docstring)."""

    hull_rgb: Colour  # the hull's rim as the stretched scene shows it, 0-1 per band
    deck_rgb: Colour  # the cargo deck
    superstructure_rgb: Colour | None  # None: no superstructure found at either end
    funnel_rgb: Colour | None
    superstructure_frac: float | None  # its forward end, from the superstructure end, in hull lengths
    manifold_frac: float | None  # manifold centre from the superstructure end (else the -axis end); None: none
    length_m: float
    beam_m: float
    gsd_m: float  # the GSD the hull was read at (after any averaging down)

    @property
    def oriented(self) -> bool:
        """Whether positions are measured from a superstructure found at one end (else from the box's -axis end)."""
        return self.superstructure_frac is not None

    def to_dict(self) -> dict:
        """The signature as JSON-safe plain data (lists for colours, None kept), with its version."""
        out: dict = {"version": SIGNATURE_VERSION}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Signature:
        """A signature from to_dict's data; ValueError says what is wrong with a bad one."""
        if not isinstance(d, dict):
            raise ValueError(f"an appearance signature must be a dict, not {type(d).__name__}")
        if d.get("version") != SIGNATURE_VERSION:
            raise ValueError(f"appearance signature version {d.get('version')!r}, expected {SIGNATURE_VERSION}")
        names = [f.name for f in fields(cls)]
        if missing := [n for n in names if n not in d]:
            raise ValueError(f"appearance signature lacks {', '.join(missing)}")
        if extra := sorted(set(d) - set(names) - {"version"}):
            raise ValueError(f"appearance signature has unknown fields {', '.join(extra)}")
        values: dict = {}
        for n in names:
            if d[n] is None and n in OPTIONAL_FEATURES:
                values[n] = None
            elif n in COLOUR_FEATURES:
                values[n] = _colour(d[n], n)
            elif n in POSITION_FEATURES:
                values[n] = _number(d[n], n, 0.0, 1.0)
            else:
                values[n] = _number(d[n], n, 0.0, math.inf, open_low=True)
        return cls(**values)


def _colour(v, name: str) -> Colour:
    """A colour triple from plain data: three numbers in [0, 1]."""
    if not isinstance(v, (list, tuple)) or len(v) != 3:
        raise ValueError(f"appearance signature {name} must be three numbers, not {v!r}")
    return tuple(_number(c, name, 0.0, 1.0) for c in v)  # type: ignore[return-value]


def _number(v, name: str, lo: float, hi: float, open_low: bool = False) -> float:
    """A finite number in [lo, hi] ((lo, hi] when open_low) from plain data."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"appearance signature {name} must be a finite number, not {v!r}")
    if (v <= lo if open_low else v < lo) or v > hi:
        raise ValueError(f"appearance signature {name} = {v} lies outside {'(' if open_low else '['}{lo}, {hi}]")
    return float(v)


# --- reading a signature ------------------------------------------------------------------------------
def signature_from_rgb(rgb: np.ndarray, box: OrientedBox, gsd_m: float) -> Signature | None:
    """The signature of the hull in box, in the pixels of rgb: uint8 rows x cols x 3 at gsd_m, stretched as a scene
    read stretches it (datasets/scene.read_rgb). None when the hull is too short to read or not wholly on the image."""
    h, w = rgb.shape[:2]
    t = EDGE_TOLERANCE_PX
    if box.length_px < MIN_HULL_PX or not all(-t <= x <= w + t and -t <= y <= h + t for x, y in box.corners()):
        return None
    c0, r0, c1, r1 = padded_window(box, 0.0, 0.0, w, h)
    window = rgb[r0:r1, c0:c1]
    f = max(1.0, box.length_px / MAX_HULL_PX)  # image pixels per averaged pixel
    if f > 1.0:
        size = (max(2, int((c1 - c0) / f)), max(2, int((r1 - r0) / f)))
        window = cv2.resize(window, size, interpolation=cv2.INTER_AREA)
    sx, sy = (c1 - c0) / window.shape[1], (r1 - r0) / window.shape[0]
    strip = straighten(window, box_in_window(box, c0, r0, sx, sy), 0.0, 0.0, STRIP_PX, cv2.BORDER_REFLECT)
    return _signature(strip.astype(np.float32) / 255.0, box.length_px * gsd_m, box.beam_px * gsd_m, gsd_m * f)


def read_signature(src, scene: Scene, box: OrientedBox) -> Signature | None:
    """The signature of a hull box (native pixels) read from an open scene, averaged down to MAX_HULL_PX."""
    t = EDGE_TOLERANCE_PX
    if box.length_px < MIN_HULL_PX or not all(
        -t <= x <= scene.width + t and -t <= y <= scene.height + t for x, y in box.corners()
    ):
        return None
    c0, r0, c1, r1 = padded_window(box, 0.0, 0.0, scene.width, scene.height)
    f = max(1.0, box.length_px / MAX_HULL_PX)
    shape = (max(2, int((r1 - r0) / f)), max(2, int((c1 - c0) / f)))
    rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), shape)
    sx, sy = (c1 - c0) / shape[1], (r1 - r0) / shape[0]
    return signature_from_rgb(rgb, box_in_window(box, c0, r0, sx, sy), scene.gsd_m * (sx + sy) / 2)


def _signature(strip: np.ndarray, length_m: float, beam_m: float, gsd_m: float) -> Signature:
    """A signature from a hull strip (STRIP_PX, float 0-1, columns along the box's +axis)."""
    profile = _smooth(np.median(strip[CENTRE_ROWS].mean(axis=2), axis=0), 3)
    end = _superstructure_end(profile)
    if end < 0:  # the superstructure is at the +axis end: turn the strip round
        strip, profile = strip[:, ::-1], profile[::-1]
    cols = strip.shape[1]
    block = _superstructure_block(profile) if end else None
    deck_from = max(block[1] if block else 0, int(DECK_SPAN[0] * cols)) + int(DECK_CLEARANCE * cols)
    deck = _median(strip, DECK_ROWS, slice(deck_from, int(DECK_SPAN[1] * cols)))
    rim = _median(strip, RIM_ROWS, slice(int(DECK_SPAN[0] * cols), int(DECK_SPAN[1] * cols)))
    superstructure = funnel = fore = None
    if block is not None:
        aft, fore = block
        superstructure = _median(strip, (CENTRE_ROWS,), slice(aft, fore))
        funnel = _funnel(strip, aft, fore, superstructure)
    return Signature(
        rim,
        deck,
        superstructure,
        funnel,
        None if fore is None else round(fore / cols, 4),
        _manifold(strip),
        round(length_m, 2),
        round(beam_m, 2),
        round(gsd_m, 3),
    )


def _median(strip: np.ndarray, rows: tuple[slice, ...], cols: slice) -> Colour:
    """The per-band median colour of some rows over some columns of a strip."""
    return _stored(np.concatenate([strip[r, cols].reshape(-1, 3) for r in rows]))


def _funnel(strip: np.ndarray, aft: int, fore: int, paint: Colour) -> Colour:
    """The funnel's colour: the pixels of the superstructure's aft part least like its paint (an off-nadir view
    leans the funnel off the centreline, so it is found by colour, not by place)."""
    region = strip[FUNNEL_ROWS, max(0, aft - 1) : aft + max(2, int(FUNNEL_SHARE * (fore - aft)))].reshape(-1, 3)
    unlike = np.argsort(np.linalg.norm(region - np.asarray(paint), axis=1))
    return _stored(region[unlike[-max(3, int(len(region) * FUNNEL_PIXEL_SHARE)) :]])


def _stored(pixels: np.ndarray) -> Colour:
    """The per-band median of pixels (rows x 3, 0-1), rounded for storage."""
    return tuple(round(float(v), 4) for v in np.clip(np.median(pixels, axis=0), 0.0, 1.0))  # type: ignore[return-value]


def _smooth(profile: np.ndarray, width: int) -> np.ndarray:
    """A profile averaged over a running window of width samples."""
    return np.convolve(np.pad(profile, width // 2, mode="edge"), np.ones(width) / width, mode="valid")


def _superstructure_end(profile: np.ndarray) -> int:
    """Which end of a brightness profile along the hull carries the superstructure: +1 its start, -1 its end,
    0 neither clearly (the brighter end must outshine both the deck and the other end)."""
    n = int(SUPERSTRUCTURE_SEARCH * len(profile))
    deck = float(np.median(profile[n:-n]))
    start, stop = float(profile[:n].max()), float(profile[-n:].max())
    if max(start, stop) - max(min(start, stop), deck) < SUPERSTRUCTURE_MIN_CONTRAST:
        return 0
    return 1 if start > stop else -1


def _bright_run(profile: np.ndarray, peak: int, base: float) -> tuple[int, int]:
    """Columns [first, past the last) of the run around peak that is brighter than halfway down to base."""
    level = (float(profile[peak]) + base) / 2
    a, b = peak, peak
    while a > 0 and profile[a - 1] > level:
        a -= 1
    while b < len(profile) - 1 and profile[b + 1] > level:
        b += 1
    return a, b + 1


def _superstructure_block(profile: np.ndarray) -> tuple[int, int]:
    """Columns [aft, fore) of the superstructure at the start of a brightness profile."""
    n = int(SUPERSTRUCTURE_SEARCH * len(profile))
    return _bright_run(profile, int(np.argmax(profile[:n])), float(np.median(profile[n:-n])))


def _manifold(strip: np.ndarray) -> float | None:
    """Centre of the manifold (a bright band right across the deck) in hull lengths, or None when none shows."""
    cols = strip.shape[1]
    # the median across the deck is bright only where something spans it: a hatch or a crane does not
    profile = _smooth(np.median(strip[DECK_ROWS[0].start : DECK_ROWS[1].stop].mean(axis=2), axis=0), 3)
    lo, hi = int(MANIFOLD_SEARCH[0] * cols), int(MANIFOLD_SEARCH[1] * cols)
    base = float(np.median(profile[int(DECK_SPAN[0] * cols) : int(DECK_SPAN[1] * cols)]))
    peak = lo + int(np.argmax(profile[lo:hi]))
    if profile[peak] - base < MANIFOLD_MIN_CONTRAST:
        return None
    a, b = _bright_run(profile, peak, base)
    return round((a + b) / 2 / cols, 4)


# --- comparing signatures -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FeatureSpread:
    """How one feature's difference between two sightings spreads: one vessel, or two vessels of one size.

    Zero-mean Normals (covariances over the feature's components); between sightings of one vessel a
    misread_share of differences spread as between vessels (glare, a shadow, a hull cut by a crane)."""

    same_cov: tuple[tuple[float, ...], ...]
    different_cov: tuple[tuple[float, ...], ...]
    misread_share: float

    def log_likelihoods(self, diffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log p(diff | same vessel) and log p(diff | different vessels) for rows of differences."""
        different = normal_logpdf(diffs, np.asarray(self.different_cov))
        core = normal_logpdf(diffs, np.asarray(self.same_cov))
        same = np.logaddexp(math.log1p(-self.misread_share) + core, math.log(self.misread_share) + different)
        return same, different


def normal_logpdf(x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Log density of a zero-mean Normal with covariance cov at the rows of x."""
    x = np.atleast_2d(np.asarray(x, float))
    _, logdet = np.linalg.slogdet(cov)
    mahalanobis = np.einsum("ij,ij->i", x @ np.linalg.inv(cov), x)
    return -0.5 * (mahalanobis + logdet + len(cov) * math.log(2 * math.pi))


@dataclass(frozen=True)
class AppearanceModel:
    """Per-feature spreads for "same vessel" and "different vessels", the calibration and the limits."""

    spreads: Mapping[str, FeatureSpread]  # by Signature field name
    scale: float  # calibrated LLR = scale * (sum of the per-feature LLRs) + offset
    offset: float
    feature_limit: float = 4.0  # each feature's LLR is clipped to +- this before the sum
    llr_limit: float = 8.0  # and the calibrated total to +- this
    provenance: Mapping = field(default_factory=dict, compare=False)  # how and on what it was fitted

    def to_dict(self) -> dict:
        """The model as the bundled JSON's plain data."""
        return {
            "format": MODEL_FORMAT,
            "signature_version": SIGNATURE_VERSION,
            "spreads": {
                k: {
                    "same_cov": [list(r) for r in s.same_cov],
                    "different_cov": [list(r) for r in s.different_cov],
                    "misread_share": s.misread_share,
                }
                for k, s in self.spreads.items()
            },
            "scale": self.scale,
            "offset": self.offset,
            "feature_limit": self.feature_limit,
            "llr_limit": self.llr_limit,
            "provenance": dict(self.provenance),
        }


def load_appearance_model(path: Path | None = None) -> AppearanceModel:
    """The appearance model at path (default: the bundled models/weights/appearance.json)."""
    path = Path(path or DEFAULT_MODEL)
    data = read_json(path, "appearance model")
    try:
        if data.get("format") != MODEL_FORMAT or data.get("signature_version") != SIGNATURE_VERSION:
            raise ValueError(
                f"format {data.get('format')!r} for signature version {data.get('signature_version')!r}, "
                f"expected {MODEL_FORMAT!r} for {SIGNATURE_VERSION}"
            )
        spreads = {}
        for name, s in data["spreads"].items():
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}")
            spread = FeatureSpread(
                tuple(tuple(float(v) for v in r) for r in s["same_cov"]),
                tuple(tuple(float(v) for v in r) for r in s["different_cov"]),
                float(s["misread_share"]),
            )
            size = 3 if name in COLOUR_FEATURES else 1
            for cov in (spread.same_cov, spread.different_cov):
                if np.shape(cov) != (size, size) or np.linalg.eigvalsh(np.asarray(cov)).min() <= 0:
                    raise ValueError(f"{name}: a covariance is not {size} x {size} and positive definite")
            if not 0 < spread.misread_share < 1:
                raise ValueError(f"{name}: misread share {spread.misread_share} outside (0, 1)")
            spreads[name] = spread
        model = AppearanceModel(
            spreads,
            float(data["scale"]),
            float(data["offset"]),
            float(data["feature_limit"]),
            float(data["llr_limit"]),
            dict(data.get("provenance") or {}),
        )
        if not (model.scale > 0 and math.isfinite(model.offset) and 0 < model.feature_limit and 0 < model.llr_limit):
            raise ValueError(
                f"implausible calibration or limits: scale {model.scale}, offset {model.offset}, "
                f"limits {model.feature_limit}, {model.llr_limit}"
            )
        return model
    except (KeyError, TypeError, ValueError, AttributeError, np.linalg.LinAlgError) as e:
        raise TankerwatchError(f"{path}: not an appearance model ({e})") from None


def feature_llrs(a: Signature, b: Signature, model: AppearanceModel) -> dict[str, float]:
    """Each feature's clipped log likelihood ratio, same vessel against different vessels, where both show it.

    Positions where either signature lacks its superstructure are scored both ways round (the mean of
    the two likelihoods under each hypothesis)."""
    out = {}
    for name, spread in model.spreads.items():
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            continue
        diffs = np.subtract(x, y, dtype=float).reshape(1, -1)
        if name in POSITION_FEATURES and not (a.oriented and b.oriented):
            diffs = np.array([[x - y], [x - (1.0 - y)]])
        same, different = spread.log_likelihoods(diffs)
        value = float(np.logaddexp.reduce(same) - np.logaddexp.reduce(different))
        out[name] = float(np.clip(value, -model.feature_limit, model.feature_limit))
    return out


def appearance_llr(a: Signature, b: Signature, model: AppearanceModel) -> float:
    """log p(differences | same vessel) - log p(differences | different vessels of its size), calibrated and
    clipped to +- model.llr_limit: positive when the two hulls look like one vessel."""
    total = sum(feature_llrs(a, b, model).values())
    return float(np.clip(model.scale * total + model.offset, -model.llr_limit, model.llr_limit))
