"""int8 on the CPU: the NNCF-quantized export finds the ships the float model finds, where they are."""

from __future__ import annotations

import numpy as np
import pytest

from tankerwatch.models import quantize
from tankerwatch.models.detector import BUNDLED_WEIGHTS, Detector
from tests.test_detector import TILE_PX, tiles  # noqa: F401 (the fixture)


@pytest.mark.slow
def test_int8_export_finds_the_float_models_ships(tiles, tmp_path, monkeypatch):  # noqa: F811
    pytest.importorskip("nncf")
    monkeypatch.setenv("TANKERWATCH_HOME", str(tmp_path))
    monkeypatch.setattr(quantize, "CALIBRATION_SCENES", 2)  # a small calibration set: the test is of the path
    monkeypatch.setattr(quantize, "CALIBRATION_TILES", 8)
    reference = Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime="openvino", batch=2).predict(tiles)
    int8 = Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime="openvino-int8", batch=2)
    for got, want in zip(int8.predict(tiles), reference, strict=True):
        strong = want[want[:, 5] >= 0.5]
        assert len(strong) > 0
        for row in strong:  # every confident float box has an int8 box on it, within 3 px
            d = np.hypot(got[:, 0] - row[0], got[:, 1] - row[1])
            assert len(got) and d.min() < 3.0
    names = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert len(names) == 2 and names[0].endswith("-int8_openvino_model") and names[1].endswith("b2_openvino_model")


def test_calibration_batches_are_the_exports_shape():
    """Whole batches of the export's size in float 0-1 NCHW: a leftover tile is dropped, too few are repeated."""
    chips = [np.full((64, 64, 3), v, np.uint8) for v in (0, 255, 128)]
    (b1,) = quantize._batches(chips, 2)
    assert b1.shape == (2, 3, 64, 64) and b1.dtype == np.float32 and b1.max() == 1.0 and b1.min() == 0.0
    (one,) = quantize._batches(chips[1:2], 2)
    assert one.shape == (2, 3, 64, 64) and (one == 1.0).all()
