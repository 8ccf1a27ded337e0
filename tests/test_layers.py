"""User land/water layers: GeoJSON and GeoPackage read into polygons in a scene's CRS."""

from __future__ import annotations

import json
import sqlite3
import struct

import pytest
from pyproj import CRS
from shapely.geometry import Polygon, box

from tankerwatch.datasets.layers import gpkg_geometry, layer_in_crs, read_layer
from tankerwatch.schema import TankerwatchError

SQUARE = [[133.0, 42.7], [133.1, 42.7], [133.1, 42.8], [133.0, 42.8], [133.0, 42.7]]


def _geojson(tmp_path, geometry) -> object:
    path = tmp_path / "land.geojson"
    path.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry, "properties": {}}]}
        )
    )
    return path


def _gpkg(tmp_path, geom: Polygon, srs_id: int = 4326, envelope: bool = True) -> object:
    """A minimal GeoPackage with one feature table holding geom."""
    path = tmp_path / "land.gpkg"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER, organization TEXT, "
        "organization_coordsys_id INTEGER, definition TEXT)"
    )
    con.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', ?, 'EPSG', ?, '')", (srs_id, srs_id))
    con.execute(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, "
        "srs_id INTEGER, z INTEGER, m INTEGER)"
    )
    con.execute("INSERT INTO gpkg_geometry_columns VALUES ('land', 'geom', 'POLYGON', ?, 0, 0)", (srs_id,))
    con.execute("CREATE TABLE land (fid INTEGER PRIMARY KEY, geom BLOB)")
    flags = 0x01 | (0x02 if envelope else 0)  # little-endian, envelope [minx, maxx, miny, maxy]
    header = b"GP" + bytes([0, flags]) + struct.pack("<i", srs_id)
    if envelope:
        x0, y0, x1, y1 = geom.bounds
        header += struct.pack("<4d", x0, x1, y0, y1)
    con.execute("INSERT INTO land (geom) VALUES (?)", (header + geom.wkb,))
    con.commit()
    con.close()
    return path


def test_geojson_layer_polygons(tmp_path):
    geom, crs = read_layer(_geojson(tmp_path, {"type": "Polygon", "coordinates": [SQUARE]}))
    assert crs == CRS.from_epsg(4326)
    assert geom.equals(Polygon(SQUARE))


@pytest.mark.parametrize("envelope", [True, False])
def test_gpkg_layer_matches_geojson(tmp_path, envelope):
    geom, crs = read_layer(_gpkg(tmp_path, Polygon(SQUARE), envelope=envelope))
    assert crs.to_epsg() == 4326
    assert geom.equals(Polygon(SQUARE))


def test_layer_reprojected_into_scene_crs(tmp_path):
    geom = layer_in_crs(_geojson(tmp_path, {"type": "Polygon", "coordinates": [SQUARE]}), CRS.from_epsg(32653))
    x0, y0, x1, y1 = geom.bounds
    assert 6_000 < x1 - x0 < 9_000  # 0.1 deg of longitude at 42.7 N is about 8.2 km
    assert 10_500 < y1 - y0 < 11_500


def test_bad_layers_name_the_file(tmp_path):
    lines = _geojson(tmp_path, {"type": "LineString", "coordinates": SQUARE})
    with pytest.raises(TankerwatchError, match="land.geojson: no Polygon"):
        read_layer(lines)
    bad = tmp_path / "coast.gpkg"
    bad.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(TankerwatchError, match="coast.gpkg: not a readable GeoPackage"):
        read_layer(bad)
    shp = tmp_path / "land.shp"
    shp.write_text("x")
    with pytest.raises(TankerwatchError, match="land.shp: layer must be GeoJSON"):
        read_layer(shp)


def test_gpkg_geometry_rejects_plain_wkb():
    with pytest.raises(ValueError, match="GP"):
        gpkg_geometry(box(0, 0, 1, 1).wkb)
