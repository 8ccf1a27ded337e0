"""What the hand-run benchmarks share: matching a detection to the truth by position, the run options, and the
GPUs' busy share."""

from __future__ import annotations

import argparse
import math
import threading
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
    add_set_option(ap, example_key)


def add_set_option(ap: argparse.ArgumentParser, example_key: str) -> None:
    """--set (inference overrides, as `tankerwatch run --set`), into args.overrides."""
    ap.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=f"override an inference setting, as `tankerwatch run --set` does (e.g. {example_key})",
    )


class GpuBusy:
    """The share of time the GPUs are busy while a block runs, sampled from NVML (nvidia-ml-py) on a thread.

    NVML's utilisation is the share of its last sample period in which a kernel ran on the GPU: averaged over
    the block's samples it is the "GPU busy" of the issue's target. No NVML (no GPU, no driver): busy is None."""

    def __init__(self, period_s: float = 0.05) -> None:
        self.period_s = period_s
        self.samples: list[list[int]] = []  # per sample, each GPU's busy percentage
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GpuBusy:
        try:
            import pynvml

            pynvml.nvmlInit()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception:  # no NVML here: nothing to sample
            return self

        def sample() -> None:
            while not self._stop.wait(self.period_s):
                self.samples.append([pynvml.nvmlDeviceGetUtilizationRates(h).gpu for h in handles])

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def busy(self) -> list[float] | None:
        """Per GPU, the mean busy share (0-1) over the block; None where nothing was sampled."""
        if not self.samples:
            return None
        return [sum(s[i] for s in self.samples) / (100.0 * len(self.samples)) for i in range(len(self.samples[0]))]
