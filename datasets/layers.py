"""User vector layers (land or water polygons) from GeoJSON or GeoPackage, in a scene's CRS.

An analyst often has a better coastline than any model: an OpenStreetMap land-polygon export, a
harbour authority's berth plan. `tankerwatch run --land FILE` / `--water FILE` take such a layer and
the water mask obeys it where it has something to say. GeoJSON is read as RFC 7946 (WGS84 lon/lat);
a GeoPackage is read with the standard library's sqlite3: its geometry blobs are WKB behind a small
header (the "GP" magic, flags and an optional envelope), in the CRS its table declares.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely import wkb
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tankerwatch.schema import TankerwatchError

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # GeoPackage header flags bits 1-3 -> envelope size


def _polygonal(geoms: list[BaseGeometry], path: Path) -> BaseGeometry:
    """The union of the polygons among geoms (points and lines carry no area)."""
    polys = [g for g in geoms if g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise TankerwatchError(f"{path}: no Polygon or MultiPolygon features")
    return unary_union([p.buffer(0) if not p.is_valid else p for p in polys])


def read_geojson_layer(path: Path) -> tuple[BaseGeometry, CRS]:
    """The polygons of a GeoJSON file (WGS84)."""
    try:
        data = json.loads(path.read_text())
        feats = data["features"] if data.get("type") == "FeatureCollection" else [data]
        geoms = [shape(f["geometry"] if f.get("type") == "Feature" else f) for f in feats]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise TankerwatchError(f"{path}: not a readable GeoJSON layer ({type(e).__name__}: {e})") from None
    return _polygonal(geoms, path), CRS.from_epsg(4326)


def gpkg_geometry(blob: bytes) -> BaseGeometry:
    """A shapely geometry from a GeoPackage geometry blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry (no 'GP' magic)")
    flags = blob[3]
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0x07)
    if envelope is None:
        raise ValueError(f"bad envelope code in flags {flags:#x}")
    return wkb.loads(bytes(blob[8 + envelope :]))


def read_gpkg_layer(path: Path) -> tuple[BaseGeometry, CRS]:
    """The polygons of every feature table of a GeoPackage, in the CRS of the first table."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = con.execute("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns").fetchall()
            if not tables:
                raise TankerwatchError(f"{path}: GeoPackage has no feature table")
            srs = con.execute(
                "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                (tables[0][2],),
            ).fetchone()
            geoms = []
            for table, column, srs_id in tables:
                if srs_id != tables[0][2]:
                    raise TankerwatchError(f"{path}: feature tables in different CRSs ({tables[0][2]} and {srs_id})")
                geoms += [gpkg_geometry(row[0]) for row in con.execute(f'SELECT "{column}" FROM "{table}"') if row[0]]
        finally:
            con.close()
    except (sqlite3.Error, ValueError, struct.error) as e:
        raise TankerwatchError(f"{path}: not a readable GeoPackage ({e})") from None
    if srs is None:
        raise TankerwatchError(f"{path}: CRS {tables[0][2]} not in gpkg_spatial_ref_sys")
    crs = CRS.from_authority(srs[0], srs[1]) if srs[0] and srs[0].upper() == "EPSG" else CRS.from_wkt(srs[2])
    return _polygonal(geoms, path), crs


def read_layer(path: Path) -> tuple[BaseGeometry, CRS]:
    """A land or water layer's polygons and their CRS, by file type (.geojson/.json or .gpkg)."""
    path = Path(path)
    if not path.exists():
        raise TankerwatchError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_geojson_layer(path)
    if suffix == ".gpkg":
        return read_gpkg_layer(path)
    raise TankerwatchError(f"{path}: layer must be GeoJSON (.geojson) or GeoPackage (.gpkg)")


def layer_in_crs(path: Path, crs: CRS) -> BaseGeometry:
    """A layer's polygons reprojected into a scene's CRS."""
    geom, src_crs = read_layer(path)
    if CRS.from_user_input(crs) == src_crs:
        return geom
    t = Transformer.from_crs(src_crs, crs, always_xy=True)
    return shapely.transform(geom, lambda xy: np.stack(t.transform(xy[:, 0], xy[:, 1]), axis=1))
