"""What the hand-run benchmarks share: matching a detection to the truth by position, and the run options."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tankerwatch.geo import geodesic_m


def nearest(features: list[dict], lon: float, lat: float, whole: bool = False) -> tuple[dict | None, float]:
    """The feature (or bare properties dict) whose centre lies nearest a point, and the distance in metres (None
    and infinity when there is none): its properties, or with whole the feature itself."""
    best, best_d = None, math.inf
    for f in features:
        p = f.get("properties", f)
        d = geodesic_m(lon, lat, p["center_lon"], p["center_lat"])
        if d < best_d:
            best, best_d = (f if whole else p), d
    return best, best_d


def add_run_options(ap: argparse.ArgumentParser, example_key: str = "detect.conf_threshold=0.4") -> None:
    """--keep (keep the scenes and outputs) and --set (inference overrides, as `tankerwatch run --set`)."""
    ap.add_argument("--keep", type=Path, default=None, help="keep scenes and outputs in this folder")
    ap.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=f"override an inference setting, as `tankerwatch run --set` does (e.g. {example_key})",
    )
