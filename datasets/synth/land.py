"""Land: the coast and its quay, what stands behind it, the piers out from it, and the quay's clutter and cranes.

A scene with land (`SceneSpec.land`) has one straight coast. It is described by a point on the coast line `p0`
and two unit vectors: `n`, pointing out to sea, and `t`, along the coast (`Coast`). The land is the half-plane
behind the coast, cut to the scene; a concrete quay apron `quay_w` metres wide runs along its edge, and ships
berth parallel to it, so the berths (a point, the grid heading along the quay, and the room along it) are laid
every 60 m along the quay and along both sides of each pier.

Behind the quay the plain land (the renderer the bundled detector was trained on) has a textured ground, storage
tanks, warehouses, roads and sometimes a railway, all drawn from the scene's main random stream. With
`SceneSpec.hard_land` the realistic land of hard_land.py is drawn instead; the plain features' random draws are
still made (on a canvas that draws nothing), so the piers and ships that follow stay where they were.

Quay clutter (`SceneSpec.quay_clutter`, its own stream) fills the apron and yard with container stacks, sheds,
parking lots and vehicles: small bright rectangles that teach the detector what is *not* a ship. Gantry cranes
are drawn last, after the ships, because their booms reach out over the ships at the berths.

Tall things are drawn with their shadow (`Renderer.shadow_offset`: height over the tangent of the sun's
elevation, away from the sun) and, off nadir, leaning towards the sensor's azimuth (`Renderer.lean`).

`land_truth` is everything that is not open water: the land with its quay, and every structure in the water.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple, cast

import cv2
import numpy as np
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

from tankerwatch.datasets.synth.canvas import Canvas, Colour, NoCanvas, circle_m, rect

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tankerwatch.datasets.synth.render import Renderer

CONTAINER_COLOURS = [
    (170, 40, 35),
    (40, 80, 150),
    (30, 110, 70),
    (200, 200, 195),
    (120, 120, 120),
    (210, 120, 40),
    (110, 60, 40),
    (60, 140, 160),
    (220, 190, 60),
]
CAR_COLOURS = [
    (225, 225, 225),
    (200, 200, 205),
    (150, 150, 155),
    (40, 40, 45),
    (25, 25, 30),
    (150, 30, 30),
    (40, 60, 120),
    (120, 120, 125),
]
PIPE_COLOURS = [(200, 200, 195), (190, 170, 60), (160, 160, 160), (120, 120, 125), (200, 90, 50)]


class Coast(NamedTuple):
    """The land's straight coast: a point on it, unit vectors out to sea and along it, the quay and its colour."""

    p0: np.ndarray
    n: np.ndarray  # out to sea
    t: np.ndarray  # along the coast
    quay_w: float
    concrete: tuple[float, float, float]


@contextmanager
def drawing_nothing(r: Renderer) -> Iterator[None]:
    """Make a drawing's random draws without its marks (the renderer's canvas draws nothing meanwhile)."""
    canvas, r.cv = r.cv, cast(Canvas, NoCanvas())
    yield
    r.cv = canvas


