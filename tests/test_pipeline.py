"""The main job end to end: detections file, alerts, idempotent re-runs, bad scenes in a batch."""

from __future__ import annotations

import json
import math
import socket

import numpy as np
import pytest

from tankerwatch.config import bundled_path, load_inference_config
from tankerwatch.datasets.builder import MIN_VISIBLE_FRACTION, load_truth
from tankerwatch.datasets.ports import load_ports
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference import pipeline
from tankerwatch.inference.measure import box_from_corners
from tankerwatch.inference.pipeline import RunContext, run_batch
from tankerwatch.schema import SHIP_CLASSES, OrientedBox
from tests.conftest import NetworkBlocked


def registry_tanker(registry, index=0):
    """A registry tanker with known dimensions."""
    return [v for v in registry if v.length_m and "tanker" in v.vessel_type.lower()][index]


def truth_boxes(scene) -> list[OrientedBox]:
    """The scene's truth hulls as detector output would give them (a perfect detector)."""
    return [box_from_corners(b.corners_px, 0.9, b.class_name) for b in load_truth(scene)]


@pytest.fixture
def perfect_detector(monkeypatch):
    """Replace the detector stage with the scene's ground truth (tests everything after detection)."""
    monkeypatch.setattr(pipeline, "detect_scene", lambda scene, tiles, detector, cfg, *_: truth_boxes(scene))


@pytest.fixture
def context(tmp_path):
    cfg = load_inference_config()
    registry = load_registry(bundled_path("registry.csv"))
    ports = load_ports(bundled_path("ports.geojson"))
    return RunContext(cfg, None, registry, ports, tmp_path / "out", port_names={p.id: p.name for p in ports})


def test_registry_tanker_in_port_gives_one_alert_and_rerun_adds_none(scene_factory, context, perfect_detector):
    v = registry_tanker(context.registry)
    ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 200.0, 200.0, 75.0, imo=v.imo, name=v.name)
    tif = scene_factory("vos_a", gsd_m=0.5, land=False, ships=[ship], n_tankers=0, n_others=1)
    (res,) = run_batch([tif], context)
    assert res.status == "done" and res.new_alerts == 1

    det = json.loads((context.out_dir / "detections" / "vos_a.geojson").read_text())
    assert det["type"] == "FeatureCollection" and len(det["features"]) == 2
    tanker = next(f for f in det["features"] if f["properties"]["class"] == "tanker")
    optional = {"heading_confidence", "freeboard_m", "freeboard_sd_m", "load_state", "load_probabilities"}
    assert set(tanker["properties"]) - optional == {
        "class",
        "confidence",
        "length_m",
        "beam_m",
        "heading_deg",
        "heading_ambiguous",
        "center_lon",
        "center_lat",
        "scene_id",
        "acquired",
        "port_id",
        "port_area",
        "gsd_m",
        "candidates",
    }
    assert tanker["properties"]["candidates"][0]["imo"] == v.imo
    assert tanker["properties"]["port_id"] == tanker["properties"]["port_area"] == "RU-VOS"
    assert tanker["properties"]["length_m"] == pytest.approx(v.length_m, abs=0.5)
    ring = tanker["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5

    lines = (context.out_dir / "alerts.jsonl").read_text().splitlines()
    alert = json.loads(lines[0])
    assert len(lines) == 1 and alert["candidates"][0]["imo"] == v.imo and alert["port_id"] == "RU-VOS"
    assert (context.out_dir / alert["chip"]).exists()

    before = (context.out_dir / "alerts.jsonl").read_bytes()
    (again,) = run_batch([tif], context)
    assert again.status == "skipped"
    context.force = True
    (forced,) = run_batch([tif], context)
    assert forced.status == "done" and forced.new_alerts == 0
    assert (context.out_dir / "alerts.jsonl").read_bytes() == before


def test_a_tanker_cut_by_the_scene_edge_is_detected_but_not_named(scene_factory, context, perfect_detector):
    # its visible length is only a lower bound: matching it by size would name a shorter registry vessel
    v = registry_tanker(context.registry)
    ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 20.0, 200.0, 90.0, imo=v.imo, name=v.name)
    tif = scene_factory("vos_edge", gsd_m=0.5, land=False, ships=[ship], n_tankers=0, n_others=0)
    (res,) = run_batch([tif], context)
    assert res.status == "done" and res.detections == 1 and res.new_alerts == 0


def test_bad_scene_fails_alone_and_the_batch_goes_on(scene_factory, context, perfect_detector, tmp_path):
    good = scene_factory("good", land=False, n_tankers=1, n_others=0)
    bad = tmp_path / "scenes" / "corrupt.tif"
    bad.write_bytes(b"not a tiff at all")
    results = run_batch([bad, good], context)
    assert [r.status for r in results] == ["failed", "done"]
    assert "corrupt.tif" in results[0].reason and "\n" not in results[0].reason
    assert (context.out_dir / "detections" / "good.geojson").exists()


