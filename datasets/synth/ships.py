"""Ships: the hull outline, the deck of each kind, the superstructure, and the look a ship is painted in.

A ship is drawn in its own frame (`ShipFrame`): u metres towards the bow and v metres to starboard from its
centre, mapped into scene metres by its pose. The hull outline has a transom stern, a parallel midbody and a
tapered bow (`hull_outline`); the truth is the ship's oriented box, length x beam (`ship_box_m`), at the
waterline.

Drawing one ship (`draw_ship`) goes bottom up: the hull's shadow on the water (its freeboard, the height of the
deck above the water, sets how far it falls), the hull, then the deck of its kind: a tanker's pipe rack, catwalk
and manifold; a bulk carrier's or general cargo ship's hatch covers and cranes; a container ship's stacks; an
LPG carrier's domes; a tug's or fishing boat's wheelhouse; a barge's flat deck. Last comes the accommodation
block with its bridge and funnel, and its long shadow. Off nadir the deck stands `freeboard` metres up and leans
towards SceneSpec.off_nadir_az_deg (away from the sensor, as relief displacement does: the STAC view:azimuth
written, from the target towards the sensor, is that turned round), showing the hull side facing the sensor; the
truth stays at the waterline. The freeboard each ship was drawn with (and loaded or light) is recorded in
`Renderer.looks` for the truth GeoJSON.

What a ship looks like beyond that is its `Look`:

- with `SceneSpec.ship_variety` (the "variety" stream) a cargo ship is loaded (deep, short shadow) or light (a tall
  side with the red antifouling showing), and may take other deck and hull colours and rust streaks;
- with `ShipSpec.livery` the vessel's own `Livery` (drawn from the livery's seed alone) fixes its colours and
  layout in every scene it appears in. The scene's draws are still made and then overridden, so a livery changes
  only its own ship's pixels.

Yachts (`draw_yacht`, their own stream) are sailing yachts, a mast and its long thin shadow, or motor yachts with
stacked white decks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry import Polygon

from tankerwatch.datasets.synth.canvas import Colour, circle_m
from tankerwatch.datasets.synth.spec import ShipSpec

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer

RGB = tuple[float, float, float]

DECK_COLOURS = {
    "tanker": [(150, 60, 45), (120, 45, 40), (70, 95, 70), (110, 110, 105), (165, 85, 55), (60, 80, 95)],
    "bulk_carrier": [(150, 50, 40), (90, 90, 90), (60, 70, 110), (170, 120, 60)],
    "hull": [(35, 35, 40), (120, 30, 30), (30, 40, 70), (200, 200, 195), (60, 60, 60)],
}
# more colours for SceneSpec.ship_variety, kept apart so that the DECK_COLOURS draws stay as they were
VARIETY_COLOURS = {
    "tanker_deck": [
        (45, 75, 55),
        (35, 60, 45),
        (60, 62, 66),
        (85, 88, 92),
        (70, 85, 100),
        (100, 38, 32),
        (112, 72, 50),
        (130, 130, 120),
    ],
    "cargo_deck": [(45, 75, 55), (60, 62, 66), (120, 40, 35), (40, 60, 100), (150, 150, 145), (95, 80, 60)],
    "hull": [(20, 20, 24), (45, 50, 55), (95, 28, 25), (25, 45, 35), (28, 36, 62), (150, 150, 148)],
}
ANTIFOULING = (135, 45, 38)  # red below the light-ship waterline
RUST = (140, 78, 42)


class ShipFrame:
    """Maps ship coordinates (u metres towards the bow, v metres to starboard) into scene metres."""

    def __init__(self, s: ShipSpec) -> None:
        """The frame of a ship at its pose."""
        h = math.radians(s.heading_deg)
        self.c = np.array([s.x_m, s.y_m])
        self.bow = np.array([math.sin(h), -math.cos(h)])
        self.stbd = np.array([math.cos(h), math.sin(h)])

    def __call__(self, uv: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Ship coordinates (u, v) to scene metres."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        return self.c + uv[:, :1] * self.bow + uv[:, 1:] * self.stbd

    def rect(self, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
        """A deck rectangle in scene metres."""
        return self([(u0, v0), (u1, v0), (u1, v1), (u0, v1)])

    def shifted(self, offset: np.ndarray) -> ShipFrame:
        """The same frame displaced in the image (a raised deck seen off nadir)."""
        g = object.__new__(ShipFrame)
        g.c, g.bow, g.stbd = self.c + np.asarray(offset, float), self.bow, self.stbd
        return g


def hull_outline(length_m: float, beam_m: float, bow_frac: float = 0.18, blunt: bool = False) -> np.ndarray:
    """Hull outline in ship coordinates: transom stern, parallel midbody, tapered bow."""
    hl, hb = length_m / 2, beam_m / 2
    pts = [(-hl, -hb * 0.88), (-hl + 0.02 * length_m, -hb), (hl - bow_frac * length_m, -hb)]
    for t in np.linspace(0, 1, 9)[1:-1]:
        v = -hb * (1 - t**2) ** 0.5 if not blunt else -hb * (1 - 0.5 * t**3)
        pts.append((hl - bow_frac * length_m * (1 - t), v))
    pts.append((hl, 0.0))
    mirrored = [(u, -v) for u, v in reversed(pts[:-1])]
    return np.array(pts + mirrored)


def ship_box_m(s: ShipSpec) -> Polygon:
    """The ship's oriented box (length x beam) in scene metres."""
    f = ShipFrame(s)
    return Polygon(f.rect(-s.length_m / 2, s.length_m / 2, -s.beam_m / 2, s.beam_m / 2))


