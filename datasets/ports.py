"""Port areas: GeoJSON polygons in WGS84 lon/lat, validated feature by feature."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

from tankerwatch.io import read_json
from tankerwatch.schema import TankerwatchError

GEOMETRY_TYPES: tuple[str, ...] = ("Polygon", "MultiPolygon")
PROPERTIES: tuple[str, ...] = ("id", "name", "country")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Port:
    """A watched port area: id (e.g. 'RU-VOS'), name, ISO country code, lon/lat (Multi)Polygon."""

    id: str
    name: str
    country: str
    geometry: Polygon | MultiPolygon


def _properties(props: Any) -> dict[str, str]:
    """The id, name and country of a feature, or a ValueError naming what is missing or wrong."""
    if not isinstance(props, dict):
        raise ValueError("no properties object")
    missing = [k for k in PROPERTIES if not isinstance(props.get(k), str) or not props[k].strip()]
    if missing:
        raise ValueError(f"missing or empty propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}")
    if not _COUNTRY_RE.fullmatch(props["country"]):
        raise ValueError(f"country {props['country']!r} is not an ISO 3166 alpha-2 code (two capital letters)")
    return {k: props[k].strip() for k in PROPERTIES}


def _geometry(geom: Any) -> Polygon | MultiPolygon:
    """A valid lon/lat (Multi)Polygon from a GeoJSON geometry, or a ValueError saying why not."""
    if not isinstance(geom, dict) or geom.get("type") not in GEOMETRY_TYPES:
        got = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
        raise ValueError(f"geometry type {got!r}, expected Polygon or MultiPolygon")
    try:
        poly = shape(geom)
    except Exception as e:  # shapely/GEOS raise several types for malformed coordinate arrays
        raise ValueError(f"malformed coordinates ({type(e).__name__}: {e})".splitlines()[0]) from None
    if poly.is_empty:
        raise ValueError("empty geometry")
    lonlat = np.abs(shapely.get_coordinates(poly))
    if not np.isfinite(lonlat).all() or (lonlat[:, 0] > 180).any() or (lonlat[:, 1] > 90).any():
        raise ValueError("coordinates outside lon -180..180 / lat -90..90 (GeoJSON is lon, lat in WGS84)")
    if not poly.is_valid:
        raise ValueError(f"invalid polygon: {explain_validity(poly)}")
    return poly


def _feature_label(index: int, feature: Any) -> str:
    """How an error names a feature: its index and, where readable, its id."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    pid = props.get("id") if isinstance(props, dict) else None
    return f"feature {index} (id {pid!r})" if pid is not None else f"feature {index} (no id)"


def _port(feature: Any) -> Port:
    """One GeoJSON Feature as a Port, or a ValueError saying what is wrong with it."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = _properties(feature.get("properties"))
    return Port(props["id"], props["name"], props["country"], _geometry(feature.get("geometry")))


def load_ports(path: Path | str) -> list[Port]:
    """Read and validate a ports GeoJSON FeatureCollection; errors name the file and the feature."""
    path = Path(path)
    data = read_json(path, "ports file")
    is_collection = isinstance(data, dict) and data.get("type") == "FeatureCollection"
    if not is_collection or not isinstance(data.get("features"), list):
        raise TankerwatchError(f"{path}: not a GeoJSON FeatureCollection")
    if not data["features"]:
        raise TankerwatchError(f"{path}: no port features")
    ports: list[Port] = []
    first_index: dict[str, int] = {}
    for i, feature in enumerate(data["features"]):
        try:
            port = _port(feature)
        except ValueError as e:
            raise TankerwatchError(f"{path}: {_feature_label(i, feature)}: {e}") from None
        if port.id in first_index:
            raise TankerwatchError(
                f"{path}: {_feature_label(i, feature)}: duplicate id (first in feature {first_index[port.id]})"
            )
        first_index[port.id] = i
        shapely.prepare(port.geometry)  # point-in-polygon runs for every detection
        ports.append(port)
    return ports


def port_at(ports: list[Port], lon: float, lat: float) -> Port | None:
    """The first port whose area holds the point lon/lat (boundary included), else None."""
    for port in ports:
        if shapely.intersects_xy(port.geometry, lon, lat):
            return port
    return None
