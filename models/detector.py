"""Detector adapter: the only module importing Ultralytics. Offline setup, build, train, predict."""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

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


def verify_sha256(path: Path) -> None:
    """Refuse a weights file whose sha256 does not match its <weights>.sha256 sidecar."""
    path = Path(path)
    if not path.exists():
        raise TankerwatchError(f"{path}: model weights not found")
    side = Path(str(path) + ".sha256")
    if not side.exists():
        raise TankerwatchError(
            f"{path}: no checksum file {side.name}; weights are verified before loading "
            f"(create it with: sha256sum {path.name} > {side.name})"
        )
    expected = side.read_text().split()[0].lower() if side.read_text().strip() else ""
    actual = sha256_of(path)
    if actual != expected:
        raise TankerwatchError(f"{path}: sha256 {actual[:12]}… does not match {side.name} ({expected[:12]}…)")


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
    import torch

    d = str(device).strip().lower()
    if d in ("", "cpu"):
        return "cpu"
    if not torch.cuda.is_available():
        raise TankerwatchError(f"--device {device}: CUDA is not available on this host (use --device cpu)")
    return "0" if d == "cuda" else d


class Detector:
    """An oriented-box ship detector over uint8 RGB tiles."""

    def __init__(self, weights: Path | None = None, device: str = "cpu", imgsz: int = 1024, conf: float = 0.25) -> None:
        weights = Path(weights) if weights else BUNDLED_WEIGHTS
        verify_sha256(weights)
        yolo = ultralytics().YOLO
        try:
            self.model = yolo(str(weights), task="obb")
        except Exception as e:  # a corrupt or foreign checkpoint
            raise TankerwatchError(f"{weights}: cannot load model ({e})") from None
        names = [self.model.names[i] for i in sorted(self.model.names)]
        if names != list(SHIP_CLASSES):
            raise TankerwatchError(f"{weights}: model classes {names} are not {list(SHIP_CLASSES)}")
        self.device = resolve_device(device)
        self.imgsz = imgsz
        self.conf = conf
        self.weights = weights

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """Oriented boxes per tile as rows (cx, cy, w, h, angle_rad, confidence, class_index) in tile pixels."""
        if not tiles:
            return []
        bgr = [np.ascontiguousarray(t[..., ::-1]) for t in tiles]
        results = self.model.predict(
            bgr, imgsz=self.imgsz, conf=self.conf, device=self.device, half=self.device != "cpu", verbose=False
        )
        _set_threads(os.cpu_count() or 1)
        out = []
        for r in results:
            obb = r.obb
            if obb is None or len(obb) == 0:
                out.append(np.zeros((0, 7), np.float32))
                continue
            rows = np.concatenate(
                [obb.xywhr.cpu().numpy(), obb.conf.cpu().numpy()[:, None], obb.cls.cpu().numpy()[:, None]], axis=1
            )
            out.append(rows.astype(np.float32))
        return out


def strip_checkpoint(checkpoint: Path, dest: Path) -> Path:
    """Save a training checkpoint without its optimizer state (the fp16 EMA weights only)."""
    from ultralytics.utils.torch_utils import strip_optimizer

    ultralytics()
    if not strip_optimizer(str(checkpoint), str(dest)):
        raise TankerwatchError(f"{checkpoint}: not a valid Ultralytics checkpoint")
    return Path(dest)


def train_yolo(
    architecture: str, data_yaml: Path, run_dir: Path, *, epochs: int, imgsz: int, batch: int, device: str,
    seed: int, resume: bool = False, threads: int | None = None, **hyper: Any,
) -> Path:
    """Train YOLO-OBB from the bundled architecture (or resume a run); returns the best checkpoint path."""
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
    n_threads = threads or os.cpu_count() or 1
    model.add_callback("on_pretrain_routine_end", lambda trainer: _set_threads(n_threads))
    model.add_callback("on_train_epoch_start", lambda trainer: _set_threads(n_threads))
    args = dict(
        data=str(Path(data_yaml).resolve()), epochs=epochs, imgsz=imgsz, batch=batch, device=resolve_device(device),
        seed=seed, deterministic=True, project=str(run_dir.parent), name=run_dir.name, exist_ok=True,
        amp=False,  # the AMP check downloads a model
        plots=False, verbose=True, workers=hyper.pop("workers", 2),
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
    device = resolve_device(device)
    if fmt == "engine" and device == "cpu":
        raise TankerwatchError(f"{weights}: a TensorRT engine is built on a CUDA GPU (use --device 0)")
    model = ultralytics().YOLO(str(weights), task="obb")
    try:
        # simplify needs onnxslim and onnxruntime; the plain graph is what every runtime loads
        out = Path(model.export(format=fmt, imgsz=imgsz, device=device, half=half, simplify=False, dynamic=False))
    except (ImportError, ModuleNotFoundError) as e:
        raise TankerwatchError(f"{weights}: {fmt} export needs {e.name or e} (pip install 'tankerwatch[export]')") from None
    write_sha256(out)
    return out
