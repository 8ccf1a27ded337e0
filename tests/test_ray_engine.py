"""The Ray engine (inference/ray_engine.py) against the local one, on a local Ray instance with a CPU actor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tankerwatch.config import bundled_path, load_inference_config
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.pipeline import load_context, run_batch

ray = pytest.importorskip("ray")

from tankerwatch.inference.ray_engine import run_batch_ray, start_ray  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for the module (each run_batch_ray leaves an instance it did not start running)."""
    started = start_ray("", local_cpus=2, object_store_mb=300)
    yield
    if started:
        ray.shutdown()


def scenes(scene_factory) -> list[Path]:
    """Two Vostochny scenes with registry tankers and other ships; between them a file that is no raster, and
    one cut short (its TIFF directory, at the end, is gone)."""
    registry = load_registry(bundled_path("registry.csv"))
    tankers = [v for v in registry if v.length_m and "tanker" in v.vessel_type.lower()][:2]
    out = []
    for k, v in enumerate(tankers):
        ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 300.0, 300.0, 40.0 + 50 * k, imo=v.imo, name=v.name)
        out.append(
            scene_factory(
                f"vos_ray_{k}", width_m=600.0, height_m=600.0, gsd_m=0.5, ships=[ship], n_tankers=0, n_others=2, seed=k
            )
        )
    bad = out[0].with_name("broken.tif")
    bad.write_bytes(b"not a GeoTIFF")
    cut = out[0].with_name("cut_short.tif")
    data = out[0].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return [out[0], bad, cut, out[1]]


class TileCounts:
    """A progress display (pipeline.SceneProgress) that keeps what it is told."""

    def __init__(self) -> None:
        self.started: list[tuple[str, float, int]] = []
        self.done = 0

    def start_scene(self, scene_id: str, megapixels: float, tiles: int) -> None:
        self.started.append((scene_id, megapixels, tiles))

    def tiles_done(self, n: int) -> None:
        self.done += n


def run(paths: list[Path], out: Path, engine: str, progress: TileCounts | None = None):
    """The main job over paths into out on one engine, as `tankerwatch run --engine` runs it."""
    cfg = load_inference_config()
    ctx = load_context(
        cfg,
        bundled_path("registry.csv"),
        bundled_path("ports.geojson"),
        out,
        None,
        None,
        False,
        None,
        False,
        with_detector=engine == "local",
    )
    ctx.progress = progress
    return run_batch(paths, ctx) if engine == "local" else run_batch_ray(paths, ctx, None)


def detections(out: Path, scene_id: str) -> list[dict]:
    """A scene's detection properties, without the file paths."""
    feats = json.loads((out / "detections" / f"{scene_id}.geojson").read_text())["features"]
    return [{k: v for k, v in f["properties"].items() if "chip" not in k} for f in feats]


@pytest.mark.slow
def test_ray_engine_gives_the_local_detections_alerts_and_failures(local_ray, scene_factory, tmp_path):
    paths = scenes(scene_factory)
    local = run(paths, tmp_path / "local", "local")
    bar = TileCounts()
    remote = run(paths, tmp_path / "ray", "ray", bar)
    # one tiles bar over the scenes in flight (the two bad files never opened), and every planned tile counted off
    ((label, _, planned),) = bar.started
    assert label == "2 scenes" and bar.done == planned == sum(r.tiles for r in remote) > 0
    assert os.environ["RAY_USAGE_STATS_ENABLED"] == "0"  # set before Ray started: no usage report leaves the host
    assert [r.status for r in remote] == [r.status for r in local] == ["done", "failed", "failed", "done"]
    assert remote[1].reason == local[1].reason and "broken.tif" in remote[1].reason
    assert remote[2].reason == local[2].reason and "cut_short.tif" in remote[2].reason
    for r in local:
        if r.status == "done":
            assert detections(tmp_path / "ray", r.scene_id) == detections(tmp_path / "local", r.scene_id)
            assert detections(tmp_path / "local", r.scene_id), "the scene must hold something to compare"
    assert [(r.tiles, r.tiles_skipped, r.detections, r.new_alerts) for r in remote] == [
        (r.tiles, r.tiles_skipped, r.detections, r.new_alerts) for r in local
    ]
    alerts = [
        sorted(json.loads(line)["alert_id"] for line in (tmp_path / d / "alerts.jsonl").read_text().splitlines())
        for d in ("local", "ray")
    ]
    assert alerts[0] == alerts[1] and alerts[0]


@pytest.mark.slow
def test_run_engine_ray_from_the_cli_and_a_rerun_skips_what_its_manifest_has_done(local_ray, scene_factory, tmp_path):
    from click.testing import CliRunner

    from tankerwatch.cli import main

    paths = scenes(scene_factory)
    args = ["run", *map(str, paths), "--out", str(tmp_path / "ray"), "--engine", "ray"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1, first.output  # the broken file failed, the batch went on
    assert "broken.tif" in first.output and "2 scene(s) done, 0 skipped, 2 failed" in first.output
    alerts = (tmp_path / "ray" / "alerts.jsonl").read_text().splitlines()
    again = CliRunner().invoke(main, args)
    assert "0 scene(s) done, 2 skipped, 2 failed; 0 new alert(s)" in again.output, again.output
    assert (tmp_path / "ray" / "alerts.jsonl").read_text().splitlines() == alerts and alerts


def test_a_broken_stream_fails_its_scenes_in_one_line_each_and_the_batch_returns(
    local_ray, scene_factory, tmp_path, monkeypatch
):
    from tankerwatch.inference import ray_engine
    from tankerwatch.inference.visits import AlertStore

    def broken(*_):
        raise RuntimeError("the actor died\nand a long traceback")
        yield  # a generator, as the stream is

    monkeypatch.setattr(ray_engine, "_detected_rows", broken)
    paths = scenes(scene_factory)
    results = run(paths, tmp_path / "ray", "ray")
    assert [r.status for r in results] == ["failed"] * 4
    assert results[0].reason == f"{paths[0]}: the Ray engine stopped: RuntimeError: the actor died"
    with AlertStore(tmp_path / "ray") as store:
        assert sorted(e["status"] for e in store.manifest()) == ["failed"] * 4


def test_bad_weights_are_refused_before_ray_starts(tmp_path):
    from tankerwatch.schema import TankerwatchError

    cfg = load_inference_config()
    ctx = load_context(
        cfg,
        bundled_path("registry.csv"),
        bundled_path("ports.geojson"),
        tmp_path,
        None,
        None,
        False,
        None,
        False,
        with_detector=False,
    )
    with pytest.raises(TankerwatchError, match="missing.pt: model weights not found"):
        run_batch_ray([tmp_path / "a.tif"], ctx, tmp_path / "missing.pt")
