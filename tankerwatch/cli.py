"""The `tankerwatch` command line: run, demo, synth, dataset, train, eval, publish, export, registry."""

from __future__ import annotations

import os
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


def _bundled(name: str) -> Path:
    """Path of a file in configs/."""
    from tankerwatch.config import bundled_path

    return bundled_path(name)


def _parse_acquired(value: str | None) -> datetime | None:
    """--acquired as a UTC datetime."""
    if value is None:
        return None
    from tankerwatch.datasets.scene import parse_time

    return parse_time(value, "--acquired")


def _run_main_job(scenes, registry, ports, out_dir, full_scene, model, device, acquired, config, overrides, force,
                  land=None, water=None):
    """Run the main job over scenes, printing one line per scene; returns the results."""
    from tqdm import tqdm

    from tankerwatch.config import load_inference_config, parse_overrides
    from tankerwatch.inference.pipeline import find_scenes, load_context, run_batch

    cfg = load_inference_config(config, parse_overrides(overrides))
    paths = find_scenes(list(scenes))
    if not paths:
        raise TankerwatchError(f"no scenes found in {', '.join(map(str, scenes))} (looked for .tif/.tiff/.vrt/.jp2)")
    ctx = load_context(cfg, registry, ports, out_dir, model, device, full_scene, _parse_acquired(acquired), force,
                       land, water)
    bar = tqdm(total=len(paths), desc="scenes", unit="scene", file=sys.stderr, dynamic_ncols=True)

    def report(res) -> None:
        bar.update(1)
        if res.status == "failed":
            tqdm.write(f"FAILED {res.reason}", file=sys.stderr)
        elif res.status == "skipped":
            tqdm.write(f"skipped {res.path}: {res.reason}", file=sys.stderr)
        else:
            tqdm.write(f"done   {res.path}: {res.detections} ships ({res.tankers} tankers), "
                       f"{res.new_alerts} new alert(s), {res.tiles} tiles", file=sys.stderr)

    results = run_batch(paths, ctx, report)
    bar.close()
    return results


_RUN_OPTIONS = [
    click.option("--registry", type=click.Path(path_type=Path), default=None,
                 help="Registry CSV (default: the bundled configs/registry.csv)."),
    click.option("--ports", type=click.Path(path_type=Path), default=None,
                 help="Ports GeoJSON (default: the bundled configs/ports.geojson)."),
    click.option("--model", type=click.Path(path_type=Path), default=None,
                 help="Weights .pt with a .sha256 beside it (default: the bundled model)."),
    click.option("--device", default=None, help="cpu, cuda, 0 or 0,1 (default: from the config)."),
    click.option("--config", type=click.Path(path_type=Path), default=None,
                 help="Inference YAML (default: configs/inference.yaml)."),
    click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
                 help="Override one config value, e.g. --set detect.conf_threshold=0.4 (repeatable)."),
]


def _with_run_options(f):
    """Attach the options shared by run and demo."""
    for opt in reversed(_RUN_OPTIONS):
        f = opt(f)
    return f


@main.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--full-scene", is_flag=True, help="Look at the whole scene, not only tiles touching a port.")
@click.option("--acquired", default=None, metavar="ISO8601", help="Acquisition time (overrides sidecar and TIFF tag).")
@click.option("--force", is_flag=True, help="Reprocess scenes the manifest marks done (alerts stay unique).")
@click.option("--land", type=click.Path(path_type=Path), default=None,
              help="Land polygons (GeoJSON or GeoPackage, e.g. an OpenStreetMap land export): hulls there are dropped.")
@click.option("--water", type=click.Path(path_type=Path), default=None,
              help="Water polygons (GeoJSON or GeoPackage): always water in the scene's water mask.")
@_with_run_options
def run(scenes, out_dir, full_scene, acquired, force, land, water, registry, ports, model, device, config,
        overrides) -> None:
    """The main job: detect, measure and identify tankers; write detections and port-visit alerts.

    SCENES are GeoTIFF/COG files or folders of them. Outputs in OUT:
    detections/<scene_id>.geojson, masks/<scene_id>.water.tif, alerts.jsonl, alerts.geojson, chips/,
    tankerwatch.sqlite. A hull must float: detections off the water mask are dropped, and a ship-type
    classifier on native pixels types each hull and drops what is not a ship.
    Exit status: 0 every scene done, 1 some scenes failed (each printed), 2 usage error.

    \b
    Example:
      tankerwatch run scenes/ --registry configs/registry.csv --ports configs/ports.geojson --out out/
      tankerwatch run scenes/ --out out/ --full-scene --land osm_land.gpkg
    """
    results = _run_main_job(scenes, registry or _bundled("registry.csv"), ports or _bundled("ports.geojson"),
                            out_dir, full_scene, model, device, acquired, config, overrides, force, land, water)
    failed = [r for r in results if r.status == "failed"]
    done = sum(r.status == "done" for r in results)
    click.echo(f"{done} scene(s) done, {sum(r.status == 'skipped' for r in results)} skipped, "
               f"{len(failed)} failed; {sum(r.new_alerts for r in results)} new alert(s) in {out_dir / 'alerts.jsonl'}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Output folder (scenes go to OUT/scenes).")
