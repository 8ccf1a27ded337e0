"""The main job on Ray Data: many scenes in flight, on one host or on a cluster.

The local engine (pipeline.run_batch) takes one scene at a time through its stages. The Ray engine runs the
same stage functions, but as a stream over the whole batch, so that while one scene's tiles are in the model
the next scene is being tiled and the last one measured:

    driver        open each scene and check the manifest                pipeline.open_for_batch
    CPU tasks     tile a scene, make its water mask, read its tiles     pipeline.tile_scene, detect.to_model
                  and triage them (one row per tile the model must see)
    actors        the detector, one per GPU (or on CPUs), on batches    models/detector.py
                  of tiles from any scene
    driver        a scene's tile boxes merged once all its tiles are in detect.scene_boxes
    CPU tasks     float, measure, classify, identify, events            pipeline.hull_stages
    driver        detections written, visits and alerts recorded,       pipeline.record_findings
                  scene by scene in the batch's order

Because every step is the local engine's function, the same scenes give the same detections and alerts; only
where they run differs. The store (OUT/tankerwatch.sqlite: manifest, visits, alerts) stays with the driver, and
scenes are recorded in the order they were given, so visits join as they would locally. The analysts' decisions
the identification uses are read once when the batch starts.

On a cluster every host must see the scenes and OUT at the same paths (a shared file system or mounted bucket),
and have tankerwatch and its models installed; `ray.address` (or --ray-address) names the cluster, and without
one a local instance starts on this host for the batch. Ray's usage statistics are switched off before Ray
starts, and nothing is downloaded.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from tankerwatch.inference.detect import TileDetector, read_tile, scene_boxes, to_model
from tankerwatch.inference.floating import TilesWater
from tankerwatch.inference.inputs import SceneInput, scene_sources
from tankerwatch.inference.pipeline import (
    OpenedScene,
    RunContext,
    SceneFindings,
    SceneResult,
    StageClock,
    failure_reason,
    guarded,
    hull_stages,
    open_for_batch,
    record_findings,
    scene_tiles,
    tile_scene,
)
from tankerwatch.inference.review import ReviewMemory, review_memory
from tankerwatch.inference.tiling import Tile
from tankerwatch.inference.visits import AlertStore
from tankerwatch.schema import OrientedBox, TankerwatchError

META = -1  # the tile index of a scene's closing row: its tiling, water mask, triage counts, or its failure


@dataclass
class TilingReport:
    """What a tiling task tells the driver about its scene, after its tile rows."""

    to_model: int = 0  # tiles sent on to the detector
    spared: int = 0  # by the cascade
    water: TilesWater | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    error: str = ""


@dataclass
class _InFlight:
    """A scene between its tiling and its record."""

    opened: OpenedScene
    tiles: list[Tile] = field(default_factory=list)  # as its tiling task plans them (the same function)
    report: TilingReport | None = None
    found: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (tile index, detector rows)
    hulls: Any = None  # the ObjectRef of its hull-stage task, once submitted
    result: SceneResult | None = None


def start_ray(address: str, local_cpus: int = 0, object_store_mb: int = 0) -> bool:
    """Connect to the Ray cluster at address, or start a local instance; True where this call started Ray."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before Ray is imported: no usage report is ever sent
    try:
        import ray
    except ImportError:
        raise TankerwatchError("--engine ray needs Ray: pip install 'tankerwatch[ray]'") from None
    import logging

    if ray.is_initialized():
        return False
    env = {k: os.environ[k] for k in ("TANKERWATCH_HOME", "RAY_USAGE_STATS_ENABLED") if k in os.environ}
    # the workers' own logs stay in Ray's session folder: a scene's failure comes back as its result
    kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "log_to_driver": False}
    kwargs["logging_level"] = logging.ERROR  # Ray's notices would break the CLI's bars; failures come back per scene
    if address:
        kwargs["address"] = address
    else:
        kwargs["include_dashboard"] = False
        kwargs["num_cpus"] = local_cpus or os.cpu_count() or 1
        if object_store_mb:
            kwargs["object_store_memory"] = object_store_mb * 2**20
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise TankerwatchError(f"Ray cluster {address or '(local)'}: {str(e).splitlines()[0]}") from None
    from ray.data import DataContext

    data = DataContext.get_current()
    data.enable_progress_bars = False  # the CLI's bars show the batch
    data.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return True


