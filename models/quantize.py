"""8-bit weights and activations for the CPU: the detector's OpenVINO export quantized with NNCF.

Post-training quantization replaces the network's float32 convolutions with int8 ones, which the CPU runs
in its vector units at about twice the throughput. Each quantized layer needs the range of the activations
it will see, so NNCF runs the float model over a **calibration set** first and records those ranges. The
set here is tiles as the main job reads them (stretched RGB at the 1 m working GSD, 1024 px) from generated
port scenes of training seeds (`random_spec`, seeds CALIBRATION_SEED up; never evaluation scenes or real
imagery).

What is kept in float: the box head's arithmetic (the distribution-focal-loss decode, the sigmoids and the
adds, subtracts, multiplies and divides that turn its outputs into box coordinates), as Ultralytics' own
int8 export does for detection heads: quantizing it moves box corners by whole pixels, and that is where the
metres are measured. Preset MIXED: weights symmetric, activations asymmetric.

The quantized model is written once per weights (by sha256), tile size and batch under
`$TANKERWATCH_HOME/exports/` beside the float export, and loaded the same way (`detect.runtime:
openvino-int8`). Whether it keeps recall is measured, not assumed: benchmarks/throughput.py with
`--set detect.runtime=openvino-int8`, and `tankerwatch eval` on the held-out scenes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from tankerwatch.models.detector import move_into_place
from tankerwatch.schema import TankerwatchError

CALIBRATION_SEED = 41_000  # training seeds (< 9,000,000): the scenes the calibration tiles come from
CALIBRATION_SCENES = 6
CALIBRATION_TILES = 48  # NNCF's subset: enough for stable ranges, a minute or two on two cores
HEAD_PATTERNS = (  # the box head's arithmetic, kept in float (Ultralytics' exporter keeps the same)
    r".*model\.{head}/.*/Add",
    r".*model\.{head}/.*/Sub.*",
    r".*model\.{head}/.*/Mul.*",
    r".*model\.{head}/.*/Div.*",
    r".*model\.{head}\.dfl.*",
)


def calibration_tiles(tile_px: int, n_tiles: int = CALIBRATION_TILES) -> list[np.ndarray]:
    """Tiles (tile_px square, RGB uint8) as the main job reads them, from generated training scenes."""
    from tankerwatch.config import load_inference_config
    from tankerwatch.datasets.scene import open_scene, scene_reader
    from tankerwatch.datasets.synth import generate_scene, random_spec, write_scene
    from tankerwatch.inference.detect import read_tile
    from tankerwatch.inference.tiling import plan_tiles

    cfg = load_inference_config().detect
    cfg.tile_px = tile_px
    tiles: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(CALIBRATION_SEED, CALIBRATION_SEED + CALIBRATION_SCENES):
            scene = open_scene(write_scene(generate_scene(random_spec(seed)), Path(tmp), f"calib{seed}"))
            with scene_reader(scene) as src:
                tiles += [
                    t for t in (read_tile(src, scene, p, tile_px) for p in plan_tiles(scene, cfg)) if t is not None
                ]
    if not tiles:
        raise TankerwatchError("int8 calibration: the generated scenes gave no tiles")
    return tiles[:n_tiles]


def _batches(tiles: list[np.ndarray], batch: int) -> list[np.ndarray]:
    """Tiles as the network's input: float32 NCHW in 0-1, in whole batches of the export's fixed size (a leftover
    tile is dropped; fewer tiles than one batch are repeated to fill it)."""
    x = np.stack(tiles).astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    n = len(x) // batch * batch or batch
    x = np.resize(x, (n, *x.shape[1:])) if len(x) < n else x[:n]
    return [x[i : i + batch] for i in range(0, n, batch)]


def head_index(float_dir: Path) -> int:
    """The index of the detection head among the network's modules, from the export's layer names."""
    import re

    text = next(Path(float_dir).glob("*.xml")).read_text()
    found = [int(m) for m in re.findall(r"__module\.model\.(\d+)\.dfl", text)]
    if not found:
        raise TankerwatchError(f"{float_dir}: no detection head (dfl) found in the export")
    return max(found)


def quantize_export(float_dir: Path, target: Path, tile_px: int, batch: int) -> Path:
    """Quantize an Ultralytics OpenVINO export (a *_openvino_model folder) into target, calibrated on tiles."""
    try:
        import nncf
        import openvino as ov
    except ImportError as e:
        raise TankerwatchError(f"runtime openvino-int8 needs {e.name} (pip install 'tankerwatch[int8]')") from None
    core = ov.Core()
    model = core.read_model(str(next(Path(float_dir).glob("*.xml"))))
    data = nncf.Dataset(_batches(calibration_tiles(tile_px), batch))
    patterns = [p.format(head=head_index(float_dir)) for p in HEAD_PATTERNS]
    ignored = nncf.IgnoredScope(patterns=patterns, types=["Sigmoid"], validate=False)
    quantized = nncf.quantize(model, data, preset=nncf.QuantizationPreset.MIXED, ignored_scope=ignored)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / target.name
        shutil.copytree(float_dir, staged)  # metadata.yaml (class names, stride) as Ultralytics reads it
        for f in staged.glob("*.xml"):
            ov.save_model(quantized, str(f))
        return move_into_place(staged, target)