@dataclass(frozen=True)
class Livery:
    """A vessel's own paint and layout (ShipSpec.livery): what stays the same in every scene it is drawn in."""

    hull: RGB
    tanker_deck: RGB
    cargo_deck: RGB  # every other kind's deck
    hatch_covers: RGB
    white: float  # superstructure paint
    white_blue: float  # blue share of the white (1: neutral)
    funnel: RGB
    pipe: float  # grey level of the deck pipes
    superstructure_frac: float  # accommodation block length / hull length
    manifold_frac: float  # manifold centre from midships towards the bow / hull length
    bridge_frac: float  # container ships: bridge centre from midships / hull length

    @classmethod
    def of(cls, seed: int) -> Livery:
        """The livery a seed stands for (drawn in a fixed order: a seed means one look for good)."""
        r = np.random.default_rng(seed)

        def rgb(values: np.ndarray) -> RGB:
            """Three values as a colour."""
            return float(values[0]), float(values[1]), float(values[2])

        def pick(palette: list[tuple[int, int, int]], spread: float) -> RGB:
            """A colour of a palette, each band varied by up to spread either way."""
            base = np.asarray(palette[r.integers(len(palette))], float) * r.uniform(1 - spread, 1 + spread, 3)
            return rgb(np.clip(base, 0, 255))

        hull = pick(DECK_COLOURS["hull"] + VARIETY_COLOURS["hull"], 0.08)
        tanker_deck = pick(DECK_COLOURS["tanker"] + VARIETY_COLOURS["tanker_deck"], 0.12)
        cargo_deck = pick(DECK_COLOURS["bulk_carrier"] + VARIETY_COLOURS["cargo_deck"], 0.12)
        return cls(
            hull,
            tanker_deck,
            cargo_deck,
            rgb(r.uniform(40, 200, 3)),
            float(r.uniform(205, 250)),
            float(r.uniform(0.93, 1.0)),
            rgb(r.uniform(20, 200, 3)),
            float(r.uniform(180, 235)),
            float(r.uniform(0.08, 0.16)),
            float(r.uniform(-0.08, 0.08)),
            float(r.uniform(-0.3, 0.2)),
        )


@dataclass
class Look:
    """How one ship looks beyond the base draw (SceneSpec.ship_variety, ShipSpec.livery)."""

    freeboard: float
    loaded: bool | None = None  # None: not told apart
    deck: tuple[int, int, int] | None = None
    hull_colour: tuple[int, int, int] | None = None
    rust: list[tuple[float, float, float]] = field(default_factory=list)  # (u / length, side, share of the side)
    livery: Livery | None = None  # wins over the scene's draws (which are still made, so the scene stays as it was)


