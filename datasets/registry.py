"""The vessel registry: a CSV of (sanctioned) vessels' particulars, validated row by row."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from tankerwatch.schema import TankerwatchError, Vessel

COLUMNS: tuple[str, ...] = (
    "imo",
    "name",
    "vessel_type",
    "flag",
    "length_m",
    "beam_m",
    "dwt",
    "gross_tonnage",
    "sanctions",
    "notes",
)
DIMENSION_COLUMNS: tuple[str, ...] = ("length_m", "beam_m", "dwt", "gross_tonnage")
IMO_WEIGHTS: tuple[int, ...] = (7, 6, 5, 4, 3, 2)
_IMO_RE = re.compile(r"[0-9]{7}")  # ASCII digits only: str.isdigit() would accept other scripts' digits


def imo_check_digit_ok(imo: str) -> bool:
    """True when imo is 7 ASCII digits whose last digit is the IMO check digit."""
    if not isinstance(imo, str) or not _IMO_RE.fullmatch(imo):
        return False
    total = sum(int(d) * w for d, w in zip(imo[:6], IMO_WEIGHTS, strict=True))
    return total % 10 == int(imo[6])


def estimate_dimensions(dwt: float | None, gross_tonnage: float | None) -> tuple[float, float] | None:
    """Tanker (length_m, beam_m) from deadweight, or from gross tonnage; None when neither is known.

    The fitted model and its spreads are in datasets/tonnage.py (estimate_size); this keeps the
    older two-number answer for callers that do not use the spreads.
    """
    from tankerwatch.datasets.tonnage import estimate_size  # tonnage imports this module

    estimate = estimate_size(dwt, gross_tonnage)
    return None if estimate is None else (estimate.length_m, estimate.beam_m)


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """CSV records of a UTF-8 file with the 1-based file line each record starts on."""
    try:
        # utf-8-sig: spreadsheets often save a byte-order mark that would otherwise glue onto 'imo'
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            rows, line = [], 1
            for record in reader:
                rows.append((line, record))
                line = reader.line_num + 1  # a quoted field may span lines
            return rows
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: registry file not found") from None
    except IsADirectoryError:
        raise TankerwatchError(f"{path}: is a folder, expected a registry CSV file") from None
    except UnicodeDecodeError as e:
        raise TankerwatchError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except csv.Error as e:
        raise TankerwatchError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None


def _column_index(path: Path, header: list[str]) -> dict[str, int]:
    """Position of each required column in the header row."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise TankerwatchError(f"{path}: missing column(s) {', '.join(missing)} (header needs {','.join(COLUMNS)})")
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if repeated:
        raise TankerwatchError(f"{path}:1: column(s) {', '.join(repeated)} appear more than once")
    return {c: names.index(c) for c in COLUMNS}


def _parse_imo(value: str) -> str:
    """The IMO number of a row, or a ValueError saying what is wrong with it."""
    if not _IMO_RE.fullmatch(value):
        raise ValueError(f"imo {value!r} is not 7 digits")
    if not imo_check_digit_ok(value):
        expected = sum(int(d) * w for d, w in zip(value[:6], IMO_WEIGHTS, strict=True)) % 10
        raise ValueError(f"imo {value} has a wrong check digit (expected {expected})")
    return value


def _parse_positive(column: str, value: str) -> float | None:
    """A positive size or tonnage; None for an empty field."""
    if value == "":
        return None
    try:
        if "_" in value:  # float() accepts '1_000'; a registry should not
            raise ValueError
        number = float(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{column} {value!r} must be a positive number")
    return number


def _parse_vessel(fields: dict[str, str]) -> Vessel:
    """One registry row as a Vessel, or a ValueError naming the bad field."""
    if not any(fields.values()):
        raise ValueError("empty row")
    imo = _parse_imo(fields["imo"])
    if not fields["name"]:
        raise ValueError(f"imo {imo}: empty name")
    dims = {c: _parse_positive(c, fields[c]) for c in DIMENSION_COLUMNS}
    if dims["length_m"] is not None and dims["beam_m"] is not None and dims["beam_m"] >= dims["length_m"]:
        raise ValueError(f"imo {imo}: beam_m {dims['beam_m']:g} is not less than length_m {dims['length_m']:g}")
    sanctions = tuple(s.strip() for s in fields["sanctions"].split(";") if s.strip())
    return Vessel(
        imo=imo,
        name=fields["name"],
        vessel_type=fields["vessel_type"],
        flag=fields["flag"],
        sanctions=sanctions,
        notes=fields["notes"],
        **dims,
    )


def load_registry(path: Path | str) -> list[Vessel]:
    """Read and validate a registry CSV; any bad row raises TankerwatchError naming file and line."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise TankerwatchError(f"{path}: empty file (expected a header line {','.join(COLUMNS)})")
    index = _column_index(path, rows[0][1])
    width = len(rows[0][1])
    vessels: list[Vessel] = []
    first_line: dict[str, int] = {}
    for line, record in rows[1:]:
        if not record:  # a blank line, e.g. at the end of a hand-edited file
            continue
        if len(record) != width:
            raise TankerwatchError(f"{path}:{line}: expected {width} fields, got {len(record)}")
        try:
            vessel = _parse_vessel({c: record[i].strip() for c, i in index.items()})
        except ValueError as e:
            raise TankerwatchError(f"{path}:{line}: {e}") from None
        if vessel.imo in first_line:
            raise TankerwatchError(
                f"{path}:{line}: duplicate imo {vessel.imo} (first on line {first_line[vessel.imo]})"
            )
        first_line[vessel.imo] = line
        vessels.append(vessel)
    if not vessels:
        raise TankerwatchError(f"{path}: no vessels (only a header line)")
    return vessels