def draw_land(r: Renderer) -> None:
    """Land on one side of a straight coast, with quay, piers, tanks, buildings and roads."""
    rng, W, H = r.rng, r.spec.width_m, r.spec.height_m
    theta = rng.uniform(0, 2 * math.pi)
    n = np.array([math.cos(theta), math.sin(theta)])  # points out to sea
    t = np.array([-n[1], n[0]])
    centre = np.array([W / 2, H / 2])
    half = 0.5 * abs(W * n[0]) + 0.5 * abs(H * n[1])
    frac = rng.uniform(0.25, 0.75)
    if r.hard is not None:  # a real port has more land behind its quays: the coast may lie past the centre
        frac = r.hard.coast_fraction
    p0 = centre - n * half * frac
    big = 4 * max(W, H)
    land = Polygon([p0 + t * big, p0 - t * big, p0 - t * big - n * big, p0 + t * big - n * big])
    r.land = land.intersection(box(0, 0, W, H))
    if r.land.is_empty:
        return
    land_colour = np.array([rng.uniform(90, 150), rng.uniform(85, 140), rng.uniform(70, 120)], np.float32)
    mask = np.zeros((r.cv.h, r.cv.w), np.float32)
    cv2.fillPoly(mask, [r.cv.px(np.array(cast(Polygon, r.land).exterior.coords))], 1.0, cv2.LINE_AA, Canvas.SHIFT)
    texture = land_colour + r.cv.noise_field(rng, 20, 12)[..., None]
    r.cv.rgb += (texture - r.cv.rgb) * mask[..., None]
    quay_w = rng.uniform(12, 30)
    concrete = (rng.uniform(150, 200),) * 3
    quay = np.array([p0 + t * big, p0 - t * big, p0 - t * big - n * quay_w, p0 + t * big - n * quay_w])
    r.cv.fill([quay], concrete)
    r.coast = Coast(p0, n, t, quay_w, concrete)
    if r.hard is None:
        _land_features(r, p0, n, t, quay_w)
    else:  # the hard land replaces these features; their draws are still made, so r.rng stays in step
        with drawing_nothing(r):
            _land_features(r, p0, n, t, quay_w)
        r.hard.draw()
    r.blocked.append(land.buffer(3))
    # berths along the quay: ships lie parallel to the coast
    heading = math.degrees(math.atan2(t[0], -t[1]))
    for s in np.arange(-big / 8, big / 8, 60.0):
        pt = p0 + t * s
        if 0 <= pt[0] <= W and 0 <= pt[1] <= H:
            r.berths.append((pt, heading, 1.0))
    _piers(r, p0, n, t, concrete)


def _land_features(r: Renderer, p0: np.ndarray, n: np.ndarray, t: np.ndarray, quay_w: float) -> None:
    """Storage tanks, warehouses and roads behind the quay."""
    rng = r.rng
    for _ in range(rng.integers(4, 14)):
        c = p0 + t * rng.uniform(-900, 900) - n * rng.uniform(quay_w + 30, 700)
        radius = rng.uniform(8, 30)
        ring = np.array([c + radius * np.array([math.cos(a), math.sin(a)]) for a in np.linspace(0, 6.28, 12)])
        if not r.land.contains(Polygon(ring)):
            continue
        r.cv.circle(c + r.shadow_offset(radius * 0.8), radius, (50, 50, 50))
        roof = (rng.uniform(180, 235),) * 3
        if r.leaning:
            top = c + r.lean(radius * 0.8)
            r.cv.prism(circle_m(c, radius), circle_m(top, radius), np.array(roof) * 0.75)
            r.cv.circle(top, radius, roof)
        else:
            r.cv.circle(c, radius, roof)
    for _ in range(rng.integers(3, 12)):
        c = p0 + t * rng.uniform(-900, 900) - n * rng.uniform(quay_w + 20, 600)
        a, b = rng.uniform(20, 120), rng.uniform(15, 50)
        shed = np.array(
            [c + t * a / 2 + n * b / 2, c - t * a / 2 + n * b / 2, c - t * a / 2 - n * b / 2, c + t * a / 2 - n * b / 2]
        )
        if not r.land.contains(Polygon(shed)):
            continue
        height = rng.uniform(6, 15)
        r.cv.shade([shed + r.shadow_offset(height)], 0.55)
        roof_colour = rng.choice([(170, 170, 170), (120, 60, 50), (80, 110, 140), (200, 200, 190)])
        r.raised(shed, height, roof_colour)
    for _ in range(rng.integers(1, 4)):
        d = quay_w + rng.uniform(40, 300)
        r.cv.line(p0 - n * d - t * 3000, p0 - n * d + t * 3000, (rng.uniform(60, 100),) * 3, rng.uniform(6, 14))
    if rng.random() < 0.5:  # rail: two thin dark lines
        d = quay_w + rng.uniform(20, 60)
        for off in (0.0, 1.5):
            r.cv.line(p0 - n * (d + off) - t * 3000, p0 - n * (d + off) + t * 3000, (70, 60, 55), 0.5)


