"""Laden or light benchmark: tankers' freeboard read from their shadows on the detector's boxes, against the truth.

Generates port scenes at Vostochny (0.5 m GSD by default, ship variety on: each tanker drawn loaded or light),
keeps those whose sun stands above --min-sun degrees (the renderer draws it from the seed; the STAC sidecar
carries it as view:sun_elevation), runs the main job on them (inference/pipeline.py: run_batch, the bundled
detector or --model, every stage), then reads the freeboard (inference/freeboard.py: read_freeboard) on the box
of each detected tanker, as the main job reports it (its footprint, back in native pixels), and calls it laden,
part or light (load_state). It matches detections to the truth within 20 m and prints:

- tankers in the truth (drawn loaded or light, sun above --min-sun), those detected as tankers, the share read;
- laden/light right among all those tankers (target >= 0.85: a tanker not detected, not read, or called "part"
  counts as wrong), and among those read;
- the freeboard's error (read minus true): bias, SD, and the share within 2 of its stated SDs.

Evaluation scenes only (seeds from 9,000,000). --fit instead fits the freeboard model's constants on TRAINING
scenes (seeds below 9,000,000) with the truth boxes (refined as the main job refines them, no detector): the
laden and light freeboard bands against length (inference/freeboard.py: LOAD_MODEL) and the band's bias and
spread at the box's side in pixels (EDGE_BIAS_PX, EDGE_SD_PX).

Usage:  python benchmarks/laden.py [--scenes 10] [--seed 9000000] [--gsd 0.5] [--min-sun 30] [--model PATH]
        python benchmarks/laden.py --fit [--scenes 30] [--seed 700000]
Example: python benchmarks/laden.py --scenes 10      (about 3 minutes on 2 cores)
Run by hand (not part of the tests).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import add_run_options, nearest  # noqa: E402
from tankerwatch.config import FreeboardConfig, bundled_path, load_inference_config, parse_overrides  # noqa: E402
from tankerwatch.datasets.scene import Scene, open_scene, scene_reader  # noqa: E402
from tankerwatch.datasets.synth import EVAL_SEED_BASE, Renderer, SceneSpec, generate_scene, write_scene  # noqa: E402
from tankerwatch.geo import from_lonlat_transformer  # noqa: E402
from tankerwatch.inference.demo import VOSTOCHNY  # noqa: E402
from tankerwatch.inference.freeboard import load_state, read_freeboard  # noqa: E402
from tankerwatch.inference.measure import box_from_corners  # noqa: E402
from tankerwatch.io import read_json  # noqa: E402
from tankerwatch.schema import OrientedBox  # noqa: E402

POSITION_TOLERANCE_M = 20.0


def port_spec(seed: int, gsd_m: float, off_nadir_deg: float) -> SceneSpec:
    """A Vostochny port scene with tankers drawn loaded or light (ship variety), at a seed's sun."""
    rng = np.random.default_rng([seed, 0x1ADE])
    return SceneSpec(
        seed=seed,
        width_m=1400,
        height_m=1400,
        gsd_m=gsd_m,
        center_lon=VOSTOCHNY[0],
        center_lat=VOSTOCHNY[1],
        acquired="2024-06-01T02:30:00Z",
        n_tankers=7,
        n_others=5,
        ship_variety=True,
        off_nadir_deg=float(rng.uniform(0, off_nadir_deg)) if off_nadir_deg > 0 else 0.0,
        off_nadir_az_deg=float(rng.uniform(0, 360)),
    )


def sun_elevation_of(spec: SceneSpec) -> float:
    """The sun's elevation the renderer draws for a spec (degrees), before anything is drawn."""
    return float(Renderer(spec).sun_el)


def footprint_box(scene: Scene, ring: list[list[float]], class_name: str) -> OrientedBox:
    """An OrientedBox in native pixels from a detection's (or a truth hull's) lon/lat footprint."""
    to_crs = from_lonlat_transformer(scene.crs)
    inverse = ~scene.transform
    pts = np.array([inverse * to_crs.transform(lon, lat) for lon, lat in ring[:4]])
    return box_from_corners(pts, 0.9, class_name)


