"""The alert store: idempotent scenes, stable visit ids across gaps and out-of-order scenes, feed files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tankerwatch.config import MatchConfig, VisitConfig
from tankerwatch.inference.visits import DB_NAME, AlertStore
from tankerwatch.schema import Candidate, Detection, Identification, OrientedBox, TankerwatchError

T0 = datetime(2024, 5, 1, 2, 31, tzinfo=timezone.utc)
PORT_NAMES = {"RU-VOS": "Vostochny"}
ALERT_FIELDS = [
    "alert_id",
    "type",
    "port_id",
    "port_name",
    "scene_id",
    "acquired",
    "center_lon",
    "center_lat",
    "length_m",
    "beam_m",
    "heading_deg",
    "confidence",
    "candidates",
    "visit_id",
    "first_seen",
    "last_seen",
    "sightings",
    "chip",
]


def sighting(
    scene_id: str, imo: str = "1000021", probability: float = 0.8, port_id: str | None = "RU-VOS", lon: float = 133.065
) -> Identification:
    """An identified 104.5 x 16.8 m tanker at Vostochny, as the matcher would hand it over."""
    box = OrientedBox(500.0, 500.0, 209.0, 33.6, 0.3, 0.93, "tanker")
    det = Detection(
        scene_id=scene_id,
        class_name="tanker",
        confidence=0.93,
        length_m=104.51234,
        beam_m=16.8,
        heading_deg=30.04,
        heading_ambiguous=False,
        center_lon=lon,
        center_lat=42.7475,
        footprint_lonlat=[],
        acquired=None,
        gsd_m=0.5,
        box=box,
        port_id=port_id,
    )
    top = Candidate(imo, "DEMO STAR", probability, 104.5, 16.8, ("UN-1718", "OFAC-SDN"))
    return Identification(det, [top], 1 - probability)


class ChipRecorder:
    """A write_chip stand-in that remembers which alerts asked for a chip."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, ident: Identification, alert_id: str) -> str:
        self.calls.append(alert_id)
        return f"chips/{alert_id}.png"


def record(
    store: AlertStore,
    scene_id: str,
    acquired: datetime,
    idents: list[Identification],
    chips: ChipRecorder | None = None,
    gap_hours: float = 72.0,
) -> list[dict]:
    """record_scene with default matching config and the Vostochny port name."""
    return store.record_scene(
        scene_id,
        f"/scenes/{scene_id}.tif",
        acquired,
        idents,
        MatchConfig(),
        VisitConfig(gap_hours=gap_hours),
        chips or ChipRecorder(),
        PORT_NAMES,
    )