def _piers(r: Renderer, p0: np.ndarray, n: np.ndarray, t: np.ndarray, concrete: Colour) -> None:
    """Piers and jetties out from the quay (ships berth along both sides)."""
    rng = r.rng
    for _ in range(rng.integers(0, 4)):
        s = rng.uniform(-600, 600)
        length, width = rng.uniform(120, 400), rng.uniform(10, 35)
        base = p0 + t * s
        pier = np.array(
            [
                base + t * width / 2,
                base + t * width / 2 + n * length,
                base - t * width / 2 + n * length,
                base - t * width / 2,
            ]
        )
        poly = Polygon(pier)
        if not poly.intersects(box(0, 0, r.spec.width_m, r.spec.height_m)):
            continue
        r.cv.shade([pier + r.shadow_offset(3)], 0.6)
        r.cv.fill([pier], concrete)
        r.blocked.append(poly.buffer(2))
        r.negatives.append(poly)
        heading = math.degrees(math.atan2(n[0], -n[1]))
        for side in (-1, 1):
            for along in np.arange(40, length - 20, 50):
                r.berths.append((base + n * along + side * t * width / 2, heading, float(side)))


def draw_cranes(r: Renderer) -> None:
    """Gantry cranes on the quay whose booms can reach over moored ships."""
    if r.land.is_empty:
        return
    for pt, heading, _ in r.berths[:: max(1, len(r.berths) // 4)]:
        if r.rng.random() < 0.4:
            h = math.radians(heading)
            out = np.array([math.cos(h), math.sin(h)])
            a, b = pt - out * 20, pt + out * r.rng.uniform(20, 45)
            r.cv.line(a + r.shadow_offset(30), b + r.shadow_offset(30), (30, 30, 30), 1.5)
            if r.leaning:  # the boom is 30 m up
                a, b = a + r.lean(30), b + r.lean(30)
            r.cv.line(a, b, (200, 60, 40), 1.5)


# --- quay clutter (SceneSpec.quay_clutter, its own stream) ------------------------------------------------
def draw_quay_clutter(r: Renderer) -> None:
    """Container stacks, sheds and vehicles on the land behind the quay."""
    if r.coast is None or r.land.is_empty:
        return
    s = r.stream("clutter")
    p0, n, t, quay_w, _ = r.coast
    span = max(r.spec.width_m, r.spec.height_m)

    def free(poly: Polygon) -> bool:
        """Whether a footprint lies on the land, clear of the clutter already there."""
        return r.land.contains(poly) and not any(poly.intersects(c) for c in r.clutter)

    for _ in range(4 * int(s.integers(3, 12))):  # container stacks in the yard (a quarter of the tries fit)
        rows, cols = int(s.integers(2, 8)), int(s.integers(3, 12))
        clen = 12.2 if s.random() < 0.7 else 6.1
        c = p0 + t * s.uniform(-0.6, 0.6) * span - n * s.uniform(quay_w + 15, quay_w + 260)
        a_len, a_wid = cols * (clen + 0.5), rows * 2.7
        outline = np.array(rect(c, t, n, a_len, a_wid))
        if not free(Polygon(outline)):
            continue
        r.clutter.append(Polygon(outline).buffer(3))
        container_stack(r, s, c, t, n, rows, cols, clen)
    for _ in range(3 * int(s.integers(4, 16))):  # sheds and small buildings
        c = p0 + t * s.uniform(-0.6, 0.6) * span - n * s.uniform(quay_w + 8, quay_w + 300)
        shed = np.array(rect(c, t, n, s.uniform(6, 35), s.uniform(5, 22)))
        if not free(Polygon(shed)):
            continue
        r.clutter.append(Polygon(shed).buffer(2))
        h = s.uniform(3, 9)
        r.cv.shade([shed + r.shadow_offset(h)], 0.55)
        roof = [(175, 175, 170), (140, 70, 55), (90, 120, 150), (210, 210, 200), (95, 100, 95)][s.integers(5)]
        r.raised(shed, h, np.array(roof) * s.uniform(0.85, 1.1))
    for _ in range(2 * int(s.integers(5, 25))):  # trucks and straddle carriers on the apron
        c = p0 + t * s.uniform(-0.6, 0.6) * span - n * s.uniform(3, max(4.0, quay_w - 3))
        _vehicle(r, s, c, t, n, free, s.random() < 0.75)
    for _ in range(3 * int(s.integers(0, 4))):  # parking lots
        rows, cols = int(s.integers(2, 6)), int(s.integers(6, 25))
        c = p0 + t * s.uniform(-0.6, 0.6) * span - n * s.uniform(quay_w + 20, quay_w + 250)
        lot = np.array(rect(c, t, n, cols * 2.6 + 4, rows * 6.0 + 4))
        if not free(Polygon(lot)):
            continue
        r.clutter.append(Polygon(lot).buffer(1))
        r.cv.fill([lot], (s.uniform(55, 85),) * 3)
        for i in range(rows):
            for j in range(cols):
                if s.random() < 0.7:
                    q = c + t * (-cols * 1.3 + (j + 0.5) * 2.6) - n * (-rows * 3.0 + (i + 0.5) * 6.0)
                    car = np.array(rect(q, n, t, 4.5, 1.8))
                    r.cv.shade([car + r.shadow_offset(1.5)], 0.6)
                    r.cv.fill([car], np.array(CAR_COLOURS[s.integers(len(CAR_COLOURS))]) * s.uniform(0.85, 1.1))
    for _ in range(3 * int(s.integers(3, 15))):  # cars and trucks on the roads and yards
        c = p0 + t * s.uniform(-0.6, 0.6) * span - n * s.uniform(quay_w, quay_w + 300)
        _vehicle(r, s, c, t, n, free, s.random() < 0.3)


def container_stack(
    r: Renderer, s: np.random.Generator, c: np.ndarray, t: np.ndarray, n: np.ndarray, rows: int, cols: int, clen: float
) -> None:
    """A block of container stacks centred at c: cols containers along t, rows across, 1-5 tiers a row."""
    a_len, a_wid = cols * (clen + 0.5), rows * 2.7
    outline = np.array(rect(c, t, n, a_len, a_wid))
    tiers = s.integers(1, 6, rows)
    r.cv.shade([outline + r.shadow_offset(2.6 * float(tiers.max()))], 0.55)
    for i in range(rows):
        for j in range(cols):
            q = c + t * (-a_len / 2 + (j + 0.5) * (clen + 0.5)) - n * (-a_wid / 2 + (i + 0.5) * 2.7)
            col = np.array(CONTAINER_COLOURS[s.integers(len(CONTAINER_COLOURS))]) * s.uniform(0.75, 1.1)
            box_ = np.array(rect(q, t, n, clen, 2.44))
            if r.leaning:
                box_ = box_ + r.lean(2.6 * float(tiers[i]))
            r.cv.fill([box_], col)


def _vehicle(
    r: Renderer,
    s: np.random.Generator,
    c: np.ndarray,
    t: np.ndarray,
    n: np.ndarray,
    free: Callable[[Polygon], bool],
    big: bool,
) -> None:
    """A car, or a truck with its cab / a straddle carrier, with its shadow."""
    along, across = (t, n) if s.random() < 0.75 else (n, t)
    size = ((16.5, 2.5) if s.random() < 0.7 else (8.0, 4.5)) if big else (4.6, 1.9)
    body = np.array(rect(c, along, across, *size))
    if not free(Polygon(body)):
        return
    r.clutter.append(Polygon(body).buffer(0.5))
    r.cv.shade([body + r.shadow_offset(1.6 if not big else 3.5)], 0.55)
    if size[0] == 8.0:
        r.cv.fill([body], (215, 180, 40))
        return
    r.cv.fill([body], np.array(CAR_COLOURS[s.integers(len(CAR_COLOURS))]) if not big else tuple(s.uniform(40, 230, 3)))
    if big:
        r.cv.fill([np.array(rect(c + along * 7.0, along, across, 2.5, 2.5))], tuple(s.uniform(60, 235, 3)))


def land_truth(r: Renderer) -> BaseGeometry:
    """Everything that is not open water (land with its quay, and every structure), cut to the scene."""
    parts = [g for g in [r.land, *r.negatives] if not g.is_empty]
    if not parts:
        return Polygon()
    return make_valid(unary_union(parts)).intersection(box(0, 0, r.spec.width_m, r.spec.height_m))
