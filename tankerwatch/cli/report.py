"""`tankerwatch report`: a run's self-contained HTML report (quicklooks, alerts, visit timelines)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


@click.command("report")
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the page (default: OUT/report.html).",
)
@click.option(
    "--registry",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Registry CSV the deliveries are sized from (DWT); default: the bundled configs/registry.csv.",
)
@click.option(
    "--ports",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Ports GeoJSON (which country each port is in); default: the bundled configs/ports.geojson.",
)
def report(out_dir: Path, target: Path | None, registry: Path | None, ports: Path | None) -> None:
    """Write one self-contained HTML page about a run: scene quicklooks with hull outlines coloured
    by ship type, the alert table with chips and candidate evidence and analysts' decisions,
    per-port visit timelines, the tankers seen in port without an alert, and the deliveries to DPRK
    ports against the UNSCR 2397 cap (as `tankerwatch deliveries` counts them).

    The page needs no network and no JavaScript (images are embedded), so it can be mailed or
    archived as it is. The run's store is only read.

    \b
    Example:
      tankerwatch report demo-out
      tankerwatch report demo-out --out /tmp/vostochny.html
    """
    from tankerwatch.inference.report import write_report

    try:
        path = write_report(out_dir, target, registry, ports)
    except TankerwatchError as e:
        # the main group turns this into the same line; said here too, so the command stands on its own
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    click.echo(f"report: {path}")
