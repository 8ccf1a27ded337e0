"""Training the second-stage models: the ship-type classifier and the water mask.

Both train on the arrays `tankerwatch dataset stages` writes (datasets/stage_dataset.py), seeded, on
the CPU in minutes or on a GPU. A held-out share of the samples (by index, fixed by the seed) gives
the figures written beside the weights: per-type precision and recall and the confusion matrix for
the classifier; IoU of the water class for the mask. The weights file holds the state dict and what
the loader checks (types, width, GSD); a `.sha256` is written beside it, as for the detector.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from tankerwatch.datasets.samples import ANY_SHIP
from tankerwatch.datasets.stage_dataset import IGNORE
from tankerwatch.io import atomic_write_text
from tankerwatch.models.shiptype import SHIP_TYPES, ShipTypeNet, chips_tensor
from tankerwatch.models.watermask import WATER_GSD_M, WaterNet
from tankerwatch.schema import TankerwatchError

WATER_CROP_PX = 128  # training crops of the water tiles (512 m at 4 m)


@dataclass
class StageTrainConfig:
    """Epochs, batch, learning rate, held-out share and seed of a second-stage training run."""

    epochs: int = 12
    batch: int = 64
    lr: float = 2e-3
    val_share: float = 0.15
    seed: int = 0
    device: str = "cpu"
    width: int = 16


def _split(n: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and held-out indices of n samples."""
    order = np.random.default_rng(seed).permutation(n)
    k = max(1, int(n * share)) if n > 1 else 0
    return order[k:], order[:k]


def fit(
    model: nn.Module,
    batches: Callable[[int], Iterator[tuple]],
    loss_fn: Callable,
    cfg: StageTrainConfig,
    log: Callable[[str], None] = print,
) -> list[float]:
    """Train a model with AdamW and a cosine schedule; batches(epoch) yields (inputs..., target); the epoch losses."""
    model.to(cfg.device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, cfg.epochs))
    losses = []
    for epoch in range(cfg.epochs):
        t0, total, n = time.time(), 0.0, 0
        for *inputs, target in batches(epoch):
            opt.zero_grad()
            loss = loss_fn(model(*[x.to(cfg.device) for x in inputs]), target.to(cfg.device))
            loss.backward()
            opt.step()
            total, n = total + float(loss.detach()) * len(target), n + len(target)
        sched.step()
        losses.append(total / max(1, n))
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {losses[-1]:.4f} ({time.time() - t0:.0f} s)")
    return losses


def save_stage_weights(path: Path, state: dict, metrics: dict) -> Path:
    """Write weights, their .sha256 and a metrics JSON beside them."""
    from tankerwatch.models.detector import write_sha256

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    write_sha256(path)
    atomic_write_text(path.with_suffix(".json"), json.dumps(metrics, indent=1))
    return path


# ---------------------------------------------------------------------------------------------- ship type


