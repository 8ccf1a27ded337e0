"""Identification: which registry tanker (if any) a measured hull is, as probabilities.

Each registry tanker is a hypothesis whose likelihood is that of the measured length and beam
given its registered length and beam under the measurement error model fitted per GSD
(inference/measurement_error.py: a core spread plus a share of outliers). They compete with an
"unknown tanker" hypothesis (any tanker of the world fleet, by a size prior), so a hull of a
common size next to several similar registry entries is not confidently named. Three more kinds
of evidence enter: the ship-type classifier's P(tanker) (a probable bulk carrier is not named as a
registry tanker), the hull's look against the vessel's analyst-confirmed sightings (an appearance
likelihood ratio, inference/appearance.py), and analysts' rejections (a hull rejected as vessel X
is never X again).

A vessel is in one place at a time: the hulls of one scene are identified jointly (assign_scene), an
assignment of hulls to registry vessels or "none of them" that maximises the product of the
posteriors, each vessel going to at most one hull; a vessel assigned to one hull is struck from the
candidates of every other hull of the scene, its probability moving to "none of them".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from tankerwatch.config import MatchConfig
from tankerwatch.datasets.tonnage import estimate_size
from tankerwatch.inference.measurement_error import ErrorModel, ErrorSpread
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


@dataclass(frozen=True)
class SizeBelief:
    """What we believe a candidate's true size is: Normal means and spreads in metres."""

    length_m: float
    length_sd_m: float
    beam_m: float
    beam_sd_m: float
    estimated: bool


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


@dataclass(frozen=True)
class HullErrors:
    """The measurement error of one hull's length and beam (from the fitted model or the hand-set sigmas)."""

    length: ErrorSpread
    beam: ErrorSpread


def hull_errors(det: Detection, errors: ErrorModel, cfg: MatchConfig) -> HullErrors:
    """The error spreads that apply to a hull measured at its GSD."""
    return HullErrors(
        errors.spread("length", det.length_m, det.gsd_m, cfg), errors.spread("beam", det.beam_m, det.gsd_m, cfg)
    )


def _size_loglik(length_m: float, beam_m: float, e: HullErrors, grid: np.ndarray, log_w: np.ndarray) -> float:
    """Log likelihood of a measured size when the true length follows (grid, log_w) and the beam follows the length."""
    beam_mean, beam_sd = _beam_given_length(grid)
    per_length = log_w + e.length.logpdf(length_m - grid) + e.beam.logpdf(beam_m - beam_mean, beam_sd)
    return _logsumexp(per_length)


def unknown_tanker_loglik(length_m: float, beam_m: float, e: HullErrors) -> float:
    """Log likelihood of a measured size under 'some tanker not in the registry' (prior x measurement error)."""
    return _size_loglik(length_m, beam_m, e, *tanker_length_prior())


def estimated_size_loglik(length_m: float, beam_m: float, e: HullErrors, belief: SizeBelief) -> float:
    """Log likelihood under a tonnage-estimated length, with the beam tied to the length as in the fleet.

    Treating an estimated beam as independent of the length would let a broad estimate explain
    odd shapes (short and wide boxes) better than any real hypothesis.
    """
    grid, _ = tanker_length_prior()
    log_w = -0.5 * ((grid - belief.length_m) / belief.length_sd_m) ** 2
    return _size_loglik(length_m, beam_m, e, grid, log_w - _logsumexp(log_w))


def size_belief(vessel: Vessel) -> SizeBelief | None:
    """A registry vessel's size: registered, else estimated from tonnage with the fitted spread; None when unknown."""
    estimate = estimate_size(vessel.dwt, vessel.gross_tonnage)
    if vessel.length_m is not None:
        length, length_sd = vessel.length_m, 0.0
    elif estimate is not None:
        length, length_sd = estimate.length_m, estimate.length_sd_m
    else:
        return None
    if vessel.beam_m is not None:
        beam, beam_sd = vessel.beam_m, 0.0
    elif vessel.length_m is not None:  # a registered length says more than tonnage
        beam, beam_sd = (float(x) for x in _beam_given_length(vessel.length_m))
    elif estimate is not None:
        beam, beam_sd = estimate.beam_m, estimate.beam_sd_m
    else:  # not reached: no length and no estimate returned above
        return None
    estimated = vessel.length_m is None or vessel.beam_m is None
    return SizeBelief(length, length_sd, beam, beam_sd, estimated)


def is_tanker_type(vessel_type: str) -> bool:
    """Whether a registry vessel type may be a tanker (an empty type may be anything)."""
    return not vessel_type.strip() or "tanker" in vessel_type.lower()


@dataclass(frozen=True)
class HullEvidence:
    """What analysts' decisions say of one hull: how much it looks like each vessel's confirmed sightings.

    appearance_llr: IMO -> log likelihood ratio of the hull's look under "this vessel" against "another
    vessel", from the best-matching confirmed sighting; sightings: IMO -> the alert ids (or imported
    signature ids) that ratio rests on; rejected: IMO -> the probability that this hull is a ship an
    analyst rejected as that vessel (1 for the very hull, less for one that only looks like it).
    """

    appearance_llr: dict[str, float] = field(default_factory=dict)
    sightings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rejected: dict[str, float] = field(default_factory=dict)


