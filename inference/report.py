"""The HTML report of a run: one self-contained page an analyst can open, mail or archive.

`write_report(OUT)` reads what `tankerwatch run` left in an output folder (docs/contracts.md) and
writes OUT/report.html with:

- a header: the run folder, scenes done and failed (with each failure's reason), alerts, visits,
  tankers seen in ports and how many of them stayed unidentified, analysts' decisions;
- per scene, a quicklook: the scene's raster read decimated to about QUICKLOOK_PX pixels, each
  detection's hull outline drawn in the colour of its ship type (tanker red, bulk carrier orange,
  container ship blue, general cargo yellow, other grey; a legend with the counts beside it) and each
  alerted hull labelled with its row in the alert table (A1, A2, ...; unidentified tankers U1, ...);
  where the raster is no longer where the store says, the page says so;
- the alert table: time, port, the named vessel with IMO and sanctions (and the runners-up), its
  probability, measured length x beam against the registered size, the size z-scores, the ship-type
  P(tanker), the look's log likelihood ratio, the confirmed sightings it rests on, the analyst's
  decision (from the store's reviews) and the alert's chip;
- per port, a timeline (inline SVG): one row per vessel, a bar per visit from first to last seen and
  a dot per sighting (hovering shows the times: SVG <title>, no script);
- the tankers seen in ports without an alert, as a compact table with their best candidates and chips;
- deliveries against the cap (inference/deliveries.py): per calendar year the store's identified visits span,
  the barrels delivered to DPRK ports under each fill scenario against UNSCR 2397's 500,000 barrels, the
  loadings at Russian and Chinese ports beside them, and the cumulative plot.

Ship-to-ship transfer candidates (`sts_transfer`) are rows of the alert table like port visits, marked STS,
with both hulls' sizes and types.

Self-contained: every image is embedded as a `data:image/png;base64` URI, the CSS is inline, the
timelines are inline SVG, and the page has no JavaScript at all; a Content-Security-Policy meta tag
(`default-src 'none'`) makes the browser refuse anything that would reach the network. Every text that
comes from the run (names, ids, reasons, paths) is HTML-escaped. The store is opened read-only, so a
report can be written while a batch is still writing to the same folder.
"""

from __future__ import annotations

import base64
import html
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tankerwatch.inference.visits import connect_read_only, store_path
from tankerwatch.io import atomic_write_text
from tankerwatch.schema import TankerwatchError

