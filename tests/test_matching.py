"""Identification by size: GSD-aware likelihoods against an 'unknown tanker' hypothesis."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from tankerwatch.config import MatchConfig, bundled_path
from tankerwatch.datasets.registry import estimate_dimensions, load_registry
from tankerwatch.inference.matching import (
    HullErrors,
    identify,
    is_match,
    tanker_length_prior,
    unknown_tanker_loglik,
)
from tankerwatch.inference.measurement_error import ErrorSpread, hand_set_spread
from tankerwatch.schema import Detection, Identification, OrientedBox, Vessel

CFG = MatchConfig()


def detection(length_m: float, beam_m: float, gsd_m: float = 0.5, class_name: str = "tanker") -> Detection:
    """A hull measured at Vostochny with the given size and GSD."""
    box = OrientedBox(500.0, 500.0, length_m / gsd_m, beam_m / gsd_m, 0.3, 0.9, class_name)
    return Detection(
        scene_id="s1",
        class_name=class_name,
        confidence=0.9,
        length_m=length_m,
        beam_m=beam_m,
        heading_deg=30.0,
        heading_ambiguous=False,
        center_lon=133.065,
        center_lat=42.7475,
        footprint_lonlat=[],
        acquired=datetime(2024, 5, 1, 2, 31, tzinfo=timezone.utc),
        gsd_m=gsd_m,
        box=box,
        port_id="RU-VOS",
    )


def tanker(
    imo: str,
    length_m: float | None,
    beam_m: float | None,
    dwt: float | None = None,
    vessel_type: str = "Oil Products Tanker",
) -> Vessel:
    """A registry vessel with the given size."""
    return Vessel(imo, f"SHIP {imo}", vessel_type, "KP", length_m, beam_m, dwt, None, ("UN-1718",))


REGISTRY = [tanker("A", 120, 18), tanker("B", 110, 17), tanker("C", 130, 19), tanker("D", 150, 24)]


def full_posterior(det: Detection, registry: list[Vessel]) -> Identification:
    """identify() with every candidate listed, so probabilities can be summed."""
    return identify(det, registry, MatchConfig(min_probability=0.0, top_k=len(registry)))


def test_a_registry_sized_tanker_is_named_with_high_probability():
    ident = identify(detection(120, 18), REGISTRY, CFG)
    top = ident.candidates[0]
    assert (top.imo, top.length_m, top.beam_m, top.sanctions) == ("A", 120, 18, ("UN-1718",))
    assert top.probability > 0.75 and is_match(ident, CFG)
    assert [c.imo for c in ident.candidates[1:]] == ["B", "C"]  # +-10 m neighbours, equally likely
    assert ident.candidates[1].probability == pytest.approx(ident.candidates[2].probability)
    assert top.delta_length_m == 0 and ident.candidates[1].z_length == pytest.approx(10 / 4.35)


def test_a_tanker_bigger_than_any_registry_entry_matches_nothing():
    ident = identify(detection(180, 30), REGISTRY, CFG)
    assert not is_match(ident, CFG)
    assert ident.candidates == [] and ident.p_unknown > 0.999


@pytest.mark.parametrize("size, gsd", [((120, 18), 0.5), ((180, 30), 0.5), ((112, 17.5), 2.0), ((60, 9), 3.0)])
def test_probabilities_and_unknown_sum_to_one(size, gsd):
    ident = full_posterior(detection(*size, gsd_m=gsd), REGISTRY)
    assert len(ident.candidates) == 4
    assert sum(c.probability for c in ident.candidates) + ident.p_unknown == pytest.approx(1.0, abs=1e-12)


def test_a_crowd_of_similar_registry_sizes_names_no_one():
    crowd = [tanker(str(i), length, 18) for i, length in enumerate([118, 119, 120, 121, 122])]
    ident = identify(detection(120, 18), crowd, CFG)
    assert max(c.probability for c in ident.candidates) < 0.5 and not is_match(ident, CFG)
    assert ident.candidates[0].imo == "2"  # the exact size still ranks first


def test_coarser_gsd_spreads_probability():
    fine, coarse = (full_posterior(detection(120, 18, gsd_m=g), REGISTRY) for g in (0.5, 3.0))
    assert coarse.candidates[0].imo == fine.candidates[0].imo == "A"
    assert coarse.candidates[0].probability < fine.candidates[0].probability - 0.25
    assert coarse.p_unknown > fine.p_unknown

    def entropy(ident: Identification) -> float:
        ps = [c.probability for c in ident.candidates] + [ident.p_unknown]
        return -sum(p * math.log(p) for p in ps if p > 0)

    assert entropy(coarse) > entropy(fine) + 0.3


def test_measurement_sigma_grows_with_gsd_and_size():
    assert hand_set_spread(120, 0.5, CFG).core_sd_m == pytest.approx(1.5 * 0.5 + 0.03 * 120)
    assert hand_set_spread(18, 3.0, CFG).core_sd_m == pytest.approx(1.5 * 3.0 + 0.03 * 18)
    assert (
        hand_set_spread(18, 0.0, MatchConfig(sigma_size_factor=0.0)).core_sd_m == 0.5
    )  # floor keeps the integral resolved


def test_only_tankers_are_identified_against_tanker_entries():
    vessel = identify(detection(120, 18, class_name="vessel"), REGISTRY, CFG)
    assert vessel.candidates == [] and vessel.p_unknown == 1.0
    cargo = [tanker("A", 120, 18, vessel_type="General Cargo"), tanker("E", 150, 24, vessel_type="")]
    ident = full_posterior(detection(120, 18), cargo)
    assert [c.imo for c in ident.candidates] == ["E"]  # an empty type may be a tanker; cargo may not


def test_unknown_dimensions_widen_instead_of_vanishing():
    length, beam = estimate_dimensions(8000, None)
    registry = REGISTRY + [tanker("Q", None, None, dwt=8000), tanker("N", None, None), tanker("R", length, beam)]
    ident = full_posterior(detection(length, beam), registry)
    by_imo = {c.imo: c for c in ident.candidates}
    assert by_imo["Q"].dims_estimated and by_imo["Q"].length_m is None
    # Q's estimate (about 117 x 18 m from 8,000 dwt, +-10 % fitted) keeps Q in the running at its size...
    assert by_imo["Q"].probability > 0.02 and abs(by_imo["Q"].z_length) < 0.1
    # ...but far less strongly than a vessel registered at exactly that size: an estimate is weak evidence
    assert by_imo["Q"].probability < by_imo["R"].probability / 3
    # far from the estimate, Q drops well below the know-nothing N
    far = {c.imo: c for c in full_posterior(detection(200, 33), registry).candidates}
    # (the beam follows the length, so a long, wide hull is one piece of evidence against Q, not two)
    assert far["Q"].probability < far["N"].probability / 10
    assert by_imo["N"].dims_estimated and by_imo["N"].z_length is None
    # nothing known about N: its likelihood equals the unknown tanker's, so posterior / prior is the same
    prior_each = CFG.prior_registry / len(registry)
    assert by_imo["N"].probability / prior_each == pytest.approx(ident.p_unknown / (1 - CFG.prior_registry))


def test_registered_length_with_unknown_beam_uses_typical_beam():
    ident = full_posterior(detection(120, 19), [tanker("L", 120, None)])
    top = ident.candidates[0]
    assert top.dims_estimated and top.delta_beam_m == pytest.approx(19 - 120 / 6.3)


def test_unknown_hypothesis_favours_common_tanker_sizes():
    grid, log_w = tanker_length_prior()
    assert grid[0] == 40 and grid[-1] == 400 and np.exp(log_w).sum() == pytest.approx(1.0)
    e = HullErrors(ErrorSpread(0.0, 4.0, 0.0, 4.0), ErrorSpread(0.0, 1.3, 0.0, 1.3))
    common, rare = (unknown_tanker_loglik(length, length / 6.3, e) for length in (110, 380))
    assert common > rare + 3
    assert unknown_tanker_loglik(120, 19, e) > unknown_tanker_loglik(120, 40, e) + 10  # too beamy


def test_bundled_registry_names_each_demo_tanker_at_half_metre_gsd():
    registry = load_registry(bundled_path("registry.csv"))
    for v in registry:
        if v.length_m and "tanker" in v.vessel_type.lower():
            ident = identify(detection(v.length_m, v.beam_m), registry, CFG)
            assert ident.candidates[0].imo == v.imo and is_match(ident, CFG), v.name


def test_top_k_and_min_probability_limit_the_list():
    ident = identify(detection(120, 18, gsd_m=3.0), REGISTRY, MatchConfig(top_k=2))
    assert len(ident.candidates) == 2
    ident = identify(detection(120, 18), REGISTRY, MatchConfig(min_probability=0.1))
    assert [c.imo for c in ident.candidates] == ["A"]


def test_implausible_hull_shapes_are_not_identified():
    # regression: a 38 x 21.5 m box (a fragment) was named, at p 1.0, as the tonnage-estimated vessel
    registry = REGISTRY + [tanker("Q", None, None, dwt=8000)]
    for length, beam in ((37.6, 21.5), (101.2, 28.4)):
        ident = full_posterior(detection(length, beam), registry)
        assert not ident.candidates or ident.candidates[0].probability < CFG.alert_probability, (length, beam)


def test_type_evidence_scales_registry_candidates():
    """A hull the classifier thinks is probably a bulk carrier is not named as a registry tanker."""
    from tankerwatch.config import MatchConfig
    from tankerwatch.inference.matching import identify, is_match
    from tankerwatch.schema import Detection, OrientedBox, Vessel

    reg = [Vessel("9000001", "EXACT", "Oil tanker", "KP", 150.0, 24.0, None, None, ("UN-1718",))]
    box = OrientedBox(0, 0, 300, 48, 0.0, 0.9, "tanker")

    def det(p_tanker):
        probs = None if p_tanker is None else {"tanker": p_tanker, "bulk_carrier": 1 - p_tanker}
        return Detection(
            "s",
            "tanker",
            0.9,
            150.0,
            24.0,
            90.0,
            False,
            0.0,
            0.0,
            [],
            None,
            0.5,
            box,
            type_name="tanker",
            type_probabilities=probs,
        )

    cfg = MatchConfig()
    plain, sure, doubtful = (identify(det(p), reg, cfg) for p in (None, 0.99, 0.3))
    assert is_match(plain, cfg) and is_match(sure, cfg)
    assert doubtful.candidates[0].probability == pytest.approx(0.3 * plain.candidates[0].probability, rel=1e-6)
    assert not is_match(doubtful, cfg)
    assert doubtful.p_unknown == pytest.approx(1 - doubtful.candidates[0].probability, abs=1e-6)


def test_two_hulls_of_one_scene_are_never_the_same_vessel():
    """Joint identification: the better-fitting hull keeps the vessel, the other falls back to its next candidate."""
    from tankerwatch.inference.matching import assign_scene
    from tankerwatch.schema import Candidate, Identification

    def ident(*cands):
        return Identification(
            None, [Candidate(imo, imo, p, None, None, ()) for imo, p in cands], 1 - sum(p for _, p in cands)
        )

    a = ident(("1000019", 0.8), ("1000021", 0.1))
    b = ident(("1000019", 0.6), ("1000033", 0.3))
    c = ident(("1000045", 0.7))
    out = assign_scene([a, b, c])
    assert out[0].candidates[0].imo == "1000019" and out[0].candidates[0].probability == 0.8
    assert [x.imo for x in out[1].candidates] == ["1000033"]
    assert out[1].p_unknown == pytest.approx(0.1 + 0.6)
    assert out[2].candidates[0].imo == "1000045"
    tops = [o.candidates[0].imo for o in out if o.candidates]
    assert len(tops) == len(set(tops))
    # a single identification, or none with candidates, is left as it is
    assert assign_scene([a])[0] is a
    # regression: the joint assignment dropped each hull's appearance signature, so a confirmation stored none
    signed = Identification(None, a.candidates, a.p_unknown, signature={"version": 1})
    assert assign_scene([signed, b])[0].signature == {"version": 1}
