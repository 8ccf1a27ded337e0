"""`tankerwatch ports`: check and read port-area files (GeoJSON polygons of harbours, berths, anchorages)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tankerwatch.cli.options import _Group

if TYPE_CHECKING:
    from tankerwatch.datasets.ports import Port

_FILE = click.Path(dir_okay=False, path_type=Path)
_NO_KIND = "unspecified"


def _ports_file(path: Path | None) -> Path:
    """The FILE argument, or the bundled configs/ports.geojson when none is given."""
    from tankerwatch.config import bundled_path

    return path if path is not None else bundled_path("ports.geojson")


def ports_summary(areas: list[Port]) -> list[str]:
    """Counts of a valid ports file: a total line, then one line per country with its areas by kind."""
    from tankerwatch.datasets.ports import group_ports

    groups = group_ports(areas)
    lines = [f"{len(areas)} area{'s' * (len(areas) != 1)} in {len(groups)} port{'s' * (len(groups) != 1)}"]
    for country in sorted({a.country for a in areas}):
        mine = [a for a in areas if a.country == country]
        kinds = Counter(a.kind or _NO_KIND for a in mine)
        n_ports = sum(1 for members in groups.values() if members[0].country == country)
        by_kind = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        lines.append(f"  {country}: {n_ports} ports, {len(mine)} areas ({by_kind})")
    return lines


def ports_table(areas: list[Port]) -> str:
    """Port areas as a fixed-width table: id, name, country, kind, port, area km², centre lon/lat."""
    from tankerwatch.datasets.ports import area_km2, port_of

    header = ("id", "name", "country", "kind", "port", "area_km2", "lon", "lat")
    rows = []
    for a in areas:
        centre = a.geometry.centroid
        rows.append(
            (
                a.id,
                a.name,
                a.country,
                a.kind or "-",
                port_of(a),
                f"{area_km2(a):.2f}",
                f"{centre.x:.4f}",
                f"{centre.y:.4f}",
            )
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {5, 6, 7}  # numbers align right
    lines = [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


@click.group("ports", cls=_Group)
def ports() -> None:
    """Check and read port-area files: GeoJSON polygons of harbours, berths, terminals and anchorages.

    Each Feature is one area with properties id, name, country (ISO 3166 alpha-2), optional kind
    (berth, anchorage, oil_terminal, coal_berth, port) and optional port (the id of the area that
    stands for the whole port). The bundled configs/ports.geojson is approximate: edit it for your use.
    """


@ports.command("validate")
@click.argument("path", metavar="[FILE]", required=False, type=_FILE)
def ports_validate(path: Path | None) -> None:
    """Check a ports file area by area; print OK and its counts per country and kind, or the first problem.

    FILE defaults to the bundled configs/ports.geojson. Besides each area's geometry and properties,
    ids must be unique, a port property must name an area of the file (or the area itself), and areas
    of one port must not overlap. Exit status: 0 valid, 2 invalid (the message names file and feature).

    \b
    Example:
      tankerwatch ports validate
      tankerwatch ports validate my_ports.geojson
    """
    from tankerwatch.datasets.ports import load_ports

    file = _ports_file(path)
    summary = ports_summary(load_ports(file))
    click.echo(f"OK {file}: {summary[0]}")
    for line in summary[1:]:
        click.echo(line)


@ports.command("show")
@click.argument("path", metavar="[FILE]", required=False, type=_FILE)
@click.option("--country", default=None, help="Show only areas of this country (ISO 3166 alpha-2, e.g. RU).")
@click.option("--kind", default=None, help="Show only areas of this kind (berth, anchorage, oil_terminal, ...).")
@click.option("--port", "port_id", default=None, help="Show only the areas of this port (its id, e.g. RU-VOS).")
def ports_show(path: Path | None, country: str | None, kind: str | None, port_id: str | None) -> None:
    """Print the areas of a ports file as a table: id, name, country, kind, port, area km², centre lon/lat.

    FILE defaults to the bundled configs/ports.geojson. Exit status: 0 areas shown, 1 none match,
    2 invalid file.

    \b
    Example:
      tankerwatch ports show --country KP --kind coal_berth
      tankerwatch ports show my_ports.geojson --port RU-VOS
    """
    from tankerwatch.datasets.ports import load_ports, port_of

    areas = [
        a
        for a in load_ports(_ports_file(path))
        if (country is None or a.country == country.strip().upper())
        and (kind is None or (a.kind or _NO_KIND) == kind.strip())
        and (port_id is None or port_of(a) == port_id.strip())
    ]
    if not areas:
        click.echo("no port area matches")
        sys.exit(1)
    click.echo(ports_table(areas))
