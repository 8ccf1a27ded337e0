"""Training, finalizing and publishing on a tiny generated dataset (CPU, about a minute)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tankerwatch.datasets.builder import build_synthetic_dataset
from tankerwatch.models.detector import Detector, sha256_of, verify_sha256
from tankerwatch.schema import TankerwatchError
from tankerwatch.training.publish import publish
from tankerwatch.training.train import TrainConfig, train


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One epoch of YOLO11n-OBB on chips from two small synthetic scenes."""
    root = tmp_path_factory.mktemp("train")
    data = build_synthetic_dataset(root / "ds", 2, 1, seed=5, chip_px=128, max_chips=3, workers=1)
    cfg = TrainConfig(
        architecture="n", epochs=1, imgsz=128, batch=4, seed=0, device="cpu", workers=0, hyper={"mosaic": 0.0}
    )
    best = train(cfg, data, root / "run")
    return root, best


@pytest.mark.slow
def test_one_epoch_training_writes_checksummed_weights_and_summary(tiny_run):
    root, best = tiny_run
    verify_sha256(best)
    summary = json.loads((root / "run" / "train_summary.json").read_text())
    assert summary["sha256"] == sha256_of(best)
    assert summary["config"]["epochs"] == 1 and summary["val_metrics"]["epoch"] == 1
    assert summary["data"].endswith("data.yaml")


@pytest.mark.slow
def test_published_weights_load_and_predict(tiny_run, tmp_path):
    root, _ = tiny_run
    report = {
        "scenes": 1,
        "iou_threshold": 0.5,
        "classes": {
            "tanker": {
                "ap50": 0.5,
                "precision": 0.5,
                "recall": 0.5,
                "n_truth": 2,
                "n_predicted": 2,
                "length_mae_m": 1.0,
                "length_bias_m": 0.1,
                "beam_mae_m": 0.5,
                "beam_bias_m": -0.1,
                "by_gsd": {},
            }
        },
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    dest = publish(root / "run", tmp_path / "report.json", tmp_path / "w" / "model.pt", notes="tiny test model")
    card = (tmp_path / "w" / "MODEL_CARD.md").read_text()
    assert sha256_of(dest) in card and "tiny test model" in card and "| tanker | 0.500 |" in card
    detector = Detector(dest, imgsz=128)
    (rows,) = detector.predict([np.zeros((128, 128, 3), np.uint8)])
    assert rows.ndim == 2 and rows.shape[1] == 7


def test_tampered_weights_are_refused_before_loading(tmp_path):
    w = tmp_path / "model.pt"
    w.write_bytes(b"weights")
    (tmp_path / "model.pt.sha256").write_text("0" * 64 + "  model.pt\n")
    with pytest.raises(TankerwatchError, match="does not match"):
        Detector(w)
    (tmp_path / "model.pt.sha256").unlink()
    with pytest.raises(TankerwatchError, match="no checksum file"):
        Detector(w)


@pytest.mark.slow
def test_onnx_export_writes_a_loadable_graph_with_its_checksum(tiny_run, tmp_path):
    onnx = pytest.importorskip("onnx")
    from tankerwatch.models.detector import export_model

    _, best = tiny_run
    out = export_model(best, "onnx", 128)
    assert out.suffix == ".onnx" and out.exists()
    verify_sha256(out)
    graph = onnx.load(str(out)).graph
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 3, 128, 128]


def test_export_refuses_an_unknown_format_and_tensorrt_on_the_cpu(tmp_path):
    from tankerwatch.models.detector import BUNDLED_WEIGHTS, export_model

    with pytest.raises(TankerwatchError, match="choose one of"):
        export_model(BUNDLED_WEIGHTS, "tflite", 128)
    with pytest.raises(TankerwatchError, match="CUDA GPU"):
        export_model(BUNDLED_WEIGHTS, "engine", 128, device="cpu")


def test_the_card_names_the_weights_a_model_was_fine_tuned_from_and_tables_each_real_source():
    from tankerwatch.training.publish import model_card

    summary = {
        "config": {"architecture": "n", "imgsz": 512, "init_weights": "bundled"},
        "command": "tankerwatch train",
        "data": "d/data.yaml",
        "started": "t0",
        "finished": "t1",
        "val_metrics": {},
        "init_sha256": "ab" * 32,
    }
    bins = [{"label": "<20 m", "recall": 0.5, "n_truth": 2}, {"label": "50-100 m", "recall": None, "n_truth": 0}]
    source = {
        "name": "fair1m_part1",
        "gsd": "0.5 (assumed)",
        "images": 3,
        "n_truth": 2,
        "bins": bins,
        "over_50m": {"recall": None, "n_found": 0, "n_truth": 0},
        "n_predicted": 4,
        "precision": 0.75,
        "false_per_image": 0.33,
        "objects_found": 1,
        "objects_predicted": 2,
        "objects_false": 1,
        "length_mae_m": 3.25,
        "n_length": 1,
    }
    report = {
        "scenes": 0,
        "iou_threshold": 0.5,
        "classes": {},
        "realworld": {
            "overall": {**source, "name": "all"},
            "sources": {"fair1m_part1": source},
            "iou_threshold": 0.3,
            "hull_filter": "keep",
        },
    }
    card = model_card(summary, "cd" * 32, report, "notes")
    assert "fine-tuned from `bundled` (sha256 abababababab…)" in card and "trained from scratch" not in card
    row = next(line for line in card.splitlines() if line.startswith("| fair1m_part1 |"))
    assert "| 0.50 (2) | – (0) |" in row and "| 0.75 | 0.33 | 1 / 2 / 1 | 3.2 (1) |" in row
    assert any(line.startswith("| all |") for line in card.splitlines())


def test_the_gpu_job_script_parses_and_refuses_a_machine_without_cuda(tmp_path):
    import subprocess
    from pathlib import Path

    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA machine would run the whole 15-minute job")
    script = Path(__file__).resolve().parents[1] / "training" / "gpu_job.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    run = subprocess.run(["bash", str(script), str(tmp_path / "job")], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "no CUDA device" in run.stdout + run.stderr or "no .whl folder" in run.stdout + run.stderr
    assert (tmp_path / "job" / "job.log").exists()
