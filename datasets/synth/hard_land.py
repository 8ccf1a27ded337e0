"""Realistic land behind the quays (SceneSpec.hard_land): the land the detector mistakes for tankers.

On real port scenes the detector calls warehouse roofs, rail lines, village roofs and bare-soil patches "tankers":
the plain synthetic land (a textured half-plane with a few tanks, sheds and roads) never showed it such things.
Everything here draws from the renderer's "land" random stream, so turning hard_land on leaves the renderer's other
draws as they were. (Its ship-shaped structures in the water, pontoons and segmented breakwaters, are drawn by
structures.draw_hard_water from the "hard_water" stream.)

The land is laid out in the coast's own frame: s metres along the quay (unit t) and d metres inland from the coast
line (unit -n). Behind the quay apron come a rail corridor, an industrial belt cut into parcels by roads and rail
spurs across the quay (warehouse rows, tank farms, container yards, stockpiles, rail yards, open lots), a main road,
then rows of hinterland parcels (villages, woods, bare soil, fields, scrub) on a hillside.

Coal terminals (SceneSpec.coal_stock): a stockyard's coal heaps are the stock a coal watch measures between passes
(inference/coal.py). With coal_stock set, the belt is mostly stockyards, they all hold coal, and each coal heap is
drawn coal_stock of its full length; its texture comes from a generator of its own seeded from the land stream, so
every other draw, and so every other pixel, is the same at any fill: two passes differ only in their stock. The
footprint of every coal heap drawn is kept (`HardLand.coal_heaps`), the truth the measured area is checked against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union
from shapely.prepared import prep

from tankerwatch.datasets.synth.canvas import XY, Colour, circle_m, rect
from tankerwatch.datasets.synth.land import CAR_COLOURS, CONTAINER_COLOURS, PIPE_COLOURS, container_stack

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer

# parcel uses and their weights: the industrial belt behind the quay, the hinterland behind its main road
BELT_USES = {
    "warehouses": 3.0,
    "tank_farm": 2.0,
    "container_yard": 1.5,
    "stockpiles": 1.5,
    "rail_yard": 0.7,
    "open_lot": 0.7,
    "soil": 0.6,
}
# a coal terminal's belt (SceneSpec.coal_stock): mostly stockyards
COAL_BELT_USES = {**BELT_USES, "stockpiles": 6.0}
HINTERLAND_USES = {"village": 3.0, "forest": 1.6, "soil": 1.0, "fields": 1.2, "natural": 1.0, "warehouses": 0.5}
WAREHOUSE_ROOFS = [
    (205, 205, 200),
    (180, 182, 180),
    (150, 152, 150),
    (225, 225, 220),
    (75, 105, 145),
    (60, 85, 120),
    (140, 60, 48),
    (115, 50, 42),
    (110, 130, 110),
]
HOUSE_ROOFS = [
    (175, 85, 60),
    (150, 58, 45),
    (125, 80, 60),
    (75, 75, 80),
    (165, 165, 165),
    (70, 95, 130),
    (70, 110, 80),
    (225, 225, 218),
    (140, 95, 65),
    (190, 120, 80),
]
# bulk cargo heaps: colour and how often a stockyard holds it
PILES = {
    "coal": ((34, 34, 36), 0.35),
    "iron_ore": ((120, 66, 50), 0.28),
    "bauxite": ((150, 80, 55), 0.07),
    "limestone": ((205, 200, 188), 0.1),
    "sand": ((200, 180, 140), 0.08),
    "woodchips": ((150, 112, 70), 0.07),
    "sulphur": ((215, 195, 70), 0.05),
}
WAGONS = {
    "tank": [(38, 38, 40), (60, 60, 62), (170, 170, 165)],
    "hopper": [(110, 68, 48), (80, 80, 82), (125, 95, 60)],
    "box": [(120, 45, 38), (60, 90, 70), (70, 85, 120), (150, 150, 145)],
    "container": [],
}
TREE = (42, 66, 38)
GAUGE = 1.435


@dataclass
class Parcel:
    """A block of land between roads in the coast frame: s0..s1 along the quay, d0..d1 inland, and its use."""

    s0: float
    s1: float
    d0: float
    d1: float
    use: str
    lanes: list = field(default_factory=list)  # a village's lanes: (a, b) in scene metres
    lane_w: float = 0.0
    outline: np.ndarray | None = None  # where its texture shows when not the whole parcel (a wood's ragged edge)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """0 below 0, 1 above 1, smooth in between (soft-edged patches from a thresholded noise field)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


