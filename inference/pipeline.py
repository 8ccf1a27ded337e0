"""The main job: scenes in; detections, identifications and port-visit alerts out."""

from __future__ import annotations

import json
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from tankerwatch.config import DetectConfig, InferenceConfig, StageConfig
from tankerwatch.datasets.layers import layer_in_crs, read_layer
from tankerwatch.datasets.ports import Port, load_ports, port_at
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.scene import Scene, open_scene, read_rgb, scene_reader
from tankerwatch.inference.candidates import OBJECT_GSD_M, image_objects, new_candidates, water_objects
from tankerwatch.inference.classify import read_chip, ships_only
from tankerwatch.inference.floating import afloat, array_water_mask, scene_water_mask, write_water_mask
from tankerwatch.inference.appearance import AppearanceModel, Signature, load_appearance_model, read_signature
from tankerwatch.inference.matching import assign_scene, identify
from tankerwatch.inference.measurement_error import ErrorModel, error_model_for
from tankerwatch.inference.measure import (
    EDGE_TOLERANCE_WORKING_PX, bow_sign, measure, refine_box, straightened_hull, tile_boxes, touches_scene_edge,
)
from tankerwatch.inference.merge import merge_boxes
from tankerwatch.inference.review import ReviewMemory, hull_evidence, review_memory
from tankerwatch.inference.tiling import Tile, plan_tiles, port_aoi_px
from tankerwatch.inference.visits import AlertStore
from tankerwatch.io import atomic_write_bytes, atomic_write_text
from tankerwatch.models.shiptype import hull_chip
from tankerwatch.schema import Detection, Identification, OrientedBox, TankerwatchError, Vessel

SCENE_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2", ".img")


@dataclass
class SceneResult:
    """What happened to one scene."""

    path: Path
    scene_id: str
    status: str  # done | skipped | failed
    detections: int = 0
    tankers: int = 0
    new_alerts: int = 0
    tiles: int = 0
    reason: str = ""


@dataclass
class RunContext:
    """Everything the main job shares across scenes of a batch."""

    cfg: InferenceConfig
    detector: object  # a Detector or DetectorPool: anything with predict(tiles) and batch (tiles per call)
    registry: list[Vessel]
    ports: list[Port]
    out_dir: Path
    full_scene: bool = False
    acquired: datetime | None = None
    force: bool = False
    port_names: dict[str, str] = field(default_factory=dict)
    stages: HullStages | None = None
    errors: ErrorModel = field(default_factory=ErrorModel)  # fitted measurement errors (default: hand-set sigmas)
    appearance: AppearanceModel | None = None  # None: looks are not read, decisions act by place only


@dataclass
class HullStages:
    """The models and layers of the stages after the detector (either model may be off: None)."""

    masker: object | None = None  # a WaterMasker
    typer: object | None = None  # a ShipTyper
    land_path: Path | None = None  # user layers (--land / --water)
    water_path: Path | None = None
    _layers: dict = field(default_factory=dict)  # per scene CRS: (land, water) reprojected once

    def layers(self, crs) -> tuple[BaseGeometry | None, BaseGeometry | None]:
        """The user's land and water layers in a scene's CRS."""
        key = crs.to_string()
        if key not in self._layers:
            self._layers[key] = tuple(layer_in_crs(p, crs) if p else None for p in (self.land_path, self.water_path))
        return self._layers[key]


def find_scenes(inputs: list[Path]) -> list[Path]:
    """Scene files named directly or found (non-recursively) in folders, in a stable order."""
    found: list[Path] = []
    for p in inputs:
        p = Path(p)
        if p.is_dir():
            found += sorted(q for q in p.iterdir() if q.suffix.lower() in SCENE_SUFFIXES and not q.name.startswith("."))
        else:
            found.append(p)
    return found


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


def read_tile(src, scene: Scene, tile: Tile, tile_px: int) -> np.ndarray | None:
    """A tile at the working GSD as RGB uint8, padded to tile_px square; None when it is all nodata."""
    rgb, valid = read_rgb(src, scene, tile.window, (tile.out_rows, tile.out_cols))
    if not valid.any():
        return None
    return np.pad(rgb, ((0, tile_px - rgb.shape[0]), (0, tile_px - rgb.shape[1]), (0, 0)))