def run_batch_ray(
    scenes: Sequence[Path | SceneInput],
    ctx: RunContext,
    model_path: Path | None,
    progress: Callable[[SceneResult], None] | None = None,
) -> list[SceneResult]:
    """The main job over scenes on Ray Data; results in the scenes' order, as run_batch gives them."""
    import ray

    from tankerwatch.models.detector import BUNDLED_WEIGHTS, verify_sha256

    verify_sha256(model_path or BUNDLED_WEIGHTS)  # here, in one line, rather than in every actor
    started = start_ray(ctx.cfg.ray.address, ctx.cfg.ray.local_cpus, ctx.cfg.ray.object_store_mb)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with AlertStore(ctx.out_dir) as store:
            return _stream(scenes, ctx, model_path, store, progress)
    finally:
        if started:
            ray.shutdown()


def _stream(
    scenes: Sequence[Path | SceneInput],
    ctx: RunContext,
    model_path: Path | None,
    store: AlertStore,
    progress: Callable[[SceneResult], None] | None,
) -> list[SceneResult]:
    """Open every scene here, stream the ones to do through tiling and the detector, record them in order."""
    import ray

    order: list[_InFlight | SceneResult] = []
    for path, source in scene_sources(scenes):
        opened = guarded(path, store, open_for_batch, path, ctx, store, source)
        order.append(opened if isinstance(opened, SceneResult) else _InFlight(opened))
    flights = {k: f for k, f in enumerate(order) if isinstance(f, _InFlight)}
    for f in flights.values():  # planned here too: cheap, and the rows come back as indices into it
        f.tiles = scene_tiles(f.opened.scene, ctx)
    if ctx.progress is not None:  # one tiles bar over the batch: its scenes are in flight together
        megapixels = sum(f.opened.scene.width * f.opened.scene.height for f in flights.values()) / 1e6
        ctx.progress.start_scene(f"{len(flights)} scenes", megapixels, sum(len(f.tiles) for f in flights.values()))
    worker = ray.put(WorkerContext.of(ctx))
    memory = ray.put(review_memory(store.signature_rows()))
    hull_task = ray.remote(_hull_task)
    results: list[SceneResult] = []

    def record_ready(block: bool) -> None:
        """Record, in the batch's order, every scene whose turn has come and whose stages are done."""
        while len(results) < len(order):
            k = len(results)
            item = order[k]
            if isinstance(item, _InFlight):
                if item.result is None:
                    if item.hulls is None or not (block or ray.wait([item.hulls], timeout=0)[0]):
                        return
                    item.result = _record(item, _hull_result(item), ctx, store)
                res = item.result
            else:
                res = item
            results.append(res)
            if progress:
                progress(res)

    stopped = ""
    try:
        _consume(
            _detected_rows(flights, ctx, worker, model_path),
            flights,
            ctx,
            store,
            hull_task,
            worker,
            memory,
            lambda: record_ready(block=False),
        )
    except Exception as e:  # the stream itself broke (an actor died, the cluster went away): its scenes fail
        stopped = f"the Ray engine stopped: {type(e).__name__}: {e}".splitlines()[0]
    for flight in flights.values():
        if flight.result is None and flight.hulls is None:
            why = stopped or "its tiles never came back from the Ray engine"
            flight.result = guarded(flight.opened.path, store, _raise, f"{flight.opened.path}: {why}")
    record_ready(block=True)
    return results