def _load_chips(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chips, size features and labels of a chips.npz (ANY_SHIP where only "a ship" is known), checked on SHIP_TYPES."""
    try:
        data = np.load(path)
        chips, sizes, labels, types = data["chips"], data["sizes"], data["labels"], tuple(data["types"])
    except Exception as e:
        raise TankerwatchError(f"{path}: not a chips.npz from `tankerwatch dataset stages` ({e})") from None
    if types != SHIP_TYPES:
        raise TankerwatchError(f"{path}: types {list(types)} are not {list(SHIP_TYPES)}")
    return chips, sizes, labels


def sensor_jitter(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor looks the renderer lacks, per image of a uint8 batch (N x rows x cols x 3): a flat scene's percentile
    stretch (contrast cut, then noise amplified with it), grain, blur, and brightness/contrast jitter."""
    out: np.ndarray = images.astype(np.float32)
    n = len(out)
    flat = rng.random(n) < 0.3  # a low-contrast scene (open sea, haze): the stretch spreads a narrow range, noise too
    for i in np.flatnonzero(flat):
        k = rng.uniform(2.0, 6.0)
        m = out[i].mean()
        out[i] = (out[i] - m) / k + m + rng.normal(0, rng.uniform(1.0, 4.0), out[i].shape)
        out[i] = (out[i] - m) * k + m
    grain = rng.random(n) < 0.4
    out[grain] += rng.normal(0, 1, out[grain].shape) * rng.uniform(2, 12, (int(grain.sum()), 1, 1, 1))
    out = out * rng.uniform(0.75, 1.25, (n, 1, 1, 3)) + rng.uniform(-20, 20, (n, 1, 1, 1))
    out = np.clip(out, 0, 255).astype(np.uint8)
    for i in np.flatnonzero(rng.random(n) < 0.2):
        out[i] = cv2.GaussianBlur(out[i], (0, 0), rng.uniform(0.5, 1.5))
    return out


def _augment_chips(chips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flips (bow left or right, either side up) and sensor jitter of a chip batch."""
    out = chips.copy()
    flip_u, flip_v = rng.random(len(out)) < 0.5, rng.random(len(out)) < 0.5
    out[flip_u] = out[flip_u, :, ::-1]
    out[flip_v] = out[flip_v, ::-1]
    return sensor_jitter(out, rng)


def confusion(labels: np.ndarray, predicted: np.ndarray, n: int = len(SHIP_TYPES)) -> np.ndarray:
    """Confusion matrix: rows true type, columns predicted type."""
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (labels, predicted), 1)
    return m


def type_metrics(m: np.ndarray) -> dict:
    """Per-type precision and recall and overall accuracy from a confusion matrix."""
    tp = np.diag(m).astype(float)
    prec = np.divide(tp, m.sum(axis=0), out=np.full(len(tp), np.nan), where=m.sum(axis=0) > 0)
    rec = np.divide(tp, m.sum(axis=1), out=np.full(len(tp), np.nan), where=m.sum(axis=1) > 0)
    return {
        "accuracy": float(tp.sum() / max(1, m.sum())),
        "per_type": {
            t: {
                "precision": None if np.isnan(p) else round(float(p), 4),
                "recall": None if np.isnan(r) else round(float(r), 4),
                "n": int(m[i].sum()),
            }
            for i, (t, p, r) in enumerate(zip(SHIP_TYPES, prec, rec, strict=True))
        },
        "confusion": {"rows_true_cols_predicted": list(SHIP_TYPES), "matrix": m.tolist()},
    }


@torch.inference_mode()
def predict_types(
    model: ShipTypeNet, chips: np.ndarray, sizes: np.ndarray, device: str, batch: int = 256
) -> np.ndarray:
    """Most probable type index per chip."""
    model.eval()
    out = []
    for i in range(0, len(chips), batch):
        logits = model(
            chips_tensor(list(chips[i : i + batch])).to(device), torch.from_numpy(sizes[i : i + batch]).to(device)
        )
        out.append(logits.argmax(1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def type_loss(weights: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy over ship types; for ANY_SHIP samples (a real ship, type unknown) -log P(not "not_ship")."""
    ce = nn.CrossEntropyLoss(weight=weights, label_smoothing=0.05, reduction="sum")
    not_ship = SHIP_TYPES.index("not_ship")

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        known = target >= 0
        total = ce(logits[known], target[known]) if known.any() else logits.sum() * 0
        if (~known).any():
            logp = torch.log_softmax(logits[~known], dim=1)
            p_ship = torch.logsumexp(torch.cat([logp[:, :not_ship], logp[:, not_ship + 1 :]], dim=1), dim=1)
            total = total - p_ship.sum() * float(weights.max())
        return total / len(target)

    return loss


def ship_or_not(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """Ship recall (a ship not called not_ship) and not-ship recall, for labels with ANY_SHIP or types."""
    not_ship = SHIP_TYPES.index("not_ship")
    ship, called_ship = labels != not_ship, predicted != not_ship
    return {
        "ships": int(ship.sum()),
        "non_ships": int((~ship).sum()),
        "ship_recall": float(called_ship[ship].mean()) if ship.any() else None,
        "not_ship_recall": float((~called_ship[~ship]).mean()) if (~ship).any() else None,
    }


def train_ship_type(data: Path, out: Path, cfg: StageTrainConfig, log: Callable[[str], None] = print) -> dict:
    """Train the ship-type classifier on a chips.npz (+ real_chips.npz beside it); write weights + metrics.

    Returns the held-out metrics: types on held-out synthetic chips, ship or not on real_val.npz."""
    chips, sizes, labels = _load_chips(data)
    real = data.with_name("real_chips.npz")
    if real.exists():
        rc, rs, rl = _load_chips(real)
        if len(rl):
            log(f"real labelled chips: {len(rl)} ({int((rl == ANY_SHIP).sum())} ships of unknown type)")
            chips, sizes, labels = (
                np.concatenate([chips, rc]),
                np.concatenate([sizes, rs]),
                np.concatenate([labels, rl]),
            )
    train, val = _split(len(labels), cfg.val_share, cfg.seed)
    val = val[labels[val] >= 0]  # the type table needs a known type
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    # classes are far from balanced (not_ship and tankers dominate): weight the loss by inverse frequency
    freq = np.bincount(labels[train][labels[train] >= 0], minlength=len(SHIP_TYPES)).astype(np.float32)
    weights = torch.from_numpy(np.where(freq > 0, freq.sum() / np.maximum(freq, 1) / len(SHIP_TYPES), 0.0)).float()
    weights = weights.clamp(max=5.0)

    def batches(epoch: int):
        order = rng.permutation(train)
        for i in range(0, len(order), cfg.batch):
            idx = order[i : i + cfg.batch]
            yield (
                chips_tensor(list(_augment_chips(chips[idx], rng))),
                torch.from_numpy(sizes[idx]),
                torch.from_numpy(labels[idx]),
            )

    model = ShipTypeNet(len(SHIP_TYPES), cfg.width)
    loss_fn = type_loss(weights.to(cfg.device))
    log(
        f"ship type: {len(train)} training chips, {len(val)} held out; "
        f"types {dict(zip(SHIP_TYPES, freq.astype(int).tolist(), strict=True))}"
    )
    losses = fit(model, batches, loss_fn, cfg, log)
    metrics = type_metrics(confusion(labels[val], predict_types(model, chips[val], sizes[val], cfg.device)))
    real_val = data.with_name("real_val.npz")
    if real_val.exists():
        vc, vs, vl = _load_chips(real_val)
        if len(vl):
            metrics["real_heldout"] = ship_or_not(vl, predict_types(model, vc, vs, cfg.device))
            log(f"real held-out chips: {metrics['real_heldout']}")
    metrics |= {
        "data": str(data),
        "train_chips": int(len(train)),
        "heldout_chips": int(len(val)),
        "losses": losses,
        "config": cfg.__dict__,
    }
    state = {
        "model": {k: v.cpu() for k, v in model.state_dict().items()},
        "types": list(SHIP_TYPES),
        "width": cfg.width,
    }
    save_stage_weights(out, state, metrics)
    return metrics


# ---------------------------------------------------------------------------------------------- water mask


def _load_water(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, truth) pairs of a water.npz."""
    try:
        data = np.load(path)
        n = sum(1 for k in data.files if k.startswith("image_"))
        return [(data[f"image_{i}"], data[f"truth_{i}"]) for i in range(n)]
    except Exception as e:
        raise TankerwatchError(f"{path}: not a water.npz from `tankerwatch dataset stages` ({e})") from None


def _crop(image: np.ndarray, truth: np.ndarray, rng: np.random.Generator, size: int = WATER_CROP_PX):
    """A random size x size crop of a tile (padded with ignored pixels where the tile is smaller)."""
    h, w = truth.shape
    if h < size or w < size:
        ph, pw = max(0, size - h), max(0, size - w)
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
        truth = np.pad(truth, ((0, ph), (0, pw)), constant_values=IGNORE)
        h, w = truth.shape
    r, c = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    img, t = image[r : r + size, c : c + size], truth[r : r + size, c : c + size]
    if rng.random() < 0.5:
        img, t = img[:, ::-1], t[:, ::-1]
    k = int(rng.integers(4))
    return np.rot90(img, k), np.rot90(t, k)


def masked_bce(logits: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of water logits over the pixels that are not ignored."""
    valid = truth != IGNORE
    return nn.functional.binary_cross_entropy_with_logits(logits[:, 0][valid], truth[valid].float())


def water_iou(pred: np.ndarray, truth: np.ndarray) -> dict:
    """IoU of the water class and of land, and pixel accuracy, over non-ignored pixels."""
    valid = truth != IGNORE
    p, t = pred[valid].astype(bool), truth[valid].astype(bool)

    def iou(a, b):
        union = (a | b).sum()
        return float((a & b).sum() / union) if union else None

    return {
        "water_iou": iou(p, t),
        "land_iou": iou(~p, ~t),
        "pixel_accuracy": float((p == t).mean()) if p.size else None,
    }


def train_water_mask(
    data: Path, out: Path, cfg: StageTrainConfig, crops_per_tile: int = 4, log: Callable[[str], None] = print
) -> dict:
    """Train the water-mask network on a water.npz; write weights + metrics; returns the held-out metrics."""
    from tankerwatch.models.watermask import WaterMasker

    tiles = _load_water(data)
    train, val = _split(len(tiles), cfg.val_share, cfg.seed)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    def batches(epoch: int):
        order = np.repeat(rng.permutation(train), crops_per_tile)
        rng.shuffle(order)
        for i in range(0, len(order), cfg.batch):
            pairs = [_crop(tiles[j][0], tiles[j][1], rng) for j in order[i : i + cfg.batch]]
            img = sensor_jitter(np.stack([p[0] for p in pairs]), rng)
            x = torch.from_numpy(img).permute(0, 3, 1, 2).float().div_(255.0)
            yield x, torch.from_numpy(np.stack([p[1] for p in pairs]).astype(np.int64))

    model = WaterNet(cfg.width)
    log(f"water mask: {len(train)} training tiles x {crops_per_tile} crops, {len(val)} held out")
    losses = fit(model, batches, masked_bce, cfg, log)
    state = {"model": {k: v.cpu() for k, v in model.state_dict().items()}, "width": cfg.width, "gsd_m": WATER_GSD_M}
    save_stage_weights(out, state, {})
    masker = WaterMasker(out, cfg.device)
    preds = [masker.predict(tiles[j][0]) >= 0.5 for j in val]
    metrics = water_iou(
        np.concatenate([p.ravel() for p in preds]) if preds else np.zeros(0),
        np.concatenate([tiles[j][1].ravel() for j in val]) if preds else np.zeros(0),
    )
    metrics |= {
        "data": str(data),
        "train_tiles": int(len(train)),
        "heldout_tiles": int(len(val)),
        "losses": losses,
        "gsd_m": WATER_GSD_M,
        "config": cfg.__dict__,
    }
    atomic_write_text(out.with_suffix(".json"), json.dumps(metrics, indent=1))
    return metrics