@_with_run_options
def demo(out_dir, registry, ports, model, device, config, overrides) -> None:
    """Three synthetic passes over Vostochny with registry tankers and strangers; an analyst's review; the result.

    The first pass is identified on size and type alone; the demo then plays an analyst who
    confirms its right alerts and rejects its wrong ones (`tankerwatch review`); the later passes
    use those decisions (each vessel's look). Every tanker in port is tabled with its ground truth.

    \b
    Example:
      tankerwatch demo --out demo-out
    """
    from tankerwatch.inference.demo import review_by_truth, tanker_verdicts, verdict_table, write_demo_scenes
    from tankerwatch.inference.visits import AlertStore

    registry = registry or _bundled("registry.csv")
    ports = ports or _bundled("ports.geojson")
    scenes_dir = out_dir / "scenes"
    click.echo(f"synthesising demo scenes in {scenes_dir} ...")
    paths = write_demo_scenes(scenes_dir, registry)
    first, later = paths[:1], paths[1:]
    results = _run_main_job(first, registry, ports, out_dir, False, model, device, None, config, overrides, False)
    ids = [p.stem for p in first]
    click.echo("\npass 1, on size and type alone:\n" + verdict_table(tanker_verdicts(out_dir, scenes_dir, ids)))
    with AlertStore(out_dir) as store:
        decisions = review_by_truth(store, scenes_dir, ids)
    click.echo("\nthe analyst reviews pass 1 (as `tankerwatch review OUT confirm|reject ID [--imo IMO]` would):")
    for verb, alert_id, imo in decisions:
        click.echo(f"  {verb} {alert_id}  ({imo})")
    results += _run_main_job(later, registry, ports, out_dir, False, model, device, None, config, overrides, False)
    ids = [p.stem for p in later]
    rows = tanker_verdicts(out_dir, scenes_dir, ids)
    click.echo("\nlater passes, with the analyst's decisions:\n" + verdict_table(rows))
    registry_rows = [r for r in rows if r.truth_imo]
    strangers = [r for r in rows if not r.truth_imo]
    click.echo(f"\nregistry tankers named right {sum(r.outcome == 'right' for r in registry_rows)}/{len(registry_rows)}, "
               f"unidentified {sum(r.outcome == 'unidentified' for r in registry_rows)}, wrong "
               f"{sum(r.outcome == 'WRONG' for r in registry_rows)}; other tankers named "
               f"{sum(r.named is not None for r in strangers)}/{len(strangers)}. "
               f"Alerts: {out_dir / 'alerts.jsonl'}; review: tankerwatch review {out_dir}")
    sys.exit(1 if any(r.status == "failed" for r in results) else 0)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the scenes.")
@click.option("--n", "count", type=click.IntRange(1), default=1, show_default=True, help="Number of scenes.")
@click.option("--seed", type=int, default=0, show_default=True, help="First seed; scene i uses seed + i.")
@click.option("--gsd", "gsd_m", type=click.FloatRange(0.05, 10), default=None,
              help="Fix the GSD (m/px); default varies 0.3-3 m (0.3-1 m with --hard-port or --open-sea).")
@click.option("--hard-port", is_flag=True,
              help="Hard port scenes: realistic land behind the quays (warehouse rows, rail, tank farms, villages, "
                   "bare soil), port structures, 8-25 ships; GSD 0.3-1 m.")
@click.option("--plain", is_flag=True,
              help="The renderer's defaults, no domain randomisation (the demo's and the identification "
                   "benchmark's look), 0.5 m unless --gsd.")
@click.option("--open-sea", is_flag=True,
              help="Open-sea scenes with nothing to find: no land, no ships; cloud, swell and glint; GSD 0.3-1 m.")
