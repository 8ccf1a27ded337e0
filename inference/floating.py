"""A hull must float: the per-scene water mask and the test that drops detections on land.

The water mask is a coarse grid (models/watermask.WATER_GSD_M, 4 m) over the area the detector looked
at. Each cell is water (1) or not (0), from, in order of precedence:

1. the user's layers: `--water` polygons are water, `--land` polygons are land (an OpenStreetMap
   coastline export knows better than any model where the quay is);
2. NDWI, (green - NIR) / (green + NIR) > NDWI_WATER, where the scene has a fourth (NIR) band;
3. the water-mask network on the scene's RGB read at the mask's GSD.

A hull floats when enough of it, or of a ring of water around it, is water:

    share = max(water under the hull, water in a ring RING_M wide around it)

A ship at a berth touches the quay along one side only, so half its ring is still water; a warehouse
roof, a rail line or a patch of soil is land under and around. The network is trained with ships as
water (a hull in the sea is the sea, for this question), which is why the hull's own cells count.
The mask is written as a GeoTIFF beside the detections (OUT/masks/<scene_id>.water.tif) for QGIS.

In the main job (tiles_water) the mask covers the tiles the detector reads and is made before it runs, so
that the cascade (cascade.py) can spare the detector tiles of land far from water; the same mask, where
stages.water_objects is on, also proposes the compact objects on the water that no detector box
covers (candidates.py) as hulls for the ship-type stage to vouch for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import rasterio
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tankerwatch.datasets.scene import Scene, read_rgb, scene_reader
from tankerwatch.inference.tiling import Tile
from tankerwatch.schema import OrientedBox

if TYPE_CHECKING:
    from tankerwatch.inference.pipeline import RunContext

NDWI_WATER = 0.1  # NDWI above this is water (McFeeters' 0, raised a little so haze over land stays land)
RING_M = 30.0  # width of the ring around a hull whose water share is tested


@dataclass
class WaterMask:
    """Water (1) or not (0) on a coarse grid: mask pixel (row, col) covers native pixels from
    (col0 + col * scale, row0 + row * scale), scale native pixels a side."""

    water: np.ndarray  # uint8 rows x cols
    col0: float
    row0: float
    scale: float  # native pixels per mask pixel
    source: str  # what decided it: "network", "ndwi", plus "+layers" where user layers overrode it

    def to_mask_px(self, pts: np.ndarray) -> np.ndarray:
        """Native-pixel points (N x 2, col/row) in mask pixels."""
        return (np.asarray(pts, float) - [self.col0, self.row0]) / self.scale


def hull_water_share(mask: WaterMask, box: OrientedBox, native_gsd_m: float, ring_m: float = RING_M) -> float:
    """max(share of water under the hull, share of water in a ring ring_m wide around it) on a water mask."""
    hull = Polygon(mask.to_mask_px(np.asarray(box.corners())))
    ring_px = ring_m / (native_gsd_m * mask.scale)
    outer = hull.buffer(max(ring_px, 1.0), join_style="mitre")
    x0, y0, x1, y1 = (int(math.floor(v)) for v in outer.bounds)
    h, w = mask.water.shape
    c0, r0, c1, r1 = max(0, x0), max(0, y0), min(w, x1 + 2), min(h, y1 + 2)
    if c1 <= c0 or r1 <= r0:
        return 0.0
    window = mask.water[r0:r1, c0:c1]

    def cells(geom: BaseGeometry) -> np.ndarray:
        """Mask cells a polygon covers (at least its nearest cell, for hulls smaller than a cell)."""
        m: np.ndarray = np.zeros(window.shape, np.uint8)  # (numpy's stubs lose the shape's length)
        polys = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
        for p in polys:
            ring = np.asarray(p.exterior.coords) - [c0, r0]
            cv2.fillPoly(m, [np.round(ring * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
        if not m.any():
            c = geom.centroid
            m[min(max(int(c.y) - r0, 0), m.shape[0] - 1), min(max(int(c.x) - c0, 0), m.shape[1] - 1)] = 1
        return m.astype(bool)

    under = cells(hull)
    ring = cells(outer) & ~under
    share_under = float(window[under].mean()) if under.any() else 0.0
    share_ring = float(window[ring].mean()) if ring.any() else share_under
    return max(share_under, share_ring)


def afloat(
    mask: WaterMask, boxes: list[OrientedBox], native_gsd_m: float, threshold: float, ring_m: float = RING_M
) -> list[OrientedBox]:
    """The boxes whose hull, or the ring around it, is at least threshold water."""
    return [b for b in boxes if hull_water_share(mask, b, native_gsd_m, ring_m) >= threshold]


def mask_grid(scene: Scene, window: Window, gsd_m: float) -> tuple[tuple[int, int], float]:
    """Shape (rows, cols) of the mask over a native window at gsd_m, and native pixels per mask pixel."""
    scale = max(1.0, gsd_m / scene.gsd_m)
    return (max(1, int(round(window.height / scale))), max(1, int(round(window.width / scale)))), scale


def ndwi_water(src, scene: Scene, window: Window, shape: tuple[int, int]) -> np.ndarray | None:
    """Water from NDWI where the scene has a fourth band, taken as NIR (the usual B, G, R, NIR order)."""
    if src.count < 4:
        return None
    nir_band = 4
    green_band = scene.band_indexes[1]
    data = src.read(
        [green_band, nir_band], window=window, out_shape=(2, *shape), resampling=rasterio.enums.Resampling.average
    ).astype(np.float32)
    green, nir = data
    ndwi = (green - nir) / np.maximum(green + nir, 1e-6)
    return (ndwi > NDWI_WATER).astype(np.uint8)


def apply_layers(
    water: np.ndarray, transform: Affine, land: BaseGeometry | None, water_layer: BaseGeometry | None
) -> np.ndarray:
    """The mask with user land polygons burnt in as land and user water polygons as water (CRS of the scene)."""
    out = water.copy()
    for geom, value in ((land, 0), (water_layer, 1)):
        if geom is not None and not geom.is_empty:
            burnt = rasterize(
                [(geom, 1)], out_shape=out.shape, transform=transform, fill=0, dtype="uint8", all_touched=False
            )
            out[burnt == 1] = value
    return out


def mask_transform(scene: Scene, mask: WaterMask) -> Affine:
    """The geotransform of a water mask's grid in the scene's CRS."""
    return scene.transform * Affine.translation(mask.col0, mask.row0) * Affine.scale(mask.scale)


def scene_water_mask(
    scene: Scene,
    window: Window,
    masker,
    land: BaseGeometry | None = None,
    water_layer: BaseGeometry | None = None,
    rgb: np.ndarray | None = None,
) -> WaterMask:
    """The water mask over a native-pixel window of a scene (NDWI, else the network; user layers on top).

    rgb: the window already read as RGB at a finer grid, averaged down for the network instead of read again."""
    from tankerwatch.models.watermask import WATER_GSD_M

    gsd = masker.gsd_m if masker is not None else WATER_GSD_M
    shape, scale = mask_grid(scene, window, gsd)
    with scene_reader(scene) as src:
        water = ndwi_water(src, scene, window, shape)
        source = "ndwi"
        if water is None:
            if masker is None:
                water, source = np.ones(shape, np.uint8), "none"
            else:
                coarse = (
                    read_rgb(src, scene, window, shape)[0]
                    if rgb is None
                    else cv2.resize(rgb, shape[::-1], interpolation=cv2.INTER_AREA)
                )
                water, source = masker.water(coarse), "network"
    mask = WaterMask(water, float(window.col_off), float(window.row_off), scale, source)
    if land is not None or water_layer is not None:
        mask.water = apply_layers(mask.water, mask_transform(scene, mask), land, water_layer)
        mask.source += "+layers"
    return mask


def array_water_mask(rgb: np.ndarray, gsd_m: float, masker) -> WaterMask:
    """The network's water mask of a native-resolution RGB image with no georeferencing (real test images)."""
    scale = max(1.0, masker.gsd_m / gsd_m)
    h, w = rgb.shape[:2]
    shape = (max(4, int(round(w / scale))), max(4, int(round(h / scale))))
    coarse = cv2.resize(rgb, shape, interpolation=cv2.INTER_AREA)
    return WaterMask(masker.water(coarse), 0.0, 0.0, w / shape[0], "network")


