"""Tanker size from tonnage: power laws fitted to public tanker particulars.

A sanctions list often gives a tanker's deadweight (DWT, the tonnes it can carry) or its gross
tonnage (GT, a measure of its enclosed volume) but not its length or beam, which is what a
satellite measures. Ship-design statistics relate them by power laws, L = a * DWT^b: a ship
ten times heavier is not ten times longer, because its carrying capacity grows with length
times beam times draught. A power law is a straight line in log-log space,

    ln L = ln a + b ln DWT,

so it is fitted by ordinary least squares on the logarithms. The scatter of real ships about
that line is the residual standard deviation in log space, sigma: it is a relative spread, a
sigma of 0.10 meaning about +-10 % (one standard deviation) whatever the size. Tankers of the
same deadweight differ because they were built for different canals, ports, rivers and eras:
a river-sea tanker is long and narrow, a 1950s steam tanker long and fine, a modern MR short
and full. The fitted sigma says how much a tonnage alone can tell.

Gross tonnage measures volume, not weight, so it does not enter the size laws directly: it is
first converted to a deadweight by a third fitted line, ln DWT = c + d ln GT (for tankers
roughly 1.6-1.9 t per GT). That conversion has its own scatter, which adds to the size
scatter, so an estimate from GT is always wider than one from DWT.

The fits use configs/tanker_particulars.csv, a table of real tankers from public pages (its
README names every source); the DPRK particulars in the shared evaluation folder are never
fitted on.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tankerwatch.datasets.registry import imo_check_digit_ok
from tankerwatch.schema import TankerwatchError

PARTICULARS_FILE = "tanker_particulars.csv"
PARTICULARS_COLUMNS: tuple[str, ...] = ("name", "imo", "dwt", "gt", "length_m", "beam_m", "source", "note")
MIN_POINTS = 3  # a line and its scatter need at least three ships


@dataclass(frozen=True)
class TankerParticulars:
    """One real tanker's published tonnage and size; None where the source gives none."""

    name: str
    imo: str
    dwt: float | None
    gt: float | None
    length_m: float | None  # length overall
    beam_m: float | None
    source: str
    line: int = 0  # line in the table, for messages


@dataclass(frozen=True)
class LogLine:
    """ln y = intercept + slope * ln x, fitted to n ships, with the residual SD of ln y."""

    intercept: float
    slope: float
    sd: float  # residual SD of ln y (n - 2 degrees of freedom)
    n: int
    mean_ln_x: float
    sxx: float  # sum of squared deviations of ln x, for the prediction spread

    def predict(self, x: float) -> float:
        """The fitted y at x (the median of the log-normal scatter)."""
        return math.exp(self.intercept + self.slope * math.log(x))

    def prediction_sd(self, x: float) -> float:
        """SD of ln y for a new ship at x: the scatter plus the uncertainty of the fitted line."""
        leverage = 1.0 / self.n + (math.log(x) - self.mean_ln_x) ** 2 / self.sxx
        return self.sd * math.sqrt(1.0 + leverage)


@dataclass(frozen=True)
class SizeModel:
    """Tanker length and beam from deadweight, and deadweight from gross tonnage."""

    length: LogLine  # ln length_m on ln dwt
    beam: LogLine  # ln beam_m on ln dwt
    dwt_from_gt: LogLine  # ln dwt on ln gt


@dataclass
class SizeEstimate:
    """A tonnage-estimated tanker size with one-SD spreads in metres; basis 'dwt' or 'gt'."""

    length_m: float
    length_sd_m: float
    beam_m: float
    beam_sd_m: float
    basis: str


def fit_log_line(points: Sequence[tuple[float, float]], what: str) -> LogLine:
    """Least squares of ln y on ln x over positive (x, y) pairs."""
    if len(points) < MIN_POINTS:
        raise TankerwatchError(f"tonnage model: {what} needs at least {MIN_POINTS} ships, got {len(points)}")
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx <= 0:
        raise TankerwatchError(f"tonnage model: {what} needs ships of different tonnage")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - intercept - slope * x for x, y in zip(xs, ys, strict=True)]
    sd = math.sqrt(sum(r * r for r in residuals) / (len(points) - 2))  # two parameters fitted
    return LogLine(intercept, slope, sd, len(points), mean_x, sxx)


def _pairs(rows: Sequence[TankerParticulars], x: str, y: str) -> list[tuple[float, float]]:
    """The (x, y) figures of the ships that give both."""
    return [(getattr(r, x), getattr(r, y)) for r in rows if getattr(r, x) and getattr(r, y)]


