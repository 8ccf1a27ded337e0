"""Water or not, per pixel of a coarse image: the network behind "a hull must float".

A ship lies on water; a warehouse roof, a rail line or a patch of bare soil that the detector took for
a hull does not. Telling the two apart needs context that a hull chip lacks: whether the open water
around a bright oblong reaches the horizon or ends at a quay. So the whole scene (or port area) is
read at a coarse GSD (WATER_GSD_M), where a 1.5 km port fits in a few hundred pixels, and a small
fully-convolutional network with a wide receptive field marks each pixel water (1) or not (0).

Ships count as water in the training truth: the question the mask answers is "is this the sea",
not "is this pixel dark", so a hull in the mask's water is a hull that floats.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

WATER_GSD_M = 4.0  # metres per pixel of the water mask
WATER_WEIGHTS_NAME = "water-mask.pt"
TILE_PX = 1024  # masks of large scenes are computed in tiles of this side (with TILE_OVERLAP_PX context)
TILE_OVERLAP_PX = 64


def _conv(cin: int, cout: int, dilation: int = 1, stride: int = 1) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    )


class WaterNet(nn.Module):
    """A small encoder-decoder: 1/4-resolution features with dilated context, one water logit per pixel."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.stem = nn.Sequential(_conv(3, w), _conv(w, w))
        self.down = nn.Sequential(_conv(w, 2 * w, stride=2), _conv(2 * w, 4 * w, stride=2))
        # dilations 2..16 at 1/4 resolution: a receptive field of some 300 px (1.2 km at 4 m)
        self.context = nn.Sequential(*[_conv(4 * w, 4 * w, d) for d in (2, 4, 8, 16)])
        self.up = nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False)
        self.fuse = nn.Sequential(_conv(5 * w, w), nn.Conv2d(w, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Water logits (N x 1 x H x W) for images (N x 3 x H x W, 0-1); H and W multiples of 4."""
        s = self.stem(x)
        c = self.up(self.context(self.down(s)))
        return self.fuse(torch.cat([s, c], dim=1))


def _pad4(img: np.ndarray) -> np.ndarray:
    """Pad rows and columns (by mirroring) up to multiples of 4."""
    h, w = img.shape[:2]
    return np.pad(img, ((0, -h % 4), (0, -w % 4), (0, 0)), mode="reflect" if min(h, w) > 4 else "edge")


class WaterMasker:
    """Water probability per pixel of a coarse RGB image, from weights written by `tankerwatch train-stage water-mask`.

    On the CPU the network runs on OpenVINO (converted in memory at load, dynamic image size): about six
    times PyTorch's speed there (1 MP: 0.17 s against 1.0 s, measured), which keeps the stage's cost small."""

    def __init__(self, weights: Path, device: str = "cpu", runtime: str = "auto") -> None:
        from tankerwatch.models.detector import load_checked_state

        state = load_checked_state(Path(weights), "water-mask")
        self.gsd_m = float(state.get("gsd_m", WATER_GSD_M))
        self.net = WaterNet(int(state["width"]))
        self.net.load_state_dict(state["model"])
        self.net.eval().to(device)
        self.device = device
        self.weights = Path(weights)
        self.runtime = ("openvino" if device == "cpu" else "torch") if runtime == "auto" else runtime
        self._compiled = self._openvino() if self.runtime == "openvino" else None

    def __getstate__(self) -> dict:
        """Pickled (to a Ray worker) without the compiled network, which OpenVINO cannot pickle: it is compiled
        again at its first use there (a worker that only measures hulls never compiles it)."""
        return {**self.__dict__, "_compiled": None}

    def _network(self):
        """The OpenVINO-compiled network (compiled here where this masker was unpickled), or None on PyTorch."""
        if self._compiled is None and self.runtime == "openvino":
            self._compiled = self._openvino()
        return self._compiled

    def _openvino(self):
        """The network compiled by OpenVINO for the CPU, any image size."""
        from tankerwatch.models.detector import block_openvino_telemetry

        block_openvino_telemetry()
        import openvino as ov

        # the converter traces with torch.jit, which warns that tracing is deprecated: nothing the user can act on
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model = ov.convert_model(
                self.net, example_input=torch.zeros(1, 3, 128, 128), input=[ov.PartialShape([1, 3, -1, -1])]
            )
        return ov.Core().compile_model(model, "CPU")

    @torch.inference_mode()
    def _forward(self, rgb: np.ndarray) -> np.ndarray:
        """Water probability of one image that fits in memory."""
        h, w = rgb.shape[:2]
        x = torch.from_numpy(_pad4(rgb)).permute(2, 0, 1)[None].float().div_(255.0)
        compiled = self._network()
        if compiled is not None:
            logits = compiled(x.numpy())[0][0, 0, :h, :w]
            return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return torch.sigmoid(self.net(x.to(self.device)))[0, 0, :h, :w].cpu().numpy()

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """Water probability (rows x cols, 0-1) of a uint8 RGB image at the mask's GSD, tiled when large."""
        return self._tiled(rgb, None)

    def water(self, rgb: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """1 where predict() reaches threshold, else 0 (uint8): the same mask, thresholded tile by tile, so a
        gigapixel scene's mask never has a float image of its whole grid (8192^2 cells: 268 MB) beside it."""
        return self._tiled(rgb, threshold)

    def _tiled(self, rgb: np.ndarray, threshold: float | None) -> np.ndarray:
        """The network over rgb in tiles (probabilities, or with threshold water as uint8), its memory handed back."""
        try:
            return self._over_tiles(rgb, threshold)
        finally:
            # OpenVINO keeps the activations of the largest image seen (~450 MB at 1 k px tiles) for the compiled
            # model's life: handed back after each mask (25 ms), they are not held under the detector and the hull
            # stages that follow (benchmarks/throughput.py: peak RSS)
            if self._compiled is not None and hasattr(self._compiled, "release_memory"):
                self._compiled.release_memory()

    def _over_tiles(self, rgb: np.ndarray, threshold: float | None) -> np.ndarray:
        """_tiled() without handing back the runtime's memory."""

        def finish(p: np.ndarray) -> np.ndarray:
            return p if threshold is None else (p >= threshold).astype(np.uint8)

        h, w = rgb.shape[:2]
        if max(h, w) <= TILE_PX + 2 * TILE_OVERLAP_PX:
            return finish(self._forward(rgb))
        out = np.zeros((h, w), np.float32 if threshold is None else np.uint8)
        o = TILE_OVERLAP_PX
        for r in range(0, h, TILE_PX):
            for c in range(0, w, TILE_PX):
                r0, c0 = max(0, r - o), max(0, c - o)
                r1, c1 = min(h, r + TILE_PX + o), min(w, c + TILE_PX + o)
                p = self._forward(rgb[r0:r1, c0:c1])
                out[r : min(h, r + TILE_PX), c : min(w, c + TILE_PX)] = finish(
                    p[r - r0 : r - r0 + TILE_PX, c - c0 : c - c0 + TILE_PX]
                )
        return out