REPORT_NAME = "report.html"
QUICKLOOK_PX = 1024  # long side of a scene quicklook
CHIP_PX = 240  # long side of a chip as embedded (shown at 160 px)
TYPE_COLOURS = {  # ship type -> outline colour (CSS hex)
    "tanker": "#e3242b",
    "bulk_carrier": "#ff8c1a",
    "container_ship": "#1e6ff0",
    "general_cargo": "#f5d311",
    "other": "#9a9a9a",
}
TYPE_LABELS = {
    "tanker": "tanker",
    "bulk_carrier": "bulk carrier",
    "container_ship": "container ship",
    "general_cargo": "general cargo",
    "other": "other",
}
DASH = "\u2013"

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1400px;
padding:0 16px 40px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:16px 0 6px}
.meta{color:#57606a}.stats{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.stat{border:1px solid #d0d7de;border-radius:6px;padding:6px 12px;background:#f6f8fa}
.stat b{font-size:18px;display:block}
.scenes{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.scene{margin:0}.scene figure{margin:0;display:flex;flex-direction:column;gap:6px}
.scene img{max-width:100%;height:auto;border:1px solid #d0d7de}
.legend{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px 14px}
.sw{display:inline-block;width:14px;height:14px;border:2px solid;margin-right:6px;vertical-align:-2px}
.missing{color:#9a3412;background:#fff7ed;border:1px solid #fdba74;padding:6px 10px;border-radius:6px}
.failed{color:#b91c1c}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.small{font-size:11px;color:#57606a}.chip{width:160px;height:160px;object-fit:contain;background:#000}
table.unidentified .chip{width:96px;height:96px}td.t{white-space:nowrap}
.dec-confirmed{color:#116329;font-weight:600}.dec-rejected{color:#b91c1c;font-weight:600}
.dec-pending{color:#57606a}.sanc{color:#b91c1c;font-size:11px}
.timeline{margin:6px 0 18px;max-width:100%;height:auto}
.tag{font-size:10px;font-weight:600;color:#fff;background:#6f42c1;border-radius:3px;padding:0 4px}
.plot{max-width:900px;width:100%;height:auto;margin-top:8px;border:1px solid #d0d7de}
"""


@dataclass
class RunData:
    """What a run left in its output folder, as the report needs it."""

    out_dir: Path
    scenes: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    decisions: dict[str, dict] = field(default_factory=dict)


def _e(value: Any) -> str:
    """HTML-escaped text of a value (a dash for None)."""
    return DASH if value is None else html.escape(str(value), quote=True)


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    """A number formatted, or a dash where it is missing."""
    return DASH if value is None else html.escape(fmt.format(value))


def _parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 UTC time as stored ('...Z'), or None."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --- reading the run --------------------------------------------------------------------------


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def load_run(out_dir: Path | str) -> RunData:
    """Scenes, visits, alerts, observations and the latest decision per sighting, read-only from OUT."""
    out_dir = Path(out_dir)
    db_path = store_path(out_dir)
    run = RunData(out_dir)
    try:
        db = connect_read_only(db_path)
    except sqlite3.Error as e:
        raise TankerwatchError(f"{db_path}: cannot open the store read-only ({e})") from None
    try:
        tables = _tables(db)
        if "scenes" not in tables:
            raise TankerwatchError(f"{db_path}: not a tankerwatch store (no scenes table)")
        run.scenes = [dict(r) for r in db.execute("SELECT * FROM scenes ORDER BY scene_id")]
        if "visits" in tables:
            run.visits = [dict(r) for r in db.execute("SELECT * FROM visits ORDER BY port_id, imo, first_seen")]
        if "observations" in tables:
            rows = db.execute("SELECT * FROM observations ORDER BY acquired, observation_id").fetchall()
            run.observations = [{**dict(r), "candidates": json.loads(r["candidates"] or "[]")} for r in rows]
        if "reviews" in tables:
            for r in db.execute("SELECT * FROM reviews ORDER BY review_id"):
                run.decisions[r["alert_id"]] = dict(r)  # the latest decision on each sighting wins
        jsonl = out_dir / "alerts.jsonl"
        if jsonl.is_file():
            lines = jsonl.read_text(encoding="utf-8").splitlines()
            run.alerts = [json.loads(line) for line in lines if line.strip()]
        elif "alerts" in tables:
            run.alerts = [json.loads(r["json"]) for r in db.execute("SELECT json FROM alerts ORDER BY seq")]
    except sqlite3.DatabaseError as e:
        raise TankerwatchError(f"{db_path}: not a usable tankerwatch database ({e})") from None
    except json.JSONDecodeError as e:
        raise TankerwatchError(f"{out_dir}: an alert or observation is not JSON ({e.msg})") from None
    finally:
        db.close()
    run.alerts.sort(key=lambda a: (a.get("acquired") or "", a.get("alert_id") or ""))
    return run


def _scene_raster(out_dir: Path, stored: str) -> Path | None:
    """The raster a scene was read from: its stored path (relative to where the run was started, which is
    unknown), else the same path under OUT or beside it, else OUT/scenes/<name>; None if none exists."""
    p = Path(stored)
    tries = [p] if p.is_absolute() else [p, out_dir / p, out_dir.parent / p]
    tries.append(out_dir / "scenes" / p.name)
    return next((t for t in tries if t.is_file()), None)


def _detections(out_dir: Path, scene_id: str) -> tuple[list[dict], str | None]:
    """A scene's detection Features, and a note where its detections file is missing or unreadable."""
    path = out_dir / "detections" / f"{scene_id}.geojson"
    if not path.is_file():
        return [], f"no detections file ({path.name})"
    try:
        fc = json.loads(path.read_text(encoding="utf-8"))
        return [f for f in fc.get("features", []) if isinstance(f, dict)], None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as e:
        return [], f"detections file unreadable ({path.name}: {e})"


def ship_type(feature: dict) -> str:
    """The ship type a detection is drawn as: its `type`, else `tanker` for the tanker class, else `other`."""
    props = feature.get("properties") or {}
    t = props.get("type") or ("tanker" if props.get("class") == "tanker" else "other")
    return t if t in TYPE_COLOURS else "other"


# --- quicklooks -------------------------------------------------------------------------------


def _bgr(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def quicklook_png(raster: Path, features: list[dict], labels: list[tuple[float, float, str]]) -> bytes:
    """The scene read decimated to about QUICKLOOK_PX on its long side, each footprint outlined in its type's
    colour and each (lon, lat, text) label written beside its point, as PNG bytes."""
    import cv2
    import numpy as np
    from rasterio.windows import Window

    from tankerwatch.datasets.scene import open_scene, read_rgb, scene_reader
    from tankerwatch.geo import from_lonlat_transformer

    scene = open_scene(raster)
    f = max(1.0, max(scene.width, scene.height) / QUICKLOOK_PX)
    rows, cols = max(1, round(scene.height / f)), max(1, round(scene.width / f))
    with scene_reader(scene) as src:
        rgb, _ = read_rgb(src, scene, Window(0, 0, scene.width, scene.height), (rows, cols))
    bgr = np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    to_crs = from_lonlat_transformer(scene.crs)
    inverse = ~scene.transform

    def to_px(lon: float, lat: float) -> tuple[float, float]:
        x, y = to_crs.transform(lon, lat)
        col, row = inverse * (x, y)
        return col / f, row / f

    # tankers last, so that their outlines lie on top
    for feat in sorted(features, key=lambda ft: ship_type(ft) == "tanker"):
        try:
            ring = feat["geometry"]["coordinates"][0]
            pts = np.array([to_px(float(lon), float(lat)) for lon, lat, *_ in ring], np.float64)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        colour = _bgr(TYPE_COLOURS[ship_type(feat)])
        cv2.polylines(bgr, [np.round(pts).astype(np.int32)], True, colour, 2, cv2.LINE_AA)
    for lon, lat, text in labels:
        c, r = to_px(lon, lat)
        at = (int(c) + 8, int(r) - 8)
        cv2.putText(bgr, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.75, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(bgr, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.75, (255, 255, 255), 2, cv2.LINE_AA)
    ok, png = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise TankerwatchError(f"{raster}: cannot encode the quicklook")
    return png.tobytes()


def _scene_section(run: RunData, scene: dict, labels: list[tuple[float, float, str]]) -> str:
    scene_id = scene["scene_id"]
    parts = [f'<section class="scene" id="scene-{_e(scene_id)}"><h3>{_e(scene_id)}</h3>']
    if scene.get("status") == "failed":
        parts.append(f'<p class="failed">failed: {_e(scene.get("reason"))}</p></section>')
        return "".join(parts)
    features, note = _detections(run.out_dir, scene_id)
    acquired = next((ft["properties"].get("acquired") for ft in features if ft.get("properties")), None)
    counts: dict[str, int] = defaultdict(int)
    for ft in features:
        counts[ship_type(ft)] += 1
    parts.append(
        f'<p class="meta">acquired {_e(acquired)} &middot; {len(features)} ship(s) &middot; '
        f"raster {_e(scene.get('path'))}</p>"
    )
    if note:
        parts.append(f'<p class="missing">{_e(note)}</p>')
    legend = "".join(
        f'<li><span class="sw" style="border-color:{colour}"></span>{_e(TYPE_LABELS[t])} ({counts.get(t, 0)})</li>'
        for t, colour in TYPE_COLOURS.items()
    )
    legend_html = f'<ul class="legend" aria-label="hull outline colours">{legend}</ul>'
    raster = _scene_raster(run.out_dir, str(scene.get("path") or ""))
    if raster is None:
        parts.append(
            f'<p class="missing">raster not found: {_e(scene.get("path"))} (moved or deleted since the run); '
            f"no quicklook</p>{legend_html}"
        )
    else:
        try:
            png = quicklook_png(raster, features, labels)
        except (TankerwatchError, OSError, ValueError) as e:
            parts.append(f'<p class="missing">no quicklook: {_e(e)}</p>{legend_html}')
        else:
            parts.append(
                f'<figure><img src="{_data_uri(png)}" alt="quicklook of {_e(scene_id)} with hull outlines">'
                f"{legend_html}</figure>"
            )
    parts.append("</section>")
    return "".join(parts)


# --- tables -----------------------------------------------------------------------------------


def _small_png(png: bytes) -> bytes:
    """A PNG scaled down to CHIP_PX on its long side (a chip is up to 512 native pixels; the table shows it
    at a quarter of that), or as it is when it is small already or cannot be decoded."""
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    if img is None or max(img.shape[:2]) <= CHIP_PX:
        return png
    f = CHIP_PX / max(img.shape[:2])
    small = cv2.resize(
        img, (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f))), interpolation=cv2.INTER_AREA
    )
    ok, out = cv2.imencode(".png", small, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return out.tobytes() if ok else png


def _chip_img(out_dir: Path, rel: str | None, alt: str) -> str:
    """An alert's (or observation's) chip as an inline <img>, or a dash where it is missing."""
    if not rel:
        return DASH
    path = out_dir / rel
    try:
        if path.resolve().is_relative_to(out_dir.resolve()) and path.is_file():
            return f'<img class="chip" src="{_data_uri(_small_png(path.read_bytes()))}" alt="{_e(alt)}">'
    except OSError:
        pass
    return f'<span class="small">chip missing: {_e(rel)}</span>'


def _decision_html(decision: dict | None) -> str:
    if decision is None:
        return '<span class="dec-pending">pending</span>'
    kind = "confirmed" if decision.get("decision") == "confirmed" else "rejected"
    return (
        f'<span class="dec-{kind}">{_e(decision.get("decision"))} {_e(decision.get("imo"))}</span>'
        f'<br><span class="small">by {_e(decision.get("analyst"))}, {_e(decision.get("decided_at"))}'
        f"<br>{_e(decision.get('reason'))}</span>"
    )


def _alert_table(run: RunData) -> str:
    if not run.alerts:
        return "<p>No alerts.</p>"
    head = (
        "<tr><th>#</th><th>time</th><th>port</th><th>vessel (IMO)</th><th>P</th><th>L&times;B m measured"
        "<br>/ registered</th><th>z<sub>L</sub> / z<sub>B</sub></th><th>P(tanker)</th><th>look LLR</th>"
        "<th>confirmed sightings</th><th>visit</th><th>decision</th><th>chip</th></tr>"
    )
    visits = {v["visit_id"]: v for v in run.visits}
    rows = []
    for i, a in enumerate(run.alerts, 1):
        cands = a.get("candidates") or []
        c = cands[0] if cands else {}
        ev = c.get("evidence") or {}
        registered = (
            f"{_num(c.get('length_m'), '{:.1f}')}&times;{_num(c.get('beam_m'), '{:.1f}')}"
            + (" (est.)" if ev.get("dims_estimated") else "")
            if c
            else DASH
        )
        sanctions = " ".join(_e(s) for s in c.get("sanctions") or [])
        others = ", ".join(f"{_e(o.get('name'))} ({_e(o.get('imo'))}) {_num(o.get('probability'))}" for o in cands[1:])
        confirmed = ev.get("confirmed_sightings") or []
        now = visits.get(a.get("visit_id") or "", a)  # the visit as it stands, else as the alert line gave it
        visit = (
            f'{_e(now.get("sightings"))} sighting(s)<br><span class="small">{_e(now.get("first_seen"))}<br>'
            f"{_e(now.get('last_seen'))}</span>"
        )
        rows.append(
            f'<tr class="alert" id="alert-{_e(a.get("alert_id"))}"><td>A{i}{_type_mark(a)}</td>'
            f'<td class="t">{_e(a.get("acquired"))}<br><span class="small">{_e(a.get("alert_id"))}<br>'
            f"{_e(a.get('scene_id'))}</span></td>"
            f'<td>{_e(a.get("port_name"))}<br><span class="small">{_e(a.get("port_id"))}</span></td>'
            f"<td><b>{_e(c.get('name'))}</b> ({_e(c.get('imo'))})"
            + (f'<br><span class="sanc">{sanctions}</span>' if sanctions else "")
            + (f'<br><span class="small">also: {others}</span>' if others else "")
            + _pair_html(a)
            + "</td>"
            f'<td class="n">{_num(c.get("probability"))}</td>'
            f'<td class="n">{_num(a.get("length_m"), "{:.1f}")}&times;{_num(a.get("beam_m"), "{:.1f}")}'
            f"<br>{registered}</td>"
            f'<td class="n">{_num(ev.get("z_length"), "{:+.2f}")} / {_num(ev.get("z_beam"), "{:+.2f}")}</td>'
            f'<td class="n">{_num(ev.get("p_tanker"))}</td>'
            f'<td class="n">{_num(ev.get("appearance_llr"), "{:+.2f}")}</td>'
            f'<td class="n" title="{_e(", ".join(map(str, confirmed)))}">{len(confirmed)}</td>'
            f"<td>{visit}</td>"
            f"<td>{_decision_html(run.decisions.get(a.get('alert_id') or ''))}</td>"
            f"<td>{_chip_img(run.out_dir, a.get('chip'), 'chip of alert ' + str(a.get('alert_id')))}</td></tr>"
        )
    return f'<table class="alerts"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _type_mark(alert: dict) -> str:
    """A short tag under the row number for alerts other than port visits."""
    kind = alert.get("type") or "port_visit"
    tag = {"sts_transfer": "STS", "unidentified_tanker": "unnamed"}.get(kind, "" if kind == "port_visit" else kind)
    return f'<br><span class="tag">{_e(tag)}</span>' if tag else ""


def _pair_html(alert: dict) -> str:
    """Both hulls of a ship-to-ship transfer candidate: type, size, and the gap between them."""
    vessels = alert.get("vessels") or []
    if not vessels:
        return ""
    hulls = " + ".join(
        f"{_e(v.get('type') or v.get('class'))} "
        f"{_num(v.get('length_m'), '{:.0f}')}&times;{_num(v.get('beam_m'), '{:.0f}')}"
        for v in vessels
    )
    return f'<br><span class="small">alongside: {hulls} m, gap {_num(alert.get("gap_m"), "{:.1f}")} m</span>'


def _deliveries_section(run: RunData, registry_path: Path, ports_path: Path) -> str:
    """Deliveries against the cap for each calendar year the identified visits span, with the cumulative plot."""
    from tankerwatch.inference.deliveries import CAP_BARRELS, deliveries, parse_period, plot_png

    years = sorted({int(v["first_seen"][:4]) for v in run.visits if v.get("imo")})
    if not years:
        return "<p>No visits of identified tankers.</p>"
    period = parse_period(f"{years[0]}-01-01/{years[-1]}-12-31")
    report = deliveries(run.out_dir, registry_path, ports_path, period)
    head = "<tr><th>year</th>" + "".join(f"<th>{100 * f:.0f} % full</th>" for f in report.scenarios) + "</tr>"
    rows = []
    for year in years:
        got = report.delivered.get(year, {})
        cells = "".join(
            f'<td class="n">{got.get(lb, 0.0):,.0f} bbl<br><span class="small">'
            f"{100 * got.get(lb, 0.0) / CAP_BARRELS:.1f} % of the cap</span></td>"
            for lb in report.labels
        )
        loaded = report.loaded.get(year)
        rows.append(f"<tr><td>{year} delivered to KP</td>{cells}</tr>")
        if loaded:
            cells = "".join(f'<td class="n">{loaded.get(lb, 0.0):,.0f} bbl</td>' for lb in report.labels)
            rows.append(f'<tr class="small"><td>{year} loaded at RU / CN (not added)</td>{cells}</tr>')
    n = sum(r.role == "delivery" for r in report.rows)
    note = (
        f"<p class='small'>{n} visit(s) of identified tankers at DPRK ports. Barrels = DWT &times; "
        f"{report.cargo_share:g} (cargo share) &times; fill / {report.density:g} t/m³ (diesel) &times; 6.2898 bbl/m³; "
        "a tanker seen light on arrival at a DPRK port counts zero. `tankerwatch deliveries OUT --period P` writes "
        "the visit table as CSV.</p>"
    )
    plot = f'<img class="plot" alt="cumulative deliveries against the cap" src="{_data_uri(plot_png(report))}">'
    return f'<table class="alerts"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{note}{plot}'


def _unidentified(run: RunData) -> list[dict]:
    return [o for o in run.observations if not o.get("alert_id")]


def _unidentified_table(run: RunData) -> str:
    seen = _unidentified(run)
    if not seen:
        return "<p>None: every tanker seen in a port was alerted.</p>"
    head = (
        "<tr><th>#</th><th>time</th><th>port</th><th>L&times;B m</th><th>best candidates</th>"
        "<th>decision</th><th>chip</th></tr>"
    )
    rows = []
    for i, o in enumerate(seen, 1):
        oid = o.get("observation_id")
        cands = ", ".join(
            f"{_e(c.get('name'))} ({_e(c.get('imo'))}) {_num(c.get('probability'))}" for c in o["candidates"][:3]
        )
        rows.append(
            f'<tr class="unidentified"><td>U{i}</td><td class="t">{_e(o.get("acquired"))}<br>'
            f'<span class="small">{_e(o.get("observation_id"))}<br>{_e(o.get("scene_id"))}</span></td>'
            f"<td>{_e(o.get('port_id'))}</td>"
            f'<td class="n">{_num(o.get("length_m"), "{:.1f}")}&times;{_num(o.get("beam_m"), "{:.1f}")}</td>'
            f"<td>{cands or DASH}</td><td>{_decision_html(run.decisions.get(o.get('observation_id') or ''))}</td>"
            f"<td>{_chip_img(run.out_dir, o.get('chip'), f'chip of observation {oid}')}</td></tr>"
        )
    return f'<table class="unidentified"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


# --- timelines --------------------------------------------------------------------------------

_LABEL_W, _PLOT_W, _ROW_H, _AXIS_H, _PAD = 230, 900, 26, 34, 12


def timeline_svg(port: str, visits: list[dict], sightings: dict[str, list[datetime]], names: dict[str, str]) -> str:
    """A port's visits as inline SVG: one row per vessel, a bar per visit from first to last seen, a dot per
    sighting; every mark has a <title> with its times."""
    spans = [(v, _parse_time(v["first_seen"]), _parse_time(v["last_seen"])) for v in visits]
    spans = [(v, a, b) for v, a, b in spans if a is not None and b is not None]
    if not spans:
        return ""
    t0 = min(a for _, a, _ in spans if a is not None)
    t1 = max(b for _, _, b in spans if b is not None)
    span = t1 - t0
    pad = timedelta(hours=12) if span.total_seconds() <= 0 else span * 0.04
    t0, t1 = t0 - pad, t1 + pad
    total = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return _LABEL_W + (t - t0).total_seconds() / total * _PLOT_W

    vessels = sorted({v["imo"] for v, _, _ in spans})
    width, height = _LABEL_W + _PLOT_W + _PAD, _AXIS_H + _ROW_H * len(vessels) + _PAD
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="visits at {_e(port)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    for k in range(6):  # time axis: six ticks
        t = t0 + (t1 - t0) * (k / 5)
        xt = x(t)
        anchor = "start" if k == 0 else "end" if k == 5 else "middle"
        out.append(
            f'<line x1="{xt:.1f}" y1="{_AXIS_H - 6}" x2="{xt:.1f}" y2="{height - _PAD}" stroke="#e5e7eb"/>'
            f'<text x="{xt:.1f}" y="{_AXIS_H - 12}" font-size="11" text-anchor="{anchor}" fill="#57606a">'
            f"{_e(t.strftime('%Y-%m-%d %H:%M'))}</text>"
        )
    for row, imo in enumerate(vessels):
        y = _AXIS_H + row * _ROW_H + _ROW_H / 2
        if row % 2:
            out.append(f'<rect x="0" y="{y - _ROW_H / 2:.1f}" width="{width}" height="{_ROW_H}" fill="#f6f8fa"/>')
        out.append(
            f'<text x="6" y="{y + 4:.1f}" font-size="12" fill="#1b1f24">{_e(names.get(imo, "?"))} ({_e(imo)})</text>'
        )
        for v, a, b in spans:
            if v["imo"] != imo or a is None or b is None:
                continue
            xa, xb = x(a), x(b)
            w = max(6.0, xb - xa)
            out.append(
                f'<rect class="visit" x="{min(xa, (xa + xb - w) / 2):.1f}" y="{y - 5:.1f}" width="{w:.1f}" '
                f'height="10" rx="4" fill="#e3242b" fill-opacity="0.35" stroke="#e3242b">'
                f"<title>visit {_e(v['visit_id'])}: {_e(v['first_seen'])} to {_e(v['last_seen'])}, "
                f"{_e(v['sightings'])} sighting(s)</title></rect>"
            )
            for t in sightings.get(v["visit_id"], []):
                out.append(
                    f'<circle class="sighting" cx="{x(t):.1f}" cy="{y:.1f}" r="4" fill="#7f1d1d">'
                    f"<title>{_e(t.strftime('%Y-%m-%dT%H:%M:%SZ'))}</title></circle>"
                )
    out.append("</svg>")
    return "".join(out)


def _timelines(run: RunData) -> str:
    if not run.visits:
        return "<p>No visits.</p>"
    names: dict[str, str] = {}
    port_names: dict[str, str] = {}
    sightings: dict[str, list[datetime]] = defaultdict(list)
    for a in run.alerts:
        for c in a.get("candidates") or []:
            names.setdefault(str(c.get("imo")), str(c.get("name")))
        if a.get("port_name"):
            port_names.setdefault(str(a.get("port_id")), str(a["port_name"]))
        t = _parse_time(a.get("acquired"))
        if t is not None and a.get("visit_id"):
            sightings[a["visit_id"]].append(t)
    by_port: dict[str, list[dict]] = defaultdict(list)
    for v in run.visits:
        by_port[v["port_id"]].append(v)
    parts = []
    for port, visits in sorted(by_port.items()):
        title = f"{port_names.get(port) or port} ({port})"
        parts.append(
            f"<h3>{_e(title)}</h3><p class='meta'>{len(visits)} visit(s) by "
            f"{len({v['imo'] for v in visits})} vessel(s)</p>{timeline_svg(title, visits, sightings, names)}"
        )
    return "".join(parts)


# --- the page ---------------------------------------------------------------------------------


def render_report(run: RunData, registry_path: Path | None = None, ports_path: Path | None = None) -> str:
    """The report page of a run, as HTML text (deliveries sized from the registry and ports given, else bundled)."""
    from tankerwatch.config import bundled_path

    registry_path = registry_path or bundled_path("registry.csv")
    ports_path = ports_path or bundled_path("ports.geojson")
    done = sum(s.get("status") == "done" for s in run.scenes)
    failed = [s for s in run.scenes if s.get("status") == "failed"]
    unidentified = _unidentified(run)
    labels: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for i, a in enumerate(run.alerts, 1):
        if a.get("center_lon") is not None and a.get("center_lat") is not None:
            labels[a.get("scene_id") or ""].append((float(a["center_lon"]), float(a["center_lat"]), f"A{i}"))
    for i, o in enumerate(unidentified, 1):
        labels[o.get("scene_id") or ""].append((float(o["center_lon"]), float(o["center_lat"]), f"U{i}"))

    def stat(value: Any, label: str) -> str:
        return f'<div class="stat"><b>{_e(value)}</b>{_e(label)}</div>'

    stats = "".join(
        [
            stat(done, "scenes done"),
            stat(len(failed), "scenes failed"),
            stat(len(run.alerts), "alerts"),
            stat(len(run.visits), "visits"),
            stat(len(run.observations), "tankers seen in ports"),
            stat(len(unidentified), "unidentified"),
            stat(len(run.decisions), "reviewed"),
        ]
    )
    failures = "".join(f"<li class='failed'>{_e(s['scene_id'])}: {_e(s.get('reason'))}</li>" for s in failed)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    scenes = "".join(_scene_section(run, s, labels.get(s["scene_id"], [])) for s in run.scenes) or "<p>No scenes.</p>"
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>tankerwatch report: {_e(run.out_dir.name)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>tankerwatch report</h1>"
        f'<p class="meta">run folder <code>{_e(run.out_dir.resolve())}</code> &middot; written {generated}</p>'
        f'<div class="stats">{stats}</div>' + (f"<ul>{failures}</ul>" if failures else "") + "</header>"
        f'<nav class="small"><a href="#scenes">scenes</a> &middot; <a href="#alerts">alerts</a> &middot; '
        f'<a href="#timelines">timelines</a> &middot; <a href="#unidentified">unidentified tankers</a> &middot; '
        f'<a href="#deliveries">deliveries</a></nav>'
        f'<h2 id="scenes">Scenes ({len(run.scenes)})</h2><div class="scenes">{scenes}</div>'
        f'<h2 id="alerts">Alerts ({len(run.alerts)})</h2>{_alert_table(run)}'
        f'<h2 id="timelines">Port visits</h2>{_timelines(run)}'
        f'<h2 id="unidentified">Unidentified tankers in port ({len(unidentified)})</h2>{_unidentified_table(run)}'
        f'<h2 id="deliveries">Deliveries against the cap</h2>{_deliveries_section(run, registry_path, ports_path)}'
        "</body></html>\n"
    )


def write_report(
    out_dir: Path | str,
    path: Path | str | None = None,
    registry_path: Path | None = None,
    ports_path: Path | None = None,
) -> Path:
    """Write the HTML report of the run in out_dir to path (default OUT/report.html) atomically; its path."""
    out_dir = Path(out_dir)
    target = Path(path) if path is not None else out_dir / REPORT_NAME
    atomic_write_text(target, render_report(load_run(out_dir), registry_path, ports_path))
    return target