def fit_size_model(rows: Sequence[TankerParticulars]) -> SizeModel:
    """Fit length and beam on deadweight, and deadweight on gross tonnage, in log-log space."""
    return SizeModel(
        length=fit_log_line(_pairs(rows, "dwt", "length_m"), "length on dwt"),
        beam=fit_log_line(_pairs(rows, "dwt", "beam_m"), "beam on dwt"),
        dwt_from_gt=fit_log_line(_pairs(rows, "gt", "dwt"), "dwt on gt"),
    )


def _number(path: Path, line: int, column: str, value: str) -> float | None:
    """A positive figure of the table; empty is None, anything else names the line."""
    if not value:
        return None
    try:
        number = float(value) if "_" not in value else math.nan  # float() would take '1_000'
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise TankerwatchError(f"{path}:{line}: {column} {value!r} is not a positive number")
    return number


def _particulars_row(path: Path, line: int, row: dict[str, str]) -> TankerParticulars:
    """One table row, checked: a name, a source, a valid IMO where given, beam less than length."""
    if not row["name"] or not row["source"]:
        raise TankerwatchError(f"{path}:{line}: every row needs a name and a source")
    if row["imo"] and not imo_check_digit_ok(row["imo"]):
        raise TankerwatchError(f"{path}:{line}: imo {row['imo']!r} is not a valid IMO number")
    sizes = {c: _number(path, line, c, row[c]) for c in ("dwt", "gt", "length_m", "beam_m")}
    if sizes["length_m"] and sizes["beam_m"] and sizes["beam_m"] >= sizes["length_m"]:
        raise TankerwatchError(f"{path}:{line}: beam_m is not less than length_m")
    return TankerParticulars(row["name"], row["imo"], source=row["source"], line=line, **sizes)


