"""Coal watch: bulk carriers at watched coal berths, and the dark stockpiles on the quays behind them.

UN Security Council resolution 2371 (2017) bans North Korea's coal exports; the Panel of Experts has since
reported coal loaded at Nampo, Songnim, Chongjin and Rajin and landed at Russian and Chinese ports. The
ships that carry it are bulk carriers, so the watch has two parts, each a pure function of what the main job
already has:

- **coal_loading observations.** A detection the ship-type classifier calls a bulk carrier (with at least
  `min_type_probability`), whose centre lies in a watched coal area, is a `coal_loading` observation. The
  watched areas are every `coal_berth` area of configs/ports.geojson and, where `watch_anchorages` is on, the
  anchorages of the ports that have a coal berth: a collier waits at the roads for its berth, and coal is also
  loaded at anchor, from barges or ship to ship. A bulk carrier at a port with no coal berth (a grain
  ship at Ningbo) is no coal observation; a tanker at a coal berth is a tanker, watched by the main job.
- **Stockpile area.** Coal waits for its ship in long heaps on the stockyard behind the berth. The heaps are
  the darkest broad things on a quay (a heap is black, the pad it stands on is grey concrete or gravel), so
  their area on a scene is a proxy for the stock: it falls as coal is loaded out and rises as trains bring
  it in. It is a proxy, not a tonnage: heap height is not read, a heap under cloud or haze reads smaller, and
  a broad dark roof or a wide shadow reads as coal. What it gives is the change between passes of one berth,
  which is why a reading records how much of the berth the scene covered: a berth half out of the scene
  must not read as half its stock gone (`stockpile_change` compares only readings that cover it).

How the area is measured, for one coal berth area (the polygon of the water off the terminal):

1. **Region.** The berth polygon grown by `stockpile_margin_m` (in metres, in the local UTM zone) reaches
   over the quay into the stockyard behind it.
2. **Decimated read.** The region's window of the scene is read through the scene's stretch at about
   `read_gsd_m` (a 2 m cell still resolves heaps 18-50 m wide, and a 1 km yard stays a small array).
3. **Land.** Water cells are taken out: from the scene's water mask where one is given (floating.WaterMask),
   else by a simple rule: dark cells connected to the berth polygon itself are water (the berth polygon is
   water off the quay, and the water's dark cells run on from it; heaps are cut off from it by the quay).
4. **Dark and grey.** A cell is coal-like when it is darker than its surroundings by `dark_contrast` of
   their brightness and nearly grey. The surroundings are the brightness closed (grey-level morphology)
   over `background_m`, wider than any heap, so the pad's level is found even under a heap. Being relative,
   the test does not depend on the stretch's gain (haze, which lifts the dark, does defeat it: a heap under
   haze reads smaller or not at all), and water, dark over wide areas, is not darker than its own
   surroundings. Grey (chroma at most `max_chroma` of 255) keeps out blue roofs and green woods.
5. **Heap-shaped.** An opening with a disk `min_heap_width_m` across drops what is too thin to be a heap
   (rails, the shadows of masts and building edges), and pieces under `min_heap_m2` are dropped.

What else reads as coal: anything broad, grey and much darker than what surrounds it, on the synthetic
quays chiefly the asphalt lanes of a container yard between bright stacks and wide shadows of tall sheds,
and, without a water mask, dark water that the rule does not reach. These change little between passes
(shadows move with the sun), so the change reads truer than the area, which is an upper bound there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
import shapely
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from tankerwatch.config import CoalConfig
from tankerwatch.datasets.ports import Port, port_at, port_of
from tankerwatch.datasets.scene import Scene, read_rgb, scene_reader
from tankerwatch.geo import from_lonlat_transformer, pixel_size_m, to_lonlat_transformer, utm_epsg
from tankerwatch.inference.floating import WaterMask
from tankerwatch.schema import Detection

COAL_LOADING = "coal_loading"  # the observation (and alert) type
BULK_CARRIER = "bulk_carrier"  # the ship type (models/shiptype.SHIP_TYPES) that carries coal
COAL_BERTH = "coal_berth"
ANCHORAGE = "anchorage"


@dataclass
class CoalObservation:
    """A bulk carrier in a watched coal area: its detection (measurements, scene, time), the area and its port."""

    detection: Detection
    port_id: str
    port_area: str
    area_kind: str  # "coal_berth" or "anchorage"
    p_bulk_carrier: float | None  # the classifier's P(bulk carrier), None where it gave no probabilities
    kind: str = COAL_LOADING


@dataclass
class StockpileReading:
    """The dark stockpile area measured behind one coal berth on one scene."""

    port_area: str  # the coal berth area's id
    scene_id: str
    acquired: datetime | None
    area_m2: float  # coal-like land in the region, on the part of it the scene covers
    covered_share: float  # share of the region's area the scene covers, 0..1
    port_id: str = ""
    region_m2: float = 0.0  # the region looked at: the berth grown by stockpile_margin_m


@dataclass
class StockpileChange:
    """The stockpile of one coal berth between two passes; None where the readings are not comparable."""

    port_area: str
    previous_scene_id: str
    current_scene_id: str
    previous_acquired: datetime | None
    current_acquired: datetime | None
    change_m2: float | None  # current minus previous area
    change_share: float | None  # change_m2 over the previous area (None also where that was 0)
    reason: str | None = None  # why not comparable; None when compared


# --- coal_loading observations ------------------------------------------------------------------
def coal_ports(ports: list[Port]) -> set[str]:
    """The ids of the ports that have a coal berth."""
    return {port_of(a) for a in ports if a.kind == COAL_BERTH}


def watched_coal_areas(ports: list[Port], cfg: CoalConfig) -> list[Port]:
    """The coal berths, and (with watch_anchorages) the anchorages of ports that have one, in file order."""
    with_coal = coal_ports(ports)
    return [
        a
        for a in ports
        if a.kind == COAL_BERTH or (cfg.watch_anchorages and a.kind == ANCHORAGE and port_of(a) in with_coal)
    ]


def bulk_probability(d: Detection) -> float | None:
    """The classifier's P(bulk carrier) for a detection, None where it gave no probabilities."""
    if d.type_probabilities is None:
        return None
    return float(d.type_probabilities.get(BULK_CARRIER, 0.0))


