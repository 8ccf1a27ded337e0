"""Exports: CoT events parse with the alert's position and time; the GeoPackage opens with OGR with the four
layers; the RFC 8142 sequence is RS-prefixed records in emission order."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import shape

from tankerwatch.config import MatchConfig, VisitConfig, bundled_path
from tankerwatch.datasets.ports import load_ports
from tankerwatch.inference.exports import (
    COT_TYPE_OTHER,
    COT_TYPE_SANCTIONED,
    DEFAULT_GEOREF_ERROR_M,
    cot_events,
    read_run,
    write_cot,
    write_geojson_seq,
    write_geopackage,
)
from tankerwatch.inference.outputs import write_detections
from tankerwatch.inference.visits import AlertStore
from tankerwatch.schema import Candidate, Detection, Identification, OrientedBox, TankerwatchError

T0 = datetime(2024, 5, 1, 2, 31, tzinfo=timezone.utc)
PORT_NAMES = {"RU-VOS": "Vostochny"}
LAT = 42.7475


def hull(
    scene_id: str,
    lon: float,
    acquired: datetime,
    class_name: str = "tanker",
    imo: str = "1000021",
    name: str = "DEMO STAR",
    sanctions: tuple[str, ...] = ("UN-1718", "OFAC-SDN"),
    probability: float = 0.8,
) -> Identification:
    """A 104.5 x 16.8 m hull at Vostochny with a real footprint, identified as the matcher would hand it over
    (as tests/test_visits.py: sighting())."""
    dlon, dlat = 0.0006, 0.00008
    ring = [(lon - dlon, LAT - dlat), (lon + dlon, LAT - dlat), (lon + dlon, LAT + dlat), (lon - dlon, LAT + dlat)]
    det = Detection(
        scene_id=scene_id,
        class_name=class_name,
        confidence=0.93,
        length_m=104.51234,
        beam_m=16.8,
        heading_deg=30.04,
        heading_ambiguous=False,
        center_lon=lon,
        center_lat=LAT,
        footprint_lonlat=[*ring, ring[0]],
        acquired=acquired,
        gsd_m=0.5,
        box=OrientedBox(500.0, 500.0, 209.0, 33.6, 0.3, 0.93, class_name),
        port_id="RU-VOS",
        type_name="tanker" if class_name == "tanker" else "bulk_carrier",
        type_probabilities={"tanker": 0.9, "bulk_carrier": 0.1},
    )
    if class_name != "tanker":
        return Identification(det, [], 1.0)
    return Identification(det, [Candidate(imo, name, probability, 104.5, 16.8, sanctions)], 1 - probability)


def record(out: Path, scene_id: str, acquired: datetime, idents: list[Identification]) -> list[dict]:
    """Store a scene as a run does: its detections file, then its alerts."""
    write_detections(out, scene_id, [i.detection for i in idents], idents)
    with AlertStore(out) as store:
        return store.record_scene(
            scene_id,
            f"/scenes/{scene_id}.tif",
            acquired,
            idents,
            MatchConfig(),
            VisitConfig(gap_hours=72.0),
            lambda ident, alert_id: f"chips/{alert_id}.png",
            PORT_NAMES,
        )


@pytest.fixture
def run_out(tmp_path) -> Path:
    """An output folder: scene s1 (a sanctioned tanker, an unsanctioned tanker, a bulk carrier) and, a day
    later, s2 (the sanctioned tanker again: its visit now has two sightings). Three alerts, two visits."""
    out = tmp_path / "out"
    record(
        out,
        "s1",
        T0,
        [
            hull("s1", 133.065, T0),
            hull("s1", 133.070, T0, imo="9074729", name="PLAIN TRADER", sanctions=()),
            hull("s1", 133.075, T0, class_name="vessel"),
        ],
    )
    t1 = T0 + timedelta(days=1)
    record(out, "s2", t1, [hull("s2", 133.066, t1)])
    return out


def test_the_run_fixture_has_three_alerts_in_two_visits(run_out):
    run = read_run(run_out)
    assert len(run.emitted) == 3 and len(run.visits) == 2
    assert [a["sightings"] for a in run.emitted] == [1, 1, 2]
    assert [a["sightings"] for a in run.current] == [2, 1, 2]  # the visit state as of now


def test_cot_parses_with_the_alerts_position_and_time(run_out):
    files = write_cot(run_out, stale_hours=36)
    alerts = read_run(run_out).current
    assert [f.name for f in files] == [f"tankerwatch-{a['alert_id']}.cot" for a in alerts]
    assert all(f.parent == run_out / "exports" / "cot" for f in files)
    for path, alert in zip(files, alerts, strict=True):
        event = ET.parse(path).getroot()
        assert event.tag == "event" and event.get("version") == "2.0"
        assert event.get("uid") == f"tankerwatch-{alert['alert_id']}"
        assert event.get("time") == event.get("start") == alert["acquired"]
        acquired = datetime.strptime(alert["acquired"], "%Y-%m-%dT%H:%M:%SZ")
        assert event.get("stale") == (acquired + timedelta(hours=36)).strftime("%Y-%m-%dT%H:%M:%SZ")
        point = event.find("point")
        assert point is not None
        assert float(point.get("lat")) == pytest.approx(alert["center_lat"], abs=1e-7)
        assert float(point.get("lon")) == pytest.approx(alert["center_lon"], abs=1e-7)
        # ce: the geolocation error and the 0.5 m measurement grid from the detections file
        assert float(point.get("ce")) == pytest.approx((DEFAULT_GEOREF_ERROR_M**2 + 0.5**2) ** 0.5, abs=0.05)
        assert float(point.get("hae")) == float(point.get("le")) == 9999999.0
        contact = event.find("detail/contact")
        assert contact is not None and contact.get("callsign") == alert["candidates"][0]["name"]
        remarks = event.findtext("detail/remarks")
        assert remarks is not None
        assert alert["candidates"][0]["imo"] in remarks and alert["visit_id"] in remarks and "Vostochny" in remarks
    types = [ET.parse(f).getroot().get("type") for f in files]
    assert types == [COT_TYPE_SANCTIONED, COT_TYPE_OTHER, COT_TYPE_SANCTIONED]


def test_cot_of_an_alert_without_candidates_is_an_unidentified_tanker(run_out):
    alert = {**read_run(run_out).emitted[0], "candidates": []}
    (doc,) = cot_events([alert])
    event = ET.fromstring(doc.split("\n", 1)[1])
    assert event.get("type") == COT_TYPE_OTHER
    assert event.find("detail/contact").get("callsign") == "unidentified tanker"
    assert float(event.find("point").get("ce")) == pytest.approx(DEFAULT_GEOREF_ERROR_M)


def test_geojson_seq_is_rs_prefixed_records_in_emission_order(run_out):
    path = write_geojson_seq(run_out)
    assert path == run_out / "exports" / "alerts.geojsons"
    data = path.read_bytes()
    assert data.startswith(b"\x1e") and data.endswith(b"\n")
    records = data.split(b"\x1e")[1:]
    emitted = [json.loads(line) for line in (run_out / "alerts.jsonl").read_text().splitlines()]
    assert len(records) == len(emitted) == 3
    for rec, alert in zip(records, emitted, strict=True):
        assert rec.endswith(b"\n") and rec.count(b"\n") == 1
        feature = json.loads(rec)
        assert feature["type"] == "Feature" and feature["id"] == alert["alert_id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [alert["center_lon"], alert["center_lat"]]}
        assert feature["properties"] == alert  # exactly as emitted


def test_geopackage_opens_with_ogr_with_the_four_layers(run_out):
    pyogrio = pytest.importorskip("pyogrio", reason="no OGR binding (pip install pyogrio)")
    path = write_geopackage(run_out)
    assert path == run_out / "exports" / "tankerwatch.gpkg"
    layers = {str(name): str(geom) for name, geom in pyogrio.list_layers(path)}
    spatial = {name: geom for name, geom in layers.items() if geom not in ("None", "")}
    assert spatial == {"detections": "Polygon", "alerts": "Point", "visits": "Point", "port_areas": "MultiPolygon"}
    assert set(layers) - set(spatial) == {"layer_styles"}  # the QGIS styles, an attribute table

    n_ports = len(load_ports(bundled_path("ports.geojson")))
    counts = {"detections": 4, "alerts": 3, "visits": 2, "port_areas": n_ports}
    for layer, n in counts.items():
        info = pyogrio.read_info(path, layer=layer)
        assert info["features"] == n, layer
        assert info["crs"] == "EPSG:4326", layer
        assert info["driver"] == "GPKG"

    # a hull's footprint round-trips, and every detection property is a column
    det_path = run_out / "detections" / "s1.geojson"
    first = json.loads(det_path.read_text())["features"][0]
    meta, _, geoms, fields = pyogrio.raw.read(path, layer="detections")
    assert set(first["properties"]) <= set(meta["fields"])
    got = shapely.from_wkb(geoms[0])
    assert got.equals_exact(shape(first["geometry"]), tolerance=1e-9)
    columns = dict(zip(meta["fields"], fields, strict=True))
    assert json.loads(columns["candidates"][0]) == first["properties"]["candidates"]
    assert list(columns["class"]) == ["tanker", "tanker", "vessel", "tanker"]

    # alert points sit at the alert's centre, with the top candidate flattened
    meta, _, geoms, fields = pyogrio.raw.read(path, layer="alerts")
    columns = dict(zip(meta["fields"], fields, strict=True))
    alerts = read_run(run_out).current
    assert list(columns["alert_id"]) == [a["alert_id"] for a in alerts]
    assert [shapely.from_wkb(g).coords[0] for g in geoms] == [(a["center_lon"], a["center_lat"]) for a in alerts]
    assert list(columns["top_name"]) == ["DEMO STAR", "PLAIN TRADER", "DEMO STAR"]
    assert list(columns["sanctioned"]) == [True, False, True]

    # a visit's point is its latest sighting
    meta, _, geoms, fields = pyogrio.raw.read(path, layer="visits")
    columns = dict(zip(meta["fields"], fields, strict=True))
    row = list(columns["sightings"]).index(2)
    assert shapely.from_wkb(geoms[row]).coords[0] == (alerts[2]["center_lon"], alerts[2]["center_lat"])

    meta, _, geoms, fields = pyogrio.raw.read(path, layer="port_areas")
    assert "RU-VOS" in list(dict(zip(meta["fields"], fields, strict=True))["id"])


def test_geopackage_has_the_ogc_tables_and_the_qgis_styles(run_out):
    path = write_geopackage(run_out, run_out / "elsewhere" / "run.gpkg")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        srs = {r[0] for r in db.execute("SELECT srs_id FROM gpkg_spatial_ref_sys")}
        assert {-1, 0, 4326} <= srs
        contents = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert contents == {
            "detections": "features",
            "alerts": "features",
            "visits": "features",
            "port_areas": "features",
            "layer_styles": "attributes",
        }
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1"))
    finally:
        db.close()
    assert set(styles) == {"alerts", "detections"}
    for layer, qml in styles.items():
        assert qml == bundled_path(f"qgis/{layer}.qml").read_text(encoding="utf-8")
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2").get("type") == "categorizedSymbol"


def test_the_geojson_seq_reads_with_ogr(run_out):
    pyogrio = pytest.importorskip("pyogrio", reason="no OGR binding (pip install pyogrio)")
    path = write_geojson_seq(run_out)
    info = pyogrio.read_info(path)
    assert info["driver"] == "GeoJSONSeq" and info["features"] == 3


def test_exports_leave_the_store_untouched(run_out):
    db_path = run_out / "tankerwatch.sqlite"
    before = db_path.read_bytes()
    write_cot(run_out)
    write_geopackage(run_out)
    write_geojson_seq(run_out)
    assert db_path.read_bytes() == before


def test_a_folder_without_a_store_is_a_one_line_error(tmp_path):
    with pytest.raises(TankerwatchError, match="no tankerwatch.sqlite"):
        write_cot(tmp_path)
    (tmp_path / "tankerwatch.sqlite").write_bytes(b"not a database at all, not even close" * 10)
    with pytest.raises(TankerwatchError, match="tankerwatch.sqlite"):
        write_geojson_seq(tmp_path)


# --- CLI ------------------------------------------------------------------------------------------


def test_feed_commands_write_their_defaults(run_out):
    from tankerwatch.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["feed", "cot", str(run_out), "--stale-hours", "12"])
    assert res.exit_code == 0, res.output
    assert "3 CoT event(s)" in res.output and len(list((run_out / "exports" / "cot").glob("*.cot"))) == 3
    res = runner.invoke(main, ["feed", "gpkg", str(run_out), "--ports", str(bundled_path("ports.geojson"))])
    assert res.exit_code == 0, res.output
    assert (run_out / "exports" / "tankerwatch.gpkg").is_file()
    out = run_out / "custom.geojsons"
    res = runner.invoke(main, ["feed", "seq", str(run_out), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().count(b"\x1e") == 3
    res = runner.invoke(main, ["feed", "seq", str(run_out), "--out", "-"])
    assert res.exit_code == 0 and res.stdout_bytes.count(b"\x1e") == 3


def test_feed_help_has_examples_and_errors_are_one_line(tmp_path):
    from tankerwatch.cli import main

    runner = CliRunner()
    for args in ([], ["cot"], ["gpkg"], ["seq"]):
        res = runner.invoke(main, ["feed", *args, "--help"])
        assert res.exit_code == 0 and "Example:" in res.output, args
    res = runner.invoke(main, ["feed", "gpkg", str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and str(tmp_path) in res.output and "tankerwatch.sqlite" in res.output


def test_feed_gpkg_with_a_bad_ports_file_names_it(run_out, tmp_path):
    from tankerwatch.cli import main

    bad = tmp_path / "ports.geojson"
    bad.write_text("{}")
    res = CliRunner().invoke(main, ["feed", "gpkg", str(run_out), "--ports", str(bad)])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and str(bad) in res.output
    assert not (run_out / "exports" / "tankerwatch.gpkg").exists()
