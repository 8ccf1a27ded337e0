"""`tankerwatch feed`: export a run's output folder as Cursor-on-Target, a GeoPackage or a GeoJSON text sequence."""

from __future__ import annotations

from pathlib import Path

import click

from tankerwatch.cli.options import _Group

_OUT = click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))


@click.group("feed", cls=_Group)
def feed() -> None:
    """Export a run's alerts (and, for GIS, its detections, visits and port areas) for other tools.

    Each export reads OUT (the store is opened read-only) and writes under OUT/exports/ unless
    --out says otherwise; run it again to refresh it.

    \b
    Example:
      tankerwatch feed cot demo-out                # TAK: one .cot event per alert
      tankerwatch feed gpkg demo-out               # QGIS: one GeoPackage, styled
      tankerwatch feed seq demo-out                # streaming: RFC 8142 GeoJSON text sequence
    """


@feed.command("cot")
@_OUT
@click.option(
    "--out",
    "out_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the .cot files.  [default: OUT/exports/cot]",
)
@click.option(
    "--stale-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="An event goes stale this long after the acquisition (TAK hides stale events).",
)
def cot_cmd(out_dir: Path, out_path: Path | None, stale_hours: float) -> None:
    """Cursor-on-Target 2.0 for TAK tools: one event per alert, one `tankerwatch-<alert_id>.cot` file each.

    The event type is a-s-S-X-M-O (suspect surface tanker) where the top candidate is sanctioned,
    else a-u-S-X-M-O (unknown); time and start are the acquisition; the callsign is the vessel's
    name and the remarks give IMO, probability, port and visit. Import the files in ATAK, put them
    in a data package, or stream them to a TAK server.

    \b
    Example:
      tankerwatch feed cot demo-out
      tankerwatch feed cot demo-out --out /tmp/cot --stale-hours 72
      cat demo-out/exports/cot/*.cot | nc takserver 8087
    """
    from tankerwatch.inference.exports import write_cot

    written = write_cot(out_dir, out_path, stale_hours=stale_hours)
    where = out_path if out_path is not None else out_dir / "exports" / "cot"
    click.echo(f"{len(written)} CoT event(s) in {where}")


@feed.command("gpkg")
@_OUT
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="GeoPackage to write (replaced whole).  [default: OUT/exports/tankerwatch.gpkg]",
)
@click.option(
    "--ports",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ports GeoJSON the run used.  [default: the bundled configs/ports.geojson]",
)
def gpkg_cmd(out_dir: Path, out_path: Path | None, ports: Path | None) -> None:
    """A GeoPackage for QGIS and GDAL/OGR: layers detections, alerts, visits, port_areas (EPSG:4326).

    The bundled QGIS styles for alerts and detections are stored in the file's layer_styles
    table, so QGIS applies them when the layers are added (they are also in configs/qgis/).

    \b
    Example:
      tankerwatch feed gpkg demo-out
      tankerwatch feed gpkg out/ --ports my-ports.geojson --out run.gpkg
      ogrinfo -so demo-out/exports/tankerwatch.gpkg
    """
    from tankerwatch.inference.exports import write_geopackage

    path = write_geopackage(out_dir, out_path, ports)
    click.echo(f"GeoPackage {path}: detections, alerts, visits, port_areas")


@feed.command("seq")
@_OUT
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.  [default: OUT/exports/alerts.geojsons]",
)
def seq_cmd(out_dir: Path, out_path: Path | None) -> None:
    """RFC 8142 GeoJSON text sequence (application/geo+json-seq): each alert, as emitted, as one
    record (RS, a Feature's JSON, LF), in emission order.

    \b
    Example:
      tankerwatch feed seq demo-out
      tankerwatch feed seq demo-out --out - | jq --seq .properties.alert_id
    """
    from tankerwatch.inference.exports import geojson_seq, read_run, write_geojson_seq

    if out_path == Path("-"):
        click.echo(geojson_seq(read_run(out_dir).emitted), nl=False)
        return
    path = write_geojson_seq(out_dir, out_path)
    click.echo(f"GeoJSON text sequence {path}")