def write_water_mask(out_dir: Path, scene: Scene, mask: WaterMask) -> Path:
    """OUT/masks/<scene_id>.water.tif: uint8, 1 = water, on the mask's grid in the scene's CRS."""
    path = out_dir / "masks" / f"{scene.scene_id}.water.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    h, w = mask.water.shape
    profile = dict(
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="uint8",
        crs=scene.crs,
        transform=mask_transform(scene, mask),
        compress="deflate",
        nodata=None,
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(mask.water, 1)
        dst.update_tags(tankerwatch_source=mask.source, values="1 = water, 0 = land or structure")
    tmp.replace(path)
    return path


@dataclass
class TilesWater:
    """The water mask over the tiles a scene is read in, and (where objects are proposed) the RGB read for it."""

    mask: WaterMask
    rgb: np.ndarray | None  # the window at candidates.OBJECT_GSD_M, or None
    col0: int
    row0: int
    width_px: int  # of the window, native pixels


def tiles_water(scene: Scene, tiles: list[Tile], ctx: RunContext) -> TilesWater | None:
    """The scene's water mask over the tiles (written beside the detections), before the detector runs, so that
    the cascade can spare it the tiles that cannot hold a hull; None where the water stage is off."""
    from tankerwatch.inference.candidates import OBJECT_GSD_M

    st = ctx.cfg.stages
    if not (st.water_mask and ctx.stages and tiles):
        return None
    c0 = min(int(t.window.col_off) for t in tiles)
    r0 = min(int(t.window.row_off) for t in tiles)
    c1 = max(int(t.window.col_off + t.window.width) for t in tiles)
    r1 = max(int(t.window.row_off + t.window.height) for t in tiles)
    window = Window(c0, r0, c1 - c0, r1 - r0)
    land, water = ctx.stages.layers(scene.crs)
    rgb = None
    if st.water_objects and st.ship_type and ctx.stages.typer is not None:
        # read once at the objects' grid; the water mask averages the same pixels down
        f = max(1.0, OBJECT_GSD_M / scene.gsd_m)
        with scene_reader(scene) as src:
            rgb, _ = read_rgb(src, scene, window, (max(1, int(window.height / f)), max(1, int(window.width / f))))
    mask = scene_water_mask(scene, window, ctx.stages.masker, land, water, rgb)
    if st.write_mask:
        write_water_mask(ctx.out_dir, scene, mask)
    return TilesWater(mask, rgb, c0, r0, c1 - c0)


def floating_hulls(
    scene: Scene, boxes: list[OrientedBox], ctx: RunContext, water: TilesWater | None
) -> tuple[list[OrientedBox], list[OrientedBox]]:
    """(detector boxes that lie on water, new candidates from objects on the water) by the scene's water mask over
    the tiles read; every box, and no candidate, where there is no mask."""
    # candidates.py reads the WaterMask defined here
    from tankerwatch.inference.candidates import new_candidates, water_objects

    if water is None:
        return boxes, []
    st = ctx.cfg.stages
    objects = (
        []
        if water.rgb is None
        else new_candidates(
            water_objects(
                water.rgb, water.width_px / water.rgb.shape[1], water.col0, water.row0, water.mask, scene.gsd_m
            ),
            boxes,
        )
    )
    return afloat(water.mask, boxes, scene.gsd_m, st.water_share_threshold, st.ring_m), objects
