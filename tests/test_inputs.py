"""Scene inputs: files, folders, globs, STAC Items/ItemCollections/Catalogs, sidecars; RPC-only scenes end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.rpc import RPC

from tankerwatch.datasets.scene import RpcOrtho, open_scene
from tankerwatch.datasets.synth import ShipSpec, generate_scene, write_scene
from tankerwatch.geo import pixels_to_lonlat, to_lonlat_transformer
from tankerwatch.inference import pipeline
from tankerwatch.inference.inputs import SceneInput, find_scenes
from tankerwatch.inference.pipeline import run_batch
from tankerwatch.schema import TankerwatchError
from tests.conftest import small_spec
from tests.test_pipeline import context, perfect_detector  # noqa: F401  (fixtures)

ITEM_TIME = "2024-06-01T03:04:05Z"  # differs from the synthetic sidecar's time: shows which one was read


def tiny_raster(path: Path) -> Path:
    """A 4 x 4 georeferenced GeoTIFF (find_scenes only looks at names; open_scene can read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(driver="GTiff", width=4, height=4, count=1, dtype="uint8", crs="EPSG:32653")
    with rasterio.open(path, "w", **profile, transform=rasterio.transform.from_origin(340000, 4735000, 1, 1)) as d:
        d.write(np.full((1, 4, 4), 7, np.uint8))
    return path


def stac_item(item_id: str, href: str, **props) -> dict:
    """A minimal STAC Item whose one asset is href (relative to the Item's file)."""
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": None,
        "properties": {"datetime": ITEM_TIME, **props},
        "links": [],
        "assets": {"image": {"href": href, "type": "image/tiff; application=geotiff", "roles": ["data"]}},
    }


def write_catalog(root: Path, items: dict[str, dict]) -> Path:
    """A self-contained STAC Catalog at root/catalog.json with one folder per Item (items: folder -> Item)."""
    links = [{"rel": "root", "href": "./catalog.json", "type": "application/json"}]
    for folder, item in items.items():
        item = dict(
            item, links=[{"rel": "root", "href": "../catalog.json"}, {"rel": "parent", "href": "../catalog.json"}]
        )
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{item['id']}.json").write_text(json.dumps(item))
        links.append({"rel": "item", "href": f"./{folder}/{item['id']}.json", "type": "application/json"})
    cat = {"type": "Catalog", "stac_version": "1.0.0", "id": "cat", "description": "test", "links": links}
    (root / "catalog.json").write_text(json.dumps(cat))
    return root / "catalog.json"


# ------------------------------------------------------------------------------------------------ files and folders


def test_files_folders_and_globs_give_each_raster_once_in_a_stable_order(tmp_path):
    a, b = tiny_raster(tmp_path / "s" / "b.tif"), tiny_raster(tmp_path / "s" / "a.tif")
    c = tiny_raster(tmp_path / "s" / "sub" / "c.tif")
    tiny_raster(tmp_path / "s" / ".hidden.tif")
    (tmp_path / "s" / "notes.txt").write_text("not a scene")
    folder = tmp_path / "s"
    assert [s.path for s in find_scenes([folder])] == [b, a]  # name order: a.tif, b.tif
    assert [s.path for s in find_scenes([folder], recursive=True)] == [b, a, c]
    assert [s.path for s in find_scenes([str(folder / "*.tif")])] == [b, a]
    assert [s.path for s in find_scenes([str(folder / "**" / "c.tif")])] == [c]
    # the same raster named three ways runs once, where it was first named
    assert [s.path for s in find_scenes([a, folder, str(folder / "?.tif")])] == [a, b]
    # a plain file is taken as given, whatever its suffix (GDAL decides whether it opens)
    assert [s.path for s in find_scenes([folder / "notes.txt"])] == [folder / "notes.txt"]
    assert all(s.item is None and s.rpc == RpcOrtho() for s in find_scenes([folder]))


def test_an_empty_folder_a_missing_path_and_an_unmatched_glob_are_one_line_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("nothing")
    tiny_raster(tmp_path / "deep" / "sub" / "x.tif")
    cases = [
        ([tmp_path / "empty"], "empty: no scene"),
        ([tmp_path / "deep"], "--recursive"),  # the scene is one level down: say where to look
        ([tmp_path / "nope.tif"], "nope.tif: no such file or folder"),
        ([str(tmp_path / "*.jp2")], "the pattern matches no file"),
        ([tmp_path / "deep" / "sub" / "x.tif", tiny_raster(tmp_path / "x.tif")], "same scene id 'x' as"),
    ]
    for inputs, words in cases:
        with pytest.raises(TankerwatchError) as e:
            find_scenes(inputs)
        assert words in str(e.value) and "\n" not in str(e.value)
    assert [s.path.name for s in find_scenes([tmp_path / "deep"], recursive=True)] == ["x.tif"]


