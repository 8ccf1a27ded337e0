"""Scene I/O: open a georeferenced raster, its GSD and acquisition time, read 8-bit RGB windows.

A scene is a raster whose pixels can be put on the ground. Two kinds of product say where they lie:

- georeferenced (orthorectified) rasters carry a CRS and a geotransform: pixel (col, row) -> map x, y is one
  affine map, and metres come straight from it;
- sensor-geometry products ("RPC-only": no geotransform, rational polynomial coefficients in the file) say
  where a ground point (lon, lat, height) falls in the image: row and column are ratios of cubic polynomials
  of the normalised ground coordinates. Inverting that needs the ground's height, a constant (`RpcOrtho`,
  metres above the WGS84 ellipsoid) or a DEM. Such a product is orthorectified on the fly: GDAL's warper
  reads it through a warped VRT onto a UTM grid at about its native GSD, written once to a cache folder
  (`ortho_cache_dir`), so every stage reads the orthorectified pixels by path (`Scene.read_path`) and
  the scene keeps its own path and id.

What a scene's STAC Item says (`StacItem`: the sidecar `<scene>.json`, or the Item it was found through) is
used as follows: `datetime` is the acquisition time (after `--acquired`, before the TIFF tag); `view:*` the
sun and sensor angles; its id is the scene's stac_id. `proj:*` and `gsd` describe the grid, and the raster
is the authority on its own grid: `proj:code`/`proj:epsg`/`proj:wkt2` and `proj:transform` fill in a CRS or
geotransform the raster lacks; `proj:shape` must match the raster's size, and `gsd` must agree with the
grid's GSD within a factor GSD_MISMATCH_FACTOR (nominal and off-nadir GSDs differ; a thumbnail or an
overview asset does not) - either mismatch means the Item's asset is not this raster, and is an error.
"""

from __future__ import annotations

import hashlib
import math
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import CRSError, NotGeoreferencedWarning, RasterioIOError
from rasterio.io import MemoryFile
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from tankerwatch.geo import pixel_size_m, pixels_to_lonlat, to_lonlat_transformer, utm_epsg
from tankerwatch.io import atomic_write_text, read_json
from tankerwatch.schema import TankerwatchError

STRETCH_PERCENTILES = (1.0, 99.7)
STRETCH_SAMPLE_PX = 1024  # long side of the decimated read the stretch is computed from
GSD_MISMATCH_FACTOR = 1.8  # an Item's gsd this far from the grid's: another raster (an overview halves, at least)
RPC_HEIGHT_M = 0.0  # default ground height of an RPC-only product: the WGS84 ellipsoid


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
    read_path: Path | None = None  # the raster read when it is not path: an RPC-only product's orthorectified VRT

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


@dataclass(frozen=True)
class StacItem:
    """What a scene's STAC Item says about it: its id and properties (datetime, gsd, proj:*, view:*)."""

    id: str | None
    properties: dict[str, Any]
    source: str  # where the Item was read (named in messages)


@dataclass(frozen=True)
class RpcOrtho:
    """How an RPC-only product is put on the ground: one height for the whole scene, or a DEM.

    Heights are metres above the WGS84 ellipsoid (sea level there is the geoid's height, tens of metres);
    a wrong height shifts positions by about height error x tan(off-nadir), and scales lengths negligibly."""

    height_m: float = RPC_HEIGHT_M
    dem_path: Path | None = None  # a DEM GDAL can read; where it has no data, height_m


def sidecar_item(path: Path) -> StacItem | None:
    """The STAC Item sidecar (<scene>.json) of a scene, if there is one."""
    side = stac_sidecar(path)
    if not side.exists():
        return None
    item = read_json(side, "STAC Item sidecar")
    if not isinstance(item, dict):
        raise TankerwatchError(f"{side}: a STAC Item sidecar must be a JSON object")
    props = item.get("properties") or {}
    if not isinstance(props, dict):
        raise TankerwatchError(f"{side}: STAC Item properties must be a JSON object")
    return StacItem(item.get("id"), props, str(side))


def item_time(properties: dict, source: str) -> datetime | None:
    """A STAC Item's acquisition time: datetime, or start_datetime where datetime is null (a time range)."""
    when = properties.get("datetime") or properties.get("start_datetime")
    if when is None:
        return None
    if not isinstance(when, str):
        raise TankerwatchError(f"{source}: datetime must be an ISO 8601 string, not {when!r}")
    return parse_time(when, source)


def item_crs(properties: dict, source: str) -> CRS | None:
    """The CRS a STAC Item's projection extension names (proj:code, proj:epsg, proj:wkt2, proj:projjson)."""
    for key in ("proj:code", "proj:epsg", "proj:wkt2", "proj:projjson"):
        value = properties.get(key)
        if value is None:
            continue
        try:
            return CRS.from_epsg(value) if key == "proj:epsg" else CRS.from_user_input(value)
        except (CRSError, TypeError, ValueError):
            raise TankerwatchError(f"{source}: {key} {str(value)[:60]!r} is not a CRS") from None
    return None


