"""Port visits and the alert store: SQLite under OUT/, with the alerts.jsonl and alerts.geojson feeds.

The database is the source of truth; the feed files are rewritten from it atomically after each
scene. An alert line's JSON text is stored once, when the alert is created, so alerts.jsonl only
ever grows. Visit state (first/last seen, sightings) lives in its own table and is refreshed in
alerts.geojson, which is the current state.

A vessel is in one place at a time: a sighting is not alerted as vessel X when an alert of another scene
already put X further away than it could have sailed since (MatchConfig.max_speed_kn, about 20 kn, plus
UNREACHABLE_SLACK_M for position error). The earlier alert stands, as alerts are append-only.

Every tanker seen in a port is an observation, named or not, with its candidates and look (analysts
review the unnamed ones). With VisitConfig.alert_unidentified an unnamed one is also alerted, as type
`unidentified_tanker` with its own one-sighting visit (it has no identity to join visits by).

Events beyond a port call share the alert envelope. A ship-to-ship transfer candidate (inference/sts.py: two
hulls side by side, at least one a tanker, in port or at sea) is alerted as `sts_transfer`, with both hulls'
measurements, types and candidates under `vessels`; its own envelope fields (size, heading, candidates) are those
of the pair's tanker (the larger, where both are), and the position is the pair's midpoint. Like an unidentified
tanker, an event has no identity to join visits by: it gets its own one-sighting visit (imo "", port "" at sea),
so a consumer grouping by `visit_id` sees each event once.

The database runs in write-ahead-log mode and every scene is one transaction: a reader in another
process sees a scene's alerts all at once, or not yet.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tankerwatch.config import MatchConfig, VisitConfig
from tankerwatch.geo import geodesic_m
from tankerwatch.inference.coal import CoalObservation, StockpileReading, stockpile_change
from tankerwatch.inference.matching import is_match
from tankerwatch.inference.outputs import ChipWriter, optional_properties
from tankerwatch.inference.sts import StsEvent, StsPair
from tankerwatch.io import atomic_write_text
from tankerwatch.schema import Candidate, Identification, TankerwatchError

DB_NAME = "tankerwatch.sqlite"
JSONL_NAME = "alerts.jsonl"
GEOJSON_NAME = "alerts.geojson"
SCHEMA_VERSION = 3
ID_HEX_CHARS = 16
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # fixed width, so stored times sort as text
KNOT_MPS = 1852.0 / 3600.0
UNIDENTIFIED_TYPE = "unidentified_tanker"  # an alert of a tanker in port not named (VisitConfig.alert_unidentified)
STS_TYPE = "sts_transfer"  # two hulls side by side, at least one a tanker (inference/sts.py)
COAL_TYPE = "coal_loading"  # a bulk carrier at a watched coal berth or its port's anchorage (inference/coal.py)
UNREACHABLE_SLACK_M = 2_000.0  # position error and swinging at anchor: nearer than this is always reachable

# Schema by version: a store at version k gets the statements of every later version, in one transaction.
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS scenes (
    scene_id TEXT PRIMARY KEY, path TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS visits (
    visit_id TEXT PRIMARY KEY, imo TEXT NOT NULL, port_id TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, sightings INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS visits_by_vessel ON visits (imo, port_id, first_seen);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL UNIQUE, scene_id TEXT NOT NULL,
    visit_id TEXT NOT NULL REFERENCES visits (visit_id), json TEXT NOT NULL);
""",
    # analyst review: every tanker seen in a port (alerted or not) with its look, the decisions (an audit log
    # that never changes an alert line), and the signatures those decisions (or imported files) give each vessel
    2: """
CREATE TABLE IF NOT EXISTS observations (
    observation_id TEXT PRIMARY KEY, scene_id TEXT NOT NULL, acquired TEXT NOT NULL, port_id TEXT NOT NULL,
    center_lon REAL NOT NULL, center_lat REAL NOT NULL, length_m REAL NOT NULL, beam_m REAL NOT NULL,
    candidates TEXT NOT NULL, signature TEXT, alert_id TEXT, chip TEXT);
CREATE INDEX IF NOT EXISTS observations_by_alert ON observations (alert_id);
CREATE TABLE IF NOT EXISTS reviews (
    review_id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL,  -- an alert id or an observation id
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'rejected')), imo TEXT NOT NULL,
    analyst TEXT NOT NULL, decided_at TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (
    signature_id TEXT PRIMARY KEY, imo TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    alert_id TEXT, scene_id TEXT, acquired TEXT, center_lon REAL, center_lat REAL, json TEXT,
    analyst TEXT NOT NULL, decided_at TEXT NOT NULL, reason TEXT NOT NULL, origin TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS signatures_by_vessel ON signatures (imo, decision);
""",
    # the batch manifest: what each scene's file was when done (a changed file is redone), what it wrote, and how
    # long each stage took; and the coal watch's stockpile area per coal berth and scene
    3: """
ALTER TABLE scenes ADD COLUMN fingerprint TEXT;
ALTER TABLE scenes ADD COLUMN outputs TEXT;
ALTER TABLE scenes ADD COLUMN timings TEXT;
CREATE TABLE IF NOT EXISTS stockpiles (
    port_area TEXT NOT NULL, scene_id TEXT NOT NULL, acquired TEXT NOT NULL, port_id TEXT NOT NULL,
    area_m2 REAL NOT NULL, covered_share REAL NOT NULL, region_m2 REAL NOT NULL,
    PRIMARY KEY (port_area, scene_id));
""",
}
SIGNATURE_COLUMNS = (
    "signature_id",
    "imo",
    "decision",
    "alert_id",
    "scene_id",
    "acquired",
    "center_lon",
    "center_lat",
    "json",
    "analyst",
    "decided_at",
    "reason",
    "origin",
)