def synth(out_dir: Path, count: int, seed: int, gsd_m: float | None, hard_port: bool, open_sea: bool,
          plain: bool) -> None:
    """Generate synthetic georeferenced port scenes with ground truth.

    Each scene is written as <id>.tif (GeoTIFF), <id>.json (STAC Item),
    <id>.truth.geojson (hull footprints, class, length_m, beam_m, heading_deg)
    and <id>.land.geojson (everything that is not open water: land, quays,
    piers, breakwaters, pontoons; kind "land").

    Seeds from 9000000 (EVAL_SEED_BASE) up are for evaluation sets only;
    training sets use seeds below it.

    \b
    Example:
      tankerwatch synth --out scenes/ --n 5 --seed 42
      tankerwatch synth --out eval/hardport --n 20 --seed 9000000 --hard-port
      tankerwatch synth --out eval/opensea --n 10 --seed 9000000 --open-sea
      tankerwatch synth --out eval/plain --n 2 --seed 9002010 --gsd 0.5 --plain
    """
    from tankerwatch.datasets.synth import (
        generate_scene, hard_port_spec, open_sea_spec, plain_spec, random_spec, write_scene,
    )

    if hard_port + open_sea + plain > 1:
        raise click.UsageError("--hard-port, --open-sea and --plain exclude each other: pick one")
    make, prefix = (hard_port_spec, "hardport") if hard_port else (open_sea_spec, "opensea") if open_sea else \
        (plain_spec, "plain") if plain else (random_spec, "synth")
    with _progress(count, "synth") as bar:
        for i in range(count):
            spec = make(seed + i)
            if gsd_m:
                spec.gsd_m = gsd_m
            write_scene(generate_scene(spec), out_dir, f"{prefix}_{seed + i:06d}")
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


@dataset.command("transfer")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option("--scenes", "n_scenes", type=click.IntRange(0), default=170, show_default=True,
              help="Rendered training scenes (randomised, hard-port and open-sea).")
@click.option("--val-scenes", "n_val_scenes", type=click.IntRange(0), default=10, show_default=True)
@click.option("--composites", "n_composites", type=click.IntRange(0), default=330, show_default=True,
              help="Composites of rendered ships on real water (training split).")
@click.option("--val-composites", "n_val_composites", type=click.IntRange(0), default=30, show_default=True,
              help="Composites on the held-out real scene (validation split).")
@click.option("--land-per-class", type=click.IntRange(0), default=6, show_default=True,
              help="UC Merced land mosaics per class (real land, no ship).")
@click.option("--train-ok", type=click.Path(path_type=Path), default=None,
              help="Licensed real imagery (default: ../shared/realworld/train_ok).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--max-chips", type=click.IntRange(1), default=6, show_default=True, help="Chips per rendered scene at most.")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
def dataset_transfer(out_dir, n_scenes, n_val_scenes, n_composites, n_val_composites, land_per_class, train_ok, seed,
                     max_chips, workers) -> None:
    """The detector's training set that transfers to real imagery: rendered scenes with hard negatives,
    rendered ships composited on real water, real land; every chip given the real look.

    \b
    Example:
      tankerwatch dataset transfer --out data/transfer-v2 --scenes 170 --composites 330
    """
    from tqdm import tqdm

    from tankerwatch.datasets.backgrounds import default_train_ok
    from tankerwatch.datasets.transfer_dataset import build_transfer_dataset

    root = train_ok or default_train_ok()
    bar = tqdm(total=n_scenes + n_val_scenes + n_composites + n_val_composites, desc="scenes and composites",
               unit="image", file=sys.stderr, dynamic_ncols=True)
    data_yaml, counts = build_transfer_dataset(
        out_dir, root, n_scenes, n_val_scenes, n_composites, n_val_composites, seed=seed, max_chips=max_chips,
        land_per_class=land_per_class, workers=workers, progress=lambda part, n: bar.update(part != "land"),
    )
    bar.close()
    click.echo(f"chips: rendered {counts.rendered}, composite {counts.composite}, real land {counts.land}")
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


@dataset.command("convert")
@click.argument("images_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("labels", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["dota", "yolo-obb", "yolo-hbb", "hrsc", "fair1m", "xview"]), required=True,
              help="Label format of LABELS.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option("--gsd", "gsd_m", type=click.FloatRange(0, min_open=True), default=None,
              help="Source GSD in m/px (overrides a label header and the image's georeferencing).")
@click.option("--split", type=click.Choice(["train", "val"]), default="train", show_default=True)
@click.option("--working-gsd", "working_gsd_m", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="Chip GSD in m/px.")
@click.option("--chip", "chip_px", type=click.IntRange(32), default=512, show_default=True, help="Chip side in pixels.")
@click.option("--names", "names_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YOLO class names: classes.txt or a data.yaml (default: classes.txt beside the labels).")
@click.option("--map", "mappings", multiple=True, metavar="NAME=CLASS",
              help="Map a source class to tanker, vessel or none (repeatable; adds to the built-in map).")
