"""Identification by size: which registry tanker (if any) a measured hull is, as probabilities.

Each registry tanker is a hypothesis whose likelihood is that of the measured length and beam
given its registered length and beam under a GSD-dependent measurement error. They compete
with an "unknown tanker" hypothesis (any tanker of the world fleet, by a size prior), so a
hull of a common size next to several similar registry entries is not confidently named.

A vessel is in one place at a time: the hulls of one scene are identified jointly (assign_scene), an
assignment of hulls to registry vessels or "none of them" that maximises the product of the
posteriors, each vessel going to at most one hull; a vessel assigned to one hull is struck from the
candidates of every other hull of the scene, its probability moving to "none of them".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from tankerwatch.config import MatchConfig
from tankerwatch.datasets.registry import estimate_dimensions
from tankerwatch.schema import Candidate, Detection, Identification, Vessel

# Size prior of the tanker fleet at large (rough: coastal tankers to VLCCs, most near 100-180 m).
TANKER_MEDIAN_LENGTH_M = 120.0
TANKER_LENGTH_LOG_SD = 0.45
TANKER_LENGTH_RANGE_M = (40.0, 400.0)
TANKER_LENGTH_PER_BEAM = 6.3
TANKER_BEAM_REL_SD = 0.12
GRID_STEP_M = 0.25
# A measured hull outside these length/beam ratios is not a plausible tanker box (a fragment,
# two rafted hulls, a pier): it is not identified at all rather than matched to the broadest candidate.
PLAUSIBLE_LENGTH_PER_BEAM = (3.5, 9.5)
# Below this the grid integral over length under-resolves the measurement Normal.
MIN_SIGMA_M = 2 * GRID_STEP_M


@dataclass(frozen=True)
class SizeBelief:
    """What we believe a candidate's true size is: Normal means and spreads in metres."""

    length_m: float
    length_sd_m: float
    beam_m: float
    beam_sd_m: float
    estimated: bool


def measurement_sigma_m(size_m: float, gsd_m: float, cfg: MatchConfig) -> float:
    """Standard error of a measured length or beam in metres: grows with GSD and with size."""
    return max(MIN_SIGMA_M, cfg.sigma_gsd_factor * gsd_m + cfg.sigma_size_factor * size_m)


def _log_normal_pdf(x: float | np.ndarray, mean: float | np.ndarray, sd: float | np.ndarray) -> float | np.ndarray:
    """Log density of Normal(mean, sd) at x."""
    return -0.5 * ((x - mean) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)


def _logsumexp(values: np.ndarray) -> float:
    """log(sum(exp(values))) without underflow."""
    top = float(np.max(values))
    if not math.isfinite(top):
        return top
    return top + math.log(float(np.sum(np.exp(values - top))))


def tanker_length_prior() -> tuple[np.ndarray, np.ndarray]:
    """Length grid (m) and log weights of the fleet's log-normal length prior, normalised on 40-400 m."""
    lo, hi = TANKER_LENGTH_RANGE_M
    grid = np.arange(lo, hi + GRID_STEP_M / 2, GRID_STEP_M)
    z = (np.log(grid) - math.log(TANKER_MEDIAN_LENGTH_M)) / TANKER_LENGTH_LOG_SD
    log_w = -0.5 * z**2 - np.log(grid)  # log-normal density up to a constant
    return grid, log_w - _logsumexp(log_w)


