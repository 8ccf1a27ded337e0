"""A batch unattended: killed mid-way and run again it ends where an uninterrupted run ends; a changed file is
redone; the manifest says what each scene wrote and how long it took."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tankerwatch.config import bundled_path
from tankerwatch.datasets.registry import load_registry
from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.pipeline import run_batch
from tankerwatch.inference.visits import DB_NAME, AlertStore
from tests.test_pipeline import context, perfect_detector, registry_tanker  # noqa: F401 (fixtures)


def _scenes(scene_factory, n: int) -> list[Path]:
    """n small Vostochny scenes at 0.5 m, each with a registry tanker moored in open water."""
    registry = load_registry(bundled_path("registry.csv"))
    out = []
    for i in range(n):
        v = registry_tanker(registry, i % 3)
        ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 200.0, 200.0, 30.0 + 40 * i, imo=v.imo, name=v.name)
        day = f"2024-05-{i + 1:02d}T02:30:00Z"
        out.append(
            scene_factory(
                f"vos_{i}", gsd_m=0.5, land=False, ships=[ship], n_tankers=0, n_others=1, seed=20 + i, acquired=day
            )
        )
    return out


def _run(scenes: list[Path], out: Path) -> subprocess.Popen:
    """`tankerwatch run` in a process of its own (the bundled model on the CPU)."""
    cmd = [sys.executable, "-m", "tankerwatch.cli", "run", *map(str, scenes), "--out", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "CI": "true"})


def _done(out: Path) -> int:
    """Scenes the manifest marks done (0 before the store exists)."""
    if not (out / DB_NAME).exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{out / DB_NAME}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM scenes WHERE status = 'done'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _alerts(out: Path) -> list[tuple[str, str, str]]:
    lines = (out / "alerts.jsonl").read_text().splitlines()
    return sorted((a["alert_id"], a["visit_id"], a["scene_id"]) for a in map(json.loads, lines))


def test_kill_9_mid_batch_then_rerun_gives_the_same_alerts_as_an_uninterrupted_run(scene_factory, tmp_path):
    scenes = _scenes(scene_factory, 4)
    whole = _run(scenes, tmp_path / "whole")
    assert whole.wait(timeout=240) == 0, whole.stderr.read().decode()[-2000:]
    expected = _alerts(tmp_path / "whole")
    assert expected, "the uninterrupted run must alert something for the comparison to mean anything"

    killed_out = tmp_path / "killed"
    killed = _run(scenes, killed_out)
    t0 = time.monotonic()
    while _done(killed_out) < 1 and killed.poll() is None and time.monotonic() - t0 < 240:
        time.sleep(0.02)
    assert killed.poll() is None, "the batch ended before it could be killed"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert 1 <= _done(killed_out) < len(scenes)  # killed in the middle

    again = _run(scenes, killed_out)
    assert again.wait(timeout=240) == 0, again.stderr.read().decode()[-2000:]
    got = _alerts(killed_out)
    assert got == expected and len({a for a, _, _ in got}) == len(got)  # the same set, no duplicates
    stderr = again.stderr.read().decode()
    assert "skipped" in stderr  # what the killed run finished was not done again


def test_a_changed_file_is_redone_and_the_manifest_has_outputs_and_timings(scene_factory, context, perfect_detector):  # noqa: F811
    (tif,) = _scenes(scene_factory, 1)
    (first,) = run_batch([tif], context)
    assert first.status == "done" and first.seconds > 0 and first.megapixels == pytest.approx(0.64)
    (again,) = run_batch([tif], context)
    assert again.status == "skipped"
    with AlertStore(context.out_dir) as store:
        entry = store.scene_entry("vos_0")
    assert entry["outputs"]["detections"] == "detections/vos_0.geojson" and entry["outputs"]["alerts"] == 1
    assert {"read", "water", "detect", "measure", "identify", "events"} <= set(entry["timings"])
    tif.write_bytes(tif.read_bytes() + b"\0")  # a re-delivered file: different bytes, same name
    (redone,) = run_batch([tif], context)
    assert redone.status == "done" and "changed" in redone.reason and redone.new_alerts == 0
    with AlertStore(context.out_dir) as store:
        assert store.scene_entry("vos_0")["fingerprint"] != entry["fingerprint"]
