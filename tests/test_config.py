"""Configuration: YAML validated on load; errors name the file, or --set where an override is at fault."""

from __future__ import annotations

import pytest

from tankerwatch.config import load_inference_config, parse_overrides
from tankerwatch.schema import TankerwatchError


def test_an_override_is_applied_on_top_of_the_file():
    cfg = load_inference_config(None, parse_overrides(["detect.tile_px=640", "matching.top_k=5"]))
    assert cfg.detect.tile_px == 640 and cfg.matching.top_k == 5 and cfg.detect.working_gsd_m == 1.0


def test_a_bad_override_names_set_and_its_key_not_the_file():
    # regression: the message named the bundled YAML file ("/.../inference.yaml.detect.refine: ...")
    with pytest.raises(TankerwatchError, match=r"^--set detect\.refine: expected bool, got 'maybe'$"):
        load_inference_config(None, parse_overrides(["detect.refine=maybe"]))
    with pytest.raises(TankerwatchError, match=r"^--set detect: unknown key\(s\) \['tile'\]"):
        load_inference_config(None, parse_overrides(["detect.tile=640"]))


def test_a_bad_file_is_named(tmp_path):
    bad = tmp_path / "inference.yaml"
    bad.write_text("detect:\n  tile_px: -3\n")
    with pytest.raises(TankerwatchError, match=rf"^{bad}\.detect\.tile_px: must be >= 0"):
        load_inference_config(bad, parse_overrides(["detect.batch_size=2"]))
