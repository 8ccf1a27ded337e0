"""Coal watch (inference/coal.py): coal_loading observations, stockpile area and its change between passes."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from tankerwatch.config import CoalConfig, bundled_path
from tankerwatch.datasets.ports import Port, load_ports, port_of
from tankerwatch.datasets.scene import open_scene
from tankerwatch.datasets.synth import (
    Renderer,
    SceneSpec,
    SynthScene,
    georeference,
    land_truth,
    sensor,
    water_truth,
    write_scene,
)
from tankerwatch.geo import to_lonlat_transformer
from tankerwatch.inference.coal import (
    COAL_LOADING,
    StockpileReading,
    coal_observations,
    stockpile_area_m2,
    stockpile_change,
    stockpile_readings,
    watched_coal_areas,
)
from tankerwatch.inference.floating import WaterMask
from tankerwatch.schema import Detection, OrientedBox

CFG = CoalConfig(stockpile_margin_m=300.0)
SEED = 1  # a 900 m coal terminal whose stockyards lie behind the quay at the scene's centre


# --- coal_loading observations ------------------------------------------------------------------
def _area(pid: str, kind: str, port: str, x0: float) -> Port:
    return Port(pid, pid, "KP", box(x0, 38.0, x0 + 0.01, 38.01), kind, port)


PORTS = [
    _area("X", "port", "X", 125.00),
    _area("X-COAL", "coal_berth", "X", 125.02),
    _area("X-ANCH", "anchorage", "X", 125.04),
    _area("Y", "port", "Y", 125.06),
    _area("Y-ANCH", "anchorage", "Y", 125.08),  # a port with no coal berth
]


def _detection(lon: float, type_name: str = "bulk_carrier", p: float | None = 0.9) -> Detection:
    probs = None if p is None else {type_name: p, "other": 1 - p}
    return Detection(
        "scene-1",
        "vessel",
        0.8,
        180.0,
        28.0,
        90.0,
        False,
        lon,
        38.005,
        [],
        datetime(2024, 5, 1, tzinfo=timezone.utc),
        0.5,
        OrientedBox(0, 0, 360, 56, 0, 0.8, "vessel"),
        type_name=type_name,
        type_probabilities=probs,
    )


def test_a_bulk_carrier_at_a_coal_berth_is_a_coal_loading_observation():
    d = _detection(125.025)
    (obs,) = coal_observations([d], PORTS, CoalConfig())
    assert (obs.kind, obs.port_id, obs.port_area, obs.area_kind) == (COAL_LOADING, "X", "X-COAL", "coal_berth")
    assert obs.detection is d and obs.p_bulk_carrier == pytest.approx(0.9)
    assert obs.detection.length_m == 180.0  # the measurements travel with it


def test_a_tanker_or_a_bulk_carrier_elsewhere_is_not_a_coal_observation():
    cfg = CoalConfig()
    assert coal_observations([_detection(125.025, "tanker")], PORTS, cfg) == []
    assert coal_observations([_detection(125.005)], PORTS, cfg) == []  # the port's own area: not its coal berth
    assert coal_observations([_detection(125.085)], PORTS, cfg) == []  # the anchorage of a port with no coal berth
    assert coal_observations([_detection(125.3)], PORTS, cfg) == []  # outside every port
    assert coal_observations([_detection(125.025, p=0.3)], PORTS, cfg) == []  # the classifier unsure
    assert coal_observations([_detection(125.025)], PORTS, dataclasses.replace(cfg, enabled=False)) == []


def test_the_anchorage_of_a_coal_port_is_watched_unless_switched_off():
    (obs,) = coal_observations([_detection(125.045, p=None)], PORTS, CoalConfig())
    assert (obs.port_area, obs.area_kind, obs.p_bulk_carrier) == ("X-ANCH", "anchorage", None)
    off = CoalConfig(watch_anchorages=False)
    assert coal_observations([_detection(125.045)], PORTS, off) == []
    assert [a.id for a in watched_coal_areas(PORTS, off)] == ["X-COAL"]


def test_the_bundled_watch_covers_the_dprk_and_the_receiving_ports():
    watched = watched_coal_areas(load_ports(bundled_path("ports.geojson")), CoalConfig())
    berths = {port_of(a) for a in watched if a.kind == "coal_berth"}
    assert {"KP-NAM", "KP-SON", "KP-CHO", "KP-RAJ", "RU-VOS", "RU-NAK", "CN-LKU", "CN-DAL"} <= berths
    assert {a.kind for a in watched} == {"coal_berth", "anchorage"}


# --- stockpile area on generated coal terminals ---------------------------------------------------
def _render(tmp: Path, stock: float) -> tuple[Path, Renderer, SynthScene]:
    """A 900 m coal-terminal scene at 1 m written as a GeoTIFF, with its renderer (which holds the true heaps)."""
    spec = SceneSpec(
        seed=SEED, width_m=900, height_m=900, gsd_m=1.0, n_tankers=1, n_others=2, hard_land=True, coal_stock=stock
    )
    r = Renderer(spec)
    ships = r.render()
    image = sensor.sense(r)
    transform, crs = georeference(spec, image.shape[2], image.shape[1])
    scene = SynthScene(image, transform, crs, ships, spec, list(r.negatives), land_truth(r))
    return write_scene(scene, tmp, f"coal-{stock}"), r, scene


def _berth(r: Renderer, scene: SynthScene, centre_m: tuple[float, float]) -> tuple[Polygon, Port]:
    """A coal berth: the water off 120 m of quay nearest centre_m, in scene metres and as a lon/lat Port."""
    h = r.hard
    assert h is not None
    s = float((np.asarray(centre_m) - h.p0) @ h.t)
    quad = h.quad(s - 60.0, s + 60.0, -80.0, -2.0)  # d < 0: out to sea from the coast line
    px = quad / r.spec.gsd_m
    lon, lat = to_lonlat_transformer(scene.crs).transform(*(scene.transform * (px[:, 0], px[:, 1])))
    lonlat = Polygon(zip(lon, lat, strict=True))
    return Polygon(quad), Port("T-COAL", "test coal berth", "RU", lonlat, "coal_berth", "T")


@pytest.fixture(scope="module")
def terminal(tmp_path_factory) -> dict[float, tuple[Path, Renderer, SynthScene]]:
    """Two passes of one coal terminal, full stock then half (rendered once for the module)."""
    tmp = tmp_path_factory.mktemp("coal")
    return {stock: _render(tmp, stock) for stock in (1.0, 0.5)}


@pytest.fixture(scope="module")
def passes(terminal) -> list[tuple[StockpileReading, float]]:
    """Each pass's reading of the berth at the scene's centre, and the true heap area in its region."""
    out = []
    for tif, r, scene in terminal.values():
        quad, port = _berth(r, scene, (450.0, 450.0))
        assert r.hard is not None and r.hard.coal_heaps
        truth = unary_union(r.hard.coal_heaps).intersection(quad.buffer(CFG.stockpile_margin_m)).area
        out.append((stockpile_area_m2(open_scene(tif), port, CFG), truth))
    return out


def test_stockpile_area_is_close_to_the_true_heap_area(passes):
    for reading, truth in passes:
        assert truth > 5_000  # the stockyard lies in the berth's region
        assert reading.covered_share > 0.99
        assert reading.area_m2 == pytest.approx(truth, rel=0.15)  # measured on a 2 m read: within 15 %


def test_half_the_stock_reads_as_a_drop_of_about_half(passes):
    (before, truth_before), (after, truth_after) = passes
    change = stockpile_change(before, after)
    assert change.reason is None and change.change_m2 is not None and change.change_share is not None
    true_drop = truth_after - truth_before
    assert true_drop < 0 and change.change_m2 < 0
    assert change.change_m2 == pytest.approx(true_drop, rel=0.2)
    assert change.change_share == pytest.approx(true_drop / truth_before, abs=0.1)


def test_a_berth_half_out_of_the_scene_is_not_compared(terminal, passes):
    tif, r, scene = terminal[0.5]
    h = r.hard
    assert h is not None
    # the quay at the point where the coast line leaves the scene: about half the berth's region lies outside
    along = [s for s in np.linspace(h.s_lo, h.s_hi, 2000) if ((0 <= h.at(s, 0.0)) & (h.at(s, 0.0) <= 900)).all()]
    edge = h.at(min(along), 0.0)
    _, port = _berth(r, scene, (float(edge[0]), float(edge[1])))
    half = stockpile_area_m2(open_scene(tif), port, CFG)
    assert 0.2 < half.covered_share < 0.8
    full = dataclasses.replace(passes[0][0], port_area=half.port_area)
    change = stockpile_change(full, half)
    assert change.change_m2 is None and change.change_share is None and "covers" in str(change.reason)


def test_readings_of_two_berths_are_not_compared(passes):
    a = passes[0][0]
    change = stockpile_change(a, dataclasses.replace(a, port_area="OTHER"))
    assert change.change_m2 is None and "two berths" in str(change.reason)


def test_stockpile_readings_skip_berths_the_scene_does_not_reach(terminal):
    tif, r, scene = terminal[1.0]
    _, here = _berth(r, scene, (450.0, 450.0))
    far = Port("F-COAL", "far", "RU", box(10.0, 10.0, 10.01, 10.01), "coal_berth", "F")
    readings = stockpile_readings(open_scene(tif), [here, far], CFG)
    assert [x.port_area for x in readings] == ["T-COAL"] and readings[0].area_m2 > 0
    assert stockpile_readings(open_scene(tif), [here], dataclasses.replace(CFG, enabled=False)) == []


def test_the_scene_water_mask_takes_the_place_of_the_rule(terminal, passes):
    tif, r, scene = terminal[1.0]
    _, port = _berth(r, scene, (450.0, 450.0))
    truth_mask = WaterMask(water_truth(scene, 4.0), 0.0, 0.0, 4.0 / r.spec.gsd_m, "truth")
    with_mask = stockpile_area_m2(open_scene(tif), port, CFG, truth_mask)
    assert with_mask.area_m2 == pytest.approx(passes[0][0].area_m2, rel=0.1)
    all_water = WaterMask(np.ones_like(truth_mask.water), 0.0, 0.0, truth_mask.scale, "test")
    assert stockpile_area_m2(open_scene(tif), port, CFG, all_water).area_m2 == 0.0


def test_two_passes_differ_only_in_their_coal(terminal):
    (_, full, a), (_, half, b) = terminal[1.0], terminal[0.5]
    assert full.hard is not None and half.hard is not None
    assert 0.4 < half.hard.coal_area_m2() / full.hard.coal_area_m2() < 0.6
    changed = (a.image != b.image).any(axis=0)
    # a heap's shadow reaches h / 2 / tan(sun elevation) beyond it: at most 8 / tan(25 deg) = 17 m
    heaps = rasterize(
        [(unary_union(full.hard.coal_heaps).buffer(20.0), 1)],
        out_shape=changed.shape,
        transform=Affine.scale(full.spec.gsd_m),
        dtype="uint8",
    ).astype(bool)
    assert changed.sum() > 1000 and not (changed & ~heaps).any()


def test_coal_stock_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="coal_stock"):
        Renderer(SceneSpec(seed=1, width_m=300, height_m=300, gsd_m=2.0, hard_land=True, coal_stock=1.5)).render()


def test_the_main_job_alerts_a_bulk_carrier_at_a_coal_berth_with_its_stockpile(scene_factory, tmp_path, monkeypatch):
    """Nampo coal quay, two passes: each bulk carrier sighting is a coal_loading alert citing the berth's
    stockpile reading, the second with the change since the first; a tanker there is no coal_loading."""
    import json

    from tankerwatch.config import bundled_path, load_inference_config
    from tankerwatch.datasets.ports import load_ports
    from tankerwatch.datasets.registry import load_registry
    from tankerwatch.datasets.synth import ShipSpec
    from tankerwatch.inference import pipeline
    from tankerwatch.inference.pipeline import RunContext, run_batch
    from tankerwatch.inference.visits import AlertStore
    from tests.test_pipeline import truth_boxes

    measure_hulls = pipeline.measure_hulls

    def typed(scene, hulls, gsd):  # the ship-type stage's verdict, as the classifier would give it
        out = measure_hulls(scene, hulls, gsd)
        for d in out:
            d.type_name = "bulk_carrier" if d.class_name == "vessel" else "tanker"
            d.type_probabilities = {d.type_name: 0.9}
        return out

    monkeypatch.setattr(pipeline, "measure_hulls", typed)
    monkeypatch.setattr(pipeline, "detect_scene", lambda scene, tiles, detector, cfg, *_: truth_boxes(scene))
    ships = [
        ShipSpec("bulk_carrier", 180.0, 30.0, 200.0, 200.0, 20.0),
        ShipSpec("product_tanker", 110.0, 17.0, 420.0, 420.0, 80.0),
    ]
    ports = load_ports(bundled_path("ports.geojson"))
    ctx = RunContext(load_inference_config(), None, load_registry(bundled_path("registry.csv")), ports, tmp_path / "o")
    ctx.port_names = {p.id: p.name for p in ports}
    tifs = [
        scene_factory(
            name,
            land=False,
            width_m=600.0,
            height_m=600.0,
            center_lon=125.4188,  # inside KP-NAM-COAL
            center_lat=38.7269,
            ships=ships,
            n_tankers=0,
            n_others=0,
            n_yachts=0,
            acquired=when,
        )
        for name, when in (("pass1", "2024-05-01T02:30:00Z"), ("pass2", "2024-05-09T02:30:00Z"))
    ]
    results = run_batch(tifs, ctx)
    assert [r.coal_loading for r in results] == [1, 1]
    coal = [json.loads(x) for x in (ctx.out_dir / "alerts.jsonl").read_text().splitlines()]
    coal = [a for a in coal if a["type"] == "coal_loading"]
    assert len(coal) == 2 and {a["port_area"] for a in coal} == {"KP-NAM-COAL"} and coal[0]["port_id"] == "KP-NAM"
    assert coal[0]["length_m"] == pytest.approx(180, abs=6) and coal[0]["p_bulk_carrier"] == 0.9
    first, second = (a["stockpile"] for a in coal)
    assert first["port_area"] == "KP-NAM-COAL" and first["previous_scene_id"] is None
    # a 600 m scene sees only part of the berth's yard: the readings are kept but not compared
    assert second["previous_scene_id"] == "pass1" and second["change_m2"] is None and "covers" in second["reason"]
    with AlertStore(ctx.out_dir) as store:
        series = store.stockpiles()
    assert [s["scene_id"] for s in series] == ["pass1", "pass2"]


def test_the_water_mask_on_a_stockpile_grid_is_each_cell_centre_looked_up(tmp_path):
    from tankerwatch.inference.coal import _mask_water

    rng = np.random.default_rng(3)
    mask = WaterMask((rng.random((40, 60)) > 0.5).astype(np.uint8), 100.5, 80.25, 8.0, "network")
    grid = Affine.translation(90.0, 70.0) * Affine.scale(3.7, 4.1)  # reaches past the mask on every side
    shape = (95, 140)
    water, known = _mask_water(mask, grid, shape)
    for r, c in [(0, 0), (3, 5), (50, 70), (94, 139), (10, 130), (90, 2)] + [
        (int(rng.integers(95)), int(rng.integers(140))) for _ in range(200)
    ]:
        x, y = grid * (c + 0.5, r + 0.5)
        mc, mr = (int(np.floor(v)) for v in mask.to_mask_px(np.array([[x, y]]))[0])
        inside = 0 <= mr < 40 and 0 <= mc < 60
        assert known[r, c] == inside
        assert water[r, c] == (inside and mask.water[mr, mc] > 0)
    assert known.any() and not known.all() and water.any()
