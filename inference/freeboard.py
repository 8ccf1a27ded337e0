"""Laden or light: a tanker's freeboard read from the shadow its hull casts on the water, and what it says.

**Freeboard** is the height of the deck edge above the waterline. A tanker loaded to her marks sits deep and shows
little hull side (a few metres); one in ballast rides high and shows a tall side (a tenth of her length or so).
Seen from above the hull side itself is hidden, but the sun shows it: the hull casts a shadow on the water, the
deck edge's outline moved away from the sun by

    shadow length = freeboard / tan(sun elevation)

in the direction the sun shines (its azimuth plus 180 degrees). The hull covers most of that shadow; what shows is
a dark band along the hull's side away from the sun, as wide as the shadow's displacement *across* the hull axis:

    band width = freeboard / tan(elevation) * |sin(angle between the shadow direction and the hull axis)|

so freeboard = band width * tan(elevation) / |sin angle|. The band falls on the side the across part of the
shadow direction points to (`across_share`'s sign). Two geometries cannot be read:

- **sun along the hull**: with the shadow cast along the axis, |sin angle| tends to 0 and the band vanishes (the
  shadow runs off past the bow or the stern instead, where the tapering bow and the superstructure's own tall
  shadow muddle it): below `FreeboardConfig.min_across_share` the freeboard is unknown;
- **low sun**: below `FreeboardConfig.min_sun_elevation_deg` the band is long and soft, waves break it up and the
  elevation's error grows as 1 / sin^2: unknown again.

**Off nadir** the sensor sees the deck displaced by freeboard * tan(off-nadir angle) away from it (relief
displacement, datasets/scene.py: ViewGeometry), and the hull side facing the sensor shows between the waterline and
the displaced deck. Where that displacement has a part across the axis towards the shadow side, the hull side hides
that much of the band; the hull's outline in the image (its refined box, inference/measure.py) already reaches to
the displaced deck edge there, so the band seen beside it is

    band width = freeboard * (|sin angle| / tan(elevation) - max(0, lean across towards the band) * tan(off-nadir))

and the freeboard is the band divided by that factor (`band_per_metre`); where it is small, unknown.

**Reading the band** (`read_freeboard`): the hull is cut out along its axis on native pixels (measure.py's
`straightened_hull`) with room on the shadow side for the longest plausible shadow; the middle of the hull (its
parallel midbody, clear of the tapering bow and of the stern's superstructure) gives one brightness profile across
the hull as the median of its columns. Beyond the hull on the shadow side the profile sits at the shadow's level,
then steps up to the water's (the commonest colour around the hull, then the water just beyond the band); the
band's outer edge is where it crosses half-way between the two, found to a fraction of a pixel. Where the band
runs into a quay or a neighbouring hull rather than water (a berthed or rafted tanker's shadow falls on them half
the time), the shadow is read against the same surroundings unshadowed: the rows beyond the hull's ends, past the
longest shadow along it, show the quay or the water at the same distance from the hull's side, and the band's
outer edge is where the profile's share of them steps back up to one.

The band's inner edge is the hull's side, but a dark-painted hull's rim is as dark as the shadow, and the box's
side is placed to a pixel or two at best. At nadir the hull's paint is the same on both sides, so the band is the
dark run in from its outer edge less the dark run in from the water on the sunlit side (the rim alone); off nadir
the hull side that shows breaks that symmetry and the box's side stands for the hull's edge. The uncertainty is
the outer edge's (from the spread of the columns' own crossings) and the inner edge's (EDGE_SD_PX, the spread
seen on training scenes), carried through the factor above into metres.

**Laden, part or light** (`load_state`): what a tanker of a given length shows, laden and light, is a band of
freeboards each, linear in length (LOAD_MODEL, fitted on the renderer's training scenes: benchmarks/laden.py --fit);
"part" is anything between the two. The measured freeboard's Gaussian error smeared over each state's band of
freeboards gives its likelihood; times the prior (PRIORS), normalised, the probabilities; the state reported is the
most probable.

The sun's elevation and azimuth come from the product's metadata (STAC view:sun_elevation, view:sun_azimuth) where
given, else from the acquisition time and the hull's place (tankerwatch/sun.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyproj import Geod
from rasterio.io import DatasetReader

from tankerwatch.config import FreeboardConfig
from tankerwatch.datasets.scene import Scene
from tankerwatch.geo import from_lonlat_transformer
from tankerwatch.inference.measure import straightened_hull, water_colour
from tankerwatch.schema import OrientedBox
from tankerwatch.sun import sun_position

GEOD = Geod(ellps="WGS84")
MIDBODY = (-0.3, 0.25)  # the part of the length (from the centre, towards +axis) the profile is taken over
MAX_FREEBOARD_SHARE = 0.11  # no hull stands higher above the water than this share of its length, plus 4 m
MAX_FREEBOARD_EXTRA_M = 4.0
WATER_GAP_M = 4.0  # water is read this far beyond the longest plausible band
EDGE_SD_PX = 1.45  # the band's inner edge: robust SD of read - true band on training scenes (--fit)
EDGE_BIAS_PX = -0.04  # median read - true band in native pixels on training scenes (--fit)
MIN_BAND_CONTRAST = 0.06  # the shadow must darken the water by this share at least to be read
ENTRY_PX = 3  # the band starts within this many pixels of the box's side (the blend of hull and shadow between)
MAX_WATER_MISMATCH = 0.5  # beyond the band the water differs from the water around the hull by at most this share
REFERENCE_M = 15.0  # the unshadowed surroundings are read over this length beyond each end
SURROUNDINGS_SD_PX = 1.0  # the outer edge read against the surroundings (a quay's texture, a neighbour's paint)
MIN_WATER_LEVEL = 20.0  # or this many grey levels (near-black water varies by more than a share of itself)


@dataclass(frozen=True)
class SunView:
    """The angles the freeboard is read through, degrees: sun elevation and azimuth, off-nadir and view azimuth."""

    sun_elevation_deg: float
    sun_azimuth_deg: float
    off_nadir_deg: float = 0.0
    view_azimuth_deg: float | None = None  # from the target towards the sensor
    source: str = "metadata"  # "metadata" (the product's STAC view angles) or "computed" (tankerwatch/sun.py)


@dataclass(frozen=True)
class FreeboardRead:
    """One hull's freeboard from its shadow band: metres, its standard deviation, and what it was read from."""

    freeboard_m: float
    sd_m: float
    band_m: float  # the dark band's width beside the hull
    band_per_metre: float  # band width per metre of freeboard at this sun and view
    sun: SunView


