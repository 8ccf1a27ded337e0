"""Scene I/O: open a georeferenced raster, its GSD and acquisition time, read 8-bit RGB windows."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from tankerwatch.geo import pixel_size_m, pixels_to_lonlat, to_lonlat_transformer
from tankerwatch.io import read_json
from tankerwatch.schema import TankerwatchError

STRETCH_PERCENTILES = (1.0, 99.7)
STRETCH_SAMPLE_PX = 1024  # long side of the decimated read the stretch is computed from


@dataclass(frozen=True)
class ViewGeometry:
    """Sun and sensor angles at acquisition (STAC view extension), in degrees; None where the source does not say.

    Azimuths are clockwise from north; elevation is above the horizon; off-nadir is the sensor's angle from
    straight down. Heights read from shadows (freeboard, inference/freeboard.py) need the sun's elevation."""

    sun_elevation_deg: float | None = None
    sun_azimuth_deg: float | None = None
    off_nadir_deg: float | None = None
    view_azimuth_deg: float | None = None  # from the target towards the sensor


VIEW_PROPERTIES = {  # STAC view extension name -> ViewGeometry field
    "view:sun_elevation": "sun_elevation_deg",
    "view:sun_azimuth": "sun_azimuth_deg",
    "view:off_nadir": "off_nadir_deg",
    "view:azimuth": "view_azimuth_deg",
}


@dataclass
class Scene:
    """A georeferenced scene: grid, CRS, GSD, time and the per-band 8-bit stretch."""

    path: Path
    scene_id: str
    stac_id: str | None
    crs: rasterio.crs.CRS
    transform: Affine
    width: int
    height: int
    band_indexes: tuple[int, int, int]  # 1-based bands read as R, G, B
    nodata: float | None
    gsd_m: float  # mean of the x and y pixel size at the scene centre
    acquired: datetime | None
    stretch_lo: np.ndarray
    stretch_hi: np.ndarray
    view: ViewGeometry = field(default_factory=ViewGeometry)

    def lonlat(self, cols, rows) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 lon/lat of native pixel positions."""
        return pixels_to_lonlat(self.transform, to_lonlat_transformer(self.crs), cols, rows)


def parse_time(text: str, source: str) -> datetime:
    """Parse an ISO 8601 (or TIFF 'YYYY:MM:DD HH:MM:SS') time as UTC."""
    raw = text.strip()
    if len(raw) >= 19 and raw[4] == ":" and raw[7] == ":":
        raw = raw[:4] + "-" + raw[5:7] + "-" + raw[8:10] + "T" + raw[11:]
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TankerwatchError(f"{source}: cannot parse time {text!r} (expected ISO 8601)") from None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def stac_sidecar(path: Path) -> Path:
    """Where a scene's STAC Item sidecar lives (<scene>.json)."""
    return path.with_suffix(".json")


def _read_sidecar(path: Path) -> tuple[str | None, datetime | None, ViewGeometry]:
    """STAC id, datetime and view geometry from the sidecar, if there is one."""
    side = stac_sidecar(path)
    if not side.exists():
        return None, None, ViewGeometry()
    item = read_json(side, "STAC Item sidecar")
    if not isinstance(item, dict):
        raise TankerwatchError(f"{side}: a STAC Item sidecar must be a JSON object")
    props = item.get("properties") or {}
    when = props.get("datetime")
    return item.get("id"), parse_time(when, str(side)) if when else None, view_geometry(props, str(side))


def view_geometry(properties: dict, source: str) -> ViewGeometry:
    """The sun and sensor angles of a STAC Item's properties (view:sun_elevation, ...), checked to be numbers."""
    values: dict[str, float] = {}
    for key, name in VIEW_PROPERTIES.items():
        v = properties.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise TankerwatchError(f"{source}: {key} must be a number of degrees, not {v!r}")
        values[name] = float(v)
    return ViewGeometry(**values)