def store_path(out_dir: Path | str) -> Path:
    """The store of a run's output folder; a one-line TankerwatchError where the folder holds none."""
    path = Path(out_dir) / DB_NAME
    if not path.is_file():
        raise TankerwatchError(f"{out_dir}: no {DB_NAME} here (give the --out folder of a `tankerwatch run`)")
    return path


def connect_read_only(db_path: Path, timeout_s: float = 5.0) -> sqlite3.Connection:
    """A read-only connection to a store, for readers beside the batch (feed, exports, report): rows as sqlite3.Row.

    A percent-encoded file: URI, so '?' or '#' in the path cannot add parameters; query_only as well, so no
    statement can write even where the file's permissions would let it."""
    db = sqlite3.connect(
        Path(db_path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, timeout=timeout_s
    )
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA query_only = ON")
    return db


def utc_iso(t: datetime) -> str:
    """ISO 8601 UTC time with a 'Z' (a naive time is taken to be UTC already)."""
    t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    return t.strftime(TIME_FORMAT)


def _parse_utc(text: str) -> datetime:
    """A time stored by utc_iso, back as an aware datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def stable_id(*parts: str) -> str:
    """A short deterministic id: the same inputs give the same id in every run."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


def observation_id_for(scene_id: str, lon: float, lat: float) -> str:
    """Id of one tanker seen in one scene: scene and position rounded to ~10 m."""
    return stable_id("observation", scene_id, f"{lon:.4f}", f"{lat:.4f}")


def alert_id_for(scene_id: str, port_id: str, imo: str, lon: float, lat: float) -> str:
    """Alert id of one sighting: scene, port, vessel and position rounded to ~10 m."""
    return stable_id("alert", scene_id, port_id, imo, f"{lon:.4f}", f"{lat:.4f}")


def _rounded(value: float | None, digits: int) -> float | None:
    """A number rounded for the feed; None stays None."""
    return None if value is None else round(value, digits)


def candidate_evidence(c: Candidate) -> dict:
    """Why a candidate has its probability: size against the registry (z-scores), type, look, confirmed sightings."""
    return {
        "delta_length_m": _rounded(c.delta_length_m, 2),
        "delta_beam_m": _rounded(c.delta_beam_m, 2),
        "z_length": _rounded(c.z_length, 2),
        "z_beam": _rounded(c.z_beam, 2),
        "dims_estimated": c.dims_estimated,
        "p_tanker": round(c.p_tanker, 4),
        "appearance_llr": _rounded(c.appearance_llr, 2),
        "confirmed_sightings": list(c.sightings),
    }


def _candidate_json(ident: Identification) -> list[dict]:
    """Ranked candidates as the alert contract spells them, each with its evidence."""
    return [
        {
            "imo": c.imo,
            "name": c.name,
            "probability": round(c.probability, 4),
            "length_m": c.length_m,
            "beam_m": c.beam_m,
            "sanctions": list(c.sanctions),
            "evidence": candidate_evidence(c),
        }
        for c in ident.candidates
    ]


def envelope(
    kind: str,
    ident: Identification,
    alert_id: str,
    scene_id: str,
    acquired: str,
    port: tuple[str | None, str | None],
    visit: dict,
    chip: str,
) -> dict:
    """The fields every alert type shares (DESIGN.md), in contract order, from one hull; port is (id, name)."""
    d = ident.detection
    return {
        "alert_id": alert_id,
        "type": kind,
        "port_id": port[0],
        "port_name": port[1],
        "scene_id": scene_id,
        "acquired": acquired,
        "center_lon": round(d.center_lon, 7),
        "center_lat": round(d.center_lat, 7),
        "length_m": round(d.length_m, 2),
        "beam_m": round(d.beam_m, 2),
        "heading_deg": round(d.heading_deg, 1),
        "confidence": round(d.confidence, 4),
        "candidates": _candidate_json(ident),
        "visit_id": visit["visit_id"],
        "first_seen": visit["first_seen"],
        "last_seen": visit["last_seen"],
        "sightings": visit["sightings"],
        "chip": chip,
    }


def alert_record(
    ident: Identification, alert_id: str, scene_id: str, acquired: str, port_name: str, visit: dict, chip: str
) -> dict:
    """One port-visit alert with the DESIGN.md fields in contract order, and the laden state where it was read."""
    d = ident.detection
    return {
        **envelope("port_visit", ident, alert_id, scene_id, acquired, (d.port_id, port_name), visit, chip),
        # the draught cue where it was read (deliveries count a tanker that arrived light at a DPRK port as zero)
        **({"load_state": d.load_state, "freeboard_m": d.freeboard_m} if d.load_state else {}),
    }


@dataclass
class SceneManifest:
    """What the manifest keeps of a scene: its file's fingerprint, the outputs written, and seconds per stage."""

    fingerprint: str | None = None  # tankerwatch.io.file_fingerprint of the scene file
    outputs: dict = field(default_factory=dict)  # e.g. {"detections": "detections/x.geojson", "alerts": 2}
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds


@dataclass
class SceneEvents:
    """What a scene shows beyond port calls, alerted (and, for stockpiles, stored) in the same transaction as
    its port visits."""

    sts: list[StsEvent] = field(default_factory=list)
    coal: list[tuple[CoalObservation, Identification]] = field(default_factory=list)
    stockpiles: list[StockpileReading] = field(default_factory=list)


def coal_alert_record(
    obs: CoalObservation, ident: Identification, alert_id: str, scene_id: str, acquired: str, port: dict
) -> dict:
    """A coal_loading alert: the bulk carrier in the envelope, its area, P(bulk carrier) and the stockpile of its
    port's coal berth in this scene (with the change since the berth's previous reading). port holds port_name,
    visit, chip and stockpile."""
    return {
        **envelope(
            COAL_TYPE,
            ident,
            alert_id,
            scene_id,
            acquired,
            (obs.port_id, port["port_name"]),
            port["visit"],
            port["chip"],
        ),
        "port_area": obs.port_area,
        "area_kind": obs.area_kind,
        "p_bulk_carrier": _rounded(obs.p_bulk_carrier, 4),
        "vessels": [vessel_record(ident)],
        "stockpile": port["stockpile"],
    }


def vessel_record(ident: Identification) -> dict:
    """One hull of an event alert: its measurements, detector class, ship type, cues read and candidates."""
    d = ident.detection
    return {
        "class": d.class_name,
        "type": d.type_name,
        "type_probabilities": d.type_probabilities,
        "confidence": round(d.confidence, 4),
        "center_lon": round(d.center_lon, 7),
        "center_lat": round(d.center_lat, 7),
        "length_m": round(d.length_m, 2),
        "beam_m": round(d.beam_m, 2),
        "heading_deg": round(d.heading_deg, 1),
        "heading_ambiguous": d.heading_ambiguous,
        **optional_properties(d),
        "candidates": _candidate_json(ident),
    }


def sts_alert_id(scene_id: str, a: Identification, b: Identification) -> str:
    """Alert id of one STS pair: the scene and both hull positions (~10 m), in either order."""
    ends = sorted(f"{i.detection.center_lon:.4f},{i.detection.center_lat:.4f}" for i in (a, b))
    return stable_id(STS_TYPE, scene_id, *ends)


def sts_alert_record(
    pair: StsPair, a: Identification, b: Identification, alert_id: str, scene_id: str, acquired: str, port: dict
) -> dict:
    """An sts_transfer alert: the envelope from the pair's tanker (the larger, where both are), both hulls under
    `vessels`, and the pair's geometry. port holds port_id, port_name, visit and chip."""
    lead = max((a, b), key=lambda i: (i.detection.class_name == "tanker", i.detection.length_m))
    alert = envelope(
        STS_TYPE, lead, alert_id, scene_id, acquired, (port["port_id"], port["port_name"]), port["visit"], port["chip"]
    )
    return {
        **alert,
        "center_lon": round((a.detection.center_lon + b.detection.center_lon) / 2, 7),
        "center_lat": round((a.detection.center_lat + b.detection.center_lat) / 2, 7),
        "confidence": round(min(a.detection.confidence, b.detection.confidence), 4),
        "vessels": [vessel_record(i) for i in (a, b)],
        "gap_m": pair.gap_m,
        "angle_deg": pair.angle_deg,
        "overlap_share": pair.overlap_share,
    }


def _reading(row: dict) -> StockpileReading:
    """A stored stockpile row as the coal watch's reading."""
    when = _parse_utc(row["acquired"]) if row.get("acquired") else None
    return StockpileReading(
        row["port_area"], row["scene_id"], when, row["area_m2"], row["covered_share"], row["port_id"], row["region_m2"]
    )


def stockpile_entry(row: dict, prev: dict | None, min_covered_share: float = 0.98) -> dict:
    """A stockpile row with change_m2 / change_share since the berth's reading before (None, with the reason,
    where there is none or the two are not comparable)."""
    entry = {
        "port_area": row["port_area"],
        "port_id": row["port_id"],
        "scene_id": row["scene_id"],
        "acquired": row["acquired"],
        "area_m2": round(row["area_m2"], 1),
        "covered_share": round(row["covered_share"], 4),
        "previous_scene_id": None,
        "change_m2": None,
        "change_share": None,
        "reason": "no earlier reading of this berth",
    }
    if prev is not None:
        change = stockpile_change(_reading(prev), _reading(row), min_covered_share)
        entry.update(
            previous_scene_id=prev["scene_id"],
            change_m2=change.change_m2,
            change_share=change.change_share,
            reason=change.reason,
        )
    return entry


class AlertStore:
    """The batch manifest, port visits and alerts of one output folder (OUT/tankerwatch.sqlite)."""

    def __init__(self, out_dir: Path | str) -> None:
        self.out_dir = Path(out_dir)
        self.db_path = self.out_dir / DB_NAME
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) so nothing commits by accident
        self._db = sqlite3.connect(self.db_path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        try:
            # write-ahead log: readers (the feed server, another process's review) see the last committed state
            # while a batch writes, and never wait for it
            self._db.execute("PRAGMA journal_mode=WAL")
            self._init_schema()
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise TankerwatchError(f"{self.db_path}: not a usable tankerwatch database ({e})") from None
        if self._feeds_stale():
            self.write_feeds()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _init_schema(self) -> None:
        """Create the tables of a new store, or migrate an older store to this schema version."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this tankerwatch's {SCHEMA_VERSION}")
        if version == SCHEMA_VERSION:
            return
        with self._transaction():
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[v].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- manifest -------------------------------------------------------------------------

    def scene_status(self, scene_id: str) -> str | None:
        """'done' or 'failed' for a scene seen before, None for a new one."""
        row = self._db.execute("SELECT status FROM scenes WHERE scene_id = ?", (scene_id,)).fetchone()
        return row["status"] if row else None

    def scene_entry(self, scene_id: str) -> dict | None:
        """A scene's manifest row (path, status, reason, fingerprint, outputs, timings, updated), or None."""
        row = self._db.execute("SELECT * FROM scenes WHERE scene_id = ?", (scene_id,)).fetchone()
        if row is None:
            return None
        entry = dict(row)
        for key in ("outputs", "timings"):
            entry[key] = json.loads(entry[key]) if entry.get(key) else None
        return entry

    def manifest(self) -> list[dict]:
        """Every scene of the manifest, by scene id."""
        ids = [r["scene_id"] for r in self._db.execute("SELECT scene_id FROM scenes ORDER BY scene_id")]
        return [e for e in (self.scene_entry(i) for i in ids) if e is not None]

    def _set_scene(
        self,
        db: sqlite3.Connection,
        scene_id: str,
        path: str,
        status: str,
        reason: str | None,
        manifest: SceneManifest | None = None,
    ) -> None:
        """Record a scene's outcome in the manifest (inside the caller's transaction)."""
        m = manifest or SceneManifest()
        db.execute(
            "INSERT INTO scenes (scene_id, path, status, reason, updated, fingerprint, outputs, timings) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scene_id) DO UPDATE SET path = excluded.path, status = excluded.status, "
            "reason = excluded.reason, updated = excluded.updated, fingerprint = excluded.fingerprint, "
            "outputs = excluded.outputs, timings = excluded.timings",
            (
                scene_id,
                path,
                status,
                reason,
                utc_iso(datetime.now(timezone.utc)),
                m.fingerprint,
                json.dumps(m.outputs) if m.outputs else None,
                json.dumps({k: round(v, 3) for k, v in m.timings.items()}) if m.timings else None,
            ),
        )

    def mark_failed(self, scene_id: str, path: str, reason: str, manifest: SceneManifest | None = None) -> None:
        """Record that a scene failed, and why, so the batch can go on and report it."""
        with self._transaction() as db:
            self._set_scene(db, scene_id, path, "failed", reason, manifest)

    # --- visits ---------------------------------------------------------------------------

    def _add_sighting(self, db: sqlite3.Connection, imo: str, port_id: str, seen: datetime, gap: timedelta) -> dict:
        """Join a sighting to the visit it falls within gap of (earliest such), or open a new visit."""
        row = db.execute(
            "SELECT * FROM visits WHERE imo = ? AND port_id = ? AND first_seen <= ? AND last_seen >= ? "
            "ORDER BY first_seen LIMIT 1",
            (imo, port_id, utc_iso(seen + gap), utc_iso(seen - gap)),
        ).fetchone()
        when = utc_iso(seen)
        if row is None:
            visit = {
                "visit_id": stable_id("visit", imo, port_id, when),
                "first_seen": when,
                "last_seen": when,
                "sightings": 1,
            }
            db.execute("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)", (visit["visit_id"], imo, port_id, when, when, 1))
            return visit
        # A sighting bridging two visits joins the earlier; visits never merge, so no visit_id ever changes.
        visit = {
            "visit_id": row["visit_id"],
            "first_seen": min(row["first_seen"], when),
            "last_seen": max(row["last_seen"], when),
            "sightings": row["sightings"] + 1,
        }
        db.execute(
            "UPDATE visits SET first_seen = ?, last_seen = ?, sightings = ? WHERE visit_id = ?",
            (visit["first_seen"], visit["last_seen"], visit["sightings"], visit["visit_id"]),
        )
        return visit

    @staticmethod
    def _unreachable(
        db: sqlite3.Connection, imo: str, scene_id: str, lon: float, lat: float, seen: datetime, max_speed_kn: float
    ) -> bool:
        """Whether an earlier alert of this vessel in another scene lies further than max_speed_kn could sail."""
        max_mps = max_speed_kn * KNOT_MPS
        # only this vessel's alerts (its visits), not every alert of the store: a write stays linear in its size
        rows = db.execute(
            "SELECT a.json FROM alerts a JOIN visits v ON v.visit_id = a.visit_id WHERE v.imo = ? AND a.scene_id != ?",
            (imo, scene_id),
        )
        for (text,) in rows:
            a = json.loads(text)
            if a["type"] != "port_visit":
                continue
            hours = abs((_parse_utc(a["acquired"]) - seen).total_seconds())
            if geodesic_m(lon, lat, a["center_lon"], a["center_lat"]) > max_mps * hours + UNREACHABLE_SLACK_M:
                return True
        return False

    # --- alerts ---------------------------------------------------------------------------

    def record_scene(
        self,
        scene_id: str,
        scene_path: str,
        acquired: datetime | None,
        idents: list[Identification],
        cfg_match: MatchConfig,
        cfg_visits: VisitConfig,
        write_chip: ChipWriter,
        port_names: dict[str, str],
        events: SceneEvents | None = None,
        manifest: SceneManifest | None = None,
        min_covered_share: float = 0.98,
    ) -> list[dict]:
        """Store a scene's matched in-port tankers and its events (STS pairs) as alerts and mark it done, in one
        transaction; the new alerts."""
        if acquired is None:
            raise TankerwatchError(f"{scene_path}: no acquisition time; cannot place sightings in port visits")
        when = utc_iso(acquired)
        seen = _parse_utc(when)  # whole seconds, as stored, so visit gaps compare like the stored times
        gap = timedelta(hours=cfg_visits.gap_hours)
        new: list[dict] = []
        with self._transaction() as db:
            for ident in idents:
                d = ident.detection
                if d.port_id is None or d.class_name != "tanker":
                    continue
                observation = self._observe(db, ident, scene_id, when)
                if not is_match(ident, cfg_match):
                    if observation is None:  # recorded by an earlier run
                        continue
                    if cfg_visits.alert_unidentified:
                        new.append(
                            self._alert_unidentified(db, ident, observation, scene_id, when, write_chip, port_names)
                        )
                    else:  # kept as an observation: its chip lets an analyst name it
                        db.execute(
                            "UPDATE observations SET chip = ? WHERE observation_id = ?",
                            (write_chip(ident, f"obs-{observation}"), observation),
                        )
                    continue
                imo = ident.candidates[0].imo
                alert_id = alert_id_for(scene_id, d.port_id, imo, d.center_lon, d.center_lat)
                if db.execute("SELECT 1 FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone():
                    continue  # this sighting was recorded by an earlier run
                if self._unreachable(db, imo, scene_id, d.center_lon, d.center_lat, seen, cfg_match.max_speed_kn):
                    continue  # the vessel was named elsewhere, too far away to have sailed here: not this one
                visit = self._add_sighting(db, imo, d.port_id, seen, gap)
                chip = write_chip(ident, alert_id)
                alert = alert_record(ident, alert_id, scene_id, when, port_names.get(d.port_id, d.port_id), visit, chip)
                db.execute(
                    "INSERT INTO alerts (alert_id, scene_id, visit_id, json) VALUES (?, ?, ?, ?)",
                    (alert_id, scene_id, visit["visit_id"], json.dumps(alert, ensure_ascii=False)),
                )
                db.execute(
                    "UPDATE observations SET alert_id = ?, chip = ? WHERE observation_id = ?",
                    (alert_id, chip, observation_id_for(scene_id, d.center_lon, d.center_lat)),
                )
                new.append(alert)
            stock = self._record_stockpiles(db, events.stockpiles if events else [], min_covered_share)
            for event in events.sts if events else []:
                sts = self._alert_sts(db, event, scene_id, when, write_chip, port_names)
                if sts is not None:
                    new.append(sts)
            for obs, ident in events.coal if events else []:
                coal = self._alert_coal(db, obs, ident, scene_id, when, write_chip, port_names, stock)
                if coal is not None:
                    new.append(coal)
            if manifest is not None:
                manifest.outputs = {**manifest.outputs, "alerts": len(new)}
            self._set_scene(db, scene_id, scene_path, "done", None, manifest)
        self.write_feeds()
        return new

    @staticmethod
    def _one_sighting_visit(db: sqlite3.Connection, key: tuple[str, ...], port_id: str, when: str) -> dict:
        """The own visit of an alert with no identity to join visits by (an unidentified tanker, an event)."""
        visit = {"visit_id": stable_id("visit", *key), "first_seen": when, "last_seen": when, "sightings": 1}
        db.execute("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)", (visit["visit_id"], "", port_id, when, when, 1))
        return visit

    @staticmethod
    def _insert_alert(db: sqlite3.Connection, alert: dict) -> dict:
        """Store an alert's line as emitted; the alert."""
        db.execute(
            "INSERT INTO alerts (alert_id, scene_id, visit_id, json) VALUES (?, ?, ?, ?)",
            (alert["alert_id"], alert["scene_id"], alert["visit_id"], json.dumps(alert, ensure_ascii=False)),
        )
        return alert

    def _alert_unidentified(
        self,
        db: sqlite3.Connection,
        ident: Identification,
        observation: str,
        scene_id: str,
        when: str,
        write_chip: ChipWriter,
        port_names: dict[str, str],
    ) -> dict:
        """Alert a tanker in port that no registry vessel is probable enough for: its own one-sighting visit."""
        d = ident.detection
        assert d.port_id is not None  # record_scene passes tankers in port only
        alert_id = stable_id("unidentified", observation)
        visit = self._one_sighting_visit(db, ("unidentified", observation), d.port_id, when)
        chip = write_chip(ident, alert_id)
        alert = {
            **alert_record(ident, alert_id, scene_id, when, port_names.get(d.port_id, d.port_id), visit, chip),
            "type": UNIDENTIFIED_TYPE,
        }
        self._insert_alert(db, alert)
        db.execute(
            "UPDATE observations SET alert_id = ?, chip = ? WHERE observation_id = ?", (alert_id, chip, observation)
        )
        return alert

    def _alert_sts(
        self,
        db: sqlite3.Connection,
        event: StsEvent,
        scene_id: str,
        when: str,
        write_chip: ChipWriter,
        port_names: dict[str, str],
    ) -> dict | None:
        """Alert a ship-to-ship transfer candidate (its own one-sighting visit); None if an earlier run did."""
        alert_id = sts_alert_id(scene_id, event.a, event.b)
        if db.execute("SELECT 1 FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone():
            return None
        port = {
            "port_id": event.port_id,
            "port_name": port_names.get(event.port_id, event.port_id) if event.port_id else None,
            "visit": self._one_sighting_visit(db, (STS_TYPE, alert_id), event.port_id or "", when),
            "chip": write_chip([event.a, event.b], alert_id),
        }
        return self._insert_alert(db, sts_alert_record(event.pair, event.a, event.b, alert_id, scene_id, when, port))

    def _alert_coal(
        self,
        db: sqlite3.Connection,
        obs: CoalObservation,
        ident: Identification,
        scene_id: str,
        when: str,
        write_chip: ChipWriter,
        port_names: dict[str, str],
        stock: dict[str, dict],
    ) -> dict | None:
        """Alert a bulk carrier at a watched coal area (its own one-sighting visit); None if an earlier run did."""
        d = ident.detection
        alert_id = stable_id(COAL_TYPE, scene_id, f"{d.center_lon:.4f}", f"{d.center_lat:.4f}")
        if db.execute("SELECT 1 FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone():
            return None
        port = {
            "port_name": port_names.get(obs.port_id, obs.port_id),
            "visit": self._one_sighting_visit(db, (COAL_TYPE, alert_id), obs.port_id, when),
            "chip": write_chip(ident, alert_id),
            # the stockpile of the berth the ship lies at, else of the first coal berth of its port read here
            "stockpile": stock.get(obs.port_area)
            or next((v for v in stock.values() if v["port_id"] == obs.port_id), None),
        }
        return self._insert_alert(db, coal_alert_record(obs, ident, alert_id, scene_id, when, port))

    @staticmethod
    def _record_stockpiles(
        db: sqlite3.Connection, readings: list[StockpileReading], min_covered_share: float
    ) -> dict[str, dict]:
        """Store a scene's stockpile readings; per coal berth, the reading with its change since the berth's
        previous reading in time."""
        out = {}
        for r in readings:
            row = {
                "port_area": r.port_area,
                "scene_id": r.scene_id,
                "acquired": utc_iso(r.acquired) if r.acquired else "",
                "port_id": r.port_id,
                "area_m2": r.area_m2,
                "covered_share": r.covered_share,
                "region_m2": r.region_m2,
            }
            db.execute(
                "INSERT OR REPLACE INTO stockpiles VALUES (?, ?, ?, ?, ?, ?, ?)",
                tuple(
                    row[k]
                    for k in ("port_area", "scene_id", "acquired", "port_id", "area_m2", "covered_share", "region_m2")
                ),
            )
            prev = db.execute(
                "SELECT * FROM stockpiles WHERE port_area = ? AND acquired < ? ORDER BY acquired DESC LIMIT 1",
                (r.port_area, row["acquired"]),
            ).fetchone()
            out[r.port_area] = stockpile_entry(row, dict(prev) if prev else None, min_covered_share)
        return out

    def stockpiles(self, min_covered_share: float = 0.98) -> list[dict]:
        """Every stockpile reading, per coal berth in time order, each with its change since the one before."""
        rows = [dict(r) for r in self._db.execute("SELECT * FROM stockpiles ORDER BY port_area, acquired, scene_id")]
        return [
            stockpile_entry(
                row, rows[i - 1] if i and rows[i - 1]["port_area"] == row["port_area"] else None, min_covered_share
            )
            for i, row in enumerate(rows)
        ]

    @staticmethod
    def _observe(db: sqlite3.Connection, ident: Identification, scene_id: str, when: str) -> str | None:
        """Record a tanker seen in a port with its candidates and look; its id, or None if an earlier run did."""
        d = ident.detection
        oid = observation_id_for(scene_id, d.center_lon, d.center_lat)
        candidates = [{"imo": c.imo, "name": c.name, "probability": round(c.probability, 4)} for c in ident.candidates]
        cur = db.execute(
            "INSERT OR IGNORE INTO observations (observation_id, scene_id, acquired, port_id, center_lon, center_lat, "
            "length_m, beam_m, candidates, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                oid,
                scene_id,
                when,
                d.port_id,
                d.center_lon,
                d.center_lat,
                d.length_m,
                d.beam_m,
                json.dumps(candidates),
                json.dumps(ident.signature) if ident.signature is not None else None,
            ),
        )
        return oid if cur.rowcount else None

    # --- analyst review -------------------------------------------------------------------

    def observations(self, unidentified_only: bool = False) -> list[dict]:
        """Tankers seen in ports, in the order seen (only those not alerted, if asked)."""
        where = " WHERE alert_id IS NULL" if unidentified_only else ""
        rows = self._db.execute(f"SELECT * FROM observations{where} ORDER BY acquired, observation_id").fetchall()
        return [{**dict(r), "candidates": json.loads(r["candidates"])} for r in rows]

    def alert(self, alert_id: str) -> dict | None:
        """One alert as emitted, or None when no alert has that id."""
        row = self._db.execute("SELECT json FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        return json.loads(row["json"]) if row else None

    def _sighting(self, sighting_id: str) -> tuple[dict, str | None]:
        """An alert (or, for an unidentified tanker, its observation) by id, and the hull's signature JSON."""
        alert = self.alert(sighting_id)
        key = ("alert_id", sighting_id) if alert is not None else ("observation_id", sighting_id)
        row = self._db.execute(f"SELECT * FROM observations WHERE {key[0]} = ?", (key[1],)).fetchone()
        if alert is None and row is None:
            raise TankerwatchError(
                f"{self.db_path}: no alert or observation {sighting_id!r} (see `tankerwatch review {self.out_dir}`)"
            )
        seen = alert or {**dict(row), "candidates": json.loads(row["candidates"])}
        return seen, row["signature"] if row is not None else None

    def decide(
        self, sighting_id: str, decision: str, imo: str | None, analyst: str, reason: str, when: datetime | None = None
    ) -> dict:
        """Record an analyst's confirm or reject of an alert (or an unidentified tanker's observation), and the
        signature it gives the vessel; the stored row."""
        if decision not in ("confirmed", "rejected"):
            raise TankerwatchError(f"decision {decision!r}: expected confirmed or rejected")
        seen, signature = self._sighting(sighting_id)
        named = seen["candidates"][0]["imo"] if seen["candidates"] else None
        imo = imo or named
        if imo is None:
            raise TankerwatchError(f"{sighting_id} has no registry candidate: say which vessel it is with --imo")
        if decision == "rejected" and imo != named:
            raise TankerwatchError(f"{sighting_id} names {named}; a reject is of the vessel it names")
        decided = utc_iso(when or datetime.now(timezone.utc))
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reviews (alert_id, decision, imo, analyst, decided_at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (sighting_id, decision, imo, analyst, decided, reason),
            )
            row = {
                "signature_id": stable_id("review", sighting_id),
                "imo": imo,
                "decision": decision,
                "alert_id": sighting_id,
                "scene_id": seen["scene_id"],
                "acquired": seen["acquired"],
                "center_lon": seen["center_lon"],
                "center_lat": seen["center_lat"],
                "json": signature,
                "analyst": analyst,
                "decided_at": decided,
                "reason": reason,
                "origin": "review",
            }
            # a later decision on the same alert replaces the earlier one's signature (the audit log keeps both)
            db.execute(
                f"INSERT OR REPLACE INTO signatures VALUES ({', '.join('?' * len(SIGNATURE_COLUMNS))})",
                tuple(row[c] for c in SIGNATURE_COLUMNS),
            )
        return row

    def vessel_history(self, imo: str) -> list[dict]:
        """A vessel's visits across ports in time order, each with its alerts (id, scene, time, probability)."""
        visits = self._db.execute("SELECT * FROM visits WHERE imo = ? ORDER BY first_seen, visit_id", (imo,)).fetchall()
        out = []
        for v in visits:
            rows = self._db.execute("SELECT json FROM alerts WHERE visit_id = ? ORDER BY seq", (v["visit_id"],))
            alerts = [json.loads(r["json"]) for r in rows]
            out.append(
                {
                    **dict(v),
                    "alerts": [
                        {
                            "alert_id": a["alert_id"],
                            "scene_id": a["scene_id"],
                            "acquired": a["acquired"],
                            "probability": a["candidates"][0]["probability"],
                        }
                        for a in alerts
                    ],
                }
            )
        return out

    def decisions(self) -> dict[str, dict]:
        """The latest decision on each reviewed alert, by alert id."""
        rows = self._db.execute("SELECT * FROM reviews ORDER BY review_id").fetchall()
        return {r["alert_id"]: dict(r) for r in rows}

    def signature_rows(self) -> list[dict]:
        """Every stored vessel signature (confirmed and rejected, reviewed here or imported)."""
        return [dict(r) for r in self._db.execute("SELECT * FROM signatures ORDER BY decided_at, signature_id")]

    def import_signatures(self, rows: list[dict], origin: str) -> int:
        """Add signatures shared by another team's store; those already here are left alone. Rows added."""
        with self._transaction() as db:
            before = db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0]
            for row in rows:
                db.execute(
                    f"INSERT OR IGNORE INTO signatures VALUES ({', '.join('?' * len(SIGNATURE_COLUMNS))})",
                    tuple({**row, "origin": origin}[c] for c in SIGNATURE_COLUMNS),
                )
            return db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] - before

    def alerts(self, current: bool = False) -> list[dict]:
        """All alerts in the order they were emitted; current=True refreshes each one's visit state."""
        rows = self._db.execute(
            "SELECT a.json, v.first_seen, v.last_seen, v.sightings FROM alerts a "
            "JOIN visits v ON v.visit_id = a.visit_id ORDER BY a.seq"
        ).fetchall()
        out = []
        for row in rows:
            alert = json.loads(row["json"])
            if current:
                alert.update(first_seen=row["first_seen"], last_seen=row["last_seen"], sightings=row["sightings"])
            out.append(alert)
        return out

    def _jsonl_text(self) -> str:
        """alerts.jsonl: each alert's JSON exactly as stored at creation, one per line."""
        rows = self._db.execute("SELECT json FROM alerts ORDER BY seq").fetchall()
        return "".join(row["json"] + "\n" for row in rows)

    def _geojson_text(self) -> str:
        """alerts.geojson: one RFC 7946 Point Feature per alert, with its visit's current state."""
        features = [
            {
                "type": "Feature",
                "id": a["alert_id"],
                "geometry": {"type": "Point", "coordinates": [a["center_lon"], a["center_lat"]]},
                "properties": a,
            }
            for a in self.alerts(current=True)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1) + "\n"

    def write_feeds(self) -> None:
        """Rewrite alerts.geojson, then alerts.jsonl, atomically from the database."""
        # jsonl last: a crash in between leaves it short, which _feeds_stale notices on the next open
        atomic_write_text(self.out_dir / GEOJSON_NAME, self._geojson_text())
        atomic_write_text(self.out_dir / JSONL_NAME, self._jsonl_text())

    def _feeds_stale(self) -> bool:
        """Whether a crash after a commit left the feed files behind the database."""
        count = self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        jsonl, geojson = self.out_dir / JSONL_NAME, self.out_dir / GEOJSON_NAME
        if not jsonl.exists() or not geojson.exists():
            return count > 0
        with open(jsonl, "rb") as fh:
            return sum(1 for _ in fh) != count
