"""Detector adapter: the only module importing Ultralytics. Offline setup, build, train, predict."""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tankerwatch.config import RUNTIMES, DetectConfig
from tankerwatch.schema import SHIP_CLASSES, TankerwatchError

CFG_DIR = Path(__file__).parent / "cfg"
WEIGHTS_DIR = Path(__file__).parent / "weights"
BUNDLED_WEIGHTS = WEIGHTS_DIR / "tankerwatch-obb.pt"
ARCHITECTURES = {"n": "tankerwatch-yolo11n-obb.yaml", "s": "tankerwatch-yolo11s-obb.yaml"}


def tankerwatch_home() -> Path:
    """Project-owned folder for Ultralytics settings and fonts ($TANKERWATCH_HOME or ~/.cache/tankerwatch)."""
    return Path(os.environ.get("TANKERWATCH_HOME", Path.home() / ".cache" / "tankerwatch")).expanduser()


def _ship_font(config_dir: Path) -> None:
    """Put a local TTF where Ultralytics looks for Arial, so it never downloads one."""
    import matplotlib

    src = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    target = config_dir / "Ultralytics"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        if not (target / name).exists():
            shutil.copyfile(src, target / name)


@lru_cache(maxsize=1)
def ultralytics() -> ModuleType:
    """Import Ultralytics configured to stay offline (no downloads, no telemetry, no auto-install)."""
    config_dir = tankerwatch_home() / "ultralytics"
    block_openvino_telemetry()  # before anything imports openvino (Ultralytics' OpenVINO backend does)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    os.environ.setdefault("YOLO_VERBOSE", "0")
    # Ultralytics sets OMP_NUM_THREADS=1 when unset, which slows numpy/GDAL in this process.
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    _ship_font(config_dir)
    import ultralytics as ul
    from ultralytics.utils import SETTINGS

    # integration callbacks load whenever their package is installed; switch off every one known here
    SETTINGS.update({k: False for k in SETTINGS if isinstance(SETTINGS[k], bool) and k != "openvino_msg"})
    from ultralytics.utils import torch_utils

    # its device selection sets torch to cores - 1 threads (min 1: a single thread on 2 cores); use them all
    torch_utils.NUM_THREADS = os.cpu_count() or 1
    return ul


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256(path: Path) -> Path:
    """Write <weights>.sha256 beside a weights file (sha256sum format)."""
    side = Path(str(path) + ".sha256")
    side.write_text(f"{sha256_of(path)}  {Path(path).name}\n")
    return side


def verify_sha256(path: Path) -> str:
    """The sha256 of a weights file, refusing one that does not match its <weights>.sha256 sidecar."""
    path = Path(path)
    if not path.exists():
        raise TankerwatchError(f"{path}: model weights not found")
    side = Path(str(path) + ".sha256")
    if not side.exists():
        raise TankerwatchError(
            f"{path}: no checksum file {side.name}; weights are verified before loading "
            f"(create it with: sha256sum {path.name} > {side.name})"
        )
    expected = (side.read_text().split() or [""])[0].lower()
    actual = sha256_of(path)
    if actual != expected:
        raise TankerwatchError(f"{path}: sha256 {actual[:12]}… does not match {side.name} ({expected[:12]}…)")
    return actual


def load_checked_state(weights: Path, what: str) -> dict:
    """A second-stage model's saved state (torch.save of a dict), after its sha256 check."""
    import torch

    verify_sha256(Path(weights))
    try:
        return torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as e:
        raise TankerwatchError(f"{weights}: cannot load {what} weights ({e})") from None


def _show_training_progress() -> None:
    """Let Ultralytics print its epoch lines and progress bars (prediction stays quiet)."""
    import logging

    from ultralytics import utils

    utils.VERBOSE = True  # read at call time by Ultralytics' progress bars
    utils.LOGGER.setLevel(logging.INFO)


def _set_threads(n: int) -> None:
    """Use n CPU threads in torch (Ultralytics resets it to cores - 1)."""
    import torch

    torch.set_num_threads(max(1, n))


def resolve_device(device: str) -> str:
    """Map 'cpu', 'cuda', '0', '0,1' to an Ultralytics device string, checking CUDA exists."""
    return ",".join(device_list(device))


