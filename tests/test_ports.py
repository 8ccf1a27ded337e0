"""Port areas: the bundled polygons, point-in-port, kinds and port groups, one-line errors, `tankerwatch ports`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely.geometry import box

from tankerwatch.cli import main
from tankerwatch.config import bundled_path
from tankerwatch.datasets.ports import KINDS, Port, area_km2, group_ports, load_ports, port_at, port_of
from tankerwatch.inference.demo import VOSTOCHNY
from tankerwatch.schema import TankerwatchError

SQUARE = [[133.05, 42.73], [133.08, 42.73], [133.08, 42.76], [133.05, 42.76], [133.05, 42.73]]
EAST = [[133.08, 42.73], [133.10, 42.73], [133.10, 42.76], [133.08, 42.76], [133.08, 42.73]]  # touches SQUARE
BOWTIE = [[133.05, 42.73], [133.08, 42.76], [133.08, 42.73], [133.05, 42.76], [133.05, 42.73]]


def feature(pid: str = "RU-VOS", ring: list | None = None, gtype: str = "Polygon", **props) -> dict:
    """A port Feature with a single-ring polygon (the Vostochny square unless told otherwise)."""
    coords = [ring or SQUARE] if gtype == "Polygon" else [[ring or SQUARE]]
    properties = {"id": pid, "name": "Vostochny", "country": "RU", **props}
    return {"type": "Feature", "properties": properties, "geometry": {"type": gtype, "coordinates": coords}}


def write_ports(tmp_path: Path, *features: dict) -> Path:
    """A ports GeoJSON file holding the given features."""
    path = tmp_path / "ports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    """The one-line message load_ports raises for a bad file."""
    with pytest.raises(TankerwatchError) as err:
        load_ports(path)
    assert "\n" not in str(err.value)
    return str(err.value)


# the ports named in public reporting on DPRK oil and coal trade (issue 13): name fragment -> country
NAMED_PORTS = {
    "Vostochny": "RU",
    "Nakhodka": "RU",
    "Vladivostok": "RU",
    "Slavyanka": "RU",
    "Zarubino": "RU",
    "Posyet": "RU",
    "Nampo": "KP",
    "Songnim": "KP",
    "Haeju": "KP",
    "Chongjin": "KP",
    "Rajin": "KP",
    "Hungnam": "KP",
    "Wonsan": "KP",
    "Longkou": "CN",
    "Dalian": "CN",
    "Ningbo-Zhoushan": "CN",
}


@pytest.fixture(scope="module")
def bundled() -> list[Port]:
    return load_ports(bundled_path("ports.geojson"))


def test_bundled_ports_load_and_cover_the_demo_scene(bundled):
    ports = {p.id: p for p in bundled}
    assert {"RU-VOS", "RU-NAK", "KP-NAM"} <= set(ports)
    assert {p.country for p in ports.values()} == {"RU", "KP", "CN"}
    assert ports["RU-VOS"].geometry.contains(box(133.050, 42.735, 133.080, 42.760))
    assert ports["KP-NAM"].geometry.contains(box(125.36, 38.71, 125.40, 38.74))
    # the demo and benchmark scenes: 1.6 km squares centred on VOSTOCHNY lie wholly in RU-VOS
    half_lon, half_lat = 800 / (111_320 * math.cos(math.radians(VOSTOCHNY[1]))), 800 / 110_950
    demo = box(VOSTOCHNY[0] - half_lon, VOSTOCHNY[1] - half_lat, VOSTOCHNY[0] + half_lon, VOSTOCHNY[1] + half_lat)
    assert ports["RU-VOS"].geometry.contains(demo)
    assert port_at(bundled, *VOSTOCHNY) is ports["RU-VOS"]


def test_bundled_ports_name_every_reported_port(bundled):
    groups = group_ports(bundled)
    names = {pid: members[0].name for pid, members in groups.items()}
    for name, country in NAMED_PORTS.items():
        hits = [pid for pid, n in names.items() if name.casefold() in n.casefold()]
        assert len(hits) == 1, (name, hits)
        assert groups[hits[0]][0].country == country, name
        assert all(a.country == country for a in groups[hits[0]]), name


def test_bundled_kinds_and_port_groups(bundled):
    assert all(a.kind in KINDS for a in bundled)
    kinds = {(port_of(a), a.kind) for a in bundled}
    for pid in ("RU-VOS", "KP-NAM", "KP-SON", "KP-CHO", "KP-RAJ"):
        assert (pid, "coal_berth") in kinds, pid
    assert ("RU-NAK", "oil_terminal") in kinds and ("KP-NAM", "oil_terminal") in kinds  # Kozmino; Nampo's jetties
    assert any(kind == "anchorage" and pid == "CN-NBZ" for pid, kind in kinds)
    ports = {p.id: p for p in bundled}
    assert ports["RU-NAK-KOZ"].kind == "oil_terminal" and port_of(ports["RU-NAK-KOZ"]) == "RU-NAK"
    for members in group_ports(bundled).values():
        head = members[0]
        assert port_of(head) == head.id  # the first area of a port stands for it
        assert all(a.id.startswith(head.id) for a in members)


def test_bundled_areas_do_not_overlap_and_are_simple(bundled):
    for i, a in enumerate(bundled):
        assert a.geometry.geom_type == "Polygon" and 5 <= len(a.geometry.exterior.coords) - 1 <= 12, a.id
        assert "approximate" in a.notes, a.id
        assert 0.5 < area_km2(a) < 200, a.id
        for b in bundled[i + 1 :]:
            assert a.geometry.intersection(b.geometry).area == 0, (a.id, b.id)
    description = json.loads(bundled_path("ports.geojson").read_text(encoding="utf-8"))["description"]
    assert "approximate" in description.casefold()


def test_port_at_finds_the_port_holding_a_point(bundled):
    ports = bundled
    assert port_at(ports, 133.065, 42.7475).id == "RU-VOS"  # Vostochny, Wrangel Bay
    assert port_at(ports, 132.90, 42.795).id == "RU-NAK"
    assert port_at(ports, 125.37, 38.72).id == "KP-NAM"
    assert port_at(ports, 132.98, 42.75) is None  # between Nakhodka and Vostochny
    assert port_at([], 133.065, 42.7475) is None
    # a point in the anchorage: its own area, which belongs to the port
    anchorage = next(a for a in ports if a.id == "RU-VOS-ANCH")
    point = anchorage.geometry.representative_point()
    assert port_at(ports, point.x, point.y) is anchorage and port_of(anchorage) == "RU-VOS"


def test_port_boundary_counts_as_inside(tmp_path):
    ports = load_ports(write_ports(tmp_path, feature()))
    assert port_at(ports, 133.05, 42.745) == ports[0]
    assert isinstance(ports[0], Port) and ports[0].name == "Vostochny"


def test_multipolygon_port_loads(tmp_path):
    ports = load_ports(write_ports(tmp_path, feature(gtype="MultiPolygon")))
    assert ports[0].geometry.geom_type == "MultiPolygon" and port_at(ports, 133.06, 42.74) is not None


def test_self_intersecting_polygon_is_named_with_file_and_feature(tmp_path):
    path = write_ports(tmp_path, feature("RU-NAK"), feature("RU-BAD", ring=BOWTIE))
    message = load_error(path)
    assert message.startswith(f"{path}: feature 1 (id 'RU-BAD'): invalid polygon: Self-intersection")


@pytest.mark.parametrize(
    "bad, problem",
    [
        (feature(gtype="Point"), "feature 0 (id 'RU-VOS'): geometry type 'Point', expected Polygon or MultiPolygon"),
        (feature(country="Russia"), "feature 0 (id 'RU-VOS'): country 'Russia' is not an ISO 3166 alpha-2 code"),
        (feature(name=""), "feature 0 (id 'RU-VOS'): missing or empty property name"),
        (
            {"type": "Feature", "properties": {}, "geometry": None},
            "feature 0 (no id): missing or empty properties id, name",
        ),
        (
            feature(ring=[[lat, lon] for lon, lat in SQUARE][:-1] + [[42.73, 193.05]]),
            "feature 0 (id 'RU-VOS'): coordinates outside lon -180..180 / lat -90..90",
        ),
        (feature(ring=[[133.05, 42.73], [133.08]]), "feature 0 (id 'RU-VOS'): malformed coordinates"),
    ],
)
def test_bad_features_are_named(tmp_path, bad, problem):
    path = write_ports(tmp_path, bad)
    assert load_error(path).startswith(f"{path}: {problem}")


def test_duplicate_port_id(tmp_path):
    path = write_ports(tmp_path, feature(), feature("RU-NAK"), feature())
    assert load_error(path) == f"{path}: feature 2 (id 'RU-VOS'): duplicate id (first in feature 0)"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no port features"),
    ],
)
def test_file_level_problems(tmp_path, text, problem):
    path = tmp_path / "ports.geojson"
    path.write_text(text, encoding="utf-8")
    assert load_error(path) == f"{path}: {problem}"


def test_missing_file(tmp_path):
    assert load_error(tmp_path / "none.geojson") == f"{tmp_path / 'none.geojson'}: ports file not found"


def test_kind_port_and_notes_load(tmp_path):
    path = write_ports(
        tmp_path,
        feature(kind="port", notes=" approximate "),
        feature("RU-VOS-E", ring=EAST, kind="coal_berth", port="RU-VOS"),
        feature("RU-NAK", ring=[[x - 0.2, y] for x, y in SQUARE], port="RU-NAK"),
    )
    vos, coal, nak = load_ports(path)
    assert (vos.kind, vos.port, vos.notes) == ("port", None, "approximate")
    assert (coal.kind, coal.port, port_of(coal), port_of(vos), port_of(nak)) == (
        "coal_berth",
        "RU-VOS",
        "RU-VOS",
        "RU-VOS",
        "RU-NAK",
    )
    assert group_ports([vos, coal, nak]) == {"RU-VOS": [vos, coal], "RU-NAK": [nak]}
    assert port_at([vos, coal], 133.09, 42.745) is coal
    assert 8.0 < area_km2(vos) < 8.5  # 0.03 deg lon x 0.03 deg lat at 42.7 N: ~2.46 km x 3.33 km


def test_a_plain_port_has_no_kind_and_groups_alone(tmp_path):
    (area,) = load_ports(write_ports(tmp_path, feature()))
    assert area.kind is None and area.port is None and area.notes == "" and port_of(area) == "RU-VOS"


@pytest.mark.parametrize(
    "features, problem",
    [
        ([feature(kind="harbour")], "feature 0 (id 'RU-VOS'): kind 'harbour' is not one of berth, anchorage"),
        ([feature(kind="")], "feature 0 (id 'RU-VOS'): property kind '' is not a non-empty string"),
        ([feature(port=7)], "feature 0 (id 'RU-VOS'): property port 7 is not a non-empty string"),
        (
            [feature(), feature("RU-VOS-E", ring=EAST, port="RU-VOX")],
            "feature 1 (id 'RU-VOS-E'): port 'RU-VOX' is not the id of any area in the file",
        ),
        (
            [feature(), feature("RU-VOS-E", ring=EAST, port="RU-VOS"), feature("RU-VOS-F", port="RU-VOS-E")],
            "feature 2 (id 'RU-VOS-F'): port 'RU-VOS-E' (feature 1) itself belongs to port 'RU-VOS'",
        ),
        (
            [feature(), feature("KP-NAM-E", ring=EAST, port="RU-VOS", country="KP")],
            "feature 1 (id 'KP-NAM-E'): country KP differs from that of its port RU-VOS (RU)",
        ),
        (
            [feature(), feature("RU-NAK"), feature("RU-VOS-ANCH", port="RU-VOS")],
            "feature 2 (id 'RU-VOS-ANCH'): overlaps area 'RU-VOS' (feature 0) of the same port 'RU-VOS'",
        ),
    ],
)
def test_bad_kind_and_port_are_named(tmp_path, features, problem):
    path = write_ports(tmp_path, *features)
    assert load_error(path).startswith(f"{path}: {problem}")


def test_areas_of_different_ports_may_overlap(tmp_path):
    assert len(load_ports(write_ports(tmp_path, feature(), feature("RU-NAK")))) == 2


def test_cli_validate_counts_per_country_and_kind(tmp_path):
    path = write_ports(
        tmp_path,
        feature(kind="port"),
        feature("RU-VOS-E", ring=EAST, kind="anchorage", port="RU-VOS"),
        feature("KP-NAM", ring=[[x - 8, y - 4] for x, y in SQUARE], name="Nampo", country="KP"),
    )
    result = CliRunner().invoke(main, ["ports", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"OK {path}: 3 areas in 2 ports",
        "  KP: 1 ports, 1 areas (unspecified 1)",
        "  RU: 1 ports, 2 areas (anchorage 1, port 1)",
    ]


def test_cli_validate_defaults_to_the_bundled_file():
    result = CliRunner().invoke(main, ["ports", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK {bundled_path('ports.geojson')}: ")
    assert "  KP: " in result.output and "coal_berth" in result.output


def test_cli_validate_reports_the_first_problem_with_exit_2(tmp_path):
    path = write_ports(tmp_path, feature(kind="jetty"), feature("RU-BAD", ring=BOWTIE))
    result = CliRunner().invoke(main, ["ports", "validate", str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: feature 0 (id 'RU-VOS'): kind 'jetty' is not one of {', '.join(KINDS)}"
    ]


def test_cli_show_filters_and_tables(tmp_path):
    path = write_ports(
        tmp_path,
        feature(kind="port"),
        feature("RU-VOS-E", ring=EAST, kind="anchorage", port="RU-VOS", name="Vostochny roads"),
        feature("KP-NAM", ring=[[x - 8, y - 4] for x, y in SQUARE], name="Nampo", country="KP"),
    )
    result = CliRunner().invoke(main, ["ports", "show", str(path), "--country", "ru", "--kind", "anchorage"])
    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()
    assert header.split() == ["id", "name", "country", "kind", "port", "area_km2", "lon", "lat"]
    assert row.split() == ["RU-VOS-E", "Vostochny", "roads", "RU", "anchorage", "RU-VOS", "5.46", "133.0900", "42.7450"]
    by_port = CliRunner().invoke(main, ["ports", "show", str(path), "--port", "RU-VOS"])
    assert [line.split()[0] for line in by_port.output.splitlines()[1:]] == ["RU-VOS", "RU-VOS-E"]
    none = CliRunner().invoke(main, ["ports", "show", str(path), "--country", "CN"])
    assert none.exit_code == 1 and none.output == "no port area matches\n"


def test_cli_show_defaults_to_the_bundled_file():
    result = CliRunner().invoke(main, ["ports", "show", "--kind", "oil_terminal"])
    assert result.exit_code == 0, result.output
    assert {line.split()[0] for line in result.output.splitlines()[1:]} == {"RU-NAK-KOZ", "KP-NAM-OIL"}


@pytest.mark.parametrize("args", [[], ["validate"], ["show"]])
def test_cli_help_has_an_example(args):
    result = CliRunner().invoke(main, ["ports", *args, "--help"])
    assert result.exit_code == 0
    assert args == [] or ("Example:" in result.output and "tankerwatch ports" in result.output)
