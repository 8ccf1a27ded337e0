"""The drawing canvas: an RGB picture of the scene in floating point, addressed in scene metres.

Everything in a synthetic scene is laid out in *scene metres*: x east and y down from the scene's top-left corner,
the same frame the ships' poses and the land geometry use. The canvas turns metres into pixels only where it
draws, by dividing by the ground sample distance (GSD): a point at (x, y) m lies at pixel (x / gsd, y / gsd),
and pixel (0, 0) covers the square from (0, 0) to (gsd, gsd) m.

Shapes are drawn with OpenCV in fixed point (`SHIFT` fractional bits, so 1/8 pixel) and anti-aliased, so a hull
a few pixels wide still has the right area and its edges blend with the sea. The canvas holds radiance-like
values, 0-255 for each of R, G, B, before the sensor (sensor.py) blurs, adds noise and quantises them; nothing
is clipped while drawing.

The primitives:

- `fill`: polygons in a colour, optionally part transparent (wake foam, surf);
- `shade`: darken what is already there (a shadow keeps the texture of the water or quay it falls on);
- `line`, `thin`, `circle`: strokes and discs; `thin` fades a stroke narrower than a pixel instead of widening it;
- `prism`: the walls of a shape raised from its base to its top, which is how anything tall looks off nadir;
- `textured`: a blotchy fill (rubble, foam) from a random field;
- `noise_field`: a smooth random field the size of the canvas (turbidity, land texture, haze).

`NoCanvas` stands in for the canvas when a drawing's random draws must be made (to keep a random stream in step)
but its marks are not wanted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeAlias

import cv2
import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tankerwatch.datasets.synth.spec import SceneSpec

Colour: TypeAlias = Sequence[float] | np.ndarray  # R, G, B on the canvas's 0-255 scale
XY: TypeAlias = Sequence[float] | np.ndarray  # a point in scene metres


class Canvas:
    """An RGB float canvas in scene metres, drawing ship-frame polygons at sub-pixel precision."""

    SHIFT = 3

    def __init__(self, spec: SceneSpec) -> None:
        """A black canvas covering the spec's extent at its GSD."""
        self.gsd = spec.gsd_m
        self.h = int(round(spec.height_m / spec.gsd_m))
        self.w = int(round(spec.width_m / spec.gsd_m))
        self.rgb: np.ndarray = np.zeros((self.h, self.w, 3), np.float32)

    def px(self, pts_m: XY | Sequence[XY]) -> np.ndarray:
        """Scene metres to fixed-point pixel coordinates for cv2."""
        return np.round(np.asarray(pts_m) / self.gsd * (1 << self.SHIFT)).astype(np.int32).reshape(-1, 1, 2)

    def fill(self, polys_m: Sequence[np.ndarray], colour: Colour, alpha: float = 1.0) -> None:
        """Fill polygons (scene metres) with a colour."""
        if alpha >= 1.0:
            cv2.fillPoly(
                self.rgb, [self.px(p) for p in polys_m], tuple(float(c) for c in colour), cv2.LINE_AA, self.SHIFT
            )
            return
        rows, cols, shifted = self._region(polys_m)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return
        layer = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)
        cv2.fillPoly(layer, shifted, 1.0, cv2.LINE_AA, self.SHIFT)
        region = self.rgb[rows, cols]
        region += (np.asarray(colour, np.float32) - region) * (layer * alpha)[..., None]

    def _region(self, polys_m: Sequence[np.ndarray]) -> tuple[slice, slice, list[np.ndarray]]:
        """Pixel bounding box of polygons and the polygons relative to it (so masks stay small)."""
        pts = np.concatenate([np.asarray(p).reshape(-1, 2) for p in polys_m]) / self.gsd
        x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - 2, 0, [self.w, self.h])
        x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + 2, 0, [self.w, self.h])
        shifted = [self.px(np.asarray(p).reshape(-1, 2) - np.array([x0, y0]) * self.gsd) for p in polys_m]
        return slice(y0, y1), slice(x0, x1), shifted

    def shade(self, polys_m: Sequence[np.ndarray], factor: float) -> None:
        """Darken what lies under polygons (shadows)."""
        rows, cols, shifted = self._region(polys_m)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return
        mask = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)
        cv2.fillPoly(mask, shifted, 1.0, cv2.LINE_AA, self.SHIFT)
        self.rgb[rows, cols] *= 1.0 - (1.0 - factor) * mask[..., None]

    def line(self, a_m: XY, b_m: XY, colour: Colour, width_m: float) -> None:
        """Draw a line between two points in scene metres."""
        t = max(1, int(round(width_m / self.gsd)))
        p = self.px(np.array([a_m, b_m])).reshape(2, 2)
        cv2.line(self.rgb, tuple(p[0]), tuple(p[1]), tuple(float(c) for c in colour), t, cv2.LINE_AA, self.SHIFT)

    def circle(self, c_m: XY, r_m: float, colour: Colour) -> None:
        """Fill a circle in scene metres."""
        p = self.px(np.array([c_m])).reshape(2)
        r = int(round(r_m / self.gsd * (1 << self.SHIFT)))
        cv2.circle(self.rgb, tuple(p), r, tuple(float(c) for c in colour), -1, cv2.LINE_AA, self.SHIFT)

    def prism(self, base_m: np.ndarray, top_m: np.ndarray, colour: Colour, alpha: float = 1.0) -> None:
        """Fill the walls of a convex shape raised from base to top (its sides, seen off nadir)."""
        pts = np.concatenate([np.asarray(base_m), np.asarray(top_m)]).reshape(-1, 2).astype(np.float32)
        self.fill([cv2.convexHull(pts).reshape(-1, 2).astype(np.float64)], colour, alpha)

    def thin(self, a_m: XY, b_m: XY, colour: Colour, width_m: float, alpha: float = 1.0) -> None:
        """A straight stroke as an anti-aliased quad, so strokes narrower than a pixel fade instead of widening."""
        a, b = np.asarray(a_m, float), np.asarray(b_m, float)
        d = b - a
        n = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d))) * max(width_m, 0.25 * self.gsd) / 2
        self.fill([np.array([a + n, b + n, b - n, a - n])], colour, alpha)

    def textured(
        self,
        polys_m: Sequence[np.ndarray],
        colour: Colour,
        rng: np.random.Generator,
        cell_m: float,
        contrast: float,
        alpha: float = 1.0,
    ) -> None:
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

    def noise_field(self, rng: np.random.Generator, cells: int, amplitude: float) -> np.ndarray:
        """Smooth random field over the canvas (turbidity, land texture)."""
        small = rng.normal(0, 1, (cells, cells)).astype(np.float32)
        return cv2.resize(small, (self.w, self.h), interpolation=cv2.INTER_CUBIC) * amplitude