def sun_view(scene: Scene, lon_deg: float, lat_deg: float) -> SunView | None:
    """The sun and view angles at a hull: the product's STAC view angles where given, else computed from the
    acquisition time and place; None where neither is known."""
    v = scene.view
    computed = sun_position(scene.acquired, lon_deg, lat_deg) if scene.acquired is not None else None
    elevation = v.sun_elevation_deg
    if elevation is None and computed is not None:
        elevation = computed.elevation_deg
    azimuth = v.sun_azimuth_deg
    if azimuth is None and computed is not None:
        azimuth = computed.azimuth_deg
    if elevation is None or azimuth is None:
        return None
    source = "metadata" if v.sun_elevation_deg is not None else "computed"
    return SunView(float(elevation), float(azimuth), v.off_nadir_deg or 0.0, v.view_azimuth_deg, source)


def ground_direction_px(scene: Scene, lon_deg: float, lat_deg: float, azimuth_deg: float) -> np.ndarray:
    """The unit vector in native pixels (x right, y down) of a ground direction (azimuth from true north)."""
    lon2, lat2, _ = GEOD.fwd(lon_deg, lat_deg, azimuth_deg, 10.0)
    to_crs = from_lonlat_transformer(scene.crs)
    inverse = ~scene.transform
    (x1, y1), (x2, y2) = to_crs.transform(lon_deg, lat_deg), to_crs.transform(lon2, lat2)
    c1, r1 = inverse * (x1, y1)
    c2, r2 = inverse * (x2, y2)
    d = np.array([c2 - c1, r2 - r1])
    return d / max(float(np.linalg.norm(d)), 1e-12)


def across_share(box: OrientedBox, direction_px: np.ndarray) -> float:
    """The part of a unit direction across the hull, signed: + towards the box's +v side (strip rows down)."""
    return float(direction_px @ np.array([-math.sin(box.axis_rad), math.cos(box.axis_rad)]))