def draw_ship(r: Renderer, s: ShipSpec) -> None:
    """Hull, deck, superstructure and shadows of one ship."""
    rng, f, L, B = r.rng, ShipFrame(s), s.length_m, s.beam_m
    small = s.kind in ("tug", "fishing")
    outline = hull_outline(L, B, 0.3 if small else 0.16, blunt=s.kind == "barge")
    hull = f(outline)
    freeboard = rng.uniform(3, 14) if not small else rng.uniform(1.5, 3)
    look = _look(r, s, freeboard)
    r.looks[id(s)] = look  # the truth: the freeboard the shadow below is cast from
    r.cv.shade([hull + r.shadow_offset(look.freeboard)], rng.uniform(0.45, 0.7))
    hull_colour: Colour = DECK_COLOURS["hull"][rng.integers(len(DECK_COLOURS["hull"]))]
    if look.hull_colour is not None:
        hull_colour = look.hull_colour
    if s.livery is not None:
        look.livery = Livery.of(s.livery)
        hull_colour = look.livery.hull
    if r.leaning:  # the deck stands freeboard metres above the waterline hull (which the truth outlines)
        deck_frame = f.shifted(r.lean(look.freeboard))
        _hull_side(r, s, f, deck_frame, outline, hull_colour, look)
        r.cv.fill([deck_frame(outline)], hull_colour)
    else:
        deck_frame = f
        r.cv.fill([hull], hull_colour)
    if look.rust:
        _rim_rust(r, s, deck_frame, look)
    inner = deck_frame(hull_outline(L * 0.97, B * 0.86, 0.3 if small else 0.16, blunt=s.kind == "barge"))
    DECKS[s.kind](r, s, deck_frame, inner, look)


def _look(r: Renderer, s: ShipSpec, freeboard: float) -> Look:
    """Loaded or light, deck and hull colours, rust: drawn from the variety stream when it is on."""
    look = Look(freeboard)
    v = r.vrng
    if v is None:
        return look
    L = s.length_m
    if s.ship_class == "tanker" or s.kind in ("bulk_carrier", "container_ship", "general_cargo", "lpg_carrier"):
        look.loaded = bool(v.random() < 0.5)
        # a loaded ship sits deep (little hull side, short shadow); a light one shows a tall side
        look.freeboard = v.uniform(2.5, 5.0) + 0.01 * L if look.loaded else v.uniform(0.045, 0.075) * L + 2.0
    if s.ship_class == "tanker" and v.random() < 0.55:
        look.deck = VARIETY_COLOURS["tanker_deck"][v.integers(len(VARIETY_COLOURS["tanker_deck"]))]
    elif s.kind in ("bulk_carrier", "general_cargo", "barge", "tug", "fishing") and v.random() < 0.4:
        look.deck = VARIETY_COLOURS["cargo_deck"][v.integers(len(VARIETY_COLOURS["cargo_deck"]))]
    if v.random() < 0.3:
        look.hull_colour = VARIETY_COLOURS["hull"][v.integers(len(VARIETY_COLOURS["hull"]))]
    if v.random() < 0.35:
        look.rust = [
            (v.uniform(-0.45, 0.42), float(v.choice([-1, 1])), v.uniform(0.3, 0.9)) for _ in range(v.integers(3, 14))
        ]
    return look


def _hull_side(
    r: Renderer, s: ShipSpec, f: ShipFrame, deck: ShipFrame, outline: np.ndarray, colour: Colour, look: Look
) -> None:
    """The hull side seen off nadir: a band from the waterline up to the deck edge (red boot top when light)."""
    base, top = f(outline), deck(outline)
    side = np.asarray(colour, float) * 0.72
    if look.loaded is False:  # light ship: antifouling red shows above the waterline
        boot = f.shifted(r.lean(min(0.4 * look.freeboard, 4.5)))
        r.cv.prism(base, boot(outline), ANTIFOULING)
        r.cv.prism(boot(outline), top, side)
    else:
        r.cv.prism(base, top, side)
    # rust runs down the side facing the sensor from the deck edge
    facing = -1.0 if float(np.dot(f.stbd, r.lean_dir)) > 0 else 1.0
    for u, sgn, frac in look.rust:
        if sgn != facing:
            continue
        uu, v = u * s.length_m, sgn * s.beam_m / 2
        a = deck([(uu, v)])[0]
        b = f.shifted(r.lean(look.freeboard * (1 - frac)))([(uu, v)])[0]
        r.cv.thin(a, b, RUST, 0.6, 0.7)


def _rim_rust(r: Renderer, s: ShipSpec, f: ShipFrame, look: Look) -> None:
    """Rust stains along the deck edge, seen from above."""
    L, B = s.length_m, s.beam_m
    for u, sgn, frac in look.rust:
        v = sgn * 0.47 * B
        r.cv.thin(f([(u * L, v)])[0], f([(u * L + (1 + 4 * frac), v)])[0], RUST, 0.06 * B, 0.6)


