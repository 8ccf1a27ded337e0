"""Fit the appearance model: how much one vessel's signature varies between sightings, and how much vessels differ.

A rendered fleet of tankers, in groups of vessels of one kind and size that differ only in their
livery (datasets/synth/ships.py: ShipSpec.livery, the paint and layout a vessel keeps in every scene),
is sighted several times each in small generated scenes that vary everything a vessel does not
carry with it: GSD 0.3-1 m, heading, berth or anchorage, sun, haze, water style, colour balance,
bit depth, JPEG, pan-sharpening fringes, off-nadir view, loaded or light. Signatures are read at
each ship's true box, perturbed by about a detector's error. Pairs of sightings of one vessel give
the "same vessel" spreads; pairs of sightings of two vessels of one group (same size) the
"different vessels" spreads; a logistic fit of same against different on the summed log
likelihood ratio calibrates it.

Scenes and liveries of the fit draw their seeds below EVAL_SEED_BASE; the held-out figures come
from a fleet and scenes with seeds from EVAL_SEED_BASE up.

    python -m tankerwatch.training.appearance --out models/weights/appearance.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from shapely.geometry import box

from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.datasets.synth import (
    EVAL_SEED_BASE,
    TANKER_KINDS,
    WATER_STYLES,
    SceneSpec,
    ShipSpec,
    generate_scene,
    random_ship,
    ship_box_m,
)
from tankerwatch.inference.appearance import (
    FEATURES,
    POSITION_FEATURES,
    AppearanceModel,
    FeatureSpread,
    Signature,
    appearance_llr,
    feature_llrs,
    normal_logpdf,
    signature_from_rgb,
)
from tankerwatch.io import atomic_write_text
from tankerwatch.schema import OrientedBox

SCENE_EXTENT_M = 600.0
GSD_RANGE_M = (0.3, 1.0)
STRETCH_SAMPLE_PX = 1024  # as scene reads: the stretch comes from a decimated look at the whole scene
LIVERY_SEED_OFFSET = 500_000  # liveries draw from seeds apart from the scenes' (one stream, two uses otherwise)
RIDGE = 1e-6  # added to every covariance's diagonal (a feature that never varies still has a spread)
MISREAD_SHARE_RANGE = (0.01, 0.3)  # beyond 0.3 "misread" and "core" stop being told apart


@dataclass(frozen=True)
class RenderedVessel:
    """A rendered fleet member: kind, size, livery seed and the group of same-size vessels it belongs to."""

    kind: str
    length_m: float
    beam_m: float
    livery: int
    group: int


@dataclass(frozen=True)
class Sighting:
    """One vessel's signature in one scene."""

    vessel: RenderedVessel
    scene_seed: int
    signature: Signature


def fleet(n_groups: int, per_group: int, seed: int) -> list[RenderedVessel]:
    """n_groups groups of per_group tankers of one kind and size each; liveries seed + 0, 1, ..."""
    rng = np.random.default_rng([seed, 0xF1EE7])
    out: list[RenderedVessel] = []
    for g in range(n_groups):
        kind = str(rng.choice(TANKER_KINDS))
        s = random_ship(kind, rng)
        out += [RenderedVessel(kind, s.length_m, s.beam_m, seed + len(out) + k, g) for k in range(per_group)]
    return out


def sighting_spec(seed: int, ships: list[ShipSpec]) -> SceneSpec:
    """A small scene around some fleet ships, varying all a vessel does not carry with it."""
    rng = np.random.default_rng([seed, 0xA99E])
    land = bool(rng.random() < 0.7)
    return SceneSpec(
        seed=seed,
        width_m=SCENE_EXTENT_M,
        height_m=SCENE_EXTENT_M,
        gsd_m=round(float(np.exp(rng.uniform(*np.log(GSD_RANGE_M)))), 3),
        bit_depth=int(rng.choice([8, 8, 11, 12])),
        n_tankers=0,
        n_others=int(rng.integers(0, 3)),
        land=land,
        ships=ships,
        water_style=str(rng.choice(sorted(WATER_STYLES))),
        glint=float(rng.uniform(0.1, 0.6)) if rng.random() < 0.2 else 0.0,
        off_nadir_deg=float(rng.uniform(3, 20)) if rng.random() < 0.4 else 0.0,
        off_nadir_az_deg=float(rng.uniform(0, 360)),
        jpeg_quality=int(rng.integers(50, 91)) if rng.random() < 0.3 else None,
        pansharpen_fringe=float(rng.uniform(0.3, 1.0)) if rng.random() < 0.3 else 0.0,
        colour_jitter=float(rng.uniform(0.2, 1.0)) if rng.random() < 0.7 else 0.0,
        port_structures=land and bool(rng.random() < 0.5),
        quay_clutter=land and bool(rng.random() < 0.7),
        ship_variety=True,
    )


