"""Synthetic georeferenced port scenes with tankers and other ships, plus ground truth."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

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

# Real-proportion ranges (length_m, beam/length) per kind; class is what the detector learns.
SHIP_KINDS: dict[str, dict] = {
    "product_tanker": {"cls": "tanker", "length": (75, 185), "ratio": (0.14, 0.18)},
    "crude_tanker": {"cls": "tanker", "length": (180, 280), "ratio": (0.16, 0.19)},
    "chemical_tanker": {"cls": "tanker", "length": (70, 150), "ratio": (0.14, 0.17)},
    "bulk_carrier": {"cls": "vessel", "length": (120, 230), "ratio": (0.14, 0.17)},
    "container_ship": {"cls": "vessel", "length": (120, 260), "ratio": (0.13, 0.16)},
    "general_cargo": {"cls": "vessel", "length": (70, 140), "ratio": (0.14, 0.18)},
    "lpg_carrier": {"cls": "vessel", "length": (90, 180), "ratio": (0.15, 0.18)},
    "tug": {"cls": "vessel", "length": (22, 35), "ratio": (0.30, 0.36)},
    "barge": {"cls": "vessel", "length": (40, 90), "ratio": (0.22, 0.30)},
    "fishing": {"cls": "vessel", "length": (18, 45), "ratio": (0.20, 0.26)},
}
TANKER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] == "tanker")
OTHER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] != "tanker")

DECK_COLOURS = {
    "tanker": [(150, 60, 45), (120, 45, 40), (70, 95, 70), (110, 110, 105), (165, 85, 55), (60, 80, 95)],
    "bulk_carrier": [(150, 50, 40), (90, 90, 90), (60, 70, 110), (170, 120, 60)],
    "hull": [(35, 35, 40), (120, 30, 30), (30, 40, 70), (200, 200, 195), (60, 60, 60)],
}


@dataclass
class ShipSpec:
    """A ship to draw: kind, size in metres, centre in scene metres (x east, y down), grid heading."""

    kind: str
    length_m: float
    beam_m: float
    x_m: float
    y_m: float
    heading_deg: float  # bow direction, clockwise from grid north (image up)
    imo: str | None = None
    name: str | None = None

    @property
    def ship_class(self) -> str:
        """Detector class of this ship ('tanker' or 'vessel')."""
        return SHIP_KINDS[self.kind]["cls"]


@dataclass
class SceneSpec:
    """What a synthetic scene covers and how it is sensed."""

    seed: int = 0
    width_m: float = 1600.0
    height_m: float = 1600.0
    gsd_m: float = 0.5
    center_lon: float = 133.065
    center_lat: float = 42.7475
    crs: str = "utm"  # 'utm' (zone of the centre) or 'EPSG:4326'
    acquired: str = "2024-05-01T02:30:00Z"
    bit_depth: int = 8  # 8, 11 or 12
    bands: int = 3  # 3 (RGB) or 4 (RGB + NIR)
    n_tankers: int = 6
    n_others: int = 8
    land: bool = True  # False: open water only (tests that need every pose free)
    ships: list[ShipSpec] = field(default_factory=list)  # placed first (e.g. registry tankers)


@dataclass
class SynthScene:
    """A rendered scene: bands x rows x cols image, georeferencing and the ships it shows."""

    image: np.ndarray
    transform: Affine
    crs: CRS
    ships: list[ShipSpec]
    spec: SceneSpec


class _Canvas:
    """An RGB float canvas in scene metres, drawing ship-frame polygons at sub-pixel precision."""

    SHIFT = 3

    def __init__(self, spec: SceneSpec) -> None:
        self.gsd = spec.gsd_m
        self.h = int(round(spec.height_m / spec.gsd_m))
        self.w = int(round(spec.width_m / spec.gsd_m))
        self.rgb = np.zeros((self.h, self.w, 3), np.float32)

    def px(self, pts_m: np.ndarray) -> np.ndarray:
        """Scene metres to fixed-point pixel coordinates for cv2."""
        return np.round(np.asarray(pts_m) / self.gsd * (1 << self.SHIFT)).astype(np.int32).reshape(-1, 1, 2)

    def fill(self, polys_m: list[np.ndarray], colour, alpha: float = 1.0) -> None:
        """Fill polygons (scene metres) with a colour."""
        if alpha >= 1.0:
            cv2.fillPoly(self.rgb, [self.px(p) for p in polys_m], tuple(float(c) for c in colour), cv2.LINE_AA, self.SHIFT)
            return
        rows, cols, shifted = self._region(polys_m)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return
        layer = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)
        cv2.fillPoly(layer, shifted, 1.0, cv2.LINE_AA, self.SHIFT)
        region = self.rgb[rows, cols]
        region += (np.asarray(colour, np.float32) - region) * (layer * alpha)[..., None]

    def _region(self, polys_m: list[np.ndarray]) -> tuple[slice, slice, list[np.ndarray]]:
        """Pixel bounding box of polygons and the polygons relative to it (so masks stay small)."""
        pts = np.concatenate([np.asarray(p).reshape(-1, 2) for p in polys_m]) / self.gsd
        x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - 2, 0, [self.w, self.h])
        x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + 2, 0, [self.w, self.h])
        shifted = [self.px(np.asarray(p).reshape(-1, 2) - np.array([x0, y0]) * self.gsd) for p in polys_m]
        return slice(y0, y1), slice(x0, x1), shifted

    def shade(self, polys_m: list[np.ndarray], factor: float) -> None:
        """Darken what lies under polygons (shadows)."""
        rows, cols, shifted = self._region(polys_m)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return
        mask = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)
        cv2.fillPoly(mask, shifted, 1.0, cv2.LINE_AA, self.SHIFT)
        self.rgb[rows, cols] *= 1.0 - (1.0 - factor) * mask[..., None]

    def line(self, a_m, b_m, colour, width_m: float) -> None:
        """Draw a line between two points in scene metres."""
        t = max(1, int(round(width_m / self.gsd)))
        p = self.px(np.array([a_m, b_m])).reshape(2, 2)
        cv2.line(self.rgb, tuple(p[0]), tuple(p[1]), tuple(float(c) for c in colour), t, cv2.LINE_AA, self.SHIFT)

    def circle(self, c_m, r_m: float, colour) -> None:
        """Fill a circle in scene metres."""
        p = self.px(np.array([c_m])).reshape(2)
        r = int(round(r_m / self.gsd * (1 << self.SHIFT)))
        cv2.circle(self.rgb, tuple(p), r, tuple(float(c) for c in colour), -1, cv2.LINE_AA, self.SHIFT)


class _ShipFrame:
    """Maps ship coordinates (u metres towards the bow, v metres to starboard) into scene metres."""

    def __init__(self, s: ShipSpec) -> None:
        h = math.radians(s.heading_deg)
        self.c = np.array([s.x_m, s.y_m])
        self.bow = np.array([math.sin(h), -math.cos(h)])
        self.stbd = np.array([math.cos(h), math.sin(h)])

    def __call__(self, uv) -> np.ndarray:
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        return self.c + uv[:, :1] * self.bow + uv[:, 1:] * self.stbd

    def rect(self, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
        """A deck rectangle in scene metres."""
        return self([(u0, v0), (u1, v0), (u1, v1), (u0, v1)])


def hull_outline(length_m: float, beam_m: float, bow_frac: float = 0.18, blunt: bool = False) -> np.ndarray:
    """Hull outline in ship coordinates: transom stern, parallel midbody, tapered bow."""
    hl, hb = length_m / 2, beam_m / 2
    pts = [(-hl, -hb * 0.88), (-hl + 0.02 * length_m, -hb), (hl - bow_frac * length_m, -hb)]
    for t in np.linspace(0, 1, 9)[1:-1]:
        pts.append((hl - bow_frac * length_m * (1 - t), -hb * (1 - t**2) ** 0.5 if not blunt else -hb * (1 - 0.5 * t**3)))
    pts.append((hl, 0.0))
    mirrored = [(u, -v) for u, v in reversed(pts[:-1])]
    return np.array(pts + mirrored)


def ship_box_m(s: ShipSpec) -> Polygon:
    """The ship's oriented box (length x beam) in scene metres."""
    f = _ShipFrame(s)
    return Polygon(f.rect(-s.length_m / 2, s.length_m / 2, -s.beam_m / 2, s.beam_m / 2))


