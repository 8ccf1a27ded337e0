"""Scene reading: georeferencing, GSD, acquisition time, stretch of any dtype."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from tankerwatch.datasets.scene import StacItem, open_scene, read_rgb, scene_reader, stretch_uint8
from tankerwatch.geo import geodesic_m
from tankerwatch.schema import TankerwatchError


def write_raster(path, data, crs="EPSG:32653", transform=None, tags=None, nodata=None):
    """Write a small GeoTIFF for a test."""
    bands, h, w = data.shape
    profile = dict(driver="GTiff", width=w, height=h, count=bands, dtype=data.dtype.name, nodata=nodata)
    if crs:
        profile.update(crs=crs, transform=transform or from_origin(500000, 4730000, 0.5, 0.5))
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if tags:
            dst.update_tags(**tags)
    return path


def test_epsg4326_metres_per_pixel_within_one_percent(tmp_path):
    lat = 42.75
    dlon, dlat = 1e-5, 1e-5
    p = write_raster(
        tmp_path / "geo.tif",
        np.zeros((3, 64, 64), np.uint8),
        crs="EPSG:4326",
        transform=from_origin(133.0, lat + 32 * dlat, dlon, dlat),
    )
    scene = open_scene(p, acquired=datetime(2024, 1, 1, tzinfo=timezone.utc))
    expected_x = geodesic_m(133.0, lat, 133.0 + dlon, lat)  # ~0.82 m at 42.75 N
    expected_y = geodesic_m(133.0, lat, 133.0, lat + dlat)  # ~1.11 m
    assert scene.gsd_m == pytest.approx((expected_x + expected_y) / 2, rel=0.01)
    assert 0.80 < expected_x < 0.84 and 1.10 < expected_y < 1.12


def test_utm_gsd_is_the_pixel_size(tmp_path):
    p = write_raster(tmp_path / "utm.tif", np.zeros((1, 32, 32), np.uint8))
    assert open_scene(p).gsd_m == pytest.approx(0.5, rel=0.002)


def test_web_mercator_gsd_is_ground_metres_not_map_units(tmp_path):
    # 1 map unit of EPSG:3857 at 42.75 N is cos(42.75) = 0.73 ground metres
    p = write_raster(
        tmp_path / "merc.tif",
        np.zeros((1, 32, 32), np.uint8),
        crs="EPSG:3857",
        transform=from_origin(14812000, 5275000, 1.0, 1.0),
    )
    assert open_scene(p).gsd_m == pytest.approx(0.734, rel=0.02)


def test_scene_without_crs_is_rejected_with_its_name(tmp_path):
    p = write_raster(tmp_path / "nogeo.tif", np.zeros((3, 16, 16), np.uint8), crs=None)
    with pytest.raises(TankerwatchError) as e:
        open_scene(p)
    msg = str(e.value)
    assert "nogeo.tif" in msg and "georeferencing" in msg and "\n" not in msg


def test_corrupt_file_is_rejected_with_its_name(tmp_path):
    p = tmp_path / "broken.tif"
    p.write_bytes(b"II*\x00 not really a tiff")
    with pytest.raises(TankerwatchError, match="broken.tif"):
        open_scene(p)


def test_acquisition_time_order_cli_then_stac_then_tiff_tag(tmp_path):
    p = write_raster(
        tmp_path / "s.tif", np.zeros((1, 8, 8), np.uint8), tags={"TIFFTAG_DATETIME": "2024:03:01 10:00:00"}
    )
    assert open_scene(p).acquired == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    (tmp_path / "s.json").write_text(json.dumps({"id": "item-1", "properties": {"datetime": "2024-03-02T11:00:00Z"}}))
    scene = open_scene(p)
    assert scene.acquired == datetime(2024, 3, 2, 11, tzinfo=timezone.utc) and scene.stac_id == "item-1"
    cli = datetime(2024, 3, 3, 12, tzinfo=timezone.utc)
    assert open_scene(p, acquired=cli).acquired == cli
    assert scene.scene_id == "s"


def test_uint16_12bit_four_band_scene_reads_as_stretched_rgb(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.integers(200, 3800, (4, 64, 64)).astype(np.uint16)
    p = write_raster(tmp_path / "wv.tif", data)
    scene = open_scene(p)
    with scene_reader(scene) as src:
        rgb, valid = read_rgb(src, scene, Window(0, 0, 64, 64), (32, 32))
    assert rgb.dtype == np.uint8 and rgb.shape == (32, 32, 3)
    assert valid.all()
    assert rgb.min() < 30 and rgb.max() > 225  # the 12-bit range is stretched, not cut to its high byte


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_every_sample_type_reads_as_the_same_linear_stretch(tmp_path, dtype):
    # 8/16-bit bands go through lookup tables; they must give exactly the float stretch
    rng = np.random.default_rng(1)
    top = 250 if dtype == "uint8" else 4000
    data = rng.integers(5, top, (3, 40, 40)).astype(dtype)
    data[:, :4, :4] = 0
    scene = open_scene(write_raster(tmp_path / f"{dtype}.tif", data, nodata=0))
    with scene_reader(scene) as src:
        rgb, valid = read_rgb(src, scene, Window(0, 0, 40, 40), (40, 40))
    expected = stretch_uint8(data.astype(np.float32), scene.stretch_lo, scene.stretch_hi).transpose(1, 2, 0)
    expected[:4, :4] = 0
    assert not valid[:4, :4].any() and valid.sum() == 40 * 40 - 16
    np.testing.assert_array_equal(rgb, expected)


def test_nodata_pixels_are_masked(tmp_path):
    data = np.full((3, 16, 16), 100, np.uint8)
    data[:, :, :8] = 0
    p = write_raster(tmp_path / "nd.tif", data, nodata=0)
    scene = open_scene(p)
    with scene_reader(scene) as src:
        rgb, valid = read_rgb(src, scene, Window(0, 0, 16, 16), (16, 16))
    assert not valid[:, :8].any() and valid[:, 8:].all()
    assert (rgb[:, :8] == 0).all()


def gdal_cache_max_bytes() -> int:
    """GDAL's block cache limit in this process, as GDAL itself reports it."""
    import ctypes
    import ctypes.util
    import glob

    libs = glob.glob(rasterio.__path__[0] + ".libs/libgdal*.so*") or [ctypes.util.find_library("gdal")]
    if not libs or not libs[0]:
        pytest.skip("libgdal not found to ask its cache size")
    lib = ctypes.CDLL(libs[0])
    lib.GDALGetCacheMax64.restype = ctypes.c_int64
    return lib.GDALGetCacheMax64()


