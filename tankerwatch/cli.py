"""The `tankerwatch` command line: run, demo, synth, dataset, train."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


class _Group(click.Group):
    """A command group that turns TankerwatchError into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TankerwatchError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)


def _progress(total: int, label: str):
    """A tqdm progress bar on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="scene", file=sys.stderr, dynamic_ncols=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="tankerwatch")
def main() -> None:
    """Find tankers in satellite scenes of ports, measure them, match them against sanctioned
    vessels and emit port-visit alerts.

    \b
    Quick start:
      tankerwatch demo                       # synthesise a Vostochny scene and run the main job
      tankerwatch run scenes/ --out out/     # detections, identifications and alerts
    """


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the scenes.")
@click.option("--n", "count", type=click.IntRange(1), default=1, show_default=True, help="Number of scenes.")
@click.option("--seed", type=int, default=0, show_default=True, help="First seed; scene i uses seed + i.")
@click.option("--gsd", "gsd_m", type=click.FloatRange(0.05, 10), default=None, help="Fix the GSD (m/px); default varies 0.3-2 m.")
def synth(out_dir: Path, count: int, seed: int, gsd_m: float | None) -> None:
    """Generate synthetic georeferenced port scenes with ground truth.

    Each scene is written as <id>.tif (GeoTIFF), <id>.json (STAC Item) and
    <id>.truth.geojson (hull footprints, class, length_m, beam_m, heading_deg).

    \b
    Example:
      tankerwatch synth --out scenes/ --n 5 --seed 42
    """
    from tankerwatch.datasets.synth import generate_scene, random_spec, write_scene

    with _progress(count, "synth") as bar:
        for i in range(count):
            spec = random_spec(seed + i)
            if gsd_m:
                spec.gsd_m = gsd_m
            write_scene(generate_scene(spec), out_dir, f"synth_{seed + i:06d}")
            bar.update(1)
    click.echo(f"wrote {count} scene(s) to {out_dir}")


@main.group()
def dataset() -> None:
    """Build training datasets (YOLO-OBB chips at the working GSD)."""


@dataset.command("synth")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option("--n-train", type=click.IntRange(1), default=150, show_default=True, help="Training scenes.")
@click.option("--n-val", type=click.IntRange(1), default=16, show_default=True, help="Validation scenes (disjoint seeds).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--working-gsd", "working_gsd_m", type=float, default=1.0, show_default=True, help="Chip GSD in m/px.")
@click.option("--chip", "chip_px", type=int, default=512, show_default=True, help="Chip side in pixels.")
@click.option("--max-chips", type=int, default=10, show_default=True, help="Chips per scene at most.")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
def dataset_synth(out_dir, n_train, n_val, seed, working_gsd_m, chip_px, max_chips, workers) -> None:
    """Generate synthetic scenes and cut them into a YOLO-OBB dataset with data.yaml.

    \b
    Example:
      tankerwatch dataset synth --out data/synth-v1 --n-train 150 --n-val 16 --seed 0
    """
    from tankerwatch.datasets.builder import build_synthetic_dataset

    with _progress(n_train + n_val, "scenes") as bar:
        data_yaml = build_synthetic_dataset(
            out_dir, n_train, n_val, seed=seed, working_gsd_m=working_gsd_m, chip_px=chip_px,
            max_chips=max_chips, workers=workers, progress=lambda n: bar.update(1),
        )
    click.echo(f"dataset ready: {data_yaml}")


@dataset.command("build")
@click.argument("scenes", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option("--split", type=click.Choice(["train", "val"]), default="train", show_default=True)
@click.option("--working-gsd", "working_gsd_m", type=float, default=1.0, show_default=True)
@click.option("--chip", "chip_px", type=int, default=512, show_default=True)
@click.option("--max-chips", type=int, default=10, show_default=True)
def dataset_build(scenes, out_dir, split, working_gsd_m, chip_px, max_chips) -> None:
    """Cut labelled GeoTIFFs (each with <scene>.truth.geojson beside it) into a dataset split.

    \b
    Example:
      tankerwatch dataset build labelled/*.tif --out data/mine --split train
    """
    from tankerwatch.datasets.builder import build_dataset_from_scenes

    with _progress(len(scenes), "scenes") as bar:
        data_yaml = build_dataset_from_scenes(
            list(scenes), out_dir, split, working_gsd_m, chip_px, max_chips, progress=lambda n: bar.update(1)
        )
    click.echo(f"dataset ready: {data_yaml}")


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), required=True,
              help="Training config, e.g. configs/train/nano-cpu.yaml.")
@click.option("--data", "data_yaml", type=click.Path(path_type=Path), required=True, help="Dataset data.yaml.")
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True,
              help="Run folder: logs, checkpoints, train_summary.json.")
@click.option("--device", default=None, help="Override the config: cpu, 0, 0,1 (all GPUs: DDP).")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Override the config's epochs.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last.pt.")
def train(config_path: Path, data_yaml: Path, run_dir: Path, device: str | None, epochs: int | None, resume: bool) -> None:
    """Train the YOLO-OBB tanker detector from the bundled architecture (offline, seeded).

    \b
    Example:
      tankerwatch train --config configs/train/nano-cpu.yaml --data data/synth-v1/data.yaml --run-dir runs/nano
    """
    from tankerwatch.training.train import load_train_config, train as run_training

    overrides = {k: v for k, v in {"device": device, "epochs": epochs}.items() if v is not None}
    cfg = load_train_config(config_path, overrides)
    best = run_training(cfg, data_yaml, run_dir, resume=resume)
    click.echo(f"best checkpoint: {best} (sha256 in {best.name}.sha256)")


if __name__ == "__main__":
    main()
