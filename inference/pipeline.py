"""The main job: scenes in; detections, identifications and port-visit alerts out.

A batch loads what every scene shares once (load_context: registry, ports, the detector, the stage
models, the fitted measurement errors and the appearance model) and then runs its scenes one by one
(run_batch): a scene that fails is recorded with its reason and the batch goes on, and a scene done
before is skipped unless forced. One scene (process_scene) goes through the stages, each in its module:

    inputs    inputs.py           files, folders, globs, STAC Items / Catalogs -> scenes
    read      datasets/scene.py   the scene's grid, georeferencing, acquisition time and stretch
    tile      tiling.py           tiles at the working GSD over the ports the scene covers (or all of it)
    water     floating.py         the water mask over the tiles, before the detector ...
    cascade   cascade.py          ... so that tiles of land far from water, or of empty water, skip the model
    detect    detect.py           the detector over the tiles, boxes back in native pixels ...
    merge     merge.py            ... one box per hull across the tiles' overlaps
    float     floating.py         the hulls on water (and candidates.py: objects on the water)
    measure   measure.py          each hull re-read on native pixels, then in metres
    classify  classify.py         the ship type from a native chip; what is not a ship is dropped
    identify  identify.py         each hull against the registry (matching.py), jointly per scene
    events    sts.py, coal.py     hulls side by side, at least one a tanker: ship-to-ship transfer candidates;
                                  bulk carriers at coal berths, and the stockpiles on the quays behind them
    visit     visits.py           tankers in port joined into port visits
    alert     visits.py           a new visit's alert, with its chip (outputs.py), and each event's

and leaves OUT/detections/<scene_id>.geojson (outputs.py) whatever it found.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

# the `name as name` imports are not used here: the CLI takes image_hull_filter from this module, and the throughput
# benchmark (benchmarks/throughput.py) looks the others up here (wrapping them here times nothing now: the stage
# modules call them from their own namespaces)
from tankerwatch.config import InferenceConfig
from tankerwatch.datasets.ports import Port, load_ports, port_at, port_id_at, port_of
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.scene import Scene, open_scene
from tankerwatch.datasets.scene import read_rgb as read_rgb
from tankerwatch.inference.appearance import AppearanceModel, load_appearance_model
from tankerwatch.inference.cascade import TileTriage
from tankerwatch.inference.classify import not_ship_limits, typed_ships
from tankerwatch.inference.classify import read_chip as read_chip
from tankerwatch.inference.coal import coal_observations, stockpile_readings
from tankerwatch.inference.detect import TileDetector, detect_scene
from tankerwatch.inference.detect import _tile_batches as _tile_batches
from tankerwatch.inference.floating import TilesWater, floating_hulls, tiles_water
from tankerwatch.inference.identify import identify_hulls
from tankerwatch.inference.inputs import SCENE_SUFFIXES as SCENE_SUFFIXES
from tankerwatch.inference.inputs import SceneInput, scene_sources
from tankerwatch.inference.inputs import find_scenes as find_scenes
from tankerwatch.inference.matching import assign_scene
from tankerwatch.inference.matching import identify as identify
from tankerwatch.inference.measure import measure_hulls, read_hulls
from tankerwatch.inference.measure import refine_box as refine_box
from tankerwatch.inference.measure import straightened_hull as straightened_hull
from tankerwatch.inference.measurement_error import ErrorModel, error_model_for
from tankerwatch.inference.merge import merge_boxes as merge_boxes
from tankerwatch.inference.outputs import chip_writer, write_detections
from tankerwatch.inference.review import ReviewMemory, review_memory
from tankerwatch.inference.stages import HullStages, load_stages
from tankerwatch.inference.stages import image_hull_filter as image_hull_filter
from tankerwatch.inference.sts import sts_events
from tankerwatch.inference.tiling import Tile, plan_tiles, port_aoi_px
from tankerwatch.inference.visits import AlertStore, SceneEvents, SceneManifest
from tankerwatch.io import file_fingerprint
from tankerwatch.schema import Detection, Identification, OrientedBox, TankerwatchError, Vessel

T = TypeVar("T")


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
    tiles_skipped: int = 0  # by the cascade (inference/cascade.py): land away from water, empty open water
    sts_pairs: int = 0
    coal_loading: int = 0
    seconds: float = 0.0  # wall time of the scene
    megapixels: float = 0.0  # of the scene (its native grid)
    reason: str = ""


@dataclass
class RunContext:
    """Everything the main job shares across scenes of a batch."""

    cfg: InferenceConfig
    detector: TileDetector  # a Detector or DetectorPool: anything with predict(tiles) and batch (tiles per call)
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
    progress: SceneProgress | None = None  # told of each scene's tiles as they are done (the CLI's bars)


class SceneProgress(Protocol):
    """What the main job tells a progress display within a scene."""

    def start_scene(self, scene_id: str, megapixels: float, tiles: int) -> None:
        """A scene's tiles are planned: megapixels of its native grid, tiles the detector will be offered."""

    def tiles_done(self, n: int) -> None:
        """n more of the scene's tiles are done (through the model or spared by the cascade)."""