def dataset_convert(images_dir, labels, fmt, out_dir, gsd_m, split, working_gsd_m, chip_px, names_path, mappings) -> None:
    """Convert labelled images (DOTA, YOLO-OBB, YOLO HBB, HRSC2016, FAIR1M, xView) into a dataset split at the working GSD.

    LABELS is the folder of label files named like the images, or the GeoJSON for xview. Source
    classes become tanker ("Oil Tanker", ...) or vessel (ship, merchant, ferry, ...); others are dropped.
    The source GSD comes from --gsd, else the labels (DOTA gsd header, HRSC Img_Resolution), else the
    image's georeferencing. Each image is cut whole into overlapping chips.

    \b
    Example:
      tankerwatch dataset convert DOTA/images DOTA/labelTxt --format dota --out data/dota-ships
      tankerwatch dataset convert tiles/images tiles/labels --format yolo-hbb --gsd 0.3 --out data/mine --split val
    """
    from tqdm import tqdm

    from tankerwatch.datasets.convert import class_map_with, convert_dataset, find_images, load_class_names, load_labels

    images = find_images(images_dir)
    names = load_class_names(names_path) if names_path else None
    labelled = load_labels(images, labels, fmt, names, class_map_with(mappings))
    chips = []
    with tqdm(total=len(images), desc="images", unit="image", file=sys.stderr, dynamic_ncols=True) as bar:
        data_yaml = convert_dataset(images, labelled, out_dir, split, gsd_m, working_gsd_m, chip_px,
                                    progress=lambda n: (chips.append(n), bar.update(1)))
    ships = sum(len(l.boxes) for l in labelled)
    click.echo(f"{len(images)} image(s), {ships} ship(s) -> {sum(chips)} chip(s); dataset ready: {data_yaml}")


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), required=True,
              help="Training config, e.g. configs/train/nano-cpu.yaml.")
@click.option("--data", "data_yaml", type=click.Path(path_type=Path), required=True, help="Dataset data.yaml.")
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True,
              help="Run folder: logs, checkpoints, train_summary.json.")
@click.option("--device", default=None, help="Override the config: cpu, 0, 0,1 (all GPUs: DDP).")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Override the config's epochs.")
@click.option("--hours", type=click.FloatRange(0.01), default=None,
              help="Override the config's time budget (hyper.time): the schedule is fitted into it.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last.pt.")
@click.option("--finalize", is_flag=True,
              help="Do not train: turn a stopped run's best.pt into publishable weights (optimizer stripped, sha256, summary).")
def train(config_path: Path, data_yaml: Path, run_dir: Path, device: str | None, epochs: int | None,
          hours: float | None, resume: bool, finalize: bool) -> None:
    """Train the YOLO-OBB tanker detector from the bundled architecture (offline, seeded).

    \b
    Example:
      tankerwatch train --config configs/train/nano-cpu.yaml --data data/synth-v1/data.yaml --run-dir runs/nano
      tankerwatch train --config configs/train/transfer-cpu.yaml --data data/transfer-v2/data.yaml --hours 1.2
    """
    from tankerwatch.training.train import finalize_interrupted, load_train_config, train as run_training

    overrides = {k: v for k, v in {"device": device, "epochs": epochs}.items() if v is not None}
    cfg = load_train_config(config_path, overrides)
    if hours is not None:
        cfg.hyper["time"] = hours
    if finalize:
        best = finalize_interrupted(cfg, data_yaml, run_dir)
    else:
        best = run_training(cfg, data_yaml, run_dir, resume=resume)
    click.echo(f"best checkpoint: {best} (sha256 in {best.name}.sha256)")


@dataset.command("stages")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--scenes", "n_scenes", type=click.IntRange(1), default=240, show_default=True,
              help="Rendered training scenes (a mix of randomised, hard-port and open-sea scenes).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="First scene seed.")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="Detector whose boxes become hard examples (default: the bundled model).")
@click.option("--no-detector", is_flag=True, help="Only truth and random boxes (fast; no detector pass).")
@click.option("--train-ok", type=click.Path(path_type=Path), default=None,
              help="Licensed real imagery for hard negatives (default: ../shared/realworld/train_ok when present).")
@click.option("--per-class", type=click.IntRange(0), default=25, show_default=True,
              help="UC Merced mosaics per land class.")
@click.option("--workers", type=click.IntRange(1), default=None, help="Processes (default: 2 or the core count).")
def dataset_stages(out_dir, n_scenes, seed, model, no_detector, train_ok, per_class, workers) -> None:
    """Training data of the second-stage models: hull chips by ship type (chips.npz) and water tiles (water.npz).

    \b
    Example:
      tankerwatch dataset stages --out data/stages --scenes 240
    """
    from tqdm import tqdm

    from tankerwatch.datasets.backgrounds import default_train_ok
    from tankerwatch.datasets.stage_dataset import build_stage_dataset

    root = train_ok or default_train_ok()
    if train_ok is not None and not root.is_dir():
        raise TankerwatchError(f"{root}: --train-ok folder not found")
    bar = tqdm(desc="scenes and real images", unit="image", file=sys.stderr, dynamic_ncols=True)
    summary = build_stage_dataset(out_dir, n_scenes, seed, model, not no_detector, root if root.is_dir() else None,
                                  per_class, workers, progress=lambda _: bar.update(1))
    bar.close()
    click.echo(f"{summary['chips']} chips {summary['chips_by_type']}, {summary['water_tiles']} water tiles "
               f"-> {out_dir / 'chips.npz'}, {out_dir / 'water.npz'}")


