"""Records that cross pipeline stages. Units are in the field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SHIP_CLASSES: tuple[str, ...] = ("tanker", "vessel")


class TankerwatchError(Exception):
    """A problem with user input, reported as one line naming the file."""


@dataclass(frozen=True)
class OrientedBox:
    """A detected hull box in a scene's native pixel grid (x right, y down)."""

    cx_px: float
    cy_px: float
    length_px: float  # long side
    beam_px: float  # short side
    axis_rad: float  # direction of the long side in pixel space, [0, pi)
    confidence: float
    class_name: str
    origin: str = "detector"  # which candidate source proposed it: "detector" or "water_object"

    def corners(self) -> list[tuple[float, float]]:
        """The four corners in pixel coordinates, in ring order."""
        import math

        ux, uy = math.cos(self.axis_rad), math.sin(self.axis_rad)
        vx, vy = -uy, ux
        hl, hb = self.length_px / 2, self.beam_px / 2
        return [
            (self.cx_px + sl * hl * ux + sb * hb * vx, self.cy_px + sl * hl * uy + sb * hb * vy)
            for sl, sb in ((1, 1), (-1, 1), (-1, -1), (1, -1))
        ]


@dataclass
class Detection:
    """One ship measured in one scene, in metres and WGS84."""

    scene_id: str
    class_name: str
    confidence: float
    length_m: float
    beam_m: float
    heading_deg: float  # 0-360 clockwise from north, bow direction (or axis when ambiguous)
    heading_ambiguous: bool
    center_lon: float
    center_lat: float
    footprint_lonlat: list[tuple[float, float]]  # closed ring, counter-clockwise
    acquired: datetime | None
    gsd_m: float  # GSD of the grid the hull was measured in (sets the expected measurement error)
    box: OrientedBox
    port_id: str | None = None  # the port (visits are per port)
    port_area: str | None = None  # the port area it lies in (berth, anchorage, oil terminal, ...)
    type_name: str | None = None  # ship type from the native-pixel classifier (None where it did not run)
    type_probabilities: dict[str, float] | None = None
    # probability that heading_deg points at the bow (0.5: no idea which end; None where no cue was read)
    heading_confidence: float | None = None
    # draught cue (inference/freeboard.py): deck height above the water from the hull-side shadow, and what it says
    freeboard_m: float | None = None
    freeboard_sd_m: float | None = None
    load_state: str | None = None  # laden, part or light; None where the cue could not be read
    load_probabilities: dict[str, float] | None = None  # laden / part / light -> probability


@dataclass(frozen=True)
class Vessel:
    """A registry entry: a (sanctioned) vessel's particulars."""

    imo: str
    name: str
    vessel_type: str
    flag: str
    length_m: float | None
    beam_m: float | None
    dwt: float | None
    gross_tonnage: float | None
    sanctions: tuple[str, ...]
    notes: str = ""


@dataclass
class Candidate:
    """A registry vessel a detection may be, with its posterior probability."""

    imo: str
    name: str
    probability: float
    length_m: float | None
    beam_m: float | None
    sanctions: tuple[str, ...]
    dims_estimated: bool = False  # registry size (partly) estimated from tonnage or the tanker size prior
    # evidence: measured minus registered size, and the same in units of the total sigma
    delta_length_m: float | None = None
    delta_beam_m: float | None = None
    z_length: float | None = None
    z_beam: float | None = None
    p_tanker: float = 1.0  # the ship-type classifier's P(tanker) the probability was scaled by
    appearance_llr: float | None = None  # look against the vessel's confirmed sightings (None: none confirmed)
    sightings: tuple[str, ...] = ()  # the confirmed sightings (alert or signature ids) that look rests on


@dataclass
class Identification:
    """A detection and the ranked registry candidates it may be."""

    detection: Detection
    candidates: list[Candidate] = field(default_factory=list)
    p_unknown: float = 1.0
    signature: dict | None = None  # the hull's appearance signature (inference/appearance.py), JSON-safe