def test_a_sidecar_named_next_to_its_scene_is_not_an_input(tmp_path):
    tif = write_scene(generate_scene(small_spec(width_m=100.0, height_m=100.0)), tmp_path / "s", "a")
    side = tif.with_suffix(".json")
    assert [(s.path, s.item) for s in find_scenes([tif, side])] == [(tif, None)]
    assert [(s.path, s.item) for s in find_scenes([str(tmp_path / "s" / "a.*")])] == [(tif, None)]
    # named alone, the same JSON is a STAC Item: it stands for its raster asset, with its properties
    (only,) = find_scenes([side])
    assert only.path == tif and only.item is not None and only.item.id == "synth-a"
    assert only.item.properties["gsd"] == 1.0


# ------------------------------------------------------------------------------------------------------------- STAC


def test_stac_item_collection_and_catalog_resolve_assets_relative_to_the_item(tmp_path):
    a, b = tiny_raster(tmp_path / "data" / "a.tif"), tiny_raster(tmp_path / "data" / "b.tif")
    cat = write_catalog(
        tmp_path / "stac",
        {"i1": stac_item("item-a", "../../data/a.tif", gsd=1.0), "i2": stac_item("item-b", "../../data/b.tif")},
    )
    found = find_scenes([cat])
    assert [s.path for s in found] == [a.resolve(), b.resolve()]
    assert [s.item.id for s in found if s.item] == ["item-a", "item-b"]
    assert found[0].item and found[0].item.properties["gsd"] == 1.0

    coll = {"type": "FeatureCollection", "features": [stac_item("item-b", "data/b.tif")]}
    (tmp_path / "items.json").write_text(json.dumps(coll))
    (item,) = find_scenes([tmp_path / "items.json"])
    assert item.path == b.resolve() and item.item and item.item.properties["datetime"] == ITEM_TIME

    (tmp_path / "one.json").write_text(json.dumps(stac_item("item-a", "./data/a.tif")))
    assert [s.path for s in find_scenes([tmp_path / "one.json", a])] == [a.resolve()]  # de-duplicated


def test_a_stac_item_without_a_local_raster_is_skipped_with_a_warning_naming_it(tmp_path):
    tiny_raster(tmp_path / "a.tif")
    meta = stac_item("meta-only", "a.xml")
    meta["assets"] = {"metadata": {"href": "a.xml", "type": "application/xml", "roles": ["metadata"]}}
    items = [meta, stac_item("remote", "https://example.com/a.tif"), stac_item("good", "a.tif")]
    (tmp_path / "items.json").write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    said: list[str] = []
    found = find_scenes([tmp_path / "items.json"], warn=said.append)
    assert [s.item.id for s in found if s.item] == ["good"]
    assert len(said) == 2 and "'meta-only'" in said[0] and "'remote'" in said[1]
    assert all("skipped" in m and "\n" not in m for m in said)


def test_a_stac_catalog_of_two_generated_scenes_runs_end_to_end(
    tmp_path,
    monkeypatch,
    one_tanker_ship,
    perfect_detector,  # noqa: F811 (the fixture imported above)
):
    from tankerwatch import cli

    scenes = tmp_path / "scenes"
    for name, seed in (("cat_a", 3), ("cat_b", 4)):
        write_scene(
            generate_scene(small_spec(seed=seed, land=False, ships=[one_tanker_ship], n_tankers=0, n_others=0)),
            scenes,
            name,
        )
    cat = write_catalog(
        tmp_path / "stac",
        {n: stac_item(f"item-{n}", f"../../scenes/{n}.tif", gsd=1.0) for n in ("cat_a", "cat_b")},
    )
    monkeypatch.setattr("tankerwatch.models.detector.load_detector", lambda *a, **k: object())
    fast = ["--set", "stages.water_mask=false", "--set", "stages.ship_type=false"]
    out = tmp_path / "out"
    res = CliRunner().invoke(cli.main, ["run", str(cat), "--out", str(out), *fast])
    assert res.exit_code == 0, res.output
    assert "2 scene(s) done, 0 skipped, 0 failed" in res.output
    for name in ("cat_a", "cat_b"):
        feats = json.loads((out / "detections" / f"{name}.geojson").read_text())["features"]
        (tanker,) = [f["properties"] for f in feats if f["properties"]["class"] == "tanker"]
        assert tanker["acquired"].startswith("2024-06-01T03:04:05")  # the Item's datetime, not the sidecar's
        assert tanker["length_m"] == pytest.approx(120.0, rel=0.03)


