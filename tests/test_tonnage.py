"""Tonnage -> size: power laws fitted in log-log space to public tanker particulars, their spreads,
leave-one-out errors, the bundled table and the `registry size-model` command."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from tankerwatch.cli import main
from tankerwatch.config import bundled_path
from tankerwatch.datasets.registry import estimate_dimensions, imo_check_digit_ok, load_registry
from tankerwatch.datasets.tonnage import (
    PARTICULARS_COLUMNS,
    TankerParticulars,
    bundled_particulars,
    estimate_size,
    fit_log_line,
    fit_size_model,
    leave_one_out,
    load_size_model,
    read_particulars,
    size_model_report,
)
from tankerwatch.schema import TankerwatchError
from tests.conftest import REALWORLD

DPRK_PARTICULARS = REALWORLD / "sanctions" / "dprk_vessel_particulars.csv"
HEADER = ",".join(PARTICULARS_COLUMNS)


def law_rows(n: int = 12, wobble: float = 0.05) -> list[TankerParticulars]:
    """Ships that follow L = 8 DWT^0.3, B = 1.2 DWT^0.3, DWT = 1.5 GT, scattered by +-wobble in ln."""
    rows = []
    for i in range(n):
        dwt = 1000 * 2 ** (i * 8 / (n - 1))  # 1,000 .. 256,000 dwt
        sign = 1 if i % 2 else -1
        rows.append(
            TankerParticulars(
                f"SHIP {i}",
                "",
                dwt,
                dwt / 1.5 * math.exp(-sign * wobble),
                8 * dwt**0.3 * math.exp(sign * wobble),
                1.2 * dwt**0.3 * math.exp(-sign * wobble),
                "generated",
            )
        )
    return rows


def write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    """A particulars table under tmp_path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fit_recovers_a_known_power_law_and_its_scatter():
    model = fit_size_model(law_rows(wobble=0.05))
    assert math.exp(model.length.intercept) == pytest.approx(8, rel=0.1)
    assert model.length.slope == pytest.approx(0.3, abs=0.01) and model.beam.slope == pytest.approx(0.3, abs=0.01)
    assert model.dwt_from_gt.slope == pytest.approx(1.0, abs=0.02)
    assert model.length.sd == pytest.approx(0.05, rel=0.15) and model.length.n == 12
    exact = fit_size_model(law_rows(wobble=0.0))
    assert exact.length.sd == pytest.approx(0, abs=1e-9) and exact.length.predict(50_000) == pytest.approx(
        8 * 50_000**0.3
    )


def test_a_line_needs_three_ships_of_different_tonnage():
    with pytest.raises(TankerwatchError, match="at least 3 ships, got 2"):
        fit_log_line([(1000, 60), (2000, 70)], "length on dwt")
    with pytest.raises(TankerwatchError, match="different tonnage"):
        fit_log_line([(1000, 60), (1000, 70), (1000, 65)], "length on dwt")


def test_gt_estimates_are_wider_than_dwt_estimates_and_nothing_known_is_none():
    model = fit_size_model(law_rows(wobble=0.05))
    for gt in (700, 7_000, 70_000):
        from_gt = estimate_size(None, gt, model)
        from_dwt = estimate_size(model.dwt_from_gt.predict(gt), None, model)
        assert (from_gt.basis, from_dwt.basis) == ("gt", "dwt")
        assert from_gt.length_m == pytest.approx(from_dwt.length_m)
        assert from_gt.length_sd_m > from_dwt.length_sd_m and from_gt.beam_sd_m > from_dwt.beam_sd_m
    assert estimate_size(12_000, 99_999, model).basis == "dwt"  # deadweight is the better evidence
    for dwt, gt in ((None, None), (0, None), (-5, 0), (math.nan, None), (None, math.inf)):
        assert estimate_size(dwt, gt, model) is None


def test_spread_widens_away_from_the_fitted_tonnages():
    model = fit_size_model(law_rows())
    middle = estimate_size(16_000, None, model)
    outside = estimate_size(5_000_000, None, model)
    assert outside.length_sd_m / outside.length_m > middle.length_sd_m / middle.length_m


def test_bundled_table_spans_small_coastal_to_vlcc_tankers_with_a_source_each():
    rows = bundled_particulars()
    dwts = [r.dwt for r in rows if r.dwt]
    assert len(rows) >= 40 and min(dwts) <= 1_000 and max(dwts) >= 300_000
    assert all(r.source.startswith("http") for r in rows)
    assert all(imo_check_digit_ok(r.imo) for r in rows if r.imo)
    assert sum(bool(r.dwt and r.length_m) for r in rows) >= 30 and sum(bool(r.dwt and r.gt) for r in rows) >= 25
    # the DPRK registry is evaluation data: none of its vessels may be in the fitting table
    registry_names = {v.name.casefold() for v in load_registry(bundled_path("registry-dprk.csv"))}
    assert not registry_names & {r.name.casefold() for r in rows}