def band_per_metre(box: OrientedBox, sun: SunView, shadow_px: np.ndarray, lean_px: np.ndarray | None) -> float:
    """The shadow band's width beside the hull per metre of freeboard, at this sun and view (see the module)."""
    across = across_share(box, shadow_px)
    factor = abs(across) / math.tan(math.radians(sun.sun_elevation_deg))
    if lean_px is not None and sun.off_nadir_deg > 0:
        towards_band = across_share(box, lean_px) * math.copysign(1.0, across)
        factor -= max(0.0, towards_band) * math.tan(math.radians(min(sun.off_nadir_deg, 60.0)))
    return factor


def _band_outer_edge(profile: np.ndarray, first: int, level: float) -> float | None:
    """Where a profile across the band, from the hull's side (row first) out, rises from the shadow through level
    to the water (sub-pixel rows); first itself where no shadow darkens the first pixels (no band); None where it
    never rises."""
    entered = np.flatnonzero(profile[first : first + ENTRY_PX + 1] < level)
    if entered.size == 0:  # the hull's edge meets the water: no band
        return float(first)
    start = first + int(entered[0])
    above = np.flatnonzero(profile[start:] >= level)
    if above.size == 0:
        return None
    j = start + int(above[0])
    lo, hi = float(profile[j - 1]), float(profile[j])
    return j - 1 + (level - lo) / max(hi - lo, 1e-6)


def _dark_run(profile: np.ndarray, start: float, step: int, level: float, stop: int) -> float:
    """How far (rows, sub-pixel) the profile stays below level from row start on, stepping by step (+1 or -1)."""
    j = int(math.floor(start)) if step < 0 else int(math.ceil(start))
    if not (0 <= j < profile.size) or profile[j] >= level:
        return 0.0
    while 0 <= j + step < profile.size and (j + step - stop) * step <= 0 and profile[j + step] < level:
        j += step
    k = j + step
    if not (0 <= k < profile.size):
        return abs(j - start)
    lo, hi = float(profile[j]), float(profile[k])
    end = j + step * (level - lo) / max(hi - lo, 1e-6)
    return abs(end - start)


def _symmetric_band_px(
    profile: np.ndarray, outer: float, centre: float, beam_px: float, gap_px: int, water: float, level: float
) -> float | None:
    """The band's width without the box's side: the dark run in from the band's outer edge (band and any dark hull
    paint) less the dark run in from the water on the sunlit side (the same paint, no shadow)."""
    shadow_side = _dark_run(profile, outer - 1e-6, -1, level, int(centre))
    start = int(centre - beam_px / 2 - gap_px)
    if start < 1:
        return None
    near = np.flatnonzero(np.abs(profile[start : int(centre)] - water) > (water - level))
    if near.size == 0:
        return None
    j = start + int(near[0])  # the first row in from the water that is not water: the hull's sunlit side
    if profile[j] >= level:
        return shadow_side  # bright hull paint: no dark rim
    sunlit_side = _dark_run(profile, float(j), 1, level, int(centre))
    return shadow_side - sunlit_side - 0.5


def _shadow_level(profile: np.ndarray, band_rows: slice) -> float:
    """The shadow's level across the band: the darkest three rows in a row (noise averaged)."""
    inside = profile[band_rows]
    if inside.size < 3:
        return float(inside.min()) if inside.size else float("inf")
    return float(np.min(np.convolve(inside, np.ones(3) / 3, mode="valid")))


def _band_against_surroundings(
    profile: np.ndarray,
    reference: np.ndarray,
    mid: np.ndarray,
    first: int,
    edge: float,
    band_rows: slice,
    gap_px: int,
    sun: SunView,
    per_metre: float,
    gsd: float,
) -> FreeboardRead | None:
    """The band where it falls on a quay or a neighbour: the profile over the same surroundings unshadowed (beyond
    the hull's ends) steps from the shadow's share of it back to all of it at the band's outer edge."""
    ratio = (profile + 1.0) / (reference + 1.0)
    shade = _shadow_level(ratio, band_rows)
    if 1.0 - shade < 2 * MIN_BAND_CONTRAST:
        return None
    outer = _band_outer_edge(ratio, first, (1.0 + shade) / 2)
    if outer is None or int(outer) + 2 + gap_px > ratio.size:
        return None
    if float(np.median(ratio[int(outer) + 2 : int(outer) + 2 + gap_px])) < 1.0 - (1.0 - shade) / 3:
        return None  # still dark beyond: no edge found
    band_px = max(0.0, outer - edge - EDGE_BIAS_PX)
    sd_px = math.hypot(EDGE_SD_PX, SURROUNDINGS_SD_PX)
    return FreeboardRead(band_px * gsd / per_metre, sd_px * gsd / per_metre, band_px * gsd, per_metre, sun)