def coal_observations(detections: list[Detection], ports: list[Port], cfg: CoalConfig) -> list[CoalObservation]:
    """The bulk carriers (typed, with P(bulk carrier) >= min_type_probability) whose centre lies in a watched
    coal area, in the order of the detections; none when the coal watch is off."""
    if not cfg.enabled:
        return []
    areas = watched_coal_areas(ports, cfg)
    found = []
    for d in detections:
        if d.type_name != BULK_CARRIER:
            continue
        p = bulk_probability(d)
        if p is not None and p < cfg.min_type_probability:
            continue
        area = port_at(areas, d.center_lon, d.center_lat)
        if area is not None:
            found.append(CoalObservation(d, port_of(area), area.id, str(area.kind), p))
    return found


# --- stockpile area -----------------------------------------------------------------------------
def _lonlat_to(geom: BaseGeometry, crs) -> BaseGeometry:
    """A lon/lat geometry in another CRS."""
    tr = from_lonlat_transformer(crs)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def stockpile_region(scene: Scene, area: Port, margin_m: float) -> tuple[BaseGeometry, BaseGeometry, float]:
    """(region, berth) in the scene's native pixels (col, row) and the region's area in m²: the berth polygon
    grown by margin_m in its UTM zone."""
    c = area.geometry.centroid
    utm = f"EPSG:{utm_epsg(c.x, c.y)}"
    berth_utm = _lonlat_to(area.geometry, utm)
    region_utm = berth_utm.buffer(margin_m)
    to_scene = from_lonlat_transformer(scene.crs)
    to_ll = to_lonlat_transformer(utm)
    inverse = ~scene.transform

    def utm_to_px(xy: np.ndarray) -> np.ndarray:
        """UTM metres to the scene's native pixels, through lon/lat."""
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
        x, y = to_scene.transform(lon, lat)
        cols, rows = inverse @ (np.asarray(x), np.asarray(y))
        return np.column_stack([cols, rows])

    return shapely.transform(region_utm, utm_to_px), shapely.transform(berth_utm, utm_to_px), float(region_utm.area)


def _disk(diameter_cells: float) -> np.ndarray:
    """An elliptical structuring element about diameter_cells across (odd, at least 1)."""
    k = max(1, int(round(diameter_cells))) | 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def coal_like(rgb: np.ndarray, cell_m: float, cfg: CoalConfig) -> np.ndarray:
    """Cells (bool rows x cols) darker than their surroundings by dark_contrast, nearly grey (uint8 RGB)."""
    f = rgb.astype(np.float32)
    level = f.mean(axis=2)
    chroma = f.max(axis=2) - f.min(axis=2)
    background = cv2.morphologyEx(level, cv2.MORPH_CLOSE, _disk(cfg.background_m / cell_m))
    return ((background - level) >= cfg.dark_contrast * np.maximum(background, 1.0)) & (chroma <= cfg.max_chroma)


def heap_shaped(dark: np.ndarray, cell_m: float, cfg: CoalConfig) -> np.ndarray:
    """The dark cells that belong to heap-shaped pieces: at least min_heap_width_m across and min_heap_m2."""
    opened = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, _disk(cfg.min_heap_width_m / cell_m))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] * cell_m * cell_m >= cfg.min_heap_m2
    keep[0] = False
    return keep[labels]


