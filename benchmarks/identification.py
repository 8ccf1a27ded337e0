"""Identification benchmark: how often the main job names registry tankers, and wrongly names others.

Generates scenes at Vostochny (0.5 m GSD by default) holding tankers of a synthetic registry and
"strangers" (tankers not in the registry), runs the main job with the given model, and prints:

- **size** (strangers at least --stranger-gap m, default 6, away in length from every registry entry;
  registry lengths --step m apart): the share of detected registry tankers named top-1 (target >= 0.95)
  and of detected strangers named at all (target <= 0.03), on size, type and the fitted error model;
- **reid** (strangers of exactly a registry vessel's length and beam, but their own look): a first
  pass of --confirm-scenes scenes in which an analyst (the truth) confirms the first alert on each
  registry vessel's hull, then later scenes scored as above (targets: top-1 >= 0.9, strangers <= 0.05);
- the measured length/beam error against the matcher's error model, and a reliability table over all
  alerts of the modes run: among alerts with probability in a bin, the share that named the vessel
  really there, and the expected calibration error (target <= 0.05).

Every ship keeps its own look across scenes (ShipSpec.livery): a registry vessel's is its IMO.

Usage:  python benchmarks/identification.py [--mode size|reid|both] [--scenes 10] [--gsd 0.5] [--model PATH]
Run by hand (not part of the tests); it needs a trained model (default: the bundled one).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for benchmarks/common.py

from benchmarks.common import add_run_options, nearest  # noqa: E402
from tankerwatch.config import bundled_path, load_inference_config, parse_overrides
from tankerwatch.datasets.ports import load_ports
from tankerwatch.datasets.registry import COLUMNS, IMO_WEIGHTS, load_registry
from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, write_scene
from tankerwatch.inference.appearance import load_appearance_model
from tankerwatch.inference.demo import VOSTOCHNY
from tankerwatch.inference.measurement_error import error_model_for
from tankerwatch.inference.pipeline import RunContext, run_batch
from tankerwatch.inference.visits import AlertStore
from tankerwatch.io import read_json
from tankerwatch.models.detector import BUNDLED_WEIGHTS, load_detector
from tankerwatch.training.evaluate import reliability, reliability_table

POSITION_TOLERANCE_M = 20.0


def imo_with_check_digit(first_six: int) -> str:
    """A 7-digit IMO number from its first six digits."""
    digits = f"{first_six:06d}"
    return digits + str(sum(int(d) * w for d, w in zip(digits, IMO_WEIGHTS, strict=True)) % 10)


def write_registry(path: Path, n: int, step_m: float, seed: int) -> Path:
    """A registry of n tankers from 80 m up, lengths step_m apart, beams of real proportions."""
    rng = np.random.default_rng(seed)
    lines = [",".join(COLUMNS)]
    for i in range(n):
        length = 80.0 + i * step_m
        beam = round(length * rng.uniform(0.145, 0.175), 1)
        lines.append(
            f"{imo_with_check_digit(900000 + i)},BENCH {i:02d},Oil Products Tanker,KP,{length:.1f},{beam},"
            ",,UN-1718,benchmark vessel"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def stranger_sizes(registry, rng, n: int, gap_m: float | None) -> list[tuple[float, float]]:
    """n stranger (length, beam): exactly a registry vessel's (gap None), else at least gap_m from every length."""
    if gap_m is None:
        picks = rng.choice(len(registry), size=n)
        return [(registry[i].length_m, registry[i].beam_m) for i in picks]
    lengths = np.array([v.length_m for v in registry])
    out = []
    while len(out) < n:
        length = float(rng.uniform(lengths.min() - 10, lengths.max() + 10))
        if np.abs(lengths - length).min() >= gap_m:
            out.append((round(length, 1), round(length * rng.uniform(0.145, 0.175), 1)))
    return out