class _Renderer:
    """Draws one scene: sea, land, port structures, ships, shadows, sensor effects."""

    def __init__(self, spec: SceneSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.cv = _Canvas(spec)
        sun_az = self.rng.uniform(100, 260)
        self.sun_el = self.rng.uniform(25, 65)
        # shadows fall away from the sun; unit vector in scene metres (x east, y down)
        a = math.radians(sun_az + 180)
        self.shadow_dir = np.array([math.sin(a), -math.cos(a)])
        self.blocked: list[Polygon] = []
        self.land = Polygon()
        self.berths: list[tuple[np.ndarray, float, float]] = []  # (point, grid heading, room along)

    def shadow_offset(self, height_m: float) -> np.ndarray:
        """Horizontal displacement of a shadow cast by something height_m tall."""
        return self.shadow_dir * height_m / math.tan(math.radians(self.sun_el))

    # --- background -------------------------------------------------------------------------
    def noise_field(self, cells: int, amplitude: float) -> np.ndarray:
        """Smooth random field over the canvas (turbidity, land texture)."""
        small = self.rng.normal(0, 1, (cells, cells)).astype(np.float32)
        return cv2.resize(small, (self.cv.w, self.cv.h), interpolation=cv2.INTER_CUBIC) * amplitude

    def draw_sea(self) -> None:
        """Water colour, turbidity and wave texture."""
        base = np.array(
            [self.rng.uniform(15, 60), self.rng.uniform(35, 85), self.rng.uniform(45, 95)], np.float32
        )
        if self.rng.random() < 0.3:  # turbid, brownish-green harbour water
            base = np.array([self.rng.uniform(50, 90), self.rng.uniform(60, 95), self.rng.uniform(45, 75)], np.float32)
        self.cv.rgb[:] = base
        self.cv.rgb += self.noise_field(6, self.rng.uniform(2, 8))[..., None]
        waves = self.rng.normal(0, self.rng.uniform(1, 5), (self.cv.h, self.cv.w)).astype(np.float32)
        waves = cv2.GaussianBlur(waves, (0, 0), max(0.6, 1.2 / self.spec.gsd_m))
        self.cv.rgb += waves[..., None] * 2.0

    def draw_land(self) -> None:
        """Land on one side of a straight coast, with quay, piers, tanks, buildings and roads."""
        sp, rng, W, H = self.spec, self.rng, self.spec.width_m, self.spec.height_m
        theta = rng.uniform(0, 2 * math.pi)
        n = np.array([math.cos(theta), math.sin(theta)])  # points out to sea
        t = np.array([-n[1], n[0]])
        centre = np.array([W / 2, H / 2])
        half = 0.5 * abs(W * n[0]) + 0.5 * abs(H * n[1])
        p0 = centre - n * half * rng.uniform(0.25, 0.75)
        big = 4 * max(W, H)
        land = Polygon([p0 + t * big, p0 - t * big, p0 - t * big - n * big, p0 + t * big - n * big])
        self.land = land.intersection(box(0, 0, W, H))
        if self.land.is_empty:
            return
        land_colour = np.array([rng.uniform(90, 150), rng.uniform(85, 140), rng.uniform(70, 120)], np.float32)
        mask = np.zeros((self.cv.h, self.cv.w), np.float32)
        cv2.fillPoly(mask, [self.cv.px(np.array(self.land.exterior.coords))], 1.0, cv2.LINE_AA, _Canvas.SHIFT)
        texture = land_colour + self.noise_field(20, 12)[..., None]
        self.cv.rgb += (texture - self.cv.rgb) * mask[..., None]
        quay_w = rng.uniform(12, 30)
        concrete = (rng.uniform(150, 200),) * 3
        self.cv.fill([np.array([p0 + t * big, p0 - t * big, p0 - t * big - n * quay_w, p0 + t * big - n * quay_w])], concrete)
        self._land_features(p0, n, t, quay_w)
        self.blocked.append(land.buffer(3))
        # berths along the quay: ships lie parallel to the coast
        heading = math.degrees(math.atan2(t[0], -t[1]))
        for s in np.arange(-big / 8, big / 8, 60.0):
            pt = p0 + t * s
            if 0 <= pt[0] <= W and 0 <= pt[1] <= H:
                self.berths.append((pt, heading, 1.0))
        self._piers(p0, n, t, concrete)

    def _land_features(self, p0, n, t, quay_w: float) -> None:
        """Storage tanks, warehouses and roads behind the quay."""
        rng = self.rng
        for _ in range(rng.integers(4, 14)):
            c = p0 + t * rng.uniform(-900, 900) - n * rng.uniform(quay_w + 30, 700)
            r = rng.uniform(8, 30)
            if not self.land.contains(Polygon(np.array([c + r * np.array([math.cos(a), math.sin(a)]) for a in np.linspace(0, 6.28, 12)]))):
                continue
            self.cv.circle(c + self.shadow_offset(r * 0.8), r, (50, 50, 50))
            self.cv.circle(c, r, (rng.uniform(180, 235),) * 3)
        for _ in range(rng.integers(3, 12)):
            c = p0 + t * rng.uniform(-900, 900) - n * rng.uniform(quay_w + 20, 600)
            a, b = rng.uniform(20, 120), rng.uniform(15, 50)
            rect = np.array([c + t * a / 2 + n * b / 2, c - t * a / 2 + n * b / 2, c - t * a / 2 - n * b / 2, c + t * a / 2 - n * b / 2])
            if not self.land.contains(Polygon(rect)):
                continue
            self.cv.shade([rect + self.shadow_offset(rng.uniform(6, 15))], 0.55)
            roof = rng.choice([(170, 170, 170), (120, 60, 50), (80, 110, 140), (200, 200, 190)])
            self.cv.fill([rect], roof)
        for k in range(rng.integers(1, 4)):
            d = quay_w + rng.uniform(40, 300)
            a, b = p0 - n * d - t * 3000, p0 - n * d + t * 3000
            self.cv.line(a, b, (rng.uniform(60, 100),) * 3, rng.uniform(6, 14))
        if rng.random() < 0.5:  # rail: two thin dark lines
            d = quay_w + rng.uniform(20, 60)
            for off in (0.0, 1.5):
                self.cv.line(p0 - n * (d + off) - t * 3000, p0 - n * (d + off) + t * 3000, (70, 60, 55), 0.5)

    def _piers(self, p0, n, t, concrete) -> None:
        """Piers and jetties out from the quay (ships berth along both sides)."""
        rng = self.rng
        for _ in range(rng.integers(0, 4)):
            s = rng.uniform(-600, 600)
            length, width = rng.uniform(120, 400), rng.uniform(10, 35)
            base = p0 + t * s
            pier = np.array([base + t * width / 2, base + t * width / 2 + n * length, base - t * width / 2 + n * length, base - t * width / 2])
            poly = Polygon(pier)
            if not poly.intersects(box(0, 0, self.spec.width_m, self.spec.height_m)):
                continue
            self.cv.shade([pier + self.shadow_offset(3)], 0.6)
            self.cv.fill([pier], concrete)
            self.blocked.append(poly.buffer(2))
            heading = math.degrees(math.atan2(n[0], -n[1]))
            for side in (-1, 1):
                for along in np.arange(40, length - 20, 50):
                    self.berths.append((base + n * along + side * t * width / 2, heading, float(side)))

    # --- ships ------------------------------------------------------------------------------
    def random_ship(self, kind: str) -> ShipSpec:
        """A ship of a kind with real proportions, not yet placed."""
        k = SHIP_KINDS[kind]
        length = self.rng.uniform(*k["length"])
        return ShipSpec(kind, round(length, 1), round(length * self.rng.uniform(*k["ratio"]), 1), 0, 0, 0)

    def place(self, s: ShipSpec, fixed: bool = False) -> bool:
        """Find a berth or anchorage for a ship that overlaps nothing; True when placed."""
        if fixed and (s.x_m or s.y_m):
            return self._try(s, s.x_m, s.y_m, s.heading_deg)
        for _ in range(60):
            if self.berths and self.rng.random() < 0.65:
                pt, h, _ = self.berths[self.rng.integers(len(self.berths))]
                # lie parallel to the berth, stand off the face by half a beam
                hr = math.radians(h)
                normal = np.array([math.cos(hr), math.sin(hr)])
                gap = s.beam_m / 2 + self.rng.uniform(1.5, 4)
                for sign in (1, -1):
                    c = pt + normal * gap * sign + np.array([math.sin(hr), -math.cos(hr)]) * self.rng.uniform(-0.3, 0.3) * s.length_m
                    if self._try(s, c[0], c[1], (h + (180 if self.rng.random() < 0.5 else 0)) % 360):
                        return True
            else:
                x, y = self.rng.uniform(0, self.spec.width_m), self.rng.uniform(0, self.spec.height_m)
                if self._try(s, x, y, self.rng.uniform(0, 360)):
                    return True
        return False

    def _try(self, s: ShipSpec, x: float, y: float, heading: float) -> bool:
        """Place a ship at a pose when its hull is mostly in the scene and clear of land and ships."""
        s.x_m, s.y_m, s.heading_deg = float(x), float(y), float(heading)
        hull = ship_box_m(s)
        inside = hull.intersection(box(0, 0, self.spec.width_m, self.spec.height_m)).area / hull.area
        if inside < 0.55 or any(hull.intersects(b) for b in self.blocked):
            return False
        self.blocked.append(hull.buffer(2.0))
        return True

    def rafted_partner(self, s: ShipSpec) -> ShipSpec | None:
        """A second ship moored alongside (ship-to-ship transfer)."""
        partner = self.random_ship(str(self.rng.choice(["product_tanker", "chemical_tanker", "general_cargo"])))
        h = math.radians(s.heading_deg)
        stbd = np.array([math.cos(h), math.sin(h)])
        c = np.array([s.x_m, s.y_m]) + stbd * (s.beam_m / 2 + partner.beam_m / 2 + 3.0) * self.rng.choice([-1, 1])
        self.blocked = [b for b in self.blocked if not b.equals(ship_box_m(s).buffer(2.0))]
        ok = self._try(partner, c[0], c[1], (s.heading_deg + self.rng.choice([0, 180])) % 360)
        self.blocked.append(ship_box_m(s).buffer(2.0))
        return partner if ok else None

    def draw_ship(self, s: ShipSpec) -> None:
        """Hull, deck, superstructure and shadows of one ship."""
        rng, f, L, B = self.rng, _ShipFrame(s), s.length_m, s.beam_m
        small = s.kind in ("tug", "fishing")
        hull = f(hull_outline(L, B, 0.3 if small else 0.16, blunt=s.kind == "barge"))
        freeboard = rng.uniform(3, 14) if not small else rng.uniform(1.5, 3)
        self.cv.shade([hull + self.shadow_offset(freeboard)], rng.uniform(0.45, 0.7))
        hull_colour = DECK_COLOURS["hull"][rng.integers(len(DECK_COLOURS["hull"]))]
        self.cv.fill([hull], hull_colour)
        inner = f(hull_outline(L * 0.97, B * 0.86, 0.3 if small else 0.16, blunt=s.kind == "barge"))
        getattr(self, f"_deck_{self._deck_style(s.kind)}")(s, f, inner, L, B)

    @staticmethod
    def _deck_style(kind: str) -> str:
        """Which deck drawing a kind uses."""
        return {
            "product_tanker": "tanker", "crude_tanker": "tanker", "chemical_tanker": "tanker",
            "bulk_carrier": "bulk", "general_cargo": "bulk", "container_ship": "container",
            "lpg_carrier": "lpg", "tug": "small", "fishing": "small", "barge": "barge",
        }[kind]

    def _superstructure(self, f: _ShipFrame, u0: float, u1: float, half_w: float, height_m: float) -> None:
        """An accommodation block with its shadow and a funnel."""
        block = f.rect(u0, u1, -half_w, half_w)
        self.cv.shade([block + self.shadow_offset(height_m)], 0.5)
        white = self.rng.uniform(205, 250)
        self.cv.fill([block], (white, white, white * self.rng.uniform(0.93, 1.0)))
        bridge = f.rect(u1 - (u1 - u0) * 0.35, u1, -half_w * 1.12, half_w * 1.12)
        self.cv.fill([bridge], (white * 0.9,) * 3)
        funnel = f.rect(u0 - 0.5, u0 + (u1 - u0) * 0.3, -half_w * 0.25, half_w * 0.25)
        self.cv.fill([funnel], tuple(self.rng.uniform(20, 200, 3)))

    def _deck_tanker(self, s, f, inner, L, B) -> None:
        """Tanker deck: coloured deck, centreline pipe rack and catwalk, manifold, aft accommodation."""
        rng = self.rng
        deck = DECK_COLOURS["tanker"][rng.integers(len(DECK_COLOURS["tanker"]))]
        self.cv.fill([inner], np.array(deck) * rng.uniform(0.85, 1.15))
        u_aft, u_fwd = -L / 2 + 0.16 * L, L / 2 - 0.1 * L
        pipe = (rng.uniform(180, 235),) * 3
        self.cv.fill([f.rect(u_aft, u_fwd, -0.035 * B, 0.035 * B)], pipe)  # pipe rack
        self.cv.fill([f.rect(u_aft, u_fwd, 0.06 * B, 0.09 * B)], np.array(pipe) * 0.8)  # catwalk
        for k in range(rng.integers(3, 7)):  # longitudinal cargo lines
            v = rng.uniform(-0.3, 0.3) * B
            self.cv.line(f([(u_aft, v)])[0], f([(u_fwd, v)])[0], np.array(pipe) * 0.9, 0.6)
        mid = rng.uniform(-0.05, 0.05) * L
        for k in range(rng.integers(3, 6)):  # manifold: pipes across the deck
            u = mid + (k - 2) * 2.2
            self.cv.fill([f.rect(u - 0.5, u + 0.5, -0.42 * B, 0.42 * B)], pipe)
        for side in (-1, 1):  # hose-handling cranes
            self.cv.circle(f([(mid + 6, side * 0.3 * B)])[0], max(0.8, 0.04 * B), (230, 230, 220))
        for k in range(rng.integers(5, 10)):  # tank hatches and deck machinery
            u = rng.uniform(u_aft, u_fwd)
            self.cv.circle(f([(u, rng.choice([-1, 1]) * 0.2 * B)])[0], 0.8, (200, 200, 190))
        self.cv.fill([f.rect(L / 2 - 0.12 * L, L / 2 - 0.08 * L, -0.3 * B, 0.3 * B)], np.array(deck) * 0.7)  # forecastle
        self._superstructure(f, -L / 2 + 0.03 * L, -L / 2 + 0.14 * L, 0.42 * B, rng.uniform(15, 30))

    def _deck_bulk(self, s, f, inner, L, B) -> None:
        """Bulk carrier / general cargo: large hatch covers, deck cranes, aft accommodation."""
        rng = self.rng
        deck = np.array(DECK_COLOURS["bulk_carrier"][rng.integers(4)]) * rng.uniform(0.8, 1.1)
        self.cv.fill([inner], deck * 0.8)
        n = int(rng.integers(3, 9)) if s.kind == "bulk_carrier" else int(rng.integers(2, 5))
        start, end = -L / 2 + 0.17 * L, L / 2 - 0.1 * L
        pitch = (end - start) / n
        cover = tuple(rng.uniform(40, 200, 3))
        for k in range(n):
            u0 = start + k * pitch + 0.12 * pitch
            self.cv.shade([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B) + self.shadow_offset(1.5)], 0.6)
            self.cv.fill([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B)], cover)
            if rng.random() < 0.5:
                c = f([(u0 - 0.1 * pitch, 0)])[0]
                self.cv.circle(c, 0.07 * B, (220, 200, 60))
                self.cv.line(c, f([(u0 + 0.4 * pitch, 0.35 * B)])[0], (200, 190, 70), 0.8)
        self._superstructure(f, -L / 2 + 0.03 * L, -L / 2 + 0.13 * L, 0.42 * B, rng.uniform(15, 28))

    def _deck_container(self, s, f, inner, L, B) -> None:
        """Container ship: rows of many-coloured container stacks."""
        rng = self.rng
        self.cv.fill([inner], (70, 70, 70))
        bay, row = 6.3, 2.5
        u_bridge = rng.uniform(-0.3, 0.2) * L
        for u in np.arange(-L / 2 + 0.15 * L, L / 2 - 0.1 * L, bay):
            if abs(u - u_bridge) < 8:
                continue
            for v in np.arange(-0.45 * B, 0.45 * B - row, row):
                if rng.random() < 0.85:
                    self.cv.fill([f.rect(u, u + bay - 0.6, v, v + row - 0.3)], tuple(rng.uniform(40, 230, 3)))
        self._superstructure(f, u_bridge - 6, u_bridge + 6, 0.45 * B, rng.uniform(25, 40))

    def _deck_lpg(self, s, f, inner, L, B) -> None:
        """LPG carrier: a raised trunk deck with domes or spherical tanks."""
        rng = self.rng
        self.cv.fill([inner], (190, 190, 185))
        n = int(rng.integers(3, 6))
        start, end = -L / 2 + 0.18 * L, L / 2 - 0.1 * L
        for k in range(n):
            c = f([(start + (k + 0.5) * (end - start) / n, 0)])[0]
            self.cv.circle(c + self.shadow_offset(6), 0.38 * B, (60, 60, 60))
            self.cv.circle(c, 0.4 * B, (235, 235, 230))
        self._superstructure(f, -L / 2 + 0.03 * L, -L / 2 + 0.14 * L, 0.42 * B, rng.uniform(15, 25))

    def _deck_small(self, s, f, inner, L, B) -> None:
        """Tug or fishing boat: a central wheelhouse."""
        self.cv.fill([inner], tuple(self.rng.uniform(60, 200, 3)))
        self._superstructure(f, -0.1 * L, 0.15 * L, 0.3 * B, self.rng.uniform(5, 9))

    def _deck_barge(self, s, f, inner, L, B) -> None:
        """Flat barge deck, sometimes with cargo heaps."""
        self.cv.fill([inner], tuple(self.rng.uniform(70, 150, 3)))
        if self.rng.random() < 0.5:
            self.cv.fill([f.rect(-0.3 * L, 0.3 * L, -0.3 * B, 0.3 * B)], tuple(self.rng.uniform(60, 140, 3)))

    def draw_cranes(self) -> None:
        """Gantry cranes on the quay whose booms can reach over moored ships."""
        if self.land.is_empty:
            return
        for pt, heading, _ in self.berths[:: max(1, len(self.berths) // 4)]:
            if self.rng.random() < 0.4:
                h = math.radians(heading)
                out = np.array([math.cos(h), math.sin(h)])
                a, b = pt - out * 20, pt + out * self.rng.uniform(20, 45)
                self.cv.line(a + self.shadow_offset(30), b + self.shadow_offset(30), (30, 30, 30), 1.5)
                self.cv.line(a, b, (200, 60, 40), 1.5)

    # --- sensor -----------------------------------------------------------------------------
    def sense(self) -> np.ndarray:
        """Haze, blur, noise and quantisation into the output bands."""
        rng, sp = self.rng, self.spec
        img = self.cv.rgb
        if rng.random() < 0.3:  # thin cloud / haze
            haze = np.clip(self.noise_field(4, 0.25) + rng.uniform(0, 0.25), 0, 0.6)
            img = img * (1 - haze[..., None]) + 220 * haze[..., None]
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
        img = img + rng.normal(0, rng.uniform(1, 4), img.shape).astype(np.float32)
        img = img * rng.uniform(0.8, 1.15) + rng.uniform(-10, 10)
        bands = [img[..., 0], img[..., 1], img[..., 2]]
        if sp.bands == 4:  # NIR: water dark, land and decks bright
            bands.append(np.clip(img.mean(axis=2) * 1.3 - 30, 0, 255))
        out = np.stack(bands)
        if sp.bit_depth == 8:
            return np.clip(out, 0, 255).astype(np.uint8)
        top = (1 << sp.bit_depth) - 1
        return np.clip(out * (top / 255.0) * rng.uniform(0.4, 0.9), 0, top).astype(np.uint16)

    def render(self) -> list[ShipSpec]:
        """Draw the whole scene; returns the ships placed."""
        self.draw_sea()
        if self.spec.land:
            self.draw_land()
        placed: list[ShipSpec] = [s for s in self.spec.ships if self.place(s, fixed=True)]
        wanted = [self.random_ship(str(self.rng.choice(TANKER_KINDS))) for _ in range(self.spec.n_tankers)]
        wanted += [self.random_ship(str(self.rng.choice(OTHER_KINDS))) for _ in range(self.spec.n_others)]
        for s in wanted:
            if self.place(s):
                placed.append(s)
                if self.rng.random() < 0.12 and (partner := self.rafted_partner(s)):
                    placed.append(partner)
        for s in placed:
            self.draw_ship(s)
        self.draw_cranes()
        return placed


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


def generate_scene(spec: SceneSpec) -> SynthScene:
    """Render a synthetic port scene and place its ships."""
    r = _Renderer(spec)
    ships = r.render()
    image = r.sense()
    transform, crs = georeference(spec, image.shape[2], image.shape[1])
    return SynthScene(image=image, transform=transform, crs=crs, ships=ships, spec=spec)


def truth_features(scene: SynthScene, scene_id: str) -> dict:
    """Ground truth as a GeoJSON FeatureCollection: footprints and true dimensions in metres."""
    to_ll = to_lonlat_transformer(scene.crs)
    gsd = scene.spec.gsd_m
    feats = []
    for s in scene.ships:
        f = _ShipFrame(s)
        ends = f([(-s.length_m / 2, 0), (s.length_m / 2, 0), (0, -s.beam_m / 2), (0, s.beam_m / 2), (0, 0)]) / gsd
        corners = np.array(ship_box_m(s).exterior.coords)[:4] / gsd
        lon, lat = pixels_to_lonlat(scene.transform, to_ll, corners[:, 0], corners[:, 1])
        elon, elat = pixels_to_lonlat(scene.transform, to_ll, ends[:, 0], ends[:, 1])
        feats.append({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring_ccw(list(zip(lon.tolist(), lat.tolist())))]]},
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
                "scene_id": scene_id,
            },
        })
    return {"type": "FeatureCollection", "features": feats}


