"""Small up-sampling autoencoders trained here, so the detector does not learn one decoder.

Each simulator squeezes a picture to a 1/4-resolution latent (24 channels) and decodes it with
one family of up-sampling layer that image generators use: transposed convolution,
nearest + conv, pixel shuffle, bilinear + conv. They are trained briefly to reconstruct real
crops (L1); their output is the crop re-synthesised through that decoder, pixel-aligned with
the original. Known weakness (see models/README.md): after a CPU-sized training they are
blurrier than the originals (18-22 dB PSNR), so train.py draws them less often than TAEF2.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

__all__ = ["KINDS", "UpsamplingAE", "train_simulator"]

KINDS = ("tconv", "nearest", "pixelshuffle", "bilinear")
LATENT = 24
WIDTH = 48


def _up(kind: str, width: int) -> nn.Module:
    if kind == "tconv":
        return nn.ConvTranspose2d(width, width, 4, stride=2, padding=1)
    if kind == "nearest":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width, 3, padding=1))
    if kind == "pixelshuffle":
        return nn.Sequential(nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2))
    if kind == "bilinear":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                             nn.Conv2d(width, width, 3, padding=1))
    raise ValueError(kind)


class UpsamplingAE(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, WIDTH, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(WIDTH, WIDTH, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(WIDTH, LATENT, 1),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(LATENT, WIDTH, 3, padding=1), nn.ReLU(),
            _up(kind, WIDTH), nn.ReLU(),
            nn.Conv2d(WIDTH, WIDTH, 3, padding=1), nn.ReLU(),
            _up(kind, WIDTH), nn.ReLU(),
            nn.Conv2d(WIDTH, 3, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x).clamp(0.0, 1.0)


def train_simulator(kind: str, crops: np.ndarray, steps: int, seed: int, max_seconds: float = 0.0,
                    batch: int = 8, size: int = 64) -> tuple[UpsamplingAE, dict]:
    """Train one simulator for `steps` Adam steps on random size x size cuts of crops
    (N x H x W x 3 uint8); max_seconds > 0 stops early on a slow machine (logged).
    Returns the model (eval mode) and a short log."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = UpsamplingAE(kind)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    started, done, loss_ema = time.monotonic(), 0, None
    n, h, w, _ = crops.shape
    while done < steps and not (max_seconds and time.monotonic() - started > max_seconds):
        idx = rng.integers(0, n, batch)
        ys = rng.integers(0, (h - size) // 2 + 1, batch) * 2
        xs = rng.integers(0, (w - size) // 2 + 1, batch) * 2
        x = np.stack([crops[i, y:y + size, x0:x0 + size] for i, y, x0 in zip(idx, ys, xs)])
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
        loss = (model(xt) - xt).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        done += 1
        loss_ema = loss.item() if loss_ema is None else 0.98 * loss_ema + 0.02 * loss.item()
    del gen
    return model.eval(), {"kind": kind, "steps": done, "l1": round(float(loss_ema or 0), 4),
                          "seconds": round(time.monotonic() - started, 1)}
