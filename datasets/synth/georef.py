"""Georeferencing a rendered scene, and writing it out as a satellite product with its ground truth.

A scene is drawn in scene metres (x east, y down from its top-left corner). `georeference` puts it on the Earth:
the scene's centre at (center_lon, center_lat), in the UTM zone of the centre with square pixels of the GSD, or
in a geographic CRS (EPSG:4326) with pixel sizes in degrees that are the GSD in metres at the centre. The result
is an affine geotransform (pixel column, row -> CRS x, y) and the CRS, as a GeoTIFF carries them.

The ground truth is written in WGS84 longitude/latitude (GeoJSON, RFC 7946: rings counter-clockwise, holes
clockwise), mapped through the scene's own transform so it lines up with the pixels whichever CRS the image is in:

- `truth_features`: each ship's footprint (its oriented box at the waterline) and its true length, beam and
  heading, measured on the ellipsoid between the ends of the box's axes, with its kind, class, IMO, name, livery,
  and the freeboard it was drawn with (`freeboard_m`, the deck's height above the water that its shadow shows) and
  whether it was drawn loaded (`loaded`: true, false, or null where the renderer did not tell the two apart);
- `land_features`: everything that is not open water (the land with its quay, and every structure) as one
  (Multi)Polygon, empty for an open-sea scene;
- `water_truth`: the same as a raster mask on any grid over the scene (ships count as water: a hull floats);
- `stac_item`: a minimal STAC Item with the footprint, time, GSD and projection, and the view extension's angles
  (`view:sun_elevation`, `view:sun_azimuth`, and off nadir `view:off_nadir`, `view:azimuth`: `view_properties`).

`write_scene` writes the GeoTIFF (tiled, deflate) and the three JSON sidecars next to it, each atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.features import rasterize
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tankerwatch.datasets.synth.canvas import polygon_parts
from tankerwatch.datasets.synth.ships import Look, ShipFrame, ship_box_m
from tankerwatch.datasets.synth.spec import SceneSpec, ShipSpec
from tankerwatch.geo import (
    azimuth_deg,
    from_lonlat_transformer,
    geodesic_m,
    pixels_to_lonlat,
    ring_ccw,
    to_lonlat_transformer,
    utm_epsg,
)
from tankerwatch.io import atomic_write_text


@dataclass
class SynthScene:
    """A rendered scene: bands x rows x cols image, georeferencing and the ships it shows."""

    image: np.ndarray
    transform: Affine
    crs: CRS
    ships: list[ShipSpec]
    spec: SceneSpec
    structures: list[BaseGeometry] = field(default_factory=list)  # hard negatives in the water (piers, jetties, ...)
    # everything that is not open water, in scene metres (x east, y down, origin top-left): the land half-plane with
    # its quay plus every structure (piers, jetties, breakwaters, floating docks, pontoons, marinas); ships are water
    land: BaseGeometry = field(default_factory=Polygon)
    # how each ship (in the order of ships) was drawn: its freeboard (deck height above the water, which sets its
    # shadow) and whether it was drawn loaded or light; empty or None where not known (a scene built elsewhere)
    looks: list[Look | None] = field(default_factory=list)
    # the sun the shadows were cast by: elevation, and azimuth clockwise from grid north (None: not known)
    sun_elevation_deg: float | None = None
    sun_azimuth_deg: float | None = None


def georeference(spec: SceneSpec, w: int, h: int) -> tuple[Affine, CRS]:
    """Geotransform and CRS putting the scene's centre at (center_lon, center_lat)."""
    if spec.crs.lower() == "utm":
        crs = CRS.from_epsg(utm_epsg(spec.center_lon, spec.center_lat))
        x, y = from_lonlat_transformer(crs).transform(spec.center_lon, spec.center_lat)
        return Affine(spec.gsd_m, 0, x - w * spec.gsd_m / 2, 0, -spec.gsd_m, y + h * spec.gsd_m / 2), crs
    crs = CRS.from_user_input(spec.crs)
    if not crs.is_geographic:
        raise ValueError(f"synthetic scenes support 'utm' or a geographic CRS, not {spec.crs}")
    lon, lat = spec.center_lon, spec.center_lat
    dlon = spec.gsd_m / geodesic_m(lon, lat, lon + 0.01, lat) * 0.01
    dlat = spec.gsd_m / geodesic_m(lon, lat, lon, lat + 0.01) * 0.01
    return Affine(dlon, 0, lon - w * dlon / 2, 0, -dlat, lat + h * dlat / 2), crs