def _beam_given_length(length_m: float | np.ndarray) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Typical tanker beam for a length, and its spread (m)."""
    beam = length_m / TANKER_LENGTH_PER_BEAM
    return beam, TANKER_BEAM_REL_SD * beam


def _size_loglik(length_m: float, beam_m: float, sigma_length_m: float, sigma_beam_m: float,
                 grid: np.ndarray, log_w: np.ndarray) -> float:
    """Log likelihood of a measured size when the true length follows (grid, log_w) and the beam follows the length."""
    beam_mean, beam_sd = _beam_given_length(grid)
    per_length = (
        log_w
        + _log_normal_pdf(length_m, grid, sigma_length_m)
        + _log_normal_pdf(beam_m, beam_mean, np.hypot(sigma_beam_m, beam_sd))
    )
    return _logsumexp(per_length)


def unknown_tanker_loglik(length_m: float, beam_m: float, sigma_length_m: float, sigma_beam_m: float) -> float:
    """Log likelihood of a measured size under 'some tanker not in the registry' (prior x measurement error)."""
    return _size_loglik(length_m, beam_m, sigma_length_m, sigma_beam_m, *tanker_length_prior())


def estimated_size_loglik(length_m: float, beam_m: float, sigma_length_m: float, sigma_beam_m: float,
                          belief: SizeBelief) -> float:
    """Log likelihood under a tonnage-estimated length, with the beam tied to the length as in the fleet.

    Treating an estimated beam as independent of the length would let a broad estimate explain
    odd shapes (short and wide boxes) better than any real hypothesis.
    """
    grid, _ = tanker_length_prior()
    log_w = -0.5 * ((grid - belief.length_m) / belief.length_sd_m) ** 2
    return _size_loglik(length_m, beam_m, sigma_length_m, sigma_beam_m, grid, log_w - _logsumexp(log_w))


def size_belief(vessel: Vessel, cfg: MatchConfig) -> SizeBelief | None:
    """A registry vessel's size: registered, else tonnage-estimated (wider); None when nothing is known."""
    estimate = estimate_dimensions(vessel.dwt, vessel.gross_tonnage)
    if vessel.length_m is not None:
        length, length_sd = vessel.length_m, 0.0
    elif estimate is not None:
        length, length_sd = estimate[0], cfg.unknown_dims_sigma_factor * estimate[0]
    else:
        return None
    if vessel.beam_m is not None:
        beam, beam_sd = vessel.beam_m, 0.0
    elif vessel.length_m is not None:
        beam, beam_sd = _beam_given_length(vessel.length_m)  # a registered length says more than tonnage
    else:
        beam, beam_sd = estimate[1], cfg.unknown_dims_sigma_factor * estimate[1]
    estimated = vessel.length_m is None or vessel.beam_m is None
    return SizeBelief(length, length_sd, beam, beam_sd, estimated)


def is_tanker_type(vessel_type: str) -> bool:
    """Whether a registry vessel type may be a tanker (an empty type may be anything)."""
    return not vessel_type.strip() or "tanker" in vessel_type.lower()


def _candidate(det: Detection, vessel: Vessel, belief: SizeBelief | None, sigma_l: float, sigma_b: float,
               probability: float) -> Candidate:
    """A Candidate record with the size evidence behind its probability."""
    evidence = {}
    if belief is not None:
        dl, db = det.length_m - belief.length_m, det.beam_m - belief.beam_m
        evidence = dict(
            delta_length_m=dl, delta_beam_m=db,
            z_length=dl / math.hypot(sigma_l, belief.length_sd_m), z_beam=db / math.hypot(sigma_b, belief.beam_sd_m),
        )
    return Candidate(
        imo=vessel.imo, name=vessel.name, probability=probability, length_m=vessel.length_m,
        beam_m=vessel.beam_m, sanctions=vessel.sanctions,
        dims_estimated=belief is None or belief.estimated, **evidence,
    )


def _measurable(det: Detection) -> bool:
    """Whether a detection is a tanker with a usable size to identify."""
    sizes = (det.length_m, det.beam_m, det.gsd_m)
    if det.class_name != "tanker" or not all(math.isfinite(s) and s > 0 for s in sizes):
        return False
    lo, hi = PLAUSIBLE_LENGTH_PER_BEAM
    return lo <= det.length_m / det.beam_m <= hi


