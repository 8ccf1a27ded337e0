"""Placing ships: at a berth alongside a quay, pier or jetty, at anchor in open water, or rafted to another ship.

A ship is placed by trying poses until one is free. Two in three tries pick a berth (laid down by land.py and
structures.py: a point on a quay face, the heading along it, and the room along it) and lay the ship parallel to
the face, half a beam plus a fender gap off it, on either side, bow either way; the others pick a random point
and heading in the scene (a ship at anchor). A pose is free when at least 55 % of the hull box lies in the scene
and the box touches nothing in `Renderer.blocked`: the land, every structure, and every ship already placed,
each grown by a margin. A placed ship's box, grown by 2 m, joins `blocked`.

Fixed ships (`SceneSpec.ships`, e.g. registry tankers with a pose) are placed first, as given. One ship in eight
or so gets a partner moored alongside (a ship-to-ship transfer): the pair touch, so the partner is tried with the
first ship's own box left out of `blocked` for the moment.

Yachts take the marina's slots between finger pontoons (three in four) or anchor like any other ship; they draw
from their own stream, so turning them on leaves the other ships where they were.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry import box

from tankerwatch.datasets.synth.ships import ship_box_m
from tankerwatch.datasets.synth.spec import ShipSpec, random_ship

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer


def place(r: Renderer, s: ShipSpec, fixed: bool = False, rng: np.random.Generator | None = None) -> bool:
    """Find a berth or anchorage for a ship that overlaps nothing; True when placed."""
    rng = r.rng if rng is None else rng
    if fixed and (s.x_m or s.y_m):
        return try_pose(r, s, s.x_m, s.y_m, s.heading_deg)
    for _ in range(60):
        if r.berths and rng.random() < 0.65:
            pt, h, _ = r.berths[rng.integers(len(r.berths))]
            # lie parallel to the berth, stand off the face by half a beam
            hr = math.radians(h)
            normal = np.array([math.cos(hr), math.sin(hr)])
            gap = s.beam_m / 2 + rng.uniform(1.5, 4)
            for sign in (1, -1):
                c = (
                    pt
                    + normal * gap * sign
                    + np.array([math.sin(hr), -math.cos(hr)]) * rng.uniform(-0.3, 0.3) * s.length_m
                )
                if try_pose(r, s, c[0], c[1], (h + (180 if rng.random() < 0.5 else 0)) % 360):
                    return True
        else:
            x, y = rng.uniform(0, r.spec.width_m), rng.uniform(0, r.spec.height_m)
            if try_pose(r, s, x, y, rng.uniform(0, 360)):
                return True
    return False


def try_pose(r: Renderer, s: ShipSpec, x: float, y: float, heading: float) -> bool:
    """Place a ship at a pose when its hull is mostly in the scene and clear of land and ships."""
    s.x_m, s.y_m, s.heading_deg = float(x), float(y), float(heading)
    hull = ship_box_m(s)
    inside = hull.intersection(box(0, 0, r.spec.width_m, r.spec.height_m)).area / hull.area
    if inside < 0.55 or any(hull.intersects(b) for b in r.blocked):
        return False
    r.blocked.append(hull.buffer(2.0))
    return True


def rafted_partner(r: Renderer, s: ShipSpec) -> ShipSpec | None:
    """A second ship moored alongside (ship-to-ship transfer)."""
    partner = random_ship(str(r.rng.choice(["product_tanker", "chemical_tanker", "general_cargo"])), r.rng)
    h = math.radians(s.heading_deg)
    stbd = np.array([math.cos(h), math.sin(h)])
    c = np.array([s.x_m, s.y_m]) + stbd * (s.beam_m / 2 + partner.beam_m / 2 + 3.0) * r.rng.choice([-1, 1])
    r.blocked = [b for b in r.blocked if not b.equals(ship_box_m(s).buffer(2.0))]
    ok = try_pose(r, partner, c[0], c[1], (s.heading_deg + r.rng.choice([0, 180])) % 360)
    r.blocked.append(ship_box_m(s).buffer(2.0))
    return partner if ok else None


def place_yachts(r: Renderer) -> list[ShipSpec]:
    """Yachts in marina slots or at anchor (class 'vessel')."""
    y = r.stream("yachts")
    slots = list(r.marina_slots)
    y.shuffle(slots)
    out = []
    for _ in range(r.spec.n_yachts):
        length = float(np.clip(9 + y.gamma(1.5, 7.0), 9, 70))
        if slots and y.random() < 0.75:
            edge, out_dir, max_b, max_l = slots.pop()
            length = min(length, max_l)
            beam = min(length * y.uniform(0.26, 0.34), max_b)
            c = edge + out_dir * (0.8 + length / 2)
            s = ShipSpec("yacht", round(length, 1), round(beam, 1), 0, 0, 0)
            heading = math.degrees(math.atan2(out_dir[0], -out_dir[1])) + (180 if y.random() < 0.7 else 0)
            if try_pose(r, s, c[0], c[1], heading % 360):
                out.append(s)
            continue
        ratio = y.uniform(0.25, 0.33) if length < 25 else y.uniform(0.17, 0.23)
        s = ShipSpec("yacht", round(length, 1), round(length * ratio, 1), 0, 0, 0)
        if place(r, s, rng=y):
            out.append(s)
    return out
