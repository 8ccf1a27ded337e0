"""Converters from public and in-house ship label formats into training chips at the working GSD.

Readers turn DOTA labelTxt, YOLO-OBB, YOLO HBB, HRSC2016 XML, FAIR1M XML and xView GeoJSON into oriented hull boxes in
image pixels with a project class (source class names are mapped to tanker or vessel, the rest dropped);
the writer resamples each image to the working GSD and cuts it into the dataset layout builder.py writes.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import rasterio
import yaml
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from tankerwatch.datasets.builder import (
    TruthBox,
    pad_to_chip,
    read_scene_at,
    resample_to_gsd,
    write_chips,
    write_data_yaml,
)
from tankerwatch.datasets.scene import open_scene
from tankerwatch.io import read_json
from tankerwatch.schema import SHIP_CLASSES, TankerwatchError

FORMATS = ("dota", "yolo-obb", "yolo-hbb", "hrsc", "fair1m", "xview")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".jp2")
CHIP_OVERLAP = 0.25  # of a chip side: most hulls cut by one chip's edge show whole in its neighbour

# Source class names (compared case-blind, with '_' and '-' read as spaces) and the project class each becomes;
# a name not here is not a ship (harbor, dock, storage tank, ...) and its boxes are dropped.
_TANKER_NAMES = ("tanker", "oil tanker", "liquid cargo ship")  # the last is FAIR1M's tanker class
# FAIR1M's other ship classes are all here: Motorboat, Fishing Boat, Dry Cargo Ship, other-ship ("other ship"),
# Tugboat, Engineering Ship, Passenger Ship, Warship; its vehicles, bridges, intersections... are not
_VESSEL_NAMES = (
    "ship",
    "vessel",
    "boat",
    "other ship",
    "other vessel",
    "merchant",
    "merchant ship",
    "naval",
    "warship",
    "warcraft",
    "aircraft carrier",
    "submarine",
    "maritime vessel",
    "motorboat",
    "sailboat",
    "tugboat",
    "barge",
    "fishing vessel",
    "fishing boat",
    "ferry",
    "yacht",
    "container ship",
    "cargo",
    "cargo ship",
    "bulk carrier",
    "dry cargo ship",
    "passenger ship",
    "engineering ship",
)
DEFAULT_CLASS_MAP: dict[str, str | None] = {
    **{name: "vessel" for name in _VESSEL_NAMES},
    **{name: "tanker" for name in _TANKER_NAMES},
}

# xView type_id of the ship classes; the other types (vehicles, buildings, ...) are not ships
XVIEW_SHIP_TYPES = {
    40: "Maritime Vessel",
    41: "Motorboat",
    42: "Sailboat",
    44: "Tugboat",
    45: "Barge",
    47: "Fishing Vessel",
    49: "Ferry",
    50: "Yacht",
    51: "Container Ship",
    52: "Oil Tanker",
}


@dataclass
class LabelledBox(TruthBox):
    """A hull from a source label file: project class, corners in image pixels and the class the source gave it."""

    source_class: str


@dataclass
class ImageLabels:
    """The ship hulls labelled on one image, with the GSD (m/px) and image size the labels state, where they do."""

    image_stem: str
    boxes: list[LabelledBox] = field(default_factory=list)
    gsd_m: float | None = None
    image_size: tuple[int, int] | None = None  # (width, height)

    def add(
        self, source_class: str, corners_px: np.ndarray, classes: dict[str, str | None], fallback: str | None = None
    ) -> None:
        """Keep a hull when its source class maps to a ship class."""
        cls = classes.get(_normalised(source_class), fallback)
        if cls is not None:
            self.boxes.append(LabelledBox(cls, np.asarray(corners_px, float).reshape(4, 2), source_class))


def _normalised(name: str) -> str:
    """A class name compared case-blind, with '_' and '-' read as spaces."""
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


def class_lookup(class_map: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """A class map (default: DEFAULT_CLASS_MAP) keyed by normalised source names, its targets checked."""
    lookup = {}
    for name, cls in (DEFAULT_CLASS_MAP if class_map is None else class_map).items():
        if cls is not None and cls not in SHIP_CLASSES:
            raise TankerwatchError(f"class map: {name!r} maps to {cls!r}, expected one of {SHIP_CLASSES} or None")
        lookup[_normalised(name)] = cls
    return lookup


def class_map_with(overrides: Sequence[str]) -> dict[str, str | None]:
    """The default class map with 'NAME=CLASS' entries added (CLASS tanker, vessel or none to drop NAME)."""
    class_map = dict(DEFAULT_CLASS_MAP)
    for item in overrides:
        name, sep, cls = item.rpartition("=")
        cls = cls.strip().lower()
        if not sep or not name.strip() or cls not in (*SHIP_CLASSES, "none"):
            raise TankerwatchError(
                f"--map {item!r}: expected NAME=CLASS with CLASS one of {', '.join(SHIP_CLASSES)}, none"
            )
        class_map[name.strip()] = None if cls == "none" else cls
    return class_map


def load_class_names(path: Path) -> dict[int, str]:
    """Class names by id from a classes.txt (one a line) or a YOLO data YAML ('names' list or mapping)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise TankerwatchError(f"{path}: cannot read class names ({e.__class__.__name__})") from None
    if path.suffix.lower() not in (".yaml", ".yml"):
        return dict(enumerate(line.strip() for line in text.splitlines() if line.strip()))
    try:
        names = (yaml.safe_load(text) or {}).get("names")
        if isinstance(names, list):
            return dict(enumerate(map(str, names)))
        if not isinstance(names, dict):
            raise TypeError("no names")
        return {int(k): str(v) for k, v in names.items()}
    except (yaml.YAMLError, AttributeError, TypeError, ValueError):
        raise TankerwatchError(f"{path}: expected a YAML with a 'names' list or id-to-name mapping") from None


