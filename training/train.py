"""Training entry point: YOLO-OBB from the bundled architecture on a chip dataset, seeded, resumable."""

from __future__ import annotations

import csv
import json
import shlex
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tankerwatch.config import _build, read_yaml
from tankerwatch.io import atomic_write_text
from tankerwatch.models.detector import (
    BUNDLED_WEIGHTS,
    sha256_of,
    strip_checkpoint,
    train_yolo,
    verify_sha256,
    write_sha256,
)
from tankerwatch.schema import TankerwatchError

ALLOWED_HYPER = {
    "degrees",
    "fliplr",
    "flipud",
    "mosaic",
    "close_mosaic",
    "scale",
    "translate",
    "hsv_h",
    "hsv_s",
    "hsv_v",
    "lr0",
    "lrf",
    "cos_lr",
    "warmup_epochs",
    "momentum",
    "weight_decay",
    "mixup",
    "optimizer",
    "cache",
    "fraction",
    "time",  # hours: Ultralytics fits the epochs (and the LR schedule) into this budget
}


@dataclass
class TrainConfig:
    """A training job: architecture, schedule, seed, device and augmentation."""

    architecture: str = "n"
    epochs: int = 30
    imgsz: int = 512
    batch: int = 16
    seed: int = 0
    device: str = "cpu"
    workers: int = 2
    patience: int = 100
    init_weights: str = ""  # start from these weights (fine-tuning; "bundled": models/weights/tankerwatch-obb.pt)
    hyper: dict = field(default_factory=dict)


def load_train_config(path: Path, overrides: dict | None = None) -> TrainConfig:
    """Load a configs/train/*.yaml file, validated, with CLI overrides on top."""
    data = {**read_yaml(path), **(overrides or {})}
    hyper = data.get("hyper") or {}
    if not isinstance(hyper, dict) or set(hyper) - ALLOWED_HYPER:
        raise TankerwatchError(f"{path}: hyper: unknown key(s) {sorted(set(hyper) - ALLOWED_HYPER)}")
    data["hyper"] = {}
    cfg = _build(TrainConfig, data, str(path))
    cfg.hyper = dict(hyper)
    return cfg


def final_metrics(run_dir: Path) -> dict:
    """Last-epoch validation metrics from the Ultralytics results.csv of a run."""
    path = run_dir / "results.csv"
    if not path.exists():
        return {}
    rows = list(csv.DictReader(path.open()))
    if not rows:
        return {}
    last = {k.strip(): v for k, v in rows[-1].items()}
    keep = ("epoch", "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)")
    return {k: float(last[k]) for k in keep if k in last}


def write_summary(
    cfg: TrainConfig, data_yaml: Path, run_dir: Path, best: Path, started: datetime, note: str = ""
) -> dict:
    """Record how a checkpoint was made (command, config, data, metrics, sha256) in train_summary.json."""
    write_sha256(best)
    summary = {
        "command": " ".join(shlex.quote(a) for a in ["tankerwatch", *sys.argv[1:]]),
        "config": asdict(cfg),
        "data": str(Path(data_yaml).resolve()),
        "started": started.isoformat(),
        "finished": datetime.now(timezone.utc).isoformat(),
        "best": str(best),
        "sha256": sha256_of(best),
        "val_metrics": final_metrics(run_dir),
        "init_sha256": sha256_of(init) if (init := resolve_init(cfg.init_weights)) else None,
        "note": note,
    }
    atomic_write_text(run_dir / "train_summary.json", json.dumps(summary, indent=2))
    return summary


def finalize_interrupted(cfg: TrainConfig, data_yaml: Path, run_dir: Path) -> Path:
    """Turn the best checkpoint of a stopped run into publishable weights, saying where it stopped."""
    run_dir = Path(run_dir).resolve()
    best = run_dir / "weights" / "best.pt"
    if not best.exists():
        raise TankerwatchError(f"{run_dir}: no weights/best.pt to finalize (has an epoch finished?)")
    final = strip_checkpoint(best, run_dir / "weights" / "best_final.pt")
    epochs_done = int(final_metrics(run_dir).get("epoch", 0))
    started = datetime.fromtimestamp((run_dir / "args.yaml").stat().st_mtime, timezone.utc)
    write_summary(
        cfg,
        data_yaml,
        run_dir,
        final,
        started,
        note=f"stopped after epoch {epochs_done} of {cfg.epochs}; best.pt by validation fitness",
    )
    return final


def resolve_init(init: str) -> Path | None:
    """The weights a run starts from: none, the bundled detector, or a checksummed file."""
    if not init:
        return None
    path = BUNDLED_WEIGHTS if init == "bundled" else Path(init)
    if not path.exists():
        raise TankerwatchError(f"{path}: init_weights not found")
    verify_sha256(path)
    return path


def train(cfg: TrainConfig, data_yaml: Path, run_dir: Path, resume: bool = False) -> Path:
    """Run a training job and write its summary; returns the checksummed best checkpoint."""
    data_yaml = Path(data_yaml)
    if not data_yaml.exists():
        raise TankerwatchError(f"{data_yaml}: dataset YAML not found (build one with: tankerwatch dataset synth)")
    run_dir = Path(run_dir).resolve()
    started = datetime.now(timezone.utc)
    best = train_yolo(
        cfg.architecture,
        data_yaml,
        run_dir,
        epochs=cfg.epochs,
        imgsz=cfg.imgsz,
        batch=cfg.batch,
        device=cfg.device,
        seed=cfg.seed,
        resume=resume,
        workers=cfg.workers,
        patience=cfg.patience,
        init_weights=resolve_init(cfg.init_weights),
        **cfg.hyper,
    )
    write_summary(cfg, data_yaml, run_dir, best, started)
    return best
