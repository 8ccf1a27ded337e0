"""Deliveries against the cap: port visits of identified tankers turned into barrels of refined products.

UN Security Council resolution 2397 (2017) caps the DPRK's imports of refined petroleum products at
CAP_BARRELS = 500,000 barrels per calendar year. A satellite sees a tanker in port, not its cargo, so
every figure here is a *scenario*: what the visits would add up to if each tanker carried a stated
share of what it can carry. The arithmetic, one visit at a time:

    cargo tonnes  = DWT x cargo share                 deadweight minus fuel, water, stores and crew
    cubic metres  = cargo tonnes x fill / density      fill: the scenario (1/3, 1/2, 0.9 by default)
    barrels       = cubic metres x 6.28981             1 barrel = 42 US gal = 0.158987294928 m³

with, unless told otherwise,

    cargo share   CARGO_SHARE = 0.9 of DWT (a small products tanker's bunkers, fresh water and stores
                  are some 5-10 % of its deadweight)
    density       DENSITY_T_PER_M3 = 0.84 t/m³: the product mix is taken to be all diesel / gasoil
                  (~0.84), the bulk of what the Panel of Experts reports; gasoline (~0.74) would give
                  0.84 / 0.74 = 1.135, about 13.5 % more barrels from the same tonnes, so diesel is the
                  side that claims the fewest barrels

A 5,000-dwt tanker, half full: 5,000 x 0.9 = 4,500 t; x 0.5 / 0.84 = 2,678.6 m³; x 6.28981 = 16,848 bbl.

A visit (the visits table: one vessel in one port area, sightings no more than the gap apart) counts
once, however many scenes saw it. Whether a tanker was laden when it came or went is read from its
freeboard (inference/freeboard.py: laden, part or light, where the sun and the view let the hull-side
shadow be measured) and carried in each alert as `load_state`. A visit's `laden_arrival` is the state at
its first sighting and `laden_departure` the state at its last (unknown with a single sighting: one look
cannot say whether the ship was coming or going). A visit that arrived light at a DPRK port, or left a
loading port light, counts zero (`counted_fill`); every other visit, known or unknown, counts each
scenario's fill. "First seen light" in a DPRK port may also be a tanker that had already pumped its cargo
ashore before the first pass, so the zero is a lower bound for that visit, not a proof.

Where a visit happens decides what it means. At a KP (DPRK) port it is a *delivery*: the cumulative
line against the cap is drawn from these, in time order, restarting on each 1 January because the cap
is per calendar year. At an RU or CN port it is a *loading* (product taken on, perhaps for the DPRK);
loadings are totalled beside the deliveries but never added to them, or the same cargo would count
twice. Every other port is listed as a plain "visit".

Capacity comes from the registry's DWT. Where the registry gives no DWT, it is estimated from the size
model of datasets/tonnage.py: from the gross tonnage by its DWT-on-GT law, else from the length by
inverting its length law L = a DWT^b, i.e. DWT = (L / a)^(1/b); both are flagged as estimated. A visit
of a vessel with neither is "capacity unknown": it is listed, and counted in the report, but not summed.
A visit is left out when an analyst rejected every one of its alerts (`tankerwatch review`); a visit of
an unidentified tanker (imo "") is never counted.
"""

from __future__ import annotations

import csv
import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tankerwatch.schema import TankerwatchError, Vessel

CAP_BARRELS = 500_000  # UNSCR 2397 (2017), paragraph 5: refined petroleum products per calendar year
CAP_COUNTRY = "KP"  # deliveries to the DPRK: visits at its ports
LOADING_COUNTRIES = ("RU", "CN")  # visits there are loadings
CARGO_SHARE = 0.9  # cargo tonnes per tonne of deadweight
DENSITY_T_PER_M3 = 0.84  # diesel / gasoil; gasoline ~0.74
M3_PER_BARREL = 0.158987294928  # 42 US gallons of 231 cubic inches, exactly
BARRELS_PER_M3 = 1.0 / M3_PER_BARREL  # 6.28981...
DEFAULT_SCENARIOS: tuple[float, ...] = (1 / 3, 0.5, 0.9)
CSV_NAME = "deliveries.csv"
PLOT_NAME = "deliveries.png"
ROLE_DELIVERY, ROLE_LOADING, ROLE_VISIT = "delivery", "loading", "visit"
UNKNOWN = "unknown"
BASIS_REGISTRY = "registry dwt"
BASIS_GT = "estimated from gross tonnage"
BASIS_LENGTH = "estimated from length"
BASIS_UNKNOWN = "capacity unknown"