def _pick_bands(src: rasterio.io.DatasetReader) -> tuple[int, int, int]:
    """Choose the bands shown as R, G, B (colour interpretation first, else 1-2-3)."""
    if src.count < 3:
        return (1, 1, 1)
    interp = list(src.colorinterp)
    wanted = (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
    if all(c in interp for c in wanted):
        return tuple(interp.index(c) + 1 for c in wanted)  # type: ignore[return-value]
    return (1, 2, 3)


def _compute_stretch(src, bands, nodata) -> tuple[np.ndarray, np.ndarray]:
    """Per-band percentile limits from a decimated read of the whole scene."""
    f = max(1.0, max(src.width, src.height) / STRETCH_SAMPLE_PX)
    shape = (max(1, int(src.height / f)), max(1, int(src.width / f)))
    data = src.read(list(bands), out_shape=(3, *shape), resampling=Resampling.nearest).astype(np.float64)
    valid = np.all(np.isfinite(data), axis=0)
    if nodata is not None:
        valid &= ~np.all(data == nodata, axis=0)
    return percentile_limits(data, valid)


def percentile_limits(data: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-band (bands x rows x cols) stretch limits: the STRETCH_PERCENTILES of the valid pixels."""
    lo, hi = np.zeros(len(data)), np.ones(len(data))
    for i, band in enumerate(data):
        v = band[valid]
        if v.size == 0:
            continue
        lo[i], hi[i] = np.percentile(v, STRETCH_PERCENTILES)
        if hi[i] <= lo[i]:
            hi[i] = lo[i] + 1.0
    return lo, hi


def stretch_uint8(data: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bands (bands x rows x cols, any dtype) stretched linearly from [lo, hi] to uint8."""
    lo32 = np.asarray(lo, np.float32)[:, None, None]
    hi32 = np.asarray(hi, np.float32)[:, None, None]
    rgb = np.clip((data.astype(np.float32) - lo32) * (255.0 / (hi32 - lo32)), 0, 255)
    return np.nan_to_num(rgb, nan=0.0).astype(np.uint8)


def stretch_rgb(rgb: np.ndarray, valid: np.ndarray | None = None, sample_step: int = 1) -> np.ndarray:
    """An image (rows x cols x bands, any dtype) stretched per band to uint8 as scene reads are: limits from the
    STRETCH_PERCENTILES of its valid pixels (every sample_step-th row and column of them)."""
    bands = rgb.transpose(2, 0, 1)
    sample = bands[:, ::sample_step, ::sample_step]
    ok = np.ones(sample.shape[1:], bool) if valid is None else valid[::sample_step, ::sample_step]
    lo, hi = percentile_limits(sample, ok)
    return np.ascontiguousarray(stretch_uint8(bands, lo, hi).transpose(1, 2, 0))


def open_scene(path: str | Path, acquired: datetime | None = None) -> Scene:
    """Open a scene, check its georeferencing and compute its GSD, time and stretch."""
    path = Path(path)
    if not path.exists():
        raise TankerwatchError(f"{path}: file not found")
    stac_id, side_time, view = _read_sidecar(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                if src.crs is None or src.transform.is_identity:
                    raise TankerwatchError(
                        f"{path}: no georeferencing (missing CRS or geotransform); cannot measure in metres"
                    )
                bands = _pick_bands(src)
                tag_time = src.tags().get("TIFFTAG_DATETIME")
                gx, gy = pixel_size_m(src.transform, to_lonlat_transformer(src.crs), src.width / 2, src.height / 2)
                lo, hi = _compute_stretch(src, bands, src.nodata)
                when = acquired or side_time or (parse_time(tag_time, f"{path} TIFFTAG_DATETIME") if tag_time else None)
                return Scene(
                    path=path,
                    scene_id=path.stem,
                    stac_id=stac_id,
                    crs=src.crs,
                    transform=src.transform,
                    width=src.width,
                    height=src.height,
                    band_indexes=bands,
                    nodata=src.nodata,
                    gsd_m=(gx + gy) / 2,
                    acquired=when,
                    stretch_lo=lo,
                    stretch_hi=hi,
                    view=view,
                )
    except RasterioIOError as e:
        raise TankerwatchError(f"{path}: cannot read raster ({str(e).splitlines()[0]})") from None


GDAL_CACHE_BYTES = 64 * 2**20  # rasterio passes GDAL_CACHEMAX in bytes: a plain 64 would be 64 bytes, no cache


@contextmanager
def scene_reader(scene: Scene) -> Iterator[rasterio.io.DatasetReader]:
    """A rasterio handle on a scene (one per thread: handles are not thread-safe)."""
    try:
        # GDAL's default block cache (5 % of RAM) grows with the scene; windowed reads need a few blocks
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(scene.path) as src:
            yield src
    except RasterioIOError as e:
        raise TankerwatchError(f"{scene.path}: cannot read raster ({str(e).splitlines()[0]})") from None


def read_rgb(
    src: rasterio.io.DatasetReader, scene: Scene, window: Window, out_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Read a native-pixel window resampled to out_shape (rows, cols) as stretched uint8 RGB and a valid mask."""
    downsampling = out_shape[0] < window.height
    resampling = Resampling.average if downsampling else Resampling.bilinear
    data = src.read(
        list(scene.band_indexes), window=window, out_shape=(3, *out_shape), resampling=resampling, boundless=False
    )
    integer = data.dtype.kind == "u" and data.dtype.itemsize <= 2
    valid = np.ones(out_shape, bool) if integer else np.all(np.isfinite(data), axis=0)
    if scene.nodata is not None:
        valid &= ~np.all(data == scene.nodata, axis=0)
    if integer:  # 8/16-bit products: one table lookup per pixel, written straight into rows x cols x bands
        rgb = np.empty((*out_shape, 3), np.uint8)
        for i, lut in enumerate(stretch_tables(data.dtype.str, tuple(scene.stretch_lo), tuple(scene.stretch_hi))):
            np.take(lut, data[i], out=rgb[..., i])
    else:
        rgb = np.ascontiguousarray(stretch_uint8(data, scene.stretch_lo, scene.stretch_hi).transpose(1, 2, 0))
    if not valid.all():
        rgb[~valid] = 0
    return rgb, valid


@lru_cache(maxsize=16)
def stretch_tables(dtype: str, lo: tuple[float, ...], hi: tuple[float, ...]) -> list[np.ndarray]:
    """Per band, the stretched uint8 value of every value an unsigned 8/16-bit band can hold (as stretch_uint8)."""
    values = np.arange(np.iinfo(np.dtype(dtype)).max + 1, dtype=dtype)
    lo_a, hi_a = np.asarray(lo), np.asarray(hi)
    return [stretch_uint8(values[None, None, :], lo_a[i : i + 1], hi_a[i : i + 1])[0, 0] for i in range(len(lo))]