class NoCanvas:
    """A canvas that draws nothing (to make a drawing's random draws without its marks)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        """Every drawing primitive, as one that draws nothing."""
        return lambda *args, **kwargs: None


def exterior_rings(geom: BaseGeometry | None) -> list[np.ndarray]:
    """Exterior rings (scene metres) of the polygons in a shapely geometry."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [np.asarray(geom.exterior.coords)[:-1]] if geom.area > 0 else []
    return [ring for g in getattr(geom, "geoms", []) for ring in exterior_rings(g)]


def polygon_parts(geom: BaseGeometry | None) -> list[Polygon]:
    """The polygons (with their holes) in a shapely geometry; lines and points left out."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom] if geom.area > 0 else []
    return [p for g in getattr(geom, "geoms", []) for p in polygon_parts(g)]


def square(c: XY, size: float, a: XY, b: XY) -> list[np.ndarray]:
    """A square of side size centred at c with sides along unit vectors a and b."""
    return rect(c, a, b, size, size)


def rect(c: XY, a: XY, b: XY, len_a: float, len_b: float) -> list[np.ndarray]:
    """A rectangle centred at c, len_a along unit vector a and len_b along b."""
    c_, a_, b_ = np.asarray(c, float), np.asarray(a, float) * len_a / 2, np.asarray(b, float) * len_b / 2
    return [c_ + a_ + b_, c_ - a_ + b_, c_ - a_ - b_, c_ + a_ - b_]


def circle_m(c: XY, r: float, n: int = 20) -> np.ndarray:
    """A circle as a polygon in scene metres."""
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.asarray(c, float) + r * np.stack([np.cos(a), np.sin(a)], axis=1)
