"""The detector over a scene: tiles read ahead of the model, one batched forward per batch, one box per hull.

The detector sees the scene through the tiles tiling.py plans, each read at the working GSD and
padded to the model's square input. Reading and stretching a tile costs about as much as the
forward pass, so reader threads (each with its own rasterio handle: handles are not thread-safe)
read batches ahead while the model runs, and hand them over in tile order. A tile that is all
nodata is skipped without a forward, and so is one the cascade (cascade.py) finds cannot hold a ship:
land away from water, or open water with nothing on it.

The boxes a tile yields come back to native pixels (measure.tile_boxes), flagged where an inner
tile edge cuts them, and merge.py keeps one box per hull across the tiles' overlaps.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
from rasterio.io import DatasetReader

from tankerwatch.config import InferenceConfig
from tankerwatch.datasets.scene import Scene, read_rgb, scene_reader
from tankerwatch.inference.cascade import RUN, TileTriage
from tankerwatch.inference.measure import tile_boxes
from tankerwatch.inference.merge import merge_boxes
from tankerwatch.inference.tiling import Tile
from tankerwatch.schema import OrientedBox


class TileDetector(Protocol):
    """What the main job asks of a detector (models/detector.py: a Detector or a DetectorPool)."""

    batch: int  # tiles per predict call

    def predict(self, tiles: list[np.ndarray]) -> list[np.ndarray]:
        """Per tile, its detections as rows (cx, cy, w, h, angle, conf, class) in tile pixels."""
        ...


def read_tile(src: DatasetReader, scene: Scene, tile: Tile, tile_px: int) -> np.ndarray | None:
    """A tile at the working GSD as RGB uint8, padded to tile_px square; None when it is all nodata."""
    rgb, valid = read_rgb(src, scene, tile.window, (tile.out_rows, tile.out_cols))
    if not valid.any():
        return None
    return np.pad(rgb, ((0, tile_px - rgb.shape[0]), (0, tile_px - rgb.shape[1]), (0, 0)))


def _tile_batches(
    scene: Scene, tiles: list[Tile], batch: int, tile_px: int, readers: int = 1
) -> Iterator[tuple[list[Tile], list[np.ndarray | None]]]:
    """Batches of tiles read and stretched ahead of the model by reader threads, each with its own rasterio
    handle; in tile order. An all-nodata tile comes as None."""
    chunks = [tiles[i : i + batch] for i in range(0, len(tiles), batch)]
    readers = max(1, min(readers, len(chunks)))
    queues: list[queue.Queue] = [queue.Queue(maxsize=2) for _ in range(readers)]
    stop = threading.Event()

    def produce(k: int) -> None:
        try:
            with scene_reader(scene) as src:
                for chunk in chunks[k::readers]:  # reader k takes every readers-th batch
                    if stop.is_set():
                        return
                    queues[k].put((chunk, [read_tile(src, scene, t, tile_px) for t in chunk]))
        except BaseException as e:  # surfaced in the consumer
            queues[k].put(e)

    threads = [threading.Thread(target=produce, args=(k,), daemon=True) for k in range(readers)]
    for t in threads:
        t.start()
    try:
        for i in range(len(chunks)):
            item = queues[i % readers].get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for q in queues:  # unblock a reader waiting on a full queue
            while not q.empty():
                q.get_nowait()


def detect_scene(
    scene: Scene,
    tiles: list[Tile],
    detector: TileDetector,
    cfg: InferenceConfig,
    triage: TileTriage | None = None,
    on_tiles: Callable[[int], None] | None = None,
) -> list[OrientedBox]:
    """Run the detector over tiles (those the cascade's triage sends to the model) and merge the boxes into one
    list in native pixels; on_tiles(n) is told as each batch of n tiles is done (a progress bar)."""
    found: list[tuple[Tile, np.ndarray]] = []
    for chunk, images in _tile_batches(scene, tiles, detector.batch, cfg.detect.tile_px, cfg.detect.readers):
        keep = to_model(chunk, images, triage, cfg.detect.working_gsd_m)
        if on_tiles is not None:
            on_tiles(len(chunk))
        if keep:
            found += zip([t for t, _ in keep], detector.predict([im for _, im in keep]), strict=True)
    return scene_boxes(scene, found, cfg.detect.iou_threshold)


def to_model(
    tiles: list[Tile], images: list[np.ndarray | None], triage: TileTriage | None, gsd_m: float
) -> list[tuple[Tile, np.ndarray]]:
    """The tiles read that go to the model: not all nodata and, where the cascade runs, not spared by it."""
    return [
        (t, im)
        for t, im in zip(tiles, images, strict=True)
        if im is not None and (triage is None or triage(t.window, im[: t.out_rows, : t.out_cols], gsd_m) == RUN)
    ]


def scene_boxes(scene: Scene, found: list[tuple[Tile, np.ndarray]], iou_threshold: float) -> list[OrientedBox]:
    """The detector's rows of each tile back in native pixels, merged into one box per hull across the overlaps."""
    boxes: list[OrientedBox] = []
    cut: list[bool] = []
    for t, rows in found:
        w = t.window
        tile, tile_cut = tile_boxes(
            rows,
            w.col_off,
            w.row_off,
            w.col_off + w.width,
            w.row_off + w.height,
            t.scale_x,
            t.scale_y,
            scene.width,
            scene.height,
        )
        boxes += tile
        cut += tile_cut
    return merge_boxes(boxes, cut, iou_threshold)
