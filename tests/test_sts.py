"""Ship-to-ship transfer candidates: rafted pairs found, crossing, in-line and distant ships not."""

from __future__ import annotations

import json
import math

import pytest
from pyproj import CRS, Transformer

from tankerwatch.datasets.scene import open_scene
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.measure import measure
from tankerwatch.inference.sts import axis_angle_deg, pair_geometry, sts_pairs
from tankerwatch.schema import Detection, OrientedBox
from tests.test_pipeline import truth_boxes

LON0, LAT0 = 128.5, 39.0  # open water off Nampo's coast
_TO_LL = Transformer.from_crs(
    CRS.from_proj4(f"+proj=aeqd +lat_0={LAT0} +lon_0={LON0} +datum=WGS84 +units=m +no_defs"),
    CRS.from_epsg(4326),
    always_xy=True,
)


def hull(x: float, y: float, length: float, beam: float, heading: float, cls: str = "tanker") -> Detection:
    """A detection centred x m east and y m north of (LON0, LAT0), heading clockwise from north."""
    h = math.radians(heading)
    u, n = (math.sin(h), math.cos(h)), (math.cos(h), -math.sin(h))
    corners = [
        (x + su * u[0] * length / 2 + sn * n[0] * beam / 2, y + su * u[1] * length / 2 + sn * n[1] * beam / 2)
        for su, sn in ((1, 1), (1, -1), (-1, -1), (-1, 1))
    ]
    lon, lat = _TO_LL.transform([c[0] for c in corners] + [x], [c[1] for c in corners] + [y])
    ring = [(float(a), float(b)) for a, b in zip(lon[:4], lat[:4], strict=True)]
    return Detection(
        scene_id="s",
        class_name=cls,
        confidence=0.9,
        length_m=length,
        beam_m=beam,
        heading_deg=heading % 180,
        heading_ambiguous=True,
        center_lon=float(lon[4]),
        center_lat=float(lat[4]),
        footprint_lonlat=[*ring, ring[0]],
        acquired=None,
        gsd_m=0.5,
        box=OrientedBox(0, 0, 1, 1, 0, 0.9, cls),
    )


def test_axis_angle_is_modulo_180():
    assert axis_angle_deg(10, 190) == 0
    assert axis_angle_deg(2, 178) == pytest.approx(4)
    assert axis_angle_deg(0, 90) == 90
    assert axis_angle_deg(30, 250) == pytest.approx(40)


@pytest.mark.parametrize("heading", [0, 37, 90, 145])
def test_a_rafted_pair_is_found(heading):
    h = math.radians(heading)
    off = 9 + 7 + 4  # half beams plus a 4 m fender gap, along the normal
    tanker = hull(0, 0, 140, 18, heading)
    partner = hull(off * math.cos(h), -off * math.sin(h), 100, 14, heading + 180 + 2, "vessel")  # head to tail
    (p,) = sts_pairs([tanker, partner])
    assert {id(p.a), id(p.b)} == {id(tanker), id(partner)}
    # the 2-degree tilt brings the facing corners about 2 m closer than the centre lines are
    assert p.gap_m == pytest.approx(2, abs=0.5) and p.angle_deg == pytest.approx(2, abs=0.1)
    assert p.overlap_share == pytest.approx(1.0, abs=0.05)  # the shorter hull lies wholly abreast


def test_ships_crossing_at_40_degrees_are_not_a_pair():
    # the second ship's nearest corner a few metres off the tanker's side
    tanker, crossing = hull(0, 0, 120, 18, 0), hull(9 + 3 + 38.2, 0, 100, 16, 40, "vessel")
    assert sts_pairs([tanker, crossing]) == []
    gap, angle, _ = pair_geometry(tanker, crossing)
    assert angle == pytest.approx(40) and gap < 0  # across the pair's mean axis the crossing ship overlaps it


def test_ships_moored_bow_to_stern_in_line_are_not_a_pair():
    ahead = hull(0, 60 + 6 + 50, 100, 16, 0)  # 6 m off the bow, same axis
    assert sts_pairs([hull(0, 0, 120, 18, 0), ahead]) == []


def test_ships_side_by_side_30_m_apart_are_not_a_pair():
    assert sts_pairs([hull(0, 0, 120, 18, 0), hull(9 + 30 + 8, 0, 100, 16, 0)]) == []


def test_two_vessels_alongside_without_a_tanker_are_not_a_pair():
    assert sts_pairs([hull(0, 0, 120, 18, 0, "vessel"), hull(9 + 4 + 8, 0, 100, 16, 0, "vessel")]) == []


def test_barely_abreast_is_not_a_pair():
    # parallel and close across, but only a quarter of the shorter hull abreast of the other
    assert sts_pairs([hull(0, 0, 120, 18, 0), hull(9 + 4 + 8, 60 + 37.5, 100, 16, 0)]) == []


def test_each_hull_pairs_once_with_the_nearer_side():
    tanker = hull(0, 0, 140, 20, 0)
    near, far = hull(10 + 3 + 8, 0, 100, 16, 0, "vessel"), hull(-(10 + 6 + 8), 0, 100, 16, 0, "vessel")
    (p,) = sts_pairs([far, tanker, near])
    assert {id(p.a), id(p.b)} == {id(tanker), id(near)} and p.gap_m == pytest.approx(3, abs=0.5)


