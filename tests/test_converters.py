"""Label-format converters: DOTA, YOLO-OBB, YOLO HBB, HRSC2016, FAIR1M and xView into YOLO-OBB chips at working GSD."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from tankerwatch.cli import main
from tankerwatch.datasets.convert import (
    ImageLabels,
    class_map_with,
    convert_dataset,
    convert_image,
    find_images,
    image_size,
    load_labels,
    read_dota,
    read_fair1m,
    read_hrsc,
    read_xview,
    read_yolo_hbb,
    read_yolo_obb,
)
from tankerwatch.schema import SHIP_CLASSES, TankerwatchError
from tests.conftest import REALWORLD
from tests.test_scene import write_raster

IMAGERY = REALWORLD / "imagery"
DOTA_V1_NAMES = dict(
    enumerate(
        [
            "plane",
            "ship",
            "storage tank",
            "baseball diamond",
            "tennis court",
            "basketball court",
            "ground track field",
            "harbor",
            "bridge",
            "large vehicle",
            "small vehicle",
            "helicopter",
            "roundabout",
            "soccer ball field",
            "swimming pool",
        ]
    )
)

# An HRSC2016 annotation as the dataset ships it (fields and the second object's geometry from HRSC 100000001).
HRSC_XML = """<?xml version="1.0" encoding="utf-8"?>
<HRSC_Image>
  <Img_ID>100000001</Img_ID>
  <Place_ID>100000001</Place_ID>
  <Source_ID>100000001</Source_ID>
  <Img_NO>100000001</Img_NO>
  <Img_FileName>100000001</Img_FileName>
  <Img_FileFmt>bmp</Img_FileFmt>
  <Img_Date>2014-07-01</Img_Date>
  <Img_CusType>sealand</Img_CusType>
  <Img_Des></Img_Des>
  <Img_Location>69.040297,33.070036</Img_Location>
  <Img_SizeWidth>1166</Img_SizeWidth>
  <Img_SizeHeight>753</Img_SizeHeight>
  <Img_SizeDepth>3</Img_SizeDepth>
  <Img_Resolution>1.07</Img_Resolution>
  <Img_Resolution_Layer>18</Img_Resolution_Layer>
  <Img_Scale>100</Img_Scale>
  <segmented>0</segmented>
  <Img_Havemask>0</Img_Havemask>
  <Img_Rotation>090d</Img_Rotation>
  <Annotated>1</Annotated>
  <HRSC_Objects>
    <HRSC_Object>
      <Object_ID>100000001</Object_ID>
      <Class_ID>100000004</Class_ID>
      <Object_NO>100000001</Object_NO>
      <truncated>0</truncated>
      <difficult>0</difficult>
      <box_xmin>40</box_xmin>
      <box_ymin>50</box_ymin>
      <box_xmax>160</box_xmax>
      <box_ymax>70</box_ymax>
      <mbox_cx>100</mbox_cx>
      <mbox_cy>60</mbox_cy>
      <mbox_w>120</mbox_w>
      <mbox_h>20</mbox_h>
      <mbox_ang>0</mbox_ang>
      <segmented>0</segmented>
      <seg_color></seg_color>
      <header_x>160</header_x>
      <header_y>60</header_y>
    </HRSC_Object>
    <HRSC_Object>
      <Object_ID>100000002</Object_ID>
      <Class_ID>100000013</Class_ID>
      <Object_NO>100000002</Object_NO>
      <truncated>0</truncated>
      <difficult>0</difficult>
      <box_xmin>194</box_xmin>
      <box_ymin>243</box_ymin>
      <box_xmax>972</box_xmax>
      <box_ymax>507</box_ymax>
      <mbox_cx>582.9349</mbox_cx>
      <mbox_cy>353.2006</mbox_cy>
      <mbox_w>778.1303</mbox_w>
      <mbox_h>174.2541</mbox_h>
      <mbox_ang>-0.2144308</mbox_ang>
      <segmented>0</segmented>
      <seg_color></seg_color>
      <header_x>964</header_x>
      <header_y>290</header_y>
    </HRSC_Object>
  </HRSC_Objects>
</HRSC_Image>
"""


def fair1m_object(name: str, points: list[tuple[float, float]]) -> str:
    """One FAIR1M <object> as the v1.0 label XMLs have it (the point list closes on its first point)."""
    pts = "".join(f"\n\t\t\t\t<point>{x:.6f},{y:.6f}</point>" for x, y in [*points, points[0]])
    return f"""
