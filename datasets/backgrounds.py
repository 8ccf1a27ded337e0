"""Real, freely licensed overhead imagery used as land with no ship on it (hard negatives).

`../shared/realworld/train_ok/` (see its README for sources and licences) holds imagery whose licence
allows training. Two parts are certain to show no ship and no open water, so every detection on
them is false and every pixel is land:

- UC Merced land-use chips (USGS orthoimagery, 0.3048 m, public domain) of the classes in
  LAND_CLASSES, tiled into mosaics of MOSAIC_GRID x MOSAIC_GRID chips of one class so that boxes
  of large-ship size fit on them;
- the PlanesNet LAX scene (PlanetScope, about 3 m, CC BY-SA 4.0; "Contains Open California
  Satellite Imagery (c) Planet Labs Inc."), whose alpha channel marks the valid pixels.

They are read in place, never copied or cropped into the repository, so their licence terms stay with
the data. The classes with water or boats (harbor, river, beach) are left out.

The four ShipsNet PlanetScope port scenes (about 3 m, CC BY-SA 4.0, same attribution) do show real
ships. `labels/shipsnet_scenes.csv` (in this package) holds oriented boxes verified by eye, one per
row: `file, cx_px, cy_px, length_px, beam_px, axis_deg, label` with label `ship` or `not_ship`, in the
scene's own pixels (the boxes are the bundled detector's proposals on water, each accepted as a ship or
rejected as breakwater, oil island, pier, marina or cloud; the unclear ones were left out; the last two rows
are large ships those proposals missed, found by eye and fitted to their pixels). Small craft are not all
labelled, nor is every ship of the held-out scene. The type of a
real ship is not labelled: at 3 m a tanker and a bulk carrier look alike. VALIDATION_SCENE is held out.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tankerwatch.datasets.scene import stretch_rgb
from tankerwatch.schema import OrientedBox, TankerwatchError

LAND_CLASSES = ("buildings", "freeway", "parkinglot", "storagetanks")
UCMERCED_GSD_M = 0.3048
PLANESNET_GSD_M = 3.0
MOSAIC_GRID = 3
LAND_SCENES = ("planesnet_scenes/scene_3.png",)  # LAX: urban and industrial land, no water (README 2)
SHIPSNET_GSD_M = 3.0
SHIP_LABELS = Path(__file__).parent / "labels" / "shipsnet_scenes.csv"
VALIDATION_SCENE = "scene_4.png"  # the San Francisco anchorage: held out of training, scored after it


def default_train_ok() -> Path:
    """Where the licensed training imagery lives beside the repository (../shared/realworld/train_ok)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "train_ok"


@dataclass
class LandImage:
    """A real image: stretched uint8 RGB, valid pixels, GSD and where it came from."""

    rgb: np.ndarray
    valid: np.ndarray
    gsd_m: float
    source: str


def _read_rgb(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An image file as RGB and its valid mask (alpha > 0 where there is alpha)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise OSError(f"{path}: cannot read image")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    valid = img[..., 3] > 0 if img.shape[2] == 4 else np.ones(img.shape[:2], bool)
    return np.ascontiguousarray(img[..., 2::-1]), valid


def ucmerced_mosaics(root: Path, rng: np.random.Generator, per_class: int) -> list[LandImage]:
    """per_class mosaics of MOSAIC_GRID^2 random chips of each land class (empty when the folder is absent)."""
    out = []
    for cls in LAND_CLASSES:
        files = sorted((root / "ucmerced_landuse" / cls).glob("*.tif"))
        if not files:
            continue
        for _ in range(per_class):
            picks = rng.choice(len(files), MOSAIC_GRID * MOSAIC_GRID, replace=len(files) < MOSAIC_GRID**2)
            chips = [cv2.resize(_read_rgb(files[i])[0], (256, 256)) for i in picks]
            rows = [np.concatenate(chips[r * MOSAIC_GRID : (r + 1) * MOSAIC_GRID], axis=1) for r in range(MOSAIC_GRID)]
            mosaic = np.concatenate(rows, axis=0)
            valid = np.ones(mosaic.shape[:2], bool)
            out.append(LandImage(stretch_rgb(mosaic, valid), valid, UCMERCED_GSD_M, f"ucmerced/{cls}"))
    return out


def land_scenes(root: Path) -> list[LandImage]:
    """The whole real land scenes of LAND_SCENES that exist under root."""
    out = []
    for rel in LAND_SCENES:
        path = root / rel
        if path.exists():
            rgb, valid = _read_rgb(path)
            out.append(LandImage(stretch_rgb(rgb, valid), valid, PLANESNET_GSD_M, rel))
    return out


@dataclass
class LabelledBox:
    """A hand-verified box on a real scene: ship or not, in the scene's pixels."""

    file: str
    box: OrientedBox
    is_ship: bool


def read_ship_labels(path: Path = SHIP_LABELS) -> list[LabelledBox]:
    """The verified ship / not-ship boxes of labels/shipsnet_scenes.csv."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), 2):
            try:
                box = OrientedBox(
                    float(row["cx_px"]),
                    float(row["cy_px"]),
                    float(row["length_px"]),
                    float(row["beam_px"]),
                    math.radians(float(row["axis_deg"])),
                    1.0,
                    "vessel",
                )
                if row["label"] not in ("ship", "not_ship"):
                    raise ValueError(f"label {row['label']!r}")
            except (KeyError, ValueError) as e:
                raise TankerwatchError(f"{path}:{i}: bad label row ({e})") from None
            out.append(LabelledBox(row["file"], box, row["label"] == "ship"))
    return out


def shipsnet_scenes(root: Path) -> dict[str, LandImage]:
    """The ShipsNet scenes under root that the labels name (stretched like scenes), by file name."""
    out = {}
    for name in sorted({b.file for b in read_ship_labels()}):
        path = root / "shipsnet_scenes" / name
        if path.exists():
            rgb, valid = _read_rgb(path)
            out[name] = LandImage(stretch_rgb(rgb, valid), valid, SHIPSNET_GSD_M, f"shipsnet_scenes/{name}")
    return out