def truth_box(s: ShipSpec, gsd_m: float, rng: np.random.Generator | None = None) -> OrientedBox:
    """A placed ship's box in the scene's pixels; with rng, off by about a detector's error."""
    h = math.radians(s.heading_deg)
    ux, uy = math.sin(h), -math.cos(h)  # bow direction in pixels (x right, y down)
    cx, cy, length, beam, axis = s.x_m / gsd_m, s.y_m / gsd_m, s.length_m / gsd_m, s.beam_m / gsd_m, math.atan2(uy, ux)
    if rng is not None:
        along, across = rng.normal(0, 0.01) * length, rng.normal(0, 0.05) * beam
        cx, cy = cx + along * ux - across * uy, cy + along * uy + across * ux
        length, beam = length * (1 + rng.normal(0, 0.02)), beam * (1 + rng.normal(0, 0.04))
        axis += math.radians(rng.normal(0, 0.5))
    return OrientedBox(cx, cy, length, beam, axis % math.pi, 1.0, "tanker")


def _inside(s: ShipSpec, spec: SceneSpec) -> bool:
    """Whether a ship's whole hull and some water beside it lie in the scene (a cut hull's signature is not its own)."""
    return ship_box_m(s).buffer(s.beam_m / 2).within(box(0, 0, spec.width_m, spec.height_m))


def sightings(
    vessels: list[RenderedVessel], per_vessel: int, seed: int, per_scene: tuple[int, int] = (3, 5)
) -> list[Sighting]:
    """Each vessel sighted in per_vessel scenes (seeds seed, seed + 1, ...), a few fleet ships to a scene."""
    rng = np.random.default_rng([seed, 0x5167])
    queue = [i for _ in range(per_vessel) for i in rng.permutation(len(vessels)).tolist()]
    by_livery = {v.livery: v for v in vessels}
    out: list[Sighting] = []
    scene_seed = seed
    while queue:
        n = int(rng.integers(per_scene[0], per_scene[1] + 1))
        chosen: list[int] = []
        for i in list(queue):  # one vessel appears once in a scene
            if len(chosen) < n and i not in chosen:
                chosen.append(i)
                queue.remove(i)
        ships = [
            ShipSpec(vessels[i].kind, vessels[i].length_m, vessels[i].beam_m, 0, 0, 0, livery=vessels[i].livery)
            for i in chosen
        ]
        spec = sighting_spec(scene_seed, ships)
        scene = generate_scene(spec)
        step = max(1, math.ceil(max(scene.image.shape[1:]) / STRETCH_SAMPLE_PX))
        rgb = stretch_rgb(scene.image[:3].transpose(1, 2, 0), sample_step=step)
        for s in scene.ships:
            if s.livery is None or not _inside(s, spec):
                continue
            sig = signature_from_rgb(rgb, truth_box(s, spec.gsd_m, rng), spec.gsd_m)
            if sig is not None:
                out.append(Sighting(by_livery[s.livery], scene_seed, sig))
        scene_seed += 1
    return out


SignaturePair = tuple[Signature, Signature]


def pairs(seen: list[Sighting], seed: int) -> tuple[list[SignaturePair], list[SignaturePair]]:
    """Same-vessel pairs (one vessel, two scenes) and as many different-vessel pairs of one size group."""
    same: list[SignaturePair] = []
    different: list[SignaturePair] = []
    for a, b in itertools.combinations(seen, 2):
        if a.scene_seed == b.scene_seed or a.vessel.group != b.vessel.group:
            continue
        (same if a.vessel.livery == b.vessel.livery else different).append((a.signature, b.signature))
    rng = np.random.default_rng([seed, 0xD1FF])
    keep = sorted(rng.choice(len(different), size=min(len(same), len(different)), replace=False).tolist())
    return same, [different[i] for i in keep]


def feature_diffs(pairs_: list[SignaturePair], name: str) -> np.ndarray:
    """Rows of one feature's differences over the pairs that both show it (positions: both oriented only)."""
    rows = []
    for a, b in pairs_:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None or (name in POSITION_FEATURES and not (a.oriented and b.oriented)):
            continue
        rows.append(np.subtract(x, y, dtype=float).reshape(-1))
    return np.asarray(rows, float)


def fit_spread(same: np.ndarray, different: np.ndarray, iterations: int = 60) -> FeatureSpread:
    """A feature's spreads: the different-vessel covariance, and by EM the same-vessel core and misread share."""
    ridge = np.eye(same.shape[1]) * RIDGE
    different_cov = different.T @ different / len(different) + ridge
    cov, share = same.T @ same / len(same) / 2 + ridge, 0.1
    for _ in range(iterations):
        core = math.log1p(-share) + normal_logpdf(same, cov)
        misread = math.log(share) + normal_logpdf(same, different_cov)
        w = np.exp(core - np.logaddexp(core, misread))  # P(core | difference)
        share = float(np.clip(1.0 - w.mean(), *MISREAD_SHARE_RANGE))
        cov = (same * w[:, None]).T @ same / w.sum() + ridge
    return FeatureSpread(_rounded(cov), _rounded(different_cov), round(share, 4))