def test_scene_reads_keep_a_working_block_cache(tmp_path):
    # regression: GDAL_CACHEMAX=64 in rasterio.Env means 64 bytes, so every windowed read decoded its blocks again
    path = write_raster(
        tmp_path / "s.tif", np.zeros((3, 64, 64), np.uint8), "EPSG:32653", from_origin(500000, 4700000, 1, 1)
    )
    with scene_reader(open_scene(path, datetime(2024, 5, 1, tzinfo=timezone.utc))):
        assert 16 * 2**20 <= gdal_cache_max_bytes() <= 256 * 2**20


# ------------------------------------------------------------------------------------------- a scene's STAC Item


def test_a_given_stac_item_is_used_over_the_sidecar(tmp_path):
    p = write_raster(tmp_path / "s.tif", np.zeros((1, 8, 8), np.uint8))
    (tmp_path / "s.json").write_text(json.dumps({"id": "side", "properties": {"datetime": "2024-03-02T11:00:00Z"}}))
    props = {"datetime": "2024-05-06T07:08:09Z", "view:sun_elevation": 35.5, "view:off_nadir": 12.0, "gsd": 0.55}
    scene = open_scene(p, item=StacItem("from-catalog", props, "catalog.json"))
    assert scene.stac_id == "from-catalog" and scene.scene_id == "s"
    assert scene.acquired == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert scene.view.sun_elevation_deg == 35.5 and scene.view.off_nadir_deg == 12.0
    # a time range (datetime null) is acquired at its start
    ranged = StacItem("r", {"datetime": None, "start_datetime": "2024-05-06T00:00:00Z"}, "r.json")
    assert open_scene(p, item=ranged).acquired == datetime(2024, 5, 6, tzinfo=timezone.utc)


def test_an_item_fills_in_the_crs_and_geotransform_a_raster_lacks(tmp_path):
    p = write_raster(tmp_path / "bare.tif", np.zeros((1, 16, 16), np.uint8), crs=None)
    props = {"proj:epsg": 32653, "proj:transform": [0.5, 0, 500000, 0, -0.5, 4730000, 0, 0, 1], "proj:shape": [16, 16]}
    scene = open_scene(p, item=StacItem("bare", props, "bare.json"))
    assert scene.crs.to_epsg() == 32653 and scene.transform == from_origin(500000, 4730000, 0.5, 0.5)
    assert scene.gsd_m == pytest.approx(0.5, rel=0.002)
    code = open_scene(p, item=StacItem("bare", dict(props, **{"proj:code": "EPSG:32654"}), "bare.json"))
    assert code.crs.to_epsg() == 32654  # proj:code (projection extension v2) before proj:epsg


@pytest.mark.parametrize(
    "props, words",
    [
        ({"proj:shape": [32, 16]}, "proj:shape [32, 16] but s.tif is 16 x 16"),
        ({"gsd": 5.0}, "gsd 5 m but the raster's grid is 0.5 m"),
        ({"gsd": 0.25}, "gsd 0.25 m but"),  # the full resolution of which this is an overview
        ({"gsd": "half a metre"}, "gsd must be a positive number"),
        ({"proj:transform": [1, 2, 3]}, "proj:transform must be a list of 6 or 9 numbers"),
        ({"datetime": 20240101}, "datetime must be an ISO 8601 string"),
    ],
)
def test_an_item_that_describes_another_raster_is_a_one_line_error(tmp_path, props, words):
    p = write_raster(tmp_path / "s.tif", np.zeros((1, 16, 16), np.uint8))
    with pytest.raises(TankerwatchError) as e:
        open_scene(p, item=StacItem("x", props, "items.json"))
    assert words in str(e.value) and str(e.value).startswith("items.json") and "\n" not in str(e.value)


def test_an_item_gsd_a_resampled_or_off_nadir_product_differs_by_is_accepted(tmp_path):
    p = write_raster(tmp_path / "s.tif", np.zeros((1, 16, 16), np.uint8))
    for nominal_m in (0.31, 0.8):  # a 0.31 m sensor delivered at 0.5 m; 0.5 m pixels of a 0.8 m look far off nadir
        assert open_scene(p, item=StacItem("x", {"gsd": nominal_m}, "i.json")).gsd_m == pytest.approx(0.5, rel=0.002)
