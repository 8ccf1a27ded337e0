"""The sensor and the atmosphere: from the drawn canvas to the bands a satellite product delivers.

The canvas (canvas.py) is the scene as it is; `sense` is what an imaging satellite and its processing make of it,
step by step in this order:

1. **haze**: in some scenes a smooth veil of bright scattered light, thicker in places;
2. **cloud** (water.py's `clouds`, `SceneSpec.cloud_cover`): thin cloud and its shadow;
3. **pan-sharpen fringes** (`SceneSpec.pansharpen_fringe`): products are sharpened by injecting a finer
   panchromatic band into coarser colour bands; when those are slightly misregistered and blurred differently,
   edges get colour fringes;
4. the sensor's **blur** (point spread function) and **noise**, then an overall gain and offset;
5. **colour jitter** (`SceneSpec.colour_jitter`): gamma and per-band gains, the spread of real products'
   radiometry and contrast stretches;
6. a **near-infrared** band (`SceneSpec.bands` = 4): water absorbs NIR, vegetation reflects it strongly, so the
   band tells water from land as real NIR does (NDWI);
7. **JPEG** (`SceneSpec.jpeg_quality`): an encode/decode round trip of the colour bands, as in imagery served
   compressed;
8. **quantisation** to the product's bit depth: 8-bit bands as they are, 11- or 12-bit ones scaled into their
   range with headroom, as raw products leave it.

The off-nadir lean (`SceneSpec.off_nadir_deg`) is the sensor's too, but it moves what is drawn rather than the
pixels, so it is applied while drawing: `Renderer.lean` displaces anything `h` metres up by `h * tan(angle)`
towards the view azimuth, and the truth stays at the waterline.

The haze, blur, noise, gain and quantisation draw from the scene's main stream (after everything drawn); each
optional effect draws from its own stream.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np
from affine import Affine
from rasterio.features import rasterize

from tankerwatch.datasets.synth.canvas import polygon_parts
from tankerwatch.datasets.synth.land import land_truth
from tankerwatch.datasets.synth.ships import ship_box_m
from tankerwatch.datasets.synth.water import clouds

if TYPE_CHECKING:
    from tankerwatch.datasets.synth.render import Renderer


def sense(r: Renderer) -> np.ndarray:
    """Haze, blur, noise and quantisation into the output bands."""
    rng, sp = r.rng, r.spec
    img = r.cv.rgb
    if rng.random() < 0.3:  # thin cloud / haze
        haze = np.clip(r.cv.noise_field(rng, 4, 0.25) + rng.uniform(0, 0.25), 0, 0.6)
        img = img * (1 - haze[..., None]) + 220 * haze[..., None]
    if sp.cloud_cover > 0:
        img = clouds(r, img)
    if sp.pansharpen_fringe > 0:
        img = pansharpen(r, img)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    img = img + rng.normal(0, rng.uniform(1, 4), img.shape).astype(np.float32)
    img = img * rng.uniform(0.8, 1.15) + rng.uniform(-10, 10)
    if sp.colour_jitter > 0:
        img = colour_balance(r, img)
    bands = [img[..., 0], img[..., 1], img[..., 2]]
    if sp.bands == 4:
        bands.append(nir(r, img))
    if sp.jpeg_quality is not None:
        bands[:3] = jpeg(bands[:3], sp.jpeg_quality)
    out = np.stack(bands)
    if sp.bit_depth == 8:
        return np.clip(out, 0, 255).astype(np.uint8)
    top = (1 << sp.bit_depth) - 1
    return np.clip(out * (top / 255.0) * rng.uniform(0.4, 0.9), 0, top).astype(np.uint16)


def nir(r: Renderer, img: np.ndarray) -> np.ndarray:
    """A near-infrared band: open water absorbs it (a quarter of the visible brightness), vegetation reflects
    it strongly, ships, structures and bare land about as in the visible; so NDWI separates water from land."""
    h, w = img.shape[:2]
    grid = Affine(r.spec.gsd_m, 0, 0, 0, r.spec.gsd_m, 0)
    solid = [(p, 1) for p in polygon_parts(land_truth(r))]
    solid += [(ship_box_m(s), 1) for s in r.placed]
    not_water = (
        rasterize(solid, out_shape=(h, w), fill=0, transform=grid, dtype="uint8").astype(bool)
        if solid
        else np.zeros((h, w), bool)
    )
    visible = img.mean(axis=2)
    green = (img[..., 1] > img[..., 0] + 5) & (img[..., 1] > img[..., 2])
    factor = np.where(not_water, np.where(green, 1.6, 1.05), 0.25).astype(np.float32)
    return np.clip(visible * factor, 0, 255)


def pansharpen(r: Renderer, img: np.ndarray) -> np.ndarray:
    """Pan-sharpening colour fringes: bands shifted and blurred a little differently, pan detail re-injected."""
    s, amount = r.stream("fringe"), float(r.spec.pansharpen_fringe)
    h, w = img.shape[:2]
    chans = cv2.split(np.ascontiguousarray(img, np.float32))
    detail: np.ndarray = chans[0] + chans[1]  # becomes pan - mean(bands) below, in place (this runs at full size)
    detail += chans[2]
    out = []
    for ch in chans:
        a, d = s.uniform(0, 2 * math.pi), amount * s.uniform(0.4, 1.0)
        m = np.array([[1, 0, d * math.cos(a)], [0, 1, d * math.sin(a)]], np.float32)
        shifted = cv2.warpAffine(ch, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if (sigma := amount * s.uniform(0.3, 1.0)) > 0.2:
            shifted = cv2.GaussianBlur(shifted, (0, 0), sigma)
        out.append(shifted)
    for ch in out:
        detail -= ch
    detail *= np.float32(1 / 3)
    for ch in out:
        ch += detail
    return cv2.merge(out)


def colour_balance(r: Renderer, img: np.ndarray) -> np.ndarray:
    """Gamma, per-band gain and offset: the spread of real products' radiometry and stretches."""
    s, j = r.stream("colour"), float(np.clip(r.spec.colour_jitter, 0.0, 1.0))
    gamma = math.exp(j * s.uniform(-0.4, 0.4))
    gains = (255.0 * (1.0 + j * s.uniform(-0.15, 0.15, 3))).astype(np.float32)
    lift = (j * s.uniform(-6, 6, 3)).astype(np.float32)
    x = cv2.pow(np.clip(img, 0, None) * np.float32(1 / 255), gamma)
    return x * gains + lift


def jpeg(rgb: list[np.ndarray], quality: int) -> list[np.ndarray]:
    """A JPEG encode/decode round trip of the RGB bands (blocks, ringing, chroma bleeding)."""
    q = int(np.clip(quality, 1, 100))
    bgr = cv2.merge([np.clip(b, 0, 255).astype(np.uint8) for b in rgb[::-1]])
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    residual = decoded.astype(np.float32) - bgr
    return [b + residual[..., 2 - k] for k, b in enumerate(rgb)]
