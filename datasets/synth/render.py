"""Drawing one scene: the renderer's state, and the order in which the concern modules draw on it.

A `Renderer` is one scene being drawn. It holds what every concern needs: the spec, the canvas, the sun (its
elevation and the direction shadows fall, both drawn first from the scene's seed) and the view (the off-nadir lean),
and what has been laid down so far: the land, the structures in the water, the berths along quays and piers, the
geometry new things must keep clear of (`blocked`), the ships placed and how each was drawn (`looks`: its
freeboard, loaded or light), which the scene's truth reports.

`Renderer.render` draws in a fixed order, each step on top of the last: water (water.py), land and its quay
(land.py, or the realistic land of hard_land.py), port structures in the water (structures.py), quay clutter,
then the ships are placed (placement.py), their wakes drawn under them (wakes.py), the ships themselves
(ships.py) and last the quay cranes whose booms reach over them. `sensor.sense` then turns the canvas into the
sensor's bands, and `generate_scene` georeferences the result (georef.py).

Random draws: the main stream (`Renderer.rng`, seeded with the scene's seed) serves everything the original
renderer drew, in the original order. Every optional effect draws from a stream of its own (`Renderer.stream`,
seeded with [seed, effect number]), so turning one on leaves every other draw, and so every other pixel, as it was.
Reordering any draw on the main stream changes every scene rendered after it: the regression hashes in
tests/test_synth.py guard the order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tankerwatch.datasets.synth import land, placement, sensor, structures, wakes, water
from tankerwatch.datasets.synth.canvas import Canvas, Colour
from tankerwatch.datasets.synth.georef import SynthScene, georeference
from tankerwatch.datasets.synth.hard_land import HardLand
from tankerwatch.datasets.synth.land import Coast
from tankerwatch.datasets.synth.ships import Look, draw_ship, draw_yacht, ship_box_m
from tankerwatch.datasets.synth.spec import OTHER_KINDS, TANKER_KINDS, WATER_STYLES, SceneSpec, ShipSpec, random_ship

# independent random streams for the optional content and effects: turning one on leaves the rest as it was
STREAMS = {
    "structures": 1,
    "variety": 2,
    "water": 3,
    "glint": 4,
    "wakes": 5,
    "clouds": 6,
    "fringe": 7,
    "colour": 8,
    "clutter": 9,
    "yachts": 10,
    "yacht_look": 11,
    "land": 12,
    "hard_water": 13,
    "swell": 14,
}


class Renderer:
    """Draws one scene: sea, land, port structures, ships, shadows, sensor effects."""

    def __init__(self, spec: SceneSpec) -> None:
        """A renderer for one spec: its sun drawn, nothing laid down yet."""
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.cv: Canvas = Canvas(spec)
        self.sun_az = self.rng.uniform(100, 260)  # clockwise from grid north (image up)
        self.sun_el = self.rng.uniform(25, 65)
        # shadows fall away from the sun; unit vector in scene metres (x east, y down)
        a = math.radians(self.sun_az + 180)
        self.shadow_dir = np.array([math.sin(a), -math.cos(a)])
        self.blocked: list[BaseGeometry] = []
        self.land: BaseGeometry = Polygon()
        self.berths: list[tuple[np.ndarray, float, float]] = []  # (point, grid heading, room along)
        # optional content and effects draw from streams of their own, never from self.rng
        if spec.water_style not in WATER_STYLES:
            raise ValueError(f"water_style must be one of {sorted(WATER_STYLES)}, not {spec.water_style!r}")
        self.coast: Coast | None = None  # the land's straight coast, once drawn
        self.negatives: list[BaseGeometry] = []  # structures in the water (piers, jetties, docks, ...)
        # (walkway edge point, unit direction out, max beam, max length)
        self.marina_slots: list[tuple[np.ndarray, np.ndarray, float, float]] = []
        self.clutter: list[BaseGeometry] = []
        self.hard: HardLand | None = None  # while SceneSpec.hard_land draws the land
        self.leaning = spec.off_nadir_deg > 0
        az = math.radians(spec.off_nadir_az_deg)
        self.lean_dir = np.array([math.sin(az), -math.cos(az)]) * math.tan(math.radians(min(spec.off_nadir_deg, 60.0)))
        self.vrng = self.stream("variety") if spec.ship_variety else None
        self.placed: list[ShipSpec] = []
        # how each ship was drawn (its freeboard, loaded or light), by id(ShipSpec): the truth the shadows encode
        self.looks: dict[int, Look] = {}

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of one optional effect (turning it on leaves everything else as it was)."""
        return np.random.default_rng([self.spec.seed, STREAMS[name]])

    def shadow_offset(self, height_m: float) -> np.ndarray:
        """Horizontal displacement of a shadow cast by something height_m tall."""
        return self.shadow_dir * height_m / math.tan(math.radians(self.sun_el))

    def lean(self, height_m: float) -> np.ndarray:
        """Image displacement of a point height_m above the water, seen off nadir."""
        return self.lean_dir * height_m

    def raised(self, poly_m: np.ndarray, height_m: float, colour: Colour, wall: float = 0.7) -> None:
        """A roof at height_m: in place at nadir, else leaning, with the walls facing the sensor."""
        if not self.leaning:
            self.cv.fill([poly_m], colour)
            return
        top = poly_m + self.lean(height_m)
        self.cv.prism(poly_m, top, np.asarray(colour, float) * wall)
        self.cv.fill([top], colour)

    def render(self) -> list[ShipSpec]:
        """Draw the whole scene; returns the ships placed."""
        sp = self.spec
        water.draw_sea(self)
        if sp.land:
            if sp.hard_land:  # lays out and draws the land behind the quay in place of the plain features
                self.hard = HardLand(self)
            land.draw_land(self)
        if sp.port_structures:
            structures.draw_port_structures(self)
        if self.hard is not None:  # after the port structures, so these keep clear of them
            structures.draw_hard_water(self)
        if sp.quay_clutter:
            land.draw_quay_clutter(self)
        placed: list[ShipSpec] = [s for s in self.spec.ships if placement.place(self, s, fixed=True)]
        wanted = [random_ship(str(self.rng.choice(TANKER_KINDS)), self.rng) for _ in range(self.spec.n_tankers)]
        kinds = OTHER_KINDS if sp.other_kinds is None else tuple(sp.other_kinds)
        wanted += [random_ship(str(self.rng.choice(kinds)), self.rng) for _ in range(self.spec.n_others)]
        for s in wanted:
            if placement.place(self, s):
                placed.append(s)
                if self.rng.random() < 0.12 and (partner := placement.rafted_partner(self, s)):
                    placed.append(partner)
        yachts = placement.place_yachts(self) if sp.n_yachts > 0 else []
        if sp.wakes:
            wakes.draw_wakes(self, placed + yachts)
        for s in placed:
            draw_ship(self, s)
        if yachts:
            look = self.stream("yacht_look")
            for s in yachts:
                draw_yacht(self, s, look)
        land.draw_cranes(self)
        self.placed = placed + yachts
        return placed + yachts


