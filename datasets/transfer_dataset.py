"""The detector's training set that transfers to real imagery: three parts in one YOLO-OBB dataset.

- **Rendered scenes** of the domain-randomised renderer with its hard negatives: plain randomised ports,
  hard ports (real-looking land, pontoons, segmented breakwaters, bulk carriers and container ships among
  the tankers) and open sea with cloud, swell and glint (`stage_dataset.spec_for`, the mix the stages
  train on), at 0.3-1.5 m.
- **Composites**: rendered ships pasted on the real water of the licensed PlanetScope scenes
  (`composite.py`), with the hand-verified real ships left in as labelled ships.
- **Real land** with no ship and no water: UC Merced land-use mosaics and the PlanesNet LAX scene
  (`backgrounds.py`), every detection on which would be false.

Every chip of every part then gets `composite.real_look` (JPEG, pan-sharpening fringes, haze, low sun,
dark 11-bit renderings, saturation), each effect in part of the chips. Seeds below EVAL_SEED_BASE only, so
the hard-port and open-sea evaluation scenes are never trained on; no image of `../shared/realworld/imagery`
is ever read.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tankerwatch.datasets.backgrounds import LandImage, land_scenes, ucmerced_mosaics
from tankerwatch.datasets.builder import (
    chips_from_scene,
    pad_to_chip,
    resample_to_gsd,
    write_chips,
    write_data_yaml,
)
from tankerwatch.datasets.composite import Background, composite_chips, load_backgrounds, real_look
from tankerwatch.datasets.stage_dataset import spec_for
from tankerwatch.datasets.synth import EVAL_SEED_BASE, generate_scene, write_scene
from tankerwatch.schema import TankerwatchError

VAL_SEED_OFFSET = 1_000_000  # validation scenes are rendered from seeds this far above the training seeds


@dataclass
class TransferCounts:
    """Chips written per part and split."""

    rendered: dict[str, int]
    composite: dict[str, int]
    land: int


def _rendered_job(args: tuple) -> int:
    """Render one randomised / hard-port / open-sea scene and cut its chips, with the real look (worker process)."""
    seed, out_dir, split, working_gsd_m, chip_px, max_chips = args
    scene = generate_scene(spec_for(seed))
    tif = write_scene(scene, out_dir / "scenes" / split, f"synth_{seed:07d}")
    n = chips_from_scene(
        tif,
        out_dir,
        split,
        working_gsd_m,
        chip_px,
        max_chips,
        seed,
        look=lambda rgb: real_look(rgb, np.random.default_rng([seed, 0x10])),
    )
    for p in tif.parent.glob(tif.stem + "*"):
        p.unlink()  # the chips are what trains; the scene was only their source
    return n


def land_chips(
    images: list[LandImage], out_dir: Path, seed: int, working_gsd_m: float, chip_px: int, per_image: int
) -> int:
    """Chips with no ship (empty label files) of real land images resampled to the working GSD, real look applied."""
    rng = np.random.default_rng([seed, 0x1A])
    n = 0
    for k, image in enumerate(images):
        work = pad_to_chip(real_look(resample_to_gsd(image.rgb, image.gsd_m, working_gsd_m), rng), chip_px)
        hh, ww = work.shape[:2]
        origins = [
            (int(rng.integers(0, ww - chip_px + 1)), int(rng.integers(0, hh - chip_px + 1)))
            for _ in range(per_image if max(hh, ww) > 1.5 * chip_px else 1)
        ]
        stem = f"land_{image.source.replace('/', '_').replace('.', '_')}_{seed}_{k:03d}"
        n += write_chips(work, [], origins, out_dir, "train", stem, chip_px)
    return n


def composites_per_background(backgrounds: list[Background], n_train: int, n_val: int) -> list[int]:
    """How many composites each background gives: its split's budget shared by water area."""
    budget = {"train": n_train, "val": n_val}
    water = [float(b.water.sum()) for b in backgrounds]
    total = {
        split: sum(w for b, w in zip(backgrounds, water, strict=True) if b.split == split) or 1.0 for split in budget
    }
    return [int(round(budget[b.split] * w / total[b.split])) for b, w in zip(backgrounds, water, strict=True)]


def build_transfer_dataset(
    out_dir: Path,
    train_ok: Path,
    n_scenes: int,
    n_val_scenes: int,
    n_composites: int,
    n_val_composites: int,
    seed: int = 0,
    working_gsd_m: float = 1.0,
    chip_px: int = 512,
    max_chips: int = 6,
    land_per_class: int = 6,
    workers: int = 2,
    masker=None,
    progress=None,
) -> tuple[Path, TransferCounts]:
    """Write the rendered, composite and real-land chips into one dataset; returns data.yaml and the counts."""
    out_dir = Path(out_dir)
    if seed + VAL_SEED_OFFSET + n_val_scenes >= EVAL_SEED_BASE:
        raise TankerwatchError(f"seed {seed}: training seeds must stay below {EVAL_SEED_BASE:,} (evaluation only)")
    if not train_ok.is_dir():
        raise TankerwatchError(f"{train_ok}: no licensed training imagery here (see ../shared/realworld/train_ok)")
    rendered = {"train": 0, "val": 0}
    jobs = [(seed + i, out_dir, "train", working_gsd_m, chip_px, max_chips) for i in range(n_scenes)]
    jobs += [
        (seed + VAL_SEED_OFFSET + i, out_dir, "val", working_gsd_m, chip_px, max_chips) for i in range(n_val_scenes)
    ]
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for job, n in zip(jobs, pool.map(_rendered_job, jobs), strict=True):
            rendered[job[2]] += n
            if progress:
                progress("rendered", n)
    if masker is None:
        from tankerwatch.models.detector import WEIGHTS_DIR
        from tankerwatch.models.watermask import WATER_WEIGHTS_NAME, WaterMasker

        masker = WaterMasker(WEIGHTS_DIR / WATER_WEIGHTS_NAME)
    backgrounds = load_backgrounds(train_ok, masker)
    comp = {"train": 0, "val": 0}
    k = 0
    for bg, count in zip(
        backgrounds, composites_per_background(backgrounds, n_composites, n_val_composites), strict=True
    ):
        for _ in range(count):
            rng = np.random.default_rng([seed, k])
            n = composite_chips(
                bg,
                out_dir,
                seed * 100_000 + k,
                working_gsd_m,
                chip_px,
                max(3, max_chips // 2 + 1),
                int(rng.integers(1, 6)),
            )
            comp[bg.split] += n
            k += 1
            if progress:
                progress("composite", n)
    land_images = ucmerced_mosaics(train_ok, np.random.default_rng(seed), land_per_class) + land_scenes(train_ok)
    land = land_chips(land_images, out_dir, seed, working_gsd_m, chip_px, per_image=land_per_class * 4)
    if progress:
        progress("land", land)
    return write_data_yaml(out_dir), TransferCounts(rendered, comp, land)
