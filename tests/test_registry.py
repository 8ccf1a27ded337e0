"""The vessel registry: IMO check digits, row validation with exact line numbers, tonnage estimates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tankerwatch.config import bundled_path
from tankerwatch.datasets.registry import COLUMNS, estimate_dimensions, imo_check_digit_ok, load_registry
from tankerwatch.datasets.tonnage import estimate_size, load_size_model
from tankerwatch.schema import TankerwatchError

HEADER = ",".join(COLUMNS)
GOOD_ROW = "1000021,DEMO STAR,Oil Products Tanker,SL,104.5,16.8,6300,3900,UN-1718;OFAC-SDN,fictional"


def write_csv(tmp_path: Path, *lines: str, name: str = "reg.csv") -> Path:
    """A registry CSV made of the given lines."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    """The one-line message load_registry raises for a bad file."""
    with pytest.raises(TankerwatchError) as err:
        load_registry(path)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "imo, ok",
    [
        ("9074729", True),  # a real IMO number: 9*7+0*6+7*5+4*4+7*3+2*2 = 139 -> 9
        ("9074728", False),
        ("1000021", True),
        ("1000019", True),
        ("907472", False),
        ("90747290", False),
        ("907472a", False),
        ("٩٠٧٤٧٢٩", False),  # Arabic-Indic digits are not IMO digits
    ],
)
def test_imo_check_digit(imo, ok):
    assert imo_check_digit_ok(imo) is ok


def test_a_good_file_loads_with_types_and_unknown_dimensions(tmp_path):
    path = write_csv(tmp_path, HEADER, GOOD_ROW, "1000033,DEMO CORAL,Crude Oil Tanker,PA,,,15800,,UN-1718 ; , ")
    star, coral = load_registry(path)
    assert (star.imo, star.name, star.length_m, star.beam_m, star.dwt) == ("1000021", "DEMO STAR", 104.5, 16.8, 6300.0)
    assert star.sanctions == ("UN-1718", "OFAC-SDN")
    assert (coral.length_m, coral.beam_m, coral.gross_tonnage, coral.dwt) == (None, None, None, 15800.0)
    assert coral.sanctions == ("UN-1718",)


def test_column_order_is_free(tmp_path):
    cols = list(reversed(COLUMNS))
    row = dict(zip(COLUMNS, GOOD_ROW.split(","), strict=True))
    path = write_csv(tmp_path, ",".join(cols), ",".join(row[c] for c in cols))
    assert load_registry(path)[0].beam_m == 16.8


@pytest.mark.parametrize(
    "row, problem",
    [
        ("1000022,X,Oil Products Tanker,SL,100,16,,,,", "imo 1000022 has a wrong check digit (expected 1)"),
        ("10000,X,Oil Products Tanker,SL,100,16,,,,", "imo '10000' is not 7 digits"),
        ("1000033,X,Oil Products Tanker,SL,long,16,,,,", "length_m 'long' is not a number"),
        ("1000033,X,Oil Products Tanker,SL,100,-16,,,,", "beam_m '-16' must be a positive number"),
        ("1000033,X,Oil Products Tanker,SL,100,16,nan,,,", "dwt 'nan' must be a positive number"),
        ("1000033,X,Oil Products Tanker,SL,100,120,,,,", "imo 1000033: beam_m 120 is not less than length_m 100"),
        ("1000033,,Oil Products Tanker,SL,100,16,,,,", "imo 1000033: empty name"),
        (",,,,,,,,,", "empty row"),
        ("1000033,X,Oil Products Tanker,SL,100,16", "expected 10 fields, got 6"),
    ],
)
def test_a_bad_row_is_reported_with_its_file_line(tmp_path, row, problem):
    # a quoted note spanning two lines pushes the bad row to file line 5
    path = write_csv(
        tmp_path, HEADER, GOOD_ROW, '1000045,DEMO PEARL,Chemical/Oil Tanker,TG,176,30,,,,"two', 'lines"', row
    )
    assert load_error(path) == f"{path}:5: {problem}"


def test_duplicate_imo_names_both_lines(tmp_path):
    path = write_csv(tmp_path, HEADER, GOOD_ROW, "", GOOD_ROW.replace("DEMO STAR", "OTHER"))
    assert load_error(path) == f"{path}:4: duplicate imo 1000021 (first on line 2)"


@pytest.mark.parametrize(
    "lines, problem",
    [
        (
            ("imo,name,length_m", GOOD_ROW),
            "missing column(s) vessel_type, flag, beam_m, dwt, gross_tonnage, sanctions, notes",
        ),
        ((), "empty file"),
        ((HEADER,), "no vessels (only a header line)"),
    ],
)
def test_file_level_problems(tmp_path, lines, problem):
    path = tmp_path / "reg.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert load_error(path).startswith(f"{path}: {problem}")


def test_missing_and_non_utf8_files(tmp_path):
    assert load_error(tmp_path / "nope.csv") == f"{tmp_path / 'nope.csv'}: registry file not found"
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\n" + GOOD_ROW.replace("DEMO STAR", "SÃO")).encode("latin-1"))
    assert load_error(latin).startswith(f"{latin}: not UTF-8 text")


def test_a_spreadsheet_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + GOOD_ROW + "\n").encode())
    assert load_registry(path)[0].imo == "1000021"


def test_bundled_sample_registry_is_fictional_and_spread_out():
    vessels = load_registry(bundled_path("registry.csv"))
    assert all(v.imo.startswith("100") and "fictional" in v.notes for v in vessels)
    sized = sorted(v.length_m for v in vessels if v.length_m and "tanker" in v.vessel_type.lower())
    assert len(sized) == 8 and 90 <= sized[0] and sized[-1] <= 200
    assert min(b - a for a, b in zip(sized[:-1], sized[1:], strict=True)) >= 8
    assert all(5.5 <= v.length_m / v.beam_m <= 7 for v in vessels if v.length_m)
    unsized = [v for v in vessels if v.length_m is None]
    assert len(unsized) == 1 and unsized[0].dwt and estimate_dimensions(unsized[0].dwt, None)
    assert {v.vessel_type for v in vessels} >= {"Oil Products Tanker", "Crude Oil Tanker", "General Cargo"}


@pytest.mark.parametrize("dwt, length, beam", [(5000, 100, 16), (50000, 183, 32.2), (300000, 330, 60)])
def test_tonnage_estimate_is_within_two_fitted_sd_of_typical_tankers(dwt, length, beam):
    est_length, est_beam = estimate_dimensions(dwt, None)
    spread = estimate_size(dwt, None)
    assert abs(est_length - length) <= 2 * spread.length_sd_m and abs(est_beam - beam) <= 2 * spread.beam_sd_m


def test_tonnage_estimate_from_gross_tonnage_goes_through_the_fitted_deadweight_or_nothing():
    dwt = load_size_model().dwt_from_gt.predict(10000)
    assert 1.5 <= dwt / 10000 <= 2.0  # tankers carry roughly 1.6-1.9 t deadweight per gross ton
    assert estimate_dimensions(None, 10000) == pytest.approx(estimate_dimensions(dwt, None))
    assert estimate_dimensions(None, None) is None and estimate_dimensions(0, None) is None
