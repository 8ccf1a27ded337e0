"""Configuration from YAML under configs/, validated on load, overridable from the CLI."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tankerwatch.schema import TankerwatchError


def bundled_path(name: str) -> Path:
    """Path of a file shipped in configs/ (e.g. 'ports.geojson')."""
    return Path(str(resources.files("tankerwatch.configs").joinpath(name)))


# auto: OpenVINO on the CPU, PyTorch (fp16) on GPUs; openvino-int8: NNCF-quantized (models/quantize.py)
RUNTIMES = ("auto", "torch", "onnx", "openvino", "openvino-int8")
CHOICES = {"runtime": RUNTIMES}


@dataclass
class DetectConfig:
    """How scenes are tiled and the detector run."""

    working_gsd_m: float = 1.0  # detection runs at this ground sample distance
    tile_px: int = 1024  # tile side at working GSD
    overlap_m: float = 128.0  # hulls shorter lie whole in some tile; longer ones are rebuilt from their pieces
    port_margin_m: float = 500.0  # tiles reach this far beyond a port polygon
    conf_threshold: float = 0.25
    iou_threshold: float = 0.5  # rotated-box IoU for the cross-tile merge
    batch_size: int = 0  # tiles per model call on each device; 0: 2 on the CPU, 4 on a GPU (models/detector.py)
    device: str = "cpu"  # cpu, cuda (every GPU of the host), 0, 0,1
    runtime: str = "auto"  # auto (OpenVINO on the CPU, PyTorch on GPUs), torch, onnx, openvino
    readers: int = 1  # reader threads decoding tiles ahead of the model (one rasterio handle each)
    # heading called (not heading_ambiguous) where P(bow at the end named) reaches this (inference/heading.py);
    # set by benchmarks/heading.py --fit: wrong <= 5 % among training headings called, and each call 4:1 on
    bow_min_confidence: float = 0.8
    refine: bool = True  # re-measure each hull's ends and sides on native pixels
    refine_min_contrast: float = 18.0  # RGB distance (0-255 stretch) from the water that counts as hull


@dataclass
class MatchConfig:
    """Probabilistic identification by dimensions."""

    sigma_gsd_factor: float = 1.5  # sigma_m = a * gsd_m + b * size_m
    sigma_size_factor: float = 0.03
    prior_registry: float = 0.5  # prior that a tanker in a watched port is some registry vessel
    top_k: int = 3
    min_probability: float = 0.01  # candidates below this are not listed
    alert_probability: float = 0.5  # a tanker is 'matched' when its top candidate reaches this
    max_speed_kn: float = 20.0  # two sightings of one vessel further apart than this speed allows cannot both be it
    error_model: str = (
        ""  # fitted measurement errors (JSON); empty: <detector weights>.errors.json, else the sigmas above
    )
    appearance: bool = True  # read each tanker's look and score it against analyst-confirmed sightings
    appearance_model: str = ""  # appearance model (JSON); empty: the bundled models/weights/appearance.json


@dataclass
class VisitConfig:
    """Port-visit grouping."""

    gap_hours: float = 72.0  # sightings further apart start a new visit
    chip_margin_m: float = 40.0
    alert_unidentified: bool = False  # also alert tankers in port that no registry vessel is probable enough for


@dataclass
class StageConfig:
    """The stages after the detector: a hull must float (water mask), and ship type on native pixels."""

    water_mask: bool = True  # drop hulls that do not lie on water
    water_model: str = ""  # water-mask weights; empty: the bundled models/weights/water-mask.pt
    water_share_threshold: float = 0.35  # a hull floats when this share of it, or of the ring around it, is water
    ring_m: float = 30.0  # width of that ring
    write_mask: bool = True  # write OUT/masks/<scene_id>.water.tif
    ship_type: bool = True  # classify each hull on native pixels; "not a ship" drops it
    type_model: str = ""  # ship-type weights; empty: the bundled models/weights/ship-type.pt
    not_ship_threshold: float = 0.5  # a hull with P(not a ship) at or above this is dropped
    water_objects: bool = False  # also propose compact objects on the water as hulls (inference/candidates.py)
    object_not_ship_threshold: float = 0.3  # such a proposal stays only with P(not a ship) below this


@dataclass
class StsConfig:
    """Ship-to-ship transfer candidates: two hulls side by side, at least one a tanker (inference/sts.py)."""

    enabled: bool = True
    max_angle_deg: float = 8.0  # axes parallel within this (modulo 180 degrees), with the detector's axis error
    max_gap_m: float = 8.0  # facing sides at most this far apart (fendered)
    max_overlap_across_m: float = 3.0  # boxes may overlap across the axis by up to this much (loose boxes)
    min_overlap: float = 0.4  # the shorter hull at least this share abreast of the other


@dataclass
class FreeboardConfig:
    """The draught cue: the deck's height above the water from the hull-side shadow (inference/freeboard.py)."""

    enabled: bool = True
    min_sun_elevation_deg: float = 15.0  # below this the shadow runs too long to read
    min_across_share: float = 0.12  # |sin| of the sun's angle to the hull axis below which the shadow runs along it
    min_band_per_metre: float = 0.06  # band width per metre of freeboard below which the band is too thin to read


