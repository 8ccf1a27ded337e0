"""The demo: synthetic Vostochny passes with registry tankers and strangers, an analyst's review, and the result.

Three passes over Vostochny a day apart show the same three registry tankers (each with its own
paint and layout every time: ShipSpec.livery) among tankers that are not in the registry. After the
first pass an analyst reviews its alerts (the demo plays the analyst from the ground truth:
confirm what is right, reject what is wrong); the later passes are identified with those
decisions. Every tanker in port is then tabled with its truth: named right, named wrong, or
unidentified with its candidates where the evidence cannot tell.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, write_scene
from tankerwatch.geo import geodesic_m
from tankerwatch.schema import Vessel

VOSTOCHNY = (133.065, 42.7475)  # inside the bundled RU-VOS port polygon
DEMO_PASSES = ("2024-05-01T02:31:00Z", "2024-05-02T02:29:00Z", "2024-05-03T02:30:00Z")
TRUTH_TOLERANCE_M = 30.0


def demo_tankers(registry: list[Vessel], count: int = 3) -> list[tuple[Vessel, float, float]]:
    """Registry tankers with known dimensions to place in the demo scenes, with their length and beam (m)."""
    known = [
        (v, v.length_m, v.beam_m) for v in registry if v.length_m and v.beam_m and "tanker" in v.vessel_type.lower()
    ]
    return [(v, length, beam) for v, length, beam in known[:count] if length is not None and beam is not None]


def write_demo_scenes(out_dir: Path, registry_path: Path, seed: int = 2024) -> list[Path]:
    """Passes over Vostochny a day apart (0.5 m GSD, UTM 53N), each showing the same registry tankers."""
    vessels = demo_tankers(load_registry(registry_path))
    paths = []
    for k, when in enumerate(DEMO_PASSES):
        ships = [
            ShipSpec("product_tanker", length, beam, 0, 0, 0, imo=v.imo, name=v.name, livery=int(v.imo))
            for v, length, beam in vessels
        ]
        spec = SceneSpec(
            seed=seed + k,
            width_m=1600,
            height_m=1600,
            gsd_m=0.5,
            center_lon=VOSTOCHNY[0],
            center_lat=VOSTOCHNY[1],
            crs="utm",
            acquired=when,
            n_tankers=3,
            n_others=6,
            ships=ships,
        )
        paths.append(write_scene(generate_scene(spec), out_dir, f"vostochny_{when[:10].replace('-', '')}"))
    return paths


def truth_at(scenes_dir: Path, scene_id: str, lon: float, lat: float) -> dict | None:
    """The ground-truth ship at a position of a demo scene (its properties), or None when none lies there."""
    truth = json.loads((scenes_dir / f"{scene_id}.truth.geojson").read_text())
    best, best_d = None, math.inf
    for f in truth["features"]:
        p = f["properties"]
        d = geodesic_m(lon, lat, p["center_lon"], p["center_lat"])
        if d < best_d:
            best, best_d = p, d
    return best if best_d <= TRUTH_TOLERANCE_M else None


@dataclass
class TankerVerdict:
    """One tanker in port in one pass: what it really is, and what tankerwatch said."""

    scene_id: str
    length_m: float
    beam_m: float
    truth_imo: str | None  # None: not a registry vessel
    truth: str  # the registry name, "stranger" (a tanker not in the registry) or "not a tanker"
    named: dict | None  # the alert's top candidate, None when not alerted
    candidates: list[dict]  # the ranked candidates of the detection (alerted or not)

    @property
    def outcome(self) -> str:
        """right, wrong, unidentified (a registry tanker not named) or correctly unnamed."""
        if self.named is not None:
            return "right" if self.named["imo"] == self.truth_imo else "WRONG"
        return "unidentified" if self.truth_imo else "not named"


def tanker_verdicts(out_dir: Path, scenes_dir: Path, scene_ids: list[str]) -> list[TankerVerdict]:
    """Every tanker detected in port in these scenes, with its truth and alert."""
    alerts = [json.loads(line) for line in (out_dir / "alerts.jsonl").read_text().splitlines() if line]
    rows = []
    for sid in scene_ids:
        detections = json.loads((out_dir / "detections" / f"{sid}.geojson").read_text())["features"]
        for f in detections:
            p = f["properties"]
            if p["class"] != "tanker" or p["port_id"] is None:
                continue
            t = truth_at(scenes_dir, sid, p["center_lon"], p["center_lat"])
            alert = next(
                (
                    a
                    for a in alerts
                    if a["scene_id"] == sid
                    and geodesic_m(a["center_lon"], a["center_lat"], p["center_lon"], p["center_lat"]) < 1.0
                ),
                None,
            )
            truth = t["name"] if t and t.get("imo") else "stranger" if t and t["class"] == "tanker" else "not a tanker"
            rows.append(
                TankerVerdict(
                    sid,
                    p["length_m"],
                    p["beam_m"],
                    t.get("imo") if t else None,
                    truth,
                    alert["candidates"][0] if alert else None,
                    p.get("candidates", []),
                )
            )
    return rows


def verdict_table(rows: list[TankerVerdict]) -> str:
    """A readable table of every tanker in port: truth, measured size, what tankerwatch said, and whether right."""
    head = f"{'scene':<20} {'truth':<14} {'L×B measured':>13}  {'tankerwatch says':<44} outcome"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.named is not None:
            says = f"{r.named['name']} ({r.named['imo']}) p {r.named['probability']:.2f}"
        elif r.candidates:
            says = "unidentified: " + ", ".join(f"{c['name']} {c['probability']:.2f}" for c in r.candidates[:2])
        else:
            says = "unidentified: no registry candidate"
        lines.append(
            f"{r.scene_id:<20} {r.truth[:14]:<14} {r.length_m:>6.1f}×{r.beam_m:<6.1f}  {says[:44]:<44} {r.outcome}"
        )
    return "\n".join(lines)


def review_by_truth(store, scenes_dir: Path, scene_ids: list[str]) -> list[tuple[str, str, str]]:
    """Play the analyst on these scenes' tankers (`tankerwatch review`, alerts and --unidentified): name each
    registry tanker as the vessel it is, alerted or not, and reject the alerts that name a stranger."""
    decisions = []
    for o in store.observations():
        if o["scene_id"] not in scene_ids:
            continue
        t = truth_at(scenes_dir, o["scene_id"], o["center_lon"], o["center_lat"])
        imo = t.get("imo") if t else None
        sighting = o["alert_id"] or o["observation_id"]
        if imo:
            store.decide(sighting, "confirmed", imo, "demo analyst", "matches the ground truth")
            decisions.append(("confirm", sighting, imo))
        elif o["alert_id"]:
            store.decide(sighting, "rejected", None, "demo analyst", "not a registry vessel")
            decisions.append(("reject", sighting, o["candidates"][0]["imo"]))
    return decisions
