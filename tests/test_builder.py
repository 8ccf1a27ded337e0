"""Dataset builder: chips at the working GSD with YOLO-OBB labels on the hulls."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tankerwatch.datasets.builder import TruthBox, build_dataset_from_scenes, chip_label_lines


def test_label_of_a_whole_hull_is_its_corners_normalised():
    corners = np.array([[100, 100], [200, 100], [200, 120], [100, 120]], float)
    (line,) = chip_label_lines([TruthBox("tanker", corners)], 50, 50, 256)
    values = [float(v) for v in line.split()]
    assert values[0] == 0
    assert values[1:3] == pytest.approx([50 / 256, 50 / 256], abs=1e-5)
    assert values[5:7] == pytest.approx([150 / 256, 70 / 256], abs=1e-5)


def test_hull_cut_by_chip_edge_is_labelled_only_when_mostly_visible():
    corners = np.array([[200, 100], [300, 100], [300, 120], [200, 120]], float)
    assert chip_label_lines([TruthBox("vessel", corners)], 0, 0, 240) == []  # 40 % visible
    (line,) = chip_label_lines([TruthBox("vessel", corners)], 0, 0, 270)  # 70 % visible
    xs = [float(v) for v in line.split()[1::2]]
    assert line.startswith("1 ") and max(xs) == pytest.approx(1.0, abs=1e-4)


def test_build_from_labelled_scenes_writes_images_labels_and_yaml(tmp_path, scene_factory):
    tif = scene_factory("lab", gsd_m=0.5, n_tankers=3, n_others=1)
    data_yaml = build_dataset_from_scenes([tif], tmp_path / "ds", "train", working_gsd_m=1.0, chip_px=128, max_chips=4)
    data = yaml.safe_load(data_yaml.read_text())
    assert data["names"] == {0: "tanker", 1: "vessel"} and data["path"].startswith("/")
    assert "download" not in data
    images = sorted((tmp_path / "ds" / "images" / "train").glob("*.jpg"))
    labels = sorted((tmp_path / "ds" / "labels" / "train").glob("*.txt"))
    assert len(images) == len(labels) == 4
    import cv2

    assert cv2.imread(str(images[0])).shape == (128, 128, 3)  # 400 m at 0.5 m read at 1 m: 400 px scene
    rows = [line.split() for f in labels for line in f.read_text().splitlines() if line]
    assert rows and all(len(r) == 9 and r[0] in ("0", "1") for r in rows)
    assert all(0.0 <= float(v) <= 1.0 for r in rows for v in r[1:])


def test_a_small_chip_budget_still_covers_every_class():
    import numpy as np

    from tankerwatch.datasets.builder import TruthBox, balanced_centres

    square = np.array([[0, 0], [10, 0], [10, 4], [0, 4]], float)
    boxes = [TruthBox("vessel", square + [100 * i, 0]) for i in range(8)] + [TruthBox("tanker", square + [0, 500])]
    first_two = balanced_centres(boxes, np.random.default_rng(0))[:2]
    assert [round(c[1]) for c in first_two] == [502, 2]  # the lone tanker, then a vessel
    assert len(balanced_centres(boxes, np.random.default_rng(0))) == 9