def _label_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a text label file with their 1-based line numbers."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: label file not found") from None
    except UnicodeDecodeError as e:
        raise TankerwatchError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def _numbers(fields: list[str], path: Path, lineno: int, layout: str) -> np.ndarray:
    """Label fields as finite floats; anything else is an error naming the file and line."""
    try:
        values = np.array([float(v) for v in fields])
    except ValueError:
        values = np.array([np.nan])
    if not np.all(np.isfinite(values)):
        raise TankerwatchError(f"{path}:{lineno}: expected '{layout}', got a field that is not a number")
    return values


def rect_corners(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The four corners of an axis-aligned box, clockwise on screen from the top left."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def rotated_corners(cx: float, cy: float, w: float, h: float, angle_rad: float) -> np.ndarray:
    """Corners of a w x h box centred at (cx, cy) whose w side turns angle_rad from the x axis (pixels, y down)."""
    u = np.array([np.cos(angle_rad), np.sin(angle_rad)]) * w / 2
    v = np.array([-np.sin(angle_rad), np.cos(angle_rad)]) * h / 2
    c = np.array([cx, cy])
    return np.array([c - u - v, c + u - v, c + u + v, c - u + v])


def read_dota(path: Path, class_map: Mapping[str, str | None] | None = None) -> ImageLabels:
    """Ship hulls of a DOTA labelTxt file ('x1 y1 ... x4 y4 class difficult' in pixels) and its header GSD."""
    layout = "x1 y1 x2 y2 x3 y3 x4 y4 class difficult"
    classes = class_lookup(class_map)
    labels = ImageLabels(Path(path).stem)
    for lineno, line in _label_lines(path):
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("imagesource", "gsd"):
            if key.strip() == "gsd" and value.strip().lower() not in ("null", "none", ""):
                gsd = _numbers([value], path, lineno, "gsd:<metres per pixel>")[0]
                labels.gsd_m = gsd if gsd > 0 else None
            continue
        fields = line.split()
        if len(fields) not in (9, 10):  # the difficult flag is absent in some DOTA releases
            raise TankerwatchError(f"{path}:{lineno}: expected '{layout}', got {len(fields)} fields")
        labels.add(fields[8], _numbers(fields[:8], path, lineno, layout), classes)
    return labels


def _read_yolo(
    path: Path,
    image_size: tuple[int, int],
    names: Mapping[int, str],
    class_map: Mapping[str, str | None] | None,
    layout: str,
    to_corners: Callable[[np.ndarray], np.ndarray],
) -> ImageLabels:
    """Ship hulls of a YOLO label file (class id then normalised values) in image pixels."""
    n_fields = len(layout.split())
    classes = class_lookup(class_map)
    labels = ImageLabels(Path(path).stem, image_size=(image_size[0], image_size[1]))
    for lineno, line in _label_lines(path):
        fields = line.split()
        if len(fields) != n_fields:
            raise TankerwatchError(f"{path}:{lineno}: expected '{layout}', got {len(fields)} fields")
        try:
            source = names[int(fields[0])]
        except (ValueError, KeyError):
            raise TankerwatchError(
                f"{path}:{lineno}: class {fields[0]!r} is not one of the {len(names)} class ids"
            ) from None
        corners = to_corners(_numbers(fields[1:], path, lineno, layout))
        labels.add(source, corners * np.asarray(image_size, float), classes)
    return labels


def read_yolo_obb(
    path: Path,
    image_size: tuple[int, int],
    names: Mapping[int, str],
    class_map: Mapping[str, str | None] | None = None,
) -> ImageLabels:
    """Ship hulls of a YOLO-OBB label file ('cls x1 y1 ... x4 y4' normalised) in pixels of a (width, height) image."""
    return _read_yolo(path, image_size, names, class_map, "cls x1 y1 x2 y2 x3 y3 x4 y4", lambda v: v.reshape(4, 2))


def read_yolo_hbb(
    path: Path,
    image_size: tuple[int, int],
    names: Mapping[int, str],
    class_map: Mapping[str, str | None] | None = None,
) -> ImageLabels:
    """Ship boxes of a YOLO label file ('cls cx cy w h', normalised) as corners in a (width, height) image's pixels."""

    def corners(v: np.ndarray) -> np.ndarray:
        cx, cy, w, h = v
        return rect_corners(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    return _read_yolo(path, image_size, names, class_map, "cls cx cy w h", corners)


def _xml_number(node: ET.Element, tag: str, where: str) -> float:
    """A number in a child element of an HRSC annotation; missing or malformed is an error naming the place."""
    try:
        value = float(node.findtext(tag, ""))
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise TankerwatchError(f"{where}: <{tag}> missing or not a number")
    return value


def _xml_root(path: Path) -> ET.Element:
    """The root element of a label XML file (one-line errors naming the file)."""
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: label file not found") from None
    except ET.ParseError as e:
        raise TankerwatchError(f"{path}:{e.position[0]}: not valid XML ({e})") from None


def read_hrsc(path: Path, class_map: Mapping[str, str | None] | None = None) -> ImageLabels:
    """Ship hulls of an HRSC2016 XML annotation (mbox centre, size, angle in radians), its GSD and image size."""
    root = _xml_root(path)
    classes = class_lookup(class_map)
    size = [_xml_number(root, tag, str(path)) for tag in ("Img_SizeWidth", "Img_SizeHeight")]
    labels = ImageLabels(Path(path).stem, image_size=(int(size[0]), int(size[1])))
    try:
        labels.gsd_m = float(root.findtext("Img_Resolution", "")) or None
    except ValueError:  # often left empty
        labels.gsd_m = None
    for i, obj in enumerate(root.iter("HRSC_Object"), 1):
        where = f"{path}: HRSC_Object {i}"
        cx, cy, w, h, ang = (
            _xml_number(obj, tag, where) for tag in ("mbox_cx", "mbox_cy", "mbox_w", "mbox_h", "mbox_ang")
        )
        # HRSC annotates nothing but ships, so a class id the map does not name is still a vessel
        labels.add(obj.findtext("Class_ID", "").strip(), rotated_corners(cx, cy, w, h, ang), classes, fallback="vessel")
    return labels


def _fair1m_corners(obj: ET.Element, where: str) -> np.ndarray:
    """The four corners of a FAIR1M <points> list ('x,y' each; a fifth point repeating the first closes the ring)."""
    try:
        points = [[float(v) for v in (p.text or "").split(",")] for p in obj.iterfind("points/point")]
        corners = np.array(points, float)
    except (AttributeError, ValueError):
        raise TankerwatchError(f"{where}: <point> must be 'x,y' numbers") from None
    if len(corners) > 1 and np.allclose(corners[0], corners[-1]):  # the closing point
        corners = corners[:-1]
    if corners.shape != (4, 2) or not np.all(np.isfinite(corners)):
        raise TankerwatchError(
            f"{where}: expected 4 <point> corners 'x,y' (and optionally the first repeated), "
            f"got {len(corners)} distinct"
        )
    return corners


def read_fair1m(path: Path, class_map: Mapping[str, str | None] | None = None) -> ImageLabels:
    """Ship hulls of a FAIR1M XML annotation (<object>: possibleresult/name and 4 corner points in pixels), its size."""
    # PASCAL-VOC-like; FAIR1M states no GSD, so labels.gsd_m stays None. Objects whose class is not a ship
    # (Small Car, Van, Bridge, Intersection, ...) are dropped by the class map like any other reader's.
    root = _xml_root(path)
    classes = class_lookup(class_map)
    size = root.find("size")
    labels = ImageLabels(Path(path).stem)
    if size is not None:
        w, h = (_xml_number(size, tag, f"{path}: <size>") for tag in ("width", "height"))
        labels.image_size = (int(w), int(h))
    for i, obj in enumerate(root.iter("object"), 1):
        where = f"{path}: object {i}"
        coordinate = (obj.findtext("coordinate") or "pixel").strip().lower()
        if coordinate != "pixel":
            raise TankerwatchError(f"{where}: <coordinate> {coordinate!r}; only pixel coordinates are read")
        name = (obj.findtext("possibleresult/name") or "").strip()
        if not name:
            raise TankerwatchError(f"{where}: no <possibleresult><name> class")
        if classes.get(_normalised(name)) is not None:  # corners of non-ship objects are not checked
            labels.add(name, _fair1m_corners(obj, where), classes)
    return labels


def read_xview(path: Path, class_map: Mapping[str, str | None] | None = None) -> dict[str, ImageLabels]:
    """Ship boxes of an xView GeoJSON by image stem (axis-aligned bounds_imcoords become four corners)."""
    fc = read_json(path, "xView GeoJSON")
    if not isinstance(fc, dict) or not isinstance(fc.get("features"), list):
        raise TankerwatchError(f"{path}: an xView GeoJSON must be a FeatureCollection")
    classes = class_lookup(class_map)
    by_image: dict[str, ImageLabels] = {}
    for i, feat in enumerate(fc["features"]):
        props = (feat.get("properties") if isinstance(feat, dict) else None) or {}
        try:
            type_id, stem = int(props["type_id"]), Path(str(props["image_id"])).stem
            x0, y0, x1, y1 = (float(v) for v in str(props["bounds_imcoords"]).split(","))
        except (KeyError, TypeError, ValueError):
            raise TankerwatchError(
                f"{path}: feature {i}: needs type_id, image_id and bounds_imcoords 'xmin,ymin,xmax,ymax'"
            ) from None
        labels = by_image.setdefault(stem, ImageLabels(stem))
        labels.add(XVIEW_SHIP_TYPES.get(type_id, f"xView type {type_id}"), rect_corners(x0, y0, x1, y1), classes)
    return by_image


def find_images(images_dir: Path) -> list[Path]:
    """The image files of a folder, sorted; two may not share a stem, as their chips would collide."""
    images = sorted(p for p in Path(images_dir).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    seen: dict[str, Path] = {}
    for p in images:
        if p.stem in seen:
            raise TankerwatchError(f"{p}: shares its name with {seen[p.stem].name}; keep one image per name")
        seen[p.stem] = p
    return images


def _header(path: Path) -> tuple[int, int, bool]:
    """An image's width and height from its header, and whether it carries georeferencing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                return src.width, src.height, src.crs is not None and not src.transform.is_identity
    except RasterioIOError as e:
        raise TankerwatchError(f"{path}: cannot read image ({str(e).splitlines()[0]})") from None


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image, from its header."""
    width, height, _ = _header(path)
    return width, height


def read_image_at(path: Path, stated_gsd_m: float | None, working_gsd_m: float) -> tuple[np.ndarray, tuple[int, int]]:
    """An image as uint8 RGB at the working GSD, and its native (width, height)."""
    # the source GSD is the stated one (argument or labels), else the image's georeferencing
    scene = open_scene(path) if _header(path)[2] else None
    gsd = stated_gsd_m or (scene.gsd_m if scene else None)
    if not gsd:
        raise TankerwatchError(
            f"{path}: GSD unknown (the labels state none and the image has no georeferencing); pass --gsd"
        )
    if scene:
        return read_scene_at(scene, gsd, working_gsd_m), (scene.width, scene.height)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise TankerwatchError(f"{path}: cannot read image")
    native = (bgr.shape[1], bgr.shape[0])
    return cv2.cvtColor(resample_to_gsd(bgr, gsd, working_gsd_m), cv2.COLOR_BGR2RGB), native


def grid_origins(width: int, height: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Chip corners on a grid that covers the whole image, neighbours overlapping by `overlap` pixels."""
    from tankerwatch.inference.tiling import tile_starts

    stride = max(1, size - overlap)
    return [(x, y) for y in tile_starts(0, height, size, stride) for x in tile_starts(0, width, size, stride)]


def convert_image(
    image_path: Path,
    labels: ImageLabels,
    out_dir: Path,
    split: str,
    gsd_m: float | None = None,
    working_gsd_m: float = 1.0,
    chip_px: int = 512,
) -> int:
    """Resample one labelled image to the working GSD and cut all of it into chips of a split; returns the count."""
    rgb, native = read_image_at(Path(image_path), gsd_m or labels.gsd_m, working_gsd_m)
    if labels.image_size and tuple(labels.image_size) != native:
        (iw, ih), (lw, lh) = native, labels.image_size
        raise TankerwatchError(f"{image_path}: image is {iw}x{ih} px but its labels are for {lw}x{lh}")
    h, w = rgb.shape[:2]
    boxes = [TruthBox(b.class_name, b.corners_px * [w / native[0], h / native[1]]) for b in labels.boxes]
    rgb = pad_to_chip(rgb, chip_px)
    origins = grid_origins(rgb.shape[1], rgb.shape[0], chip_px, int(chip_px * CHIP_OVERLAP))
    return write_chips(rgb, boxes, origins, Path(out_dir), split, Path(image_path).stem, chip_px)


def load_labels(
    images: list[Path],
    labels_path: Path,
    fmt: str,
    names: Mapping[int, str] | None = None,
    class_map: Mapping[str, str | None] | None = None,
) -> list[ImageLabels]:
    """Each image's labels (none found: a background image), all read before any chip is written."""
    # labels_path: the folder of label files named like the images, or the xView GeoJSON;
    # YOLO class names default to a classes.txt in that folder or its parent
    labels_path = Path(labels_path)
    if fmt not in FORMATS:
        raise TankerwatchError(f"unknown label format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "xview":
        by_image = read_xview(labels_path, class_map)
        found = [by_image.get(p.stem) for p in images]
    else:
        if not labels_path.is_dir():
            raise TankerwatchError(f"{labels_path}: expected the folder of {fmt} label files")
        if fmt.startswith("yolo") and names is None:
            names = load_class_names(_classes_txt(labels_path))
        suffix = ".xml" if fmt in ("hrsc", "fair1m") else ".txt"
        found = [_read_label_file(fmt, labels_path / f"{p.stem}{suffix}", p, names, class_map) for p in images]
    if images and not any(found):
        raise TankerwatchError(f"{labels_path}: no {fmt} labels for any of the {len(images)} images")
    return [f or ImageLabels(p.stem) for f, p in zip(found, images, strict=True)]


def _classes_txt(labels_dir: Path) -> Path:
    """The classes.txt beside YOLO labels (in their folder or its parent)."""
    for candidate in (labels_dir / "classes.txt", labels_dir.parent / "classes.txt"):
        if candidate.exists():
            return candidate
    raise TankerwatchError(f"{labels_dir}: YOLO labels need class names; pass --names classes.txt or data.yaml")


def _read_label_file(
    fmt: str,
    path: Path,
    image: Path,
    names: Mapping[int, str] | None,
    class_map: Mapping[str, str | None] | None,
) -> ImageLabels | None:
    """One image's labels from its own label file; None where it has none."""
    if not path.exists():
        return None
    if fmt == "dota":
        return read_dota(path, class_map)
    if fmt == "hrsc":
        return read_hrsc(path, class_map)
    if fmt == "fair1m":
        return read_fair1m(path, class_map)
    if names is None:
        raise TankerwatchError(f"{path}: YOLO labels need class names (--names classes.txt or data.yaml)")
    reader = read_yolo_obb if fmt == "yolo-obb" else read_yolo_hbb
    return reader(path, image_size(image), names, class_map)


def convert_dataset(
    images: list[Path],
    labels: list[ImageLabels],
    out_dir: Path,
    split: str,
    gsd_m: float | None = None,
    working_gsd_m: float = 1.0,
    chip_px: int = 512,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Cut labelled images into chips of a dataset split at the working GSD; returns data.yaml."""
    for image, image_labels in zip(images, labels, strict=True):
        n = convert_image(image, image_labels, out_dir, split, gsd_m, working_gsd_m, chip_px)
        if progress:
            progress(n)
    return write_data_yaml(Path(out_dir))