def generate_scene(spec: SceneSpec) -> SynthScene:
    """Render a synthetic port scene and place its ships."""
    r = Renderer(spec)
    ships = r.render()
    image = sensor.sense(r)
    transform, crs = georeference(spec, image.shape[2], image.shape[1])
    return SynthScene(
        image=image,
        transform=transform,
        crs=crs,
        ships=ships,
        spec=spec,
        structures=list(r.negatives),
        land=land.land_truth(r),
        looks=[r.looks.get(id(s)) for s in ships],
        sun_elevation_deg=float(r.sun_el),
        sun_azimuth_deg=float(r.sun_az),
    )


@dataclass
class ShipSprite:
    """One rendered ship as a change to the sea it was drawn on: pasted onto real water (datasets/composite.py).

    Pixels under the hull take `after` outright; shadow and wake pixels scale what lies below by after / before."""

    before: np.ndarray  # rows x cols x 3 float32: the flat sea
    after: np.ndarray  # the same sea with the ship, its shadow and (if underway) its wake
    hull: np.ndarray  # bool rows x cols: hull, deck and superstructure (opaque when pasted)
    ship: ShipSpec  # centred in the sprite (x_m, y_m in sprite metres)
    gsd_m: float


def render_ship_sprite(
    ship: ShipSpec, gsd_m: float, seed: int, underway: bool, off_nadir_deg: float = 0.0
) -> ShipSprite:
    """A ship (kind, size, heading) drawn at gsd_m on calm sea with the renderer's hulls, decks, shadows, wakes."""
    s = ShipSpec(ship.kind, ship.length_m, ship.beam_m, 0, 0, ship.heading_deg, livery=ship.livery)
    side = min(3.0 * s.length_m + 60.0, 1400.0)  # a wake longer than this leaves the sprite: it fades there anyway
    spec = SceneSpec(
        seed=seed,
        gsd_m=gsd_m,
        width_m=side,
        height_m=side,
        land=False,
        n_tankers=0,
        n_others=0,
        ship_variety=True,
        wakes=underway,
        off_nadir_deg=off_nadir_deg,
        off_nadir_az_deg=float(np.random.default_rng(seed).uniform(0, 360)),
    )
    r = Renderer(spec)
    water.draw_sea(r)
    before = r.cv.rgb.copy()
    s.x_m, s.y_m = side / 2, side / 2
    if underway:
        wakes.wake(r, s, r.stream("wakes"), None)
    after_wake = r.cv.rgb.copy()
    draw_ship(r, s)
    after = r.cv.rgb
    # the hull is where drawing the ship changed the picture beyond the shadow's darkening, inside the lean reach
    reach = ship_box_m(s).buffer(2.0 + 40.0 * math.tan(math.radians(min(off_nadir_deg, 60.0))))
    inside = rasterize([(reach, 1)], out_shape=after.shape[:2], transform=Affine.scale(gsd_m), dtype="uint8") > 0
    changed = np.abs(after - after_wake).max(axis=2) > 2.0
    ratio = after / np.maximum(after_wake, 1.0)
    shaded = (ratio.std(axis=2) < 0.03) & (ratio.mean(axis=2) < 0.97)  # a shadow scales all bands alike
    hull = inside & changed & ~shaded
    return ShipSprite(before, after.copy(), hull, s, gsd_m)
