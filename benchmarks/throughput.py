"""Throughput and memory: tankerwatch's main job vs SAHI sliced inference on one large scene.

Builds (once, cached in --workdir) a 0.5 m synthetic GeoTIFF of --size x --size pixels at
Vostochny, mosaicked window by window from smaller synthetic scenes so it never sits in memory,
with ground truth for every ship. Then, each in its own subprocess so peak RSS is its own:

* tankerwatch: `run_batch` with a `RunContext`, full scene (--full-scene), the given weights, on its
  default CPU runtime (OpenVINO, exported from those weights) and, with --torch-too, on PyTorch too;
* SAHI: `AutoDetectionModel` (model_type "ultralytics", the same weights) and `get_sliced_prediction`
  with 512 px slices (the model's training size), overlap 0.2, `perform_standard_pred=False`,
  batched, on the whole scene read into memory as stretched RGB uint8 at native 0.5 m, which is
  how a SAHI user runs it. On the same runtime as tankerwatch: an Ultralytics OpenVINO export of the
  weights (512 px, the SAHI batch; SAHI 0.12 loads it as it is) and, with --torch-too, the .pt on
  PyTorch against tankerwatch on PyTorch. Each ratio is printed for engines on the same runtime.

Prints megapixels/s (scene native pixels / wall seconds), ship recall against the truth (ships
longer than 50 m; hit = centre within 20 m or footprint IoU >= 0.3), the length error of the ships
found (long side of each footprint's least rotated rectangle), peak RSS and the
tankerwatch/SAHI ratios; tankerwatch's time split (read / predict / merge / rest); pixels
tankerwatch plans for the full scene vs the port AOI; and, with --gigapixel, tankerwatch's peak
RSS on a ~32k x 32k mostly-water scene.

Usage:
  python benchmarks/throughput.py --model runs/x/weights/best.pt        # needs best.pt.sha256 beside it
  python benchmarks/throughput.py --size 2048 --workdir /tmp/twbench     # quick check on a small scene
  python benchmarks/throughput.py --gigapixel --skip-sahi                # add the 1-gigapixel memory run
  python benchmarks/throughput.py --gigapixel --torch-too                # the README's figures
  pip install -e .[bench]                                                 # SAHI, for the comparison

Without --model the bundled models/weights/tankerwatch-obb.pt is used. Runs on the CPU unless
--device cuda. No network is used at run time (workers refuse non-local connections).
Run by hand; it is not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for benchmarks/common.py

from benchmarks.common import GpuBusy  # noqa: E402

GSD_M = 0.5  # native resolution of the benchmark scenes (a typical commercial product)
SAHI_SLICE_PX = 512  # the model's training chip size
SAHI_OVERLAP = 0.2
MIN_SHIP_M = 50.0  # recall counts ships longer than this
HIT_CENTRE_M = 20.0
HIT_IOU = 0.3
ACQUIRED_TAG = "2024:05:01 02:30:00"
SCENE_VERSION = 1  # bump when the generator below changes, so cached scenes are rebuilt


# --------------------------------------------------------------------------------------------
# scene generation (window by window, cached)
# --------------------------------------------------------------------------------------------


def scene_grid(size: int, origin_lon: float, center_lat: float):
    """UTM CRS and geotransform of a size x size 0.5 m scene whose west edge is at origin_lon."""
    from affine import Affine
    from pyproj import CRS

    from tankerwatch.geo import from_lonlat_transformer, utm_epsg

    crs = CRS.from_epsg(utm_epsg(origin_lon, center_lat))
    x0, yc = from_lonlat_transformer(crs).transform(origin_lon, center_lat)
    return crs, Affine(GSD_M, 0, x0, 0, -GSD_M, yc + size * GSD_M / 2)


def water_block(rng: np.random.Generator, rows: int, cols: int, base: np.ndarray) -> np.ndarray:
    """Open water (sea colour plus sensor noise) as bands x rows x cols uint8, cheap to make."""
    noise = rng.normal(0, 2.0, (1, rows, cols)).astype(np.float32)
    return np.clip(base[:, None, None] + noise, 0, 255).astype(np.uint8)


def synth_block(seed: int, rows: int, cols: int, land: bool, n_tankers: int, n_others: int):
    """A synthetic 0.5 m scene of rows x cols pixels (image and ships), rendered in memory."""
    from tankerwatch.datasets.synth import SceneSpec, generate_scene

    spec = SceneSpec(
        seed=seed,
        width_m=cols * GSD_M,
        height_m=rows * GSD_M,
        gsd_m=GSD_M,
        land=land,
        n_tankers=n_tankers,
        n_others=n_others,
    )
    return generate_scene(spec)


def block_truth(block, transform, crs, col_off: int, row_off: int, scene_id: str) -> list[dict]:
    """Truth features (WGS84) of a block's ships, placed at its offset; ships cut by the block edge flagged."""
    from affine import Affine
    from shapely.geometry import box

    from tankerwatch.datasets.synth import SynthScene, ship_box_m, truth_features

    placed = SynthScene(block.image, transform * Affine.translation(col_off, row_off), crs, block.ships, block.spec)
    feats = truth_features(placed, scene_id)["features"]
    frame = box(0, 0, block.spec.width_m, block.spec.height_m)
    for f, s in zip(feats, block.ships, strict=True):
        # the renderer lets a hull hang up to 45% over its block's edge; the neighbouring block does
        # not draw the rest, so such a ship is half a ship: flag it and leave it out of recall
        f["properties"]["cut"] = not frame.contains(ship_box_m(s))
    return feats


