"""`tankerwatch history`: one vessel's port visits across ports, from a run's store."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


@click.command("history")
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("imo")
def history(out_dir: Path, imo: str) -> None:
    """Print a vessel's visits across ports in time order: port, first and last seen, sightings, alerts.

    Exit status: 0 visits shown, 1 the vessel has none in OUT, 2 usage error.

    \b
    Example:
      tankerwatch history demo-out 1000033
    """
    from tankerwatch.cli.review import _review_store

    if not re.fullmatch(r"[0-9]{7}", imo):
        raise TankerwatchError(f"IMO {imo!r}: expected 7 digits")
    with _review_store(out_dir) as store:
        visits = store.vessel_history(imo)
    if not visits:
        click.echo(f"no visit of IMO {imo} in {out_dir}")
        raise SystemExit(1)
    head = f"{'port':<10} {'first seen':<20} {'last seen':<20} {'n':>3}  {'visit':<16} alerts (scene, p)"
    click.echo(f"IMO {imo}: {len(visits)} visit(s)\n{head}\n{'-' * len(head)}")
    for v in visits:
        alerts = ", ".join(f"{a['alert_id']} ({a['scene_id']}, {a['probability']:.2f})" for a in v["alerts"])
        click.echo(
            f"{v['port_id']:<10} {v['first_seen']:<20} {v['last_seen']:<20} {v['sightings']:>3}  "
            f"{v['visit_id']:<16} {alerts}"
        )
