"""Analyst review: confirmed and rejected sightings, and what they say about the next hull.

An alert is the matcher's opinion. An analyst who looks at its chip may *confirm* it (this hull is
vessel X, perhaps a different X than the alert named) or *reject* it (this hull is not the vessel
named). Each decision is stored with who, when and why (the alert line itself never changes), and
leaves a *signature* in the store: the hull's appearance (inference/appearance.py) under the vessel's
IMO, marked confirmed or rejected.

Signatures sharpen later identifications. For every later hull:

- each confirmed signature of vessel X gives an appearance log likelihood ratio, "looks like that
  sighting of X" against "looks like some other vessel"; the best of X's sightings enters X's
  likelihood (a vessel with no confirmed sighting gets none: its look is unknown), so a stranger of
  exactly X's size but another look is no longer named X;
- a hull that may be the ship an analyst rejected as X is less likely X: P(X) is scaled by 1 - q, q
  the probability that it is that ship (the logistic of the appearance ratio against the rejected
  sighting: even odds before the look is seen, as both hulls were taken for X by their size). The
  very hull (the same scene, within a few metres) has q = 1: a rejected hull is not alerted again as X.

Signatures travel between teams as a JSON file (`tankerwatch review OUT export FILE`, `... import
FILE`), so one analyst's confirmations help another's runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tankerwatch.geo import geodesic_m
from tankerwatch.inference.appearance import AppearanceModel, Signature, appearance_llr
from tankerwatch.inference.matching import HullEvidence
from tankerwatch.inference.visits import SIGNATURE_COLUMNS
from tankerwatch.io import atomic_write_text, read_json
from tankerwatch.schema import Detection, TankerwatchError

SIGNATURES_FORMAT = "tankerwatch-signatures/1"
REJECT_SAME_PLACE_M = 30.0  # the same scene and this close is the very hull an analyst rejected


@dataclass(frozen=True)
class StoredSighting:
    """A decided sighting of a vessel: its id, where and when, and its look (None where unreadable)."""

    signature_id: str
    imo: str
    scene_id: str | None
    center_lon: float | None
    center_lat: float | None
    signature: Signature | None


@dataclass
class ReviewMemory:
    """All decided sightings a run knows, by decision."""

    confirmed: list[StoredSighting] = field(default_factory=list)
    rejected: list[StoredSighting] = field(default_factory=list)


def _sighting(row: dict) -> StoredSighting:
    """A stored signature row as a sighting (the look parsed)."""
    sig = Signature.from_dict(json.loads(row["json"])) if row.get("json") else None
    return StoredSighting(
        row["signature_id"], row["imo"], row.get("scene_id"), row.get("center_lon"), row.get("center_lat"), sig
    )


def review_memory(rows: list[dict]) -> ReviewMemory:
    """The store's signature rows split into confirmed and rejected sightings."""
    memory = ReviewMemory()
    for row in rows:
        (memory.confirmed if row["decision"] == "confirmed" else memory.rejected).append(_sighting(row))
    return memory


def _same_ship_probability(
    det: Detection, sig: Signature | None, s: StoredSighting, model: AppearanceModel | None
) -> float:
    """The probability that a hull is the ship of a decided sighting: 1 for the very hull, else from the look."""
    if (
        s.scene_id == det.scene_id
        and s.center_lon is not None
        and s.center_lat is not None
        and geodesic_m(det.center_lon, det.center_lat, s.center_lon, s.center_lat) <= REJECT_SAME_PLACE_M
    ):
        return 1.0
    if sig is None or s.signature is None or model is None:
        return 0.0
    return 1.0 / (1.0 + math.exp(-appearance_llr(sig, s.signature, model)))


def hull_evidence(
    det: Detection, sig: Signature | None, memory: ReviewMemory, model: AppearanceModel | None
) -> HullEvidence:
    """What the decided sightings say of one hull: appearance per confirmed vessel, vessels it was rejected as."""
    best: dict[str, tuple[float, str]] = {}
    if sig is not None and model is not None:
        for s in memory.confirmed:
            if s.signature is None:
                continue
            llr = appearance_llr(sig, s.signature, model)
            if s.imo not in best or llr > best[s.imo][0]:
                best[s.imo] = (llr, s.signature_id)
    rejected: dict[str, float] = {}
    for s in memory.rejected:
        q = _same_ship_probability(det, sig, s, model)
        rejected[s.imo] = max(rejected.get(s.imo, 0.0), q)
    return HullEvidence(
        {imo: v[0] for imo, v in best.items()},
        {imo: (v[1],) for imo, v in best.items()},
        {imo: q for imo, q in rejected.items() if q > 0},
    )


def write_signatures_file(path: Path, rows: list[dict]) -> Path:
    """Export signature rows as a JSON file another team can import."""
    doc = {
        "format": SIGNATURES_FORMAT,
        "exported": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signatures": [{c: r[c] for c in SIGNATURE_COLUMNS} for r in rows],
    }
    atomic_write_text(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return path


def read_signatures_file(path: Path) -> list[dict]:
    """Signature rows from an exported file, each checked; a bad file is a one-line error naming it."""
    doc = read_json(path, "signatures file")
    if not isinstance(doc, dict) or doc.get("format") != SIGNATURES_FORMAT:
        raise TankerwatchError(f"{path}: not a tankerwatch signatures file (format must be {SIGNATURES_FORMAT!r})")
    rows = doc.get("signatures")
    if not isinstance(rows, list):
        raise TankerwatchError(f"{path}: 'signatures' must be a list")
    for i, row in enumerate(rows):
        try:
            missing = [c for c in SIGNATURE_COLUMNS if c not in row]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            if row["decision"] not in ("confirmed", "rejected"):
                raise ValueError(f"decision {row['decision']!r}")
            _sighting(row)  # the look must parse
        except (TypeError, ValueError, json.JSONDecodeError) as e:
            raise TankerwatchError(f"{path}: signature {i + 1}: {e}") from None
    return rows
