"""Port areas: GeoJSON polygons in WGS84 lon/lat, validated feature by feature.

An area is one polygon: a whole harbour, or a berth, terminal or anchorage of a port (its `kind`).
The optional `port` property names the id of the area that stands for the whole port, so the areas of
one port group together (`port_of`); areas of one port must not overlap, so a point lies in one area.
"""

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
KINDS: tuple[str, ...] = ("berth", "anchorage", "oil_terminal", "coal_berth", "port")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Port:
    """A watched port area: id (e.g. 'RU-VOS'), name, ISO country code, lon/lat (Multi)Polygon.

    kind: one of KINDS, or None where the file gives none; port: the id of the area standing for the
    whole port this area belongs to (None: the area is a port of its own); notes: free text."""

    id: str
    name: str
    country: str
    geometry: Polygon | MultiPolygon
    kind: str | None = None
    port: str | None = None
    notes: str = ""


def _optional_str(props: dict, key: str) -> str | None:
    """An optional string property, stripped; None when absent or null, a ValueError when not a non-empty string."""
    value = props.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"property {key} {value!r} is not a non-empty string")
    return value.strip()


def _properties(props: Any) -> dict[str, str | None]:
    """The id, name, country, kind, port and notes of a feature, or a ValueError naming what is missing or wrong."""
    if not isinstance(props, dict):
        raise ValueError("no properties object")
    missing = [k for k in PROPERTIES if not isinstance(props.get(k), str) or not props[k].strip()]
    if missing:
        raise ValueError(f"missing or empty propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}")
    if not _COUNTRY_RE.fullmatch(props["country"]):
        raise ValueError(f"country {props['country']!r} is not an ISO 3166 alpha-2 code (two capital letters)")
    out: dict[str, str | None] = {k: props[k].strip() for k in PROPERTIES}
    out["kind"] = _optional_str(props, "kind")
    if out["kind"] is not None and out["kind"] not in KINDS:
        raise ValueError(f"kind {out['kind']!r} is not one of {', '.join(KINDS)}")
    out["port"] = _optional_str(props, "port")
    notes = props.get("notes")
    out["notes"] = notes.strip() if isinstance(notes, str) else ""
    return out


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
    pid, name, country = str(props["id"]), str(props["name"]), str(props["country"])
    geometry = _geometry(feature.get("geometry"))
    return Port(pid, name, country, geometry, props["kind"], props["port"], props["notes"] or "")


def port_of(area: Port) -> str:
    """The id of the port an area belongs to: its `port` property, else its own id."""
    return area.port or area.id


def group_ports(areas: list[Port]) -> dict[str, list[Port]]:
    """Areas by the id of the port they belong to (port_of), ports and areas in file order."""
    groups: dict[str, list[Port]] = {}
    for area in areas:
        groups.setdefault(port_of(area), []).append(area)
    return groups


def area_km2(area: Port) -> float:
    """The geodesic area of a port area in km² (WGS84 ellipsoid)."""
    from tankerwatch.geo import WGS84_GEOD

    return abs(WGS84_GEOD.geometry_area_perimeter(area.geometry)[0]) / 1e6


def _check_ports(ports: list[Port]) -> tuple[int, str] | None:
    """The first problem with the `port` links and overlaps between areas of one port, as (index, message)."""
    by_id = {p.id: (i, p) for i, p in enumerate(ports)}
    for i, area in enumerate(ports):
        if area.port is None or area.port == area.id:
            continue
        if area.port not in by_id:
            return i, f"port {area.port!r} is not the id of any area in the file (nor the area's own id)"
        j, parent = by_id[area.port]
        if port_of(parent) != parent.id:
            return i, f"port {area.port!r} (feature {j}) itself belongs to port {parent.port!r}; name that port"
        if parent.country != area.country:
            return i, f"country {area.country} differs from that of its port {parent.id} ({parent.country})"
    for group in group_ports(ports).values():
        for k, a in enumerate(group):
            for b in group[k + 1 :]:
                if shapely.intersection(a.geometry, b.geometry).area > 0:
                    j = by_id[b.id][0]
                    return j, f"overlaps area {a.id!r} (feature {by_id[a.id][0]}) of the same port {port_of(a)!r}"
    return None


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
    problem = _check_ports(ports)
    if problem is not None:
        i, message = problem
        raise TankerwatchError(f"{path}: {_feature_label(i, data['features'][i])}: {message}")
    return ports


def port_at(ports: list[Port], lon: float, lat: float) -> Port | None:
    """The first port area that holds the point lon/lat (boundary included), else None (port_of gives its port)."""
    for port in ports:
        if shapely.intersects_xy(port.geometry, lon, lat):
            return port
    return None


def port_id_at(ports: list[Port], lon: float, lat: float) -> str | None:
    """The id of the port whose areas hold the point lon/lat, else None (at sea)."""
    area = port_at(ports, lon, lat)
    return port_of(area) if area else None
