"""Identification benchmark: how often the main job names registry tankers, and wrongly names others.

Generates scenes at Vostochny (0.5 m GSD by default) holding tankers of a synthetic registry whose
lengths differ by at least 6 m, plus the generator's own tankers (random sizes, not in the registry),
runs the main job with the given model, and prints:
  - the share of detected registry tankers named top-1 (target >= 0.90 at 0.5 m),
  - the share of detected non-registry tankers named at all (target <= 0.05),
  - the measured length/beam error against the matcher's sigma model,
  - a reliability table: among alerts with probability in a bin, the share that named the vessel really there,
    and the expected calibration error (target <= 0.05).

Usage:  python benchmarks/identification.py [--scenes 12] [--gsd 0.5] [--model PATH] [--keep DIR]
Run by hand (not part of the tests); it needs a trained model (default: the bundled one).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np

from tankerwatch.config import bundled_path, load_inference_config
from tankerwatch.datasets.ports import load_ports
from tankerwatch.datasets.registry import COLUMNS, IMO_WEIGHTS, load_registry
from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, write_scene
from tankerwatch.geo import geodesic_m
from tankerwatch.inference.demo import VOSTOCHNY
from tankerwatch.inference.matching import measurement_sigma_m
from tankerwatch.inference.pipeline import RunContext, run_batch
from tankerwatch.models.detector import load_detector
from tankerwatch.training.evaluate import reliability, reliability_table

POSITION_TOLERANCE_M = 20.0


def imo_with_check_digit(first_six: int) -> str:
    """A 7-digit IMO number from its first six digits."""
    digits = f"{first_six:06d}"
    return digits + str(sum(int(d) * w for d, w in zip(digits, IMO_WEIGHTS)) % 10)


def write_registry(path: Path, n: int, step_m: float, seed: int) -> Path:
    """A registry of n tankers from 80 m up, lengths step_m apart, beams of real proportions."""
    rng = np.random.default_rng(seed)
    lines = [",".join(COLUMNS)]
    for i in range(n):
        length = 80.0 + i * step_m
        beam = round(length * rng.uniform(0.145, 0.175), 1)
        lines.append(f"{imo_with_check_digit(900000 + i)},BENCH {i:02d},Oil Products Tanker,KP,{length:.1f},{beam},"
                     ",,UN-1718,benchmark vessel")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_scenes(out: Path, registry, n_scenes: int, per_scene: int, gsd_m: float, seed: int) -> list[Path]:
    """Scenes at Vostochny, each with per_scene registry tankers and the generator's own ships."""
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n_scenes):
        picks = rng.choice(len(registry), size=per_scene, replace=False)
        ships = [ShipSpec("product_tanker", registry[i].length_m, registry[i].beam_m, 0, 0, 0,
                          imo=registry[i].imo, name=registry[i].name) for i in picks]
        spec = SceneSpec(seed=seed + k, width_m=1400, height_m=1400, gsd_m=gsd_m, center_lon=VOSTOCHNY[0],
                         center_lat=VOSTOCHNY[1], crs="utm", acquired=f"2024-06-{1 + k % 28:02d}T02:30:00Z",
                         n_tankers=3, n_others=5, ships=ships)
        paths.append(write_scene(generate_scene(spec), out, f"ident_{seed + k:05d}"))
    return paths