def test_the_cli_says_when_a_folder_holds_no_scene(tmp_path):
    from tankerwatch import cli

    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(cli.main, ["run", str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "empty: no scene" in res.output


# -------------------------------------------------------------------------------------------------- RPC-only scenes


def write_rpc_copy(tif: Path, dst: Path, px_per_m_height: float = 0.0, transposed: bool = False) -> Path:
    """A copy of a scene with no CRS or geotransform, only RPCs that reproduce its grid (a quadratic fit of
    pixel centres to lon/lat; px_per_m_height columns of parallax per metre of ground height, as off-nadir).
    transposed: the copy's rows are the scene's columns, as a sensor scanning across it would see it."""
    with rasterio.open(tif) as src:
        data, profile, transform, crs = src.read(), src.profile, src.transform, src.crs
    cols, rows = (g.ravel() for g in np.meshgrid(np.linspace(0, src.width, 9), np.linspace(0, src.height, 9)))
    lon, lat = pixels_to_lonlat(transform, to_lonlat_transformer(crs), cols.tolist(), rows.tolist())
    if transposed:
        data, cols, rows = data.transpose(0, 2, 1), rows, cols
        profile.update(width=src.height, height=src.width)
    w, h = profile["width"], profile["height"]
    lon0, lat0, lon_s, lat_s = lon.mean(), lat.mean(), np.ptp(lon) / 2, np.ptp(lat) / 2
    x, y = (lon - lon0) / lon_s, (lat - lat0) / lat_s
    terms = np.stack([np.ones_like(x), x, y, x * y, x * x, y * y], axis=1)  # RPC00B terms 1, L, P, LP, L2, P2

    def coefficients(target: np.ndarray) -> list[float]:
        out = np.zeros(20)
        out[[0, 1, 2, 4, 7, 8]] = np.linalg.lstsq(terms, target, rcond=None)[0]
        return out.tolist()

    height_scale = 100.0
    samp = coefficients((cols - 0.5 - w / 2) / (w / 2))  # RPC line/sample count from the first pixel's centre
    samp[3] = px_per_m_height * height_scale / (w / 2)  # the H term
    rpc = RPC(
        height_off=0.0,
        height_scale=height_scale,
        lat_off=lat0,
        lat_scale=lat_s,
        line_den_coeff=[1.0] + [0.0] * 19,
        line_num_coeff=coefficients((rows - 0.5 - h / 2) / (h / 2)),
        line_off=h / 2,
        line_scale=h / 2,
        long_off=lon0,
        long_scale=lon_s,
        samp_den_coeff=[1.0] + [0.0] * 19,
        samp_num_coeff=samp,
        samp_off=w / 2,
        samp_scale=w / 2,
    )
    for key in ("crs", "transform"):
        profile.pop(key)
    with rasterio.open(dst, "w", **profile, rpcs=rpc) as out:
        out.write(data)
    return dst


def test_an_rpc_only_scene_is_orthorectified_and_measures_as_the_original(
    tmp_path,
    monkeypatch,
    context,  # noqa: F811 (the fixture imported above)
    perfect_detector,  # noqa: F811
):
    monkeypatch.setenv("TANKERWATCH_HOME", str(tmp_path / "home"))
    ships = [
        ShipSpec("crude_tanker", 250.0, 44.0, 200.0, 90.0, 90.0),
        ShipSpec("product_tanker", 120.0, 18.0, 200.0, 260.0, 30.0),
    ]
    tif = write_scene(
        generate_scene(small_spec(gsd_m=0.5, land=False, ships=ships, n_tankers=0, n_others=0)), tmp_path, "geo"
    )
    rpc_tif = write_rpc_copy(tif, tmp_path / "geo_rpc.tif", transposed=True)
    for suffix in (".json", ".truth.geojson"):  # the same STAC sidecar and truth (lon/lat) for the RPC copy
        shutil.copy(tif.with_name("geo" + suffix), tif.with_name("geo_rpc" + suffix))
    with rasterio.open(rpc_tif) as src:
        assert src.crs is None and src.transform.is_identity and src.rpcs is not None

    scene = open_scene(rpc_tif)
    assert scene.scene_id == "geo_rpc" and scene.read_path is not None and scene.read_path.suffix == ".vrt"
    assert scene.crs.to_epsg() == 32653 and scene.gsd_m == pytest.approx(0.5, rel=0.01)
    assert open_scene(rpc_tif).read_path == scene.read_path  # the orthorectified VRT is cached

    results = run_batch([tif, SceneInput(rpc_tif)], context)
    assert [r.status for r in results] == ["done", "done"], [r.reason for r in results]
    lengths = {}
    for name in ("geo", "geo_rpc"):
        feats = json.loads((context.out_dir / "detections" / f"{name}.geojson").read_text())["features"]
        lengths[name] = sorted(f["properties"]["length_m"] for f in feats if f["properties"]["class"] == "tanker")
    assert len(lengths["geo"]) == len(lengths["geo_rpc"]) == 2
    print("tanker lengths (m):", lengths)
    for a, b in zip(lengths["geo"], lengths["geo_rpc"], strict=True):
        assert b == pytest.approx(a, rel=0.03)
    assert lengths["geo"] == pytest.approx([120.0, 250.0], rel=0.06)  # sane; accuracy is test_measure's


def test_rpc_height_and_a_dem_move_the_orthorectified_grid_as_the_parallax_says(tmp_path, monkeypatch):
    monkeypatch.setenv("TANKERWATCH_HOME", str(tmp_path / "home"))
    tif = write_scene(generate_scene(small_spec(width_m=200.0, height_m=200.0, n_tankers=0, n_others=0)), tmp_path, "p")
    rpc_tif = write_rpc_copy(tif, tmp_path / "p_rpc.tif", px_per_m_height=0.1)  # 10 m of height: 1 column
    flat = open_scene(rpc_tif, rpc=RpcOrtho(0.0))
    high = open_scene(rpc_tif, rpc=RpcOrtho(20.0))
    dem_path = tmp_path / "Dem Heights.tif"  # mixed case and a space: the path must reach GDAL as written
    with rasterio.open(
        dem_path,
        "w",
        driver="GTiff",
        width=8,
        height=8,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=rasterio.transform.from_bounds(132.9, 42.6, 133.2, 42.9, 8, 8),
    ) as d:
        d.write(np.full((1, 8, 8), 20.0, np.float32))
    dem = open_scene(rpc_tif, rpc=RpcOrtho(0.0, dem_path))
    assert len({flat.read_path, high.read_path, dem.read_path}) == 3  # one cached VRT per way of orthorectifying
    # ground 20 m up shows 2 columns east in the image, so the image's footprint lies 2 m (2 pixels) west
    assert high.transform.c - flat.transform.c == pytest.approx(-2.0, abs=0.05)
    assert high.transform.f == pytest.approx(flat.transform.f, abs=0.05)
    assert dem.transform.c == pytest.approx(flat.transform.c, abs=0.05)  # the grid is laid out at --rpc-height
    # ... but its pixels are read through the DEM: its 20 m puts them where --rpc-height 20 does, 2 columns west
    with rasterio.open(high.read_path) as hi, rasterio.open(dem.read_path) as dm:
        b = hi.read(1, window=rasterio.windows.Window(40, 40, 100, 100)).astype(float)
        c = dm.read(1, window=rasterio.windows.Window(38, 40, 100, 100)).astype(float)
        flat_read = dm.read(1, window=rasterio.windows.Window(40, 40, 100, 100)).astype(float)
    assert np.abs(b - c).mean() < 0.25 * np.abs(b - flat_read).mean()


def test_run_passes_recursive_rpc_height_and_dem_to_the_batch(tmp_path, monkeypatch):
    from tankerwatch import cli

    nested = tiny_raster(tmp_path / "archive" / "2024-05" / "n.tif")
    dem = tiny_raster(tmp_path / "dem.tif")
    batches: list = []
    monkeypatch.setattr(pipeline, "load_context", lambda *a, **k: SimpleNamespace())  # a context the bars can attach to
    monkeypatch.setattr(pipeline, "run_batch", lambda scenes, ctx, progress: batches.append(scenes) or [])
    args = ["run", str(tmp_path / "archive"), "--out", str(tmp_path / "o"), "--recursive"]
    res = CliRunner().invoke(cli.main, [*args, "--rpc-height", "12.5", "--dem", str(dem)])
    assert res.exit_code == 0, res.output
    (scenes,) = batches
    assert [(s.path, s.rpc) for s in scenes] == [(nested, RpcOrtho(12.5, dem))]
    res = CliRunner().invoke(cli.main, args[:-1])  # without --recursive the folder holds no scene
    assert res.exit_code == 2 and "--recursive" in res.output