def device_list(device: str) -> list[str]:
    """The devices a --device value names: ['cpu'], every visible GPU for 'cuda', or the GPUs listed ('0,1')."""
    import torch

    d = str(device).strip().lower()
    if d in ("", "cpu"):
        return ["cpu"]
    if not torch.cuda.is_available():
        raise TankerwatchError(f"--device {device}: CUDA is not available on this host (use --device cpu)")
    if d == "cuda":
        return [str(i) for i in range(torch.cuda.device_count())]
    ids = [p.strip().removeprefix("cuda:") for p in d.split(",") if p.strip()]
    bad = [i for i in ids if not i.isdigit() or int(i) >= torch.cuda.device_count()]
    if bad or not ids:
        raise TankerwatchError(f"--device {device}: no such GPU (this host has {torch.cuda.device_count()})")
    return ids


EXPORT_SUFFIX = {"onnx": ".onnx", "openvino": "_openvino_model", "openvino-int8": "-int8_openvino_model"}


def block_openvino_telemetry() -> None:
    """Make OpenVINO's converter use its no-op telemetry stub: it would otherwise report conversions online.

    `import openvino` imports its converter, which imports openvino_telemetry inside try/except
    ImportError and falls back to a stub; so this must run before openvino is first imported.
    """
    import sys

    # a None entry is how Python marks a module as not importable (the stub path), not a Module
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]


def _export(
    model, weights: Path, fmt: str, imgsz: int, batch: int = 1, device: str = "cpu", half: bool = False
) -> Path:
    """Ultralytics' fixed-shape export of a loaded model, quiet; a failure is one line naming the weights."""
    extra = {"simplify": False} if fmt in ("onnx", "engine") else {}  # simplifying needs onnxslim and onnxruntime
    try:
        with warnings.catch_warnings():  # the tracer's warnings concern shapes a fixed export never sees
            warnings.simplefilter("ignore")
            return Path(
                model.export(format=fmt, imgsz=imgsz, batch=batch, device=device, half=half, dynamic=False, **extra)
            )
    except (ImportError, ModuleNotFoundError) as e:
        raise TankerwatchError(
            f"{weights}: {fmt} export needs {e.name or e} (pip install 'tankerwatch[export]')"
        ) from None
    except Exception as e:
        raise TankerwatchError(f"{weights}: {fmt} export failed ({str(e).splitlines()[0]})") from None


def runtime_export(weights: Path, sha256: str, runtime: str, imgsz: int, batch: int) -> Path:
    """The weights (of that sha256) exported for a CPU runtime at a fixed tile size and batch, made once and cached."""
    import tempfile

    module = {"onnx": "onnxruntime", "openvino": "openvino", "openvino-int8": "openvino"}[runtime]
    ultralytics()  # offline set-up first, OpenVINO's telemetry included
    try:
        __import__(module)
    except ImportError:
        raise TankerwatchError(
            f"runtime {runtime}: the {module} package is not installed "
            f"(pip install {module}, or --set detect.runtime=torch)"
        ) from None
    cache = tankerwatch_home() / "exports"
    target = cache / f"{sha256[:16]}-{imgsz}px-b{batch}{EXPORT_SUFFIX[runtime]}"
    if target.exists():
        return target
    if runtime == "openvino-int8":  # the float export, quantized (models/quantize.py)
        from tankerwatch.models.quantize import quantize_export

        return quantize_export(runtime_export(weights, sha256, "openvino", imgsz, batch), target, imgsz, batch)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        # Ultralytics writes the export beside the weights: export a private copy, then move it in place whole
        copy = Path(tmp) / "model.pt"
        shutil.copyfile(weights, copy)
        return move_into_place(_export(_load_yolo(copy, weights), weights, runtime, imgsz, batch), target)


def move_into_place(staged: Path, target: Path) -> Path:
    """Rename a finished export into the cache whole; where another process put one there first, keep that."""
    try:
        staged.rename(target)
    except OSError:
        if not target.exists():
            raise
    return target


def _load_yolo(path: Path, weights: Path):
    """An Ultralytics OBB model from a checkpoint or an export of the given weights."""
    try:
        return ultralytics().YOLO(str(path), task="obb")
    except Exception as e:  # a corrupt or foreign checkpoint
        raise TankerwatchError(f"{weights}: cannot load model ({e})") from None


