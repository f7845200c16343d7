"""TAEF2 (tiny autoencoder for the FLUX.2 latent space) as a fake-image simulator.

Only the weights come from madebyollin/taesd (MIT, see shared/data/detector/simulator/LICENSE);
this definition is written from the state-dict layout: both halves are one flat nn.Sequential
whose integer indices are the keys' first component. A residual unit is three 3x3 convolutions
with ReLUs between them, added to its input and rectified; the three units at the 1/8
resolution also carry a "pool" branch (1x1 expand to 4x width, GroupNorm with 4 groups, ReLU,
1x1 project) that is added to the unit's input first. Pictures are in [0, 1] on both ends.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

__all__ = ["TAEF2", "load_taef2", "LATENT_CHANNELS"]

LATENT_CHANNELS = 32
WIDTH = 64


class _Unit(nn.Module):
    """Residual unit; `with_pool` adds the 1x1 expand/normalise/project side branch."""

    def __init__(self, width: int, with_pool: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(3):
            layers.append(nn.Conv2d(width, width, 3, padding=1))
            if i < 2:
                layers.append(nn.ReLU())
        self.conv = nn.Sequential(*layers)  # keys conv.0 / conv.2 / conv.4
        self.pool = (
            nn.Sequential(nn.Conv2d(width, 4 * width, 1, bias=False), nn.GroupNorm(4, 4 * width),
                          nn.ReLU(), nn.Conv2d(4 * width, width, 1, bias=False))
            if with_pool else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = x + self.pool(x)
        return torch.relu(self.conv(x) + x)


class _SoftClamp(nn.Module):
    """Keeps latents in about +-3 before decoding (parameter-free, index 0 of the decoder)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 3.0 * torch.tanh(x / 3.0)


def _conv(n_in: int, n_out: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, stride=stride, padding=1, bias=bias)


def _encoder() -> nn.Sequential:
    seq: list[nn.Module] = [_conv(3, WIDTH), _Unit(WIDTH, False)]
    for stage in range(3):  # three stride-2 steps: 1/8 resolution
        seq.append(_conv(WIDTH, WIDTH, stride=2, bias=False))
        seq.extend(_Unit(WIDTH, with_pool=stage == 2) for _ in range(3))
    seq.append(_conv(WIDTH, LATENT_CHANNELS))
    return nn.Sequential(*seq)


def _decoder() -> nn.Sequential:
    seq: list[nn.Module] = [_SoftClamp(), _conv(LATENT_CHANNELS, WIDTH), nn.ReLU()]
    for stage in range(3):  # units, then nearest x2 and a bias-free conv
        seq.extend(_Unit(WIDTH, with_pool=stage == 0) for _ in range(3))
        seq.append(nn.Upsample(scale_factor=2, mode="nearest"))
        seq.append(_conv(WIDTH, WIDTH, bias=False))
    seq.extend([_Unit(WIDTH, False), _conv(WIDTH, 3)])
    return nn.Sequential(*seq)


class TAEF2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = _encoder()
        self.decoder = _decoder()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x: N x 3 x H x W in [0, 1], H and W multiples of 8 -> the decoded copy in [0, 1]."""
        return self.decoder(self.encoder(x)).clamp(0.0, 1.0)


def load_taef2(folder: Path) -> TAEF2:
    model = TAEF2()
    enc = torch.load(folder / "taef2_encoder.pth", map_location="cpu", weights_only=True)
    dec = torch.load(folder / "taef2_decoder.pth", map_location="cpu", weights_only=True)
    model.encoder.load_state_dict(enc, strict=True)
    model.decoder.load_state_dict(dec, strict=True)
    return model.eval()