def build_scene(
    path: Path,
    size: int,
    block: int,
    seed: int,
    origin_lon: float,
    center_lat: float,
    synth_fraction: float,
    land_fraction: float,
    n_tankers: int,
    n_others: int,
    overviews: bool,
) -> None:
    """Write a tiled, deflated GeoTIFF and <stem>.truth.geojson window by window (bounded memory)."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    from tankerwatch.io import atomic_write_text

    crs, transform = scene_grid(size, origin_lon, center_lat)
    rng = np.random.default_rng(seed)
    sea = np.array([30, 55, 70], np.float32)
    feats: list[dict] = []
    tmp = path.with_name(f".{path.name}.tmp")
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs=crs,
        transform=transform,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        BIGTIFF="IF_SAFER",
    )
    n = math.ceil(size / block)
    t0 = time.perf_counter()
    with rasterio.Env(GDAL_CACHEMAX=256 * 2**20), rasterio.open(tmp, "w", **profile) as dst:
        for i in range(n * n):
            r, c = divmod(i, n)
            rows, cols = min(block, size - r * block), min(block, size - c * block)
            if rng.random() < synth_fraction:
                b = synth_block(seed * 100_003 + i, rows, cols, rng.random() < land_fraction, n_tankers, n_others)
                dst.write(b.image, window=Window(c * block, r * block, cols, rows))
                feats += block_truth(b, transform, crs, c * block, r * block, path.stem)
            else:
                dst.write(water_block(rng, rows, cols, sea), window=Window(c * block, r * block, cols, rows))
            print(
                f"\r  generating {path.name}: block {i + 1}/{n * n} ({time.perf_counter() - t0:.0f} s)",
                end="",
                file=sys.stderr,
                flush=True,
            )
        dst.update_tags(TIFFTAG_DATETIME=ACQUIRED_TAG)
        if overviews:  # what a COG delivery has; lets a 1 m read decode a quarter of the pixels
            dst.build_overviews([2, 4, 8, 16], Resampling.average)
    print(file=sys.stderr)
    tmp.replace(path)
    atomic_write_text(truth_path(path), json.dumps({"type": "FeatureCollection", "features": feats}))


def truth_path(tif: Path) -> Path:
    """Where a scene's truth GeoJSON lives."""
    return tif.with_name(tif.stem + ".truth.geojson")


def cached_scene(workdir: Path, name: str, **params: Any) -> Path:
    """The scene for these parameters, generated on first use and reused afterwards."""
    key = dict(params, version=SCENE_VERSION)
    tif = workdir / f"{name}.tif"
    meta = workdir / f"{name}.params.json"
    if tif.exists() and truth_path(tif).exists() and meta.exists() and json.loads(meta.read_text()) == key:
        return tif
    workdir.mkdir(parents=True, exist_ok=True)
    meta.unlink(missing_ok=True)  # written last: its presence means the scene is complete
    build_scene(tif, **params)
    meta.write_text(json.dumps(key))
    return tif