class HardLand:
    """Lays out and draws the hard land of one scene for a renderer (its canvas, sun, lean and coast)."""

    def __init__(self, rdr: Renderer) -> None:
        """The hard land of a renderer's scene, before its layout: only where its coast will lie is drawn."""
        self.r, self.cv, self.spec = rdr, rdr.cv, rdr.spec
        self.rng = rdr.stream("land")
        # where the coast lies (the renderer's p0 = centre - n * half * fraction): below 0.5 the land covers more
        # than half the scene, as behind a real port's quays
        self.coast_fraction = float(self.rng.uniform(-0.2, 0.45))
        self.parcels: list[Parcel] = []
        self.roads: list[tuple] = []  # (a, b, width, colour)
        self.rails: list[tuple] = []  # (a, b, where): one track's centre line
        self.belt_end = 0.0  # depth where the industrial belt (paved, flat) gives way to the hinterland
        self._hillshade: np.ndarray | None = None  # from _terrain (coarse grid), applied by _modulate
        self.coal_stock = self.spec.coal_stock
        if self.coal_stock is not None and not 0.0 <= self.coal_stock <= 1.0:
            raise ValueError(f"coal_stock must lie in 0..1 (the stockyards' fill), not {self.coal_stock}")
        self.coal_heaps: list[Polygon] = []  # footprints of the coal heaps drawn, scene metres (the stock's truth)

    # --- frame and layout --------------------------------------------------------------------
    def _frame(self) -> None:
        """The coast frame and the scene's extent in it."""
        if self.r.coast is None:
            raise RuntimeError("the hard land is laid out behind the coast: draw the coast first")
        self.p0, self.n, self.t, self.quay_w, self.concrete = self.r.coast
        W, H = self.spec.width_m, self.spec.height_m
        rel = np.array([[0, 0], [W, 0], [W, H], [0, H]], float) - self.p0
        s, d = rel @ self.t, -(rel @ self.n)
        self.s_lo, self.s_hi, self.d_far = float(s.min()), float(s.max()), float(d.max())
        self.scene = prep(box(0, 0, W, H))

    def at(self, s: float, d: float) -> np.ndarray:
        """Scene metres of a point s along the quay and d inland."""
        return self.p0 + self.t * s - self.n * d

    def quad(self, s0: float, s1: float, d0: float, d1: float) -> np.ndarray:
        """A rectangle in the coast frame, in scene metres."""
        return np.array([self.at(s0, d0), self.at(s1, d0), self.at(s1, d1), self.at(s0, d1)])

    def _in_view(self, c: XY, pad: float) -> bool:
        """Whether something within pad metres of c can show in the scene (skip drawing what cannot)."""
        W, H = self.spec.width_m, self.spec.height_m
        return -pad <= c[0] <= W + pad and -pad <= c[1] <= H + pad

    def _layout(self) -> None:
        """Rail corridor, industrial belt and hinterland rows, each cut into parcels by roads."""
        rng = self.rng
        d = self.quay_w + rng.uniform(3, 8)
        if rng.random() < 0.75:  # tracks along the quay, for wagons loading and unloading at the berths
            k = int(rng.integers(1, 5))
            for i in range(k):
                self._rail_along(d + 2.3 + 4.6 * i, "corridor")
            d += 4.6 * k + rng.uniform(4, 10)
        if rng.random() < 0.9:  # the industrial belt (a small harbour town has none)
            depth = rng.uniform(140, 480)
            uses = BELT_USES if self.coal_stock is None else COAL_BELT_USES
            self._row(d, d + depth, uses, (130, 420), (8, 14), rail_p=0.3, cross_from=self.quay_w)
            d += depth
            d = self._road_along(d, rng.uniform(10, 20))
        self.belt_end = d
        while d < self.d_far:
            depth = rng.uniform(180, 500)
            self._row(d, d + depth, HINTERLAND_USES, (160, 520), (5, 9), rail_p=0.0, cross_from=d)
            d = self._road_along(d + depth, rng.uniform(6, 12))

    def _row(
        self,
        d0: float,
        d1: float,
        uses: dict[str, float],
        widths: tuple[float, float],
        gaps: tuple[float, float],
        rail_p: float,
        cross_from: float,
    ) -> None:
        """Parcels side by side along the quay between depths d0 and d1, with roads (or rail spurs) between them."""
        rng = self.rng
        names, weights = list(uses), np.array(list(uses.values()))
        s = self.s_lo - rng.uniform(0, 150)
        while s < self.s_hi:
            w, gap = rng.uniform(*widths), rng.uniform(*gaps)
            use = names[rng.choice(len(names), p=weights / weights.sum())]
            if self.scene.intersects(Polygon(self.quad(s, s + w, d0, d1))):
                self.parcels.append(Parcel(s, s + w, d0, d1, use))
            x = s + w + gap / 2
            if rng.random() < rail_p:  # a rail spur across the quay, out to the berths
                self.rails.append((self.at(x, cross_from + 2), self.at(x, d1), "spur"))
            else:
                self.roads.append(
                    (
                        self.at(x, cross_from if rail_p > 0 else d0),
                        self.at(x, d1),
                        gap,
                        self._road_colour(rng.random() < 0.3 and rail_p == 0),
                    )
                )
            s += w + gap

    def _road_colour(self, dirt: bool) -> np.ndarray:
        """Asphalt, or a dirt track's pale brown."""
        rng = self.rng
        if dirt:
            return np.array([rng.uniform(150, 175), rng.uniform(132, 152), rng.uniform(105, 122)])
        g = rng.uniform(58, 92)
        return np.array([g, g, g * rng.uniform(1.0, 1.06)])

    def _road_along(self, d: float, width: float) -> float:
        """A road parallel to the quay at depth d; returns the depth past it."""
        self.roads.append(
            (
                self.at(self.s_lo - 50, d + width / 2),
                self.at(self.s_hi + 50, d + width / 2),
                width,
                self._road_colour(False),
            )
        )
        return d + width

    def _rail_along(self, d: float, where: str) -> None:
        """A track parallel to the quay at depth d."""
        self.rails.append((self.at(self.s_lo - 50, d), self.at(self.s_hi + 50, d), where))

    # --- ground: terrain, pads, roads, rail ----------------------------------------------------
    def draw(self) -> None:
        """Lay the land out, draw it at ground level, then what stands on it."""
        self.ground()
        self.objects()

    def ground(self) -> None:
        """Lay the land out and draw everything at ground level: terrain, pads, roads, tracks."""
        self._frame()
        self._layout()
        mask = np.zeros((self.cv.h, self.cv.w), np.uint8)  # the land behind the quay, anti-aliased
        far = self.d_far + 100
        cv2.fillPoly(
            mask,
            [self.cv.px(self.quad(self.s_lo - 100, self.s_hi + 100, self.quay_w, far))],
            255,
            cv2.LINE_AA,
            self.cv.SHIFT,
        )
        self._terrain(mask)
        for p in self.parcels:
            if (draw := getattr(self, f"_ground_{p.use}", None)) is not None:
                draw(p)
        for a, b, width, colour in self.roads:
            self._road(a, b, width, colour)
        for a, b, _ in self.rails:
            self._track(a, b)
        self._modulate(mask)

    def _grid(self, step: float) -> tuple[int, int, np.ndarray, np.ndarray]:
        """A coarse grid over the scene: (rows, cols) and the scene metres of its cell centres."""
        W, H = self.spec.width_m, self.spec.height_m
        gw, gh = int(math.ceil(W / step)) + 1, int(math.ceil(H / step)) + 1
        y, x = np.mgrid[0:gh, 0:gw].astype(np.float32) * np.float32(step)
        return gh, gw, x, y

    def _smooth(self, shape: tuple[int, int], scale_m: float, step: float) -> np.ndarray:
        """Unit-spread smooth noise on a coarse grid with blobs about scale_m across."""
        gh, gw = shape
        cells = (max(2, int(gh * step / scale_m) + 2), max(2, int(gw * step / scale_m) + 2))
        f = cv2.resize(self.rng.normal(0, 1, cells).astype(np.float32), (gw, gh), interpolation=cv2.INTER_CUBIC)
        return f / np.float32(f.std() + 1e-6)

    def _terrain(self, mask: np.ndarray) -> None:
        """Ground colour: grass or scrub with vegetation and bare-soil patches, paved in the belt, on a hillside."""
        rng, cv = self.rng, self.cv
        step = max(self.spec.gsd_m, 2.0)  # colour varies slowly: computed coarse, resized onto the canvas
        gh, gw, x, y = self._grid(step)
        p0, n = self.p0.astype(np.float32), self.n.astype(np.float32)
        depth = -((x - p0[0]) * n[0] + (y - p0[1]) * n[1])
        climate = str(rng.choice(["temperate", "arid", "mixed"], p=[0.45, 0.3, 0.25]))
        grass = {
            "temperate": (rng.uniform(80, 105), rng.uniform(98, 122), rng.uniform(58, 75)),
            "arid": (rng.uniform(150, 180), rng.uniform(135, 158), rng.uniform(105, 125)),
            "mixed": (rng.uniform(115, 140), rng.uniform(115, 135), rng.uniform(85, 100)),
        }[climate]
        veg = np.array([rng.uniform(35, 58), rng.uniform(52, 78), rng.uniform(30, 48)], np.float32)
        soil = self._soil_colour().astype(np.float32)
        g = rng.uniform(125, 165)
        paved = np.array([g, g * 0.99, g * rng.uniform(0.94, 1.0)], np.float32)
        # the hillside: ground rising inland (steeply in some scenes), greener with height
        hill_start = self.belt_end + rng.uniform(0, 300)
        slope = rng.uniform(0.05, 0.35) if rng.random() < 0.7 else 0.0
        rise = np.maximum(depth - np.float32(hill_start), 0) * np.float32(slope)
        height = rise + self._smooth((gh, gw), rng.uniform(150, 400), step) * np.float32(rng.uniform(4, 30))
        veg_bias = {"temperate": 0.3, "arid": -0.7, "mixed": 0.0}[climate]
        veg_w = _smoothstep((self._smooth((gh, gw), rng.uniform(100, 280), step) + veg_bias + rise * 0.01 - 0.4) * 1.5)
        soil_w = _smoothstep((self._smooth((gh, gw), rng.uniform(60, 220), step) - 0.9) * 1.5) * (1 - veg_w)
        colour = np.empty((gh, gw, 3), np.float32)
        colour[:] = np.asarray(grass, np.float32)
        colour += (veg - colour) * veg_w[..., None]
        colour += (soil - colour) * soil_w[..., None]
        colour *= (1 + 0.07 * self._smooth((gh, gw), 40, step))[..., None]
        belt = np.clip((np.float32(self.belt_end) - depth) / 30, 0, 1)  # the belt is paved, a little stained
        belt *= np.clip(1.0 - 0.5 * _smoothstep(self._smooth((gh, gw), 90, step) - 1.0), 0, 1)
        colour += (paved * (1 + 0.05 * self._smooth((gh, gw), 25, step))[..., None] - colour) * belt[..., None]
        self._hillshade = self._shading(height, step) ** (1 - belt)  # the paved belt is flat
        full = cv2.resize(colour, (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
        full -= cv.rgb  # blended in place: these are canvas-sized
        full *= (mask.astype(np.float32) * np.float32(1 / 255))[..., None]
        cv.rgb += full

    def _shading(self, height: np.ndarray, step: float) -> np.ndarray:
        """Hillshade of a height field (1 on flat ground): slopes facing the sun lit, those away from it darker."""
        gy, gx = np.gradient(height, step)
        el = math.radians(self.r.sun_el)
        sun = -self.r.shadow_dir * math.cos(el)
        sx, sy, sz = np.float32(sun[0]), np.float32(sun[1]), np.float32(math.sin(el))
        lit = (-gx * sx - gy * sy + sz) / np.sqrt(gx * gx + gy * gy + 1)
        return np.clip(1 + 0.8 * (lit / np.float32(math.sin(el)) - 1), 0.55, 1.35).astype(np.float32)

    def _modulate(self, mask: np.ndarray) -> None:
        """Texture (canopy blotches, grain, stains) and hillshade over the whole land behind the quay, in one pass."""
        rng, cv = self.rng, self.cv
        step = max(self.spec.gsd_m, 1.5)
        gh, gw, _, _ = self._grid(step)
        contrast = np.full((gh, gw), np.float32(rng.uniform(0.04, 0.08)), np.float32)
        per_use = {"forest": 0.3, "soil": 0.08, "fields": 0.05, "village": 0.07, "natural": 0.08}
        for p in self.parcels:  # woods are blotchy at the scale of tree crowns, pads smooth
            outline = self.quad(p.s0, p.s1, p.d0, p.d1) if p.outline is None else p.outline
            cv2.fillPoly(contrast, [np.round(outline / step).astype(np.int32)], float(per_use.get(p.use, 0.04)))
        tex = cv2.GaussianBlur(rng.normal(0, 1, (gh, gw)).astype(np.float32), (0, 0), 0.8)
        tex *= np.float32(1 / (float(tex.std()) + 1e-6))
        mod = 1 + contrast * tex + 0.04 * self._smooth((gh, gw), 30, step)
        if self._hillshade is None:
            raise RuntimeError("the terrain (and its hillshade) is drawn before the land is modulated")
        mod *= cv2.resize(self._hillshade, (gw, gh), interpolation=cv2.INTER_LINEAR)
        full = cv2.resize(mod, (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
        full -= 1
        full *= mask.astype(np.float32) * np.float32(1 / 255)
        full += 1
        cv.rgb *= full[..., None]

    def _pad(self, p: Parcel, colour: Colour, inset: float = 3.0) -> None:
        """A parcel's paved or gravel pad."""
        self.cv.fill([self.quad(p.s0 + inset, p.s1 - inset, p.d0 + inset, p.d1 - inset)], colour)

    def _ground_warehouses(self, p: Parcel) -> None:
        """A paved pad under the warehouses."""
        self._pad(p, (self.rng.uniform(135, 175),) * 3)

    def _ground_tank_farm(self, p: Parcel) -> None:
        """A pale pad under the tank farm."""
        g = self.rng.uniform(135, 165)
        self._pad(p, (g, g * 0.97, g * 0.9))

    def _ground_container_yard(self, p: Parcel) -> None:
        """A dark asphalt pad under the container stacks."""
        self._pad(p, (self.rng.uniform(62, 92),) * 3)

    def _ground_stockpiles(self, p: Parcel) -> None:
        """A pad stained by the bulk cargo heaped on it."""
        g = self.rng.uniform(80, 110)
        self._pad(p, (g, g * 0.95, g * 0.88))

    def _ground_rail_yard(self, p: Parcel) -> None:
        """Ballast, and parallel tracks along the quay."""
        g = self.rng.uniform(110, 135)
        self._pad(p, (g, g * 0.92, g * 0.84))
        pitch = self.rng.uniform(4.6, 6.0)
        for d in np.arange(p.d0 + 8, p.d1 - 6, pitch):
            self.rails.append((self.at(p.s0 + 4, d), self.at(p.s1 - 4, d), "yard"))

    def _ground_open_lot(self, p: Parcel) -> None:
        """A paved or gravel lot, left for the quay clutter to fill."""
        rng = self.rng
        g = rng.uniform(105, 170)
        self._pad(p, (g, g * rng.uniform(0.95, 1.0), g * rng.uniform(0.88, 1.0)))

    def _blob(self, c: XY, rx: float, ry: float, axis: np.ndarray) -> np.ndarray:
        """An irregular patch: an ellipse with a wobbling edge."""
        rng = self.rng
        a = np.linspace(0, 2 * math.pi, 28, endpoint=False)
        wob = 1 + 0.22 * np.convolve(np.tile(rng.normal(0, 1, 28), 3), np.ones(5) / 5, "same")[28:56]
        b = np.array([-axis[1], axis[0]])
        return np.asarray(c) + (np.cos(a) * rx * wob)[:, None] * axis + (np.sin(a) * ry * wob)[:, None] * b

    def _soil_colour(self) -> np.ndarray:
        """Bare soil: ochre to light brown, bright."""
        rng = self.rng
        red = rng.uniform(160, 205)
        return np.array([red, red * rng.uniform(0.78, 0.88), red * rng.uniform(0.58, 0.68)])

    def _ground_soil(self, p: Parcel) -> None:
        """Bright bare-soil patches (earthworks, cleared plots), with tyre tracks across them."""
        rng = self.rng
        colour = self._soil_colour() * rng.uniform(1.0, 1.06)
        sc, dc, ws, wd = (p.s0 + p.s1) / 2, (p.d0 + p.d1) / 2, p.s1 - p.s0, p.d1 - p.d0
        for _ in range(int(rng.integers(1, 4))):
            c = self.at(sc + rng.uniform(-0.25, 0.25) * ws, dc + rng.uniform(-0.25, 0.25) * wd)
            rx, ry = rng.uniform(0.2, 0.45) * ws, rng.uniform(0.2, 0.45) * wd
            a = rng.uniform(0, math.pi)
            self.cv.fill([self._blob(c, rx, ry, np.array([math.cos(a), math.sin(a)]))], colour * rng.uniform(0.9, 1.08))
            for _ in range(int(rng.integers(0, 4))):
                e = rng.uniform(0, 2 * math.pi)
                d = np.array([math.cos(e), math.sin(e)]) * min(rx, ry)
                self.cv.thin(c - d, c + d, colour * 0.8, rng.uniform(2.5, 4.0), 0.6)

    def _ground_forest(self, p: Parcel) -> None:
        """A dark-green wood with a ragged edge (blotched like tree crowns by _modulate)."""
        rng = self.rng
        c = self.at((p.s0 + p.s1) / 2, (p.d0 + p.d1) / 2)
        colour = np.array([rng.uniform(30, 52), rng.uniform(48, 72), rng.uniform(28, 44)])
        p.outline = self._blob(c, (p.s1 - p.s0) * 0.48, (p.d1 - p.d0) * 0.48, self.t)
        self.cv.fill([p.outline], colour)

    def _ground_fields(self, p: Parcel) -> None:
        """Fields in strips of different crops, with hedgerows between some."""
        rng = self.rng
        crops = [
            (rng.uniform(80, 110), rng.uniform(110, 140), rng.uniform(58, 80)),
            (rng.uniform(175, 200), rng.uniform(165, 185), rng.uniform(108, 130)),
            (rng.uniform(125, 150), rng.uniform(100, 120), rng.uniform(78, 95)),
            (rng.uniform(100, 125), rng.uniform(120, 138), rng.uniform(80, 95)),
        ]
        along = rng.random() < 0.5
        lo, hi = (p.s0 + 3, p.s1 - 3) if along else (p.d0 + 3, p.d1 - 3)
        x = lo
        while x < hi - 10:
            w = min(rng.uniform(25, 90), hi - x)
            q = self.quad(x, x + w, p.d0 + 3, p.d1 - 3) if along else self.quad(p.s0 + 3, p.s1 - 3, x, x + w)
            self.cv.fill([q], np.array(crops[rng.integers(len(crops))]) * rng.uniform(0.9, 1.1))
            if rng.random() < 0.4:
                self.cv.thin(q[1], q[2], TREE, rng.uniform(2, 5))
            x += w

    def _ground_village(self, p: Parcel) -> None:
        """A village's lanes: one along the parcel with a bend, side lanes off it (the houses come later)."""
        rng = self.rng
        p.lane_w = rng.uniform(4, 7)
        colour = self._road_colour(rng.random() < 0.4)
        along = (p.s1 - p.s0) >= (p.d1 - p.d0)
        (lo, hi), (clo, chi) = ((p.s0, p.s1), (p.d0, p.d1)) if along else ((p.d0, p.d1), (p.s0, p.s1))

        def pt(u: float, v: float) -> np.ndarray:
            """Scene metres of a point u along the village's long side and v across it."""
            return self.at(u, v) if along else self.at(v, u)

        mid = (clo + chi) / 2
        bend = [mid + rng.uniform(-0.15, 0.15) * (chi - clo) for _ in range(3)]
        knots = [lo + 4, (lo + hi) / 2, hi - 4]
        p.lanes = [(pt(knots[i], bend[i]), pt(knots[i + 1], bend[i + 1])) for i in range(2)]
        u = lo + rng.uniform(30, 70)
        while u < hi - 30:
            v = np.interp(u, knots, bend)
            for end in (clo + 5, chi - 5):
                if rng.random() < 0.8:
                    p.lanes.append((pt(u, v), pt(u + rng.uniform(-10, 10), end)))
            u += rng.uniform(50, 110)
        for a, b in p.lanes:
            self._road(a, b, p.lane_w, colour)

    def _road(self, a: XY, b: XY, width: float, colour: Colour) -> None:
        """A road: asphalt or dirt, with a dashed centre line on wide asphalt when the pixels resolve it."""
        self.cv.fill([self._strip(a, b, width)], colour)
        if width >= 8 and colour[0] < 100 and self.spec.gsd_m <= 0.6:
            a, b = np.asarray(a, float), np.asarray(b, float)
            length = float(np.hypot(*(b - a)))
            u = (b - a) / max(length, 1e-9)
            for x in np.arange(2.0, length - 3.0, 9.0):
                q = a + u * x
                if self._in_view(q, 5):
                    self.cv.thin(q, q + u * 3.0, (215, 215, 205), 0.15)

    @staticmethod
    def _strip(a: XY, b: XY, width: float) -> np.ndarray:
        """A straight band of a width between two points."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        d = b - a
        w = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d))) * width / 2
        return np.array([a + w, b + w, b - w, a - w])

    def _track(self, a: XY, b: XY) -> None:
        """A railway track: a ballast bed with two thin dark rails."""
        g = self.rng.uniform(105, 135)
        self.cv.fill([self._strip(a, b, 3.2)], (g, g * 0.93, g * 0.85))
        a, b = np.asarray(a, float), np.asarray(b, float)
        d = b - a
        w = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d)))
        for side in (-1, 1):
            self.cv.thin(a + side * w * GAUGE / 2, b + side * w * GAUGE / 2, (52, 48, 45), 0.3)

    # --- objects: buildings, tanks, stacks, heaps, trains ---------------------------------------
    def objects(self) -> None:
        """Draw the parcels' contents, trains and cars."""
        for p in self.parcels:
            if (build := getattr(self, f"_build_{p.use}", None)) is not None:
                build(p)
        for a, b, where in self.rails:
            if self.rng.random() < {"yard": 0.4, "corridor": 0.35, "spur": 0.2}[where]:
                self._train(a, b)
        self._cars()
        # quay clutter (drawn next) keeps off the parcels, roads and tracks; open lots are left for it to fill
        self.r.clutter += [Polygon(self.quad(p.s0, p.s1, p.d0, p.d1)) for p in self.parcels if p.use != "open_lot"]
        self.r.clutter += [Polygon(self._strip(a, b, w)) for a, b, w, _ in self.roads]
        self.r.clutter += [Polygon(self._strip(a, b, 4.0)) for a, b, _ in self.rails]

    def _building(
        self, c: XY, a: np.ndarray, b: np.ndarray, la: float, lb: float, h: float, colour: Colour, gable: bool
    ) -> np.ndarray:
        """A building with its shadow; a gable roof (ridge along a) shows its sunlit and shaded slopes. Returns
        the roof centre (leaning off nadir)."""
        colour = np.asarray(colour, float)
        footprint = np.array(rect(c, a, b, la, lb))
        self.cv.shade([footprint + self.r.shadow_offset(h)], 0.5)
        self.r.raised(footprint, h, colour)
        top = np.asarray(c, float) + (self.r.lean(h) if self.r.leaning else 0.0)
        if gable:
            k = float(np.dot(b, -self.r.shadow_dir))
            side = 1.0 if k >= 0 else -1.0
            self.cv.fill([np.array(rect(top + b * side * lb / 4, a, b, la, lb / 2))], colour * (1 + 0.18 * abs(k)))
            self.cv.fill([np.array(rect(top - b * side * lb / 4, a, b, la, lb / 2))], colour * (1 - 0.25 * abs(k)))
        return top

    def _parcel_grid(
        self,
        p: Parcel,
        along: bool,
        size_long: float,
        size_short: float,
        gap_long: float,
        gap_short: float,
        margin: float,
        max_short: int = 99,
    ) -> list[np.ndarray]:
        """Centres of a grid of equal footprints filling a parcel, long sides along the quay (along) or across it."""
        span_s, span_d = p.s1 - p.s0 - 2 * margin, p.d1 - p.d0 - 2 * margin
        span_l, span_w = (span_s, span_d) if along else (span_d, span_s)
        n_l = int((span_l + gap_long) // (size_long + gap_long))
        n_w = min(max_short, int((span_w + gap_short) // (size_short + gap_short)))
        used_l, used_w = n_l * (size_long + gap_long) - gap_long, n_w * (size_short + gap_short) - gap_short
        sc, dc = (p.s0 + p.s1) / 2, (p.d0 + p.d1) / 2
        out = []
        for i in range(n_l):
            for j in range(n_w):
                u = -used_l / 2 + size_long / 2 + i * (size_long + gap_long)
                v = -used_w / 2 + size_short / 2 + j * (size_short + gap_short)
                out.append(self.at(sc + u, dc + v) if along else self.at(sc + v, dc + u))
        return out

    def _build_warehouses(self, p: Parcel) -> None:
        """A row (or grid) of identical long warehouses: ship-sized, ship-shaped roofs."""
        rng = self.rng
        along = rng.random() < 0.7
        L, B = rng.uniform(60, 250), rng.uniform(20, 45)
        margin, gap_l, gap_w = rng.uniform(6, 15), rng.uniform(6, 20), rng.uniform(10, 32)
        L = min(L, (p.s1 - p.s0 if along else p.d1 - p.d0) - 2 * margin)
        if L < 40:
            return
        colour = np.array(WAREHOUSE_ROOFS[rng.integers(len(WAREHOUSE_ROOFS))], float)
        h, gable = rng.uniform(8, 16), rng.random() < 0.55
        skylights, solar, docks = rng.random() < 0.35, rng.random() < 0.12, gap_w > 21 and rng.random() < 0.6
        a, b = (self.t, self.n) if along else (self.n, self.t)
        for c in self._parcel_grid(p, along, L, B, gap_l, gap_w, margin, max_short=6):
            if not self._in_view(c, L):
                continue
            top = self._building(c, a, b, L, B, h, colour * rng.uniform(0.94, 1.06), gable)
            self._roof_details(top, a, b, L, B, colour, gable, skylights, solar)
            if docks:  # lorries backed up to the loading doors along one long side
                for u in np.arange(-L / 2 + 6, L / 2 - 6, 4.5):
                    if rng.random() < 0.35:
                        q = np.asarray(c) + a * u + b * (B / 2 + 9.5)
                        self._lorry(q, b, a)

    def _roof_details(
        self,
        top: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        L: float,
        B: float,
        colour: np.ndarray,
        gable: bool,
        skylights: bool,
        solar: bool,
    ) -> None:
        """Ridge, skylight strips, solar panels and vents on a warehouse roof."""
        rng, cv = self.rng, self.cv
        if gable:
            cv.thin(top - a * L / 2, top + a * L / 2, colour * 0.72, 0.6)
        if skylights:
            for u in np.arange(-L / 2 + 5, L / 2 - 5, rng.uniform(6, 10)):
                for v in (-B / 4, B / 4) if gable else (-B / 4, 0.0, B / 4):
                    cv.fill([np.array(rect(top + a * u + b * v, a, b, 3.0, 1.6))], (200, 210, 216), 0.8)
        if solar:  # panels on the slope facing the sun
            side = 1.0 if float(np.dot(b, -self.r.shadow_dir)) >= 0 else -1.0
            cv.fill([np.array(rect(top + b * side * B / 4, a, b, L * rng.uniform(0.5, 0.9), B * 0.4))], (28, 36, 62))
        for _ in range(int(rng.integers(0, 6))):
            q = top + a * rng.uniform(-0.45, 0.45) * L + b * rng.uniform(-0.4, 0.4) * B
            cv.fill([np.array(rect(q, a, b, 1.5, 1.5))], (70, 72, 75))

    def _lorry(self, c: XY, along: np.ndarray, across: np.ndarray) -> None:
        """A lorry: trailer with a cab, and its shadow."""
        rng = self.rng
        trailer = np.array(rect(c, along, across, 16.5, 2.5))
        self.cv.shade([trailer + self.r.shadow_offset(3.5)], 0.55)
        self.cv.fill([trailer], tuple(rng.uniform(60, 230, 3)))
        cab = np.array(rect(np.asarray(c) - along * 7.0, along, across, 2.5, 2.5))
        self.cv.fill([cab], tuple(rng.uniform(60, 235, 3)))

    def _build_tank_farm(self, p: Parcel) -> None:
        """A grid of round storage tanks in bunded groups, with a pipe rack out to the quay."""
        rng = self.rng
        margin = 8.0
        R = min(rng.uniform(8, 35), (min(p.s1 - p.s0, p.d1 - p.d0) - 2 * margin) / 2 - 5)
        if R < 6:
            return
        gap = rng.uniform(8, 25)
        pitch = 2 * R + gap
        h = float(np.clip(R * rng.uniform(0.7, 1.2), 8, 22))
        floating_p = rng.uniform(0.2, 0.8)
        shell = np.array([rng.uniform(195, 240)] * 3) * np.array([1.0, 1.0, rng.uniform(0.95, 1.02)])
        wall = (rng.uniform(170, 200),) * 3
        floor = np.array([rng.uniform(120, 155)] * 3) * np.array([1.0, 0.97, 0.9])
        gs, gd = int(rng.integers(1, 3)), int(rng.integers(1, 3))  # tanks per bund along the quay and inland
        ns, nd = int((p.s1 - p.s0 - 2 * margin + gap) // pitch), int((p.d1 - p.d0 - 2 * margin + gap) // pitch)
        s_start = (p.s0 + p.s1) / 2 - (ns * pitch - gap) / 2 + R
        d_start = (p.d0 + p.d1) / 2 - (nd * pitch - gap) / 2 + R
        for i0 in range(0, ns, gs):
            for j0 in range(0, nd, gd):
                cells = [(i, j) for i in range(i0, min(i0 + gs, ns)) for j in range(j0, min(j0 + gd, nd))]
                ss = [s_start + i * pitch for i, _ in cells]
                dd = [d_start + j * pitch for _, j in cells]
                e = R + min(gap / 2 - 0.5, rng.uniform(3, 6))
                bund = self.quad(min(ss) - e, max(ss) + e, min(dd) - e, max(dd) + e)
                if not self._in_view(bund.mean(axis=0), 3 * pitch):
                    continue
                self.cv.fill([bund], floor * rng.uniform(0.95, 1.05))
                self._walls(bund, wall)
                for s, d in zip(ss, dd, strict=True):
                    self._tank(self.at(s, d), R * rng.uniform(0.93, 1.0), h, rng.random() < floating_p, shell)
        if rng.random() < 0.7 and ns > 0:  # pipe rack from the farm across the roads to the berths
            s = (p.s0 + p.s1) / 2 + rng.uniform(-0.3, 0.3) * (p.s1 - p.s0)
            for k in range(int(rng.integers(3, 7))):
                col = PIPE_COLOURS[rng.integers(len(PIPE_COLOURS))]
                self.cv.thin(
                    self.at(s + k * 1.2, self.quay_w - 2),
                    self.at(s + k * 1.2, p.d0 + margin),
                    col,
                    rng.uniform(0.5, 1.0),
                )

    def _walls(self, quad: np.ndarray, colour: Colour) -> None:
        """A low bund wall round a quadrilateral, with its shadow."""
        off = self.r.shadow_offset(1.5)
        for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
            self.cv.thin(a + off, b + off, (40, 40, 40), 1.4, 0.45)
            self.cv.thin(a, b, colour, 1.4)

    def _tank(self, c: XY, R: float, h: float, floating: bool, shell: np.ndarray) -> None:
        """A storage tank: the shell's shadow, its wall off nadir, a fixed (domed) or floating roof."""
        cv, rdr = self.cv, self.r
        base = circle_m(c, R, 36)
        hull = np.concatenate([base, base + rdr.shadow_offset(h)]).astype(np.float32)
        cv.shade([cv2.convexHull(hull).reshape(-1, 2).astype(np.float64)], 0.5)
        top = np.asarray(c, float) + (rdr.lean(h) if rdr.leaning else 0.0)
        if rdr.leaning:
            cv.prism(base, circle_m(top, R, 36), np.asarray(shell) * 0.75)
        cv.circle(top, R, shell)
        sun = -rdr.shadow_dir
        if floating:  # the deck sits below the rim, which shades a crescent of it on the sun's side
            deck = circle_m(top, 0.93 * R, 36)
            cv.fill([deck], (self.rng.uniform(105, 165),) * 3)
            crescent = Polygon(deck).difference(Polygon(deck + rdr.shadow_offset(self.rng.uniform(1.5, 0.5 * h))))
            for q in getattr(crescent, "geoms", [crescent]):
                if isinstance(q, Polygon) and q.area > 0:
                    cv.shade([np.asarray(q.exterior.coords)[:-1]], 0.5)
        else:  # a shallow dome: the half away from the sun a shade darker
            half = Polygon(circle_m(top, R, 36)).intersection(
                Polygon(rect(top - sun * R, sun, np.array([-sun[1], sun[0]]), 2 * R, 2 * R + 2))
            )
            if isinstance(half, Polygon) and half.area > 0:
                cv.shade([np.asarray(half.exterior.coords)[:-1]], 0.9)
            cv.circle(top, max(0.6, 0.05 * R), (150, 150, 150))

    def _build_container_yard(self, p: Parcel) -> None:
        """Blocks of container stacks with driving lanes and rubber-tyred gantry cranes over some."""
        rng = self.rng
        rows, clen = int(rng.integers(4, 8)), 12.2 if rng.random() < 0.75 else 6.1
        cols = max(2, int(min(rng.uniform(80, 260), p.s1 - p.s0 - 20) // (clen + 0.5)))
        block_l, block_w = cols * (clen + 0.5), rows * 2.7
        for c in self._parcel_grid(p, True, block_l, block_w, rng.uniform(8, 20), rng.uniform(10, 24), 6.0):
            if not self._in_view(c, block_l):
                continue
            container_stack(self.r, rng, c, self.t, self.n, rows, cols, clen)
            if rng.random() < 0.4:
                self._gantry(np.asarray(c) + self.t * rng.uniform(-0.4, 0.4) * block_l, block_w + 6)

    def _gantry(self, c: XY, span: float) -> None:
        """A rubber-tyred gantry crane straddling a block: two frames and a girder, with their shadow."""
        rng, cv = self.rng, self.cv
        colour = [(225, 190, 40), (225, 225, 220), (60, 100, 160)][rng.integers(3)]
        h = 20.0
        top = np.asarray(c, float) + (self.r.lean(h) if self.r.leaning else 0.0)
        for q, col, a in ((np.asarray(c) + self.r.shadow_offset(h), (35, 35, 35), 0.5), (top, colour, 1.0)):
            for side in (-1, 1):
                leg = q + self.t * side * 4
                cv.thin(leg - self.n * span / 2, leg + self.n * span / 2, col, 1.2, a)
            cv.fill([np.array(rect(q, self.t, self.n, 9.0, 3.0))], col, a)

    def _build_stockpiles(self, p: Parcel) -> None:
        """Long heaps of bulk cargo (coal dark, ore red-brown, limestone pale) with stacker-reclaimers between."""
        rng = self.rng
        along = rng.random() < 0.7
        names = list(PILES)
        weights = np.array([PILES[k][1] for k in names])
        kinds = [names[i] for i in rng.choice(len(names), size=2, p=weights / weights.sum())]
        if self.coal_stock is not None:  # a coal terminal's yards hold coal (the draw above is still made)
            kinds = ["coal", "coal"]
        B, gap, margin = rng.uniform(18, 50), rng.uniform(12, 30), 8.0
        L = min(rng.uniform(80, 300), (p.s1 - p.s0 if along else p.d1 - p.d0) - 2 * margin)
        if L < 2 * B:
            return
        a, b = (self.t, self.n) if along else (self.n, self.t)
        centres = self._parcel_grid(p, along, L, B, 20.0, gap, margin, max_short=5)
        for k, c in enumerate(centres):
            if not self._in_view(c, L):
                continue
            kind = kinds[k % 2 if rng.random() < 0.5 else 0]
            colour = np.array(PILES[kind][0], float) * rng.uniform(0.9, 1.1)
            self._stock_heap(kind, c, a, b, L * rng.uniform(0.8, 1.0), B, rng.uniform(6, 16), colour)
            if rng.random() < 0.7:  # stacker-reclaimer on its rails alongside the heap
                q = np.asarray(c) + b * (B / 2 + gap / 2)
                for side in (-1, 1):
                    self.cv.thin(q - a * L / 2 + b * side * 2.5, q + a * L / 2 + b * side * 2.5, (60, 58, 55), 0.35)
                m = q + a * rng.uniform(-0.4, 0.4) * L
                self.cv.shade([np.array(rect(m, a, b, 12, 8)) + self.r.shadow_offset(8)], 0.55)
                self.cv.fill([np.array(rect(m, a, b, 12, 8))], (215, 190, 50))
                self.cv.thin(m, m - b * (B * 0.5 + gap / 2) + a * 10, (215, 190, 50), 1.4)
        if rng.random() < 0.8:  # a conveyor out to the berths
            s = (p.s0 + p.s1) / 2 + rng.uniform(-0.4, 0.4) * (p.s1 - p.s0)
            self.cv.thin(self.at(s, self.quay_w - 2), self.at(s, p.d0 + margin), (185, 185, 180), 2.0)

    def _stock_heap(
        self, kind: str, c: XY, a: np.ndarray, b: np.ndarray, L: float, B: float, h: float, colour: np.ndarray
    ) -> None:
        """A stockyard heap of one cargo; a coal heap at a coal terminal is coal_stock of its full length L."""
        if kind != "coal":
            self._heap(c, a, b, L, B, h, colour)
            return
        rng = None
        if self.coal_stock is not None:  # the texture's draws depend on the heap's size: a generator of its own
            rng = np.random.default_rng(int(self.rng.integers(2**63)))
            L *= self.coal_stock
            B = min(B, L)  # a nearly empty yard: a round heap
            if L < 2.0:  # empty
                return
        self.coal_heaps.append(self._heap(c, a, b, L, B, h, colour, rng))

    def coal_area_m2(self) -> float:
        """The true area of the coal heaps inside the scene, in square metres."""
        if not self.coal_heaps:
            return 0.0
        return float(unary_union(self.coal_heaps).intersection(box(0, 0, self.spec.width_m, self.spec.height_m)).area)

    def _heap(
        self,
        c: XY,
        a: np.ndarray,
        b: np.ndarray,
        L: float,
        B: float,
        h: float,
        colour: np.ndarray,
        rng: np.random.Generator | None = None,
    ) -> Polygon:
        """An elongated heap: its shadow, a blotchy surface, the slope facing the sun lit and the other dark.

        rng: where the heap's texture draws from (default the land stream); returns the heap's footprint."""
        rng, cv = self.rng if rng is None else rng, self.cv
        c = np.asarray(c, float)
        geom = LineString([c - a * (L / 2 - B / 2), c + a * (L / 2 - B / 2)]).buffer(B / 2, quad_segs=6)
        ring = np.asarray(geom.exterior.coords)[:-1]
        cv.shade([ring + self.r.shadow_offset(h * 0.5)], 0.7)
        cv.textured([ring], colour, rng, rng.uniform(2.0, 5.0), 0.1)
        k = float(np.dot(b, -self.r.shadow_dir))
        for side, factor in ((1.0, 1 + 0.2 * abs(k)), (-1.0, 1 - 0.3 * abs(k))):
            s = side if k >= 0 else -side
            half = geom.intersection(Polygon(rect(c + b * s * B / 4, a, b, L + 2, B / 2)))
            if isinstance(half, Polygon) and half.area > 0:
                cv.shade([np.asarray(half.exterior.coords)[:-1]], factor)
        cv.thin(c - a * (L / 2 - B / 2), c + a * (L / 2 - B / 2), colour * 1.1, 0.8, 0.6)  # the ridge
        return geom

    def _build_soil(self, p: Parcel) -> None:
        """Earthworks on some bare plots: small heaps and a lorry or two."""
        rng = self.rng
        if rng.random() < 0.5:
            return
        for _ in range(int(rng.integers(1, 5))):
            c = self.at(rng.uniform(p.s0 + 30, p.s1 - 30), rng.uniform(p.d0 + 30, p.d1 - 30))
            if self._in_view(c, 40):
                a = rng.uniform(0, math.pi)
                ax = np.array([math.cos(a), math.sin(a)])
                colour = np.array([rng.uniform(140, 190), rng.uniform(115, 150), rng.uniform(85, 115)])
                length, width, height = rng.uniform(15, 40), rng.uniform(8, 14), rng.uniform(2, 5)
                self._heap(c, ax, np.array([-ax[1], ax[0]]), length, width, height, colour)

    def _build_village(self, p: Parcel) -> None:
        """Houses along the village lanes (8-20 m, roofs of a few colours, gabled or flat) and trees between them."""
        rng = self.rng
        palette = [HOUSE_ROOFS[i] for i in rng.choice(len(HOUSE_ROOFS), size=int(rng.integers(2, 5)), replace=False)]
        flat_p = rng.uniform(0.1, 0.5)
        inside = prep(Polygon(self.quad(p.s0 + 2, p.s1 - 2, p.d0 + 2, p.d1 - 2)))
        lanes = prep(unary_union([LineString([a, b]).buffer(p.lane_w / 2 + 1) for a, b in p.lanes]))
        placed: dict[tuple, list] = {}  # houses by 30 m cell, to keep them apart cheaply

        def clear(poly: Polygon) -> bool:
            """Whether a house or tree fits: in the parcel, off the lanes, clear of those already there."""
            x0, y0, x1, y1 = poly.bounds
            near = [
                g
                for i in range(int(x0 // 30), int(x1 // 30) + 1)
                for j in range(int(y0 // 30), int(y1 // 30) + 1)
                for g in placed.get((i, j), [])
            ]
            return inside.contains(poly) and not lanes.intersects(poly) and not any(poly.intersects(g) for g in near)

        def keep(poly: Polygon) -> None:
            """Record a house or tree in the 30 m cells it touches."""
            x0, y0, x1, y1 = poly.bounds
            for i in range(int(x0 // 30), int(x1 // 30) + 1):
                for j in range(int(y0 // 30), int(y1 // 30) + 1):
                    placed.setdefault((i, j), []).append(poly)

        houses = 0
        for a, b in p.lanes:
            a, b = np.asarray(a, float), np.asarray(b, float)
            length = float(np.hypot(*(b - a)))
            if length < 15 or not self._in_view((a + b) / 2, length):
                continue
            u = (b - a) / length
            w = np.array([-u[1], u[0]])
            for side in (-1.0, 1.0):
                x = rng.uniform(0, 8)
                while x < length - 8:
                    la, lb = rng.uniform(8, 20), rng.uniform(6, 14)
                    lb = min(lb, la)
                    if rng.random() < 0.15:  # a gap: a garden, a yard
                        x += rng.uniform(8, 25)
                        continue
                    rot = math.radians(rng.uniform(-8, 8))
                    ax = u * math.cos(rot) + w * math.sin(rot)
                    bx = np.array([-ax[1], ax[0]])
                    if rng.random() > 0.65:  # gable end to the lane
                        ax, bx, la, lb = bx, ax, lb, la
                    size_along = la if abs(float(np.dot(ax, u))) > 0.7 else lb
                    size_across = lb if size_along == la else la
                    c = a + u * (x + size_along / 2) + w * side * (p.lane_w / 2 + rng.uniform(2, 7) + size_across / 2)
                    poly = Polygon(rect(c, ax, bx, la, lb))
                    if clear(poly.buffer(1.0)):
                        keep(poly)
                        colour = np.array(palette[rng.integers(len(palette))], float) * rng.uniform(0.85, 1.1)
                        self._building(c, ax, bx, la, lb, rng.uniform(3.5, 8), colour, rng.random() > flat_p)
                        houses += 1
                    x += size_along + rng.uniform(2, 10)
        for _ in range(int(houses * rng.uniform(0.5, 1.3))):  # trees in the gardens
            c = self.at(rng.uniform(p.s0, p.s1), rng.uniform(p.d0, p.d1))
            r = rng.uniform(2, 5.5)
            if self._in_view(c, r) and clear(Point(c).buffer(r, quad_segs=3)):
                keep(Point(c).buffer(r, quad_segs=3))
                self._tree(c, r)

    def _tree(self, c: XY, r: float) -> None:
        """A tree crown with its shadow and a sunlit side."""
        rng = self.rng
        self.cv.circle(np.asarray(c) + self.r.shadow_offset(1.6 * r), r, (25, 30, 22))
        colour = np.array(TREE) * rng.uniform(0.8, 1.25)
        self.cv.circle(c, r, colour)
        self.cv.circle(np.asarray(c) - self.r.shadow_dir * 0.35 * r, 0.55 * r, colour * 1.25)

    def _train(self, a: XY, b: XY) -> None:
        """A train on part of a track: locomotive and a line of wagons (tank, hopper, box or container flats)."""
        rng, cv = self.rng, self.cv
        a, b = np.asarray(a, float), np.asarray(b, float)
        length = float(np.hypot(*(b - a)))
        u = (b - a) / max(length, 1e-9)
        w = np.array([-u[1], u[0]])
        kind = str(rng.choice(list(WAGONS)))
        wl = rng.uniform(12, 17) if kind == "tank" else rng.uniform(14, 20)
        n = int(rng.integers(6, 45))
        x = rng.uniform(0, max(1.0, length - n * (wl + 1.0) - 25))
        colours = WAGONS[kind] or CONTAINER_COLOURS
        base = np.array(colours[rng.integers(len(colours))], float)
        for i in range(n + 1):
            size = 20.0 if i == 0 else wl
            c = a + u * (x + size / 2)
            x += size + 1.0
            if x > length:
                break
            wagon = np.array(rect(c, u, w, size, 3.0))
            if not self._in_view(c, size):
                continue
            cv.shade([wagon + self.r.shadow_offset(4.0)], 0.55)
            if i == 0:  # the locomotive
                cv.fill([wagon], [(150, 40, 35), (40, 70, 130), (210, 170, 40), (60, 60, 62)][rng.integers(4)])
                cv.fill([np.array(rect(c + u * 7.5, u, w, 3.0, 2.6))], (200, 200, 195))
                continue
            colour = np.array(colours[rng.integers(len(colours))], float) if kind == "container" else base
            colour = colour * rng.uniform(0.9, 1.08)
            cv.fill([wagon], colour)
            if kind == "tank":
                cv.thin(c - u * size * 0.45, c + u * size * 0.45, colour * 1.35 + 20, 0.6)  # the sunlit top
            elif kind == "hopper":
                load = (40, 40, 42) if rng.random() < 0.6 else (120, 70, 52)
                cv.fill([np.array(rect(c, u, w, size - 2.0, 2.2))], load)
            elif kind == "box":
                cv.thin(c - u * size * 0.48, c + u * size * 0.48, colour * 0.8, 0.3)

    def _cars(self) -> None:
        """Cars and lorries on the roads."""
        rng = self.rng
        for a, b, width, _ in self.roads:
            a, b = np.asarray(a, float), np.asarray(b, float)
            length = float(np.hypot(*(b - a)))
            u = (b - a) / max(length, 1e-9)
            w = np.array([-u[1], u[0]])
            for _ in range(int(rng.poisson(length / 120))):
                c = a + u * rng.uniform(0, length) + w * rng.choice([-1, 1]) * width / 4
                if not self._in_view(c, 10):
                    continue
                if rng.random() < 0.2:
                    self._lorry(c, u, w)
                    continue
                car = np.array(rect(c, u, w, 4.6, 1.9))
                self.cv.shade([car + self.r.shadow_offset(1.5)], 0.6)
                self.cv.fill([car], np.array(CAR_COLOURS[rng.integers(len(CAR_COLOURS))]) * rng.uniform(0.85, 1.1))