\t\t<object>
\t\t\t<coordinate>pixel</coordinate>
\t\t\t<type>rectangle</type>
\t\t\t<description>None</description>
\t\t\t<possibleresult>
\t\t\t\t<name>{name}</name>
\t\t\t</possibleresult>
\t\t\t<points>{pts}
\t\t\t</points>
\t\t</object>"""


def fair1m_xml(objects: str, width: int = 400, height: int = 300) -> str:
    """A FAIR1M v1.0 label XML (header fields as in train/part1) around the given <object> elements."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<annotation>
\t<source>
\t\t<filename>1027.tif</filename>
\t\t<origin>GF2/GF3</origin>
\t</source>
\t<research>
\t\t<version>1.0</version>
\t\t<provider>FAIR1M</provider>
\t\t<author>Cyber</author>
\t\t<pluginname>FAIR1M</pluginname>
\t\t<pluginclass>object detection</pluginclass>
\t\t<time>2021-07-21</time>
\t</research>
\t<size>
\t\t<width>{width}</width>
\t\t<height>{height}</height>
\t\t<depth>3</depth>
\t</size>
\t<objects>{objects}
\t</objects>
</annotation>
"""


# a tanker, a cargo ship, an "other-ship" and a fishing boat, plus objects that are not ships
FAIR1M_OBJECTS = "".join(
    [
        fair1m_object("Liquid Cargo Ship", [(100, 50), (300, 60), (298, 100), (98, 90)]),
        fair1m_object("Small Car", [(10, 10), (18, 10), (18, 14), (10, 14)]),
        fair1m_object("Dry Cargo Ship", [(50, 200), (50, 150), (70, 150), (70, 200)]),
        fair1m_object("Bridge", [(0, 250), (400, 250), (400, 270), (0, 270)]),
        fair1m_object("other-ship", [(320, 200), (360, 200), (360, 210), (320, 210)]),
        fair1m_object("Fishing Boat", [(200, 220), (215, 220), (215, 225), (200, 225)]),
        fair1m_object("Intersection", [(300, 280), (320, 280), (320, 300), (300, 300)]),
    ]
)


def xview_feature(image_id: str, type_id: int, bounds: str, feature_id: int) -> dict:
    """One xView label as the dataset's GeoJSON has it (pixel bounds in properties, lon/lat geometry)."""
    return {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-65.66, 18.46], [-65.66, 18.47], [-65.65, 18.47], [-65.65, 18.46], [-65.66, 18.46]]],
        },
        "properties": {
            "bounds_imcoords": bounds,
            "edited_by": "wwoscarbecerril",
            "cat_id": feature_id % 97,
            "type_id": type_id,
            "ingest_time": "2017/07/24 12:49:09.118+00",
            "index_right": 2356,
            "image_id": image_id,
            "point_geom": "0101000020E6100000F1B2A6E4C0A950C0F6B3E5B5FA753240",
            "feature_id": feature_id,
            "grid_file": "Grid2.shp",
        },
    }


def needs_realworld(path: Path) -> Path:
    """A real sample, or skip the test where the reference data is absent."""
    if not path.exists():
        pytest.skip(f"real-world sample {path} not present")
    return path


def round_trip(tmp_path: Path, image: Path, labels: ImageLabels, gsd_m: float) -> tuple[ImageLabels, int]:
    """Write labels as YOLO-OBB at the native GSD, one chip covering the image, and read them back."""
    chip = max(image_size(image))
    assert convert_image(image, labels, tmp_path / "ds", "train", gsd_m=gsd_m, working_gsd_m=gsd_m, chip_px=chip) == 1
    label_file = tmp_path / "ds" / "labels" / "train" / f"{image.stem}_000.txt"
    return read_yolo_obb(label_file, (chip, chip), dict(enumerate(SHIP_CLASSES))), chip