# --------------------------------------------------------------------------------------------
# workers (run in their own subprocess)
# --------------------------------------------------------------------------------------------


def block_network() -> None:
    """Refuse any non-local connection in this process (the run must be offline)."""
    real = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family != socket.AF_UNIX and not str(host).startswith(("127.", "::1", "localhost")):
            raise RuntimeError(f"benchmark worker tried to reach {address}")
        return real(self, address)

    socket.socket.connect = connect


def peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stopwatch:
    """Accumulates seconds per label across calls (thread-safe enough for += on floats under the GIL)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, label: str, fn: Callable) -> Callable:
        """fn, timed under label."""

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def wrap_iter(self, label: str, gen_fn: Callable) -> Callable:
        """A generator function whose time blocked in next() is counted under label."""

        def timed(*a, **kw):
            it = iter(gen_fn(*a, **kw))
            while True:
                t = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t
                    return
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t
                self.calls[label] = self.calls.get(label, 0) + 1
                yield item

        return timed


def lonlat_polys_to_xy(polys: list[list[list[float]]], crs) -> list[list[list[float]]]:
    """WGS84 rings to the scene's projected metres."""
    from tankerwatch.geo import from_lonlat_transformer

    to_xy = from_lonlat_transformer(crs)
    out = []
    for ring in polys:
        a = np.asarray(ring, float)
        x, y = to_xy.transform(a[:, 0], a[:, 1])
        out.append(np.stack([x, y], axis=1).tolist())
    return out


def worker_tankerwatch(job: dict) -> dict:
    """Run the main job full-scene on one scene; detections (scene metres), wall time and a time profile."""
    from tankerwatch.config import bundled_path, load_inference_config, parse_overrides
    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.inference import pipeline

    cfg = load_inference_config(None, parse_overrides(job["overrides"]))
    out = Path(job["out_dir"])
    shutil.rmtree(out, ignore_errors=True)
    ctx = pipeline.load_context(
        cfg,
        bundled_path("registry.csv"),
        bundled_path("ports.geojson"),
        out,
        Path(job["model"]),
        job["device"],
        True,
        None,
        True,
    )
    rss_loaded = peak_rss_mb()
    # time the stages from outside: the package is not changed, the globals of the modules that call them are wrapped
    from tankerwatch.inference import detect, identify, measure

    sw = Stopwatch()
    detect.read_rgb = sw.wrap("read+stretch tiles (reader thread)", detect.read_rgb)
    detect._tile_batches = sw.wrap_iter("waiting for tiles (model idle)", detect._tile_batches)
    detect.merge_boxes = sw.wrap("merge", detect.merge_boxes)
    pipeline.open_scene = sw.wrap("open + stretch stats", pipeline.open_scene)
    measure.read_hull = sw.wrap("hull reads (refine, bow, type chip)", measure.read_hull)
    identify.identify = sw.wrap("identify", identify.identify)
    pipeline.write_detections = sw.wrap("write detections", pipeline.write_detections)
    pipeline.tiles_water = sw.wrap("water mask", pipeline.tiles_water)
    pipeline.floating_hulls = sw.wrap("float test", pipeline.floating_hulls)
    pipeline.typed_ships = sw.wrap("ship type", pipeline.typed_ships)
    ctx.detector.predict = sw.wrap("predict", ctx.detector.predict)
    with GpuBusy() as gpu:
        t0 = time.perf_counter()
        (res,) = pipeline.run_batch([Path(job["scene"])], ctx)
        wall = time.perf_counter() - t0
    if res.status != "done":
        raise SystemExit(f"tankerwatch failed on {job['scene']}: {res.reason}")
    fc = json.loads((out / "detections" / f"{res.scene_id}.geojson").read_text())
    crs = open_scene(job["scene"]).crs
    polys = lonlat_polys_to_xy([f["geometry"]["coordinates"][0] for f in fc["features"]], crs)
    return {
        "wall_s": wall,
        "tiles": res.tiles,
        "detections": polys,
        "rss_loaded_mb": rss_loaded,
        "gpu_busy": gpu.busy,
        "profile": sw.seconds,
        "calls": sw.calls,
    }


