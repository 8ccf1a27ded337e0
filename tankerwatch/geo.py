"""Geodesy helpers: pixel grid to WGS84, geodesic distances and azimuths in metres."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from affine import Affine
from pyproj import CRS, Geod, Transformer

WGS84_GEOD = Geod(ellps="WGS84")


def to_lonlat_transformer(crs: CRS | str) -> Transformer:
    """Transformer from a scene CRS to WGS84 lon/lat."""
    return Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)


def from_lonlat_transformer(crs: CRS | str) -> Transformer:
    """Transformer from WGS84 lon/lat to a scene CRS."""
    return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(crs), always_xy=True)


def pixels_to_lonlat(
    transform: Affine, to_ll: Transformer, cols: Sequence[float], rows: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of pixel positions (col, row; 0,0 = top-left corner of the grid)."""
    # affine applies itself to arrays of x and y at once; its annotations only admit a pair of floats
    xs, ys = transform @ (np.asarray(cols, dtype=float), np.asarray(rows, dtype=float))  # type: ignore[operator]
    lon, lat = to_ll.transform(xs, ys)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance in metres on the WGS84 ellipsoid."""
    return float(WGS84_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def azimuth_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Bearing from point 1 to point 2, degrees clockwise from true north in [0, 360)."""
    return float(WGS84_GEOD.inv(lon1, lat1, lon2, lat2)[0]) % 360.0


def pixel_size_m(transform: Affine, to_ll: Transformer, col: float, row: float) -> tuple[float, float]:
    """Ground size in metres of one pixel (x, y) at a pixel position, for any CRS."""
    lon, lat = pixels_to_lonlat(transform, to_ll, [col, col + 1, col], [row, row, row + 1])
    return geodesic_m(lon[0], lat[0], lon[1], lat[1]), geodesic_m(lon[0], lat[0], lon[2], lat[2])


def ring_ccw(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Close a lon/lat ring and orient it counter-clockwise (RFC 7946 right-hand rule)."""
    pts = list(ring)
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts[:-1], pts[1:], strict=True))
    return pts if area2 > 0 else pts[::-1]


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing a point."""
    zone = int(math.floor((lon + 180.0) / 6.0)) + 1
    return (32600 if lat >= 0 else 32700) + zone