@main.command("train-stage")
@click.argument("stage", type=click.Choice(["ship-type", "water-mask"]))
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="Folder written by `tankerwatch dataset stages`.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Weights file (default: runs/<stage>.pt); a .sha256 and a metrics .json go beside it.")
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
    cfg = StageTrainConfig(epochs=epochs, batch=batch, lr=lr, seed=seed, device=device,
                           width=width or 16)
    if stage == "ship-type":
        m = train_ship_type(data_dir / "chips.npz", out_path, cfg, log=click.echo)
        click.echo(f"held-out accuracy {m['accuracy']:.3f}; " + ", ".join(
            f"{t} P {v['precision']} R {v['recall']}" for t, v in m["per_type"].items()))
    else:
        m = train_water_mask(data_dir / "water.npz", out_path, cfg, log=click.echo)
        click.echo(f"held-out water IoU {m['water_iou']}, land IoU {m['land_iou']}")
    click.echo(f"weights: {out_path} (sha256 and metrics beside it)")


@main.command("eval")
@click.argument("scenes", nargs=-1, required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for detections and eval_report.json.")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Weights (default: the bundled model).")
@click.option("--device", default=None, help="cpu, cuda, 0 or 0,1.")
@click.option("--iou", "iou_threshold", type=click.FloatRange(0.05, 0.95), default=0.5, show_default=True,
              help="Footprint IoU for a detection to count as found.")
@click.option("--real", "real_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Also score real labelled images (recall by length, precision, false detections per image, "
                   "through the same stages as run): a folder with index.csv and/or index_more.csv (DOTA, YOLO-OBB, "
                   "YOLO HBB, FAIR1M XML labels; images without labels are negatives), e.g. ../shared/realworld/imagery.")
@click.option("--save-errors", is_flag=True,
              help="Store the fitted measurement error model beside the model's weights (<weights>.errors.json), "
                   "where `run` reads it.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override an inference setting.")
def evaluate_cmd(scenes, out_dir, model, device, iou_threshold, real_dir, save_errors, overrides) -> None:
    """Score a model on labelled scenes (<scene>.truth.geojson beside each): AP50, AP50:95, P/R, length/beam/heading error.

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

    from tankerwatch.io import atomic_write_text
    from tankerwatch.training.evaluate import (
        SceneEval, confusion_table, evaluate, evaluate_types, land_from_geojson, predictions_from_geojson,
        report_table, scene_frame, truth_from_geojson,
    )
    from tankerwatch.datasets.scene import open_scene

    if not scenes and real_dir is None:
        raise TankerwatchError("eval: give labelled SCENES, --real DIR, or both")
    report: dict = {}
    if scenes:
        results = _run_main_job(scenes, _bundled("registry.csv"), _bundled("ports.geojson"), out_dir, True, model,
                                device, None, None, overrides, True)
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
            evals.append(SceneEval(r.scene_id, truth_from_geojson(truth, scene.gsd_m, frame),
                                   predictions_from_geojson(out_dir / "detections" / f"{r.scene_id}.geojson"),
                                   land_from_geojson(land) if land.exists() else None, frame))
        reports = evaluate(evals, iou_threshold=iou_threshold)
        types = evaluate_types(evals, iou_threshold=iou_threshold)
        report = {"scenes": len(evals), "iou_threshold": iou_threshold, "classes": {k: asdict(v) for k, v in reports.items()},
                  **asdict(types)}  # "confusion", "false_detections"
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
        error_model_dict, error_model_table, fit_error_model, save_error_model, sidecar_path,
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
        click.echo(f"stored beside the weights: {save_error_model(fitted, sidecar_path(Path(model or BUNDLED_WEIGHTS)))}")
    return error_model_dict(fitted)


def _evaluate_real(real_dir: Path, model, device, overrides) -> dict:
    """Ship recall by length on a folder of real labelled images; prints its table, returns the report section."""
    from tqdm import tqdm

    from tankerwatch.config import load_inference_config, parse_overrides
    from tankerwatch.models import detector as detector_module
    from tankerwatch.training.realworld import evaluate_realworld, load_real_images, realworld_table, report_dict

    from tankerwatch.inference.pipeline import image_hull_filter, load_stages

    full = load_inference_config(None, parse_overrides(overrides))
    cfg = full.detect
    n_images = len(load_real_images(real_dir))  # reads every label first, so a bad file fails before the model loads
    detector = detector_module.load_detector(model, cfg, device)
    # the same stages as `tankerwatch run` after the detector (off with --set stages.water_mask=false ...)
    hull_filter = image_hull_filter(load_stages(full), full.stages) \
        if (full.stages.water_mask or full.stages.ship_type) else None
    with tqdm(total=n_images, desc="real images", unit="image", file=sys.stderr, dynamic_ncols=True) as bar:
        real = evaluate_realworld(real_dir, detector, cfg, progress=lambda r: bar.update(1), hull_filter=hull_filter)
    click.echo("\n" + realworld_table(real))
    return report_dict(real)


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--eval-report", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="eval_report.json from `tankerwatch eval` to put in the model card.")
@click.option("--to", "dest", type=click.Path(path_type=Path), default=None,
              help="Weights file to write (default: the bundled models/weights/tankerwatch-obb.pt).")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Markdown file with known limits and notes for the model card.")
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


@main.command("export")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Weights .pt with its .sha256 (default: the bundled model).")
@click.option("--format", "fmt", type=click.Choice(["onnx", "engine"]), default="onnx", show_default=True,
              help="onnx (CPU runtimes, ONNX Runtime) or engine (TensorRT, built on the GPU that will run it).")
@click.option("--imgsz", type=click.IntRange(32), default=None,
              help="Input size in pixels (default: the inference tile size, detect.tile_px).")
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


def _review_store(out_dir: Path):
    """The alert store of a run's output folder (an error if the folder holds none)."""
    from tankerwatch.inference.visits import DB_NAME, AlertStore

    if not (Path(out_dir) / DB_NAME).exists():
        raise TankerwatchError(f"{out_dir}: no {DB_NAME} here (give the --out folder of a `tankerwatch run`)")
    return AlertStore(out_dir)


