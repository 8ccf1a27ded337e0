"""Structures in the water: breakwaters, an oil-terminal jetty, a floating dry dock, a marina, pontoons.

These are the hard negatives of `SceneSpec.port_structures`: long, straight, bright shapes in the water, some of
them ship-sized, that are not ships and carry no truth. Each is laid out in the coast's frame (a point `p0` on the
coast, `n` out to sea, `t` along it; see land.py) or, over open water, in a notional frame drawn for the purpose,
and tried at up to a dozen random poses until it lies in the scene, keeps clear of the structures already there
(`clashes`) and, where it must float, off the land.

A structure, once drawn, is recorded twice: in `Renderer.negatives` (the land truth: it is not open water) and,
grown by a margin, in `Renderer.blocked` (no ship may be placed on it). The oil jetty adds berths along its head,
listed three times (terminals are busy); the marina adds yacht slots between its finger pontoons.

The realistic land of `SceneSpec.hard_land` brings ship-shaped structures of its own (`draw_hard_water`):
pontoons moored along the quay or out from it, singly or in strings, and detached breakwaters in ship-sized
segments, the structures a detector most often calls ships.

The port structures draw from the "structures" stream and the hard land's from the "hard_water" stream, so
turning either on leaves the main stream's draws (the land, the ships' kinds and sizes) as they were; the ships'
placements change, as they must keep clear.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tankerwatch.datasets.synth.canvas import Colour, exterior_rings, rect, square
from tankerwatch.datasets.synth.land import PIPE_COLOURS, Coast

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer


def in_water(r: Renderer, geom: BaseGeometry) -> BaseGeometry:
    """The part of a shape in the water (land cut away)."""
    return geom.difference(r.land) if not r.land.is_empty else geom


def clashes(r: Renderer, geom: BaseGeometry, gap: float = 8.0) -> bool:
    """Whether a new structure would touch one already there."""
    near = geom.buffer(gap)
    return any(near.intersects(g) for g in r.negatives)


def add_negative(r: Renderer, geom: BaseGeometry, buffer_m: float) -> None:
    """Record a structure: in the land truth, and (grown by buffer_m) where no ship may go."""
    r.negatives.append(geom)
    r.blocked.append(geom.buffer(buffer_m))


def coast_frame(r: Renderer, s: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, Colour, bool]:
    """The coast (p0, n out to sea, t along, concrete colour, real coast?) or a notional one for open water."""
    if r.coast is not None:
        p0, n, t, _, concrete = r.coast
        return p0, n, t, concrete, True
    theta = s.uniform(0, 2 * math.pi)
    n = np.array([math.cos(theta), math.sin(theta)])
    centre = np.array([r.spec.width_m, r.spec.height_m]) / 2
    return (
        centre - n * s.uniform(0.1, 0.4) * max(r.spec.width_m, r.spec.height_m),
        n,
        np.array([-n[1], n[0]]),
        (s.uniform(150, 200),) * 3,
        False,
    )


def draw_port_structures(r: Renderer) -> None:
    """Hard negatives in the water: breakwaters, an oil-terminal jetty, a floating dock, a marina."""
    s = r.stream("structures")
    p0, n, t, concrete, coast = coast_frame(r, s)
    for _ in range(int(s.integers(1, 3))):
        _breakwater(r, s, p0, n, t, concrete, coast)
    if s.random() < 0.85:
        _oil_jetty(r, s, p0, n, t, concrete, coast)
    if s.random() < 0.5:
        _floating_dock(r, s, p0, n, t, coast)
    if coast and s.random() < 0.65:
        _marina(r, s, p0, n, t)


def _breakwater(
    r: Renderer, s: np.random.Generator, p0: np.ndarray, n: np.ndarray, t: np.ndarray, concrete: Colour, coast: bool
) -> None:
    """A rubble-mound breakwater, rooted on the shore or detached offshore."""
    W, H = r.spec.width_m, r.spec.height_m
    span = max(W, H)
    width = s.uniform(12, 35)
    for _ in range(12):
        if coast and s.random() < 0.6:  # from the shore out, often with a dog-leg along the coast
            start = p0 + t * s.uniform(-0.6, 0.6) * span - n * 15
            a = math.radians(s.uniform(-60, 60))
            out = n * math.cos(a) + t * math.sin(a)
            pts = [start, start + out * s.uniform(120, 550)]
            if s.random() < 0.6:
                pts.append(pts[-1] + t * float(s.choice([-1, 1])) * s.uniform(100, 420))
        else:  # detached, parallel to the coast
            mid = p0 + n * s.uniform(120, 700) + t * s.uniform(-0.5, 0.5) * span
            half = s.uniform(80, 330)
            pts = [mid - t * half, mid + t * half]
        geom = LineString(pts).buffer(width / 2, cap_style="round", join_style="mitre")
        geom = in_water(r, geom).intersection(box(-50, -50, W + 50, H + 50))
        if geom.area > 300 and not clashes(r, geom) and geom.intersects(box(0, 0, W, H)):
            break
    else:
        return
    rubble(r, s, geom)
    if s.random() < 0.6:  # a road along the crest
        crest = LineString(pts).intersection(geom.buffer(-width * 0.3))
        for seg in getattr(crest, "geoms", [crest]):
            if isinstance(seg, LineString) and seg.length > 5:
                c = np.asarray(seg.coords)
                for a_, b_ in zip(c[:-1], c[1:], strict=True):
                    r.cv.line(a_, b_, np.array(concrete) * 0.9, width * 0.25)
    add_negative(r, geom, 4.0)


def rubble(r: Renderer, s: np.random.Generator, geom: BaseGeometry) -> None:
    """A rubble mound in the water (breakwater): shadow, surf at its toe, blotchy stone."""
    polys = exterior_rings(geom)
    for p in polys:
        r.cv.shade([p + r.shadow_offset(3.0)], 0.6)
    for p in exterior_rings(in_water(r, geom.buffer(1.0 + s.uniform(0, 2.5)).difference(geom))):
        r.cv.textured([p], (225, 230, 230), s, 3.0, 0.8, alpha=s.uniform(0.2, 0.5))  # surf at the toe
    stone = np.array([s.uniform(115, 175)] * 3) * np.array([1.0, s.uniform(0.93, 1.0), s.uniform(0.85, 0.98)])
    for p in polys:
        r.cv.textured([p], stone, s, s.uniform(1.2, 3.5), s.uniform(0.12, 0.22))


def _oil_jetty(
    r: Renderer, s: np.random.Generator, p0: np.ndarray, n: np.ndarray, t: np.ndarray, concrete: Colour, coast: bool
) -> None:
    """A T-shaped oil-terminal jetty: trestle with pipe racks, a berth head with loading arms, dolphins."""
    W, H = r.spec.width_m, r.spec.height_m
    span = max(W, H)
    tw, head_l, head_d = s.uniform(6, 12), s.uniform(35, 80), s.uniform(14, 28)
    for _ in range(12):
        base = p0 + t * s.uniform(-0.45, 0.45) * span
        reach = s.uniform(180, 550) if coast else s.uniform(100, 500)
        head_c = base + n * (reach + head_d / 2)
        trestle = Polygon(
            [
                base + t * tw / 2 - n * 10,
                base + t * tw / 2 + n * reach,
                base - t * tw / 2 + n * reach,
                base - t * tw / 2 - n * 10,
            ]
        )
        head = Polygon(
            [
                head_c + t * head_l / 2 - n * head_d / 2,
                head_c + t * head_l / 2 + n * head_d / 2,
                head_c - t * head_l / 2 + n * head_d / 2,
                head_c - t * head_l / 2 - n * head_d / 2,
            ]
        )
        size, spacing, k = s.uniform(5, 9), s.uniform(22, 40), int(s.integers(1, 4))
        face = head_c + n * (head_d / 2 - size / 2)
        dolphins = [
            Polygon(square(face + t * side * (head_l / 2 + j * spacing), size, t, n))
            for side in (-1, 1)
            for j in range(1, k + 1)
        ]
        parts = ([in_water(r, trestle)] if coast else []) + [head] + dolphins
        geom = unary_union(parts)
        if (
            geom.intersects(box(0, 0, W, H))
            and not clashes(r, geom)
            and (r.land.is_empty or unary_union([head] + dolphins).intersection(r.land).area < 1)
        ):
            break
    else:
        return
    ends = [face + t * side * (head_l / 2 + k * spacing) for side in (-1, 1)]
    for p in exterior_rings(geom):
        r.cv.shade([p + r.shadow_offset(6.0)], 0.55)
    r.cv.thin(ends[0], ends[1], (150, 150, 150), 1.2)  # catwalks between the dolphins
    for d in dolphins:
        r.cv.fill(exterior_rings(d), (s.uniform(120, 165),) * 3)
        r.cv.circle(np.asarray(d.centroid.coords[0]), 0.8, (40, 40, 40))
    if coast:
        r.cv.fill(exterior_rings(in_water(r, trestle)), np.array(concrete) * 0.9)
        for i in range(int(s.integers(3, 8))):  # pipe rack along the trestle
            v = (i / 6.0 - 0.5) * (tw - 1.5)
            col = PIPE_COLOURS[s.integers(len(PIPE_COLOURS))]
            r.cv.thin(base + t * v, base + t * v + n * reach, col, s.uniform(0.5, 1.0))
    r.cv.fill(exterior_rings(head), concrete)
    building = np.array(square(head_c - n * head_d * 0.2 + t * head_l * 0.3, min(10, head_d * 0.5), t, n))
    r.cv.shade([building + r.shadow_offset(5)], 0.55)
    r.raised(building, 5.0, (s.uniform(170, 230),) * 3)
    for i in range(int(s.integers(2, 5))):  # loading arms: risers near the face, booms reaching out
        q = head_c + t * (i - 1.5) * head_l * 0.18 + n * (head_d / 2 - 3)
        h = s.uniform(12, 20)
        col = [(230, 190, 40), (225, 225, 220), (200, 60, 40)][i % 3]
        r.cv.thin(q, q + r.shadow_offset(h), (40, 40, 40), 0.8, 0.7)
        tip = q + n * 2.5 + (r.lean(h) if r.leaning else 0.0)
        r.cv.thin(q, tip, col, 0.9)
        r.cv.circle(q, 1.2, col)
    add_negative(r, geom, 2.0)
    # tankers berth along the head's face (listed thrice: terminals are busy)
    heading = math.degrees(math.atan2(t[0], -t[1]))
    for _ in range(3):
        r.berths.append((head_c + n * (head_d / 2 + 1.0), heading, 1.0))


def _floating_dock(
    r: Renderer, s: np.random.Generator, p0: np.ndarray, n: np.ndarray, t: np.ndarray, coast: bool
) -> None:
    """A floating dry dock: a ship-sized pontoon with two high side walls (a hard negative)."""
    W, H = r.spec.width_m, r.spec.height_m
    L, B, wall, height = s.uniform(110, 260), s.uniform(28, 55), s.uniform(3.5, 7), s.uniform(10, 18)
    for _ in range(15):
        c = p0 + n * s.uniform(B / 2 + 25, 350) + t * s.uniform(-0.45, 0.45) * max(W, H)
        along = t if coast else np.array([math.cos(a := s.uniform(0, math.pi)), math.sin(a)])
        across = np.array([-along[1], along[0]])
        pontoon = np.array(
            [
                c + along * L / 2 + across * B / 2,
                c - along * L / 2 + across * B / 2,
                c - along * L / 2 - across * B / 2,
                c + along * L / 2 - across * B / 2,
            ]
        )
        geom = Polygon(pontoon)
        inside = geom.intersection(box(0, 0, W, H)).area / geom.area
        if inside > 0.5 and not clashes(r, geom) and (r.land.is_empty or not geom.intersects(r.land)):
            break
    else:
        return
    r.cv.shade([pontoon + r.shadow_offset(height)], 0.55)
    floor = [(s.uniform(60, 100),) * 3, (110, 52, 42), (75, 80, 70)][s.integers(3)]
    r.cv.fill([pontoon], floor)
    for u in np.arange(-L / 2 + 10, L / 2 - 10, s.uniform(3.0, 5.0)):  # keel blocks
        q = c + along * u
        r.cv.fill([np.array(square(q, 1.5, along, across))], (45, 40, 35))
    wall_colour = [(200, 200, 195), (150, 150, 150), (70, 90, 120), (140, 80, 55)][s.integers(4)]
    walls = [
        np.array(
            [
                c + along * L / 2 + across * k * B / 2,
                c - along * L / 2 + across * k * B / 2,
                c - along * L / 2 + across * k * (B / 2 - wall),
                c + along * L / 2 + across * k * (B / 2 - wall),
            ]
        )
        for k in (-1, 1)
    ]
    for w_ in walls:
        r.cv.shade([w_ + r.shadow_offset(height)], 0.6)
    for w_ in walls:
        r.raised(w_, height, wall_colour)
        q = w_.mean(axis=0) + along * s.uniform(-0.3, 0.3) * L + (r.lean(height) if r.leaning else 0.0)
        r.cv.fill([np.array(square(q, 4.0, along, across))], (220, 180, 40))  # wall crane
        r.cv.thin(q, q - (w_.mean(axis=0) - c) / (B / 2) * s.uniform(10, 20), (220, 180, 40), 0.9)
    add_negative(r, geom, 4.0)


def _marina(r: Renderer, s: np.random.Generator, p0: np.ndarray, n: np.ndarray, t: np.ndarray) -> None:
    """A yacht marina: a floating walkway out from the shore with finger pontoons (yacht berths)."""
    W, H = r.spec.width_m, r.spec.height_m
    walk_len, walk_w = s.uniform(60, 170), s.uniform(2.5, 4.0)
    finger, pitch, fw = s.uniform(9, 18), s.uniform(6, 11), 1.2
    for _ in range(12):
        base = p0 + t * s.uniform(-0.45, 0.45) * max(W, H) - n * 3
        walk = np.array(
            [
                base + t * walk_w / 2,
                base + t * walk_w / 2 + n * walk_len,
                base - t * walk_w / 2 + n * walk_len,
                base - t * walk_w / 2,
            ]
        )
        fingers = [
            np.array(
                [
                    base + n * a + t * k * walk_w / 2,
                    base + n * (a + fw) + t * k * walk_w / 2,
                    base + n * (a + fw) + t * k * (walk_w / 2 + finger),
                    base + n * a + t * k * (walk_w / 2 + finger),
                ]
            )
            for a in np.arange(12, walk_len - 2, pitch)
            for k in (-1, 1)
        ]
        geom = unary_union([Polygon(walk)] + [Polygon(f_) for f_ in fingers])
        if geom.intersects(box(0, 0, W, H)) and not clashes(r, in_water(r, geom)):
            break
    else:
        return
    deck = (s.uniform(170, 215), s.uniform(165, 205), s.uniform(150, 190))
    for p in [walk] + fingers:
        r.cv.shade([p + r.shadow_offset(0.6)], 0.6)
    for p in [walk] + fingers:
        r.cv.fill([p], deck)
    for a in np.arange(12 + fw, walk_len - 2 - pitch, pitch):
        for k in (-1, 1):
            r.marina_slots.append(
                (base + n * (a + pitch / 2 - fw / 2) + t * k * walk_w / 2, t * k, pitch - fw - 1.0, finger + 3.0)
            )
    add_negative(r, in_water(r, geom), 0.3)


# --- SceneSpec.hard_land's structures: ship-shaped and ship-sized (the "hard_water" stream) -----------------
def draw_hard_water(r: Renderer) -> None:
    """Pontoons along the quay (singly, in strings, or out from it) and segmented offshore breakwaters."""
    if r.coast is None:
        return
    s = r.stream("hard_water")
    for _ in range(int(s.integers(1, 5))):
        _pontoons(r, r.coast, s)
    if s.random() < 0.65:
        _segmented_breakwater(r, r.coast, s)


def _pontoons(r: Renderer, coast: Coast, s: np.random.Generator) -> None:
    """A string of floating pontoons with a gangway to the quay: barge-sized rectangles that are not ships."""
    p0, n, t, _, concrete = coast
    W, H = r.spec.width_m, r.spec.height_m
    span = max(W, H)
    k, L, B = int(s.integers(1, 5)), s.uniform(20, 110), s.uniform(5, 16)
    for _ in range(12):
        out = s.random() < 0.3  # out from the quay like a floating pier, else moored along it
        base = p0 + t * s.uniform(-0.45, 0.45) * span
        stand = s.uniform(2, 8)
        a, b = (n, t) if out else (t, n)
        if out:
            centres = [base + n * (stand + L / 2 + i * (L + 2.0)) for i in range(k)]
        else:
            centres = [base + t * i * (L + 2.0) + n * (stand + B / 2) for i in range(k)]
        decks = [np.array(rect(c, a, b, L, B)) for c in centres]
        g0 = base + (t * (k - 1) * (L + 2.0) / 2 if not out else 0.0)
        gangway = np.array(rect(g0 + n * (stand / 2 - 1), n, t, stand + 3, s.uniform(1.5, 3.0)))
        links = [np.array(rect((centres[i] + centres[i + 1]) / 2, a, b, 3.0, min(B, 3.0))) for i in range(k - 1)]
        geom = unary_union([Polygon(q) for q in decks + links + [gangway]])
        afloat = unary_union([Polygon(q) for q in decks])
        if (
            geom.intersects(box(0, 0, W, H))
            and not clashes(r, geom, 6.0)
            and (r.land.is_empty or afloat.intersection(r.land).area < 1.0)
        ):
            break
    else:
        return
    colour = [(s.uniform(140, 190),) * 3, (s.uniform(55, 80),) * 3, (120, 62, 46), (85, 100, 115)][s.integers(4)]
    for q in decks:
        r.cv.shade([q + r.shadow_offset(s.uniform(1.0, 2.5))], 0.6)
    r.cv.fill([gangway], np.array(concrete) * 0.9)
    for q in decks + links:
        r.cv.fill([q], np.array(colour) * s.uniform(0.92, 1.06))
    for c in centres:
        for side in (-1, 1):  # rubber fenders along the long sides, bollards on the deck edge
            edge = c + b * side * (B / 2 - 0.3)
            r.cv.thin(edge - a * L / 2, edge + a * L / 2, (30, 30, 32), 0.5)
            for u in np.arange(-L / 2 + 3, L / 2 - 2, 10.0):
                r.cv.circle(c + a * u + b * side * (B / 2 - 1.0), 0.4, (40, 40, 40))
        if s.random() < 0.4:  # a hut on the pontoon
            hut = np.array(rect(c + a * s.uniform(-0.3, 0.3) * L, a, b, min(8.0, L / 3), min(5.0, B * 0.6)))
            r.raised(hut, 3.0, [(225, 225, 220), (70, 100, 140), (200, 80, 50)][s.integers(3)])
    add_negative(r, geom, 2.0)


def _segmented_breakwater(r: Renderer, coast: Coast, s: np.random.Generator) -> None:
    """A detached breakwater in segments with gaps between them, parallel to the coast: each ship-sized."""
    p0, n, t, _, _ = coast
    W, H = r.spec.width_m, r.spec.height_m
    for _ in range(12):
        off, k = s.uniform(150, 600), int(s.integers(3, 8))
        seg, width, gap = s.uniform(50, 180), s.uniform(8, 18), s.uniform(15, 60)
        s0 = s.uniform(-0.5, 0.5) * max(W, H) - (k * seg + (k - 1) * gap) / 2
        starts = [p0 + n * off + t * (s0 + i * (seg + gap)) for i in range(k)]
        parts = [LineString([a, a + t * seg]).buffer(width / 2, cap_style="round") for a in starts]
        geom = unary_union(parts).intersection(box(-50, -50, W + 50, H + 50))
        if (
            geom.area > 300
            and geom.intersects(box(0, 0, W, H))
            and not clashes(r, geom)
            and (r.land.is_empty or geom.intersection(r.land).area < 1.0)
        ):
            break
    else:
        return
    rubble(r, s, geom)
    add_negative(r, geom, 4.0)