def water_truth(scene: SynthScene, gsd_m: float) -> np.ndarray:
    """Water mask of a scene on a grid at gsd_m covering the scene: uint8 rows x cols, 1 water, 0 land or structure.

    A pixel is land when its centre lies in SynthScene.land; ships count as water (a hull floats on it)."""
    _, h, w = scene.image.shape
    width_m, height_m = w * scene.spec.gsd_m, h * scene.spec.gsd_m
    rows, cols = max(1, int(round(height_m / gsd_m))), max(1, int(round(width_m / gsd_m)))
    polys = polygon_parts(scene.land)
    if not polys:
        return np.ones((rows, cols), np.uint8)
    # y runs down in scene metres as in the rows, so the grid's transform has a positive y scale
    grid = Affine(width_m / cols, 0, 0, 0, height_m / rows, 0)
    return rasterize([(p, 0) for p in polys], out_shape=(rows, cols), fill=1, transform=grid, dtype="uint8")


def land_features(scene: SynthScene, scene_id: str) -> dict[str, Any]:
    """SynthScene.land as a GeoJSON FeatureCollection in WGS84 lon/lat: one (Multi)Polygon feature, kind "land".

    An open-sea scene gets an empty MultiPolygon, so a reader always finds the feature (and knows there is no land)."""
    to_ll = to_lonlat_transformer(scene.crs)
    gsd = scene.spec.gsd_m

    def ring(coords: Any, hole: bool) -> list[list[float]]:
        """A ring in scene metres as a GeoJSON lon/lat ring (a hole's clockwise)."""
        px = np.asarray(coords)[:, :2] / gsd
        lon, lat = pixels_to_lonlat(scene.transform, to_ll, px[:, 0].tolist(), px[:, 1].tolist())
        pts = ring_ccw(list(zip(lon.tolist(), lat.tolist(), strict=True)))
        return [list(q) for q in (pts[::-1] if hole else pts)]  # RFC 7946: holes run clockwise

    polys = [
        [ring(p.exterior.coords, False)] + [ring(i.coords, True) for i in p.interiors]
        for p in polygon_parts(scene.land)
    ]
    geometry = (
        {"type": "Polygon", "coordinates": polys[0]}
        if len(polys) == 1
        else {"type": "MultiPolygon", "coordinates": polys}
    )
    feature = {"type": "Feature", "geometry": geometry, "properties": {"kind": "land", "scene_id": scene_id}}
    return {"type": "FeatureCollection", "features": [feature]}


