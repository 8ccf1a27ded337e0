"""The detector adapter: CPU runtimes give the PyTorch boxes, devices and pools, OpenVINO kept offline."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rasterio.windows import Window

from tankerwatch.config import DetectConfig, load_inference_config, parse_overrides
from tankerwatch.datasets.scene import open_scene, read_rgb, scene_reader
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.models import detector as det
from tankerwatch.models.detector import BUNDLED_WEIGHTS, Detector, DetectorPool, device_list, load_detector
from tankerwatch.schema import TankerwatchError

TILE_PX = 320


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    """Two 320 m tiles at 1 m with tankers and other ships, as the pipeline hands them to the model."""
    from tankerwatch.datasets.synth import generate_scene, write_scene
    from tests.conftest import small_spec

    out = []
    for seed in (3, 4):
        ships = [ShipSpec("product_tanker", 150.0, 24.0, 160.0, 160.0, 40.0 + 50 * seed)]
        spec = small_spec(width_m=320.0, height_m=320.0, land=False, ships=ships, n_tankers=1, n_others=2, seed=seed)
        scene = open_scene(write_scene(generate_scene(spec), tmp_path_factory.mktemp("tiles"), f"t{seed}"))
        with scene_reader(scene) as src:
            out.append(read_rgb(src, scene, Window(0, 0, scene.width, scene.height), (TILE_PX, TILE_PX))[0])
    return out


def assert_same_boxes(a: np.ndarray, b: np.ndarray) -> None:
    """Two detectors' rows for one tile agree: same ships, boxes within a pixel, confidences within 0.02."""
    assert len(a) == len(b) and len(a) > 0
    for row in a:
        j = int(np.argmin(np.hypot(b[:, 0] - row[0], b[:, 1] - row[1])))
        assert np.allclose(b[j, :4], row[:4], atol=1.0) and abs(b[j, 5] - row[5]) < 0.02 and b[j, 6] == row[6]


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["openvino", "onnx"])
def test_cpu_runtimes_find_the_boxes_pytorch_finds(tiles, runtime, tmp_path, monkeypatch):
    pytest.importorskip({"openvino": "openvino", "onnx": "onnxruntime"}[runtime])
    monkeypatch.setenv("TANKERWATCH_HOME", str(tmp_path))
    reference = Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime="torch").predict(tiles)
    fast = Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime=runtime, batch=3)
    # a fixed-shape export takes 3 tiles a call: 2 are padded, 5 are split
    for got, want in zip(fast.predict(tiles), reference, strict=True):
        assert_same_boxes(got, want)
    five = fast.predict(tiles * 2 + tiles[:1])
    assert len(five) == 5
    assert_same_boxes(five[4], reference[0])
    exports = list((tmp_path / "exports").iterdir())
    assert len(exports) == 1 and exports[0].name.startswith(det.sha256_of(BUNDLED_WEIGHTS)[:16])
    Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime=runtime, batch=3)  # a second load reuses the export
    assert list((tmp_path / "exports").iterdir()) == exports


def test_openvino_conversion_uses_its_offline_telemetry_stub():
    # in a fresh interpreter: `import openvino` loads its converter, and with it the telemetry, only once
    pytest.importorskip("openvino")
    code = (
        "from tankerwatch.models.detector import ultralytics; ultralytics(); import openvino; "
        "from openvino.tools.ovc import convert_impl; print(convert_impl.tm.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "openvino.tools.ovc.telemetry_stub"


def test_runtime_and_device_are_checked(monkeypatch):
    with pytest.raises(TankerwatchError, match=r"^--set detect\.runtime: 'tensorrt' is not one of"):
        load_inference_config(None, parse_overrides(["detect.runtime=tensorrt"]))
    with pytest.raises(TankerwatchError, match=r"^--set detect\.readers: must be > 0"):
        load_inference_config(None, parse_overrides(["detect.readers=0"]))
    assert device_list("cpu") == ["cpu"]
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(TankerwatchError, match="CUDA is not available"):
        device_list("cuda")


def test_cuda_means_every_gpu_of_the_host(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 4)
    assert device_list("cuda") == ["0", "1", "2", "3"]
    assert device_list("1,cuda:3") == ["1", "3"]
    with pytest.raises(TankerwatchError, match="no such GPU"):
        device_list("0,7")


class RecordingDetector:
    """Stands in for a Detector on one device: remembers its tiles, tags each result with its device."""

    def __init__(self, name: int, batch: int) -> None:
        self.name, self.batch, self.seen = name, batch, []

    def predict(self, tiles):
        self.seen += [int(t[0, 0, 0]) for t in tiles]
        return [np.full((1, 7), self.name, np.float32) for _ in tiles]


def test_a_pool_spreads_each_call_over_its_devices_and_keeps_the_tile_order():
    devices = [RecordingDetector(0, 4), RecordingDetector(1, 4)]
    pool = DetectorPool(devices)
    assert pool.batch == 8
    tiles = [np.full((4, 4, 3), i, np.uint8) for i in range(8)]
    out = pool.predict(tiles)
    assert devices[0].seen == [0, 1, 2, 3] and devices[1].seen == [4, 5, 6, 7]
    assert [int(r[0, 0]) for r in out] == [0] * 4 + [1] * 4
    assert len(pool.predict(tiles[:3])) == 3  # a short last call


def test_load_detector_builds_one_detector_per_device(monkeypatch):
    monkeypatch.setattr(det, "device_list", lambda device: ["0", "1"])
    made = []
    monkeypatch.setattr(
        det, "Detector", lambda weights, **kw: made.append(kw) or RecordingDetector(len(made), kw["batch"])
    )
    pool = load_detector(None, DetectConfig(batch_size=6, runtime="torch"), "cuda")
    assert isinstance(pool, DetectorPool) and pool.batch == 12
    assert [kw["device"] for kw in made] == ["0", "1"]


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA GPU on this host")
def test_every_gpu_finds_what_the_cpu_finds(tiles):
    reference = Detector(BUNDLED_WEIGHTS, imgsz=TILE_PX, runtime="torch").predict(tiles)
    gpus = load_detector(None, DetectConfig(tile_px=TILE_PX, batch_size=1), "cuda")
    for got, want in zip(gpus.predict(tiles), reference, strict=True):  # fp16 on the GPU: a little looser
        assert len(got) == len(want)