def read_particulars(path: Path) -> list[TankerParticulars]:
    """The rows of a tanker particulars table; '#' lines before the header are comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: tanker particulars table not found") from None
    lines = text.splitlines(keepends=True)
    skip = next((i for i, s in enumerate(lines) if not s.startswith("#")), len(lines))
    reader = csv.reader(io.StringIO("".join(lines[skip:]), newline=""))
    records, start = [], 1
    try:
        for record in reader:
            records.append((skip + start, record))
            start = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as e:
        raise TankerwatchError(f"{path}:{skip + reader.line_num}: malformed CSV ({e})") from None
    if not records or [h.strip() for h in records[0][1]] != list(PARTICULARS_COLUMNS):
        raise TankerwatchError(f"{path}:{skip + 1}: header must be {','.join(PARTICULARS_COLUMNS)}")
    rows = []
    for line, record in records[1:]:
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(PARTICULARS_COLUMNS):
            raise TankerwatchError(f"{path}:{line}: expected {len(PARTICULARS_COLUMNS)} fields, got {len(record)}")
        rows.append(
            _particulars_row(path, line, dict(zip(PARTICULARS_COLUMNS, (v.strip() for v in record), strict=True)))
        )
    return rows


def bundled_particulars() -> list[TankerParticulars]:
    """The public tanker particulars shipped in configs/."""
    from tankerwatch.config import bundled_path

    return read_particulars(bundled_path(PARTICULARS_FILE))


@lru_cache(maxsize=1)
def load_size_model() -> SizeModel:
    """The size model fitted to the bundled particulars (fitted once per process)."""
    return fit_size_model(bundled_particulars())


def _known(value: float | None) -> bool:
    """Whether a tonnage is a usable positive number."""
    return value is not None and math.isfinite(value) and value > 0


def estimate_size(
    dwt: float | None, gross_tonnage: float | None, model: SizeModel | None = None
) -> SizeEstimate | None:
    """A tanker's length and beam from its deadweight, else from its gross tonnage; None when neither is known.

    The spreads are one SD: the fitted scatter in log space times the estimate (a relative SD),
    widened by the uncertainty of the fitted line, and for a GT basis by the DWT-from-GT scatter
    carried through the size law's slope.
    """
    model = model or load_size_model()
    if dwt is not None and _known(dwt):
        basis, deadweight, extra_ln_sd = "dwt", dwt, 0.0
    elif gross_tonnage is not None and _known(gross_tonnage):
        basis = "gt"
        deadweight = model.dwt_from_gt.predict(gross_tonnage)
        extra_ln_sd = model.dwt_from_gt.prediction_sd(gross_tonnage)
    else:
        return None
    length, beam = model.length.predict(deadweight), model.beam.predict(deadweight)
    length_ln_sd = math.hypot(model.length.prediction_sd(deadweight), model.length.slope * extra_ln_sd)
    beam_ln_sd = math.hypot(model.beam.prediction_sd(deadweight), model.beam.slope * extra_ln_sd)
    return SizeEstimate(length, length * length_ln_sd, beam, beam * beam_ln_sd, basis)


@dataclass(frozen=True)
class LeaveOneOut:
    """Median absolute % error of a size predicted for each ship by a model fitted without it."""

    length_from_dwt_pct: float
    beam_from_dwt_pct: float
    length_from_gt_pct: float
    length_within_1sd: float  # share of DWT-based length errors inside the stated one-SD spread
    n_length: int
    n_beam: int
    n_gt: int


def _loo_errors(
    rows: Sequence[TankerParticulars],
    has: Callable[[TankerParticulars], bool],
    predict: Callable[[SizeModel, TankerParticulars], SizeEstimate | None],
    truth: str,
) -> list[tuple[float, float]]:
    """(|% error|, stated % SD) for each ship that has the figures, predicted without it."""
    out = []
    for i, row in enumerate(rows):
        if not has(row):
            continue
        estimate = predict(fit_size_model([r for j, r in enumerate(rows) if j != i]), row)
        if estimate is None:  # has() admits only ships with the tonnage predict() reads
            continue
        value = getattr(estimate, truth)
        sd = getattr(estimate, f"{truth[:-2]}_sd_m")
        actual = getattr(row, truth)
        out.append((100 * abs(value - actual) / actual, 100 * sd / value))
    return out


def leave_one_out(rows: Sequence[TankerParticulars]) -> LeaveOneOut:
    """Leave-one-out errors of the size model on its own table: how well a tonnage alone sizes a tanker."""
    by_dwt = _loo_errors(
        rows, lambda r: bool(r.dwt and r.length_m), lambda m, r: estimate_size(r.dwt, None, m), "length_m"
    )
    beam = _loo_errors(rows, lambda r: bool(r.dwt and r.beam_m), lambda m, r: estimate_size(r.dwt, None, m), "beam_m")
    by_gt = _loo_errors(
        rows, lambda r: bool(r.gt and r.length_m), lambda m, r: estimate_size(None, r.gt, m), "length_m"
    )
    return LeaveOneOut(
        length_from_dwt_pct=statistics.median(e for e, _ in by_dwt),
        beam_from_dwt_pct=statistics.median(e for e, _ in beam),
        length_from_gt_pct=statistics.median(e for e, _ in by_gt),
        length_within_1sd=sum(e <= sd for e, sd in by_dwt) / len(by_dwt),
        n_length=len(by_dwt),
        n_beam=len(beam),
        n_gt=len(by_gt),
    )


def _line_text(name: str, line: LogLine, x: str, y: str) -> str:
    """One fitted law as a reader checks it."""
    return (
        f"  {name:<12} {y} = {math.exp(line.intercept):.4g} * {x}^{line.slope:.4f}   "
        f"residual SD {line.sd:.3f} in ln (about +-{100 * line.sd:.0f} %), n = {line.n}"
    )


def size_model_report(rows: Sequence[TankerParticulars] | None = None, source: str = PARTICULARS_FILE) -> str:
    """The fitted laws, their spreads and the leave-one-out errors, as printed by `registry size-model`."""
    rows = bundled_particulars() if rows is None else list(rows)
    model, loo = fit_size_model(rows), leave_one_out(rows)
    examples = [(d, e) for d in (1_000, 5_000, 50_000, 300_000) if (e := estimate_size(d, None, model)) is not None]
    return "\n".join(
        [
            f"tonnage -> size model fitted to {len(rows)} tankers ({source}), least squares in ln-ln:",
            _line_text("length", model.length, "DWT", "length_m"),
            _line_text("beam", model.beam, "DWT", "beam_m"),
            _line_text("DWT from GT", model.dwt_from_gt, "GT", "DWT"),
            "leave-one-out (each ship predicted by a fit without it), median absolute error:",
            f"  length from DWT {loo.length_from_dwt_pct:.1f} % (n = {loo.n_length}; "
            f"{100 * loo.length_within_1sd:.0f} % of ships within the stated 1 SD)",
            f"  beam from DWT {loo.beam_from_dwt_pct:.1f} % (n = {loo.n_beam})",
            f"  length from GT {loo.length_from_gt_pct:.1f} % (n = {loo.n_gt})",
            "examples: "
            + "; ".join(
                f"{d:,} dwt -> {e.length_m:.0f} +- {e.length_sd_m:.0f} m x {e.beam_m:.1f} +- {e.beam_sd_m:.1f} m"
                for d, e in examples
            ),
        ]
    )
