"""Appearance signatures: reading a hull's look, JSON round trips, and the same-vessel likelihood ratio."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from tankerwatch.datasets.scene import open_scene, scene_reader, stretch_rgb
from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, write_scene
from tankerwatch.inference.appearance import (
    Signature,
    appearance_llr,
    load_appearance_model,
    read_signature,
    signature_from_rgb,
)
from tankerwatch.schema import OrientedBox, TankerwatchError
from tankerwatch.training.appearance import truth_box

SIZE = (150.0, 24.0)  # one size for every vessel here: only the look can tell them apart


def sighting(livery: int, seed: int, heading_deg: float, gsd_m: float, **effects) -> Signature:
    """The signature of a 150 x 24 m tanker of a livery, alone in mid-scene, read at its true box."""
    ship = ShipSpec("product_tanker", *SIZE, 200.0, 200.0, heading_deg, livery=livery)
    spec = SceneSpec(
        seed=seed,
        width_m=400.0,
        height_m=400.0,
        gsd_m=gsd_m,
        land=False,
        n_tankers=0,
        n_others=0,
        ships=[ship],
        ship_variety=True,
        **effects,
    )
    scene = generate_scene(spec)
    sig = signature_from_rgb(stretch_rgb(scene.image[:3].transpose(1, 2, 0)), truth_box(scene.ships[0], gsd_m), gsd_m)
    assert sig is not None
    return sig


@pytest.fixture(scope="module")
def model():
    return load_appearance_model()


def test_signature_round_trips_through_json():
    sig = sighting(31, 5, 40.0, 0.5)
    again = Signature.from_dict(json.loads(json.dumps(sig.to_dict())))
    assert again == sig
    assert sig.length_m == pytest.approx(150.0, abs=0.5) and sig.gsd_m == 0.5
    blank = replace(sig, superstructure_rgb=None, funnel_rgb=None, superstructure_frac=None, manifold_frac=None)
    assert Signature.from_dict(json.loads(json.dumps(blank.to_dict()))) == blank
    assert not blank.oriented and sig.oriented


def test_same_livery_in_another_scene_scores_above_another_livery_of_the_same_size(model):
    confirmed = sighting(31, 5, 40.0, 0.5)
    again = sighting(31, 6, 215.0, 0.8, water_style="deep", colour_jitter=0.6)
    other = sighting(32, 6, 215.0, 0.8, water_style="deep", colour_jitter=0.6)
    same, different = appearance_llr(confirmed, again, model), appearance_llr(confirmed, other, model)
    assert same > 0
    assert same > different + 1.0
    assert appearance_llr(again, confirmed, model) == pytest.approx(same)  # symmetric


def test_bow_and_stern_swapped_leave_the_llr_nearly_unchanged(model):
    confirmed = sighting(31, 5, 40.0, 0.5)
    ahead, astern = sighting(31, 8, 120.0, 0.6), sighting(31, 8, 300.0, 0.6)
    assert ahead.oriented and astern.oriented
    assert ahead.superstructure_frac == pytest.approx(astern.superstructure_frac, abs=0.02)
    assert ahead.manifold_frac == pytest.approx(astern.manifold_frac, abs=0.02)
    assert appearance_llr(confirmed, ahead, model) == pytest.approx(appearance_llr(confirmed, astern, model), abs=1.0)


def test_llr_is_clipped(model):
    sig = sighting(31, 5, 40.0, 0.5)
    white = replace(
        sig,
        hull_rgb=(1.0, 1.0, 1.0),
        deck_rgb=(1.0, 1.0, 1.0),
        funnel_rgb=(0.0, 0.0, 0.0),
        manifold_frac=0.9,
        superstructure_frac=0.5,
    )
    assert -model.llr_limit <= appearance_llr(sig, white, model) < 0
    assert appearance_llr(sig, sig, model) <= model.llr_limit


def test_too_small_or_off_image_hull_has_no_signature():
    rgb = np.full((200, 200, 3), 90, np.uint8)
    tiny = OrientedBox(100.0, 100.0, 10.0, 2.0, 0.3, 1.0, "tanker")
    assert signature_from_rgb(rgb, tiny, 1.0) is None
    off = OrientedBox(190.0, 100.0, 60.0, 10.0, 0.0, 1.0, "tanker")  # its bow end lies past the right edge
    assert signature_from_rgb(rgb, off, 1.0) is None
    assert signature_from_rgb(rgb, replace(off, cx_px=150.0), 1.0) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"deck_rgb": None},  # a colour every hull shows
        {"hull_rgb": [0.1, 0.2]},
        {"hull_rgb": [0.1, 0.2, "red"]},
        {"manifold_frac": 1.5},
        {"length_m": float("nan")},
        {"beam_m": 0.0},
        {"version": 0},
        {"colour": "red"},
    ],
    ids=[
        "missing-deck",
        "two-bands",
        "text-band",
        "manifold-past-the-bow",
        "nan-length",
        "zero-beam",
        "old-version",
        "unknown-field",
    ],
)
def test_bad_signature_dict_is_a_value_error(change):
    d = sighting(31, 5, 40.0, 0.5).to_dict()
    d.update(change)
    with pytest.raises(ValueError, match="appearance signature"):
        Signature.from_dict(d)


def test_signature_dict_without_a_field_or_not_a_dict_is_a_value_error():
    d = sighting(31, 5, 40.0, 0.5).to_dict()
    with pytest.raises(ValueError, match="lacks gsd_m"):
        Signature.from_dict({k: v for k, v in d.items() if k != "gsd_m"})
    with pytest.raises(ValueError, match="must be a dict"):
        Signature.from_dict([d])


def test_read_signature_from_a_written_scene_matches_the_array_read(tmp_path, model):
    ship = ShipSpec("product_tanker", *SIZE, 200.0, 200.0, 70.0, livery=31)
    scene = generate_scene(
        SceneSpec(
            seed=5,
            width_m=400.0,
            height_m=400.0,
            gsd_m=0.3,
            land=False,
            n_tankers=0,
            n_others=0,
            ships=[ship],
            ship_variety=True,
        )
    )
    opened = open_scene(write_scene(scene, tmp_path, "s"))
    box = truth_box(scene.ships[0], 0.3)
    with scene_reader(opened) as src:
        sig = read_signature(src, opened, box)
        assert read_signature(src, opened, replace(box, cx_px=opened.width - 5.0)) is None
    assert sig is not None and sig.gsd_m > 0.3  # a 500 px hull is averaged down before it is read
    assert sig.length_m == pytest.approx(150.0, rel=0.01) and sig.beam_m == pytest.approx(24.0, rel=0.02)
    assert appearance_llr(sig, sighting(31, 6, 215.0, 0.8), model) > 0


def test_bundled_model_carries_its_provenance_and_a_bad_file_is_refused(tmp_path, model):
    assert model.provenance["heldout"]["roc_auc"] > 0.8
    assert model.provenance["train"]["scene_seeds"][1] < model.provenance["heldout"]["scene_seeds"][0]
    again = tmp_path / "m.json"
    again.write_text(json.dumps(model.to_dict()))
    assert load_appearance_model(again) == model
    bad = model.to_dict()
    bad["spreads"]["deck_rgb"]["misread_share"] = 1.5
    again.write_text(json.dumps(bad))
    with pytest.raises(TankerwatchError, match="not an appearance model"):
        load_appearance_model(again)
    assert math.isfinite(model.scale) and model.scale > 0
