"""Water and sky: the sea's colour and texture, sun glint, swell, and thin cloud with its shadow.

Open water seen from orbit is dark and nearly uniform: a base colour (blue-green, or a brownish-green turbid
harbour, or with `SceneSpec.water_style` the dark navy, near-black or green of real true-colour products), slow
variations in turbidity (a smooth random field) and short wind waves (per-pixel noise blurred to a metre or so).
Darker, deeper water shows less texture, so the styled waters scale both down ("calm").

Three effects add the bright structure real sea surfaces have, each from a random stream of its own:

- **swell** (`SceneSpec.swell`): long-crested wave trains tens to hundreds of metres long. A facet's brightness
  follows its slope towards the sun, so the image shows the slope field (the height's derivative along the sun),
  modulated by wave groups (swell comes in sets); strong swell breaks into whitecaps on the highest crests.
- **glint** (`SceneSpec.glint`): where the surface mirrors the sun into the sensor. It is a broad bright patch on
  the side of the scene away from the sun, sparkling where wave facets tilt towards the sensor.
- **cloud** (`SceneSpec.cloud_cover`): thin, soft-edged, see-through cloud, and its shadow on the ground displaced
  from it along the sun's direction by the cloud's height over the tangent of the sun's elevation. It is applied
  by the sensor step (sensor.py), over everything drawn, because a cloud lies between the scene and the sensor.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np

from tankerwatch.datasets.synth.spec import WATER_STYLES

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer


def draw_sea(r: Renderer) -> None:
    """Water colour, turbidity and wave texture."""
    rng, cv = r.rng, r.cv
    base: np.ndarray = np.array([rng.uniform(15, 60), rng.uniform(35, 85), rng.uniform(45, 95)], np.float32)
    if rng.random() < 0.3:  # turbid, brownish-green harbour water
        base = np.array([rng.uniform(50, 90), rng.uniform(60, 95), rng.uniform(45, 75)], np.float32)
    calm = None
    if (style := WATER_STYLES[r.spec.water_style]) is not None:
        s = r.stream("water")
        base = np.array([s.uniform(lo, hi) for lo, hi in style], np.float32)
        calm = np.float32(s.uniform(0.25, 0.7))  # dark deep water shows little texture
    cv.rgb[:] = base
    if calm is None:
        cv.rgb += cv.noise_field(rng, 6, rng.uniform(2, 8))[..., None]
    else:
        cv.rgb += cv.noise_field(rng, 6, rng.uniform(2, 8))[..., None] * calm
    waves: np.ndarray = rng.normal(0, rng.uniform(1, 5), (cv.h, cv.w)).astype(np.float32)
    waves = cv2.GaussianBlur(waves, (0, 0), max(0.6, 1.2 / r.spec.gsd_m))
    cv.rgb += waves[..., None] * (2.0 if calm is None else float(2.0 * calm))
    if r.spec.swell > 0:  # the glint sparkles on the swell's slopes as on the short waves
        waves = waves + draw_swell(r) * np.float32(waves.std())
    if r.spec.glint > 0:
        draw_glint(r, waves)


def draw_swell(r: Renderer) -> np.ndarray:
    """Long-crested swell: a few wave trains, bright on the slopes facing the sun, whitecaps on steep crests.

    Returns the swell's slope towards the sun on the canvas (unit spread)."""
    s, cv, sp = r.stream("swell"), r.cv, r.spec
    strength = float(np.clip(sp.swell, 0.0, 1.0))
    lam, theta = s.uniform(40, 220), s.uniform(0, 2 * math.pi)  # dominant wavelength (m) and direction
    step = max(sp.gsd_m, lam / 12)  # smooth at the wavelength: sampled coarse, then resized onto the canvas
    gw, gh = int(math.ceil(sp.width_m / step)) + 1, int(math.ceil(sp.height_m / step)) + 1
    y, x = np.mgrid[0:gh, 0:gw].astype(np.float32) * np.float32(step)
    sun = -r.shadow_dir
    height = np.zeros((gh, gw), np.float32)
    slope: np.ndarray = np.zeros((gh, gw), np.float32)
    for _ in range(int(s.integers(3, 6))):  # a spread of wavelengths and directions round the dominant one
        wl, a, amp = lam * s.uniform(0.7, 1.35), theta + s.normal(0, 0.25), s.uniform(0.5, 1.0)
        kx, ky = 2 * math.pi / wl * math.cos(a), 2 * math.pi / wl * math.sin(a)
        phase = kx * x + ky * y + np.float32(s.uniform(0, 2 * math.pi))
        height += np.float32(amp) * np.sin(phase)
        slope += np.float32(amp * (math.cos(a) * sun[0] + math.sin(a) * sun[1])) * np.cos(phase)
    cells = max(2, int(max(sp.width_m, sp.height_m) / (lam * 6)))  # wave groups: the swell comes in sets
    groups: np.ndarray = cv2.resize(
        s.normal(0, 1, (cells, cells)).astype(np.float32), (gw, gh), interpolation=cv2.INTER_CUBIC
    )
    groups = np.clip(1.0 + 0.45 * groups, 0.2, 2.0)
    slope *= groups
    slope /= np.float32(slope.std() + 1e-6)
    slope = cv2.resize(slope, (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
    cv.rgb += (slope * np.float32(strength * s.uniform(3, 9)))[..., None]
    if strength > 0.4:  # whitecaps: foam specks on the highest crests of the biggest sets
        fine = max(sp.gsd_m, 1.5)
        fw, fh = int(math.ceil(sp.width_m / fine)), int(math.ceil(sp.height_m / fine))
        crest = cv2.resize(height * groups, (fw, fh), interpolation=cv2.INTER_LINEAR)
        crest *= np.float32(1.0 / (float(np.abs(crest).max()) + 1e-6))
        specks = s.normal(0, 1, (fh, fw)).astype(np.float32)
        caps = np.clip((crest - np.float32(1.05 - 0.5 * strength)) * 4, 0, 1) * np.clip(specks - 1.2, 0, 1)
        caps = cv2.resize(cv2.GaussianBlur(caps, (0, 0), 0.8), (cv.w, cv.h), interpolation=cv2.INTER_LINEAR)
        cv.rgb += (np.float32(228) - cv.rgb) * np.clip(caps * np.float32(0.8), 0, 0.7)[..., None]
    return slope


def draw_glint(r: Renderer, waves: np.ndarray) -> None:
    """Sun glint: a broad bright patch on the side away from the sun, sparkling on the wave facets."""
    s, cv = r.stream("glint"), r.cv
    strength = float(np.clip(r.spec.glint, 0.0, 1.0))
    size = max(cv.w, cv.h)
    c = np.array([cv.w, cv.h]) / 2 + r.shadow_dir * s.uniform(0.0, 0.7) * size + s.uniform(-0.2, 0.2, 2) * size
    sx, sy = s.uniform(0.25, 0.8, 2) * size
    gx = np.exp(-0.5 * ((np.arange(cv.w) - c[0]) / sx) ** 2).astype(np.float32)
    gy = np.exp(-0.5 * ((np.arange(cv.h) - c[1]) / sy) ** 2).astype(np.float32)
    broad = np.outer(gy, gx)
    facets = waves * np.float32(1.0 / (float(waves.std()) + 1e-6))
    sparkle = np.clip(facets - np.float32(s.uniform(0.3, 1.0)), 0.0, 2.5)  # wave facets tilted to the sensor
    patches = np.clip(1.0 + cv.noise_field(s, int(s.integers(25, 60)), s.uniform(0.08, 0.25)), 0.0, 2.0)
    level, spark = np.float32(strength * s.uniform(40, 120)), np.float32(strength * s.uniform(8, 25))
    bright = broad * (level * patches + spark * sparkle)
    cv.rgb += bright[..., None]


def clouds(r: Renderer, img: np.ndarray) -> np.ndarray:
    """Thin cloud (soft, blotchy, bright) and its shadow, displaced along the sun direction by its height."""
    s, sp = r.stream("clouds"), r.spec
    cover = float(np.clip(sp.cloud_cover, 0.0, 1.0))
    h, w = img.shape[:2]
    W, H = w * sp.gsd_m, h * sp.gsd_m
    off = r.shadow_offset(s.uniform(300, 2000))  # ground offset of the shadow from its cloud
    cell = s.uniform(120, 400)
    x0, y0 = min(0.0, -off[0]) - 2 * cell, min(0.0, -off[1]) - 2 * cell
    nx = int((max(W, W - off[0]) - x0) / cell) + 4
    ny = int((max(H, H - off[1]) - y0) / cell) + 4
    coarse = s.normal(0, 1, (ny, nx)).astype(np.float32)
    fine = s.normal(0, 1, (3 * ny, 3 * nx)).astype(np.float32)
    step = max(sp.gsd_m, min(8.0, cell / 12))  # clouds are smooth: sample them on a coarse grid, then resize
    sw, sh = max(2, int(math.ceil(W / step))), max(2, int(math.ceil(H / step)))

    def field(dx: float, dy: float) -> np.ndarray:
        """The cloud field on the coarse grid, displaced by (dx, dy) metres (its shadow's is displaced by the sun)."""
        total = np.zeros((sh, sw), np.float32)
        for grid, c_m, weight in ((coarse, cell, 1.0), (fine, cell / 3, 0.45)):
            m = np.array(
                [[step / c_m, 0, (0.5 * step - dx - x0) / c_m], [0, step / c_m, (0.5 * step - dy - y0) / c_m]],
                np.float32,
            )
            total += weight * cv2.warpAffine(
                grid, m, (sw, sh), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
            )
        return total

    here = field(0.0, 0.0)
    threshold = float(np.quantile(here, 1.0 - cover)) if cover < 1.0 else float(here.min()) - 1.0
    soft, opacity = s.uniform(0.6, 1.5), s.uniform(0.25, 0.65)  # thin cloud: soft-edged, see-through
    cloud = np.clip((here - threshold) / soft, 0, 1) * np.float32(opacity)
    shadow = np.clip((field(off[0], off[1]) - threshold) / soft, 0, 1) * np.float32(s.uniform(0.25, 0.5))
    colour = np.float32(s.uniform(215, 245)) * np.array([1.0, 1.0, s.uniform(1.0, 1.04)], np.float32)
    # img * (1 - shadow) * (1 - cloud) + colour * cloud, with the single-band factors made at the coarse size
    keep = cv2.resize((1.0 - shadow) * (1.0 - cloud), (w, h), interpolation=cv2.INTER_LINEAR)
    cloud = cv2.resize(cloud, (w, h), interpolation=cv2.INTER_LINEAR)
    img = img * keep[..., None]
    img += cloud[..., None] * colour
    return img