def read_whole_scene(scene, strip_rows: int = 512) -> np.ndarray:
    """The whole scene as stretched RGB uint8 at native resolution, read in strips with tankerwatch's helpers."""
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import read_rgb, scene_reader

    image = np.empty((scene.height, scene.width, 3), np.uint8)
    with scene_reader(scene) as src:
        for r0 in range(0, scene.height, strip_rows):
            h = min(strip_rows, scene.height - r0)
            image[r0 : r0 + h], _ = read_rgb(src, scene, Window(0, r0, scene.width, h), (h, scene.width))
    return image


def worker_sahi(job: dict) -> dict:
    """Run SAHI sliced prediction over the whole scene in memory; detections (scene metres) and wall time."""
    from tankerwatch.config import load_inference_config, parse_overrides
    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.models.detector import device_list, runtime_export, ultralytics, verify_sha256

    # Ultralytics configured offline before SAHI imports it; its predictor then uses every core, as
    # tankerwatch's does, so the comparison is of engines, not thread counts
    ultralytics()
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction
    from sahi.slicing import get_slice_bboxes

    cfg = load_inference_config(None, parse_overrides(job["overrides"]))
    sha = verify_sha256(Path(job["model"]))
    dev = device_list(job["device"])[0]  # SAHI runs on one device
    model_path = Path(job["model"])
    if job.get("sahi_runtime") == "openvino":  # SAHI 0.12 loads an Ultralytics OpenVINO export as it is
        model_path = runtime_export(model_path, sha, "openvino", SAHI_SLICE_PX, job["sahi_batch"])
    model = AutoDetectionModel.from_pretrained(
        model_type="ultralytics",
        model_path=str(model_path),
        confidence_threshold=cfg.detect.conf_threshold,
        device="cpu" if dev == "cpu" else f"cuda:{dev}",
        image_size=SAHI_SLICE_PX,
    )
    rss_loaded = peak_rss_mb()
    t0 = time.perf_counter()
    scene = open_scene(job["scene"])
    image = read_whole_scene(scene)
    t_read = time.perf_counter() - t0
    result = get_sliced_prediction(
        image,
        model,
        slice_height=SAHI_SLICE_PX,
        slice_width=SAHI_SLICE_PX,
        overlap_height_ratio=SAHI_OVERLAP,
        overlap_width_ratio=SAHI_OVERLAP,
        perform_standard_pred=False,
        batch_size=job["sahi_batch"],
        verbose=0,
    )
    wall = time.perf_counter() - t0
    polys = []
    for p in result.object_prediction_list:
        if p.mask is not None and p.mask.segmentation and len(p.mask.segmentation[0]) >= 8:
            px = np.asarray(p.mask.segmentation[0][:8], float).reshape(4, 2)
        else:  # no rotated points: the axis-aligned box
            x0, y0, x1, y1 = p.bbox.to_xyxy()
            px = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
        x, y = scene.transform @ (px[:, 0], px[:, 1])
        polys.append(np.stack([x, y], axis=1).tolist())
    slices = get_slice_bboxes(
        scene.height,
        scene.width,
        slice_height=SAHI_SLICE_PX,
        slice_width=SAHI_SLICE_PX,
        overlap_height_ratio=SAHI_OVERLAP,
        overlap_width_ratio=SAHI_OVERLAP,
    )
    return {
        "wall_s": wall,
        "read_s": t_read,
        "predict_s": wall - t_read,
        "detections": polys,
        "rss_loaded_mb": rss_loaded,
        "slices": len(slices),
    }


def worker_main(job_path: Path) -> None:
    """Entry point of a worker subprocess: run the job, write its JSON result."""
    block_network()
    job = json.loads(job_path.read_text())
    fn = {"tankerwatch": worker_tankerwatch, "sahi": worker_sahi}[job["engine"]]
    result = fn(job)
    result["rss_peak_self_mb"] = peak_rss_mb()
    Path(job["result"]).write_text(json.dumps(result))