def read_freeboard(src: DatasetReader, scene: Scene, box: OrientedBox, cfg: FreeboardConfig) -> FreeboardRead | None:
    """A hull's freeboard from the shadow band beside it (box in native pixels, as measure.read_hull gives it);
    None where it cannot be read: sun unknown or too low, shadow along the hull, no band edge against the water
    or the surroundings."""
    if not cfg.enabled:
        return None
    (lon,), (lat,) = scene.lonlat([box.cx_px], [box.cy_px])
    sun = sun_view(scene, float(lon), float(lat))
    if sun is None or sun.sun_elevation_deg < cfg.min_sun_elevation_deg:
        return None
    shadow_px = ground_direction_px(scene, lon, lat, sun.sun_azimuth_deg + 180.0)
    across = across_share(box, shadow_px)
    if abs(across) < cfg.min_across_share:
        return None
    lean_px = None
    if sun.off_nadir_deg > 0 and sun.view_azimuth_deg is not None:  # the deck is displaced away from the sensor
        lean_px = ground_direction_px(scene, lon, lat, sun.view_azimuth_deg + 180.0)
    per_metre = band_per_metre(box, sun, shadow_px, lean_px)
    if per_metre < cfg.min_band_per_metre:
        return None
    gsd = scene.gsd_m
    max_band_px = (MAX_FREEBOARD_SHARE * box.length_px * gsd + MAX_FREEBOARD_EXTRA_M) * per_metre / gsd
    gap_px = max(3, int(round(WATER_GAP_M / gsd)))
    pad_across = max_band_px + 3 * gap_px
    # beyond the hull's ends, past the longest shadow along it: the same surroundings unshadowed (a quay, water)
    along_px = max_band_px / abs(across) * math.sqrt(max(0.0, 1.0 - across**2))
    pad_along = along_px + gap_px + REFERENCE_M / gsd
    strip = straightened_hull(src, scene, box, int(box.length_px + 2 * pad_along) + 1, pad_along, pad_across)
    rows, cols = strip.shape[:2]
    if rows < 8 or cols < 8:
        return None
    grey = strip.astype(np.float32).mean(axis=2)
    if across < 0:  # the band on the -v side: turn the strip over so it lies below the hull
        grey = grey[::-1]
    scale = cols / (box.length_px + 2 * pad_along)  # strip pixels per native pixel (1 but for rounding)
    hull_u = cols / 2 + np.array(MIDBODY) * box.length_px * scale
    mid = grey[:, int(hull_u[0]) : int(hull_u[1]) + 1]
    ref_cols = int(REFERENCE_M / gsd * scale)
    reference = np.median(np.hstack([grey[:, :ref_cols], grey[:, cols - ref_cols :]]), axis=1)
    if mid.shape[1] < 4:
        return None
    profile = np.median(mid, axis=1)
    edge = rows / 2 + box.beam_px / 2  # the hull's side on the shadow side, in strip rows
    first = int(math.ceil(edge))
    band_rows = slice(first, min(rows, int(edge + max_band_px) + 2))
    # the water around the hull (its commonest colour: not a quay or a neighbour), then the water beyond the band
    around = np.abs(np.arange(rows) - rows / 2)[:, None] > box.beam_px / 2 + gap_px
    water = float(water_colour(strip[around[:, 0]].reshape(-1, 3)).mean())
    shadow = _shadow_level(profile, band_rows)
    outer = float(first)
    for _ in range(2):
        if water - shadow < MIN_BAND_CONTRAST * max(water, 1.0):
            return None
        found_edge = _band_outer_edge(profile, first, (water + shadow) / 2)
        if found_edge is None or int(found_edge) + 2 >= rows - 2:
            return None
        outer = found_edge
        beyond = float(np.median(profile[int(outer) + 2 : int(outer) + 2 + gap_px]))
        if abs(beyond - water) > max(MAX_WATER_MISMATCH * water, MIN_WATER_LEVEL):
            # a quay or another hull beyond the band: read the band against the same surroundings unshadowed
            return _band_against_surroundings(
                profile, reference, mid, first, edge, band_rows, gap_px, sun, per_metre, gsd
            )
        water = beyond
    level = (water + shadow) / 2
    # the columns' own outer edges: their spread is the outer edge's uncertainty
    step = max(1, mid.shape[1] // 40)
    found = np.array([e for k in range(0, mid.shape[1], step) if (e := _band_outer_edge(mid[:, k], first, level))])
    spread_px = 1.4826 * float(np.median(np.abs(found - np.median(found)))) if found.size > 3 else 1.0
    outer_sd_px = max(spread_px, 0.3) / math.sqrt(max(1, found.size))
    # at nadir the band is measured from the hull's own paint (no box side in it); off nadir the hull side that
    # shows breaks the symmetry, and the box's side (which reaches the displaced deck edge) is the hull's edge
    symmetric = _symmetric_band_px(profile, outer, rows / 2, box.beam_px, gap_px, water, level)
    if lean_px is not None or symmetric is None:
        symmetric = outer - edge
    band_px = max(0.0, symmetric - EDGE_BIAS_PX)
    sd_px = math.hypot(EDGE_SD_PX, outer_sd_px)
    return FreeboardRead(
        freeboard_m=band_px * gsd / per_metre,
        sd_m=sd_px * gsd / per_metre,
        band_m=band_px * gsd,
        band_per_metre=per_metre,
        sun=sun,
    )


# What a tanker of length L shows: freeboard = a + b * L, the centre of each state's band, and half the band's
# width = c + d * L (uniform within). Fitted on the renderer's truth in training scenes (seeds below 9,000,000:
# benchmarks/laden.py --fit). "part" fills the gap between laden's top and light's bottom.
LOAD_MODEL = {  # benchmarks/laden.py --fit --scenes 16 (seeds 700000..700016: 56 laden, 62 light tankers)
    "laden": (3.852, 0.00945, 1.128, 0.00042),
    "light": (1.798, 0.05973, 0.170, 0.01393),
}
PRIORS = {"laden": 0.45, "part": 0.1, "light": 0.45}
LOAD_STATES = ("laden", "part", "light")


def state_bands(length_m: float) -> dict[str, tuple[float, float]]:
    """The freeboards (low, high) in metres a tanker of this length shows laden, part laden and light."""
    bands = {}
    for state, (a, b, c, d) in LOAD_MODEL.items():
        centre, half = a + b * length_m, c + d * length_m
        bands[state] = (centre - half, centre + half)
    lo, hi = bands["laden"][1], bands["light"][0]
    bands["part"] = (min(lo, hi), max(lo, hi))
    return bands


def _normal_cdf(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def load_state(freeboard_m: float, sd_m: float, length_m: float) -> tuple[str, dict[str, float]]:
    """Laden, part or light from a measured freeboard (and its SD) on a tanker of a given length, with the states'
    probabilities: each state's band of freeboards (state_bands) seen through the measurement's Gaussian error."""
    sd = max(sd_m, 0.05)
    likelihood = {}
    for state, (lo, hi) in state_bands(length_m).items():
        width = hi - lo
        if width < 1e-6:
            density = math.exp(-0.5 * ((freeboard_m - lo) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        else:
            density = (_normal_cdf((hi - freeboard_m) / sd) - _normal_cdf((lo - freeboard_m) / sd)) / width
        likelihood[state] = PRIORS[state] * density
    total = sum(likelihood.values())
    if total <= 0:  # far outside every band: the nearest band's state
        centres = {s: (lo + hi) / 2 for s, (lo, hi) in state_bands(length_m).items()}
        best = min(centres, key=lambda s: abs(centres[s] - freeboard_m))
        return best, {s: float(s == best) for s in LOAD_STATES}
    probabilities = {s: round(likelihood[s] / total, 4) for s in LOAD_STATES}
    return max(probabilities, key=lambda s: probabilities[s]), probabilities