@dataclass
class Tally:
    """Counts and errors over the scored tankers."""

    tankers: int = 0
    detected: int = 0
    read: int = 0
    right: int = 0
    part: int = 0
    errors: list[tuple[float, float]] = field(default_factory=list)  # (read - true freeboard, stated SD)

    def lines(self, target: float) -> list[str]:
        """The benchmark's figures."""
        e = np.array(self.errors) if self.errors else np.zeros((0, 2))
        within = float(np.mean(np.abs(e[:, 0]) <= 2 * e[:, 1])) if len(e) else float("nan")
        robust = 1.4826 * float(np.median(np.abs(e[:, 0] - np.median(e[:, 0])))) if len(e) else float("nan")
        return [
            f"tankers (loaded or light, sun above limit): {self.tankers}; detected as tankers {self.detected}; "
            f"freeboard read {self.read} = {self.read / max(1, self.tankers):.3f} of all",
            f"laden/light right: {self.right} = {self.right / max(1, self.tankers):.3f} of all (target >= {target}), "
            f"{self.right / max(1, self.read):.3f} of those read; called part: {self.part}",
            f"freeboard error (read - true): bias {np.mean(e[:, 0]) if len(e) else float('nan'):+.2f} m, "
            f"SD {np.std(e[:, 0]) if len(e) else float('nan'):.2f} m, robust SD {robust:.2f} m, "
            f"median |error| {np.median(np.abs(e[:, 0])) if len(e) else float('nan'):.2f} m, "
            f"within 2 stated SD {within:.3f}",
        ]


def score_scene(tif: Path, out: Path, cfg: FreeboardConfig, tally: Tally) -> None:
    """Read the freeboard on each detected tanker of a scene and score it against the truth."""
    scene = open_scene(tif)
    truth = read_json(tif.with_name(tif.stem + ".truth.geojson"), "ground truth")["features"]
    dets = [
        f
        for f in read_json(out / "detections" / f"{tif.stem}.geojson", "detections GeoJSON")["features"]
        if f["properties"]["class"] == "tanker"
    ]
    with scene_reader(scene) as src:
        for t in truth:
            p = t["properties"]
            if p["class"] != "tanker" or p.get("loaded") is None:
                continue
            tally.tankers += 1
            det, d = nearest(dets, p["center_lon"], p["center_lat"], whole=True)
            if det is None or d > POSITION_TOLERANCE_M:
                continue
            tally.detected += 1
            box = footprint_box(scene, det["geometry"]["coordinates"][0], "tanker")
            r = read_freeboard(src, scene, box, cfg)
            if r is None:
                continue
            tally.read += 1
            state, _ = load_state(r.freeboard_m, r.sd_m, det["properties"]["length_m"])
            tally.part += state == "part"
            tally.right += state == ("laden" if p["loaded"] else "light")
            tally.errors.append((r.freeboard_m - p["freeboard_m"], r.sd_m))


def evaluate(args: argparse.Namespace) -> None:
    """Generate evaluation scenes, run the main job on them, read and score the tankers' freeboards."""
    from tankerwatch.inference.pipeline import load_context, run_batch

    if args.seed < EVAL_SEED_BASE:
        raise SystemExit(f"the benchmark scores evaluation scenes: seeds from {EVAL_SEED_BASE:,}")
    cfg = load_inference_config(None, parse_overrides(args.overrides))
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tw-laden-"))
    scenes: list[Path] = []
    seed = args.seed
    while len(scenes) < args.scenes:
        spec = port_spec(seed, args.gsd, args.off_nadir)
        if sun_elevation_of(spec) > args.min_sun:
            scenes.append(write_scene(generate_scene(spec), work / "scenes", f"laden_{seed}"))
        seed += 1
    ctx = load_context(
        cfg,
        bundled_path("registry.csv"),
        bundled_path("ports.geojson"),
        work / "out",
        args.model,
        None,
        full_scene=True,
        acquired=None,
        force=True,
    )
    failed = [r for r in run_batch(scenes, ctx) if r.status != "done"]
    if failed:
        raise SystemExit(f"{len(failed)} scene(s) failed: {failed[0].reason}")
    tally = Tally()
    for tif in scenes:
        score_scene(tif, work / "out", cfg.freeboard, tally)
    print(
        f"scenes: {len(scenes)} (seeds {args.seed}..{seed - 1}, sun above {args.min_sun} deg) at {args.gsd} m GSD, "
        f"off nadir up to {args.off_nadir} deg ({work})"
    )
    print("\n".join(tally.lines(0.85)))
    if not args.keep:
        shutil.rmtree(work)