def _consume(
    rows: Iterator[tuple[int, tuple[int, np.ndarray] | None]],
    flights: dict[int, _InFlight],
    ctx: RunContext,
    store: AlertStore,
    hull_task: Any,
    worker: Any,
    memory: Any,
    record_ready: Callable[[], None],
) -> None:
    """Take the stream's rows into their scenes; a scene whose tiles are all in goes on to its hull-stage task."""
    progress = ctx.progress
    for key, rows_in in rows:
        flight = flights[key]
        if rows_in is None:
            report = flight.report
            assert report is not None
            if report.error:
                flight.result = guarded(flight.opened.path, store, _raise, report.error)
            if progress is not None:  # the tiles the model never saw (spared, all nodata, or the scene failed)
                progress.tiles_done(len(flight.tiles) - (0 if report.error else report.to_model))
        else:
            flight.found.append(rows_in)
            if progress is not None:
                progress.tiles_done(1)
        report = flight.report
        if report is not None and not report.error and len(flight.found) == report.to_model and flight.hulls is None:
            boxes = scene_boxes(
                flight.opened.scene, [(flight.tiles[i], r) for i, r in flight.found], ctx.cfg.detect.iou_threshold
            )
            flight.hulls = hull_task.remote(worker, flight.opened.scene, boxes, report.water, memory)
        record_ready()


def _detected_rows(
    flights: dict[int, _InFlight], ctx: RunContext, worker: Any, model_path: Path | None
) -> Iterator[tuple[int, tuple[int, np.ndarray] | None]]:
    """The stream's rows as (scene key, (tile index, detector rows)), or (scene key, None) once its TilingReport
    is in flights[key].report: tiling tasks feed detector actors, and rows come back as they are done."""
    import ray

    from tankerwatch.models.detector import batch_for

    if not flights:
        return
    cfg = ctx.cfg
    gpus = ray.cluster_resources().get("GPU", 0) if cfg.detect.device not in ("cpu", "") else 0
    actors = cfg.ray.actors or (int(gpus) if gpus else 1)
    items = [{"key": k, "scene": pickle.dumps(f.opened.scene)} for k, f in flights.items()]
    # one block per scene, so that scenes are tiled in parallel; Ray Data's stubs type flat_map fns without kwargs
    ds: Any = ray.data.from_items(items, override_num_blocks=len(items))
    ds = ds.flat_map(_tile_rows, fn_kwargs={"worker": worker})
    ds = ds.map_batches(
        _DetectorActor,
        fn_constructor_args=(model_path, cfg.detect, bool(gpus)),
        batch_size=batch_for(cfg.detect, "0" if gpus else "cpu"),
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if gpus else 0,
        num_cpus=cfg.ray.cpus_per_actor,
    )
    for row in ds.iter_rows():
        key, tile = int(row["key"]), int(row["tile"])
        if tile == META:
            flights[key].report = pickle.loads(row["meta"])
            yield key, None
        else:
            yield key, (tile, pickle.loads(row["rows"]))


@dataclass(frozen=True)
class WorkerContext:
    """The batch's run context as the tasks get it: pickled once on the driver (without its detector and progress
    bars), unpickled once per worker process, where the stage models are compiled again."""

    batch_id: str
    blob: bytes

    @classmethod
    def of(cls, ctx: RunContext) -> WorkerContext:
        """ctx pickled for the workers, under a new batch id."""
        light = replace(ctx, detector=cast(TileDetector, None), progress=None)
        return cls(uuid.uuid4().hex, pickle.dumps(light))

    def get(self) -> RunContext:
        """The context, unpickled in this process at its first task of the batch."""
        if _UNPICKLED.get("batch_id") != self.batch_id:
            _UNPICKLED.clear()
            _UNPICKLED.update(batch_id=self.batch_id, ctx=pickle.loads(self.blob))
        return cast(RunContext, _UNPICKLED["ctx"])


# a Ray worker process runs many tasks of a batch; unpickling the context (and compiling its models) for each would
# cost more than some tasks do, so each process keeps the one batch's context it last unpickled
_UNPICKLED: dict[str, Any] = {}