@dataclass
class CoalConfig:
    """Coal watch: bulk carriers at watched coal berths, and the dark stockpiles on their quays (inference/coal.py)."""

    enabled: bool = True
    watch_anchorages: bool = True  # also the anchorages of ports that have a coal berth (colliers wait, barges load)
    min_type_probability: float = 0.5  # P(bulk carrier) from the ship-type classifier at least this
    stockpile_margin_m: float = 400.0  # the berth polygon grown by this reaches over the quay into the stockyard
    read_gsd_m: float = 2.0  # the region is read at about this GSD (heaps are 18-50 m wide)
    dark_contrast: float = 0.55  # coal: darker than its surroundings by this share of their brightness
    background_m: float = 90.0  # the surroundings' brightness: closed over this, wider than any heap
    max_chroma: float = 40.0  # coal is grey: max - min of R, G, B (0-255 stretch) at most this
    min_heap_width_m: float = 16.0  # thinner dark things (rails, mast and wall shadows) are not heaps
    min_heap_m2: float = 300.0  # smaller dark pieces are not heaps
    min_covered_share: float = 0.98  # two readings are compared only where each covers this share of the berth


@dataclass
class CascadeConfig:
    """Tiles the detector is spared: land away from water, open water with nothing on it (inference/cascade.py)."""

    enabled: bool = True
    land_margin_m: float = 100.0  # a tile with no water this near is land away from water
    object_gsd_m: float = 2.0  # a water tile is searched for objects on cells this size
    object_contrast: float = 25.0  # colour distance (0-255 stretch) from the water that stands out ...
    noise_factor: float = 6.0  # ... or this many robust SDs of the water's own texture, whichever is more
    min_object_m2: float = 20.0  # connected area that makes a tile "not empty"
    max_water_texture: float = 12.0  # water rougher than this (colour distance level + spread, 0-255) is not "empty"


@dataclass
class RayConfig:
    """The Ray engine (`tankerwatch run --engine ray`, inference/ray_engine.py): where it runs, how wide."""

    address: str = ""  # a running cluster (auto, host:6379, ray://host:10001); empty: a local instance on this host
    actors: int = 0  # detector actors; 0: one per GPU of the cluster where detect.device is a GPU, else one
    cpus_per_actor: float = 1.0  # CPUs an actor reserves (a CPU actor's OpenVINO threads use what the host has)
    local_cpus: int = 0  # CPUs of a local instance; 0: every core of the host
    object_store_mb: int = 0  # a local instance's object store; 0: Ray's default (30 % of RAM)


@dataclass
class InferenceConfig:
    """Everything `tankerwatch run` needs besides its inputs."""

    detect: DetectConfig = field(default_factory=DetectConfig)
    stages: StageConfig = field(default_factory=StageConfig)
    matching: MatchConfig = field(default_factory=MatchConfig)
    visits: VisitConfig = field(default_factory=VisitConfig)
    sts: StsConfig = field(default_factory=StsConfig)
    freeboard: FreeboardConfig = field(default_factory=FreeboardConfig)
    coal: CoalConfig = field(default_factory=CoalConfig)
    cascade: CascadeConfig = field(default_factory=CascadeConfig)
    ray: RayConfig = field(default_factory=RayConfig)