# --- decks by kind: each draws on the deck's inner outline, then the superstructure ----------------------
def _superstructure(
    r: Renderer, f: ShipFrame, u0: float, u1: float, half_w: float, height_m: float, livery: Livery | None
) -> None:
    """An accommodation block with its shadow and a funnel."""
    block = f.rect(u0, u1, -half_w, half_w)
    r.cv.shade([block + r.shadow_offset(height_m)], 0.5)
    white = r.rng.uniform(205, 250)
    blue, funnel = r.rng.uniform(0.93, 1.0), tuple(r.rng.uniform(20, 200, 3))
    if livery is not None:
        white, blue, funnel = livery.white, livery.white_blue, livery.funnel
    if r.leaning:  # the block leans; its walls facing the sensor show
        f = f.shifted(r.lean(height_m))
        top = f.rect(u0, u1, -half_w, half_w)
        r.cv.prism(block, top, (white * 0.78, white * 0.78, white * 0.76))
        block = top
    r.cv.fill([block], (white, white, white * blue))
    bridge = f.rect(u1 - (u1 - u0) * 0.35, u1, -half_w * 1.12, half_w * 1.12)
    r.cv.fill([bridge], (white * 0.9,) * 3)
    r.cv.fill([f.rect(u0 - 0.5, u0 + (u1 - u0) * 0.3, -half_w * 0.25, half_w * 0.25)], funnel)


def _aft_block_end(L: float, default_frac: float, livery: Livery | None) -> float:
    """Forward end (u metres) of an aft accommodation block that starts 3 % of the length from the stern."""
    # the default keeps the expression the scenes were drawn with (bit for bit)
    return -L / 2 + default_frac * L if livery is None else -L / 2 + (0.03 + livery.superstructure_frac) * L