def load_context(
    cfg: InferenceConfig,
    registry_path: Path,
    ports_path: Path,
    out_dir: Path,
    model_path: Path | None,
    device: str | None,
    full_scene: bool,
    acquired: datetime | None,
    force: bool,
    land_path: Path | None = None,
    water_path: Path | None = None,
    with_detector: bool = True,
) -> RunContext:
    """Load registry, ports, the detector and the stage models once for a batch (bad inputs fail before any scene);
    without the detector where the Ray engine's actors load their own."""
    from tankerwatch.models.detector import BUNDLED_WEIGHTS, load_detector

    registry = load_registry(registry_path)
    ports = load_ports(ports_path)
    if device:
        cfg.detect.device = device
    detector = load_detector(model_path, cfg.detect) if with_detector else cast(TileDetector, None)
    errors = error_model_for(Path(model_path) if model_path else BUNDLED_WEIGHTS, cfg.matching.error_model)
    appearance = (
        load_appearance_model(Path(cfg.matching.appearance_model) if cfg.matching.appearance_model else None)
        if cfg.matching.appearance
        else None
    )
    return RunContext(
        cfg,
        detector,
        registry,
        ports,
        Path(out_dir),
        full_scene,
        acquired,
        force,
        {p.id: p.name for p in ports},
        load_stages(cfg, land_path, water_path, cpu=not with_detector),  # the Ray engine's stage tasks are CPU tasks
        errors,
        appearance,
    )


def run_batch(
    scenes: Sequence[Path | SceneInput], ctx: RunContext, progress: Callable[[SceneResult], None] | None = None
) -> list[SceneResult]:
    """Process scenes one by one; a failing scene is recorded and the batch goes on."""
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with AlertStore(ctx.out_dir) as store:
        for path, source in scene_sources(scenes):
            res = guarded(path, store, process_scene, path, ctx, store, source)
            results.append(res)
            if progress:
                progress(res)
    return results


def guarded(path: Path, store: AlertStore, work: Callable[..., T], *args: Any) -> T | SceneResult:
    """work(*args) for the scene at path, or its failure recorded in the manifest: one bad scene never stops a batch."""
    try:
        return work(*args)
    except Exception as e:
        msg = failure_reason(path, e)
    store.mark_failed(Path(path).stem, str(path), msg)
    return SceneResult(Path(path), Path(path).stem, "failed", reason=msg)


def failure_reason(path: Path, e: Exception) -> str:
    """The one line a scene's failure is reported with: a TankerwatchError's own (it names the file), else the
    file, the exception's type and its first line."""
    if isinstance(e, TankerwatchError):
        return str(e)
    return f"{path}: {type(e).__name__}: {e}".splitlines()[0]  # an unexpected failure still must not stop the batch


class StageClock:
    """Wall-clock seconds per stage of one scene, for the manifest and the run's summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Time the block as (part of) stage."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add({stage: time.perf_counter() - t0})

    def add(self, seconds: dict[str, float]) -> None:
        """Add stage seconds timed elsewhere (another process of the Ray engine)."""
        for stage, s in seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + s


@dataclass
class OpenedScene:
    """A scene opened for the batch: its grid, its file's fingerprint, why it is redone, its stage clock."""

    path: Path
    scene: Scene
    fingerprint: str
    redo: str = ""  # why a scene the manifest has done is done again
    clock: StageClock = field(default_factory=StageClock)


@dataclass
class TiledScene:
    """A scene's tiles, the water mask over them and the cascade's triage of them."""

    tiles: list[Tile]
    water: TilesWater | None
    triage: TileTriage | None


