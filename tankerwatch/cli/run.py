"""`tankerwatch run` (the main job) and `tankerwatch demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tankerwatch.cli.options import _bundled, _run_main_job, _with_run_options


@click.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--full-scene", is_flag=True, help="Look at the whole scene, not only tiles touching a port.")
@click.option("--acquired", default=None, metavar="ISO8601", help="Acquisition time (overrides sidecar and TIFF tag).")
@click.option("--force", is_flag=True, help="Reprocess scenes the manifest marks done (alerts stay unique).")
@click.option(
    "--land",
    type=click.Path(path_type=Path),
    default=None,
    help="Land polygons (GeoJSON or GeoPackage, e.g. an OpenStreetMap land export): hulls there are dropped.",
)
@click.option(
    "--water",
    type=click.Path(path_type=Path),
    default=None,
    help="Water polygons (GeoJSON or GeoPackage): always water in the scene's water mask.",
)
@_with_run_options
def run(
    scenes, out_dir, full_scene, acquired, force, land, water, registry, ports, model, device, config, overrides
) -> None:
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
    results = _run_main_job(
        scenes,
        registry or _bundled("registry.csv"),
        ports or _bundled("ports.geojson"),
        out_dir,
        full_scene,
        model,
        device,
        acquired,
        config,
        overrides,
        force,
        land,
        water,
    )
    failed = [r for r in results if r.status == "failed"]
    done = sum(r.status == "done" for r in results)
    click.echo(
        f"{done} scene(s) done, {sum(r.status == 'skipped' for r in results)} skipped, "
        f"{len(failed)} failed; {sum(r.new_alerts for r in results)} new alert(s) in {out_dir / 'alerts.jsonl'}"
    )
    sys.exit(1 if failed else 0)


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Output folder (scenes go to OUT/scenes).",
)
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
    click.echo(
        f"\nregistry tankers named right "
        f"{sum(r.outcome == 'right' for r in registry_rows)}/{len(registry_rows)}, "
        f"unidentified {sum(r.outcome == 'unidentified' for r in registry_rows)}, wrong "
        f"{sum(r.outcome == 'WRONG' for r in registry_rows)}; other tankers named "
        f"{sum(r.named is not None for r in strangers)}/{len(strangers)}. "
        f"Alerts: {out_dir / 'alerts.jsonl'}; review: tankerwatch review {out_dir}"
    )
    sys.exit(1 if any(r.status == "failed" for r in results) else 0)
