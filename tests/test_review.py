"""Analyst review: decisions in the store, signatures shared as files, and what they change in later runs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from tankerwatch.cli import main
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.appearance import load_appearance_model
from tankerwatch.inference.pipeline import run_batch
from tankerwatch.inference.review import read_signatures_file, write_signatures_file
from tankerwatch.inference.visits import AlertStore
from tankerwatch.schema import TankerwatchError
from tests.test_pipeline import context, perfect_detector, registry_tanker  # noqa: F401  (fixtures)


def light_hull_livery(start: int) -> int:
    """A livery seed from start on whose hull is light paint: its edge reads clearly on any water.

    (A dark hull's measurement has its own test in test_measure.py; here the hull must be named by size.)"""
    from tankerwatch.datasets.synth import _Livery

    return next(s for s in range(start, start + 1000) if sum(_Livery.of(s).hull) >= 200)


VESSEL_LIVERY = light_hull_livery(0)
STRANGER_LIVERY = light_hull_livery(VESSEL_LIVERY + 1)


def tanker_scene(scene_factory, name: str, vessel, livery: int, day: int, heading: float = 75.0, imo=None):
    """A 0.5 m open-water scene at Vostochny holding one tanker of the vessel's size and the given look."""
    ship = ShipSpec(
        "product_tanker",
        vessel.length_m,
        vessel.beam_m,
        200.0,
        200.0,
        heading,
        imo=imo,
        name=vessel.name if imo else None,
        livery=livery,
    )
    return scene_factory(
        name,
        seed=100 + day,
        gsd_m=0.5,
        land=False,
        ships=[ship],
        n_tankers=0,
        n_others=0,
        acquired=f"2024-05-{day:02d}T02:30:00Z",
    )


def alerts_of(out, scene_id: str) -> list[dict]:
    """The alert lines of one scene."""
    lines = (out / "alerts.jsonl").read_text().splitlines() if (out / "alerts.jsonl").exists() else []
    return [a for a in map(json.loads, lines) if a["scene_id"] == scene_id]


@pytest.fixture
def looking(context):  # noqa: F811
    """The pipeline context with looks read (the bundled appearance model)."""
    context.appearance = load_appearance_model()
    return context


def test_review_commands_round_trip_through_the_store(scene_factory, looking, perfect_detector, tmp_path):  # noqa: F811
    v = registry_tanker(looking.registry)
    run_batch([tanker_scene(scene_factory, "s1", v, VESSEL_LIVERY, 1, imo=v.imo)], looking)
    out = looking.out_dir
    (alert,) = alerts_of(out, "s1")
    before = (out / "alerts.jsonl").read_bytes()
    runner = CliRunner()
    listed = runner.invoke(main, ["review", str(out)])
    assert listed.exit_code == 0 and alert["alert_id"] in listed.output and "pending" in listed.output
    done = runner.invoke(
        main,
        [
            "review",
            str(out),
            "confirm",
            alert["alert_id"],
            "--by",
            "A. Analyst",
            "--why",
            "green deck, white block aft",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "with its look" in done.output
    with AlertStore(out) as store:
        (decision,) = store.decisions().values()
        (sig,) = store.signature_rows()
    assert (decision["decision"], decision["imo"], decision["analyst"], decision["reason"]) == (
        "confirmed",
        v.imo,
        "A. Analyst",
        "green deck, white block aft",
    )
    assert sig["imo"] == v.imo and sig["json"] and sig["alert_id"] == alert["alert_id"]
    assert (out / "alerts.jsonl").read_bytes() == before  # a decision never rewrites an alert line
    assert "confirmed" in runner.invoke(main, ["review", "--status", "confirmed", str(out)]).output
    # errors: an unknown alert, a reject of a vessel the alert does not name
    bad = runner.invoke(main, ["review", str(out), "reject", "0000000000000000"])
    assert bad.exit_code == 2 and "no alert or observation '0000000000000000'" in bad.output
    with AlertStore(out) as store, pytest.raises(TankerwatchError, match="a reject is of the vessel it names"):
        store.decide(alert["alert_id"], "rejected", "9999999", "x", "")
    # export, then import into another run's store: once added, twice no more
    shared = tmp_path / "signatures.json"
    assert runner.invoke(main, ["review", str(out), "export", str(shared)]).exit_code == 0
    other = tmp_path / "other"
    AlertStore(other).close()
    first = runner.invoke(main, ["review", str(other), "import", str(shared)])
    assert first.exit_code == 0 and "imported 1 new signature" in first.output
    assert "imported 0 new signature" in runner.invoke(main, ["review", str(other), "import", str(shared)]).output
    with AlertStore(other) as store:
        (imported,) = store.signature_rows()
    assert imported["json"] == sig["json"] and imported["origin"] == "import:signatures.json"


def test_a_bad_signatures_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "sigs.json"
    path.write_text(json.dumps({"format": "tankerwatch-signatures/1", "signatures": [{"imo": "1000021"}]}))
    with pytest.raises(TankerwatchError, match=r"sigs.json: signature 1: missing"):
        read_signatures_file(path)
    write_signatures_file(path, [])
    assert read_signatures_file(path) == []


def test_a_confirmed_sighting_stops_a_same_size_stranger_being_named(scene_factory, looking, perfect_detector):  # noqa: F811
    v = registry_tanker(looking.registry)
    first = tanker_scene(scene_factory, "vessel_day1", v, VESSEL_LIVERY, 1, imo=v.imo)
    stranger = tanker_scene(scene_factory, "stranger_day3", v, STRANGER_LIVERY, 3, heading=140.0)
    again = tanker_scene(scene_factory, "vessel_day5", v, VESSEL_LIVERY, 5, heading=200.0, imo=v.imo)
    out = looking.out_dir
    # without a confirmation, size alone names the stranger as the registry vessel
    looking.out_dir = out.with_name("control")
    run_batch([stranger], looking)
    assert [a["candidates"][0]["imo"] for a in alerts_of(looking.out_dir, "stranger_day3")] == [v.imo]
    looking.out_dir = out
    run_batch([first], looking)
    (seen,) = alerts_of(out, "vessel_day1")
    with AlertStore(out) as store:
        store.decide(seen["alert_id"], "confirmed", v.imo, "analyst", "", datetime(2024, 5, 2, tzinfo=timezone.utc))
    run_batch([stranger, again], looking)
    assert alerts_of(out, "stranger_day3") == []  # the look says another ship
    (named,) = alerts_of(out, "vessel_day5")
    top = named["candidates"][0]
    assert top["imo"] == v.imo and top["evidence"]["appearance_llr"] > 0
    assert len(top["evidence"]["confirmed_sightings"]) == 1


def test_a_rejected_hull_is_not_alerted_again_as_that_vessel(scene_factory, looking, perfect_detector):  # noqa: F811
    v = registry_tanker(looking.registry)
    day1 = tanker_scene(scene_factory, "stranger_day1", v, STRANGER_LIVERY, 1)
    day2 = tanker_scene(scene_factory, "stranger_day2", v, STRANGER_LIVERY, 2, heading=300.0)
    run_batch([day1], looking)
    (alert,) = alerts_of(looking.out_dir, "stranger_day1")
    assert alert["candidates"][0]["imo"] == v.imo
    with AlertStore(looking.out_dir) as store:
        store.decide(alert["alert_id"], "rejected", None, "analyst", "not her: no manifold cranes")
    looking.force = True
    run_batch([day1, day2], looking)
    assert len(alerts_of(looking.out_dir, "stranger_day1")) == 1  # the rejected line stays, nothing new
    assert alerts_of(looking.out_dir, "stranger_day2") == []
    dets = json.loads((looking.out_dir / "detections" / "stranger_day2.geojson").read_text())["features"]
    assert [f["properties"]["class"] for f in dets] == ["tanker"]  # still detected: only the naming is gone


def test_an_unidentified_tanker_confirmed_by_an_analyst_is_named_next_time(
    scene_factory,
    looking,
    perfect_detector,  # noqa: F811
):
    """A registry vessel known only by its tonnage is too uncertain to name by size; once an analyst has named
    one sighting of it (an observation, not an alert), its look names it in a later scene."""
    quill = next(v for v in looking.registry if v.length_m is None and v.dwt)  # DEMO QUILL: 8,000 dwt only
    from tankerwatch.datasets.registry import estimate_dimensions

    length, beam = estimate_dimensions(quill.dwt, None)
    sized = type(quill)(**{**quill.__dict__, "length_m": round(length, 1), "beam_m": round(beam, 1)})
    day1 = tanker_scene(scene_factory, "quill_day1", sized, VESSEL_LIVERY, 1, imo=quill.imo)
    day4 = tanker_scene(scene_factory, "quill_day4", sized, VESSEL_LIVERY, 4, heading=200.0, imo=quill.imo)
    out = looking.out_dir
    run_batch([day1], looking)
    assert alerts_of(out, "quill_day1") == []
    runner = CliRunner()
    listed = runner.invoke(main, ["review", "--unidentified", str(out)])
    with AlertStore(out) as store:
        (seen,) = store.observations(unidentified_only=True)
    assert seen["observation_id"] in listed.output and (out / seen["chip"]).exists()
    done = runner.invoke(main, ["review", str(out), "confirm", seen["observation_id"], "--imo", quill.imo])
    assert done.exit_code == 0 and "with its look" in done.output, done.output
    run_batch([day4], looking)
    (named,) = alerts_of(out, "quill_day4")
    assert named["candidates"][0]["imo"] == quill.imo
    assert named["candidates"][0]["evidence"]["confirmed_sightings"] == [
        store_signature_id(out, seen["observation_id"])
    ]


def store_signature_id(out, sighting_id: str) -> str:
    """The signature id a review of this sighting stored."""
    with AlertStore(out) as store:
        return next(r["signature_id"] for r in store.signature_rows() if r["alert_id"] == sighting_id)
