"""Batch throughput: a day's imagery in miniature, scenes per hour on this machine.

Generates N port scenes (randomised Vostochny ports, `random_spec`, training seeds 60000 up by default; sizes
and GSDs as the renderer draws them) once into --workdir, then runs the main job over the folder as
`tankerwatch run --full-scene` does (one context, scenes one after another, the bundled weights and stages;
whole scenes, since the generated ones lie anywhere, not only at ports; `--ports-only` looks at port tiles
only, as a plain `tankerwatch run`), and prints
scenes per hour, megapixels per second, the share of tiles the cascade spared, and the mean seconds per stage
from the batch manifest (OUT/tankerwatch.sqlite: scenes.timings). Model loading is outside the timed part.

`--engine ray` runs the same batch on the Ray engine (inference/ray_engine.py) on a local instance started before
the clock (as a cluster would be running already); its actors' model loading is inside the timed part.

Usage:
  python benchmarks/batch.py                     # 12 scenes
  python benchmarks/batch.py --scenes 30 --workdir /tmp/twbatch
  python benchmarks/batch.py --engine ray
Run by hand; it is not part of the tests.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import add_set_option  # noqa: E402
from tankerwatch.config import bundled_path, load_inference_config, parse_overrides  # noqa: E402
from tankerwatch.datasets.synth import generate_scene, random_spec, write_scene  # noqa: E402
from tankerwatch.inference.pipeline import find_scenes, load_context, run_batch  # noqa: E402
from tankerwatch.inference.visits import AlertStore  # noqa: E402


def scenes_in(workdir: Path, n: int, seed: int) -> list[Path]:
    """n generated port scenes in workdir/scenes (made once, reused)."""
    folder = workdir / "scenes"
    out = []
    for i in range(n):
        tif = folder / f"batch{seed + i}.tif"
        if not tif.exists():
            write_scene(generate_scene(random_spec(seed + i)), folder, tif.stem)
        out.append(tif)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="example: python benchmarks/batch.py --scenes 12"
    )
    ap.add_argument("--scenes", type=int, default=12)
    ap.add_argument("--seed", type=int, default=60000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tankerwatch-batch"))
    ap.add_argument("--ports-only", action="store_true", help="only tiles touching a port (tankerwatch run's default)")
    ap.add_argument("--engine", choices=("local", "ray"), default="local")
    add_set_option(ap, "detect.device=0")
    args = ap.parse_args()
    if args.seed + args.scenes > 9_000_000:
        raise SystemExit("evaluation seeds (>= 9,000,000) are not for this benchmark")
    scenes = scenes_in(args.workdir, args.scenes, args.seed)
    out = args.workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    cfg = load_inference_config(None, parse_overrides(args.overrides))
    registry, ports = bundled_path("registry.csv"), bundled_path("ports.geojson")
    local = args.engine == "local"
    ctx = load_context(cfg, registry, ports, out, None, None, not args.ports_only, None, False, with_detector=local)
    if not local:
        from tankerwatch.inference.ray_engine import run_batch_ray, start_ray

        start_ray("")
    t0 = time.perf_counter()
    results = run_batch(find_scenes(scenes), ctx) if local else run_batch_ray(find_scenes(scenes), ctx, None)
    wall = time.perf_counter() - t0
    done = [r for r in results if r.status == "done"]
    mp = sum(r.megapixels for r in done)
    tiles, spared = sum(r.tiles for r in done), sum(r.tiles_skipped for r in done)
    stages: dict[str, float] = defaultdict(float)
    with AlertStore(out) as store:
        for entry in store.manifest():
            for k, v in (entry["timings"] or {}).items():
                stages[k] += v / max(len(done), 1)
    rate = 3600 * len(done) / wall
    print(f"engine {args.engine}: {len(done)} of {len(results)} scenes done in {wall:.1f} s: {rate:.0f} scenes/hour")
    print(f"{mp:.1f} MP native, {mp / wall:.2f} MP/s; tiles {tiles}, spared by the cascade {spared}")
    print("mean seconds per scene and stage: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(stages.items())))


if __name__ == "__main__":
    main()
