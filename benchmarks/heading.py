"""Heading benchmark: how often the bow direction of a detected tanker is right, and wrong where it is called.

Renders hard port scenes (datasets/synth/spec.py: hard_port_spec, with wakes behind ships underway in part of
them) at --gsd (0.5 m by default), runs the main job with the detector on the whole scene
(inference/pipeline.py: run_batch, --full-scene), matches each detected tanker to the truth tanker whose
centre is nearest (within 20 m) and compares its heading with the truth's bow direction (the truth GeoJSON's
heading_deg, stern to bow). It prints the tankers matched, the share called (heading_ambiguous false), the
share right among all matched tankers (target >= 0.9) and wrong among those called (target <= 0.05), and how
often each cue abstained.

Evaluation seeds (>= EVAL_SEED_BASE, 9,000,000) by default. With --fit it instead reads the cues on truth
hulls of training scenes (seeds below EVAL_SEED_BASE; boxes jittered as a detector's and refined as in the
pipeline, no detector run), fits each cue's weight (a logistic regression without intercept on the hulls where
the cue speaks, each hull also mirrored) and the least confidence at which called headings are wrong <= 5 %
(and never below 0.8: a coin-flip is no call), and prints the constants for inference/heading.py and
DetectConfig.bow_min_confidence.

Usage:  python benchmarks/heading.py [--scenes 10] [--seed 9000000] [--gsd 0.5]
        python benchmarks/heading.py --fit --scenes 32 --seed 200000
Run by hand (not part of the tests).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import add_run_options, nearest  # noqa: E402
from tankerwatch.config import bundled_path, load_inference_config, parse_overrides  # noqa: E402
from tankerwatch.datasets.ports import load_ports  # noqa: E402
from tankerwatch.datasets.scene import open_scene, scene_reader  # noqa: E402
from tankerwatch.datasets.synth import EVAL_SEED_BASE, generate_scene, hard_port_spec, write_scene  # noqa: E402
from tankerwatch.inference import measure  # noqa: E402
from tankerwatch.inference.measure import refine_box  # noqa: E402
from tankerwatch.io import read_json  # noqa: E402
from tankerwatch.schema import OrientedBox  # noqa: E402

POSITION_TOLERANCE_M = 20.0
MAX_CALLED_WRONG = 0.05
MIN_CALL_CONFIDENCE = 0.8  # a heading called is itself at least 4:1 on, whatever the share wrong among all called
CUES = ("superstructure", "shape", "wake")


def scene_spec(seed: int, gsd_m: float):
    """A hard port scene at the benchmark's GSD (its extent as hard_port_spec drew it)."""
    spec = hard_port_spec(seed)
    spec.gsd_m = gsd_m
    return spec


def truth_tankers(path: Path) -> list[dict]:
    """The truth tankers of a written scene (properties: centre, heading_deg as stern to bow)."""
    feats = read_json(path.with_name(path.stem + ".truth.geojson"), "ground truth")["features"]
    return [f["properties"] for f in feats if f["properties"]["class"] == "tanker"]


def angle_off_deg(a: float, b: float) -> float:
    """The angle between two headings, 0-180 degrees."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def jittered(box: OrientedBox, gsd_m: float, rng: np.random.Generator) -> OrientedBox:
    """A truth box with a detector's errors: centre and ends off by metres, the axis by a degree or two."""
    s = 2.0 / gsd_m
    return OrientedBox(
        box.cx_px + rng.normal(0, s),
        box.cy_px + rng.normal(0, s),
        box.length_px * rng.uniform(0.85, 1.02),
        box.beam_px * rng.uniform(0.9, 1.1),
        (box.axis_rad + math.radians(rng.normal(0, 1.5))) % math.pi,
        box.confidence,
        box.class_name,
    )


