"""The measurement error model: how far a measured length or beam lies from the true one, per GSD.

A hull measured on a grid of ground sample distance g is off by an error e = measured - true. Most
errors are small and roughly Normal (the *core*: edge blur, a pixel or two at each end); a few are
large (a bow lost in glare, two hulls read as one, a fender line taken for the hull side): the
*outliers*. The matcher's likelihood of a measured size under a registered one is therefore a
mixture, per dimension:

    p(e) = (1 - w) * Normal(e; bias, core_sd) + w * Normal(e; bias, outlier_sd)

with the bias, core spread, outlier share w and outlier spread fitted per GSD on evaluation scenes
(`tankerwatch eval`: the maximum-likelihood fit of this mixture by EM, started from robust
statistics). The fit is stored beside the detector weights as
`<weights>.errors.json` and in the model card; `tankerwatch run` reads it. Between fitted GSDs the
spreads are interpolated linearly; beyond the coarsest they grow in proportion to the GSD; where no
fit exists the hand-set sigma of MatchConfig (a * GSD + b * size) stands in, with no outliers.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, astuple, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tankerwatch.config import MatchConfig
from tankerwatch.io import atomic_write_text, read_json
from tankerwatch.schema import TankerwatchError

ROBUST_SD_PER_MAD = 1.4826
OUTLIER_CORE_SDS = 3.0
MIN_PAIRS_PER_GSD = 8  # fewer pairs than this do not make a fit
MIN_CORE_SD_M = 0.5  # below this the matcher's grid integral under-resolves the Normal
MIN_OUTLIER_SHARE = 0.01  # never rule large errors out entirely
MAX_OUTLIER_SHARE = 0.5  # beyond this the "outliers" are the core
OUTLIER_SD_FLOOR_FACTOR = 2.0  # outlier spread at least this many core spreads
SIDECAR_SUFFIX = ".errors.json"
FORMAT = "tankerwatch-measurement-errors/1"


@dataclass(frozen=True)
class ErrorSpread:
    """The error of one dimension at one GSD: bias, core spread, outlier share and spread, in metres."""

    bias_m: float
    core_sd_m: float
    outlier_share: float
    outlier_sd_m: float

    def logpdf(self, error_m: float | np.ndarray, extra_sd_m: float | np.ndarray = 0.0) -> float | np.ndarray:
        """Log density of a measurement error, widened by extra_sd_m (e.g. an uncertain registered size)."""
        core = np.hypot(self.core_sd_m, extra_sd_m)
        wide = np.hypot(self.outlier_sd_m, extra_sd_m)
        x = np.asarray(error_m, float) - self.bias_m
        log_core = math.log(1.0 - self.outlier_share) - 0.5 * (x / core) ** 2 - np.log(core)
        log_wide = (
            math.log(self.outlier_share) - 0.5 * (x / wide) ** 2 - np.log(wide) if self.outlier_share > 0 else -np.inf
        )
        out = np.logaddexp(log_core, log_wide) - 0.5 * math.log(2 * math.pi)
        return float(out) if np.ndim(out) == 0 else out

    def total_sd_m(self, extra_sd_m: float = 0.0) -> float:
        """The core spread widened by extra_sd_m: the unit of an evidence z-score."""
        return math.hypot(self.core_sd_m, extra_sd_m)


@dataclass(frozen=True)
class GsdFit:
    """The fitted error of length and beam at one GSD, with the number of hulls it rests on."""

    gsd_m: float
    n: int
    length: ErrorSpread
    beam: ErrorSpread


@dataclass(frozen=True)
class ErrorModel:
    """Fitted errors per GSD (ascending); empty: fall back to MatchConfig's hand-set sigmas."""

    fits: tuple[GsdFit, ...] = ()
    source: str = ""  # where the fit came from (eval scenes, date), for the model card and the alert evidence

    def spread(self, dimension: str, size_m: float, gsd_m: float, cfg: MatchConfig) -> ErrorSpread:
        """The error of 'length' or 'beam' for a hull of size_m measured at gsd_m."""
        if not self.fits:
            return hand_set_spread(size_m, gsd_m, cfg)
        gsds = [f.gsd_m for f in self.fits]
        parts = [getattr(f, dimension) for f in self.fits]
        if gsd_m <= gsds[0]:
            return parts[0]
        if gsd_m >= gsds[-1]:  # coarser than any fit: blur grows with the pixel
            return _scaled(parts[-1], gsd_m / gsds[-1])
        k = int(np.searchsorted(gsds, gsd_m))
        t = (gsd_m - gsds[k - 1]) / (gsds[k] - gsds[k - 1])
        a, b = parts[k - 1], parts[k]
        return ErrorSpread(*((1 - t) * x + t * y for x, y in zip(astuple(a), astuple(b), strict=True)))


def _scaled(s: ErrorSpread, factor: float) -> ErrorSpread:
    """A spread with its bias and widths scaled by factor (the share of outliers kept)."""
    return ErrorSpread(s.bias_m * factor, s.core_sd_m * factor, s.outlier_share, s.outlier_sd_m * factor)


def hand_set_spread(size_m: float, gsd_m: float, cfg: MatchConfig) -> ErrorSpread:
    """The fallback: sigma = a * GSD + b * size (MatchConfig), no bias and no outliers."""
    sigma = max(MIN_CORE_SD_M, cfg.sigma_gsd_factor * gsd_m + cfg.sigma_size_factor * size_m)
    return ErrorSpread(0.0, sigma, 0.0, sigma)