@dataclass
class SceneFindings:
    """What the stages after the detector found in one scene, before anything is stored."""

    detections: list[Detection]
    idents: list[Identification]
    events: SceneEvents


def process_scene(path: Path, ctx: RunContext, store: AlertStore, source: SceneInput | None = None) -> SceneResult:
    """Detect, measure, identify and alert on one scene; raises TankerwatchError on bad input."""
    opened = open_for_batch(path, ctx, store, source)
    if isinstance(opened, SceneResult):
        return opened
    scene, clock = opened.scene, opened.clock
    tiled = tile_scene(scene, ctx, clock)
    if ctx.progress is not None:
        ctx.progress.start_scene(scene.scene_id, scene.width * scene.height / 1e6, len(tiled.tiles))
    # detect and merge: one box per hull, in native pixels
    with clock("detect"):
        on_tiles = ctx.progress.tiles_done if ctx.progress is not None else None
        boxes = detect_scene(scene, tiled.tiles, ctx.detector, ctx.cfg, tiled.triage, on_tiles) if tiled.tiles else []
    hand_back_freed_memory()
    findings = hull_stages(scene, boxes, tiled.water, ctx, review_memory(store.signature_rows()), clock)
    spared = tiled.triage.stats.skipped if tiled.triage else 0
    return record_findings(opened, findings, ctx, store, len(tiled.tiles), spared, tiled.water is not None)


def open_for_batch(
    path: Path, ctx: RunContext, store: AlertStore, source: SceneInput | None = None
) -> OpenedScene | SceneResult:
    """The scene's grid and fingerprint (read stage), or its skipped result where the manifest has it done."""
    clock = StageClock()
    # read: the scene's grid, georeferencing and stretch (each stage reads the pixels it needs)
    with clock("read"):
        scene = open_scene(path, ctx.acquired, source.item, source.rpc) if source else open_scene(path, ctx.acquired)
        fingerprint = file_fingerprint(path)
    entry = store.scene_entry(scene.scene_id)
    redo = ""
    if not ctx.force and entry is not None and entry["status"] == "done":
        if entry["fingerprint"] in (None, fingerprint):  # a store from before fingerprints: taken as unchanged
            return SceneResult(path, scene.scene_id, "skipped", reason="already processed (use --force to redo)")
        redo = "the file changed since it was done: redone"  # alert ids are stable, so nothing is alerted twice
    if scene.acquired is None:
        raise TankerwatchError(
            f"{path}: no acquisition time (give --acquired, a STAC sidecar {path.with_suffix('.json').name} "
            "or the TIFFTAG_DATETIME tag)"
        )
    return OpenedScene(path, scene, fingerprint, redo, clock)


def tile_scene(scene: Scene, ctx: RunContext, clock: StageClock) -> TiledScene:
    """The tiles over the ports in the scene (or all of it), the water mask over them, and the cascade's triage."""
    tiles = scene_tiles(scene, ctx)
    # water: the mask over the tiles, before the detector, so the cascade spares it tiles that cannot hold a hull
    with clock("water"):
        water = tiles_water(scene, tiles, ctx)
    triage = TileTriage(water.mask, scene.gsd_m, ctx.cfg.cascade) if water is not None else None
    hand_back_freed_memory()
    return TiledScene(tiles, water, triage)


def scene_tiles(scene: Scene, ctx: RunContext) -> list[Tile]:
    """The tiles over the ports in the scene, plus a margin (none: nothing to look at), or over the whole scene."""
    aoi = None if ctx.full_scene else port_aoi_px(scene, ctx.ports, ctx.cfg.detect.port_margin_m)
    return [] if (aoi is None and not ctx.full_scene) else plan_tiles(scene, ctx.cfg.detect, aoi)