def _key(where: str, name: str) -> str:
    """The dotted key path of name under where (where is empty at the root of --set overrides)."""
    return f"{where}.{name}" if where else name


def _coerce(value: Any, typ: Any, where: str) -> Any:
    """Check a YAML value against a dataclass field type."""
    if dataclasses.is_dataclass(typ):
        if not isinstance(value, dict):
            raise TankerwatchError(f"{where}: expected a mapping, got {type(value).__name__}")
        return _build(typing.cast(type, typ), value, where)
    origin = typing.get_origin(typ)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = typing.get_args(typ)
        if value is None and type(None) in args:
            return None
        typ = next(a for a in args if a is not type(None))
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if typ in (int, str, bool) and type(value) is typ:
        return value
    if typing.get_origin(typ) is list and isinstance(value, list):
        return value
    if typ is dict and isinstance(value, dict):
        return value
    raise TankerwatchError(f"{where}: expected {getattr(typ, '__name__', typ)}, got {value!r}")


def _build(cls: type, data: dict, where: str) -> Any:
    """Build a dataclass from a mapping, rejecting unknown keys."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise TankerwatchError(f"{where or 'top level'}: unknown key(s) {sorted(unknown)}; known: {sorted(names)}")
    kwargs = {k: _coerce(v, hints[k], _key(where, k)) for k, v in data.items()}
    obj = cls(**kwargs)
    _check_ranges(obj, where)
    return obj


def _check_ranges(obj: Any, where: str) -> None:
    """Reject values no run could use (negative sizes, probabilities outside 0-1)."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if v < 0:
                raise TankerwatchError(f"{_key(where, f.name)}: must be >= 0, got {v}")
            if ("probability" in f.name or f.name.startswith("prior") or "threshold" in f.name) and v > 1:
                raise TankerwatchError(f"{_key(where, f.name)}: must be within 0..1, got {v}")
    for name, allowed in CHOICES.items():
        if hasattr(obj, name) and getattr(obj, name) not in allowed:
            raise TankerwatchError(f"{_key(where, name)}: {getattr(obj, name)!r} is not one of {list(allowed)}")
    for name in ("working_gsd_m", "tile_px", "readers"):
        if hasattr(obj, name) and getattr(obj, name) <= 0:
            raise TankerwatchError(f"{_key(where, name)}: must be > 0")


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict:
    """Turn ['detect.tile_px=640', ...] into a nested mapping (values parsed as YAML)."""
    out: dict = {}
    for item in items:
        if "=" not in item:
            raise TankerwatchError(f"--set {item!r}: expected SECTION.KEY=VALUE")
        key, raw = item.split("=", 1)
        node = out
        parts = key.strip().split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(raw)
    return out


def _deep_merge(base: dict, extra: dict) -> dict:
    """Merge extra into base, section by section."""
    merged = dict(base)
    for k, v in extra.items():
        merged[k] = _deep_merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def read_yaml(path: Path) -> dict:
    """Read a YAML mapping, naming the file in any error."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: config file not found") from None
    except yaml.YAMLError as e:
        raise TankerwatchError(f"{path}: invalid YAML ({str(e).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TankerwatchError(f"{path}: expected a mapping at the top level")
    return data


def load_inference_config(path: Path | None = None, overrides: dict | None = None) -> InferenceConfig:
    """Load configs/inference.yaml (or PATH) with CLI overrides applied on top."""
    path = Path(path) if path else bundled_path("inference.yaml")
    data = read_yaml(path)
    cfg = _build(InferenceConfig, data, str(path))  # the file alone first: its errors name the file
    if not overrides:
        return cfg
    try:
        return _build(InferenceConfig, _deep_merge(data, overrides), "")
    except TankerwatchError as e:  # the file was valid, so the override is at fault
        raise TankerwatchError(f"--set {e}") from None
