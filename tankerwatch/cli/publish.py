"""`tankerwatch publish` (weights with a model card) and `tankerwatch export` (ONNX, TensorRT)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--eval-report",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="eval_report.json from `tankerwatch eval` to put in the model card.",
)
@click.option(
    "--to",
    "dest",
    type=click.Path(path_type=Path),
    default=None,
    help="Weights file to write (default: the bundled models/weights/tankerwatch-obb.pt).",
)
@click.option(
    "--notes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Markdown file with known limits and notes for the model card.",
)
def publish(run_dir: Path, eval_report: Path | None, dest: Path | None, notes: Path | None) -> None:
    """Publish a training run's best weights with a sha256 and a model card (data, command, metrics).

    \b
    Example:
      tankerwatch publish runs/nano --eval-report eval-out/eval_report.json
    """
    from tankerwatch.models.detector import BUNDLED_WEIGHTS
    from tankerwatch.training.publish import publish as publish_run

    out = publish_run(run_dir, eval_report, dest or BUNDLED_WEIGHTS, notes.read_text() if notes else "")
    click.echo(f"published {out} (+ {out.name}.sha256, MODEL_CARD.md)")


@click.command("export")
@click.option(
    "--model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Weights .pt with its .sha256 (default: the bundled model).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["onnx", "engine"]),
    default="onnx",
    show_default=True,
    help="onnx (CPU runtimes, ONNX Runtime) or engine (TensorRT, built on the GPU that will run it).",
)
@click.option(
    "--imgsz",
    type=click.IntRange(32),
    default=None,
    help="Input size in pixels (default: the inference tile size, detect.tile_px).",
)
@click.option("--device", default="cpu", show_default=True, help="cpu, or a CUDA device (0) for TensorRT.")
@click.option("--half", is_flag=True, help="fp16 weights (TensorRT on a GPU).")
def export_cmd(model: Path | None, fmt: str, imgsz: int | None, device: str, half: bool) -> None:
    """Export the detector to ONNX or TensorRT beside its weights, with a sha256.

    \b
    Example:
      tankerwatch export --format onnx
      tankerwatch export --model runs/nano/weights/best.pt --format engine --device 0 --half
    """
    from tankerwatch.config import load_inference_config
    from tankerwatch.models.detector import BUNDLED_WEIGHTS, export_model

    size = imgsz or load_inference_config().detect.tile_px
    out = export_model(model or BUNDLED_WEIGHTS, fmt, size, device, half)
    click.echo(f"exported {out} ({size} px input; sha256 in {out.name}.sha256)")