def test_network_is_blocked_in_tests():
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


class TileTruthDetector:
    """A perfect detector that sees only its tile, as the model was trained to (datasets/builder.py): a hull
    cut by the tile edge is found when at least half of it shows, boxed by the least rectangle around the
    visible part. Tiles come in plan order."""

    batch = 4

    def __init__(self, scene, tiles) -> None:
        from tankerwatch.inference.merge import box_polygon

        self.hulls = [(box_polygon(b), SHIP_CLASSES.index(b.class_name)) for b in truth_boxes(scene)]
        self.tiles = iter(tiles)

    def predict(self, images: list[np.ndarray]) -> list[np.ndarray]:
        import cv2
        from shapely.geometry import box

        out = []
        for _ in images:
            t = next(self.tiles)
            w = t.window
            frame = box(w.col_off, w.row_off, w.col_off + w.width, w.row_off + w.height)
            rows = []
            for hull, cls in self.hulls:
                seen = hull.intersection(frame)
                if seen.area < MIN_VISIBLE_FRACTION * hull.area:
                    continue
                (cx, cy), (bw, bh), deg = cv2.minAreaRect(np.asarray(seen.exterior.coords, np.float32))
                rows.append(
                    [
                        (cx - w.col_off) / t.scale_x,
                        (cy - w.row_off) / t.scale_y,
                        bw / t.scale_x,
                        bh / t.scale_y,
                        math.radians(deg),
                        0.9,
                        cls,
                    ]
                )
            out.append(np.asarray(rows, np.float32).reshape(-1, 7))
        return out


def hulls_in_tiles(tif, tile_px: int, overlap_m: float) -> tuple[list[OrientedBox], int]:
    """The scene's hulls as the main job measures them (merged across tiles, refined on native pixels) when
    it is read in tiles of tile_px working pixels by TileTruthDetector; and the number of tiles."""
    from tankerwatch.datasets.scene import open_scene
    from tankerwatch.inference.tiling import plan_tiles

    cfg = load_inference_config()
    cfg.detect.tile_px, cfg.detect.overlap_m = tile_px, overlap_m
    scene = open_scene(tif)
    tiles = plan_tiles(scene, cfg.detect)
    boxes = pipeline.detect_scene(scene, tiles, TileTruthDetector(scene, tiles), cfg)
    return [h.box for h in pipeline.read_hulls(scene, boxes, cfg.detect)], len(tiles)


@pytest.mark.parametrize("centre_m", [336.0, 250.0], ids=["both-pieces-seen", "one-piece-seen"])
def test_a_ship_cut_by_a_tile_edge_is_measured_whole(scene_factory, centre_m):
    # two 384 m tiles overlapping by 96 m (x 288-384); a 280 m tanker crosses the overlap, so no tile holds it
    # whole. Centred on the overlap both tiles see two thirds of it (pieces joined); west of it the east
    # tile sees only a third, which the model is not trained to box (the piece seen is re-measured).
    ship = ShipSpec("crude_tanker", 280.0, 46.0, centre_m, 192.0, 85.0)
    tif = scene_factory(
        "seam", width_m=672.0, height_m=384.0, gsd_m=1.0, land=False, ships=[ship], n_tankers=0, n_others=0
    )
    boxes, n_tiles = hulls_in_tiles(tif, 384, 96.0)
    assert n_tiles == 2
    (b,) = boxes
    assert b.length_px == pytest.approx(280.0, abs=3.0) and b.beam_px == pytest.approx(46.0, abs=3.0)


def test_detections_of_a_scene_read_in_tiles_equal_those_read_at_once(scene_factory):
    tif = scene_factory("tiles", width_m=700.0, height_m=600.0, gsd_m=1.0, land=False, n_tankers=4, n_others=5, seed=11)
    at_once, n_once = hulls_in_tiles(tif, 1024, 96.0)
    in_tiles, n_tiled = hulls_in_tiles(tif, 320, 96.0)
    assert n_once == 1 and n_tiled >= 9
    assert len(at_once) >= 9 and len(in_tiles) == len(at_once)
    for a in at_once:
        b = min(in_tiles, key=lambda b: math.hypot(b.cx_px - a.cx_px, b.cy_px - a.cy_px))
        assert math.hypot(b.cx_px - a.cx_px, b.cy_px - a.cy_px) < 2.0
        assert b.length_px == pytest.approx(a.length_px, abs=2.0) and b.beam_px == pytest.approx(a.beam_px, abs=1.5)
        assert b.class_name == a.class_name