def fit_rows(args: argparse.Namespace, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Cue features (NaN: abstained) and the truth sign (+1: bow at +axis) of every tanker in training scenes."""
    from tests.test_pipeline import truth_boxes

    rng = np.random.default_rng(args.seed)
    features, signs = [], []
    for i in range(args.scenes):
        path = write_scene(generate_scene(scene_spec(args.seed + i, args.gsd)), work, f"fit{args.seed + i}")
        scene = open_scene(path)
        truth = truth_tankers(path)
        with scene_reader(scene) as src:
            for b in (b for b in truth_boxes(scene) if b.class_name == "tanker"):
                d = measure.measure(b, scene, bow=1)
                t, _ = nearest(truth, d.center_lon, d.center_lat)
                box = jittered(b, scene.gsd_m, rng)
                box = refine_box(src, scene, box) or box
                feats = measure.read_bow_cues(src, scene, box)
                features.append([np.nan if x is None else x for x in feats])
                signs.append(1 if t and angle_off_deg(d.heading_deg, t["heading_deg"]) < 90 else -1)
        path.unlink()
        print(f"  scene {args.seed + i}: {len(signs)} tankers so far", flush=True)
    return np.array(features, float), np.array(signs, float)


def fit_weights(x: np.ndarray, y: np.ndarray, l2: float = 0.01) -> np.ndarray:
    """Logistic regression without intercept (Newton steps) on features x and signs y, each row also mirrored.

    The small l2 penalty keeps the weights finite where a feature alone separates the training hulls."""
    x = np.nan_to_num(np.concatenate([x, -x]))
    t = (np.concatenate([y, -y]) > 0).astype(float)
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, x.T @ (p - t) + l2 * w)
    return w


def least_confidence(confidence: np.ndarray, right: np.ndarray, max_wrong: float) -> float:
    """The least confidence threshold from which the headings called are wrong at most max_wrong of the time."""
    for c in np.unique(np.round(confidence, 3)):
        called = (confidence >= c) & (confidence > 0.5)  # no evidence either way is never called
        if called.any() and 1 - right[called].mean() <= max_wrong:
            return float(c)
    return 1.0


def run_fit(args: argparse.Namespace, work: Path) -> None:
    """Fit the cue weights and the calling threshold on training scenes, and print them."""
    if args.seed + args.scenes > EVAL_SEED_BASE:
        raise SystemExit("--fit uses training seeds only (below 9,000,000)")
    x, y = fit_rows(args, work)
    # each cue calibrated on its own, where it speaks: its evidence is then a log-likelihood ratio that the others
    # cannot explain away (one cue alone nearly separating the training hulls would leave the rest no weight)
    # (no weight below 0: each cue is evidence for its own sign)
    w = np.array([max(0.0, fit_weights(col[~np.isnan(col), None], y[~np.isnan(col)])[0]) for col in x.T])
    llr = np.nan_to_num(x) @ w
    p = 1.0 / (1.0 + np.exp(-np.clip(llr, -50, 50)))
    confidence, right = np.maximum(p, 1 - p), (np.sign(llr) == y)
    threshold = max(least_confidence(confidence, right, args.max_wrong), MIN_CALL_CONFIDENCE)
    called = (confidence >= threshold) & (confidence > 0.5)
    print(f"fit: {len(y)} tankers in {args.scenes} scenes (seeds {args.seed}..{args.seed + args.scenes - 1})")
    for name, col, wi in zip(CUES, x.T, w, strict=True):
        said = ~np.isnan(col)
        alone = float(np.mean(np.sign(col[said]) == y[said])) if said.any() else float("nan")
        print(f"  {name:<15} weight {wi:8.3f}  abstains {1 - said.mean():.3f}  right alone where it speaks {alone:.3f}")
    print(
        f"  threshold {threshold:.3f}: called {called.mean():.3f}, wrong among called "
        f"{1 - right[called].mean() if called.any() else 0:.3f}, right among all {np.mean(right & called):.3f}"
    )
    print(
        f"SUPERSTRUCTURE_WEIGHT = {w[0]:.3f}\nSHAPE_WEIGHT = {w[1]:.3f}\nWAKE_WEIGHT = {w[2]:.3f}\n"
        f"bow_min_confidence: {threshold:.3f}"
    )


def run_eval(args: argparse.Namespace, work: Path) -> None:
    """Run the main job on evaluation scenes and print the heading figures."""
    from tankerwatch.inference.pipeline import RunContext, run_batch
    from tankerwatch.models.detector import load_detector

    if args.seed < EVAL_SEED_BASE:
        print("note: seeds below 9,000,000 are training scenes")
    cfg = load_inference_config(None, parse_overrides(args.overrides))
    cfg.stages.ship_type = False  # the detector's class alone: this benchmark is about the bow
    paths = [
        write_scene(generate_scene(scene_spec(args.seed + i, args.gsd)), work / "scenes", f"hd{args.seed + i}")
        for i in range(args.scenes)
    ]
    ports = load_ports(bundled_path("ports.geojson"))
    ctx = RunContext(cfg, load_detector(None, cfg.detect), [], ports, work / "out", full_scene=True)
    reads: dict[str, list[dict]] = {}  # per scene, every hull's bow read as the job made it: where, and its cues
    read_bow = measure.read_bow

    def recorded(src, scene, box, min_confidence):
        """read_bow, remembered with the hull's centre."""
        est = read_bow(src, scene, box, min_confidence)
        lon, lat = scene.lonlat([box.cx_px], [box.cy_px])
        reads.setdefault(scene.scene_id, []).append({"center_lon": lon[0], "center_lat": lat[0], "cues": est.cues})
        return est

    measure.read_bow = recorded
    try:
        failed = [r for r in run_batch(paths, ctx) if r.status != "done"]
    finally:
        measure.read_bow = read_bow
    if failed:
        raise SystemExit(f"{len(failed)} scene(s) failed: {failed[0].reason}")
    truth_n = matched = called = right = wrong = 0
    abstained = dict.fromkeys(CUES, 0)
    for path in paths:
        truth = truth_tankers(path)
        truth_n += len(truth)
        features = read_json(work / "out" / "detections" / f"{path.stem}.geojson", "detections")["features"]
        dets = [f["properties"] for f in features if f["properties"]["class"] == "tanker"]
        for t in truth:
            d, distance_m = nearest(dets, t["center_lon"], t["center_lat"])
            if d is None or distance_m > POSITION_TOLERANCE_M:
                continue
            matched += 1
            if not d["heading_ambiguous"]:
                called += 1
                ok = angle_off_deg(d["heading_deg"], t["heading_deg"]) < 90
                right += ok
                wrong += not ok
            read, _ = nearest(reads.get(path.stem, []), d["center_lon"], d["center_lat"])
            for name in CUES:
                abstained[name] += read is None or getattr(read["cues"], name) is None
    print(f"scenes {args.scenes} (seeds {args.seed}..{args.seed + args.scenes - 1}) at {args.gsd} m, detector run")
    print(f"tankers in truth {truth_n}, matched {matched} ({POSITION_TOLERANCE_M:.0f} m)")
    print(f"called {called} = {called / max(1, matched):.3f} of matched")
    print(f"right among all matched {right / max(1, matched):.3f} (target >= 0.9)")
    print(f"wrong among called {wrong / max(1, called):.3f} (target <= 0.05)")
    print("cue abstains: " + ", ".join(f"{k} {v / max(1, matched):.3f}" for k, v in abstained.items()))


def main() -> None:
    """Run the benchmark (or the fit) and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="example: python benchmarks/heading.py")
    ap.add_argument("--scenes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="first seed (default 9000000; --fit: 200000)")
    ap.add_argument("--gsd", type=float, default=0.5)
    ap.add_argument("--fit", action="store_true", help="fit the cue weights and threshold on training scenes")
    ap.add_argument("--max-wrong", type=float, default=MAX_CALLED_WRONG, help="--fit: wrong share among called")
    add_run_options(ap, "detect.bow_min_confidence=0.9")
    args = ap.parse_args()
    args.seed = args.seed if args.seed is not None else (200_000 if args.fit else EVAL_SEED_BASE)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tw-heading-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    (run_fit if args.fit else run_eval)(args, work)
    print(f"({time.time() - start:.0f} s)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