CSV_COLUMNS: tuple[str, ...] = (
    "visit_id",
    "first_seen",
    "last_seen",
    "sightings",
    "imo",
    "name",
    "probability",
    "sanctions",
    "port_id",
    "area_id",
    "port_name",
    "country",
    "role",
    "laden_arrival",
    "laden_departure",
    "dwt",
    "capacity_basis",
    "cargo_share",
    "density_t_m3",
    "full_barrels",
)

_PERIOD_HELP = "expected YYYY, YYYY-MM or YYYY-MM-DD/YYYY-MM-DD"


@dataclass(frozen=True)
class Period:
    """Whole UTC days from start to end, both included; a visit is in it when it arrived (first_seen) in it."""

    start: date
    end: date
    text: str

    def contains(self, day: date) -> bool:
        """Whether a day falls in the period."""
        return self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """'2024', '2024-05' or '2024-01-01/2024-06-30' as a Period; anything else a one-line TankerwatchError."""
    value = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}", value):
            year = int(value)
            return Period(date(year, 1, 1), date(year, 12, 31), value)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            first = date(int(value[:4]), int(value[5:]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return Period(first, following - timedelta(days=1), value)
        m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{4}-[0-9]{2}-[0-9]{2})", value)
        if m:
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise TankerwatchError(f"period {text!r}: ends before it starts")
            return Period(start, end, value)
    except ValueError:
        raise TankerwatchError(f"period {text!r}: not a real date ({_PERIOD_HELP})") from None
    raise TankerwatchError(f"period {text!r}: {_PERIOD_HELP}")


def scenario_label(fill: float) -> str:
    """A fill share as its column name, e.g. 'fill_0.333'."""
    return f"fill_{round(fill, 3):g}"


def check_scenarios(fills: Sequence[float]) -> tuple[float, ...]:
    """Fill shares in (0, 1], in the order given, repeats (after rounding to 3 places) dropped."""
    out: list[float] = []
    for fill in fills:
        if not (math.isfinite(fill) and 0 < fill <= 1):
            raise TankerwatchError(f"scenario {fill:g}: a fill share must be more than 0 and at most 1")
        if scenario_label(fill) not in {scenario_label(f) for f in out}:
            out.append(fill)
    if not out:
        raise TankerwatchError("no scenario: give at least one fill share")
    return tuple(out)


def barrels(dwt: float, fill: float, cargo_share: float = CARGO_SHARE, density: float = DENSITY_T_PER_M3) -> float:
    """Barrels of product in a tanker of dwt tonnes filled to `fill` of its cargo tonnes."""
    return dwt * cargo_share * fill / density * BARRELS_PER_M3


def counted_fill(role: str, laden_arrival: str, laden_departure: str, fill: float) -> float:
    """The fill share a visit counts with: zero when a cue says it came (delivery) or left (loading) light."""
    if role == ROLE_DELIVERY and laden_arrival == "light":
        return 0.0
    if role == ROLE_LOADING and laden_departure == "light":
        return 0.0
    return fill


def laden_states(alerts: list[dict]) -> tuple[str, str]:
    """(arrival, departure) laden state of a visit from its alerts' load_state: the first and, with more than one
    sighting, the last; unknown where not read."""
    seen = sorted(alerts, key=lambda a: a.get("acquired") or "")
    if not seen:
        return UNKNOWN, UNKNOWN
    arrival = seen[0].get("load_state") or UNKNOWN
    departure = (seen[-1].get("load_state") or UNKNOWN) if len(seen) > 1 else UNKNOWN
    return arrival, departure


def dwt_from_length(length_m: float) -> float:
    """A tanker's deadweight from its length: the size model's length law L = a DWT^b, inverted."""
    from tankerwatch.datasets.tonnage import load_size_model

    line = load_size_model().length
    return math.exp((math.log(length_m) - line.intercept) / line.slope)


def capacity(vessel: Vessel | None) -> tuple[float | None, str]:
    """(DWT, basis) of a registry vessel: its DWT, else estimated from GT or length, else (None, unknown)."""
    if vessel is None:
        return None, BASIS_UNKNOWN
    if vessel.dwt:
        return vessel.dwt, BASIS_REGISTRY
    if vessel.gross_tonnage:
        from tankerwatch.datasets.tonnage import load_size_model

        return load_size_model().dwt_from_gt.predict(vessel.gross_tonnage), BASIS_GT
    if vessel.length_m:
        return dwt_from_length(vessel.length_m), BASIS_LENGTH
    return None, BASIS_UNKNOWN


@dataclass
class DeliveryRow:
    """One visit of an identified tanker, with its capacity and barrels under each scenario.

    barrels and cumulative are keyed by scenario_label; barrels is empty where the capacity is unknown,
    cumulative (this calendar year's deliveries up to and including this one) is set for deliveries only.
    """

    visit_id: str
    first_seen: str
    last_seen: str
    sightings: int
    imo: str
    name: str
    probability: float | None
    sanctions: str
    port_id: str  # the port the area belongs to
    area_id: str  # the port area of the store's visit
    port_name: str
    country: str
    role: str
    dwt: float | None
    capacity_basis: str
    laden_arrival: str = UNKNOWN
    laden_departure: str = UNKNOWN
    barrels: dict[str, float] = field(default_factory=dict)
    cumulative: dict[str, float] = field(default_factory=dict)

    @property
    def year(self) -> int:
        """The calendar year the visit began in."""
        return int(self.first_seen[:4])


@dataclass
class DeliveryReport:
    """The visits of a period and what they add up to; totals keyed by calendar year, then scenario label."""

    period: Period
    scenarios: tuple[float, ...]
    cargo_share: float
    density: float
    rows: list[DeliveryRow]
    delivered: dict[int, dict[str, float]]  # KP deliveries, summed
    loaded: dict[int, dict[str, float]]  # RU / CN loadings, summed (never added to deliveries)
    cap_barrels: int = CAP_BARRELS

    @property
    def labels(self) -> list[str]:
        """The scenario column names, in order."""
        return [scenario_label(f) for f in self.scenarios]

    @property
    def unknown_capacity(self) -> list[DeliveryRow]:
        """Visits listed but not summed: no capacity known."""
        return [r for r in self.rows if r.dwt is None]


def _role(country: str) -> str:
    if country == CAP_COUNTRY:
        return ROLE_DELIVERY
    return ROLE_LOADING if country in LOADING_COUNTRIES else ROLE_VISIT


def _store_visits(out_dir: Path) -> list[tuple[sqlite3.Row, list[dict]]]:
    """Identified visits in time order, each with its alerts' JSON, visits rejected by an analyst left out."""
    import json

    from tankerwatch.inference.visits import connect_read_only, store_path

    db = connect_read_only(store_path(out_dir))
    try:
        has_reviews = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reviews'").fetchone()
        decided: dict[str, str] = {}
        if has_reviews:
            for r in db.execute("SELECT alert_id, decision FROM reviews ORDER BY review_id"):
                decided[r["alert_id"]] = r["decision"]
        visits = db.execute("SELECT * FROM visits WHERE imo != '' ORDER BY first_seen, visit_id").fetchall()
        out = []
        for v in visits:
            rows = db.execute("SELECT alert_id, json FROM alerts WHERE visit_id = ? ORDER BY seq", (v["visit_id"],))
            alerts = [json.loads(a["json"]) for a in rows]
            if alerts and all(decided.get(a["alert_id"]) == "rejected" for a in alerts):
                continue
            out.append((v, alerts))
        return out
    except sqlite3.DatabaseError as e:
        raise TankerwatchError(f"{out_dir}: not a readable tankerwatch store ({e})") from None
    finally:
        db.close()


def deliveries(
    out_dir: Path | str,
    registry_path: Path | str,
    ports_path: Path | str,
    period: Period | str,
    scenarios: Sequence[float] = DEFAULT_SCENARIOS,
    cargo_share: float = CARGO_SHARE,
    density: float = DENSITY_T_PER_M3,
) -> DeliveryReport:
    """The identified tankers' visits of a run's store in a period, with barrels per scenario and running totals."""
    from tankerwatch.datasets.ports import load_ports, port_of
    from tankerwatch.datasets.registry import load_registry

    period = parse_period(period) if isinstance(period, str) else period
    fills = check_scenarios(scenarios)
    if not (0 < cargo_share <= 1):
        raise TankerwatchError(f"cargo share {cargo_share:g}: expected more than 0 and at most 1")
    if not (0 < density < 2):
        raise TankerwatchError(f"density {density:g} t/m³: expected a refined product's, about 0.7-0.9")
    vessels = {v.imo: v for v in load_registry(registry_path)}
    areas = {a.id: a for a in load_ports(ports_path)}
    labels = [scenario_label(f) for f in fills]
    rows: list[DeliveryRow] = []
    delivered: dict[int, dict[str, float]] = {}
    loaded: dict[int, dict[str, float]] = {}
    for v, alerts in _store_visits(Path(out_dir)):
        if not period.contains(date.fromisoformat(v["first_seen"][:10])):
            continue
        area = areas.get(v["port_id"])
        country = area.country if area else ""
        port_id = port_of(area) if area else v["port_id"]
        port_name = areas[port_id].name if port_id in areas else (area.name if area else v["port_id"])
        top = [a["candidates"][0] for a in alerts if a.get("candidates")]
        arrival, departure = laden_states(alerts)
        vessel = vessels.get(v["imo"])
        dwt, basis = capacity(vessel)
        row = DeliveryRow(
            visit_id=v["visit_id"],
            first_seen=v["first_seen"],
            last_seen=v["last_seen"],
            sightings=v["sightings"],
            imo=v["imo"],
            name=vessel.name if vessel else (top[0]["name"] if top else ""),
            probability=max((c["probability"] for c in top), default=None),
            sanctions=";".join(vessel.sanctions if vessel else (top[0]["sanctions"] if top else ())),
            port_id=port_id,
            area_id=v["port_id"],
            port_name=port_name,
            country=country,
            role=_role(country),
            dwt=dwt,
            capacity_basis=basis,
            laden_arrival=arrival,
            laden_departure=departure,
        )
        if dwt is not None:
            for fill, label in zip(fills, labels, strict=True):
                share = counted_fill(row.role, row.laden_arrival, row.laden_departure, fill)
                row.barrels[label] = barrels(dwt, share, cargo_share, density)
            totals = {ROLE_DELIVERY: delivered, ROLE_LOADING: loaded}.get(row.role)
            if totals is not None:
                year = totals.setdefault(row.year, dict.fromkeys(labels, 0.0))
                for label in labels:
                    year[label] += row.barrels[label]
                if row.role == ROLE_DELIVERY:
                    row.cumulative = dict(year)
        elif row.role == ROLE_DELIVERY:  # listed at the running total so far, adding nothing
            row.cumulative = dict(delivered.get(row.year, dict.fromkeys(labels, 0.0)))
        rows.append(row)
    return DeliveryReport(period, fills, cargo_share, density, rows, delivered, loaded)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_csv(report: DeliveryReport, path: Path | str) -> Path:
    """One line per visit: CSV_COLUMNS, then barrels_<scenario> and cumulative_<scenario> for each scenario."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = report.labels
    header = [*CSV_COLUMNS, *(f"barrels_{lb}" for lb in labels), *(f"cumulative_{lb}" for lb in labels)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for r in report.rows:
            full = None if r.dwt is None else barrels(r.dwt, 1.0, report.cargo_share, report.density)
            writer.writerow(
                [
                    r.visit_id,
                    r.first_seen,
                    r.last_seen,
                    r.sightings,
                    r.imo,
                    r.name,
                    "" if r.probability is None else f"{r.probability:.3f}",
                    r.sanctions,
                    r.port_id,
                    r.area_id,
                    r.port_name,
                    r.country,
                    r.role,
                    r.laden_arrival,
                    r.laden_departure,
                    _fmt(r.dwt, 0),
                    r.capacity_basis,
                    f"{report.cargo_share:g}",
                    f"{report.density:g}",
                    _fmt(full),
                    *(_fmt(r.barrels.get(lb)) for lb in labels),
                    *(_fmt(r.cumulative.get(lb)) for lb in labels),
                ]
            )
    return path


def _when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def write_plot(report: DeliveryReport, path: Path | str) -> Path:
    """Write plot_png's figure to path (PNG, atomically); the path."""
    from tankerwatch.io import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, plot_png(report))
    return path


