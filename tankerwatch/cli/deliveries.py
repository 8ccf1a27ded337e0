"""`tankerwatch deliveries`: a run's port visits as barrels of refined products, against the UNSCR 2397 cap."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


@click.command("deliveries")
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--period", required=True, help="YYYY, YYYY-MM or YYYY-MM-DD/YYYY-MM-DD (UTC days, both ends included).")
@click.option(
    "--registry",
    type=click.Path(path_type=Path),
    default=None,
    help="Registry CSV with the vessels' DWT (default: the bundled configs/registry.csv).",
)
@click.option(
    "--ports",
    type=click.Path(path_type=Path),
    default=None,
    help="Ports GeoJSON with each port's country (default: the bundled configs/ports.geojson).",
)
@click.option(
    "--scenario",
    "scenarios",
    type=float,
    multiple=True,
    help="A fill share of the cargo tonnes, repeatable (default: 0.333, 0.5 and 0.9).",
)
@click.option(
    "--out",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for deliveries.csv and deliveries.png (default: OUT/deliveries/).",
)
def deliveries(
    out_dir: Path,
    period: str,
    registry: Path | None,
    ports: Path | None,
    scenarios: tuple[float, ...],
    target: Path | None,
) -> None:
    """Turn the visits of identified tankers in a period into barrels of refined products under fill
    scenarios, and add up the visits to DPRK (KP) ports in time order against the 500,000-barrel
    yearly cap of UNSCR 2397. Visits at RU and CN ports are listed and totalled as loadings.

    barrels = DWT x 0.9 (cargo share) x fill / 0.84 t/m³ (diesel) x 6.2898 bbl/m³; a visit counts
    once, and a vessel without DWT, GT or length is listed as capacity unknown but not summed.
    The run's store is only read.

    \b
    Example:
      tankerwatch deliveries demo-out --period 2024
      tankerwatch deliveries demo-out --period 2024-01-01/2024-06-30 --scenario 0.5 --out /tmp/dl
    """
    from tankerwatch.config import bundled_path
    from tankerwatch.inference.deliveries import (
        CSV_NAME,
        DEFAULT_SCENARIOS,
        PLOT_NAME,
        summary_lines,
        write_csv,
        write_plot,
    )
    from tankerwatch.inference.deliveries import deliveries as compute

    try:
        report = compute(
            out_dir,
            registry or bundled_path("registry.csv"),
            ports or bundled_path("ports.geojson"),
            period,
            scenarios or DEFAULT_SCENARIOS,
        )
        folder = target or out_dir / "deliveries"
        csv_path = write_csv(report, folder / CSV_NAME)
        png_path = write_plot(report, folder / PLOT_NAME)
    except TankerwatchError as e:
        # the main group turns this into the same line; said here too, so the command stands on its own
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    for line in summary_lines(report):
        click.echo(line)
    click.echo(f"csv: {csv_path}")
    click.echo(f"plot: {png_path}")