def run_worker(
    engine: str,
    scene: Path,
    args: argparse.Namespace,
    tmp: Path,
    extra_set: tuple[str, ...] = (),
    sahi_runtime: str = "openvino",
) -> dict:
    """Run one engine in a fresh subprocess; its result plus the child's own peak RSS (os.wait4)."""
    name = "-".join([engine, *(s.replace("=", "-").replace(".", "-") for s in extra_set)])
    name += f"-{sahi_runtime}" if engine == "sahi" else ""
    job = {
        "engine": engine,
        "sahi_runtime": sahi_runtime,
        "scene": str(scene),
        "model": str(args.model),
        "device": args.device,
        "overrides": [*args.set, *extra_set],
        "sahi_batch": args.sahi_batch,
        "out_dir": str(tmp / f"out-{name}"),
        "result": str(tmp / f"{name}-{scene.stem}.json"),
    }
    job_path = tmp / f"{name}-{scene.stem}.job.json"
    job_path.write_text(json.dumps(job))
    env = dict(os.environ)
    if args.gdal_cachemax is not None:
        env["GDAL_CACHEMAX"] = str(args.gdal_cachemax)
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker-job", str(job_path)], env=env)
    # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over every child so far
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} worker failed (exit {proc.returncode}) on {scene}")
    result = json.loads(Path(job["result"]).read_text())
    result["rss_peak_mb"] = usage.ru_maxrss / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


# --------------------------------------------------------------------------------------------
# scoring and report
# --------------------------------------------------------------------------------------------


def load_truth(tif: Path, crs) -> tuple[list, list[bool]]:
    """Truth footprints in scene metres, and whether each counts for recall (long enough, not cut)."""
    fc = json.loads(truth_path(tif).read_text())
    rings = lonlat_polys_to_xy([f["geometry"]["coordinates"][0] for f in fc["features"]], crs)
    counted = [f["properties"]["length_m"] > MIN_SHIP_M and not f["properties"]["cut"] for f in fc["features"]]
    return rings, counted


def long_side_m(poly) -> float:
    """The long side of a footprint's least rotated rectangle (scene metres)."""
    x, y = poly.minimum_rotated_rectangle.exterior.coords.xy
    return max(math.dist((x[0], y[0]), (x[1], y[1])), math.dist((x[1], y[1]), (x[2], y[2])))


def score(truth_rings: list, counted: list[bool], det_rings: list) -> dict:
    """Recall over counted truth ships, the length error of the ships found, and detections matching no
    truth ship at all."""
    from shapely.geometry import Polygon
    from shapely.strtree import STRtree

    truth = [Polygon(r) for r in truth_rings]
    dets = [Polygon(r).buffer(0) for r in det_rings]

    def hit(a: Polygon, b: Polygon) -> bool:
        if a.centroid.distance(b.centroid) <= HIT_CENTRE_M:
            return True
        inter = a.intersection(b).area
        return inter > 0 and inter / (a.area + b.area - inter) >= HIT_IOU

    det_tree = STRtree(dets) if dets else None
    found, length_errors = 0, []
    for t, c in zip(truth, counted, strict=True):
        if c and det_tree is not None:
            hits = [dets[j] for j in det_tree.query(t.buffer(HIT_CENTRE_M)) if hit(t, dets[j])]
            if hits:
                found += 1
                nearest = min(hits, key=lambda d: d.centroid.distance(t.centroid))
                length_errors.append(abs(long_side_m(nearest) - long_side_m(t)))
    truth_tree = STRtree(truth) if truth else None
    stray = sum(
        1
        for d in dets
        if truth_tree is None or not any(hit(d, truth[j]) for j in truth_tree.query(d.buffer(HIT_CENTRE_M)))
    )
    n = sum(counted)
    errors = np.asarray(length_errors)
    return {
        "recall": found / n if n else float("nan"),
        "found": found,
        "ships": n,
        "detections": len(dets),
        "stray": stray,
        "length_mae_m": float(errors.mean()) if errors.size else float("nan"),
        "length_within_5m": float((errors <= 5).mean()) if errors.size else float("nan"),
    }


