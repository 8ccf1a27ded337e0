"""`tankerwatch run` (the main job) and `tankerwatch demo`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tankerwatch.cli.options import _bundled, _run_main_job, _with_run_options

if TYPE_CHECKING:
    from tankerwatch.inference.pipeline import SceneResult


@click.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--recursive", "-r", is_flag=True, help="Look for scenes in the sub-folders of folders too.")
@click.option(
    "--rpc-height",
    "rpc_height_m",
    type=float,
    default=None,
    metavar="METRES",
    help="Ground height (above the WGS84 ellipsoid) that RPC-only scenes are orthorectified to (default: 0).",
)
@click.option(
    "--dem",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="DEM that RPC-only scenes are orthorectified with (heights above the WGS84 ellipsoid, or in the "
    "vertical datum its CRS names); --rpc-height where it has no data.",
)
@click.option("--full-scene", is_flag=True, help="Look at the whole scene, not only tiles touching a port.")
@click.option(
    "--acquired", default=None, metavar="ISO8601", help="Acquisition time (overrides the STAC Item and TIFF tag)."
)
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
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: one scene at a time on this host; ray: the batch streamed on Ray Data, many scenes in flight, "
    "on a local instance or the cluster --ray-address names (pip install 'tankerwatch[ray]').",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="ADDRESS",
    help="Ray cluster for --engine ray (auto, host:6379, ray://host:10001; default: ray.address, else a local "
    "instance). Every host must see the scenes and OUT at the same paths.",
)
@_with_run_options
def run(
    scenes,
    out_dir,
    recursive,
    rpc_height_m,
    dem,
    full_scene,
    acquired,
    force,
    land,
    water,
    engine,
    ray_address,
    registry,
    ports,
    model,
    device,
    config,
    overrides,
) -> None:
    """The main job: detect, measure and identify tankers; write detections and port-visit alerts.

    SCENES are raster files (GeoTIFF/COG, VRT, JPEG 2000), folders of them, quoted glob patterns, or
    local STAC Items, ItemCollections and Catalogs (each Item's raster asset, with its datetime, gsd,
    proj:* and view:*). A scene's <scene>.json beside it is its STAC sidecar, not another input; each
    raster runs once. RPC-only products (no geotransform) are orthorectified on the fly to --rpc-height
    or with --dem. Outputs in OUT:
    detections/<scene_id>.geojson, masks/<scene_id>.water.tif, alerts.jsonl, alerts.geojson, chips/,
    tankerwatch.sqlite. A hull must float: detections off the water mask are dropped, and a ship-type
    classifier on native pixels types each hull and drops what is not a ship.
    Exit status: 0 every scene done, 1 some scenes failed (each printed), 2 usage error.

    \b
    Example:
      tankerwatch run scenes/ --registry configs/registry.csv --ports configs/ports.geojson --out out/
      tankerwatch run scenes/ --out out/ --full-scene --land osm_land.gpkg
      tankerwatch run stac/catalog.json --out out/
      tankerwatch run 'archive/2024-*/*.tif' --out out/
      tankerwatch run archive/ --recursive --dem copernicus_dem.tif --out out/
      tankerwatch run /shared/day/ --out /shared/out/ --engine ray --ray-address auto
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
        recursive,
        rpc_height_m,
        dem,
        engine,
        ray_address,
    )
    failed = [r for r in results if r.status == "failed"]
    done = sum(r.status == "done" for r in results)
    click.echo(summary_table(results))
    click.echo(
        f"{done} scene(s) done, {sum(r.status == 'skipped' for r in results)} skipped, "
        f"{len(failed)} failed; {sum(r.new_alerts for r in results)} new alert(s) in {out_dir / 'alerts.jsonl'}"
    )
    sys.exit(1 if failed else 0)


def summary_table(results: list[SceneResult]) -> str:
    """The batch as a table: per scene its status, size, time and throughput, tiles (spared by the cascade),
    ships, tankers, events and new alerts; then the totals."""
    head = f"{'scene':<28} {'status':<8} {'MP':>8} {'s':>7} {'MP/s':>6} {'tiles':>6} {'spared':>6} "
    head += f"{'ships':>5} {'tank':>4} {'STS':>3} {'coal':>4} {'alerts':>6}"
    lines = [head]
    for r in results:
        rate = f"{r.megapixels / r.seconds:6.1f}" if r.seconds > 0 else f"{'-':>6}"
        lines.append(
            f"{r.scene_id[:28]:<28} {r.status:<8} {r.megapixels:8.1f} {r.seconds:7.1f} {rate} {r.tiles:6d} "
            f"{r.tiles_skipped:6d} {r.detections:5d} {r.tankers:4d} {r.sts_pairs:3d} {r.coal_loading:4d} "
            f"{r.new_alerts:6d}"
        )
    mp, secs = sum(r.megapixels for r in results), sum(r.seconds for r in results)
    lines.append(
        f"{'total':<28} {len(results):<8d} {mp:8.1f} {secs:7.1f} "
        + (f"{mp / secs:6.1f}" if secs > 0 else f"{'-':>6}")
        + f" {sum(r.tiles for r in results):6d} {sum(r.tiles_skipped for r in results):6d} "
        f"{sum(r.detections for r in results):5d} {sum(r.tankers for r in results):4d} "
        f"{sum(r.sts_pairs for r in results):3d} {sum(r.coal_loading for r in results):4d} "
        f"{sum(r.new_alerts for r in results):6d}"
    )
    return "\n".join(lines)


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
