"""Training chips at the working GSD with YOLO-OBB labels, from labelled GeoTIFF scenes."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml
from rasterio.windows import Window
from shapely.geometry import Polygon, box

from tankerwatch.datasets.scene import Scene, open_scene, read_rgb, scene_reader
from tankerwatch.datasets.synth import generate_scene, random_spec, write_scene
from tankerwatch.geo import from_lonlat_transformer
from tankerwatch.io import atomic_write_text, read_json
from tankerwatch.schema import SHIP_CLASSES, TankerwatchError

MIN_VISIBLE_FRACTION = 0.5  # a hull cut by the chip edge is labelled when at least this much shows


@dataclass
class TruthBox:
    """A labelled hull: class and its four corners in a pixel grid."""

    class_name: str
    corners_px: np.ndarray  # (4, 2)


def truth_path(scene_path: Path) -> Path:
    """Where a scene's ground-truth GeoJSON lives (<scene>.truth.geojson)."""
    return scene_path.with_name(scene_path.stem + ".truth.geojson")


def load_truth(scene: Scene, path: Path | None = None) -> list[TruthBox]:
    """Ground-truth hull boxes of a scene in its native pixel grid."""
    path = path or truth_path(scene.path)
    fc = read_json(path, "ground-truth GeoJSON")
    to_crs = from_lonlat_transformer(scene.crs)
    inverse = ~scene.transform
    boxes = []
    for i, feat in enumerate(fc.get("features", [])):
        cls = (feat.get("properties") or {}).get("class")
        if cls not in SHIP_CLASSES:
            raise TankerwatchError(f"{path}: feature {i}: class {cls!r} is not one of {SHIP_CLASSES}")
        ring = np.asarray(feat["geometry"]["coordinates"][0], dtype=float)[:4]
        xs, ys = to_crs.transform(ring[:, 0], ring[:, 1])
        cols, rows = inverse @ (np.asarray(xs), np.asarray(ys))
        boxes.append(TruthBox(cls, np.stack([cols, rows], axis=1)))
    return boxes


def chip_label_lines(boxes: list[TruthBox], x0: float, y0: float, size: int) -> list[str]:
    """YOLO-OBB label lines for the hulls visible in a square chip at (x0, y0) of the working grid."""
    chip = box(x0, y0, x0 + size, y0 + size)
    lines = []
    for b in boxes:
        hull = Polygon(b.corners_px)
        if not hull.is_valid or hull.area <= 0:
            continue
        visible = hull.intersection(chip)
        if visible.area < MIN_VISIBLE_FRACTION * hull.area:
            continue
        if visible.area < hull.area * 0.999:
            rect = cv2.minAreaRect(np.asarray(visible.exterior.coords, np.float32))
            corners = cv2.boxPoints(rect)
        else:
            corners = b.corners_px
        norm = np.clip((np.asarray(corners) - [x0, y0]) / size, 0.0, 1.0)
        coords = " ".join(f"{v:.6f}" for v in norm.reshape(-1))
        lines.append(f"{SHIP_CLASSES.index(b.class_name)} {coords}")
    return lines


def balanced_centres(boxes: list[TruthBox], rng) -> list[np.ndarray]:
    """Hull centres in random order with the classes taking turns (tankers first), so a chip budget
    smaller than a crowded port still covers every class."""
    by_class = {c: [b.corners_px.mean(axis=0) for b in boxes if b.class_name == c] for c in SHIP_CLASSES}
    for centres in by_class.values():
        rng.shuffle(centres)
    turns = max((len(v) for v in by_class.values()), default=0)
    return [by_class[c][i] for i in range(turns) for c in SHIP_CLASSES if i < len(by_class[c])]


def chip_origins(boxes: list[TruthBox], width: int, height: int, size: int, n_max: int, rng) -> list[tuple[int, int]]:
    """Chip corners: one around each ship (jittered, classes taking turns) plus background chips, inside the grid."""

    def clamp(x: float, hi: int) -> int:
        return int(np.clip(x, 0, max(0, hi - size)))

    centres = balanced_centres(boxes, rng)
    origins = []
    for c in centres[: max(0, n_max - 2)]:
        jx, jy = rng.uniform(-0.3, 0.3, 2) * size
        origins.append((clamp(c[0] - size / 2 + jx, width), clamp(c[1] - size / 2 + jy, height)))
    for _ in range(min(2, n_max)):
        origins.append((clamp(rng.uniform(0, width), width), clamp(rng.uniform(0, height), height)))
    return origins


def working_size(width: int, height: int, gsd_m: float, working_gsd_m: float) -> tuple[int, int]:
    """(width, height) in pixels of a native grid at gsd_m resampled to the working GSD."""
    scale = gsd_m / working_gsd_m  # working pixels per native pixel
    return max(1, round(width * scale)), max(1, round(height * scale))


def resample_to_gsd(rgb: np.ndarray, gsd_m: float, working_gsd_m: float) -> np.ndarray:
    """An image at gsd_m resampled to the working GSD (area averaging down, bilinear up; unchanged when equal)."""
    h, w = rgb.shape[:2]
    size = working_size(w, h, gsd_m, working_gsd_m)
    if size == (w, h):
        return rgb
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if size[0] < w else cv2.INTER_LINEAR)


