"""The detector over a scene: tiles read ahead of the model, batched forwards, boxes in native pixels."""

from __future__ import annotations

import numpy as np

from tankerwatch.config import load_inference_config
from tankerwatch.datasets.scene import open_scene, scene_reader
from tankerwatch.inference.detect import detect_scene, read_tile
from tankerwatch.inference.tiling import plan_tiles


class CountingDetector:
    """A detector that sees nothing and remembers the tiles it was given."""

    batch = 2

    def __init__(self) -> None:
        self.tiles: list[np.ndarray] = []

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        self.tiles += tiles
        return [np.zeros((0, 7), np.float32) for _ in tiles]


def test_every_planned_tile_is_read_at_the_working_gsd_and_predicted(scene_factory):
    scene = open_scene(
        scene_factory("tiles", gsd_m=0.5, land=False, n_tankers=1, n_others=0, width_m=1500, height_m=1500)
    )
    cfg = load_inference_config(None, {"detect": {"tile_px": 512}})
    tiles = plan_tiles(scene, cfg.detect, None)
    detector = CountingDetector()
    assert detect_scene(scene, tiles, detector, cfg) == []
    assert len(tiles) > 1 and len(detector.tiles) == len(tiles)
    assert all(t.shape == (512, 512, 3) and t.dtype == np.uint8 for t in detector.tiles)
    with scene_reader(scene) as src:
        first = read_tile(src, scene, tiles[0], 512)
    assert first is not None and np.array_equal(first, detector.tiles[0])
