"""`tankerwatch train` (the detector) and `tankerwatch train-stage` (the second-stage models)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="Training config, e.g. configs/train/nano-cpu.yaml.",
)
@click.option("--data", "data_yaml", type=click.Path(path_type=Path), required=True, help="Dataset data.yaml.")
@click.option(
    "--run-dir",
    type=click.Path(path_type=Path),
    default=Path("runs/train"),
    show_default=True,
    help="Run folder: logs, checkpoints, train_summary.json.",
)
@click.option("--device", default=None, help="Override the config: cpu, 0, 0,1 (all GPUs: DDP).")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Override the config's epochs.")
@click.option(
    "--hours",
    type=click.FloatRange(0.01),
    default=None,
    help="Override the config's time budget (hyper.time): the schedule is fitted into it.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last.pt.")
@click.option(
    "--finalize",
    is_flag=True,
    help="Do not train: turn a stopped run's best.pt into publishable weights (optimizer stripped, sha256, summary).",
)
def train(
    config_path: Path,
    data_yaml: Path,
    run_dir: Path,
    device: str | None,
    epochs: int | None,
    hours: float | None,
    resume: bool,
    finalize: bool,
) -> None:
    """Train the YOLO-OBB tanker detector from the bundled architecture (offline, seeded).

    \b
    Example:
      tankerwatch train --config configs/train/nano-cpu.yaml --data data/synth-v1/data.yaml --run-dir runs/nano
      tankerwatch train --config configs/train/transfer-cpu.yaml --data data/transfer-v2/data.yaml --hours 1.2
    """
    from tankerwatch.training.train import finalize_interrupted, load_train_config
    from tankerwatch.training.train import train as run_training

    overrides = {k: v for k, v in {"device": device, "epochs": epochs}.items() if v is not None}
    cfg = load_train_config(config_path, overrides)
    if hours is not None:
        cfg.hyper["time"] = hours
    if finalize:
        best = finalize_interrupted(cfg, data_yaml, run_dir)
    else:
        best = run_training(cfg, data_yaml, run_dir, resume=resume)
    click.echo(f"best checkpoint: {best} (sha256 in {best.name}.sha256)")


@click.command("train-stage")
@click.argument("stage", type=click.Choice(["ship-type", "water-mask"]))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder written by `tankerwatch dataset stages`.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Weights file (default: runs/<stage>.pt); a .sha256 and a metrics .json go beside it.",
)
@click.option("--epochs", type=click.IntRange(1), default=12, show_default=True)
@click.option("--batch", type=click.IntRange(1), default=64, show_default=True)
@click.option("--lr", type=click.FloatRange(1e-6, 1.0), default=2e-3, show_default=True)
@click.option("--width", type=click.IntRange(4), default=None, help="Network width (channels of the first layer).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
def train_stage(stage, data_dir, out_path, epochs, batch, lr, width, seed, device) -> None:
    """Train a second-stage model: the ship-type classifier or the water mask.

    \b
    Example:
      tankerwatch train-stage ship-type --data data/stages --out runs/ship-type.pt
      tankerwatch train-stage water-mask --data data/stages --out runs/water-mask.pt --epochs 20
    """
    from tankerwatch.training.stages import StageTrainConfig, train_ship_type, train_water_mask

    out_path = out_path or Path("runs") / f"{stage}.pt"
    cfg = StageTrainConfig(epochs=epochs, batch=batch, lr=lr, seed=seed, device=device, width=width or 16)
    if stage == "ship-type":
        m = train_ship_type(data_dir / "chips.npz", out_path, cfg, log=click.echo)
        click.echo(
            f"held-out accuracy {m['accuracy']:.3f}; "
            + ", ".join(f"{t} P {v['precision']} R {v['recall']}" for t, v in m["per_type"].items())
        )
    else:
        m = train_water_mask(data_dir / "water.npz", out_path, cfg, log=click.echo)
        click.echo(f"held-out water IoU {m['water_iou']}, land IoU {m['land_iou']}")
    click.echo(f"weights: {out_path} (sha256 and metrics beside it)")
