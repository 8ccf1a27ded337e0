"""The HTML report of a run: self-contained, escaped, with the alert rows; and as a real browser shows it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from tankerwatch.datasets.synth import ShipSpec
from tankerwatch.inference.pipeline import run_batch
from tankerwatch.inference.report import write_report
from tests.test_pipeline import context, perfect_detector, registry_tanker  # noqa: F401 (fixtures)

EVIL = '<script>alert("x")</script> & Co'


@pytest.fixture
def run_out(scene_factory, context, perfect_detector):  # noqa: F811 (the imported fixtures)
    """An output folder with one alert of a registry tanker (reviewed), a second scene whose raster is then
    deleted, and a failed scene whose reason holds markup."""
    v = registry_tanker(context.registry)
    ship = ShipSpec("product_tanker", v.length_m, v.beam_m, 200.0, 200.0, 75.0, imo=v.imo, name=v.name)
    tif = scene_factory("vos_a", gsd_m=1.0, land=False, ships=[ship], n_tankers=0, n_others=1)
    gone = scene_factory("vos_gone", gsd_m=1.0, land=False, n_tankers=0, n_others=1, seed=3)
    results = run_batch([tif, gone], context)
    assert [r.status for r in results] == ["done", "done"] and results[0].new_alerts == 1
    gone.unlink()
    out = context.out_dir
    from tankerwatch.inference.visits import AlertStore

    with AlertStore(out) as store:
        (alert,) = store.alerts()
        store.decide(alert["alert_id"], "confirmed", None, "J. <b>Analyst</b>", EVIL)
        store.mark_failed("bad_scene", "scenes/bad_scene.tif", EVIL)
    return out, alert, v


def _resource_refs(page: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', page, flags=re.I)


def test_report_is_self_contained_escaped_and_has_the_alert_rows(run_out):
    out, alert, v = run_out
    path = write_report(out)
    assert path == out / "report.html"
    page = path.read_text(encoding="utf-8")
    refs = _resource_refs(page)
    assert not [r for r in refs if r.lower().startswith(("http:", "https:", "//", "file:"))]
    assert "<script" not in page.lower()  # no script at all: the one in the data is escaped text
    imgs = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", page)
    # quicklook, chip, and the deliveries plot
    assert len(imgs) == 3 and all(src.startswith("data:image/png;base64,") for src in imgs)
    assert [r for r in refs if not r.startswith("#")] == imgs  # links are in-page only
    rows = re.findall(r'<tr class="alert" id="alert-([0-9a-f]+)"', page)
    assert rows == [alert["alert_id"]]
    assert v.name in page and v.imo in page and "RU-VOS" in page
    assert "confirmed" in page and "J. &lt;b&gt;Analyst&lt;/b&gt;" in page
    assert html_escaped(EVIL) in page and EVIL not in page
    assert "raster not found" in page and "vos_gone" in page  # the deleted raster is said, not hidden
    assert '<svg class="timeline"' in page and 'class="sighting"' in page
    assert "Content-Security-Policy" in page


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_report_command_writes_the_page_and_refuses_a_folder_without_a_store(run_out, tmp_path):
    from tankerwatch.cli import main

    out, _, _ = run_out
    target = tmp_path / "elsewhere" / "r.html"
    done = CliRunner().invoke(main, ["report", str(out), "--out", str(target)])
    assert done.exit_code == 0, done.output
    assert target.is_file() and str(target) in done.output
    bad = CliRunner().invoke(main, ["report", str(tmp_path / "elsewhere")])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "no tankerwatch.sqlite" in bad.output
    assert "Example:" in CliRunner().invoke(main, ["report", "--help"]).output


def test_report_reads_the_store_read_only(run_out):
    out, _, _ = run_out
    db = out / "tankerwatch.sqlite"
    before = db.read_bytes()
    write_report(out)
    assert db.read_bytes() == before
    with sqlite3.connect(db) as con:  # and leaves it usable
        assert con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no chromium here (.ci/run installs Debian's chromium under CI)")
def test_report_renders_in_headless_chromium(run_out, tmp_path):
    import cv2

    out, alert, _ = run_out
    page = write_report(out).resolve()
    browser = _chromium()
    assert browser is not None
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2000"]
    env_home = {**os.environ, "HOME": str(tmp_path)}  # chromium writes under HOME
    dom = subprocess.run(
        [*base, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_home,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert re.search(rf'<tr class="alert" id="alert-{alert["alert_id"]}"', dom.stdout)
    # quicklook, chip, deliveries plot
    assert len(re.findall(r"<img\b[^>]*src=\"data:image/png;base64,", dom.stdout)) == 3
    assert "<table" in dom.stdout and "</svg>" in dom.stdout

    shot = tmp_path / "report.png"
    taken = subprocess.run(
        [*base, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_home,
    )
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (2000, 1280)
    # not one colour: the quicklook and the chip put many colours on the page
    assert img.std() > 10 and len(np.unique(img.reshape(-1, 3)[::7], axis=0)) > 100


def test_report_shows_deliveries_against_the_cap_and_marks_sts_alerts(run_out):
    """The deliveries section sums the run's visits as `tankerwatch deliveries` does; an STS row is tagged."""
    from tankerwatch.config import bundled_path
    from tankerwatch.inference.deliveries import deliveries, parse_period
    from tankerwatch.inference.report import _alert_table, load_run

    out, _, _ = run_out
    page = write_report(out).read_text()
    assert '<h2 id="deliveries">Deliveries against the cap</h2>' in page
    run = load_run(out)
    year = int(run.visits[0]["first_seen"][:4])
    expected = deliveries(out, bundled_path("registry.csv"), bundled_path("ports.geojson"), parse_period(str(year)))
    delivered = expected.delivered.get(year, {}).get(expected.labels[0], 0.0)
    assert f"{delivered:,.0f} bbl" in page  # the same figure the deliveries command prints
    run.alerts = [
        {
            **run.alerts[0],
            "type": "sts_transfer",
            "vessels": [
                {"class": "tanker", "length_m": 120, "beam_m": 18},
                {"class": "vessel", "type": "general_cargo", "length_m": 100, "beam_m": 16},
            ],
            "gap_m": 4.2,
        }
    ]
    table = _alert_table(run)
    assert ">STS<" in table and "alongside: tanker 120&times;18 + general_cargo 100&times;16 m, gap 4.2 m" in table
