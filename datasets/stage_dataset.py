"""The training set of the second-stage models, built in one pass over rendered scenes and real land.

`tankerwatch dataset stages --out DIR` renders a mix of scenes in memory (domain-randomised training
scenes, hard ports with realistic land, open sea with cloud and glint and no ship), runs the bundled
detector over each one as the main job would, and writes:

- `DIR/chips.npz`: hull chips, size features and ship-type labels (datasets/samples.py);
- `DIR/water.npz`: coarse images and their water truth (255 = ignore);
- `DIR/real_chips.npz` and `DIR/real_val.npz`: chips of the hand-verified real ships and non-ships on the
  ShipsNet scenes (datasets/backgrounds.py), ships labelled ANY_SHIP (type unknown); one scene held out;
- `DIR/stages.json`: what went in (seeds, counts per type and source).

Real land from `train_ok/` (datasets/backgrounds.py) adds "not_ship" chips (the detector's false
boxes there and random ship-sized boxes) and all-land water tiles. Nothing real is written in a form
that could be redistributed apart from its source: the arrays stay in the user's output folder.
Seeds are training seeds: evaluation scenes use seeds from synth.EVAL_SEED_BASE up, never these.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tankerwatch.datasets.backgrounds import (
    VALIDATION_SCENE,
    LandImage,
    land_scenes,
    read_ship_labels,
    shipsnet_scenes,
    ucmerced_mosaics,
)
from tankerwatch.datasets.builder import resample_to_gsd
from tankerwatch.datasets.samples import (
    ANY_SHIP,
    NOT_SHIP,
    ChipSet,
    boxes_chips,
    detector_chips,
    jittered,
    negative_chips,
    random_land_chips,
    scene_rgb,
    truth_chips,
    water_tile,
)
from tankerwatch.datasets.synth import EVAL_SEED_BASE, generate_scene, hard_port_spec, open_sea_spec, random_spec
from tankerwatch.io import atomic_write_text
from tankerwatch.models.shiptype import SHIP_TYPES
from tankerwatch.models.watermask import WATER_GSD_M
from tankerwatch.schema import OrientedBox, TankerwatchError

IGNORE = 255  # water truth value: not scored (invalid pixels of real images)
MIX = (("random", 0.4), ("hard_port", 0.45), ("open_sea", 0.15))  # share of each kind of rendered scene


@dataclass
class StageSamples:
    """Samples from one scene or real image: hull chips and water tiles, with their source."""

    chips: ChipSet = field(default_factory=ChipSet)
    water: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    source: str = ""


def scene_kind(seed: int) -> str:
    """Which kind of scene a training seed renders (fixed by the seed, so a build is reproducible)."""
    u = np.random.default_rng(seed + 104_729).random()
    for kind, share in MIX:
        if u < share:
            return kind
        u -= share
    return MIX[-1][0]


TRAIN_EXTENT_M = 1200.0  # training scenes are cut to this: the evaluation's 2 km at 0.3 m renders 45 MP a scene
TRAIN_GSD_M = (0.3, 1.5)


def spec_for(seed: int):
    """The scene spec a training seed renders (hard-port and open-sea specs at training size)."""
    kind = scene_kind(seed)
    if kind == "random":
        return random_spec(seed, gsd_range=TRAIN_GSD_M, extent_m=TRAIN_EXTENT_M)
    spec = hard_port_spec(seed) if kind == "hard_port" else open_sea_spec(seed)
    rng = np.random.default_rng(seed + 7)
    spec.width_m = spec.height_m = min(spec.width_m, TRAIN_EXTENT_M)
    spec.gsd_m = round(float(np.exp(rng.uniform(*np.log(TRAIN_GSD_M)))), 3)
    return spec


def detect_array(
    rgb: np.ndarray, gsd_m: float, detector, working_gsd_m: float = 1.0, tile_px: int = 1024, overlap_m: float = 128.0
) -> list[OrientedBox]:
    """The detector's merged boxes (native pixels) on a native-resolution RGB image, tiled as the main job tiles."""
    from tankerwatch.training.realworld import detect_image

    h, w = rgb.shape[:2]
    work = resample_to_gsd(rgb, gsd_m, working_gsd_m)
    boxes, _ = detect_image(work, (w, h), detector, tile_px, int(math.ceil(overlap_m / working_gsd_m)))
    return boxes


_DETECTOR = None  # one detector per worker process, loaded by _init_worker


def _init_worker(weights: str | None) -> None:
    """Load the detector once in a worker process (None: no detector boxes)."""
    global _DETECTOR
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if weights is not None:
        from tankerwatch.config import DetectConfig
        from tankerwatch.models.detector import load_detector

        _DETECTOR = load_detector(Path(weights) if weights else None, DetectConfig(batch_size=1))


def scene_samples(seed: int) -> StageSamples:
    """Render one training scene and cut its hull chips and water tile."""
    scene = generate_scene(spec_for(seed))
    rgb = scene_rgb(scene)
    rng = np.random.default_rng(seed + 31)
    out = StageSamples(source=scene_kind(seed))
    out.chips.extend(truth_chips(scene, rgb, rng))
    out.chips.extend(negative_chips(scene, rgb, rng, max(8, len(scene.ships))))
    if _DETECTOR is not None:
        out.chips.extend(detector_chips(scene, rgb, detect_array(rgb, scene.spec.gsd_m, _DETECTOR)))
    out.water.append(water_tile(scene, rgb))
    return out


