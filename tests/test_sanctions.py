"""Registry import from sanctions lists: OFAC SDN (CSV and XML), UN consolidated list, dimensions join, CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from tankerwatch.cli import main
from tankerwatch.config import bundled_path
from tankerwatch.datasets.registry import COLUMNS, imo_check_digit_ok, load_registry
from tankerwatch.datasets.sanctions import (
    import_registry,
    read_dimensions,
    read_ofac_csv,
    read_ofac_xml,
    read_un_xml,
    registry_csv_text,
    split_former_names,
    write_registry,
)
from tankerwatch.schema import TankerwatchError
from tests.conftest import REALWORLD

SANCTIONS = REALWORLD / "sanctions"
OFAC_CSV = SANCTIONS / "ofac_sdn_2023-01_via_sancbook.csv"
UN_XML = SANCTIONS / "un_consolidated_2018-10-29_via_sanction_list_search.xml"
DPRK_TABLE = SANCTIONS / "dprk_vessels.csv"
DPRK_EXTRA = SANCTIONS / "dprk_vessels_extra.csv"
DPRK_PARTICULARS = SANCTIONS / "dprk_vessel_particulars.csv"
PARTICULARS_HEADER = "imo,name,former_names,vessel_type,length_m,beam_m,dwt,gross_tonnage,year_built,source,notes\n"

# sdn.csv as OFAC publishes it: no header, '-0- ' for empty, outer brackets of the programme dropped
OFAC_ROWS = (
    "36,AEROCARIBBEAN AIRLINES,-0- ,CUBA,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n"
    '23764,"HUA FU",vessel,DPRK4,-0- ,-0- ,-0- ,"10,030",-0- ,Panama,-0- ,'
    '"Vessel Registration Identification IMO 9020003; Linked To: CHANG AN SHIPPING & TECHNOLOGY."\n'
    '28716,"STAR 18",vessel,DPRK] [DPRK3,-0- ,-0- ,General Cargo,-0- ,1500,Vietnam,-0- ,'
    "\"Vessel Registration Identification IMO 9020015; f.k.a. 'SAM 5'; f.k.a. 'THINH CUONG'.\"\n"
    "17104,RYONG GUN BONG,vessel,DPRK,-0- ,-0- ,General Cargo,-0- ,-0- ,-0- ,-0- ,"
    '"Vessel Registration Identification 8606173."\n'
    "99001,BAD DIGIT,vessel,DPRK,-0- ,-0- ,Oil Tanker,-0- ,-0- ,-0- ,-0- ,"
    '"Vessel Registration Identification IMO 9020004."\n'
    "99002,PERSIAN STAR,vessel,IRAN,-0- ,-0- ,Crude Oil Tanker,-0- ,-0- ,Iran,-0- ,"
    '"Vessel Registration Identification IMO 9074729."\n'
    "\x1a,,,,,,,,,,,\n"
)

# A faithful miniature of OFAC's sdn.xml (default namespace, publshInformation, vesselInfo)
OFAC_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://tempuri.org/sdnList.xsd">
  <publshInformation><Publish_Date>01/20/2023</Publish_Date><Record_Count>2</Record_Count></publshInformation>
  <sdnEntry>
    <uid>23735</uid><lastName>SAM MA 2</lastName><sdnType>Vessel</sdnType>
    <programList><program>DPRK4</program></programList>
    <idList>
      <id><uid>1</uid><idType>Vessel Registration Identification</idType><idNumber>IMO 8106496</idNumber></id>
      <id><uid>2</uid><idType>Secondary sanctions risk:</idType>
        <idNumber>North Korea Sanctions Regulations</idNumber></id>
    </idList>
    <akaList><aka><uid>3</uid><type>f.k.a.</type><category>strong</category><lastName>SAMMA 2</lastName></aka></akaList>
    <vesselInfo><vesselType>Oil Products Tanker</vesselType><vesselFlag>Korea, North</vesselFlag>
      <tonnage>1600</tonnage><grossRegisteredTonnage>962</grossRegisteredTonnage></vesselInfo>
  </sdnEntry>
  <sdnEntry>
    <uid>17104</uid><lastName>RYONG GUN BONG</lastName><sdnType>Vessel</sdnType>
    <programList><program>DPRK</program></programList>
    <idList><id><uid>4</uid><idType>Vessel Registration Identification</idType>
      <idNumber>8606173</idNumber></id></idList>
    <vesselInfo><vesselType>General Cargo</vesselType></vesselInfo>
  </sdnEntry>
  <sdnEntry>
    <uid>10001</uid><firstName>Jon</firstName><lastName>DOE</lastName><sdnType>Individual</sdnType>
    <programList><program>DPRK</program></programList>
  </sdnEntry>
</sdnList>
"""