def _mask_water(mask: WaterMask, grid: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(water, known) on a grid (grid: an axis-aligned cell -> native pixel transform) from a water mask; known is
    False off the mask. Rows and columns map separately, so nothing larger than the grid itself is made."""
    cols = np.floor((grid.c + (np.arange(shape[1]) + 0.5) * grid.a - mask.col0) / mask.scale).astype(np.int64)
    rows = np.floor((grid.f + (np.arange(shape[0]) + 0.5) * grid.e - mask.row0) / mask.scale).astype(np.int64)
    h, w = mask.water.shape
    known = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    water = mask.water[np.clip(rows, 0, h - 1)][:, np.clip(cols, 0, w - 1)] > 0
    return water & known, known


def _water_by_rule(dark: np.ndarray, berth: np.ndarray) -> np.ndarray:
    """Dark cells connected to the berth polygon (water off the quay) are water."""
    n, labels = cv2.connectedComponents(dark.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[berth & dark])
    return np.isin(labels, touching[touching > 0])


def _burn(geom: BaseGeometry, grid: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Cells (bool) whose centre lies in a geometry given in native pixels."""
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    polys = [p for p in parts if isinstance(p, Polygon) and not p.is_empty]
    if not polys:
        return np.zeros(shape, bool)
    return rasterize([(p, 1) for p in polys], out_shape=shape, transform=grid, fill=0, dtype="uint8").astype(bool)


def stockpile_area_m2(scene: Scene, area: Port, cfg: CoalConfig, water: WaterMask | None = None) -> StockpileReading:
    """The dark stockpile area behind a coal berth on a scene, measured as the module docstring says (covered_share
    0 where the scene does not reach the berth's region); water: the scene's water mask, where there is one."""
    region, berth, region_m2 = stockpile_region(scene, area, cfg.stockpile_margin_m)
    reading = StockpileReading(area.id, scene.scene_id, scene.acquired, 0.0, 0.0, port_of(area), round(region_m2, 1))
    seen = region.intersection(box(0, 0, scene.width, scene.height))
    if seen.is_empty or seen.area <= 0:
        return reading
    x0, y0, x1, y1 = seen.bounds
    c0, r0 = int(math.floor(x0)), int(math.floor(y0))
    window = Window(c0, r0, min(scene.width, int(math.ceil(x1))) - c0, min(scene.height, int(math.ceil(y1))) - r0)
    scale = max(1.0, cfg.read_gsd_m / scene.gsd_m)
    shape = (max(1, int(round(window.height / scale))), max(1, int(round(window.width / scale))))
    grid = Affine.translation(c0, r0) * Affine.scale(window.width / shape[1], window.height / shape[0])
    with scene_reader(scene) as src:
        rgb, valid = read_rgb(src, scene, window, shape)
    gx, gy = pixel_size_m(scene.transform, to_lonlat_transformer(scene.crs), seen.centroid.x, seen.centroid.y)
    cell_m2 = gx * gy * (window.width / shape[1]) * (window.height / shape[0])
    cell_m = math.sqrt(cell_m2)
    inside = _burn(region, grid, shape) & valid
    dark = coal_like(rgb, cell_m, cfg) & valid
    is_water = np.zeros(shape, bool)
    known = np.zeros(shape, bool)
    if water is not None:
        is_water, known = _mask_water(water, grid, shape)
    if not known.all():
        is_water |= ~known & _water_by_rule(dark, _burn(berth, grid, shape))
    coal = heap_shaped(dark & inside & ~is_water, cell_m, cfg)
    reading.area_m2 = round(float(coal.sum() * cell_m2), 1)
    reading.covered_share = round(min(1.0, float(inside.sum() * cell_m2 / region_m2)), 4)
    return reading


def stockpile_readings(
    scene: Scene, ports: list[Port], cfg: CoalConfig, water: WaterMask | None = None
) -> list[StockpileReading]:
    """A reading for every coal berth whose region the scene reaches (none when the coal watch is off)."""
    if not cfg.enabled:
        return []
    # a cheap lon/lat test first: projecting a berth into the scene costs a few transformers
    lon, lat = scene.lonlat([0, scene.width, scene.width, 0], [0, 0, scene.height, scene.height])
    reach = cfg.stockpile_margin_m / 111_000 * 3  # degrees, generous at any latitude a port lies at
    near = box(min(lon) - reach, min(lat) - reach / 3, max(lon) + reach, max(lat) + reach / 3)
    berths = [a for a in ports if a.kind == COAL_BERTH and a.geometry.intersects(near)]
    readings = (stockpile_area_m2(scene, a, cfg, water) for a in berths)
    return [r for r in readings if r.covered_share > 0]


def stockpile_change(
    previous: StockpileReading, current: StockpileReading, min_covered_share: float = 0.98
) -> StockpileChange:
    """The change of a berth's stockpile from one reading to the next; None where either reading covers less
    than min_covered_share of the berth's region (part of the yard unseen is no drop) or they are of two berths."""
    change = StockpileChange(
        current.port_area,
        previous.scene_id,
        current.scene_id,
        previous.acquired,
        current.acquired,
        None,
        None,
    )
    if previous.port_area != current.port_area:
        change.reason = f"readings of two berths ({previous.port_area}, {current.port_area})"
        return change
    low = [r for r in (previous, current) if r.covered_share < min_covered_share]
    if low:
        change.reason = ", ".join(f"{r.scene_id} covers {r.covered_share:.0%} of the berth" for r in low)
        return change
    change.change_m2 = round(current.area_m2 - previous.area_m2, 1)
    change.change_share = round(change.change_m2 / previous.area_m2, 4) if previous.area_m2 > 0 else None
    return change