NO_EVIDENCE = HullEvidence()


def _candidate(
    det: Detection,
    vessel: Vessel,
    belief: SizeBelief | None,
    e: HullErrors,
    probability: float,
    p_tanker: float,
    evidence: HullEvidence,
) -> Candidate:
    """A Candidate record with the size, type and appearance evidence behind its probability."""
    size = {}
    if belief is not None:
        dl, db = det.length_m - belief.length_m, det.beam_m - belief.beam_m
        size = dict(
            delta_length_m=dl,
            delta_beam_m=db,
            z_length=(dl - e.length.bias_m) / e.length.total_sd_m(belief.length_sd_m),
            z_beam=(db - e.beam.bias_m) / e.beam.total_sd_m(belief.beam_sd_m),
        )
    return Candidate(
        imo=vessel.imo,
        name=vessel.name,
        probability=probability,
        length_m=vessel.length_m,
        beam_m=vessel.beam_m,
        sanctions=vessel.sanctions,
        dims_estimated=belief is None or belief.estimated,
        p_tanker=p_tanker,
        appearance_llr=evidence.appearance_llr.get(vessel.imo),
        sightings=evidence.sightings.get(vessel.imo, ()),
        **size,
    )


def _measurable(det: Detection) -> bool:
    """Whether a detection is a tanker with a usable size to identify."""
    sizes = (det.length_m, det.beam_m, det.gsd_m)
    if det.class_name != "tanker" or not all(math.isfinite(s) and s > 0 for s in sizes):
        return False
    lo, hi = PLAUSIBLE_LENGTH_PER_BEAM
    return lo <= det.length_m / det.beam_m <= hi


def _candidate_loglik(det: Detection, b: SizeBelief | None, e: HullErrors, loglik_unknown: float) -> float:
    """Log likelihood of the measured size if the hull is this registry vessel."""
    if b is None:  # no size known: no evidence for or against this vessel
        return loglik_unknown
    if b.length_sd_m > 0:  # length from tonnage
        return estimated_size_loglik(det.length_m, det.beam_m, e, b)
    return float(
        e.length.logpdf(det.length_m - b.length_m, b.length_sd_m) + e.beam.logpdf(det.beam_m - b.beam_m, b.beam_sd_m)
    )


def identify(
    det: Detection,
    registry: list[Vessel],
    cfg: MatchConfig,
    errors: ErrorModel | None = None,
    evidence: HullEvidence = NO_EVIDENCE,
) -> Identification:
    """Posterior probabilities that a measured tanker is each registry tanker, or none of them.

    The likelihood of vessel k is that of the measured size under k's registered size and the
    measurement error model, times the appearance likelihood ratio against k's confirmed sightings
    (1 where there are none: another vessel's look is what "none of them" predicts too). Where the
    hull carries ship-type probabilities, P(registry vessel k) = P(tanker) x P(k | tanker, size, look).
    Where the hull is (with probability q) a ship an analyst rejected as vessel k, P(k) is scaled by 1 - q:
    the very hull rejected is never k again."""
    vessels = [v for v in registry if is_tanker_type(v.vessel_type) and evidence.rejected.get(v.imo, 0.0) < 1.0]
    if not vessels or not _measurable(det) or cfg.prior_registry <= 0:
        return Identification(det, [], 1.0)
    e = hull_errors(det, errors or ErrorModel(), cfg)
    loglik_unknown = unknown_tanker_loglik(det.length_m, det.beam_m, e)
    beliefs = [size_belief(v) for v in vessels]
    logliks = [
        _candidate_loglik(det, b, e, loglik_unknown) + evidence.appearance_llr.get(v.imo, 0.0)
        for v, b in zip(vessels, beliefs, strict=True)
    ]
    with np.errstate(divide="ignore"):  # prior_registry = 1 rules the unknown hypothesis out
        log_unknown_prior = float(np.log(1.0 - cfg.prior_registry))
    log_post = np.array(
        [math.log(cfg.prior_registry / len(vessels)) + ll for ll in logliks] + [log_unknown_prior + loglik_unknown]
    )
    post = np.exp(log_post - _logsumexp(log_post))
    # type evidence: the ship-type classifier's P(tanker) scales every registry tanker; the rest is "not one of them"
    p_tanker = (det.type_probabilities or {}).get("tanker", 1.0)
    post[:-1] *= p_tanker * np.array([1.0 - evidence.rejected.get(v.imo, 0.0) for v in vessels])
    post[-1] = 1.0 - float(post[:-1].sum())
    ranked = sorted(range(len(vessels)), key=lambda i: (-post[i], vessels[i].imo))
    kept = [i for i in ranked if post[i] >= cfg.min_probability][: cfg.top_k]
    candidates = [_candidate(det, vessels[i], beliefs[i], e, float(post[i]), p_tanker, evidence) for i in kept]
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
        out.append(replace(ident, candidates=kept, p_unknown=ident.p_unknown + struck))
    return out