def detect_scene(scene: Scene, tiles: list[Tile], detector, cfg: InferenceConfig) -> list[OrientedBox]:
    """Run the detector over tiles and merge the boxes into one list in native pixels."""
    boxes: list[OrientedBox] = []
    cut: list[bool] = []
    for chunk, images in _tile_batches(scene, tiles, detector.batch, cfg.detect.tile_px, cfg.detect.readers):
        keep = [(t, im) for t, im in zip(chunk, images) if im is not None]
        if not keep:
            continue
        predictions = detector.predict([im for _, im in keep])
        for (t, _), rows in zip(keep, predictions):
            w = t.window
            tile, tile_cut = tile_boxes(rows, w.col_off, w.row_off, w.col_off + w.width, w.row_off + w.height,
                                        t.scale_x, t.scale_y, scene.width, scene.height)
            boxes += tile
            cut += tile_cut
    return merge_boxes(boxes, cut, cfg.detect.iou_threshold)


def detection_feature(d: Detection, ident: Identification | None = None) -> dict:
    """A detection as an RFC 7946 Feature with the DESIGN.md properties, plus gsd_m (the grid it was measured in)
    and, for an identified tanker, its ranked registry candidates whether or not they reach an alert."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in d.footprint_lonlat]]},
        "properties": {
            "class": d.class_name,
            "confidence": d.confidence,
            "length_m": d.length_m,
            "beam_m": d.beam_m,
            "heading_deg": d.heading_deg,
            "heading_ambiguous": d.heading_ambiguous,
            "center_lon": round(d.center_lon, 7),
            "center_lat": round(d.center_lat, 7),
            "scene_id": d.scene_id,
            "acquired": d.acquired.strftime("%Y-%m-%dT%H:%M:%SZ") if d.acquired else None,
            "port_id": d.port_id,
            "gsd_m": round(d.gsd_m, 3),
            **({"type": d.type_name, "type_probabilities": d.type_probabilities} if d.type_name else {}),
        },
    }
    if ident is not None and ident.candidates:
        feature["properties"]["candidates"] = [{"imo": c.imo, "name": c.name, "probability": round(c.probability, 4)}
                                               for c in ident.candidates]
    return feature


def write_detections(out_dir: Path, scene_id: str, detections: list[Detection],
                     idents: list[Identification] | None = None) -> Path:
    """Write OUT/detections/<scene_id>.geojson atomically (with each tanker's candidates where identified)."""
    path = out_dir / "detections" / f"{scene_id}.geojson"
    pairs = zip(detections, idents or [None] * len(detections), strict=True)
    fc = {"type": "FeatureCollection", "features": [detection_feature(d, i) for d, i in pairs]}
    atomic_write_text(path, json.dumps(fc, indent=1))
    return path


def chip_writer(scene: Scene, out_dir: Path, margin_m: float) -> Callable[[Identification, str], str]:
    """A function saving a native-resolution PNG crop around a hull, returning its relative path."""

    def write(ident: Identification, alert_id: str) -> str:
        b = ident.detection.box
        half = max(b.length_px, b.beam_px) / 2 + margin_m / scene.gsd_m
        c0, r0 = max(0, int(b.cx_px - half)), max(0, int(b.cy_px - half))
        c1, r1 = min(scene.width, int(b.cx_px + half) + 1), min(scene.height, int(b.cy_px + half) + 1)
        f = max(1.0, max(c1 - c0, r1 - r0) / 512)  # cap the crop at 512 px
        rows, cols = max(1, int((r1 - r0) / f)), max(1, int((c1 - c0) / f))
        with scene_reader(scene) as src:
            rgb, _ = read_rgb(src, scene, Window(c0, r0, c1 - c0, r1 - r0), (rows, cols))
        pts = np.array([((x - c0) / f, (y - r0) / f) for x, y in b.corners()], np.int32)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        cv2.polylines(bgr, [pts], True, (0, 255, 255), 1, cv2.LINE_AA)
        ok, png = cv2.imencode(".png", bgr)
        rel = f"chips/{alert_id}.png"
        atomic_write_bytes(out_dir / rel, png.tobytes())
        return rel

    return write


@dataclass
class HullRead:
    """What the native pixels say of one hull: its (refined) box, whether refined, bow sign, type chip."""

    box: OrientedBox
    refined: bool
    bow: int
    chip: np.ndarray | None = None


def read_hull(src, scene: Scene, box: OrientedBox, cfg: DetectConfig, chip: bool = False) -> HullRead:
    """A hull's box re-measured on native pixels where it reads clearly, its bow sign and (if asked) its type chip."""
    refined = refine_box(src, scene, box, cfg.refine_min_contrast) if cfg.refine else None
    box = refined or box
    # the bow cue reads its own averaged strip: the refinement's native crop weakened it in tests
    bow = bow_sign(straightened_hull(src, scene, box), cfg.bow_min_contrast)
    return HullRead(box, refined is not None, bow, read_chip(src, scene, box) if chip else None)


HULL_BAND_PX = 1024  # hulls are read in bands of rows this high, west to east: neighbours share GDAL blocks


def read_hulls(scene: Scene, boxes: list[OrientedBox], cfg: DetectConfig,
               workers: int | None = None, chips: bool = False) -> list[HullRead]:
    """read_hull for every box, in the boxes' order, on a thread per CPU core (each its own rasterio handle)."""
    order = sorted(range(len(boxes)), key=lambda i: (int(boxes[i].cy_px // HULL_BAND_PX), boxes[i].cx_px))
    workers = max(1, min(workers or os.cpu_count() or 1, 8, len(order)))
    parts = [order[len(order) * k // workers : len(order) * (k + 1) // workers] for k in range(workers)]

    def read_part(part: list[int]) -> list[tuple[int, HullRead]]:
        with scene_reader(scene) as src:
            return [(i, read_hull(src, scene, boxes[i], cfg, chips)) for i in part]

    out: list = [None] * len(boxes)
    with ThreadPoolExecutor(workers, thread_name_prefix="tankerwatch-hulls") as pool:
        for part in pool.map(read_part, parts):
            for i, hull in part:
                out[i] = hull
    return out


def floating_hulls(scene: Scene, tiles: list[Tile], boxes: list[OrientedBox], ctx: RunContext
                   ) -> tuple[list[OrientedBox], list[OrientedBox]]:
    """(detector boxes that lie on water, new candidates from objects on the water) by the scene's water mask over
    the tiles read (written beside the detections)."""
    st = ctx.cfg.stages
    if not (st.water_mask and ctx.stages and tiles):
        return boxes, []
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
    objects = [] if rgb is None else \
        new_candidates(water_objects(rgb, window.width / rgb.shape[1], c0, r0, mask, scene.gsd_m), boxes)
    return afloat(mask, boxes, scene.gsd_m, st.water_share_threshold, st.ring_m), objects


def not_ship_limits(st: StageConfig, n_boxes: int, n_objects: int) -> list[float]:
    """The P(not a ship) at which each hull is dropped: detector boxes first, then water objects (stricter)."""
    return [st.not_ship_threshold] * n_boxes + [st.object_not_ship_threshold] * n_objects


def typed_ships(detections: list[Detection], chips: list, typer, thresholds: list[float]) -> list[Detection]:
    """Detections with their ship type from native chips; a hull whose P(not a ship) reaches its threshold is
    dropped."""
    kept = []
    for i, v in ships_only(typer, chips, [(d.length_m, d.beam_m) for d in detections], thresholds):
        d = detections[i]
        d.type_name, d.type_probabilities, d.class_name = v.type_name, v.probabilities, v.class_name
        kept.append(d)
    return kept


def image_hull_filter(stages: HullStages, cfg: StageConfig) -> Callable[[np.ndarray, float, list[OrientedBox]], list[OrientedBox]]:
    """The same stages for an image with no georeferencing (real test images): (rgb, gsd_m, boxes) -> kept boxes
    (the water objects among them when cfg.water_objects)."""

    def keep(rgb: np.ndarray, gsd_m: float, boxes: list[OrientedBox]) -> list[OrientedBox]:
        objects: list[OrientedBox] = []
        if cfg.water_mask and stages.masker is not None:
            mask = array_water_mask(rgb, gsd_m, stages.masker)
            if cfg.water_objects and cfg.ship_type and stages.typer is not None:
                objects = new_candidates(image_objects(rgb, gsd_m, mask), boxes)
            boxes = afloat(mask, boxes, gsd_m, cfg.water_share_threshold, cfg.ring_m) if boxes else boxes
        boxes = boxes + objects
        if cfg.ship_type and stages.typer is not None and boxes:
            thresholds = not_ship_limits(cfg, len(boxes) - len(objects), len(objects))
            kept = ships_only(stages.typer, [hull_chip(rgb, b) for b in boxes],
                              [(b.length_px * gsd_m, b.beam_px * gsd_m) for b in boxes], thresholds)
            boxes = [replace(boxes[i], class_name=v.class_name) for i, v in kept]
        return boxes

    return keep


def process_scene(path: Path, ctx: RunContext, store: AlertStore) -> SceneResult:
    """Detect, measure, identify and alert on one scene; raises TankerwatchError on bad input."""
    scene = open_scene(path, ctx.acquired)
    if not ctx.force and store.scene_status(scene.scene_id) == "done":
        return SceneResult(path, scene.scene_id, "skipped", reason="already processed (use --force to redo)")
    if scene.acquired is None:
        raise TankerwatchError(
            f"{path}: no acquisition time (give --acquired, a STAC sidecar {path.with_suffix('.json').name} "
            "or the TIFFTAG_DATETIME tag)"
        )
    aoi = None if ctx.full_scene else port_aoi_px(scene, ctx.ports, ctx.cfg.detect.port_margin_m)
    tiles = [] if (aoi is None and not ctx.full_scene) else plan_tiles(scene, ctx.cfg.detect, aoi)
    boxes = detect_scene(scene, tiles, ctx.detector, ctx.cfg) if tiles else []
    boxes, objects = floating_hulls(scene, tiles, boxes, ctx)
    thresholds = not_ship_limits(ctx.cfg.stages, len(boxes), len(objects))
    boxes = boxes + objects
    typer = ctx.stages.typer if ctx.stages and ctx.cfg.stages.ship_type else None
    hulls = read_hulls(scene, boxes, ctx.cfg.detect, chips=typer is not None)
    detections = []
    for h in hulls:
        # a refined hull was measured on native pixels; otherwise on the working grid
        d = measure(h.box, scene, scene.gsd_m if h.refined else ctx.cfg.detect.working_gsd_m, h.bow)
        port = port_at(ctx.ports, d.center_lon, d.center_lat)
        d.port_id = port.id if port else None
        detections.append(d)
    if typer is not None:
        detections = typed_ships(detections, [h.chip for h in hulls], typer, thresholds)
    detections.sort(key=lambda d: (-d.confidence, d.center_lon, d.center_lat))
    idents = assign_scene(identify_hulls(scene, detections, ctx, review_memory(store.signature_rows())))
    write_detections(ctx.out_dir, scene.scene_id, detections, idents)
    new = store.record_scene(
        scene.scene_id, str(path), scene.acquired, idents, ctx.cfg.matching, ctx.cfg.visits,
        chip_writer(scene, ctx.out_dir, ctx.cfg.visits.chip_margin_m), ctx.port_names,
    )
    return SceneResult(
        path, scene.scene_id, "done", detections=len(detections),
        tankers=sum(d.class_name == "tanker" for d in detections), new_alerts=len(new), tiles=len(tiles),
    )


def hull_signatures(scene: Scene, detections: list[Detection], model: AppearanceModel | None) -> list[Signature | None]:
    """The appearance signature of each tanker on native pixels (None for other hulls, or with looks off)."""
    if model is None or not any(d.class_name == "tanker" for d in detections):
        return [None] * len(detections)
    with scene_reader(scene) as src:
        return [read_signature(src, scene, d.box) if d.class_name == "tanker" else None for d in detections]


def identify_hulls(scene: Scene, detections: list[Detection], ctx: RunContext, memory: ReviewMemory) -> list[Identification]:
    """Each hull's registry candidates from its size, type and look, and the analysts' decisions so far."""
    edge_px = EDGE_TOLERANCE_WORKING_PX * ctx.cfg.detect.working_gsd_m / scene.gsd_m
    idents = []
    for d, sig in zip(detections, hull_signatures(scene, detections, ctx.appearance), strict=True):
        # a hull cut by the scene edge shows only a lower bound of its length: it is not named by size
        if touches_scene_edge(d.box.corners(), scene.width, scene.height, edge_px):
            idents.append(Identification(d))
            continue
        evidence = hull_evidence(d, sig, memory, ctx.appearance)
        ident = identify(d, ctx.registry, ctx.cfg.matching, ctx.errors, evidence)
        ident.signature = sig.to_dict() if sig is not None else None
        idents.append(ident)
    return idents


def load_context(
    cfg: InferenceConfig, registry_path: Path, ports_path: Path, out_dir: Path, model_path: Path | None,
    device: str | None, full_scene: bool, acquired: datetime | None, force: bool,
    land_path: Path | None = None, water_path: Path | None = None,
) -> RunContext:
    """Load registry, ports, the detector and the stage models once for a batch (bad inputs fail before any scene)."""
    from tankerwatch.models.detector import BUNDLED_WEIGHTS, load_detector

    registry = load_registry(registry_path)
    ports = load_ports(ports_path)
    if device:
        cfg.detect.device = device
    detector = load_detector(model_path, cfg.detect)
    errors = error_model_for(Path(model_path) if model_path else BUNDLED_WEIGHTS, cfg.matching.error_model)
    appearance = load_appearance_model(Path(cfg.matching.appearance_model) if cfg.matching.appearance_model else None) \
        if cfg.matching.appearance else None
    return RunContext(cfg, detector, registry, ports, Path(out_dir), full_scene, acquired, force,
                      {p.id: p.name for p in ports}, load_stages(cfg, land_path, water_path), errors, appearance)


def load_stages(cfg: InferenceConfig, land_path: Path | None = None, water_path: Path | None = None) -> HullStages:
    """The water-mask and ship-type models the config turns on, and the user's layers (read once to check them)."""
    from tankerwatch.models.detector import WEIGHTS_DIR
    from tankerwatch.models.shiptype import TYPE_WEIGHTS_NAME, ShipTyper
    from tankerwatch.models.watermask import WATER_WEIGHTS_NAME, WaterMasker

    st = cfg.stages
    device = "cpu" if cfg.detect.device == "cpu" else "cuda"
    masker = WaterMasker(_stage_weights(st.water_model, WEIGHTS_DIR / WATER_WEIGHTS_NAME, "water_mask"), device) \
        if st.water_mask else None
    typer = ShipTyper(_stage_weights(st.type_model, WEIGHTS_DIR / TYPE_WEIGHTS_NAME, "ship_type"), device) \
        if st.ship_type else None
    for p in (land_path, water_path):
        if p:
            read_layer(Path(p))
    return HullStages(masker, typer, Path(land_path) if land_path else None, Path(water_path) if water_path else None)


def _stage_weights(configured: str, bundled: Path, switch: str) -> Path:
    """The weights a stage loads: the configured file, else the bundled one (a clear error if neither exists)."""
    path = Path(configured) if configured else bundled
    if not path.exists():
        raise TankerwatchError(f"{path}: stage weights not found (train them with `tankerwatch train-stage ship-type|water-mask`, "
                               f"or turn the stage off with --set stages.{switch}=false)")
    return path


def run_batch(scenes: list[Path], ctx: RunContext, progress: Callable[[SceneResult], None] | None = None) -> list[SceneResult]:
    """Process scenes one by one; a failing scene is recorded and the batch goes on."""
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with AlertStore(ctx.out_dir) as store:
        for path in scenes:
            try:
                res = process_scene(Path(path), ctx, store)
            except TankerwatchError as e:
                res = SceneResult(Path(path), Path(path).stem, "failed", reason=str(e))
                store.mark_failed(Path(path).stem, str(path), str(e))
            except Exception as e:  # an unexpected failure still must not stop the batch
                msg = f"{path}: {type(e).__name__}: {e}".splitlines()[0]
                res = SceneResult(Path(path), Path(path).stem, "failed", reason=msg)
                store.mark_failed(Path(path).stem, str(path), msg)
            results.append(res)
            if progress:
                progress(res)
    return results