def _deck_tanker(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """Tanker deck: coloured deck, centreline pipe rack and catwalk, manifold, aft accommodation."""
    rng, livery, L, B = r.rng, look.livery, s.length_m, s.beam_m
    deck: Colour = DECK_COLOURS["tanker"][rng.integers(len(DECK_COLOURS["tanker"]))]
    if look.deck is not None:
        deck = look.deck
    paint = np.array(deck) * rng.uniform(0.85, 1.15)  # the forecastle below takes the unvaried colour
    if livery is not None:
        deck = paint = np.array(livery.tanker_deck)
    r.cv.fill([inner], paint)
    u_aft, u_fwd = -L / 2 + 0.16 * L, L / 2 - 0.1 * L
    pipe: Colour = (rng.uniform(180, 235),) * 3
    if livery is not None:
        pipe = (livery.pipe,) * 3
    r.cv.fill([f.rect(u_aft, u_fwd, -0.035 * B, 0.035 * B)], pipe)  # pipe rack
    r.cv.fill([f.rect(u_aft, u_fwd, 0.06 * B, 0.09 * B)], np.array(pipe) * 0.8)  # catwalk
    for _ in range(rng.integers(3, 7)):  # longitudinal cargo lines
        v = rng.uniform(-0.3, 0.3) * B
        r.cv.line(f([(u_aft, v)])[0], f([(u_fwd, v)])[0], np.array(pipe) * 0.9, 0.6)
    mid = rng.uniform(-0.05, 0.05) * L
    if livery is not None:
        mid = livery.manifold_frac * L
    for k in range(rng.integers(3, 6)):  # manifold: pipes across the deck
        u = mid + (k - 2) * 2.2
        r.cv.fill([f.rect(u - 0.5, u + 0.5, -0.42 * B, 0.42 * B)], pipe)
    for side in (-1, 1):  # hose-handling cranes
        r.cv.circle(f([(mid + 6, side * 0.3 * B)])[0], max(0.8, 0.04 * B), (230, 230, 220))
    for _ in range(rng.integers(5, 10)):  # tank hatches and deck machinery
        u = rng.uniform(u_aft, u_fwd)
        r.cv.circle(f([(u, rng.choice([-1, 1]) * 0.2 * B)])[0], 0.8, (200, 200, 190))
    r.cv.fill([f.rect(L / 2 - 0.12 * L, L / 2 - 0.08 * L, -0.3 * B, 0.3 * B)], np.array(deck) * 0.7)  # forecastle
    _superstructure(r, f, -L / 2 + 0.03 * L, _aft_block_end(L, 0.14, livery), 0.42 * B, rng.uniform(15, 30), livery)


def _deck_bulk(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """Bulk carrier / general cargo: large hatch covers, deck cranes, aft accommodation."""
    rng, livery, L, B = r.rng, look.livery, s.length_m, s.beam_m
    deck = np.array(DECK_COLOURS["bulk_carrier"][rng.integers(4)]) * rng.uniform(0.8, 1.1)
    if look.deck is not None:
        deck = np.array(look.deck, float)
    if livery is not None:
        deck = np.array(livery.cargo_deck)
    r.cv.fill([inner], deck * 0.8)
    n = int(rng.integers(3, 9)) if s.kind == "bulk_carrier" else int(rng.integers(2, 5))
    start, end = -L / 2 + 0.17 * L, L / 2 - 0.1 * L
    pitch = (end - start) / n
    cover = tuple(rng.uniform(40, 200, 3)) if livery is None else livery.hatch_covers
    for k in range(n):
        u0 = start + k * pitch + 0.12 * pitch
        r.cv.shade([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B) + r.shadow_offset(1.5)], 0.6)
        r.cv.fill([f.rect(u0, u0 + 0.76 * pitch, -0.33 * B, 0.33 * B)], cover)
        if rng.random() < 0.5:
            c = f([(u0 - 0.1 * pitch, 0)])[0]
            r.cv.circle(c, 0.07 * B, (220, 200, 60))
            r.cv.line(c, f([(u0 + 0.4 * pitch, 0.35 * B)])[0], (200, 190, 70), 0.8)
    _superstructure(r, f, -L / 2 + 0.03 * L, _aft_block_end(L, 0.13, livery), 0.42 * B, rng.uniform(15, 28), livery)


def _deck_container(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """Container ship: rows of many-coloured container stacks."""
    rng, L, B = r.rng, s.length_m, s.beam_m
    r.cv.fill([inner], (70, 70, 70))
    bay, row = 6.3, 2.5
    u_bridge = rng.uniform(-0.3, 0.2) * L
    if look.livery is not None:
        u_bridge = look.livery.bridge_frac * L
    for u in np.arange(-L / 2 + 0.15 * L, L / 2 - 0.1 * L, bay):
        if abs(u - u_bridge) < 8:
            continue
        for v in np.arange(-0.45 * B, 0.45 * B - row, row):
            if rng.random() < 0.85:
                r.cv.fill([f.rect(u, u + bay - 0.6, v, v + row - 0.3)], tuple(rng.uniform(40, 230, 3)))
    _superstructure(r, f, u_bridge - 6, u_bridge + 6, 0.45 * B, rng.uniform(25, 40), look.livery)


def _deck_lpg(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """LPG carrier: a raised trunk deck with domes or spherical tanks."""
    rng, L, B = r.rng, s.length_m, s.beam_m
    r.cv.fill([inner], (190, 190, 185))
    n = int(rng.integers(3, 6))
    start, end = -L / 2 + 0.18 * L, L / 2 - 0.1 * L
    for k in range(n):
        c = f([(start + (k + 0.5) * (end - start) / n, 0)])[0]
        r.cv.circle(c + r.shadow_offset(6), 0.38 * B, (60, 60, 60))
        if r.leaning:
            r.cv.prism(circle_m(c, 0.4 * B), circle_m(c + r.lean(6), 0.4 * B), (195, 195, 190))
            c = c + r.lean(6)
        r.cv.circle(c, 0.4 * B, (235, 235, 230))
    _superstructure(
        r, f, -L / 2 + 0.03 * L, _aft_block_end(L, 0.14, look.livery), 0.42 * B, rng.uniform(15, 25), look.livery
    )


def _deck_small(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """Tug or fishing boat: a central wheelhouse."""
    L, B = s.length_m, s.beam_m
    deck = tuple(r.rng.uniform(60, 200, 3))
    r.cv.fill([inner], deck if look.livery is None else look.livery.cargo_deck)
    _superstructure(r, f, -0.1 * L, 0.15 * L, 0.3 * B, r.rng.uniform(5, 9), look.livery)


def _deck_barge(r: Renderer, s: ShipSpec, f: ShipFrame, inner: np.ndarray, look: Look) -> None:
    """Flat barge deck, sometimes with cargo heaps."""
    L, B = s.length_m, s.beam_m
    deck = tuple(r.rng.uniform(70, 150, 3))
    r.cv.fill([inner], deck if look.livery is None else look.livery.cargo_deck)
    if r.rng.random() < 0.5:
        r.cv.fill([f.rect(-0.3 * L, 0.3 * L, -0.3 * B, 0.3 * B)], tuple(r.rng.uniform(60, 140, 3)))


# which deck drawing each kind uses (yachts are drawn by draw_yacht)
DECKS: dict[str, Callable[[Renderer, ShipSpec, ShipFrame, np.ndarray, Look], None]] = {
    "product_tanker": _deck_tanker,
    "crude_tanker": _deck_tanker,
    "chemical_tanker": _deck_tanker,
    "bulk_carrier": _deck_bulk,
    "general_cargo": _deck_bulk,
    "container_ship": _deck_container,
    "lpg_carrier": _deck_lpg,
    "tug": _deck_small,
    "fishing": _deck_small,
    "barge": _deck_barge,
}


def draw_yacht(r: Renderer, s: ShipSpec, y: np.random.Generator) -> None:
    """A sailing yacht (mast and its long shadow) or a motor yacht (stacked white decks)."""
    f, L, B = ShipFrame(s), s.length_m, s.beam_m
    sail = y.random() < (0.55 if L < 22 else 0.12)
    outline = hull_outline(L, B, 0.4 if sail else 0.3)
    fb = y.uniform(1.0, 2.0) + 0.03 * L
    r.looks[id(s)] = Look(fb)
    r.cv.shade([f(outline) + r.shadow_offset(fb)], y.uniform(0.45, 0.7))
    hull_colour = (
        (y.uniform(225, 250),) * 3
        if y.random() < 0.75
        else [(25, 35, 70), (50, 52, 55), (20, 20, 22), (150, 30, 30)][y.integers(4)]
    )
    d = f
    if r.leaning:
        d = f.shifted(r.lean(fb))
        r.cv.prism(f(outline), d(outline), np.array(hull_colour) * 0.75)
    r.cv.fill([d(outline)], hull_colour)
    teak = np.array([150, 115, 78]) * y.uniform(0.85, 1.1)
    inner = d(hull_outline(L * 0.94, B * 0.82, 0.4 if sail else 0.3))
    r.cv.fill([inner], teak if sail or y.random() < 0.4 else (235, 235, 232))
    if sail:
        r.cv.fill([d.rect(-0.42 * L, -0.2 * L, -0.3 * B, 0.3 * B)], teak * 0.8)  # cockpit
        r.cv.shade([d.rect(-0.15 * L, 0.25 * L, -0.3 * B, 0.3 * B) + r.shadow_offset(0.8)], 0.6)
        r.cv.fill([d.rect(-0.15 * L, 0.25 * L, -0.3 * B, 0.3 * B)], (y.uniform(200, 240),) * 3)  # cabin top
        mast, h = d([(0.12 * L, 0)])[0], L * y.uniform(1.2, 1.5)
        r.cv.thin(f([(0.12 * L, 0)])[0], f([(0.12 * L, 0)])[0] + r.shadow_offset(h), (25, 25, 25), 0.3, 0.8)
        r.cv.thin(mast, d([(-0.3 * L, 0)])[0], (215, 215, 210), 0.25)  # boom
        if r.leaning:
            r.cv.thin(mast, mast + r.lean(h), (220, 220, 220), 0.3)
        r.cv.circle(mast, max(0.15, 0.02 * L), (60, 60, 60))
    else:
        r.cv.fill([d.rect(-0.5 * L, -0.42 * L, -0.38 * B, 0.38 * B)], teak)  # swim platform
        for k in range(1 + int(L > 18) + int(L > 35)):
            u0, u1, hw = -0.3 * L + k * 0.06 * L, 0.22 * L - k * 0.08 * L, (0.36 - 0.05 * k) * B
            h = 2.4 * (k + 1)
            deck = d.shifted(r.lean(h)) if r.leaning else d
            r.cv.shade([d.rect(u0, u1, -hw, hw) + r.shadow_offset(h)], 0.6)
            if r.leaning:
                r.cv.prism(d.rect(u0, u1, -hw, hw), deck.rect(u0, u1, -hw, hw), (200, 200, 200))
            r.cv.fill([deck.rect(u0, u1, -hw, hw)], (y.uniform(232, 250),) * 3)
            r.cv.fill([deck.rect(u1 - 0.04 * L, u1, -hw * 0.9, hw * 0.9)], (30, 38, 55))  # windows
