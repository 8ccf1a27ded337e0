"""Wakes: the foam a ship underway leaves on the water (SceneSpec.wakes).

A moving ship leaves three kinds of foam, all drawn here as one soft white layer over the water before the ships
themselves are drawn on top:

- the **turbulent wake** along its track astern, widening from its beam and fading with distance;
- the two arms of the **Kelvin wake**, thin lines from the bow shoulders at 19.47 degrees either side of the track
  (the half-angle of a deep-water wave pattern of a body moving at any speed), and the bow wave along the
  shoulders;
- the **stern wash**, churned foam just aft of the stern.

How far each reaches grows with a drawn speed. The foam is cut away where it would lie on land or on a structure,
and laid on a grid about a tenth of the beam across, with a grain, blurred and resized onto the canvas: foam is
soft at that scale, not a crisp polygon.

Whether a ship is underway is drawn per ship (tugs, fishing boats and yachts are more often moving), but a ship
within 15 m of land, a structure or another ship is at a berth, at anchor alongside or rafted, and has no wake.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tankerwatch.datasets.synth.canvas import circle_m, exterior_rings
from tankerwatch.datasets.synth.ships import ShipFrame, ship_box_m
from tankerwatch.datasets.synth.spec import ShipSpec

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer

KELVIN_HALF_ANGLE_DEG = 19.47


def draw_wakes(r: Renderer, ships: list[ShipSpec]) -> None:
    """Wakes behind ships underway: V (Kelvin) arms from the bow, turbulent track and stern wash.

    Ships at a berth, alongside a structure or rafted to another ship never have one."""
    w = r.stream("wakes")
    obstacles = (
        unary_union([g for g in [r.land, *r.negatives] if not g.is_empty])
        if (not r.land.is_empty or r.negatives)
        else None
    )
    boxes = [ship_box_m(s) for s in ships]
    for i, s in enumerate(ships):
        near = boxes[i].buffer(15)
        moving = w.random() < (0.75 if s.kind in ("tug", "fishing", "yacht") else 0.45)
        at_berth = (obstacles is not None and near.intersects(obstacles)) or any(
            j != i and near.intersects(b) for j, b in enumerate(boxes)
        )
        if moving and not at_berth:
            wake(r, s, w, obstacles)


def wake(r: Renderer, s: ShipSpec, w: np.random.Generator, obstacles: BaseGeometry | None) -> None:
    """One ship's wake, drawn as a soft foam layer at about a tenth of the beam, clipped to the water."""
    f, L, B = ShipFrame(s), s.length_m, s.beam_m
    speed = w.uniform(0.4, 1.0)
    pieces: list[tuple[np.ndarray, float]] = []
    track = L * w.uniform(1.0, 3.5) * speed
    n_seg = 8
    for k in range(n_seg):  # turbulent wake along the track, widening and fading
        d0, d1 = track * k / n_seg, track * (k + 1) / n_seg
        w0, w1 = B * (0.6 + 0.8 * d0 / track), B * (0.6 + 0.8 * d1 / track)
        pieces.append(
            (
                f(
                    [
                        (-L / 2 - d0 + 2, -w0 / 2),
                        (-L / 2 - d1, -w1 / 2),
                        (-L / 2 - d1, w1 / 2),
                        (-L / 2 - d0 + 2, w0 / 2),
                    ]
                ),
                0.7 * speed * (1 - k / n_seg) ** 1.3,
            )
        )
    half, arm = math.radians(KELVIN_HALF_ANGLE_DEG), L * w.uniform(1.0, 2.5) * speed

    def p(side: int, d: float, width: float) -> tuple[float, float]:
        """A point of a Kelvin arm: d metres aft along it from the bow shoulder, width outwards from its centre."""
        return 0.4 * L - d * math.cos(half), side * (0.35 * B + d * math.sin(half) + width)

    for side in (-1, 1):  # Kelvin arms from the bow shoulders, thin and fading aft
        for k in range(n_seg):
            d0, d1 = arm * k / n_seg, arm * (k + 1) / n_seg
            w0, w1 = 0.06 * B + 0.25 * B * d0 / arm, 0.06 * B + 0.25 * B * d1 / arm
            pieces.append(
                (
                    f([p(side, d0, -w0 / 2), p(side, d1, -w1 / 2), p(side, d1, w1 / 2), p(side, d0, w0 / 2)]),
                    0.4 * speed * (1 - k / n_seg) ** 1.5,
                )
            )
    for k in (-1, 1):  # bow wave along the shoulders
        pieces.append(
            (
                f([(0.5 * L + 1, 0), (0.3 * L, k * 0.6 * B), (0.05 * L, k * 0.62 * B), (0.3 * L, k * 0.48 * B)]),
                0.45 * speed,
            )
        )
    for _ in range(int(6 + 12 * speed)):  # stern wash: churned foam just aft of the stern
        c = f([(-L / 2 - w.uniform(0, 0.35 * L * speed + B), w.normal(0, 0.22 * B))])[0]
        pieces.append((circle_m(c, w.uniform(0.15, 0.35) * B, 10), w.uniform(0.4, 0.8) * speed))
    clipped = []
    for poly, alpha in pieces:
        geom = Polygon(poly)
        if obstacles is not None:
            geom = geom.difference(obstacles)
        clipped += [(q, alpha) for q in exterior_rings(geom)]
    if not clipped:
        return
    cv = r.cv
    pts = np.concatenate([q for q, _ in clipped]) / cv.gsd
    c0, r0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - 4, 0, [cv.w, cv.h])
    c1, r1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + 4, 0, [cv.w, cv.h])
    if c1 - c0 < 2 or r1 - r0 < 2:
        return
    step = max(cv.gsd, B / 10)  # the foam layer is drawn coarse and soft, then resized onto the canvas
    lw, lh = max(2, int(math.ceil((c1 - c0) * cv.gsd / step))), max(2, int(math.ceil((r1 - r0) * cv.gsd / step)))
    sx, sy = lw / ((c1 - c0) * cv.gsd), lh / ((r1 - r0) * cv.gsd)
    layer: np.ndarray = np.zeros((lh, lw), np.float32)
    origin = np.array([c0, r0]) * cv.gsd
    for q, alpha in clipped:
        xy = np.round((q - origin) * [sx, sy] * 8).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(layer, [xy], float(alpha), cv2.LINE_AA, 3)
    grain = w.normal(0, 1, (lh // 3 + 2, lw // 3 + 2)).astype(np.float32)
    layer *= np.clip(1.0 + 0.7 * cv2.resize(grain, (lw, lh), interpolation=cv2.INTER_CUBIC), 0.0, 2.0)
    layer = cv2.GaussianBlur(layer, (0, 0), 1.0)
    opacity = np.clip(cv2.resize(layer, (c1 - c0, r1 - r0), interpolation=cv2.INTER_LINEAR), 0.0, 0.9)
    region = cv.rgb[r0:r1, c0:c1]
    region += (np.array([228, 232, 232], np.float32) - region) * opacity[..., None]