def assert_same_boxes(original: ImageLabels, back: ImageLabels, chip: int) -> None:
    """Hulls inside the chip come back with the same corners within 1 px; hulls across its edge come back clipped."""
    assert len(back.boxes) == len(original.boxes)
    frame = box(0, 0, chip, chip)
    for a, b in zip(original.boxes, back.boxes, strict=True):
        assert b.class_name == a.class_name
        if np.all((a.corners_px >= 0) & (a.corners_px <= chip)):
            np.testing.assert_allclose(b.corners_px, a.corners_px, atol=1.0)
        else:
            visible = Polygon(a.corners_px).intersection(frame)
            got = Polygon(b.corners_px)
            assert np.all((b.corners_px >= -1e-3) & (b.corners_px <= chip + 1e-3))
            assert got.intersection(visible).area / got.union(visible).area > 0.8


def read_dataset_labels(out_dir: Path, split: str = "train") -> list[list[str]]:
    """All label rows of a dataset split, split into fields."""
    return [
        line.split()
        for f in sorted((out_dir / "labels" / split).glob("*.txt"))
        for line in f.read_text().splitlines()
        if line
    ]


def assert_valid_dataset(data_yaml: Path, split: str = "train") -> list[list[str]]:
    """data.yaml loads and names the project classes; every label row has 9 fields with values in [0, 1]."""
    data = yaml.safe_load(data_yaml.read_text())
    assert data["names"] == dict(enumerate(SHIP_CLASSES)) and (Path(data["path"]) / data[split]).is_dir()
    images = sorted((data_yaml.parent / "images" / split).glob("*.jpg"))
    labels = sorted((data_yaml.parent / "labels" / split).glob("*.txt"))
    assert images and [p.stem for p in images] == [p.stem for p in labels]
    rows = read_dataset_labels(data_yaml.parent, split)
    assert all(len(r) == 9 and r[0] in ("0", "1") for r in rows)
    assert all(0.0 <= float(v) <= 1.0 for r in rows for v in r[1:])
    return rows


# --- real samples -------------------------------------------------------------------------------------------------


def test_dota_labeltxt_ships_and_header_gsd():
    labels = read_dota(needs_realworld(IMAGERY / "dota_devkit" / "labelTxt" / "P0706.txt"))
    assert labels.gsd_m == pytest.approx(0.2556, abs=1e-4)
    assert len(labels.boxes) == 531  # the 5 harbors are dropped
    assert {b.source_class for b in labels.boxes} == {"ship"} and {b.class_name for b in labels.boxes} == {"vessel"}
    np.testing.assert_allclose(labels.boxes[0].corners_px, [[1054, 1028], [1063, 1011], [1111, 1040], [1112, 1062]])


def test_dota_round_trip_at_native_gsd(tmp_path):
    labels = read_dota(needs_realworld(IMAGERY / "dota_devkit" / "labelTxt" / "P0706.txt"))
    back, chip = round_trip(tmp_path, IMAGERY / "dota_devkit" / "images" / "P0706.png", labels, labels.gsd_m)
    assert_same_boxes(labels, back, chip)


def test_yolo_obb_dota8_round_trip(tmp_path):
    image = needs_realworld(IMAGERY / "dota8" / "images" / "P0861__1024__0___1648.jpg")
    labels = read_yolo_obb(IMAGERY / "dota8" / "labels" / f"{image.stem}.txt", image_size(image), DOTA_V1_NAMES)
    assert len(labels.boxes) == 105 and {b.source_class for b in labels.boxes} == {"ship"}
    back, chip = round_trip(tmp_path, image, labels, 0.25)  # GSD not recorded: any value, as working = source
    assert_same_boxes(labels, back, chip)


def test_yolo_hbb_shiprsimagenet_round_trip(tmp_path):
    root = needs_realworld(IMAGERY / "shiprsimagenet_sdde")
    images = find_images(root / "images")
    all_labels = load_labels(images, root / "labels", "yolo-hbb")  # class names from classes.txt beside the labels
    assert len(images) == 30 and sum(len(lab.boxes) for lab in all_labels) == 370  # the 2 docks are dropped
    for image, labels in zip(images, all_labels, strict=True):
        back, chip = round_trip(tmp_path / image.stem, image, labels, 0.3)
        assert_same_boxes(labels, back, chip)


