"""`tankerwatch registry`: build, check and read registries of sanctioned vessels."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


@click.group("registry")
def registry_group() -> None:
    """Build, check and read registries of sanctioned vessels (CSV keyed by IMO number)."""


_INPUT = click.Path(exists=True, dir_okay=False, path_type=Path)


@registry_group.command("import")
@click.option("--ofac-csv", multiple=True, type=_INPUT, help="OFAC SDN sdn.csv (header row optional; repeatable).")
@click.option("--ofac-xml", multiple=True, type=_INPUT, help="OFAC SDN sdn.xml (repeatable).")
@click.option("--un-xml", multiple=True, type=_INPUT, help="UN Security Council consolidated list XML (repeatable).")
@click.option(
    "--vessels",
    "tables",
    multiple=True,
    type=_INPUT,
    help="Compiled vessel table CSV: name, imo; optional vessel_type, flag, length_m, beam_m, dwt, "
    "gross_tonnage, sanctions, source (repeatable).",
)
@click.option(
    "--dimensions",
    multiple=True,
    type=_INPUT,
    help="Dimensions or particulars CSV: imo; optional name, former_names (';'-separated), vessel_type, "
    "length_m, beam_m, dwt, gross_tonnage, year_built, source. Rows join by IMO, or without one "
    "by a unique name or former name; they fill what the lists leave empty (repeatable).",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    metavar="PREFIX",
    help="Keep list entries of these programmes only, e.g. DPRK (takes DPRK3, DPRK4; repeatable).",
)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Registry CSV to write."
)
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

    vessels = [
        v
        for v in load_registry(csv_path)
        if (imo is None or v.imo == imo.strip()) and (name_part is None or name_part.casefold() in v.name.casefold())
    ]
    if not vessels:
        click.echo("no vessel matches")
        sys.exit(1)
    click.echo(registry_table(vessels, notes))


@registry_group.command("size-model")
@click.option(
    "--particulars",
    "particulars_path",
    type=_INPUT,
    default=None,
    help="Tanker particulars CSV to fit (default: the bundled configs/tanker_particulars.csv).",
)
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
