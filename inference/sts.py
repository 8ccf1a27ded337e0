"""Ship-to-ship (STS) transfer candidates: two hulls moored side by side, at least one of them a tanker.

Refined oil reaches North Korea not only at its ports but by ship-to-ship transfers at sea: a tanker and a
receiving ship raft up alongside, fendered a few metres apart, and pump across. In an image this is two hull
boxes lying parallel, close, and abreast of each other. Each detection already carries an oriented hull box
(centre, length, beam, axis heading and its WGS84 footprint), so the test is pure geometry on two rectangles.

The geometry, for two hulls A and B:

- **Local metric frame.** Both footprints are projected into an azimuthal equidistant projection centred
  between the two hulls (x east, y north, metres). Over a few hundred metres its distortion is far below a
  centimetre, so lengths, gaps and angles read directly, wherever on Earth the scene lies.
- **Axis angle difference, modulo 180 degrees.** A hull's axis has no sense unless the bow is known (a rafted
  pair often lies bow to stern, "head to tail"), so the difference of the two headings is folded into
  [0, 90]: |hA - hB| mod 180, and 180 minus that when above 90. Rafted hulls are parallel within a few degrees
  (`max_angle_deg`).
- **Lateral gap between the facing sides.** Take the mean axis u of the pair (the bisector of the two axes,
  after turning B's axis to lie within 90 degrees of A's) and its normal n. Project the four corners of each
  footprint onto n: each hull covers an interval across the pair. The gap is the distance between the two
  intervals (negative when they overlap). A fendered pair is a few metres apart (`max_gap_m`); a slightly
  negative gap is still a pair, since detector boxes are a little loose (`max_overlap_across_m`), but hulls that
  overlap more than that are one hull seen twice, not two.
- **Longitudinal overlap share.** Project the corners onto u: each hull covers an interval along the pair.
  The overlap share is the length of the intersection over the shorter hull's interval, so a small ship
  alongside a large tanker, all of it abreast, has a share of 1 (`min_overlap`).

Why the look-alikes fail:

- **Crossing ships** (one passing close by another's side, or a tug pushing at an angle) fail the angle test:
  at 40 degrees they are nowhere near parallel, however close.
- **Ships moored bow to stern** in line along a quay are parallel, and their facing ends may be metres apart,
  but across the axis they cover the same band, so the lateral "gap" is minus a full beam, and along the axis
  they do not overlap at all: both the gap and the overlap tests fail.
- **Ships at anchor side by side** but tens of metres apart are parallel and abreast, but fail the gap test.
- **Two ships of which neither is a tanker** are no oil transfer: at least one hull must be class "tanker".

Each hull is in at most one pair: candidate pairs are taken closest (smallest |gap|) first, and a hull already
paired is skipped. The pair is never merged into one hull: the two detections are kept as they are
(inference/merge.py keeps rafted hulls apart too).

The thresholds are `StsConfig` (tankerwatch/config.py, the `sts:` section of configs/inference.yaml). The
pipeline looks for pairs among every scene's hulls, in the port tiles or, with `--full-scene`, anywhere, and the
store alerts each pair as `sts_transfer` (inference/visits.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

from tankerwatch.config import StsConfig
from tankerwatch.geo import geodesic_m
from tankerwatch.schema import Detection, Identification

TANKER_CLASS = "tanker"


@dataclass
class StsPair:
    """Two hulls moored side by side, at least one a tanker: a ship-to-ship transfer candidate."""

    a: Detection
    b: Detection
    gap_m: float  # between the facing sides (negative: the boxes overlap a little)
    angle_deg: float  # between the two axes, 0..90
    overlap_share: float  # longitudinal overlap over the shorter hull's length, 0..1


def axis_angle_deg(h1: float, h2: float) -> float:
    """Angle between two hull axes in degrees, 0..90 (headings modulo 180: the bow may be either end)."""
    d = abs(h1 - h2) % 180.0
    return min(d, 180.0 - d)


def _local_frame(lon: float, lat: float) -> Transformer:
    """WGS84 to an azimuthal equidistant frame centred at (lon, lat), x east and y north in metres."""
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_epsg(4326), aeqd, always_xy=True)


def _corners_m(d: Detection, frame: Transformer) -> np.ndarray:
    """The four corners of a hull in the local frame (from its footprint, else from centre, size and heading)."""
    ring = list(d.footprint_lonlat or [])
    if len(ring) >= 2 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) >= 4:
        xs, ys = frame.transform([p[0] for p in ring], [p[1] for p in ring])
        return np.stack([np.asarray(xs, float), np.asarray(ys, float)], axis=1)
    cx, cy = frame.transform(d.center_lon, d.center_lat)
    h = math.radians(d.heading_deg)
    u = np.array([math.sin(h), math.cos(h)])
    n = np.array([u[1], -u[0]])
    c = np.array([cx, cy], float)
    hl, hb = d.length_m / 2, d.beam_m / 2
    return np.array([c + u * hl + n * hb, c + u * hl - n * hb, c - u * hl - n * hb, c - u * hl + n * hb])


def pair_geometry(a: Detection, b: Detection) -> tuple[float, float, float]:
    """(gap_m, angle_deg, overlap_share) of two hulls, as the module docstring defines them."""
    angle = axis_angle_deg(a.heading_deg, b.heading_deg)
    frame = _local_frame((a.center_lon + b.center_lon) / 2, (a.center_lat + b.center_lat) / 2)
    ca, cb = _corners_m(a, frame), _corners_m(b, frame)
    ha, hb = math.radians(a.heading_deg), math.radians(b.heading_deg)
    ua = np.array([math.sin(ha), math.cos(ha)])
    ub = np.array([math.sin(hb), math.cos(hb)])
    if float(ua @ ub) < 0:  # the axes have no sense: turn B's to lie within 90 degrees of A's
        ub = -ub
    u = ua + ub
    u /= np.linalg.norm(u)
    n = np.array([u[1], -u[0]])
    pa, pb = ca @ n, cb @ n
    gap = float(max(pb.min() - pa.max(), pa.min() - pb.max()))
    la, lb = ca @ u, cb @ u
    inter = min(la.max(), lb.max()) - max(la.min(), lb.min())
    shorter = min(la.max() - la.min(), lb.max() - lb.min())
    share = float(max(inter, 0.0) / shorter) if shorter > 0 else 0.0
    return gap, angle, share


def sts_pairs(detections: list[Detection], cfg: StsConfig | None = None) -> list[StsPair]:
    """Pairs of hulls side by side (parallel, close, abreast), at least one a tanker; each hull in one pair at most.

    Candidate pairs are kept closest first (smallest |gap|, then smallest angle), so a hull with ships on both
    sides pairs with the nearer one. Detections of different scenes are never paired."""
    cfg = cfg or StsConfig()
    found: list[StsPair] = []
    n = len(detections)
    for i in range(n):
        a = detections[i]
        for j in range(i + 1, n):
            b = detections[j]
            if a.scene_id != b.scene_id or TANKER_CLASS not in (a.class_name, b.class_name):
                continue
            if axis_angle_deg(a.heading_deg, b.heading_deg) > cfg.max_angle_deg:
                continue
            # cheap reach test before projecting: centres no further apart than the hulls can reach
            reach = (max(a.length_m, a.beam_m) + max(b.length_m, b.beam_m)) / 2 + cfg.max_gap_m
            if geodesic_m(a.center_lon, a.center_lat, b.center_lon, b.center_lat) > reach:
                continue
            gap, angle, share = pair_geometry(a, b)
            if -cfg.max_overlap_across_m <= gap <= cfg.max_gap_m and share >= cfg.min_overlap:
                found.append(StsPair(a, b, round(gap, 2), round(angle, 2), round(share, 3)))
    found.sort(key=lambda p: (abs(p.gap_m), p.angle_deg))
    used: set[int] = set()
    pairs = []
    for p in found:
        if id(p.a) in used or id(p.b) in used:
            continue
        used.update((id(p.a), id(p.b)))
        pairs.append(p)
    return pairs


@dataclass
class StsEvent:
    """A ship-to-ship transfer candidate of a scene, with both hulls' identifications and the port it lies in."""

    pair: StsPair
    a: Identification
    b: Identification
    port_id: str | None  # None: at sea


def sts_events(
    idents: list[Identification], cfg: StsConfig, port_at_lonlat: Callable[[float, float], str | None]
) -> list[StsEvent]:
    """The scene's STS pairs with both hulls' identifications, each placed in the port its midpoint lies in."""
    if not cfg.enabled:
        return []
    by_hull = {id(i.detection): i for i in idents}
    events = []
    for p in sts_pairs([i.detection for i in idents], cfg):
        lon, lat = (p.a.center_lon + p.b.center_lon) / 2, (p.a.center_lat + p.b.center_lat) / 2
        events.append(StsEvent(p, by_hull[id(p.a)], by_hull[id(p.b)], port_at_lonlat(lon, lat)))
    return events
