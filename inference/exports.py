"""Exports of a run's output folder for other tools: Cursor-on-Target, a GeoPackage, GeoJSON text sequences.

Everything is read from OUT (docs/contracts.md): the store OUT/tankerwatch.sqlite, opened read-only, for
alerts (in emission order) and visits, and OUT/detections/<scene_id>.geojson for the hulls. Nothing in OUT
is changed; each export is written atomically.

Cursor-on-Target (CoT 2.0, for TAK tools): one XML document per alert,
``<event version="2.0" uid type how time start stale>`` with a ``<point lat lon hae ce le>`` and a
``<detail>``. ``uid`` is ``tankerwatch-<alert_id>``, so a re-export updates the same map item instead of
adding one. ``type`` is a MIL-STD-2525 hierarchy in CoT letters: ``a`` (atom) - affiliation - ``S``
(surface) - ``X-M-O`` (civilian, merchant, oiler/tanker). The affiliation is ``s`` (suspect) where the
top candidate is on a sanctions list and ``u`` (unknown) otherwise: a sanctioned tanker is of interest
but is not a hostile force, which ``h`` would claim. ``how`` is ``m-i`` (machine, mensurated: measured
from imagery). ``time`` and ``start`` are the acquisition, ``stale`` the acquisition plus ``stale_hours``
(TAK hides an event once it is stale, so for a live map pick hours that reach past now). In ``point``,
``ce`` is the circular error in metres (the scene's geolocation error and one cell of the grid the hull
was measured in, added in quadrature), and ``hae``/``le`` are 9999999.0, CoT's "unknown" (a hull
gives no height). ``<contact callsign>`` is the vessel's name ("unidentified tanker" without one) and
``<remarks>`` spells out IMO, probability, sanctions, port, visit and scene. One event per ``.cot`` file
in a folder is what ATAK's import manager and TAK data packages take; ``cat *.cot | nc host 8087``
streams them to a TAK server's plain CoT input.

GeoPackage (OGC 12-128r, for QGIS and anything GDAL/OGR reads): an SQLite file with the OGC tables
``gpkg_spatial_ref_sys``, ``gpkg_contents`` and ``gpkg_geometry_columns``, ``PRAGMA application_id``
'GPKG', and one table per layer whose geometry blobs are a small header (``GP``, version, flags, SRS id,
envelope) followed by ISO WKB. Layers, all EPSG:4326: ``detections`` (hull polygons, every detection
property a column; lists and objects as JSON text), ``alerts`` (points, the current visit state, with
the top candidate flattened into columns), ``visits`` (a point at the latest sighting of each visit)
and ``port_areas`` (multipolygons). It is written with the standard library's sqlite3, so no GDAL is
needed to make one. The bundled QGIS styles (configs/qgis/*.qml) are stored in the ``layer_styles``
table QGIS itself uses (registered as an attribute table, as QGIS does), so QGIS applies them on open.

GeoJSON text sequences (RFC 8142, ``application/geo+json-seq``, for streaming consumers): each record is
the byte RS (0x1E), one JSON text (here an alert as an RFC 7946 Feature, exactly as emitted), and LF;
records are in emission order, so a consumer can tail the file and parse record by record.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import struct
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import shapely
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry

from tankerwatch.config import bundled_path
from tankerwatch.datasets.ports import load_ports
from tankerwatch.inference.visits import connect_read_only, store_path
from tankerwatch.io import _mode_for, atomic_write_bytes, atomic_write_text
from tankerwatch.schema import TankerwatchError

EXPORTS_DIR = "exports"
COT_DIR = "cot"
GPKG_NAME = "tankerwatch.gpkg"
SEQ_NAME = "alerts.geojsons"  # the extension GDAL's GeoJSONSeq driver recognises
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_STALE_HOURS = 24.0
# Geolocation error of orthorectified commercial imagery: CE90 about 5-10 m; the larger, to be safe.
DEFAULT_GEOREF_ERROR_M = 10.0
COT_UNKNOWN = 9999999.0  # CoT's value for an unknown hae, ce or le
COT_TYPE_SANCTIONED = "a-s-S-X-M-O"  # suspect surface track, civilian merchant oiler/tanker
COT_TYPE_OTHER = "a-u-S-X-M-O"  # unknown affiliation, same
COT_HOW = "m-i"  # machine, mensurated
RS = b"\x1e"
SRS_ID = 4326
GPKG_APPLICATION_ID = 0x47504B47  # 'GPKG'
GPKG_USER_VERSION = 10200  # GeoPackage 1.2
LAYERS = ("detections", "alerts", "visits", "port_areas")
STYLED_LAYERS = {"alerts": "qgis/alerts.qml", "detections": "qgis/detections.qml"}

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
    'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
    'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
    'AUTHORITY["EPSG","4326"]]'
)


# --- reading a run ------------------------------------------------------------------------------


@dataclass
class Run:
    """What the exports read from an output folder."""

    out_dir: Path
    emitted: list[dict]  # every alert line exactly as emitted, in order
    current: list[dict]  # the same alerts with their visit's current first/last seen and sightings
    visits: list[dict]  # rows of the visits table


def read_run(out_dir: Path | str) -> Run:
    """Alerts (as emitted and as now) and visits of a run, from its store opened read-only."""
    out_dir = Path(out_dir)
    db_path = store_path(out_dir)
    try:
        db = connect_read_only(db_path)
    except sqlite3.Error as e:
        raise TankerwatchError(f"{db_path}: cannot open read-only ({e})") from None
    try:
        rows = db.execute(
            "SELECT a.json, v.first_seen, v.last_seen, v.sightings FROM alerts a "
            "JOIN visits v ON v.visit_id = a.visit_id ORDER BY a.seq"
        ).fetchall()
        visits = [dict(r) for r in db.execute("SELECT * FROM visits ORDER BY first_seen, visit_id")]
    except sqlite3.Error as e:
        raise TankerwatchError(f"{db_path}: not a readable tankerwatch store ({e})") from None
    finally:
        db.close()
    emitted, current = [], []
    for row in rows:
        alert = json.loads(row["json"])
        emitted.append(alert)
        visit = {"first_seen": row["first_seen"], "last_seen": row["last_seen"], "sightings": row["sightings"]}
        current.append({**alert, **visit})
    return Run(out_dir, emitted, current, visits)


def read_detections(out_dir: Path | str) -> list[dict]:
    """Every detection Feature of OUT/detections/*.geojson, by scene file name."""
    features: list[dict] = []
    for path in sorted((Path(out_dir) / "detections").glob("*.geojson")):
        try:
            fc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise TankerwatchError(f"{path}: not a readable detections GeoJSON ({e})".splitlines()[0]) from None
        if not isinstance(fc, dict) or not isinstance(fc.get("features"), list):
            raise TankerwatchError(f"{path}: not a GeoJSON FeatureCollection")
        features.extend(fc["features"])
    return features


def _position_key(scene_id: str, lon: float, lat: float) -> tuple[str, float, float]:
    """How an alert finds its detection: scene and centre, both written rounded to 7 decimals."""
    return scene_id, round(float(lon), 7), round(float(lat), 7)


def gsd_by_alert(alerts: Iterable[dict], detections: Iterable[dict]) -> dict[str, float]:
    """The measurement grid (gsd_m) of each alert's hull, where its scene's detections file has it."""
    by_position: dict[tuple[str, float, float], float] = {}
    for f in detections:
        p = f.get("properties") or {}
        if p.get("gsd_m") is not None and p.get("center_lon") is not None and p.get("center_lat") is not None:
            by_position[_position_key(p.get("scene_id", ""), p["center_lon"], p["center_lat"])] = float(p["gsd_m"])
    out: dict[str, float] = {}
    for a in alerts:
        gsd = by_position.get(_position_key(a["scene_id"], a["center_lon"], a["center_lat"]))
        if gsd is not None:
            out[a["alert_id"]] = gsd
    return out


def _top(alert: dict) -> dict | None:
    """An alert's top registry candidate, if any."""
    return alert["candidates"][0] if alert.get("candidates") else None


def _sanctioned(alert: dict) -> bool:
    """Whether an alert's top candidate is on a sanctions list."""
    top = _top(alert)
    return bool(top and top.get("sanctions"))


# --- Cursor-on-Target -------------------------------------------------------------------------


def _parse_time(text: str) -> datetime:
    """A contract time (ISO 8601 UTC with Z) as an aware datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def cot_type(alert: dict) -> str:
    """The CoT type of an alert: suspect where the top candidate is sanctioned, else unknown (surface tanker)."""
    return COT_TYPE_SANCTIONED if _sanctioned(alert) else COT_TYPE_OTHER


def _remarks(alert: dict) -> str:
    """The analyst's line in a CoT event: vessel, probability, sanctions, port, visit, scene."""
    top = _top(alert)
    who = (
        f"IMO {top['imo']} {top['name']} p={top['probability']:.2f}"
        + (f" sanctions {';'.join(top['sanctions'])}" if top.get("sanctions") else " not sanctioned")
        if top
        else "no registry candidate"
    )
    return (
        f"{who}; port {alert.get('port_name') or '-'} ({alert.get('port_id')}); "
        f"visit {alert['visit_id']} {alert['first_seen']}..{alert['last_seen']} ({alert['sightings']} sighting(s)); "
        f"{alert['length_m']:.1f} x {alert['beam_m']:.1f} m heading {alert['heading_deg']:.0f}; "
        f"scene {alert['scene_id']}; tankerwatch alert {alert['alert_id']}"
    )


def cot_event(
    alert: dict,
    stale_hours: float = DEFAULT_STALE_HOURS,
    gsd_m: float | None = None,
    georef_error_m: float = DEFAULT_GEOREF_ERROR_M,
) -> str:
    """One alert as a CoT 2.0 event, a complete XML document."""
    acquired = _parse_time(alert["acquired"])
    stale = acquired + timedelta(hours=stale_hours)
    ce = math.hypot(georef_error_m, gsd_m or 0.0)
    event = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": f"tankerwatch-{alert['alert_id']}",
            "type": cot_type(alert),
            "how": COT_HOW,
            "time": acquired.strftime(TIME_FORMAT),
            "start": acquired.strftime(TIME_FORMAT),
            "stale": stale.strftime(TIME_FORMAT),
        },
    )
    ET.SubElement(
        event,
        "point",
        {
            "lat": f"{alert['center_lat']:.7f}",
            "lon": f"{alert['center_lon']:.7f}",
            "hae": f"{COT_UNKNOWN:.1f}",
            "ce": f"{ce:.1f}",
            "le": f"{COT_UNKNOWN:.1f}",
        },
    )
    detail = ET.SubElement(event, "detail")
    top = _top(alert)
    ET.SubElement(detail, "contact", {"callsign": top["name"] if top and top.get("name") else "unidentified tanker"})
    remarks = ET.SubElement(detail, "remarks", {"source": "tankerwatch"})
    remarks.text = _remarks(alert)
    body = ET.tostring(event, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{body}\n'


def cot_events(
    alerts: Iterable[dict],
    stale_hours: float = DEFAULT_STALE_HOURS,
    gsd_m: Mapping[str, float] | None = None,
    georef_error_m: float = DEFAULT_GEOREF_ERROR_M,
) -> list[str]:
    """One CoT event document per alert, in the order given; gsd_m by alert id widens each ce."""
    gsd_m = gsd_m or {}
    return [cot_event(a, stale_hours, gsd_m.get(a["alert_id"]), georef_error_m) for a in alerts]


def write_cot(
    out_dir: Path | str,
    path: Path | str | None = None,
    stale_hours: float = DEFAULT_STALE_HOURS,
    georef_error_m: float = DEFAULT_GEOREF_ERROR_M,
) -> list[Path]:
    """Write one <uid>.cot file per alert (current visit state) into the folder path (default
    OUT/exports/cot); the files written."""
    run = read_run(out_dir)
    folder = Path(path) if path is not None else run.out_dir / EXPORTS_DIR / COT_DIR
    if folder.exists() and not folder.is_dir():
        raise TankerwatchError(f"{folder}: not a folder (CoT is written one .cot file per alert into a folder)")
    gsd = gsd_by_alert(run.current, read_detections(run.out_dir))
    written = []
    for alert, doc in zip(run.current, cot_events(run.current, stale_hours, gsd, georef_error_m), strict=True):
        target = folder / f"tankerwatch-{alert['alert_id']}.cot"
        atomic_write_text(target, doc)
        written.append(target)
    return written


# --- RFC 8142 GeoJSON text sequence ---------------------------------------------------------------


def alert_feature(alert: dict) -> dict:
    """An alert as an RFC 7946 Point Feature, its properties the alert line."""
    return {
        "type": "Feature",
        "id": alert["alert_id"],
        "geometry": {"type": "Point", "coordinates": [alert["center_lon"], alert["center_lat"]]},
        "properties": alert,
    }


def geojson_seq(alerts: Iterable[dict]) -> bytes:
    """RFC 8142 bytes: RS, one Feature's JSON text, LF, per alert."""
    return b"".join(
        RS + json.dumps(alert_feature(a), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        for a in alerts
    )


def write_geojson_seq(out_dir: Path | str, path: Path | str | None = None) -> Path:
    """Write the alerts, exactly as emitted and in emission order, as an RFC 8142 GeoJSON text sequence
    (default OUT/exports/alerts.geojsons); the file."""
    run = read_run(out_dir)
    target = Path(path) if path is not None else run.out_dir / EXPORTS_DIR / SEQ_NAME
    atomic_write_bytes(target, geojson_seq(run.emitted))
    return target


# --- GeoPackage -----------------------------------------------------------------------------------


def gpkg_geometry(geom: BaseGeometry | None) -> bytes | None:
    """A geometry as a GeoPackage blob: 'GP', version 0, flags, SRS id, envelope, little-endian ISO WKB."""
    if geom is None:
        return None
    if geom.is_empty:
        # flags: empty bit (4), no envelope, little endian
        return b"GP" + bytes([0, 0b00010001]) + struct.pack("<i", SRS_ID) + shapely.to_wkb(geom, byte_order=1)
    if isinstance(geom, Point):
        header = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", SRS_ID)  # a point is its own envelope
    else:
        minx, miny, maxx, maxy = geom.bounds
        header = b"GP" + bytes([0, 0b00000011]) + struct.pack("<i4d", SRS_ID, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")


def _column_type(values: list[Any]) -> str:
    """The GeoPackage column type that holds every (non-null) value of a property."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "TEXT"
    if kinds == {bool}:
        return "BOOLEAN"
    if kinds <= {int}:
        return "INTEGER"
    if kinds <= {int, float}:
        return "REAL"
    return "TEXT"


def _cell(value: Any) -> Any:
    """A property value as stored: lists and objects as JSON text, booleans as 0/1."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _quote(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Layer:
    """One feature table: name, geometry type, columns (name, type) and rows (geometry, values)."""

    name: str
    geometry_type: str
    description: str
    columns: list[tuple[str, str]]
    rows: list[tuple[BaseGeometry | None, list[Any]]]


def _detections_layer(features: list[dict]) -> _Layer:
    """Hull polygons with every property as a column (in first-seen order)."""
    names: list[str] = []
    for f in features:
        for k in f.get("properties") or {}:
            if k not in names:
                names.append(k)
    props = [f.get("properties") or {} for f in features]
    columns = [(n, _column_type([p.get(n) for p in props])) for n in names]
    rows: list[tuple[BaseGeometry | None, list[Any]]] = []
    for f, p in zip(features, props, strict=True):
        try:
            geom: BaseGeometry | None = shape(f["geometry"]) if f.get("geometry") else None
        except Exception:  # a degenerate footprint (shapely/GEOS raise several types): keep the row, not the shape
            geom = None
        rows.append((geom, [_cell(p.get(n)) for n, _ in columns]))
    return _Layer("detections", "POLYGON", "every hull of every scene (OUT/detections)", columns, rows)


_ALERT_COLUMNS: list[tuple[str, str]] = [
    ("alert_id", "TEXT"),
    ("type", "TEXT"),
    ("port_id", "TEXT"),
    ("port_name", "TEXT"),
    ("scene_id", "TEXT"),
    ("acquired", "DATETIME"),
    ("center_lon", "REAL"),
    ("center_lat", "REAL"),
    ("length_m", "REAL"),
    ("beam_m", "REAL"),
    ("heading_deg", "REAL"),
    ("confidence", "REAL"),
    ("candidates", "TEXT"),
    ("visit_id", "TEXT"),
    ("first_seen", "DATETIME"),
    ("last_seen", "DATETIME"),
    ("sightings", "INTEGER"),
    ("chip", "TEXT"),
    # the top candidate, flattened for labels, filters and the bundled style
    ("top_imo", "TEXT"),
    ("top_name", "TEXT"),
    ("top_probability", "REAL"),
    ("top_sanctions", "TEXT"),
    ("sanctioned", "BOOLEAN"),
    ("cot_type", "TEXT"),
]


def _alerts_layer(alerts: list[dict]) -> _Layer:
    """Alert points with the contract fields, current visit state and the top candidate flattened."""
    rows: list[tuple[BaseGeometry | None, list[Any]]] = []
    for a in alerts:
        top = _top(a) or {}
        extra = {
            "top_imo": top.get("imo"),
            "top_name": top.get("name"),
            "top_probability": top.get("probability"),
            "top_sanctions": ";".join(top.get("sanctions") or []),
            "sanctioned": _sanctioned(a),
            "cot_type": cot_type(a),
        }
        values = {**a, **extra}
        rows.append((Point(a["center_lon"], a["center_lat"]), [_cell(values.get(n)) for n, _ in _ALERT_COLUMNS]))
    return _Layer("alerts", "POINT", "port-visit alerts, visit state as of the export", _ALERT_COLUMNS, rows)


def _visits_layer(visits: list[dict], alerts: list[dict]) -> _Layer:
    """One point per visit, at its latest sighting (the alert acquired last, the later emitted on a tie)."""
    latest: dict[str, dict] = {}
    for a in alerts:  # emission order
        held = latest.get(a["visit_id"])
        if held is None or a["acquired"] >= held["acquired"]:
            latest[a["visit_id"]] = a
    columns = [
        ("visit_id", "TEXT"),
        ("imo", "TEXT"),
        ("name", "TEXT"),
        ("port_id", "TEXT"),
        ("port_name", "TEXT"),
        ("first_seen", "DATETIME"),
        ("last_seen", "DATETIME"),
        ("sightings", "INTEGER"),
        ("sanctioned", "BOOLEAN"),
        ("last_alert_id", "TEXT"),
    ]
    rows: list[tuple[BaseGeometry | None, list[Any]]] = []
    for v in visits:
        last = latest.get(v["visit_id"])
        top = (_top(last) if last else None) or {}
        values = [
            v["visit_id"],
            v["imo"],
            top.get("name"),
            v["port_id"],
            last.get("port_name") if last else None,
            v["first_seen"],
            v["last_seen"],
            v["sightings"],
            int(_sanctioned(last)) if last else None,
            last["alert_id"] if last else None,
        ]
        rows.append((Point(last["center_lon"], last["center_lat"]) if last else None, values))
    return _Layer("visits", "POINT", "port visits, a point at each one's latest sighting", columns, rows)


def _port_areas_layer(ports_path: Path) -> _Layer:
    """The watched port areas as multipolygons (validated by load_ports; kind from the file where given)."""
    ports = load_ports(ports_path)
    kinds: dict[str, Any] = {}
    for f in json.loads(ports_path.read_text(encoding="utf-8"))["features"]:
        props = f.get("properties") or {}
        kinds[str(props.get("id"))] = props.get("kind")
    columns = [("id", "TEXT"), ("name", "TEXT"), ("country", "TEXT"), ("kind", "TEXT")]
    rows: list[tuple[BaseGeometry | None, list[Any]]] = []
    for p in ports:
        geom = p.geometry if isinstance(p.geometry, MultiPolygon) else MultiPolygon([p.geometry])
        rows.append((geom, [p.id, p.name, p.country, kinds.get(p.id)]))
    return _Layer("port_areas", "MULTIPOLYGON", f"watched port areas ({ports_path.name})", columns, rows)


_GPKG_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME);
"""


def _write_gpkg_file(db_path: Path, layers: list[_Layer], styles: dict[str, str], now: str) -> None:
    """Write a new GeoPackage at db_path: the OGC tables, one feature table per layer, the QGIS styles."""
    db = sqlite3.connect(db_path)
    try:
        db.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        with db:
            db.executescript(_GPKG_SCHEMA)
            db.executemany(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
                [
                    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate system"),
                    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate system"),
                    ("WGS 84 geodetic", SRS_ID, "EPSG", SRS_ID, _WGS84_WKT, "longitude/latitude on WGS 84"),
                ],
            )
            for layer in layers:
                cols = ", ".join(f"{_quote(n)} {t}" for n, t in layer.columns)
                db.execute(
                    f"CREATE TABLE {_quote(layer.name)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                    f"geom {layer.geometry_type}{', ' + cols if cols else ''})"
                )
                geoms = [g for g, _ in layer.rows if g is not None and not g.is_empty]
                bounds = shapely.total_bounds(geoms) if geoms else [None] * 4
                db.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, "
                    "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (layer.name, layer.name, layer.description, now, *[_float(b) for b in bounds], SRS_ID),
                )
                db.execute(
                    "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
                    (layer.name, layer.geometry_type, SRS_ID),
                )
                marks = ", ".join("?" * (len(layer.columns) + 1))
                names = ", ".join(["geom", *(_quote(n) for n, _ in layer.columns)])
                db.executemany(
                    f"INSERT INTO {_quote(layer.name)} ({names}) VALUES ({marks})",
                    [(gpkg_geometry(g), *values) for g, values in layer.rows],
                )
            # QGIS keeps styles in layer_styles, listed as an attribute table (as QGIS writes it)
            db.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                (now,),
            )
            for layer_name, qml in styles.items():
                db.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '', ?)",
                    (layer_name, f"tankerwatch {layer_name}", qml, "bundled tankerwatch style", now),
                )
    finally:
        db.close()


def _float(value: Any) -> float | None:
    """A bound as a float (None stays None)."""
    return None if value is None else float(value)


def write_geopackage(out_dir: Path | str, path: Path | str | None = None, ports_path: Path | str | None = None) -> Path:
    """Write the run as a GeoPackage (default OUT/exports/tankerwatch.gpkg) with the layers detections,
    alerts, visits and port_areas in EPSG:4326 and the bundled QGIS styles; the file."""
    run = read_run(out_dir)
    target = Path(path) if path is not None else run.out_dir / EXPORTS_DIR / GPKG_NAME
    ports = Path(ports_path) if ports_path is not None else bundled_path("ports.geojson")
    layers = [
        _detections_layer(read_detections(run.out_dir)),
        _alerts_layer(run.current),
        _visits_layer(run.visits, run.current),
        _port_areas_layer(ports),
    ]
    styles = {name: bundled_path(rel).read_text(encoding="utf-8") for name, rel in STYLED_LAYERS.items()}
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()  # sqlite3 makes the file; mkstemp only reserved a name next to the target
        _write_gpkg_file(tmp_path, layers, styles, now)
        os.chmod(tmp_path, _mode_for(target))
        os.replace(tmp_path, target)
    except sqlite3.Error as e:
        tmp_path.unlink(missing_ok=True)
        raise TankerwatchError(f"{target}: cannot write the GeoPackage ({e})") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return target


__all__ = [
    "LAYERS",
    "Run",
    "alert_feature",
    "cot_event",
    "cot_events",
    "cot_type",
    "geojson_seq",
    "gpkg_geometry",
    "gsd_by_alert",
    "read_detections",
    "read_run",
    "write_cot",
    "write_geojson_seq",
    "write_geopackage",
]