def _review_row(alert: dict, decision: dict | None) -> str:
    """One alert as a review table row: top candidate, size evidence, type, look, decision, chip."""
    c = alert["candidates"][0] if alert["candidates"] else {"name": "-", "imo": "-", "probability": 0.0}
    ev = c.get("evidence") or {}

    def num(key, fmt="{:+.1f}"):
        return "-" if ev.get(key) is None else fmt.format(ev[key])

    status = f"{decision['decision']} {decision['imo']} by {decision['analyst']}" if decision else "pending"
    return (f"{alert['alert_id']:<16} {alert['acquired']:<20} {alert['port_id']:<7} {c['name'][:16]:<16} "
            f"{c['imo']:<8} {c['probability']:>5.2f} {alert['length_m']:>6.1f}x{alert['beam_m']:<5.1f} "
            f"{num('z_length'):>5} {num('z_beam'):>5} {num('p_tanker', '{:.2f}'):>5} {num('appearance_llr'):>5} "
            f"{len(ev.get('confirmed_sightings', [])):>3}  {status:<28} {alert['chip']}")


@main.group("review", invoke_without_command=True)
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--status", type=click.Choice(["all", "pending", "confirmed", "rejected"]), default="all",
              show_default=True, help="Which alerts to list (give it before OUT).")
@click.option("--unidentified", is_flag=True,
              help="List the tankers seen in ports that were not alerted (confirm one with --imo to name it).")
@click.pass_context
def review_group(ctx: click.Context, out_dir: Path, status: str, unidentified: bool) -> None:
    """List a run's alerts with chips and evidence; confirm or reject them; share vessel signatures.

    A confirmation stores the hull's look as a signature of the vessel: later hulls are scored on
    size and look, so a stranger of the same size stops being named. A rejected hull is not alerted
    again as that vessel. Decisions (who, when, why) live in OUT's store; alert lines never change.
    Columns: z_L and z_B are measured minus registered size in measurement spreads, p_tk the
    ship-type P(tanker), look the appearance log likelihood ratio against confirmed sightings, n
    how many confirmed sightings it rests on.

    \b
    Example:
      tankerwatch review demo-out
      tankerwatch review --status pending demo-out
      tankerwatch review --unidentified demo-out
      tankerwatch review demo-out confirm 3f2a9c0d1e2b4a5c --imo 1000021 --by "J. Analyst" --why "funnel, deck"
      tankerwatch review demo-out reject 5b7e01c2d3a49f80 --why "a bulk carrier"
      tankerwatch review demo-out export signatures.json
      tankerwatch review other-run import signatures.json
    """
    ctx.obj = out_dir
    if ctx.invoked_subcommand is not None:
        return
    if unidentified:
        _list_unidentified(out_dir)
        return
    with _review_store(out_dir) as store:
        decisions = store.decisions()
        alerts = [a for a in store.alerts() if status == "all"
                  or (status == "pending" and a["alert_id"] not in decisions)
                  or (a["alert_id"] in decisions and decisions[a["alert_id"]]["decision"] == status)]
    head = (f"{'alert':<16} {'acquired':<20} {'port':<7} {'vessel':<16} {'imo':<8} {'p':>5} {'L x B m':>12} "
            f"{'z_L':>5} {'z_B':>5} {'p_tk':>5} {'look':>5} {'n':>3}  {'decision':<28} chip")
    click.echo(head + "\n" + "-" * len(head))
    for a in alerts:
        click.echo(_review_row(a, decisions.get(a["alert_id"])))
    click.echo(f"{len(alerts)} alert(s); chips are relative to {out_dir}")


