"""`tankerwatch review`: list, confirm and reject a run's alerts; share vessel signatures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click


def _review_store(out_dir: Path):
    """The alert store of a run's output folder (an error if the folder holds none)."""
    from tankerwatch.inference.visits import AlertStore, store_path

    store_path(out_dir)  # a folder with no store is a one-line error, not a new empty store
    return AlertStore(out_dir)


def _review_row(alert: dict, decision: dict | None) -> str:
    """One alert as a review table row: top candidate, size evidence, type, look, decision, chip."""
    c: dict[str, Any] = alert["candidates"][0] if alert["candidates"] else {"name": "-", "imo": "-", "probability": 0.0}
    ev = c.get("evidence") or {}

    def num(key, fmt="{:+.1f}"):
        return "-" if ev.get(key) is None else fmt.format(ev[key])

    status = f"{decision['decision']} {decision['imo']} by {decision['analyst']}" if decision else "pending"
    return (
        f"{alert['alert_id']:<16} {alert['acquired']:<20} {alert['port_id']:<7} {c['name'][:16]:<16} "
        f"{c['imo']:<8} {c['probability']:>5.2f} {alert['length_m']:>6.1f}x{alert['beam_m']:<5.1f} "
        f"{num('z_length'):>5} {num('z_beam'):>5} {num('p_tanker', '{:.2f}'):>5} {num('appearance_llr'):>5} "
        f"{len(ev.get('confirmed_sightings', [])):>3}  {status:<28} {alert['chip']}"
    )


@click.group("review", invoke_without_command=True)
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--status",
    type=click.Choice(["all", "pending", "confirmed", "rejected"]),
    default="all",
    show_default=True,
    help="Which alerts to list (give it before OUT).",
)
@click.option(
    "--unidentified",
    is_flag=True,
    help="List the tankers seen in ports that were not alerted (confirm one with --imo to name it).",
)
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
        alerts = [
            a
            for a in store.alerts()
            if status == "all"
            or (status == "pending" and a["alert_id"] not in decisions)
            or (a["alert_id"] in decisions and decisions[a["alert_id"]]["decision"] == status)
        ]
    head = (
        f"{'alert':<16} {'acquired':<20} {'port':<7} {'vessel':<16} {'imo':<8} {'p':>5} {'L x B m':>12} "
        f"{'z_L':>5} {'z_B':>5} {'p_tk':>5} {'look':>5} {'n':>3}  {'decision':<28} chip"
    )
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
        click.echo(
            f"{o['observation_id']:<16} {o['acquired']:<20} {o['port_id']:<7} "
            f"{o['length_m']:>6.1f}x{o['beam_m']:<5.1f}  {cands:<40} {status:<28} {o['chip'] or '-'}"
        )
    click.echo(
        f"{len(seen)} unidentified tanker(s); `tankerwatch review {out_dir} confirm OBSERVATION --imo IMO` names one"
    )


def _decide(out_dir: Path, alert_id: str, decision: str, imo: str | None, analyst: str, why: str) -> None:
    """Record one decision and say what it stored."""
    with _review_store(out_dir) as store:
        row = store.decide(alert_id, decision, imo, analyst, why)
    look = "with its look" if row["json"] else "without a readable look (it acts by place only)"
    click.echo(f"{decision} alert {alert_id} as {row['imo']} by {analyst} at {row['decided_at']}; signature {look}")


_ANALYST = click.option(
    "--by", "analyst", default=lambda: os.environ.get("USER") or "analyst", show_default="$USER", help="Who decides."
)
_WHY = click.option("--why", default="", help="Why (kept with the decision).")


@review_group.command("confirm")
@click.argument("alert_id")
@click.option(
    "--imo",
    default=None,
    help="The vessel it really is (default: the one the alert names; required "
    "for a tanker with no registry candidate).",
)
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
