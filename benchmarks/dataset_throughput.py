"""Dataset builder throughput: synthetic scenes and training chips per second on this host.

Usage:  python benchmarks/dataset_throughput.py [--scenes 8] [--workers 2]
Prints scenes/s, chips/s and the time per scene; run by hand (not part of the tests).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tankerwatch.datasets.builder import build_synthetic_dataset


def main() -> None:
    """Build a small synthetic dataset and report its throughput."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    chips = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_synthetic_dataset(Path(tmp), args.scenes, 1, seed=args.seed, workers=args.workers, progress=chips.append)
        dt = time.perf_counter() - t0
    n_scenes, n_chips = len(chips), sum(chips)
    print(
        f"scenes: {n_scenes} in {dt:.1f} s = {n_scenes / dt:.2f} scenes/s "
        f"({dt / n_scenes:.2f} s/scene, {args.workers} workers)"
    )
    print(f"chips:  {n_chips} = {n_chips / dt:.1f} chips/s (512 px at 1 m working GSD)")


if __name__ == "__main__":
    main()