def tiling_pixels(tif: Path, overrides: list[str]) -> dict:
    """Native and working-GSD pixels tankerwatch reads for the full scene and for the port AOI."""
    from tankerwatch.config import bundled_path, load_inference_config, parse_overrides
    from tankerwatch.datasets.ports import load_ports
    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.inference.tiling import plan_tiles, port_aoi_px

    cfg = load_inference_config(None, parse_overrides(overrides))
    scene = open_scene(tif)
    aoi = port_aoi_px(scene, load_ports(bundled_path("ports.geojson")), cfg.detect.port_margin_m)

    def count(tiles) -> dict:
        return {
            "tiles": len(tiles),
            "native_mp": sum(t.window.width * t.window.height for t in tiles) / 1e6,
            "working_mp": sum(t.out_rows * t.out_cols for t in tiles) / 1e6,
        }

    return {
        "scene_mp": scene.width * scene.height / 1e6,
        "full": count(plan_tiles(scene, cfg.detect, None)),
        "aoi": count(plan_tiles(scene, cfg.detect, aoi) if aoi is not None else []),
        "aoi_fraction": (aoi.area / (scene.width * scene.height)) if aoi is not None else 0.0,
    }


def ratio(a: float, b: float) -> str:
    """a / b formatted, or n/a."""
    return f"{a / b:.2f}x" if b and not math.isnan(a) and not math.isnan(b) else "n/a"


def report_engine(name: str, r: dict, s: dict, scene_mp: float) -> None:
    """One engine's figures."""
    print(
        f"  {name:<12} {scene_mp / r['wall_s']:8.2f} MP/s  wall {r['wall_s']:7.1f} s  cpu {r['cpu_s']:7.1f} s  "
        f"recall {s['recall']:.3f} ({s['found']}/{s['ships']})  length MAE {s['length_mae_m']:.1f} m "
        f"({100 * s['length_within_5m']:.0f}% within 5 m)  detections {s['detections']} "
        f"(stray {s['stray']})  peak RSS {r['rss_peak_mb']:7.0f} MB (after model load {r['rss_loaded_mb']:.0f} MB)"
        + ("  GPU busy " + ", ".join(f"{100 * b:.0f} %" for b in r["gpu_busy"]) if r.get("gpu_busy") else "")
    )