def _list_unidentified(out_dir: Path) -> None:
    """The tankers seen in ports that were not alerted, with their best candidates and any decision."""
    with _review_store(out_dir) as store:
        decisions = store.decisions()
        seen = store.observations(unidentified_only=True)
    head = f"{'observation':<16} {'acquired':<20} {'port':<7} {'L x B m':>12}  {'candidates':<40} {'decision':<28} chip"
    click.echo(head + "\n" + "-" * len(head))
    for o in seen:
        cands = ", ".join(f"{c['name'][:12]} {c['probability']:.2f}" for c in o["candidates"][:2]) or "-"
        d = decisions.get(o["observation_id"])
        status = f"{d['decision']} {d['imo']} by {d['analyst']}" if d else "pending"
        click.echo(f"{o['observation_id']:<16} {o['acquired']:<20} {o['port_id']:<7} "
                   f"{o['length_m']:>6.1f}x{o['beam_m']:<5.1f}  {cands:<40} {status:<28} {o['chip'] or '-'}")
    click.echo(f"{len(seen)} unidentified tanker(s); `tankerwatch review {out_dir} confirm OBSERVATION --imo IMO` names one")


def _decide(out_dir: Path, alert_id: str, decision: str, imo: str | None, analyst: str, why: str) -> None:
    """Record one decision and say what it stored."""
    with _review_store(out_dir) as store:
        row = store.decide(alert_id, decision, imo, analyst, why)
    look = "with its look" if row["json"] else "without a readable look (it acts by place only)"
    click.echo(f"{decision} alert {alert_id} as {row['imo']} by {analyst} at {row['decided_at']}; signature {look}")


_ANALYST = click.option("--by", "analyst", default=lambda: os.environ.get("USER") or "analyst",
                        show_default="$USER", help="Who decides.")
_WHY = click.option("--why", default="", help="Why (kept with the decision).")


@review_group.command("confirm")
@click.argument("alert_id")
@click.option("--imo", default=None, help="The vessel it really is (default: the one the alert names; required "
              "for a tanker with no registry candidate).")
@_ANALYST
@_WHY
@click.pass_obj
def review_confirm(out_dir: Path, alert_id: str, imo: str | None, analyst: str, why: str) -> None:
    """Confirm an alert (or an unidentified tanker's observation): this hull is the vessel it names, or --imo IMO.

    \b
    Example:
      tankerwatch review demo-out confirm 3f2a9c0d1e2b4a5c --imo 1000021 --why "white funnel, green deck"
    """
    _decide(out_dir, alert_id, "confirmed", imo, analyst, why)


@review_group.command("reject")
@click.argument("alert_id")
@_ANALYST
@_WHY
@click.pass_obj
def review_reject(out_dir: Path, alert_id: str, analyst: str, why: str) -> None:
    """Reject an alert: this hull is not the vessel it names; it is not alerted as that vessel again.

    \b
    Example:
      tankerwatch review demo-out reject 5b7e01c2d3a49f80 --why "a bulk carrier"
    """
    _decide(out_dir, alert_id, "rejected", None, analyst, why)


@review_group.command("export")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def review_export(out_dir: Path, path: Path) -> None:
    """Write every vessel signature of OUT (confirmed and rejected) to a JSON file for another team.

    \b
    Example:
      tankerwatch review demo-out export signatures.json
    """
    from tankerwatch.inference.review import write_signatures_file

    with _review_store(out_dir) as store:
        rows = store.signature_rows()
    write_signatures_file(path, rows)
    click.echo(f"wrote {len(rows)} signature(s) to {path}")


@review_group.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def review_import(out_dir: Path, path: Path) -> None:
    """Add the signatures of an exported file to OUT's store (those already there are kept as they are).

    \b
    Example:
      tankerwatch review other-run import signatures.json
    """
    from tankerwatch.inference.review import read_signatures_file

    rows = read_signatures_file(path)
    with _review_store(out_dir) as store:
        added = store.import_signatures(rows, f"import:{path.name}")
    click.echo(f"imported {added} new signature(s) of {len(rows)} from {path}")


@main.group("registry")
def registry_group() -> None:
    """Build, check and read registries of sanctioned vessels (CSV keyed by IMO number)."""


_INPUT = click.Path(exists=True, dir_okay=False, path_type=Path)


@registry_group.command("import")
@click.option("--ofac-csv", multiple=True, type=_INPUT, help="OFAC SDN sdn.csv (header row optional; repeatable).")
@click.option("--ofac-xml", multiple=True, type=_INPUT, help="OFAC SDN sdn.xml (repeatable).")
@click.option("--un-xml", multiple=True, type=_INPUT, help="UN Security Council consolidated list XML (repeatable).")
@click.option("--vessels", "tables", multiple=True, type=_INPUT,
              help="Compiled vessel table CSV: name, imo; optional vessel_type, flag, length_m, beam_m, dwt, "
                   "gross_tonnage, sanctions, source (repeatable).")
