"""`tankerwatch eval`: score a model on labelled scenes and real labelled images."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.cli.options import _bundled, _run_main_job
from tankerwatch.schema import TankerwatchError


@click.command("eval")
@click.argument("scenes", nargs=-1, required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for detections and eval_report.json.",
)
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Weights (default: the bundled model).")
@click.option("--device", default=None, help="cpu, cuda, 0 or 0,1.")
@click.option(
    "--iou",
    "iou_threshold",
    type=click.FloatRange(0.05, 0.95),
    default=0.5,
    show_default=True,
    help="Footprint IoU for a detection to count as found.",
)
@click.option(
    "--real",
    "real_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Also score real labelled images (recall by length, precision, false detections per image, "
    "through the same stages as run): a folder with index.csv and/or index_more.csv (DOTA, YOLO-OBB, "
    "YOLO HBB, FAIR1M XML labels; images without labels are negatives), "
    "e.g. ../shared/realworld/imagery.",
)
@click.option(
    "--save-errors",
    is_flag=True,
    help="Store the fitted measurement error model beside the model's weights (<weights>.errors.json), "
    "where `run` reads it.",
)
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override an inference setting.")
def evaluate_cmd(scenes, out_dir, model, device, iou_threshold, real_dir, save_errors, overrides) -> None:
    """Score a model on labelled scenes (<scene>.truth.geojson beside each): AP50, AP50:95, P/R,
    length/beam/heading error.

    Runs the main job over the whole of each scene, then matches detections to the truth. It also
    tabulates what each true ship type (from the truth's kind) was called, matching regardless of class,
    and splits false detections into land and water (per km2) where <scene>.land.geojson exists.
    With --real DIR it also measures ship recall by length bin (any class counts as a ship) on the
    real images DIR/index.csv lists, each resampled to the working GSD; SCENES may then be left out.
    On SCENES it fits the measurement error model per GSD (bias, core spread, outlier share of
    tanker length and beam) and writes it to OUT/measurement_errors.json (--save-errors: also
    beside the weights, where the matcher reads it).

    \b
    Example:
      tankerwatch synth --out heldout/ --n 12 --seed 2000000
      tankerwatch eval heldout/ --out eval-out/
      tankerwatch eval heldout/ --out eval-out/ --save-errors
      tankerwatch eval --real ../shared/realworld/imagery --out eval-real/
    """
    import json as _json
    from dataclasses import asdict

    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.io import atomic_write_text
    from tankerwatch.training.evaluate import (
        SceneEval,
        confusion_table,
        evaluate,
        evaluate_types,
        land_from_geojson,
        predictions_from_geojson,
        report_table,
        scene_frame,
        truth_from_geojson,
    )

    if not scenes and real_dir is None:
        raise TankerwatchError("eval: give labelled SCENES, --real DIR, or both")
    report: dict = {}
    if scenes:
        results = _run_main_job(
            scenes,
            _bundled("registry.csv"),
            _bundled("ports.geojson"),
            out_dir,
            True,
            model,
            device,
            None,
            None,
            overrides,
            True,
        )
        evals = []
        for r in results:
            if r.status != "done":
                continue
            truth = r.path.with_name(r.path.stem + ".truth.geojson")
            if not truth.exists():
                raise TankerwatchError(f"{truth}: ground truth not found for {r.path.name}")
            scene = open_scene(r.path)
            frame = scene_frame(scene)
            land = r.path.with_name(r.path.stem + ".land.geojson")  # absent for older scenes: no land split
            evals.append(
                SceneEval(
                    r.scene_id,
                    truth_from_geojson(truth, scene.gsd_m, frame),
                    predictions_from_geojson(out_dir / "detections" / f"{r.scene_id}.geojson"),
                    land_from_geojson(land) if land.exists() else None,
                    frame,
                )
            )
        reports = evaluate(evals, iou_threshold=iou_threshold)
        types = evaluate_types(evals, iou_threshold=iou_threshold)
        report = {
            "scenes": len(evals),
            "iou_threshold": iou_threshold,
            "classes": {k: asdict(v) for k, v in reports.items()},
            **asdict(types),
        }  # "confusion", "false_detections"
        click.echo(report_table(reports))
        click.echo("\n" + confusion_table(types))
        report["measurement_errors"] = _fit_errors(evals, out_dir, model, save_errors)
    if real_dir is not None:
        report["realworld"] = _evaluate_real(real_dir, model, device, overrides)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "eval_report.json", _json.dumps(report, indent=2))
    done = [f"{report['scenes']} scenes"] if scenes else []
    done += [f"{report['realworld']['overall']['images']} real images"] if real_dir is not None else []
    click.echo(f"\nreport: {out_dir / 'eval_report.json'} ({', '.join(done)})")


def _fit_errors(evals, out_dir: Path, model: Path | None, save: bool) -> dict:
    """Fit the measurement error model on the scenes' tankers, print it, write it to OUT (and beside the weights)."""
    from tankerwatch.inference.measurement_error import (
        error_model_dict,
        error_model_table,
        fit_error_model,
        save_error_model,
        sidecar_path,
    )
    from tankerwatch.models.detector import BUNDLED_WEIGHTS
    from tankerwatch.training.evaluate import GSD_BINS_M, tanker_size_pairs

    pairs = tanker_size_pairs(evals)
    fitted = fit_error_model(pairs, GSD_BINS_M, f"tankerwatch eval of {len(evals)} scenes, {len(pairs)} tankers")
    if not fitted.fits:
        click.echo(f"\nmeasurement errors: too few tankers per GSD to fit ({len(pairs)} in all)")
        return error_model_dict(fitted)
    click.echo("\nmeasurement error model (tankers, measured minus true):\n" + error_model_table(fitted))
    save_error_model(fitted, Path(out_dir) / "measurement_errors.json")
    if save:
        stored = save_error_model(fitted, sidecar_path(Path(model or BUNDLED_WEIGHTS)))
        click.echo(f"stored beside the weights: {stored}")
    return error_model_dict(fitted)


def _evaluate_real(real_dir: Path, model, device, overrides) -> dict:
    """Ship recall by length on a folder of real labelled images; prints its table, returns the report section."""
    from tqdm import tqdm

    from tankerwatch.config import load_inference_config, parse_overrides
    from tankerwatch.inference.pipeline import image_hull_filter, load_stages
    from tankerwatch.models import detector as detector_module
    from tankerwatch.training.realworld import evaluate_realworld, load_real_images, realworld_table, report_dict

    full = load_inference_config(None, parse_overrides(overrides))
    cfg = full.detect
    n_images = len(load_real_images(real_dir))  # reads every label first, so a bad file fails before the model loads
    detector = detector_module.load_detector(model, cfg, device)
    # the same stages as `tankerwatch run` after the detector (off with --set stages.water_mask=false ...)
    stages = load_stages(full)
    hull_filter = image_hull_filter(stages, full.stages) if (full.stages.water_mask or full.stages.ship_type) else None
    # and the cascade before the detector, which needs the water mask (off with --set cascade.enabled=false)
    cascade = (stages.masker, full.cascade) if full.stages.water_mask and stages.masker is not None else None
    with tqdm(total=n_images, desc="real images", unit="image", file=sys.stderr, dynamic_ncols=True) as bar:
        real = evaluate_realworld(
            real_dir, detector, cfg, progress=lambda r: bar.update(1), hull_filter=hull_filter, cascade=cascade
        )
    click.echo("\n" + realworld_table(real))
    return report_dict(real)