def hand_back_freed_memory() -> None:
    """Return the heap's free pages to the OS (glibc's malloc_trim; elsewhere nothing): each stage's threads keep
    their own malloc arenas, and what one stage freed would otherwise stay counted under the next one's peak."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def hull_stages(
    scene: Scene,
    boxes: list[OrientedBox],
    water: TilesWater | None,
    ctx: RunContext,
    memory: ReviewMemory,
    clock: StageClock,
) -> SceneFindings:
    """From the detector's boxes to identified hulls and events: float, measure, classify, identify, events."""
    # float: the boxes on water, and the objects on the water no box covers (where switched on)
    boxes, objects = floating_hulls(scene, boxes, ctx, water)
    thresholds = not_ship_limits(ctx.cfg.stages, len(boxes), len(objects))
    typer = ctx.stages.typer if ctx.stages and ctx.cfg.stages.ship_type else None
    # measure: each hull refined on native pixels, in metres, and the port it lies in
    with clock("measure"):
        hulls = read_hulls(scene, boxes + objects, ctx.cfg.detect, chips=typer is not None, freeboard=ctx.cfg.freeboard)
        detections = measure_hulls(scene, hulls, ctx.cfg.detect.working_gsd_m)
    for d in detections:
        # visits are per port: a tanker moving from the anchorage to a berth is still the same visit
        area = port_at(ctx.ports, d.center_lon, d.center_lat)
        d.port_id, d.port_area = (port_of(area), area.id) if area else (None, None)
    # classify: the ship type from each hull's native chip; what is not a ship is dropped
    with clock("classify"):
        if typer is not None:
            detections = typed_ships(detections, [h.chip for h in hulls], typer, thresholds)
    for d in detections:
        if d.class_name != "tanker":  # the laden model is a tanker's: a hull typed otherwise keeps no load state
            d.freeboard_m = d.freeboard_sd_m = d.load_state = d.load_probabilities = None
    detections.sort(key=lambda d: (-d.confidence, d.center_lon, d.center_lat))
    # identify: each hull against the registry, then the scene's hulls jointly (a vessel is in one place)
    with clock("identify"):
        idents = assign_scene(identify_hulls(scene, detections, ctx, memory))
    # events: hulls side by side, at least one a tanker (in the port tiles, or anywhere with --full-scene); bulk
    # carriers at watched coal berths, and the stockpiles on those berths' quays
    with clock("events"):
        events = scene_events(scene, idents, ctx, water)
    return SceneFindings(detections, idents, events)


def record_findings(
    opened: OpenedScene,
    findings: SceneFindings,
    ctx: RunContext,
    store: AlertStore,
    tiles: int,
    tiles_spared: int,
    masked: bool,
) -> SceneResult:
    """Write the scene's detections; join its tankers into visits and alert new ones and its events (visit, alert)."""
    scene, clock = opened.scene, opened.clock
    write_detections(ctx.out_dir, scene.scene_id, findings.detections, findings.idents)
    outputs = {"detections": f"detections/{scene.scene_id}.geojson"}
    if masked and ctx.cfg.stages.write_mask:
        outputs["mask"] = f"masks/{scene.scene_id}.water.tif"
    manifest = SceneManifest(opened.fingerprint, outputs, clock.seconds)
    with clock("alert"):
        new = store.record_scene(
            scene.scene_id,
            str(opened.path),
            scene.acquired,
            findings.idents,
            ctx.cfg.matching,
            ctx.cfg.visits,
            chip_writer(scene, ctx.out_dir, ctx.cfg.visits.chip_margin_m),
            ctx.port_names,
            findings.events,
            manifest,
            ctx.cfg.coal.min_covered_share,
        )
    detections = findings.detections
    return SceneResult(
        opened.path,
        scene.scene_id,
        "done",
        detections=len(detections),
        tankers=sum(d.class_name == "tanker" for d in detections),
        new_alerts=len(new),
        tiles=tiles,
        tiles_skipped=tiles_spared,
        sts_pairs=len(findings.events.sts),
        coal_loading=len(findings.events.coal),
        reason=opened.redo,
        seconds=sum(clock.seconds.values()),
        megapixels=scene.width * scene.height / 1e6,
    )


def scene_events(scene: Scene, idents: list[Identification], ctx: RunContext, water: TilesWater | None) -> SceneEvents:
    """What the scene shows beyond port calls: STS pairs, coal_loading observations, stockpile readings."""
    by_hull = {id(i.detection): i for i in idents}
    coal_cfg = ctx.cfg.coal
    coal = coal_observations([i.detection for i in idents], ctx.ports, coal_cfg) if coal_cfg.enabled else []
    return SceneEvents(
        sts=sts_events(idents, ctx.cfg.sts, lambda lon, lat: port_id_at(ctx.ports, lon, lat)),
        coal=[(obs, by_hull[id(obs.detection)]) for obs in coal],
        stockpiles=stockpile_readings(scene, ctx.ports, coal_cfg, water.mask if water is not None else None),
    )
