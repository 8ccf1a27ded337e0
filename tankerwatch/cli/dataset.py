"""`tankerwatch dataset`: training datasets (synth, transfer, build, convert, stages)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.cli.options import _progress
from tankerwatch.schema import TankerwatchError


@click.group()
def dataset() -> None:
    """Build training datasets (YOLO-OBB chips at the working GSD)."""


@dataset.command("synth")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option("--n-train", type=click.IntRange(1), default=150, show_default=True, help="Training scenes.")
@click.option(
    "--n-val", type=click.IntRange(1), default=16, show_default=True, help="Validation scenes (disjoint seeds)."
)
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
            out_dir,
            n_train,
            n_val,
            seed=seed,
            working_gsd_m=working_gsd_m,
            chip_px=chip_px,
            max_chips=max_chips,
            workers=workers,
            progress=lambda n: bar.update(1),
        )
    click.echo(f"dataset ready: {data_yaml}")


@dataset.command("transfer")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option(
    "--scenes",
    "n_scenes",
    type=click.IntRange(0),
    default=170,
    show_default=True,
    help="Rendered training scenes (randomised, hard-port and open-sea).",
)
@click.option("--val-scenes", "n_val_scenes", type=click.IntRange(0), default=10, show_default=True)
@click.option(
    "--composites",
    "n_composites",
    type=click.IntRange(0),
    default=330,
    show_default=True,
    help="Composites of rendered ships on real water (training split).",
)
@click.option(
    "--val-composites",
    "n_val_composites",
    type=click.IntRange(0),
    default=30,
    show_default=True,
    help="Composites on the held-out real scene (validation split).",
)
@click.option(
    "--land-per-class",
    type=click.IntRange(0),
    default=6,
    show_default=True,
    help="UC Merced land mosaics per class (real land, no ship).",
)
@click.option(
    "--train-ok",
    type=click.Path(path_type=Path),
    default=None,
    help="Licensed real imagery (default: ../shared/realworld/train_ok).",
)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option(
    "--max-chips", type=click.IntRange(1), default=6, show_default=True, help="Chips per rendered scene at most."
)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
def dataset_transfer(
    out_dir, n_scenes, n_val_scenes, n_composites, n_val_composites, land_per_class, train_ok, seed, max_chips, workers
) -> None:
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
    bar = tqdm(
        total=n_scenes + n_val_scenes + n_composites + n_val_composites,
        desc="scenes and composites",
        unit="image",
        file=sys.stderr,
        dynamic_ncols=True,
    )
    data_yaml, counts = build_transfer_dataset(
        out_dir,
        root,
        n_scenes,
        n_val_scenes,
        n_composites,
        n_val_composites,
        seed=seed,
        max_chips=max_chips,
        land_per_class=land_per_class,
        workers=workers,
        progress=lambda part, n: bar.update(part != "land"),
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
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["dota", "yolo-obb", "yolo-hbb", "hrsc", "fair1m", "xview"]),
    help="Label format of LABELS.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Dataset folder.")
@click.option(
    "--gsd",
    "gsd_m",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Source GSD in m/px (overrides a label header and the image's georeferencing).",
)
@click.option("--split", type=click.Choice(["train", "val"]), default="train", show_default=True)
@click.option(
    "--working-gsd",
    "working_gsd_m",
    type=click.FloatRange(0, min_open=True),
    default=1.0,
    show_default=True,
    help="Chip GSD in m/px.",
)
@click.option("--chip", "chip_px", type=click.IntRange(32), default=512, show_default=True, help="Chip side in pixels.")
@click.option(
    "--names",
    "names_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YOLO class names: classes.txt or a data.yaml (default: classes.txt beside the labels).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="NAME=CLASS",
    help="Map a source class to tanker, vessel or none (repeatable; adds to the built-in map).",
)
def dataset_convert(
    images_dir, labels, fmt, out_dir, gsd_m, split, working_gsd_m, chip_px, names_path, mappings
) -> None:
    """Convert labelled images (DOTA, YOLO-OBB, YOLO HBB, HRSC2016, FAIR1M, xView) into a dataset split
    at the working GSD.

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
    chips: list[int] = []
    with tqdm(total=len(images), desc="images", unit="image", file=sys.stderr, dynamic_ncols=True) as bar:

        def progress(n: int) -> None:
            chips.append(n)
            bar.update(1)

        data_yaml = convert_dataset(images, labelled, out_dir, split, gsd_m, working_gsd_m, chip_px, progress=progress)
    ships = sum(len(lab.boxes) for lab in labelled)
    click.echo(f"{len(images)} image(s), {ships} ship(s) -> {sum(chips)} chip(s); dataset ready: {data_yaml}")


@dataset.command("stages")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option(
    "--scenes",
    "n_scenes",
    type=click.IntRange(1),
    default=240,
    show_default=True,
    help="Rendered training scenes (a mix of randomised, hard-port and open-sea scenes).",
)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="First scene seed.")
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    default=None,
    help="Detector whose boxes become hard examples (default: the bundled model).",
)
@click.option("--no-detector", is_flag=True, help="Only truth and random boxes (fast; no detector pass).")
@click.option(
    "--train-ok",
    type=click.Path(path_type=Path),
    default=None,
    help="Licensed real imagery for hard negatives (default: ../shared/realworld/train_ok when present).",
)
@click.option(
    "--per-class", type=click.IntRange(0), default=25, show_default=True, help="UC Merced mosaics per land class."
)
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
    summary = build_stage_dataset(
        out_dir,
        n_scenes,
        seed,
        model,
        not no_detector,
        root if root.is_dir() else None,
        per_class,
        workers,
        progress=lambda _: bar.update(1),
    )
    bar.close()
    click.echo(
        f"{summary['chips']} chips {summary['chips_by_type']}, {summary['water_tiles']} water tiles "
        f"-> {out_dir / 'chips.npz'}, {out_dir / 'water.npz'}"
    )