def read_scene_at(scene: Scene, gsd_m: float, working_gsd_m: float) -> np.ndarray:
    """A whole scene read as stretched uint8 RGB at the working GSD."""
    w, h = working_size(scene.width, scene.height, gsd_m, working_gsd_m)
    with scene_reader(scene) as src:
        rgb, _ = read_rgb(src, scene, Window(0, 0, scene.width, scene.height), (h, w))
    return rgb


def pad_to_chip(rgb: np.ndarray, chip_px: int) -> np.ndarray:
    """Pad an image on the right and bottom so that a chip of the training size fits in it."""
    h, w = rgb.shape[:2]
    if w >= chip_px and h >= chip_px:
        return rgb
    return np.pad(rgb, ((0, max(0, chip_px - h)), (0, max(0, chip_px - w)), (0, 0)))


def write_chips(
    rgb: np.ndarray,
    boxes: list[TruthBox],
    origins: list[tuple[int, int]],
    out_dir: Path,
    split: str,
    stem: str,
    chip_px: int,
) -> int:
    """Write a JPEG chip and its YOLO-OBB label file for each chip corner into a dataset split; returns the count."""
    images, labels = out_dir / "images" / split, out_dir / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    for k, (x0, y0) in enumerate(origins):
        name = f"{stem}_{k:03d}"
        chip = rgb[y0 : y0 + chip_px, x0 : x0 + chip_px]
        cv2.imwrite(str(images / f"{name}.jpg"), cv2.cvtColor(chip, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        (labels / f"{name}.txt").write_text("\n".join(chip_label_lines(boxes, x0, y0, chip_px)) + "\n")
    return len(origins)


def chips_from_scene(
    scene_path: Path,
    out_dir: Path,
    split: str,
    working_gsd_m: float,
    chip_px: int,
    max_chips: int,
    seed: int,
    look: Callable[[np.ndarray], np.ndarray] | None = None,
) -> int:
    """Cut training chips from one labelled scene read at the working GSD (look: an image effect applied first);
    returns the chip count."""
    scene = open_scene(scene_path)
    rgb = read_scene_at(scene, scene.gsd_m, working_gsd_m)
    if look is not None:
        rgb = look(rgb)
    h, w = rgb.shape[:2]
    boxes = [TruthBox(b.class_name, b.corners_px * [w / scene.width, h / scene.height]) for b in load_truth(scene)]
    rgb = pad_to_chip(rgb, chip_px)  # small scenes are padded so every chip has the training size
    origins = chip_origins(boxes, rgb.shape[1], rgb.shape[0], chip_px, max_chips, np.random.default_rng(seed))
    return write_chips(rgb, boxes, origins, out_dir, split, scene.scene_id, chip_px)


def write_data_yaml(out_dir: Path) -> Path:
    """The Ultralytics dataset YAML (absolute path, no download key)."""
    data = {
        "path": str(out_dir.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(SHIP_CLASSES)),
    }
    path = out_dir / "data.yaml"
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False))
    return path


def _synth_job(args: tuple) -> int:
    """Generate one synthetic scene and cut its chips (runs in a worker process)."""
    seed, out_dir, split, working_gsd_m, chip_px, max_chips, gsd_range = args
    spec = random_spec(seed, gsd_range=gsd_range)
    scene = generate_scene(spec)
    tif = write_scene(scene, out_dir / "scenes" / split, f"synth_{seed:06d}")
    return chips_from_scene(tif, out_dir, split, working_gsd_m, chip_px, max_chips, seed)


def build_synthetic_dataset(
    out_dir: Path,
    n_train: int,
    n_val: int,
    seed: int = 0,
    working_gsd_m: float = 1.0,
    chip_px: int = 512,
    max_chips: int = 10,
    gsd_range: tuple[float, float] = (0.3, 3.0),
    workers: int = 2,
    progress=None,
) -> Path:
    """Generate train/val scenes from disjoint seeds, cut chips, write data.yaml; returns its path."""
    out_dir = Path(out_dir)
    jobs = [(seed + i, out_dir, "train", working_gsd_m, chip_px, max_chips, gsd_range) for i in range(n_train)]
    # validation seeds live far from training seeds so no scene is shared
    jobs += [(seed + 1_000_000 + i, out_dir, "val", working_gsd_m, chip_px, max_chips, gsd_range) for i in range(n_val)]
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for n in pool.map(_synth_job, jobs):
            if progress:
                progress(n)
    return write_data_yaml(out_dir)


def build_dataset_from_scenes(
    scene_paths: list[Path],
    out_dir: Path,
    split: str,
    working_gsd_m: float = 1.0,
    chip_px: int = 512,
    max_chips: int = 10,
    seed: int = 0,
    progress=None,
) -> Path:
    """Cut chips from labelled GeoTIFFs (each with <scene>.truth.geojson) into a split; returns data.yaml."""
    for i, p in enumerate(scene_paths):
        n = chips_from_scene(Path(p), Path(out_dir), split, working_gsd_m, chip_px, max_chips, seed + i)
        if progress:
            progress(n)
    return write_data_yaml(Path(out_dir))
