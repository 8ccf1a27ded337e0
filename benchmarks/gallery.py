"""Gallery of synthetic port scenes: crops at 0.3, 0.5, 1 and 2 m GSD with the truth outlined.

Usage:  python benchmarks/gallery.py [--out docs/gallery] [--seeds 10]
Writes one PNG per panel (tankers outlined in red, other vessels in cyan; hard negatives such as
jetties, breakwaters and floating docks have no truth and no outline) and prints what each shows.
Each panel forces a tanker, a bulk carrier and a container ship into the scene, tries a few seeds and
keeps the crop that shows the most of all three. Deterministic; run by hand (not part of the tests).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from shapely.geometry import box

from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, ship_box_m

TANKER_BGR, VESSEL_BGR = (40, 60, 255), (255, 220, 60)
FORCED = ("tanker", "bulk_carrier", "container_ship")


@dataclass
class Panel:
    """One gallery image: GSD, crop size, the effects switched on and what it is meant to show."""

    name: str
    gsd_m: float
    crop_px: int
    caption: str
    effects: dict = field(default_factory=dict)
    sizes: tuple = ((110, 17), (150, 24), (150, 22))  # forced tanker, bulker, container ship (length, beam)
    n_tankers: int = 3
    n_others: int = 5
    showcase: str | None = None  # an effect whose pixels the crop should hold (rendered with it off to find them)


PANELS = [
    Panel(
        "gsd030_quay_offnadir",
        0.3,
        640,
        "0.3 m: ships at a quay seen 20 deg off nadir (superstructures lean, hull sides show, red boot top on "
        "light ships), rust, container stacks, vehicles, crane booms, JPEG q85",
        dict(
            off_nadir_deg=20.0,
            off_nadir_az_deg=140.0,
            ship_variety=True,
            quay_clutter=True,
            jpeg_quality=85,
            water_style="deep",
        ),
        sizes=((95, 16), (125, 20), (130, 20)),
        n_tankers=2,
        n_others=3,
    ),
    Panel(
        "gsd050_oil_terminal",
        0.5,
        640,
        "0.5 m: oil-terminal jetty (trestle, pipe racks, loading arms, dolphins), breakwater, deep dark water, "
        "wakes, loaded vs light tankers",
        dict(
            port_structures=True,
            wakes=True,
            water_style="deep",
            ship_variety=True,
            off_nadir_deg=12.0,
            off_nadir_az_deg=250.0,
            quay_clutter=True,
        ),
    ),
    Panel(
        "gsd050_marina_yachts",
        0.5,
        512,
        "0.5 m: marina with yachts (class 'vessel'), quay clutter, pan-sharpening colour fringes, colour balance",
        dict(
            port_structures=True,
            quay_clutter=True,
            n_yachts=12,
            pansharpen_fringe=1.0,
            colour_jitter=0.8,
            ship_variety=True,
            wakes=True,
        ),
        n_tankers=2,
        n_others=3,
    ),
    Panel(
        "gsd100_port",
        1.0,
        512,
        "1 m: tankers, bulkers and container ships side by side; breakwaters, floating dock, thin cloud and its shadow",
        dict(
            port_structures=True,
            quay_clutter=True,
            cloud_cover=0.3,
            ship_variety=True,
            wakes=True,
            off_nadir_deg=15.0,
            off_nadir_az_deg=30.0,
        ),
        n_tankers=4,
        n_others=6,
    ),
    Panel(
        "gsd100_anchorage_glint",
        1.0,
        512,
        "1 m: open-water anchorage in sun glint: ships underway with V wakes and stern wash (ships at anchor "
        "or alongside another have none), yachts, JPEG q50",
        dict(land=False, glint=1.0, wakes=True, jpeg_quality=50, ship_variety=True, n_yachts=4),
        n_tankers=2,
        n_others=2,
        showcase="wakes",
    ),
    Panel(
        "gsd200_harbour",
        2.0,
        512,
        "2 m: a whole harbour (1 km) with cloud, glint, structures and yachts; ships are 5-15 px wide here",
        dict(
            port_structures=True,
            quay_clutter=True,
            cloud_cover=0.25,
            glint=0.5,
            wakes=True,
            ship_variety=True,
            n_yachts=8,
            colour_jitter=0.6,
            pansharpen_fringe=0.6,
        ),
        n_tankers=6,
        n_others=10,
    ),
]


def forced_ships(p: Panel) -> list[ShipSpec]:
    """A tanker, a bulk carrier and a container ship, placed by the renderer (position 0, 0 = its choice)."""
    kinds = ("product_tanker", "bulk_carrier", "container_ship")
    return [ShipSpec(k, float(L), float(B), 0, 0, 0) for k, (L, B) in zip(kinds, p.sizes, strict=True)]


def best_crop(scene, p: Panel, effect_px: np.ndarray | None = None) -> tuple[float, int, int]:
    """The crop window (score, col, row) showing the most of the forced kinds, then of any ship."""
    summed = None if effect_px is None else np.pad(effect_px.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    gsd, size = p.gsd_m, p.crop_px
    h, w = scene.image.shape[1:]
    boxes = [(s, ship_box_m(s)) for s in scene.ships]
    best = (-1.0, 0, 0)
    step = max(16, size // 8)
    for r0 in range(0, max(1, h - size + 1), step):
        for c0 in range(0, max(1, w - size + 1), step):
            win = box(c0 * gsd, r0 * gsd, (c0 + size) * gsd, (r0 + size) * gsd)
            score, seen = 0.0, {}
            for s, b in boxes:
                frac = b.intersection(win).area / b.area
                group = "tanker" if s.ship_class == "tanker" else s.kind
                seen[group] = max(seen.get(group, 0.0), frac)
                score += 0.1 * frac
            score += sum(min(1.0, seen.get(g, 0.0) / 0.6) for g in FORCED)
            score += min(0.6, 0.2 * sum(g.intersects(win) for g in scene.structures))  # and some hard negatives
            if summed is not None:  # pixels the showcased effect changed
                r1, c1 = min(r0 + size, h), min(c0 + size, w)
                score += min(2.0, (summed[r1, c1] - summed[r0, c1] - summed[r1, c0] + summed[r0, c0]) / 4000)
            if score > best[0]:
                best = (score, c0, r0)
    return best


def draw(scene, p: Panel, c0: int, r0: int) -> np.ndarray:
    """The crop as BGR with truth outlines and a caption strip."""
    size = p.crop_px
    img = np.clip(scene.image[:3, r0 : r0 + size, c0 : c0 + size].transpose(1, 2, 0), 0, 255).astype(np.uint8)
    img = np.ascontiguousarray(img[..., ::-1])
    for s in scene.ships:
        pts = np.array(ship_box_m(s).exterior.coords) / p.gsd_m - [c0, r0]
        colour = TANKER_BGR if s.ship_class == "tanker" else VESSEL_BGR
        cv2.polylines(img, [np.round(pts * 4).astype(np.int32)], True, colour, 1, cv2.LINE_AA, 2)
    strip = np.full((22, size, 3), 24, np.uint8)
    text = f"{p.gsd_m:g} m GSD   red: tanker   cyan: other vessel   (no outline: hard negatives)"
    cv2.putText(strip, text, (6, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack([img, strip])


def render_panel(p: Panel, seeds: int) -> tuple[np.ndarray, int, dict]:
    """Try a few seeds for a panel; the best crop, its seed and the counts it shows."""
    best = None
    extent = p.crop_px * p.gsd_m * 1.6
    for seed in range(seeds):
        spec = SceneSpec(
            seed=100 + seed,
            width_m=extent,
            height_m=extent,
            gsd_m=p.gsd_m,
            n_tankers=p.n_tankers,
            n_others=p.n_others,
            ships=forced_ships(p),
            **p.effects,
        )
        scene = generate_scene(spec)
        effect_px = None
        if p.showcase:
            default = SceneSpec.__dataclass_fields__[p.showcase].default
            plain = generate_scene(replace(spec, ships=forced_ships(p), **{p.showcase: default}))
            effect_px = np.any(np.abs(scene.image.astype(int) - plain.image.astype(int)) > 12, axis=0)
        score, c0, r0 = best_crop(scene, p, effect_px)
        if best is None or score > best[0]:
            best = (score, scene, c0, r0, spec.seed)
    _, scene, c0, r0, seed = best
    win = box(c0 * p.gsd_m, r0 * p.gsd_m, (c0 + p.crop_px) * p.gsd_m, (r0 + p.crop_px) * p.gsd_m)
    shown: dict[str, int] = {}
    for s in scene.ships:
        b = ship_box_m(s)
        if b.intersection(win).area > 0.3 * b.area:
            shown[s.kind] = shown.get(s.kind, 0) + 1
    return draw(scene, p, c0, r0), seed, shown


def write_png(bgr: np.ndarray, path: Path) -> int:
    """A 256-colour PNG (small, still faithful for a gallery); returns its size in bytes."""
    rgb = Image.fromarray(bgr[..., ::-1].copy())
    rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/gallery"))
    ap.add_argument("--seeds", type=int, default=10, help="seeds tried per panel (the best crop is kept)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for p in PANELS:
        bgr, seed, shown = render_panel(p, args.seeds)
        path = args.out / f"{p.name}.png"
        n = write_png(bgr, path)
        kinds = ", ".join(f"{v} {k}" for k, v in sorted(shown.items()))
        print(f"{path} ({n // 1024} KiB, seed {seed}): {p.caption} | shows {kinds}")


if __name__ == "__main__":
    main()
