"""Rendered ships composited onto real imagery: detector training data that transfers to real scenes.

A detector trained on rendered scenes alone learns the renderer: its water, its quays, its land. Here the
water, quays, land and cloud are real (the freely licensed imagery of `../shared/realworld/train_ok/`,
see `backgrounds.py`) and only the ships are rendered:

1. The bundled water mask (`models/watermask.py`) marks the real water of a background once.
2. A ship is drawn by the renderer at the *background's* GSD on a flat sea (`synth.render_ship_sprite`):
   the sprite is the change drawing it made. Hull, deck and superstructure pixels are pasted outright
   (with a gain part-way towards the local water brightness, so a hull's contrast follows the real scene);
   shadow pixels scale the real water by the darkening they caused; wake pixels lift it towards foam by
   the share they lifted the rendered sea. The sprite is blurred a little first, as real optics blur.
3. A ship goes where its whole hull box is water and clear of every other ship: at anchor with any
   heading, or alongside a real quay, parallel to the shore (the direction of the water's edge).
4. The composite is resampled to the working GSD like any scene, so ship and background share GSD,
   resampling blur and JPEG; then `real_look` adds what the real test sources show and the renderer
   lacks: JPEG blocks, pan-sharpening colour fringes, haze, low sun, dark 11-bit renderings stretched to
   8 bits (banding, amplified noise), saturated roofs.

The hand-verified real ships of the ShipsNet scenes (`labels/shipsnet_scenes.csv`) stay in the picture as
labelled ships (class ``vessel``: their type is not labelled), so a real ship is a positive next to the
rendered ones; its verified non-ships (breakwaters, oil islands, piers) are real hard negatives. The
ShipsNet validation scene is composited into the validation split only.

Nothing derived from the real imagery is written into the repository: chips go to the dataset folder the
user names, which keeps the CC BY-SA terms with the data (credit: `models/weights/MODEL_CARD.md`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import Polygon

from tankerwatch.datasets.backgrounds import (
    SHIPSNET_GSD_M,
    VALIDATION_SCENE,
    LandImage,
    _read_rgb,
    read_ship_labels,
    shipsnet_scenes,
)
from tankerwatch.datasets.builder import TruthBox, chip_origins, pad_to_chip, resample_to_gsd, write_chips
from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.datasets.synth import (
    OTHER_KINDS,
    SHIP_KINDS,
    TANKER_KINDS,
    ShipSpec,
    random_ship,
    render_ship_sprite,
    ship_box_m,
)

WATER_SCENES = ("planesnet_scenes/scene_1.png", "planesnet_scenes/scene_2.png")  # SFO and San Diego bay water
CROP_M = 760.0  # a composite is this square of its background (1.5 chips at 1 m): room for the longest hulls
MIN_WATER_SHARE = 0.98  # of a pasted hull box
TANKER_SHARE = 0.5  # of pasted ships
BERTH_SHARE = 0.35  # of pasted ships laid alongside a real shore
MAX_KIND_LENGTH_FRAC = 0.6  # a ship's length at most this share of the crop's side


@dataclass
class Background:
    """A real image to paste ships on: stretched RGB, valid pixels, water (same grid), GSD, labelled real ships."""

    rgb: np.ndarray
    valid: np.ndarray
    water: np.ndarray  # bool, native grid
    gsd_m: float
    source: str
    split: str  # "train" or "val"
    real_ships: list[np.ndarray] = field(default_factory=list)  # (4, 2) corners in native pixels


def water_of(image: LandImage, masker) -> np.ndarray:
    """The bundled water mask of a real image, on its native grid (invalid pixels are not water)."""
    from tankerwatch.inference.floating import array_water_mask

    mask = array_water_mask(image.rgb, image.gsd_m, masker)
    h, w = image.rgb.shape[:2]
    water = cv2.resize(mask.water, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    return water & image.valid


def load_backgrounds(root: Path, masker) -> list[Background]:
    """Every real background under root (the ShipsNet scenes, the PlanesNet water scenes) with its water."""
    images: list[tuple[LandImage, str]] = []
    for name, image in shipsnet_scenes(root).items():
        images.append((image, "val" if name == VALIDATION_SCENE else "train"))
    for rel in WATER_SCENES:
        if (root / rel).exists():
            rgb, valid = _read_rgb(root / rel)
            images.append((LandImage(stretch_rgb(rgb, valid), valid, SHIPSNET_GSD_M, rel), "train"))
    labels = read_ship_labels()
    out = []
    for image, split in images:
        name = Path(image.source).name
        ships = [
            b.box.corners() for b in labels if b.is_ship and image.source.startswith("shipsnet") and b.file == name
        ]
        out.append(
            Background(
                image.rgb,
                image.valid,
                water_of(image, masker),
                image.gsd_m,
                image.source,
                split,
                [np.asarray(c, float) for c in ships],
            )
        )
    return out


def _hull_px(s: ShipSpec, gsd_m: float) -> np.ndarray:
    """A placed ship's hull box corners in pixels of a grid at gsd_m."""
    return np.asarray(ship_box_m(s).exterior.coords[:4], float) / gsd_m