def _rounded(cov: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """A covariance as nested tuples, to 8 significant digits (the JSON stays readable)."""
    return tuple(tuple(float(f"{v:.8g}") for v in row) for row in cov)


def fit_calibration(same: np.ndarray, different: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Scale and offset of a logistic fit of same (1) against different (0) on summed LLRs: with as many
    pairs of each, scale * sum + offset is the log likelihood ratio the sum stands for."""
    x = np.concatenate([same, different])
    y = np.concatenate([np.ones(len(same)), np.zeros(len(different))])
    design = np.stack([x, np.ones_like(x)], axis=1)
    beta = np.array([1.0, 0.0])
    for _ in range(iterations):  # Newton steps on the log likelihood, a small ridge against separable data
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        grad = design.T @ (y - p) - 1e-3 * beta
        hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        beta = beta + np.linalg.solve(hess, grad)
    return round(float(beta[0]), 4), round(float(beta[1]), 4)


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    ranks = rankdata(np.concatenate([positive, negative]))
    n, m = len(positive), len(negative)
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * m))


def held_out_figures(model: AppearanceModel, same: list[SignaturePair], different: list[SignaturePair]) -> dict:
    """ROC AUC of the LLR and the shares of same pairs above 0 and different pairs below 0."""
    s = np.array([appearance_llr(a, b, model) for a, b in same])
    d = np.array([appearance_llr(a, b, model) for a, b in different])
    return {
        "same_pairs": len(s),
        "different_pairs": len(d),
        "roc_auc": round(roc_auc(s, d), 4),
        "same_llr_positive": round(float(np.mean(s > 0)), 4),
        "different_llr_negative": round(float(np.mean(d < 0)), 4),
        "same_llr_median": round(float(np.median(s)), 3),
        "different_llr_median": round(float(np.median(d)), 3),
    }


def fit_appearance_model(
    train_groups: int = 64,
    heldout_groups: int = 48,
    per_group: int = 3,
    per_vessel: int = 4,
    train_seed: int = 1_000,
    heldout_seed: int = EVAL_SEED_BASE,
) -> AppearanceModel:
    """Fit the spreads and calibration on training seeds; measure on held-out ones; provenance inside."""
    started = time.time()
    train_vessels = fleet(train_groups, per_group, train_seed + LIVERY_SEED_OFFSET)
    train = sightings(train_vessels, per_vessel, train_seed)
    last_seed = max([s.scene_seed for s in train] + [v.livery for v in train_vessels])
    if last_seed >= EVAL_SEED_BASE or heldout_seed < EVAL_SEED_BASE:
        raise ValueError(f"training seeds must stay below {EVAL_SEED_BASE} and held-out seeds from it up")
    same, different = pairs(train, train_seed)
    spreads = {name: fit_spread(feature_diffs(same, name), feature_diffs(different, name)) for name in FEATURES}
    model = AppearanceModel(spreads, 1.0, 0.0)
    totals = [np.array([sum(feature_llrs(a, b, model).values()) for a, b in p]) for p in (same, different)]
    scale, offset = fit_calibration(totals[0], totals[1])
    model = AppearanceModel(spreads, scale, offset)
    heldout_vessels = fleet(heldout_groups, per_group, heldout_seed + LIVERY_SEED_OFFSET)
    heldout = sightings(heldout_vessels, per_vessel, heldout_seed)
    figures = held_out_figures(model, *pairs(heldout, heldout_seed))
    provenance = {
        "fitted": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python -m tankerwatch.training.appearance",
        "data": f"rendered tankers (datasets/synth liveries) in {SCENE_EXTENT_M:g} m scenes, GSD "
        f"{GSD_RANGE_M[0]}-{GSD_RANGE_M[1]} m (training/appearance.py: sighting_spec), signatures read "
        "at the true boxes off by about a detector's error",
        "train": {
            "scene_seeds": [train_seed, max(s.scene_seed for s in train)],
            "livery_seeds": [train_vessels[0].livery, train_vessels[-1].livery],
            "vessels": len(train_vessels),
            "sightings": len(train),
            "same_pairs": len(same),
            "different_pairs": len(different),
            "oriented_share": round(float(np.mean([s.signature.oriented for s in train])), 4),
        },
        "heldout": {
            "scene_seeds": [heldout_seed, max(s.scene_seed for s in heldout)],
            "livery_seeds": [heldout_vessels[0].livery, heldout_vessels[-1].livery],
            "vessels": len(heldout_vessels),
            "sightings": len(heldout),
            **figures,
        },
        "fit_seconds": round(time.time() - started, 1),
    }
    return AppearanceModel(spreads, scale, offset, provenance=provenance)


def main(argv: list[str] | None = None) -> None:
    """Fit the appearance model and write it as JSON (the bundled one: models/weights/appearance.json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the model JSON")
    args = parser.parse_args(argv)
    model = fit_appearance_model()
    atomic_write_text(args.out, json.dumps(model.to_dict(), indent=1) + "\n")
    print(json.dumps(model.provenance, indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
