"""Deliveries against the cap: the barrels arithmetic checked by hand on a small store, periods, CSV, plot, CLI."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from tankerwatch.cli import main
from tankerwatch.config import bundled_path
from tankerwatch.datasets.tonnage import load_size_model
from tankerwatch.inference.deliveries import (
    BASIS_LENGTH,
    BASIS_REGISTRY,
    BASIS_UNKNOWN,
    CSV_COLUMNS,
    DEFAULT_SCENARIOS,
    barrels,
    counted_fill,
    deliveries,
    dwt_from_length,
    parse_period,
    write_csv,
    write_plot,
)
from tankerwatch.inference.visits import AlertStore
from tankerwatch.schema import TankerwatchError
from tests.test_visits import record, sighting

PORTS = bundled_path("ports.geojson")
HEADER = "imo,name,vessel_type,flag,length_m,beam_m,dwt,gross_tonnage,sanctions,notes\n"
REGISTRY = (
    HEADER + "1000021,SMALL ONE,Oil Products Tanker,SL,,,5000,,UN-1718,test\n"
    "1000033,LENGTH ONLY,Oil Products Tanker,SL,104.5,16.8,,,UN-1718,test\n"
    "1000045,NOTHING KNOWN,Oil Products Tanker,SL,,,,,UN-1718,test\n"
)
UTC = timezone.utc

# The 5,000-dwt tanker by hand (cargo share 0.9, diesel 0.84 t/m³, 1 bbl = 0.158987294928 m³):
#   5,000 x 0.9 = 4,500 t of cargo; 4,500 / 0.84 = 5,357.142857 m³; / 0.158987294928 = 33,695.415 bbl full
#   1/3 full: 33,695.415 / 3 = 11,231.805 bbl;  half: 16,847.707 bbl;  90 %: 30,325.873 bbl
FULL = 33_695.415
ONE_THIRD, HALF, NINETY = 11_231.805, 16_847.707, 30_325.873


def _store(out: Path, sightings: list[tuple[str, datetime, str, str]]) -> None:
    """A store of (scene_id, acquired, imo, port area) sightings, one tanker per scene."""
    with AlertStore(out) as store:
        for scene_id, when, imo, port in sightings:
            record(store, scene_id, when, [sighting(scene_id, imo=imo, port_id=port)])


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "registry.csv"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


@pytest.fixture
def run_out(tmp_path: Path) -> Path:
    """Two visits of the 5,000-dwt tanker at Nampo (KP), one at Vostochny (RU), one at Nampo in 2023."""
    out = tmp_path / "out"
    t = datetime(2024, 5, 1, 2, 31, tzinfo=UTC)
    _store(
        out,
        [
            ("s2023", datetime(2023, 12, 20, tzinfo=UTC), "1000021", "KP-NAM-OIL"),  # outside 2024
            ("s1", t, "1000021", "KP-NAM-OIL"),
            ("s2", t + timedelta(hours=20), "1000021", "KP-NAM-OIL"),  # the same visit: counts once
            ("s3", datetime(2024, 6, 1, tzinfo=UTC), "1000021", "RU-VOS"),  # a loading
            ("s4", datetime(2024, 7, 10, tzinfo=UTC), "1000021", "KP-NAM"),  # the second delivery
        ],
    )
    return out


def test_barrels_arithmetic_by_hand():
    assert barrels(5000, 1.0) == pytest.approx(FULL, abs=0.01)
    assert barrels(5000, 0.5) == pytest.approx(HALF, abs=0.01)
    # gasoline instead of diesel: 4,500 t / 0.74 = 6,081.081 m³ x 6.28981 = 38,248.85 bbl full
    assert barrels(5000, 1.0, density=0.74) == pytest.approx(38_248.85, abs=0.01)
    assert DEFAULT_SCENARIOS == pytest.approx((1 / 3, 0.5, 0.9))


def test_two_kp_deliveries_and_a_ru_loading_checked_by_hand(run_out, registry):
    report = deliveries(run_out, registry, PORTS, "2024")
    assert [(r.port_id, r.area_id, r.country, r.role, r.sightings) for r in report.rows] == [
        ("KP-NAM", "KP-NAM-OIL", "KP", "delivery", 2),
        ("RU-VOS", "RU-VOS", "RU", "loading", 1),
        ("KP-NAM", "KP-NAM", "KP", "delivery", 1),
    ]
    first, loading, second = report.rows
    assert (first.dwt, first.capacity_basis, first.laden_arrival) == (5000, BASIS_REGISTRY, "unknown")
    assert first.barrels == pytest.approx({"fill_0.333": ONE_THIRD, "fill_0.5": HALF, "fill_0.9": NINETY}, abs=0.01)
    # cumulative deliveries: 1/3 11,231.805 -> 22,463.610; half 16,847.707 -> 33,695.415; 90 % -> 60,651.746
    assert first.cumulative == pytest.approx(first.barrels)
    assert second.cumulative == pytest.approx(
        {"fill_0.333": 22_463.610, "fill_0.5": FULL, "fill_0.9": 60_651.746}, abs=0.01
    )
    assert report.delivered == {2024: pytest.approx(second.cumulative)}
    assert loading.cumulative == {}  # a loading never adds to the deliveries
    assert report.loaded == {2024: pytest.approx(first.barrels)}
    # 90 % full, the two deliveries are 60,651.746 / 500,000 = 12.1 % of the cap
    assert report.delivered[2024]["fill_0.9"] / report.cap_barrels == pytest.approx(0.1213, abs=1e-4)


def test_period_filtering(run_out, registry):
    assert [r.first_seen for r in deliveries(run_out, registry, PORTS, "2024-05").rows] == ["2024-05-01T02:31:00Z"]
    assert [r.first_seen[:10] for r in deliveries(run_out, registry, PORTS, "2024-06-01/2024-07-10").rows] == [
        "2024-06-01",
        "2024-07-10",
    ]
    old = deliveries(run_out, registry, PORTS, "2023")
    assert [r.first_seen[:10] for r in old.rows] == ["2023-12-20"] and list(old.delivered) == [2023]


def test_cumulative_restarts_each_calendar_year(run_out, registry):
    report = deliveries(run_out, registry, PORTS, "2023-12-01/2024-12-31", scenarios=[0.5])
    kp = [r.cumulative["fill_0.5"] for r in report.rows if r.role == "delivery"]
    assert kp == pytest.approx([HALF, HALF, FULL], abs=0.01)
    assert report.delivered == {2023: pytest.approx({"fill_0.5": HALF}), 2024: pytest.approx({"fill_0.5": FULL})}


def test_periods_and_bad_periods():
    p = parse_period("2024-02")
    assert (str(p.start), str(p.end)) == ("2024-02-01", "2024-02-29")
    assert str(parse_period("2024-12").end) == "2024-12-31"
    for bad in ("24", "2024-13", "2024-1", "2024-06-30/2024-01-01", "2024-02-30/2024-03-01", "last year"):
        with pytest.raises(TankerwatchError) as e:
            parse_period(bad)
        assert "\n" not in str(e.value) and bad in str(e.value)


def test_capacity_estimated_from_length_and_unknown(tmp_path, registry):
    out = tmp_path / "out"
    _store(
        out,
        [
            ("a", datetime(2024, 3, 1, tzinfo=UTC), "1000033", "KP-NAM"),
            ("b", datetime(2024, 3, 1, tzinfo=UTC), "1000045", "KP-CHO"),
        ],
    )
    estimated, unknown = deliveries(out, registry, PORTS, "2024").rows
    # the inverted length law gives back the DWT the law would size at 104.5 m
    assert load_size_model().length.predict(dwt_from_length(104.5)) == pytest.approx(104.5)
    assert (estimated.capacity_basis, estimated.dwt) == (BASIS_LENGTH, pytest.approx(dwt_from_length(104.5)))
    assert (unknown.capacity_basis, unknown.dwt, unknown.barrels) == (BASIS_UNKNOWN, None, {})
    report = deliveries(out, registry, PORTS, "2024")
    assert report.unknown_capacity[0].imo == "1000045"
    assert report.delivered[2024] == pytest.approx(estimated.barrels)  # the unknown one is not summed


def test_a_light_arrival_counts_zero():
    assert counted_fill("delivery", "light", "unknown", 0.5) == 0.0
    assert counted_fill("delivery", "unknown", "light", 0.5) == 0.5
    assert counted_fill("loading", "laden", "light", 0.5) == 0.0


def test_csv_columns_and_plot(run_out, registry, tmp_path):
    report = deliveries(run_out, registry, PORTS, "2024")
    path = write_csv(report, tmp_path / "d" / "deliveries.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = ["fill_0.333", "fill_0.5", "fill_0.9"]
    assert list(rows[0]) == [*CSV_COLUMNS, *(f"barrels_{lb}" for lb in labels), *(f"cumulative_{lb}" for lb in labels)]
    assert [(r["country"], r["role"], r["barrels_fill_0.5"], r["cumulative_fill_0.5"]) for r in rows] == [
        ("KP", "delivery", "16847.7", "16847.7"),
        ("RU", "loading", "16847.7", ""),
        ("KP", "delivery", "16847.7", "33695.4"),
    ]
    assert (rows[0]["dwt"], rows[0]["cargo_share"], rows[0]["density_t_m3"], rows[0]["full_barrels"]) == (
        "5000",
        "0.9",
        "0.84",
        "33695.4",
    )
    png = write_plot(report, tmp_path / "d" / "deliveries.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_writes_csv_and_plot_and_prints_totals(run_out, registry, tmp_path):
    target = tmp_path / "dl"
    args = [str(run_out), "--period", "2024", "--registry", str(registry), "--out", str(target)]
    result = CliRunner().invoke(main, ["deliveries", *args, "--scenario", "0.5", "--scenario", "0.9"])
    assert result.exit_code == 0, result.output
    assert (target / "deliveries.csv").is_file() and (target / "deliveries.png").is_file()
    assert "33,695 bbl  (6.7 % of the cap)" in result.output  # half full: 33,695.415 / 500,000
    assert "60,652 bbl  (12.1 % of the cap)" in result.output
    default = CliRunner().invoke(main, ["deliveries", str(run_out), "--period", "2024", "--registry", str(registry)])
    assert default.exit_code == 0 and (run_out / "deliveries" / "deliveries.csv").is_file()
    assert "Example:" in CliRunner().invoke(main, ["deliveries", "--help"]).output


def test_cli_bad_period_is_one_line(run_out, registry):
    result = CliRunner().invoke(main, ["deliveries", str(run_out), "--period", "2024-13", "--registry", str(registry)])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: period '2024-13'")


def test_laden_states_decide_what_a_visit_counts(tmp_path, registry):
    """First seen laden then light at Nampo: delivered (each scenario's fill); first seen light: counts zero;
    a single sighting says nothing of the departure."""
    out = tmp_path / "out"
    t = datetime(2024, 5, 1, tzinfo=UTC)
    with AlertStore(out) as store:
        for scene_id, when, state, lon in [
            ("a1", t, "laden", 125.3),
            ("a2", t + timedelta(hours=30), "light", 125.3),  # the same visit, pumped ashore
            ("b1", t + timedelta(days=30), "light", 125.3),  # a new visit, first seen light
        ]:
            ident = sighting(scene_id, port_id="KP-NAM", lon=lon)
            ident.detection.load_state, ident.detection.freeboard_m = state, 3.0 if state == "laden" else 9.0
            (alert,) = record(store, scene_id, when, [ident])
            assert alert["load_state"] == state and alert["freeboard_m"] == ident.detection.freeboard_m
    first, second = deliveries(out, registry, PORTS, "2024").rows
    assert (first.laden_arrival, first.laden_departure, first.sightings) == ("laden", "light", 2)
    assert first.barrels["fill_0.5"] == pytest.approx(HALF, abs=0.01)
    assert (second.laden_arrival, second.laden_departure) == ("light", "unknown")
    assert second.barrels == {"fill_0.333": 0.0, "fill_0.5": 0.0, "fill_0.9": 0.0}
    assert second.cumulative["fill_0.5"] == pytest.approx(HALF, abs=0.01)  # the light visit adds nothing
