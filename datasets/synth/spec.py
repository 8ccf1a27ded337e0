"""What a synthetic scene shows: the records that say what to draw, and the samplers that fill them in.

A scene is fully described by a `SceneSpec` before a pixel is drawn: its extent and ground sample distance (GSD),
where on Earth it lies and when, how it is sensed (bands, bit depth), how many ships of which kinds to place, and
which of the domain-randomisation effects are on. A `ShipSpec` is one ship: its kind (which fixes its detector
class through `SHIP_KINDS`), its length and beam in metres and its pose in scene metres (x east, y down from the
top-left corner, heading clockwise from grid north). The same spec always renders to the same bytes.

Every domain-randomisation field defaults to "off", so a spec that sets none of them renders exactly as the
renderer the bundled detector was trained on did; new fields are added the same way, off by default.

The samplers turn a seed into a spec. Each draws from a random sequence of its own (`random_spec` from
seed + 7919, `hard_port_spec` and `open_sea_spec` from [seed, tag]), so the same seed gives unrelated scenes in
the three sets, and fields added later are drawn after the older ones so that those stay what they were for a seed.
Seeds from `EVAL_SEED_BASE` up are evaluation scenes and are never trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

# Real-proportion ranges (length_m, beam/length) per kind; class is what the detector learns.
SHIP_KINDS: dict[str, dict] = {
    "product_tanker": {"cls": "tanker", "length": (75, 185), "ratio": (0.14, 0.18)},
    "crude_tanker": {"cls": "tanker", "length": (180, 280), "ratio": (0.16, 0.19)},
    "chemical_tanker": {"cls": "tanker", "length": (70, 150), "ratio": (0.14, 0.17)},
    "bulk_carrier": {"cls": "vessel", "length": (120, 230), "ratio": (0.14, 0.17)},
    "container_ship": {"cls": "vessel", "length": (120, 260), "ratio": (0.13, 0.16)},
    "general_cargo": {"cls": "vessel", "length": (70, 140), "ratio": (0.14, 0.18)},
    "lpg_carrier": {"cls": "vessel", "length": (90, 180), "ratio": (0.15, 0.18)},
    "tug": {"cls": "vessel", "length": (22, 35), "ratio": (0.30, 0.36)},
    "barge": {"cls": "vessel", "length": (40, 90), "ratio": (0.22, 0.30)},
    "fishing": {"cls": "vessel", "length": (18, 45), "ratio": (0.20, 0.26)},
    "yacht": {"cls": "vessel", "length": (9, 70), "ratio": (0.17, 0.34)},
}
TANKER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] == "tanker")
# kinds drawn for SceneSpec.n_others; yachts come only from SceneSpec.n_yachts (older specs render as before)
OTHER_KINDS = tuple(k for k, v in SHIP_KINDS.items() if v["cls"] != "tanker" and k != "yacht")
# water styles: per-channel (low, high) ranges of the base colour; 'classic' is the original mix
WATER_STYLES: dict[str, tuple | None] = {
    "classic": None,
    "deep": ((4, 20), (12, 34), (22, 55)),  # dark navy, as in WorldView-3 true-colour products
    "black": ((2, 9), (4, 13), (7, 19)),
    "green": ((12, 32), (30, 55), (26, 45)),  # dark green coastal water
}
# Seeds from here up are for evaluation only (hard-port and open-sea test sets); every training set (random_spec,
# hard_port_spec and open_sea_spec scenes alike) draws its seeds below it, so no evaluation scene is ever trained on.
EVAL_SEED_BASE = 9_000_000


@dataclass
class ShipSpec:
    """A ship to draw: kind, size in metres, centre in scene metres (x east, y down), grid heading."""

    kind: str
    length_m: float
    beam_m: float
    x_m: float
    y_m: float
    heading_deg: float  # bow direction, clockwise from grid north (image up)
    imo: str | None = None
    name: str | None = None
    # a vessel's own look (colours, superstructure length, manifold position), the same in every scene it is drawn
    # in: the seed of the ships.Livery it is drawn from; None draws the look from the scene as for any other ship
    livery: int | None = None

    @property
    def ship_class(self) -> str:
        """Detector class of this ship ('tanker' or 'vessel')."""
        return SHIP_KINDS[self.kind]["cls"]


@dataclass
class SceneSpec:
    """What a synthetic scene covers and how it is sensed."""

    seed: int = 0
    width_m: float = 1600.0
    height_m: float = 1600.0
    gsd_m: float = 0.5
    center_lon: float = 133.065
    center_lat: float = 42.7475
    crs: str = "utm"  # 'utm' (zone of the centre) or 'EPSG:4326'
    acquired: str = "2024-05-01T02:30:00Z"
    bit_depth: int = 8  # 8, 11 or 12
    bands: int = 3  # 3 (RGB) or 4 (RGB + NIR)
    n_tankers: int = 6
    n_others: int = 8
    land: bool = True  # False: open water only (tests that need every pose free)
    ships: list[ShipSpec] = field(default_factory=list)  # placed first (e.g. registry tankers)
    # --- domain randomisation; every default is "off", so a spec that sets none of these renders exactly as the
    # renderer the bundled detector was trained on did. random_spec samples them.
    water_style: str = "classic"  # 'classic', 'deep' (dark navy, WV-3-like), 'black' or 'green'
    glint: float = 0.0  # sun-glint strength 0..1: a bright specular patch with sparkling wave facets
    wakes: bool = False  # V wakes and stern wash behind ships underway (never at a berth)
    cloud_cover: float = 0.0  # fraction 0..1 of the scene under thin cloud; shadows offset along the sun
    off_nadir_deg: float = 0.0  # view angle: tall parts lean by height * tan(angle); truth stays at the waterline
    off_nadir_az_deg: float = 0.0  # grid azimuth (clockwise from north) towards which tall parts lean
    jpeg_quality: int | None = None  # JPEG encode/decode round trip at this quality (40-90 is typical)
    pansharpen_fringe: float = 0.0  # per-band misregistration and blur in pixels (colour fringes at edges)
    colour_jitter: float = 0.0  # 0..1: gamma, per-band gain and offset variation
    port_structures: bool = False  # breakwaters, an oil-terminal jetty, a floating dock, a marina (hard negatives)
    quay_clutter: bool = False  # container stacks, sheds and vehicles behind the quay
    ship_variety: bool = False  # loaded/light freeboard, more deck and hull colours, rust streaks
    n_yachts: int = 0  # yachts (class 'vessel') at a marina or at anchor
    # realistic land behind the quays (terrain, vegetation, bare soil, hillside, villages, roads and rail, warehouse
    # rows, tank farms, container yards, stockpiles) and ship-shaped structures in the water that are not ships
    # (pontoons, segmented breakwaters): the land the detector mistakes for tankers (synth/hard_land.py)
    hard_land: bool = False
    swell: float = 0.0  # 0..1: long-crested swell (wave trains tens to hundreds of metres long), whitecaps when strong
    other_kinds: list[str] | None = None  # kinds drawn (uniformly, repeats weigh) for n_others; None: OTHER_KINDS
    # a coal terminal (with hard_land): the stockyards hold coal, each heap this share 0..1 of its full length; two
    # specs that differ only here differ only in their stock (synth/hard_land.py). None: the yards as ever
    coal_stock: float | None = None


def random_ship(kind: str, rng: np.random.Generator) -> ShipSpec:
    """A ship of a kind with real proportions (length and length/beam drawn from SHIP_KINDS), not yet placed."""
    k = SHIP_KINDS[kind]
    length = rng.uniform(*k["length"])
    return ShipSpec(kind, round(length, 1), round(length * rng.uniform(*k["ratio"]), 1), 0, 0, 0)


_PORTS = [(133.065, 42.745), (132.90, 42.79), (125.37, 38.72), (121.6, 31.3), (4.0, 51.95), (-95.0, 29.7)]
# kinds for hard_port_spec's n_others: bulk carriers and container ships (the ship-shaped land's look-alikes) weigh most
HARD_PORT_OTHER_KINDS = (
    ["bulk_carrier"] * 3
    + ["container_ship"] * 3
    + ["general_cargo"] * 2
    + ["lpg_carrier", "tug", "tug", "barge", "fishing"]
)
_MAX_SIDE_PX = 5600  # hard-port and open-sea scenes stay under ~31 Mpx (the extent shrinks at the finest GSDs)


def random_spec(seed: int, gsd_range: tuple[float, float] = (0.3, 3.0), extent_m: float = 1400.0) -> SceneSpec:
    """A varied scene spec for training data: GSD, CRS, bit depth, bands, place, time, and domain randomisation.

    Each effect is on in only part of the scenes, so plain scenes stay in the mix."""
    rng = np.random.default_rng(seed + 7_919)
    gsd = float(np.exp(rng.uniform(np.log(gsd_range[0]), np.log(gsd_range[1]))))
    lon, lat = _PORTS[rng.integers(len(_PORTS))]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=float(rng.uniform(0, 8760)))
    spec = SceneSpec(
        seed=seed,
        width_m=extent_m,
        height_m=extent_m,
        gsd_m=round(gsd, 3),
        center_lon=lon + rng.uniform(-0.05, 0.05),
        center_lat=lat + rng.uniform(-0.05, 0.05),
        crs="EPSG:4326" if rng.random() < 0.25 else "utm",
        acquired=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        bit_depth=int(rng.choice([8, 8, 11, 12])),
        bands=int(rng.choice([3, 3, 4])),
        n_tankers=int(rng.integers(2, 9)),
        n_others=int(rng.integers(2, 10)),
    )
    # drawn after the fields above, so those stay what they were for a seed
    spec.water_style = str(rng.choice(["classic", "classic", "deep", "deep", "black", "green"]))
    spec.glint = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.35 else 0.0
    spec.wakes = bool(rng.random() < 0.6)
    spec.cloud_cover = float(rng.uniform(0.05, 0.5)) if rng.random() < 0.3 else 0.0
    spec.off_nadir_deg = float(rng.uniform(3, 30)) if rng.random() < 0.7 else 0.0
    spec.off_nadir_az_deg = float(rng.uniform(0, 360))
    spec.jpeg_quality = int(rng.integers(40, 91)) if rng.random() < 0.4 else None
    spec.pansharpen_fringe = float(rng.uniform(0.3, 1.5)) if rng.random() < 0.5 else 0.0
    spec.colour_jitter = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.7 else 0.0
    spec.port_structures = bool(rng.random() < 0.7)
    spec.quay_clutter = bool(rng.random() < 0.7)
    spec.ship_variety = bool(rng.random() < 0.8)
    spec.n_yachts = int(rng.integers(1, 13)) if rng.random() < 0.6 else 0
    return spec


def _eval_frame(rng: np.random.Generator, seed: int) -> SceneSpec:
    """GSD 0.3-1 m, a 1400-2000 m square (at most _MAX_SIDE_PX a side), a place and a time: the hard sets' base."""
    gsd = round(float(np.exp(rng.uniform(np.log(0.3), np.log(1.0)))), 3)
    extent = round(min(float(rng.uniform(1400.0, 2000.0)), _MAX_SIDE_PX * gsd), 1)
    lon, lat = _PORTS[rng.integers(len(_PORTS))]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=float(rng.uniform(0, 8760)))
    return SceneSpec(
        seed=seed,
        width_m=extent,
        height_m=extent,
        gsd_m=gsd,
        center_lon=lon + rng.uniform(-0.05, 0.05),
        center_lat=lat + rng.uniform(-0.05, 0.05),
        crs="EPSG:4326" if rng.random() < 0.25 else "utm",
        acquired=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        bit_depth=int(rng.choice([8, 8, 11, 12])),
        bands=int(rng.choice([3, 3, 4])),
        water_style=str(rng.choice(["classic", "classic", "deep", "deep", "black", "green"])),
        jpeg_quality=int(rng.integers(40, 91)) if rng.random() < 0.4 else None,
        pansharpen_fringe=float(rng.uniform(0.3, 1.5)) if rng.random() < 0.5 else 0.0,
        colour_jitter=float(rng.uniform(0.2, 1.0)) if rng.random() < 0.7 else 0.0,
    )