def _candidate_loglik(det: Detection, b: SizeBelief | None, sigma_l: float, sigma_b: float,
                      loglik_unknown: float) -> float:
    """Log likelihood of the measured size if the hull is this registry vessel."""
    if b is None:  # no size known: no evidence for or against this vessel
        return loglik_unknown
    if b.length_sd_m > 0:  # length from tonnage
        return estimated_size_loglik(det.length_m, det.beam_m, sigma_l, sigma_b, b)
    return float(_log_normal_pdf(det.length_m, b.length_m, math.hypot(sigma_l, b.length_sd_m))
                 + _log_normal_pdf(det.beam_m, b.beam_m, math.hypot(sigma_b, b.beam_sd_m)))


def identify(det: Detection, registry: list[Vessel], cfg: MatchConfig) -> Identification:
    """Posterior probabilities that a measured tanker is each registry tanker, or none of them.

    Where the hull carries ship-type probabilities, P(registry vessel k) = P(tanker) x P(k | tanker, size)."""
    vessels = [v for v in registry if is_tanker_type(v.vessel_type)]
    if not vessels or not _measurable(det) or cfg.prior_registry <= 0:
        return Identification(det, [], 1.0)
    sigma_l = measurement_sigma_m(det.length_m, det.gsd_m, cfg)
    sigma_b = measurement_sigma_m(det.beam_m, det.gsd_m, cfg)
    loglik_unknown = unknown_tanker_loglik(det.length_m, det.beam_m, sigma_l, sigma_b)
    beliefs = [size_belief(v, cfg) for v in vessels]
    logliks = [_candidate_loglik(det, b, sigma_l, sigma_b, loglik_unknown) for b in beliefs]
    with np.errstate(divide="ignore"):  # prior_registry = 1 rules the unknown hypothesis out
        log_unknown_prior = float(np.log(1.0 - cfg.prior_registry))
    log_post = np.array([math.log(cfg.prior_registry / len(vessels)) + ll for ll in logliks]
                        + [log_unknown_prior + loglik_unknown])
    post = np.exp(log_post - _logsumexp(log_post))
    # type evidence: the ship-type classifier's P(tanker) scales every registry tanker; the rest is "not one of them"
    p_tanker = (det.type_probabilities or {}).get("tanker", 1.0)
    post[:-1] *= p_tanker
    post[-1] = 1.0 - float(post[:-1].sum())
    ranked = sorted(range(len(vessels)), key=lambda i: (-post[i], vessels[i].imo))
    kept = [i for i in ranked if post[i] >= cfg.min_probability][: cfg.top_k]
    candidates = [_candidate(det, vessels[i], beliefs[i], sigma_l, sigma_b, float(post[i])) for i in kept]
    return Identification(det, candidates, float(post[-1]))


def is_match(ident: Identification, cfg: MatchConfig) -> bool:
    """Whether the top candidate is probable enough to name the tanker (and alert)."""
    return bool(ident.candidates) and ident.candidates[0].probability >= cfg.alert_probability


def assign_scene(idents: list[Identification]) -> list[Identification]:
    """The hulls of one scene identified jointly: each registry vessel is at most one hull's candidate."""
    imos = sorted({c.imo for ident in idents for c in ident.candidates})
    if len(imos) == 0 or sum(1 for ident in idents if ident.candidates) < 2:
        return idents
    n, k = len(idents), len(imos)
    col = {imo: j for j, imo in enumerate(imos)}
    # columns: the registry vessels, then one "none of them" column per hull (only that hull may take it)
    cost = np.full((n, k + n), 1e6)
    for i, ident in enumerate(idents):
        listed = 0.0
        for c in ident.candidates:
            cost[i, col[c.imo]] = -math.log(max(c.probability, 1e-12))
            listed += c.probability
        cost[i, k + i] = -math.log(max(1.0 - listed, ident.p_unknown, 1e-12))
    rows, cols = linear_sum_assignment(cost)
    owner = {imos[j]: i for i, j in zip(rows, cols, strict=True) if j < k}
    out = []
    for i, ident in enumerate(idents):
        kept = [c for c in ident.candidates if owner.get(c.imo, i) == i]
        struck = sum(c.probability for c in ident.candidates if owner.get(c.imo, i) != i)
        out.append(Identification(ident.detection, kept, ident.p_unknown + struck))
    return out
