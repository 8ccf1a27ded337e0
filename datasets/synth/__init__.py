"""Synthetic georeferenced port scenes with tankers and other ships, plus ground truth.

A scene is described by a `SceneSpec` (spec.py) and rendered by `generate_scene` (render.py) into a
`SynthScene`: a multi-band image, its georeferencing, the ships it shows and the land and structures that are
not open water. `write_scene` (georef.py) writes it as a GeoTIFF with a STAC Item and GeoJSON truth.

The renderer is split by concern, one module each, in the order a scene is drawn:

- spec.py: what to draw (scene and ship records, ship kinds, the training and evaluation samplers);
- canvas.py: the float RGB canvas in scene metres and its drawing primitives;
- water.py: the sea, glint, swell, and thin cloud;
- land.py: the coast, quay, plain land, piers, quay clutter and cranes; hard_land.py: the realistic land;
- structures.py: breakwaters, jetties, floating docks, marinas, pontoons (hard negatives in the water);
- placement.py: berths, anchorage and rafted pairs; ships.py: hulls, decks, liveries; wakes.py: wakes;
- sensor.py: haze, fringes, blur, noise, colour, NIR, JPEG and bit depth;
- georef.py: georeferencing, truth GeoJSON (with each ship's freeboard and loaded flag), land GeoJSON, STAC (with
  the sun and view angles), writing;
- render.py: the renderer's state and the order it calls the others in.

The same spec always gives the same bytes (tests/test_synth.py holds the hashes that guard it).
"""

from tankerwatch.datasets.synth.canvas import Canvas, NoCanvas, circle_m, exterior_rings, polygon_parts, rect, square
from tankerwatch.datasets.synth.georef import (
    SynthScene,
    georeference,
    land_features,
    stac_item,
    truth_features,
    view_properties,
    water_truth,
    write_scene,
)
from tankerwatch.datasets.synth.land import CAR_COLOURS, CONTAINER_COLOURS, PIPE_COLOURS, Coast, land_truth
from tankerwatch.datasets.synth.render import STREAMS, Renderer, ShipSprite, generate_scene, render_ship_sprite
from tankerwatch.datasets.synth.ships import (
    ANTIFOULING,
    DECK_COLOURS,
    RUST,
    VARIETY_COLOURS,
    Livery,
    Look,
    ShipFrame,
    hull_outline,
    ship_box_m,
)
from tankerwatch.datasets.synth.spec import (
    EVAL_SEED_BASE,
    HARD_PORT_OTHER_KINDS,
    OTHER_KINDS,
    SHIP_KINDS,
    TANKER_KINDS,
    WATER_STYLES,
    SceneSpec,
    ShipSpec,
    hard_port_spec,
    open_sea_spec,
    plain_spec,
    random_ship,
    random_spec,
    spec_to_dict,
)

# the names the renderer's classes had when it was one module (tests draw on them)
_Renderer = Renderer
_ShipFrame = ShipFrame
_Livery = Livery

__all__ = [
    "ANTIFOULING",
    "CAR_COLOURS",
    "CONTAINER_COLOURS",
    "DECK_COLOURS",
    "EVAL_SEED_BASE",
    "HARD_PORT_OTHER_KINDS",
    "OTHER_KINDS",
    "PIPE_COLOURS",
    "RUST",
    "SHIP_KINDS",
    "STREAMS",
    "TANKER_KINDS",
    "VARIETY_COLOURS",
    "WATER_STYLES",
    "Canvas",
    "Coast",
    "Livery",
    "Look",
    "NoCanvas",
    "Renderer",
    "SceneSpec",
    "ShipFrame",
    "ShipSpec",
    "ShipSprite",
    "SynthScene",
    "_Livery",
    "_Renderer",
    "_ShipFrame",
    "circle_m",
    "exterior_rings",
    "generate_scene",
    "georeference",
    "hard_port_spec",
    "hull_outline",
    "land_features",
    "land_truth",
    "open_sea_spec",
    "plain_spec",
    "polygon_parts",
    "random_ship",
    "random_spec",
    "rect",
    "render_ship_sprite",
    "ship_box_m",
    "spec_to_dict",
    "square",
    "stac_item",
    "truth_features",
    "view_properties",
    "water_truth",
    "write_scene",
]