class Detector:
    """An oriented-box ship detector over uint8 RGB tiles, on one device and runtime."""

    def __init__(
        self,
        weights: Path | None = None,
        device: str = "cpu",
        imgsz: int = 1024,
        conf: float = 0.25,
        runtime: str = "torch",
        batch: int = 4,
    ) -> None:
        weights = Path(weights) if weights else BUNDLED_WEIGHTS
        sha256 = verify_sha256(weights)
        if runtime not in RUNTIMES:
            raise TankerwatchError(f"runtime {runtime!r}: choose one of {list(RUNTIMES)}")
        devices = device_list(device)
        if len(devices) > 1:
            raise TankerwatchError(
                f"--device {device}: one Detector runs on one device (load_detector spreads over several)"
            )
        self.device = devices[0]
        if runtime == "auto":
            runtime = "openvino" if self.device == "cpu" else "torch"
        if runtime != "torch" and self.device != "cpu":
            raise TankerwatchError(f"runtime {runtime}: runs on the CPU; use --device cpu or runtime torch on GPUs")
        # exports are fixed-shape: every call gets exactly `batch` tiles of imgsz (padded with blanks)
        source = weights if runtime == "torch" else runtime_export(weights, sha256, runtime, imgsz, batch)
        self.model = _load_yolo(source, weights)
        names = [self.model.names[i] for i in sorted(self.model.names)]
        if names != list(SHIP_CLASSES):
            raise TankerwatchError(f"{weights}: model classes {names} are not {list(SHIP_CLASSES)}")
        self.runtime = runtime
        self.batch = batch
        self.imgsz = imgsz
        self.conf = conf
        self.weights = weights

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """Oriented boxes per tile as rows (cx, cy, w, h, angle_rad, confidence, class_index) in tile pixels."""
        out: list[np.ndarray] = []
        for i in range(0, len(tiles), self.batch):
            out += self._predict_batch(tiles[i : i + self.batch])
        return out

    def _predict_batch(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """predict() for at most one batch of tiles."""
        if not tiles:
            return []
        bgr = [np.ascontiguousarray(t[..., ::-1]) for t in tiles]
        n = len(bgr)
        if self.runtime != "torch" and n < self.batch:
            bgr += [np.zeros_like(bgr[0])] * (self.batch - n)
        results = self.model.predict(
            bgr, imgsz=self.imgsz, conf=self.conf, device=self.device, half=self.device != "cpu", verbose=False
        )
        out = []
        for r in results[:n]:
            obb = r.obb
            if obb is None or len(obb) == 0:
                out.append(np.zeros((0, 7), np.float32))
                continue
            rows = np.concatenate(
                [obb.xywhr.cpu().numpy(), obb.conf.cpu().numpy()[:, None], obb.cls.cpu().numpy()[:, None]], axis=1
            )
            out.append(rows.astype(np.float32))
        return out


class DetectorPool:
    """One Detector per device; each call's tiles are split across the devices and run at the same time."""

    def __init__(self, detectors: list[Detector]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.detectors = detectors
        self.batch = sum(d.batch for d in detectors)  # tiles per call that keep every device busy
        self._pool = ThreadPoolExecutor(len(detectors), thread_name_prefix="tankerwatch-device")

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """Oriented boxes per tile, in the order of the tiles, as Detector.predict gives them."""
        parts, start = [], 0
        for d in self.detectors:  # each device takes its batch's share, in order
            share = -(-len(tiles) * d.batch // self.batch)
            parts.append((d, tiles[start : start + share]))
            start += share
        futures = [self._pool.submit(d.predict, part) for d, part in parts if part]
        return [rows for f in futures for rows in f.result()]


# tiles per model call where detect.batch_size is 0 (auto). On the 2-core CPU, batches of 2 against 4
# (benchmarks/throughput.py, 16k scene, OpenVINO, two runs each): the model 10.1 and 10.6 s against 12.6 and 11.8 s,
# the same wall within the runs' spread, peak RSS 1,363 and 1,408 MB against 1,498 and 1,477 MB. GPUs keep the 4 they
# had (never measured: no GPU was lent).
CPU_BATCH, GPU_BATCH = 2, 4


def batch_for(cfg: DetectConfig, device: str) -> int:
    """Tiles per model call on a device: the configured number, or for 0 (auto) CPU_BATCH or GPU_BATCH."""
    return cfg.batch_size or (CPU_BATCH if device == "cpu" else GPU_BATCH)


def load_detector(weights: Path | None, cfg: DetectConfig, device: str | None = None) -> Detector | DetectorPool:
    """The detector a DetectConfig describes: one device, or a pool over every GPU the device names."""
    devices = device_list(device or cfg.device)
    detectors = [
        Detector(
            weights,
            device=d,
            imgsz=cfg.tile_px,
            conf=cfg.conf_threshold,
            runtime=cfg.runtime,
            batch=batch_for(cfg, d),
        )
        for d in devices
    ]
    return detectors[0] if len(detectors) == 1 else DetectorPool(detectors)


def strip_checkpoint(checkpoint: Path, dest: Path) -> Path:
    """Save a training checkpoint without its optimizer state (the fp16 EMA weights only)."""
    from ultralytics.utils.torch_utils import strip_optimizer

    ultralytics()
    if not strip_optimizer(str(checkpoint), str(dest)):
        raise TankerwatchError(f"{checkpoint}: not a valid Ultralytics checkpoint")
    return Path(dest)


def train_yolo(
    architecture: str,
    data_yaml: Path,
    run_dir: Path,
    *,
    epochs: int,
    imgsz: int,
    batch: int,
    device: str,
    seed: int,
    resume: bool = False,
    threads: int | None = None,
    init_weights: Path | None = None,
    **hyper: Any,
) -> Path:
    """Train YOLO-OBB from the bundled architecture, from scratch or from init_weights (or resume a run); returns
    the best checkpoint path."""
    ul = ultralytics()
    _show_training_progress()
    run_dir = Path(run_dir).resolve()
    last = run_dir / "weights" / "last.pt"
    if resume and last.exists():
        model = ul.YOLO(str(last))
    else:
        if architecture not in ARCHITECTURES:
            raise TankerwatchError(f"model architecture {architecture!r}: choose one of {sorted(ARCHITECTURES)}")
        model = ul.YOLO(str(CFG_DIR / ARCHITECTURES[architecture]), task="obb")
        if init_weights is not None:
            model.load(str(init_weights))  # copies every tensor whose name and shape match
    n_threads = threads or os.cpu_count() or 1
    model.add_callback("on_pretrain_routine_end", lambda trainer: _set_threads(n_threads))
    model.add_callback("on_train_epoch_start", lambda trainer: _set_threads(n_threads))
    args = dict(
        data=str(Path(data_yaml).resolve()),
        epochs=epochs,
        imgsz=imgsz,
        batch=batch,
        device=resolve_device(device),
        seed=seed,
        deterministic=True,
        project=str(run_dir.parent),
        name=run_dir.name,
        exist_ok=True,
        amp=False,  # the AMP check downloads a model
        plots=False,
        verbose=True,
        workers=hyper.pop("workers", 2),
    )
    args.update(hyper)
    if resume and last.exists():
        model.train(resume=True)
    else:
        model.train(**args)
    best = run_dir / "weights" / "best.pt"
    if not best.exists():
        raise TankerwatchError(f"{run_dir}: training finished without a best.pt checkpoint")
    return best


EXPORT_FORMATS = ("onnx", "engine")  # ONNX for CPU runtimes, TensorRT engines for GPUs


def export_model(weights: Path, fmt: str, imgsz: int, device: str = "cpu", half: bool = False) -> Path:
    """Export checksummed weights to ONNX or TensorRT beside them; returns the exported file (with its sha256)."""
    if fmt not in EXPORT_FORMATS:
        raise TankerwatchError(f"export format {fmt!r}: choose one of {sorted(EXPORT_FORMATS)}")
    weights = Path(weights)
    verify_sha256(weights)
    device = device_list(device)[0]  # an engine is built on one GPU
    if fmt == "engine" and device == "cpu":
        raise TankerwatchError(f"{weights}: a TensorRT engine is built on a CUDA GPU (use --device 0)")
    out = _export(_load_yolo(weights, weights), weights, fmt, imgsz, device=device, half=half)
    write_sha256(out)
    return out
