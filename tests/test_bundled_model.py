"""The bundled model through the whole main job: it must find a registry tanker at Vostochny."""

from __future__ import annotations

import json

import pytest

from tankerwatch.config import bundled_path, load_inference_config
from tankerwatch.datasets.ports import load_ports
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.pipeline import RunContext, run_batch
from tankerwatch.models.detector import BUNDLED_WEIGHTS, load_detector


@pytest.mark.slow
def test_bundled_model_finds_measures_and_names_a_registry_tanker(scene_factory, tmp_path):
    cfg = load_inference_config()
    registry = load_registry(bundled_path("registry.csv"))
    ports = load_ports(bundled_path("ports.geojson"))
    v = next(v for v in registry if v.length_m and "tanker" in v.vessel_type.lower())
    ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 300.0, 300.0, 60.0, imo=v.imo, name=v.name)
    tif = scene_factory(
        "vostochny_test",
        width_m=600.0,
        height_m=600.0,
        gsd_m=0.5,
        land=False,
        ships=[ship],
        n_tankers=0,
        n_others=2,
        seed=21,
    )
    detector = load_detector(BUNDLED_WEIGHTS, cfg.detect)
    ctx = RunContext(cfg, detector, registry, ports, tmp_path / "out", port_names={p.id: p.name for p in ports})
    (res,) = run_batch([tif], ctx)
    assert res.status == "done", res.reason
    feats = json.loads((tmp_path / "out" / "detections" / "vostochny_test.geojson").read_text())["features"]
    tankers = [f["properties"] for f in feats if f["properties"]["class"] == "tanker"]
    assert tankers, f"no tanker found among {len(feats)} detections"
    best = min(tankers, key=lambda p: abs(p["length_m"] - v.length_m))
    assert best["length_m"] == pytest.approx(v.length_m, abs=6.0)
    assert best["beam_m"] == pytest.approx(v.beam_m, abs=3.0)
    assert best["port_id"] == "RU-VOS"
    alerts = [json.loads(line) for line in (tmp_path / "out" / "alerts.jsonl").read_text().splitlines()]
    assert any(a["candidates"][0]["imo"] == v.imo for a in alerts)
