"""Port areas: the bundled polygons, point-in-port, and one-line errors for bad GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import box

from tankerwatch.config import bundled_path
from tankerwatch.datasets.ports import Port, load_ports, port_at
from tankerwatch.schema import TankerwatchError

SQUARE = [[133.05, 42.73], [133.08, 42.73], [133.08, 42.76], [133.05, 42.76], [133.05, 42.73]]
BOWTIE = [[133.05, 42.73], [133.08, 42.76], [133.08, 42.73], [133.05, 42.76], [133.05, 42.73]]


def feature(pid: str = "RU-VOS", ring: list | None = None, gtype: str = "Polygon", **props) -> dict:
    """A port Feature with a single-ring polygon (the Vostochny square unless told otherwise)."""
    coords = [ring or SQUARE] if gtype == "Polygon" else [[ring or SQUARE]]
    properties = {"id": pid, "name": "Vostochny", "country": "RU", **props}
    return {"type": "Feature", "properties": properties, "geometry": {"type": gtype, "coordinates": coords}}


def write_ports(tmp_path: Path, *features: dict) -> Path:
    """A ports GeoJSON file holding the given features."""
    path = tmp_path / "ports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    """The one-line message load_ports raises for a bad file."""
    with pytest.raises(TankerwatchError) as err:
        load_ports(path)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_bundled_ports_load_and_cover_the_demo_scene():
    ports = {p.id: p for p in load_ports(bundled_path("ports.geojson"))}
    assert set(ports) == {"RU-VOS", "RU-NAK", "KP-NAM"}
    assert {p.country for p in ports.values()} == {"RU", "KP"}
    assert ports["RU-VOS"].geometry.contains(box(133.050, 42.735, 133.080, 42.760))
    assert ports["KP-NAM"].geometry.contains(box(125.36, 38.71, 125.40, 38.74))


def test_port_at_finds_the_port_holding_a_point():
    ports = load_ports(bundled_path("ports.geojson"))
    assert port_at(ports, 133.065, 42.7475).id == "RU-VOS"  # Vostochny, Wrangel Bay
    assert port_at(ports, 132.90, 42.795).id == "RU-NAK"
    assert port_at(ports, 125.37, 38.72).id == "KP-NAM"
    assert port_at(ports, 132.98, 42.75) is None  # between Nakhodka and Vostochny
    assert port_at([], 133.065, 42.7475) is None


def test_port_boundary_counts_as_inside(tmp_path):
    ports = load_ports(write_ports(tmp_path, feature()))
    assert port_at(ports, 133.05, 42.745) == ports[0]
    assert isinstance(ports[0], Port) and ports[0].name == "Vostochny"


def test_multipolygon_port_loads(tmp_path):
    ports = load_ports(write_ports(tmp_path, feature(gtype="MultiPolygon")))
    assert ports[0].geometry.geom_type == "MultiPolygon" and port_at(ports, 133.06, 42.74) is not None


def test_self_intersecting_polygon_is_named_with_file_and_feature(tmp_path):
    path = write_ports(tmp_path, feature("RU-NAK"), feature("RU-BAD", ring=BOWTIE))
    message = load_error(path)
    assert message.startswith(f"{path}: feature 1 (id 'RU-BAD'): invalid polygon: Self-intersection")


@pytest.mark.parametrize(
    "bad, problem",
    [
        (feature(gtype="Point"), "feature 0 (id 'RU-VOS'): geometry type 'Point', expected Polygon or MultiPolygon"),
        (feature(country="Russia"), "feature 0 (id 'RU-VOS'): country 'Russia' is not an ISO 3166 alpha-2 code"),
        (feature(name=""), "feature 0 (id 'RU-VOS'): missing or empty property name"),
        (
            {"type": "Feature", "properties": {}, "geometry": None},
            "feature 0 (no id): missing or empty properties id, name",
        ),
        (
            feature(ring=[[lat, lon] for lon, lat in SQUARE][:-1] + [[42.73, 193.05]]),
            "feature 0 (id 'RU-VOS'): coordinates outside lon -180..180 / lat -90..90",
        ),
        (feature(ring=[[133.05, 42.73], [133.08]]), "feature 0 (id 'RU-VOS'): malformed coordinates"),
    ],
)
def test_bad_features_are_named(tmp_path, bad, problem):
    path = write_ports(tmp_path, bad)
    assert load_error(path).startswith(f"{path}: {problem}")


def test_duplicate_port_id(tmp_path):
    path = write_ports(tmp_path, feature(), feature("RU-NAK"), feature())
    assert load_error(path) == f"{path}: feature 2 (id 'RU-VOS'): duplicate id (first in feature 0)"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no port features"),
    ],
)
def test_file_level_problems(tmp_path, text, problem):
    path = tmp_path / "ports.geojson"
    path.write_text(text, encoding="utf-8")
    assert load_error(path) == f"{path}: {problem}"


def test_missing_file(tmp_path):
    assert load_error(tmp_path / "none.geojson") == f"{tmp_path / 'none.geojson'}: ports file not found"