def nearest(features: list[dict], lon: float, lat: float) -> tuple[dict | None, float]:
    """The feature whose centre lies nearest a point, and its distance in metres."""
    best, best_d = None, math.inf
    for f in features:
        p = f.get("properties", f)
        d = geodesic_m(lon, lat, p["center_lon"], p["center_lat"])
        if d < best_d:
            best, best_d = p, d
    return best, best_d


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=12)
    ap.add_argument("--per-scene", type=int, default=3, help="registry tankers per scene")
    ap.add_argument("--registry-size", type=int, default=14)
    ap.add_argument("--step", type=float, default=6.0, help="length step between registry vessels (m)")
    ap.add_argument("--gsd", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=50_000)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="keep scenes and outputs in this folder")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tw-ident-"))
    work.mkdir(parents=True, exist_ok=True)
    if (work / "out").exists():
        shutil.rmtree(work / "out")
    registry_path = write_registry(work / "registry.csv", args.registry_size, args.step, args.seed)
    registry = load_registry(registry_path)
    scenes = write_scenes(work / "scenes", registry, args.scenes, args.per_scene, args.gsd, args.seed)

    cfg = load_inference_config()
    ports = load_ports(bundled_path("ports.geojson"))
    detector = load_detector(args.model, cfg.detect)
    ctx = RunContext(cfg, detector, registry, ports, work / "out", port_names={p.id: p.name for p in ports})
    results = run_batch(scenes, ctx)
    failed = [r for r in results if r.status != "done"]
    if failed:
        raise SystemExit(f"{len(failed)} scene(s) failed: {failed[0].reason}")

    alerts = [json.loads(line) for line in (work / "out" / "alerts.jsonl").read_text().splitlines() if line]
    reg_found = reg_named = other_found = other_named = reg_truth = other_truth = 0
    errors = []  # (true length, true beam, measured length, measured beam)
    for path in scenes:
        truth = json.loads(path.with_name(path.stem + ".truth.geojson").read_text())["features"]
        dets = json.loads((work / "out" / "detections" / f"{path.stem}.geojson").read_text())["features"]
        scene_alerts = [a for a in alerts if a["scene_id"] == path.stem]
        for f in truth:
            t = f["properties"]
            if t["class"] != "tanker":
                continue
            det, d = nearest(dets, t["center_lon"], t["center_lat"])
            found = det is not None and d <= POSITION_TOLERANCE_M and det["class"] == "tanker"
            alert, da = nearest(scene_alerts, t["center_lon"], t["center_lat"])
            named = alert if alert is not None and da <= POSITION_TOLERANCE_M else None
            if found:
                errors.append((t["length_m"], t["beam_m"], det["length_m"], det["beam_m"]))
            if t["imo"]:
                reg_truth += 1
                reg_found += found
                reg_named += bool(found and named and named["candidates"][0]["imo"] == t["imo"])
            else:
                other_truth += 1
                other_found += found
                other_named += bool(found and named)

    # every alert: its probability, and whether a registry tanker of that IMO lies where it points
    probabilities, right = [], []
    for a in alerts:
        truth = json.loads((work / "scenes" / f"{a['scene_id']}.truth.geojson").read_text())["features"]
        top = a["candidates"][0]
        ship, d = nearest([f for f in truth if f["properties"].get("imo") == top["imo"]], a["center_lon"], a["center_lat"])
        probabilities.append(top["probability"])
        right.append(ship is not None and d <= POSITION_TOLERANCE_M)

    e = np.array(errors) if errors else np.zeros((0, 4))
    dl, db = e[:, 2] - e[:, 0], e[:, 3] - e[:, 1]
    sigma_l = np.mean([measurement_sigma_m(x, cfg.detect.working_gsd_m, cfg.matching) for x in e[:, 0]]) if errors else 0
    sigma_b = np.mean([measurement_sigma_m(x, cfg.detect.working_gsd_m, cfg.matching) for x in e[:, 1]]) if errors else 0
    print(f"scenes: {len(scenes)} at {args.gsd} m GSD; registry: {len(registry)} tankers, {args.step:g} m apart "
          f"({work})")
    print(f"registry tankers:     {reg_truth} in truth, {reg_found} detected as tankers, "
          f"{reg_named} named top-1 = {reg_named / max(1, reg_found):.3f} of detected (target >= 0.90), "
          f"{reg_named / max(1, reg_truth):.3f} of all")
    print(f"non-registry tankers: {other_truth} in truth, {other_found} detected as tankers, "
          f"{other_named} named = {other_named / max(1, other_found):.3f} of detected (target <= 0.05)")
    for name, err, sigma in (("length", dl, sigma_l), ("beam", db, sigma_b)) if errors else ():
        robust = 1.4826 * float(np.median(np.abs(err - np.median(err))))  # the SD of the core, outliers aside
        outliers = float(np.mean(np.abs(err - np.median(err)) > 3 * robust)) if robust > 0 else 0.0
        print(f"{name + ' error:':<14}MAE {np.abs(err).mean():.2f} m, bias {err.mean():+.2f} m, SD {err.std():.2f} m, "
              f"robust SD {robust:.2f} m, {outliers:.0%} beyond 3 robust SD (matcher sigma {sigma:.2f} m)")
    print(reliability_table(*reliability(probabilities, right)))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