def _tile_rows(item: dict[str, Any], worker: Any) -> Iterator[dict[str, Any]]:
    """A scene's tiles the model must see, one row each (key, tile, image), then its TilingReport row."""
    import ray

    from tankerwatch.datasets.scene import scene_reader

    ctx = ray.get(worker).get()
    scene = pickle.loads(item["scene"])
    blank = np.zeros((ctx.cfg.detect.tile_px, ctx.cfg.detect.tile_px, 3), np.uint8)
    report = TilingReport()
    clock = StageClock()
    try:
        tiled = tile_scene(scene, ctx, clock)
        report.water = tiled.water
        gsd, tile_px = ctx.cfg.detect.working_gsd_m, ctx.cfg.detect.tile_px
        with scene_reader(scene) as src:
            for i, t in enumerate(tiled.tiles):
                with clock("detect"):  # reading and triage: the local engine times them with the model
                    keep = to_model([t], [read_tile(src, scene, t, tile_px)], tiled.triage, gsd)
                for _, image in keep:
                    report.to_model += 1
                    yield {"key": item["key"], "tile": i, "image": image, "meta": b""}
        report.spared = tiled.triage.stats.skipped if tiled.triage else 0
    except Exception as e:  # the scene fails, the stream goes on
        report = TilingReport(error=failure_reason(scene.path, e))
    report.seconds = clock.seconds
    yield {"key": item["key"], "tile": META, "image": blank, "meta": pickle.dumps(report)}


class _DetectorActor:
    """The detector, loaded once per actor, over batches of tile rows from any scene."""

    def __init__(self, model_path: Path | None, detect_cfg: Any, on_gpu: bool) -> None:
        from tankerwatch.models.detector import load_detector

        # Ray shows an actor only the GPU it reserved, as device 0
        self.detector = load_detector(model_path, detect_cfg, "0" if on_gpu else None)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per row: its key and tile, and the detector's rows pickled (a scene's closing row passes through)."""
        tiles = [int(t) for t in batch["tile"]]
        todo = [i for i, t in enumerate(tiles) if t != META]
        predicted = dict(zip(todo, self.detector.predict([batch["image"][i] for i in todo]), strict=True))
        return {
            "key": batch["key"],
            "tile": batch["tile"],
            "rows": np.array([pickle.dumps(predicted.get(i)) for i in range(len(tiles))], dtype=object),
            "meta": batch["meta"],
        }


def _hull_task(
    worker: WorkerContext, scene: Any, boxes: list[OrientedBox], water: TilesWater | None, memory: ReviewMemory
) -> tuple[SceneFindings | None, dict[str, float], str]:
    """pipeline.hull_stages in a Ray task: (findings, stage seconds, '') or (None, seconds, why it failed)."""
    clock = StageClock()
    try:
        return hull_stages(scene, boxes, water, worker.get(), memory, clock), clock.seconds, ""
    except Exception as e:  # surfaced on the driver as the scene's failure
        return None, clock.seconds, failure_reason(scene.path, e)


def _hull_result(flight: _InFlight) -> tuple[SceneFindings | None, dict[str, float], str]:
    """What a scene's hull-stage task returned, or its failure where the task itself died (its worker lost)."""
    import ray

    try:
        return cast(tuple[SceneFindings | None, dict[str, float], str], ray.get(flight.hulls))
    except Exception as e:
        return None, {}, f"{flight.opened.path}: its hull-stage task failed: {type(e).__name__}: {e}".splitlines()[0]


def _record(
    flight: _InFlight, done: tuple[SceneFindings | None, dict[str, float], str], ctx: RunContext, store: AlertStore
) -> SceneResult:
    """Record a scene whose stages ran elsewhere, with their seconds on its clock; or its failure."""
    findings, seconds, error = done
    report = flight.report
    assert report is not None
    flight.opened.clock.add(report.seconds)
    flight.opened.clock.add(seconds)
    path = flight.opened.path
    if findings is None:
        return guarded(path, store, _raise, error)
    return guarded(
        path,
        store,
        record_findings,
        flight.opened,
        findings,
        ctx,
        store,
        len(flight.tiles),
        report.spared,
        report.water is not None,
    )


def _raise(reason: str) -> SceneResult:
    """Raise a failure that happened in another process, as the scene's failure."""
    raise TankerwatchError(reason)