@click.option("--dimensions", multiple=True, type=_INPUT,
              help="Dimensions or particulars CSV: imo; optional name, former_names (';'-separated), vessel_type, "
                   "length_m, beam_m, dwt, gross_tonnage, year_built, source. Rows join by IMO, or without one "
                   "by a unique name or former name; they fill what the lists leave empty (repeatable).")
@click.option("--program", "programs", multiple=True, metavar="PREFIX",
              help="Keep list entries of these programmes only, e.g. DPRK (takes DPRK3, DPRK4; repeatable).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Registry CSV to write.")
@click.option("-v", "--verbose", is_flag=True, help="List every entry skipped and why.")
def registry_import(ofac_csv, ofac_xml, un_xml, tables, dimensions, programs, out_path, verbose) -> None:
    """Build a registry CSV from sanctions lists, merged by IMO number, with particulars joined.

    Entries without a valid IMO number are skipped and counted. Dimensions rows join by IMO, or,
    without one, by a name or former name that fits exactly one listed vessel (case and spacing
    ignored); former names, build year and source go into the notes. Where the length is unknown
    but a tonnage is known, the notes give the tonnage estimate's spread and matching estimates it.
    Exit status: 0 registry written, 1 no vessel with an IMO number (nothing written), 2 usage error.

    \b
    Example:
      tankerwatch registry import --ofac-csv sdn.csv --un-xml consolidated.xml \\
          --dimensions dims.csv --program DPRK --out registry-dprk.csv
    """
    from tankerwatch.datasets.sanctions import import_registry, registry_summary, source_report_line, write_registry

    if not (ofac_csv or ofac_xml or un_xml or tables):
        raise TankerwatchError("registry import: give at least one of --ofac-csv, --ofac-xml, --un-xml, --vessels")
    result = import_registry(ofac_csv, ofac_xml, un_xml, tables, dimensions, programs)
    for s in result.sources:
        click.echo(source_report_line(s))
        for line in s.skipped if verbose else ():
            click.echo(f"  {'not joined' if s.kind == 'dimensions' else 'skipped'} {line}")
    if not result.vessels:
        click.echo(f"no vessel with an IMO number: nothing written to {out_path}")
        sys.exit(1)
    write_registry(out_path, result.vessels)
    click.echo(f"wrote {out_path}: {registry_summary(result.vessels)}")


@registry_group.command("validate")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
def registry_validate(csv_path: Path) -> None:
    """Check a registry CSV row by row; print OK and its counts, or the first problem with its line.

    Exit status: 0 valid, 2 invalid (the message names file and line).

    \b
    Example:
      tankerwatch registry validate configs/registry-dprk.csv
    """
    from tankerwatch.datasets.registry import load_registry
    from tankerwatch.datasets.sanctions import registry_summary

    click.echo(f"OK {csv_path}: {registry_summary(load_registry(csv_path))}")


@registry_group.command("show")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@click.option("--imo", default=None, help="Show only this IMO number.")
@click.option("--name", "name_part", default=None, help="Show only vessels whose name contains this (any case).")
@click.option("--notes", is_flag=True, help="Print each vessel's notes (sources, former names) under it.")
def registry_show(csv_path: Path, imo: str | None, name_part: str | None, notes: bool) -> None:
    """Print a registry as a table. Exit status: 0 vessels shown, 1 none match, 2 invalid registry.

    \b
    Example:
      tankerwatch registry show configs/registry-dprk.csv --name "sam ma" --notes
    """
    from tankerwatch.datasets.registry import load_registry
    from tankerwatch.datasets.sanctions import registry_table

    vessels = [v for v in load_registry(csv_path) if (imo is None or v.imo == imo.strip())
               and (name_part is None or name_part.casefold() in v.name.casefold())]
    if not vessels:
        click.echo("no vessel matches")
        sys.exit(1)
    click.echo(registry_table(vessels, notes))


@registry_group.command("size-model")
@click.option("--particulars", "particulars_path", type=_INPUT, default=None,
              help="Tanker particulars CSV to fit (default: the bundled configs/tanker_particulars.csv).")
def registry_size_model(particulars_path: Path | None) -> None:
    """Print the tonnage -> size model: fitted power laws, their spreads and leave-one-out errors.

    Matching sizes a registry vessel with no registered length from its DWT (or GT) with these
    laws; the residual SD is the stated one-SD spread, and the leave-one-out error shows how well
    a tonnage alone predicts the length of a tanker left out of the fit.

    \b
    Example:
      tankerwatch registry size-model
      tankerwatch registry size-model --particulars my_tankers.csv
    """
    from tankerwatch.datasets.tonnage import read_particulars, size_model_report

    if particulars_path is None:
        click.echo(size_model_report())
    else:
        click.echo(size_model_report(read_particulars(particulars_path), particulars_path.name))


if __name__ == "__main__":
    main()