def jsonl(out: Path) -> list[dict]:
    """The alert lines of OUT/alerts.jsonl."""
    return [json.loads(line) for line in (out / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]


def test_an_alert_has_exactly_the_contract_fields(tmp_path):
    with AlertStore(tmp_path) as store:
        [alert] = record(store, "s1", T0, [sighting("s1")])
    assert list(alert) == ALERT_FIELDS
    assert (alert["type"], alert["port_id"], alert["port_name"], alert["scene_id"]) == (
        "port_visit",
        "RU-VOS",
        "Vostochny",
        "s1",
    )
    assert alert["acquired"] == alert["first_seen"] == alert["last_seen"] == "2024-05-01T02:31:00Z"
    assert (alert["length_m"], alert["heading_deg"], alert["sightings"]) == (104.51, 30.0, 1)
    (c,) = alert["candidates"]
    assert {k: v for k, v in c.items() if k != "evidence"} == {
        "imo": "1000021",
        "name": "DEMO STAR",
        "probability": 0.8,
        "length_m": 104.5,
        "beam_m": 16.8,
        "sanctions": ["UN-1718", "OFAC-SDN"],
    }
    assert c["evidence"]["p_tanker"] == 1.0 and c["evidence"]["confirmed_sightings"] == []
    assert alert["chip"] == f"chips/{alert['alert_id']}.png"
    assert jsonl(tmp_path) == [alert]


def test_only_matched_tankers_inside_ports_alert(tmp_path):
    with AlertStore(tmp_path) as store:
        new = record(
            store,
            "s1",
            T0,
            [
                sighting("s1", probability=0.3),
                sighting("s1", port_id=None),
                Identification(sighting("s1").detection, [], 1.0),
                sighting("s1", "1000033"),
            ],
        )
        assert [a["candidates"][0]["imo"] for a in new] == ["1000033"]
        assert store.scene_status("s1") == "done" and store.scene_status("s2") is None


def test_rerecording_a_scene_adds_nothing_and_leaves_the_feed_byte_identical(tmp_path):
    chips = ChipRecorder()
    with AlertStore(tmp_path) as store:
        first = record(store, "s1", T0, [sighting("s1"), sighting("s1", "1000033", lon=133.07)], chips)
    before = (tmp_path / "alerts.jsonl").read_bytes()
    with AlertStore(tmp_path) as store:  # a fresh process on the same output folder
        again = record(store, "s1", T0, [sighting("s1"), sighting("s1", "1000033", lon=133.07)], chips)
        assert again == [] and len(store.alerts()) == 2
    assert len(first) == 2 and chips.calls == [a["alert_id"] for a in first]  # chips only for new alerts
    assert (tmp_path / "alerts.jsonl").read_bytes() == before


def test_alert_ids_are_deterministic_across_output_folders(tmp_path):
    ids = []
    for name in ("a", "b"):
        with AlertStore(tmp_path / name) as store:
            ids.append([a["alert_id"] for a in record(store, "s1", T0, [sighting("s1")])])
    assert ids[0] == ids[1] and len(ids[0][0]) == 16


def test_sightings_a_day_apart_share_a_visit_and_ten_days_apart_do_not(tmp_path):
    with AlertStore(tmp_path) as store:
        [a1] = record(store, "d1", T0, [sighting("d1")])
        [a2] = record(store, "d2", T0 + timedelta(hours=24), [sighting("d2")])
        [a3] = record(store, "d12", T0 + timedelta(days=11), [sighting("d12")])
    assert a1["visit_id"] == a2["visit_id"] != a3["visit_id"]
    assert (a2["first_seen"], a2["last_seen"], a2["sightings"]) == ("2024-05-01T02:31:00Z", "2024-05-02T02:31:00Z", 2)
    assert (a3["first_seen"], a3["sightings"]) == ("2024-05-12T02:31:00Z", 1)
    # the jsonl lines keep the visit state at emission time
    assert [a["sightings"] for a in jsonl(tmp_path)] == [1, 2, 1]


def test_visits_are_per_vessel_and_gap_is_configurable(tmp_path):
    with AlertStore(tmp_path) as store:
        [a1] = record(store, "d1", T0, [sighting("d1")], gap_hours=12)
        [a2] = record(store, "d2", T0 + timedelta(hours=24), [sighting("d2")], gap_hours=12)
        [b1] = record(store, "d3", T0 + timedelta(hours=25), [sighting("d3", "1000033")], gap_hours=12)
    assert len({a1["visit_id"], a2["visit_id"], b1["visit_id"]}) == 3


def test_an_out_of_order_scene_extends_the_visit_and_keeps_its_id(tmp_path):
    with AlertStore(tmp_path) as store:
        [late] = record(store, "d3", T0 + timedelta(days=2), [sighting("d3")])
        [early] = record(store, "d1", T0, [sighting("d1")])
        [mid] = record(store, "d2", T0 + timedelta(days=1), [sighting("d2")])
        current = store.alerts(current=True)
    assert late["visit_id"] == early["visit_id"] == mid["visit_id"]
    assert (early["first_seen"], early["last_seen"], early["sightings"]) == (
        "2024-05-01T02:31:00Z",
        "2024-05-03T02:31:00Z",
        2,
    )
    assert all(
        (a["first_seen"], a["last_seen"], a["sightings"]) == ("2024-05-01T02:31:00Z", "2024-05-03T02:31:00Z", 3)
        for a in current
    )
    assert late["sightings"] == 1  # the stored line still shows the visit as it was then


def test_geojson_is_the_current_state_as_point_features(tmp_path):
    with AlertStore(tmp_path) as store:
        record(store, "d1", T0, [sighting("d1"), sighting("d1", "1000033", lon=133.07)])
        record(store, "d2", T0 + timedelta(hours=24), [sighting("d2")])
    fc = json.loads((tmp_path / "alerts.geojson").read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    f0 = fc["features"][0]
    assert f0["geometry"] == {"type": "Point", "coordinates": [133.065, 42.7475]}
    assert list(f0["properties"]) == ALERT_FIELDS and f0["properties"]["sightings"] == 2  # refreshed
    assert jsonl(tmp_path)[0]["sightings"] == 1  # while the line stays as emitted


def test_failed_scenes_are_recorded_in_the_manifest(tmp_path):
    with AlertStore(tmp_path) as store:
        store.mark_failed("bad", "/scenes/bad.tif", "/scenes/bad.tif: no CRS")
        assert store.scene_status("bad") == "failed"
        record(store, "bad", T0, [])
        assert store.scene_status("bad") == "done"


def test_a_failing_chip_writer_rolls_the_whole_scene_back(tmp_path):
    def broken_chip(ident: Identification, alert_id: str) -> str:
        raise OSError("disk full")

    with AlertStore(tmp_path) as store:
        with pytest.raises(OSError):
            store.record_scene(
                "s1", "/scenes/s1.tif", T0, [sighting("s1")], MatchConfig(), VisitConfig(), broken_chip, PORT_NAMES
            )
        assert store.alerts() == [] and store.scene_status("s1") is None
        assert len(record(store, "s1", T0, [sighting("s1")])) == 1


def test_feeds_are_rebuilt_when_a_crash_left_them_behind(tmp_path):
    with AlertStore(tmp_path) as store:
        record(store, "d1", T0, [sighting("d1")])
        expected = (tmp_path / "alerts.jsonl").read_bytes()
    (tmp_path / "alerts.jsonl").write_bytes(b"")
    with AlertStore(tmp_path):
        pass
    assert (tmp_path / "alerts.jsonl").read_bytes() == expected


def test_a_non_database_file_is_a_one_line_error(tmp_path):
    (tmp_path / "tankerwatch.sqlite").write_text("not sqlite " * 200)
    with pytest.raises(TankerwatchError, match=r"tankerwatch\.sqlite: not a usable tankerwatch database"):
        AlertStore(tmp_path)


def test_a_vessel_cannot_be_named_where_it_could_not_have_sailed(tmp_path):
    """One hour after a sighting at Vostochny, the same vessel 100 km away (54 kn) is not alerted; a day later it is."""
    with AlertStore(tmp_path) as store:
        assert len(record(store, "s1", T0, [sighting("s1")])) == 1
        far = 133.065 + 100_000 / (111_320 * 0.7346)  # about 100 km east at 42.7 N
        assert record(store, "s2", T0 + timedelta(hours=1), [sighting("s2", lon=far, port_id="RU-VOS")]) == []
        later = record(store, "s3", T0 + timedelta(hours=30), [sighting("s3", lon=far, port_id="RU-VOS")])
        assert len(later) == 1  # 100 km in 30 h is 1.8 kn
        # nearby, as a vessel swinging at anchor is, it is always reachable
        near = record(store, "s4", T0 + timedelta(hours=30, minutes=5), [sighting("s4", lon=far + 0.005)])
        assert len(near) == 1


def test_three_sightings_at_one_port_within_the_window_are_one_visit_and_rerunning_adds_nothing(tmp_path):
    with AlertStore(tmp_path) as store:
        scenes = [(f"p{k}", T0 + timedelta(hours=20 * k)) for k in range(3)]
        alerts = [record(store, sid, when, [sighting(sid)]) for sid, when in scenes]
        assert [len(a) for a in alerts] == [1, 1, 1]
        assert len({a[0]["visit_id"] for a in alerts}) == 1
        assert store.alerts(current=True)[0]["sightings"] == 3
        assert [record(store, sid, when, [sighting(sid)]) for sid, when in scenes] == [[], [], []]
        (visit,) = store.vessel_history("1000021")
    assert (visit["port_id"], visit["sightings"], len(visit["alerts"])) == ("RU-VOS", 3, 3)
    assert visit["first_seen"] == "2024-05-01T02:31:00Z" and visit["last_seen"] == "2024-05-02T18:31:00Z"


def test_a_reader_never_sees_part_of_a_scene_while_it_is_written(tmp_path):
    """WAL and one transaction per scene: another connection sees the scene's alerts all at once, or none."""
    import sqlite3

    seen_mid_write = []

    def chip_and_peek(ident, alert_id):
        reader = sqlite3.connect(f"file:{tmp_path / DB_NAME}?mode=ro", uri=True)
        seen_mid_write.append(reader.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
        reader.close()
        return f"chips/{alert_id}.png"

    with AlertStore(tmp_path) as store:
        record(store, "s0", T0, [sighting("s0")])
        two = [sighting("s1", lon=133.065), sighting("s1", "1000033", lon=133.070)]
        assert len(record(store, "s1", T0 + timedelta(hours=1), two, chips=chip_and_peek)) == 2
    assert seen_mid_write == [1, 1]  # while s1 was written, only s0's alert was visible
    journal = sqlite3.connect(tmp_path / DB_NAME).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_unidentified_tankers_in_port_alert_only_when_configured(tmp_path):
    unnamed = sighting("u1", probability=0.3)  # below the alert probability
    with AlertStore(tmp_path / "off") as store:
        assert record(store, "u1", T0, [unnamed]) == []
        (obs,) = store.observations(unidentified_only=True)
    assert obs["candidates"][0]["probability"] == 0.3
    with AlertStore(tmp_path / "on") as store:
        (alert,) = store.record_scene(
            "u1",
            "/scenes/u1.tif",
            T0,
            [unnamed],
            MatchConfig(),
            VisitConfig(alert_unidentified=True),
            ChipRecorder(),
            PORT_NAMES,
        )
        assert alert["type"] == "unidentified_tanker" and alert["sightings"] == 1
        assert list(alert) == ALERT_FIELDS and store.observations(unidentified_only=True) == []
        assert store.vessel_history("1000021") == []  # an unnamed tanker is no vessel's visit


def test_history_prints_a_vessels_visits_across_ports(tmp_path):
    from click.testing import CliRunner

    from tankerwatch.cli import main

    with AlertStore(tmp_path) as store:
        record(store, "v1", T0, [sighting("v1")])
        far = sighting("n1", port_id="RU-NAK", lon=132.9)
        store.record_scene(
            "n1",
            "/scenes/n1.tif",
            T0 + timedelta(days=5),
            [far],
            MatchConfig(),
            VisitConfig(),
            ChipRecorder(),
            {**PORT_NAMES, "RU-NAK": "Nakhodka"},
        )
    out = CliRunner().invoke(main, ["history", str(tmp_path), "1000021"])
    assert out.exit_code == 0 and "2 visit(s)" in out.output
    assert out.output.index("RU-VOS") < out.output.index("RU-NAK")  # in time order
    assert CliRunner().invoke(main, ["history", str(tmp_path), "1000033"]).exit_code == 1
    bad = CliRunner().invoke(main, ["history", str(tmp_path), "12"])
    assert bad.exit_code == 2 and "expected 7 digits" in bad.output


def test_an_older_store_is_migrated_and_keeps_its_rows(tmp_path):
    """A schema-2 store (before the manifest columns) opens at the current version with its scenes intact."""
    import sqlite3

    from tankerwatch.inference.visits import _MIGRATIONS, DB_NAME, SCHEMA_VERSION

    out = tmp_path / "out"
    out.mkdir()
    db = sqlite3.connect(out / DB_NAME)
    for v in (1, 2):
        db.executescript(_MIGRATIONS[v])
    db.execute("INSERT INTO scenes VALUES ('old', '/scenes/old.tif', 'done', NULL, '2024-01-01T00:00:00Z')")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with AlertStore(out) as store:
        entry = store.scene_entry("old")
        assert entry is not None and entry["status"] == "done" and entry["fingerprint"] is None
        version = store._db.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION == 3


def test_the_manifest_keeps_fingerprint_outputs_and_timings(tmp_path):
    from tankerwatch.inference.visits import SceneManifest

    out = tmp_path / "out"
    manifest = SceneManifest("abc123", {"detections": "detections/s1.geojson"}, {"detect": 1.23456, "read": 0.1})
    with AlertStore(out) as store:
        store.record_scene(
            "s1",
            "/scenes/s1.tif",
            datetime(2024, 5, 1, tzinfo=timezone.utc),
            [sighting("s1")],
            MatchConfig(),
            VisitConfig(),
            ChipRecorder(),
            PORT_NAMES,
            manifest=manifest,
        )
        store.mark_failed("s2", "/scenes/s2.tif", "/scenes/s2.tif: no CRS", SceneManifest("def456"))
        entries = {e["scene_id"]: e for e in store.manifest()}
    assert entries["s1"]["fingerprint"] == "abc123" and entries["s1"]["status"] == "done"
    assert entries["s1"]["outputs"] == {"detections": "detections/s1.geojson", "alerts": 1}
    assert entries["s1"]["timings"] == {"detect": 1.235, "read": 0.1}
    assert entries["s2"]["status"] == "failed" and entries["s2"]["fingerprint"] == "def456"
    assert entries["s2"]["reason"] == "/scenes/s2.tif: no CRS"