def test_rendered_rafted_pair_found_and_crossing_in_line_and_distant_ships_not(scene_factory):
    """A rendered open-sea scene; the truth hulls, measured through the georeferencing, go through sts_pairs."""
    h = math.radians(20)
    off = 11 + 8 + 4  # half beams plus a 4 m fender gap
    ships = [
        ShipSpec("crude_tanker", 140.0, 22.0, 150.0, 150.0, 20.0),  # rafted pair, head to tail
        ShipSpec("product_tanker", 100.0, 16.0, 150.0 + off * math.cos(h), 150.0 + off * math.sin(h), 200.0),
        ShipSpec("product_tanker", 120.0, 18.0, 420.0, 150.0, 0.0),  # crossing at 40 degrees, 3-4 m off its side
        ShipSpec("general_cargo", 100.0, 16.0, 471.0, 150.0, 40.0),
        ShipSpec("product_tanker", 120.0, 18.0, 150.0, 450.0, 90.0),  # in line, 6 m bow to stern
        ShipSpec("chemical_tanker", 100.0, 16.0, 266.0, 450.0, 90.0),
        ShipSpec("product_tanker", 120.0, 18.0, 450.0, 420.0, 0.0),  # side by side, 30 m apart
        ShipSpec("general_cargo", 100.0, 16.0, 497.0, 420.0, 0.0),
    ]
    tif = scene_factory(
        "sts", land=False, width_m=600.0, height_m=600.0, ships=ships, n_tankers=0, n_others=0, n_yachts=0
    )
    scene = open_scene(tif)
    boxes = truth_boxes(scene)
    assert len(boxes) == len(ships)  # every ship placed as given
    dets = [measure(b, scene) for b in boxes]
    (p,) = sts_pairs(dets)
    centres = sorted((d.box.cx_px * scene.gsd_m, d.box.cy_px * scene.gsd_m) for d in (p.a, p.b))
    expected = sorted((s.x_m, s.y_m) for s in ships[:2])
    for (x, y), (ex, ey) in zip(centres, expected, strict=True):
        assert x == pytest.approx(ex, abs=2) and y == pytest.approx(ey, abs=2)
    assert p.gap_m == pytest.approx(4, abs=1.5) and p.angle_deg < 1 and p.overlap_share > 0.95


def test_the_main_job_alerts_a_rafted_pair_at_sea_once_with_both_vessels(scene_factory, tmp_path, monkeypatch):
    """--full-scene at sea: the rafted pair is one sts_transfer alert holding both hulls; the crossing pair none."""
    from tankerwatch.config import bundled_path, load_inference_config
    from tankerwatch.datasets.ports import load_ports
    from tankerwatch.datasets.registry import load_registry
    from tankerwatch.inference import pipeline
    from tankerwatch.inference.pipeline import RunContext, run_batch

    monkeypatch.setattr(pipeline, "detect_scene", lambda scene, tiles, detector, cfg, *_: truth_boxes(scene))
    off = 9 + 8 + 5  # half beams plus a 5 m fender gap
    ships = [
        ShipSpec("product_tanker", 120.0, 18.0, 150.0, 200.0, 0.0),
        ShipSpec("general_cargo", 100.0, 16.0, 150.0 + off, 205.0, 180.0),
        ShipSpec("product_tanker", 120.0, 18.0, 420.0, 200.0, 0.0),  # crossing at 40 degrees
        ShipSpec("general_cargo", 100.0, 16.0, 471.0, 200.0, 40.0),
    ]
    tif = scene_factory(
        "sea",
        land=False,
        width_m=600.0,
        height_m=400.0,
        center_lon=124.6,  # Korea Bay, no port
        center_lat=38.9,
        ships=ships,
        n_tankers=0,
        n_others=0,
        n_yachts=0,
    )
    ports = load_ports(bundled_path("ports.geojson"))
    registry = load_registry(bundled_path("registry.csv"))
    ctx = RunContext(load_inference_config(), None, registry, ports, tmp_path / "out", full_scene=True)
    (res,) = run_batch([tif], ctx)
    assert res.status == "done" and res.sts_pairs == 1
    lines = (ctx.out_dir / "alerts.jsonl").read_text().splitlines()
    (alert,) = [json.loads(line) for line in lines]
    assert alert["type"] == "sts_transfer" and alert["port_id"] is None and alert["sightings"] == 1
    assert {v["class"] for v in alert["vessels"]} == {"tanker", "vessel"}
    tanker = next(v for v in alert["vessels"] if v["class"] == "tanker")
    assert alert["length_m"] == tanker["length_m"] == pytest.approx(120, abs=5)  # the envelope is the tanker's
    assert alert["gap_m"] == pytest.approx(5, abs=1.5) and alert["angle_deg"] < 1
    assert all(set(v) >= {"length_m", "beam_m", "heading_deg", "candidates", "type"} for v in alert["vessels"])
    assert (ctx.out_dir / alert["chip"]).exists()
    ctx.force = True
    (again,) = run_batch([tif], ctx)
    assert again.new_alerts == 0 and len((ctx.out_dir / "alerts.jsonl").read_text().splitlines()) == 1


def test_sts_switched_off_alerts_nothing(scene_factory):
    """sts.enabled false: sts_events finds no pair even where sts_pairs would."""
    from tankerwatch.config import StsConfig
    from tankerwatch.inference.sts import sts_events
    from tankerwatch.schema import Identification

    pair = [Identification(hull(0, 0, 120, 18, 0)), Identification(hull(9 + 4 + 8, 0, 100, 16, 0, "vessel"))]
    assert len(sts_events(pair, StsConfig(), lambda lon, lat: "KP-NAM")) == 1
    (event,) = sts_events(pair, StsConfig(), lambda lon, lat: "KP-NAM")
    assert event.port_id == "KP-NAM" and {id(event.a), id(event.b)} == {id(pair[0]), id(pair[1])}
    assert sts_events(pair, StsConfig(enabled=False), lambda lon, lat: None) == []