def write_scenes(
    out: Path, registry, n_scenes: int, per_scene: int, gsd_m: float, seed: int, gap_m: float | None
) -> list[Path]:
    """Scenes at Vostochny, each with per_scene registry tankers (every vessel early on), as many strangers, others."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(registry)) for _ in range(n_scenes * per_scene // len(registry) + 1)])
    paths = []
    for k in range(n_scenes):
        picks = order[k * per_scene : (k + 1) * per_scene]
        ships = [
            ShipSpec(
                "product_tanker",
                registry[i].length_m,
                registry[i].beam_m,
                0,
                0,
                0,
                imo=registry[i].imo,
                name=registry[i].name,
                livery=int(registry[i].imo),
            )
            for i in picks
        ]
        ships += [
            ShipSpec("product_tanker", length, beam, 0, 0, 0, livery=int(rng.integers(1, 10**6)))
            for length, beam in stranger_sizes(registry, rng, per_scene, gap_m)
        ]
        spec = SceneSpec(
            seed=seed + k,
            width_m=1400,
            height_m=1400,
            gsd_m=gsd_m,
            center_lon=VOSTOCHNY[0],
            center_lat=VOSTOCHNY[1],
            crs="utm",
            acquired=f"2024-06-{1 + k % 28:02d}T02:30:00Z",
            n_tankers=0,
            n_others=5,
            ships=ships,
        )
        paths.append(write_scene(generate_scene(spec), out, f"ident_{seed + k:05d}"))
    return paths


def scene_alerts(out: Path, scene_id: str) -> list[dict]:
    """The alerts a run emitted for one scene."""
    return [a for a in map(json.loads, (out / "alerts.jsonl").read_text().splitlines()) if a["scene_id"] == scene_id]


@dataclass
class Score:
    """Counts of one mode over its scored scenes."""

    reg_truth: int = 0
    reg_found: int = 0
    reg_named: int = 0
    other_truth: int = 0
    other_found: int = 0
    other_named: int = 0
    errors: list = field(default_factory=list)  # (gsd, true L, measured L, true B, measured B)

    def report(self, label: str, targets: tuple[float, float]) -> str:
        """Two lines: registry tankers named, strangers named."""
        return (
            f"{label}: registry tankers {self.reg_truth} in truth, {self.reg_found} detected as tankers, "
            f"{self.reg_named} named top-1 = {self.reg_named / max(1, self.reg_found):.3f} of detected "
            f"(target >= {targets[0]}), {self.reg_named / max(1, self.reg_truth):.3f} of all\n"
            f"{label}: strangers {self.other_truth} in truth, {self.other_found} detected as tankers, "
            f"{self.other_named} named = {self.other_named / max(1, self.other_found):.3f} of detected "
            f"(target <= {targets[1]})"
        )


def score_scenes(scenes: list[Path], out: Path, score: Score) -> None:
    """Add each scene's registry tankers named right and strangers named at all to score."""
    for path in scenes:
        truth = read_json(path.with_name(path.stem + ".truth.geojson"), "ground truth")["features"]
        dets = read_json(out / "detections" / f"{path.stem}.geojson", "detections GeoJSON")["features"]
        alerts = scene_alerts(out, path.stem)
        for f in truth:
            t = f["properties"]
            if t["class"] != "tanker":
                continue
            det, d = nearest(dets, t["center_lon"], t["center_lat"])
            found = det is not None and d <= POSITION_TOLERANCE_M and det["class"] == "tanker"
            alert, da = nearest(alerts, t["center_lon"], t["center_lat"])
            named = alert if alert is not None and da <= POSITION_TOLERANCE_M else None
            if found:
                score.errors.append((det.get("gsd_m", 0.5), t["length_m"], det["length_m"], t["beam_m"], det["beam_m"]))
            if t["imo"]:
                score.reg_truth += 1
                score.reg_found += found
                score.reg_named += bool(found and named and named["candidates"][0]["imo"] == t["imo"])
            else:
                score.other_truth += 1
                score.other_found += found
                score.other_named += bool(found and named)


def confirm_first_sightings(scenes: list[Path], out: Path) -> int:
    """As an analyst would (`tankerwatch review`, alerts and --unidentified): name the first sighting of each
    registry vessel in these scenes as the vessel it really is, whether or not it was alerted."""
    confirmed: set[str] = set()
    with AlertStore(out) as store:
        for path in scenes:
            truth = read_json(path.with_name(path.stem + ".truth.geojson"), "ground truth")["features"]
            for o in (o for o in store.observations() if o["scene_id"] == path.stem):
                ship, d = nearest(truth, o["center_lon"], o["center_lat"])
                imo = ship.get("imo") if ship and d <= POSITION_TOLERANCE_M else None
                if imo and imo not in confirmed:
                    store.decide(o["alert_id"] or o["observation_id"], "confirmed", imo, "benchmark", "ground truth")
                    confirmed.add(imo)
    return len(confirmed)


def alert_outcomes(scenes_dir: Path, out: Path) -> tuple[list[float], list[bool]]:
    """Every alert's top probability, and whether the vessel it names lies where it points."""
    probabilities, right = [], []
    for a in map(json.loads, (out / "alerts.jsonl").read_text().splitlines()):
        truth = read_json(scenes_dir / f"{a['scene_id']}.truth.geojson", "ground truth")["features"]
        top = a["candidates"][0]
        ship, d = nearest(
            [f for f in truth if f["properties"].get("imo") == top["imo"]], a["center_lon"], a["center_lat"]
        )
        probabilities.append(top["probability"])
        right.append(ship is not None and d <= POSITION_TOLERANCE_M)
    return probabilities, right