def hard_port_spec(seed: int) -> SceneSpec:
    """A hard port scene: realistic land behind the quays (SceneSpec.hard_land), port structures and quay clutter,
    8-25 ships with bulk carriers and container ships among them, GSD 0.3-1 m, 1400-2000 m across.

    Seeds from EVAL_SEED_BASE up are the evaluation set; below it, hard negatives for training."""
    rng = np.random.default_rng([seed, 0x4A9D])  # a sequence of its own: not random_spec's for the same seed
    spec = _eval_frame(rng, seed)
    spec.land, spec.hard_land, spec.port_structures, spec.quay_clutter, spec.ship_variety = True, True, True, True, True
    spec.n_tankers, spec.n_others = int(rng.integers(3, 11)), int(rng.integers(5, 16))
    spec.other_kinds = list(HARD_PORT_OTHER_KINDS)
    spec.glint = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.35 else 0.0
    spec.wakes = bool(rng.random() < 0.6)
    spec.cloud_cover = float(rng.uniform(0.05, 0.4)) if rng.random() < 0.25 else 0.0
    spec.off_nadir_deg = float(rng.uniform(3, 30)) if rng.random() < 0.7 else 0.0
    spec.off_nadir_az_deg = float(rng.uniform(0, 360))
    spec.swell = float(rng.uniform(0.1, 0.6)) if rng.random() < 0.3 else 0.0
    spec.n_yachts = int(rng.integers(1, 13)) if rng.random() < 0.6 else 0
    return spec