def _footprint(corners_px: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pixels (bool) of a polygon on a grid."""
    return rasterize([(Polygon(corners_px), 1)], out_shape=shape, transform=Affine.identity(), dtype="uint8") > 0


def pick_pose(
    water: np.ndarray, occupied: np.ndarray, length_px: float, beam_px: float, rng: np.random.Generator, alongside: bool
) -> tuple[float, float, float] | None:
    """(col, row, heading °) of a hull wholly on free water: alongside a shore (parallel to it) or anywhere."""
    free = (water & ~occupied).astype(np.uint8)
    dist = np.minimum(cv2.distanceTransform(free, cv2.DIST_L2, 5), 1e4)  # no shore at all: "far"
    if alongside:
        lo, hi = beam_px / 2 + 1, beam_px / 2 + max(3.0, beam_px)
        rows, cols = np.nonzero((dist >= lo) & (dist <= hi))
    else:
        rows, cols = np.nonzero(dist >= beam_px / 2 + 1)
    if len(rows) == 0:
        return None
    gy, gx = np.gradient(cv2.GaussianBlur(dist, (0, 0), 2.0))
    for _ in range(25):
        i = int(rng.integers(len(rows)))
        r, c = int(rows[i]), int(cols[i])
        if alongside and (gx[r, c] ** 2 + gy[r, c] ** 2) > 1e-6:
            heading = math.degrees(math.atan2(gy[r, c], gx[r, c])) + rng.choice([0.0, 180.0])  # along the shore
        else:
            heading = float(rng.uniform(0, 360))
        s = ShipSpec("probe", length_px, beam_px, float(c), float(r), heading)
        foot = _footprint(_hull_px(s, 1.0), water.shape)
        n = foot.sum()
        if n and free[foot].mean() >= MIN_WATER_SHARE:
            return float(c), float(r), heading
    return None


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur in pixels (none below 0.05)."""
    return cv2.GaussianBlur(a, (0, 0), sigma) if sigma > 0.05 else a


def paste_sprite(rgb: np.ndarray, sprite, col: float, row: float, rng: np.random.Generator) -> None:
    """Paste a ship sprite (float RGB, same GSD) with its centre at (col, row) of a float RGB image, in place."""
    sigma = float(rng.uniform(0.3, 0.9))
    before, after = _blur(sprite.before, sigma), _blur(sprite.after, sigma)
    alpha = _blur(sprite.hull.astype(np.float32), sigma)
    sh, sw = alpha.shape
    cx, cy = sprite.ship.x_m / sprite.gsd_m, sprite.ship.y_m / sprite.gsd_m
    x0, y0 = int(round(col - cx)), int(round(row - cy))
    # the overlap of the sprite and the image
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(rgb.shape[1], x0 + sw), min(rgb.shape[0], y0 + sh)
    if ix1 <= ix0 or iy1 <= iy0:
        return
    sl = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
    bg, b, a, al = rgb[iy0:iy1, ix0:ix1], before[sl], after[sl], alpha[sl][..., None]
    # part of the way from the rendered sea's brightness to the real water's: the hull's contrast follows the scene
    gain = (np.median(bg.reshape(-1, 3), axis=0) / np.maximum(np.median(b.reshape(-1, 3), axis=0), 1.0)) ** rng.uniform(
        0.0, 0.5
    )
    hull = np.clip(a * gain, 0, 255)
    delta = a - b
    lifted = bg + delta * (255.0 - bg) / np.maximum(255.0 - b, 1.0)  # wake foam: the same share of the way to white
    darkened = bg * a / np.maximum(b, 1.0)  # shadow: the same darkening
    rest = np.where(delta > 0, lifted, darkened)
    bg[:] = np.clip(hull * al + rest * (1.0 - al), 0, 255)


def real_look(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Effects the real sources show and the renderer lacks, each in part of the images (uint8 RGB in and out)."""
    img: np.ndarray = rgb.astype(np.float32)
    h, w = img.shape[:2]
    if rng.random() < 0.25:  # haze: a smooth veil towards a bright grey
        veil = cv2.resize(rng.uniform(0, 1, (4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        amount = np.clip(veil * rng.uniform(0.1, 0.45), 0, 0.6)[..., None]
        img = img * (1 - amount) + rng.uniform(170, 230) * amount
    if rng.random() < 0.2:  # low sun: dark, low-contrast, warm
        img = 255.0 * (img / 255.0) ** rng.uniform(1.1, 1.6) * rng.uniform(0.6, 0.9) * np.array([1.0, 0.95, 0.85])
    if rng.random() < 0.2:  # an 11-bit product shown in a narrow range, then stretched: banding and loud noise
        span = rng.uniform(20, 60)
        dark = np.round(img / 255.0 * span + rng.normal(0, rng.uniform(0.4, 1.2), img.shape))
        img = np.clip(dark, 0, span) * (255.0 / span)
    if rng.random() < 0.2:  # over-bright rendering: roofs, decks and foam saturate
        img = img * rng.uniform(1.2, 1.7) + rng.uniform(0, 25)
    if rng.random() < 0.25:  # pan-sharpening: colour at a quarter of the resolution, a little misregistered
        ycc = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2YCrCb).astype(np.float32)
        for k in (1, 2):
            shift = np.array([[1, 0, rng.uniform(-1.5, 1.5)], [0, 1, rng.uniform(-1.5, 1.5)]], np.float32)
            ycc[..., k] = cv2.warpAffine(
                cv2.GaussianBlur(ycc[..., k], (0, 0), rng.uniform(1.0, 2.5)),
                shift,
                (w, h),
                borderMode=cv2.BORDER_REFLECT,
            )
        img = cv2.cvtColor(np.clip(ycc, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB).astype(np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.35:  # JPEG blocks
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 86))])
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        out = out if decoded is None else decoded
    return out


def _random_kind(rng: np.random.Generator, max_length_m: float) -> str | None:
    """A ship kind (tankers TANKER_SHARE of the time) whose shortest length fits max_length_m."""
    pool = TANKER_KINDS if rng.random() < TANKER_SHARE else OTHER_KINDS
    fits = [k for k in pool if SHIP_KINDS[k]["length"][0] <= max_length_m]
    return str(rng.choice(fits)) if fits else None


def _crop(bg: Background, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """(col0, row0, width, height) of a random CROP_M square of a background with some water in it."""
    side = int(round(CROP_M / bg.gsd_m))
    h, w = bg.water.shape
    cw, ch = min(side, w), min(side, h)
    best = (0, 0, cw, ch)
    best_share = -1.0
    for _ in range(12):
        c0, r0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        share = float(bg.water[r0 : r0 + ch, c0 : c0 + cw].mean())
        if 0.25 <= share <= 0.97:  # water with a shore is the most useful; open water still teaches
            return c0, r0, cw, ch
        if share > best_share:
            best, best_share = (c0, r0, cw, ch), share
    return best


def composite(bg: Background, rng: np.random.Generator, n_ships: int, seed: int) -> tuple[np.ndarray, list[TruthBox]]:
    """A crop of a background with up to n_ships rendered ships pasted on its water, and its truth boxes."""
    c0, r0, cw, ch = _crop(bg, rng)
    rgb = bg.rgb[r0 : r0 + ch, c0 : c0 + cw].astype(np.float32)
    water = bg.water[r0 : r0 + ch, c0 : c0 + cw]
    occupied = np.zeros_like(water)
    boxes = []
    for corners in bg.real_ships:
        local = corners - [c0, r0]
        foot = _footprint(local, water.shape)
        if foot.any():
            occupied |= cv2.dilate(foot.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            boxes.append(TruthBox("vessel", local))
    for k in range(n_ships):
        kind = _random_kind(rng, MAX_KIND_LENGTH_FRAC * min(cw, ch) * bg.gsd_m)
        if kind is None:
            break
        ship = random_ship(kind, rng)
        alongside = rng.random() < BERTH_SHARE
        pose = pick_pose(water, occupied, ship.length_m / bg.gsd_m, ship.beam_m / bg.gsd_m, rng, alongside)
        if pose is None:
            continue
        col, row, ship.heading_deg = pose
        off_nadir = float(rng.uniform(3, 25)) if rng.random() < 0.5 else 0.0
        sprite = render_ship_sprite(
            ship, bg.gsd_m, seed * 16 + k, underway=not alongside and rng.random() < 0.5, off_nadir_deg=off_nadir
        )
        paste_sprite(rgb, sprite, col, row, rng)
        ship.x_m, ship.y_m = col * bg.gsd_m, row * bg.gsd_m
        corners = _hull_px(ship, bg.gsd_m)
        occupied |= cv2.dilate(_footprint(corners, water.shape).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        boxes.append(TruthBox(ship.ship_class, corners))
    return np.clip(rgb, 0, 255).astype(np.uint8), boxes


def composite_chips(
    bg: Background, out_dir: Path, seed: int, working_gsd_m: float, chip_px: int, max_chips: int, n_ships: int
) -> int:
    """One composite of a background resampled to the working GSD, given the real look, cut into chips."""
    rng = np.random.default_rng([seed, 0xC0])
    rgb, boxes = composite(bg, rng, n_ships, seed)
    h, w = rgb.shape[:2]
    work = resample_to_gsd(rgb, bg.gsd_m, working_gsd_m)
    scale = np.array([work.shape[1] / w, work.shape[0] / h])
    boxes = [TruthBox(b.class_name, b.corners_px * scale) for b in boxes]
    work = pad_to_chip(real_look(work, rng), chip_px)
    origins = chip_origins(boxes, work.shape[1], work.shape[0], chip_px, max_chips, rng)
    stem = f"comp_{Path(bg.source).stem.replace('/', '_')}_{seed:06d}"
    return write_chips(work, boxes, origins, out_dir, bg.split, stem, chip_px)