def report_profile(r: dict) -> None:
    """tankerwatch's time split, as measured by the wrapped stages."""
    p, wall = r["profile"], r["wall_s"]
    print(f"  tankerwatch time split (wall {wall:.1f} s; reads run on a worker thread, overlapped with predict):")
    for k, v in sorted(p.items(), key=lambda kv: -kv[1]):
        print(f"    {k:<36} {v:8.1f} s  ({100 * v / wall:5.1f}% of wall, {r['calls'].get(k, 0)} calls)")
    main_thread = sum(v for k, v in p.items() if "reader thread" not in k)
    print(f"    {'other (measure, alerts, chips, ...)':<36} {max(0.0, wall - main_thread):8.1f} s")


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def default_model() -> Path | None:
    """The bundled weights, where they exist."""
    from tankerwatch.models.detector import BUNDLED_WEIGHTS

    return BUNDLED_WEIGHTS if BUNDLED_WEIGHTS.exists() else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + "\nSee the module docstring (head -30 of this file) for the details.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument(
        "--model",
        type=Path,
        default=None,
        help="YOLO-OBB weights .pt with a <weights>.sha256 beside it (default: the bundled tankerwatch-obb.pt)",
    )
    ap.add_argument("--size", type=int, default=16384, help="side of the benchmark scene in native 0.5 m pixels")
    ap.add_argument(
        "--block", type=int, default=2048, help="side of the synthetic scenes the big scene is mosaicked from"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tankerwatch-bench",
        help="cache of generated scenes (re-runs reuse them) and worker outputs",
    )
    ap.add_argument(
        "--origin-lon",
        type=float,
        default=133.06,
        help="longitude of the scene's west edge (133.06: the Vostochny port polygon covers the west part)",
    )
    ap.add_argument("--center-lat", type=float, default=42.745)
    ap.add_argument(
        "--land-fraction", type=float, default=0.5, help="share of mosaic blocks drawn with a coast and quays"
    )
    ap.add_argument("--ships-per-block", type=int, nargs=2, default=(4, 5), metavar=("TANKERS", "OTHERS"))
    ap.add_argument(
        "--no-overviews",
        action="store_true",
        help="write scenes without overviews (tankerwatch then resamples 0.5 m reads to 1 m itself)",
    )
    ap.add_argument("--device", default="cpu", help="cpu, cuda, 0 (both engines)")
    ap.add_argument("--sahi-batch", type=int, default=8, help="slices per SAHI batch (SAHI >= 0.12 batches)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="tankerwatch config override, as `tankerwatch run --set` (e.g. detect.batch_size=8)",
    )
    ap.add_argument(
        "--gdal-cachemax",
        type=int,
        default=None,
        help="GDAL_CACHEMAX (MB) for both workers; default: GDAL's own (5%% of RAM), as a user runs it",
    )
    ap.add_argument("--skip-sahi", action="store_true", help="run tankerwatch only")
    ap.add_argument(
        "--torch-too",
        action="store_true",
        help="also run tankerwatch on the PyTorch runtime SAHI uses (the default CPU runtime is OpenVINO)",
    )
    ap.add_argument("--generate-only", action="store_true", help="build (or find) the cached scenes, run nothing")
    ap.add_argument(
        "--gigapixel",
        action="store_true",
        help="also measure tankerwatch's peak RSS on a ~32k x 32k (1 gigapixel) mostly-water scene",
    )
    ap.add_argument("--gigapixel-size", type=int, default=32768, help=argparse.SUPPRESS)
    ap.add_argument("--worker-job", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker_job is None:
        args.model = args.model or default_model()
        if args.model is None:
            ap.error("no bundled weights (models/weights/tankerwatch-obb.pt) yet: give --model PATH")
        args.model = args.model.resolve()
    return args


def scene_params(args: argparse.Namespace, size: int, synth_fraction: float) -> dict:
    """Generator parameters (also the cache key) of a benchmark scene."""
    return dict(
        size=size,
        block=args.block,
        seed=args.seed,
        origin_lon=args.origin_lon,
        center_lat=args.center_lat,
        synth_fraction=synth_fraction,
        land_fraction=args.land_fraction,
        n_tankers=args.ships_per_block[0],
        n_others=args.ships_per_block[1],
        overviews=not args.no_overviews,
    )


def main(argv: list[str] | None = None) -> None:
    """Build or reuse the scenes, run each engine in its own process, print the figures."""
    args = parse_args(argv)
    if args.worker_job is not None:
        return worker_main(args.worker_job)
    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.models.detector import verify_sha256
    from tankerwatch.schema import TankerwatchError

    try:  # fail here, in one line, rather than in a worker after the scene is built
        verify_sha256(args.model)
    except TankerwatchError as e:
        raise SystemExit(f"error: {e}") from None
    ovr = "" if args.no_overviews else "-ovr"
    tif = cached_scene(args.workdir, f"bench-{args.size}-s{args.seed}{ovr}", **scene_params(args, args.size, 1.0))
    gtif = None
    if args.gigapixel:  # mostly water: 3% of the blocks carry a synthetic port scene
        g = args.gigapixel_size
        gtif = cached_scene(args.workdir, f"bench-{g}-water-s{args.seed}{ovr}", **scene_params(args, g, 0.03))
    if args.generate_only:
        print("\n".join(f"scene ready: {p}" for p in (tif, gtif) if p))
        return
    crs = open_scene(tif).crs
    truth, counted = load_truth(tif, crs)
    pix = tiling_pixels(tif, args.set)
    scene_mp = pix["scene_mp"]
    print(
        f"scene {tif}: {args.size} x {args.size} px at {GSD_M} m = {scene_mp:.0f} MP, {len(truth)} ships "
        f"({sum(counted)} counted: > {MIN_SHIP_M:.0f} m, whole)"
    )
    print(f"model {args.model}, device {args.device}")
    tmp = args.workdir / "runs"
    tmp.mkdir(parents=True, exist_ok=True)

    tw = run_worker("tankerwatch", tif, args, tmp)
    tw_s = score(truth, counted, tw["detections"])
    pt = pt_s = sahi = sahi_s = None
    if args.torch_too:  # the same engine on SAHI's runtime: what the pipeline gains without OpenVINO
        pt = run_worker("tankerwatch", tif, args, tmp, ("detect.runtime=torch",))
        pt_s = score(truth, counted, pt["detections"])
    sahi_pt = sahi_pt_s = None
    if not args.skip_sahi:  # SAHI on tankerwatch's default CPU runtime, and with --torch-too on PyTorch as well
        sahi = run_worker("sahi", tif, args, tmp, sahi_runtime="openvino")
        sahi_s = score(truth, counted, sahi["detections"])
        if args.torch_too:
            sahi_pt = run_worker("sahi", tif, args, tmp, sahi_runtime="torch")
            sahi_pt_s = score(truth, counted, sahi_pt["detections"])

    print("\nthroughput (scene native pixels / wall seconds; model load excluded, scene read included)")
    report_engine("tankerwatch", tw, tw_s, scene_mp)
    if sahi:
        report_engine("SAHI OpenVINO", sahi, sahi_s, scene_mp)
        print(
            f"    SAHI split: read whole scene {sahi['read_s']:.1f} s, sliced prediction {sahi['predict_s']:.1f} s "
            f"({sahi['slices']} slices of {SAHI_SLICE_PX} px = {sahi['slices'] * SAHI_SLICE_PX**2 / 1e6:.0f} MP "
            f"through the model; tankerwatch: {tw['tiles']} tiles, {pix['full']['working_mp']:.0f} MP)"
        )
        print(
            f"  tankerwatch / SAHI, both on OpenVINO: speed {ratio(sahi['wall_s'], tw['wall_s'])}, recall "
            f"{ratio(tw_s['recall'], sahi_s['recall'])}, peak RSS {ratio(tw['rss_peak_mb'], sahi['rss_peak_mb'])}"
        )
    if pt:
        report_engine("tw PyTorch", pt, pt_s, scene_mp)
    if sahi_pt and pt and sahi_pt_s and pt_s:
        report_engine("SAHI PyTorch", sahi_pt, sahi_pt_s, scene_mp)
        print(
            f"  tankerwatch / SAHI, both on PyTorch: speed {ratio(sahi_pt['wall_s'], pt['wall_s'])}, recall "
            f"{ratio(pt_s['recall'], sahi_pt_s['recall'])}, peak RSS {ratio(pt['rss_peak_mb'], sahi_pt['rss_peak_mb'])}"
        )
    print()
    report_profile(tw)
    f, a = pix["full"], pix["aoi"]
    print(f"\npixels tankerwatch processes (tiles {args.set or 'default config'}):")
    print(
        f"  full scene: {f['tiles']:5d} tiles, {f['native_mp']:8.1f} MP native read, "
        f"{f['working_mp']:7.1f} MP at working GSD"
    )
    print(
        f"  port AOI:   {a['tiles']:5d} tiles, {a['native_mp']:8.1f} MP native read, "
        f"{a['working_mp']:7.1f} MP at working GSD "
        f"(AOI = {100 * pix['aoi_fraction']:.0f}% of the scene; {ratio(a['working_mp'], f['working_mp'])} of full)"
    )

    if gtif is not None:
        g = args.gigapixel_size
        gr = run_worker("tankerwatch", gtif, args, tmp)
        gtruth, gcounted = load_truth(gtif, open_scene(gtif).crs)
        gs = score(gtruth, gcounted, gr["detections"])
        gmp = g * g / 1e6
        print(f"\ngigapixel scene {gtif.name}: {g} x {g} px = {gmp:.0f} MP, mostly water, full scene")
        report_engine("tankerwatch", gr, gs, gmp)
        print(
            f"  peak RSS {gr['rss_peak_mb']:.0f} MB vs {tw['rss_peak_mb']:.0f} MB on the {scene_mp:.0f} MP scene "
            f"({ratio(gr['rss_peak_mb'], tw['rss_peak_mb'])} for {ratio(gmp, scene_mp)} the pixels)"
        )


if __name__ == "__main__":
    main()