def plain_spec(seed: int) -> SceneSpec:
    """A 1.4 km port scene at Vostochny with the renderer's defaults (no domain randomisation), 6 tankers and
    6 other ships: the look of the demo and the identification benchmark."""
    return SceneSpec(seed=seed, width_m=1400, height_m=1400, n_tankers=6, n_others=6)


def open_sea_spec(seed: int) -> SceneSpec:
    """An open-sea scene with nothing to find: no land, no ships, no structures, but cloud, swell and glint
    (each in most scenes, at least one in every scene), GSD 0.3-1 m, 1400-2000 m across.

    Seeds from EVAL_SEED_BASE up are the evaluation set; below it, hard negatives for training."""
    rng = np.random.default_rng([seed, 0x05EA])
    spec = _eval_frame(rng, seed)
    spec.land, spec.n_tankers, spec.n_others, spec.n_yachts = False, 0, 0, 0
    spec.cloud_cover = float(rng.uniform(0.1, 0.7)) if rng.random() < 0.7 else 0.0
    spec.glint = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.6 else 0.0
    spec.swell = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.85 or not (spec.cloud_cover or spec.glint) else 0.0
    return spec


def spec_to_dict(spec: SceneSpec) -> dict[str, Any]:
    """A scene spec as plain data (for logs and manifests)."""
    return asdict(spec)