def plot_png(report: DeliveryReport) -> bytes:
    """Cumulative barrels delivered to KP ports per scenario over the period, restarting each year, with the cap."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    start = datetime.combine(report.period.start, datetime.min.time(), timezone.utc)
    end = datetime.combine(report.period.end + timedelta(days=1), datetime.min.time(), timezone.utc)
    points = [r for r in report.rows if r.role == ROLE_DELIVERY and r.cumulative]
    for fill, label in zip(report.scenarios, report.labels, strict=True):
        xs, ys, year = [start], [0.0], report.period.start.year
        for r in points:
            if r.year != year:  # the cap restarts on 1 January
                xs += [datetime(r.year, 1, 1, tzinfo=timezone.utc)] * 2
                ys += [ys[-1], 0.0]
                year = r.year
            xs.append(_when(r.first_seen))
            ys.append(r.cumulative[label])
        xs.append(end)
        ys.append(ys[-1])
        ax.step(date2num(xs), ys, where="post", label=f"{100 * fill:.0f} % full")
    ax.axhline(report.cap_barrels, color="red", linestyle="--", label=f"UNSCR 2397 cap {report.cap_barrels:,} bbl/yr")
    ax.xaxis_date()
    ax.set_xlim(float(date2num(start)), float(date2num(end)))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("barrels delivered to KP ports (cumulative per calendar year)")
    n, unknown = len(points), sum(1 for r in report.unknown_capacity if r.role == ROLE_DELIVERY)
    ax.set_title(
        f"Refined-product deliveries to the DPRK, {report.period.text}: {n} visits"
        + (f" (+{unknown} of unknown capacity)" if unknown else "")
        + f"\nDWT x {report.cargo_share:g} cargo x fill / {report.density:g} t/m³ x {BARRELS_PER_M3:.4f} bbl/m³",
        fontsize=10,
    )
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def summary_lines(report: DeliveryReport) -> list[str]:
    """The visit table and the totals against the cap, as `tankerwatch deliveries` prints them."""
    labels = report.labels
    head = f"{'first seen':<20} {'port':<10} {'cc':<2} {'role':<8} {'imo':<7} {'name':<20} {'dwt':>8}  " + " ".join(
        f"{lb:>11}" for lb in labels
    )
    lines = [
        f"period {report.period.start} .. {report.period.end}: {len(report.rows)} visits of identified tankers",
        f"barrels = DWT x {report.cargo_share:g} (cargo share) x fill / {report.density:g} t/m³ "
        f"x {BARRELS_PER_M3:.4f} bbl/m³; a visit that arrived light at a KP port (or left a loading port light) "
        "counts zero, every other visit each scenario's fill",
        head,
    ]
    for r in report.rows:
        dwt = "unknown" if r.dwt is None else f"{r.dwt:,.0f}" + ("*" if r.capacity_basis != BASIS_REGISTRY else "")
        lines.append(
            f"{r.first_seen:<20} {r.port_id:<10} {r.country:<2} {r.role:<8} {r.imo:<7} {r.name[:20]:<20} {dwt:>8}  "
            + " ".join(f"{_fmt(r.barrels.get(lb), 0):>11}" for lb in labels)
        )
    if any(r.dwt is not None and r.capacity_basis != BASIS_REGISTRY for r in report.rows):
        lines.append("* DWT estimated from the size model (datasets/tonnage.py)")
    years = range(report.period.start.year, report.period.end.year + 1)
    for year in years:
        got = report.delivered.get(year, dict.fromkeys(labels, 0.0))
        lines.append(f"deliveries to {CAP_COUNTRY} ports in {year}, against the cap of {report.cap_barrels:,} bbl:")
        for fill, label in zip(report.scenarios, labels, strict=True):
            lines.append(
                f"  {100 * fill:4.0f} % full: {got[label]:>12,.0f} bbl  ({100 * got[label] / report.cap_barrels:.1f} %"
                " of the cap)"
            )
        if year in report.loaded:
            loaded = report.loaded[year]
            lines.append(
                f"loadings at {'/'.join(LOADING_COUNTRIES)} ports in {year} (not added to deliveries): "
                + ", ".join(
                    f"{100 * f:.0f} % {loaded[lb]:,.0f} bbl" for f, lb in zip(report.scenarios, labels, strict=True)
                )
            )
    if report.unknown_capacity:
        lines.append(f"{len(report.unknown_capacity)} visit(s) of capacity unknown: listed, not summed")
    return lines