def test_converted_real_dataset_at_working_gsd_is_valid(tmp_path):
    root = needs_realworld(IMAGERY / "dota_devkit")
    images = find_images(root / "images")
    data_yaml = convert_dataset(
        images, load_labels(images, root / "labelTxt", "dota"), tmp_path / "ds", "train", working_gsd_m=1.0, chip_px=256
    )
    rows = assert_valid_dataset(data_yaml)
    # 1111 x 1182 px at 0.2556 m is 284 x 302 px at 1 m: four overlapping 256 px chips
    assert cv2.imread(str(next((tmp_path / "ds" / "images" / "train").glob("*.jpg")))).shape == (256, 256, 3)
    assert len(list((tmp_path / "ds" / "labels" / "train").glob("*.txt"))) == 4
    assert len(rows) >= 531


# --- generated samples --------------------------------------------------------------------------------------------


def test_hrsc_reader_corners_gsd_and_round_trip(tmp_path):
    xml = tmp_path / "labels" / "100000001.xml"
    xml.parent.mkdir()
    xml.write_text(HRSC_XML)
    labels = read_hrsc(xml)
    assert labels.gsd_m == pytest.approx(1.07) and labels.image_size == (1166, 753)
    assert [b.source_class for b in labels.boxes] == ["100000004", "100000013"]
    assert {b.class_name for b in labels.boxes} == {"vessel"}  # HRSC annotates only ships
    np.testing.assert_allclose(labels.boxes[0].corners_px, [[40, 50], [160, 50], [160, 70], [40, 70]], atol=1e-9)
    # mbox_ang turns the w side from the x axis in pixels (y down): the bow end lies near the annotated header point
    c = labels.boxes[1].corners_px
    assert np.linalg.norm((c[1] + c[2]) / 2 - [964, 290]) < 25
    assert Polygon(c).area == pytest.approx(778.1303 * 174.2541, rel=1e-6)

    image = tmp_path / "images" / "100000001.bmp"
    image.parent.mkdir()
    cv2.imwrite(str(image), np.full((753, 1166, 3), 90, np.uint8))
    back, chip = round_trip(tmp_path, image, labels, labels.gsd_m)
    assert_same_boxes(labels, back, chip)


def test_fair1m_reader_keeps_ship_classes_with_their_four_corners(tmp_path):
    xml = tmp_path / "1027.xml"
    xml.write_text(fair1m_xml(FAIR1M_OBJECTS))
    labels = read_fair1m(xml)
    assert labels.image_size == (400, 300) and labels.gsd_m is None  # FAIR1M records no GSD
    # the car, the bridge and the intersection are dropped; the tanker class is FAIR1M's Liquid Cargo Ship
    assert [(b.source_class, b.class_name) for b in labels.boxes] == [
        ("Liquid Cargo Ship", "tanker"),
        ("Dry Cargo Ship", "vessel"),
        ("other-ship", "vessel"),
        ("Fishing Boat", "vessel"),
    ]
    # four corners in pixels, the closing fifth point dropped, corner order kept
    np.testing.assert_allclose(labels.boxes[0].corners_px, [[100, 50], [300, 60], [298, 100], [98, 90]])
    np.testing.assert_allclose(labels.boxes[1].corners_px, [[50, 200], [50, 150], [70, 150], [70, 200]])
    assert all(b.corners_px.shape == (4, 2) for b in labels.boxes)
    mapped = read_fair1m(xml, class_map_with(["Fishing Boat=none"]))
    assert [b.source_class for b in mapped.boxes] == ["Liquid Cargo Ship", "Dry Cargo Ship", "other-ship"]


@pytest.mark.parametrize(
    "objects, message",
    [
        (fair1m_object("Motorboat", [(1, 1), (5, 1), (5, 3)]), r"object 1: expected 4 <point> corners"),
        (
            fair1m_object("Motorboat", [(1, 1), (5, 1), (5, 3), (1, 3)]).replace("5.000000,1.000000", "5.0;1.0"),
            r"object 1: <point> must be 'x,y'",
        ),
        (
            fair1m_object("Tugboat", [(1, 1), (5, 1), (5, 3), (1, 3)]).replace("<name>Tugboat</name>", ""),
            r"object 1: no <possibleresult><name>",
        ),
    ],
)
def test_fair1m_bad_object_names_file_and_object(tmp_path, objects, message):
    xml = tmp_path / "7.xml"
    xml.write_text(fair1m_xml(objects))
    with pytest.raises(TankerwatchError, match=r"7\.xml: " + message):
        read_fair1m(xml)


