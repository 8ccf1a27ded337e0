"""What the commands share: the error-handling group, progress bars, bundled paths, the run options, the main job."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tankerwatch.schema import TankerwatchError

if TYPE_CHECKING:
    from tankerwatch.inference.pipeline import SceneResult

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """A command group that turns TankerwatchError into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TankerwatchError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)


def _progress(total: int, label: str) -> Any:
    """A tqdm progress bar on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="scene", file=sys.stderr, dynamic_ncols=True)


def _bundled(name: str) -> Path:
    """Path of a file in configs/."""
    from tankerwatch.config import bundled_path

    return bundled_path(name)


def _parse_acquired(value: str | None) -> datetime | None:
    """--acquired as a UTC datetime."""
    if value is None:
        return None
    from tankerwatch.datasets.scene import parse_time

    return parse_time(value, "--acquired")


def _run_main_job(
    scenes: Sequence[Path],
    registry: Path,
    ports: Path,
    out_dir: Path,
    full_scene: bool,
    model: Path | None,
    device: str | None,
    acquired: str | None,
    config: Path | None,
    overrides: tuple[str, ...],
    force: bool,
    land: Path | None = None,
    water: Path | None = None,
    recursive: bool = False,
    rpc_height_m: float | None = None,
    dem: Path | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> list[SceneResult]:
    """Run the main job over scenes (files, folders, globs, STAC files: inference/inputs.py) on the local or the
    Ray engine, printing one line per scene under progress bars; returns the results."""
    from tankerwatch.config import load_inference_config, parse_overrides
    from tankerwatch.datasets.scene import RPC_HEIGHT_M, RpcOrtho
    from tankerwatch.inference.pipeline import find_scenes, load_context, run_batch

    cfg = load_inference_config(config, parse_overrides(overrides))
    if ray_address is not None:
        cfg.ray.address = ray_address
    rpc = RpcOrtho(RPC_HEIGHT_M if rpc_height_m is None else rpc_height_m, dem)
    paths = find_scenes(list(scenes), recursive, rpc, warn=lambda m: click.echo(f"warning: {m}", err=True))
    if not paths:
        raise TankerwatchError(f"no scenes found in {', '.join(map(str, scenes))} (every STAC Item was skipped)")
    ctx = load_context(
        cfg,
        registry,
        ports,
        out_dir,
        model,
        device,
        full_scene,
        _parse_acquired(acquired),
        force,
        land,
        water,
        with_detector=engine == "local",  # the Ray engine's actors load their own
    )
    bars = _BatchBars(len(paths))
    ctx.progress = bars
    try:
        if engine == "ray":
            from tankerwatch.inference.ray_engine import run_batch_ray

            return run_batch_ray(paths, ctx, model, bars.scene_done)
        return run_batch(paths, ctx, bars.scene_done)
    finally:
        bars.close()


class _BatchBars:
    """Two progress bars on stderr: scenes of the batch (with MP/s and ETA), and the tiles of the scene in hand."""

    def __init__(self, scenes: int) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self.scenes = tqdm(total=scenes, desc="scenes", unit="scene", file=sys.stderr, dynamic_ncols=True)
        self.tiles: Any = None
        self.tiles_of = ""  # the scene the tiles bar counts (the Ray engine's counts every scene in flight)
        self.megapixels = self.seconds = 0.0

    def start_scene(self, scene_id: str, megapixels: float, tiles: int) -> None:
        """A bar over the scene's tiles (left off the screen when done)."""
        self._close_tiles()
        self.tiles_of = scene_id
        self.tiles = self._tqdm(
            total=tiles,
            desc=f"  {scene_id} ({megapixels:,.0f} MP)",
            unit="tile",
            leave=False,
            file=sys.stderr,
            dynamic_ncols=True,
            position=1,
        )

    def tiles_done(self, n: int) -> None:
        """n more tiles of the scene done."""
        if self.tiles is not None:
            self.tiles.update(n)

    def scene_done(self, res: SceneResult) -> None:
        """One line per scene, and the batch bar moved on with the throughput so far."""
        if res.scene_id == self.tiles_of:
            self._close_tiles()
        tqdm = self._tqdm
        self.scenes.update(1)
        if res.status == "failed":
            tqdm.write(f"FAILED {res.reason}", file=sys.stderr)
        elif res.status == "skipped":
            tqdm.write(f"skipped {res.path}: {res.reason}", file=sys.stderr)
        else:
            self.megapixels += res.megapixels
            self.seconds += res.seconds
            extra = (f", {res.sts_pairs} STS pair(s)" if res.sts_pairs else "") + (
                f", {res.coal_loading} coal loading" if res.coal_loading else ""
            )
            tqdm.write(
                f"done   {res.path}: {res.detections} ships ({res.tankers} tankers){extra}, "
                f"{res.new_alerts} new alert(s), {res.tiles} tiles ({res.tiles_skipped} spared), "
                f"{res.megapixels:,.0f} MP in {res.seconds:.1f} s" + (f"; {res.reason}" if res.reason else ""),
                file=sys.stderr,
            )
            self.scenes.set_postfix_str(f"{self.megapixels / max(self.seconds, 1e-9):.1f} MP/s")

    def _close_tiles(self) -> None:
        if self.tiles is not None:
            self.tiles.close()
            self.tiles = None

    def close(self) -> None:
        """Close both bars."""
        self._close_tiles()
        self.scenes.close()


_RUN_OPTIONS = [
    click.option(
        "--registry",
        type=click.Path(path_type=Path),
        default=None,
        help="Registry CSV (default: the bundled configs/registry.csv).",
    ),
    click.option(
        "--ports",
        type=click.Path(path_type=Path),
        default=None,
        help="Ports GeoJSON (default: the bundled configs/ports.geojson).",
    ),
    click.option(
        "--model",
        type=click.Path(path_type=Path),
        default=None,
        help="Weights .pt with a .sha256 beside it (default: the bundled model).",
    ),
    click.option("--device", default=None, help="cpu, cuda, 0 or 0,1 (default: from the config)."),
    click.option(
        "--config",
        type=click.Path(path_type=Path),
        default=None,
        help="Inference YAML (default: configs/inference.yaml).",
    ),
    click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="SECTION.KEY=VALUE",
        help="Override one config value, e.g. --set detect.conf_threshold=0.4 (repeatable).",
    ),
]


def _with_run_options(f: F) -> F:
    """Attach the options shared by run and demo."""
    for opt in reversed(_RUN_OPTIONS):
        f = opt(f)
    return f
