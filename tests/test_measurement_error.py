"""The measurement error model: robust fit per GSD, interpolation, sidecar, and the matcher reading it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from tankerwatch.config import MatchConfig
from tankerwatch.inference.matching import identify
from tankerwatch.inference.measurement_error import (
    ErrorModel,
    ErrorSpread,
    GsdFit,
    error_model_for,
    fit_error_model,
    fit_spread,
    load_error_model,
    save_error_model,
    sidecar_path,
)
from tankerwatch.schema import Detection, OrientedBox, TankerwatchError, Vessel

BINS = ((0.0, 0.4), (0.4, 0.75), (0.75, 1.25))


def synthetic_pairs(rng, gsd_m: float, n: int, core_sd_m: float, bias_m: float, outliers: int):
    """(gsd, true L, measured L, true B, measured B) with a Normal core and a few gross errors."""
    true_l = rng.uniform(80, 200, n)
    err = rng.normal(bias_m, core_sd_m, n)
    err[:outliers] += rng.choice([-1, 1], outliers) * rng.uniform(25, 40, outliers)
    true_b = true_l / 6.3
    return [
        (gsd_m, tl, tl + e, tb, tb + rng.normal(0, core_sd_m / 3))
        for tl, e, tb in zip(true_l, err, true_b, strict=True)
    ]


def test_fit_recovers_bias_core_spread_and_outlier_share():
    rng = np.random.default_rng(0)
    s = fit_spread(np.concatenate([rng.normal(-1.0, 2.0, 950), rng.normal(0, 30, 50)]))
    assert s.bias_m == pytest.approx(-1.0, abs=0.2)
    assert s.core_sd_m == pytest.approx(2.0, rel=0.12)
    assert 0.03 <= s.outlier_share <= 0.07 and s.outlier_sd_m > 15


def test_fit_per_gsd_bin_and_interpolation():
    rng = np.random.default_rng(1)
    pairs = synthetic_pairs(rng, 0.3, 200, 1.0, 0.0, 4) + synthetic_pairs(rng, 1.0, 200, 3.0, -2.0, 10)
    pairs += synthetic_pairs(rng, 0.5, 3, 9.0, 0.0, 0)  # too few hulls at 0.5 m to fit
    model = fit_error_model(pairs, BINS, "test")
    assert [f.gsd_m for f in model.fits] == [0.3, 1.0] and [f.n for f in model.fits] == [200, 200]
    cfg = MatchConfig()
    fine, mid, coarse = (model.spread("length", 120, g, cfg) for g in (0.3, 0.65, 1.0))
    assert fine.core_sd_m < mid.core_sd_m < coarse.core_sd_m
    assert mid.core_sd_m == pytest.approx((fine.core_sd_m + coarse.core_sd_m) / 2, rel=1e-6)
    assert model.spread("length", 120, 2.0, cfg).core_sd_m == pytest.approx(2 * coarse.core_sd_m)  # grows with GSD
    assert model.spread("length", 120, 0.1, cfg) == fine  # finer than any fit: the finest
    # no fit: MatchConfig's hand-set sigma, no bias, no outliers
    assert ErrorModel().spread("length", 120, 0.5, cfg) == ErrorSpread(0.0, 1.5 * 0.5 + 0.03 * 120, 0.0, 4.35)


def test_mixture_tolerates_a_gross_error_a_normal_would_rule_out():
    mixture = ErrorSpread(0.0, 1.5, 0.03, 20.0)
    normal = ErrorSpread(0.0, 1.5, 0.0, 1.5)
    assert mixture.logpdf(0.0) == pytest.approx(normal.logpdf(0.0) + np.log(0.97), abs=0.01)
    assert mixture.logpdf(30.0) > normal.logpdf(30.0) + 100


def test_sidecar_round_trip_and_bad_file(tmp_path):
    model = ErrorModel(
        (GsdFit(0.5, 40, ErrorSpread(-0.4, 1.2, 0.05, 9.0), ErrorSpread(0.1, 0.6, 0.02, 3.0)),), "unit test"
    )
    weights = tmp_path / "det.pt"
    save_error_model(model, sidecar_path(weights))
    assert sidecar_path(weights).name == "det.pt.errors.json"
    assert load_error_model(sidecar_path(weights)) == model
    assert error_model_for(weights, "") == model  # the sidecar beside the weights is found
    assert error_model_for(tmp_path / "other.pt", "") == ErrorModel()  # none: hand-set sigmas
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "tankerwatch-measurement-errors/1", "fits": [{"gsd_m": 0.5}]}))
    with pytest.raises(TankerwatchError, match="bad.json: not a measurement error model"):
        load_error_model(bad)


def test_matcher_reads_the_fitted_model():
    """A sharp fitted model names a 4 m-off registry neighbour less readily than the broad hand-set sigmas; its
    bias is taken off before the z-score."""
    reg = [
        Vessel("9000001", "A", "Oil tanker", "KP", 120.0, 19.0, None, None, ()),
        Vessel("9000002", "B", "Oil tanker", "KP", 124.0, 19.6, None, None, ()),
    ]
    box = OrientedBox(0, 0, 240, 38, 0.0, 0.9, "tanker")
    det = Detection(
        "s", "tanker", 0.9, 119.0, 19.0, 90.0, False, 0.0, 0.0, [], datetime(2024, 5, 1, tzinfo=timezone.utc), 0.5, box
    )
    sharp = ErrorModel((GsdFit(0.5, 100, ErrorSpread(-1.0, 0.8, 0.02, 8.0), ErrorSpread(0.0, 0.4, 0.02, 3.0)),))
    cfg = MatchConfig(min_probability=0.0)
    broad_ident, sharp_ident = identify(det, reg, cfg), identify(det, reg, cfg, sharp)
    assert broad_ident.candidates[0].imo == sharp_ident.candidates[0].imo == "9000001"
    assert sharp_ident.candidates[0].probability > broad_ident.candidates[0].probability
    assert sharp_ident.candidates[1].probability < 0.01 < broad_ident.candidates[1].probability
    assert sharp_ident.candidates[0].z_length == pytest.approx(0.0)  # -1 m measured = the fitted bias


def test_the_bundled_detector_ships_its_fitted_error_model():
    """`run` with the bundled weights reads the sidecar `tankerwatch eval --save-errors` wrote beside them."""
    from tankerwatch.models.detector import BUNDLED_WEIGHTS

    model = error_model_for(BUNDLED_WEIGHTS, "")
    assert model.fits and model.source.startswith("tankerwatch eval of")
    assert all(f.n >= 8 and 0.3 <= f.gsd_m <= 1.0 for f in model.fits)
    assert model == load_error_model(sidecar_path(BUNDLED_WEIGHTS))