def test_cli_convert_fair1m(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labelXml").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "1027.jpg"), np.full((300, 400, 3), 70, np.uint8))
    (tmp_path / "labelXml" / "1027.xml").write_text(fair1m_xml(FAIR1M_OBJECTS))
    out = tmp_path / "ds"
    result = CliRunner().invoke(
        main,
        [
            "dataset",
            "convert",
            str(tmp_path / "images"),
            str(tmp_path / "labelXml"),
            "--format",
            "fair1m",
            "--gsd",
            "0.5",
            "--out",
            str(out),
            "--chip",
            "256",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 image(s), 4 ship(s)" in result.output
    rows = assert_valid_dataset(out / "data.yaml")
    # 400 x 300 px at 0.5 m is 200 x 150 px at 1 m: one 256 px chip with the 4 ships, the tanker as class 0
    assert sorted(r[0] for r in rows) == ["0", "1", "1", "1"]


def test_fair1m_labels_for_another_image_size_are_refused(tmp_path):
    xml = tmp_path / "1027.xml"
    xml.write_text(fair1m_xml(FAIR1M_OBJECTS))
    image = tmp_path / "1027.png"
    cv2.imwrite(str(image), np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(TankerwatchError, match="1027.png.*100x100.*400x300"):
        convert_image(image, read_fair1m(xml), tmp_path / "ds", "train", gsd_m=0.5)


def test_fair1m_real_tiles_parse(tmp_path):
    root = needs_realworld(IMAGERY / "fair1m_part1")
    images = find_images(root / "images")
    labels = load_labels(images, root / "labelXml", "fair1m")
    assert len(images) == 41 and sum(len(lab.boxes) for lab in labels) == 735  # README A4: 735 ship-class objects
    assert sum(b.class_name == "tanker" for lab in labels for b in lab.boxes) == 14  # Liquid Cargo Ship
    assert all(lab.image_size == image_size(p) for p, lab in zip(images, labels, strict=True))


def test_hrsc_labels_for_another_image_size_are_refused(tmp_path):
    xml = tmp_path / "100000001.xml"
    xml.write_text(HRSC_XML)
    image = tmp_path / "100000001.png"
    cv2.imwrite(str(image), np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(TankerwatchError, match="100000001.png.*100x100.*1166x753"):
        convert_image(image, read_hrsc(xml), tmp_path / "ds", "train")


def test_xview_ship_types_map_and_gsd_from_georeferencing(tmp_path):
    geojson = tmp_path / "xView_train.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    xview_feature("104.tif", 52, "100,60,180,90", 1),  # Oil Tanker
                    xview_feature("104.tif", 40, "20,200,60,215", 2),  # Maritime Vessel
                    xview_feature("104.tif", 73, "300,10,340,50", 3),  # Building: not a ship
                    xview_feature("2355.tif", 51, "5,5,50,20", 4),  # Container Ship, on an image we do not have
                ],
            }
        )
    )
    by_image = read_xview(geojson)
    assert sorted(by_image) == ["104", "2355"]
    assert [(b.source_class, b.class_name) for b in by_image["104"].boxes] == [
        ("Oil Tanker", "tanker"),
        ("Maritime Vessel", "vessel"),
    ]
    np.testing.assert_allclose(by_image["104"].boxes[0].corners_px, [[100, 60], [180, 60], [180, 90], [100, 90]])

    images_dir = tmp_path / "images"
    images_dir.mkdir()
    write_raster(
        images_dir / "104.tif", np.full((3, 300, 400), 70, np.uint8), transform=from_origin(500000, 4730000, 0.5, 0.5)
    )
    images = find_images(images_dir)
    data_yaml = convert_dataset(
        images, load_labels(images, geojson, "xview"), tmp_path / "ds", "train", working_gsd_m=1.0, chip_px=128
    )
    rows = assert_valid_dataset(data_yaml)
    # 400 x 300 px at 0.5 m (from the GeoTIFF) is 200 x 150 px at 1 m; the tanker is 40 x 15 px in chip (0, 0)
    first_chip = (tmp_path / "ds" / "labels" / "train" / "104_000.txt").read_text().splitlines()
    (tanker,) = [r.split() for r in first_chip if r.startswith("0 ")]
    np.testing.assert_allclose(np.array(tanker[1:], float) * 128, [50, 30, 90, 30, 90, 45, 50, 45], atol=0.01)
    assert {r[0] for r in rows} == {"0", "1"}


def test_yolo_hbb_class_map_is_configurable(tmp_path):
    label = tmp_path / "t.txt"
    label.write_text("0 0.5 0.5 0.2 0.1\n1 0.25 0.25 0.1 0.1\n2 0.75 0.75 0.1 0.1\n3 0.1 0.9 0.05 0.05\n")
    names = {0: "naval", 1: "Merchant", 2: "dock", 3: "other_vessel"}
    default = read_yolo_hbb(label, (200, 100), names)
    assert [(b.source_class, b.class_name) for b in default.boxes] == [
        ("naval", "vessel"),
        ("Merchant", "vessel"),
        ("other_vessel", "vessel"),
    ]
    np.testing.assert_allclose(default.boxes[0].corners_px, [[80, 45], [120, 45], [120, 55], [80, 55]])
    mapped = read_yolo_hbb(label, (200, 100), names, class_map_with(["Merchant=tanker", "naval=none"]))
    assert [(b.source_class, b.class_name) for b in mapped.boxes] == [
        ("Merchant", "tanker"),
        ("other_vessel", "vessel"),
    ]
    only = read_yolo_hbb(label, (200, 100), names, {"dock": "vessel"})  # a given dict replaces the default map
    assert [b.source_class for b in only.boxes] == ["dock"]
    with pytest.raises(TankerwatchError, match="--map 'Merchant=ship'"):
        class_map_with(["Merchant=ship"])


@pytest.mark.parametrize(
    "reader, text, message",
    [
        (
            lambda p: read_dota(p),
            "gsd:0.5\n10 10 20 10 20 15 10 15 ship 0\n10 10 20 10 20 ship 0\n",
            r"bad\.txt:3: expected",
        ),
        (lambda p: read_dota(p), "10 10 20 10 20 15 10 x ship 0\n", r"bad\.txt:1: .*not a number"),
        (
            lambda p: read_yolo_obb(p, (100, 100), {0: "ship"}),
            "0 .1 .1 .2 .1 .2 .2 .1 .2\n\n0 .1 .1\n",
            r"bad\.txt:3: expected",
        ),
        (lambda p: read_yolo_hbb(p, (100, 100), {0: "ship"}), "5 .5 .5 .1 .1\n", r"bad\.txt:1: class '5'"),
    ],
)
def test_bad_label_line_names_file_and_line(tmp_path, reader, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(TankerwatchError, match=message):
        reader(path)


def write_dota_sample(root: Path, lines: str) -> tuple[Path, Path]:
    """A 240 x 200 px image at 0.5 m and its DOTA labelTxt."""
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    cv2.imwrite(str(root / "images" / "P0001.png"), np.full((200, 240, 3), 60, np.uint8))
    (root / "labelTxt" / "P0001.txt").write_text("imagesource:GoogleEarth\ngsd:0.5\n" + lines)
    return root / "images", root / "labelTxt"


def test_cli_convert_writes_a_dataset(tmp_path):
    images, labels = write_dota_sample(
        tmp_path, "100 100 180 100 180 112 100 112 ship 0\n10 10 60 10 60 60 10 60 harbor 0\n"
    )
    out = tmp_path / "ds"
    result = CliRunner().invoke(
        main,
        [
            "dataset",
            "convert",
            str(images),
            str(labels),
            "--format",
            "dota",
            "--out",
            str(out),
            "--chip",
            "64",
            "--split",
            "val",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 image(s), 1 ship(s)" in result.output
    rows = assert_valid_dataset(out / "data.yaml", "val")
    assert {r[0] for r in rows} == {"1"}  # 120 x 100 px at 1 m: the ship is the only label


def test_cli_convert_bad_line_is_a_usage_error_naming_file_and_line(tmp_path):
    images, labels = write_dota_sample(tmp_path, "100 100 180 100 180 112 100 112 ship 0\n100 100 ship\n")
    result = CliRunner().invoke(
        main, ["dataset", "convert", str(images), str(labels), "--format", "dota", "--out", str(tmp_path / "ds")]
    )
    assert result.exit_code == 2 and "P0001.txt:4" in result.output


def test_cli_convert_help_shows_an_example():
    result = CliRunner().invoke(main, ["dataset", "convert", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "tankerwatch dataset convert" in result.output