def fit(args: argparse.Namespace) -> None:
    """Fit the freeboard model's constants on training scenes' truth (no detector)."""
    from tankerwatch.config import DetectConfig
    from tankerwatch.inference.measure import read_hull

    if args.seed + args.scenes * 2 > EVAL_SEED_BASE:
        raise SystemExit("fitting uses training seeds only (below 9,000,000)")
    cfg = load_inference_config(None, parse_overrides(args.overrides))
    rows: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    band_errors: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tw-laden-fit-") as tmp:
        done, seed = 0, args.seed
        while done < args.scenes:
            spec = port_spec(seed, args.gsd, 0.0)
            seed += 1
            if sun_elevation_of(spec) <= args.min_sun:
                continue
            done += 1
            tif = write_scene(generate_scene(spec), Path(tmp), f"fit_{seed}")
            scene = open_scene(tif)
            truth = read_json(tif.with_name(tif.stem + ".truth.geojson"), "ground truth")["features"]
            with scene_reader(scene) as src:
                for t in truth:
                    p = t["properties"]
                    if p["class"] != "tanker" or p.get("loaded") is None:
                        continue
                    rows[bool(p["loaded"])].append((p["length_m"], p["freeboard_m"]))
                    box = read_hull(
                        src, scene, footprint_box(scene, t["geometry"]["coordinates"][0], "tanker"), DetectConfig()
                    ).box
                    r = read_freeboard(src, scene, box, cfg.freeboard)
                    if r is not None:
                        band_errors.append((r.band_m - p["freeboard_m"] * r.band_per_metre) / scene.gsd_m)
    print(f"fit on {args.scenes} training scenes (seeds {args.seed}..{seed - 1}); LOAD_MODEL = {{")
    for loaded, name in ((True, "laden"), (False, "light")):
        lengths, freeboards = np.array(rows[loaded]).T
        b, a = np.polyfit(lengths, freeboards, 1)
        resid = np.abs(freeboards - (a + b * lengths))
        d, c = np.polyfit(lengths, resid, 1)  # uniform within: mean |residual| is half the half-width
        print(f'    "{name}": ({a:.3f}, {b:.5f}, {2 * c:.3f}, {2 * d:.5f}),  # {len(lengths)} tankers')
    print("}")
    e = np.array(band_errors)
    robust = 1.4826 * float(np.median(np.abs(e - np.median(e))))
    print(
        f"band at the refined box's side, read - true (px): median {np.median(e):+.3f} (EDGE_BIAS_PX), "
        f"robust SD {robust:.3f} (EDGE_SD_PX), {len(e)} reads"
    )


def main() -> None:
    """Run the benchmark (or the fit) and print its figures."""
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="example: python benchmarks/laden.py --scenes 10   |   python benchmarks/laden.py --fit --scenes 30",
    )
    ap.add_argument("--scenes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="first seed (default 9000000; --fit: 700000)")
    ap.add_argument("--gsd", type=float, default=0.5)
    ap.add_argument("--min-sun", type=float, default=30.0, help="keep scenes whose sun stands above this (degrees)")
    ap.add_argument("--off-nadir", type=float, default=0.0, help="off-nadir angle drawn up to this (degrees)")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--fit", action="store_true", help="fit the freeboard model on training scenes instead")
    add_run_options(ap)
    args = ap.parse_args()
    if args.fit:
        args.seed = 700_000 if args.seed is None else args.seed
        fit(args)
    else:
        args.seed = EVAL_SEED_BASE if args.seed is None else args.seed
        evaluate(args)


if __name__ == "__main__":
    main()