def stac_item(scene: SynthScene, scene_id: str, tif_name: str) -> dict:
    """A minimal STAC Item describing the scene (datetime, GSD, projection, sun)."""
    to_ll = to_lonlat_transformer(scene.crs)
    h, w = scene.image.shape[1:]
    lon, lat = pixels_to_lonlat(scene.transform, to_ll, [0, w, w, 0], [0, 0, h, h])
    ring = ring_ccw(list(zip(lon.tolist(), lat.tolist())))
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"synth-{scene_id}",
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
        "bbox": [min(lon), min(lat), max(lon), max(lat)],
        "properties": {"datetime": scene.spec.acquired, "gsd": scene.spec.gsd_m, "proj:code": scene.crs.to_string()},
        "links": [],
        "assets": {"image": {"href": tif_name, "type": "image/tiff; application=geotiff"}},
    }


def write_scene(scene: SynthScene, out_dir: Path, scene_id: str) -> Path:
    """Write <id>.tif (GeoTIFF), <id>.json (STAC Item) and <id>.truth.geojson; returns the .tif path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tif = out_dir / f"{scene_id}.tif"
    tmp = out_dir / f".{scene_id}.tif.tmp"
    bands, h, w = scene.image.shape
    profile = dict(
        driver="GTiff", width=w, height=h, count=bands, dtype=scene.image.dtype.name, crs=scene.crs,
        transform=scene.transform, tiled=True, blockxsize=256, blockysize=256, compress="deflate",
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(scene.image)
        dst.update_tags(TIFFTAG_DATETIME=scene.spec.acquired[:19].replace("-", ":").replace("T", " "))
    tmp.replace(tif)
    atomic_write_text(out_dir / f"{scene_id}.json", json.dumps(stac_item(scene, scene_id, tif.name), indent=1))
    atomic_write_text(out_dir / f"{scene_id}.truth.geojson", json.dumps(truth_features(scene, scene_id)))
    return tif


def random_spec(seed: int, gsd_range=(0.3, 2.0), extent_m: float = 1400.0) -> SceneSpec:
    """A varied scene spec for training data: GSD, CRS, bit depth, bands, place, time."""
    rng = np.random.default_rng(seed + 7_919)
    gsd = float(np.exp(rng.uniform(np.log(gsd_range[0]), np.log(gsd_range[1]))))
    ports = [(133.065, 42.745), (132.90, 42.79), (125.37, 38.72), (121.6, 31.3), (4.0, 51.95), (-95.0, 29.7)]
    lon, lat = ports[rng.integers(len(ports))]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=float(rng.uniform(0, 8760)))
    return SceneSpec(
        seed=seed,
        width_m=extent_m,
        height_m=extent_m,
        gsd_m=round(gsd, 3),
        center_lon=lon + rng.uniform(-0.05, 0.05),
        center_lat=lat + rng.uniform(-0.05, 0.05),
        crs="EPSG:4326" if rng.random() < 0.25 else "utm",
        acquired=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        bit_depth=int(rng.choice([8, 8, 11, 12])),
        bands=int(rng.choice([3, 3, 4])),
        n_tankers=int(rng.integers(2, 9)),
        n_others=int(rng.integers(2, 10)),
    )


def spec_to_dict(spec: SceneSpec) -> dict:
    """A scene spec as plain data (for logs and manifests)."""
    return asdict(spec)
