"""Identify a scene's hulls: each measured hull against the registry, by its size, type and look.

For every hull of a scene the evidence is gathered in one place before the matcher weighs it
(matching.py): the measured length and beam with the error fitted for the grid they were measured
on, the ship type's P(tanker), and, for a tanker with looks switched on (matching.appearance), its
appearance signature read on native pixels (appearance.py), which the analysts' confirmed and
rejected sightings so far (review.py) turn into per-vessel evidence. Each identification keeps the
hull's signature, so that an analyst's later decision on its alert leaves it in the store.

A hull cut by the scene edge shows only a lower bound of its length: it is not named by size and
gets no candidates. The joint assignment of a scene's hulls (one vessel, one place) follows in
matching.assign_scene.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tankerwatch.datasets.scene import Scene, scene_reader
from tankerwatch.inference.appearance import AppearanceModel, Signature, read_signature
from tankerwatch.inference.matching import identify
from tankerwatch.inference.measure import EDGE_TOLERANCE_WORKING_PX, touches_scene_edge
from tankerwatch.inference.review import ReviewMemory, hull_evidence
from tankerwatch.schema import Detection, Identification

if TYPE_CHECKING:
    from tankerwatch.inference.pipeline import RunContext


def hull_signatures(scene: Scene, detections: list[Detection], model: AppearanceModel | None) -> list[Signature | None]:
    """The appearance signature of each tanker on native pixels (None for other hulls, or with looks off)."""
    if model is None or not any(d.class_name == "tanker" for d in detections):
        return [None] * len(detections)
    with scene_reader(scene) as src:
        return [read_signature(src, scene, d.box) if d.class_name == "tanker" else None for d in detections]


def identify_hulls(
    scene: Scene, detections: list[Detection], ctx: RunContext, memory: ReviewMemory
) -> list[Identification]:
    """Each hull's registry candidates from its size, type and look, and the analysts' decisions so far."""
    edge_px = EDGE_TOLERANCE_WORKING_PX * ctx.cfg.detect.working_gsd_m / scene.gsd_m
    idents = []
    for d, sig in zip(detections, hull_signatures(scene, detections, ctx.appearance), strict=True):
        # a hull cut by the scene edge shows only a lower bound of its length: it is not named by size
        if touches_scene_edge(d.box.corners(), scene.width, scene.height, edge_px):
            idents.append(Identification(d))
            continue
        evidence = hull_evidence(d, sig, memory, ctx.appearance)
        ident = identify(d, ctx.registry, ctx.cfg.matching, ctx.errors, evidence)
        ident.signature = sig.to_dict() if sig is not None else None
        idents.append(ident)
    return idents
