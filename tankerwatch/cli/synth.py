"""`tankerwatch synth`: synthetic georeferenced port scenes with ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from tankerwatch.cli.options import _progress


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the scenes.")
@click.option("--n", "count", type=click.IntRange(1), default=1, show_default=True, help="Number of scenes.")
@click.option("--seed", type=int, default=0, show_default=True, help="First seed; scene i uses seed + i.")
@click.option(
    "--gsd",
    "gsd_m",
    type=click.FloatRange(0.05, 10),
    default=None,
    help="Fix the GSD (m/px); default varies 0.3-3 m (0.3-1 m with --hard-port or --open-sea).",
)
@click.option(
    "--hard-port",
    is_flag=True,
    help="Hard port scenes: realistic land behind the quays (warehouse rows, rail, tank farms, villages, "
    "bare soil), port structures, 8-25 ships; GSD 0.3-1 m.",
)
@click.option(
    "--plain",
    is_flag=True,
    help="The renderer's defaults, no domain randomisation (the demo's and the identification "
    "benchmark's look), 0.5 m unless --gsd.",
)
@click.option(
    "--open-sea",
    is_flag=True,
    help="Open-sea scenes with nothing to find: no land, no ships; cloud, swell and glint; GSD 0.3-1 m.",
)
def synth(
    out_dir: Path, count: int, seed: int, gsd_m: float | None, hard_port: bool, open_sea: bool, plain: bool
) -> None:
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
        generate_scene,
        hard_port_spec,
        open_sea_spec,
        plain_spec,
        random_spec,
        write_scene,
    )

    if hard_port + open_sea + plain > 1:
        raise click.UsageError("--hard-port, --open-sea and --plain exclude each other: pick one")
    make, prefix = (
        (hard_port_spec, "hardport")
        if hard_port
        else (open_sea_spec, "opensea")
        if open_sea
        else (plain_spec, "plain")
        if plain
        else (random_spec, "synth")
    )
    with _progress(count, "synth") as bar:
        for i in range(count):
            spec = make(seed + i)
            if gsd_m:
                spec.gsd_m = gsd_m
            write_scene(generate_scene(spec), out_dir, f"{prefix}_{seed + i:06d}")
            bar.update(1)
    click.echo(f"wrote {count} scene(s) to {out_dir}")