def fit_spread(errors_m: np.ndarray, iterations: int = 200) -> ErrorSpread:
    """Bias, core spread and outlier share and spread of measurement errors (m): the maximum-likelihood fit
    (EM) of the very mixture the matcher evaluates, started from robust statistics (median, 1.4826 x MAD,
    beyond 3 core spreads)."""
    e = np.asarray(errors_m, float)
    s = _robust_start(e)
    bias, core, share, wide = s.bias_m, s.core_sd_m, s.outlier_share, s.outlier_sd_m
    for _ in range(iterations):
        log_c = np.log(1 - share) - 0.5 * ((e - bias) / core) ** 2 - math.log(core)
        log_w = np.log(share) - 0.5 * ((e - bias) / wide) ** 2 - math.log(wide)
        r = np.exp(log_w - np.logaddexp(log_c, log_w))  # responsibility of the outlier component
        share = float(np.clip(r.mean(), MIN_OUTLIER_SHARE, MAX_OUTLIER_SHARE))
        weights = (1 - r) / core**2 + r / wide**2
        bias = float(np.sum(weights * e) / np.sum(weights))
        core = max(MIN_CORE_SD_M, math.sqrt(np.sum((1 - r) * (e - bias) ** 2) / max(np.sum(1 - r), 1e-9)))
        wide = max(OUTLIER_SD_FLOOR_FACTOR * core, math.sqrt(np.sum(r * (e - bias) ** 2) / max(np.sum(r), 1e-9)))
    return ErrorSpread(bias, core, share, wide)


def _robust_start(errors_m: np.ndarray) -> ErrorSpread:
    """Robust first guess: median bias, 1.4826 x MAD core, the share and RMS of errors beyond 3 core spreads."""
    bias = float(np.median(errors_m))
    dev = np.abs(errors_m - bias)
    core = max(MIN_CORE_SD_M, ROBUST_SD_PER_MAD * float(np.median(dev)))
    outlying = dev > OUTLIER_CORE_SDS * core
    share = float(np.clip(np.mean(outlying), MIN_OUTLIER_SHARE, MAX_OUTLIER_SHARE))
    rms_out = float(np.sqrt(np.mean(dev[outlying] ** 2))) if outlying.any() else 0.0
    return ErrorSpread(bias, core, share, max(rms_out, OUTLIER_SD_FLOOR_FACTOR * core))


def fit_error_model(
    pairs: list[tuple[float, float, float, float, float]], gsd_bins_m: tuple[tuple[float, float], ...], source: str
) -> ErrorModel:
    """Fit per GSD bin from (gsd_m, true length, measured length, true beam, measured beam) of matched hulls."""
    a = np.asarray(pairs, float).reshape(-1, 5)
    fits = []
    for lo, hi in gsd_bins_m:
        sel = a[(a[:, 0] >= lo) & (a[:, 0] < hi)]
        if len(sel) < MIN_PAIRS_PER_GSD:
            continue
        fits.append(
            GsdFit(
                round(float(np.median(sel[:, 0])), 3),
                len(sel),
                fit_spread(sel[:, 2] - sel[:, 1]),
                fit_spread(sel[:, 4] - sel[:, 3]),
            )
        )
    return ErrorModel(tuple(fits), source)


def error_model_dict(model: ErrorModel) -> dict:
    """The model as the sidecar's JSON."""
    return {
        "format": FORMAT,
        "source": model.source,
        "written": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fits": [asdict(f) for f in model.fits],
    }


def save_error_model(model: ErrorModel, path: Path) -> Path:
    """Write the sidecar atomically."""
    atomic_write_text(path, json.dumps(error_model_dict(model), indent=1) + "\n")
    return path


def sidecar_path(weights: Path) -> Path:
    """Where a detector's fitted error model lives: beside its weights."""
    return weights.with_name(weights.name + SIDECAR_SUFFIX)


def load_error_model(path: Path) -> ErrorModel:
    """Read a sidecar; a malformed one is a one-line TankerwatchError naming the file."""
    data = read_json(path, "measurement error model")
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        fits = tuple(
            sorted(
                (
                    GsdFit(float(f["gsd_m"]), int(f["n"]), ErrorSpread(**f["length"]), ErrorSpread(**f["beam"]))
                    for f in data["fits"]
                ),
                key=lambda f: f.gsd_m,
            )
        )
        for f in fits:
            for s in (f.length, f.beam):
                if not (s.core_sd_m > 0 and s.outlier_sd_m > 0 and 0 <= s.outlier_share < 1):
                    raise ValueError(f"implausible spread at {f.gsd_m} m: {s}")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise TankerwatchError(f"{path}: not a measurement error model ({e})") from None
    return ErrorModel(fits, str(data.get("source", "")))


def error_model_for(weights: Path | None, configured: str) -> ErrorModel:
    """The error model a run uses: the configured file, else the detector's sidecar, else the hand-set sigmas."""
    if configured:
        return load_error_model(Path(configured))
    if weights is not None and sidecar_path(Path(weights)).exists():
        return load_error_model(sidecar_path(Path(weights)))
    return ErrorModel()


def error_model_table(model: ErrorModel) -> str:
    """The fit as a Markdown table (model card, eval output)."""
    rows = [
        "| GSD m | hulls | length bias m | length core SD m | length outliers | beam bias m | beam core SD m | "
        "beam outliers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in model.fits:
        rows.append(
            f"| {f.gsd_m:g} | {f.n} | {f.length.bias_m:+.2f} | {f.length.core_sd_m:.2f} | "
            f"{f.length.outlier_share:.0%} (SD {f.length.outlier_sd_m:.1f}) | {f.beam.bias_m:+.2f} | "
            f"{f.beam.core_sd_m:.2f} | {f.beam.outlier_share:.0%} (SD {f.beam.outlier_sd_m:.1f}) |"
        )
    return "\n".join(rows)