def test_fitted_laws_reproduce_the_table_within_their_spread():
    rows = bundled_particulars()
    model = load_size_model()
    assert model is load_size_model()  # fitted once
    for line, x, y in (
        (model.length, "dwt", "length_m"),
        (model.beam, "dwt", "beam_m"),
        (model.dwt_from_gt, "gt", "dwt"),
    ):
        z = [
            abs(math.log(getattr(r, y) / line.predict(getattr(r, x)))) / line.sd
            for r in rows
            if getattr(r, x) and getattr(r, y)
        ]
        within_1, within_2 = sum(v <= 1 for v in z) / len(z), sum(v <= 2 for v in z) / len(z)
        assert 0.55 <= within_1 <= 0.9 and within_2 >= 0.9, (y, within_1, within_2)  # neither too wide nor too narrow
    assert 0.25 <= model.length.slope <= 0.35 and 0.25 <= model.beam.slope <= 0.35  # cube-root-like scaling
    assert 0.04 <= model.length.sd <= 0.2


def test_leave_one_out_length_error_is_a_few_percent():
    loo = leave_one_out(bundled_particulars())
    print(
        f"leave-one-out median |error|: length from DWT {loo.length_from_dwt_pct:.1f} %, "
        f"beam {loo.beam_from_dwt_pct:.1f} %, length from GT {loo.length_from_gt_pct:.1f} %"
    )
    assert 1 < loo.length_from_dwt_pct < 10 and 1 < loo.beam_from_dwt_pct < 10
    assert loo.length_from_gt_pct > loo.length_from_dwt_pct  # GT is the weaker evidence
    assert loo.length_within_1sd >= 0.6 and loo.n_length >= 30


def test_registry_estimate_dimensions_is_the_fitted_estimate():
    estimate = estimate_size(8_000, None)
    assert estimate_dimensions(8_000, None) == (estimate.length_m, estimate.beam_m)
    assert estimate_dimensions(None, None) is None


def test_particulars_table_errors_name_the_file_and_line(tmp_path):
    good = "X,,5000,3000,100,16,https://example.org,\n"
    rows = read_particulars(write(tmp_path, "# a comment\n# another\n" + HEADER + "\n" + good))
    assert rows[0].line == 4 and rows[0].gt == 3000 and rows[0].imo == ""
    cases = {
        "bad_number.csv": (
            HEADER + "\n" + good + "Y,,lots,,,,https://example.org,\n",
            r"bad_number\.csv:3: dwt 'lots'",
        ),
        "bad_imo.csv": (HEADER + "\nY,9020004,5000,,,,https://example.org,\n", r"bad_imo\.csv:2: imo '9020004'"),
        "no_source.csv": (HEADER + "\nY,,5000,,,,,\n", r"no_source\.csv:2: every row needs a name and a source"),
        "wide.csv": (HEADER + "\nY,,5000,,20,30,https://example.org,\n", r"wide\.csv:2: beam_m is not less"),
        "header.csv": ("name,dwt\nY,5000\n", r"header\.csv:1: header must be"),
        "short.csv": (HEADER + "\nY,,5000\n", r"short\.csv:2: expected 8 fields, got 3"),
    }
    for name, (text, message) in cases.items():
        with pytest.raises(TankerwatchError, match=message):
            read_particulars(write(tmp_path, text, name))


def test_cli_size_model_prints_coefficients_spreads_and_leave_one_out(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["registry", "size-model"])
    assert result.exit_code == 0, result.output
    assert "length_m = " in result.output and "DWT^0." in result.output and "residual SD" in result.output
    assert "leave-one-out" in result.output and "length from DWT" in result.output
    with open(tmp_path / "law.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PARTICULARS_COLUMNS)
        for r in law_rows(wobble=0.0):
            writer.writerow([r.name, "", r.dwt, r.gt, r.length_m, r.beam_m, "https://example.org", ""])
    result = runner.invoke(main, ["registry", "size-model", "--particulars", str(tmp_path / "law.csv")])
    assert result.exit_code == 0 and "12 tankers (law.csv)" in result.output
    assert "length_m = 8 * DWT^0.3000" in result.output and "beam_m = 1.2 * DWT^0.3000" in result.output
    assert size_model_report(law_rows(wobble=0.0), "law.csv") in result.output


def test_real_dprk_tankers_fall_within_two_sd_of_their_dwt_estimate():
    if not DPRK_PARTICULARS.exists():
        pytest.skip(f"{DPRK_PARTICULARS} not present")
    with open(DPRK_PARTICULARS, encoding="utf-8", newline="") as fh:
        tankers = [r for r in csv.DictReader(fh) if "tanker" in r["vessel_type"] and r["dwt"] and r["length_m"]]
    assert {r["name"] for r in tankers} == {"LIGHTHOUSE WINMORE", "MORNING GLORY", "OCEAN SKY"}
    for r in tankers:  # evaluation only: these ships are not in the fitted table
        estimate = estimate_size(float(r["dwt"]), None)
        assert abs(estimate.length_m - float(r["length_m"])) <= 2 * estimate.length_sd_m, r["name"]
        if r["beam_m"]:
            assert abs(estimate.beam_m - float(r["beam_m"])) <= 2 * estimate.beam_sd_m, r["name"]