def land_samples(image: LandImage, seed: int) -> StageSamples:
    """Hull chips ("not_ship") and an all-land water tile from one real land image."""
    rng = np.random.default_rng(seed)
    out = StageSamples(source=image.source.split("/")[0])
    if _DETECTOR is not None:
        boxes = detect_array(image.rgb, image.gsd_m, _DETECTOR)
        out.chips.extend(boxes_chips(image.rgb, boxes, image.gsd_m, NOT_SHIP))
    out.chips.extend(random_land_chips(image.rgb, image.valid, image.gsd_m, rng, 6))
    f = image.gsd_m / WATER_GSD_M
    size = (max(4, int(image.rgb.shape[1] * f)), max(4, int(image.rgb.shape[0] * f)))
    coarse = cv2.resize(image.rgb, size, interpolation=cv2.INTER_AREA)
    valid = cv2.resize(image.valid.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    out.water.append((coarse, np.where(valid, 0, IGNORE).astype(np.uint8)))
    return out


def _land_task(args: tuple[LandImage, int]) -> StageSamples:
    """land_samples for a pool worker."""
    return land_samples(*args)


REAL_COPIES = {True: 8, False: 2}  # jittered copies of each verified real ship / non-ship (ships are few)


def real_labelled_chips(root: Path, seed: int) -> tuple[ChipSet, ChipSet]:
    """Chips of the hand-verified boxes on the ShipsNet scenes: (training, held-out VALIDATION_SCENE)."""
    scenes = shipsnet_scenes(root)
    rng = np.random.default_rng(seed)
    train, val = ChipSet(), ChipSet()
    for b in read_ship_labels():
        image = scenes.get(b.file)
        if image is None:
            continue
        label = ANY_SHIP if b.is_ship else NOT_SHIP
        if b.file == VALIDATION_SCENE:
            val.add(image.rgb, b.box, image.gsd_m, label)
            continue
        train.add(image.rgb, b.box, image.gsd_m, label)
        for _ in range(REAL_COPIES[b.is_ship] - 1):
            train.add(image.rgb, jittered(b.box, rng), image.gsd_m, label)
    return train, val


def save_chips(path: Path, chips: ChipSet) -> None:
    """Write a chip set as an .npz the trainer reads (chips, sizes, labels, types)."""
    np.savez_compressed(
        path,
        chips=np.stack(chips.chips) if chips.chips else np.zeros((0, 1, 1, 3), np.uint8),
        sizes=np.stack(chips.sizes) if chips.sizes else np.zeros((0, 3), np.float32),
        labels=np.asarray(chips.labels, np.int64),
        types=np.asarray(SHIP_TYPES),
    )


def build_stage_dataset(
    out_dir: Path,
    n_scenes: int,
    seed0: int = 0,
    weights: Path | None = None,
    use_detector: bool = True,
    train_ok: Path | None = None,
    per_class: int = 25,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Render n_scenes training scenes (+ real land) into chips.npz and water.npz; returns the summary."""
    if seed0 + n_scenes > EVAL_SEED_BASE:
        raise TankerwatchError(f"seeds {seed0}..{seed0 + n_scenes} reach the evaluation seeds ({EVAL_SEED_BASE}+)")
    out_dir.mkdir(parents=True, exist_ok=True)
    chips = ChipSet()
    water: list[tuple[np.ndarray, np.ndarray]] = []
    sources: Counter[str] = Counter()
    land = []
    if train_ok is not None and train_ok.is_dir():
        land = ucmerced_mosaics(train_ok, np.random.default_rng(seed0 + 7), per_class) + land_scenes(train_ok)
    workers = max(1, workers or min(2, os.cpu_count() or 1))
    init_arg = (str(weights) if weights else "") if use_detector else None
    if init_arg is not None:  # export the runtime once here: workers loading at the same time would race on it
        _init_worker(init_arg)
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(init_arg,)) as pool:
        jobs = [
            pool.map(scene_samples, range(seed0, seed0 + n_scenes)),
            pool.map(_land_task, [(im, seed0 + 1000 + i) for i, im in enumerate(land)]),
        ]
        for job in jobs:
            for s in job:
                chips.extend(s.chips)
                water += s.water
                sources[s.source] += 1
                if progress:
                    progress(s.source)
    save_chips(out_dir / "chips.npz", chips)
    real_train, real_val = real_labelled_chips(train_ok, seed0 + 3) if land and train_ok else (ChipSet(), ChipSet())
    save_chips(out_dir / "real_chips.npz", real_train)
    save_chips(out_dir / "real_val.npz", real_val)
    tiles: dict[str, Any] = {f"image_{i}": im for i, (im, _) in enumerate(water)}
    tiles.update({f"truth_{i}": t for i, (_, t) in enumerate(water)})
    np.savez_compressed(out_dir / "water.npz", **tiles)
    counts = Counter(SHIP_TYPES[k] for k in chips.labels)
    summary = {
        "scenes": n_scenes,
        "seed0": seed0,
        "mix": dict(MIX),
        "sources": dict(sources),
        "chips": len(chips.labels),
        "chips_by_type": {t: counts.get(t, 0) for t in SHIP_TYPES},
        "water_tiles": len(water),
        "water_gsd_m": WATER_GSD_M,
        "detector_boxes": use_detector,
        "real_land_images": len(land),
        "real_labelled": {
            "train": dict(Counter("ship" if k == ANY_SHIP else "not_ship" for k in real_train.labels)),
            "heldout": dict(Counter("ship" if k == ANY_SHIP else "not_ship" for k in real_val.labels)),
            "heldout_scene": VALIDATION_SCENE,
        },
    }
    atomic_write_text(out_dir / "stages.json", json.dumps(summary, indent=1))
    return summary