def truth_features(scene: SynthScene, scene_id: str) -> dict[str, Any]:
    """Ground truth as a GeoJSON FeatureCollection: footprints and true dimensions in metres."""
    to_ll = to_lonlat_transformer(scene.crs)
    gsd = scene.spec.gsd_m
    feats = []
    for i, s in enumerate(scene.ships):
        look = scene.looks[i] if i < len(scene.looks) else None
        f = ShipFrame(s)
        ends = f([(-s.length_m / 2, 0), (s.length_m / 2, 0), (0, -s.beam_m / 2), (0, s.beam_m / 2), (0, 0)]) / gsd
        corners = np.array(ship_box_m(s).exterior.coords)[:4] / gsd
        lon, lat = pixels_to_lonlat(scene.transform, to_ll, corners[:, 0].tolist(), corners[:, 1].tolist())
        elon, elat = pixels_to_lonlat(scene.transform, to_ll, ends[:, 0].tolist(), ends[:, 1].tolist())
        footprint = ring_ccw(list(zip(lon.tolist(), lat.tolist(), strict=True)))
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in footprint]]},
                "properties": {
                    "class": s.ship_class,
                    "kind": s.kind,
                    "length_m": round(geodesic_m(elon[0], elat[0], elon[1], elat[1]), 3),
                    "beam_m": round(geodesic_m(elon[2], elat[2], elon[3], elat[3]), 3),
                    "heading_deg": round(azimuth_deg(elon[0], elat[0], elon[1], elat[1]), 3),
                    "center_lon": float(elon[4]),
                    "center_lat": float(elat[4]),
                    "imo": s.imo,
                    "name": s.name,
                    "livery": s.livery,
                    "scene_id": scene_id,
                    "freeboard_m": None if look is None else round(float(look.freeboard), 3),
                    "loaded": None if look is None else look.loaded,
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def view_properties(scene: SynthScene) -> dict[str, float]:
    """The STAC view extension's sun and sensor angles of a rendered scene, in degrees.

    The renderer's azimuths are from grid north (image up); they are written as from true north, which for these
    north-up scenes is off by the UTM meridian convergence only (about 1.3 degrees at Vostochny, nothing in
    EPSG:4326). view:azimuth is from the target towards the sensor (datasets/scene.py, ViewGeometry): a tall thing's
    top is displaced away from the sensor, so it is the renderer's lean azimuth turned round."""
    props: dict[str, float] = {}
    if scene.sun_elevation_deg is not None:
        props["view:sun_elevation"] = round(scene.sun_elevation_deg, 4)
    if scene.sun_azimuth_deg is not None:
        props["view:sun_azimuth"] = round(scene.sun_azimuth_deg % 360.0, 4)
    if scene.spec.off_nadir_deg > 0:
        props["view:off_nadir"] = round(float(scene.spec.off_nadir_deg), 4)
        props["view:azimuth"] = round((scene.spec.off_nadir_az_deg + 180.0) % 360.0, 4)
    return props


def stac_item(scene: SynthScene, scene_id: str, tif_name: str) -> dict[str, Any]:
    """A minimal STAC Item describing the scene (datetime, GSD, projection, sun and view angles)."""
    to_ll = to_lonlat_transformer(scene.crs)
    h, w = scene.image.shape[1:]
    lon, lat = pixels_to_lonlat(scene.transform, to_ll, [0, w, w, 0], [0, 0, h, h])
    ring = ring_ccw(list(zip(lon.tolist(), lat.tolist(), strict=True)))
    properties: dict[str, Any] = {
        "datetime": scene.spec.acquired,
        "gsd": scene.spec.gsd_m,
        "proj:code": scene.crs.to_string(),
    }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"synth-{scene_id}",
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
        "bbox": [min(lon), min(lat), max(lon), max(lat)],
        "properties": properties | view_properties(scene),
        "links": [],
        "assets": {"image": {"href": tif_name, "type": "image/tiff; application=geotiff"}},
    }


def write_scene(scene: SynthScene, out_dir: Path, scene_id: str) -> Path:
    """Write <id>.tif (GeoTIFF), <id>.json (STAC Item), <id>.truth.geojson and <id>.land.geojson; returns the .tif."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tif = out_dir / f"{scene_id}.tif"
    tmp = out_dir / f".{scene_id}.tif.tmp"
    bands, h, w = scene.image.shape
    profile = dict(
        driver="GTiff",
        width=w,
        height=h,
        count=bands,
        dtype=scene.image.dtype.name,
        crs=scene.crs,
        transform=scene.transform,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(scene.image)
        dst.update_tags(TIFFTAG_DATETIME=scene.spec.acquired[:19].replace("-", ":").replace("T", " "))
    tmp.replace(tif)
    atomic_write_text(out_dir / f"{scene_id}.json", json.dumps(stac_item(scene, scene_id, tif.name), indent=1))
    atomic_write_text(out_dir / f"{scene_id}.truth.geojson", json.dumps(truth_features(scene, scene_id)))
    atomic_write_text(out_dir / f"{scene_id}.land.geojson", json.dumps(land_features(scene, scene_id)))
    return tif
