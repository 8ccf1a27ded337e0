"""Ship type on a native-resolution hull chip: tanker, bulk carrier, container ship, general cargo, other, not a ship.

The detector works at a coarse working GSD and sees a hull as a few dozen pixels; what tells a tanker
from a bulk carrier (pipe manifold and catwalk against hatch covers, container rows, cranes) and a ship
from a warehouse roof (water along its sides, a pointed bow) shows only at native resolution. So each
hull is cut out of the native pixels along its own axis, with water (or land) around it:

    chip = the hull's box, padded to CHIP_ALONG x CHIP_ACROSS times its length, straightened so the
           long axis runs left to right, resampled to CHIP_PX (columns x rows)

and a small CNN scores it. The hull's measured length and beam in metres enter the head as well: a
40 m hull is no crude tanker, whatever its deck looks like. The output is one probability per type;
"not_ship" removes a detection, P(tanker) feeds identification.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from tankerwatch.inference.measure import box_in_window, padded_window, straighten
from tankerwatch.schema import OrientedBox, TankerwatchError

SHIP_TYPES: tuple[str, ...] = ("tanker", "bulk_carrier", "container_ship", "general_cargo", "other", "not_ship")
CHIP_PX = (160, 48)  # columns along the hull, rows across
CHIP_ALONG = 1.5  # chip length / hull length
CHIP_ACROSS = 0.45  # chip width / hull length (a 6:1 hull shows with about a beam of context each side)
TYPE_WEIGHTS_NAME = "ship-type.pt"


def chip_pads_px(box: OrientedBox) -> tuple[float, float]:
    """Padding (along, across) in the box's pixels that turns a hull box into its chip window."""
    along = box.length_px * (CHIP_ALONG - 1) / 2
    across = max(box.length_px * CHIP_ACROSS - box.beam_px, box.beam_px) / 2
    return along, across


def chip_window(box: OrientedBox, width: int, height: int) -> tuple[int, int, int, int, float]:
    """The native-pixel window (col0, row0, col1, row1) a hull's chip needs, and native pixels per chip pixel."""
    pad_u, pad_v = chip_pads_px(box)
    return (*padded_window(box, pad_u, pad_v, width, height), max(1.0, (box.length_px + 2 * pad_u) / CHIP_PX[0]))


def chip_from_window(window: np.ndarray, box: OrientedBox, c0: int, r0: int, c1: int, r1: int) -> np.ndarray:
    """A hull's chip from the (possibly downsampled) image of its native window (c0, r0)-(c1, r1)."""
    if window.shape[0] < 2 or window.shape[1] < 2:
        return np.zeros((CHIP_PX[1], CHIP_PX[0], 3), np.uint8)
    sx, sy = (c1 - c0) / window.shape[1], (r1 - r0) / window.shape[0]
    pad_u, pad_v = chip_pads_px(box)
    return straighten(window, box_in_window(box, c0, r0, sx, sy), pad_u / sx, pad_v / sy, CHIP_PX, cv2.BORDER_REFLECT)


def hull_chip(rgb: np.ndarray, box: OrientedBox) -> np.ndarray:
    """The classifier's CHIP_PX chip of a hull box in a native-resolution uint8 RGB image."""
    c0, r0, c1, r1, f = chip_window(box, rgb.shape[1], rgb.shape[0])
    window = rgb[r0:r1, c0:c1]
    # average the window down to about the chip's scale first, as scene reads do: a warp alone would alias
    if f > 1.2 and min(window.shape[:2]) >= 2:
        window = cv2.resize(
            window, (max(2, int((c1 - c0) / f)), max(2, int((r1 - r0) / f))), interpolation=cv2.INTER_AREA
        )
    return chip_from_window(window, box, c0, r0, c1, r1)


def size_features(length_m: float, beam_m: float) -> np.ndarray:
    """The hull's size as the network's scalar inputs: log length, log beam, beam/length."""
    length_m, beam_m = max(length_m, 1.0), max(beam_m, 0.5)
    return np.array([math.log(length_m / 100.0), math.log(beam_m / 20.0), beam_m / length_m], np.float32)


class ShipTypeNet(nn.Module):
    """A small CNN over a hull chip plus its size features, one logit per ship type."""

    def __init__(self, n_types: int = len(SHIP_TYPES), width: int = 24) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(True),
                nn.MaxPool2d(2),
            )

        w = width
        self.features = nn.Sequential(block(3, w), block(w, 2 * w), block(2 * w, 4 * w), block(4 * w, 4 * w))
        self.head = nn.Sequential(nn.Linear(4 * w * 2 + 3, 96), nn.ReLU(True), nn.Dropout(0.2), nn.Linear(96, n_types))

    def forward(self, chips: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
        """Logits (N x types) for chips (N x 3 x rows x cols, 0-1) and size features (N x 3)."""
        f = self.features(chips)
        # mean and max over the chip: where on the deck a feature sits matters less than that it is there
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        return self.head(torch.cat([pooled, sizes], dim=1))


def chips_tensor(chips: list[np.ndarray]) -> torch.Tensor:
    """uint8 chips (rows x cols x 3) as a float batch (N x 3 x rows x cols) in 0-1."""
    return torch.from_numpy(np.stack(chips)).permute(0, 3, 1, 2).float().div_(255.0)


class ShipTyper:
    """Ship-type probabilities for hull chips, from weights written by `tankerwatch train-stage ship-type`."""

    def __init__(self, weights: Path, device: str = "cpu") -> None:
        from tankerwatch.models.detector import load_checked_state

        state = load_checked_state(Path(weights), "ship-type")
        types = tuple(state.get("types", ()))
        if types != SHIP_TYPES:
            raise TankerwatchError(f"{weights}: ship types {list(types)} are not {list(SHIP_TYPES)}")
        self.net = ShipTypeNet(len(SHIP_TYPES), int(state["width"]))
        self.net.load_state_dict(state["model"])
        self.net.eval().to(device)
        self.device = device
        self.weights = Path(weights)

    @torch.inference_mode()
    def predict(self, chips: list[np.ndarray], sizes_m: list[tuple[float, float]], batch: int = 64) -> np.ndarray:
        """Probabilities (N x types, in SHIP_TYPES order) for chips and their (length_m, beam_m)."""
        out = np.zeros((len(chips), len(SHIP_TYPES)), np.float32)
        for i in range(0, len(chips), batch):
            x = chips_tensor(chips[i : i + batch]).to(self.device)
            s = torch.from_numpy(np.stack([size_features(*lb) for lb in sizes_m[i : i + batch]])).to(self.device)
            out[i : i + len(x)] = torch.softmax(self.net(x, s), dim=1).cpu().numpy()
        return out
