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
from rasterio.features import rasterize
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

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
    "yacht": {"cls": "vessel", "length": (9, 70), "ratio": (0.17, 0.34)},
}
TANKER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] == "tanker")
# kinds drawn for SceneSpec.n_others; yachts come only from SceneSpec.n_yachts (older specs render as before)
OTHER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] != "tanker" and k != "yacht")

DECK_COLOURS = {
    "tanker": [(150, 60, 45), (120, 45, 40), (70, 95, 70), (110, 110, 105), (165, 85, 55), (60, 80, 95)],
    "bulk_carrier": [(150, 50, 40), (90, 90, 90), (60, 70, 110), (170, 120, 60)],
    "hull": [(35, 35, 40), (120, 30, 30), (30, 40, 70), (200, 200, 195), (60, 60, 60)],
}
# more colours for SceneSpec.ship_variety, kept apart so that the DECK_COLOURS draws stay as they were
VARIETY_COLOURS = {
    "tanker_deck": [(45, 75, 55), (35, 60, 45), (60, 62, 66), (85, 88, 92), (70, 85, 100), (100, 38, 32),
                    (112, 72, 50), (130, 130, 120)],
    "cargo_deck": [(45, 75, 55), (60, 62, 66), (120, 40, 35), (40, 60, 100), (150, 150, 145), (95, 80, 60)],
    "hull": [(20, 20, 24), (45, 50, 55), (95, 28, 25), (25, 45, 35), (28, 36, 62), (150, 150, 148)],
}
ANTIFOULING = (135, 45, 38)  # red below the light-ship waterline
RUST = (140, 78, 42)
CONTAINER_COLOURS = [(170, 40, 35), (40, 80, 150), (30, 110, 70), (200, 200, 195), (120, 120, 120), (210, 120, 40),
                     (110, 60, 40), (60, 140, 160), (220, 190, 60)]
CAR_COLOURS = [(225, 225, 225), (200, 200, 205), (150, 150, 155), (40, 40, 45), (25, 25, 30), (150, 30, 30),
               (40, 60, 120), (120, 120, 125)]
PIPE_COLOURS = [(200, 200, 195), (190, 170, 60), (160, 160, 160), (120, 120, 125), (200, 90, 50)]
# water styles: per-channel (low, high) ranges of the base colour; 'classic' is the original mix
WATER_STYLES: dict[str, tuple | None] = {
    "classic": None,
    "deep": ((4, 20), (12, 34), (22, 55)),  # dark navy, as in WorldView-3 true-colour products
    "black": ((2, 9), (4, 13), (7, 19)),
    "green": ((12, 32), (30, 55), (26, 45)),  # dark green coastal water
}
# independent random streams for the optional content and effects: turning one on leaves the rest as it was
_STREAMS = {"structures": 1, "variety": 2, "water": 3, "glint": 4, "wakes": 5, "clouds": 6, "fringe": 7,
            "colour": 8, "clutter": 9, "yachts": 10, "yacht_look": 11, "land": 12, "hard_water": 13, "swell": 14}
# Seeds from here up are for evaluation only (hard-port and open-sea test sets); every training set (random_spec,
# hard_port_spec and open_sea_spec scenes alike) draws its seeds below it, so no evaluation scene is ever trained on.
EVAL_SEED_BASE = 9_000_000


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
    # a vessel's own look (colours, superstructure length, manifold position), the same in every scene it is drawn
    # in: the seed of the _Livery it is drawn from; None draws the look from the scene as for any other ship
    livery: int | None = None

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
    # --- domain randomisation; every default is "off", so a spec that sets none of these renders exactly as the
    # renderer the bundled detector was trained on did. random_spec samples them.
    water_style: str = "classic"  # 'classic', 'deep' (dark navy, WV-3-like), 'black' or 'green'
    glint: float = 0.0  # sun-glint strength 0..1: a bright specular patch with sparkling wave facets
    wakes: bool = False  # V wakes and stern wash behind ships underway (never at a berth)
    cloud_cover: float = 0.0  # fraction 0..1 of the scene under thin cloud; shadows offset along the sun
    off_nadir_deg: float = 0.0  # view angle: tall parts lean by height * tan(angle); truth stays at the waterline
    off_nadir_az_deg: float = 0.0  # grid azimuth (clockwise from north) towards which tall parts lean
    jpeg_quality: int | None = None  # JPEG encode/decode round trip at this quality (40-90 is typical)
    pansharpen_fringe: float = 0.0  # per-band misregistration and blur in pixels (colour fringes at edges)
    colour_jitter: float = 0.0  # 0..1: gamma, per-band gain and offset variation
    port_structures: bool = False  # breakwaters, an oil-terminal jetty, a floating dock, a marina (hard negatives)
    quay_clutter: bool = False  # container stacks, sheds and vehicles behind the quay
    ship_variety: bool = False  # loaded/light freeboard, more deck and hull colours, rust streaks
    n_yachts: int = 0  # yachts (class 'vessel') at a marina or at anchor
    # realistic land behind the quays (terrain, vegetation, bare soil, hillside, villages, roads and rail, warehouse
    # rows, tank farms, container yards, stockpiles) and ship-shaped structures in the water that are not ships
    # (pontoons, segmented breakwaters): the land the detector mistakes for tankers (datasets/synth_land.py)
    hard_land: bool = False
    swell: float = 0.0  # 0..1: long-crested swell (wave trains tens to hundreds of metres long), whitecaps when strong
    other_kinds: list[str] | None = None  # kinds drawn (uniformly, repeats weigh) for n_others; None: OTHER_KINDS