# The UN list's shape; vessel-like ENTITY records are hypothetical (the real 2018 list has none)
UN_XML_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2018-10-29T19:09:49.856-04:00"><INDIVIDUALS/><ENTITIES>
  <ENTITY><DATAID>1</DATAID><FIRST_NAME>SAM MA 2</FIRST_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
    <REFERENCE_NUMBER>KPe.900</REFERENCE_NUMBER><COMMENTS1>DPRK-flagged tanker. IMO 8106496.</COMMENTS1>
    <ENTITY_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>SAMMA NO. 2</ALIAS_NAME></ENTITY_ALIAS></ENTITY>
  <ENTITY><DATAID>2</DATAID><FIRST_NAME>OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)</FIRST_NAME>
    <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.020</REFERENCE_NUMBER>
    <COMMENTS1>International Maritime Organization (IMO) Number: 1790183.</COMMENTS1></ENTITY>
  <ENTITY><DATAID>3</DATAID><FIRST_NAME>NEW HOPE</FIRST_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
    <REFERENCE_NUMBER>KPe.901</REFERENCE_NUMBER><COMMENTS1>Company Number IMO 9074729.</COMMENTS1></ENTITY>
</ENTITIES></CONSOLIDATED_LIST>
"""


def need(path: Path) -> Path:
    """A real extract, or skip the test where the shared folder is absent."""
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A file under tmp_path with the given text."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    "imo, ok",
    [
        ("9020003", True),
        ("8106496", True),
        ("9020015", True),
        ("8606173", True),
        ("9020004", False),
        ("8106495", False),
        ("1790184", False),
        ("902000", False),
        ("IMO9020", False),
    ],
)
def test_imo_check_digits(imo, ok):
    assert imo_check_digit_ok(imo) is ok


def test_ofac_csv_without_header(tmp_path):
    records = read_ofac_csv(write(tmp_path, "sdn.csv", OFAC_ROWS))
    assert [r.name for r in records] == ["HUA FU", "STAR 18", "RYONG GUN BONG", "BAD DIGIT", "PERSIAN STAR"]
    hua_fu, star, ryong, bad, persian = records
    assert (hua_fu.imo, hua_fu.flag, hua_fu.vessel_type, hua_fu.sizes) == ("9020003", "Panama", "", {"dwt": 10030.0})
    assert hua_fu.sanctions == ("OFAC-SDN",) and hua_fu.programs == ("DPRK4",)
    assert star.programs == ("DPRK", "DPRK3") and star.aliases == (("f.k.a.", "SAM 5"), ("f.k.a.", "THINH CUONG"))
    assert star.sizes == {"gross_tonnage": 1500.0}
    assert ryong.imo is None and "'8606173' is not marked IMO" in ryong.problem
    assert bad.imo is None and "fails the check digit" in bad.problem
    assert persian.programs == ("IRAN",)


def test_ofac_csv_header_is_detected_and_a_bad_row_names_its_line(tmp_path):
    header = "ID,Name,Type,Country,Title,Col_F,Col_G,Col_H,Col_I,Col_J,Col_K,Details\n"
    assert len(read_ofac_csv(write(tmp_path, "with_header.csv", header + OFAC_ROWS))) == 5
    with pytest.raises(TankerwatchError, match=r"short\.csv:2: expected 12 OFAC SDN fields, got 3"):
        read_ofac_csv(write(tmp_path, "short.csv", header + "1,X,vessel\n"))


def test_programme_filter_duplicate_merge_and_skip_report(tmp_path):
    ofac = write(tmp_path, "sdn.csv", OFAC_ROWS)
    un = write(tmp_path, "un.xml", UN_XML_SAMPLE)
    xml = write(tmp_path, "sdn.xml", OFAC_XML)
    result = import_registry(ofac_csv=[ofac], ofac_xml=[xml], un_xml=[un], programs=["dprk"])
    ofac_report, xml_report, un_report = result.sources
    assert (ofac_report.records, ofac_report.outside_programs, ofac_report.with_imo) == (5, 1, 2)
    assert len(ofac_report.skipped) == 2 and any("RYONG GUN BONG" in s for s in ofac_report.skipped)
    assert (xml_report.with_imo, len(xml_report.skipped)) == (1, 1)
    assert (un_report.records, un_report.company_numbers) == (1, 2)  # OMM's number passes the check digit
    vessels = {v.imo: v for v in result.vessels}
    assert list(vessels) == ["9020003", "9020015", "8106496"]
    sam = vessels["8106496"]
    assert sam.sanctions == ("OFAC-SDN", "UN-1718")
    assert "f.k.a. SAMMA 2" in sam.notes and "a.k.a. SAMMA NO. 2" in sam.notes and "KPe.900" in sam.notes
    assert (sam.dwt, sam.gross_tonnage, sam.length_m) == (1600.0, 962.0, None)
    assert "length/beam estimated from DWT (±" in sam.notes  # the tonnage estimate's one-SD spread
    spread = int(sam.notes.split("estimated from DWT (±")[1].split(" %")[0])
    assert 5 <= spread <= 20
    assert "f.k.a. SAM 5; f.k.a. THINH CUONG" in vessels["9020015"].notes


def test_ofac_xml_sample(tmp_path):
    sam, ryong = read_ofac_xml(write(tmp_path, "sdn.xml", OFAC_XML))
    assert (sam.imo, sam.name, sam.vessel_type) == ("8106496", "SAM MA 2", "Oil Products Tanker")
    assert sam.flag == "Korea, North"
    assert sam.sizes == {"dwt": 1600.0, "gross_tonnage": 962.0} and sam.programs == ("DPRK4",)
    assert sam.aliases == (("f.k.a.", "SAMMA 2"),) and "ent_num 23735" in sam.source
    assert ryong.imo is None and "8606173" in ryong.problem


def test_ofac_xml_of_another_kind_is_a_one_line_error(tmp_path):
    with pytest.raises(TankerwatchError, match=r"un\.xml: root element is <CONSOLIDATED_LIST>, expected <sdnList>"):
        read_ofac_xml(write(tmp_path, "un.xml", UN_XML_SAMPLE))
    with pytest.raises(TankerwatchError, match=r"broken\.xml: not XML"):
        read_ofac_xml(write(tmp_path, "broken.xml", "<sdnList><sdnEntry>"))


def test_dimensions_join_by_imo_fills_what_the_lists_leave_empty(tmp_path):
    ofac = write(tmp_path, "sdn.csv", OFAC_ROWS)
    dims = write(
        tmp_path,
        "dims.csv",
        "imo,length_m,beam_m,dwt,gross_tonnage,source\n"
        "9020003,140.5,20,10100,,yard list\n"
        ",99.9,,,,no imo\n"
        "9074729,250,44,,,\n"  # listed, but outside the DPRK programme
        "9020015,,,,,\n",
    )
    result = import_registry(ofac_csv=[ofac], dimensions=[dims], programs=["DPRK"])
    report = result.sources[-1]
    assert (report.records, report.joined_imo, report.empty, report.unlisted) == (4, 1, 1, 1)
    assert report.skipped == [
        "dims.csv:3: (no name): no IMO number and no name",
        "dims.csv:4: (no name): IMO 9074729 is on no list read (or outside --program)",
    ]
    hua_fu, star = result.vessels
    assert (hua_fu.length_m, hua_fu.beam_m, hua_fu.dwt) == (140.5, 20.0, 10100.0)  # the table's tonnage wins
    assert "dimensions from dims.csv line 2: yard list" in hua_fu.notes and "Tonnage field" in hua_fu.notes
    assert "dwt 10100 from dims.csv line 2 replaces the list's 10030" in hua_fu.notes
    assert "estimated from" not in hua_fu.notes  # a registered length needs no tonnage estimate
    assert (star.length_m, star.gross_tonnage) == (None, 1500.0) and "length/beam estimated from GT (±" in star.notes
    beam_only = write(tmp_path, "beam.csv", "imo,beam_m\n9020003,20\n")
    hua_fu = import_registry(ofac_csv=[ofac], dimensions=[beam_only], programs=["DPRK"]).vessels[0]
    assert "length estimated from DWT (±" in hua_fu.notes and "length/beam" not in hua_fu.notes
    with pytest.raises(TankerwatchError, match=r"bad\.csv:2: beam_m 'wide' is not a positive number"):
        read_dimensions(write(tmp_path, "bad.csv", "imo,beam_m\n9020003,wide\n"))
    with pytest.raises(TankerwatchError, match=r"year\.csv:2: year_built 'old' is not a year"):
        read_dimensions(write(tmp_path, "year.csv", "imo,year_built\n9020003,old\n"))


def test_former_names_split_on_separators_and_drop_bracketed_notes():
    assert split_former_names("DAEHO SUNRISE (South Korea)") == ("DAEHO SUNRISE",)
    assert split_former_names("GULF GLORY; BANDAR AYU;PERGIWATI") == ("GULF GLORY", "BANDAR AYU", "PERGIWATI")
    assert split_former_names("BALSA 62 (former); later SHENG DA 8 (2016), HANG YU 1 (Nov 2017)") == (
        "BALSA 62",
        "SHENG DA 8",
        "HANG YU 1",
    )
    assert split_former_names("UJEONG / WOO JEONG (South Korea, home port Busan)") == ("UJEONG", "WOO JEONG")
    assert split_former_names("") == () and split_former_names("  ;  ") == ()


def test_particulars_join_by_name_alias_and_former_name(tmp_path):
    ofac, xml = write(tmp_path, "sdn.csv", OFAC_ROWS), write(tmp_path, "sdn.xml", OFAC_XML)
    parts = write(
        tmp_path,
        "parts.csv",
        PARTICULARS_HEADER
        + ",  hua   FU ,,general cargo,118,17.2,,,1996,press,\n"  # name: case and spacing do not count
        + ",thinh cuong,,,,,,,2001,register,\n"  # an OFAC f.k.a. alias of STAR 18
        + ',SEA PRINCE,"OLD PRINCE (Panama); sam  ma 2",oil tanker,,,1650,,1981,news,\n'  # a former name
        + "8106496,SAM MA 2,,,,,,990,,yard,\n",
    )  # by IMO
    result = import_registry(ofac_csv=[ofac], ofac_xml=[xml], dimensions=[parts], programs=["DPRK"])
    report = result.sources[-1]
    assert (report.records, report.joined_imo, report.joined_name, report.joined_former) == (4, 1, 2, 1)
    assert report.skipped == [] and report.empty == 0
    vessels = {v.imo: v for v in result.vessels}
    hua_fu, star, sam = vessels["9020003"], vessels["9020015"], vessels["8106496"]
    assert (hua_fu.length_m, hua_fu.beam_m, hua_fu.vessel_type) == (118.0, 17.2, "general cargo")  # OFAC: no type
    assert "(joined by name hua FU)" in hua_fu.notes and "built 1996" in hua_fu.notes
    assert star.vessel_type == "General Cargo" and "(joined by name thinh cuong)" in star.notes  # the list's type
    assert "built 2001" in star.notes and star.length_m is None
    assert (sam.vessel_type, sam.dwt, sam.gross_tonnage) == ("Oil Products Tanker", 1650.0, 990.0)  # tables' sizes
    assert "(joined by former name sam ma 2)" in sam.notes
    assert "former names: OLD PRINCE (Panama); sam  ma 2" in sam.notes  # the cell as written
    assert "dwt 1650 from parts.csv line 4 replaces the list's 1600" in sam.notes
    assert "gross_tonnage 990 from parts.csv line 5 replaces the list's 962" in sam.notes
    assert "named SEA PRINCE in parts.csv line 4" in sam.notes and sam.notes.count("built 1981") == 1


def test_an_ambiguous_or_unknown_name_is_not_joined_and_says_why(tmp_path):
    ofac = write(tmp_path, "sdn.csv", OFAC_ROWS)  # STAR 18 (9020015) is f.k.a. SAM 5
    table = write(tmp_path, "vessels.csv", "name,imo,vessel_type\nSAM 5,7937317,Oil Tanker\n")
    parts = write(
        tmp_path,
        "amb.csv",
        PARTICULARS_HEADER
        + ",Sam 5,,,,,,,1990,a,\n"
        + ',NEW NAME,"sam 5 (Vietnam)",,,,,,1990,b,\n'
        + ",RYONG GUN BONG,,,,,,,1970,c,\n"  # on OFAC, but without an IMO number
        + ",NOBODY,ELSE,,,,,,1990,d,\n"
        + "9020004,BAD DIGIT,,,,,,,1990,e,\n"
        + ",STAR 18,,,,,,,,f,\n",
    )  # nothing to add
    result = import_registry(ofac_csv=[ofac], tables=[table], dimensions=[parts], programs=["DPRK"])
    report = result.sources[-1]
    assert (report.joined_imo, report.joined_name, report.joined_former, report.empty) == (0, 0, 0, 1)
    assert report.records == len(report.skipped) + report.empty == 6
    why = {line.split(": ")[1]: line.split(": ", 2)[2] for line in report.skipped}
    assert why["Sam 5"] == "name 'Sam 5' is ambiguous: names or aliases of IMO 7937317, 9020015"
    assert why["NEW NAME"] == "former names of NEW NAME is ambiguous: names or aliases of IMO 7937317, 9020015"
    assert "have no IMO either" in why["RYONG GUN BONG"]
    assert why["NOBODY"] == "no IMO, and neither its name nor a former name is a listed vessel's name or alias"
    assert why["BAD DIGIT"] == "IMO 9020004 fails the check digit"
    assert all("built 1990" not in v.notes for v in result.vessels)


def test_written_registry_loads_in_design_column_order(tmp_path):
    result = import_registry(ofac_csv=[write(tmp_path, "sdn.csv", OFAC_ROWS)])
    out = tmp_path / "reg" / "registry.csv"
    write_registry(out, result.vessels)
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert load_registry(out) == result.vessels
    assert not list(out.parent.glob(".*.tmp"))


def test_real_ofac_csv_has_the_dprk_vessels(tmp_path):
    result = import_registry(ofac_csv=[need(OFAC_CSV)], programs=["DPRK"])
    report = result.sources[0]
    assert (report.records, report.records - report.outside_programs) == (685, 106)
    assert report.with_imo >= 100 and len(result.vessels) == report.with_imo
    assert all(imo_check_digit_ok(v.imo) and v.sanctions == ("OFAC-SDN",) for v in result.vessels)
    vessels = {v.imo: v for v in result.vessels}
    with open(need(DPRK_TABLE), encoding="utf-8", newline="") as fh:
        compiled = {row["name"]: row for row in csv.DictReader(fh)}
    for name in ("SAM MA 2", "CHON MA SAN", "YU SON", "CHONG CHON GANG"):
        assert vessels[compiled[name]["imo"]].name == name
    assert "f.k.a. SAM 5" in vessels["9020015"].notes
    assert vessels["9020003"].dwt == 10030.0  # OFAC 'Tonnage' 10,030 read as deadweight


def test_real_un_list_has_no_vessels():
    vessels, company_numbers = read_un_xml(need(UN_XML))
    assert vessels == [] and company_numbers == 3  # KPe.020, KPe.022, KPe.066 carry company numbers


def test_bundled_dprk_registry_is_valid_and_reproducible(tmp_path):
    bundled = bundled_path("registry-dprk.csv")
    vessels = load_registry(bundled)
    assert len(vessels) == 108 and sum("OFAC-SDN" in v.sanctions for v in vessels) == 105
    assert all(v.notes for v in vessels)  # every row cites its source
    assert next(v for v in vessels if v.name == "SAM MA 2").gross_tonnage == 962.0
    assert load_registry(bundled_path("registry.csv"))[0].name == "DEMO STAR"  # the demo registry stays
    result = import_registry(
        ofac_csv=[need(OFAC_CSV)],
        un_xml=[need(UN_XML)],
        tables=[need(DPRK_TABLE)],
        dimensions=[need(DPRK_EXTRA)],
        programs=["DPRK"],
    )
    assert registry_csv_text(result.vessels) == bundled.read_text(encoding="utf-8"), (
        "configs/registry-dprk.csv is stale; regenerate: tankerwatch registry import --ofac-csv "
        f"{OFAC_CSV} --un-xml {UN_XML} --vessels {DPRK_TABLE} --dimensions {DPRK_EXTRA} --program DPRK "
        "--out configs/registry-dprk.csv"
    )


def test_real_particulars_join_by_imo_and_give_a_known_ship_its_size():
    result = import_registry(
        ofac_csv=[need(OFAC_CSV)],
        un_xml=[need(UN_XML)],
        tables=[need(DPRK_TABLE)],
        dimensions=[need(DPRK_PARTICULARS)],
        programs=["DPRK"],
    )
    report = result.sources[-1]
    assert (report.records, report.joined_imo, report.joined_name, report.joined_former) == (28, 15, 0, 0)
    assert len(report.skipped) == 13 and report.empty == 0
    # MORNING GLORY is not sanctioned; COURAGEOUS and WISE HONEST are listed without an IMO number
    assert sorted(s.split(": ")[1] for s in report.skipped if "on no list" in s) == [
        "COURAGEOUS",
        "MORNING GLORY",
        "WISE HONEST",
    ]
    assert sum("have no IMO either" in s for s in report.skipped) == 7  # LIGHTHOUSE WINMORE, OCEAN SKY, ...
    vessels = {v.imo: v for v in result.vessels}
    chong_chon_gang = vessels["7937317"]
    assert (chong_chon_gang.length_m, chong_chon_gang.beam_m) == (155.4, 20.5)
    assert (chong_chon_gang.dwt, chong_chon_gang.gross_tonnage) == (14000.0, 9147.0)
    assert "former names: later TONG HUNG SAN (2014)" in chong_chon_gang.notes and "built 1977" in chong_chon_gang.notes
    koti = vessels["9417115"]  # a tanker with a deadweight and no length: the matcher estimates its size
    assert (koti.dwt, koti.length_m) == (8008.0, None) and "length/beam estimated from DWT (±10 %)" in koti.notes
    assert "later SAEBYOL (2019)" in vessels["8916293"].notes  # CHONG RIM 2
    assert sum(v.length_m is not None for v in result.vessels) == 4


@pytest.mark.parametrize(
    "command", [["registry", "import"], ["registry", "validate"], ["registry", "show"], ["registry", "size-model"]]
)
def test_registry_help_shows_an_example(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "tankerwatch registry" in result.output


def test_cli_import_validate_show(tmp_path):
    ofac, xml = write(tmp_path, "sdn.csv", OFAC_ROWS), write(tmp_path, "sdn.xml", OFAC_XML)
    out = tmp_path / "reg.csv"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "registry",
            "import",
            "--ofac-csv",
            str(ofac),
            "--ofac-xml",
            str(xml),
            "--program",
            "DPRK",
            "--out",
            str(out),
            "-v",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "sdn.csv (OFAC SDN CSV): 5 vessel records, 1 outside --program, 2 with IMO, 2 skipped" in result.output
    assert "skipped RYONG GUN BONG" in result.output and f"wrote {out}: 3 vessels" in result.output
    result = runner.invoke(main, ["registry", "validate", str(out)])
    assert result.exit_code == 0 and result.output.startswith(f"OK {out}: 3 vessels")
    result = runner.invoke(main, ["registry", "show", str(out), "--name", "star", "--notes"])
    assert result.exit_code == 0 and "STAR 18" in result.output and "HUA FU" not in result.output
    assert "f.k.a. SAM 5" in result.output
    result = runner.invoke(main, ["registry", "show", str(out), "--imo", "8106496"])
    assert result.exit_code == 0 and "SAM MA 2" in result.output and "962" in result.output
    assert runner.invoke(main, ["registry", "show", str(out), "--imo", "9074729"]).exit_code == 1


def test_cli_import_reports_each_particulars_join(tmp_path):
    ofac, xml = write(tmp_path, "sdn.csv", OFAC_ROWS), write(tmp_path, "sdn.xml", OFAC_XML)
    parts = write(
        tmp_path,
        "parts.csv",
        PARTICULARS_HEADER
        + "9020003,,,,120,,,,,a,\n,THINH CUONG,,,,,,,2001,b,\n"
        + ',X,"SAMMA 2",,,,,,1981,c,\n,NOBODY,,,,,,,1990,d,\n',
    )
    out = tmp_path / "reg.csv"
    result = CliRunner().invoke(
        main,
        [
            "registry",
            "import",
            "--ofac-csv",
            str(ofac),
            "--ofac-xml",
            str(xml),
            "--dimensions",
            str(parts),
            "--program",
            "DPRK",
            "--out",
            str(out),
            "-v",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "parts.csv (dimensions): 4 rows, 1 joined by IMO, 1 by name, 1 by former name, 1 not joined" in result.output
    assert "  not joined parts.csv:5: NOBODY: no IMO, and neither" in result.output
    assert next(v for v in load_registry(out) if v.imo == "9020003").length_m == 120.0


def test_cli_import_of_a_list_without_vessels_writes_nothing(tmp_path):
    un = write(tmp_path, "un.xml", UN_XML_SAMPLE.replace("IMO 8106496", "no number"))
    out = tmp_path / "reg.csv"
    result = CliRunner().invoke(main, ["registry", "import", "--un-xml", str(un), "--out", str(out)])
    assert result.exit_code == 1 and "0 vessel records" in result.output and "nothing written" in result.output
    assert not out.exists()


def test_cli_validate_names_the_bad_line(tmp_path):
    reg = write(
        tmp_path,
        "reg.csv",
        ",".join(COLUMNS) + "\n9020003,HUA FU,,Panama,,,10030,,OFAC-SDN,\n9020004,BAD DIGIT,,,,,,,OFAC-SDN,\n",
    )
    result = CliRunner().invoke(main, ["registry", "validate", str(reg)])
    assert result.exit_code == 2
    assert "reg.csv:3: imo 9020004 has a wrong check digit (expected 3)" in result.output