def item_transform(properties: dict, source: str) -> Affine | None:
    """The geotransform of a STAC Item's proj:transform (six or nine numbers, affine order a, b, c, d, e, f)."""
    value = properties.get("proj:transform")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) not in (6, 9) or not all(isinstance(v, int | float) for v in value):
        raise TankerwatchError(f"{source}: proj:transform must be a list of 6 or 9 numbers")
    return Affine(*value[:6])


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


def open_scene(
    path: str | Path, acquired: datetime | None = None, item: StacItem | None = None, rpc: RpcOrtho | None = None
) -> Scene:
    """Open a scene, check its georeferencing (orthorectifying an RPC-only product) and compute its GSD, time and
    stretch; what its STAC Item says (item, else the sidecar) is used as the module docstring tells."""
    path = Path(path)
    if not path.exists():
        raise TankerwatchError(f"{path}: file not found")
    item = item or sidecar_item(path)
    props, source = (item.properties, item.source) if item else ({}, str(path))
    view = view_geometry(props, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as raw:
                _check_shape(raw, props, source)
                tag_time = raw.tags().get("TIFFTAG_DATETIME")
                read_path = orthorectified_vrt(path, raw, rpc or RpcOrtho()) if rpc_only(raw) else None
            with rasterio.open(read_path or path) as src:
                crs, given = src.crs or item_crs(props, source), item_transform(props, source)
                transform = given if src.transform.is_identity else src.transform
                if crs is None or transform is None:
                    raise TankerwatchError(
                        f"{path}: no georeferencing (missing CRS or geotransform, no RPCs); cannot measure in metres"
                    )
                bands = _pick_bands(src)
                gx, gy = pixel_size_m(transform, to_lonlat_transformer(crs), src.width / 2, src.height / 2)
                _check_gsd((gx + gy) / 2, props, source)
                lo, hi = _compute_stretch(src, bands, src.nodata)
                when = (
                    acquired
                    or item_time(props, source)
                    or (parse_time(tag_time, f"{path} TIFFTAG_DATETIME") if tag_time else None)
                )
                return Scene(
                    path=path,
                    scene_id=path.stem,
                    stac_id=item.id if item else None,
                    crs=crs,
                    transform=transform,
                    width=src.width,
                    height=src.height,
                    band_indexes=bands,
                    nodata=src.nodata,
                    gsd_m=(gx + gy) / 2,
                    acquired=when,
                    stretch_lo=lo,
                    stretch_hi=hi,
                    view=view,
                    read_path=read_path,
                )
    except RasterioIOError as e:
        raise TankerwatchError(f"{path}: cannot read raster ({str(e).splitlines()[0]})") from None


def _check_shape(src: rasterio.io.DatasetReader, properties: dict, source: str) -> None:
    """An Item's proj:shape (rows, cols) must be the raster's: otherwise the Item describes another raster."""
    shape = properties.get("proj:shape")
    if shape is not None and list(shape) != [src.height, src.width]:
        raise TankerwatchError(
            f"{source}: proj:shape {list(shape)} but {Path(src.name).name} is {src.height} x {src.width} pixels"
        )


def _check_gsd(gsd_m: float, properties: dict, source: str) -> None:
    """An Item's gsd must agree with the grid's within GSD_MISMATCH_FACTOR (a thumbnail or overview does not)."""
    said = properties.get("gsd")
    if said is None:
        return
    if isinstance(said, bool) or not isinstance(said, int | float) or not said > 0:
        raise TankerwatchError(f"{source}: gsd must be a positive number of metres, not {said!r}")
    if max(said / gsd_m, gsd_m / said) > GSD_MISMATCH_FACTOR:
        raise TankerwatchError(
            f"{source}: gsd {said:g} m but the raster's grid is {gsd_m:.3g} m: the Item describes another raster"
        )


def rpc_only(src: rasterio.io.DatasetReader) -> bool:
    """Whether a raster says where it lies only through RPCs (no geotransform, no GCPs)."""
    return src.transform.is_identity and src.rpcs is not None and not src.gcps[0]


def ortho_cache_dir() -> Path:
    """Where the orthorectified VRTs of RPC-only products are kept ($TANKERWATCH_HOME/orthorectified)."""
    from tankerwatch.models.detector import tankerwatch_home

    return tankerwatch_home() / "orthorectified"


def orthorectified_vrt(path: Path, src: rasterio.io.DatasetReader, rpc: RpcOrtho) -> Path:
    """A warped VRT putting an RPC-only product on the UTM grid of its centre at about its native GSD (cached:
    keyed by the product's path, size and time, and the height or DEM)."""
    dem = Path(rpc.dem_path).resolve() if rpc.dem_path else None
    if dem is not None and not dem.exists():
        raise TankerwatchError(f"{dem}: DEM not found")
    stat = path.stat()
    stamp = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{rpc.height_m!r}|{dem}"
    if dem is not None:
        stamp += f"|{dem.stat().st_mtime_ns}"
    out = ortho_cache_dir() / f"{path.stem}-{hashlib.sha1(stamp.encode()).hexdigest()[:16]}.vrt"
    if out.exists():
        return out
    crs = CRS.from_epsg(utm_epsg(src.rpcs.long_off, src.rpcs.lat_off))
    # the ortho's corners outside the footprint are nodata (0 where the product has none), not dark water
    nodata = src.nodata if src.nodata is not None else 0
    # XSCALE/YSCALE 1: the grid is at the native GSD, so pixels are interpolated, never averaged (GDAL guesses the
    # scale from the source window each chunk needs; for a product turned against north it widens bilinear to a blur)
    warped = WarpedVRT(
        src, crs=crs, resampling=Resampling.bilinear, nodata=nodata, RPC_HEIGHT=rpc.height_m, XSCALE=1, YSCALE=1
    )
    with warped as vrt, MemoryFile(ext=".vrt") as mem:
        rasterio.shutil.copy(vrt, mem.name, driver="VRT")
        xml = mem.read().decode("utf-8")
    atomic_write_text(out, _pinned_vrt(xml, path.resolve(), dem, rpc.height_m))
    return out


def _pinned_vrt(xml: str, source: Path, dem: Path | None, height_m: float) -> str:
    """A warped VRT's XML with its source given by absolute path and, where there is one, the DEM the RPC
    transformer reads heights from (set here: rasterio upper-cases warp option values, paths included)."""
    root = ET.fromstring(xml)
    for el in root.iter("SourceDataset"):
        el.set("relativeToVRT", "0")
        el.text = str(source)
    if dem is not None:
        for rpc_el in root.iter("RPCTransformer"):
            ET.SubElement(rpc_el, "DEMPath").text = str(dem)
            ET.SubElement(rpc_el, "DEMInterpolation").text = "bilinear"
            ET.SubElement(rpc_el, "DEMMissingValue").text = repr(float(height_m))
    return ET.tostring(root, encoding="unicode")


class WindowCache:
    """A scene reader that serves reads inside one window from memory: one native read of a hull's surroundings
    serves its refinement, bow, freeboard and type-chip reads, which each ask for a slightly different window.

    Reads of the cached bands inside the window are cut from the array and resampled in memory (area averaging
    when reducing, as GDAL's `average`; bilinear when enlarging); any other read goes to the file. Everything
    else (transform, count, ...) is the wrapped reader's."""

    def __init__(self, src: rasterio.io.DatasetReader, bands: tuple[int, ...], window: Window) -> None:
        self._src, self._bands = src, tuple(bands)
        self._c0, self._r0 = int(window.col_off), int(window.row_off)
        self._data = src.read(list(bands), window=window)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._src, name)

    def read(self, indexes=None, window=None, out_shape=None, resampling=Resampling.nearest, **kw):
        """As DatasetReader.read, from memory where the window lies inside the cached one."""
        import cv2

        c, r = (int(window.col_off) - self._c0, int(window.row_off) - self._r0) if window is not None else (-1, -1)
        inside = (
            window is not None
            and indexes is not None
            and tuple(indexes) == self._bands
            and not kw.get("boundless")
            and window.col_off == int(window.col_off)
            and window.row_off == int(window.row_off)
            and c >= 0
            and r >= 0
            and c + int(window.width) <= self._data.shape[2]
            and r + int(window.height) <= self._data.shape[1]
        )
        if not inside:
            return self._src.read(indexes, window=window, out_shape=out_shape, resampling=resampling, **kw)
        cut = self._data[:, r : r + int(window.height), c : c + int(window.width)]
        rows, cols = (out_shape[-2], out_shape[-1]) if out_shape is not None else cut.shape[1:]
        if (rows, cols) == cut.shape[1:]:
            return cut.copy()
        shrink = rows < cut.shape[1] or cols < cut.shape[2]
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        return np.stack([cv2.resize(band, (cols, rows), interpolation=interp) for band in cut])


GDAL_CACHE_BYTES = 64 * 2**20  # rasterio passes GDAL_CACHEMAX in bytes: a plain 64 would be 64 bytes, no cache


@contextmanager
def scene_reader(scene: Scene) -> Iterator[rasterio.io.DatasetReader]:
    """A rasterio handle on a scene (one per thread: handles are not thread-safe)."""
    try:
        # GDAL's default block cache (5 % of RAM) grows with the scene; windowed reads need a few blocks
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(scene.read_path or scene.path) as src:
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