@dataclass
class SynthScene:
    """A rendered scene: bands x rows x cols image, georeferencing and the ships it shows."""

    image: np.ndarray
    transform: Affine
    crs: CRS
    ships: list[ShipSpec]
    spec: SceneSpec
    structures: list[Polygon] = field(default_factory=list)  # hard negatives in the water (piers, jetties, ...)
    # everything that is not open water, in scene metres (x east, y down, origin top-left): the land half-plane with
    # its quay plus every structure (piers, jetties, breakwaters, floating docks, pontoons, marinas); ships are water
    land: BaseGeometry = field(default_factory=Polygon)


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

    def prism(self, base_m: np.ndarray, top_m: np.ndarray, colour, alpha: float = 1.0) -> None:
        """Fill the walls of a convex shape raised from base to top (its sides, seen off nadir)."""
        pts = np.concatenate([np.asarray(base_m), np.asarray(top_m)]).reshape(-1, 2).astype(np.float32)
        self.fill([cv2.convexHull(pts).reshape(-1, 2).astype(np.float64)], colour, alpha)

    def thin(self, a_m, b_m, colour, width_m: float, alpha: float = 1.0) -> None:
        """A straight stroke as an anti-aliased quad, so strokes narrower than a pixel fade instead of widening."""
        a, b = np.asarray(a_m, float), np.asarray(b_m, float)
        d = b - a
        n = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d))) * max(width_m, 0.25 * self.gsd) / 2
        self.fill([np.array([a + n, b + n, b - n, a - n])], colour, alpha)

    def textured(self, polys_m: list[np.ndarray], colour, rng, cell_m: float, contrast: float,
                 alpha: float = 1.0) -> None:
        """Fill polygons with a random blotchy texture around a colour (rubble, foam)."""
        rows, cols, shifted = self._region(polys_m)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return
        h, w = rows.stop - rows.start, cols.stop - cols.start
        mask = np.zeros((h, w), np.float32)
        cv2.fillPoly(mask, shifted, 1.0, cv2.LINE_AA, self.SHIFT)
        cells = (max(2, int(math.ceil(h * self.gsd / cell_m)) + 1), max(2, int(math.ceil(w * self.gsd / cell_m)) + 1))
        tex = cv2.resize(rng.normal(0, 1, cells).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        tex += rng.normal(0, 0.5, (h, w)).astype(np.float32)  # grain finer than the blotches
        region = self.rgb[rows, cols]
        if alpha >= 1.0:
            layer = np.asarray(colour, np.float32) * (1.0 + contrast * tex)[..., None]
            region += (layer - region) * mask[..., None]
        else:  # the texture modulates the opacity (foam)
            a = mask * np.clip(alpha * (1.0 + contrast * tex), 0.0, 1.0)
            region += (np.asarray(colour, np.float32) - region) * a[..., None]


class _NoCanvas:
    """A canvas that draws nothing (to make a drawing's random draws without its marks)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _polygons(geom) -> list[np.ndarray]:
    """Exterior rings (scene metres) of the polygons in a shapely geometry."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [np.asarray(geom.exterior.coords)[:-1]] if geom.area > 0 else []
    return [ring for g in getattr(geom, "geoms", []) for ring in _polygons(g)]


def _square(c, size: float, a, b) -> list[np.ndarray]:
    """A square of side size centred at c with sides along unit vectors a and b."""
    return _rect(c, a, b, size, size)


def _rect(c, a, b, len_a: float, len_b: float) -> list[np.ndarray]:
    """A rectangle centred at c, len_a along unit vector a and len_b along b."""
    c, a, b = np.asarray(c, float), np.asarray(a, float) * len_a / 2, np.asarray(b, float) * len_b / 2
    return [c + a + b, c - a + b, c - a - b, c + a - b]


def _circle_m(c, r: float, n: int = 20) -> np.ndarray:
    """A circle as a polygon in scene metres."""
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.asarray(c, float) + r * np.stack([np.cos(a), np.sin(a)], axis=1)


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

    def shifted(self, offset) -> "_ShipFrame":
        """The same frame displaced in the image (a raised deck seen off nadir)."""
        g = object.__new__(_ShipFrame)
        g.c, g.bow, g.stbd = self.c + np.asarray(offset, float), self.bow, self.stbd
        return g


@dataclass(frozen=True)
class _Livery:
    """A vessel's own paint and layout (ShipSpec.livery): what stays the same in every scene it is drawn in."""

    hull: tuple[float, float, float]
    tanker_deck: tuple[float, float, float]
    cargo_deck: tuple[float, float, float]  # every other kind's deck
    hatch_covers: tuple[float, float, float]
    white: float  # superstructure paint
    white_blue: float  # blue share of the white (1: neutral)
    funnel: tuple[float, float, float]
    pipe: float  # grey level of the deck pipes
    superstructure_frac: float  # accommodation block length / hull length
    manifold_frac: float  # manifold centre from midships towards the bow / hull length
    bridge_frac: float  # container ships: bridge centre from midships / hull length

    @classmethod
    def of(cls, seed: int) -> "_Livery":
        """The livery a seed stands for (drawn in a fixed order: a seed means one look for good)."""
        r = np.random.default_rng(seed)

        def pick(palette: list[tuple], spread: float) -> tuple[float, float, float]:
            base = np.asarray(palette[r.integers(len(palette))], float) * r.uniform(1 - spread, 1 + spread, 3)
            return tuple(float(c) for c in np.clip(base, 0, 255))

        hull = pick(DECK_COLOURS["hull"] + VARIETY_COLOURS["hull"], 0.08)
        tanker_deck = pick(DECK_COLOURS["tanker"] + VARIETY_COLOURS["tanker_deck"], 0.12)
        cargo_deck = pick(DECK_COLOURS["bulk_carrier"] + VARIETY_COLOURS["cargo_deck"], 0.12)
        return cls(hull, tanker_deck, cargo_deck, tuple(float(c) for c in r.uniform(40, 200, 3)),
                   float(r.uniform(205, 250)), float(r.uniform(0.93, 1.0)),
                   tuple(float(c) for c in r.uniform(20, 200, 3)), float(r.uniform(180, 235)),
                   float(r.uniform(0.08, 0.16)), float(r.uniform(-0.08, 0.08)), float(r.uniform(-0.3, 0.2)))


@dataclass
class _Look:
    """How one ship looks beyond the base draw (SceneSpec.ship_variety, ShipSpec.livery)."""

    freeboard: float
    loaded: bool | None = None  # None: not told apart
    deck: tuple | None = None
    hull_colour: tuple | None = None
    rust: list = field(default_factory=list)  # (u fraction of length, side, length fraction of the side)
    livery: _Livery | None = None  # wins over the scene's draws (which are still made, so the scene stays as it was)


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
        # optional content and effects draw from streams of their own, never from self.rng
        if spec.water_style not in WATER_STYLES:
            raise ValueError(f"water_style must be one of {sorted(WATER_STYLES)}, not {spec.water_style!r}")
        self.coast: tuple | None = None  # (p0, n, t, quay_w, concrete) of the land's straight coast
        self.negatives: list[Polygon] = []  # structures in the water (piers, jetties, docks, ...)
        self.marina_slots: list[tuple] = []  # (walkway edge point, unit direction out, max beam, max length)
        self.clutter: list[Polygon] = []
        self.hard = None  # synth_land.HardLand while SceneSpec.hard_land draws the land
        self.leaning = spec.off_nadir_deg > 0
        az = math.radians(spec.off_nadir_az_deg)
        self.lean_dir = np.array([math.sin(az), -math.cos(az)]) * math.tan(math.radians(min(spec.off_nadir_deg, 60.0)))
        self.vrng = self.stream("variety") if spec.ship_variety else None
        self._look_now: _Look | None = None

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of one optional effect (turning it on leaves everything else as it was)."""
        return np.random.default_rng([self.spec.seed, _STREAMS[name]])

    def shadow_offset(self, height_m: float) -> np.ndarray:
        """Horizontal displacement of a shadow cast by something height_m tall."""
        return self.shadow_dir * height_m / math.tan(math.radians(self.sun_el))

    def lean(self, height_m: float) -> np.ndarray:
        """Image displacement of a point height_m above the water, seen off nadir."""
        return self.lean_dir * height_m

    def _raised(self, poly_m: np.ndarray, height_m: float, colour, wall: float = 0.7) -> None:
        """A roof at height_m: in place at nadir, else leaning, with the walls facing the sensor."""
        if not self.leaning:
            self.cv.fill([poly_m], colour)
            return
        top = poly_m + self.lean(height_m)
        self.cv.prism(poly_m, top, np.asarray(colour, float) * wall)
        self.cv.fill([top], colour)

    # --- background -------------------------------------------------------------------------
    def noise_field(self, cells: int, amplitude: float, rng: np.random.Generator | None = None) -> np.ndarray:
        """Smooth random field over the canvas (turbidity, land texture)."""
        small = (self.rng if rng is None else rng).normal(0, 1, (cells, cells)).astype(np.float32)
        return cv2.resize(small, (self.cv.w, self.cv.h), interpolation=cv2.INTER_CUBIC) * amplitude

    def draw_sea(self) -> None:
        """Water colour, turbidity and wave texture."""
        base = np.array(
            [self.rng.uniform(15, 60), self.rng.uniform(35, 85), self.rng.uniform(45, 95)], np.float32
        )
        if self.rng.random() < 0.3:  # turbid, brownish-green harbour water
            base = np.array([self.rng.uniform(50, 90), self.rng.uniform(60, 95), self.rng.uniform(45, 75)], np.float32)
        calm = None
        if (style := WATER_STYLES[self.spec.water_style]) is not None:
            r = self.stream("water")
            base = np.array([r.uniform(lo, hi) for lo, hi in style], np.float32)
            calm = np.float32(r.uniform(0.25, 0.7))  # dark deep water shows little texture
        self.cv.rgb[:] = base
        if calm is None:
            self.cv.rgb += self.noise_field(6, self.rng.uniform(2, 8))[..., None]
        else:
            self.cv.rgb += self.noise_field(6, self.rng.uniform(2, 8))[..., None] * calm
        waves = self.rng.normal(0, self.rng.uniform(1, 5), (self.cv.h, self.cv.w)).astype(np.float32)
        waves = cv2.GaussianBlur(waves, (0, 0), max(0.6, 1.2 / self.spec.gsd_m))
        self.cv.rgb += waves[..., None] * (2.0 if calm is None else float(2.0 * calm))
        if self.spec.swell > 0:  # the glint sparkles on the swell's slopes as on the short waves
            waves = waves + self.draw_swell() * np.float32(waves.std())
        if self.spec.glint > 0:
            self.draw_glint(waves)

    def draw_swell(self) -> np.ndarray:
        """Long-crested swell: a few wave trains, bright on the slopes facing the sun, whitecaps on steep crests.

        Returns the swell's slope towards the sun on the canvas (unit spread)."""
        r, cv, sp = self.stream("swell"), self.cv, self.spec
        strength = float(np.clip(sp.swell, 0.0, 1.0))
        lam, theta = r.uniform(40, 220), r.uniform(0, 2 * math.pi)  # dominant wavelength (m) and direction
        step = max(sp.gsd_m, lam / 12)  # smooth at the wavelength: sampled coarse, then resized onto the canvas
        gw, gh = int(math.ceil(sp.width_m / step)) + 1, int(math.ceil(sp.height_m / step)) + 1
        y, x = np.mgrid[0:gh, 0:gw].astype(np.float32) * np.float32(step)
        sun = -self.shadow_dir
        height, slope = np.zeros((gh, gw), np.float32), np.zeros((gh, gw), np.float32)
        for _ in range(int(r.integers(3, 6))):  # a spread of wavelengths and directions round the dominant one
            wl, a, amp = lam * r.uniform(0.7, 1.35), theta + r.normal(0, 0.25), r.uniform(0.5, 1.0)
            kx, ky = 2 * math.pi / wl * math.cos(a), 2 * math.pi / wl * math.sin(a)
            phase = kx * x + ky * y + np.float32(r.uniform(0, 2 * math.pi))
            height += np.float32(amp) * np.sin(phase)
            slope += np.float32(amp * (math.cos(a) * sun[0] + math.sin(a) * sun[1])) * np.cos(phase)
        cells = max(2, int(max(sp.width_m, sp.height_m) / (lam * 6)))  # wave groups: the swell comes in sets
        groups = cv2.resize(r.normal(0, 1, (cells, cells)).astype(np.float32), (gw, gh), interpolation=cv2.INTER_CUBIC)
        groups = np.clip(1.0 + 0.45 * groups, 0.2, 2.0)
        slope *= groups
        slope /= np.float32(slope.std() + 1e-6)
        slope = cv2.resize(slope, (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
        cv.rgb += (slope * np.float32(strength * r.uniform(3, 9)))[..., None]
        if strength > 0.4:  # whitecaps: foam specks on the highest crests of the biggest sets
            fine = max(sp.gsd_m, 1.5)
            fw, fh = int(math.ceil(sp.width_m / fine)), int(math.ceil(sp.height_m / fine))
            crest = cv2.resize(height * groups, (fw, fh), interpolation=cv2.INTER_LINEAR)
            crest *= np.float32(1.0 / (float(np.abs(crest).max()) + 1e-6))
            specks = r.normal(0, 1, (fh, fw)).astype(np.float32)
            caps = np.clip((crest - np.float32(1.05 - 0.5 * strength)) * 4, 0, 1) * np.clip(specks - 1.2, 0, 1)
            caps = cv2.resize(cv2.GaussianBlur(caps, (0, 0), 0.8), (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
            cv.rgb += (np.float32(228) - cv.rgb) * np.clip(caps * np.float32(0.8), 0, 0.7)[..., None]
        return slope

    def draw_glint(self, waves: np.ndarray) -> None:
        """Sun glint: a broad bright patch on the side away from the sun, sparkling on the wave facets."""
        r, cv = self.stream("glint"), self.cv
        strength = float(np.clip(self.spec.glint, 0.0, 1.0))
        size = max(cv.w, cv.h)
        c = np.array([cv.w, cv.h]) / 2 + self.shadow_dir * r.uniform(0.0, 0.7) * size + r.uniform(-0.2, 0.2, 2) * size
        sx, sy = r.uniform(0.25, 0.8, 2) * size
        gx = np.exp(-0.5 * ((np.arange(cv.w) - c[0]) / sx) ** 2).astype(np.float32)
        gy = np.exp(-0.5 * ((np.arange(cv.h) - c[1]) / sy) ** 2).astype(np.float32)
        broad = np.outer(gy, gx)
        facets = waves * np.float32(1.0 / (float(waves.std()) + 1e-6))
        sparkle = np.clip(facets - np.float32(r.uniform(0.3, 1.0)), 0.0, 2.5)  # wave facets tilted to the sensor
        patches = np.clip(1.0 + self.noise_field(int(r.integers(25, 60)), r.uniform(0.08, 0.25), r), 0.0, 2.0)
        level, spark = np.float32(strength * r.uniform(40, 120)), np.float32(strength * r.uniform(8, 25))
        bright = broad * (level * patches + spark * sparkle)
        cv.rgb += bright[..., None]

    def draw_land(self) -> None:
        """Land on one side of a straight coast, with quay, piers, tanks, buildings and roads."""
        sp, rng, W, H = self.spec, self.rng, self.spec.width_m, self.spec.height_m
        theta = rng.uniform(0, 2 * math.pi)
        n = np.array([math.cos(theta), math.sin(theta)])  # points out to sea
        t = np.array([-n[1], n[0]])
        centre = np.array([W / 2, H / 2])
        half = 0.5 * abs(W * n[0]) + 0.5 * abs(H * n[1])
        frac = rng.uniform(0.25, 0.75)
        if sp.hard_land:  # a real port has more land behind its quays: the coast may lie past the centre
            from tankerwatch.datasets.synth_land import HardLand

            self.hard = HardLand(self)
            frac = self.hard.coast_fraction
        p0 = centre - n * half * frac
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
        self.coast = (p0, n, t, quay_w, concrete)
        if self.hard is None:
            self._land_features(p0, n, t, quay_w)
        else:  # the hard land replaces these features; their draws are still made, so self.rng stays in step
            canvas, self.cv = self.cv, _NoCanvas()
            self._land_features(p0, n, t, quay_w)
            self.cv = canvas
            self.hard.draw()
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
            roof = (rng.uniform(180, 235),) * 3
            if self.leaning:
                top = c + self.lean(r * 0.8)
                self.cv.prism(_circle_m(c, r), _circle_m(top, r), np.array(roof) * 0.75)
                self.cv.circle(top, r, roof)
            else:
                self.cv.circle(c, r, roof)
        for _ in range(rng.integers(3, 12)):
            c = p0 + t * rng.uniform(-900, 900) - n * rng.uniform(quay_w + 20, 600)
            a, b = rng.uniform(20, 120), rng.uniform(15, 50)
            rect = np.array([c + t * a / 2 + n * b / 2, c - t * a / 2 + n * b / 2, c - t * a / 2 - n * b / 2, c + t * a / 2 - n * b / 2])
            if not self.land.contains(Polygon(rect)):
                continue
            height = rng.uniform(6, 15)
            self.cv.shade([rect + self.shadow_offset(height)], 0.55)
            roof = rng.choice([(170, 170, 170), (120, 60, 50), (80, 110, 140), (200, 200, 190)])
            self._raised(rect, height, roof)
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
            self.negatives.append(poly)
            heading = math.degrees(math.atan2(n[0], -n[1]))
            for side in (-1, 1):
                for along in np.arange(40, length - 20, 50):
                    self.berths.append((base + n * along + side * t * width / 2, heading, float(side)))

    # --- ships ------------------------------------------------------------------------------
    def random_ship(self, kind: str) -> ShipSpec:
        """A ship of a kind with real proportions, not yet placed."""
        return random_ship(kind, self.rng)

    def place(self, s: ShipSpec, fixed: bool = False, rng: np.random.Generator | None = None) -> bool:
        """Find a berth or anchorage for a ship that overlaps nothing; True when placed."""
        rng = self.rng if rng is None else rng
        if fixed and (s.x_m or s.y_m):
            return self._try(s, s.x_m, s.y_m, s.heading_deg)
        for _ in range(60):
            if self.berths and rng.random() < 0.65:
                pt, h, _ = self.berths[rng.integers(len(self.berths))]
                # lie parallel to the berth, stand off the face by half a beam
                hr = math.radians(h)
                normal = np.array([math.cos(hr), math.sin(hr)])
                gap = s.beam_m / 2 + rng.uniform(1.5, 4)
                for sign in (1, -1):
                    c = pt + normal * gap * sign + np.array([math.sin(hr), -math.cos(hr)]) * rng.uniform(-0.3, 0.3) * s.length_m
                    if self._try(s, c[0], c[1], (h + (180 if rng.random() < 0.5 else 0)) % 360):
                        return True
            else:
                x, y = rng.uniform(0, self.spec.width_m), rng.uniform(0, self.spec.height_m)
                if self._try(s, x, y, rng.uniform(0, 360)):
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
        outline = hull_outline(L, B, 0.3 if small else 0.16, blunt=s.kind == "barge")
        hull = f(outline)
        freeboard = rng.uniform(3, 14) if not small else rng.uniform(1.5, 3)
        look = self._look(s, freeboard)
        self.cv.shade([hull + self.shadow_offset(look.freeboard)], rng.uniform(0.45, 0.7))
        hull_colour = DECK_COLOURS["hull"][rng.integers(len(DECK_COLOURS["hull"]))]
        if look.hull_colour is not None:
            hull_colour = look.hull_colour
        if s.livery is not None:
            look.livery = _Livery.of(s.livery)
            hull_colour = look.livery.hull
        if self.leaning:  # the deck stands freeboard metres above the waterline hull (which the truth outlines)
            deck_frame = f.shifted(self.lean(look.freeboard))
            self._hull_side(s, f, deck_frame, outline, hull_colour, look)
            self.cv.fill([deck_frame(outline)], hull_colour)
        else:
            deck_frame = f
            self.cv.fill([hull], hull_colour)
        if look.rust:
            self._rim_rust(s, deck_frame, look)
        self._look_now = look
        inner = deck_frame(hull_outline(L * 0.97, B * 0.86, 0.3 if small else 0.16, blunt=s.kind == "barge"))
        getattr(self, f"_deck_{self._deck_style(s.kind)}")(s, deck_frame, inner, L, B)
        self._look_now = None

    def _look(self, s: ShipSpec, freeboard: float) -> _Look:
        """Loaded or light, deck and hull colours, rust: drawn from the variety stream when it is on."""
        look = _Look(freeboard)
        r = self.vrng
        if r is None:
            return look
        L = s.length_m
        if s.ship_class == "tanker" or s.kind in ("bulk_carrier", "container_ship", "general_cargo", "lpg_carrier"):
            look.loaded = bool(r.random() < 0.5)
            # a loaded ship sits deep (little hull side, short shadow); a light one shows a tall side
            look.freeboard = r.uniform(2.5, 5.0) + 0.01 * L if look.loaded else r.uniform(0.045, 0.075) * L + 2.0
        if s.ship_class == "tanker" and r.random() < 0.55:
            look.deck = VARIETY_COLOURS["tanker_deck"][r.integers(len(VARIETY_COLOURS["tanker_deck"]))]
        elif s.kind in ("bulk_carrier", "general_cargo", "barge", "tug", "fishing") and r.random() < 0.4:
            look.deck = VARIETY_COLOURS["cargo_deck"][r.integers(len(VARIETY_COLOURS["cargo_deck"]))]
        if r.random() < 0.3:
            look.hull_colour = VARIETY_COLOURS["hull"][r.integers(len(VARIETY_COLOURS["hull"]))]
        if r.random() < 0.35:
            look.rust = [(r.uniform(-0.45, 0.42), float(r.choice([-1, 1])), r.uniform(0.3, 0.9))
                         for _ in range(r.integers(3, 14))]
        return look

    def _hull_side(self, s: ShipSpec, f: _ShipFrame, deck: _ShipFrame, outline: np.ndarray, colour, look: _Look) -> None:
        """The hull side seen off nadir: a band from the waterline up to the deck edge (red boot top when light)."""
        base, top = f(outline), deck(outline)
        side = np.asarray(colour, float) * 0.72
        if look.loaded is False:  # light ship: antifouling red shows above the waterline
            boot = f.shifted(self.lean(min(0.4 * look.freeboard, 4.5)))
            self.cv.prism(base, boot(outline), ANTIFOULING)
            self.cv.prism(boot(outline), top, side)
        else:
            self.cv.prism(base, top, side)
        # rust runs down the side facing the sensor from the deck edge
        facing = -1.0 if float(np.dot(f.stbd, self.lean_dir)) > 0 else 1.0
        for u, sgn, frac in look.rust:
            if sgn != facing:
                continue
            uu, v = u * s.length_m, sgn * s.beam_m / 2
            a = deck([(uu, v)])[0]
            b = f.shifted(self.lean(look.freeboard * (1 - frac)))([(uu, v)])[0]
            self.cv.thin(a, b, RUST, 0.6, 0.7)

    def _rim_rust(self, s: ShipSpec, f: _ShipFrame, look: _Look) -> None:
        """Rust stains along the deck edge, seen from above."""
        L, B = s.length_m, s.beam_m
        for u, sgn, frac in look.rust:
            v = sgn * 0.47 * B
            self.cv.thin(f([(u * L, v)])[0], f([(u * L + (1 + 4 * frac), v)])[0], RUST, 0.06 * B, 0.6)

    def _variety_deck(self):
        """The deck colour the variety stream chose for the ship being drawn (None: keep the base draw)."""
        return None if self._look_now is None else self._look_now.deck

    def _livery(self) -> _Livery | None:
        """The livery of the ship being drawn (None: its look comes from the scene's draws)."""
        return None if self._look_now is None else self._look_now.livery

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
        blue, funnel = self.rng.uniform(0.93, 1.0), tuple(self.rng.uniform(20, 200, 3))
        if (livery := self._livery()) is not None:
            white, blue, funnel = livery.white, livery.white_blue, livery.funnel
        if self.leaning:  # the block leans; its walls facing the sensor show
            f = f.shifted(self.lean(height_m))
            top = f.rect(u0, u1, -half_w, half_w)
            self.cv.prism(block, top, (white * 0.78, white * 0.78, white * 0.76))
            block = top
        self.cv.fill([block], (white, white, white * blue))
        bridge = f.rect(u1 - (u1 - u0) * 0.35, u1, -half_w * 1.12, half_w * 1.12)
        self.cv.fill([bridge], (white * 0.9,) * 3)
        self.cv.fill([f.rect(u0 - 0.5, u0 + (u1 - u0) * 0.3, -half_w * 0.25, half_w * 0.25)], funnel)

    def _aft_block_end(self, L: float, default_frac: float) -> float:
        """Forward end (u metres) of an aft accommodation block that starts 3 % of the length from the stern."""
        livery = self._livery()
        # the default keeps the expression the scenes were drawn with (bit for bit)
        return -L / 2 + default_frac * L if livery is None else -L / 2 + (0.03 + livery.superstructure_frac) * L

    def _deck_tanker(self, s, f, inner, L, B) -> None:
        """Tanker deck: coloured deck, centreline pipe rack and catwalk, manifold, aft accommodation."""
        rng, livery = self.rng, self._livery()
        deck = DECK_COLOURS["tanker"][rng.integers(len(DECK_COLOURS["tanker"]))]
        if (chosen := self._variety_deck()) is not None:
            deck = chosen
        paint = np.array(deck) * rng.uniform(0.85, 1.15)  # the forecastle below takes the unvaried colour
        if livery is not None:
            deck = paint = np.array(livery.tanker_deck)
        self.cv.fill([inner], paint)
        u_aft, u_fwd = -L / 2 + 0.16 * L, L / 2 - 0.1 * L
        pipe = (rng.uniform(180, 235),) * 3
        if livery is not None:
            pipe = (livery.pipe,) * 3
        self.cv.fill([f.rect(u_aft, u_fwd, -0.035 * B, 0.035 * B)], pipe)  # pipe rack
        self.cv.fill([f.rect(u_aft, u_fwd, 0.06 * B, 0.09 * B)], np.array(pipe) * 0.8)  # catwalk
        for k in range(rng.integers(3, 7)):  # longitudinal cargo lines
            v = rng.uniform(-0.3, 0.3) * B
            self.cv.line(f([(u_aft, v)])[0], f([(u_fwd, v)])[0], np.array(pipe) * 0.9, 0.6)
        mid = rng.uniform(-0.05, 0.05) * L
        if livery is not None:
            mid = livery.manifold_frac * L
        for k in range(rng.integers(3, 6)):  # manifold: pipes across the deck
            u = mid + (k - 2) * 2.2
            self.cv.fill([f.rect(u - 0.5, u + 0.5, -0.42 * B, 0.42 * B)], pipe)
        for side in (-1, 1):  # hose-handling cranes
            self.cv.circle(f([(mid + 6, side * 0.3 * B)])[0], max(0.8, 0.04 * B), (230, 230, 220))
        for k in range(rng.integers(5, 10)):  # tank hatches and deck machinery
            u = rng.uniform(u_aft, u_fwd)
            self.cv.circle(f([(u, rng.choice([-1, 1]) * 0.2 * B)])[0], 0.8, (200, 200, 190))
        self.cv.fill([f.rect(L / 2 - 0.12 * L, L / 2 - 0.08 * L, -0.3 * B, 0.3 * B)], np.array(deck) * 0.7)  # forecastle
        self._superstructure(f, -L / 2 + 0.03 * L, self._aft_block_end(L, 0.14), 0.42 * B, rng.uniform(15, 30))

    def _deck_bulk(self, s, f, inner, L, B) -> None:
        """Bulk carrier / general cargo: large hatch covers, deck cranes, aft accommodation."""
        rng, livery = self.rng, self._livery()
        deck = np.array(DECK_COLOURS["bulk_carrier"][rng.integers(4)]) * rng.uniform(0.8, 1.1)
        if (chosen := self._variety_deck()) is not None:
            deck = np.array(chosen, float)
        if livery is not None:
            deck = np.array(livery.cargo_deck)
        self.cv.fill([inner], deck * 0.8)
        n = int(rng.integers(3, 9)) if s.kind == "bulk_carrier" else int(rng.integers(2, 5))
        start, end = -L / 2 + 0.17 * L, L / 2 - 0.1 * L
        pitch = (end - start) / n
        cover = tuple(rng.uniform(40, 200, 3)) if livery is None else livery.hatch_covers
        for k in range(n):
            u0 = start + k * pitch + 0.12 * pitch
            self.cv.shade([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B) + self.shadow_offset(1.5)], 0.6)
            self.cv.fill([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B)], cover)
            if rng.random() < 0.5:
                c = f([(u0 - 0.1 * pitch, 0)])[0]
                self.cv.circle(c, 0.07 * B, (220, 200, 60))
                self.cv.line(c, f([(u0 + 0.4 * pitch, 0.35 * B)])[0], (200, 190, 70), 0.8)
        self._superstructure(f, -L / 2 + 0.03 * L, self._aft_block_end(L, 0.13), 0.42 * B, rng.uniform(15, 28))

    def _deck_container(self, s, f, inner, L, B) -> None:
        """Container ship: rows of many-coloured container stacks."""
        rng = self.rng
        self.cv.fill([inner], (70, 70, 70))
        bay, row = 6.3, 2.5
        u_bridge = rng.uniform(-0.3, 0.2) * L
        if (livery := self._livery()) is not None:
            u_bridge = livery.bridge_frac * L
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
            if self.leaning:
                self.cv.prism(_circle_m(c, 0.4 * B), _circle_m(c + self.lean(6), 0.4 * B), (195, 195, 190))
                c = c + self.lean(6)
            self.cv.circle(c, 0.4 * B, (235, 235, 230))
        self._superstructure(f, -L / 2 + 0.03 * L, self._aft_block_end(L, 0.14), 0.42 * B, rng.uniform(15, 25))

    def _deck_small(self, s, f, inner, L, B) -> None:
        """Tug or fishing boat: a central wheelhouse."""
        deck = tuple(self.rng.uniform(60, 200, 3))
        self.cv.fill([inner], deck if (livery := self._livery()) is None else livery.cargo_deck)
        self._superstructure(f, -0.1 * L, 0.15 * L, 0.3 * B, self.rng.uniform(5, 9))

    def _deck_barge(self, s, f, inner, L, B) -> None:
        """Flat barge deck, sometimes with cargo heaps."""
        deck = tuple(self.rng.uniform(70, 150, 3))
        self.cv.fill([inner], deck if (livery := self._livery()) is None else livery.cargo_deck)
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
                if self.leaning:  # the boom is 30 m up
                    a, b = a + self.lean(30), b + self.lean(30)
                self.cv.line(a, b, (200, 60, 40), 1.5)

    # --- optional content: hard negatives, quay clutter, yachts, wakes (each from its own stream) ---------
    def _water(self, geom):
        """The part of a shape in the water (land cut away)."""
        return geom.difference(self.land) if not self.land.is_empty else geom

    def _clashes(self, geom, gap: float = 8.0) -> bool:
        """Whether a new structure would touch one already there."""
        near = geom.buffer(gap)
        return any(near.intersects(g) for g in self.negatives)

    def _coast_frame(self, r: np.random.Generator):
        """The coast (p0, n out to sea, t along, concrete colour, real coast?) or a notional one for open water."""
        if self.coast is not None:
            p0, n, t, _, concrete = self.coast
            return p0, n, t, concrete, True
        theta = r.uniform(0, 2 * math.pi)
        n = np.array([math.cos(theta), math.sin(theta)])
        centre = np.array([self.spec.width_m, self.spec.height_m]) / 2
        return centre - n * r.uniform(0.1, 0.4) * max(self.spec.width_m, self.spec.height_m), n, \
            np.array([-n[1], n[0]]), (r.uniform(150, 200),) * 3, False

    def _add_negative(self, geom, buffer_m: float) -> None:
        self.negatives.append(geom)
        self.blocked.append(geom.buffer(buffer_m))

    def draw_port_structures(self) -> None:
        """Hard negatives in the water: breakwaters, an oil-terminal jetty, a floating dock, a marina."""
        r = self.stream("structures")
        p0, n, t, concrete, coast = self._coast_frame(r)
        for _ in range(int(r.integers(1, 3))):
            self._breakwater(r, p0, n, t, concrete, coast)
        if r.random() < 0.85:
            self._oil_jetty(r, p0, n, t, concrete, coast)
        if r.random() < 0.5:
            self._floating_dock(r, p0, n, t, coast)
        if coast and r.random() < 0.65:
            self._marina(r, p0, n, t)

    def _breakwater(self, r, p0, n, t, concrete, coast: bool) -> None:
        """A rubble-mound breakwater, rooted on the shore or detached offshore."""
        W, H = self.spec.width_m, self.spec.height_m
        span = max(W, H)
        width = r.uniform(12, 35)
        for _ in range(12):
            if coast and r.random() < 0.6:  # from the shore out, often with a dog-leg along the coast
                start = p0 + t * r.uniform(-0.6, 0.6) * span - n * 15
                a = math.radians(r.uniform(-60, 60))
                out = n * math.cos(a) + t * math.sin(a)
                pts = [start, start + out * r.uniform(120, 550)]
                if r.random() < 0.6:
                    pts.append(pts[-1] + t * float(r.choice([-1, 1])) * r.uniform(100, 420))
            else:  # detached, parallel to the coast
                mid = p0 + n * r.uniform(120, 700) + t * r.uniform(-0.5, 0.5) * span
                half = r.uniform(80, 330)
                pts = [mid - t * half, mid + t * half]
            geom = LineString(pts).buffer(width / 2, cap_style="round", join_style="mitre")
            geom = self._water(geom).intersection(box(-50, -50, W + 50, H + 50))
            if geom.area > 300 and not self._clashes(geom) and geom.intersects(box(0, 0, W, H)):
                break
        else:
            return
        self.rubble(r, geom)
        if r.random() < 0.6:  # a road along the crest
            crest = LineString(pts).intersection(geom.buffer(-width * 0.3))
            for seg in getattr(crest, "geoms", [crest]):
                if isinstance(seg, LineString) and seg.length > 5:
                    c = np.asarray(seg.coords)
                    for a, b in zip(c[:-1], c[1:]):
                        self.cv.line(a, b, np.array(concrete) * 0.9, width * 0.25)
        self._add_negative(geom, 4.0)

    def rubble(self, r, geom) -> None:
        """A rubble mound in the water (breakwater): shadow, surf at its toe, blotchy stone."""
        polys = _polygons(geom)
        for p in polys:
            self.cv.shade([p + self.shadow_offset(3.0)], 0.6)
        for p in _polygons(self._water(geom.buffer(1.0 + r.uniform(0, 2.5)).difference(geom))):
            self.cv.textured([p], (225, 230, 230), r, 3.0, 0.8, alpha=r.uniform(0.2, 0.5))  # surf at the toe
        stone = np.array([r.uniform(115, 175)] * 3) * np.array([1.0, r.uniform(0.93, 1.0), r.uniform(0.85, 0.98)])
        for p in polys:
            self.cv.textured([p], stone, r, r.uniform(1.2, 3.5), r.uniform(0.12, 0.22))

    def _oil_jetty(self, r, p0, n, t, concrete, coast: bool) -> None:
        """A T-shaped oil-terminal jetty: trestle with pipe racks, a berth head with loading arms, dolphins."""
        W, H = self.spec.width_m, self.spec.height_m
        span = max(W, H)
        tw, head_l, head_d = r.uniform(6, 12), r.uniform(35, 80), r.uniform(14, 28)
        for _ in range(12):
            base = p0 + t * r.uniform(-0.45, 0.45) * span
            reach = r.uniform(180, 550) if coast else r.uniform(100, 500)
            head_c = base + n * (reach + head_d / 2)
            trestle = Polygon([base + t * tw / 2 - n * 10, base + t * tw / 2 + n * reach,
                               base - t * tw / 2 + n * reach, base - t * tw / 2 - n * 10])
            head = Polygon([head_c + t * head_l / 2 - n * head_d / 2, head_c + t * head_l / 2 + n * head_d / 2,
                            head_c - t * head_l / 2 + n * head_d / 2, head_c - t * head_l / 2 - n * head_d / 2])
            size, spacing, k = r.uniform(5, 9), r.uniform(22, 40), int(r.integers(1, 4))
            face = head_c + n * (head_d / 2 - size / 2)
            dolphins = [Polygon(_square(face + t * side * (head_l / 2 + j * spacing), size, t, n))
                        for side in (-1, 1) for j in range(1, k + 1)]
            parts = ([self._water(trestle)] if coast else []) + [head] + dolphins
            geom = unary_union(parts)
            if geom.intersects(box(0, 0, W, H)) and not self._clashes(geom) and \
                    (self.land.is_empty or unary_union([head] + dolphins).intersection(self.land).area < 1):
                break
        else:
            return
        ends = [face + t * side * (head_l / 2 + k * spacing) for side in (-1, 1)]
        for p in _polygons(geom):
            self.cv.shade([p + self.shadow_offset(6.0)], 0.55)
        self.cv.thin(ends[0], ends[1], (150, 150, 150), 1.2)  # catwalks between the dolphins
        for d in dolphins:
            self.cv.fill(_polygons(d), (r.uniform(120, 165),) * 3)
            self.cv.circle(np.asarray(d.centroid.coords[0]), 0.8, (40, 40, 40))
        if coast:
            self.cv.fill(_polygons(self._water(trestle)), np.array(concrete) * 0.9)
            for i in range(int(r.integers(3, 8))):  # pipe rack along the trestle
                v = (i / 6.0 - 0.5) * (tw - 1.5)
                col = PIPE_COLOURS[r.integers(len(PIPE_COLOURS))]
                self.cv.thin(base + t * v, base + t * v + n * reach, col, r.uniform(0.5, 1.0))
        self.cv.fill(_polygons(head), concrete)
        building = np.array(_square(head_c - n * head_d * 0.2 + t * head_l * 0.3, min(10, head_d * 0.5), t, n))
        self.cv.shade([building + self.shadow_offset(5)], 0.55)
        self._raised(building, 5.0, (r.uniform(170, 230),) * 3)
        for i in range(int(r.integers(2, 5))):  # loading arms: risers near the face, booms reaching out
            q = head_c + t * (i - 1.5) * head_l * 0.18 + n * (head_d / 2 - 3)
            h = r.uniform(12, 20)
            col = [(230, 190, 40), (225, 225, 220), (200, 60, 40)][i % 3]
            self.cv.thin(q, q + self.shadow_offset(h), (40, 40, 40), 0.8, 0.7)
            tip = q + n * 2.5 + (self.lean(h) if self.leaning else 0.0)
            self.cv.thin(q, tip, col, 0.9)
            self.cv.circle(q, 1.2, col)
        self._add_negative(geom, 2.0)
        # tankers berth along the head's face (listed thrice: terminals are busy)
        heading = math.degrees(math.atan2(t[0], -t[1]))
        for _ in range(3):
            self.berths.append((head_c + n * (head_d / 2 + 1.0), heading, 1.0))

    def _floating_dock(self, r, p0, n, t, coast: bool) -> None:
        """A floating dry dock: a ship-sized pontoon with two high side walls (a hard negative)."""
        W, H = self.spec.width_m, self.spec.height_m
        L, B, wall, height = r.uniform(110, 260), r.uniform(28, 55), r.uniform(3.5, 7), r.uniform(10, 18)
        for _ in range(15):
            c = p0 + n * r.uniform(B / 2 + 25, 350) + t * r.uniform(-0.45, 0.45) * max(W, H)
            along = t if coast else np.array([math.cos(a := r.uniform(0, math.pi)), math.sin(a)])
            across = np.array([-along[1], along[0]])
            rect = np.array([c + along * L / 2 + across * B / 2, c - along * L / 2 + across * B / 2,
                             c - along * L / 2 - across * B / 2, c + along * L / 2 - across * B / 2])
            geom = Polygon(rect)
            inside = geom.intersection(box(0, 0, W, H)).area / geom.area
            if inside > 0.5 and not self._clashes(geom) and (self.land.is_empty or not geom.intersects(self.land)):
                break
        else:
            return
        self.cv.shade([rect + self.shadow_offset(height)], 0.55)
        floor = [(r.uniform(60, 100),) * 3, (110, 52, 42), (75, 80, 70)][r.integers(3)]
        self.cv.fill([rect], floor)
        for u in np.arange(-L / 2 + 10, L / 2 - 10, r.uniform(3.0, 5.0)):  # keel blocks
            q = c + along * u
            self.cv.fill([np.array(_square(q, 1.5, along, across))], (45, 40, 35))
        wall_colour = [(200, 200, 195), (150, 150, 150), (70, 90, 120), (140, 80, 55)][r.integers(4)]
        walls = [np.array([c + along * L / 2 + across * s * B / 2, c - along * L / 2 + across * s * B / 2,
                           c - along * L / 2 + across * s * (B / 2 - wall), c + along * L / 2 + across * s * (B / 2 - wall)])
                 for s in (-1, 1)]
        for w_ in walls:
            self.cv.shade([w_ + self.shadow_offset(height)], 0.6)
        for w_ in walls:
            self._raised(w_, height, wall_colour)
            q = w_.mean(axis=0) + along * r.uniform(-0.3, 0.3) * L + (self.lean(height) if self.leaning else 0.0)
            self.cv.fill([np.array(_square(q, 4.0, along, across))], (220, 180, 40))  # wall crane
            self.cv.thin(q, q - (w_.mean(axis=0) - c) / (B / 2) * r.uniform(10, 20), (220, 180, 40), 0.9)
        self._add_negative(geom, 4.0)

    def _marina(self, r, p0, n, t) -> None:
        """A yacht marina: a floating walkway out from the shore with finger pontoons (yacht berths)."""
        W, H = self.spec.width_m, self.spec.height_m
        walk_len, walk_w = r.uniform(60, 170), r.uniform(2.5, 4.0)
        finger, pitch, fw = r.uniform(9, 18), r.uniform(6, 11), 1.2
        for _ in range(12):
            base = p0 + t * r.uniform(-0.45, 0.45) * max(W, H) - n * 3
            walk = np.array([base + t * walk_w / 2, base + t * walk_w / 2 + n * walk_len,
                             base - t * walk_w / 2 + n * walk_len, base - t * walk_w / 2])
            fingers = [np.array([base + n * a + t * s * walk_w / 2, base + n * (a + fw) + t * s * walk_w / 2,
                                 base + n * (a + fw) + t * s * (walk_w / 2 + finger), base + n * a + t * s * (walk_w / 2 + finger)])
                       for a in np.arange(12, walk_len - 2, pitch) for s in (-1, 1)]
            geom = unary_union([Polygon(walk)] + [Polygon(f_) for f_ in fingers])
            if geom.intersects(box(0, 0, W, H)) and not self._clashes(self._water(geom)):
                break
        else:
            return
        deck = (r.uniform(170, 215), r.uniform(165, 205), r.uniform(150, 190))
        for p in [walk] + fingers:
            self.cv.shade([p + self.shadow_offset(0.6)], 0.6)
        for p in [walk] + fingers:
            self.cv.fill([p], deck)
        for a in np.arange(12 + fw, walk_len - 2 - pitch, pitch):
            for s in (-1, 1):
                self.marina_slots.append((base + n * (a + pitch / 2 - fw / 2) + t * s * walk_w / 2, t * s,
                                          pitch - fw - 1.0, finger + 3.0))
        self._add_negative(self._water(geom), 0.3)

    def draw_quay_clutter(self) -> None:
        """Container stacks, sheds and vehicles on the land behind the quay."""
        if self.coast is None or self.land.is_empty:
            return
        r = self.stream("clutter")
        p0, n, t, quay_w, _ = self.coast
        span = max(self.spec.width_m, self.spec.height_m)

        def free(poly: Polygon) -> bool:
            return self.land.contains(poly) and not any(poly.intersects(c) for c in self.clutter)

        for _ in range(4 * int(r.integers(3, 12))):  # container stacks in the yard (a quarter of the tries fit)
            rows, cols = int(r.integers(2, 8)), int(r.integers(3, 12))
            clen = 12.2 if r.random() < 0.7 else 6.1
            c = p0 + t * r.uniform(-0.6, 0.6) * span - n * r.uniform(quay_w + 15, quay_w + 260)
            a_len, a_wid = cols * (clen + 0.5), rows * 2.7
            outline = np.array(_rect(c, t, n, a_len, a_wid))
            if not free(Polygon(outline)):
                continue
            self.clutter.append(Polygon(outline).buffer(3))
            self.container_stack(r, c, t, n, rows, cols, clen)
        for _ in range(3 * int(r.integers(4, 16))):  # sheds and small buildings
            c = p0 + t * r.uniform(-0.6, 0.6) * span - n * r.uniform(quay_w + 8, quay_w + 300)
            rect = np.array(_rect(c, t, n, r.uniform(6, 35), r.uniform(5, 22)))
            if not free(Polygon(rect)):
                continue
            self.clutter.append(Polygon(rect).buffer(2))
            h = r.uniform(3, 9)
            self.cv.shade([rect + self.shadow_offset(h)], 0.55)
            roof = [(175, 175, 170), (140, 70, 55), (90, 120, 150), (210, 210, 200), (95, 100, 95)][r.integers(5)]
            self._raised(rect, h, np.array(roof) * r.uniform(0.85, 1.1))
        for _ in range(2 * int(r.integers(5, 25))):  # trucks and straddle carriers on the apron
            c = p0 + t * r.uniform(-0.6, 0.6) * span - n * r.uniform(3, max(4.0, quay_w - 3))
            self._vehicle(r, c, t, n, free, r.random() < 0.75)
        for _ in range(3 * int(r.integers(0, 4))):  # parking lots
            rows, cols = int(r.integers(2, 6)), int(r.integers(6, 25))
            c = p0 + t * r.uniform(-0.6, 0.6) * span - n * r.uniform(quay_w + 20, quay_w + 250)
            lot = np.array(_rect(c, t, n, cols * 2.6 + 4, rows * 6.0 + 4))
            if not free(Polygon(lot)):
                continue
            self.clutter.append(Polygon(lot).buffer(1))
            self.cv.fill([lot], (r.uniform(55, 85),) * 3)
            for i in range(rows):
                for j in range(cols):
                    if r.random() < 0.7:
                        q = c + t * (-cols * 1.3 + (j + 0.5) * 2.6) - n * (-rows * 3.0 + (i + 0.5) * 6.0)
                        car = np.array(_rect(q, n, t, 4.5, 1.8))
                        self.cv.shade([car + self.shadow_offset(1.5)], 0.6)
                        self.cv.fill([car], np.array(CAR_COLOURS[r.integers(len(CAR_COLOURS))]) * r.uniform(0.85, 1.1))
        for _ in range(3 * int(r.integers(3, 15))):  # cars and trucks on the roads and yards
            c = p0 + t * r.uniform(-0.6, 0.6) * span - n * r.uniform(quay_w, quay_w + 300)
            self._vehicle(r, c, t, n, free, r.random() < 0.3)

    def container_stack(self, r, c, t, n, rows: int, cols: int, clen: float) -> None:
        """A block of container stacks centred at c: cols containers along t, rows across, 1-5 tiers a row."""
        a_len, a_wid = cols * (clen + 0.5), rows * 2.7
        outline = np.array(_rect(c, t, n, a_len, a_wid))
        tiers = r.integers(1, 6, rows)
        self.cv.shade([outline + self.shadow_offset(2.6 * float(tiers.max()))], 0.55)
        for i in range(rows):
            for j in range(cols):
                q = c + t * (-a_len / 2 + (j + 0.5) * (clen + 0.5)) - n * (-a_wid / 2 + (i + 0.5) * 2.7)
                col = np.array(CONTAINER_COLOURS[r.integers(len(CONTAINER_COLOURS))]) * r.uniform(0.75, 1.1)
                box_ = np.array(_rect(q, t, n, clen, 2.44))
                if self.leaning:
                    box_ = box_ + self.lean(2.6 * float(tiers[i]))
                self.cv.fill([box_], col)

    def _vehicle(self, r, c, t, n, free, big: bool) -> None:
        """A car, or a truck with its cab / a straddle carrier, with its shadow."""
        along, across = (t, n) if r.random() < 0.75 else (n, t)
        size = ((16.5, 2.5) if r.random() < 0.7 else (8.0, 4.5)) if big else (4.6, 1.9)
        rect = np.array(_rect(c, along, across, *size))
        if not free(Polygon(rect)):
            return
        self.clutter.append(Polygon(rect).buffer(0.5))
        self.cv.shade([rect + self.shadow_offset(1.6 if not big else 3.5)], 0.55)
        if size[0] == 8.0:
            self.cv.fill([rect], (215, 180, 40))
            return
        self.cv.fill([rect], np.array(CAR_COLOURS[r.integers(len(CAR_COLOURS))]) if not big else tuple(r.uniform(40, 230, 3)))
        if big:
            self.cv.fill([np.array(_rect(c + along * 7.0, along, across, 2.5, 2.5))], tuple(r.uniform(60, 235, 3)))

    def place_yachts(self) -> list[ShipSpec]:
        """Yachts in marina slots or at anchor (class 'vessel')."""
        r = self.stream("yachts")
        slots = list(self.marina_slots)
        r.shuffle(slots)
        out = []
        for _ in range(self.spec.n_yachts):
            length = float(np.clip(9 + r.gamma(1.5, 7.0), 9, 70))
            if slots and r.random() < 0.75:
                edge, out_dir, max_b, max_l = slots.pop()
                length = min(length, max_l)
                beam = min(length * r.uniform(0.26, 0.34), max_b)
                c = edge + out_dir * (0.8 + length / 2)
                s = ShipSpec("yacht", round(length, 1), round(beam, 1), 0, 0, 0)
                heading = math.degrees(math.atan2(out_dir[0], -out_dir[1])) + (180 if r.random() < 0.7 else 0)
                if self._try(s, c[0], c[1], heading % 360):
                    out.append(s)
                continue
            ratio = r.uniform(0.25, 0.33) if length < 25 else r.uniform(0.17, 0.23)
            s = ShipSpec("yacht", round(length, 1), round(length * ratio, 1), 0, 0, 0)
            if self.place(s, rng=r):
                out.append(s)
        return out

    def draw_yacht(self, s: ShipSpec, r: np.random.Generator) -> None:
        """A sailing yacht (mast and its long shadow) or a motor yacht (stacked white decks)."""
        f, L, B = _ShipFrame(s), s.length_m, s.beam_m
        sail = r.random() < (0.55 if L < 22 else 0.12)
        outline = hull_outline(L, B, 0.4 if sail else 0.3)
        fb = r.uniform(1.0, 2.0) + 0.03 * L
        self.cv.shade([f(outline) + self.shadow_offset(fb)], r.uniform(0.45, 0.7))
        hull_colour = (r.uniform(225, 250),) * 3 if r.random() < 0.75 else \
            [(25, 35, 70), (50, 52, 55), (20, 20, 22), (150, 30, 30)][r.integers(4)]
        d = f
        if self.leaning:
            d = f.shifted(self.lean(fb))
            self.cv.prism(f(outline), d(outline), np.array(hull_colour) * 0.75)
        self.cv.fill([d(outline)], hull_colour)
        teak = np.array([150, 115, 78]) * r.uniform(0.85, 1.1)
        inner = d(hull_outline(L * 0.94, B * 0.82, 0.4 if sail else 0.3))
        self.cv.fill([inner], teak if sail or r.random() < 0.4 else (235, 235, 232))
        if sail:
            self.cv.fill([d.rect(-0.42 * L, -0.2 * L, -0.3 * B, 0.3 * B)], teak * 0.8)  # cockpit
            self.cv.shade([d.rect(-0.15 * L, 0.25 * L, -0.3 * B, 0.3 * B) + self.shadow_offset(0.8)], 0.6)
            self.cv.fill([d.rect(-0.15 * L, 0.25 * L, -0.3 * B, 0.3 * B)], (r.uniform(200, 240),) * 3)  # cabin top
            mast, h = d([(0.12 * L, 0)])[0], L * r.uniform(1.2, 1.5)
            self.cv.thin(f([(0.12 * L, 0)])[0], f([(0.12 * L, 0)])[0] + self.shadow_offset(h), (25, 25, 25), 0.3, 0.8)
            self.cv.thin(mast, d([(-0.3 * L, 0)])[0], (215, 215, 210), 0.25)  # boom
            if self.leaning:
                self.cv.thin(mast, mast + self.lean(h), (220, 220, 220), 0.3)
            self.cv.circle(mast, max(0.15, 0.02 * L), (60, 60, 60))
        else:
            self.cv.fill([d.rect(-0.5 * L, -0.42 * L, -0.38 * B, 0.38 * B)], teak)  # swim platform
            for k in range(1 + int(L > 18) + int(L > 35)):
                u0, u1, hw = -0.3 * L + k * 0.06 * L, 0.22 * L - k * 0.08 * L, (0.36 - 0.05 * k) * B
                h = 2.4 * (k + 1)
                deck = d.shifted(self.lean(h)) if self.leaning else d
                self.cv.shade([d.rect(u0, u1, -hw, hw) + self.shadow_offset(h)], 0.6)
                if self.leaning:
                    self.cv.prism(d.rect(u0, u1, -hw, hw), deck.rect(u0, u1, -hw, hw), (200, 200, 200))
                self.cv.fill([deck.rect(u0, u1, -hw, hw)], (r.uniform(232, 250),) * 3)
                self.cv.fill([deck.rect(u1 - 0.04 * L, u1, -hw * 0.9, hw * 0.9)], (30, 38, 55))  # windows

    def draw_wakes(self, ships: list[ShipSpec]) -> None:
        """Wakes behind ships underway: V (Kelvin) arms from the bow, turbulent track and stern wash.

        Ships at a berth, alongside a structure or rafted to another ship never have one."""
        r = self.stream("wakes")
        obstacles = unary_union([g for g in [self.land, *self.negatives] if not g.is_empty]) \
            if (not self.land.is_empty or self.negatives) else None
        boxes = [ship_box_m(s) for s in ships]
        for i, s in enumerate(ships):
            near = boxes[i].buffer(15)
            moving = r.random() < (0.75 if s.kind in ("tug", "fishing", "yacht") else 0.45)
            at_berth = (obstacles is not None and near.intersects(obstacles)) or \
                any(j != i and near.intersects(b) for j, b in enumerate(boxes))
            if moving and not at_berth:
                self._wake(s, r, obstacles)

    def _wake(self, s: ShipSpec, r: np.random.Generator, obstacles) -> None:
        """One ship's wake, drawn as a soft foam layer at about a tenth of the beam, clipped to the water."""
        f, L, B = _ShipFrame(s), s.length_m, s.beam_m
        speed = r.uniform(0.4, 1.0)
        pieces: list[tuple[np.ndarray, float]] = []
        track = L * r.uniform(1.0, 3.5) * speed
        n_seg = 8
        for k in range(n_seg):  # turbulent wake along the track, widening and fading
            d0, d1 = track * k / n_seg, track * (k + 1) / n_seg
            w0, w1 = B * (0.6 + 0.8 * d0 / track), B * (0.6 + 0.8 * d1 / track)
            pieces.append((f([(-L / 2 - d0 + 2, -w0 / 2), (-L / 2 - d1, -w1 / 2), (-L / 2 - d1, w1 / 2),
                              (-L / 2 - d0 + 2, w0 / 2)]), 0.7 * speed * (1 - k / n_seg) ** 1.3))
        half, arm = math.radians(19.47), L * r.uniform(1.0, 2.5) * speed
        for side in (-1, 1):  # Kelvin arms from the bow shoulders, thin and fading aft
            for k in range(n_seg):
                d0, d1 = arm * k / n_seg, arm * (k + 1) / n_seg
                w0, w1 = 0.06 * B + 0.25 * B * d0 / arm, 0.06 * B + 0.25 * B * d1 / arm

                def p(d: float, w: float) -> tuple[float, float]:
                    return 0.4 * L - d * math.cos(half), side * (0.35 * B + d * math.sin(half) + w)

                pieces.append((f([p(d0, -w0 / 2), p(d1, -w1 / 2), p(d1, w1 / 2), p(d0, w0 / 2)]),
                               0.4 * speed * (1 - k / n_seg) ** 1.5))
        for k in (-1, 1):  # bow wave along the shoulders
            pieces.append((f([(0.5 * L + 1, 0), (0.3 * L, k * 0.6 * B), (0.05 * L, k * 0.62 * B), (0.3 * L, k * 0.48 * B)]),
                           0.45 * speed))
        for _ in range(int(6 + 12 * speed)):  # stern wash: churned foam just aft of the stern
            c = f([(-L / 2 - r.uniform(0, 0.35 * L * speed + B), r.normal(0, 0.22 * B))])[0]
            pieces.append((_circle_m(c, r.uniform(0.15, 0.35) * B, 10), r.uniform(0.4, 0.8) * speed))
        clipped = []
        for poly, alpha in pieces:
            geom = Polygon(poly)
            if obstacles is not None:
                geom = geom.difference(obstacles)
            clipped += [(q, alpha) for q in _polygons(geom)]
        if not clipped:
            return
        cv = self.cv
        pts = np.concatenate([q for q, _ in clipped]) / cv.gsd
        c0, r0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - 4, 0, [cv.w, cv.h])
        c1, r1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + 4, 0, [cv.w, cv.h])
        if c1 - c0 < 2 or r1 - r0 < 2:
            return
        step = max(cv.gsd, B / 10)  # the foam layer is drawn coarse and soft, then resized onto the canvas
        lw, lh = max(2, int(math.ceil((c1 - c0) * cv.gsd / step))), max(2, int(math.ceil((r1 - r0) * cv.gsd / step)))
        sx, sy = lw / ((c1 - c0) * cv.gsd), lh / ((r1 - r0) * cv.gsd)
        layer = np.zeros((lh, lw), np.float32)
        origin = np.array([c0, r0]) * cv.gsd
        for q, alpha in clipped:
            xy = np.round((q - origin) * [sx, sy] * 8).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(layer, [xy], float(alpha), cv2.LINE_AA, 3)
        grain = r.normal(0, 1, (lh // 3 + 2, lw // 3 + 2)).astype(np.float32)
        layer *= np.clip(1.0 + 0.7 * cv2.resize(grain, (lw, lh), interpolation=cv2.INTER_CUBIC), 0.0, 2.0)
        layer = cv2.GaussianBlur(layer, (0, 0), 1.0)
        alpha = np.clip(cv2.resize(layer, (c1 - c0, r1 - r0), interpolation=cv2.INTER_LINEAR), 0.0, 0.9)
        region = cv.rgb[r0:r1, c0:c1]
        region += (np.array([228, 232, 232], np.float32) - region) * alpha[..., None]

    # --- sensor -----------------------------------------------------------------------------
    def sense(self) -> np.ndarray:
        """Haze, blur, noise and quantisation into the output bands."""
        rng, sp = self.rng, self.spec
        img = self.cv.rgb
        if rng.random() < 0.3:  # thin cloud / haze
            haze = np.clip(self.noise_field(4, 0.25) + rng.uniform(0, 0.25), 0, 0.6)
            img = img * (1 - haze[..., None]) + 220 * haze[..., None]
        if sp.cloud_cover > 0:
            img = self.clouds(img)
        if sp.pansharpen_fringe > 0:
            img = self.pansharpen(img)
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
        img = img + rng.normal(0, rng.uniform(1, 4), img.shape).astype(np.float32)
        img = img * rng.uniform(0.8, 1.15) + rng.uniform(-10, 10)
        if sp.colour_jitter > 0:
            img = self.colour_balance(img)
        bands = [img[..., 0], img[..., 1], img[..., 2]]
        if sp.bands == 4:
            bands.append(self.nir(img))
        if sp.jpeg_quality is not None:
            bands[:3] = self.jpeg(bands[:3])
        out = np.stack(bands)
        if sp.bit_depth == 8:
            return np.clip(out, 0, 255).astype(np.uint8)
        top = (1 << sp.bit_depth) - 1
        return np.clip(out * (top / 255.0) * rng.uniform(0.4, 0.9), 0, top).astype(np.uint16)

    def nir(self, img: np.ndarray) -> np.ndarray:
        """A near-infrared band: open water absorbs it (a quarter of the visible brightness), vegetation reflects
        it strongly, ships, structures and bare land about as in the visible; so NDWI separates water from land."""
        h, w = img.shape[:2]
        grid = Affine(self.spec.gsd_m, 0, 0, 0, self.spec.gsd_m, 0)
        solid = [(p, 1) for p in _polygon_parts(self.land_truth())]
        solid += [(ship_box_m(s), 1) for s in getattr(self, "placed", [])]
        not_water = rasterize(solid, out_shape=(h, w), fill=0, transform=grid, dtype="uint8").astype(bool) \
            if solid else np.zeros((h, w), bool)
        visible = img.mean(axis=2)
        green = (img[..., 1] > img[..., 0] + 5) & (img[..., 1] > img[..., 2])
        factor = np.where(not_water, np.where(green, 1.6, 1.05), 0.25).astype(np.float32)
        return np.clip(visible * factor, 0, 255)

    def clouds(self, img: np.ndarray) -> np.ndarray:
        """Thin cloud (soft, blotchy, bright) and its shadow, displaced along the sun direction by its height."""
        r, sp = self.stream("clouds"), self.spec
        cover = float(np.clip(sp.cloud_cover, 0.0, 1.0))
        h, w = img.shape[:2]
        W, H = w * sp.gsd_m, h * sp.gsd_m
        off = self.shadow_offset(r.uniform(300, 2000))  # ground offset of the shadow from its cloud
        cell = r.uniform(120, 400)
        x0, y0 = min(0.0, -off[0]) - 2 * cell, min(0.0, -off[1]) - 2 * cell
        nx = int((max(W, W - off[0]) - x0) / cell) + 4
        ny = int((max(H, H - off[1]) - y0) / cell) + 4
        coarse = r.normal(0, 1, (ny, nx)).astype(np.float32)
        fine = r.normal(0, 1, (3 * ny, 3 * nx)).astype(np.float32)
        step = max(sp.gsd_m, min(8.0, cell / 12))  # clouds are smooth: sample them on a coarse grid, then resize
        sw, sh = max(2, int(math.ceil(W / step))), max(2, int(math.ceil(H / step)))

        def field(dx: float, dy: float) -> np.ndarray:
            total = np.zeros((sh, sw), np.float32)
            for grid, c_m, weight in ((coarse, cell, 1.0), (fine, cell / 3, 0.45)):
                m = np.float32([[step / c_m, 0, (0.5 * step - dx - x0) / c_m], [0, step / c_m, (0.5 * step - dy - y0) / c_m]])
                total += weight * cv2.warpAffine(grid, m, (sw, sh), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                                 borderMode=cv2.BORDER_REFLECT)
            return total

        here = field(0.0, 0.0)
        threshold = float(np.quantile(here, 1.0 - cover)) if cover < 1.0 else float(here.min()) - 1.0
        soft, opacity = r.uniform(0.6, 1.5), r.uniform(0.25, 0.65)  # thin cloud: soft-edged, see-through
        cloud = np.clip((here - threshold) / soft, 0, 1) * np.float32(opacity)
        shadow = np.clip((field(off[0], off[1]) - threshold) / soft, 0, 1) * np.float32(r.uniform(0.25, 0.5))
        colour = np.float32(r.uniform(215, 245)) * np.array([1.0, 1.0, r.uniform(1.0, 1.04)], np.float32)
        # img * (1 - shadow) * (1 - cloud) + colour * cloud, with the single-band factors made at the coarse size
        keep = cv2.resize((1.0 - shadow) * (1.0 - cloud), (w, h), interpolation=cv2.INTER_LINEAR)
        cloud = cv2.resize(cloud, (w, h), interpolation=cv2.INTER_LINEAR)
        img = img * keep[..., None]
        img += cloud[..., None] * colour
        return img

    def pansharpen(self, img: np.ndarray) -> np.ndarray:
        """Pan-sharpening colour fringes: bands shifted and blurred a little differently, pan detail re-injected."""
        r, amount = self.stream("fringe"), float(self.spec.pansharpen_fringe)
        h, w = img.shape[:2]
        chans = cv2.split(np.ascontiguousarray(img, np.float32))
        detail = chans[0] + chans[1]  # becomes pan - mean(bands) below, in place (this runs at full size)
        detail += chans[2]
        out = []
        for ch in chans:
            a, d = r.uniform(0, 2 * math.pi), amount * r.uniform(0.4, 1.0)
            m = np.float32([[1, 0, d * math.cos(a)], [0, 1, d * math.sin(a)]])
            ch = cv2.warpAffine(ch, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            if (sigma := amount * r.uniform(0.3, 1.0)) > 0.2:
                ch = cv2.GaussianBlur(ch, (0, 0), sigma)
            out.append(ch)
        for ch in out:
            detail -= ch
        detail *= np.float32(1 / 3)
        for ch in out:
            ch += detail
        return cv2.merge(out)

    def colour_balance(self, img: np.ndarray) -> np.ndarray:
        """Gamma, per-band gain and offset: the spread of real products' radiometry and stretches."""
        r, j = self.stream("colour"), float(np.clip(self.spec.colour_jitter, 0.0, 1.0))
        gamma = math.exp(j * r.uniform(-0.4, 0.4))
        gains = (255.0 * (1.0 + j * r.uniform(-0.15, 0.15, 3))).astype(np.float32)
        lift = (j * r.uniform(-6, 6, 3)).astype(np.float32)
        x = cv2.pow(np.clip(img, 0, None) * np.float32(1 / 255), gamma)
        return x * gains + lift

    def jpeg(self, rgb: list[np.ndarray]) -> list[np.ndarray]:
        """A JPEG encode/decode round trip of the RGB bands (blocks, ringing, chroma bleeding)."""
        q = int(np.clip(self.spec.jpeg_quality, 1, 100))
        bgr = cv2.merge([np.clip(b, 0, 255).astype(np.uint8) for b in rgb[::-1]])
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        residual = cv2.imdecode(buf, cv2.IMREAD_COLOR).astype(np.float32) - bgr
        return [b + residual[..., 2 - k] for k, b in enumerate(rgb)]

    def land_truth(self) -> BaseGeometry:
        """Everything that is not open water (land with its quay, and every structure), cut to the scene."""
        parts = [g for g in [self.land, *self.negatives] if not g.is_empty]
        if not parts:
            return Polygon()
        return make_valid(unary_union(parts)).intersection(box(0, 0, self.spec.width_m, self.spec.height_m))

    def render(self) -> list[ShipSpec]:
        """Draw the whole scene; returns the ships placed."""
        sp = self.spec
        self.draw_sea()
        if sp.land:
            self.draw_land()
        if sp.port_structures:
            self.draw_port_structures()
        if self.hard is not None:  # after the port structures, so these keep clear of them
            from tankerwatch.datasets.synth_land import draw_hard_water

            draw_hard_water(self)
        if sp.quay_clutter:
            self.draw_quay_clutter()
        placed: list[ShipSpec] = [s for s in self.spec.ships if self.place(s, fixed=True)]
        wanted = [self.random_ship(str(self.rng.choice(TANKER_KINDS))) for _ in range(self.spec.n_tankers)]
        kinds = OTHER_KINDS if sp.other_kinds is None else tuple(sp.other_kinds)
        wanted += [self.random_ship(str(self.rng.choice(kinds))) for _ in range(self.spec.n_others)]
        for s in wanted:
            if self.place(s):
                placed.append(s)
                if self.rng.random() < 0.12 and (partner := self.rafted_partner(s)):
                    placed.append(partner)
        yachts = self.place_yachts() if sp.n_yachts > 0 else []
        if sp.wakes:
            self.draw_wakes(placed + yachts)
        for s in placed:
            self.draw_ship(s)
        if yachts:
            look = self.stream("yacht_look")
            for s in yachts:
                self.draw_yacht(s, look)
        self.draw_cranes()
        self.placed = placed + yachts
        return placed + yachts


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
    return SynthScene(image=image, transform=transform, crs=crs, ships=ships, spec=spec, structures=list(r.negatives),
                      land=r.land_truth())


@dataclass
class ShipSprite:
    """One rendered ship as a change to the sea it was drawn on: pasted onto real water (datasets/composite.py).

    Pixels under the hull take `after` outright; shadow and wake pixels scale what lies below by after / before."""

    before: np.ndarray  # rows x cols x 3 float32: the flat sea
    after: np.ndarray  # the same sea with the ship, its shadow and (if underway) its wake
    hull: np.ndarray  # bool rows x cols: hull, deck and superstructure (opaque when pasted)
    ship: ShipSpec  # centred in the sprite (x_m, y_m in sprite metres)
    gsd_m: float


def random_ship(kind: str, rng: np.random.Generator) -> ShipSpec:
    """A ship of a kind with real proportions (length and length/beam drawn from SHIP_KINDS), not yet placed."""
    k = SHIP_KINDS[kind]
    length = rng.uniform(*k["length"])
    return ShipSpec(kind, round(length, 1), round(length * rng.uniform(*k["ratio"]), 1), 0, 0, 0)


def render_ship_sprite(ship: ShipSpec, gsd_m: float, seed: int, underway: bool,
                       off_nadir_deg: float = 0.0) -> ShipSprite:
    """A ship (kind, size, heading) drawn at gsd_m on calm sea with the renderer's hulls, decks, shadows, wakes."""
    s = ShipSpec(ship.kind, ship.length_m, ship.beam_m, 0, 0, ship.heading_deg, livery=ship.livery)
    side = min(3.0 * s.length_m + 60.0, 1400.0)  # a wake longer than this leaves the sprite: it fades there anyway
    spec = SceneSpec(seed=seed, gsd_m=gsd_m, width_m=side, height_m=side, land=False, n_tankers=0, n_others=0,
                     ship_variety=True, wakes=underway, off_nadir_deg=off_nadir_deg,
                     off_nadir_az_deg=float(np.random.default_rng(seed).uniform(0, 360)))
    r = _Renderer(spec)
    r.draw_sea()
    before = r.cv.rgb.copy()
    s.x_m, s.y_m = side / 2, side / 2
    if underway:
        r._wake(s, r.stream("wakes"), None)
    after_wake = r.cv.rgb.copy()
    r.draw_ship(s)
    after = r.cv.rgb
    # the hull is where drawing the ship changed the picture beyond the shadow's darkening, inside the lean reach
    reach = ship_box_m(s).buffer(2.0 + 40.0 * math.tan(math.radians(min(off_nadir_deg, 60.0))))
    inside = rasterize([(reach, 1)], out_shape=after.shape[:2], transform=Affine.scale(gsd_m), dtype="uint8") > 0
    changed = np.abs(after - after_wake).max(axis=2) > 2.0
    ratio = after / np.maximum(after_wake, 1.0)
    shaded = (ratio.std(axis=2) < 0.03) & (ratio.mean(axis=2) < 0.97)  # a shadow scales all bands alike
    hull = inside & changed & ~shaded
    return ShipSprite(before, after.copy(), hull, s, gsd_m)


def _polygon_parts(geom) -> list[Polygon]:
    """The polygons (with their holes) in a shapely geometry; lines and points left out."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom] if geom.area > 0 else []
    return [p for g in getattr(geom, "geoms", []) for p in _polygon_parts(g)]


def water_truth(scene: SynthScene, gsd_m: float) -> np.ndarray:
    """Water mask of a scene on a grid at gsd_m covering the scene: uint8 rows x cols, 1 water, 0 land or structure.

    A pixel is land when its centre lies in SynthScene.land; ships count as water (a hull floats on it)."""
    _, h, w = scene.image.shape
    width_m, height_m = w * scene.spec.gsd_m, h * scene.spec.gsd_m
    rows, cols = max(1, int(round(height_m / gsd_m))), max(1, int(round(width_m / gsd_m)))
    polys = _polygon_parts(scene.land)
    if not polys:
        return np.ones((rows, cols), np.uint8)
    # y runs down in scene metres as in the rows, so the grid's transform has a positive y scale
    grid = Affine(width_m / cols, 0, 0, 0, height_m / rows, 0)
    return rasterize([(p, 0) for p in polys], out_shape=(rows, cols), fill=1, transform=grid, dtype="uint8")


def land_features(scene: SynthScene, scene_id: str) -> dict:
    """SynthScene.land as a GeoJSON FeatureCollection in WGS84 lon/lat: one (Multi)Polygon feature, kind "land".

    An open-sea scene gets an empty MultiPolygon, so a reader always finds the feature (and knows there is no land)."""
    to_ll = to_lonlat_transformer(scene.crs)
    gsd = scene.spec.gsd_m

    def ring(coords, hole: bool) -> list[list[float]]:
        px = np.asarray(coords)[:, :2] / gsd
        lon, lat = pixels_to_lonlat(scene.transform, to_ll, px[:, 0], px[:, 1])
        pts = ring_ccw(list(zip(lon.tolist(), lat.tolist())))
        return [list(q) for q in (pts[::-1] if hole else pts)]  # RFC 7946: holes run clockwise

    polys = [[ring(p.exterior.coords, False)] + [ring(i.coords, True) for i in p.interiors]
             for p in _polygon_parts(scene.land)]
    geometry = {"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1 else \
        {"type": "MultiPolygon", "coordinates": polys}
    feature = {"type": "Feature", "geometry": geometry, "properties": {"kind": "land", "scene_id": scene_id}}
    return {"type": "FeatureCollection", "features": [feature]}


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
                "livery": s.livery,
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
    """Write <id>.tif (GeoTIFF), <id>.json (STAC Item), <id>.truth.geojson and <id>.land.geojson; returns the .tif."""
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
    atomic_write_text(out_dir / f"{scene_id}.land.geojson", json.dumps(land_features(scene, scene_id)))
    return tif


_PORTS = [(133.065, 42.745), (132.90, 42.79), (125.37, 38.72), (121.6, 31.3), (4.0, 51.95), (-95.0, 29.7)]
# kinds for hard_port_spec's n_others: bulk carriers and container ships (the ship-shaped land's look-alikes) weigh most
HARD_PORT_OTHER_KINDS = ["bulk_carrier"] * 3 + ["container_ship"] * 3 + ["general_cargo"] * 2 + \
    ["lpg_carrier", "tug", "tug", "barge", "fishing"]
_MAX_SIDE_PX = 5600  # hard-port and open-sea scenes stay under ~31 Mpx (the extent shrinks at the finest GSDs)


def random_spec(seed: int, gsd_range=(0.3, 3.0), extent_m: float = 1400.0) -> SceneSpec:
    """A varied scene spec for training data: GSD, CRS, bit depth, bands, place, time, and domain randomisation.

    Each effect is on in only part of the scenes, so plain scenes stay in the mix."""
    rng = np.random.default_rng(seed + 7_919)
    gsd = float(np.exp(rng.uniform(np.log(gsd_range[0]), np.log(gsd_range[1]))))
    lon, lat = _PORTS[rng.integers(len(_PORTS))]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=float(rng.uniform(0, 8760)))
    spec = SceneSpec(
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
    # drawn after the fields above, so those stay what they were for a seed
    spec.water_style = str(rng.choice(["classic", "classic", "deep", "deep", "black", "green"]))
    spec.glint = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.35 else 0.0
    spec.wakes = bool(rng.random() < 0.6)
    spec.cloud_cover = float(rng.uniform(0.05, 0.5)) if rng.random() < 0.3 else 0.0
    spec.off_nadir_deg = float(rng.uniform(3, 30)) if rng.random() < 0.7 else 0.0
    spec.off_nadir_az_deg = float(rng.uniform(0, 360))
    spec.jpeg_quality = int(rng.integers(40, 91)) if rng.random() < 0.4 else None
    spec.pansharpen_fringe = float(rng.uniform(0.3, 1.5)) if rng.random() < 0.5 else 0.0
    spec.colour_jitter = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.7 else 0.0
    spec.port_structures = bool(rng.random() < 0.7)
    spec.quay_clutter = bool(rng.random() < 0.7)
    spec.ship_variety = bool(rng.random() < 0.8)
    spec.n_yachts = int(rng.integers(1, 13)) if rng.random() < 0.6 else 0
    return spec


def _eval_frame(rng: np.random.Generator, seed: int) -> SceneSpec:
    """GSD 0.3-1 m, a 1400-2000 m square (at most _MAX_SIDE_PX a side), a place and a time: the hard sets' base."""
    gsd = round(float(np.exp(rng.uniform(np.log(0.3), np.log(1.0)))), 3)
    extent = round(min(float(rng.uniform(1400.0, 2000.0)), _MAX_SIDE_PX * gsd), 1)
    lon, lat = _PORTS[rng.integers(len(_PORTS))]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=float(rng.uniform(0, 8760)))
    return SceneSpec(
        seed=seed, width_m=extent, height_m=extent, gsd_m=gsd,
        center_lon=lon + rng.uniform(-0.05, 0.05), center_lat=lat + rng.uniform(-0.05, 0.05),
        crs="EPSG:4326" if rng.random() < 0.25 else "utm", acquired=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        bit_depth=int(rng.choice([8, 8, 11, 12])), bands=int(rng.choice([3, 3, 4])),
        water_style=str(rng.choice(["classic", "classic", "deep", "deep", "black", "green"])),
        jpeg_quality=int(rng.integers(40, 91)) if rng.random() < 0.4 else None,
        pansharpen_fringe=float(rng.uniform(0.3, 1.5)) if rng.random() < 0.5 else 0.0,
        colour_jitter=float(rng.uniform(0.2, 1.0)) if rng.random() < 0.7 else 0.0,
    )


def hard_port_spec(seed: int) -> SceneSpec:
    """A hard port scene: realistic land behind the quays (SceneSpec.hard_land), port structures and quay clutter,
    8-25 ships with bulk carriers and container ships among them, GSD 0.3-1 m, 1400-2000 m across.

    Seeds from EVAL_SEED_BASE up are the evaluation set; below it, hard negatives for training."""
    rng = np.random.default_rng([seed, 0x4A9D])  # a sequence of its own: not random_spec's for the same seed
    spec = _eval_frame(rng, seed)
    spec.land, spec.hard_land, spec.port_structures, spec.quay_clutter, spec.ship_variety = True, True, True, True, True
    spec.n_tankers, spec.n_others = int(rng.integers(3, 11)), int(rng.integers(5, 16))
    spec.other_kinds = list(HARD_PORT_OTHER_KINDS)
    spec.glint = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.35 else 0.0
    spec.wakes = bool(rng.random() < 0.6)
    spec.cloud_cover = float(rng.uniform(0.05, 0.4)) if rng.random() < 0.25 else 0.0
    spec.off_nadir_deg = float(rng.uniform(3, 30)) if rng.random() < 0.7 else 0.0
    spec.off_nadir_az_deg = float(rng.uniform(0, 360))
    spec.swell = float(rng.uniform(0.1, 0.6)) if rng.random() < 0.3 else 0.0
    spec.n_yachts = int(rng.integers(1, 13)) if rng.random() < 0.6 else 0
    return spec


def plain_spec(seed: int) -> SceneSpec:
    """A 1.4 km port scene at Vostochny with the renderer's defaults (no domain randomisation), 6 tankers and
    6 other ships: the look of the demo and the identification benchmark."""
    return SceneSpec(seed=seed, width_m=1400, height_m=1400, n_tankers=6, n_others=6)


def open_sea_spec(seed: int) -> SceneSpec:
    """An open-sea scene with nothing to find: no land, no ships, no structures, but cloud, swell and glint
    (each in most scenes, at least one in every scene), GSD 0.3-1 m, 1400-2000 m across.

    Seeds from EVAL_SEED_BASE up are the evaluation set; below it, hard negatives for training."""
    rng = np.random.default_rng([seed, 0x05EA])
    spec = _eval_frame(rng, seed)
    spec.land, spec.n_tankers, spec.n_others, spec.n_yachts = False, 0, 0, 0
    spec.cloud_cover = float(rng.uniform(0.1, 0.7)) if rng.random() < 0.7 else 0.0
    spec.glint = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.6 else 0.0
    spec.swell = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.85 or not (spec.cloud_cover or spec.glint) else 0.0
    return spec


def spec_to_dict(spec: SceneSpec) -> dict:
    """A scene spec as plain data (for logs and manifests)."""
    return asdict(spec)