def run_mode(work: Path, mode: str, args, cfg, detector, ports) -> tuple[Score, list[float], list[bool], RunContext]:
    """Generate one mode's registry and scenes, run the main job (reid: two passes with confirmations), score."""
    work.mkdir(parents=True, exist_ok=True)
    if (work / "out").exists():
        shutil.rmtree(work / "out")
    step = args.step if mode == "size" else args.reid_step
    registry = load_registry(write_registry(work / "registry.csv", args.registry_size, step, args.seed))
    scenes = write_scenes(
        work / "scenes",
        registry,
        args.scenes,
        args.per_scene,
        args.gsd,
        args.seed,
        args.stranger_gap if mode == "size" else None,
    )
    ctx = RunContext(
        cfg,
        detector,
        registry,
        ports,
        work / "out",
        port_names={p.id: p.name for p in ports},
        errors=error_model_for(args.model or BUNDLED_WEIGHTS, cfg.matching.error_model),
        appearance=load_appearance_model() if mode == "reid" else None,
    )  # size: nothing confirmed
    first = args.confirm_scenes if mode == "reid" else 0
    for confirming, batch in ((True, scenes[:first]), (False, scenes[first:])):
        failed = [r for r in run_batch(batch, ctx) if r.status != "done"]
        if failed:
            raise SystemExit(f"{len(failed)} scene(s) failed: {failed[0].reason}")
        if confirming and batch:
            n = confirm_first_sightings(batch, work / "out")
            print(
                f"reid: first pass of {first} scenes, {n} of {len(registry)} registry vessels confirmed by the analyst"
            )
    score = Score()
    score_scenes(scenes[first:], work / "out", score)
    return score, *alert_outcomes(work / "scenes", work / "out"), ctx


def error_lines(score: Score, ctx: RunContext) -> list[str]:
    """Measured length and beam error of found tankers beside the matcher's error model at their GSD."""
    e = np.array(score.errors)
    lines = []
    for name, col in (("length", 1), ("beam", 3)):
        err = e[:, col + 1] - e[:, col]
        robust = 1.4826 * float(np.median(np.abs(err - np.median(err))))  # the SD of the core, outliers aside
        outliers = float(np.mean(np.abs(err - np.median(err)) > 3 * robust)) if robust > 0 else 0.0
        model = ctx.errors.spread(name, float(np.median(e[:, col])), float(np.median(e[:, 0])), ctx.cfg.matching)
        lines.append(
            f"{name + ' error:':<14}MAE {np.abs(err).mean():.2f} m, bias {err.mean():+.2f} m, robust SD "
            f"{robust:.2f} m, {outliers:.0%} beyond 3 robust SD (matcher: bias {model.bias_m:+.2f}, core SD "
            f"{model.core_sd_m:.2f} m, outliers {model.outlier_share:.0%})"
        )
    return lines


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("size", "reid", "both"), default="both")
    ap.add_argument("--scenes", type=int, default=10, help="scenes per mode (reid: the confirmation pass included)")
    ap.add_argument("--confirm-scenes", type=int, default=3, help="reid: scenes of the first, confirmed pass")
    ap.add_argument("--per-scene", type=int, default=3, help="registry tankers (and as many strangers) per scene")
    ap.add_argument("--registry-size", type=int, default=9)
    ap.add_argument("--step", type=float, default=14.0, help="size mode: length step between registry vessels (m)")
    ap.add_argument("--reid-step", type=float, default=10.0, help="reid mode: length step between registry vessels (m)")
    ap.add_argument("--stranger-gap", type=float, default=6.0, help="size mode: strangers' least length gap (m)")
    ap.add_argument("--gsd", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=50_000)
    ap.add_argument("--model", type=Path, default=None)
    add_run_options(ap, "detect.conf_threshold=0.4")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tw-ident-"))
    cfg = load_inference_config(None, parse_overrides(args.overrides))
    ports = load_ports(bundled_path("ports.geojson"))
    detector = load_detector(args.model, cfg.detect)
    modes = ("size", "reid") if args.mode == "both" else (args.mode,)
    targets = {"size": (0.95, 0.03), "reid": (0.9, 0.05)}
    probabilities, right, lines = [], [], []
    for mode in modes:
        score, p, r, ctx = run_mode(work / mode, mode, args, cfg, detector, ports)
        probabilities += p
        right += r
        lines += [score.report(mode, targets[mode]), *error_lines(score, ctx)]
    print(f"scenes: {args.scenes} per mode at {args.gsd} m GSD; registry: {args.registry_size} tankers ({work})")
    print("\n".join(lines))
    print(reliability_table(*reliability(probabilities, right)))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
